// SPDX-License-Identifier: AGPL-3.0-or-later
// Measured vs reported (docs/api.md, "Measured vs reported"): for one country and period, the reported shutdowns
// (`reported-shutdown` annotations, e.g. Access Now #KeepItOn) beside the events Vigil detected, matched by entity
// and time. Reports give days, not times, in a local calendar, so their days are widened by a tolerance; a report
// whose end is unknown lasts to the end of the period. Every pair that matches is kept (one-to-many both ways):
// this is a reading aid for people comparing sources, not a score (src/eval scores one-to-one).
#include <algorithm>
#include <cstdio>
#include <map>

#include "api/internal.h"
#include "base/time_format.h"

namespace vigil::api {
namespace {

constexpr int64_t kDefaultToleranceS = 86400;  // a calendar day in any time zone starts within 14 h of UTC's
constexpr int64_t kMaxToleranceS = 7 * 86400;
constexpr int64_t kMaxPeriodS = 3660LL * 86400;  // ten years: the whole #KeepItOn record of a country
constexpr const char* kReportKind = "reported-shutdown";
constexpr const char* kType = "vigil.measured_vs_reported";

struct Period {
  int64_t from = 0;
  int64_t until = 0;
  int64_t tolerance_s = 0;
};

// The country and the entities the store places in it (entity parent): its regions, and networks when the store ties
// them to the country. The store ties no network to a region.
struct Scope {
  store::Entity country;
  std::map<int64_t, store::Entity> entities;  // by id, the country included
};

struct Report {
  store::Annotation annotation;
  store::Entity entity;
  int64_t window_from = 0;  // [start day − tolerance, end day + tolerance)
  int64_t window_until = 0;
  std::vector<size_t> events;  // indexes into the matched events
  bool data_in_window = false;
};

struct DetectedEvent {
  store::Event event;
  store::Entity entity;
  int64_t until = 0;            // end, or the period's end while ongoing
  std::vector<size_t> reports;  // indexes into the reports
};

Result<Scope> ScopeOf(store::Store& store, const std::string& code) {
  auto found = store.FindEntity("country", code);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return Status::NotFound("unknown entity 'country/" + code + "'");
  Scope scope;
  scope.country = **found;
  scope.entities[scope.country.id] = scope.country;
  store::EntityQuery query;
  query.parent_id = scope.country.id;
  auto children = store.ListEntities(query);
  if (!children.ok()) return children.status();
  for (const auto& child : *children) scope.entities[child.id] = child;
  return scope;
}

std::vector<int64_t> ScopeIds(const Scope& scope) {
  std::vector<int64_t> ids;
  for (const auto& [id, entity] : scope.entities) ids.push_back(id);
  return ids;
}

// A report on the country matches events anywhere in it. A report on a region matches events on the region and on
// the country as a whole (a nationwide event covers the region); not other regions' events, nor networks' (a network
// of the country is not known to serve the region).
bool EntityMatches(const Scope& scope, const store::Entity& reported, const store::Entity& detected) {
  if (reported.id == scope.country.id) return true;
  return detected.id == reported.id || detected.id == scope.country.id;
}

// Whether the store holds any series value for the entity in [from, until): an unmatched report in a window without
// data says "no measurements", not "nothing detected".
bool HasData(store::Store& store, const std::vector<store::Datasource>& datasources, int64_t entity_id, int64_t from,
             int64_t until) {
  if (from >= until) return false;
  for (const auto& ds : datasources) {
    auto agg = store.ReadAggregated(ds.name, entity_id, from, until, until - from);
    if (agg.ok() && !agg->values.empty() && agg->values[0].has_value()) return true;
  }
  return false;
}

Result<std::vector<Report>> ReportsIn(store::Store& store, const Scope& scope, const Period& period) {
  store::TimeFilter filter;
  filter.from = period.from - period.tolerance_s;
  filter.until = period.until + period.tolerance_s;
  filter.entity_ids = ScopeIds(scope);
  auto annotations = store.ListAnnotations(filter);
  if (!annotations.ok()) return annotations.status();
  std::vector<Report> reports;
  for (const auto& a : *annotations) {
    if (a.kind != kReportKind) continue;
    Report r;
    r.annotation = a;
    r.entity = scope.entities.at(a.entity_id);
    r.window_from = a.start_t - period.tolerance_s;
    if (a.end_t != 0) {
      r.window_until = a.end_t + period.tolerance_s;
    } else {
      // Ongoing or unknown end: listed when it starts in the period, and taken to last to the period's end (a
      // report that began years before the period says nothing about it).
      if (a.start_t >= period.until || a.start_t < period.from - period.tolerance_s) continue;
      r.window_until = period.until;
    }
    if (r.window_until <= period.from || r.window_from >= period.until) continue;
    reports.push_back(std::move(r));
  }
  return reports;
}

Result<std::vector<DetectedEvent>> EventsIn(store::Store& store, const Scope& scope, const Period& period) {
  store::TimeFilter filter;
  filter.from = period.from;
  filter.until = period.until;
  filter.entity_ids = ScopeIds(scope);
  auto events = store.ListEvents(filter);
  if (!events.ok()) return events.status();
  std::vector<DetectedEvent> out;
  for (const auto& e : *events) {
    DetectedEvent d;
    d.event = e;
    d.entity = scope.entities.at(e.entity_id);
    d.until = e.end_t != 0 ? e.end_t : std::max(period.until, e.start_t + 1);
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const DetectedEvent& a, const DetectedEvent& b) {
    return std::tie(a.event.start_t, a.event.entity_id, a.event.id) <
           std::tie(b.event.start_t, b.event.entity_id, b.event.id);
  });
  return out;
}

void Match(const Scope& scope, std::vector<Report>& reports, std::vector<DetectedEvent>& events) {
  for (size_t r = 0; r < reports.size(); ++r) {
    for (size_t e = 0; e < events.size(); ++e) {
      bool overlap = events[e].event.start_t < reports[r].window_until && reports[r].window_from < events[e].until;
      if (!overlap || !EntityMatches(scope, reports[r].entity, events[e].entity)) continue;
      reports[r].events.push_back(e);
      events[e].reports.push_back(r);
    }
  }
}

Json ReportJson(const Report& r, const std::vector<DetectedEvent>& events) {
  const store::Annotation& a = r.annotation;
  Json out;
  out["id"] = a.id;
  out["entity"] = EntityRef(r.entity);
  out["entity_name"] = r.entity.name.empty() ? r.entity.code : r.entity.name;
  out["start"] = a.start_t;
  out["end"] = a.end_t != 0 ? Json(a.end_t) : Json(nullptr);
  out["end_known"] = a.end_t != 0;
  out["window_from"] = r.window_from;
  out["window_until"] = r.window_until;
  out["text"] = a.text;
  out["source_url"] = a.source_url;
  Json detail = a.detail.empty() ? Json() : Json::parse(a.detail, nullptr, false);
  out["provenance"] = ProvenanceJson(store::MaskOf(store::ProvenanceKind::kImported));  // only imports write it
  out["attribution"] = detail.is_object() && detail.contains("source") ? detail["source"] : Json(nullptr);
  for (const char* key : {"type", "networks", "cause", "links", "area_name", "dataset", "line"}) {
    out[key] = detail.is_object() && detail.contains(key) ? detail[key] : Json(nullptr);
  }
  Json matched = Json::array();
  for (size_t e : r.events) matched.push_back(events[e].event.id);
  out["matched_events"] = std::move(matched);
  out["data_in_window"] = r.data_in_window;
  return out;
}

Json EventJson(const DetectedEvent& d, const std::vector<Report>& reports) {
  const store::Event& e = d.event;
  Json out;
  out["id"] = e.id;
  out["location"] = EntityRef(d.entity);
  out["location_name"] = d.entity.name.empty() ? d.entity.code : d.entity.name;
  out["start"] = e.start_t;
  out["end"] = e.end_t != 0 ? Json(e.end_t) : Json(nullptr);
  out["ongoing"] = e.end_t == 0;
  out["kind"] = e.kind;
  out["classification"] = e.classification;
  out["score"] = e.score;
  out["provenance"] = ProvenanceJson(e.provenance);
  Json matched = Json::array();
  for (size_t r : d.reports) matched.push_back(reports[r].annotation.id);
  out["matched_reports"] = std::move(matched);
  return out;
}

std::string CsvCell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string TimeCell(int64_t t) { return t != 0 ? FormatRfc3339(t) : ""; }

std::string ReportCells(const Report& r) {
  const store::Annotation& a = r.annotation;
  Json detail = a.detail.empty() ? Json() : Json::parse(a.detail, nullptr, false);
  std::string type = detail.is_object() && detail.contains("type") && detail["type"].is_string()
                         ? detail["type"].get<std::string>()
                         : "";
  std::string source = detail.is_object() && detail.contains("source") && detail["source"].is_string()
                           ? detail["source"].get<std::string>()
                           : "";
  return std::to_string(a.id) + "," + CsvCell(EntityRef(r.entity)) + "," + TimeCell(a.start_t) + "," +
         TimeCell(a.end_t) + "," + CsvCell(type) + "," + CsvCell(source) + "," + CsvCell(a.source_url);
}

std::string EventCells(const DetectedEvent& d) {
  const store::Event& e = d.event;
  char score[32];
  std::snprintf(score, sizeof score, "%.6g", e.score);
  return std::to_string(e.id) + "," + CsvCell(EntityRef(d.entity)) + "," + TimeCell(e.start_t) + "," +
         TimeCell(e.end_t) + "," + CsvCell(e.kind) + "," + CsvCell(e.classification) + "," + score + "," +
         store::ProvenanceLabel(e.provenance);
}

// One row per matched pair, per report without an event and per event without a report (a full outer join).
std::string Csv(const std::vector<Report>& reports, const std::vector<DetectedEvent>& events) {
  const std::string no_report = ",,,,,,", no_event = ",,,,,,,";
  std::string out =
      "match,report_id,report_entity,report_start,report_end,report_type,report_attribution,report_source_url,"
      "event_id,event_entity,event_start,event_end,event_kind,event_classification,event_score,event_provenance\n";
  for (const Report& r : reports) {
    for (size_t e : r.events) out += "reported+detected," + ReportCells(r) + "," + EventCells(events[e]) + "\n";
    if (r.events.empty()) {
      out += std::string(r.data_in_window ? "reported-only" : "reported-only-no-data") + "," + ReportCells(r) + "," +
             no_event + "\n";
    }
  }
  for (const DetectedEvent& d : events) {
    if (d.reports.empty()) out += "detected-only," + no_report + "," + EventCells(d) + "\n";
  }
  return out;
}

Json Summary(const std::vector<Report>& reports, const std::vector<DetectedEvent>& events) {
  int64_t reports_matched = 0, no_data = 0, events_matched = 0;
  for (const Report& r : reports) {
    reports_matched += r.events.empty() ? 0 : 1;
    no_data += r.events.empty() && !r.data_in_window ? 1 : 0;
  }
  Json by_provenance = Json::object();  // events per provenance label: what the detected side is made of
  for (const DetectedEvent& d : events) {
    events_matched += d.reports.empty() ? 0 : 1;
    std::string label = store::ProvenanceLabel(d.event.provenance);
    by_provenance[label] = by_provenance.value(label, 0) + 1;
  }
  return {{"reports", reports.size()},
          {"reports_with_event", reports_matched},
          {"reports_without_event", static_cast<int64_t>(reports.size()) - reports_matched},
          {"reports_without_data", no_data},
          {"events", events.size()},
          {"events_with_report", events_matched},
          {"events_without_report", static_cast<int64_t>(events.size()) - events_matched},
          {"events_by_provenance", std::move(by_provenance)}};
}

}  // namespace

