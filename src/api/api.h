// SPDX-License-Identifier: AGPL-3.0-or-later
// Module api: Vigil's HTTP face. It owns the IODA v2-compatible endpoints (same paths, parameters,
// defaults and envelope, so scripts written for IODA work against Vigil), Vigil's own `/api/v1` endpoints
// (schedules, annotations, evidence reports, export, Atom feed, webhooks), `/metrics`, `/healthz`,
// `/openapi.json`, and serving the dashboard's static files. It reads and writes only through the
// store::Store interface and knows nothing of MRT, probing or how detection decides; it must not include
// any stage's internals. The HTTP library and the JSON library stay inside the module's .cc files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace vigil::api {

// One HTTP request, already split by the transport (query string decoded into params, in order).
struct HttpRequest {
  std::string method = "GET";
  std::string path;  // decoded, without the query string
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;
  std::string client;  // the peer's address ("127.0.0.1"), what rate limiting counts by; "" when unknown
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ApiOptions {
  // Dashboard files (index.html, *.js, *.css); empty = no dashboard.
  std::string web_dir;
  // The npm install folder; a fixed allow-list of its packages is served under /vendor/.
  std::string node_modules_dir;
  // Writes (annotations, webhooks) need `Authorization: Bearer <token>`; empty = writes refused.
  std::string admin_token;
  // Origins allowed to make cross-origin writes (reads are open to every origin).
  std::vector<std::string> cors_write_origins;
  std::string copyright =
      "Vigil data: derived from public BGP archives (RIPE RIS, RouteViews) and active "
      "measurements; see /about for sources and licenses.";
  // Longest series a signals request may return without maxPoints: one year of 5-minute bins.
  int64_t max_points_per_series = 366 * 288;
  // Most values (entities × datasources × bins) one signals request may return, whatever maxPoints says:
  // bounds the work of a single request (100 entities × 30 days of 5-minute bins is 864,000).
  int64_t max_values_per_request = 1000000;
  // Seconds a read response's data may be reused for the same query (0 = never). Writes through the API
  // clear it; data from other processes (ingest, detect) shows up after at most this long.
  int64_t cache_ttl_s = 2;
  // Per-client token bucket (by HttpRequest::client): `rate_limit_per_s` requests a second on average, bursts of
  // up to `rate_burst`; beyond it 429 with Retry-After. 0 = no limit. /healthz and /metrics are not counted.
  double rate_limit_per_s = 50;
  double rate_burst = 200;
  // Waits between webhook delivery attempts (seconds); one attempt more than entries.
  std::vector<int64_t> webhook_backoff_s = {5, 30, 120, 600, 1800};
  // Figures of the process the API runs in, which the API only passes on (`vigil run`: per-collector
  // acquisition health). `health_json` returns a JSON object, shown as "sources" in /healthz; `metrics_text`
  // returns Prometheus exposition lines (with their HELP / TYPE) appended to /metrics. Empty: none.
  std::function<std::string()> health_json;
  std::function<std::string()> metrics_text;
};

class WebhookDispatcher;

// Transport-independent request handling; thread-safe (store calls are serialised inside). Webhook
// registrations and their delivery log live in `webhooks` (a SQLite file; the same one as `store` when that is
// SQLite), so they survive a restart.
class Api {
 public:
  Api(store::Store& store, store::WebhookStore& webhooks, ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  HttpResponse Handle(const HttpRequest& request);

  // Sends queued webhook deliveries whose time has come; returns how many were attempted. `vigil serve`
  // calls it from a background thread; tests call it directly.
  int DeliverWebhooks();
  // Looks for events that started, changed or ended since the last call and queues webhook notices.
  Status ScanEventsForWebhooks();
  // Another writer of the store (vigil run's loop) changed series or detections: answers cached for
  // ApiOptions::cache_ttl_s are dropped, so a new event is visible at once rather than after the TTL.
  void StoreChanged();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";  // a numeric IPv4 or IPv6 address
  int port = 8080;                 // 0 = any free port
  int threads = 8;                 // event-loop threads; each answers its connections' requests in turn
  // Open connections at once; more are accepted and closed at once. Each costs a descriptor and
  // connection_memory_bytes, not a thread.
  size_t max_connections = 4096;
  // Connections the kernel queues before the server accepts them: a burst of new connections larger than this
  // is dropped (SYN retried by the client after a second).
  int listen_backlog = 4096;
  int idle_timeout_s = 10;                     // a connection silent this long is closed
  size_t connection_memory_bytes = 32 * 1024;  // per-connection buffer for the request line and headers
  size_t max_body_bytes = 64 * 1024;
  size_t max_query_params = 64;
};

// Parses "127.0.0.1:8080", "[::1]:8080" or ":8080" (host defaults to 127.0.0.1).
Status ParseListen(const std::string& text, std::string& host, int& port);

// Reads the admin token from a file (first line, trimmed) or, when path is empty, from the environment
// variable VIGIL_ADMIN_TOKEN. An empty result means writes are disabled.
Result<std::string> LoadAdminToken(const std::string& path);

// Adds the annotations of a JSON file ([{"entity":"region/KZ-ALA","kind":…,"start":…,"end":…,"text":…,
// "source_url":…}], the simulator's annotations.json) that are not stored yet (same entity, kind and start);
// returns how many were added.
Result<int> ImportAnnotations(store::Store& store, const std::string& path);

// What an import of reported shutdowns (Access Now #KeepItOn STOP CSVs) did.
struct ReportedShutdownImport {
  struct File {
    std::string path;
    int rows = 0;     // data rows read
    int added = 0;    // stored now
    int present = 0;  // stored by an earlier run (same file name and row content)
    int bad = 0;      // not stored; see bad_rows
  };
  std::vector<File> files;
  std::vector<std::string> bad_rows;  // "FILE line N: why" (not stored)
  std::vector<std::string> warnings;  // "FILE line N: why" (stored, e.g. with the end unknown)
  int country_mapped = 0;             // rows whose country has an ISO 3166-1 code
  int region_mapped = 0;              // ... and whose area maps to exactly one ISO 3166-2 code
  std::vector<std::pair<std::string, int>> unmapped_countries;  // name as written → rows, most first
  std::vector<std::pair<std::string, int>> unmapped_areas;      // "CC: area as written" → rows, most first
};

// Reads #KeepItOn STOP CSVs (46 columns; start_date / end_date in Excel serial days; blank end = ongoing or
// unknown; an end that is free text or before the start is kept as unknown, with a warning) into annotations of kind
// `reported-shutdown`, one per row, on the country (ISO 3166-1 from the English name) or, when the area names exactly
// one subdivision, the region (ISO 3166-2); a country that does not map goes on an entity of type `place`. Safe to
// re-run. A bad row is reported and skipped, the others are kept. iso_codes_dir: Debian iso-codes JSON
// (/usr/share/iso-codes/json).
Result<ReportedShutdownImport> ImportKeepItOn(store::Store& store, const std::vector<std::string>& paths,
                                              const std::string& iso_codes_dir);

// HTTP/1.1 server in front of an Api (libmicrohttpd, a fixed pool of epoll threads).
class Server {
 public:
  Server(Api& api, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on host:port; port() is known afterwards. A port another process listens on is an
  // error naming host:port (no SO_REUSEPORT: two servers never share a port).
  Status Bind();
  int port() const;
  void Run();   // serves until Stop()
  void Stop();  // safe from another thread or a signal-watching thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::api
