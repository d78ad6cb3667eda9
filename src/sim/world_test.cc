// SPDX-License-Identifier: AGPL-3.0-or-later
// The AS path generator runs once per RIB entry and is written without branches for speed; this checks it
// against the plain algorithm it replaced (kept here as the reference) over every peer and unit of a world
// with listed, synthetic ("other networks") and background holders.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "sim/scenario.h"
#include "sim/world.h"

namespace vigil::sim {
namespace {

constexpr uint32_t kTier1[] = {3356, 1299, 174, 2914, 3257, 6453, 6762, 6830, 701, 7018, 3320, 5511, 6461, 1273};
constexpr uint32_t kRegionalTransit[] = {20485, 31133, 12389, 9002, 1299, 3356, 174, 6762, 3216, 8359, 9049, 35104};

std::vector<uint32_t> ReferenceAsPath(const World& world, uint64_t seed, const Peer& peer, int unit_index, int variant,
                                      bool& had_duplicate) {
  const Unit& unit = world.units[static_cast<size_t>(unit_index)];
  uint64_t key = (static_cast<uint64_t>(peer.collector) << 40) ^ (static_cast<uint64_t>(peer.index) << 32) ^ seed;
  uint64_t h = Mix64(key, static_cast<uint64_t>(unit.origin) * 4 + static_cast<uint64_t>(variant));
  std::vector<uint32_t> tail;
  const std::vector<uint32_t>* ups = nullptr;
  if (unit.asn >= 0) {
    const AsnInfo& holder = world.asns[static_cast<size_t>(unit.asn)];
    if (holder.synthetic && !holder.upstreams.empty()) {
      tail.push_back(holder.upstreams[0]);
      int up_index = world.AsnIndex(holder.upstreams[0]);
      ups = up_index >= 0 ? &world.asns[static_cast<size_t>(up_index)].upstreams : nullptr;
    } else {
      ups = &holder.upstreams;
    }
  }
  tail.push_back(unit.origin);
  uint32_t upstream = ups && !ups->empty() ? (*ups)[h % ups->size()]
                                           : kRegionalTransit[Mix64(unit.origin, 7) % std::size(kRegionalTransit)];
  std::vector<uint32_t> hops{peer.asn};
  if (peer.asn != upstream && ((h >> 8) % 3) != 0) hops.push_back(kTier1[(h >> 12) % std::size(kTier1)]);
  hops.push_back(upstream);
  if (unit.asn < 0 && ((h >> 20) % 2) == 0)
    hops.push_back(static_cast<uint32_t>(1000 + Mix64(unit.origin, 11) % 60000));
  hops.insert(hops.end(), tail.begin(), tail.end());
  std::vector<uint32_t> path;
  for (uint32_t hop : hops) {
    if (std::find(path.begin(), path.end(), hop) == path.end()) path.push_back(hop);
  }
  had_duplicate = path.size() < hops.size();
  if (path.back() != unit.origin) path.push_back(unit.origin);
  int prepends = ((h >> 24) % 6 == 0) ? 1 + static_cast<int>((h >> 28) % 2) : 0;
  for (int i = 0; i < prepends; ++i) path.push_back(unit.origin);
  return path;
}

TEST(WorldAsPath, EqualsThePlainAlgorithmForEveryPeerAndUnit) {
  // Two countries: KZ's region is only partly held by listed ASNs (so a synthetic holder exists), and one
  // listed ASN is also a regional transit AS, so duplicates must be removed.
  auto scenario = ParseScenario(
      R"({"name":"t","start":"2022-01-03T00:00:00Z","end":"2022-01-04T00:00:00Z","seed":11,)"
      R"("countries":[{"code":"KZ","tz":"Asia/Almaty"},{"code":"XA","tz":"UTC"}],)"
      R"("regions":[{"code":"KZ-ALA","country":"KZ","slash24s":600},{"code":"XA-A","country":"XA","slash24s":300}],)"
      R"("asns":[{"asn":9198,"name":"KT","country":"KZ","regions":{"KZ-ALA":0.5},"upstreams":[1299,3356]},)"
      R"({"asn":1299,"name":"Transit","country":"XA","regions":{"XA-A":1.0}}],)"
      R"("collectors":[{"name":"rrc00","peers":30,"full_feed_peers":20},)"
      R"({"name":"rrc01","peers":8,"full_feed_peers":2}],)"
      R"("events":[]})",
      "t.json");
  ASSERT_TRUE(scenario.ok()) << scenario.message();
  auto world = World::Build(*scenario, false);
  ASSERT_TRUE(world.ok()) << world.message();
  world->AddBackground(20000, scenario->seed);
  size_t synthetic_units = 0, background_units = 0, compared = 0, deduplicated = 0;
  for (size_t u = 0; u < world->units.size(); ++u) {
    const Unit& unit = world->units[u];
    synthetic_units += unit.asn >= 0 && world->asns[static_cast<size_t>(unit.asn)].synthetic;
    background_units += unit.asn < 0;
    UnitPath unit_path = world->PathOf(static_cast<int>(u));
    for (const Peer& peer : world->peers) {
      for (int variant = 0; variant < 2; ++variant) {
        bool had_duplicate = false;
        std::vector<uint32_t> expected =
            ReferenceAsPath(*world, scenario->seed, peer, static_cast<int>(u), variant, had_duplicate);
        uint32_t path[World::kMaxAsPath];
        int len = world->AsPath(peer, unit_path, variant, path);
        ASSERT_EQ(std::vector<uint32_t>(path, path + len), expected) << "unit " << u << " peer " << peer.index;
        std::vector<uint32_t> via_vector;
        world->AsPath(peer, static_cast<int>(u), variant, via_vector);
        ASSERT_EQ(via_vector, expected);
        ++compared;
        deduplicated += had_duplicate;
      }
    }
  }
  EXPECT_GT(synthetic_units, 0u);
  EXPECT_GT(background_units, 1000u);
  EXPECT_GT(deduplicated, 0u);  // some paths had a duplicate to remove
  EXPECT_GT(compared, 500000u);
}

}  // namespace
}  // namespace vigil::sim
