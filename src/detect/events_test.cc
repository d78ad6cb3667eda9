// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include "detect/detect.h"
#include "detect/test_util.h"

namespace vigil::detect {
namespace {

using testing::kT0;

SeriesRun MakeRun(const std::string& ds, int64_t entity, UnixSeconds start, UnixSeconds end, double depth,
                  double score) {
  SeriesRun r;
  r.datasource = ds;
  r.entity_id = entity;
  r.start_t = start;
  r.end_t = end;
  r.depth = depth;
  r.mean_depth = depth;
  r.score = score;
  r.bins = 3;
  r.baseline = 100;
  return r;
}

std::map<int64_t, store::Entity> Entities(std::vector<store::Entity> list) {
  std::map<int64_t, store::Entity> out;
  for (auto& e : list) out[e.id] = e;
  return out;
}

store::Entity Make(int64_t id, const std::string& type, const std::string& code, int64_t parent, int64_t s24) {
  store::Entity e;
  e.id = id;
  e.type = type;
  e.code = code;
  e.parent_id = parent;
  e.slash24_count = s24;
  return e;
}

TEST(FuseRuns, ClassifiesBySignalsThatMoved) {
  DetectOptions options;
  std::vector<SeriesRun> runs = {
      MakeRun("bgp", 1, kT0, kT0 + 3600, 0.9, 100),
      MakeRun("ping-slash24", 1, kT0 + 600, kT0 + 4200, 0.95, 50),  // withdraw
      MakeRun("ping-slash24", 2, kT0, kT0 + 3600, 1.0, 70),         // block
      MakeRun("rtt-p50", 3, kT0, kT0 + 3600, 6.0, 40),
      MakeRun("loss", 3, kT0, kT0 + 3600, 0.3, 30),  // throttle
      MakeRun("bgp", 4, kT0, kT0 + 3600, 0.3, 10),
      MakeRun("ping-slash24", 4, kT0, kT0 + 3600, 0.9, 20),  // both
  };
  auto events = FuseRuns(runs, options, {});
  ASSERT_EQ(events.size(), 5u);  // (a loss-only rise would not count: see LossAloneIsNotThrottling)
  std::map<int64_t, store::Event> by_entity;
  std::vector<std::string> entity4;
  for (auto& e : events) {
    by_entity[e.entity_id] = e;
    if (e.entity_id == 4) entity4.push_back(e.classification);
  }
  EXPECT_EQ(by_entity[1].classification, "routing+data-plane");  // a withdraw seen by both signals
  EXPECT_EQ(by_entity[1].kind, "outage");
  EXPECT_EQ(by_entity[1].start_t, kT0);
  EXPECT_EQ(by_entity[1].end_t, kT0 + 4200);
  EXPECT_EQ(by_entity[1].datasources, "bgp,ping-slash24");
  EXPECT_DOUBLE_EQ(by_entity[1].score, 100 * 50);  // product of per-datasource maxima
  EXPECT_EQ(by_entity[2].classification, "data-plane");
  EXPECT_EQ(by_entity[3].classification, "throttling");
  EXPECT_EQ(by_entity[3].kind, "throttling");
  EXPECT_DOUBLE_EQ(by_entity[3].depth, 6.0);
  // Probing fell far deeper than routing: two mechanisms, two events.
  EXPECT_EQ(entity4, (std::vector<std::string>{"data-plane", "routing"}));
}

TEST(FuseRuns, LatencyRiseInsideAnOutageIsNotThrottling) {
  DetectOptions options;
  auto events = FuseRuns(
      {MakeRun("ping-slash24", 1, kT0, kT0 + 7200, 0.9, 1), MakeRun("rtt-p50", 1, kT0 + 600, kT0 + 4000, 3, 1),
       MakeRun("rtt-p50", 2, kT0 + 7200, kT0 + 9000, 3, 1), MakeRun("ping-slash24", 2, kT0, kT0 + 7200, 0.9, 1)},
      options, {});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].entity_id, 2);
  EXPECT_EQ(events[2].classification, "throttling");  // after the outage, touching it: still throttling
}

TEST(FuseRuns, LossAloneIsNotThrottling) {
  DetectOptions options;
  EXPECT_TRUE(FuseRuns({MakeRun("loss", 1, kT0, kT0 + 3600, 0.12, 1)}, options, {}).empty());
}

TEST(FuseRuns, OpenRunKeepsEventOpenAndSeparateRunsStaySeparate) {
  DetectOptions options;
  auto events = FuseRuns({MakeRun("bgp", 1, kT0, kT0 + 600, 0.9, 1), MakeRun("bgp", 1, kT0 + 7200, 0, 0.9, 1),
                          MakeRun("ping-slash24", 1, kT0 + 9000, kT0 + 9600, 0.9, 1)},
                         options, {});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].start_t, kT0 + 7200);
  EXPECT_EQ(events[1].end_t, 0);
  EXPECT_EQ(events[1].datasources, "bgp,ping-slash24");
}

