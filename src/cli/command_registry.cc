#include "cli/command_registry.h"

#include <CLI/CLI.hpp>

#include <map>

namespace vigil::cli {
namespace {

std::map<std::string, CommandInstaller>& Registry() {
  static std::map<std::string, CommandInstaller> registry;
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

void SetExitCode(int code) { g_exit_code = code; }
int ExitCode() { return g_exit_code; }

}  // namespace vigil::cli
