// SPDX-License-Identifier: AGPL-3.0-or-later
// The IODA v2-compatible endpoints: signals/raw, outages/{alerts,events,summary}, entities/query,
// datasources. Shapes follow IODA's normalizers; Vigil's additions are extra keys, never renamed ones.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <set>

#include "api/internal.h"
#include "base/json_text.h"
#include "base/time_format.h"

namespace vigil::api {
namespace {

// IODA's ALLOWED_STEPS.
constexpr int64_t kSteps[] = {60,    120,   300,    600,    900,     1800,    3600,     7200,     21600,
                              43200, 86400, 172800, 604800, 1209600, 2419200, 31536000, 63072000, 315360000};

const char* const kEntityTypes[] = {"continent", "country", "region", "county", "asn", "geoasn"};

bool KnownEntityType(const std::string& type) {
  return std::find(std::begin(kEntityTypes), std::end(kEntityTypes), type) != std::end(kEntityTypes);
}

int64_t ChooseStep(int64_t native, int64_t from, int64_t until, std::optional<int64_t> max_points) {
  if (!max_points) return native;
  int64_t chosen = native;
  for (int64_t step : kSteps) {
    if (step < native) continue;
    chosen = step;
    if ((until - from) / step <= *max_points) break;
  }
  return chosen;
}

// Values per step bucket: the average of the points in each. Up to half a million raw points are read with an
// ordered range scan and averaged here (measured ~20x faster than SQLite's GROUP BY on 8,640 points); longer
// spans let the store aggregate.
Result<std::vector<std::optional<double>>> ReadStep(store::Store& store, const std::string& datasource,
                                                    int64_t entity_id, int64_t from, int64_t until, int64_t step,
                                                    int64_t native) {
  if ((until - from) / std::max<int64_t>(native, 1) <= 500000) {
    auto points = store.ReadSeries(datasource, entity_id, from, until);
    if (!points.ok()) return points.status();
    size_t n = static_cast<size_t>((until - from + step - 1) / step);
    std::vector<double> sum(n, 0);
    std::vector<uint32_t> count(n, 0);
    for (const auto& p : *points) {
      size_t i = static_cast<size_t>((p.t - from) / step);
      if (p.t < from || i >= n) continue;
      sum[i] += p.value;
      count[i]++;
    }
    std::vector<std::optional<double>> values(n);
    for (size_t i = 0; i < n; ++i) {
      if (count[i]) values[i] = sum[i] / count[i];
    }
    return values;
  }
  auto aggregated = store.ReadAggregated(datasource, entity_id, from, until, step);
  if (!aggregated.ok()) return aggregated.status();
  return std::move(aggregated->values);
}

// JSON array of numbers and nulls; whole numbers print as integers, others in the shortest form that
// reads back exactly.
void AppendValues(const std::vector<std::optional<double>>& values, std::string& out) {
  out += '[';
  char buffer[32];
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (!values[i] || !std::isfinite(*values[i])) {
      out += "null";
      continue;
    }
    double v = *values[i];
    std::to_chars_result r = std::floor(v) == v && std::fabs(v) < 9e15
                                 ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(v))
                                 : std::to_chars(buffer, buffer + sizeof buffer, v);
    out.append(buffer, r.ptr);
  }
  out += ']';
}

struct DatasourceInfo {
  const char* name;
  const char* label;
  const char* units;
};
const DatasourceInfo kKnownDatasources[] = {
    {"bgp", "BGP", "Visible /24s"},
    {"bgp-v6", "BGP (IPv6)", "Visible /48s"},
    {"ping-slash24", "Active Probing", "Up /24s"},
    {"rtt-p50", "Active Probing Latency (median RTT)", "Milliseconds"},
    {"loss", "Active Probing Loss", "Fraction of probes lost (0..1)"},
};

Json DatasourceJson(const store::Datasource& ds) {
  Json out;
  out["datasource"] = ds.name;
  const DatasourceInfo* info = nullptr;
  for (const auto& known : kKnownDatasources) {
    if (ds.name == known.name) info = &known;
  }
  out["name"] = info ? info->label : (ds.description.empty() ? ds.name : ds.description);
  out["units"] = info ? info->units : "";
  out["nativeStep"] = ds.step_s;
  if (!ds.description.empty()) out["description"] = ds.description;
  return out;
}

