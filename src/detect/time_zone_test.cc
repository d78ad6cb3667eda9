#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <random>

#include "detect/detect.h"

namespace vigil::detect {
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

}  // namespace
}  // namespace vigil::detect
