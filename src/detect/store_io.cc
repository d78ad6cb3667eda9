// SPDX-License-Identifier: AGPL-3.0-or-later
// The store around the pure detector: reading series, writing alerts / events / schedules, importing CSV.
#include <algorithm>
#include <climits>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <sstream>

#include "base/sha256.h"
#include "detect/detect.h"

namespace vigil::detect {
namespace {

// Baselines look back at most 7 days (time-of-day median); one more day covers warm-up and inpainting.
constexpr UnixSeconds kPrimeSeconds = 8 * 86400;

std::vector<Sample> ToSamples(const std::vector<store::SeriesPoint>& points) {
  std::vector<Sample> samples;
  samples.reserve(points.size());
  for (const store::SeriesPoint& p : points) samples.push_back(Sample{p.t, p.value});
  return samples;
}

// Earliest time from which a result computed with new bins from `t` on may differ from what was written:
// events still open at t or closed within the bridging slack before it, and every event of a schedule (a
// schedule's membership can change with one more day).
UnixSeconds ReplaceFrom(const DetectionResult& result, UnixSeconds t, int64_t slack_s) {
  UnixSeconds from = t;
  for (const store::Event& e : result.events) {
    if (e.end_t == 0 || e.end_t >= t - slack_s || e.schedule_id != 0) from = std::min(from, e.start_t);
  }
  return from;
}

int64_t LargestStep(const std::vector<store::Datasource>& datasources) {
  int64_t step = 300;
  for (const auto& d : datasources) step = std::max(step, d.step_s);
  return step;
}

// What the series under each alert and event are made of (docs/store.md "Provenance"): an alert, the kinds of its
// bin; an event, the kinds of every point of its datasources over its span. An event of an entity without points of
// its own (a country rolled up from its regions) takes the kinds of its regions' events that overlap it.
Status DeriveProvenance(store::Store& store, std::vector<store::Alert>& alerts, std::vector<store::Event>& events) {
  auto datasources = store.ListDatasources();
  if (!datasources.ok()) return datasources.status();
  std::map<std::string, int64_t> steps;
  for (const store::Datasource& d : *datasources) steps[d.name] = d.step_s;
  std::map<std::pair<std::string, int64_t>, std::pair<UnixSeconds, UnixSeconds>> spans;  // series -> alert t range
  for (const store::Alert& a : alerts) {
    auto [it, fresh] = spans.try_emplace({a.datasource, a.entity_id}, a.t, a.t);
    if (!fresh) it->second = {std::min(it->second.first, a.t), std::max(it->second.second, a.t)};
  }
  std::map<std::pair<std::string, int64_t>, store::AggregatedSeries> bins;
  for (const auto& [series, span] : spans) {
    auto step = steps.find(series.first);
    if (step == steps.end()) continue;
    auto read = store.ReadAggregated(series.first, series.second, span.first, span.second + step->second, step->second);
    if (!read.ok()) return read.status();
    bins.emplace(series, std::move(*read));
  }
  for (store::Alert& a : alerts) {
    auto it = bins.find({a.datasource, a.entity_id});
    if (it == bins.end()) continue;
    const store::AggregatedSeries& agg = it->second;
    const int64_t i = (a.t - agg.from) / agg.step_s;
    if (i >= 0 && i < static_cast<int64_t>(agg.provenance.size()))
      a.provenance = agg.provenance[static_cast<size_t>(i)];
  }
  constexpr int64_t kOpenEventHorizon = 366 * 86400;
  for (store::Event& e : events) {
    const UnixSeconds until = e.end_t > e.start_t ? e.end_t : e.start_t + kOpenEventHorizon;
    std::stringstream list(e.datasources);
    for (std::string ds; std::getline(list, ds, ',');) {
      if (!steps.count(ds)) continue;
      auto read = store.ReadAggregated(ds, e.entity_id, e.start_t, until, until - e.start_t);
      if (!read.ok()) return read.status();
      e.provenance |= read->AllProvenance();
    }
  }
  for (store::Event& e : events) {
    if (e.provenance != 0) continue;
    store::EntityQuery children;
    children.parent_id = e.entity_id;
    auto regions = store.ListEntities(children);
    if (!regions.ok()) return regions.status();
    std::set<int64_t> ids;
    for (const store::Entity& r : *regions) ids.insert(r.id);
    const UnixSeconds until = e.end_t > e.start_t ? e.end_t : INT64_MAX;
    for (const store::Event& other : events) {
      const UnixSeconds other_until = other.end_t > other.start_t ? other.end_t : INT64_MAX;
      if (ids.count(other.entity_id) && other.start_t < until && other_until > e.start_t)
        e.provenance |= other.provenance;
    }
  }
  return Status::Ok();
}

std::string ScheduleKey(const store::Schedule& s) {
  return std::to_string(s.entity_id) + "|" + s.first_day + "|" + std::to_string(s.on_end_min);
}

}  // namespace

Status WriteDetection(store::Store& store, const DetectionResult& result, UnixSeconds replace_from,
                      std::map<std::string, int64_t>& known_ids, DetectRunStats& stats) {
  std::vector<store::Alert> alerts;
  for (const store::Alert& a : result.alerts) {
    if (a.t >= replace_from) alerts.push_back(a);
  }
  std::vector<store::Schedule> schedules = result.schedules;
  for (store::Schedule& s : schedules) {
    auto it = known_ids.find(ScheduleKey(s));
    s.id = it == known_ids.end() ? 0 : it->second;
  }
  std::vector<store::Event> events;
  for (const store::Event& e : result.events) {
    if (e.start_t < replace_from) continue;
    events.push_back(e);
    store::Event& copy = events.back();
    copy.id = 0;
    if (copy.schedule_id > 0) {
      const store::Schedule& s = schedules[static_cast<size_t>(copy.schedule_id - 1)];
      copy.schedule_id = s.id > 0 ? s.id : -copy.schedule_id;  // −(index + 1): a schedule new in this call
    }
  }
  for (store::Alert& a : alerts) a.id = 0;
  VIGIL_RETURN_IF_ERROR(DeriveProvenance(store, alerts, events));
  VIGIL_RETURN_IF_ERROR(store.ReplaceDetection(replace_from, alerts, events, schedules));
  known_ids.clear();
  for (const store::Schedule& s : schedules) known_ids[ScheduleKey(s)] = s.id;
  stats.alerts = alerts.size();
  stats.events = events.size();
  stats.schedules = schedules.size();
  stats.replaced_from = replace_from;
  return Status::Ok();
}

Result<DetectRunStats> DetectBatch(store::Store& store, const DetectOptions& options, std::optional<UnixSeconds> from,
                                   std::optional<UnixSeconds> until) {
  DetectRunStats stats;
  auto entities = store.ListEntities(store::EntityQuery{});
  if (!entities.ok()) return entities.status();
  auto datasources = store.ListDatasources();
  if (!datasources.ok()) return datasources.status();
  Detector detector(options, *entities);
  for (const store::Datasource& ds : *datasources) {
    auto span = store.SeriesSpan(ds.name);
    if (!span.ok()) return span.status();
    if (!span->has_value()) continue;
    const UnixSeconds lo = from ? *from - kPrimeSeconds : (*span)->first;
    const UnixSeconds hi = until ? *until : (*span)->second + 1;
    auto ids = store.EntitiesWithSeries(ds.name);
    if (!ids.ok()) return ids.status();
    for (int64_t id : *ids) {
      auto points = store.ReadSeries(ds.name, id, lo, hi);
      if (!points.ok()) return points.status();
      detector.Feed(ds.name, ds.step_s, id, ToSamples(*points));
      ++stats.series;
      stats.bins += points->size();
    }
  }
  DetectionResult result = detector.Result();
  const UnixSeconds replace_from = from ? ReplaceFrom(result, *from, 2 * LargestStep(*datasources)) : 0;
  std::map<std::string, int64_t> known;
  VIGIL_RETURN_IF_ERROR(WriteDetection(store, result, replace_from, known, stats));
  return stats;
}

StoreFollower::StoreFollower(store::Store& store, DetectOptions options, std::optional<UnixSeconds> from,
                             int settle_bins)
    : store_(store), options_(std::move(options)), from_(from), settle_bins_(std::max(0, settle_bins)) {}

Result<DetectRunStats> StoreFollower::Poll() { return PollBefore(std::nullopt); }

Result<DetectRunStats> StoreFollower::PollUntil(UnixSeconds until) { return PollBefore(until); }

Result<DetectRunStats> StoreFollower::PollBefore(std::optional<UnixSeconds> until) {
  DetectRunStats stats;
  auto entities = store_.ListEntities(store::EntityQuery{});
  if (!entities.ok()) return entities.status();
  const bool first = detector_ == nullptr;
  if (first) {
    detector_ = std::make_unique<Detector>(options_, *entities);
  } else if (entities->size() != entities_.size()) {
    detector_->SetEntities(*entities);
  }
  entities_ = std::move(*entities);
  auto datasources = store_.ListDatasources();
  if (!datasources.ok()) return datasources.status();
  UnixSeconds first_new = INT64_MAX;
  for (const store::Datasource& ds : *datasources) {
    auto span = store_.SeriesSpan(ds.name);
    if (!span.ok()) return span.status();
    if (!span->has_value()) continue;
    UnixSeconds horizon = (*span)->second - settle_bins_ * ds.step_s;  // last bin taken
    if (until) horizon = std::min(horizon, *until - 1);
    auto ids = store_.EntitiesWithSeries(ds.name);
    if (!ids.ok()) return ids.status();
    for (int64_t id : *ids) {
      std::optional<UnixSeconds> last = detector_->LastFed(ds.name, id);
      const UnixSeconds lo = last ? *last + 1 : from_ ? *from_ - kPrimeSeconds : (*span)->first;
      if (lo > horizon) continue;
      auto points = store_.ReadSeries(ds.name, id, lo, horizon + 1);
      if (!points.ok()) return points.status();
      if (points->empty()) continue;
      first_new = std::min(first_new, points->front().t);
      detector_->Feed(ds.name, ds.step_s, id, ToSamples(*points));
      ++stats.series;
      stats.bins += points->size();
    }
  }
  if (first_new == INT64_MAX) return stats;  // nothing new: the store already holds these results
  DetectionResult result = detector_->Result();
  const int64_t slack = 2 * LargestStep(*datasources);
  UnixSeconds replace_from = 0;
  if (first && from_) {
    replace_from = ReplaceFrom(result, *from_, slack);
  } else if (!first) {
    replace_from = ReplaceFrom(result, first_new, slack);
  }
  VIGIL_RETURN_IF_ERROR(WriteDetection(store_, result, replace_from, written_schedule_ids_, stats));
  return stats;
}

Result<ImportReport> ImportSeriesFile(store::Store& store, const std::string& path, const std::string& datasource,
                                      const ImportedSource& source) {
  if (datasource.empty()) return Status::InvalidArgument("--datasource: a name is required");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  ImportReport report;
  auto parsed = ParseSeriesCsv(text, path);
  if (!parsed.ok()) return parsed.status();
  report.parsed = std::move(*parsed);
  const std::string sha =
      Sha256OfBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  auto seen = store.HasInput(sha);
  if (!seen.ok()) return seen.status();
  if (*seen) {
    report.already_imported = true;
    return report;
  }
  store::Datasource ds;
  ds.name = datasource;
  ds.step_s = report.parsed.step_s;
  ds.description = "imported series (" + path + ")";
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource(ds));