// Checks `datasource` against the registered ones, with IODA's message.
const store::Datasource* FindDatasource(const std::vector<store::Datasource>& all, const std::string& name,
                                        Params& params) {
  for (const auto& ds : all) {
    if (ds.name == name) return &ds;
  }
  std::string names;
  for (const auto& ds : all) names += (names.empty() ? "" : ", ") + ds.name;
  params.Fail("invalid datasource " + name + " (must be one of the following [" + names + "])");
  return nullptr;
}

std::string CacheKey(const HttpRequest& request) {
  auto params = request.params;
  std::sort(params.begin(), params.end());
  std::string key = request.path;
  for (const auto& [k, v] : params) key += "\x1f" + k + "=" + v;
  return key;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

Json AlertJson(Api::Impl& impl, const store::Alert& alert) {
  Json out;
  out["datasource"] = alert.datasource;
  auto entity = impl.EntityById(alert.entity_id);
  out["entity"] = entity ? EntityJson(impl, *entity) : Json(nullptr);
  out["time"] = alert.t;
  out["level"] = store::AlertLevelName(alert.level);
  out["condition"] = alert.condition;
  out["value"] = alert.value;
  out["historyValue"] = alert.baseline;
  out["method"] = alert.method.empty() ? "median" : alert.method;
  return out;
}

struct OutageQuery {
  int64_t from = 0, until = 0;
  std::optional<std::vector<int64_t>> ids;
  std::optional<std::string> datasource;
  int64_t limit = 500, page = 0;
  std::vector<std::string> ignore_methods;
  int64_t extend = 0;
};

// Parameters shared by the three outages endpoints, in IODA's order.
OutageQuery ParseOutageQuery(Api::Impl& impl, Params& params, int64_t default_extend) {
  OutageQuery q;
  auto from = params.Time("from", true);
  auto until = params.Time("until", true);
  q.ids = EntityFilter(impl, params);
  q.datasource = params.String("datasource");
  q.limit = params.Int("limit", 500, 1, 100000).value_or(500);
  q.page = params.Int("page", 0, 0, 1000000).value_or(0);
  q.ignore_methods = params.List("ignoreMethods");
  q.extend = params.Int("extendWindow", default_extend, 0, 366LL * 86400).value_or(0);
  if (from && until && *from >= *until) {
    params.Fail("from (" + std::to_string(*from) + ") must be earlier than until (" + std::to_string(*until) + ")");
  }
  if (q.datasource && !params.failed()) {
    auto all = impl.store.ListDatasources();
    if (all.ok()) FindDatasource(*all, *q.datasource, params);
  }
  q.from = from.value_or(0);
  q.until = until.value_or(0);
  return q;
}

store::TimeFilter ToFilter(const OutageQuery& q) {
  store::TimeFilter filter;
  filter.from = q.from - q.extend;
  filter.until = q.until + q.extend;
  if (q.ids) filter.entity_ids = *q.ids;
  filter.datasource = q.datasource;
  return filter;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool EventIgnored(const store::Event& event, const OutageQuery& q) {
  auto datasources = SplitComma(event.datasources);
  if (q.datasource && std::find(datasources.begin(), datasources.end(), *q.datasource) == datasources.end()) {
    return true;
  }
  if (q.ignore_methods.empty() || datasources.empty()) return false;
  for (const auto& ds : datasources) {
    if (!MethodIgnored(q.ignore_methods, ds, "median")) return false;
  }
  return true;
}

std::vector<store::Event> QueryEvents(Api::Impl& impl, const OutageQuery& q, Params& params) {
  if (q.ids && q.ids->empty()) return {};
  store::TimeFilter filter = ToFilter(q);
  filter.datasource.reset();  // an event's datasources are a list; matched below
  auto events = impl.store.ListEvents(filter);
  if (!events.ok()) {
    params.Fail("store: " + events.message());
    return {};
  }
  std::vector<store::Event> kept;
  for (auto& e : *events) {
    if (!EventIgnored(e, q)) kept.push_back(std::move(e));
  }
  return kept;
}

template <typename T>
std::vector<T> Page(std::vector<T> items, int64_t limit, int64_t page) {
  size_t begin = static_cast<size_t>(std::min<int64_t>(limit * page, static_cast<int64_t>(items.size())));
  size_t end =
      static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(begin) + limit, static_cast<int64_t>(items.size())));
  return std::vector<T>(std::make_move_iterator(items.begin() + begin), std::make_move_iterator(items.begin() + end));
}

