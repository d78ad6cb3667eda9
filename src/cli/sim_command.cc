// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/command_registry.h"
#include "cli/stages.h"
#include "eval/eval.h"
#include "cli/scenario_evaluation.h"
#include "sim/sim.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

void InstallSimCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand(
      "sim", "Simulate a scenario: write MRT, geo CSV world, probe rounds, annotations and truth.json to OUTDIR");
  static std::string scenario_path, outdir;
  static bool full_table = false;
  static std::string compression = "gzip";
  static int zstd_level = 1;
  command->add_option("SCENARIO", scenario_path, "Scenario JSON file (see docs/simulator.md)")->required();
  command->add_option("OUTDIR", outdir, "Output directory (its mrt/, geo/ and probe/ are replaced)")->required();
  command->add_flag("--full-table", full_table, "Add a full IPv4 table (>= 900k prefixes, >= 20 peers) for benchmarks");
  command
      ->add_option("--compression", compression,
                   "MRT file compression: gzip (.gz, RIS-style, bgpdump reads it), zstd (.zst) or none (no suffix)")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}))
      ->capture_default_str();
  static bool buffered = false;
  command->add_flag("--buffered", buffered,
                    "Write uncompressed RIBs through the page cache (default: O_DIRECT where the file system allows)");
  command->add_option("--zstd-level", zstd_level, "zstd compression level (with --compression zstd)")
      ->check(CLI::Range(1, 19))
      ->capture_default_str();
  command->callback([] {
    auto scenario = sim::LoadScenario(scenario_path);
    if (!scenario.ok()) {
      std::fprintf(stderr, "vigil sim: %s\n", scenario.message().c_str());
      SetExitCode(1);
      return;
    }
    sim::SimOptions options;
    options.full_table = full_table;
    sim::ParseCompression(compression, options.compression);
    options.zstd_level = zstd_level;
    options.direct_io = !buffered;
    auto summary = sim::RunSimulation(*scenario, outdir, options);
    if (!summary.ok()) {
      std::fprintf(stderr, "vigil sim: %s: %s\n", scenario_path.c_str(), summary.message().c_str());
      SetExitCode(1);
      return;
    }
    const sim::SimSummary& s = *summary;
    int64_t records = s.rib_records + s.update_records;
    std::printf("scenario %s -> %s\n", scenario->name.c_str(), outdir.c_str());
    std::printf("world: %lld /24s (%lld probed), %lld prefixes, %lld peers\n", static_cast<long long>(s.slash24s),
                static_cast<long long>(s.probed_blocks), static_cast<long long>(s.prefixes),
                static_cast<long long>(s.peers));
    // MRT records: one per RIB_IPV4_UNICAST record (a prefix with all its peers' entries) plus one per
    // BGP4MP message or state change; the PEER_INDEX_TABLE is not counted.
    std::printf(
        "mrt: %lld files, %lld RIB records (%lld entries), %lld update records, %.1f MB raw in %.2f s wall, "
        "%.2f s cpu (%.0f records/s wall, %.0f records/s cpu)\n",
        static_cast<long long>(s.mrt_files), static_cast<long long>(s.rib_records),
        static_cast<long long>(s.rib_entries), static_cast<long long>(s.update_records),
        static_cast<double>(s.mrt_bytes) / 1e6, s.mrt_seconds, s.mrt_cpu_seconds,
        s.mrt_seconds > 0 ? static_cast<double>(records) / s.mrt_seconds : 0.0,
        s.mrt_cpu_seconds > 0 ? static_cast<double>(records) / s.mrt_cpu_seconds : 0.0);
    std::printf("probe: %lld round files; truth: %lld events; full_feed_min_prefixes %lld\n",
                static_cast<long long>(s.probe_files), static_cast<long long>(s.truth_events),
                static_cast<long long>(s.full_feed_min_prefixes));
  });
}

void InstallEvalCommand(CLI::App& root) {
  CLI::App* command =
      root.add_subcommand("eval", "Score the events and schedules in a store against a simulator's truth.json");
  static std::string truth_path, store_uri = kDefaultStore;
  static bool json = false;
  command->add_option("TRUTH", truth_path, "truth.json written by `vigil sim`")->required();
  command->add_option("--store", store_uri, "Store URI (a plain path means SQLite)")->capture_default_str();
  command->add_flag("--json", json,
                    "Print one JSON object instead of a table: the keys of SCENARIOS.md (lenient) plus \"strict\"");
  static bool lenient = false;
  command->add_flag("--lenient", lenient,
                    "Score the older lenient way (any overlap is a hit, many detections may match one truth event) "
                    "instead of strictly");
  command->callback([] {
    auto truth = eval::LoadTruth(truth_path);
    if (!truth.ok()) {
      std::fprintf(stderr, "vigil eval: %s\n", truth.message().c_str());
      SetExitCode(1);
      return;
    }
    auto store = store::OpenExistingStore(store_uri);
    if (!store.ok()) {
      std::fprintf(stderr, "vigil eval: %s\n", store.message().c_str());
      SetExitCode(1);
      return;
    }
    auto first_seen = eval::ReplayFirstSeen(**store, truth->start, truth->end);
    if (!first_seen.ok()) {
      std::fprintf(stderr, "vigil eval: %s: replay: %s\n", store_uri.c_str(), first_seen.message().c_str());
      SetExitCode(1);
      return;
    }
    eval::StrictContext context;
    context.first_seen = std::move(*first_seen);
    auto scores = eval::ScoreStore(*truth, **store, std::move(context));
    if (!scores.ok()) {
      std::fprintf(stderr, "vigil eval: %s: %s\n", store_uri.c_str(), scores.message().c_str());
      SetExitCode(1);
      return;
    }
    if (json) {
      std::printf("%s\n", eval::FormatCombinedJson(scores->lenient, scores->strict).c_str());
    } else {
      std::printf("%s\n", lenient ? eval::FormatTable(scores->lenient).c_str()
                                  : eval::FormatStrictTable(scores->strict).c_str());
    }
  });
}

void InstallEvalScenarioCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand(
      "eval-scenario",
      "Run sim -> ingest -> detect -> eval on scenarios; one scenario prints its metrics, several print one table "
      "(strict scoring; --lenient or --both for the older lenient table)");
  static std::vector<std::string> scenarios;
  static std::string workdir;
  static bool json = false, lenient = false, both = false;
  static std::optional<double> noise_scale;
  command->add_option("SCENARIO", scenarios, "Scenario JSON files")->required();
  command->add_option("--workdir", workdir,
                      "Keep sim output, store and logs here (one subfolder per scenario); default: a temporary "
                      "folder that is removed afterwards");
  command->add_flag("--json", json,
                    "Print one JSON object per scenario (one per line): the keys of SCENARIOS.md (lenient) plus "
                    "\"strict\", the strict scores");
  command->add_flag("--lenient", lenient, "Print the lenient scores instead of the strict ones");
  command->add_flag("--both", both, "Print the strict table, then the lenient one");
  command
      ->add_option("--noise-scale", noise_scale,
                   "Multiply the calibrated noise of scenarios with \"noise\": {\"profile\": \"calibrated\"} "
                   "(overrides their noise.scale; the noise sweep)")
      ->check(CLI::Range(0.0, 16.0));
  command->callback([] {
    bool temporary = workdir.empty();
    std::string base = workdir;
    if (temporary) {
      char pattern[] = "/tmp/vigil-eval-XXXXXX";
      if (!mkdtemp(pattern)) {
        std::fprintf(stderr, "vigil eval-scenario: cannot create a temporary folder\n");
        SetExitCode(1);
        return;
      }
      base = pattern;
    }
    const bool print_strict = !lenient, print_lenient = lenient || both;
    const bool table = scenarios.size() > 1 && !json;
    if (table)
      std::printf("%s\n",
                  print_strict ? eval::FormatStrictSummaryHeader().c_str() : eval::FormatSummaryHeader().c_str());
    std::vector<eval::StrictMetrics> strict_rows;
    std::vector<std::string> lenient_rows;
    for (const std::string& path : scenarios) {
      std::string stem = std::filesystem::path(path).stem().string();
      ScenarioRunOptions options{path, (std::filesystem::path(base) / stem).string(), noise_scale};
      ScenarioRunResult result = RunScenarioEvaluation(options);
      if (!result.failed_stage.empty()) {
        std::fprintf(stderr, "vigil eval-scenario: %s: %s\n", path.c_str(), result.error.c_str());
        if (table) std::printf("%-26s %s\n", stem.c_str(), result.error.c_str());
        SetExitCode(2);
        continue;
      }
      strict_rows.push_back(result.strict);
      if (json) {
        std::printf("%s\n", eval::FormatCombinedJson(result.metrics, result.strict).c_str());
      } else if (table) {
        std::printf("%s\n", print_strict ? eval::FormatStrictSummaryRow(result.strict).c_str()
                                         : eval::FormatSummaryRow(result.metrics).c_str());
        lenient_rows.push_back(eval::FormatSummaryRow(result.metrics));
      } else {
        if (print_strict) std::printf("%s", eval::FormatStrictTable(result.strict).c_str());
        if (print_lenient) std::printf("%s", eval::FormatTable(result.metrics).c_str());
      }
      std::fflush(stdout);
    }
    if (table && print_strict) std::printf("%s", eval::FormatStrictTotals(strict_rows).c_str());
    if (table && print_strict && print_lenient) {
      std::printf("\n%s\n", eval::FormatSummaryHeader().c_str());
      for (const std::string& row : lenient_rows) std::printf("%s\n", row.c_str());
    }
    if (temporary) {
      std::error_code ec;
      std::filesystem::remove_all(base, ec);
    }
  });
}

VIGIL_REGISTER_COMMAND("sim", InstallSimCommand);
VIGIL_REGISTER_COMMAND("eval", InstallEvalCommand);
VIGIL_REGISTER_COMMAND("eval-scenario", InstallEvalScenarioCommand);

}  // namespace
}  // namespace vigil::cli
