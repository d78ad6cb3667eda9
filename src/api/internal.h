// SPDX-License-Identifier: AGPL-3.0-or-later
// Shared by the api module's .cc files only (pulls in nlohmann/json; never include it from api.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api.h"

namespace vigil::api {

using Json = nlohmann::ordered_json;

// ----- parameters ---------------------------------------------------------------------------------------

// Reads query parameters the way IODA does (bare `&flag` is true; repeated params join; unknown ones are
// ignored), echoes every declared parameter with its default into requestParameters, and keeps the first
// error, which names the parameter.
class Params {
 public:
  explicit Params(const HttpRequest& request);

  std::optional<std::string> String(const std::string& name, std::optional<std::string> fallback = {});
  // Unix seconds; also accepts RFC 3339 and dates (a Vigil extension).
  std::optional<int64_t> Time(const std::string& name, bool required);
  std::optional<int64_t> Int(const std::string& name, std::optional<int64_t> fallback, int64_t min_value,
                             int64_t max_value);
  bool Bool(const std::string& name, bool fallback);
  // Comma list (and repeated parameters) split and trimmed; empty items dropped.
  std::vector<std::string> List(const std::string& name, size_t max_items = 100);
  // Echoes a path parameter.
  void Echo(const std::string& name, const Json& value) { echo_[name] = value; }

  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  const Json& echo() const { return echo_; }
  bool Has(const std::string& name) const;

 private:
  std::optional<std::string> Raw(const std::string& name) const;
  const HttpRequest& request_;
  Json echo_ = Json::object();
  std::string error_;
};

// ----- metrics ------------------------------------------------------------------------------------------

class HttpMetrics {
 public:
  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  void Observe(const std::string& route, int status, double seconds);
  std::string Render() const;

 private:
  struct Route {
    uint64_t counts[std::size(kBuckets) + 1] = {};
    uint64_t total = 0;
    double sum = 0;
    std::map<int, uint64_t> by_status;
  };
  mutable std::mutex mu_;
  std::map<std::string, Route> routes_;
};

// ----- response cache -----------------------------------------------------------------------------------

class DataCache {
 public:
  // Shared, not copied: a cached signals answer is tens of kilobytes and a hit must not copy it under the lock.
  std::shared_ptr<const std::string> Get(const std::string& key, int64_t ttl_s);
  void Put(const std::string& key, std::string value);
  void Clear();

 private:
  struct Item {
    std::chrono::steady_clock::time_point at;
    std::shared_ptr<const std::string> value;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Item> items_;
};

// ----- rate limiting ------------------------------------------------------------------------------------

// Token buckets by client address. Bounded: past kMaxClients addresses, buckets that are full again (their
// clients quiet) are dropped, and if none is, all are (a flood of spoofed-looking addresses resets the table
// rather than growing it).
class RateLimiter {
 public:
  static constexpr size_t kMaxClients = 65536;
  // Takes a token for `client`; returns 0 when granted, else the seconds until one is available (>= 1).
  int64_t Take(const std::string& client, double per_s, double burst);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// ----- webhooks -----------------------------------------------------------------------------------------

struct Webhook {
  int64_t id = 0;
  std::string url;
  std::string secret;
  std::string entity;  // "region/KZ-ALA", "country/KZ" (matches the country and its regions), "" = all
  std::string min_level = "warning";
  int64_t created_at = 0;
};

struct WebhookDelivery {
  int64_t id = 0;
  int64_t webhook_id = 0;
  std::string notice;  // "event.start", "event.update", "event.end"
  int64_t event_id = 0;
  std::string body;
  int attempts = 0;
  int64_t next_attempt_at = 0;    // unix seconds
  std::string state = "pending";  // pending, delivered, failed
  int last_status = 0;
  std::string last_error;
  std::vector<std::string> log;
};

struct WebhookState {
  std::mutex mu;
  // Loaded from the webhook store on first use; `persistent` unless reading it failed (then memory only).
  bool loaded = false;
  bool persistent = false;
  std::vector<Webhook> hooks;
  std::vector<WebhookDelivery> deliveries;
  std::map<int64_t, std::string> event_fingerprints;  // event id -> what was last notified
  int64_t next_hook_id = 1;
  int64_t next_delivery_id = 1;
  bool scanned_once = false;
};

// ----- the implementation -------------------------------------------------------------------------------

struct Api::Impl {
  Impl(store::Store& s, store::WebhookStore& w, ApiOptions o) : store(s), webhook_store(w), options(std::move(o)) {}

  store::Store& store;
  store::WebhookStore& webhook_store;
  ApiOptions options;
  // No lock around the store: the Store interface serialises its calls itself.
  HttpMetrics metrics;
  DataCache cache;
  RateLimiter limiter;
  WebhookState webhooks;
  int64_t started_at = 0;
  std::atomic<uint64_t> requests{0};
  std::string copyright_json;  // options.copyright as a JSON string, serialised once

