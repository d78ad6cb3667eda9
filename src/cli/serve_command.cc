// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <pthread.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include "api/api.h"
#include "cli/command_registry.h"
#include "cli/stages.h"
#include "detect/detect.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string store = kDefaultStore;
  std::string webhook_store;  // empty: the --store file
  std::string web;
  std::string vendor;
  std::string admin_token_file;
  std::vector<std::string> cors_write_origins;
  int threads = 8;
  int max_connections = 4096;
  int listen_backlog = 4096;
  double rate_limit = 50;
  double rate_burst = 200;
  int64_t cache_ttl_s = 2;
  bool detect = false;
  double detect_interval_s = 30;
};

// The dashboard folder: --web, else ./web, else web/ beside the source tree the binary was built from.
std::string FindWebDir(const std::string& given) {
  if (!given.empty()) return given;
  if (std::filesystem::exists("web/index.html")) return "web";
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto dir = exe.parent_path(); dir.has_parent_path() && dir != dir.parent_path(); dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / "web/index.html")) return (dir / "web").string();
    }
  }
  return "web";
}

// The webhook tables: --webhook-store, else those of --store. A ClickHouse store keeps none, so with one the
// flag is required (a SQLite file of its own), rather than webhooks silently living in memory only.
Result<std::unique_ptr<store::WebhookStore>> OpenWebhooks(const ServeFlags& flags) {
  const std::string& uri = flags.webhook_store.empty() ? flags.store : flags.webhook_store;
  auto opened = store::OpenWebhookStore(uri);
  if (!opened.ok() && flags.webhook_store.empty()) {
    return Status(opened.status().code(),
                  opened.message() + " (give --webhook-store PATH, a SQLite file for the API's webhooks)");
  }
  return opened;
}