  store::IngestCommit commit;
  commit.input.sha256 = sha;
  commit.input.name = path;
  commit.input.kind = "series-csv";
  commit.input.provenance.kind = store::ProvenanceKind::kImported;
  commit.input.provenance.source = source.name.empty() ? path : source.name;
  commit.input.provenance.licence = source.licence;
  commit.input.records = static_cast<int64_t>(report.parsed.rows);
  commit.input.first_t = INT64_MAX;
  commit.input.last_t = INT64_MIN;
  store::SeriesBatch batch;
  batch.datasource = datasource;
  for (const auto& [name, points] : report.parsed.points) {
    const size_t slash = name.find('/');
    const std::string type = name.substr(0, slash), code = name.substr(slash + 1);
    store::Entity entity;
    entity.type = type;
    entity.code = code;
    entity.name = code;
    entity.provenance = store::ProvenanceKind::kImported;
    const size_t dash = code.find('-');
    if (type == "region" && dash != std::string::npos) {  // ISO 3166-2: its country is the part before '-'
      store::Entity country;
      country.type = "country";
      country.code = code.substr(0, dash);
      country.name = country.code;
      country.provenance = store::ProvenanceKind::kImported;
      auto parent = store.EnsureEntity(country);
      if (!parent.ok()) return parent.status();
      entity.parent_id = parent->id;
      report.entities_created += parent->created ? 1 : 0;
    }
    auto ensured = store.EnsureEntity(entity);
    if (!ensured.ok()) return ensured.status();
    const int64_t id = ensured->id;
    report.entities_created += ensured->created ? 1 : 0;
    for (const auto& [t, value] : points) {
      batch.points.push_back(store::SeriesPoint{id, t, value});
      commit.input.first_t = std::min(commit.input.first_t, t);
      commit.input.last_t = std::max(commit.input.last_t, t);
    }
  }
  commit.series.push_back(std::move(batch));
  VIGIL_RETURN_IF_ERROR(store.CommitIngest(commit));
  return report;
}

}  // namespace vigil::detect
