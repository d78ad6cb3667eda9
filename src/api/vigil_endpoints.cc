// SPDX-License-Identifier: AGPL-3.0-or-later
// Vigil's own endpoints under /api/v1: schedules, annotations, one event, export, map status, Atom feed.
#include <algorithm>
#include <cstdio>

#include "api/internal.h"
#include "base/time_format.h"

namespace vigil::api {
namespace {

std::string Clock(int minutes) {
  char text[8];
  minutes = ((minutes % 1440) + 1440) % 1440;
  std::snprintf(text, sizeof text, "%02d:%02d", minutes / 60, minutes % 60);
  return text;
}

Json ScheduleJson(Api::Impl& impl, const store::Schedule& s) {
  Json out;
  out["id"] = s.id;
  auto entity = impl.EntityById(s.entity_id);
  out["entity"] = entity ? EntityJson(impl, *entity) : Json(nullptr);
  out["location"] = entity ? EntityRef(*entity) : "";
  out["tz"] = s.tz;
  // The daily window without connectivity runs from on_end_min to on_start_min (local time).
  out["off_from_local"] = Clock(s.on_end_min);
  out["off_until_local"] = Clock(s.on_start_min);
  out["on_start_min"] = s.on_start_min;
  out["on_end_min"] = s.on_end_min;
  out["first_day"] = s.first_day;
  out["last_day"] = s.last_day;
  out["confidence"] = s.confidence;
  return out;
}

Json AnnotationJson(Api::Impl& impl, const store::Annotation& a) {
  Json out;
  out["id"] = a.id;
  auto entity = impl.EntityById(a.entity_id);
  out["entity"] = entity ? EntityRef(*entity) : "";
  out["entity_name"] = entity ? entity->name : "";
  out["kind"] = a.kind;
  out["start"] = a.start_t;
  out["end"] = a.end_t != 0 ? Json(a.end_t) : Json(nullptr);
  out["text"] = a.text;
  out["source_url"] = a.source_url;
  // Imported reports carry what their source says (type, networks, cause, telcos, links) and whom to cite.
  Json detail = a.detail.empty() ? Json() : Json::parse(a.detail, nullptr, false);
  if (detail.is_object()) {
    if (detail.contains("source")) out["attribution"] = detail["source"];
    detail.erase("import_key");
    out["detail"] = std::move(detail);
  }
  return out;
}

// Entities named by `entity=type/code` or by the IODA-style trio; nullopt = all.
std::optional<std::vector<int64_t>> EntitiesParam(Api::Impl& impl, Params& params) {
  auto ref = params.String("entity");
  if (ref) {
    auto entity = ResolveEntityRef(impl, *ref);
    if (!entity.ok()) {
      params.Fail("entity: " + entity.message());
      return std::vector<int64_t>{};
    }
    return std::vector<int64_t>{entity->id};
  }
  return EntityFilter(impl, params);
}

Result<int64_t> JsonTime(const Json& value, const std::string& name) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    auto t = ParseTime(value.get<std::string>());
    if (t.ok()) return *t;
  }
  return Status::InvalidArgument(name + " must be Unix seconds or an RFC 3339 time");
}

}  // namespace

HttpResponse HandleSchedules(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  auto ids = EntitiesParam(impl, params);
  Json no_perf = nullptr;
  if (params.failed()) return Envelope("vigil.schedules", params, nullptr, params.error(), no_perf, request_time);
  Json data = Json::array();
  if (!ids || !ids->empty()) {
    auto list = impl.store.ListSchedules(ids ? *ids : std::vector<int64_t>{});
    if (!list.ok())
      return Envelope("vigil.schedules", params, nullptr, "store: " + list.message(), no_perf, request_time, 500);
    for (const auto& s : *list) data.push_back(ScheduleJson(impl, s));
  }
  return Envelope("vigil.schedules", params, &data, "", no_perf, request_time);
}

