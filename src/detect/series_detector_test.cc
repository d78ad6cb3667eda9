// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <random>

#include "detect/detect.h"
#include "detect/test_util.h"

namespace vigil::detect {
namespace {

using testing::kDay;
using testing::kT0;
using testing::MakeSamples;

// Flat 1000 routed /24s with ±2 noise.
std::function<std::optional<double>(UnixSeconds)> Flat(double level, double noise, unsigned seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [=](UnixSeconds) -> std::optional<double> {
    std::uniform_real_distribution<double> d(-noise, noise);
    return std::round(level + d(*rng));
  };
}

TEST(SeriesDetector, FullOutageStartsAndEndsOnTheBin) {
  SeriesDetector d(DefaultParams("bgp", 300), 7);
  auto base = Flat(1000, 2, 1);
  const UnixSeconds start = kT0 + kDay + 10 * 3600, end = start + 3 * 3600;
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 3 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                auto v = base(t);
                                return t >= start && t < end ? std::optional<double>(3) : v;
                              }));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].start_t, start);
  EXPECT_EQ(runs[0].end_t, end);
  EXPECT_EQ(runs[0].worst, AlertLevel::kCritical);
  EXPECT_EQ(runs[0].bins, 36);
  EXPECT_NEAR(runs[0].depth, 0.997, 0.003);
  // Score = Σ drop% × minutes = 36 bins × ~99.7 % × 5 min.
  EXPECT_NEAR(runs[0].score, 36 * 5 * 99.7, 36 * 5 * 0.5);
  ASSERT_EQ(d.alerts().size(), 2u);
  EXPECT_EQ(d.alerts()[0].level, AlertLevel::kCritical);
  EXPECT_EQ(d.alerts()[0].condition, "< 0.5");
  EXPECT_EQ(d.alerts()[0].t, start);
  EXPECT_NEAR(d.alerts()[0].baseline, 1000, 2);
  EXPECT_EQ(d.alerts()[1].level, AlertLevel::kNormal);
  EXPECT_EQ(d.alerts()[1].t, end);
}

TEST(SeriesDetector, ARunIsSplitWhereItsDropStepsToAnotherLevel) {
  // 1000 blocks; a block of everything for 2 h, then 30 % for 3 h (part of the order lifted), then back.
  SeriesDetector d(DefaultParams("ping-slash24", 600), 3);
  const UnixSeconds start = kT0 + 3 * kDay + 6 * 3600, step = start + 2 * 3600, end = step + 3 * 3600;
  std::mt19937 rng(5);
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 4 * kDay, 600, [&](UnixSeconds t) -> std::optional<double> {
                                const double noise = static_cast<double>(rng() % 7) - 3;
                                if (t == start + 3600) return 400.0;  // one noisy bin inside the blackout: not a step
                                if (t >= start && t < step) return 0.0;
                                if (t >= step && t < end) return 700 + noise;
                                return 1000 + noise;
                              }));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].start_t, start);
  EXPECT_EQ(runs[0].end_t, step);
  EXPECT_EQ(runs[1].start_t, step);
  EXPECT_EQ(runs[1].end_t, end);
  EXPECT_TRUE(runs[0].split && runs[1].split);
  EXPECT_NEAR(runs[1].mean_depth, 0.3, 0.01);
  EXPECT_GT(runs[0].mean_depth, 0.9);
  for (const SeriesRun& run : runs) EXPECT_TRUE(RunIsEvent(run, d.params()));
}

TEST(SeriesDetector, LatencyStepsAreRecorded) {
  SeriesDetector d(DefaultParams("rtt-p50", 600), 3);
  const UnixSeconds up = kT0 + 2 * kDay + 12 * 3600, down = up + 6 * 3600;
  std::mt19937 rng(6);
  testing::RunAll(d, MakeSamples(kT0, kT0 + 3 * kDay, 600, [&](UnixSeconds t) -> std::optional<double> {
                    const double noise = static_cast<double>(rng() % 11) / 10 - 0.5;  // ±0.5 ms around 60 ms
                    return (t >= up && t < down ? 70.0 : 60.0) + noise;
                  }));
  std::vector<UnixSeconds> ups, downs;
  for (const LevelStep& s : d.steps()) (s.ratio > 1 ? ups : downs).push_back(s.t);
  ASSERT_FALSE(ups.empty());
  ASSERT_FALSE(downs.empty());
  for (UnixSeconds t : ups) EXPECT_LE(std::llabs(t - up), 600);
  for (UnixSeconds t : downs) EXPECT_LE(std::llabs(t - down), 600);
}

TEST(SeriesDetector, PartialDropIsAWarning) {
  SeriesDetector d(DefaultParams("bgp", 300), 1);
  const UnixSeconds start = kT0 + kDay + 3600, end = start + 7200;
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 2 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                return t >= start && t < end ? 700.0 : 1000.0;
                              }));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].worst, AlertLevel::kWarning);
  EXPECT_NEAR(runs[0].depth, 0.3, 1e-9);
  EXPECT_EQ(d.alerts()[0].condition, "< 0.99");
}

TEST(SeriesDetector, InpaintingKeepsALongOutageOpenPastTheWindow) {
  // Without inpainting a 24 h median would adopt the outage after 12 h and declare recovery.
  SeriesDetector d(DefaultParams("bgp", 300), 1);
  const UnixSeconds start = kT0 + kDay, end = start + 2 * kDay;
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 4 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                return t >= start && t < end ? 100.0 : 1000.0;
                              }));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].start_t, start);
  EXPECT_EQ(runs[0].end_t, end);
}

