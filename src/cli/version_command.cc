// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <cstdio>

#include "base/version.h"
#include "cli/command_registry.h"

namespace vigil::cli {
namespace {

void InstallVersionCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand("version", "Print Vigil's version and the data formats it reads");
  command->callback([] {
    std::printf("vigil %s\nMRT: RFC 6396 (TABLE_DUMP, TABLE_DUMP_V2, BGP4MP, BGP4MP_ET), RFC 8050, RFC 6793\n",
                kVigilVersion);
  });
}

VIGIL_REGISTER_COMMAND("version", InstallVersionCommand);

}  // namespace
}  // namespace vigil::cli