HttpResponse HandleAnnotations(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts) {
  int64_t request_time = NowSeconds();
  Params params(request);
  Json no_perf = nullptr;
  if (request.method == "GET" || request.method == "HEAD") {
    if (parts.size() != 3) return JsonResponse(404, Json{{"error", "not found: " + request.path}});
    auto from = params.Time("from", false);
    auto until = params.Time("until", false);
    auto ids = EntitiesParam(impl, params);
    if (params.failed()) return Envelope("vigil.annotations", params, nullptr, params.error(), no_perf, request_time);
    Json data = Json::array();
    if (!ids || !ids->empty()) {
      store::TimeFilter filter;
      filter.from = from.value_or(0);
      filter.until = until.value_or(INT64_MAX / 2);
      if (ids) filter.entity_ids = *ids;
      auto list = impl.store.ListAnnotations(filter);
      if (!list.ok())
        return Envelope("vigil.annotations", params, nullptr, "store: " + list.message(), no_perf, request_time, 500);
      for (const auto& a : *list) data.push_back(AnnotationJson(impl, a));
    }
    return Envelope("vigil.annotations", params, &data, "", no_perf, request_time);
  }
  if (auto refused = RequireAdmin(impl, request)) return *refused;
  if (request.method == "DELETE") {
    int64_t id = 0;
    if (parts.size() != 4 || !ParseId(parts[3], id)) {
      return JsonResponse(400, Json{{"error", "DELETE needs /api/v1/annotations/{id} (a positive integer)"}});
    }
    params.Echo("id", id);
    Status deleted = impl.store.DeleteAnnotation(id);
    impl.cache.Clear();
    if (!deleted.ok())
      return Envelope("vigil.annotations", params, nullptr, deleted.message(), no_perf, request_time, 404);
    Json data = {{"deleted", id}};
    return Envelope("vigil.annotations", params, &data, "", no_perf, request_time);
  }
  if (request.method != "POST" || parts.size() != 3) {
    return JsonResponse(405, Json{{"error", "use GET or POST /api/v1/annotations, DELETE /api/v1/annotations/{id}"}});
  }
  Json body = Json::parse(request.body, nullptr, false);
  auto fail = [&](const std::string& message) {
    return Envelope("vigil.annotations", params, nullptr, message, no_perf, request_time);
  };
  if (body.is_discarded() || !body.is_object()) return fail("body must be a JSON object");
  for (const char* field : {"entity", "kind", "start"}) {
    if (!body.contains(field)) return fail(std::string("missing field '") + field + "'");
  }
  if (!body["entity"].is_string()) return fail("entity must be a string 'type/code'");
  auto entity = ResolveEntityRef(impl, body["entity"].get<std::string>());
  if (!entity.ok()) return fail("entity: " + entity.message());
  store::Annotation a;
  a.entity_id = entity->id;
  a.kind = body["kind"].is_string() ? body["kind"].get<std::string>() : "";
  static const char* const kKinds[] = {"state-of-emergency", "curfew-order", "shutdown-order", "note", "report"};
  if (std::find(std::begin(kKinds), std::end(kKinds), a.kind) == std::end(kKinds)) {
    return fail("kind must be one of state-of-emergency, curfew-order, shutdown-order, note, report");
  }
  auto start = JsonTime(body["start"], "start");
  if (!start.ok()) return fail(start.message());
  a.start_t = *start;
  if (body.contains("end") && !body["end"].is_null()) {
    auto end = JsonTime(body["end"], "end");
    if (!end.ok()) return fail(end.message());
    if (*end <= a.start_t) return fail("end must be later than start");
    a.end_t = *end;
  }
  a.text = body.value("text", "");
  a.source_url = body.value("source_url", "");
  if (a.text.size() > 4000) return fail("text is longer than 4000 characters");
  if (!a.source_url.empty() && a.source_url.rfind("https://", 0) != 0 && a.source_url.rfind("http://", 0) != 0) {
    return fail("source_url must start with https:// or http://");
  }
  if (a.source_url.size() > 2000) return fail("source_url is longer than 2000 characters");
  auto id = impl.store.AddAnnotation(a);
  impl.cache.Clear();
  if (!id.ok())
    return Envelope("vigil.annotations", params, nullptr, "store: " + id.message(), no_perf, request_time, 500);
  a.id = *id;
  Json data = AnnotationJson(impl, a);
  HttpResponse response = Envelope("vigil.annotations", params, &data, "", no_perf, request_time);
  response.status = 201;
  return response;
}

HttpResponse HandleEventById(Api::Impl& impl, const HttpRequest& request, int64_t id) {
  int64_t request_time = NowSeconds();
  Params params(request);
  params.Echo("id", id);
  Json no_perf = nullptr;
  auto event = impl.store.EventById(id);
  if (!event.ok())
    return Envelope("vigil.event", params, nullptr, "store: " + event.message(), no_perf, request_time, 500);
  if (!event->has_value())
    return Envelope("vigil.event", params, nullptr, "no event " + std::to_string(id), no_perf, request_time, 404);
  const store::Event& e = **event;
  Json data = EventCodf(impl, e, e.start_t, e.end_t != 0 ? e.end_t : NowSeconds());
  auto entity = impl.EntityById(e.entity_id);
  data["entity"] = entity ? EntityJson(impl, *entity) : Json(nullptr);
  data["schedule"] = nullptr;
  if (e.schedule_id != 0) {
    if (auto list = impl.store.ListSchedules({e.entity_id}); list.ok()) {
      for (const auto& s : *list) {
        if (s.id == e.schedule_id) data["schedule"] = ScheduleJson(impl, s);
      }
    }
  }
  data["detail"] = Json::parse(e.detail.empty() ? "null" : e.detail, nullptr, false);
  if (data["detail"].is_discarded()) data["detail"] = e.detail;
  Json reports;
  for (const char* format : {"html", "md", "json", "csv"}) {
    reports[format] = "/api/v1/events/" + std::to_string(id) + "/report." + format;
  }
  data["reports"] = reports;
  return Envelope("vigil.event", params, &data, "", no_perf, request_time);
}

