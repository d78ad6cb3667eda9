// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "cli/provenance_manifest.h"
#include "cli/stages.h"
#include "geo/geo.h"
#include "probe/probe.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

// SIGINT/SIGTERM end the prober after its current wait; no SA_RESTART, so epoll returns at once.
void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string NowText() { return FormatRfc3339(static_cast<UnixSeconds>(std::time(nullptr))); }

void Fail(const std::string& message) {
  std::fprintf(stderr, "vigil probe: %s\n", message.c_str());
  SetExitCode(1);
}

Result<probe::SocketKind> ParseSocketKind(const std::string& name) {
  if (name == "auto") return probe::SocketKind::kAuto;
  if (name == "raw") return probe::SocketKind::kRaw;
  if (name == "datagram") return probe::SocketKind::kDatagram;
  return Status::InvalidArgument("--socket must be auto, raw or datagram, not '" + name + "'");
}

probe::ProberCallbacks LoggingCallbacks(double configured_rate) {
  probe::ProberCallbacks callbacks;
  callbacks.on_notice = [](const std::string& text) {
    std::fprintf(stderr, "vigil probe: %s %s\n", NowText().c_str(), text.c_str());
  };
  callbacks.on_rate = [configured_rate](const probe::RateReport& r) {
    std::fprintf(stderr,
                 "vigil probe: %s %s rate %.1f probes/s (configured %.1f) over %.1f s: sent %llu, replies %llu, "
                 "timeouts %llu, send errors %llu, ignored packets %llu, queued %zu\n",
                 NowText().c_str(), r.final ? "run" : "actual", r.rate(), configured_rate, r.seconds,
                 static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.replies),
                 static_cast<unsigned long long>(r.timeouts), static_cast<unsigned long long>(r.send_errors),
                 static_cast<unsigned long long>(r.ignored), r.queued);
  };
  return callbacks;
}

struct EngineFlags {
  double rate = 0;
  int timeout_ms = 3000;
  std::string socket = "auto";
  std::string opt_out;
  uint64_t seed = 0;
};

void AddEngineFlags(CLI::App* command, EngineFlags& flags) {
  command->add_option("--rate", flags.rate, "Global rate limit in probes per second (token bucket); required")
      ->required()
      ->check(CLI::Range(0.001, probe::kMaxProbeRate));
  command->add_option("--timeout-ms", flags.timeout_ms, "Probe timeout in milliseconds")
      ->default_val(3000)
      ->check(CLI::Range(1, 60000));
  command->add_option("--socket", flags.socket, "ICMP socket: auto (raw, else datagram), raw or datagram")
      ->default_val("auto");
  command->add_option("--opt-out", flags.opt_out, "File of CIDRs never to probe (always wins)");
  command->add_option("--seed", flags.seed, "Seed for probe order (default: from the clock)");
}

Result<probe::EchoEngineOptions> EngineOptions(const EngineFlags& flags) {
  probe::EchoEngineOptions options;
  auto kind = ParseSocketKind(flags.socket);
  if (!kind.ok()) return kind.status();
  options.socket = *kind;
  options.rate = flags.rate;
  options.timeout_ms = flags.timeout_ms;
  return options;
}

Result<probe::OptOutList> LoadOptOut(const std::string& path) {
  if (path.empty()) return probe::OptOutList();
  return probe::OptOutList::Read(path);
}

struct RunFlags {
  EngineFlags engine;
  std::string hitlist;
  std::string out_dir = "var/probe";
  int64_t round_s = 600;
  int slices = 60;
  int64_t rounds = 0;
  bool no_align = false;
  std::string name = "vigil";
  size_t min_addresses = 15;
  double min_availability = 0.1;
  int64_t rate_log_s = 60;
};

