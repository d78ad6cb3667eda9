// SPDX-License-Identifier: AGPL-3.0-or-later
// The acceptance reference test: over the shared real MRT files, the fast VisibilityModel and the slow
// ReferenceModel (per-/24 std::set, everything recomputed) give identical values for every entity and bin,
// through the same ingest pipeline (file order, bins, peer directory, geo). Plus behaviour on real data:
// counts move with withdrawals and re-announcements; a peer reset after a real RIB does not dip.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "geo/geo.h"
#include "mrt/mrt.h"
#include "signals/signals.h"
#include "tests/signals/reference_model.h"
#include "tests/signals/test_world.h"

namespace vigil::signals {
namespace {

const std::string kMrt = std::string(VIGIL_SHARED_DIR) + "/data/mrt/";

class CapturingSink final : public SignalSink {
 public:
  struct Bin {
    std::string file;
    UnixSeconds t;
    std::vector<int64_t> counts;
  };
  Result<bool> HasInput(const std::string&) override { return false; }
  Result<std::optional<std::string>> LoadState(const std::string&) override { return std::optional<std::string>(); }
  Status CommitFile(const BgpFileCommit& c) override {
    for (const BinValues& b : c.outcome->bins) bins.push_back(Bin{c.input->name, b.t, b.counts});
    return Status::Ok();
  }
  std::vector<Bin> bins;
};

class ReferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    testing::WriteTestWorld(dir_->path() + "/geo");
    geo::OpenOptions o;
    o.geo_dir = dir_->path() + "/geo";
    o.cache_dir = "";
    auto db = geo::GeoDatabase::Open(o);
    ASSERT_TRUE(db.ok()) << db.message();
    geo_ = db->release();
  }
  static void TearDownTestSuite() {
    delete geo_;
    delete dir_;
  }

  struct Runs {
    CapturingSink fast, slow;
    RoutingModel::Summary fast_last;
  };

  // Ingests `files` with both models and checks every bin of every file is identical.
  static void ExpectIdentical(const std::vector<std::string>& files, VisibilityOptions options, Runs& runs) {
    auto inputs = DiscoverMrtInputs(files);
    ASSERT_TRUE(inputs.ok()) << inputs.message();
    GeoSlash24Counter counter(*geo_);
    VisibilityModel fast(options, &counter);
    ReferenceModel slow(options, &counter);
    auto a = RunBgpIngest(*inputs, fast, BgpIngestOptions{}, runs.fast);
    auto b = RunBgpIngest(*inputs, slow, BgpIngestOptions{}, runs.slow);
    ASSERT_TRUE(a.ok() && b.ok());
    runs.fast_last = fast.LastSummary();
    EXPECT_EQ(a->failed, 0);
    ASSERT_EQ(runs.fast.bins.size(), runs.slow.bins.size());
    ASSERT_GT(runs.fast.bins.size(), 0u);
    int64_t visible = 0;
    for (size_t i = 0; i < runs.fast.bins.size(); ++i) {
      const auto& x = runs.fast.bins[i];
      const auto& y = runs.slow.bins[i];
      ASSERT_EQ(x.t, y.t);
      ASSERT_EQ(x.file, y.file);
      ASSERT_EQ(x.counts.size(), geo_->entities().size());
      for (size_t e = 0; e < x.counts.size(); ++e) {
        ASSERT_EQ(x.counts[e], y.counts[e])
            << x.file << " bin " << x.t << " entity " << geo::EntityTypeName(geo_->entity(uint32_t(e)).type) << "/"
            << geo_->entity(uint32_t(e)).code;
        visible += x.counts[e];
      }
    }
    EXPECT_GT(visible, 0) << "nothing visible: the comparison proves little";
    std::printf(
        "  %zu bins x %zu entities identical; last bin: %lld full-feed peers, %lld visible prefixes, %lld /24s\n",
        runs.fast.bins.size(), geo_->entities().size(), (long long)fast.LastSummary().full_feed_peers,
        (long long)fast.LastSummary().visible_prefixes, (long long)fast.LastSummary().visible_slash24s);
  }

  static VisibilityOptions Fraction(double f, double visibility = 0.5) {
    VisibilityOptions o;
    o.full_feed_fraction = f;
    o.visibility = visibility;
    return o;
  }

  static testing::TempDir* dir_;
  static geo::GeoDatabase* geo_;
};

testing::TempDir* ReferenceTest::dir_ = nullptr;
geo::GeoDatabase* ReferenceTest::geo_ = nullptr;

TEST_F(ReferenceTest, RisUpdates2016) {
  Runs r;
  ExpectIdentical({kMrt + "ripe-bgpdump.updates.20160811.1600.gz"}, Fraction(0.1), r);
}

TEST_F(ReferenceTest, RisUpdates2007SeveralBinsAndOtherVisibility) {
  Runs r;
  ExpectIdentical({kMrt + "ripe-bgpdump.updates.20070211.0141.gz"}, Fraction(0.2, 0.3), r);
}

