// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/entity_partition.h"

#include <gtest/gtest.h>

#include <random>

namespace vigil::signals {
namespace {

TEST(EntityPartitionTest, OverlappingLayersBecomeDisjointRanges) {
  EntityPartition::Builder b;
  uint32_t kz = b.AddEntity({"country", "KZ", "Kazakhstan", "", 0, ""});
  uint32_t ala = b.AddEntity({"region", "KZ-ALA", "Almaty", "KZ", 0, ""});
  uint32_t as = b.AddEntity({"asn", "9198", "KazTelecom", "", 0, ""});
  b.AddRange(100, 200, kz);
  b.AddRange(100, 150, ala);
  b.AddRange(140, 260, as);
  EntityPartition p = std::move(b).Build();
  ASSERT_EQ(p.ranges().size(), 4u);  // [100,140) [140,150) [150,200) [200,260)
  EXPECT_EQ(p.EntitiesOf(99).size(), 0u);
  EXPECT_EQ(p.EntitiesOf(145).size(), 3u);
  EXPECT_EQ(p.EntitiesOf(259).size(), 1u);
  EXPECT_EQ(p.EntitiesOf(260).size(), 0u);
  std::vector<int64_t> counts(3, 0);
  // Address intervals: [/24 0, /24 120) and [/24 145, /24 210) plus a partial /24 on each side.
  std::vector<AddressInterval> visible = {{0, 120 * 256 - 1}, {145 * 256 - 7, 210 * 256 + 9}};
  p.CountSlash24s(visible, counts);
  EXPECT_EQ(counts[kz], 20 + 55);
  EXPECT_EQ(counts[ala], 20 + 5);
  EXPECT_EQ(counts[as], 65);
}

// The sweep agrees with looking up every /24 on its own.
TEST(EntityPartitionTest, SweepMatchesPerSlash24Lookup) {
  std::mt19937 rng(7);
  EntityPartition::Builder b;
  for (int e = 0; e < 20; ++e) b.AddEntity({"asn", std::to_string(e), "", "", 0, ""});
  for (int i = 0; i < 300; ++i) {
    uint32_t begin = rng() % 5000;
    b.AddRange(begin, begin + 1 + rng() % 200, rng() % 20);
  }
  EntityPartition p = std::move(b).Build();
  for (int round = 0; round < 20; ++round) {
    std::vector<AddressInterval> visible;
    uint32_t at = rng() % 50 * 256;
    while (at < 5300 * 256) {
      uint32_t len = 1 + rng() % (300 * 256);
      visible.push_back({at, at + len - 1});
      at += len + 1 + rng() % (300 * 256);
    }
    std::vector<int64_t> fast(20, 0), slow(20, 0);
    p.CountSlash24s(visible, fast);
    for (const auto& v : visible) {
      for (uint64_t x = v.first >> 8; x <= (v.last >> 8); ++x) {
        if (x * 256 >= v.first && x * 256 + 255 <= v.last) {
          for (uint32_t e : p.EntitiesOf(uint32_t(x))) ++slow[e];
        }
      }
    }
    EXPECT_EQ(fast, slow);
  }
}

}  // namespace
}  // namespace vigil::signals
