// SPDX-License-Identifier: AGPL-3.0-or-later
#include <algorithm>
#include <limits>
#include <tuple>

#include "detect/detect.h"

namespace vigil::detect {

DatasourceParams DefaultParams(const std::string& datasource, int64_t step_s) {
  DatasourceParams p;
  p.name = datasource;
  p.step_s = step_s > 0 ? step_s : 300;
  if (datasource == "bgp" || datasource == "bgp-v6") {
    // IODA: routed /24 counts are flat (routed /48s too), so a 24 h moving median; 99 % / 50 % of it.
    p.role = SignalRole::kRouting;
    p.method = BaselineMethod::kMovingMedian;
    p.history_s = 86400;
    p.warning = 0.99;
    p.critical = 0.5;
    p.min_baseline = 20;
  } else if (datasource == "ping-slash24") {
    p.role = SignalRole::kReachability;
    p.method = BaselineMethod::kTimeOfDayMedian;
    p.history_s = 7 * 86400;
    p.warning = 0.8;
    p.critical = 0.5;
    p.min_baseline = 20;
  } else if (datasource == "rtt-p50") {
    p.role = SignalRole::kPerformance;
    p.method = BaselineMethod::kTimeOfDayMedian;
    p.history_s = 7 * 86400;
    p.condition = Condition::kRatioAbove;
    p.warning = 1.5;
    p.critical = 3.0;
    p.min_baseline = 0;
  } else if (datasource == "loss") {
    p.role = SignalRole::kPerformance;
    p.method = BaselineMethod::kTimeOfDayMedian;
    p.history_s = 7 * 86400;
    p.condition = Condition::kDeltaAbove;
    p.warning = 0.1;
    p.critical = 0.3;
    p.min_baseline = 0;
  } else {
    // Imported indices (traffic, normalised connectivity scores): no unit, so no absolute minimum.
    p.role = SignalRole::kReachability;
    p.method = BaselineMethod::kTimeOfDayMedian;
    p.history_s = 7 * 86400;
    p.warning = 0.8;
    p.critical = 0.5;
    p.min_baseline = 0;
  }
  return p;
}

const DatasourceParams& ParamsFor(DetectOptions& options, const std::string& datasource, int64_t step_s) {
  auto it = options.datasources.find(datasource);
  if (it == options.datasources.end()) {
    it = options.datasources.emplace(datasource, DefaultParams(datasource, step_s)).first;
  }
  return it->second;
}

bool RunIsEvent(const SeriesRun& run, const DatasourceParams& params) {
  const bool outage = params.condition == Condition::kRatioBelow;
  if (outage && run.mean_depth < params.min_event_depth) return false;
  if (run.split) return true;  // a split needs two bins on each side of the step: the run was long enough
  if (run.bins < params.min_event_bins) return false;
  const bool shallow = outage && run.depth < params.shallow_depth;
  return !shallow || run.bins >= params.min_shallow_event_bins;
}

Detector::Detector(DetectOptions options, std::vector<store::Entity> entities)
    : options_(std::move(options)), entities_(std::move(entities)) {}

void Detector::Feed(const std::string& datasource, int64_t step_s, int64_t entity_id,
                    const std::vector<Sample>& samples) {
  auto key = std::make_pair(datasource, entity_id);
  auto it = detectors_.find(key);
  if (it == detectors_.end()) {
    it = detectors_.emplace(key, SeriesDetector(ParamsFor(options_, datasource, step_s), entity_id)).first;
  }
  SeriesDetector& detector = it->second;
  for (const Sample& sample : samples) {
    detector.Push(sample.t, sample.value.has_value() ? *sample.value : std::numeric_limits<double>::quiet_NaN());
  }
}

std::optional<UnixSeconds> Detector::LastFed(const std::string& datasource, int64_t entity_id) const {
  auto it = detectors_.find(std::make_pair(datasource, entity_id));
  if (it == detectors_.end() || it->second.last_t() == INT64_MIN) return std::nullopt;
  return it->second.last_t();
}

DetectionResult Detector::Result() const {
  DetectionResult result;
  std::vector<SeriesRun> runs;
  for (const auto& [key, detector] : detectors_) {
    result.alerts.insert(result.alerts.end(), detector.alerts().begin(), detector.alerts().end());
    for (SeriesRun& run : detector.Runs()) {
      if (RunIsEvent(run, detector.params())) runs.push_back(std::move(run));
    }
  }
  std::sort(result.alerts.begin(), result.alerts.end(), [](const store::Alert& a, const store::Alert& b) {
    return std::tie(a.t, a.entity_id, a.datasource) < std::tie(b.t, b.entity_id, b.datasource);
  });
  std::map<int64_t, store::Entity> entities;
  for (const store::Entity& entity : entities_) entities[entity.id] = entity;
  result.events = FuseRuns(runs, options_, entities);
  std::map<int64_t, std::vector<LevelStep>> steps;
  int64_t latency_step = 0;
  for (const auto& [key, detector] : detectors_) {
    if (detector.params().condition != Condition::kRatioAbove || detector.steps().empty()) continue;
    auto& list = steps[key.second];
    list.insert(list.end(), detector.steps().begin(), detector.steps().end());
    latency_step = std::max(latency_step, detector.params().step_s);
  }
  if (!steps.empty()) AttributeThrottling(result.events, steps, latency_step, entities);
  RollUpRegions(result.events, options_, entities);
  result.schedules = InferSchedules(result.events, options_, entities);
  return result;
}

}  // namespace vigil::detect