// orderBy "time|score|name[/asc|desc]"
bool ParseOrderBy(Params& params, const std::string& fallback, std::string& key, bool& descending) {
  std::string text = params.String("orderBy", fallback).value_or(fallback);
  auto slash = text.find('/');
  key = text.substr(0, slash);
  std::string dir = slash == std::string::npos ? "" : text.substr(slash + 1);
  if (key != "time" && key != "score" && key != "name") {
    params.Fail("orderBy attribute must be in ['time', 'score', 'name']");
    return false;
  }
  if (dir.empty()) dir = key == "score" ? "desc" : "asc";
  if (dir != "asc" && dir != "desc") {
    params.Fail("orderBy direction must be 'asc' or 'desc'");
    return false;
  }
  descending = dir == "desc";
  return true;
}

}  // namespace

namespace {

// JSON text helpers for the event writer (strings: AppendJsonString), without building a DOM per event.
void AppendKey(std::string& out, const char* key) {
  out += '"';
  out += key;
  out += "\":";
}

void AppendInt(std::string& out, int64_t v) {
  char buffer[24];
  auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  out.append(buffer, r.ptr);
}

// As nlohmann prints a double: shortest round-trip form, ".0" on whole numbers, null when not finite.
void AppendDouble(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buffer[32];
  auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  std::string_view text(buffer, static_cast<size_t>(r.ptr - buffer));
  out.append(text);
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

}  // namespace

void AppendEventCodf(Api::Impl& impl, const store::Event& event, int64_t window_from, int64_t window_until,
                     std::string& out) {
  auto entity = impl.EntityById(event.entity_id);
  int64_t end = event.end_t != 0 ? event.end_t : std::max(window_until, event.start_t);
  auto datasources = SplitComma(event.datasources);
  out += '{';
  AppendKey(out, "location");
  AppendJsonString(out, entity ? EntityRef(*entity) : "unknown/" + std::to_string(event.entity_id));
  out += ',';
  AppendKey(out, "start");
  AppendInt(out, event.start_t);
  out += ',';
  AppendKey(out, "duration");
  AppendInt(out, end - event.start_t);
  out += ",\"uncertainty\":null,\"method\":\"median\",";
  AppendKey(out, "datasource");
  AppendJsonString(out, datasources.size() == 1 ? event.datasources : std::string("overall"));
  out += ',';
  AppendKey(out, "status");
  AppendInt(out, event.end_t == 0 ? 1 : 0);
  out += ",\"fraction\":null,";
  AppendKey(out, "score");
  AppendDouble(out, event.score);
  out += ',';
  AppendKey(out, "location_name");
  AppendJsonString(out, entity ? (entity->name.empty() ? entity->code : entity->name) : "");
  out += ',';
  AppendKey(out, "overlaps_window");
  out += event.start_t < window_from || event.end_t == 0 || event.end_t > window_until ? "true" : "false";
  // Vigil's fields.
  out += ',';
  AppendKey(out, "id");
  AppendInt(out, event.id);
  out += ',';
  AppendKey(out, "kind");
  AppendJsonString(out, event.kind);
  out += ',';
  AppendKey(out, "end");
  if (event.end_t != 0) {
    AppendInt(out, event.end_t);
  } else {
    out += "null";
  }
  out += ',';
  AppendKey(out, "ongoing");
  out += event.end_t == 0 ? "true" : "false";
  out += ',';
  AppendKey(out, "datasources");
  out += '[';
  for (size_t i = 0; i < datasources.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, datasources[i]);
  }
  out += "],";
  AppendKey(out, "classification");
  AppendJsonString(out, event.classification);
  out += ',';
  AppendKey(out, "schedule_id");
  if (event.schedule_id != 0) {
    AppendInt(out, event.schedule_id);
  } else {
    out += "null";
  }
  out += ',';
  AppendKey(out, "depth");
  AppendDouble(out, event.depth);
  out += ',';
  AppendKey(out, "coverage");
  // Detection writes coverage as JSON text: passed through when it is JSON, quoted when it is not.
  Json coverage = Json::parse(event.coverage.empty() ? "null" : event.coverage, nullptr, false);
  if (coverage.is_discarded()) {
    AppendJsonString(out, event.coverage);
  } else {
    out += coverage.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  out += '}';
}

Json EventCodf(Api::Impl& impl, const store::Event& event, int64_t window_from, int64_t window_until) {
  std::string text;
  AppendEventCodf(impl, event, window_from, window_until, text);
  return Json::parse(text);
}

// Size limits before any read: a year of 5-minute bins per series unless maxPoints downsamples, and at most
// max_values_per_request values (entities × datasources × bins) in all.
static void CheckSignalsSize(Api::Impl& impl, Params& params, const std::vector<store::Datasource>& selected,
                             int64_t from, int64_t until, std::optional<int64_t> max_points, size_t entities) {
  int64_t values = 0;
  for (const auto& ds : selected) {
    int64_t step = ChooseStep(ds.step_s, from, until, max_points);
    int64_t bins = (until - BinStart(from, step) + step - 1) / step;
    if (bins > impl.options.max_points_per_series) {
      params.Fail("until - from covers " + std::to_string(bins) + " bins of " + std::to_string(step) +
                  " s for datasource " + ds.name + ", more than the limit of " +
                  std::to_string(impl.options.max_points_per_series) + "; set maxPoints to downsample");
      return;
    }
    values += bins * static_cast<int64_t>(entities);
  }
  if (values > impl.options.max_values_per_request) {
    params.Fail("request covers " + std::to_string(values) + " values (" + std::to_string(entities) + " entities x " +
                std::to_string(selected.size()) + " datasources x their bins), more than the limit of " +
                std::to_string(impl.options.max_values_per_request) +
                " values per request; ask for fewer entities, a shorter window, one datasource or a smaller maxPoints");
  }
}

HttpResponse HandleSignalsRaw(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts) {
  int64_t request_time = NowSeconds();
  auto started = std::chrono::steady_clock::now();
  Params params(request);
  std::string type = parts.size() > 3 ? parts[3] : "";
  std::string code_list = parts.size() > 4 ? parts[4] : "";
  params.Echo("entityType", type);
  params.Echo("entityCode", code_list);
  auto from = params.Time("from", true);
  auto until = params.Time("until", true);
  auto datasource = params.String("datasource");
  params.String("sourceParams");
  auto max_points = params.Int("maxPoints", std::nullopt, 1, 100000);
  if (parts.size() != 5) params.Fail("path must be /v2/signals/raw/{entityType}/{entityCode}");
  if (!KnownEntityType(type)) {
    params.Fail("invalid entityType '" + type + "' (must be one of continent, country, region, county, asn, geoasn)");
  }
  auto codes = SplitComma(code_list);
  if (codes.size() > 100) params.Fail("entityCode lists more than 100 entities");
  if (from && until && *from >= *until) {
    params.Fail("from (" + std::to_string(*from) + ") must be earlier than until (" + std::to_string(*until) + ")");
  }
  Json no_perf = nullptr;
  if (params.failed()) return Envelope("signals", params, nullptr, params.error(), no_perf, request_time);
  // Only successful answers are cached, so a hit needs no store call at all.
  std::string key = CacheKey(request);
  if (auto cached = impl.cache.Get(key, impl.options.cache_ttl_s)) {
    Json perf = Json::array({Json{{"datasource", "cache"}, {"backend", "memory"}, {"timeUsed", Seconds(started)}}});
    return EnvelopeRaw("signals", params, *cached, perf, request_time);
  }

  auto all = impl.store.ListDatasources();
  if (!all.ok()) return Envelope("signals", params, nullptr, "store: " + all.message(), no_perf, request_time, 500);
  std::vector<store::Datasource> selected;
  if (datasource) {
    if (auto* ds = FindDatasource(*all, *datasource, params)) selected.push_back(*ds);
  } else {
    selected = *all;
  }
  CheckSignalsSize(impl, params, selected, *from, *until, max_points, codes.size());
  if (params.failed()) return Envelope("signals", params, nullptr, params.error(), no_perf, request_time);

  std::string data = "[";
  std::map<std::string, double> time_used;
  for (const auto& code : codes) {
    auto entity = impl.store.FindEntity(type, code);
    if (!entity.ok())
      return Envelope("signals", params, nullptr, "store: " + entity.message(), no_perf, request_time, 500);
    if (!entity->has_value()) continue;  // unknown entities are left out, as IODA does
    const store::Entity& e = **entity;
    if (data.size() > 1) data += ',';
    data += '[';
    bool first_series = true;
    for (const auto& ds : selected) {
      auto ds_started = std::chrono::steady_clock::now();
      int64_t step = ChooseStep(ds.step_s, *from, *until, max_points);
      int64_t aligned = BinStart(*from, step);
      auto series = ReadStep(impl.store, ds.name, e.id, aligned, *until, step, ds.step_s);
      if (!series.ok())
        return Envelope("signals", params, nullptr, "store: " + series.message(), no_perf, request_time, 500);
      bool any = std::any_of(series->begin(), series->end(), [](const auto& v) { return v.has_value(); });
      if (!any) {
        // Keep an all-null series only for entities that have this datasource at all.
        auto with = impl.store.EntitiesWithSeries(ds.name);
        if (!with.ok() || std::find(with->begin(), with->end(), e.id) == with->end()) continue;
      }
      Json s;
      s["entityType"] = e.type;
      s["entityCode"] = e.code;
      s["entityName"] = e.name.empty() ? e.code : e.name;
      s["entityFqid"] = EntityFqid(impl, e);
      s["datasource"] = ds.name;
      s["subtype"] = "";
      s["from"] = aligned;
      s["until"] = *until;
      s["step"] = step;
      s["nativeStep"] = ds.step_s;
      std::string head = s.dump(-1, ' ', false, Json::error_handler_t::replace);
      head.pop_back();  // reopen the object for "values"
      if (!first_series) data += ',';
      first_series = false;
      data += head;
      data += ",\"values\":";
      AppendValues(*series, data);
      data += '}';
      time_used[ds.name] += Seconds(ds_started);
    }
    data += ']';
  }
  data += ']';
  Json perf = Json::array();
  for (const auto& [ds, t] : time_used)
    perf.push_back(Json{{"datasource", ds}, {"backend", "vigil-store"}, {"timeUsed", t}});
  impl.cache.Put(key, data);
  return EnvelopeRaw("signals", params, data, perf, request_time);
}

HttpResponse HandleAlerts(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  OutageQuery q = ParseOutageQuery(impl, params, 0);
  Json no_perf = nullptr;
  if (params.failed()) return Envelope("outages.alerts", params, nullptr, params.error(), no_perf, request_time);
  std::string key = CacheKey(request);
  if (auto cached = impl.cache.Get(key, impl.options.cache_ttl_s)) {
    return EnvelopeRaw("outages.alerts", params, *cached, no_perf, request_time);
  }
  Json data = Json::array();
  if (!q.ids || !q.ids->empty()) {
    auto alerts = impl.store.ListAlerts(ToFilter(q));
    if (!alerts.ok())
      return Envelope("outages.alerts", params, nullptr, "store: " + alerts.message(), no_perf, request_time, 500);
    std::vector<store::Alert> kept;
    for (auto& a : *alerts) {
      if (!MethodIgnored(q.ignore_methods, a.datasource, a.method.empty() ? "median" : a.method))
        kept.push_back(std::move(a));
    }
    std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.t < b.t; });
    for (const auto& a : Page(std::move(kept), q.limit, q.page)) data.push_back(AlertJson(impl, a));
  }
  std::string serialised = data.dump(-1, ' ', false, Json::error_handler_t::replace);
  impl.cache.Put(key, serialised);
  return EnvelopeRaw("outages.alerts", params, serialised, no_perf, request_time);
}

