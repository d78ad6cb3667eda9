// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/hitlist.h"

#include <gtest/gtest.h>

namespace vigil::probe {
namespace {

constexpr char kExample[] =
    "#vigil-hitlist v1 updated=1641340800\n"
    "# comment\n"
    "198.18.1.0/24\t0.875\t4\t1:f,2:7,9:8\n"
    "198.18.2.0/24\t0.500\t0\t3,4,5\n";

TEST(Hitlist, ParsesAndFormatsRoundTrip) {
  auto hitlist = ParseHitlist(kExample, "h");
  ASSERT_TRUE(hitlist.ok()) << hitlist.message();
  EXPECT_EQ(hitlist->updated, 1641340800);
  ASSERT_EQ(hitlist->blocks.size(), 2u);
  EXPECT_EQ(hitlist->blocks[0].base, 0xc6120100u);
  EXPECT_EQ(hitlist->blocks[0].hosts, (std::vector<uint8_t>{1, 2, 9}));
  EXPECT_EQ(hitlist->blocks[0].history, (std::vector<uint8_t>{0xf, 0x7, 0x8}));
  EXPECT_TRUE(hitlist->blocks[1].history.empty());
  auto again = ParseHitlist(FormatHitlist(*hitlist), "h2");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(FormatHitlist(*again), FormatHitlist(*hitlist));
}

TEST(Hitlist, ErrorsNameFileAndLine) {
  auto bad = ParseHitlist("#vigil-hitlist v1\n198.18.1.0/23\t0.5\t1\t1\n", "list.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "list.txt:2: block must be a /24");
  EXPECT_FALSE(ParseHitlist("198.18.1.0/24\t1.5\t1\t1\n", "x").ok());
  EXPECT_FALSE(ParseHitlist("198.18.1.0/24\t0.5\t1\t2,1\n", "x").ok());
  EXPECT_FALSE(ParseHitlist("198.18.1.0/24\t0.5\t1\t1:f,2\n", "x").ok());
  EXPECT_FALSE(ParseHitlist("198.18.1.0/24\t0.5\t1\t1:g\n", "x").ok());
  EXPECT_FALSE(ParseHitlist("198.18.2.0/24\t0.5\t1\t1\n198.18.1.0/24\t0.5\t1\t1\n", "x").ok());
}

CensusBlock Census(uint32_t base, std::initializer_list<int> responders) {
  CensusBlock block;
  block.base = base;
  block.probed = 256;
  for (int r : responders) block.responders[r / 64] |= uint64_t{1} << (r % 64);
  return block;
}

TEST(Hitlist, CensusBuildsAndRefreshesAvailability) {
  Hitlist empty;
  auto first = MergeCensus(empty, {Census(0xc6120100, {1, 2, 3, 200}), Census(0xc6120200, {})}, 100);
  ASSERT_EQ(first.blocks.size(), 1u);  // a silent block has no E(b)
  EXPECT_EQ(first.blocks[0].hosts, (std::vector<uint8_t>{1, 2, 3, 200}));
  EXPECT_DOUBLE_EQ(first.blocks[0].availability, 1.0);
  EXPECT_EQ(first.updated, 100);
  auto second = MergeCensus(first, {Census(0xc6120100, {1, 2, 77})}, 200);
  // Hosts 1,2: 2/2; host 3, 200: 1/2; host 77: 1/2 -> mean (1+1+0.5+0.5+0.5)/5 = 0.7
  EXPECT_EQ(second.blocks[0].hosts, (std::vector<uint8_t>{1, 2, 3, 77, 200}));
  EXPECT_NEAR(second.blocks[0].availability, 0.7, 1e-12);
  EXPECT_EQ(second.blocks[0].censuses, 2);
  // After four more silent censuses the old responders' histories empty and they leave E(b).
  Hitlist h = second;
  for (int i = 0; i < 4; ++i) h = MergeCensus(h, {Census(0xc6120100, {1})}, 300 + i);
  EXPECT_EQ(h.blocks[0].hosts, (std::vector<uint8_t>{1}));
  EXPECT_EQ(h.blocks[0].censuses, kCensusHistory);
}

TEST(Hitlist, OptOutAlwaysWins) {
  auto opt_out = OptOutList::Parse("198.18.1.0/28  # a network that asked\n\n198.18.3.7\n", "o");
  ASSERT_TRUE(opt_out.ok()) << opt_out.message();
  EXPECT_TRUE(opt_out->Contains(0xc612010f));
  EXPECT_FALSE(opt_out->Contains(0xc6120110));
  EXPECT_TRUE(opt_out->Contains(0xc6120307));
  EXPECT_FALSE(opt_out->Contains(0xc6120306));
  EXPECT_FALSE(OptOutList::Parse("198.18.1.0/33\n", "o").ok());

  Hitlist hitlist;
  for (uint32_t b : {0xc6120100u, 0xc6120200u, 0xc6120300u}) {
    HitlistBlock block;
    block.base = b;
    block.availability = b == 0xc6120200u ? 0.05 : 0.9;
    for (int h = 1; h <= 20; ++h) block.hosts.push_back(static_cast<uint8_t>(h));
    hitlist.blocks.push_back(block);
  }
  auto selection = SelectTargets(hitlist, *opt_out, Eligibility{});
  // Block 1 loses 1..15 to the opt-out (5 left < 15); block 2 has A < 0.1; block 3 loses .7 only.
  ASSERT_EQ(selection.targets.size(), 1u);
  EXPECT_EQ(selection.targets[0].base, 0xc6120300u);
  EXPECT_EQ(selection.targets[0].hosts.size(), 19u);
  EXPECT_EQ(selection.too_few_addresses, 1u);
  EXPECT_EQ(selection.low_availability, 1u);
  EXPECT_EQ(selection.opted_out_addresses, 16u);
}

TEST(Hitlist, BlocksOfCidrs) {
  auto blocks = BlocksOf({*ParseCidr("198.18.0.0/22"), *ParseCidr("198.18.1.77"), *ParseCidr("10.0.0.0/24")}, 100);
  ASSERT_TRUE(blocks.ok());
  EXPECT_EQ(*blocks, (std::vector<uint32_t>{0x0a000000, 0xc6120000, 0xc6120100, 0xc6120200, 0xc6120300}));
  EXPECT_FALSE(BlocksOf({*ParseCidr("10.0.0.0/8")}, 1000).ok());
  EXPECT_FALSE(ParseCidr("300.1.1.1").ok());
  EXPECT_FALSE(ParseCidr("1.1.1").ok());
  EXPECT_EQ(FormatBlock(0xc6120105), "198.18.1.0/24");
}

}  // namespace
}  // namespace vigil::probe
