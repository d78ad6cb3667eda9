// SPDX-License-Identifier: AGPL-3.0-or-later
// bgp-v6 acceptance: the fast VisibilityModel6 and the slow ReferenceModel6 (sets of /48s, everything
// recomputed) give identical /48 counts for every entity and bin, on the real IPv6 MRT files (route-views6
// RIB of 149,578 entries, RIS updates with IPv6, an IPv6 ADD-PATH RIB) with the real fused geo tables, and on
// simulated IPv6 update streams over a random CSV world (with a save/load of the fast tables midway).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "geo/geo.h"
#include "signals/signals.h"
#include "tests/signals/reference_model6.h"
#include "tests/signals/test_world.h"

namespace vigil::signals {
namespace {

const std::string kMrt = std::string(VIGIL_SHARED_DIR) + "/data/mrt/";

class V6Sink final : public SignalSink {
 public:
  struct Bin {
    std::string file;
    UnixSeconds t;
    std::vector<int64_t> counts;
  };
  Result<bool> HasInput(const std::string&) override { return false; }
  Result<std::optional<std::string>> LoadState(const std::string&) override { return std::optional<std::string>(); }
  Status CommitFile(const BgpFileCommit& c) override {
    if (!c.outcome_v6) return Status::NotFound("no bgp-v6 outcome");
    for (const BinValues& b : c.outcome_v6->bins) bins.push_back(Bin{c.input->name, b.t, b.counts});
    return Status::Ok();
  }
  std::vector<Bin> bins;
};

const geo::GeoDatabase& RealGeo() {
  static std::unique_ptr<geo::GeoDatabase> db;
  if (!db) {
    geo::OpenOptions o;
    o.geo_dir = VIGIL_SOURCE_DIR "/node_modules/@ip-location-db";
    o.cache_dir = VIGIL_BINARY_DIR "/geo-test-cache";
    auto opened = geo::GeoDatabase::Open(o);
    if (!opened.ok()) {
      ADD_FAILURE() << opened.message();
      std::abort();
    }
    db = std::move(opened.value());
  }
  return *db;
}

VisibilityOptions Fraction(double f, double visibility = 0.5) {
  VisibilityOptions o;
  o.full_feed_fraction = f;
  o.visibility = visibility;
  return o;
}

void ExpectIdenticalOnRealFiles(const std::vector<std::string>& files, VisibilityOptions options) {
  const geo::GeoDatabase& geo = RealGeo();
  auto inputs = DiscoverMrtInputs(files);
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  GeoSlash24Counter counter4(geo);
  GeoSlash48Counter counter6(geo);
  VisibilityModel v4a(options, &counter4), v4b(options, &counter4);
  VisibilityModel6 fast(options, &counter6);
  ReferenceModel6 slow(options, &counter6, &geo);
  V6Sink fast_sink, slow_sink;
  auto a = RunBgpIngest(*inputs, v4a, BgpIngestOptions{}, fast_sink, &fast);
  auto b = RunBgpIngest(*inputs, v4b, BgpIngestOptions{}, slow_sink, &slow);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->failed, 0);
  EXPECT_GT(a->ipv6_records, 0);
  ASSERT_EQ(fast_sink.bins.size(), slow_sink.bins.size());
  ASSERT_GT(fast_sink.bins.size(), 0u);
  int64_t visible = 0;
  for (size_t i = 0; i < fast_sink.bins.size(); ++i) {
    const auto& x = fast_sink.bins[i];
    const auto& y = slow_sink.bins[i];
    ASSERT_EQ(x.t, y.t);
    ASSERT_EQ(x.file, y.file);
    ASSERT_EQ(x.counts.size(), geo.entities().size());
    for (size_t e = 0; e < x.counts.size(); ++e) {
      ASSERT_EQ(x.counts[e], y.counts[e])
          << x.file << " bin " << x.t << " entity " << geo::EntityTypeName(geo.entity(uint32_t(e)).type) << "/"
          << geo.entity(uint32_t(e)).code;
      visible += x.counts[e];
    }
  }
  EXPECT_GT(visible, 0) << "nothing visible: the comparison proves little";
  EXPECT_EQ(fast.LastSummary().visible_slash24s, slow.LastSummary().visible_slash24s);
  std::printf(
      "  %zu bins x %zu entities identical; last bin: %lld full-feed IPv6 peers, %lld visible prefixes, "
      "%lld /48s\n",
      fast_sink.bins.size(), geo.entities().size(), (long long)fast.LastSummary().full_feed_peers,
      (long long)fast.LastSummary().visible_prefixes, (long long)fast.LastSummary().visible_slash24s);
}

TEST(Reference6Test, RouteViews6Rib) {
  ExpectIdenticalOnRealFiles({kMrt + "derived.pyasn.rib6.20151101.0600.complete-records.gz"}, Fraction(0.5));
}

TEST(Reference6Test, RouteViews6RibTruncatedAndOtherVisibility) {
  ExpectIdenticalOnRealFiles({kMrt + "pyasn.rib6.20151101.0600_firstMB.bz2"}, Fraction(0.3, 0.3));
}

TEST(Reference6Test, RisUpdatesWithIpv6) {
  ExpectIdenticalOnRealFiles({kMrt + "ripe-bgpdump.updates.20070211.0141.gz"}, Fraction(0.1));
}

// Two collectors in one pool: an IPv6 ADD-PATH RIB and RIS updates carrying IPv6.
TEST(Reference6Test, Ipv6AddPathRibWithAnotherCollectorsUpdates) {
  ExpectIdenticalOnRealFiles(
      {kMrt + "ripe-bgpdump.bview.ipv6_unicast_add_path.gz", kMrt + "ripe-bgpdump.updates.20070211.0141.gz"},
      Fraction(0.1));
}

// A random CSV world inside 2001:db8::/40 (cuts at /56), and random update streams: announcements and
// withdrawals of /36../64 prefixes (some ADD-PATH), peer resets, evaluated after every batch.
TEST(Reference6Test, SimulatedIpv6Updates) {
  testing::TempDir dir;
  std::mt19937_64 rng(22);
  std::ostringstream geo4, geo6;
  geo4 << "10.0.0.0,10.0.255.255,KZ,KZ-ALA,,,,0,0,Asia/Almaty\n";
  const char* regions[] = {"KZ-ALA", "KZ-AST", "KZ-ALM", "KZ-SHY"};
  const uint64_t base56 = uint64_t{0x20010db8} << 24;  // /56 index of 2001:db8::
  for (uint64_t at = base56; at < base56 + (256 << 8);) {
    uint64_t last = std::min(base56 + (256 << 8) - 1, at + rng() % 900);
    auto text = [](uint64_t slash56, bool end) {
      unsigned __int128 a = static_cast<unsigned __int128>(slash56) << 72;
      if (end) a |= (static_cast<unsigned __int128>(1) << 72) - 1;
      return geo::FormatIpv6(a);
    };
    if (rng() % 6 != 0) {
      geo6 << text(at, false) << "," << text(last, true) << ",KZ," << regions[rng() % 4] << ",,,,0,0,Asia/Almaty\n";
    }
    at = last + 1;
  }
  std::string world = dir.path() + "/geo";
  std::filesystem::create_directories(world);
  std::ofstream(world + "/geo-ipv4.csv") << geo4.str();
  std::ofstream(world + "/geo-ipv6.csv") << geo6.str();
  geo::OpenOptions o;
  o.geo_dir = world;
  o.cache_dir = "";
  auto db = geo::GeoDatabase::Open(o);
  ASSERT_TRUE(db.ok()) << db.message();
  GeoSlash48Counter counter(**db);

  for (double visibility : {0.5, 0.3}) {
    VisibilityOptions options = Fraction(0.4, visibility);
    auto fast = std::make_unique<VisibilityModel6>(options, &counter);
    ReferenceModel6 slow(options, &counter, db->get());
    std::vector<Ipv6Prefix> prefixes;
    for (int i = 0; i < 300; ++i) {
      uint8_t bytes[16] = {0x20, 0x01, 0x0d, 0xb8};
      for (int b = 4; b < 8; ++b) bytes[b] = uint8_t(rng());
      bytes[4] = 0;  // stay inside 2001:db8::/40
      uint8_t length = uint8_t(36 + rng() % 29);
      if (i % 50 == 0) length = 4;  // a default-like route: never counted
      prefixes.push_back(Ipv6Prefix::Make(bytes, length));
    }
    int64_t nonzero_bins = 0;
    for (int batch = 0; batch < 120; ++batch) {
      for (int k = 0; k < 40; ++k) {
        uint32_t peer = uint32_t(rng() % 6);
        const Ipv6Prefix& prefix = prefixes[rng() % prefixes.size()];
        uint32_t path = peer == 5 ? uint32_t(rng() % 3) : 0;  // peer 5 uses ADD-PATH
        if (rng() % 3 == 0) {
          fast->Withdraw(peer, prefix, path);
          slow.Withdraw(peer, prefix, path);
        } else {
          fast->Announce(peer, prefix, path);
          slow.Announce(peer, prefix, path);
        }
      }
      if (batch % 37 == 36) {
        fast->VoidPeer(uint32_t(batch % 6));
        slow.VoidPeer(uint32_t(batch % 6));
      }
      if (batch == 60) {  // the saved tables continue identically
        std::string saved;
        fast->SaveTables(saved);
        auto reloaded = std::make_unique<VisibilityModel6>(options, &counter);
        ASSERT_TRUE(reloaded->LoadTables(saved).ok());
        fast = std::move(reloaded);
      }
      std::vector<int64_t> x = fast->Evaluate(), y = slow.Evaluate();
      ASSERT_EQ(x, y) << "batch " << batch << " visibility " << visibility;
      ASSERT_EQ(fast->LastSummary().visible_slash24s, slow.LastSummary().visible_slash24s) << "batch " << batch;
      ASSERT_EQ(fast->LastSummary().full_feed_peers, slow.LastSummary().full_feed_peers) << "batch " << batch;
      for (int64_t v : x) nonzero_bins += v > 0;
    }
    EXPECT_GT(nonzero_bins, 100);
  }
}

}  // namespace
}  // namespace vigil::signals