TEST(SeriesDetector, InpaintingGivesUpAfterMaxDuration) {
  DatasourceParams p = DefaultParams("bgp", 300);
  p.inpaint_max_s = 6 * 3600;
  SeriesDetector d(p, 1);
  const UnixSeconds start = kT0 + kDay;
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 4 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                return t >= start ? 100.0 : 1000.0;
                              }));
  ASSERT_EQ(runs.size(), 1u);
  // After 6 h the level shift enters history; the 24 h median crosses at 6 h + 12 h.
  EXPECT_NEAR(static_cast<double>(runs[0].end_t - start), 18 * 3600.0, 600.0);
}

TEST(SeriesDetector, NoiseBelowThresholdsNeverAlerts) {
  SeriesDetector d(DefaultParams("ping-slash24", 600), 1);
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 10 * kDay, 600, Flat(400, 40, 3)));  // ±10 %
  EXPECT_TRUE(runs.empty());
  EXPECT_TRUE(d.alerts().empty());
}

TEST(SeriesDetector, MissingBinsDoNotAlert) {
  SeriesDetector d(DefaultParams("bgp", 300), 1);
  const UnixSeconds gap = kT0 + kDay + 5 * 3600;
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 3 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                if (t >= gap && t < gap + 3 * 3600) return std::nullopt;
                                return 1000.0;
                              }));
  EXPECT_TRUE(runs.empty());
  EXPECT_TRUE(d.alerts().empty());
}

TEST(SeriesDetector, AnOutageAcrossMissingBinsStaysOneRun) {
  SeriesDetector d(DefaultParams("bgp", 300), 1);
  const UnixSeconds start = kT0 + kDay, end = start + 4 * 3600;
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 2 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                if (t >= start + 3600 && t < start + 2 * 3600) return std::nullopt;
                                return t >= start && t < end ? 0.0 : 1000.0;
                              }));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].start_t, start);
  EXPECT_EQ(runs[0].end_t, end);
}

TEST(SeriesDetector, WarmUpAndMinimumBaselineSuppressAlerts) {
  SeriesDetector early(DefaultParams("bgp", 300), 1);
  // Drop 30 min after the first bin: still warming up.
  auto runs = testing::RunAll(early, MakeSamples(kT0, kT0 + kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                return t >= kT0 + 1800 && t < kT0 + 3000 ? 0.0 : 1000.0;
                              }));
  EXPECT_TRUE(runs.empty());
  SeriesDetector tiny(DefaultParams("bgp", 300), 1);
  runs = testing::RunAll(tiny, MakeSamples(kT0, kT0 + 2 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                           return t >= kT0 + kDay && t < kT0 + kDay + 7200 ? 0.0 : 15.0;  // below the minimum of 20
                         }));
  EXPECT_TRUE(runs.empty());
}

TEST(SeriesDetector, OneNormalBinInsideAnOutageIsBridged) {
  SeriesDetector d(DefaultParams("bgp", 300), 1);
  const UnixSeconds start = kT0 + kDay;
  auto runs = testing::RunAll(d, MakeSamples(kT0, kT0 + 2 * kDay, 300, [&](UnixSeconds t) -> std::optional<double> {
                                if (t == start + 3600) return 1000.0;                       // one normal bin: bridged
                                if (t == start + 7200 || t == start + 7500) return 1000.0;  // two: the run closes
                                return t >= start && t < start + 3 * 3600 ? 0.0 : 1000.0;
                              }));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].start_t, start);
  EXPECT_EQ(runs[0].end_t, start + 7200);
  EXPECT_EQ(runs[1].start_t, start + 7800);
  EXPECT_EQ(runs[1].end_t, start + 3 * 3600);
}

TEST(SeriesDetector, ThrottlingRaisesLatencyAndLoss) {
  const UnixSeconds start = kT0 + 3 * kDay + 16 * 3600, end = start + 4 * 3600;
  SeriesDetector rtt(DefaultParams("rtt-p50", 600), 1);
  auto runs = testing::RunAll(rtt, MakeSamples(kT0, kT0 + 5 * kDay, 600, [&](UnixSeconds t) -> std::optional<double> {
                                return t >= start && t < end ? 900.0 : 40.0 + static_cast<double>(t / 600 % 7);
                              }));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].start_t, start);
  EXPECT_EQ(runs[0].end_t, end);
  EXPECT_GT(runs[0].depth, 15);
  SeriesDetector loss(DefaultParams("loss", 600), 1);
  runs = testing::RunAll(loss, MakeSamples(kT0, kT0 + 5 * kDay, 600, [&](UnixSeconds t) -> std::optional<double> {
                           return t >= start && t < end ? 0.31 : 0.01;
                         }));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].worst, AlertLevel::kCritical);
  EXPECT_NEAR(runs[0].depth, 0.30, 1e-9);
}

TEST(SeriesDetector, LateBinsAreIgnored) {
  SeriesDetector d(DefaultParams("bgp", 300), 1);
  d.Push(kT0, 1000);
  d.Push(kT0 + 600, 1000);
  BinVerdict late = d.Push(kT0 + 300, 0);
  EXPECT_FALSE(late.baseline.has_value());
  EXPECT_EQ(d.last_t(), kT0 + 600);
}

}  // namespace
}  // namespace vigil::detect
