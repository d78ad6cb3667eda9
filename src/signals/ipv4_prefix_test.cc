#include "signals/ipv4_prefix.h"

#include <gtest/gtest.h>

namespace vigil::signals {
namespace {

TEST(Ipv4PrefixTest, ParsesAndClearsHostBits) {
  auto p = ParseIpv4Prefix("11.13.0.0/13");
  ASSERT_TRUE(p);
  EXPECT_EQ(FormatIpv4Prefix(*p), "11.8.0.0/13");
  EXPECT_EQ(p->FirstSlash24(), (11u << 16) | (8u << 8));
  EXPECT_EQ(p->Slash24Count(), 2048u);
  EXPECT_FALSE(ParseIpv4Prefix("1.2.3/8"));
  EXPECT_FALSE(ParseIpv4Prefix("1.2.3.4/33"));
  EXPECT_FALSE(ParseIpv4Prefix("256.2.3.4/8"));
}

TEST(Ipv4PrefixTest, OnlySlash8ToSlash24CoverWholeSlash24s) {
  EXPECT_FALSE(ParseIpv4Prefix("0.0.0.0/0")->CoversSlash24s());
  EXPECT_FALSE(ParseIpv4Prefix("10.0.0.0/7")->CoversSlash24s());
  EXPECT_TRUE(ParseIpv4Prefix("10.0.0.0/8")->CoversSlash24s());
  EXPECT_TRUE(ParseIpv4Prefix("10.0.0.0/24")->CoversSlash24s());
  EXPECT_FALSE(ParseIpv4Prefix("10.0.0.0/25")->CoversSlash24s());
}

TEST(Ipv4PrefixTest, KeyRoundTrips) {
  Ipv4Prefix p = *ParseIpv4Prefix("193.0.4.0/22");
  EXPECT_EQ(Ipv4Prefix::FromKey(p.Key()), p);
}

}  // namespace
}  // namespace vigil::signals