TEST_F(ReferenceTest, RisUpdatesWithStateChangesThenTableDumpV1Rib) {
  Runs r;
  ExpectIdentical({kMrt + "ripe-bgpdump.updates.20020722.2238.gz", kMrt + "ripe-bgpdump.bview.20020722.2337.gz"},
                  Fraction(0.5), r);
}

TEST_F(ReferenceTest, RouteViewsTableDumpV2Rib) {
  Runs r;
  ExpectIdentical({kMrt + "derived.pyasn.rib.20140523.0600.complete-records.gz"}, Fraction(0.5), r);
}

TEST_F(ReferenceTest, TwoRisFilesOfOneCollector) {
  Runs r;
  ExpectIdentical({kMrt + "bgpkit.rrc15.updates.20100227.1600.gz", kMrt + "bgpkit.rrc15.updates.20100227.1610.gz"},
                  Fraction(0.2), r);
}

TEST_F(ReferenceTest, TwoCollectorsInOnePeerPool) {
  Runs r;
  ExpectIdentical({kMrt + "caida.ris.rrc06.updates.1427846400.gz",
                   kMrt + "caida.routeviews.route-views.jinx.updates.1427846400.bz2"},
                  Fraction(0.2), r);
}

TEST_F(ReferenceTest, AddPathRibsAndUpdates) {
  Runs r;
  ExpectIdentical({kMrt + "ripe-bgpdump.bview.ipv4_unicast_add_path.gz", kMrt + "mrtparse.bird-mrtdump_rib.mrt",
                   kMrt + "mrtparse.bird-mrtdump_bgp.mrt"},
                  Fraction(0.3, 0.4), r);  // the two add-path peers carry disjoint halves: 50 % each
}

TEST_F(ReferenceTest, TruncatedTableDumpV1Rib) {
  Runs r;
  ExpectIdentical({kMrt + "pyasn.rib.20080501.0644_firstMB.bz2"}, Fraction(0.5), r);
}

// Real RIS updates over four bins: entities gain and lose /24s as prefixes are withdrawn and come back.
TEST_F(ReferenceTest, CountsMoveBothWaysOnRealUpdates) {
  Runs r;
  ExpectIdentical({kMrt + "ripe-bgpdump.updates.20070211.0141.gz"}, Fraction(0.2), r);
  ASSERT_GE(r.fast.bins.size(), 3u);
  int ups = 0, downs = 0;
  for (size_t i = 1; i < r.fast.bins.size(); ++i) {
    for (size_t e = 0; e < r.fast.bins[i].counts.size(); ++e) {
      ups += r.fast.bins[i].counts[e] > r.fast.bins[i - 1].counts[e];
      downs += r.fast.bins[i].counts[e] < r.fast.bins[i - 1].counts[e];
    }
  }
  std::printf("  entity-bin changes: %d up, %d down\n", ups, downs);
  EXPECT_GT(ups, 0);
  EXPECT_GT(downs, 0);
}

// A real RouteViews RIB (35 peers), then the session of the peer with the most routes drops: the other
// full-feed peers still carry its prefixes, so the signal must not dip.
TEST_F(ReferenceTest, PeerResetAfterRealRibDoesNotDip) {
  testing::TempDir tmp;
  std::string dir = tmp.path() + "/route-views2";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kMrt + "derived.pyasn.rib.20140523.0600.complete-records.gz",
                             dir + "/rib.20140523.0600.gz");
  std::map<std::pair<uint32_t, uint32_t>, int64_t> entries;  // (peer IPv4, AS) -> RIB entries
  auto read = mrt::ForEachElement(dir + "/rib.20140523.0600.gz", [&](const mrt::Element& e) {
    if (e.peer_ip.is_v4() && e.prefix.family == 4) ++entries[{e.peer_ip.V4(), e.peer_asn}];
  });
  ASSERT_TRUE(read.ok());
  auto biggest = std::max_element(entries.begin(), entries.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
  std::ofstream(dir + "/updates.20140523.0600", std::ios::binary)
      << testing::StateChangeRecord(1400824860, biggest->first.second, biggest->first.first, 6, 1);  // 06:01:00

  Runs r;
  ExpectIdentical({tmp.path()}, Fraction(0.5), r);
  ASSERT_EQ(r.fast.bins.size(), 4u);  // the RIB's bin, then 06:00, 06:05, 06:10 of the 15-minute updates file
  int64_t before = 0, after = 0;
  for (size_t e = 0; e < geo_->entities().size(); ++e) {
    if (geo_->entity(uint32_t(e)).type != geo::EntityType::kCountry) continue;
    before += r.fast.bins.front().counts[e];
    after += r.fast.bins.back().counts[e];
  }
  std::printf(
      "  visible /24s in countries: %lld before the reset, %lld after (peer with %lld of %zu peers' entries void)\n",
      (long long)before, (long long)after, (long long)biggest->second, entries.size());
  ASSERT_GT(before, 0);
  EXPECT_GE(double(after), 0.995 * double(before));
  EXPECT_LE(after, before);
}

}  // namespace
}  // namespace vigil::signals
