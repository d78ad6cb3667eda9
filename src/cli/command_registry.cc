// SPDX-License-Identifier: AGPL-3.0-or-later
#include "cli/command_registry.h"

#include <CLI/CLI.hpp>

#include <algorithm>
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

std::string UnknownCommand(CLI::App& root, int argc, const char* const* argv) {
  CLI::App* app = &root;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') continue;
    std::vector<CLI::App*> children = app->get_subcommands([](CLI::App*) { return true; });
    bool takes_positionals = !app->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
    if (children.empty() || takes_positionals) return "";  // a leaf command: the rest are its arguments
    path += path.empty() ? word : " " + word;
    auto named = std::find_if(children.begin(), children.end(), [&](CLI::App* c) { return c->check_name(word); });
    if (named == children.end()) return path;
    app = *named;
  }
  return "";
}

void SetExitCode(int code) { g_exit_code = code; }
int ExitCode() { return g_exit_code; }

}  // namespace vigil::cli
