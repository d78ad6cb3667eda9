// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli/command_registry.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Vigil: an Internet-shutdown observatory (BGP visibility, active probing, detection, API).\n"
      "Run `vigil COMMAND --help` for the options of each command."};
  app.set_version_flag("--version", "vigil 0.1.0");
  app.require_subcommand(1);
  app.fallthrough(false);
  vigil::cli::InstallAllCommands(app);
  if (std::string unknown = vigil::cli::UnknownCommand(app, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "vigil: unknown command '%s' (`vigil --help` lists the commands)\n", unknown.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return vigil::cli::ExitCode();
}
