// SPDX-License-Identifier: AGPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "detect/baseline.h"
#include "detect/detect.h"

namespace vigil::detect {
namespace {

std::string FormatThreshold(const char* op, double value) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%s %g", op, value);
  return buffer;
}

}  // namespace

SeriesDetector::SeriesDetector(DatasourceParams params, int64_t entity_id)
    : params_(std::move(params)), entity_id_(entity_id), baseline_(std::make_unique<BaselineTracker>(params_)) {
  // Formatted once: a flapping small entity changes level often, and each change is an alert.
  const char* op = params_.condition == Condition::kRatioBelow   ? "<"
                   : params_.condition == Condition::kRatioAbove ? ">="
                                                                 : ">= +";
  warning_condition_ = FormatThreshold(op, params_.warning);
  critical_condition_ = FormatThreshold(op, params_.critical);
}
SeriesDetector::~SeriesDetector() = default;
SeriesDetector::SeriesDetector(SeriesDetector&&) noexcept = default;
SeriesDetector& SeriesDetector::operator=(SeriesDetector&&) noexcept = default;

double SeriesDetector::DropPercent(double value, double baseline) const {
  double high = std::max(std::fabs(value), std::fabs(baseline));
  if (high <= 0) return 0;
  return std::fabs(baseline - value) / high * 100.0;
}

BinVerdict SeriesDetector::Push(UnixSeconds t, std::optional<double> value) {
  return Push(t, value.has_value() ? *value : std::numeric_limits<double>::quiet_NaN());
}

BinVerdict SeriesDetector::Push(UnixSeconds t, double v) {
  BinVerdict verdict;
  verdict.t = t;
  verdict.level = level_;
  if (t <= last_t_) return verdict;  // late or repeated bin: the past is not rewritten
  last_t_ = t;
  if (!std::isfinite(v)) return verdict;  // missing: neither evidence of an outage nor of recovery
  verdict.value = v;
  if (first_t_ == INT64_MIN) first_t_ = t;
  if (params_.condition == Condition::kRatioAbove && params_.step_window_bins > 0) TrackSteps(t, v);

  std::optional<double> expected = baseline_->Expected(t);
  const bool warm = t - first_t_ >= params_.warmup_s;
  const bool ratio = params_.condition != Condition::kDeltaAbove;
  const bool usable = expected && warm && *expected >= params_.min_baseline && (!ratio || *expected > 0);
  AlertLevel level = AlertLevel::kNormal;
  if (usable) {
    const double e = *expected;
    verdict.baseline = e;
    switch (params_.condition) {
      case Condition::kRatioBelow:
        level = v < params_.critical * e  ? AlertLevel::kCritical
                : v < params_.warning * e ? AlertLevel::kWarning
                                          : AlertLevel::kNormal;
        break;
      case Condition::kRatioAbove:
        level = v >= params_.critical * e  ? AlertLevel::kCritical
                : v >= params_.warning * e ? AlertLevel::kWarning
                                           : AlertLevel::kNormal;
        break;
      case Condition::kDeltaAbove:
        level = v - e >= params_.critical  ? AlertLevel::kCritical
                : v - e >= params_.warning ? AlertLevel::kWarning
                                           : AlertLevel::kNormal;
        break;
    }
  }

  // Inpainting: an outage must not become its own baseline; after inpaint_max_s accept the new level.
  double feed = v;
  if (usable) {
    const double e = *expected;
    const bool outlier =
        ratio ? (v < params_.inpaint_low * e || v > params_.inpaint_high * e) : level != AlertLevel::kNormal;
    if (outlier) {
      if (!inpaint_since_) inpaint_since_ = t;
      if (t - *inpaint_since_ < params_.inpaint_max_s) feed = e;
    } else {
      inpaint_since_.reset();
    }
  }
  baseline_->Append(t, feed);

  if (level != level_) {
    store::Alert alert;
    alert.datasource = params_.name;
    alert.entity_id = entity_id_;
    alert.t = t;
    alert.level = level;
    alert.value = v;
    alert.baseline = expected.value_or(0);
    alert.method = params_.method == BaselineMethod::kTimeOfDayMedian ? "tod-median" : "median";
    if (level == AlertLevel::kNormal) {
      alert.condition = "normal";
    } else {
      alert.condition = level == AlertLevel::kCritical ? critical_condition_ : warning_condition_;
    }
    alerts_.push_back(std::move(alert));
    level_ = level;
  }
  verdict.level = level;

  if (level != AlertLevel::kNormal) {
    const double e = *expected;
    RunBin bin;
    bin.t = t;
    bin.value = v;
    bin.baseline = e;
    bin.level = level;
    bin.depth = params_.condition == Condition::kRatioBelow   ? (e - v) / e
                : params_.condition == Condition::kRatioAbove ? v / e
                                                              : v - e;
    pending_normal_.reset();
    AddRunBin(bin);
  } else if (open_) {
    if (pending_normal_) {
      CloseRun();
    } else {
      pending_normal_ = t;
    }
  }
  return verdict;
}

