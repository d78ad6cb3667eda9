#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/command_registry.h"
#include "sim/sim.h"

namespace vigil::cli {
namespace {

void InstallSimCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand(
      "sim", "Simulate a scenario: write MRT, geo CSV world, probe rounds, annotations and truth.json to OUTDIR");
  static std::string scenario_path, outdir;
  static bool full_table = false;
  command->add_option("SCENARIO", scenario_path, "Scenario JSON file (see docs/simulator.md)")->required();
  command->add_option("OUTDIR", outdir, "Output directory (its mrt/, geo/ and probe/ are replaced)")->required();
  command->add_flag("--full-table", full_table, "Add a full IPv4 table (>= 900k prefixes, >= 20 peers) for benchmarks");
  command->callback([] {
    auto scenario = sim::LoadScenario(scenario_path);
    if (!scenario.ok()) {
      std::fprintf(stderr, "vigil sim: %s\n", scenario.message().c_str());
      SetExitCode(1);
      return;
    }
    sim::SimOptions options;
    options.full_table = full_table;
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
                static_cast<long long>(s.probed_blocks), static_cast<long long>(s.prefixes), static_cast<long long>(s.peers));
    std::printf("mrt: %lld files, %lld RIB records (%lld entries), %lld update records, %.1f MB raw in %.2f s "
                "(%.0f records/s, %.0f RIB entries/s)\n",
                static_cast<long long>(s.mrt_files), static_cast<long long>(s.rib_records),
                static_cast<long long>(s.rib_entries), static_cast<long long>(s.update_records),
                static_cast<double>(s.mrt_bytes) / 1e6, s.mrt_seconds,
                s.mrt_seconds > 0 ? static_cast<double>(records) / s.mrt_seconds : 0.0,
                s.mrt_seconds > 0 ? static_cast<double>(s.rib_entries) / s.mrt_seconds : 0.0);
    std::printf("probe: %lld round files; truth: %lld events; full_feed_min_prefixes %lld\n",
                static_cast<long long>(s.probe_files), static_cast<long long>(s.truth_events),
                static_cast<long long>(s.full_feed_min_prefixes));
  });
}

VIGIL_REGISTER_COMMAND("sim", InstallSimCommand);

}  // namespace
}  // namespace vigil::cli
