// SPDX-License-Identifier: AGPL-3.0-or-later
// The one route table: the router (Api::Handle), the metrics labels (/metrics) and the OpenAPI paths
// (/openapi.json) are all built from it, so a route cannot exist in one and be missing from another.
#include <algorithm>

#include "api/internal.h"

namespace vigil::api {
namespace {

using openapi::EnvelopeSchema;
using openapi::Operation;
using openapi::PathParam;
using openapi::Query;

Json NullableArrayEnvelope() { return EnvelopeSchema({{"type", {"array", "null"}}}); }
Json NullableObjectEnvelope() { return EnvelopeSchema({{"type", {"object", "null"}}}); }

Json EntityParams() {
  return Json::array({Query("entityType", "string", "continent|country|region|county|asn|geoasn"),
                      Query("entityCode", "string", "comma list of codes"),
                      Query("relatedTo", "string", "type[/code]")});
}

Json OutageParams() {
  Json p = Json::array({Query("from", "integer", "Unix seconds (or RFC 3339)", true),
                        Query("until", "integer", "Unix seconds (or RFC 3339)", true)});
  for (const auto& e : EntityParams()) p.push_back(e);
  for (const auto& e :
       {Query("datasource", "string", "bgp|ping-slash24|rtt-p50|loss|..."), Query("limit", "integer", "default 500"),
        Query("page", "integer", "0-based"), Query("ignoreMethods", "string", "<ds>.<method> comma list, * wildcard"),
        Query("extendWindow", "integer", "seconds added on both sides (default 0)")}) {
    p.push_back(e);
  }
  return p;
}

Json Secured(Json op) {
  op["security"] = Json::array({{{"bearer", Json::array()}}});
  return op;
}

Json JsonBody(Json op, std::initializer_list<const char*> required) {
  Json names = Json::array();
  for (const char* name : required) names.push_back(name);
  op["requestBody"] = {{"required", true},
                       {"content", {{"application/json", {{"schema", {{"type", "object"}, {"required", names}}}}}}}};
  return op;
}

// ----- descriptions -------------------------------------------------------------------------------------

Json DescribeSignalsRaw() {
  return Operation(
      "Per-entity time series (IODA v2)",
      Json::array({PathParam("entityType", "string", "country|region|asn|..."),
                   PathParam("entityCode", "string", "code or comma list"),
                   Query("from", "integer", "Unix seconds", true), Query("until", "integer", "Unix seconds", true),
                   Query("datasource", "string", "one datasource; all when omitted"),
                   Query("maxPoints", "integer", "downsample"), Query("sourceParams", "string", "accepted, unused")}),
      NullableArrayEnvelope());
}

Json DescribeAlerts() { return Operation("Alerts (IODA v2)", OutageParams(), NullableArrayEnvelope()); }

Json DescribeEvents() {
  Json p = OutageParams();
  p.push_back(Query("includeAlerts", "boolean", "default false"));
  p.push_back(Query("format", "string", "codf (default) | ioda"));
  p.push_back(Query("orderBy", "string", "time|score|name[/asc|desc]"));
  p.push_back(Query("overall", "boolean", "accepted; Vigil's events are always fused across datasources"));
  return Operation("Events, codf or ioda format, plus Vigil fields", p, NullableArrayEnvelope());
}

Json DescribeSummary() {
  Json p = OutageParams();
  p.push_back(Query("orderBy", "string", "score|time|name[/asc|desc], default score/desc"));
  return Operation("Per-entity outage scores (IODA v2)", p, NullableArrayEnvelope());
}

Json DescribeEntities() {
  Json p = EntityParams();
  p.push_back(Query("search", "string", "substring of code or name"));
  p.push_back(Query("limit", "integer", "default 2000"));
  p.push_back(Query("page", "integer", "0-based"));
  return Operation("Entities (IODA v2)", p, NullableArrayEnvelope());
}

Json DescribeDatasources() { return Operation("Datasources (IODA v2)", Json::array(), NullableArrayEnvelope()); }

Json DescribeDatasource() {
  return Operation("One datasource", Json::array({PathParam("datasource", "string", "name")}),
                   NullableObjectEnvelope());
}

Json EntityRefParam() { return Query("entity", "string", "type/code, e.g. region/KZ-ALA"); }

Json DescribeSchedules() {
  return Operation("Inferred curfew schedules", Json::array({EntityRefParam()}), NullableArrayEnvelope());
}

Json DescribeAnnotations() {
  return Operation("Annotations (state of emergency, orders)",
                   Json::array({EntityRefParam(), Query("from", "integer", "Unix seconds"),
                                Query("until", "integer", "Unix seconds")}),
                   NullableArrayEnvelope());
}

Json DescribeAddAnnotation() {
  Json op = JsonBody(Secured(Operation("Add an annotation (admin token)", Json::array(), NullableObjectEnvelope())),
                     {"entity", "kind", "start"});
  op["responses"]["201"] = op["responses"]["200"];
  op["responses"]["401"] = {{"description", "missing or wrong token"}};
  return op;
}

Json DescribeDeleteAnnotation() {
  return Secured(Operation("Delete an annotation (admin token)",
                           Json::array({PathParam("id", "integer", "annotation id")}), NullableObjectEnvelope()));
}

Json DescribeEvent() {
  return Operation("One event with entity, schedule and report links",
                   Json::array({PathParam("id", "integer", "event id")}), NullableObjectEnvelope());
}

Json DescribeReport() {
  Json schema = {{"type", "object"},
                 {"required",
                  {"report", "event", "entity", "classification", "schedule", "signals", "alerts", "method", "coverage",
                   "inputs", "manifest"}}};
  return Operation(
      "Evidence bundle",
      Json::array({PathParam("id", "integer", "event id"), PathParam("format", "string", "html|md|json|csv")}), schema);
}

Json DescribeExport() {
  return Operation(
      "Raw series export",
      Json::array({Query("entity", "string", "type/code", true),
                   Query("datasource", "string", "one datasource; all when omitted"),
                   Query("from", "integer", "Unix seconds", true), Query("until", "integer", "Unix seconds", true),
                   Query("format", "string", "csv (default) | json")}),
      NullableArrayEnvelope());
}

Json DescribeStatus() {
  Json p =
      Json::array({Query("from", "integer", "Unix seconds", true), Query("until", "integer", "Unix seconds", true)});
  for (const auto& e : EntityParams()) p.push_back(e);
  return Operation("Worst level per entity in a window (map colours)", p, NullableArrayEnvelope());
}

Json DescribeFeed() {
  return Operation("Atom feed of events",
                   Json::array({Query("from", "integer", "Unix seconds"), Query("until", "integer", "Unix seconds")}),
                   {{"type", "string"}}, "application/atom+xml");
}

Json DescribeMeasuredVsReported() {
  return Operation(
      "Reported shutdowns beside detected events for one country (matched by entity and time; docs/api.md)",
      Json::array({Query("country", "string", "ISO 3166-1 alpha-2 code", true),
                   Query("from", "integer", "Unix seconds (or RFC 3339)", true),
                   Query("until", "integer", "Unix seconds (or RFC 3339)", true),
                   Query("tolerance", "integer", "seconds added to both ends of a report's days (default 86400)"),
                   Query("format", "string", "json (default) | csv")}),
      EnvelopeSchema({{"type", {"object", "null"}}, {"required", {"summary", "reports", "events"}}}));
}

Json DescribeWebhooks() {
  return Secured(Operation("Webhooks and delivery log (admin token)", Json::array(),
                           {{"type", "object"}, {"required", {"webhooks", "deliveries"}}}));
}

Json DescribeAddWebhook() {
  return JsonBody(Secured(Operation("Register a webhook (admin token)", Json::array(),
                                    {{"type", "object"}, {"required", {"id", "url", "secret"}}})),
                  {"url"});
}

Json DescribeDeleteWebhook() {
  return Secured(Operation("Remove a webhook (admin token)", Json::array({PathParam("id", "integer", "webhook id")}),
                           {{"type", "object"}}));
}

Json DescribeMetrics() { return Operation("Prometheus metrics", Json::array(), {{"type", "string"}}, "text/plain"); }

Json DescribeHealthz() { return Operation("Health", Json::array(), {{"type", "object"}, {"required", {"status"}}}); }

Json DescribeOpenApi() {
  return Operation("This document", Json::array(), {{"type", "object"}, {"required", {"openapi", "paths"}}});
}

// ----- handlers that need their path parameters ---------------------------------------------------------

HttpResponse EventRoute(Api::Impl& impl, const HttpRequest& request, const PathMatch& match) {
  int64_t id = 0;
  const std::string& text = match.Arg("id");
  if (!ParseId(text, id)) return JsonResponse(400, Json{{"error", "invalid event id '" + text + "'"}});
  return HandleEventById(impl, request, id);
}

HttpResponse ReportRoute(Api::Impl& impl, const HttpRequest& request, const PathMatch& match) {
  int64_t id = 0;
  const std::string& text = match.Arg("id");
  if (!ParseId(text, id)) return JsonResponse(400, Json{{"error", "invalid event id '" + text + "'"}});
  return HandleReport(impl, request, id, match.Arg("format"));
}

const std::vector<RouteSpec> kRoutes = {
    {"GET", "/v2/signals/raw/{entityType}/{entityCode}",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleSignalsRaw(i, r, m.parts); },
     DescribeSignalsRaw},
    {"GET", "/v2/outages/alerts",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleAlerts(i, r); }, DescribeAlerts},
    {"GET", "/v2/outages/events",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleEvents(i, r); }, DescribeEvents},
    {"GET", "/v2/outages/summary",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleSummary(i, r); }, DescribeSummary},
    {"GET", "/v2/entities/query",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleEntities(i, r); }, DescribeEntities},
    {"GET", "/v2/datasources",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleDatasources(i, r, m.parts); },
     DescribeDatasources},
    {"GET", "/v2/datasources/{datasource}",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleDatasources(i, r, m.parts); },
     DescribeDatasource},
    {"GET", "/api/v1/schedules",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleSchedules(i, r); }, DescribeSchedules},
    {"GET", "/api/v1/annotations",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleAnnotations(i, r, m.parts); },
     DescribeAnnotations},
    {"POST", "/api/v1/annotations",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleAnnotations(i, r, m.parts); },
     DescribeAddAnnotation},
    {"DELETE", "/api/v1/annotations/{id}",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleAnnotations(i, r, m.parts); },
     DescribeDeleteAnnotation},
    {"GET", "/api/v1/events/{id}", EventRoute, DescribeEvent},
    {"GET", "/api/v1/events/{id}/report.{format}", ReportRoute, DescribeReport},
    {"GET", "/api/v1/export", [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleExport(i, r); },
     DescribeExport},
    {"GET", "/api/v1/status", [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleStatus(i, r); },
     DescribeStatus},
    {"GET", "/api/v1/feed.atom", [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleFeed(i, r); },
     DescribeFeed},
    {"GET", "/api/v1/measured-vs-reported",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch&) { return HandleMeasuredVsReported(i, r); },
     DescribeMeasuredVsReported},
    {"GET", "/api/v1/webhooks",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleWebhooks(i, r, m.parts); },
     DescribeWebhooks},
    {"POST", "/api/v1/webhooks",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleWebhooks(i, r, m.parts); },
     DescribeAddWebhook},
    {"DELETE", "/api/v1/webhooks/{id}",
     [](Api::Impl& i, const HttpRequest& r, const PathMatch& m) { return HandleWebhooks(i, r, m.parts); },
     DescribeDeleteWebhook},
    {"GET", "/metrics", [](Api::Impl& i, const HttpRequest&, const PathMatch&) { return HandleMetrics(i); },
     DescribeMetrics},
    {"GET", "/healthz", [](Api::Impl& i, const HttpRequest&, const PathMatch&) { return HandleHealthz(i); },
     DescribeHealthz},
    {"GET", "/openapi.json",
     [](Api::Impl&, const HttpRequest&, const PathMatch&) {
       return TextResponse(200, "application/json", OpenApiSpec());
     },
     DescribeOpenApi},
};

