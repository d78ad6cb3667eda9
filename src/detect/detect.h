// SPDX-License-Identifier: AGPL-3.0-or-later
// Module detect: turns per-entity signal series into what users read — alerts (level changes against a
// moving-median baseline), events (runs of non-normal bins, fused across datasources, classified as routing /
// data-plane / routing+data-plane / throttling, rolled up from regions to their country) and curfew schedules
// (daily off-windows at the same local time). The core is pure functions and streaming objects over in-memory
// series, so batch and streaming runs share one code path and give the same result; the store is only the I/O
// around it (detect/store_io). It must not know how signals are produced (MRT, probing, imports) nor how
// results are served (HTTP, dashboard).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"
#include "base/time_zone.h"
#include "store/store.h"

namespace vigil::detect {

using store::AlertLevel;

// ----- parameters -----------------------------------------------------------------------------------------

enum class BaselineMethod {
  kMovingMedian,     // median of every bin of the previous history_s (IODA's MovingStat)
  kTimeOfDayMedian,  // median of the same time of day over the previous history_s (diurnal signals),
                     // falling back to the 24 h moving median while fewer than tod_min_days are known
};

enum class Condition {
  kRatioBelow,  // outage signals: alert when value / baseline drops below a fraction
  kRatioAbove,  // latency: alert when value / baseline rises above a factor
  kDeltaAbove,  // loss (a fraction that may have a zero baseline): alert when value − baseline rises
};

// What a datasource says about connectivity; decides classification.
enum class SignalRole {
  kRouting,       // bgp: routed /24s
  kReachability,  // ping-slash24 and imported indices: hosts answering / traffic
  kPerformance,   // rtt-p50, loss: quality while reachable
};

struct DatasourceParams {
  std::string name;
  int64_t step_s = 300;
  SignalRole role = SignalRole::kReachability;
  BaselineMethod method = BaselineMethod::kMovingMedian;
  int64_t history_s = 86400;
  int tod_min_days = 3;
  int64_t warmup_s = 3600;  // no level before the series has this much history
  Condition condition = Condition::kRatioBelow;
  double warning = 0.99;  // ratio (or delta for kDeltaAbove) that starts a warning
  double critical = 0.5;
  double min_baseline = 20;  // no alerts while the baseline is below (tiny entities are noise)
  // Inpainting: while a bin is out of [inpaint_low, inpaint_high] × baseline (or non-normal for
  // kDeltaAbove), the baseline is fed into history instead of the value, for at most inpaint_max_s.
  double inpaint_low = 0.8;
  double inpaint_high = 2.0;
  int64_t inpaint_max_s = 7 * 86400;
  int min_event_bins = 2;  // shorter runs stay alerts and do not become events
  // A shallow drop (depth below shallow_depth) must last longer: one or two flapping prefixes of a small
  // entity cross the 1 % bgp warning line for a bin or two without anything having happened.
  double shallow_depth = 0.2;
  int min_shallow_event_bins = 4;
  // Outage signals (kRatioBelow): a run whose drop steps to another level and stays there for two bins is
  // split at the step into segments, each its own event (a blackout that eases to a partial block, one of
  // several overlapping orders ending). A step is a change of the drop by at least split_step (a share of the
  // baseline) and by at least split_relative of the larger of the two drops. split_step 0 disables splitting.
  double split_step = 0.15;
  double split_relative = 0;
  // Outage segments whose mean drop stays below this are not events (they remain alerts): the simulator's
  // contract writes no implied event for an entity less than 5 % affected, and a handful of flapping
  // prefixes on a region reach that much.
  double min_event_depth = 0.05;
  // Latency (kRatioAbove): level steps are recorded — bins where the median of the next step_window_bins
  // values differs from the median of the previous ones by step_ratio or more — so that throttling of a
  // network can be attributed to the regions and countries whose latency stepped up when it began and down
  // when it ended (see AttributeThrottling). 0 disables.
  int step_window_bins = 3;
  double step_ratio = 1.05;
};

// A level step of a latency series: at t the median of the following bins is `ratio` × that of the bins before.
struct LevelStep {
  UnixSeconds t = 0;
  double ratio = 1;
};

// Parameters for the datasources Vigil knows (bgp, ping-slash24, rtt-p50, loss); any other name gets the
// imported-index defaults (drop below 0.8 / 0.5 of the time-of-day median, no minimum).
DatasourceParams DefaultParams(const std::string& datasource, int64_t step_s);

struct DetectOptions {
  std::map<std::string, DatasourceParams> datasources;  // filled from DefaultParams when absent
  double rollup_share = 0.5;                  // regions holding this share of a country's /24s down ⇒ country event
  int schedule_min_days = 3;                  // off-windows on this many days make a schedule
  int64_t schedule_tolerance_s = 900;         // start/end of daily off-windows agree within this (±1 bin + jitter)
  int schedule_max_day_gap = 2;               // days between two members of one schedule (exam "every other day")
  int64_t schedule_max_window_s = 20 * 3600;  // longer off-windows are not curfews
  std::string zoneinfo_dir = "/usr/share/zoneinfo";
};

const DatasourceParams& ParamsFor(DetectOptions& options, const std::string& datasource, int64_t step_s);

// ----- per-series streaming detection -------------------------------------------------------------------

// A run of non-normal bins of one series (one entity, one datasource), merged across gaps of ≤ 1 bin.
struct SeriesRun {
  std::string datasource;
  int64_t entity_id = 0;
  UnixSeconds start_t = 0;
  UnixSeconds end_t = 0;  // first normal bin after the run; 0 while open
  int bins = 0;           // non-normal bins
  AlertLevel worst = AlertLevel::kWarning;
  double score = 0;          // Σ drop% × minutes over its bins (IODA's alert area)
  double depth = 0;          // largest relative drop (0..1), rise factor (rtt) or loss rise (loss)
  double baseline = 0;       // baseline at the start
  double extreme_value = 0;  // lowest (drop) / highest (rise) value seen
  double mean_depth = 0;     // mean drop (or rise) over its bins
  // Part of a run that was split at a level step (each part is then long enough to be an event: a split
  // needs two bins on each side).
  bool split = false;
};

// Result of one bin (exposed for tests and reports).
struct BinVerdict {
  UnixSeconds t = 0;
  std::optional<double> value;
  std::optional<double> baseline;  // nullopt during warm-up or when missing
  AlertLevel level = AlertLevel::kNormal;
};

class BaselineTracker;

// Streaming detector of one series. Push bins in increasing time order; missing bins may be pushed as
// nullopt or simply skipped. Emits an alert on every level change and keeps the runs.
class SeriesDetector {
 public:
  SeriesDetector(DatasourceParams params, int64_t entity_id);
  ~SeriesDetector();
  SeriesDetector(SeriesDetector&&) noexcept;
  SeriesDetector& operator=(SeriesDetector&&) noexcept;

