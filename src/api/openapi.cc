// SPDX-License-Identifier: AGPL-3.0-or-later
// OpenAPI 3.1 description of every endpoint; tests check responses' top-level shapes against it.
#include "api/internal.h"

namespace vigil::api {
namespace {

Json Param(const std::string& name, const std::string& in, const std::string& type, bool required,
           const std::string& description) {
  Json p = {{"name", name}, {"in", in}, {"required", required}, {"description", description}};
  p["schema"] = {{"type", type}};
  return p;
}

Json Q(const std::string& name, const std::string& type, const std::string& description, bool required = false) {
  return Param(name, "query", type, required, description);
}

Json EnvelopeSchema(const Json& data) {
  Json schema = {{"type", "object"},
                 {"required", {"type", "metadata", "requestParameters", "error", "perf", "data", "copyright"}}};
  schema["properties"] = {
      {"type", {{"type", "string"}}},
      {"metadata",
       {{"type", "object"},
        {"required", {"requestTime", "responseTime"}},
        {"properties", {{"requestTime", {{"type", "string"}}}, {"responseTime", {{"type", "string"}}}}}}},
      {"requestParameters", {{"type", "object"}}},
      {"error", {{"type", {"string", "null"}}}},
      {"perf", {{"type", {"array", "null"}}}},
      {"data", data},
      {"copyright", {{"type", {"string", "null"}}}},
  };
  return schema;
}

Json Op(const std::string& summary, Json parameters, const Json& ok_schema,
        const std::string& content = "application/json") {
  Json op = {{"summary", summary}, {"parameters", std::move(parameters)}};
  op["responses"]["200"] = {{"description", "OK"}, {"content", {{content, {{"schema", ok_schema}}}}}};
  if (content == "application/json") {
    op["responses"]["400"] = {
        {"description", "bad parameter; error names it, data is null"},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Envelope"}}}}}}}};
  }
  return op;
}

Json BuildSpec() {
  Json nullable_array = {{"type", {"array", "null"}}};
  Json nullable_object = {{"type", {"object", "null"}}};
  Json env_array = EnvelopeSchema(nullable_array);
  Json entity_params =
      Json::array({Q("entityType", "string", "continent|country|region|county|asn|geoasn"),
                   Q("entityCode", "string", "comma list of codes"), Q("relatedTo", "string", "type[/code]")});
  auto outage_params = [&](bool events) {
    Json p = Json::array({Q("from", "integer", "Unix seconds (or RFC 3339)", true),
                          Q("until", "integer", "Unix seconds (or RFC 3339)", true)});
    for (const auto& e : entity_params) p.push_back(e);
    for (const auto& e :
         {Q("datasource", "string", "bgp|ping-slash24|rtt-p50|loss|..."), Q("limit", "integer", "default 500"),
          Q("page", "integer", "0-based"), Q("ignoreMethods", "string", "<ds>.<method> comma list, * wildcard"),
          Q("extendWindow", "integer", "seconds added on both sides (default 0)")}) {
      p.push_back(e);
    }
    if (events) {
      p.push_back(Q("includeAlerts", "boolean", "default false"));
      p.push_back(Q("format", "string", "codf (default) | ioda"));
      p.push_back(Q("orderBy", "string", "time|score|name[/asc|desc]"));
      p.push_back(Q("overall", "boolean", "accepted; Vigil's events are always fused across datasources"));
    }
    return p;
  };
  Json paths;
  paths["/v2/signals/raw/{entityType}/{entityCode}"]["get"] =
      Op("Per-entity time series (IODA v2)",
         Json::array({Param("entityType", "path", "string", true, "country|region|asn|..."),
                      Param("entityCode", "path", "string", true, "code or comma list"),
                      Q("from", "integer", "Unix seconds", true), Q("until", "integer", "Unix seconds", true),
                      Q("datasource", "string", "one datasource; all when omitted"),
                      Q("maxPoints", "integer", "downsample"), Q("sourceParams", "string", "accepted, unused")}),
         env_array);
  paths["/v2/outages/alerts"]["get"] = Op("Alerts (IODA v2)", outage_params(false), env_array);
  paths["/v2/outages/events"]["get"] =
      Op("Events, codf or ioda format, plus Vigil fields", outage_params(true), env_array);
  Json summary_params = outage_params(false);
  summary_params.push_back(Q("orderBy", "string", "score|time|name[/asc|desc], default score/desc"));
  paths["/v2/outages/summary"]["get"] = Op("Per-entity outage scores (IODA v2)", summary_params, env_array);
  Json entity_query = entity_params;
  entity_query.push_back(Q("search", "string", "substring of code or name"));
  entity_query.push_back(Q("limit", "integer", "default 2000"));
  entity_query.push_back(Q("page", "integer", "0-based"));
  paths["/v2/entities/query"]["get"] = Op("Entities (IODA v2)", entity_query, env_array);
  paths["/v2/datasources"]["get"] = Op("Datasources (IODA v2)", Json::array(), env_array);
  paths["/v2/datasources/{datasource}"]["get"] =
      Op("One datasource", Json::array({Param("datasource", "path", "string", true, "name")}),
         EnvelopeSchema(nullable_object));
  Json entity_ref = Q("entity", "string", "type/code, e.g. region/KZ-ALA");
  paths["/api/v1/schedules"]["get"] = Op("Inferred curfew schedules", Json::array({entity_ref}), env_array);
  paths["/api/v1/annotations"]["get"] =
      Op("Annotations (state of emergency, orders)",
         Json::array({entity_ref, Q("from", "integer", "Unix seconds"), Q("until", "integer", "Unix seconds")}),
         env_array);
  Json post = Op("Add an annotation (admin token)", Json::array(), EnvelopeSchema(nullable_object));
  post["security"] = Json::array({{{"bearer", Json::array()}}});
  post["requestBody"] = {
      {"required", true},
      {"content",
       {{"application/json", {{"schema", {{"type", "object"}, {"required", {"entity", "kind", "start"}}}}}}}}};
  post["responses"]["201"] = post["responses"]["200"];
  post["responses"]["401"] = {{"description", "missing or wrong token"}};
  paths["/api/v1/annotations"]["post"] = post;
  Json del = Op("Delete an annotation (admin token)",
                Json::array({Param("id", "path", "integer", true, "annotation id")}), EnvelopeSchema(nullable_object));
  del["security"] = Json::array({{{"bearer", Json::array()}}});
  paths["/api/v1/annotations/{id}"]["delete"] = del;
  paths["/api/v1/events/{id}"]["get"] =
      Op("One event with entity, schedule and report links",
         Json::array({Param("id", "path", "integer", true, "event id")}), EnvelopeSchema(nullable_object));
  Json report_params = Json::array(
      {Param("id", "path", "integer", true, "event id"), Param("format", "path", "string", true, "html|md|json|csv")});
  Json report_schema = {{"type", "object"},
                        {"required",
                         {"report", "event", "entity", "classification", "schedule", "signals", "alerts", "method",
                          "coverage", "inputs", "manifest"}}};
  paths["/api/v1/events/{id}/report.{format}"]["get"] = Op("Evidence bundle", report_params, report_schema);
  paths["/api/v1/export"]["get"] =
      Op("Raw series export",
         Json::array({Q("entity", "string", "type/code", true),
                      Q("datasource", "string", "one datasource; all when omitted"),
                      Q("from", "integer", "Unix seconds", true), Q("until", "integer", "Unix seconds", true),
                      Q("format", "string", "csv (default) | json")}),
         env_array);
  Json status_params =
      Json::array({Q("from", "integer", "Unix seconds", true), Q("until", "integer", "Unix seconds", true)});
  for (const auto& e : entity_params) status_params.push_back(e);
  paths["/api/v1/status"]["get"] = Op("Worst level per entity in a window (map colours)", status_params, env_array);
  paths["/api/v1/feed.atom"]["get"] = Op(
      "Atom feed of events", Json::array({Q("from", "integer", "Unix seconds"), Q("until", "integer", "Unix seconds")}),
      {{"type", "string"}}, "application/atom+xml");
  Json hooks_get = Op("Webhooks and delivery log (admin token)", Json::array(),
                      {{"type", "object"}, {"required", {"webhooks", "deliveries"}}});
  hooks_get["security"] = Json::array({{{"bearer", Json::array()}}});
  paths["/api/v1/webhooks"]["get"] = hooks_get;
  Json hooks_post = Op("Register a webhook (admin token)", Json::array(),
                       {{"type", "object"}, {"required", {"id", "url", "secret"}}});
  hooks_post["security"] = Json::array({{{"bearer", Json::array()}}});
  hooks_post["requestBody"] = {
      {"required", true},
      {"content", {{"application/json", {{"schema", {{"type", "object"}, {"required", {"url"}}}}}}}}};
  paths["/api/v1/webhooks"]["post"] = hooks_post;
  Json hooks_del = Op("Remove a webhook (admin token)",
                      Json::array({Param("id", "path", "integer", true, "webhook id")}), {{"type", "object"}});
  hooks_del["security"] = Json::array({{{"bearer", Json::array()}}});
  paths["/api/v1/webhooks/{id}"]["delete"] = hooks_del;
  paths["/metrics"]["get"] = Op("Prometheus metrics", Json::array(), {{"type", "string"}}, "text/plain");
  paths["/healthz"]["get"] = Op("Health", Json::array(), {{"type", "object"}, {"required", {"status"}}});
  paths["/openapi.json"]["get"] =
      Op("This document", Json::array(), {{"type", "object"}, {"required", {"openapi", "paths"}}});

  Json spec;
  spec["openapi"] = "3.1.0";
  spec["info"] = {{"title", "Vigil API"},
                  {"version", "0.1.0"},
                  {"description", "IODA v2-compatible subset plus Vigil's own endpoints. See docs/api.md."}};
  spec["servers"] = Json::array({{{"url", "/"}}});
  spec["paths"] = paths;
  spec["components"]["schemas"]["Envelope"] = EnvelopeSchema(nullable_array);
  spec["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
  return spec;
}

}  // namespace

const std::string& OpenApiSpec() {
  static const std::string spec = BuildSpec().dump(2);
  return spec;
}

}  // namespace vigil::api