HttpResponse HandleMeasuredVsReported(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  Json no_perf = nullptr;
  auto country = params.String("country");
  auto from = params.Time("from", true);
  auto until = params.Time("until", true);
  auto tolerance = params.Int("tolerance", kDefaultToleranceS, 0, kMaxToleranceS);
  std::string format = params.String("format", "json").value_or("json");
  if (!country) params.Fail("Missing required request parameter 'country'");
  if (format != "csv" && format != "json") params.Fail("format must be 'json' or 'csv'");
  if (from && until && *from >= *until) params.Fail("from must be earlier than until");
  if (from && until && *until - *from > kMaxPeriodS) params.Fail("until - from must be at most 3660 days");
  if (params.failed()) return Envelope(kType, params, nullptr, params.error(), no_perf, request_time);
  auto fail = [&](const Status& status) {
    int code = status.code() == StatusCode::kNotFound ? 404 : 500;
    return Envelope(kType, params, nullptr, status.message(), no_perf, request_time, code);
  };
  auto scope = ScopeOf(impl.store, *country);
  if (!scope.ok()) return fail(scope.status());
  Period period{*from, *until, *tolerance};
  auto reports = ReportsIn(impl.store, *scope, period);
  if (!reports.ok()) return fail(reports.status());
  auto events = EventsIn(impl.store, *scope, period);
  if (!events.ok()) return fail(events.status());
  Match(*scope, *reports, *events);
  auto datasources = impl.store.ListDatasources();
  if (!datasources.ok()) return fail(datasources.status());
  for (Report& r : *reports) {
    if (r.events.empty()) {
      r.data_in_window = HasData(impl.store, *datasources, r.entity.id, std::max(r.window_from, period.from),
                                 std::min(r.window_until, period.until));
    }
  }
  if (format == "csv") {
    HttpResponse response = TextResponse(200, "text/csv; charset=utf-8", Csv(*reports, *events));
    response.headers.emplace_back(
        "Content-Disposition", "attachment; filename=\"vigil-measured-vs-reported-" + scope->country.code + ".csv\"");
    return response;
  }
  Json data;
  data["country"] = EntityRef(scope->country);
  data["country_name"] = scope->country.name;
  data["from"] = period.from;
  data["until"] = period.until;
  data["tolerance_s"] = period.tolerance_s;
  data["summary"] = Summary(*reports, *events);
  data["reports"] = Json::array();
  for (const Report& r : *reports) data["reports"].push_back(ReportJson(r, *events));
  data["events"] = Json::array();
  for (const DetectedEvent& d : *events) data["events"].push_back(EventJson(d, *reports));
  return Envelope(kType, params, &data, "", no_perf, request_time);
}

}  // namespace vigil::api
