// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil annotations import`: annotations JSON files, or Access Now #KeepItOn STOP CSVs (--format keepiton).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "api/api.h"
#include "cli/command_registry.h"
#include "cli/provenance_manifest.h"
#include "cli/stages.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

struct ImportFlags {
  std::string store_uri = kDefaultStore;
  std::string format = "json";
  std::string iso_codes_dir = "/usr/share/iso-codes/json";
  std::vector<std::string> files;
};

void PrintKeepItOnImport(const api::ReportedShutdownImport& result) {
  int rows = 0;
  for (const auto& f : result.files) {
    rows += f.rows;
    std::printf("%s: %d row(s): %d added, %d already stored, %d bad\n", f.path.c_str(), f.rows, f.added, f.present,
                f.bad);
  }
  for (const std::string& bad : result.bad_rows) std::printf("bad row (not stored): %s\n", bad.c_str());
  for (const std::string& warning : result.warnings) std::printf("warning (stored): %s\n", warning.c_str());
  double share = rows ? 100.0 * result.country_mapped / rows : 0;
  std::printf("countries: %d of %d row(s) mapped to ISO 3166-1 (%.1f %%); %d row(s) on one ISO 3166-2 region\n",
              result.country_mapped, rows, share, result.region_mapped);
  for (const auto& [name, n] : result.unmapped_countries) {
    std::printf("unmapped country: %s (%d row(s), kept on entity place/...)\n", name.c_str(), n);
  }
  for (const auto& [area, n] : result.unmapped_areas) {
    std::printf("area not mapped to one region (kept on the country): %s (%d row(s))\n", area.c_str(), n);
  }
  std::printf("source: Access Now #KeepItOn STOP data (accessnow.org/keepiton); cite it when shown\n");
}

void RunImport(const ImportFlags& flags) {
  auto store = store::OpenStore(flags.store_uri);
  if (!store.ok()) {
    std::fprintf(stderr, "vigil annotations import: store %s: %s\n", flags.store_uri.c_str(), store.message().c_str());
    SetExitCode(1);
    return;
  }
  if (flags.format == "keepiton") {
    auto result = api::ImportKeepItOn(**store, flags.files, flags.iso_codes_dir);
    if (!result.ok()) {
      std::fprintf(stderr, "vigil annotations import: %s\n", result.message().c_str());
      SetExitCode(1);
      return;
    }
    PrintKeepItOnImport(*result);
    if (!result->bad_rows.empty()) SetExitCode(2);  // good rows are kept; the bad ones are listed above
    return;
  }
  for (const auto& file : flags.files) {
    auto provenance = ProvenanceOfFiles({file});
    if (!provenance.ok()) {
      std::fprintf(stderr, "vigil annotations import: %s\n", provenance.message().c_str());
      SetExitCode(1);
      return;
    }
    auto added = api::ImportAnnotations(**store, file, provenance->kind);
    if (!added.ok()) {
      std::fprintf(stderr, "vigil annotations import: %s\n", added.message().c_str());
      SetExitCode(1);
      return;
    }
    std::printf("%s: %d annotation(s) added\n", file.c_str(), *added);
  }
}

void InstallAnnotationsCommand(CLI::App& root) {
  static ImportFlags flags;
  CLI::App* command = root.add_subcommand("annotations", "Manage annotations (states of emergency, orders, notes)");
  command->require_subcommand(1);
  CLI::App* import = command->add_subcommand(
      "import",
      "Add annotations not yet stored: JSON files ([{entity, kind, start, end, text, source_url}]) or, with "
      "--format keepiton, Access Now #KeepItOn STOP CSVs as `reported-shutdown` annotations (safe to re-run; "
      "exit 2 when some rows were bad: they are listed, the others kept)");
  import->add_option("FILE", flags.files, "Annotations JSON file(s) (e.g. the simulator's annotations.json) or CSVs")
      ->required();
  import->add_option("--format", flags.format, "json | keepiton")
      ->check(CLI::IsMember({"json", "keepiton"}))
      ->capture_default_str();
  import->add_option("--iso-codes", flags.iso_codes_dir, "Debian iso-codes JSON folder (keepiton: country names)")
      ->capture_default_str();
  import->add_option("--store", flags.store_uri, "Store URI (SQLite path or clickhouse://host:port/db)")
      ->capture_default_str();
  import->callback([] { RunImport(flags);
});
}  // namespace

}  // namespace vigil::cli

VIGIL_REGISTER_COMMAND("annotations", InstallAnnotationsCommand);

}  // namespace vigil::cli