HttpResponse HandleEvents(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  OutageQuery q = ParseOutageQuery(impl, params, 0);
  bool include_alerts = params.Bool("includeAlerts", false);
  std::string format = params.String("format", "codf").value_or("codf");
  std::string order_key;
  bool descending = false;
  ParseOrderBy(params, "time/asc", order_key, descending);
  params.Bool("overall", false);
  if (format != "codf" && format != "ioda") params.Fail("format must be 'codf' or 'ioda'");
  Json no_perf = nullptr;
  if (params.failed()) return Envelope("outages.events", params, nullptr, params.error(), no_perf, request_time);
  std::string key = CacheKey(request);
  if (auto cached = impl.cache.Get(key, impl.options.cache_ttl_s)) {
    return EnvelopeRaw("outages.events", params, *cached, no_perf, request_time);
  }
  auto events = QueryEvents(impl, q, params);
  if (params.failed()) return Envelope("outages.events", params, nullptr, params.error(), no_perf, request_time, 500);
  auto name_of = [&](const store::Event& e) {
    auto entity = impl.EntityById(e.entity_id);
    return entity ? entity->name : std::string();
  };
  std::stable_sort(events.begin(), events.end(), [&](const store::Event& a, const store::Event& b) {
    if (order_key == "score") return descending ? a.score > b.score : a.score < b.score;
    if (order_key == "name") return descending ? name_of(a) > name_of(b) : name_of(a) < name_of(b);
    return descending ? a.start_t > b.start_t : a.start_t < b.start_t;
  });
  if (format == "codf" && !include_alerts) {
    // The common case (what IODA's dashboard and Vigil's ask for) is written straight to text.
    std::string serialised = "[";
    for (const auto& e : Page(std::move(events), q.limit, q.page)) {
      if (serialised.size() > 1) serialised += ',';
      AppendEventCodf(impl, e, q.from, q.until, serialised);
    }
    serialised += ']';
    impl.cache.Put(key, serialised);
    return EnvelopeRaw("outages.events", params, serialised, no_perf, request_time);
  }
  Json data = Json::array();
  for (const auto& e : Page(std::move(events), q.limit, q.page)) {
    Json item;
    if (format == "codf") {
      item = EventCodf(impl, e, q.from, q.until);
    } else {
      auto entity = impl.EntityById(e.entity_id);
      item["entity"] = entity ? EntityJson(impl, *entity) : Json(nullptr);
      item["from"] = e.start_t;
      item["until"] = e.end_t != 0 ? e.end_t : q.until;
      item["score"] = e.score;
      auto datasources = SplitComma(e.datasources);
      item["datasource"] = datasources.size() == 1 ? e.datasources : std::string("overall");
      item["method"] = datasources.size() == 1 ? "median" : "multiple";
      item["id"] = e.id;
      item["classification"] = e.classification;
    }
    if (include_alerts) {
      store::TimeFilter filter;
      filter.from = e.start_t;
      filter.until = e.end_t != 0 ? e.end_t + 1 : q.until + 1;
      filter.entity_ids = {e.entity_id};
      Json alerts = Json::array();
      if (auto list = impl.store.ListAlerts(filter); list.ok()) {
        for (const auto& a : *list) {
          if (!MethodIgnored(q.ignore_methods, a.datasource, a.method.empty() ? "median" : a.method)) {
            alerts.push_back(AlertJson(impl, a));
          }
        }
      }
      item["alerts"] = std::move(alerts);
    }
    data.push_back(std::move(item));
  }
  std::string serialised = data.dump(-1, ' ', false, Json::error_handler_t::replace);
  impl.cache.Put(key, serialised);
  return EnvelopeRaw("outages.events", params, serialised, no_perf, request_time);
}

