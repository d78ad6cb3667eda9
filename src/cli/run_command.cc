// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil run`: flags -> observatory::RunObservatory (the run loop lives in src/observatory).
#include <CLI/CLI.hpp>
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "api/api.h"
#include "cli/command_registry.h"
#include "observatory/observatory.h"
#include "signals/routing_model.h"

namespace vigil::cli {
namespace {

struct RunFlags {
  std::string collectors;
  std::string from;
  std::string clock;
  std::string vendor;
  std::string admin_token_file;
  std::optional<int64_t> full_feed_min;
  std::optional<int64_t> full_feed_min_v6;
  std::optional<double> full_feed_fraction;
  double visibility = 0.5;
  bool no_serve = false;
  observatory::ObservatoryOptions o;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The dashboard folder: ./web, else web/ beside the source tree the binary was built from.
std::string FindWebDir() {
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

int Run(RunFlags& f) {
  observatory::ObservatoryOptions& o = f.o;
  o.run.collectors = SplitList(f.collectors);
  if (o.run.collectors.empty()) {
    std::fprintf(stderr, "vigil run: --collectors: name at least one collector (e.g. rrc00,route-views2)\n");
    return 2;
  }
  if (!f.from.empty()) {
    auto t = ParseTime(f.from);
    if (!t.ok()) {
      std::fprintf(stderr, "vigil run: --from: %s\n", t.message().c_str());
      return 2;
    }
    o.run.from = *t;
  }
  auto clock = observatory::RunClock::Parse(f.clock);
  if (!clock.ok()) {
    std::fprintf(stderr, "vigil run: %s\n", clock.message().c_str());
    return 2;
  }
  o.run.clock = *clock;
  o.run.visibility.visibility = f.visibility;
  if (f.full_feed_fraction) o.run.visibility.full_feed_fraction = *f.full_feed_fraction;
  if (f.full_feed_min) o.run.visibility.full_feed_min_prefixes = *f.full_feed_min;
  o.run.visibility_v6 = o.run.visibility;
  o.run.visibility_v6.full_feed_min_prefixes = f.full_feed_min_v6.value_or(signals::kIpv6FullFeedMinPrefixes);
  if (!o.mirror_dir.empty()) o.run.cache_dir = o.mirror_dir;
  if (f.no_serve) o.listen.clear();
  if (o.web_dir.empty()) o.web_dir = FindWebDir();
  o.node_modules_dir =
      !f.vendor.empty() ? f.vendor : (std::filesystem::path(o.web_dir).parent_path() / "node_modules").string();
  if (o.node_modules_dir.empty() || o.node_modules_dir == "node_modules") o.node_modules_dir = "node_modules";
  auto token = api::LoadAdminToken(f.admin_token_file);
  if (!token.ok()) {
    std::fprintf(stderr, "vigil run: %s\n", token.message().c_str());
    return 2;
  }
  o.admin_token = *token;

  // SIGINT and SIGTERM set the stop flag from a thread that waits for them (no work in a signal handler).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    if (!finished) std::fprintf(stderr, "vigil run: %s: stopping\n", received == SIGINT ? "SIGINT" : "SIGTERM");
    stop = true;
  });
  int code = observatory::RunObservatory(o, stop);
  finished = true;
  if (!stop) pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter when the run ended by itself
  waiter.join();
  return code;
}

void InstallRunCommand(CLI::App& root) {
  static RunFlags f;
  observatory::ObservatoryOptions& o = f.o;
  o.run.cache_dir = "var/mrt";
  CLI::App* c = root.add_subcommand(
      "run",
      "The observatory's main job: bootstrap each collector from its RIB, follow the archives, "
      "ingest in order, detect, serve the API and dashboard, deliver webhooks (docs/operations.md)");
  c->add_option("--collectors", f.collectors, "Collectors to follow, comma-separated (vigil collectors lists them)")
      ->required();
  c->add_option("--from", f.from,
                "Start (RFC 3339 or Unix seconds): each collector starts from its newest RIB at or before it "
                "(default: the start saved by an earlier run, else now)");
  c->add_option("--store", o.store_uri, "Store URI (a plain path means SQLite)")->capture_default_str();
  c->add_option("--webhook-store", o.webhook_store_uri,
                "SQLite file for webhook registrations and deliveries (default: the --store file; required with a "
                "clickhouse:// store)");
  c->add_option("--geo", o.geo_dir, "Geo data folder (CSV world or ip-location-db)")->capture_default_str();
  c->add_option("--geo-source", o.geo_source, "geolite2 (fused with DB-IP), geolite2-only or dbip")
      ->capture_default_str();
  auto* min =
      c->add_option("--full-feed-min", f.full_feed_min, "Full-feed peer: more than N IPv4 prefixes (default 400000)");
  c->add_option("--full-feed-min-v6", f.full_feed_min_v6,
                "Full-feed IPv6 peer (bgp-v6): more than N IPv6 prefixes (default 100000)");
  c->add_option("--full-feed-fraction", f.full_feed_fraction,
                "Full-feed peer: at least this fraction of the largest peer table (instead of --full-feed-min)")
      ->excludes(min);
  c->add_option("--visibility", f.visibility, "Visible prefix: carried by more than this fraction of full-feed peers")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--cache", o.run.cache_dir, "Where verified MRT files are kept (the archive's layout)")
      ->capture_default_str();
  c->add_option("--keep-days", o.run.keep_days,
                "Delete cached MRT files older than N days once ingested (0 = keep all; the store keeps the series)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  c->add_option("--archive-url", o.archive_roots,
                "Archive roots: ris=URL,routeviews=URL (default: the collector table's, the real archives)");
  c->add_option("--index", o.index, "Discover files through an index service: bgpstream=URL or bgpkit=URL");
  c->add_option("--collectors-file", o.collectors_file, "Collector table TSV instead of the built-in one");
  c->add_option("--mirror", o.mirror_dir,
                "Follow a local folder another process fills (e.g. an rsync mirror) instead of the archives");
  c->add_option("--ris-live", o.ris_live_url,
                "RIS Live WebSocket URL (e.g. wss://ris-live.ripe.net/v1/ws/): the low-latency source; its bins are "
                "written seconds after they end and replaced by the archive's files (docs/rislive.md)");
  c->add_option("--ris-live-queue", o.ris_live_queue,
                "RIS Live messages held for the loop before the connection is dropped as too slow")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
  c->add_option("--ris-live-grace", o.run.live_grace_s, "Seconds after a bin's end before its live value is written")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{3600}));
  c->add_option("--poll", o.run.poll_interval_s, "Seconds between archive polls")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 86400.0));
  c->add_option("--deadline", o.run.deadline_s,
                "Seconds after a bin's end when it closes even if some collector has not delivered")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{7 * 86400}));
  c->add_option("--lookback", o.run.lookback_s, "Seconds back each poll lists for files that arrive late")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{30 * 86400}));
  c->add_option("--jobs", o.fetch_jobs, "Parallel downloads")->capture_default_str()->check(CLI::Range(1, 64));
  c->add_option("--ca-file", o.ca_file, "Extra CA bundle for the archives' TLS (TLS verification is always on)");
  c->add_option("--listen", o.listen, "HOST:PORT of the API and dashboard (port 0 = any free port)")
      ->capture_default_str();
  c->add_flag("--no-serve", f.no_serve, "Do not serve the API and dashboard");
  c->add_option("--web", o.web_dir, "Dashboard folder (default: ./web or the source tree's web/)");
  c->add_option("--vendor", f.vendor, "node_modules folder for the dashboard's libraries (default: beside --web)");
  c->add_option("--admin-token-file", f.admin_token_file,
                "File whose first line is the admin token for writes (else $VIGIL_ADMIN_TOKEN; none = read-only)");
  c->add_option("--clock", f.clock,
                "Replay clock TIME@SPEED: time starts at TIME and runs SPEED times faster (demos and tests that "
                "replay an old scenario at accelerated time)");
  c->add_option("--polls", o.max_polls, "Stop after this many polls (0 = run until SIGINT / SIGTERM)")
      ->capture_default_str();
  c->add_flag("-v,--verbose", o.run.verbose, "One line per file on stderr");
  c->callback([] { SetExitCode(Run(f)); });
}

VIGIL_REGISTER_COMMAND("run", InstallRunCommand);

}  // namespace
}  // namespace vigil::cli