HttpResponse HandleExport(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  Json no_perf = nullptr;
  auto ref = params.String("entity");
  auto datasource = params.String("datasource");
  auto from = params.Time("from", true);
  auto until = params.Time("until", true);
  std::string format = params.String("format", "csv").value_or("csv");
  if (!ref) params.Fail("Missing required request parameter 'entity'");
  if (format != "csv" && format != "json") params.Fail("format must be 'csv' or 'json'");
  if (from && until && *from >= *until) params.Fail("from must be earlier than until");
  if (from && until && *until - *from > 366LL * 86400) params.Fail("until - from must be at most 366 days");
  if (params.failed()) return Envelope("vigil.export", params, nullptr, params.error(), no_perf, request_time);
  auto entity = ResolveEntityRef(impl, *ref);
  if (!entity.ok())
    return Envelope("vigil.export", params, nullptr, "entity: " + entity.message(), no_perf, request_time);
  auto all = impl.store.ListDatasources();
  if (!all.ok())
    return Envelope("vigil.export", params, nullptr, "store: " + all.message(), no_perf, request_time, 500);
  std::vector<std::string> names;
  for (const auto& ds : *all) {
    if (!datasource || ds.name == *datasource) names.push_back(ds.name);
  }
  if (datasource && names.empty()) {
    return Envelope("vigil.export", params, nullptr, "invalid datasource " + *datasource, no_perf, request_time);
  }
  std::string csv = "entity,datasource,t,time,value\n";
  Json data = Json::array();
  for (const auto& name : names) {
    auto points = impl.store.ReadSeries(name, entity->id, *from, *until);
    if (!points.ok())
      return Envelope("vigil.export", params, nullptr, "store: " + points.message(), no_perf, request_time, 500);
    for (const auto& p : *points) {
      char value[64];
      std::snprintf(value, sizeof value, "%.17g", p.value);
      csv +=
          EntityRef(*entity) + "," + name + "," + std::to_string(p.t) + "," + FormatRfc3339(p.t) + "," + value + "\n";
      data.push_back(Json{{"entity", EntityRef(*entity)}, {"datasource", name}, {"t", p.t}, {"value", p.value}});
    }
  }
  if (format == "json") return Envelope("vigil.export", params, &data, "", no_perf, request_time);
  HttpResponse response = TextResponse(200, "text/csv; charset=utf-8", csv);
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"vigil-export.csv\"");
  return response;
}

