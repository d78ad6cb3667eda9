// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/bgp_signal_builder.h"

#include <gtest/gtest.h>

#include "signals/visibility_model.h"

namespace vigil::signals {
namespace {

// One region owning 10.0.0.0/16 (256 /24s).
EntityPartition OneRegion() {
  EntityPartition::Builder b;
  uint32_t id = b.AddEntity({"region", "ZZ-A", "", "ZZ", 256, ""});
  b.AddRange(10u << 16, (10u << 16) + 256, id);
  return std::move(b).Build();
}

const UnixSeconds kT0 = 1641340800;  // 2022-01-05T00:00:00Z

MrtInputFile File(const std::string& collector, MrtFileKind kind, UnixSeconds t) {
  MrtInputFile f;
  f.collector = collector;
  f.kind = kind;
  f.name_time = t;
  f.name = collector + (kind == MrtFileKind::kRib ? "/bview" : "/updates");
  return f;
}

RouteRecord Rec(RouteRecord::Kind kind, UnixSeconds t, const char* peer, const char* prefix) {
  RouteRecord r;
  r.kind = kind;
  r.t = t;
  r.peer_address = peer;
  r.peer_asn = 65000;
  if (prefix) r.prefix = *ParseIpv4Prefix(prefix);
  return r;
}

RouteRecord State(UnixSeconds t, const char* peer, int state) {
  RouteRecord r = Rec(RouteRecord::Kind::kState, t, peer, nullptr);
  r.new_state = state;
  return r;
}

class BuilderTest : public ::testing::Test {
 protected:
  BuilderTest() : world_(OneRegion()), model_(Options(), &world_), builder_(model_) {}
  static VisibilityOptions Options() {
    VisibilityOptions o;
    o.full_feed_fraction = 0.5;
    return o;
  }
  // RIB at kT0 for collector c: peers p1..p3 carry 10.0.0.0/17 and 10.0.128.0/17.
  void Rib(const std::string& c) {
    builder_.BeginFile(File(c, MrtFileKind::kRib, kT0));
    for (const char* peer : {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) {
      builder_.Record(Rec(RouteRecord::Kind::kRib, kT0, peer, "10.0.0.0/17"));
      builder_.Record(Rec(RouteRecord::Kind::kRib, kT0, peer, "10.0.128.0/17"));
    }
    FileOutcome o = builder_.FinishFile();
    ASSERT_EQ(o.bins.size(), 1u);
    EXPECT_EQ(o.bins[0].t, kT0);
    EXPECT_EQ(o.bins[0].counts[0], 256);
  }
  EntityPartition world_;
  VisibilityModel model_;
  BgpSignalBuilder builder_;
};

TEST_F(BuilderTest, WithdrawAndReannounceMoveTheCount) {
  Rib("rrc00");
  builder_.BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0));
  // Two of three peers withdraw the upper half at 00:01; it comes back at 00:07 (next bin).
  builder_.Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 60, "192.0.2.1", "10.0.128.0/17"));
  builder_.Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 61, "192.0.2.2", "10.0.128.0/17"));
  FileOutcome a = builder_.FinishFile();
  ASSERT_EQ(a.bins.size(), 1u);
  EXPECT_EQ(a.bins[0].counts[0], 128);
  builder_.BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0 + 300));
  builder_.Record(Rec(RouteRecord::Kind::kAnnounce, kT0 + 420, "192.0.2.1", "10.0.128.0/17"));
  FileOutcome b = builder_.FinishFile();
  ASSERT_EQ(b.bins.size(), 1u);
  EXPECT_EQ(b.bins[0].t, kT0 + 300);
  EXPECT_EQ(b.bins[0].counts[0], 256);
}

TEST_F(BuilderTest, PeerResetDoesNotDipWhileOthersCarryThePrefixes) {
  Rib("rrc00");
  builder_.BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0));
  builder_.Record(State(kT0 + 10, "192.0.2.1", 1));  // leaves ESTABLISHED: table void
  FileOutcome a = builder_.FinishFile();
  EXPECT_EQ(a.bins[0].counts[0], 256);
  EXPECT_EQ(model_.PeerPrefixCount(0), 0);
  EXPECT_EQ(model_.LastSummary().full_feed_peers, 2);
  builder_.BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0 + 300));
  builder_.Record(State(kT0 + 310, "192.0.2.1", 6));
  builder_.Record(Rec(RouteRecord::Kind::kAnnounce, kT0 + 311, "192.0.2.1", "10.0.0.0/17"));
  FileOutcome b = builder_.FinishFile();
  EXPECT_EQ(b.bins[0].counts[0], 256);
}

