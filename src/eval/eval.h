// SPDX-License-Identifier: AGPL-3.0-or-later
// Module eval: scores detection against a simulator's ground truth. It owns the truth.json reader, two
// scorers and their reports:
// - strict (the headline): overlapping truth events of one entity and kind are one outage; detections and
//   outages are matched one to one (largest overlap first), so every unmatched detection — a fragment
//   included — is a false positive; bin-level precision/recall/IoU of "in outage" bins per entity and kind;
//   start/end error against the (off-grid) truth edges; latency from when the data showing the drop arrived
//   to when the event first became visible in a time-ordered replay; false events per 1,000 entity-days;
// - lenient (the older metrics of ../shared/SCENARIOS.md, `--lenient`): any overlap with any truth event of
//   the entity and kind is a hit, many detections may match one truth event.
// It reads detected events and schedules through the store interface only; it must not know how they were
// detected, nor how the simulator builds its world.
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

// ----- strict scoring -----------------------------------------------------------------------------------

// When a detected event was first visible in a replay of the inputs in time order (ReplayFirstSeen): the
// earliest poll after which detection reported an event of this entity and classification starting at `start`.
struct FirstSeen {
  std::string entity_type, entity_code, classification;
  UnixSeconds start = 0;
  UnixSeconds visible_at = 0;  // data time: everything before it had been ingested
};

// What strict scoring needs besides truth and the final detections.
struct StrictContext {
  int entities = 0;                   // entities of the world (countries, regions, networks): entity-days
  std::vector<FirstSeen> first_seen;  // empty: latency is not measured
};

// Replays the store's series in time order through a streaming detector, as `vigil detect --follow --settle 1`
// sees them when every input is ingested the moment its period ends (an MRT update file or probing round
// covering [t, t + step) at t + step): at data time T, each series has every bin b with b + 2 steps <= T.
// Every 5 data-minutes the detector's result is taken, and each event (entity, classification, start) is
// recorded with the first T at which it was reported. Ingest is causal (a bin's value depends only on inputs
// up to its end), so replaying the stored series is replaying the inputs.
Result<std::vector<FirstSeen>> ReplayFirstSeen(store::Store& store, UnixSeconds from, UnixSeconds until);

// A truth outage: the union of overlapping (or touching) truth events of one entity and kind.
struct TruthOutage {
  std::string ids, entity_type, entity_code, kind;
  double share = 0;      // largest share of its members
  bool implied = false;  // every member is implied
  UnixSeconds start = 0, end = 0;
};
std::vector<TruthOutage> MergeTruthOutages(const std::vector<TruthEvent>& events);

// Bin width behind a truth kind's signal: 300 s (bgp, withdraw), 600 s (probing rounds, block/throttle).
int64_t KindBinSeconds(const std::string& kind);

struct StrictKindMetrics {
  int truth_counted = 0;  // outages with share >= 0.2
  int truth_recalled = 0;
  int detected = 0;  // detected events of this kind's classifications
  int detected_matched = 0;
  std::optional<double> precision, recall;
  std::vector<double> start_errors_s, end_errors_s, latencies_s;  // matched counted outages
};

struct StrictMetrics {
  std::string scenario;
  int detected = 0, detected_matched = 0, truth_counted = 0, truth_recalled = 0;
  std::optional<double> precision, recall;
  int64_t bins_tp = 0, bins_fp = 0, bins_fn = 0;  // 300-s bins, summed over (entity, kind)
  std::optional<double> bin_precision, bin_recall, bin_iou;
  std::optional<double> start_error_s_p50, end_error_s_p50, latency_s_p50, latency_s_p95;
  int false_events = 0;    // unmatched detections
  double entity_days = 0;  // entities × days of the span
  std::optional<double> false_per_1000_entity_days;
  int false_outages_in_gaps = 0;
  int schedules_truth = 0, schedules_found = 0;
  std::optional<double> schedule_error_min;
  std::map<std::string, StrictKindMetrics> by_kind;
};

StrictMetrics EvaluateStrict(const Truth& truth, const std::vector<DetectedEvent>& detected,
                             const std::vector<DetectedSchedule>& schedules, const StrictContext& context);

// Both scorers over the store's events (the span of the truth) and schedules; `context.entities` is filled
// from the store when 0.
struct Scores {
  Metrics lenient;
  StrictMetrics strict;
};
Result<Scores> ScoreStore(const Truth& truth, store::Store& store, StrictContext context);

std::string FormatStrictJson(const StrictMetrics& metrics);
// The object of SCENARIOS.md (lenient keys, unchanged meaning) with the strict scores added under "strict".
std::string FormatCombinedJson(const Metrics& lenient, const StrictMetrics& strict);
std::string FormatStrictTable(const StrictMetrics& metrics);
std::string FormatStrictSummaryHeader();
std::string FormatStrictSummaryRow(const StrictMetrics& metrics);
// Pooled over scenarios (counts summed, medians over all matched pairs): a TOTAL row and a per-kind block.
std::string FormatStrictTotals(const std::vector<StrictMetrics>& all);

// ----- lenient scoring formats ---------------------------------------------------------------------------

std::string FormatJson(const Metrics& metrics);   // the object of SCENARIOS.md, one line
std::string FormatTable(const Metrics& metrics);  // readable, several lines
// One row per scenario for `make eval`.
std::string FormatSummaryHeader();
std::string FormatSummaryRow(const Metrics& metrics);

}  // namespace vigil::eval