  // Entities by id, filled lazily (entity rows change rarely; cleared with the cache).
  std::mutex entity_mu;
  std::unordered_map<int64_t, store::Entity> entity_by_id;
  std::optional<store::Entity> EntityById(int64_t id);
  void ClearEntityCache();
};

// ----- helpers shared by endpoint files -----------------------------------------------------------------

// "2019-01-10T10:00:00+00:00" (PHP gmdate('c'), as IODA prints it).
std::string IsoTime(int64_t t);
int64_t NowSeconds();
// Levels as numbers in order of severity (normal 0, warning 1, critical 2), and the name of such a number.
int LevelRank(store::AlertLevel level);
const char* RankName(int rank);

// IODA entity object: {code, name, type, attrs: {fqid, ip_count, country_code, ...}, subnames: {}}.
Json EntityJson(Api::Impl& impl, const store::Entity& entity);
std::string EntityFqid(Api::Impl& impl, const store::Entity& entity);
std::string EntityRef(const store::Entity& entity);  // "region/KZ-ALA"
// Parses "region/KZ-ALA"; unknown entity => nullopt with message.
Result<store::Entity> ResolveEntityRef(Api::Impl& impl, const std::string& ref);

// A JSON error response without the IODA envelope (Vigil's own write endpoints use the envelope too,
// through Envelope()).
HttpResponse Envelope(const std::string& type, const Params& params, const Json* data, const std::string& error,
                      const Json& perf, int64_t request_time, int error_status = 400);
// Same, with data already serialised (cached).
HttpResponse EnvelopeRaw(const std::string& type, const Params& params, const std::string& data_json, const Json& perf,
                         int64_t request_time);

HttpResponse JsonResponse(int status, const Json& body);
// A resource id in a path: the whole text is a positive decimal integer ("1; DROP ..." and "1abc" are not).
bool ParseId(const std::string& text, int64_t& id);
HttpResponse TextResponse(int status, const std::string& content_type, std::string body);

// Entity filter shared by alerts, events and summary: nullopt = every entity.
std::optional<std::vector<int64_t>> EntityFilter(Api::Impl& impl, Params& params);

// ignoreMethods matcher ("bgp.median,*.sarima").
bool MethodIgnored(const std::vector<std::string>& patterns, const std::string& datasource, const std::string& method);

// Endpoint handlers (path parts split on '/', without empty items).
HttpResponse HandleSignalsRaw(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts);
HttpResponse HandleAlerts(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleEvents(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleSummary(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleEntities(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleDatasources(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts);

HttpResponse HandleSchedules(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleAnnotations(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts);
HttpResponse HandleEventById(Api::Impl& impl, const HttpRequest& request, int64_t id);
HttpResponse HandleReport(Api::Impl& impl, const HttpRequest& request, int64_t id, const std::string& format);
HttpResponse HandleExport(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleStatus(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleFeed(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleMeasuredVsReported(Api::Impl& impl, const HttpRequest& request);
HttpResponse HandleWebhooks(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts);
HttpResponse HandleMetrics(Api::Impl& impl);
HttpResponse HandleHealthz(Api::Impl& impl);
const std::string& OpenApiSpec();

// ----- the route table (routes.cc) ----------------------------------------------------------------------

// A matched path: its segments and the values of the pattern's {names}.
struct PathMatch {
  std::vector<std::string> parts;
  std::vector<std::pair<std::string, std::string>> args;
  const std::string& Arg(const std::string& name) const;  // "" when absent
};

using RouteHandler = HttpResponse (*)(Api::Impl& impl, const HttpRequest& request, const PathMatch& match);

// One route: the router dispatches on it, /metrics labels requests with its pattern, /openapi.json
// describes it with `describe`. GET routes answer HEAD too.
struct RouteSpec {
  const char* method;   // GET, POST, DELETE
  const char* pattern;  // "/v2/signals/raw/{entityType}/{entityCode}"; a segment may be "report.{format}"
  RouteHandler handle;
  Json (*describe)();  // the OpenAPI operation object
};

const std::vector<RouteSpec>& Routes();

struct RouteLookup {
  const RouteSpec* route = nullptr;  // nullptr: no route for this method and path
  bool path_known = false;           // some route has this path (with another method): 405, not 404
};
RouteLookup FindRoute(const std::string& method, const std::vector<std::string>& parts, PathMatch& match);

// Building blocks of the OpenAPI operation objects (openapi.cc).
namespace openapi {
Json PathParam(const std::string& name, const std::string& type, const std::string& description);
Json Query(const std::string& name, const std::string& type, const std::string& description, bool required = false);
Json EnvelopeSchema(const Json& data);
Json Operation(const std::string& summary, Json parameters, const Json& ok_schema,
               const std::string& content = "application/json");
}  // namespace openapi

// Codf event object plus Vigil's fields, as JSON text appended to `out` (the events endpoint's hot path) or
// parsed from that text (reports, webhooks): one writer, so the two cannot disagree.
void AppendEventCodf(Api::Impl& impl, const store::Event& event, int64_t window_from, int64_t window_until,
                     std::string& out);
Json EventCodf(Api::Impl& impl, const store::Event& event, int64_t window_from, int64_t window_until);

// A request header by name, case-insensitively; "" when absent.
std::string RequestHeader(const HttpRequest& request, std::string_view name);
// A 200 answer to GET/HEAD gets Cache-Control, a weak ETag (If-None-Match → 304) and gzip when accepted.
void FinishReadResponse(Api::Impl& impl, const HttpRequest& request, HttpResponse& response);

// Admin token check (constant time); returns an error response when refused.
std::optional<HttpResponse> RequireAdmin(Api::Impl& impl, const HttpRequest& request);

// Text for HTML and XML (reports, Atom): escapes the five characters both markups reserve.
std::string MarkupEscape(const std::string& text);
std::string Sha256Hex(const std::string& bytes);
std::string HmacSha256Hex(const std::string& key, const std::string& message);

}  // namespace vigil::api