  BinVerdict Push(UnixSeconds t, std::optional<double> value);
  BinVerdict Push(UnixSeconds t, double value);  // NaN = missing

  const DatasourceParams& params() const { return params_; }
  int64_t entity_id() const { return entity_id_; }
  UnixSeconds last_t() const { return last_t_; }
  const std::vector<store::Alert>& alerts() const { return alerts_; }
  const std::vector<SeriesRun>& closed_runs() const { return closed_; }
  const std::vector<LevelStep>& steps() const { return steps_; }
  // The run in progress, if any (end_t is the pending normal bin when one normal bin followed it, else 0).
  std::optional<SeriesRun> open_run() const;
  // Closed runs plus the open one.
  std::vector<SeriesRun> Runs() const;
  // Drops alerts and closed runs that the caller has consumed (bounded memory in long streams).
  void ClearOutputs();

 private:
  void CloseRun();
  double DropPercent(double value, double baseline) const;
  // One non-normal bin of the open run: the evidence a segment accumulates.
  struct RunBin {
    UnixSeconds t = 0;
    double value = 0, baseline = 0, depth = 0;
    AlertLevel level = AlertLevel::kWarning;
  };
  void AddToSegment(const RunBin& bin);
  void AddRunBin(const RunBin& bin);
  bool IsStep(double from_depth, double to_depth) const;

