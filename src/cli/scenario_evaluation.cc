// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cli/scenario_evaluation.h"

#include <filesystem>
#include <string>

#include "base/time_format.h"
#include "cli/stages.h"
#include "sim/sim.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

struct WorkFolder {
  fs::path sim, store;
};

// The scenario's annotations, straight into the store (its entities exist once ingest has run).
Status AddScenarioAnnotations(const sim::Scenario& scenario, const std::string& store_path) {
  auto opened = store::OpenExistingStore(store_path);
  if (!opened.ok()) return opened.status();
  for (const auto& a : scenario.annotations) {
    store::Entity entity;
    entity.type = a.entity.type;
    entity.code = a.entity.code;
    auto ensured = (*opened)->EnsureEntity(entity);
    if (!ensured.ok()) return ensured.status();
    store::Annotation note;
    note.entity_id = ensured->id;
    note.start_t = a.start;
    note.end_t = a.end;
    note.kind = a.kind;
    note.text = a.text;
    note.source_url = a.source_url;
    auto added = (*opened)->AddAnnotation(note);
    if (!added.ok()) return added.status();
  }
  return Status::Ok();
}

Result<eval::Scores> ScoreAgainstTruth(const sim::Scenario& scenario, const WorkFolder& work) {
  auto truth = eval::LoadTruth((work.sim / "truth.json").string());
  if (!truth.ok()) return truth.status();
  auto opened = store::OpenExistingStore(work.store.string());
  if (!opened.ok()) return opened.status();
  auto first_seen = eval::ReplayFirstSeen(**opened, scenario.start, scenario.end);
  if (!first_seen.ok()) return first_seen.status();
  eval::StrictContext context;
  context.first_seen = std::move(*first_seen);
  return eval::ScoreStore(*truth, **opened, std::move(context));
}

}  // namespace

ScenarioRunResult RunScenarioEvaluation(const ScenarioRunOptions& options) {
  ScenarioRunResult result;
  auto fail = [&](const std::string& stage, const std::string& why) {
    result.failed_stage = stage;
    result.error = "stage '" + stage + "': " + why;
    return result;
  };
  auto stage_exit = [&](const std::string& stage, int rc) {
    return fail(stage, "exit " + std::to_string(rc) + " (its message is above)");
  };
  const fs::path workdir(options.workdir);
  const WorkFolder work{workdir / "sim", workdir / "vigil.db"};
  std::error_code ec;
  fs::create_directories(workdir, ec);
  if (ec) return fail("sim", options.workdir + ": " + ec.message());
  for (const char* stale : {"vigil.db", "vigil.db-wal", "vigil.db-shm"}) fs::remove(workdir / stale, ec);

  auto scenario = sim::LoadScenario(options.scenario_path);
  if (!scenario.ok()) return fail("sim", scenario.message());
  if (options.noise_scale) scenario->noise.scale = *options.noise_scale;
  result.metrics.scenario = scenario->name;
  auto simulated = sim::RunSimulation(*scenario, work.sim.string(), sim::SimOptions{});
  if (!simulated.ok()) return fail("sim", simulated.message());

  // The folder, not its files: ingest orders every input by time itself (RIBs first). The full-feed thresholds
  // are the ones that suit this small world, as the simulator computed them.
  IngestMrtFlags mrt;
  mrt.paths = {(work.sim / "mrt").string()};
  mrt.store = work.store.string();
  mrt.geo_dir = (work.sim / "geo").string();
  mrt.full_feed_min = simulated->full_feed_min_prefixes;
  if (simulated->full_feed_min_prefixes_v6 > 0) mrt.full_feed_min_v6 = simulated->full_feed_min_prefixes_v6;
  mrt.quiet = true;
  if (int rc = RunIngestMrt(mrt); rc != 0) return stage_exit("ingest mrt", rc);

  IngestProbeFlags probe;
  probe.paths = {(work.sim / "probe").string()};
  probe.store = work.store.string();
  probe.geo_dir = (work.sim / "geo").string();
  probe.geo_cache = (workdir / "geo-cache").string();
  probe.quiet = true;
  if (int rc = RunIngestProbe(probe); rc != 0) return stage_exit("ingest probe", rc);

  if (Status added = AddScenarioAnnotations(*scenario, work.store.string()); !added.ok()) {
    return fail("annotations", added.message());
  }

  DetectFlags detect;
  detect.store = work.store.string();
  detect.from = FormatRfc3339(scenario->start);
  detect.until = FormatRfc3339(scenario->end);
  detect.quiet = true;
  if (int rc = RunDetect(detect); rc != 0) return stage_exit("detect", rc);

  auto scores = ScoreAgainstTruth(*scenario, work);
  if (!scores.ok()) return fail("eval", scores.message());
  result.metrics = scores->lenient;
  result.strict = scores->strict;
  return result;
}

}  // namespace vigil::cli
