// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <random>

#include "base/time_zone.h"

namespace vigil {
namespace {

// Reference: glibc's own TZ handling (localtime_r with TZ set).
int64_t GlibcOffset(const std::string& zone, UnixSeconds t) {
  setenv("TZ", (":" + zone).c_str(), 1);
  tzset();
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  localtime_r(&tt, &tm);
  return tm.tm_gmtoff;
}

TEST(TimeZone, OffsetsAgreeWithGlibc) {
  std::mt19937_64 rng(5);
  // 1950 .. 2060: past the last TZif transition the footer rule has to take over.
  std::uniform_int_distribution<int64_t> when(-631152000, 2871676800);
  for (const char* name : {"Europe/Berlin", "Asia/Almaty", "America/New_York", "Australia/Sydney", "Asia/Tehran",
                           "America/Santiago", "Africa/Casablanca", "Asia/Kolkata", "Europe/London"}) {
    Result<TimeZone> zone = TimeZone::Load(name);
    ASSERT_TRUE(zone.ok()) << zone.message();
    for (int i = 0; i < 3000; ++i) {
      UnixSeconds t = when(rng);
      ASSERT_EQ(zone->OffsetAt(t), GlibcOffset(name, t)) << name << " t=" << t;
    }
  }
  unsetenv("TZ");
}

TEST(TimeZone, LocalDayAndMinuteAcrossDst) {
  Result<TimeZone> berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  // 2022-03-26T22:00:00Z is 23:00 CET; 2022-03-27T21:00:00Z is 23:00 CEST.
  LocalTime a = ToLocal(*berlin, 1648332000), b = ToLocal(*berlin, 1648414800);
  EXPECT_EQ(a.minute, 23 * 60);
  EXPECT_EQ(b.minute, 23 * 60);
  EXPECT_EQ(b.day - a.day, 1);
  EXPECT_EQ(FormatDay(a.day), "2022-03-26");
}

TEST(TimeZone, RejectsBadNamesAndFiles) {
  EXPECT_FALSE(TimeZone::Load("../etc/passwd").ok());
  EXPECT_FALSE(TimeZone::Load("No/Such_Zone").ok());
  EXPECT_EQ(TimeZone::Load("UTC")->OffsetAt(0), 0);
}

// Local wall-clock times around both DST changes of a year: skipped times move forward, repeated times take
// their first occurrence.
TEST(TimeZone, LocalToUtcAcrossDst) {
  auto berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.message();
  const int64_t spring = DaysFromCivil(2023, 3, 26);  // 02:00 local jumps to 03:00
  EXPECT_EQ(berlin->LocalToUtc(spring * 86400 + 1 * 3600), *ParseTime("2023-03-26T00:00:00Z"));
  EXPECT_EQ(berlin->LocalToUtc(spring * 86400 + 7 * 3600), *ParseTime("2023-03-26T05:00:00Z"));
  EXPECT_EQ(berlin->LocalToUtc(spring * 86400 + 2 * 3600 + 1800), *ParseTime("2023-03-26T01:30:00Z"));
  const int64_t fall = DaysFromCivil(2023, 10, 29);  // 02:00-03:00 local happens twice
  EXPECT_EQ(berlin->LocalToUtc(fall * 86400 + 2 * 3600 + 1800), *ParseTime("2023-10-29T00:30:00Z"));
  EXPECT_FALSE(TimeZone::Parse("x", "not a tzif").ok());
}

TEST(CivilDays, ParseAndFormatRoundTrip) {
  auto day = ParseDay("2022-01-10");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, DaysFromCivil(2022, 1, 10));
  EXPECT_EQ(FormatDay(*day), "2022-01-10");
  EXPECT_EQ(FormatDay(DaysFromCivil(2024, 2, 29)), "2024-02-29");
  EXPECT_FALSE(ParseDay("2023-02-29").ok());
  EXPECT_FALSE(ParseDay("2022-1-10").ok());
  EXPECT_FALSE(ParseDay("2022-01-10x").ok());
}

}  // namespace
}  // namespace vigil