// One pattern segment against one path segment: a literal, "{name}", or a literal prefix then "{name}"
// ("report.{format}"). Captured values are appended to `args`.
bool MatchSegment(std::string_view pattern, const std::string& part,
                  std::vector<std::pair<std::string, std::string>>& args) {
  auto open = pattern.find('{');
  if (open == std::string_view::npos) return pattern == part;
  std::string_view prefix = pattern.substr(0, open);
  if (part.size() <= prefix.size() || part.compare(0, prefix.size(), prefix) != 0) return false;
  std::string_view name = pattern.substr(open + 1, pattern.size() - open - 2);
  args.emplace_back(std::string(name), part.substr(prefix.size()));
  return true;
}

bool MatchPattern(const RouteSpec& route, const std::vector<std::string>& parts, PathMatch& match) {
  std::string_view pattern(route.pattern);
  match.args.clear();
  size_t index = 0;
  size_t start = 1;  // patterns start with '/'
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    if (index >= parts.size() || !MatchSegment(pattern.substr(start, end - start), parts[index], match.args)) {
      return false;
    }
    ++index;
    start = end + 1;
  }
  return index == parts.size();
}

}  // namespace

const std::string& PathMatch::Arg(const std::string& name) const {
  static const std::string kEmpty;
  for (const auto& [key, value] : args) {
    if (key == name) return value;
  }
  return kEmpty;
}

const std::vector<RouteSpec>& Routes() { return kRoutes; }

RouteLookup FindRoute(const std::string& method, const std::vector<std::string>& parts, PathMatch& match) {
  bool read = method == "GET" || method == "HEAD";
  bool path_known = false;
  for (const auto& route : kRoutes) {
    if (!MatchPattern(route, parts, match)) continue;
    path_known = true;
    if (route.method == method || (read && std::string_view(route.method) == "GET")) {
      match.parts = parts;
      return {&route, false};
    }
  }
  return {nullptr, path_known};
}

}  // namespace vigil::api
