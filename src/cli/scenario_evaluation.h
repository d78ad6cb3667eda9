// SPDX-License-Identifier: AGPL-3.0-or-later
// Internal to the cli module: `vigil eval-scenario`'s pipeline. It runs the simulator, then the same stage
// functions the ingest and detect commands run (stages.h), in this process, then scores the store against
// the simulator's truth. It owns the order of the stages and the scenario's work folder; it does not know
// how a stage does its work, and it reads only files the simulator wrote for this run.
#pragma once

#include <optional>
#include <string>

#include "eval/eval.h"

namespace vigil::cli {

struct ScenarioRunOptions {
  std::string scenario_path;
  std::string workdir;  // sim output (WORKDIR/sim) and the store (WORKDIR/vigil.db) go here
  // Overrides the scenario's noise.scale (the calibrated noise model's multiplier; the noise sweep).
  std::optional<double> noise_scale;
};

// What happened; `failed_stage` is empty when every stage ran.
struct ScenarioRunResult {
  eval::Metrics metrics;       // lenient
  eval::StrictMetrics strict;  // the headline
  std::string failed_stage;    // "sim", "ingest mrt", "ingest probe", "annotations", "detect", "eval"
  std::string error;           // one line naming the stage and why
};

// sim -> ingest mrt -> ingest probe -> annotations -> detect -> eval, each stage the function its command runs,
// so the evaluation sees exactly what a user's commands would produce. A stage that fails has printed its
// own one-line error on stderr (as its command would); the result names the stage. The strict scores'
// latency comes from eval::ReplayFirstSeen over the store the pipeline filled.
ScenarioRunResult RunScenarioEvaluation(const ScenarioRunOptions& options);

}  // namespace vigil::cli
