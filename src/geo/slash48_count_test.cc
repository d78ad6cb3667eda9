// SPDX-License-Identifier: AGPL-3.0-or-later
// The IPv6 side of the range table on a random CSV world (geo-ipv6.csv, asn-ipv6.csv): /48 assignment by
// majority and the /48 interval count, against slow, obvious per-/48 references.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>

#include "geo/geo.h"
#include "geo/geo_test_util.h"

namespace vigil::geo {
namespace {

using U128 = unsigned __int128;

// 2001:db8::/40 = /48 indices kBase48 .. kBase48 + 255.
constexpr uint64_t kBase48 = (uint64_t{0x20010db8} << 16);

std::string Slash56Address(uint64_t slash56, bool last) {
  U128 address = static_cast<U128>(slash56) << 72;
  if (last) address |= (U128{1} << 72) - 1;
  return FormatIpv6(address);
}

// Ranges of random lengths in /56 units (many cut /48s), some gaps; ASN ranges on their own cuts.
std::unique_ptr<GeoDatabase> RandomWorld6(const testing::TempDir& dir, uint32_t seed) {
  std::mt19937 rng(seed);
  std::ostringstream geo4, geo6, asn6;
  const char* regions[] = {"KZ-ALA", "KZ-AST", "KZ-ALM", "KZ-SHY", ""};
  geo4 << "10.0.0.0,10.0.255.255,KZ,KZ-ALA,,,,0,0,Asia/Almaty\n";
  uint64_t at = kBase48 << 8, end = (kBase48 + 256) << 8;  // /56 indices
  while (at < end) {
    uint64_t last = std::min(end - 1, at + rng() % 700);
    if (rng() % 5 != 0) {
      int r = static_cast<int>(rng() % 5);
      geo6 << Slash56Address(at, false) << "," << Slash56Address(last, true) << "," << (r == 4 ? "UZ" : "KZ") << ","
           << regions[r] << ",,,,0,0,Asia/Almaty\n";
    }
    at = last + 1;
  }
  at = kBase48 << 8;
  while (at < end) {
    uint64_t last = std::min(end - 1, at + rng() % 2000);
    if (rng() % 4 != 0)
      asn6 << Slash56Address(at, false) << "," << Slash56Address(last, true) << "," << 64500 + rng() % 5 << ",AS\n";
    at = last + 1;
  }
  dir.Write("geo-ipv4.csv", geo4.str());
  dir.Write("geo-ipv6.csv", geo6.str());
  dir.Write("asn-ipv6.csv", asn6.str());
  OpenOptions options;
  options.geo_dir = dir.path();
  options.cache_dir = "";
  auto db = GeoDatabase::Open(options);
  EXPECT_TRUE(db.ok()) << db.message();
  return db.ok() ? std::move(db.value()) : nullptr;
}

// The Location of a /48 the slow way: the run of equal /56 lookups holding most of it (the first on ties).
Location SlowLocation(const GeoDatabase& db, uint64_t slash48) {
  Location best, current;
  int best_count = 0, count = 0;
  for (int i = 0; i < 256; ++i) {
    Location l = db.LookupIpv6((slash48 << 16) | (static_cast<uint64_t>(i) << 8));
    if (i > 0 && l == current) {
      ++count;
    } else {
      current = l;
      count = 1;
    }
    if (count > best_count) {
      best_count = count;
      best = current;
    }
  }
  return best;
}

TEST(Slash48CountTest, MajorityAssignmentAndIntervalCountsMatchPerSlash48References) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    testing::TempDir dir;
    auto db = RandomWorld6(dir, seed);
    ASSERT_TRUE(db);
    std::vector<Location> slow(256);
    std::map<EntityId, uint64_t> entity_total;
    for (uint64_t i = 0; i < 256; ++i) {
      slow[i] = SlowLocation(*db, kBase48 + i);
      ASSERT_TRUE(db->LocateSlash48(kBase48 + i) == slow[i]) << "seed " << seed << " /48 " << i;
      for (EntityId id : {slow[i].country, slow[i].region, slow[i].asn}) {
        if (id != kNoEntity) ++entity_total[id];
      }
    }
    for (const auto& [id, n] : entity_total) EXPECT_EQ(db->entity(id).slash48_count, n) << db->entity(id).code;

