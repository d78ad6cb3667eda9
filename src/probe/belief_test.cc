// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/belief.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vigil::probe {
namespace {

// Bayes from scratch: the posterior after k negatives and no positive, from prior b0, without clamping.
double PosteriorAfterNegatives(double b0, double availability, int k) {
  double p_n_up = std::pow(1.0 - availability * (1.0 - kPathLoss), k);
  return p_n_up * b0 / (p_n_up * b0 + 1.0 * (1.0 - b0));
}

TEST(Belief, NegativeUpdateIsBayesRule) {
  for (double a : {0.1, 0.3, 0.5, 0.8, 1.0}) {
    double b = 0.9;
    for (int k = 1; k <= 3; ++k) {
      b = UpdateBelief(b, a, false);
      double expected = std::clamp(PosteriorAfterNegatives(0.9, a, k), kBeliefMin, kBeliefMax);
      if (expected > kBeliefMin) {
        EXPECT_NEAR(b, expected, 1e-12) << "A=" << a << " k=" << k;
      }
    }
  }
}

TEST(Belief, PositiveMeansUpAndBeliefIsClamped) {
  EXPECT_DOUBLE_EQ(UpdateBelief(0.01, 0.2, true), kBeliefMax);
  EXPECT_DOUBLE_EQ(UpdateBelief(0.5, 1.0, true), kBeliefMax);
  double b = kBeliefMax;
  for (int i = 0; i < 50; ++i) b = UpdateBelief(b, 0.9, false);
  EXPECT_DOUBLE_EQ(b, kBeliefMin);
}

TEST(Belief, States) {
  EXPECT_EQ(StateOf(0.95), BlockState::kUp);
  EXPECT_EQ(StateOf(0.9), BlockState::kUnknown);
  EXPECT_EQ(StateOf(0.1), BlockState::kUnknown);
  EXPECT_EQ(StateOf(0.05), BlockState::kDown);
  EXPECT_STREQ(BlockStateName(BlockState::kDown), "down");
}

// The number of consecutive negatives that takes a fully-believed-up block below 0.1, found by brute force
// over the closed form, must equal what the adaptive loop does.
TEST(Belief, AdaptiveRoundStopsWhenDownIsDecided) {
  for (double a : {0.6, 0.8, 1.0}) {
    int expected = 1;
    while (PosteriorAfterNegatives(kInitialBelief, a, expected) >= kDownBelow) ++expected;
    ASSERT_LE(expected, kMaxProbesPerRound);
    BlockBelief block(a);
    block.StartRound(false);
    while (!block.Done()) block.Observe(false);
    EXPECT_EQ(block.probes(), expected) << "A=" << a;
    EXPECT_EQ(block.state(), BlockState::kDown);
  }
}

TEST(Belief, OnePositiveEndsTheRoundOfAnUpBlock) {
  BlockBelief block(0.7);
  block.StartRound(false);
  block.Observe(true);
  EXPECT_TRUE(block.Done());
  EXPECT_EQ(block.probes(), 1);
  EXPECT_EQ(block.replies(), 1);
  EXPECT_EQ(block.state(), BlockState::kUp);
}

TEST(Belief, NegativeThenPositiveStaysUpAfterTwoProbes) {
  BlockBelief block(1.0);
  block.StartRound(false);
  block.Observe(false);
  EXPECT_FALSE(block.Done());
  EXPECT_EQ(block.state(), BlockState::kUnknown);
  block.Observe(true);
  EXPECT_TRUE(block.Done());
  EXPECT_EQ(block.probes(), 2);
  EXPECT_EQ(block.state(), BlockState::kUp);
}

TEST(Belief, BudgetExhaustedWhileUndecidedGivesUncertain) {
  // A = 0.3: 15 negatives from 0.99 do not reach 0.1 (closed form), so the round ends undecided.
  ASSERT_GE(PosteriorAfterNegatives(kInitialBelief, 0.3, kMaxProbesPerRound), kDownBelow);
  ASSERT_LE(PosteriorAfterNegatives(kInitialBelief, 0.3, kMaxProbesPerRound), kUpAbove);
  BlockBelief block(0.3);
  block.StartRound(false);
  while (!block.Done()) block.Observe(false);
  EXPECT_EQ(block.probes(), kMaxProbesPerRound);
  EXPECT_DOUBLE_EQ(block.belief(), kUncertain);
  EXPECT_EQ(block.state(), BlockState::kUnknown);
}

TEST(Belief, RecoveryBudgetIsSmallestSufficient) {
  for (double a : {0.1, 0.2, 0.5, 0.9, 1.0}) {
    int n = RecoveryBudget(a);
    double miss = ProbabilityNegativeIfUp(a);
    if (n < kMaxProbesPerRound) {
      EXPECT_LE(std::pow(miss, n), kRecoveryMiss + 1e-12) << a;
    }
    if (n > 1) {
      EXPECT_GT(std::pow(miss, n - 1), kRecoveryMiss) << a;
    }
  }
}

TEST(Belief, FullyAvailableBlockRecoversWithOneProbe) { EXPECT_EQ(RecoveryBudget(1.0), 1); }

TEST(Belief, RecoveryRoundOfDownBlock) {
  BlockBelief block(0.5, kBeliefMin);
  block.StartRound(true);
  int budget = RecoveryBudget(0.5);
  for (int i = 0; i < budget; ++i) {
    ASSERT_FALSE(block.Done());
    block.Observe(false);
  }
  EXPECT_TRUE(block.Done());
  EXPECT_EQ(block.state(), BlockState::kDown);
  block.StartRound(true);
  block.Observe(false);
  block.Observe(true);
  EXPECT_TRUE(block.Done());
  EXPECT_EQ(block.state(), BlockState::kUp);
}

TEST(Belief, RecoveryBackOff) {
  std::vector<int64_t> due;
  for (int64_t r = 1; r <= 64; ++r) {
    if (RecoveryDue(r)) due.push_back(r);
  }
  EXPECT_EQ(due, (std::vector<int64_t>{1, 2, 3, 4, 8, 16, 32, 48, 64}));
}

}  // namespace
}  // namespace vigil::probe
