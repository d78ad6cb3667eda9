// SPDX-License-Identifier: AGPL-3.0-or-later
// Module eval: scores detection against a simulator's ground truth. It owns the truth.json reader, the
// matching of detected events to truth events (entity, overlap, classification fits the kind), and the
// metrics of ../shared/SCENARIOS.md: precision, recall (truth share >= 0.2), start/end error, detection
// latency, false outages inside collector gaps, schedule error, per kind. It reads detected events and
// schedules through the store interface only; it must not know how they were detected, nor how the
// simulator builds its world.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"
#include "store/store.h"

namespace vigil::eval {

struct TruthEvent {
  std::string id, entity_type, entity_code, kind;  // kind: withdraw | block | throttle
  double share = 0;
  bool implied = false;
  UnixSeconds start = 0, end = 0;
};

struct TruthSchedule {
  std::string id, entity_type, entity_code, tz, first_day, last_day;
  int on_from_min = 0, on_to_min = 0;
};

struct TruthGap {
  std::string collector;
  UnixSeconds start = 0, end = 0;
};

struct Truth {
  std::string scenario;
  UnixSeconds start = 0, end = 0;  // 0 when the file does not say (older truth files)
  std::vector<TruthEvent> events;
  std::vector<TruthSchedule> schedules;
  std::vector<TruthGap> collector_gaps;
};

Result<Truth> ParseTruth(const std::string& json_text, const std::string& source);
Result<Truth> LoadTruth(const std::string& path);

// What detection produced, reduced to what matching needs.
struct DetectedEvent {
  int64_t id = 0;
  std::string entity_type, entity_code, classification, datasources;
  UnixSeconds start = 0, end = 0;  // end 0 while open
};

struct DetectedSchedule {
  std::string entity_type, entity_code, first_day, last_day;
  int on_start_min = 0, on_end_min = 0;
};

struct KindMetrics {
  int truth_counted = 0;  // truth events with share >= 0.2
  int truth_recalled = 0;
  int detected = 0;  // detected events whose classification belongs to this kind
  int detected_matched = 0;
  std::optional<double> precision, recall, start_error_s_p50, end_error_s_p50, latency_s_p50;
};

struct Metrics {
  std::string scenario;
  int detected = 0, detected_matched = 0, truth_counted = 0, truth_recalled = 0;
  std::optional<double> precision, recall, start_error_s_p50, end_error_s_p50, latency_s_p50;
  int false_outages_in_gaps = 0;
  int schedules_truth = 0, schedules_found = 0;
  std::optional<double> schedule_error_min;
  std::map<std::string, KindMetrics> by_kind;  // "withdraw", "block", "throttle"
};

// Recall counts truth events with at least this share of their entity affected.
constexpr double kRecallMinShare = 0.2;

// True when a detected classification is how detection should report a truth kind.
bool ClassificationFits(const std::string& kind, const std::string& classification);

Metrics Evaluate(const Truth& truth, const std::vector<DetectedEvent>& detected,
                 const std::vector<DetectedSchedule>& schedules);
// Reads the events overlapping the truth's span (all events when the truth has no span) and all schedules.
Result<Metrics> EvaluateStore(const Truth& truth, store::Store& store);

std::string FormatJson(const Metrics& metrics);   // the object of SCENARIOS.md, one line
std::string FormatTable(const Metrics& metrics);  // readable, several lines
// One row per scenario for `make eval`.
std::string FormatSummaryHeader();
std::string FormatSummaryRow(const Metrics& metrics);

}  // namespace vigil::eval