  DatasourceParams params_;
  int64_t entity_id_;
  std::unique_ptr<BaselineTracker> baseline_;
  std::string warning_condition_, critical_condition_;
  UnixSeconds first_t_ = INT64_MIN;
  UnixSeconds last_t_ = INT64_MIN;
  AlertLevel level_ = AlertLevel::kNormal;
  std::optional<UnixSeconds> inpaint_since_;
  std::vector<store::Alert> alerts_;
  std::vector<SeriesRun> closed_;
  bool open_ = false;
  SeriesRun run_;                         // the open segment of the open run
  double depth_sum_ = 0;                  // Σ depth over run_'s bins
  std::optional<RunBin> step_candidate_;  // a bin that stepped away from the segment's level, unconfirmed
  void TrackSteps(UnixSeconds t, double value);
  std::vector<std::pair<UnixSeconds, double>> recent_;  // last 2 × step_window_bins values (latency)
  std::vector<LevelStep> steps_;
  std::optional<UnixSeconds> pending_normal_;
};

// ----- inputs and results -------------------------------------------------------------------------------

// One value per bin start; a bin absent from the vector (or with nullopt) is missing, never zero.
struct Sample {
  UnixSeconds t = 0;
  std::optional<double> value;
};

struct Series {
  std::string datasource;
  int64_t step_s = 300;
  int64_t entity_id = 0;
  std::vector<Sample> samples;  // increasing t
};

struct DetectionResult {
  std::vector<store::Alert> alerts;        // ordered by (t, entity, datasource)
  std::vector<store::Event> events;        // ordered by (start, entity); schedule_id = index+1 in schedules
  std::vector<store::Schedule> schedules;  // id = index+1 (the store assigns real ids)
};

// Whether a run is long (and, when shallow, long enough) to become an event.
bool RunIsEvent(const SeriesRun& run, const DatasourceParams& params);

// Whole-run detector: owns one SeriesDetector per (datasource, entity) and derives events, roll-ups and
// schedules from their runs on demand. Feed it in any chunking; Result() depends only on the bins fed.
class Detector {
 public:
  Detector(DetectOptions options, std::vector<store::Entity> entities);

  // Feeds bins of one series; samples at or before what this series already saw are ignored (late data).
  void Feed(const std::string& datasource, int64_t step_s, int64_t entity_id, const std::vector<Sample>& samples);
  void Feed(const Series& series) { Feed(series.datasource, series.step_s, series.entity_id, series.samples); }
  // Last bin fed for a series, or nullopt.
  std::optional<UnixSeconds> LastFed(const std::string& datasource, int64_t entity_id) const;
  // Entities learnt later (streaming): parents, /24 counts and time zones used by roll-up and schedules.
  void SetEntities(std::vector<store::Entity> entities) { entities_ = std::move(entities); }

  DetectionResult Result() const;

