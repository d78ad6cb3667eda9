// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil collectors` and `vigil fetch`: the acquire module's collector table and archive backfill.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "acquire/acquire.h"
#include "cli/command_registry.h"

namespace vigil::cli {
namespace {

void PrintCollectors(const acquire::CollectorTable& table, const acquire::ArchiveRoots& roots) {
  std::printf("%-22s %-10s %-7s %-7s %-10s %-10s %s\n", "collector", "project", "updates", "ribs", "first", "last",
              "archive folder");
  for (const acquire::Collector& c : table.collectors) {
    std::printf("%-22s %-10s %-7s %-7s %-10s %-10s %s%s/\n", c.name.c_str(), acquire::ProjectName(c.project),
                (std::to_string(c.update_period_s / 60) + "m").c_str(),
                (std::to_string(c.rib_period_s / 3600) + "h").c_str(), c.first_date.c_str(),
                c.last_date.empty() ? "-" : c.last_date.c_str(), roots.For(c.project).c_str(), c.archive_path.c_str());
  }
}

void InstallCollectorsCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand(
      "collectors", "List the RIS and RouteViews collectors that publish MRT (the table in data/collectors.tsv)");
  static std::string table_path, archive_urls;
  command->add_option("--table", table_path, "Collector table to read instead of the built-in data/collectors.tsv");
  command->add_option("--archive-url", archive_urls, "Archive roots: ris=URL,routeviews=URL (either alone)");
  command->callback([] {
    auto table = acquire::LoadCollectorTable(table_path);
    if (!table.ok()) {
      std::fprintf(stderr, "vigil collectors: %s\n", table.message().c_str());
      SetExitCode(1);
      return;
    }
    auto roots = acquire::ParseArchiveRoots(*table, archive_urls);
    if (!roots.ok()) {
      std::fprintf(stderr, "vigil collectors: %s\n", roots.message().c_str());
      SetExitCode(2);
      return;
    }
    PrintCollectors(*table, *roots);
  });
}

VIGIL_REGISTER_COMMAND("collectors", InstallCollectorsCommand);

}  // namespace
}  // namespace vigil::cli
