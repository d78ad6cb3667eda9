// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

#include "base/time_format.h"
#include "cli/command_registry.h"
#include "cli/stages.h"
#include "detect/detect.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

void PrintStats(const detect::DetectRunStats& s) {
  std::printf("detect: %zu series, %zu bins -> %zu alerts, %zu events, %zu schedules written (replaced from %s)\n",
              s.series, s.bins, s.alerts, s.events, s.schedules,
              s.replaced_from == 0 ? "the beginning" : FormatRfc3339(s.replaced_from).c_str());
  std::fflush(stdout);
}

bool ParseOptionalTime(const std::string& text, const char* flag, std::optional<UnixSeconds>& out) {
  if (text.empty()) return true;
  auto t = ParseTime(text);
  if (!t.ok()) {
    std::fprintf(stderr, "vigil detect: %s: %s\n", flag, t.message().c_str());
    return false;
  }
  out = *t;
  return true;
}

}  // namespace

int RunDetect(const DetectFlags& flags) {
  std::optional<UnixSeconds> from, until;
  if (!ParseOptionalTime(flags.from, "--from", from) || !ParseOptionalTime(flags.until, "--until", until)) return 2;
  if (from && until && *from >= *until) {
    std::fprintf(stderr, "vigil detect: --from must be earlier than --until\n");
    return 2;
  }
  if (flags.follow && until) {
    std::fprintf(stderr, "vigil detect: --follow runs until stopped; it takes --from but not --until\n");
    return 2;
  }
  auto store = store::OpenExistingStore(flags.store);
  if (!store.ok()) {
    std::fprintf(stderr, "vigil detect: --store %s: %s\n", flags.store.c_str(), store.message().c_str());
    return 1;
  }
  if (!flags.follow) {
    auto stats = detect::DetectBatch(**store, detect::DetectOptions{}, from, until);
    if (!stats.ok()) {
      std::fprintf(stderr, "vigil detect: %s: %s\n", flags.store.c_str(), stats.message().c_str());
      return 1;
    }
    if (!flags.quiet) PrintStats(*stats);
    return 0;
  }
  detect::StoreFollower follower(**store, detect::DetectOptions{}, from, flags.settle_bins);
  for (int64_t poll = 0; flags.polls == 0 || poll < flags.polls; ++poll) {
    if (poll > 0) std::this_thread::sleep_for(std::chrono::duration<double>(flags.interval_s));
    auto stats = follower.Poll();
    if (!stats.ok()) {
      std::fprintf(stderr, "vigil detect: %s: %s\n", flags.store.c_str(), stats.message().c_str());
      return 1;
    }
    if (stats->bins > 0 && !flags.quiet) PrintStats(*stats);
  }
  return 0;
}

namespace {

void InstallDetectCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand(
      "detect",
      "Detect outages and throttling in the store's series: alerts, events (classified, rolled up to countries) "
      "and curfew schedules (see docs/detection.md)");
  static DetectFlags flags;
  command->add_option("--store", flags.store, "Store URI (a SQLite path)")->capture_default_str();
  command->add_option("--from", flags.from,
                      "Recompute from this time (RFC 3339 or Unix seconds); results from it on are replaced");
  command->add_option("--until", flags.until, "Ignore series data at or after this time");
  command->add_flag("--follow", flags.follow, "Keep running: poll the store and process new bins as they arrive");
  command->add_option("--interval", flags.interval_s, "Seconds between polls with --follow")->capture_default_str();
  command
      ->add_option("--settle", flags.settle_bins,
                   "With --follow, take a bin once its datasource has data this many bins later")
      ->capture_default_str();
  command->add_option("--polls", flags.polls, "With --follow, stop after this many polls (0 = never)")
      ->capture_default_str();
  command->callback([] { SetExitCode(RunDetect(flags)); });

  CLI::App* import = EnsureCommand(root, "import", "Import data from other sources into the store");
  CLI::App* series = import->add_subcommand(
      "series", "Import a CSV of external series (entity,time,value) as a datasource; the step is inferred");
  static std::string store_uri = kDefaultStore, file, datasource;
  static detect::ImportedSource source;
  series->add_option("FILE", file, "CSV file: entity (region/IR-23), time (RFC 3339 or Unix seconds), value")
      ->required();
  series->add_option("--datasource", datasource, "Datasource name to store the series under")->required();
  series->add_option("--store", store_uri, "Store URI (a SQLite path)")->capture_default_str();
  series->add_option("--source", source.name, "Who published the figures (e.g. IODA); default: the file's path");
  series->add_option("--licence", source.licence, "Licence / attribution the source requires when shown");
  series->callback([] {
    auto store = store::OpenStore(store_uri);
    if (!store.ok()) {
      std::fprintf(stderr, "vigil import series: --store %s: %s\n", store_uri.c_str(), store.message().c_str());
      SetExitCode(1);
      return;
    }
    auto report = detect::ImportSeriesFile(**store, file, datasource, source);
    if (!report.ok()) {
      std::fprintf(stderr, "vigil import series: %s\n", report.message().c_str());
      SetExitCode(1);
      return;
    }
    const detect::ImportedSeries& p = report->parsed;
    if (report->already_imported) {
      std::printf("%s: already imported (same sha256); nothing changed\n", file.c_str());
      return;
    }
    size_t points = 0;
    for (const auto& [entity, list] : p.points) points += list.size();
    std::printf(
        "%s -> datasource %s: step %lld s (inferred), %zu entities (%zu new), %zu points from %zu rows; "
        "%zu duplicate rows (last wins), %zu out of order, %zu realigned to bin starts\n",
        file.c_str(), datasource.c_str(), static_cast<long long>(p.step_s), p.points.size(), report->entities_created,
        points, p.rows, p.duplicates, p.out_of_order, p.realigned);
  });
}

VIGIL_REGISTER_COMMAND("detect", InstallDetectCommand);

}  // namespace
}  // namespace vigil::cli
