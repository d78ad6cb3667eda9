// SPDX-License-Identifier: AGPL-3.0-or-later
// Module cli: the thin `vigil` executable. Each pipeline module contributes its subcommands from a file
// `src/cli/<module>_command.cc` that registers an installer here; main() installs them all in name order.
// Command files only parse flags and call module APIs; no pipeline logic lives here.
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace vigil::cli {

// Adds one top-level subcommand (or subcommands under a shared one, via EnsureCommand) (with its own subcommands, flags
// and callback) to the root app.
using CommandInstaller = std::function<void(CLI::App& root)>;

struct CommandRegistration {
  CommandRegistration(std::string name, CommandInstaller installer);
};

void InstallAllCommands(CLI::App& root);

// Returns the top-level command `name`, creating it when absent. Several modules may hang subcommands
// under one shared command (e.g. `vigil ingest mrt` from signals and `vigil ingest probe` from probe).
CLI::App* EnsureCommand(CLI::App& root, const std::string& name, const std::string& description);

// The command words of `argv` up to the first one that names no subcommand where a subcommand is expected
// ("ingest nosuch"), or "" when every command word names one. main() checks this before parsing because CLI11
// answers `vigil nosuch --help` with the parent's help and exit status 0, as if `nosuch` existed.
std::string UnknownCommand(CLI::App& root, int argc, const char* const* argv);

// Exit status a subcommand callback asks main() to return (0 unless set).
void SetExitCode(int code);
int ExitCode();

}  // namespace vigil::cli

#define VIGIL_CLI_CONCAT_INNER(a, b) a##b
#define VIGIL_CLI_CONCAT(a, b) VIGIL_CLI_CONCAT_INNER(a, b)
// VIGIL_REGISTER_COMMAND("mrt", InstallMrtCommand);
#define VIGIL_REGISTER_COMMAND(name, installer) \
  static ::vigil::cli::CommandRegistration VIGIL_CLI_CONCAT(vigil_command_registration_, __LINE__)(name, installer)
