// SPDX-License-Identifier: AGPL-3.0-or-later
// Fuzzes the API's request handling (path routing, query parameters, headers, bodies) through Api::Handle,
// the transport-independent entry point `vigil serve` calls after the HTTP server has split the request. The store
// is an in-memory SQLite store holding a small world (a country, a region, an AS, a day of bgp series, an
// event and an annotation) so the handlers get past their entity look-ups. Writes stay refused (no admin
// token), which keeps the store identical between inputs.
//
// Input layout (text): first line `METHOD /path?name=value&flag`, then `Name: value` header lines, an empty
// line, and the body. Query items are split on '&' and the first '=' (the transport has decoded them).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "api/api.h"
#include "store/store.h"

namespace {

using vigil::store::Entity;

constexpr int64_t kDay = 1641340800;  // 2022-01-05, the KZ shutdown

std::unique_ptr<vigil::store::Store> MakeStore() {
  auto store = vigil::store::OpenStore(":memory:");
  if (!store.ok()) std::abort();
  auto& s = **store;
  auto country = s.UpsertEntity(Entity{0, "country", "KZ", "Kazakhstan", 0, 1000, "Asia/Almaty"});
  auto region = s.UpsertEntity(Entity{0, "region", "KZ-ALA", "Almaty", *country, 400, "Asia/Almaty"});
  auto asn = s.UpsertEntity(Entity{0, "asn", "9198", "Kazakhtelecom", 0, 300, ""});
  if (!country.ok() || !region.ok() || !asn.ok()) std::abort();
  if (!s.RegisterDatasource({"bgp", 300, "visible /24s"}).ok()) std::abort();
  vigil::store::SeriesBatch batch{"bgp", {}};
  for (int i = 0; i < 288; ++i) {
    double down = i > 100 && i < 160 ? 0.1 : 1.0;
    batch.points.push_back({*country, kDay + 300 * i, 1000 * down});
    batch.points.push_back({*region, kDay + 300 * i, 400 * down});
    batch.points.push_back({*asn, kDay + 300 * i, 300 * down});
  }
  if (!s.WriteSeries({batch}).ok()) std::abort();
  std::vector<vigil::store::Alert> alerts = {
      {0, "bgp", *region, kDay + 30300, vigil::store::AlertLevel::kCritical, "< 0.8", 40, 400, "median"}};
  std::vector<vigil::store::Event> events(1);
  events[0].entity_id = *region;
  events[0].kind = "outage";
  events[0].start_t = kDay + 30300;
  events[0].end_t = kDay + 48000;
  events[0].score = 9;
  events[0].datasources = "bgp";
  events[0].classification = "routing";
  events[0].depth = 0.9;
  events[0].coverage = "{\"peers\":3}";
  events[0].detail = "{\"bgp\":{\"baseline\":400,\"low\":40}}";
  std::vector<vigil::store::Schedule> schedules;
  if (!s.ReplaceDetection(0, alerts, events, schedules).ok()) std::abort();
  if (!s.AddAnnotation({0, *region, kDay, kDay + 86400, "state-of-emergency", "declared", "https://example.org", ""})
           .ok())
    std::abort();
  return std::move(*store);
}

vigil::api::HttpRequest ParseRequest(std::string_view text) {
  vigil::api::HttpRequest request;
  auto take_line = [&text]() {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    return line;
  };
  std::string_view first = take_line();
  size_t space = first.find(' ');
  if (space != std::string_view::npos) {
    request.method = std::string(first.substr(0, space));
    first = first.substr(space + 1);
  }
  size_t question = first.find('?');
  request.path = std::string(first.substr(0, question));
  if (question != std::string_view::npos) {
    std::string_view query = first.substr(question + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      size_t eq = item.find('=');
      request.params.emplace_back(std::string(item.substr(0, eq)),
                                  eq == std::string_view::npos ? std::string() : std::string(item.substr(eq + 1)));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  while (!text.empty()) {
    std::string_view line = take_line();
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(text);
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<vigil::store::Store> store = MakeStore();
  static std::unique_ptr<vigil::store::WebhookStore> webhooks = [] {
    auto opened = vigil::store::OpenWebhookStore(":memory:");
    if (!opened.ok()) std::abort();
    return std::move(*opened);
  }();
  static vigil::api::Api* api = [] {
    vigil::api::ApiOptions options;
    options.cache_ttl_s = 0;  // every input reaches the handlers, and the cache cannot grow between inputs
    return new vigil::api::Api(*store, *webhooks, options);
  }();
  auto request = ParseRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  auto response = api->Handle(request);
  if (response.status < 100 || response.status > 599) std::abort();
  return 0;
}