TEST(FuseRuns, BlockOnTopOfAStaircaseOfWithdrawsKeepsItsOwnTiming) {
  // Routing steps 0.66 → 0.34 at +14 h; probing shows the withdraws plus a 21 % block from +3 h to +27 h.
  DetectOptions options;
  const UnixSeconds h = 3600;
  std::vector<SeriesRun> runs = {MakeRun("bgp", 1, kT0, kT0 + 14 * h, 0.66, 1),
                                 MakeRun("bgp", 1, kT0 + 14 * h, kT0 + 30 * h, 0.34, 1),
                                 MakeRun("ping-slash24", 1, kT0, kT0 + 3 * h, 0.66, 1),
                                 MakeRun("ping-slash24", 1, kT0 + 3 * h, kT0 + 14 * h, 0.87, 1),
                                 MakeRun("ping-slash24", 1, kT0 + 14 * h, kT0 + 27 * h, 0.55, 1),
                                 MakeRun("ping-slash24", 1, kT0 + 27 * h, kT0 + 30 * h, 0.34, 1)};
  auto events = FuseRuns(runs, options, {});
  ASSERT_EQ(events.size(), 3u);
  std::map<std::string, std::vector<std::pair<UnixSeconds, UnixSeconds>>> by_class;
  for (auto& e : events) by_class[e.classification].emplace_back(e.start_t, e.end_t);
  using Spans = std::vector<std::pair<UnixSeconds, UnixSeconds>>;
  EXPECT_EQ(by_class["data-plane"], (Spans{{kT0 + 3 * h, kT0 + 27 * h}}));  // one block across the routing step
  EXPECT_EQ(by_class["routing+data-plane"], (Spans{{kT0, kT0 + 14 * h}, {kT0 + 14 * h, kT0 + 30 * h}}));
}

TEST(AttributeThrottling, RegionWhoseLatencyStepsWithTheNetworkIsThrottledToo) {
  auto entities = Entities({Make(1, "country", "XE", 0, 1500), Make(2, "region", "XE-1", 1, 800),
                            Make(3, "region", "XE-2", 1, 700), Make(4, "asn", "64942", 0, 600)});
  const UnixSeconds start = kT0 + 12 * 3600, end = start + 6 * 3600;
  std::vector<store::Event> events = FuseRuns({MakeRun("rtt-p50", 4, start, end, 11.0, 1)}, DetectOptions{}, entities);
  std::map<int64_t, std::vector<LevelStep>> steps = {
      {2, {{start - 600, 1.08}, {start, 1.15}, {end, 0.87}}},  // both edges: throttled
      {3, {{start, 1.12}}},                                    // up only: no
      {4, {{start, 11.0}, {end, 0.09}}}};                      // the network itself: already an event
  AttributeThrottling(events, steps, 600, entities);
  ASSERT_EQ(events.size(), 2u);
  const store::Event& region = events[0].entity_id == 2 ? events[0] : events[1];
  EXPECT_EQ(region.entity_id, 2);
  EXPECT_EQ(region.classification, "throttling");
  EXPECT_EQ(region.start_t, start);
  EXPECT_EQ(region.end_t, end);
  EXPECT_NEAR(region.depth, 1.15, 1e-9);
}

TEST(RollUpRegions, CountryEventWhenHalfOfItsSlash24sAreDown) {
  DetectOptions options;
  auto entities = Entities({Make(10, "country", "KZ", 0, 1000), Make(11, "region", "KZ-ALA", 10, 400),
                            Make(12, "region", "KZ-AST", 10, 300), Make(13, "region", "KZ-SHY", 10, 300)});
  std::vector<SeriesRun> runs = {MakeRun("bgp", 11, kT0, kT0 + 7200, 1.0, 1),
                                 MakeRun("bgp", 12, kT0 + 3600, kT0 + 10800, 1.0, 1),
                                 MakeRun("bgp", 13, kT0 + 20000, kT0 + 21000, 1.0, 1)};
  auto events = FuseRuns(runs, options, entities);
  RollUpRegions(events, options, entities);
  std::vector<store::Event> country;
  for (auto& e : events) {
    if (e.entity_id == 10) country.push_back(e);
  }
  // 400 + 300 of 1000 down together only between the second region's start and the first one's end.
  ASSERT_EQ(country.size(), 1u);
  EXPECT_EQ(country[0].start_t, kT0 + 3600);
  EXPECT_EQ(country[0].end_t, kT0 + 7200);
  EXPECT_EQ(country[0].classification, "routing");
  EXPECT_NEAR(country[0].depth, 0.7, 1e-9);
  EXPECT_EQ(country[0].datasources, "rollup");
}

TEST(RollUpRegions, ExistingCountryEventIsNotDuplicated) {
  DetectOptions options;
  auto entities = Entities({Make(10, "country", "KZ", 0, 1000), Make(11, "region", "KZ-ALA", 10, 600)});
  auto events = FuseRuns({MakeRun("bgp", 11, kT0, kT0 + 7200, 1.0, 1), MakeRun("bgp", 10, kT0, kT0 + 7200, 0.6, 1)},
                         options, entities);
  RollUpRegions(events, options, entities);
  ASSERT_EQ(events.size(), 2u);
  for (auto& e : events) {
    if (e.entity_id == 10) {
      EXPECT_NE(e.detail.find("rolled_up_regions"), std::string::npos) << e.detail;
    }
  }
}

}  // namespace
}  // namespace vigil::detect
