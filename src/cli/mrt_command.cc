// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "acquire/acquire.h"
#include "base/time_format.h"
#include "cli/command_registry.h"
#include "mrt/mrt.h"

namespace vigil::cli {
namespace {

void PrintError(const std::string& message) { std::fprintf(stderr, "vigil mrt: %s\n", message.c_str()); }

mrt::ReaderOptions ErrorsToStderr() {
  mrt::ReaderOptions options;
  options.on_error = PrintError;
  return options;
}

void RunDump(const std::vector<std::string>& files) {
  int status = 0;
  for (const std::string& file : files) {
    Result<mrt::ReadSummary> summary = mrt::WriteBgpdumpLines(file, /*fd=*/1, ErrorsToStderr());
    if (!summary.ok()) {
      PrintError(summary.message());
      status = 1;
    } else if (!summary->clean()) {
      status = 1;
    }
  }
  SetExitCode(status);
}

void RunStat(const std::vector<std::string>& files) {
  int status = 0;
  for (const std::string& file : files) {
    Result<mrt::FileStats> stats = mrt::ComputeFileStats(file, ErrorsToStderr());
    if (!stats.ok()) {
      PrintError(stats.message());
      status = 1;
      continue;
    }
    const mrt::FileStats& s = *stats;
    std::string out;
    out += "file: " + file + "\n";
    out += "records: " + std::to_string(s.records) + "\n";
    for (const auto& t : s.record_types) {
      out += "  " + mrt::RecordTypeName(t.type, t.subtype) + ": " + std::to_string(t.records) + "\n";
    }
    out += "elements: rib=" + std::to_string(s.rib_entries) + " announce=" + std::to_string(s.announcements) +
           " withdraw=" + std::to_string(s.withdrawals) + " state=" + std::to_string(s.state_changes) + "\n";
    out += "prefixes: v4=" + std::to_string(s.prefixes_v4) + " v6=" + std::to_string(s.prefixes_v6) + "\n";
    out += "peers: " + std::to_string(s.peers) + "\n";
    out += "attributes: as_path_asns=" + std::to_string(s.as_path_asns) +
           " communities=" + std::to_string(s.communities) +
           " large_communities=" + std::to_string(s.large_communities) + "\n";
    if (s.records > 0) {
      out += "time: " + FormatRfc3339(s.first_time) + " .. " + FormatRfc3339(s.last_time) + "\n";
    }
    out += "bytes: " + std::to_string(s.summary.bytes) + "\n";
    out += "problems: " + std::to_string(s.summary.errors.size()) +
           " (records skipped: " + std::to_string(s.summary.skipped) + ")\n";
    std::fputs(out.c_str(), stdout);
    if (!s.summary.clean()) status = 1;
  }
  std::fflush(stdout);
  SetExitCode(status);
}

// Real updates as RIS Live frames, one per line (the replay server's material: tests/rislive/).
void RunRisLiveFrames(const std::vector<std::string>& files, const std::string& collector) {
  for (const std::string& file : files) {
    auto frames = acquire::RisLiveFramesFromMrt(file, collector);
    if (!frames.ok()) {
      std::fprintf(stderr, "vigil mrt ris-live: %s\n", frames.message().c_str());
      SetExitCode(1);
      return;
    }
    for (const std::string& frame : *frames) std::printf("%s\n", frame.c_str());
  }
  std::fflush(stdout);
}

void InstallMrtCommand(CLI::App& root) {
  CLI::App* mrt = root.add_subcommand("mrt", "Read MRT routing dumps (RIS, RouteViews): gzip, bzip2, zstd or plain");
  mrt->require_subcommand(1);

  CLI::App* dump = mrt->add_subcommand(
      "dump", "Print routes one per line exactly as Debian `bgpdump -m` 1.6.2 does (files in order)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto one_line = std::make_shared<bool>(false);
  dump->add_flag("-m", *one_line, "One line per entry with Unix timestamps (the only mode; required)")->required();
  dump->add_option("FILE", *files, "MRT files")->required()->check(CLI::ExistingFile);
  dump->callback([files, one_line] { RunDump(*files); });

  CLI::App* stat = mrt->add_subcommand(
      "stat", "Decode every record, element and attribute; print counts per record type, peers, prefixes, time range");
  auto stat_files = std::make_shared<std::vector<std::string>>();
  stat->add_option("FILE", *stat_files, "MRT files")->required()->check(CLI::ExistingFile);
  stat->callback([stat_files] { RunStat(*stat_files); });

  CLI::App* ris_live = mrt->add_subcommand(
      "ris-live", "Print the files' updates and state changes as RIS Live ris_message frames, one per line");
  auto live_files = std::make_shared<std::vector<std::string>>();
  auto collector = std::make_shared<std::string>();
  ris_live->add_option("--collector", *collector, "Collector the frames name as host (rrc00, ...)")->required();
  ris_live->add_option("FILE", *live_files, "MRT update files")->required()->check(CLI::ExistingFile);
  ris_live->callback([live_files, collector] { RunRisLiveFrames(*live_files, *collector); });
}

VIGIL_REGISTER_COMMAND("mrt", InstallMrtCommand);

}  // namespace
}  // namespace vigil::cli
