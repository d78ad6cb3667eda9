// SPDX-License-Identifier: AGPL-3.0-or-later
// The interval queries against slow, obvious per-/24 references on a random CSV world.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "geo/geo.h"
#include "geo/geo_test_util.h"

namespace vigil::geo {
namespace {

// A random world inside 10.0.0.0/14 (1024 /24s): ranges of random lengths, some cutting /24s, some gaps.
std::unique_ptr<GeoDatabase> RandomWorld(const testing::TempDir& dir, uint32_t seed) {
  std::mt19937 rng(seed);
  std::ostringstream geo, asn;
  const char* regions[] = {"KZ-ALA", "KZ-AST", "KZ-ALM", "KZ-SHY", ""};
  const char* tzs[] = {"Asia/Almaty", "Asia/Aqtobe", ""};
  uint32_t at = 0x0A000000u, end = 0x0A040000u;
  while (at < end) {
    uint32_t length = 1 + rng() % 1500;
    uint32_t last = std::min(end - 1, at + length - 1);
    if (rng() % 5 != 0) {
      int r = static_cast<int>(rng() % 5);
      geo << FormatIpv4(at) << "," << FormatIpv4(last) << "," << (r == 4 ? "UZ" : "KZ") << "," << regions[r]
          << ",,,,0,0," << tzs[rng() % 3] << "\n";
    }
    at = last + 1;
  }
  at = 0x0A000000u;
  while (at < end) {
    uint32_t last = std::min(end - 1, at + static_cast<uint32_t>(rng() % 4000));
    if (rng() % 4 != 0) asn << FormatIpv4(at) << "," << FormatIpv4(last) << "," << 64500 + rng() % 7 << ",AS\n";
    at = last + 1;
  }
  dir.Write("geo-ipv4.csv", geo.str());
  dir.Write("asn-ipv4.csv", asn.str());
  OpenOptions options;
  options.geo_dir = dir.path();
  options.cache_dir = "";
  auto db = GeoDatabase::Open(options);
  EXPECT_TRUE(db.ok()) << db.message();
  return db.ok() ? std::move(db.value()) : nullptr;
}

// The obvious reference: mark every address the intervals cover, then count each /24 whose 256 addresses
// are all marked under the entity its majority rule gives, computed here from per-address lookups.
std::map<EntityId, uint32_t> SlowCounts(const GeoDatabase& db, const std::vector<Ipv4Interval>& intervals,
                                        uint64_t* total) {
  const uint32_t base = 0x09FF0000u, size = 0x60000u;  // 9.255.0.0 .. 10.4.255.255
  std::vector<bool> covered(size, false);
  for (const Ipv4Interval& interval : intervals) {
    for (uint64_t a = interval.first; a <= interval.last; ++a) covered[a - base] = true;
  }
  std::map<EntityId, uint32_t> counts;
  *total = 0;
  for (uint32_t block = 0; block < size / 256; ++block) {
    bool all = true;
    for (uint32_t i = 0; i < 256 && all; ++i) all = covered[block * 256 + i];
    if (!all) continue;
    ++*total;
    // Majority: the Location held by the most addresses, ties to the one met first.
    std::vector<std::pair<Location, int>> votes;
    for (uint32_t i = 0; i < 256; ++i) {
      Location l = db.LookupIpv4(base + block * 256 + i);
      if (!votes.empty() && votes.back().first == l) {
        ++votes.back().second;
      } else {
        votes.push_back({l, 1});
      }
    }
    auto best = votes.begin();
    for (auto it = votes.begin(); it != votes.end(); ++it) {
      if (it->second > best->second) best = it;
    }
    for (EntityId id : {best->first.country, best->first.region, best->first.asn}) {
      if (id != kNoEntity) ++counts[id];
    }
  }
  return counts;
}

TEST(Slash24CountTest, MatchesPerSlash24Reference) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    testing::TempDir dir;
    auto db = RandomWorld(dir, seed);
    ASSERT_TRUE(db);
    std::mt19937 rng(seed * 7919);
    std::vector<Ipv4Interval> intervals;
    for (int i = 0; i < 300; ++i) {
      int length = 14 + static_cast<int>(rng() % 15);  // /14 .. /28: nested, overlapping, more-specific
      uint32_t address = 0x0A000000u + static_cast<uint32_t>(rng() % 0x40000u);
      intervals.push_back(PrefixInterval(address, length));
      if (rng() % 4 == 0) {  // arbitrary (non-prefix) ranges too, some just touching the previous one
        uint32_t first = 0x0A000000u + static_cast<uint32_t>(rng() % 0x40000u);
        intervals.push_back({first, first + static_cast<uint32_t>(rng() % 3000)});
        intervals.push_back(
            {intervals.back().last + 1, intervals.back().last + 1 + static_cast<uint32_t>(rng() % 300)});
      }
    }
    intervals.push_back({0x09FF0000u, 0x09FFFFFFu});  // outside every range
    uint64_t slow_total = 0;
    auto slow = SlowCounts(*db, intervals, &slow_total);

    std::vector<uint32_t> counts;
    uint64_t total = db->CountSlash24s(intervals, &counts);
    EXPECT_EQ(total, slow_total) << "seed " << seed;
    ASSERT_EQ(counts.size(), db->entities().size());
    for (EntityId id = 0; id < counts.size(); ++id) {
      uint32_t expected = slow.count(id) ? slow[id] : 0;
      EXPECT_EQ(counts[id], expected) << "seed " << seed << " entity " << db->entity(id).code;
    }

    // The incremental form: each merged piece reported on its own sums to the same counts.
    std::vector<Ipv4Interval> sorted = intervals;
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::vector<Ipv4Interval> merged;
    for (const auto& i : sorted) {
      if (!merged.empty() && static_cast<uint64_t>(i.first) <= static_cast<uint64_t>(merged.back().last) + 1) {
        merged.back().last = std::max(merged.back().last, i.last);
      } else {
        merged.push_back(i);
      }
    }
    std::vector<uint32_t> incremental(db->entities().size(), 0);
    uint64_t incremental_total = 0;
    for (const auto& m : merged) {
      incremental_total += db->ForEachEntitySlash24s(m, [&](EntityId id, uint32_t n) { incremental[id] += n; });
    }
    EXPECT_EQ(incremental_total, total);
    EXPECT_EQ(incremental, counts);
  }
}

TEST(Slash24CountTest, EntityTotalsEqualWholeSpaceQuery) {
  testing::TempDir dir;
  auto db = RandomWorld(dir, 11);
  ASSERT_TRUE(db);
  std::vector<uint32_t> counts;
  Ipv4Interval everything{0, 0xFFFFFFFFu};
  EXPECT_EQ(db->CountSlash24s({&everything, 1}, &counts), 1u << 24);
  for (EntityId id = 0; id < counts.size(); ++id) EXPECT_EQ(counts[id], db->entity(id).slash24_count);
  EXPECT_EQ(db->CountSlash24s({}, &counts), 0u);
}

}  // namespace
}  // namespace vigil::geo
