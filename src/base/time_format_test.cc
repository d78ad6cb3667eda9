// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include "base/time_format.h"

namespace vigil {
namespace {

TEST(TimeFormatTest, ParsesEveryAcceptedForm) {
  EXPECT_EQ(*ParseTime("2022-01-05T11:00:00Z"), 1641380400);
  EXPECT_EQ(*ParseTime("2022-01-05T17:00:00+06:00"), 1641380400);
  EXPECT_EQ(*ParseTime("2022-01-05T11:00:00.250Z"), 1641380400);
  EXPECT_EQ(*ParseTime("2022-01-05T11:00Z"), 1641380400);
  EXPECT_EQ(*ParseTime("2022-01-05"), 1641340800);
  EXPECT_EQ(*ParseTime("1641380400"), 1641380400);
  EXPECT_EQ(*ParseTime("0"), 0);
}

TEST(TimeFormatTest, RejectsMalformedWithTheText) {
  for (const char* bad : {"", "2022-13-01", "2022-01-05T11:00:00", "yesterday", "2022-01-05T25:00:00Z", "12a"}) {
    auto parsed = ParseTime(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.message().find("bad time"), std::string::npos);
    }
  }
}

TEST(TimeFormatTest, FormatsAndBins) {
  EXPECT_EQ(FormatRfc3339(1641380400), "2022-01-05T11:00:00Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(BinStart(1641380699, 300), 1641380400);
  EXPECT_EQ(BinStart(-1, 300), -300);
}

}  // namespace
}  // namespace vigil
