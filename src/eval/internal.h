// SPDX-License-Identifier: AGPL-3.0-or-later
// Helpers shared by the two scorers of module eval (eval.cc: lenient, strict.cc: strict); not part of the
// module's interface.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "eval/eval.h"

namespace vigil::eval::internal {

void ScoreSchedules(const Truth& truth, const std::vector<DetectedSchedule>& schedules, int& truth_count, int& found,
                    std::optional<double>& error_p50);
std::optional<double> MedianOf(std::vector<double> values);
std::string CellText(const std::optional<double>& value, int decimals);
void PutJson(std::ostringstream& out, const char* key, const std::optional<double>& value, int decimals);
// "withdraw", "block", "throttle" or "other".
std::string KindOf(const std::string& classification);

}  // namespace vigil::eval::internal