void SeriesDetector::TrackSteps(UnixSeconds t, double value) {
  const size_t k = static_cast<size_t>(params_.step_window_bins);
  recent_.emplace_back(t, value);
  if (recent_.size() > 2 * k) recent_.erase(recent_.begin());
  if (recent_.size() < 2 * k) return;
  // Both halves must be nearly contiguous: a step across a long gap is not a step at a known time.
  if (recent_.back().first - recent_.front().first > static_cast<int64_t>(2 * k + 1) * params_.step_s) return;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];
  };
  std::vector<double> before, after;
  for (size_t i = 0; i < k; ++i) before.push_back(recent_[i].second);
  for (size_t i = k; i < 2 * k; ++i) after.push_back(recent_[i].second);
  const double b = median(before), a = median(after);
  if (b <= 0 || a <= 0) return;
  const double ratio = a / b;
  if (ratio >= params_.step_ratio || ratio <= 1 / params_.step_ratio) steps_.push_back({recent_[k].first, ratio});
}

bool SeriesDetector::IsStep(double from_depth, double to_depth) const {
  const double change = std::fabs(to_depth - from_depth);
  return change >= params_.split_step && change >= params_.split_relative * std::max(from_depth, to_depth);
}

void SeriesDetector::AddToSegment(const RunBin& bin) {
  if (!open_) {
    open_ = true;
    run_ = SeriesRun{};
    run_.datasource = params_.name;
    run_.entity_id = entity_id_;
    run_.start_t = bin.t;
    run_.baseline = bin.baseline;
    run_.extreme_value = bin.value;
    depth_sum_ = 0;
  }
  ++run_.bins;
  if (bin.level == AlertLevel::kCritical) run_.worst = AlertLevel::kCritical;
  run_.score += DropPercent(bin.value, bin.baseline) * static_cast<double>(params_.step_s) / 60.0;
  run_.depth = std::max(run_.depth, bin.depth);
  depth_sum_ += bin.depth;
  run_.mean_depth = depth_sum_ / run_.bins;
  run_.extreme_value = params_.condition == Condition::kRatioBelow ? std::min(run_.extreme_value, bin.value)
                                                                   : std::max(run_.extreme_value, bin.value);
}

// Level steps inside a run: a bin whose drop differs from the segment's mean by a step is held as a
// candidate; the next bin confirms it (also a step away from the segment, on the same side, and close to the
// candidate) or not (then the candidate was noise and joins the segment). A confirmed step closes the segment
// at the candidate's bin and opens the next one there. A segment of one bin is not split off (the first bin
// of an outage is often a partial bin); it takes the new level instead.
void SeriesDetector::AddRunBin(const RunBin& bin) {
  const bool splitting = params_.condition == Condition::kRatioBelow && params_.split_step > 0;
  if (!open_ || !splitting) {
    AddToSegment(bin);
    return;
  }
  const double level = run_.mean_depth;
  if (!IsStep(level, bin.depth)) {
    if (step_candidate_) AddToSegment(*step_candidate_);
    step_candidate_.reset();
    AddToSegment(bin);
    return;
  }
  if (!step_candidate_) {
    step_candidate_ = bin;
    return;
  }
  const RunBin candidate = *step_candidate_;
  step_candidate_.reset();
  const bool same_side = (candidate.depth > level) == (bin.depth > level);
  if (!same_side || IsStep(candidate.depth, bin.depth)) {
    AddToSegment(candidate);
    step_candidate_ = bin;
    return;
  }
  if (run_.bins >= 2) {
    run_.end_t = candidate.t;
    run_.split = true;
    closed_.push_back(run_);
    open_ = false;
    AddToSegment(candidate);
    run_.split = true;
  } else {
    // Re-base the one-bin segment on the new level.
    const UnixSeconds start = run_.start_t;
    open_ = false;
    AddToSegment(candidate);
    run_.start_t = start;
  }
  AddToSegment(bin);
}

void SeriesDetector::CloseRun() {
  if (step_candidate_) AddToSegment(*step_candidate_);
  step_candidate_.reset();
  run_.end_t = *pending_normal_;
  closed_.push_back(run_);
  open_ = false;
  pending_normal_.reset();
}

std::optional<SeriesRun> SeriesDetector::open_run() const {
  if (!open_) return std::nullopt;
  SeriesRun run = run_;
  if (step_candidate_) {
    // An unconfirmed step counts as part of the segment, as it will if the next bin does not confirm it.
    const RunBin& c = *step_candidate_;
    ++run.bins;
    if (c.level == AlertLevel::kCritical) run.worst = AlertLevel::kCritical;
    run.score += DropPercent(c.value, c.baseline) * static_cast<double>(params_.step_s) / 60.0;
    run.depth = std::max(run.depth, c.depth);
    run.mean_depth = (depth_sum_ + c.depth) / run.bins;
    run.extreme_value = std::min(run.extreme_value, c.value);
  }
  run.end_t = pending_normal_.value_or(0);
  return run;
}

std::vector<SeriesRun> SeriesDetector::Runs() const {
  std::vector<SeriesRun> runs = closed_;
  if (auto run = open_run()) runs.push_back(*run);
  return runs;
}

void SeriesDetector::ClearOutputs() {
  alerts_.clear();
  closed_.clear();
}

}  // namespace vigil::detect
