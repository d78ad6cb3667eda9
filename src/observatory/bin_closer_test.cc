// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <chrono>

#include "observatory/observatory.h"

namespace vigil::observatory {
namespace {

const UnixSeconds k10 = *ParseTime("2023-03-03T10:00:00Z");
constexpr int64_t kMin = 60;

TEST(BinCloserTest, ABinClosesWhenEveryCollectorDeliveredPastIt) {
  BinCloser closer({"rrc00", "rrc25"}, 1800);
  closer.SetDelivered("rrc00", k10 + 10 * kMin);
  closer.SetDelivered("rrc25", k10 + 5 * kMin);
  auto first = closer.AdvanceTo(k10 + 12 * kMin);
  EXPECT_EQ(first.closed_until, k10 + 5 * kMin);
  EXPECT_EQ(first.bins_closed, 0);  // a first frontier re-opens nothing before it
  closer.SetDelivered("rrc25", k10 + 10 * kMin);
  auto next = closer.AdvanceTo(k10 + 13 * kMin);
  EXPECT_EQ(next.closed_until, k10 + 10 * kMin);
  EXPECT_EQ(next.bins_closed, 1);
  EXPECT_EQ(next.bins_closed_by_deadline, 0);
  EXPECT_TRUE(next.missing.empty());
}

TEST(BinCloserTest, ASilentCollectorHoldsBinsOnlyUntilTheDeadline) {
  BinCloser closer({"rrc00", "rrc25"}, 1800);
  closer.SetDelivered("rrc00", k10 + 10 * kMin);
  closer.SetDelivered("rrc25", k10 + 10 * kMin);
  closer.AdvanceTo(k10 + 11 * kMin);
  closer.SetDelivered("rrc00", k10 + 60 * kMin);
  // 10:40: bins ending by 10:10 only (deadline 30 min): nothing new.
  EXPECT_EQ(closer.AdvanceTo(k10 + 40 * kMin).bins_closed, 0);
  // 10:50: bins [10:10, 10:20) have passed their deadline without rrc25.
  auto late = closer.AdvanceTo(k10 + 50 * kMin);
  EXPECT_EQ(late.closed_until, k10 + 20 * kMin);
  EXPECT_EQ(late.bins_closed, 2);
  EXPECT_EQ(late.bins_closed_by_deadline, 2);
  EXPECT_EQ(late.missing["rrc25"], 2);
  EXPECT_EQ(late.missing.count("rrc00"), 0u);
  // Never past what the fastest collector delivered.
  auto later = closer.AdvanceTo(k10 + 200 * kMin);
  EXPECT_EQ(later.closed_until, k10 + 60 * kMin);
  EXPECT_EQ(later.bins_closed, 8);
  // The frontier never moves back, and a collector catching up closes nothing twice.
  closer.SetDelivered("rrc25", k10 + 60 * kMin);
  EXPECT_EQ(closer.AdvanceTo(k10 + 61 * kMin).bins_closed, 0);
  EXPECT_EQ(closer.closed_until(), k10 + 60 * kMin);
}

TEST(BinCloserTest, NothingClosesBeforeAnyDelivery) {
  BinCloser closer({"rrc00"}, 1800);
  auto a = closer.AdvanceTo(k10);
  EXPECT_EQ(a.bins_closed, 0);
  EXPECT_EQ(a.closed_until, INT64_MIN);
}

TEST(RunClockTest, ParsesAReplayClockAndRefusesBadSpecs) {
  auto clock = RunClock::Parse("2022-01-04T00:00:00Z@600");
  ASSERT_TRUE(clock.ok()) << clock.message();
  EXPECT_TRUE(clock->replay());
  EXPECT_GE(clock->Now(), *ParseTime("2022-01-04T00:00:00Z"));
  EXPECT_LT(clock->Now(), *ParseTime("2022-01-04T01:00:00Z"));
  EXPECT_DOUBLE_EQ(clock->WallSeconds(600), 1);
  EXPECT_FALSE(RunClock::Parse("2022-01-04T00:00:00Z").ok());
  EXPECT_FALSE(RunClock::Parse("2022-01-04T00:00:00Z@0").ok());
  EXPECT_FALSE(RunClock::Parse("yesterday@2").ok());
  EXPECT_FALSE(RunClock::Parse("").value().replay());
}

TEST(RunClockTest, AtWallMapsAReceptionMomentOntoTheReplayClock) {
  // RIS Live: a connection counts from when the client received it, not from when the loop read the event.
  auto clock = RunClock::Parse("2022-01-04T00:00:00Z@600");
  ASSERT_TRUE(clock.ok());
  double wall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  UnixSeconds now = clock->Now();
  EXPECT_NEAR(double(clock->AtWall(wall)), double(now), 60);
  EXPECT_NEAR(double(clock->AtWall(wall - 2) - clock->AtWall(wall)), -1200, 1);
  RunClock real;
  EXPECT_EQ(real.AtWall(1700000000.7), 1700000000);
}

}  // namespace
}  // namespace vigil::observatory