void RunProbe(const RunFlags& flags) {
  auto engine = EngineOptions(flags.engine);
  if (!engine.ok()) return Fail(engine.message());
  auto hitlist = probe::ReadHitlist(flags.hitlist);
  if (!hitlist.ok()) return Fail(hitlist.message());
  auto opt_out = LoadOptOut(flags.engine.opt_out);
  if (!opt_out.ok()) return Fail(opt_out.message());
  probe::Eligibility rule{flags.min_addresses, flags.min_availability};
  auto selection = probe::SelectTargets(*hitlist, *opt_out, rule);
  std::fprintf(stderr,
               "vigil probe: %s hitlist %s: %zu blocks, %zu eligible, %zu with fewer than %zu addresses, %zu with "
               "availability below %.2f, %zu addresses opted out\n",
               NowText().c_str(), flags.hitlist.c_str(), hitlist->blocks.size(), selection.targets.size(),
               selection.too_few_addresses, flags.min_addresses, selection.low_availability, flags.min_availability,
               selection.opted_out_addresses);
  if (selection.targets.empty()) return Fail(flags.hitlist + ": no eligible blocks");
  std::error_code error;
  std::filesystem::create_directories(flags.out_dir, error);
  if (error) return Fail(flags.out_dir + ": " + error.message());

  probe::ProberOptions options;
  options.engine = *engine;
  options.round_s = flags.round_s;
  options.slices = flags.slices;
  options.rounds = flags.rounds;
  options.align = !flags.no_align;
  options.name = flags.name;
  options.rate_log_s = flags.rate_log_s;
  options.seed = flags.engine.seed ? flags.engine.seed : static_cast<uint64_t>(std::time(nullptr));
  options.stop = &g_stop;
  probe::ProberCallbacks callbacks = LoggingCallbacks(flags.engine.rate);
  std::string out_dir = flags.out_dir;
  callbacks.on_round = [out_dir](const probe::RoundLog& log) -> Status {
    std::string path = (std::filesystem::path(out_dir) / probe::RoundLogFileName(log.start, log.round_s)).string();
    size_t up = 0, down = 0;
    for (const auto& b : log.blocks) {
      up += b.state == probe::BlockState::kUp;
      down += b.state == probe::BlockState::kDown;
    }
    std::fprintf(stderr, "vigil probe: %s round %s: %zu up, %zu down, %zu unknown -> %s\n", NowText().c_str(),
                 FormatRfc3339(log.start).c_str(), up, down, log.blocks.size() - up - down, path.c_str());
    return probe::WriteFileAtomically(path, probe::FormatRoundLog(log));
  };
  InstallStopHandlers();
  Status status = probe::RunProber(selection.targets, options, callbacks);
  if (!status.ok()) Fail(status.message());
}

struct HitlistFlags {
  EngineFlags engine;
  std::vector<std::string> blocks;
  std::string out;
  bool fresh = false;
  size_t max_blocks = 65536;
};