TEST_F(BuilderTest, CollectorGapLeavesBinsMissingAndRecordsSplitBins) {
  Rib("rrc00");
  // Files at 00:00 and 00:15: bins 00:05 and 00:10 have no data.
  builder_.BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0));
  EXPECT_EQ(builder_.FinishFile().bins.size(), 1u);
  builder_.BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0 + 900));
  builder_.Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 901, "192.0.2.1", "10.0.0.0/17"));
  builder_.Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 902, "192.0.2.2", "10.0.0.0/17"));
  // A record in the next bin: 00:15 is emitted before it applies, 00:20 gets the rest.
  builder_.Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 1200, "192.0.2.1", "10.0.128.0/17"));
  builder_.Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 1201, "192.0.2.2", "10.0.128.0/17"));
  FileOutcome o = builder_.FinishFile();
  ASSERT_EQ(o.bins.size(), 2u);
  EXPECT_EQ(o.bins[0].t, kT0 + 900);
  EXPECT_EQ(o.bins[0].counts[0], 128);
  EXPECT_EQ(o.bins[1].t, kT0 + 1200);
  // Peers 1 and 2 now carry nothing, so they are no longer full-feed: peer 3 alone decides.
  EXPECT_EQ(o.bins[1].counts[0], 256);
  EXPECT_EQ(model_.LastSummary().full_feed_peers, 1);
}

TEST_F(BuilderTest, RouteViewsFilesCoverThreeBins) {
  Rib("route-views2");
  builder_.BeginFile(File("route-views2", MrtFileKind::kUpdates, kT0));
  FileOutcome o = builder_.FinishFile();
  ASSERT_EQ(o.bins.size(), 3u);
  EXPECT_EQ(o.bins[2].t, kT0 + 600);
}

TEST_F(BuilderTest, StateRoundTripsThroughBytes) {
  Rib("rrc00");
  builder_.BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0));
  builder_.Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 60, "192.0.2.1", "10.0.128.0/17"));
  builder_.FinishFile();
  auto saved = builder_.SaveState([&](std::string& out) { model_.SaveTables(out); });
  ASSERT_TRUE(saved.ok());

  VisibilityModel model2(Options(), &world_);
  BgpSignalBuilder builder2(model2);
  ASSERT_TRUE(builder2.LoadState(*saved, [&](std::string_view b) { return model2.LoadTables(b); }).ok());
  EXPECT_TRUE(builder2.HasCollector("rrc00"));
  EXPECT_EQ(builder2.CollectorLastTime("rrc00"), kT0 + 299);
  // The same peer (same address) must map to the same table after the reload.
  for (BgpSignalBuilder* b : {&builder_, &builder2}) {
    b->BeginFile(File("rrc00", MrtFileKind::kUpdates, kT0 + 300));
    b->Record(Rec(RouteRecord::Kind::kWithdraw, kT0 + 301, "192.0.2.2", "10.0.128.0/17"));
  }
  FileOutcome a = builder_.FinishFile();
  FileOutcome b = builder2.FinishFile();
  EXPECT_EQ(a.bins[0].counts, b.bins[0].counts);
  EXPECT_EQ(a.bins[0].counts[0], 128);
}

TEST_F(BuilderTest, NewRibReplacesTheCollectorsTables) {
  Rib("rrc00");
  builder_.BeginFile(File("rrc00", MrtFileKind::kRib, kT0 + 3600));
  for (const char* peer : {"192.0.2.1", "192.0.2.2"}) {
    builder_.Record(Rec(RouteRecord::Kind::kRib, kT0 + 3600, peer, "10.0.0.0/24"));
  }
  FileOutcome o = builder_.FinishFile();
  EXPECT_EQ(o.bins[0].counts[0], 1);
  EXPECT_EQ(model_.PeerPrefixCount(2), 0);  // absent from the new RIB
}

}  // namespace
}  // namespace vigil::signals