HttpResponse HandleStatus(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  Json no_perf = nullptr;
  auto from = params.Time("from", true);
  auto until = params.Time("until", true);
  auto ids = EntityFilter(impl, params);
  if (from && until && *from >= *until) params.Fail("from must be earlier than until");
  if (params.failed()) return Envelope("vigil.status", params, nullptr, params.error(), no_perf, request_time);
  std::string key = request.path;
  for (const auto& [k, v] : request.params) key += "\x1f" + k + "=" + v;
  if (auto cached = impl.cache.Get(key, impl.options.cache_ttl_s)) {
    return EnvelopeRaw("vigil.status", params, *cached, no_perf, request_time);
  }
  std::vector<store::Entity> entities;
  if (ids) {
    for (int64_t id : *ids) {
      if (auto e = impl.EntityById(id)) entities.push_back(*e);
    }
  } else if (auto list = impl.store.ListEntities(store::EntityQuery{}); list.ok()) {
    entities = *list;
  }
  auto datasources = impl.store.ListDatasources();
  Json data = Json::array();
  for (const auto& e : entities) {
    store::TimeFilter filter;
    filter.from = *from;
    filter.until = *until;
    filter.entity_ids = {e.id};
    int worst = -1;
    std::string worst_ds;
    int64_t last_alert_t = INT64_MIN;
    int current = 0;
    if (auto alerts = impl.store.ListAlerts(filter); alerts.ok()) {
      for (const auto& a : *alerts) {
        int rank = LevelRank(a.level);
        if (rank > worst) {
          worst = rank;
          worst_ds = a.datasource;
        }
        if (a.t >= last_alert_t) {
          last_alert_t = a.t;
          current = rank;
        }
      }
    }
    int64_t event_count = 0;
    bool ongoing_at_until = false;
    if (auto events = impl.store.ListEvents(filter); events.ok()) {
      for (const auto& ev : *events) {
        ++event_count;
        // An event without alerts in the window (it began earlier) still marks the window.
        worst = std::max(worst, ev.depth >= 0.5 || ev.depth == 0 ? 2 : 1);
        if (ev.end_t == 0 || ev.end_t >= *until) ongoing_at_until = true;
      }
    }
    bool has_data = false;
    if (datasources.ok()) {
      for (const auto& ds : *datasources) {
        auto agg = impl.store.ReadAggregated(ds.name, e.id, *from, *until, *until - *from);
        if (agg.ok() && !agg->values.empty() && agg->values[0].has_value()) {
          has_data = true;
          break;
        }
      }
    }
    std::string level = !has_data && worst < 1 ? "no-data" : RankName(std::max(worst, 0));
    Json item;
    item["entity"] = EntityJson(impl, e);
    item["location"] = EntityRef(e);
    item["level"] = level;
    item["current"] = ongoing_at_until ? RankName(std::max(worst, 1)) : (has_data ? RankName(current) : "no-data");
    item["datasource"] = worst_ds.empty() ? Json(nullptr) : Json(worst_ds);
    item["event_cnt"] = event_count;
    item["has_data"] = has_data;
    data.push_back(std::move(item));
  }
  std::string serialised = data.dump(-1, ' ', false, Json::error_handler_t::replace);
  impl.cache.Put(key, serialised);
  return EnvelopeRaw("vigil.status", params, serialised, no_perf, request_time);
}

HttpResponse HandleFeed(Api::Impl& impl, const HttpRequest& request) {
  Params params(request);
  int64_t now = NowSeconds();
  auto from = params.Time("from", false);
  auto until = params.Time("until", false);
  if (params.failed()) return JsonResponse(400, Json{{"error", params.error()}});
  store::TimeFilter filter;
  filter.until = until.value_or(now + 86400);
  filter.from = from.value_or(filter.until - 30 * 86400);
  filter.limit = 0;
  auto events = impl.store.ListEvents(filter);
  if (!events.ok()) return JsonResponse(500, Json{{"error", "store: " + events.message()}});
  std::sort(events->begin(), events->end(), [](const auto& a, const auto& b) { return a.start_t > b.start_t; });
  if (events->size() > 200) events->resize(200);
  int64_t updated = 0;
  for (const auto& e : *events) updated = std::max(updated, std::max(e.start_t, e.end_t));
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  out += "  <title>Vigil: Internet shutdown events</title>\n  <id>urn:vigil:events</id>\n";
  out += "  <link rel=\"self\" href=\"/api/v1/feed.atom\"/>\n  <updated>" + FormatRfc3339(updated ? updated : now) +
         "</updated>\n";
  out += "  <author><name>Vigil</name></author>\n";
  for (const auto& e : *events) {
    auto entity = impl.EntityById(e.entity_id);
    std::string name = entity ? (entity->name.empty() ? entity->code : entity->name) : "unknown";
    std::string where = entity ? EntityRef(*entity) : "";
    std::string title = (e.end_t == 0 ? "Ongoing " : "") + e.kind + " in " + name +
                        (e.classification.empty() ? "" : " (" + e.classification + ")");
    std::string summary = "From " + FormatRfc3339(e.start_t) +
                          (e.end_t ? " until " + FormatRfc3339(e.end_t) : " (ongoing)") + "; datasources " +
                          e.datasources + "; score " + std::to_string(e.score) + ".";
    out += "  <entry>\n    <id>urn:vigil:event:" + std::to_string(e.id) + "</id>\n";
    out += "    <title>" + MarkupEscape(title) + "</title>\n";
    out += "    <updated>" + FormatRfc3339(std::max(e.start_t, e.end_t)) + "</updated>\n";
    out += "    <category term=\"" + MarkupEscape(where) + "\"/>\n";
    out += "    <link href=\"/?view=event&amp;id=" + std::to_string(e.id) + "\"/>\n";
    out += "    <link rel=\"alternate\" type=\"text/html\" href=\"/api/v1/events/" + std::to_string(e.id) +
           "/report.html\"/>\n";
    out += "    <summary>" + MarkupEscape(summary) + "</summary>\n  </entry>\n";
  }
  out += "</feed>\n";
  return TextResponse(200, "application/atom+xml; charset=utf-8", out);
}

}  // namespace vigil::api
