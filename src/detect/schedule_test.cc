// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include "detect/detect.h"
#include "detect/test_util.h"

namespace vigil::detect {
namespace {

using testing::kDay;

store::Entity Region(int64_t id, const std::string& tz) {
  store::Entity e;
  e.id = id;
  e.type = "region";
  e.code = "DE-BE";
  e.tz = tz;
  e.slash24_count = 1000;
  return e;
}

// Daily off-window 23:00 → 07:00 Berlin time, 2022-03-23 .. 2022-03-30 (DST starts 2022-03-27), built from
// local wall-clock times so that the UTC instants shift by an hour mid-way.
std::vector<store::Event> BerlinCurfew(const TimeZone& zone) {
  std::vector<store::Event> events;
  const int64_t first = 19074;  // 2022-03-23 as days since epoch
  for (int64_t day = first; day <= first + 7; ++day) {
    auto utc_of = [&](int64_t local_day, int minute) {
      UnixSeconds guess = local_day * kDay + minute * 60;
      return guess - zone.OffsetAt(guess - 3600);  // the hour before is off the transition for these times
    };
    store::Event e;
    e.entity_id = 5;
    e.kind = "outage";
    e.classification = "routing";
    e.start_t = utc_of(day, 23 * 60);
    e.end_t = utc_of(day + 1, 7 * 60);
    events.push_back(e);
  }
  return events;
}

TEST(InferSchedules, DailyCurfewAcrossDstIsOneSchedule) {
  Result<TimeZone> zone = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(zone.ok());
  auto events = BerlinCurfew(*zone);
  ASSERT_EQ(events[0].start_t, 1648072800);  // 2022-03-23T22:00:00Z (CET)
  ASSERT_EQ(events[5].start_t, 1648501200);  // 2022-03-28T21:00:00Z (CEST)
  DetectOptions options;
  std::map<int64_t, store::Entity> entities = {{5, Region(5, "Europe/Berlin")}};
  auto schedules = InferSchedules(events, options, entities);
  ASSERT_EQ(schedules.size(), 1u);
  EXPECT_EQ(schedules[0].tz, "Europe/Berlin");
  EXPECT_EQ(schedules[0].on_start_min, 7 * 60);
  EXPECT_EQ(schedules[0].on_end_min, 23 * 60);
  EXPECT_EQ(schedules[0].first_day, "2022-03-23");
  EXPECT_EQ(schedules[0].last_day, "2022-03-30");
  EXPECT_DOUBLE_EQ(schedules[0].confidence, 1.0);
  for (auto& e : events) EXPECT_EQ(e.schedule_id, schedules[0].id);
}

TEST(InferSchedules, ReadInUtcTheWindowsDriftAndNoScheduleHoldsAllDays) {
  Result<TimeZone> zone = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(zone.ok());
  auto events = BerlinCurfew(*zone);
  DetectOptions options;
  options.schedule_tolerance_s = 600;
  std::map<int64_t, store::Entity> entities = {{5, Region(5, "")}};  // no tz: read as UTC
  auto schedules = InferSchedules(events, options, entities);
  for (auto& s : schedules) {
    int members = 0;
    for (auto& e : events) members += e.schedule_id == s.id;
    EXPECT_LT(members, 8);  // the DST shift splits the days
  }
}

TEST(InferSchedules, TwoDaysAreNotASchedule) {
  Result<TimeZone> zone = TimeZone::Load("Europe/Berlin");
  auto events = BerlinCurfew(*zone);
  events.resize(2);
  DetectOptions options;
  std::map<int64_t, store::Entity> entities = {{5, Region(5, "Europe/Berlin")}};
  EXPECT_TRUE(InferSchedules(events, options, entities).empty());
}

TEST(InferSchedules, DetectorFindsCurfewFromBgpSeries) {
  // Region in Asia/Almaty (UTC+6 in 2022), off outside 07:00–23:00 local for 5 days.
  DetectOptions options;
  store::Entity region = Region(9, "Asia/Almaty");
  Detector detector(options, {region});
  const UnixSeconds t0 = testing::kT0;  // 2022-01-03
  auto off = [&](UnixSeconds t) {
    UnixSeconds local = t + 6 * 3600;
    int64_t day = local / kDay - t0 / kDay;
    int minute = static_cast<int>(local % kDay / 60);
    // Day D (local) has its off-window from 23:00 D to 07:00 D+1, D = Jan 6 .. Jan 10.
    if (minute >= 23 * 60) return day >= 3 && day <= 7;
    if (minute < 7 * 60) return day >= 4 && day <= 8;
    return false;
  };
  detector.Feed("bgp", 300, 9, testing::MakeSamples(t0, t0 + 12 * kDay, 300, [&](UnixSeconds t) {
                  return std::optional<double>(off(t) ? 0.0 : 900.0);
                }));
  DetectionResult result = detector.Result();
  ASSERT_EQ(result.schedules.size(), 1u);
  EXPECT_EQ(result.schedules[0].on_start_min, 7 * 60);
  EXPECT_EQ(result.schedules[0].on_end_min, 23 * 60);
  EXPECT_EQ(result.schedules[0].first_day, "2022-01-06");
  EXPECT_EQ(result.schedules[0].last_day, "2022-01-10");
  ASSERT_EQ(result.events.size(), 5u);
  for (auto& e : result.events) EXPECT_EQ(e.schedule_id, 1);
}

}  // namespace
}  // namespace vigil::detect
