#include <gtest/gtest.h>

#include <random>

#include "detect/detect.h"
#include "detect/test_util.h"

namespace vigil::detect {
namespace {

using testing::kDay;
using testing::kT0;

struct World {
  std::vector<store::Entity> entities;
  std::vector<Series> series;
};

// A country with three regions: a withdraw, a block, a throttle, flaps, gaps and a daily curfew.
World MakeWorld(unsigned seed) {
  World w;
  auto entity = [&](int64_t id, const char* type, const char* code, int64_t parent, int64_t s24) {
    store::Entity e;
    e.id = id;
    e.type = type;
    e.code = code;
    e.parent_id = parent;
    e.slash24_count = s24;
    e.tz = "Asia/Almaty";
    w.entities.push_back(e);
  };
  entity(1, "country", "KZ", 0, 3000);
  entity(2, "region", "KZ-ALA", 1, 1800);
  entity(3, "region", "KZ-AST", 1, 900);
  entity(4, "region", "KZ-SHY", 1, 300);
  std::mt19937 rng(seed);
  const UnixSeconds end = kT0 + 12 * kDay;
  auto down = [&](int64_t id, UnixSeconds t) {
    if (id == 2 && t >= kT0 + 2 * kDay + 11 * 3600 && t < kT0 + 3 * kDay) return 1.0;  // withdraw
    if (id == 3 && t >= kT0 + 5 * kDay + 17 * 3600 && t < kT0 + 10 * kDay + 2 * 3600) {
      int64_t hour = (t + 6 * 3600) % kDay / 3600;  // daily, 23:00–07:00 local
      return hour >= 23 || hour < 7 ? 1.0 : 0.0;
    }
    return 0.0;
  };
  for (int64_t id = 1; id <= 4; ++id) {
    const double s24 = static_cast<double>(w.entities[static_cast<size_t>(id - 1)].slash24_count);
    Series bgp{"bgp", 300, id, {}}, ping{"ping-slash24", 600, id, {}}, rtt{"rtt-p50", 600, id, {}};
    for (UnixSeconds t = kT0; t < end; t += 300) {
      std::optional<double> v;
      if (!(t >= kT0 + 4 * kDay && t < kT0 + 4 * kDay + 3 * 3600)) {  // collector gap
        double lost = id == 1 ? (down(2, t) * 1800 + down(3, t) * 900) / s24 : down(id, t);
        v = std::round(s24 * (1 - lost)) - (rng() % 50 == 0 ? 4 : 0);  // flaps
      }
      bgp.samples.push_back({t, v});
      if (t % 600 == 0) {
        double lost = id == 1 ? (down(2, t) * 1800 + down(3, t) * 900) / s24 : down(id, t);
        bool blocked = id == 4 && t >= kT0 + 7 * kDay && t < kT0 + 7 * kDay + 5 * 3600;
        ping.samples.push_back({t, std::round(0.3 * s24 * (1 - lost) * (blocked ? 0.05 : 1)) + rng() % 5});
        bool throttled = id == 3 && t >= kT0 + kDay * 3 + 16 * 3600 && t < kT0 + 3 * kDay + 20 * 3600;
        rtt.samples.push_back({t, throttled ? 900.0 : 30.0 + rng() % 10});
      }
    }
    w.series.push_back(bgp);
    w.series.push_back(ping);
    w.series.push_back(rtt);
  }
  return w;
}

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
  EXPECT_TRUE(find(2, "routing", kT0 + 2 * kDay + 11 * 3600));
  EXPECT_TRUE(find(1, "routing", kT0 + 2 * kDay + 11 * 3600));  // 60 % of the country: its own bgp drops
  EXPECT_TRUE(find(4, "data-plane", kT0 + 7 * kDay));
  EXPECT_TRUE(find(3, "throttling", kT0 + 3 * kDay + 16 * 3600));
  ASSERT_EQ(r.schedules.size(), 2u);  // the curfew shows in the region and in its country (30 %)
  for (auto& s : r.schedules) {
    EXPECT_EQ(s.on_start_min, 7 * 60);
    EXPECT_EQ(s.on_end_min, 23 * 60);
  }
  for (auto& e : r.events) {
    // Nothing from the collector gap nor from single-bin flaps.
    EXPECT_FALSE(e.start_t >= kT0 + 4 * kDay && e.start_t < kT0 + 4 * kDay + 4 * 3600) << e.start_t;
  }
  int expected = 2 /*withdraw: region + country*/ + 1 /*block*/ + 1 /*throttle*/ + 2 * 5 /*curfew nights*/;
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