    std::mt19937 rng(seed * 7);
    for (int round = 0; round < 50; ++round) {
      std::vector<Slash48Interval> intervals;
      std::vector<bool> covered(256 + 20, false);
      int n = 1 + static_cast<int>(rng() % 12);
      for (int k = 0; k < n; ++k) {
        uint64_t first = kBase48 - 10 + rng() % 276;
        uint64_t last = std::min<uint64_t>(kBase48 + 265, first + rng() % (rng() % 3 == 0 ? 120 : 6));
        intervals.push_back({first, last});
        for (uint64_t s = first; s <= last; ++s) covered[s - (kBase48 - 10)] = true;
      }
      std::map<EntityId, uint64_t> expected;
      uint64_t expected_total = 0;
      for (uint64_t s = 0; s < covered.size(); ++s) {
        if (!covered[s]) continue;
        ++expected_total;
        uint64_t slash48 = kBase48 - 10 + s;
        if (slash48 < kBase48 || slash48 >= kBase48 + 256) continue;  // unlocated space around the world
        for (EntityId id :
             {slow[slash48 - kBase48].country, slow[slash48 - kBase48].region, slow[slash48 - kBase48].asn}) {
          if (id != kNoEntity) ++expected[id];
        }
      }
      std::vector<uint64_t> counts;
      EXPECT_EQ(db->CountSlash48s(intervals, &counts), expected_total);
      for (EntityId id = 0; id < counts.size(); ++id) {
        uint64_t want = expected.count(id) ? expected[id] : 0;
        ASSERT_EQ(counts[id], want) << "seed " << seed << " round " << round << " entity " << db->entity(id).code;
      }
    }
  }
}

TEST(Slash48CountTest, CsvWorldIpv6LookupsAndEmptyIpv6Side) {
  testing::TempDir dir;
  dir.Write("geo-ipv4.csv", "10.0.0.0,10.0.255.255,KZ,KZ-ALA,,,,0,0,Asia/Almaty\n");
  dir.Write("geo-ipv6.csv", "2001:db8::,2001:db8:ff:ffff:ffff:ffff:ffff:ffff,KZ,KZ-AST,,Astana,,0,0,Asia/Almaty\n");
  dir.Write("asn-ipv6.csv", "2001:db8::,2001:db8:0:ffff:ffff:ffff:ffff:ffff,9198,JSC Kazakhtelecom\n");
  OpenOptions options;
  options.geo_dir = dir.path();
  options.cache_dir = "";
  auto db = GeoDatabase::Open(options);
  ASSERT_TRUE(db.ok()) << db.message();
  auto info = (*db)->Lookup("2001:db8::1");
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_EQ(info->country, "KZ");
  EXPECT_EQ(info->region, "KZ-AST");
  EXPECT_EQ(info->asn, 9198u);
  EXPECT_EQ(info->geo_source, "csv-world");
  EXPECT_EQ((*db)->entity((*db)->FindEntity(EntityType::kRegion, "KZ-AST")).slash48_count, 256u);
  EXPECT_EQ((*db)->entity((*db)->FindEntity(EntityType::kAsn, "9198")).slash48_count, 1u);
  EXPECT_EQ((*db)->coverage_ipv6().located_slash24s, 256u);

  testing::TempDir plain;
  plain.Write("geo-ipv4.csv", "10.0.0.0,10.0.255.255,KZ,KZ-ALA,,,,0,0,Asia/Almaty\n");
  options.geo_dir = plain.path();
  auto v4_only = GeoDatabase::Open(options);
  ASSERT_TRUE(v4_only.ok()) << v4_only.message();
  auto none = (*v4_only)->Lookup("2001:db8::1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);
  std::vector<uint64_t> counts;
  std::vector<Slash48Interval> everything = {{0, (uint64_t{1} << 48) - 1}};
  EXPECT_EQ((*v4_only)->CountSlash48s(everything, &counts), uint64_t{1} << 48);
  for (uint64_t c : counts) EXPECT_EQ(c, 0u);
}

}  // namespace
}  // namespace vigil::geo
