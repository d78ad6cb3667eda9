// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/belief.h"

#include <algorithm>
#include <cmath>

namespace vigil::probe {

const char* BlockStateName(BlockState state) {
  switch (state) {
    case BlockState::kUp:
      return "up";
    case BlockState::kDown:
      return "down";
    case BlockState::kUnknown:
      break;
  }
  return "unknown";
}

double ProbabilityNegativeIfUp(double availability) {
  return 1.0 - std::clamp(availability, 0.0, 1.0) * (1.0 - kPathLoss);
}

double UpdateBelief(double belief, double availability, bool positive) {
  double next;
  if (positive) {
    next = 1.0;  // P(positive | down) = 0
  } else {
    double up = ProbabilityNegativeIfUp(availability) * belief;
    next = up / (up + (1.0 - belief));
  }
  return std::clamp(next, kBeliefMin, kBeliefMax);
}

BlockState StateOf(double belief) {
  if (belief > kUpAbove) return BlockState::kUp;
  if (belief < kDownBelow) return BlockState::kDown;
  return BlockState::kUnknown;
}

int RecoveryBudget(double availability) {
  double miss = ProbabilityNegativeIfUp(availability);
  // The tolerance keeps rounding (1 - 1.0 * 0.95 is a hair above 0.05) from costing a whole probe.
  constexpr double kTolerance = 1e-9;
  if (miss <= kRecoveryMiss + kTolerance) return 1;
  int n = static_cast<int>(std::ceil(std::log(kRecoveryMiss) / std::log(miss) - kTolerance));
  return std::clamp(n, 1, kMaxProbesPerRound);
}

bool RecoveryDue(int64_t rounds_down) { return rounds_down <= 4 || rounds_down == 8 || rounds_down % 16 == 0; }

void BlockBelief::StartRound(bool recovery) {
  recovery_ = recovery;
  budget_ = recovery ? RecoveryBudget(availability_) : kMaxProbesPerRound;
  probes_ = 0;
  replies_ = 0;
  done_ = false;
}

void BlockBelief::Observe(bool positive) {
  ++probes_;
  if (positive) ++replies_;
  belief_ = UpdateBelief(belief_, availability_, positive);
  BlockState now = StateOf(belief_);
  bool settled =
      recovery_ ? positive : ((positive && now == BlockState::kUp) || (!positive && now == BlockState::kDown));
  if (settled) {
    done_ = true;
  } else if (probes_ >= budget_) {
    done_ = true;
    if (now == BlockState::kUnknown) belief_ = kUncertain;
  }
}

}  // namespace vigil::probe
