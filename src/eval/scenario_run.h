// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "base/result.h"
#include "eval/eval.h"

namespace vigil::eval {

struct ScenarioRunOptions {
  std::string scenario_path;
  std::string workdir;       // sim output, store and logs go here
  std::string vigil_binary;  // the `vigil` executable whose ingest/detect subcommands run the pipeline
};

// What happened, stage by stage; `failed_stage` is empty when every stage ran.
struct ScenarioRunResult {
  Metrics metrics;
  std::string failed_stage;  // "sim", "ingest mrt", "ingest probe", "annotations", "detect", "eval"
  std::string error;         // one line naming the stage and why
};

// sim -> `vigil ingest mrt` -> `vigil ingest probe` -> annotations -> `vigil detect` -> eval. The pipeline
// stages run as child processes of `vigil_binary` (logs in WORKDIR/logs/), so the evaluation sees exactly
// what a user's commands would produce. A stage whose subcommand this build lacks is reported as not
// available rather than skipped.
ScenarioRunResult RunScenarioEvaluation(const ScenarioRunOptions& options);

}  // namespace vigil::eval
