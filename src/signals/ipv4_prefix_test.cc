// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/ipv4_prefix.h"

#include <gtest/gtest.h>

namespace vigil::signals {
namespace {

TEST(Ipv4PrefixTest, ParsesAndClearsHostBits) {
  auto p = ParseIpv4Prefix("11.13.0.0/13");
  ASSERT_TRUE(p);
  EXPECT_EQ(FormatIpv4Prefix(*p), "11.8.0.0/13");
  EXPECT_EQ(p->network, (11u << 24) | (8u << 16));
  EXPECT_EQ(p->Last(), (11u << 24) | (15u << 16) | 0xffffu);
  EXPECT_FALSE(ParseIpv4Prefix("1.2.3/8"));
  EXPECT_FALSE(ParseIpv4Prefix("1.2.3.4/33"));
  EXPECT_FALSE(ParseIpv4Prefix("256.2.3.4/8"));
}

TEST(Ipv4PrefixTest, DefaultAndShorterThanSlash8NeverCount) {
  EXPECT_FALSE(ParseIpv4Prefix("0.0.0.0/0")->Counts());
  EXPECT_FALSE(ParseIpv4Prefix("10.0.0.0/7")->Counts());
  EXPECT_TRUE(ParseIpv4Prefix("10.0.0.0/8")->Counts());
  EXPECT_TRUE(ParseIpv4Prefix("10.0.0.0/25")->Counts());
  EXPECT_EQ(ParseIpv4Prefix("0.0.0.0/0")->Last(), 0xffffffffu);
  EXPECT_EQ(ParseIpv4Prefix("10.1.2.3/32")->Last(), 0x0a010203u);
  EXPECT_EQ(ParseIpv4Prefix("10.1.2.2/31")->Last(), 0x0a010203u);
}

TEST(Ipv4PrefixTest, MergedIntervalsCountWholeSlash24sOnly) {
  std::vector<AddressInterval> v;
  AddressIntervalMerger m(v);
  m.Add(0x0a000000, 0x0a00007f);  // 10.0.0.0/25
  m.Add(0x0a000080, 0x0a0000ff);  // 10.0.0.128/25: together a whole /24
  m.Add(0x0a000200, 0x0a00027f);  // 10.0.2.0/25 alone
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(EndWholeSlash24(v[0]) - FirstWholeSlash24(v[0]), 1u);
  EXPECT_EQ(EndWholeSlash24(v[1]), FirstWholeSlash24(v[1]));
}

TEST(Ipv4PrefixTest, KeyRoundTrips) {
  Ipv4Prefix p = *ParseIpv4Prefix("193.0.4.0/22");
  EXPECT_EQ(Ipv4Prefix::FromKey(p.Key()), p);
}

}  // namespace
}  // namespace vigil::signals
