// SPDX-License-Identifier: AGPL-3.0-or-later
#include "eval/scenario_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "detect/detect.h"
#include "sim/sim.h"
#include "store/store.h"

extern char** environ;

namespace vigil::eval {
namespace {

namespace fs = std::filesystem;

// Runs `argv` with stdout and stderr appended to `log`; returns the exit status (-1 when it could not run).
int RunChild(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string LastLine(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  size_t nl = trimmed.rfind('\n');
  return nl == std::string::npos ? trimmed : trimmed.substr(nl + 1);
}

// The help text of a subcommand, or nullopt when this build does not have it.
std::optional<std::string> SubcommandHelp(const std::string& vigil, const std::vector<std::string>& words,
                                          const fs::path& logs) {
  std::vector<std::string> argv = {vigil};
  argv.insert(argv.end(), words.begin(), words.end());
  argv.push_back("--help");
  fs::path out = logs / "help.txt";
  fs::remove(out);
  if (RunChild(argv, out) != 0) return std::nullopt;
  // CLI11 answers --help of an unknown subcommand with its parent's help: check the usage line names it.
  std::string help = ReadFile(out);
  std::string joined;
  for (const auto& w : words) joined += " " + w;
  size_t usage = help.find("Usage:");
  if (usage == std::string::npos) return std::nullopt;
  std::string line = help.substr(usage, help.find('\n', usage) - usage);
  if (line.find(joined + " ") == std::string::npos && line.size() < joined.size()) return std::nullopt;
  if (line.find(joined + " ") == std::string::npos &&
      line.compare(line.size() - joined.size(), joined.size(), joined) != 0) {
    return std::nullopt;
  }
  return help;
}

bool HasFlag(const std::string& help, const std::string& flag) {
  size_t pos = 0;
  while ((pos = help.find(flag, pos)) != std::string::npos) {
    size_t end = pos + flag.size();
    if (end >= help.size() || !(std::isalnum(static_cast<unsigned char>(help[end])) || help[end] == '-')) return true;
    pos = end;
  }
  return false;
}

}  // namespace

ScenarioRunResult RunScenarioEvaluation(const ScenarioRunOptions& options) {
  ScenarioRunResult result;
  auto fail = [&](const std::string& stage, const std::string& why) {
    result.failed_stage = stage;
    result.error = "stage '" + stage + "': " + why;
    return result;
  };
  fs::path work(options.workdir);
  fs::path out = work / "sim", logs = work / "logs", db = work / "vigil.db";
  std::error_code ec;
  fs::create_directories(logs, ec);
  if (ec) return fail("sim", options.workdir + ": " + ec.message());
  for (const char* stale : {"vigil.db", "vigil.db-wal", "vigil.db-shm"}) fs::remove(work / stale, ec);

  // 1. sim
  auto scenario = sim::LoadScenario(options.scenario_path);
  if (!scenario.ok()) return fail("sim", scenario.message());
  if (options.noise_scale) scenario->noise.scale = *options.noise_scale;
  result.metrics.scenario = scenario->name;
  auto simulated = sim::RunSimulation(*scenario, out.string(), sim::SimOptions{});
  if (!simulated.ok()) return fail("sim", simulated.message());
  std::string from = FormatRfc3339(scenario->start), until = FormatRfc3339(scenario->end);
  const std::string& vigil = options.vigil_binary;

  // 2. ingest mrt: the RIB and updates of each collector, in time order.
  auto mrt_help = SubcommandHelp(vigil, {"ingest", "mrt"}, logs);
  if (!mrt_help) return fail("ingest mrt", "not available: this vigil has no `ingest mrt` command yet");
  std::vector<std::string> argv = {vigil, "ingest", "mrt", "--store", db.string()};
  if (HasFlag(*mrt_help, "--geo")) argv.insert(argv.end(), {"--geo", (out / "geo").string()});
  // The full-feed threshold that suits this small world (sim-config.json has it too).
  for (const char* flag : {"--full-feed-min-prefixes", "--full-feed-min"}) {
    if (HasFlag(*mrt_help, flag)) {
      argv.insert(argv.end(), {flag, std::to_string(simulated->full_feed_min_prefixes)});
      break;
    }
  }
  // IPv6 has its own threshold, which the simulator writes into the sim-config.json of this run's output.
  {
    std::ifstream config_file(out / "sim-config.json");
    auto config = nlohmann::json::parse(config_file, nullptr, false);
    if (!config.is_discarded() && config.contains("full_feed_min_prefixes_v6") &&
        HasFlag(*mrt_help, "--full-feed-min-v6")) {
      argv.insert(argv.end(),
                  {"--full-feed-min-v6", std::to_string(config["full_feed_min_prefixes_v6"].get<int64_t>())});
    }
  }
  // The folder, not its files: ingest orders every input by time itself (RIBs first), and a 50-day world's
  // 29,000 file names would not fit in one argument list.
  argv.push_back((out / "mrt").string());
  if (int rc = RunChild(argv, logs / "ingest-mrt.log"); rc != 0) {
    return fail("ingest mrt", "exit " + std::to_string(rc) + ": " + LastLine(ReadFile(logs / "ingest-mrt.log")));
  }

  // 3. ingest probe
  auto probe_help = SubcommandHelp(vigil, {"ingest", "probe"}, logs);
  if (!probe_help) return fail("ingest probe", "not available: this vigil has no `ingest probe` command yet");
  argv = {vigil, "ingest", "probe", "--store", db.string()};
  if (HasFlag(*probe_help, "--geo")) argv.insert(argv.end(), {"--geo", (out / "geo").string()});
  argv.push_back((out / "probe").string());
  if (int rc = RunChild(argv, logs / "ingest-probe.log"); rc != 0) {
    return fail("ingest probe", "exit " + std::to_string(rc) + ": " + LastLine(ReadFile(logs / "ingest-probe.log")));
  }

  // 4. annotations, straight into the store (entities exist once ingest has run).
  {
    auto opened = store::OpenStore(db.string());
    if (!opened.ok()) return fail("annotations", opened.message());
    for (const auto& a : scenario->annotations) {
      store::Entity entity;
      entity.type = a.entity.type;
      entity.code = a.entity.code;
      auto ensured = (*opened)->EnsureEntity(entity);
      if (!ensured.ok()) return fail("annotations", ensured.message());
      const int64_t id = ensured->id;
      store::Annotation note;
      note.entity_id = id;
      note.start_t = a.start;
      note.end_t = a.end;
      note.kind = a.kind;
      note.text = a.text;
      note.source_url = a.source_url;
      auto added = (*opened)->AddAnnotation(note);
      if (!added.ok()) return fail("annotations", added.message());
    }
  }

  // 5. detect
  auto detect_help = SubcommandHelp(vigil, {"detect"}, logs);
  if (!detect_help) return fail("detect", "not available: this vigil has no `detect` command yet");
  argv = {vigil, "detect", "--store", db.string(), "--from", from, "--until", until};
  if (int rc = RunChild(argv, logs / "detect.log"); rc != 0) {
    return fail("detect", "exit " + std::to_string(rc) + ": " + LastLine(ReadFile(logs / "detect.log")));
  }

  // 6. eval
  auto truth = LoadTruth((out / "truth.json").string());
  if (!truth.ok()) return fail("eval", truth.message());
  auto opened = store::OpenStore(db.string());
  if (!opened.ok()) return fail("eval", opened.message());
  auto first_seen = ReplayFirstSeen(**opened, scenario->start, scenario->end);
  if (!first_seen.ok()) return fail("eval", "replay: " + first_seen.message());
  StrictContext context;
  context.first_seen = std::move(*first_seen);
  auto scores = ScoreStore(*truth, **opened, std::move(context));
  if (!scores.ok()) return fail("eval", scores.message());
  result.metrics = scores->lenient;
  result.strict = scores->strict;
  return result;
}

Result<std::vector<FirstSeen>> ReplayFirstSeen(store::Store& store, UnixSeconds from, UnixSeconds until) {
  constexpr UnixSeconds kPrime = 8 * 86400;  // what `vigil detect --from` reads before its start
  constexpr UnixSeconds kTick = 300;
  auto entities = store.ListEntities(store::EntityQuery{});
  if (!entities.ok()) return entities.status();
  std::map<int64_t, const store::Entity*> by_id;
  for (const store::Entity& e : *entities) by_id[e.id] = &e;
  auto datasources = store.ListDatasources();
  if (!datasources.ok()) return datasources.status();
  struct Feed {
    std::string datasource;
    int64_t step_s = 0, entity_id = 0;
    std::vector<detect::Sample> samples;
    size_t next = 0;
  };
  std::vector<Feed> feeds;
  int64_t largest_step = kTick;
  for (const store::Datasource& ds : *datasources) {
    auto ids = store.EntitiesWithSeries(ds.name);
    if (!ids.ok()) return ids.status();
    for (int64_t id : *ids) {
      auto points = store.ReadSeries(ds.name, id, from - kPrime, until);
      if (!points.ok()) return points.status();
      Feed feed{ds.name, ds.step_s, id, {}, 0};
      for (const store::SeriesPoint& p : *points) feed.samples.push_back({p.t, p.value});
      feeds.push_back(std::move(feed));
    }
    largest_step = std::max(largest_step, ds.step_s);
  }
  detect::Detector detector(detect::DetectOptions{}, *entities);
  std::map<std::tuple<int64_t, std::string, UnixSeconds>, UnixSeconds> seen;
  for (UnixSeconds now = from; now <= until + 2 * largest_step; now += kTick) {
    bool fed = false;
    for (Feed& feed : feeds) {
      size_t end = feed.next;
      while (end < feed.samples.size() && feed.samples[end].t + 2 * feed.step_s <= now) ++end;
      if (end == feed.next) continue;
      std::vector<detect::Sample> chunk(feed.samples.begin() + feed.next, feed.samples.begin() + end);
      detector.Feed(feed.datasource, feed.step_s, feed.entity_id, chunk);
      feed.next = end;
      fed = true;
    }
    if (!fed) continue;
    for (const store::Event& e : detector.Result().events) {
      seen.emplace(std::make_tuple(e.entity_id, e.classification, e.start_t), now);
    }
  }
  std::vector<FirstSeen> out;
  for (const auto& [key, visible_at] : seen) {
    auto entity = by_id.find(std::get<0>(key));
    if (entity == by_id.end()) continue;
    out.push_back({entity->second->type, entity->second->code, std::get<1>(key), std::get<2>(key), visible_at});
  }
  return out;
}

}  // namespace vigil::eval