HttpResponse HandleSummary(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  OutageQuery q = ParseOutageQuery(impl, params, 0);
  std::string order_key;
  bool descending = true;
  ParseOrderBy(params, "score/desc", order_key, descending);
  Json no_perf = nullptr;
  if (params.failed()) return Envelope("outages.summary", params, nullptr, params.error(), no_perf, request_time);
  auto events = QueryEvents(impl, q, params);
  if (params.failed()) return Envelope("outages.summary", params, nullptr, params.error(), no_perf, request_time, 500);
  struct Item {
    int64_t entity_id = 0;
    double overall = 0;
    std::map<std::string, double> per_ds;
    int64_t count = 0;
    int64_t first = INT64_MAX;
  };
  std::map<int64_t, Item> by_entity;
  for (const auto& e : events) {
    Item& item = by_entity[e.entity_id];
    item.entity_id = e.entity_id;
    item.overall += e.score;
    item.count++;
    item.first = std::min(item.first, e.start_t);
    for (const auto& ds : SplitComma(e.datasources)) item.per_ds[ds + ".median"] += e.score;
  }
  std::vector<Item> items;
  for (auto& [id, item] : by_entity) items.push_back(std::move(item));
  auto name_of = [&](const Item& i) {
    auto entity = impl.EntityById(i.entity_id);
    return entity ? entity->name : std::string();
  };
  std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    if (order_key == "name") return descending ? name_of(a) > name_of(b) : name_of(a) < name_of(b);
    if (order_key == "time") return descending ? a.first > b.first : a.first < b.first;
    return descending ? a.overall > b.overall : a.overall < b.overall;
  });
  Json data = Json::array();
  for (const auto& item : Page(std::move(items), q.limit, q.page)) {
    Json scores;
    scores["overall"] = item.overall;
    for (const auto& [k, v] : item.per_ds) scores[k] = v;
    auto entity = impl.EntityById(item.entity_id);
    data.push_back(Json{
        {"scores", scores}, {"event_cnt", item.count}, {"entity", entity ? EntityJson(impl, *entity) : Json(nullptr)}});
  }
  return Envelope("outages.summary", params, &data, "", no_perf, request_time);
}

