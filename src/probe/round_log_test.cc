// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/round_log.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace vigil::probe {
namespace {

// The example of CONTRACTS.md, verbatim.
constexpr char kContractExample[] =
    "#vigil-probe-round v1 start=1641340800 round_s=600 prober=sim\n"
    "198.18.1.0/24\tup\t0.990\t3\t3\t12.1,11.8,12.4\n"
    "198.18.2.0/24\tdown\t0.010\t15\t0\t-\n"
    "198.18.3.0/24\tunknown\t0.500\t0\t0\t-\n";

TEST(RoundLog, ParsesContractExampleAndFormatsItBack) {
  auto log = ParseRoundLog(kContractExample, "x");
  ASSERT_TRUE(log.ok()) << log.message();
  EXPECT_EQ(log->start, 1641340800);
  EXPECT_EQ(log->round_s, 600);
  EXPECT_EQ(log->prober, "sim");
  ASSERT_EQ(log->blocks.size(), 3u);
  EXPECT_EQ(log->blocks[0].state, BlockState::kUp);
  EXPECT_EQ(log->blocks[0].rtts_ms, (std::vector<double>{12.1, 11.8, 12.4}));
  EXPECT_EQ(log->blocks[1].sent, 15);
  EXPECT_EQ(log->blocks[2].state, BlockState::kUnknown);
  EXPECT_EQ(FormatRoundLog(*log), kContractExample);
}

TEST(RoundLog, RejectsMalformedLines) {
  std::string header = "#vigil-probe-round v1 start=1 round_s=600 prober=t\n";
  for (const char* line : {"198.18.1.0/24\tup\t0.990\t3\t4\t1,2,3,4\n",  // replies > sent
                           "198.18.1.0/24\tup\t0.990\t3\t3\t1,2\n",      // RTT count
                           "198.18.1.0/25\tup\t0.990\t1\t1\t1\n",        // not a /24
                           "198.18.1.0/24\tsideways\t0.990\t1\t1\t1\n",  // state
                           "198.18.1.0/24\tup\t1.990\t1\t1\t1\n",        // belief
                           "198.18.1.0/24\tup\t0.990\t1\t1\n",           // columns
                           "198.18.1.0/24\tup\t0.990\t-1\t0\t-\n"}) {
    EXPECT_FALSE(ParseRoundLog(header + line, "x").ok()) << line;
  }
  EXPECT_FALSE(ParseRoundLog(header + "198.18.1.0/24\tup\t0.9\t1\t1\t1\n198.18.1.0/24\tup\t0.9\t1\t1\t1\n", "x").ok());
  auto missing = ParseRoundLog("198.18.1.0/24\tup\t0.9\t1\t1\t1\n", "f.tsv");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("f.tsv:1"), std::string::npos);
}

TEST(RoundLog, ReadsGzip) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("round-log-test-" + std::to_string(::getpid()) + ".tsv.gz")).string();
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  gzwrite(file, kContractExample, sizeof kContractExample - 1);
  gzclose(file);
  auto log = ReadRoundLog(path);
  std::remove(path.c_str());
  ASSERT_TRUE(log.ok()) << log.message();
  EXPECT_EQ(log->blocks.size(), 3u);
}

TEST(RoundLog, FileNames) {
  EXPECT_EQ(RoundLogFileName(1641340800, 600), "probe-round.20220105.0000.tsv");
  EXPECT_EQ(RoundLogFileName(1641340805, 5), "probe-round.20220105.000005.tsv");
}

}  // namespace
}  // namespace vigil::probe
