// SPDX-License-Identifier: AGPL-3.0-or-later
// OpenAPI 3.1 description of every route of the route table (routes.cc); tests check responses' top-level
// shapes against it.
#include "api/internal.h"

namespace vigil::api {
namespace openapi {

Json Parameter(const std::string& name, const std::string& in, const std::string& type, bool required,
               const std::string& description) {
  Json p = {{"name", name}, {"in", in}, {"required", required}, {"description", description}};
  p["schema"] = {{"type", type}};
  return p;
}

Json PathParam(const std::string& name, const std::string& type, const std::string& description) {
  return Parameter(name, "path", type, true, description);
}

Json Query(const std::string& name, const std::string& type, const std::string& description, bool required) {
  return Parameter(name, "query", type, required, description);
}

Json EnvelopeSchema(const Json& data) {
  Json schema = {{"type", "object"},
                 {"required", {"type", "metadata", "requestParameters", "error", "perf", "data", "copyright"}}};
  schema["properties"] = {
      {"type", {{"type", "string"}}},
      {"metadata",
       {{"type", "object"},
        {"required", {"requestTime", "responseTime"}},
        {"properties",
         {{"requestTime", {{"type", "string"}}},
          {"responseTime", {{"type", "string"}}},
          // Where the period's data comes from (docs/api.md "Provenance"); present on successful answers.
          {"provenance",
           {{"type", "object"},
            {"required", {"kind", "kinds", "sources"}},
            {"properties",
             {{"kind", {{"type", "string"}}}, {"kinds", {{"type", "array"}}}, {"sources", {{"type", "array"}}}}}}}}}}},
      {"requestParameters", {{"type", "object"}}},
      {"error", {{"type", {"string", "null"}}}},
      {"perf", {{"type", {"array", "null"}}}},
      {"data", data},
      {"copyright", {{"type", {"string", "null"}}}},
  };
  return schema;
}

Json Operation(const std::string& summary, Json parameters, const Json& ok_schema, const std::string& content) {
  Json op = {{"summary", summary}, {"parameters", std::move(parameters)}};
  op["responses"]["200"] = {{"description", "OK"}, {"content", {{content, {{"schema", ok_schema}}}}}};
  if (content == "application/json") {
    op["responses"]["400"] = {
        {"description", "bad parameter; error names it, data is null"},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Envelope"}}}}}}}};
  }
  return op;
}

}  // namespace openapi

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Json BuildSpec() {
  Json paths = Json::object();
  for (const auto& route : Routes()) paths[route.pattern][Lower(route.method)] = route.describe();
  Json spec;
  spec["openapi"] = "3.1.0";
  spec["info"] = {{"title", "Vigil API"},
                  {"version", "0.1.0"},
                  {"description", "IODA v2-compatible subset plus Vigil's own endpoints. See docs/api.md."}};
  spec["servers"] = Json::array({{{"url", "/"}}});
  spec["paths"] = paths;
  spec["components"]["schemas"]["Envelope"] = openapi::EnvelopeSchema({{"type", {"array", "null"}}});
  spec["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
  return spec;
}

}  // namespace

const std::string& OpenApiSpec() {
  static const std::string spec = BuildSpec().dump(2);
  return spec;
}

}  // namespace vigil::api