HttpResponse HandleEntities(Api::Impl& impl, const HttpRequest& request) {
  int64_t request_time = NowSeconds();
  Params params(request);
  auto ids = EntityFilter(impl, params);
  auto search = params.String("search");
  int64_t limit = params.Int("limit", 2000, 1, 100000).value_or(2000);
  int64_t page = params.Int("page", 0, 0, 1000000).value_or(0);
  Json no_perf = nullptr;
  if (params.failed()) return Envelope("entities.lookup", params, nullptr, params.error(), no_perf, request_time);
  store::EntityQuery query;
  query.search = search;
  auto list = impl.store.ListEntities(query);
  if (!list.ok())
    return Envelope("entities.lookup", params, nullptr, "store: " + list.message(), no_perf, request_time, 500);
  std::vector<store::Entity> kept;
  for (auto& e : *list) {
    if (e.code == "unknown") continue;
    if (ids && std::find(ids->begin(), ids->end(), e.id) == ids->end()) continue;
    kept.push_back(std::move(e));
  }
  if (search) {
    auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    std::string term = lower(*search);
    auto rank = [&](const store::Entity& e) {
      if (lower(e.code) == term) return 1;
      if (lower(e.name) == term) return 2;
      if (e.type == "country") return 3;
      if (e.type == "region") return 4;
      return 5;
    };
    std::stable_sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) {
      int ra = rank(a), rb = rank(b);
      return ra != rb ? ra < rb : a.name < b.name;
    });
  }
  Json data = Json::array();
  for (const auto& e : Page(std::move(kept), limit, page)) data.push_back(EntityJson(impl, e));
  return Envelope("entities.lookup", params, &data, "", no_perf, request_time);
}

HttpResponse HandleDatasources(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts) {
  int64_t request_time = NowSeconds();
  Params params(request);
  Json no_perf = nullptr;
  auto all = impl.store.ListDatasources();
  if (!all.ok()) return Envelope("datasources", params, nullptr, "store: " + all.message(), no_perf, request_time, 500);
  if (parts.size() == 3) {
    params.Echo("datasource", parts[2]);
    const store::Datasource* ds = FindDatasource(*all, parts[2], params);
    if (!ds) return Envelope("datasources", params, nullptr, params.error(), no_perf, request_time, 404);
    Json data = DatasourceJson(*ds);
    return Envelope("datasources", params, &data, "", no_perf, request_time);
  }
  Json data = Json::array();
  for (const auto& ds : *all) data.push_back(DatasourceJson(ds));
  return Envelope("datasources", params, &data, "", no_perf, request_time);
}

}  // namespace vigil::api
