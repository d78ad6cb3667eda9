// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cli/command_registry.h"

#include <CLI/CLI.hpp>

#include <map>

namespace vigil::cli {
namespace {

std::multimap<std::string, CommandInstaller>& Registry() {
  static std::multimap<std::string, CommandInstaller> registry;
  return registry;
}

int g_exit_code = 0;

}  // namespace

CommandRegistration::CommandRegistration(std::string name, CommandInstaller installer) {
  Registry().emplace(std::move(name), std::move(installer));
}

void InstallAllCommands(CLI::App& root) {
  for (auto& [name, installer] : Registry()) installer(root);
}

CLI::App* EnsureCommand(CLI::App& root, const std::string& name, const std::string& description) {
  for (CLI::App* existing : root.get_subcommands([](CLI::App*) { return true; })) {
    if (existing->get_name() == name) return existing;
  }
  CLI::App* command = root.add_subcommand(name, description);
  command->require_subcommand(1);
  return command;
}

void SetExitCode(int code) { g_exit_code = code; }
int ExitCode() { return g_exit_code; }

}  // namespace vigil::cli
