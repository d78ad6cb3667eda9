// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <random>

#include "detect/detect.h"
#include "detect/test_util.h"

namespace vigil::detect {
namespace {

using testing::kDay;
using testing::kT0;
using testing::MakeWorld;
using testing::World;

void ExpectSame(const DetectionResult& a, const DetectionResult& b) {
  ASSERT_EQ(a.alerts.size(), b.alerts.size());
  for (size_t i = 0; i < a.alerts.size(); ++i) {
    EXPECT_EQ(a.alerts[i].t, b.alerts[i].t);
    EXPECT_EQ(a.alerts[i].entity_id, b.alerts[i].entity_id);
    EXPECT_EQ(a.alerts[i].datasource, b.alerts[i].datasource);
    EXPECT_EQ(a.alerts[i].level, b.alerts[i].level);
    EXPECT_EQ(a.alerts[i].value, b.alerts[i].value);
    EXPECT_EQ(a.alerts[i].baseline, b.alerts[i].baseline);
  }
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].entity_id, b.events[i].entity_id);
    EXPECT_EQ(a.events[i].start_t, b.events[i].start_t);
    EXPECT_EQ(a.events[i].end_t, b.events[i].end_t);
    EXPECT_EQ(a.events[i].score, b.events[i].score);
    EXPECT_EQ(a.events[i].classification, b.events[i].classification);
    EXPECT_EQ(a.events[i].detail, b.events[i].detail);
    EXPECT_EQ(a.events[i].schedule_id, b.events[i].schedule_id);
  }
  ASSERT_EQ(a.schedules.size(), b.schedules.size());
  for (size_t i = 0; i < a.schedules.size(); ++i) {
    EXPECT_EQ(a.schedules[i].on_start_min, b.schedules[i].on_start_min);
    EXPECT_EQ(a.schedules[i].on_end_min, b.schedules[i].on_end_min);
    EXPECT_EQ(a.schedules[i].first_day, b.schedules[i].first_day);
    EXPECT_EQ(a.schedules[i].last_day, b.schedules[i].last_day);
  }
}

TEST(Detector, FindsEveryKindInASyntheticWorld) {
  World w = MakeWorld(11);
  Detector detector(DetectOptions{}, w.entities);
  for (auto& s : w.series) detector.Feed(s);
  DetectionResult r = detector.Result();
  auto find = [&](int64_t entity, const std::string& classification, UnixSeconds start) {
    for (auto& e : r.events) {
      if (e.entity_id == entity && e.classification == classification && std::llabs(e.start_t - start) <= 600) {
        return true;
      }
    }
    return false;
  };
  // Withdraws: both bgp and probing drop together.
  EXPECT_TRUE(find(2, "routing+data-plane", kT0 + 2 * kDay + 11 * 3600));
  EXPECT_TRUE(find(1, "routing+data-plane", kT0 + 2 * kDay + 11 * 3600));  // 60 % of the country
  EXPECT_TRUE(find(4, "data-plane", kT0 + 7 * kDay));
  EXPECT_TRUE(find(3, "throttling", kT0 + 3 * kDay + 16 * 3600));
  EXPECT_TRUE(find(5, "throttling", kT0 + 4 * kDay + 9 * 3600));  // the mobile network
  EXPECT_TRUE(find(2, "throttling", kT0 + 4 * kDay + 9 * 3600));  // and the region where it holds 40 %
  ASSERT_EQ(r.schedules.size(), 2u);  // the curfew shows in the region and in its country (30 %)
  for (auto& s : r.schedules) {
    EXPECT_EQ(s.on_start_min, 7 * 60);
    EXPECT_EQ(s.on_end_min, 23 * 60);
  }
  for (auto& e : r.events) {
    // Nothing from the collector gap nor from single-bin flaps.
    EXPECT_FALSE(e.start_t >= kT0 + 4 * kDay && e.start_t < kT0 + 4 * kDay + 4 * 3600) << e.start_t;
  }
  int expected = 2 /*withdraw: region + country*/ + 1 /*block*/ + 1 /*throttle*/ + 2 * 5 /*curfew nights*/ +
                 2 /*mobile throttle: network + region*/;
  EXPECT_EQ(static_cast<int>(r.events.size()), expected);
}

TEST(Detector, StreamingInChunksEqualsBatch) {
  World w = MakeWorld(12);
  Detector batch(DetectOptions{}, w.entities);
  for (auto& s : w.series) batch.Feed(s);
  DetectionResult expected = batch.Result();

  // Streaming: bins arrive in random-size chunks across series, interleaved, with snapshots in between.
  Detector stream(DetectOptions{}, w.entities);
  std::mt19937 rng(3);
  std::vector<size_t> next(w.series.size(), 0);
  bool more = true;
  int snapshots = 0;
  while (more) {
    more = false;
    for (size_t i = 0; i < w.series.size(); ++i) {
      auto& samples = w.series[i].samples;
      size_t n = std::min(samples.size() - next[i], static_cast<size_t>(rng() % 40));
      std::vector<Sample> chunk(samples.begin() + static_cast<long>(next[i]),
                                samples.begin() + static_cast<long>(next[i] + n));
      stream.Feed(w.series[i].datasource, w.series[i].step_s, w.series[i].entity_id, chunk);
      next[i] += n;
      more |= next[i] < samples.size();
    }
    if (rng() % 10 == 0) {
      stream.Result();
      ++snapshots;
    }
  }
  EXPECT_GT(snapshots, 5);
  ExpectSame(expected, stream.Result());
}

}  // namespace
}  // namespace vigil::detect
