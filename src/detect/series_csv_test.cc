// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include "detect/detect.h"

namespace vigil::detect {
namespace {

TEST(ParseSeriesCsv, InfersStepSortsAndDeduplicates) {
  std::string csv =
      "entity,time,value\n"
      "region/IR-23,2022-09-21T00:30:00Z,10\n"
      "region/IR-23,1663720200,9\n"            // 00:30 again (Unix seconds): duplicate, last wins
      "region/IR-23,2022-09-21T00:00:00Z,8\n"  // out of order
      "region/IR-23,2022-09-21T01:00:00Z,7\n"
      "region/IR-23,2022-09-21T02:00:00Z,\n"  // missing
      "country/IR,2022-09-21T00:00:00Z,100\n"
      "country/IR,2022-09-21T00:30:00Z,101\n";
  Result<ImportedSeries> parsed = ParseSeriesCsv(csv, "idx.csv");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->step_s, 1800);
  EXPECT_EQ(parsed->rows, 6u);
  EXPECT_EQ(parsed->duplicates, 1u);
  EXPECT_EQ(parsed->out_of_order, 1u);
  auto& ir23 = parsed->points.at("region/IR-23");
  ASSERT_EQ(ir23.size(), 3u);
  EXPECT_EQ(ir23[0], std::make_pair(UnixSeconds{1663718400}, 8.0));
  EXPECT_EQ(ir23[1], std::make_pair(UnixSeconds{1663720200}, 9.0));
  EXPECT_EQ(ir23[2], std::make_pair(UnixSeconds{1663722000}, 7.0));
  EXPECT_EQ(parsed->points.at("country/IR").size(), 2u);
}

TEST(ParseSeriesCsv, ErrorsNameFileAndLine) {
  Result<ImportedSeries> bad = ParseSeriesCsv("region/IR-23,2022-09-21T00:00:00Z,1\nplanet/X,0,1\n", "f.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("f.csv:2:"), std::string::npos) << bad.message();
  EXPECT_FALSE(ParseSeriesCsv("region/IR-23,yesterday,1\n", "f.csv").ok());
  EXPECT_FALSE(ParseSeriesCsv("region/IR-23,0,abc\n", "f.csv").ok());
  EXPECT_FALSE(ParseSeriesCsv("region/IR-23,0\n", "f.csv").ok());
  EXPECT_FALSE(ParseSeriesCsv("entity,time,value\n", "f.csv").ok());
}

}  // namespace
}  // namespace vigil::detect