void BuildHitlist(const HitlistFlags& flags) {
  auto engine = EngineOptions(flags.engine);
  if (!engine.ok()) return Fail(engine.message());
  std::vector<probe::Cidr> cidrs;
  for (const auto& text : flags.blocks) {
    auto cidr = probe::ParseCidr(text);
    if (!cidr.ok()) return Fail("--blocks: " + cidr.message());
    cidrs.push_back(*cidr);
  }
  auto blocks = probe::BlocksOf(cidrs, flags.max_blocks);
  if (!blocks.ok()) return Fail("--blocks: " + blocks.message());
  auto opt_out = LoadOptOut(flags.engine.opt_out);
  if (!opt_out.ok()) return Fail(opt_out.message());
  probe::Hitlist previous;
  std::error_code error;
  if (!flags.fresh && std::filesystem::exists(flags.out, error)) {
    auto read = probe::ReadHitlist(flags.out);
    if (!read.ok()) return Fail(read.message());
    previous = std::move(*read);
  }
  probe::CensusOptions options;
  options.engine = *engine;
  options.seed = flags.engine.seed ? flags.engine.seed : static_cast<uint64_t>(std::time(nullptr));
  options.stop = &g_stop;
  InstallStopHandlers();
  auto census = probe::RunCensus(*blocks, *opt_out, options, LoggingCallbacks(flags.engine.rate));
  if (!census.ok()) return Fail(census.message());
  size_t responders = 0, probed = 0;
  for (const auto& block : *census) {
    probed += static_cast<size_t>(block.probed);
    for (uint64_t word : block.responders) responders += static_cast<size_t>(__builtin_popcountll(word));
  }
  probe::Hitlist merged = probe::MergeCensus(previous, *census, static_cast<UnixSeconds>(std::time(nullptr)));
  // Opt-out wins over history too: addresses that opted out since the last census leave the hitlist.
  for (auto& block : merged.blocks) {
    for (size_t i = block.hosts.size(); i-- > 0;) {
      if (opt_out->Contains(block.base | block.hosts[i])) {
        block.hosts.erase(block.hosts.begin() + static_cast<std::ptrdiff_t>(i));
        if (!block.history.empty()) block.history.erase(block.history.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  std::erase_if(merged.blocks, [](const probe::HitlistBlock& b) { return b.hosts.empty(); });
  Status written = probe::WriteHitlist(merged, flags.out);
  if (!written.ok()) return Fail(written.message());
  auto eligible = probe::SelectTargets(merged, *opt_out, probe::Eligibility{});
  std::printf("census: %zu blocks, %zu addresses probed, %zu responded; hitlist %s: %zu blocks, %zu eligible\n",
              blocks->size(), probed, responders, flags.out.c_str(), merged.blocks.size(), eligible.targets.size());
}

bool StoreRefused(const Status& status) {
  return status.IsResourceExhausted() || status.IsUnavailable() || status.IsIOError() || status.IsInternal();
}

}  // namespace

int RunIngestProbe(const IngestProbeFlags& flags) {
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "vigil ingest probe: %s\n", message.c_str());
    return 1;
  };
  auto files = probe::RoundLogFiles(flags.paths);
  if (!files.ok()) return fail(files.message());
  geo::OpenOptions geo_options;
  geo_options.geo_dir = flags.geo_dir;
  geo_options.source = flags.geo_source;
  geo_options.cache_dir = flags.geo_cache;
  auto geo = geo::GeoDatabase::Open(geo_options);
  if (!geo.ok()) return fail("--geo " + flags.geo_dir + ": " + geo.message());
  auto provenance = ProvenanceOfFiles(*files);
  if (!provenance.ok()) return fail(provenance.message());
  auto store = store::OpenStore(flags.store);
  if (!store.ok()) return fail("--store " + flags.store + ": " + store.message());
  if (!flags.allow_simulated) {
    Status mixing = store::CheckProvenanceMixing(**store, flags.store, store::MaskOf(provenance->kind));
    if (!mixing.ok()) return fail(mixing.message());
  }
  Status registered = probe::RegisterProbeDatasources(**store);
  if (!registered.ok()) return fail("--store " + flags.store + ": " + registered.message());
  probe::GeoEntityDirectory directory(**geo);
  size_t ingested = 0, skipped = 0, failed = 0;
  const size_t group = (*store)->PreferredCommitGroup();
  std::vector<store::IngestCommit> pending;
  std::vector<std::pair<std::string, probe::IngestReport>> pending_reports;
  auto print_ingested = [&](const std::string& file, const probe::IngestReport& report) {
    if (!flags.verbose) return;
    std::printf("%s: round %s, %zu blocks, %zu entities, %zu points\n", file.c_str(),
                FormatRfc3339(report.start).c_str(), report.blocks, report.entities, report.points);
  };
  auto flush = [&] {
    if (pending.empty()) return;
    auto done = (*store)->TryCommitIngestGroup(pending);
    for (size_t i = 0; i < pending.size(); ++i) {
      const auto& [file, report] = pending_reports[i];
      if (!done.ok()) {
        std::fprintf(stderr, "vigil ingest probe: %s: %s\n", file.c_str(), done.message().c_str());
        ++failed;
      } else if (!(*done)[i]) {
        ++skipped;
      } else {
        ++ingested;
        print_ingested(file, report);
      }
    }
    pending.clear();
    pending_reports.clear();
  };
  for (const auto& file : *files) {
    store::IngestCommit commit;
    auto report = group > 1 ? probe::PrepareRoundLogCommit(file, **store, directory, *provenance, commit)
                            : probe::IngestRoundLogFile(file, **store, directory, *provenance);
    if (!report.ok()) {
      std::fprintf(stderr, "vigil ingest probe: %s\n", report.message().c_str());
      ++failed;
      // The store refused the write (disk full, store gone or busy): every later file would fail the same way,
      // so stop with this one error; the rounds before it are committed and a rerun resumes after them. A
      // damaged or missing round log (Corruption, InvalidArgument, NotFound) only costs that file.
      if (StoreRefused(report.status())) break;
    } else if (report->skipped) {
      ++skipped;
    } else if (group > 1) {
      pending.push_back(std::move(commit));
      pending_reports.emplace_back(file, *report);
      if (pending.size() >= group) flush();
    } else {
      ++ingested;
      print_ingested(file, *report);
    }
  }
  flush();
  if (!flags.quiet) {
    std::printf("probe round logs (%s): %zu ingested, %zu already in the store, %zu failed\n",
                DescribeProvenance(*provenance).c_str(), ingested, skipped, failed);
  }
  return failed > 0 ? 1 : 0;
}

namespace {

void InstallProbeCommand(CLI::App& root) {
  CLI::App* probe = root.add_subcommand("probe", "Active probing: Trinocular /24 reachability with ICMP echo");
  probe->require_subcommand(1);

  static RunFlags run_flags;
  CLI::App* run =
      probe->add_subcommand("run", "Probe the hitlist's eligible blocks round after round; write round logs");
  run->add_option("--hitlist", run_flags.hitlist, "Hitlist file (docs/probe.md)")->required();
  AddEngineFlags(run, run_flags.engine);
  run->add_option("--out", run_flags.out_dir, "Directory for probe-round.*.tsv files")->default_val("var/probe");
  run->add_option("--round-s", run_flags.round_s, "Round length in seconds")
      ->default_val(600)
      ->check(CLI::Range(1, 86400));
  run->add_option("--slices", run_flags.slices, "Slices per round over which periodic probes are spread")
      ->default_val(60)
      ->check(CLI::Range(1, 3600));
  run->add_option("--rounds", run_flags.rounds, "Stop after this many rounds (0: run until SIGINT/SIGTERM)")
      ->default_val(0);
  run->add_flag("--no-align", run_flags.no_align,
                "Start the first round now instead of at the next multiple of --round-s");
  run->add_option("--name", run_flags.name, "Prober name written into round logs")->default_val("vigil");
  run->add_option("--min-addresses", run_flags.min_addresses,
                  "Eligibility: at least this many ever-responsive addresses")
      ->default_val(15);
  run->add_option("--min-availability", run_flags.min_availability, "Eligibility: availability A(E(b)) at least this")
      ->default_val(0.1);
  run->add_option("--rate-log-s", run_flags.rate_log_s, "Seconds between actual-rate reports on stderr")
      ->default_val(60)
      ->check(CLI::Range(1, 3600));
  run->callback([] { RunProbe(run_flags); });

  static HitlistFlags hitlist_flags;
  CLI::App* hitlist = probe->add_subcommand(
      "hitlist", "Census round: probe every address of the given /24s once and build or refresh a hitlist");
  hitlist->add_option("--blocks", hitlist_flags.blocks, "CIDRs whose /24 blocks to census (e.g. 198.18.0.0/20)")
      ->required()
      ->delimiter(',');
  hitlist->add_option("--out", hitlist_flags.out, "Hitlist file to write (refreshed in place when it exists)")
      ->required();
  AddEngineFlags(hitlist, hitlist_flags.engine);
  hitlist->add_flag("--fresh", hitlist_flags.fresh, "Ignore an existing --out file instead of refreshing it");
  hitlist->add_option("--max-blocks", hitlist_flags.max_blocks, "Refuse censuses of more /24s than this")
      ->default_val(65536);
  hitlist->callback([] { BuildHitlist(hitlist_flags); });

  static IngestProbeFlags ingest_flags;
  CLI::App* ingest = EnsureCommand(root, "ingest", "Ingest input files into the store (idempotent per file)");
  CLI::App* logs = ingest->add_subcommand(
      "probe", "Probe round logs (files or folders of probe-round.*.tsv[.gz]) into ping-slash24, rtt-p50 and loss");
  logs->add_option("paths", ingest_flags.paths, "Round log files or folders holding them")->required();
  logs->add_option("--store", ingest_flags.store, "Store URI (a plain path means SQLite)")->capture_default_str();
  logs->add_option("--geo", ingest_flags.geo_dir, "Geo data folder (CSV world or ip-location-db)")
      ->capture_default_str();
  logs->add_option("--geo-source", ingest_flags.geo_source,
                   "Real databases: geolite2 (fused with DB-IP), geolite2-only or dbip")
      ->capture_default_str();
  logs->add_option("--geo-cache", ingest_flags.geo_cache, "Folder for the compiled geo table cache")
      ->capture_default_str();
  logs->add_flag("--allow-simulated", ingest_flags.allow_simulated,
                 "Ingest simulated round logs (a provenance.json beside them says so) into a store holding observed "
                 "ones, or the reverse (docs/store.md \"Provenance\")");
  logs->add_flag("-v,--verbose", ingest_flags.verbose, "Print one line per ingested file");
  logs->callback([] { SetExitCode(RunIngestProbe(ingest_flags)); });
}

VIGIL_REGISTER_COMMAND("probe", InstallProbeCommand);

}  // namespace
}  // namespace vigil::cli
