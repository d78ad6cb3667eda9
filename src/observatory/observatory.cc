// SPDX-License-Identifier: AGPL-3.0-or-later
// RunObservatory: geo, store, file source, run loop, API server and webhooks in one process.
#include <chrono>
#include <cstdio>
#include <thread>

#include "api/api.h"
#include "geo/geo.h"
#include "observatory/observatory.h"
#include "signals/geo_counter.h"

namespace vigil::observatory {
namespace {

void SleepUnless(const std::atomic<bool>& stop, double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!stop && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void PrintStep(const StepReport& r, const RunClock& clock) {
  for (const std::string& e : r.errors) std::fprintf(stderr, "vigil run: %s\n", e.c_str());
  if (r.fetched == 0 && r.ingested == 0 && r.bins_closed == 0 && r.detect_bins == 0) return;
  std::printf(
      "vigil run: %s: %lld fetched, %lld gaps, %lld ingested, %lld late (%lld rebuilds), %lld bins closed (%lld by "
      "deadline), closed until %s, %lld bins detected%s; took %.2f s (list %.2f, fetch %.2f, ingest %.2f, detect and "
      "webhooks %.2f)\n",
      FormatRfc3339(clock.Now()).c_str(), (long long)r.fetched, (long long)r.gaps, (long long)r.ingested,
      (long long)r.late_files, (long long)r.rebuilds, (long long)r.bins_closed, (long long)r.bins_closed_by_deadline,
      r.closed_until == INT64_MIN ? "-" : FormatRfc3339(r.closed_until).c_str(), (long long)r.detect_bins,
      r.pruned_files ? (", " + std::to_string(r.pruned_files) + " cached files pruned").c_str() : "",
      r.list_s + r.fetch_s + r.ingest_s + r.detect_s, r.list_s, r.fetch_s, r.ingest_s, r.detect_s);
  std::fflush(stdout);
}

void PrintLiveStep(const LiveStepReport& r, const RunClock& clock) {
  for (const std::string& e : r.errors) std::fprintf(stderr, "vigil run: %s\n", e.c_str());
  if (r.bins_written == 0) return;
  std::printf("vigil run: %s: RIS Live: %lld bins written, %lld bins detected\n", FormatRfc3339(clock.Now()).c_str(),
              (long long)r.bins_written, (long long)r.detect_bins);
  std::fflush(stdout);
}

// Waits out one poll interval; with RIS Live, applies what it received every quarter second meanwhile (a live
// bin is written seconds after its end, not at the next poll). False when the store failed.
bool WaitFollowingLive(RunLoop& loop, acquire::RisLiveClient* live, const ObservatoryOptions& o,
                       const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.run.poll_interval_s);
  do {
    if (live) {
      loop.SetLiveClientStats(live->Stats());
      auto step = loop.LiveStep(live->Drain());
      if (!step.ok()) {
        std::fprintf(stderr, "vigil run: store %s: %s\n", o.store_uri.c_str(), step.message().c_str());
        return false;
      }
      PrintLiveStep(*step, o.run.clock);
    }
    auto left = until - std::chrono::steady_clock::now();
    if (left > std::chrono::milliseconds(250)) left = std::chrono::milliseconds(250);
    if (left > std::chrono::milliseconds(0)) SleepUnless(stop, std::chrono::duration<double>(left).count());
  } while (!stop && std::chrono::steady_clock::now() < until);
  return true;
}

Result<std::unique_ptr<FileSource>> MakeSource(const ObservatoryOptions& o, const std::atomic<bool>& stop) {
  if (!o.mirror_dir.empty()) return std::unique_ptr<FileSource>(new DirectorySource(o.mirror_dir, o.run.collectors));
  return MakeArchiveSource(o, stop);
}

}  // namespace

int RunObservatory(const ObservatoryOptions& o, const std::atomic<bool>& stop) {
  geo::OpenOptions geo_options;
  geo_options.geo_dir = o.geo_dir;
  geo_options.source = o.geo_source;
  auto geo = geo::GeoDatabase::Open(geo_options);
  if (!geo.ok()) {
    std::fprintf(stderr, "vigil run: geo %s: %s\n", o.geo_dir.c_str(), geo.message().c_str());
    return 2;
  }
  auto store = store::OpenStore(o.store_uri);
  if (!store.ok()) {
    std::fprintf(stderr, "vigil run: store %s: %s\n", o.store_uri.c_str(), store.message().c_str());
    return 2;
  }
  Status registered = (*store)->RegisterDatasource(BgpDatasource());
  if (registered.ok()) registered = (*store)->RegisterDatasource(BgpV6Datasource());
  auto ids = registered.ok() ? UpsertGeoEntities(**store, signals::GeoEntities(**geo))
                             : Result<std::vector<int64_t>>(registered);
  if (!ids.ok()) {
    std::fprintf(stderr, "vigil run: store %s: %s\n", o.store_uri.c_str(), ids.message().c_str());
    return 1;
  }
  auto source = MakeSource(o, stop);
  if (!source.ok()) {
    std::fprintf(stderr, "vigil run: %s\n", source.message().c_str());
    return 2;
  }
  signals::GeoSlash24Counter counter(**geo);
  signals::GeoSlash48Counter counter6(**geo);
  RunOptions run_options = o.run;
  run_options.ris_live = !o.ris_live_url.empty();
  RunLoop loop(**store, **source, counter, counter6, std::move(*ids), run_options);
  if (Status started = loop.Start(); !started.ok()) {
    std::fprintf(stderr, "vigil run: store %s: %s\n", o.store_uri.c_str(), started.message().c_str());
    return 1;
  }
  std::unique_ptr<acquire::RisLiveClient> live;
  if (run_options.ris_live) {
    acquire::RisLiveOptions live_options;
    live_options.url = o.ris_live_url;
    live_options.collectors = o.run.collectors;
    live_options.ca_file = o.ca_file;
    live_options.max_queue = o.ris_live_queue;
    auto client = acquire::RisLiveClient::Start(live_options);
    if (!client.ok()) {
      std::fprintf(stderr, "vigil run: %s\n", client.message().c_str());
      return 2;
    }
    live = std::move(*client);
  }

  api::ApiOptions api_options;
  api_options.web_dir = o.web_dir;
  api_options.node_modules_dir = o.node_modules_dir;
  api_options.admin_token = o.admin_token;
  api_options.health_json = [&loop] { return HealthJson(loop.Health()); };
  api_options.metrics_text = [&loop] { return MetricsText(loop.Health()); };
  const std::string& webhook_uri = o.webhook_store_uri.empty() ? o.store_uri : o.webhook_store_uri;
  auto webhook_store = store::OpenWebhookStore(webhook_uri);
  if (!webhook_store.ok()) {
    std::fprintf(
        stderr, "vigil run: webhook store %s: %s%s\n", webhook_uri.c_str(), webhook_store.message().c_str(),
        o.webhook_store_uri.empty() ? " (give --webhook-store PATH, a SQLite file for the API's webhooks)" : "");
    return 2;
  }
  api::Api api(**store, **webhook_store, api_options);
  std::unique_ptr<api::Server> server;
  std::thread serving;
  if (!o.listen.empty()) {
    api::ServerOptions server_options;
    if (Status parsed = api::ParseListen(o.listen, server_options.host, server_options.port); !parsed.ok()) {
      std::fprintf(stderr, "vigil run: %s\n", parsed.message().c_str());
      return 2;
    }
    server = std::make_unique<api::Server>(api, server_options);
    if (Status bound = server->Bind(); !bound.ok()) {
      std::fprintf(stderr, "vigil run: %s\n", bound.message().c_str());
      return 1;
    }
    serving = std::thread([&] { server->Run(); });
  }
  std::printf(
      "vigil run: collectors %s from %s, polling every %g s, bins close at the latest %lld s after their end%s%s\n",
      [&] {
        std::string joined;
        for (const auto& c : o.run.collectors) joined += (joined.empty() ? "" : ",") + c;
        return joined;
      }()
          .c_str(),
      FormatRfc3339(loop.from()).c_str(), o.run.poll_interval_s, (long long)o.run.deadline_s,
      server ? ("; API and dashboard on http://" + o.listen + "/").c_str() : "",
      o.run.clock.replay() ? " (replay clock)" : "");
  if (server) std::printf("vigil run: listening on port %d\n", server->port());
  std::fflush(stdout);

  std::atomic<bool> done{false};
  std::thread webhooks([&] {
    while (!done) {
      api.ScanEventsForWebhooks();
      api.DeliverWebhooks();
      SleepUnless(done, 5);
    }
  });
  loop.OnDetection([&api] {
    api.StoreChanged();
    api.ScanEventsForWebhooks();
  });

  int exit_code = 0;
  for (int64_t poll = 0; !stop && (o.max_polls == 0 || poll < o.max_polls); ++poll) {
    if (poll > 0 && !WaitFollowingLive(loop, live.get(), o, stop)) {
      exit_code = 1;
      break;
    }
    if (stop) break;
    auto step = loop.Step();
    if (!step.ok()) {
      std::fprintf(stderr, "vigil run: store %s: %s\n", o.store_uri.c_str(), step.message().c_str());
      exit_code = 1;
      break;
    }
    PrintStep(*step, o.run.clock);
  }
  done = true;
  live.reset();
  if (server) {
    server->Stop();
    serving.join();
  }
  webhooks.join();
  std::printf("vigil run: stopped\n");
  return exit_code;
}

}  // namespace vigil::observatory