void Serve(const ServeFlags& flags) {
  api::ServerOptions server_options;
  if (auto status = api::ParseListen(flags.listen, server_options.host, server_options.port); !status.ok()) {
    std::fprintf(stderr, "vigil serve: %s\n", status.message().c_str());
    SetExitCode(2);
    return;
  }
  server_options.threads = flags.threads;
  server_options.max_connections = static_cast<size_t>(flags.max_connections);
  server_options.listen_backlog = flags.listen_backlog;
  // Each open connection is a descriptor: allow as many as the hard limit permits.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  auto token = api::LoadAdminToken(flags.admin_token_file);
  if (!token.ok()) {
    std::fprintf(stderr, "vigil serve: %s\n", token.message().c_str());
    SetExitCode(2);
    return;
  }
  auto store = store::OpenExistingStore(flags.store);
  if (!store.ok()) {
    std::fprintf(stderr, "vigil serve: store %s: %s\n", flags.store.c_str(), store.message().c_str());
    SetExitCode(1);
    return;
  }
  auto webhook_store = OpenWebhooks(flags);
  if (!webhook_store.ok()) {
    std::fprintf(stderr, "vigil serve: webhook store: %s\n", webhook_store.message().c_str());
    SetExitCode(1);
    return;
  }
  api::ApiOptions options;
  options.web_dir = FindWebDir(flags.web);
  options.node_modules_dir = !flags.vendor.empty()
                                 ? flags.vendor
                                 : (std::filesystem::path(options.web_dir).parent_path() / "node_modules").string();
  if (options.node_modules_dir.empty() || options.node_modules_dir == "node_modules")
    options.node_modules_dir = "node_modules";
  options.admin_token = *token;
  options.cors_write_origins = flags.cors_write_origins;
  options.cache_ttl_s = flags.cache_ttl_s;
  options.rate_limit_per_s = flags.rate_limit;
  options.rate_burst = flags.rate_burst;
  api::Api api(**store, **webhook_store, options);
  api::Server server(api, server_options);

  // Ctrl-C and SIGTERM stop the server from a thread that waits for them (no work in a signal handler).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (auto status = server.Bind(); !status.ok()) {
    std::fprintf(stderr, "vigil serve: %s\n", status.message().c_str());
    SetExitCode(1);
    return;
  }
  std::string host =
      server_options.host.find(':') != std::string::npos ? "[" + server_options.host + "]" : server_options.host;
  std::printf("vigil serve: http://%s:%d/  (store %s, dashboard %s, writes %s)\n", host.c_str(), server.port(),
              flags.store.c_str(), options.web_dir.c_str(),
              options.admin_token.empty() ? "disabled" : "need the admin token");
  std::fflush(stdout);

  std::atomic<bool> stopping{false};
  std::thread waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    stopping = true;
    server.Stop();
  });
  std::thread webhooks([&] {
    while (!stopping) {
      api.ScanEventsForWebhooks();
      api.DeliverWebhooks();
      for (int i = 0; i < 50 && !stopping; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // --detect: incremental detection on new bins, the same StoreFollower `vigil detect --follow` uses.
  std::thread detector;
  if (flags.detect) {
    detector = std::thread([&] {
      detect::StoreFollower follower(**store, detect::DetectOptions{}, std::nullopt, 1);
      while (!stopping) {
        auto stats = follower.Poll();
        if (!stats.ok()) {
          std::fprintf(stderr, "vigil serve: detect: %s\n", stats.message().c_str());
        } else if (stats->bins > 0) {
          std::printf("vigil serve: detect: %zu bins of %zu series -> %zu alerts, %zu events, %zu schedules written\n",
                      stats->bins, stats->series, stats->alerts, stats->events, stats->schedules);
          std::fflush(stdout);
        }
        for (int i = 0; i < flags.detect_interval_s * 10 && !stopping; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  }
  server.Run();
  stopping = true;
  if (detector.joinable()) detector.join();
  if (!waiter.joinable()) return;
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter when the server stopped on its own
  waiter.join();
  webhooks.join();
  std::printf("vigil serve: stopped\n");
}

void InstallServeCommand(CLI::App& root) {
  static ServeFlags flags;
  CLI::App* command = root.add_subcommand(
      "serve", "Serve the HTTP API (IODA v2-compatible + /api/v1) and the dashboard; Ctrl-C stops it");
  command->add_option("--listen", flags.listen, "HOST:PORT to listen on (loopback by default; port 0 = any free port)")
      ->capture_default_str();
  command->add_option("--store", flags.store, "Store URI (SQLite file path or clickhouse://host:port/db)")
      ->capture_default_str();
  command->add_option("--webhook-store", flags.webhook_store,
                      "SQLite file for webhook registrations and deliveries (default: the --store file; "
                      "required with a clickhouse:// store)");
  command->add_option("--web", flags.web, "Dashboard folder (default: ./web or the source tree's web/)");
  command->add_option("--vendor", flags.vendor,
                      "node_modules folder for the dashboard's libraries (default: beside --web)");
  command->add_option(
      "--admin-token-file", flags.admin_token_file,
      "File whose first line is the admin token for writes (else $VIGIL_ADMIN_TOKEN; none = read-only)");
  command->add_option("--cors-write-origin", flags.cors_write_origins,
                      "Origin allowed to make cross-origin writes (repeatable)");
  command->add_option("--threads", flags.threads, "Event-loop threads (requests handled at once)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  command
      ->add_option("--max-connections", flags.max_connections,
                   "Open connections at once (more are closed on accept); each costs a descriptor and 32 KiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  command->add_option("--listen-backlog", flags.listen_backlog, "Connections the kernel queues before accept")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  command
      ->add_option("--rate-limit", flags.rate_limit,
                   "Requests per second per client address on average (429 + Retry-After beyond; 0 = off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--rate-burst", flags.rate_burst, "Requests a client may send at once before --rate-limit")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--cache-ttl", flags.cache_ttl_s, "Seconds a read response may be reused (0 = off)")
      ->capture_default_str();
  command->add_flag("--detect", flags.detect,
                    "Also run detection on new bins while serving (as `vigil detect --follow`)");
  command->add_option("--detect-interval", flags.detect_interval_s, "Seconds between detection polls with --detect")
      ->capture_default_str();
  command->callback([] { Serve(flags); });
}

}  // namespace

VIGIL_REGISTER_COMMAND("serve", InstallServeCommand);

}  // namespace vigil::cli
