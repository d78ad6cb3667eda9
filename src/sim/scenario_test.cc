// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "sim/scenario.h"
#include "sim/timeline.h"
#include "base/time_zone.h"

namespace vigil::sim {
namespace {

std::string Minimal(const std::string& extra_top, const std::string& events = "[]") {
  return R"({"name":"t","start":"2022-01-03T00:00:00Z","end":"2022-01-05T00:00:00Z","seed":1,)"
         R"("countries":[{"code":"KZ","tz":"Asia/Almaty"}],)"
         R"("regions":[{"code":"KZ-ALA","country":"KZ","slash24s":100}],)"
         R"("asns":[{"asn":9198,"name":"KT","country":"KZ","regions":{"KZ-ALA":0.6}}],)"
         R"("collectors":[{"name":"rrc00","peers":3,"full_feed_peers":2}],)"
         R"("events":)" +
         events + extra_top + "}";
}

TEST(ScenarioParse, AcceptsMinimalAndExtensions) {
  auto s = ParseScenario(Minimal(R"(,"x-note":{"anything":1})"), "t.json");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(s->regions[0].tz, "Asia/Almaty");  // inherited from the country
  EXPECT_EQ(s->round_s, 600);
}

TEST(ScenarioParse, UnknownFieldNamesItsPath) {
  auto s = ParseScenario(Minimal("", R"([{"id":"e1","kind":"withdraw","entity":"country/KZ","fractoin":0.5,)"
                                     R"("start":"2022-01-03T01:00:00Z","end":"2022-01-03T02:00:00Z"}])"),
                         "t.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("t.json: events[0].fractoin: unknown field"), std::string::npos) << s.message();
}

TEST(ScenarioParse, ErrorsNameTheField) {
  struct Case {
    std::string events, expect;
  } cases[] = {
      {R"([{"id":"e1","kind":"melt","entity":"country/KZ",)"
       R"("start":"2022-01-03T01:00:00Z","end":"2022-01-03T02:00:00Z"}])",
       "events[0].kind"},
      {R"([{"id":"e1","kind":"block","entity":"region/KZ-XXX",)"
       R"("start":"2022-01-03T01:00:00Z","end":"2022-01-03T02:00:00Z"}])",
       "events[0].entity: unknown region"},
      {R"([{"id":"e1","kind":"block","entity":"country/KZ","start":"2022-01-03T01:00:00Z"}])",
       "events[0].end: missing required field"},
      {R"([{"id":"e1","kind":"block","entity":"country/KZ",)"
       R"("daily":{"on_from":"7:00","on_to":"23:00","tz":"Asia/Almaty"},)"
       R"("first_day":"2022-01-03","last_day":"2022-01-04"}])",
       "events[0].daily.on_from: expected HH:MM"},
      {R"([{"id":"e1","kind":"block","entity":"country/KZ",)"
       R"("daily":{"on_from":"07:00","on_to":"23:00","tz":"Mars/Olympus"},)"
       R"("first_day":"2022-01-03","last_day":"2022-01-04"}])",
       "events[0].daily.tz: unknown time zone"},
      {R"([{"id":"e1","kind":"throttle","entity":"asn/9198",)"
       R"("start":"2022-01-03T01:00:00Z","end":"2022-01-03T02:00:00Z"}])",
       "events[0]: a throttle needs rtt_ms or loss"},
      {R"([{"id":"e1","kind":"withdraw","entity":"asn/1",)"
       R"("start":"2022-01-03T01:00:00Z","end":"2022-01-03T02:00:00Z"}])",
       "events[0].entity: unknown ASN"},
      {R"([{"id":"e1","kind":"withdraw","entity":"country/KZ","fraction":1.5,)"
       R"("start":"2022-01-03T01:00:00Z","end":"2022-01-03T02:00:00Z"}])",
       "events[0].fraction: value 1.5 outside"},
  };
  for (const auto& c : cases) {
    auto s = ParseScenario(Minimal("", c.events), "t.json");
    ASSERT_FALSE(s.ok()) << c.events;
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << s.message();
  }
  auto bad_noise = ParseScenario(Minimal(R"(,"noise":{"collector_gaps":[{"collector":"rrc99",)"
                                         R"("start":"2022-01-03T01:00:00Z","end":"2022-01-03T02:00:00Z"}]})"),
                                 "t.json");
  ASSERT_FALSE(bad_noise.ok());
  EXPECT_NE(bad_noise.message().find("noise.collector_gaps[0].collector: unknown collector"), std::string::npos);
  EXPECT_FALSE(ParseScenario("{", "t.json").ok());
}

TEST(DailyExpansion, OffWindowsPerLocalDay) {
  EventSpec e;
  e.id = "e4";
  e.daily = DailyWindow{7 * 60, 23 * 60, "07:00", "23:00", "Asia/Almaty"};
  e.first_day = "2022-01-10";
  e.last_day = "2022-01-12";
  auto windows = ExpandDaily(e);
  ASSERT_TRUE(windows.ok());
  ASSERT_EQ(windows->size(), 3u);
  // Almaty was UTC+6 in 2022: off from 23:00 local (17:00Z) to 07:00 local next day (01:00Z).
  EXPECT_EQ((*windows)[0].id, "e4#2022-01-10");
  EXPECT_EQ(FormatRfc3339((*windows)[0].start), "2022-01-10T17:00:00Z");
  EXPECT_EQ(FormatRfc3339((*windows)[0].end), "2022-01-11T01:00:00Z");
  EXPECT_EQ(FormatRfc3339((*windows)[2].end), "2022-01-13T01:00:00Z");
  // on_from later the same day: off 01:00-06:00 local in Berlin, across the spring DST change.
  e.daily = DailyWindow{6 * 60, 1 * 60, "06:00", "01:00", "Europe/Berlin"};
  e.first_day = "2023-03-25";
  e.last_day = "2023-03-26";
  windows = ExpandDaily(e);
  ASSERT_TRUE(windows.ok());
  EXPECT_EQ(FormatRfc3339((*windows)[0].start), "2023-03-25T00:00:00Z");  // CET
  EXPECT_EQ(FormatRfc3339((*windows)[0].end), "2023-03-25T05:00:00Z");
  EXPECT_EQ(FormatRfc3339((*windows)[1].start), "2023-03-26T00:00:00Z");  // still CET at 01:00
  EXPECT_EQ(FormatRfc3339((*windows)[1].end), "2023-03-26T04:00:00Z");    // CEST by 06:00
}

}  // namespace
}  // namespace vigil::sim
