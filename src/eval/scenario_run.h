// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "eval/eval.h"
#include "store/store.h"

namespace vigil::eval {

struct ScenarioRunOptions {
  std::string scenario_path;
  std::string workdir;       // sim output, store and logs go here
  std::string vigil_binary;  // the `vigil` executable whose ingest/detect subcommands run the pipeline
  // Overrides the scenario's noise.scale (the calibrated noise model's multiplier; the noise sweep).
  std::optional<double> noise_scale;
};

// What happened, stage by stage; `failed_stage` is empty when every stage ran.
struct ScenarioRunResult {
  Metrics metrics;           // lenient
  StrictMetrics strict;      // the headline
  std::string failed_stage;  // "sim", "ingest mrt", "ingest probe", "annotations", "detect", "eval"
  std::string error;         // one line naming the stage and why
};

// sim -> `vigil ingest mrt` -> `vigil ingest probe` -> annotations -> `vigil detect` -> eval. The pipeline
// stages run as child processes of `vigil_binary` (logs in WORKDIR/logs/), so the evaluation sees exactly
// what a user's commands would produce. A stage whose subcommand this build lacks is reported as not
// available rather than skipped.
// The strict scores' latency comes from ReplayFirstSeen over the store the pipeline filled.
ScenarioRunResult RunScenarioEvaluation(const ScenarioRunOptions& options);

// Replays the store's series in time order through a streaming detector, as `vigil detect --follow --settle 1`
// sees them when every input is ingested the moment its period ends (an MRT update file or probing round
// covering [t, t + step) at t + step): at data time T, each series has every bin b with b + 2 steps <= T.
// Every 5 data-minutes the detector's result is taken, and each event (entity, classification, start) is
// recorded with the first T at which it was reported. Ingest is causal (a bin's value depends only on inputs
// up to its end), so replaying the stored series is replaying the inputs.
Result<std::vector<FirstSeen>> ReplayFirstSeen(store::Store& store, UnixSeconds from, UnixSeconds until);

}  // namespace vigil::eval
