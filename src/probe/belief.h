// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>

namespace vigil::probe {

// Trinocular's view of one /24 (Quan, Heidemann, Pradkin, SIGCOMM 2013) with trinarkular's constants.
// B = P(block up). A probe to a random ever-responsive address either gets an echo reply (positive) or
// times out (negative). Bayes' rule with
//   P(positive | up)   = A * (1 - L)          L = kPathLoss, the loss an up block's path may show anyway
//   P(negative | up)   = 1 - A * (1 - L)
//   P(positive | down) = 0                    a down block cannot answer (so a reply means up)
//   P(negative | down) = 1
// gives, after a negative,  B' = P(n|up) B / (P(n|up) B + (1 - B)),  after a positive  B' = 1;
// B' is then clamped to [kBeliefMin, kBeliefMax] so that no evidence is ever final.
enum class BlockState { kUp, kDown, kUnknown };
const char* BlockStateName(BlockState state);  // "up", "down", "unknown"

inline constexpr double kBeliefMin = 0.01;
inline constexpr double kBeliefMax = 0.99;
inline constexpr double kUpAbove = 0.9;               // B > 0.9 => up
inline constexpr double kDownBelow = 0.1;             // B < 0.1 => down
inline constexpr double kUncertain = 0.5;             // where a block lands when probing ran out while undecided
inline constexpr double kInitialBelief = kBeliefMax;  // trinarkular starts every block as up
inline constexpr double kPathLoss = 0.05;
inline constexpr int kMaxProbesPerRound = 15;  // 1 periodic + 14 adaptive (trinarkular, and the paper)
// Recovery probing of a down block stops when this many negatives in a row would leave an up block
// unnoticed with at most this probability.
inline constexpr double kRecoveryMiss = 0.05;

double ProbabilityNegativeIfUp(double availability);
double UpdateBelief(double belief, double availability, bool positive);
BlockState StateOf(double belief);

// Probes a down block gets per recovery round: the smallest n with P(negative|up)^n <= kRecoveryMiss,
// at most kMaxProbesPerRound.
int RecoveryBudget(double availability);

// Exponential back-off of recovery probing (trinarkular): a block down for r rounds (r = 1 the round
// after it went down) is probed when r <= 4, r == 8, or r is a multiple of 16.
bool RecoveryDue(int64_t rounds_down);

// One block's probing within a round. Start() says how many probes the round may use; after each result,
// Observe() updates the belief and Done() says whether to stop: a decided belief that the latest
// observation agrees with (positive and up, or negative and down) ends the round for the block, as does
// an exhausted budget (an undecided belief then becomes kUncertain).
class BlockBelief {
 public:
  explicit BlockBelief(double availability, double belief = kInitialBelief)
      : availability_(availability), belief_(belief) {}

  double belief() const { return belief_; }
  double availability() const { return availability_; }
  BlockState state() const { return StateOf(belief_); }

  // Recovery rounds of a down block use RecoveryBudget and stop only at a positive.
  void StartRound(bool recovery);
  void Observe(bool positive);
  bool Done() const { return done_; }
  int probes() const { return probes_; }
  int replies() const { return replies_; }

 private:
  double availability_;
  double belief_;
  int budget_ = kMaxProbesPerRound;
  bool recovery_ = false;
  int probes_ = 0;
  int replies_ = 0;
  bool done_ = false;
};

}  // namespace vigil::probe