 private:
  DetectOptions options_;
  std::vector<store::Entity> entities_;
  std::map<std::pair<std::string, int64_t>, SeriesDetector> detectors_;
};

// ----- derived layers (pure functions) -----------------------------------------------------------------

// Fuses runs of each entity that overlap into events, classifies them, scores them (product over
// datasources of each datasource's largest run score) and fills depth, coverage and detail.
std::vector<store::Event> FuseRuns(const std::vector<SeriesRun>& runs, const DetectOptions& options,
                                   const std::map<int64_t, store::Entity>& entities);

// Adds a country event wherever regions holding ≥ options.rollup_share of the country's /24s are in outage
// together and the country has no overlapping event of its own (which instead gets the regions in detail).
void RollUpRegions(std::vector<store::Event>& events, const DetectOptions& options,
                   const std::map<int64_t, store::Entity>& entities);

// Throttling of a network shows in the regions and countries where it holds many blocks as a smaller latency
// rise (a region's median RTT moves ×1.1–1.3 when a network holding 40 % of its blocks goes ×10), within the
// daily latency cycle. Such an entity gets a throttling event of its own when its latency stepped up at the
// start (±1 bin) of an `asn` throttling event and down at its end (±1 bin): the coincidence of both edges is
// the evidence. `steps` holds the latency steps per entity; entities already throttled then are skipped.
void AttributeThrottling(std::vector<store::Event>& events, const std::map<int64_t, std::vector<LevelStep>>& steps,
                         int64_t step_s, const std::map<int64_t, store::Entity>& entities);

// Infers daily curfew schedules from outage events and sets schedule_id on the events that belong.
std::vector<store::Schedule> InferSchedules(std::vector<store::Event>& events, const DetectOptions& options,
                                            const std::map<int64_t, store::Entity>& entities);

// ----- time zones ---------------------------------------------------------------------------------------

// Time zones (TimeZone, ToLocal, FormatDay) come from base/time_zone.h.

// ----- external series ----------------------------------------------------------------------------------

struct ImportedSeries {
  int64_t step_s = 0;  // inferred: the most common gap between consecutive times of an entity
  size_t rows = 0;
  size_t duplicates = 0;    // rows for a (entity, time) already seen; the last one wins
  size_t out_of_order = 0;  // rows earlier than the previous row of their entity
  size_t realigned = 0;     // times moved to the start of their bin
  std::map<std::string, std::vector<std::pair<UnixSeconds, double>>> points;  // "type/code" → sorted points
};

// Parses CSV text with columns entity ("region/IR-23"), time (RFC 3339 or Unix seconds), value; an optional
// header row; empty values are missing bins. `name` labels errors ("FILE.csv:12: ...").
Result<ImportedSeries> ParseSeriesCsv(const std::string& text, const std::string& name);

// ----- store I/O ----------------------------------------------------------------------------------------

struct DetectRunStats {
  size_t series = 0;              // (datasource, entity) series read
  size_t bins = 0;                // bins fed to the detectors
  size_t alerts = 0;              // alerts written
  size_t events = 0;              // events written
  size_t schedules = 0;           // schedules written
  UnixSeconds replaced_from = 0;  // results at or after this time were replaced (0 = all)
};

// Batch: recomputes detection from the store's series and replaces the store's results from `from` on (all
// when absent). Series are read from 8 days before `from` so baselines start primed; data at or after
// `until` is ignored.
Result<DetectRunStats> DetectBatch(store::Store& store, const DetectOptions& options, std::optional<UnixSeconds> from,
                                   std::optional<UnixSeconds> until);

// Streaming: keeps the detectors between polls; each Poll() feeds the bins that appeared since the last one
// (a bin is taken once the datasource has data `settle_bins` steps later, so that a bin still being filled by
// several inputs is read complete) and rewrites the results that may have changed. Polling until no new bins
// arrive gives the same store content as DetectBatch over the same data with the same settle rule.
class StoreFollower {
 public:
  StoreFollower(store::Store& store, DetectOptions options, std::optional<UnixSeconds> from, int settle_bins);
  Result<DetectRunStats> Poll();
  // As Poll, and bins at or after `until` are not taken yet (`vigil run` knows which bins are closed: every
  // collector delivered past them, or their deadline passed).
  Result<DetectRunStats> PollUntil(UnixSeconds until);

 private:
  Result<DetectRunStats> PollBefore(std::optional<UnixSeconds> until);

  store::Store& store_;
  DetectOptions options_;
  std::optional<UnixSeconds> from_;
  int settle_bins_;
  std::unique_ptr<Detector> detector_;
  std::vector<store::Entity> entities_;
  std::map<std::string, int64_t> written_schedule_ids_;  // schedule key → id the store gave it
};

// Writes a detection result: alerts and events at or after replace_from, every schedule. Schedule ids are
// kept stable across calls through `known_ids` (key: entity, window, first day).
Status WriteDetection(store::Store& store, const DetectionResult& result, UnixSeconds replace_from,
                      std::map<std::string, int64_t>& known_ids, DetectRunStats& stats);

// Imports a CSV of external series (see ParseSeriesCsv) as datasource `datasource`: registers it with the
// inferred step, creates the entities it names, and commits all points with an inputs row (idempotent by
// the file's sha256: a file already imported changes nothing and `already_imported` is set).
struct ImportReport {
  ImportedSeries parsed;
  bool already_imported = false;
  size_t entities_created = 0;
};
Result<ImportReport> ImportSeriesFile(store::Store& store, const std::string& path, const std::string& datasource);

}  // namespace vigil::detect
