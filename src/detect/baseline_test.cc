// SPDX-License-Identifier: AGPL-3.0-or-later
#include "detect/baseline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace vigil::detect {
namespace {

// The obvious implementation: sort the window every time.
std::optional<double> SlowMedian(const std::vector<std::pair<UnixSeconds, double>>& all, UnixSeconds now,
                                 int64_t span) {
  std::vector<double> window;
  for (auto& [t, v] : all) {
    if (t >= now - span && t < now) window.push_back(v);
  }
  if (window.empty()) return std::nullopt;
  std::sort(window.begin(), window.end());
  return window[(window.size() - 1) / 2];
}

void CompareWithSlow(bool integers, unsigned seed) {
  std::mt19937 rng(seed);
  const int64_t span = 3600;
  MovingMedian median(span);
  std::vector<std::pair<UnixSeconds, double>> all;
  std::uniform_real_distribution<double> real(0, 100);
  std::uniform_int_distribution<int> small(0, 5);
  std::bernoulli_distribution missing(0.2), jump(0.01);
  double level = 50;
  for (UnixSeconds t = 0; t < 300 * 3000; t += 300) {
    if (missing(rng)) continue;  // missing bins are simply absent
    median.EvictBefore(t);
    ASSERT_EQ(median.Median(), SlowMedian(all, t, span)) << "t=" << t;
    if (jump(rng)) level = real(rng);
    double v = integers ? level + small(rng) : real(rng);
    median.Push(t, v);
    all.emplace_back(t, v);
  }
}

TEST(MovingMedian, MatchesSortedWindowOnIntegerCounts) { CompareWithSlow(true, 1); }
TEST(MovingMedian, MatchesSortedWindowOnNoisyReals) { CompareWithSlow(false, 2); }

TEST(MovingMedian, EmptyAfterLongGap) {
  MovingMedian median(600);
  median.Push(0, 5);
  median.EvictBefore(300);
  EXPECT_EQ(median.Median(), 5.0);
  median.EvictBefore(10000);
  EXPECT_FALSE(median.Median().has_value());
}

TEST(BaselineTracker, TimeOfDayUsesSameSlotOfPreviousDays) {
  DatasourceParams p = DefaultParams("ping-slash24", 600);
  BaselineTracker tracker(p);
  // Diurnal: 100 at night slots, 200 during the day; after 3 days the same-slot median follows the shape.
  auto value = [](UnixSeconds t) { return (t % 86400) < 43200 ? 100.0 : 200.0; };
  for (UnixSeconds t = 0; t < 4 * 86400; t += 600) {
    auto expected = tracker.Expected(t);
    if (t >= 3 * 86400) {
      ASSERT_TRUE(expected.has_value());
      EXPECT_EQ(*expected, value(t)) << t;
    }
    tracker.Append(t, value(t));
  }
}

}  // namespace
}  // namespace vigil::detect
