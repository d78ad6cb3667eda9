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

const char* LevelName(AlertLevel level) {
  switch (level) {
    case AlertLevel::kNormal:
      return "normal";
    case AlertLevel::kWarning:
      return "warning";
    case AlertLevel::kCritical:
      return "critical";
  }
  return "normal";
}

SeriesDetector::SeriesDetector(DatasourceParams params, int64_t entity_id)
    : params_(std::move(params)), entity_id_(entity_id), baseline_(std::make_unique<BaselineTracker>(params_)) {}
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
        level = v < params_.critical * e ? AlertLevel::kCritical
                : v < params_.warning * e ? AlertLevel::kWarning
                                          : AlertLevel::kNormal;
        break;
      case Condition::kRatioAbove:
        level = v >= params_.critical * e ? AlertLevel::kCritical
                : v >= params_.warning * e ? AlertLevel::kWarning
                                           : AlertLevel::kNormal;
        break;
      case Condition::kDeltaAbove:
        level = v - e >= params_.critical ? AlertLevel::kCritical
                : v - e >= params_.warning ? AlertLevel::kWarning
                                           : AlertLevel::kNormal;
        break;
    }
  }

  // Inpainting: an outage must not become its own baseline; after inpaint_max_s accept the new level.
  double feed = v;
  if (usable) {
    const double e = *expected;
    const bool outlier = ratio ? (v < params_.inpaint_low * e || v > params_.inpaint_high * e)
                               : level != AlertLevel::kNormal;
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
    const AlertLevel which = level == AlertLevel::kNormal ? level_ : level;
    const double threshold = which == AlertLevel::kCritical ? params_.critical : params_.warning;
    if (level == AlertLevel::kNormal) {
      alert.condition = "normal";
    } else if (params_.condition == Condition::kRatioBelow) {
      alert.condition = FormatThreshold("<", threshold);
    } else if (params_.condition == Condition::kRatioAbove) {
      alert.condition = FormatThreshold(">=", threshold);
    } else {
      alert.condition = FormatThreshold(">= +", threshold);
    }
    alerts_.push_back(std::move(alert));
    level_ = level;
  }
  verdict.level = level;

  if (level != AlertLevel::kNormal) {
    const double e = *expected;
    if (!open_) {
      open_ = true;
      run_ = SeriesRun{};
      run_.datasource = params_.name;
      run_.entity_id = entity_id_;
      run_.start_t = t;
      run_.baseline = e;
      run_.extreme_value = v;
    }
    pending_normal_.reset();
    ++run_.bins;
    if (level == AlertLevel::kCritical) run_.worst = AlertLevel::kCritical;
    run_.score += DropPercent(v, e) * static_cast<double>(params_.step_s) / 60.0;
    double depth = params_.condition == Condition::kRatioBelow   ? (e - v) / e
                   : params_.condition == Condition::kRatioAbove ? v / e
                                                                 : v - e;
    run_.depth = std::max(run_.depth, depth);
    run_.extreme_value = params_.condition == Condition::kRatioBelow ? std::min(run_.extreme_value, v)
                                                                     : std::max(run_.extreme_value, v);
  } else if (open_) {
    if (pending_normal_) {
      CloseRun();
    } else {
      pending_normal_ = t;
    }
  }
  return verdict;
}

void SeriesDetector::CloseRun() {
  run_.end_t = *pending_normal_;
  closed_.push_back(run_);
  open_ = false;
  pending_normal_.reset();
}

std::optional<SeriesRun> SeriesDetector::open_run() const {
  if (!open_) return std::nullopt;
  SeriesRun run = run_;
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
