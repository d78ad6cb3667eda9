// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "acquire/acquire.h"
#include "base/time_format.h"
#include "cli/command_registry.h"
#include "mrt/mrt.h"
#include "signals/routing_model.h"

namespace vigil::cli {
namespace {

void PrintError(const std::string& message) { std::fprintf(stderr, "vigil mrt: %s\n", message.c_str()); }

mrt::ReaderOptions ErrorsToStderr() {
  mrt::ReaderOptions options;
  options.on_error = PrintError;
  return options;
}

void RunDump(const std::vector<std::string>& files) {
  int status = 0;
  for (const std::string& file : files) {
    Result<mrt::ReadSummary> summary = mrt::WriteBgpdumpLines(file, /*fd=*/1, ErrorsToStderr());
    if (!summary.ok()) {
      PrintError(summary.message());
      status = 1;
    } else if (!summary->clean()) {
      status = 1;
    }
  }
  SetExitCode(status);
}

void RunStat(const std::vector<std::string>& files) {
  int status = 0;
  for (const std::string& file : files) {
    Result<mrt::FileStats> stats = mrt::ComputeFileStats(file, ErrorsToStderr());
    if (!stats.ok()) {
      PrintError(stats.message());
      status = 1;
      continue;
    }
    const mrt::FileStats& s = *stats;
    std::string out;
    out += "file: " + file + "\n";
    out += "records: " + std::to_string(s.records) + "\n";
    for (const auto& t : s.record_types) {
      out += "  " + mrt::RecordTypeName(t.type, t.subtype) + ": " + std::to_string(t.records) + "\n";
    }
    out += "elements: rib=" + std::to_string(s.rib_entries) + " announce=" + std::to_string(s.announcements) +
           " withdraw=" + std::to_string(s.withdrawals) + " state=" + std::to_string(s.state_changes) + "\n";
    out += "prefixes: v4=" + std::to_string(s.prefixes_v4) + " v6=" + std::to_string(s.prefixes_v6) + "\n";
    out += "peers: " + std::to_string(s.peers) + "\n";
    out += "attributes: as_path_asns=" + std::to_string(s.as_path_asns) +
           " communities=" + std::to_string(s.communities) +
           " large_communities=" + std::to_string(s.large_communities) + "\n";
    if (s.records > 0) {
      out += "time: " + FormatRfc3339(s.first_time) + " .. " + FormatRfc3339(s.last_time) + "\n";
    }
    out += "bytes: " + std::to_string(s.summary.bytes) + "\n";
    out += "problems: " + std::to_string(s.summary.errors.size()) +
           " (records skipped: " + std::to_string(s.summary.skipped) + ")\n";
    std::fputs(out.c_str(), stdout);
    if (!s.summary.clean()) status = 1;
  }
  std::fflush(stdout);
  SetExitCode(status);
}

// Real updates as RIS Live frames, one per line (the replay server's material: tests/rislive/).
void RunRisLiveFrames(const std::vector<std::string>& files, const std::string& collector) {
  for (const std::string& file : files) {
    auto frames = acquire::RisLiveFramesFromMrt(file, collector);
    if (!frames.ok()) {
      std::fprintf(stderr, "vigil mrt ris-live: %s\n", frames.message().c_str());
      SetExitCode(1);
      return;
    }
    for (const std::string& frame : *frames) std::printf("%s\n", frame.c_str());
  }
  std::fflush(stdout);
}

// One peer's table in the RIB files read: distinct prefixes per family (ADD-PATH paths of one prefix count once;
// a RIB lists every peer's entries for one prefix together, so comparing with the peer's previous prefix is
// enough to tell a new prefix from another path of the same one).
struct PeerTable {
  std::string address;
  uint32_t asn = 0;
  int64_t ipv4_prefixes = 0, ipv6_prefixes = 0;
  mrt::Prefix last;
  bool has_last = false;
};

bool SamePrefix(const mrt::Prefix& a, const mrt::Prefix& b) {
  return a.family == b.family && a.length == b.length && std::memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
}

struct PeersFlags {
  std::vector<std::string> files;
  int64_t full_feed_min = signals::kIpv4FullFeedMinPrefixes;
  int64_t full_feed_min_v6 = signals::kIpv6FullFeedMinPrefixes;
};

std::string FullFeedLabel(const PeerTable& peer, const PeersFlags& flags) {
  const bool v4 = peer.ipv4_prefixes > flags.full_feed_min, v6 = peer.ipv6_prefixes > flags.full_feed_min_v6;
  return v4 && v6 ? "ipv4,ipv6" : v4 ? "ipv4" : v6 ? "ipv6" : "-";
}

// Which peers of a collector carry full tables: what choosing collectors for a country starts from
// (docs/operations.md). The same rule as ingest: more than N prefixes of the family.
void RunPeers(const PeersFlags& flags) {
  std::map<std::tuple<uint8_t, std::string, uint32_t>, PeerTable> peers;
  int64_t rib_entries = 0;
  int status = 0;
  for (const std::string& file : flags.files) {
    auto read = mrt::ForEachElement(
        file,
        [&](const mrt::Element& e) {
          if (e.kind != mrt::ElementKind::kRib) return;
          ++rib_entries;
          auto key = std::make_tuple(e.peer_ip.family, std::string(reinterpret_cast<const char*>(e.peer_ip.bytes), 16),
                                     e.peer_asn);
          PeerTable& peer = peers[key];
          if (peer.address.empty()) {
            peer.address = e.peer_ip.ToString();
            peer.asn = e.peer_asn;
          }
          if (peer.has_last && SamePrefix(peer.last, e.prefix)) return;
          peer.last = e.prefix;
          peer.has_last = true;
          ++(e.prefix.family == 6 ? peer.ipv6_prefixes : peer.ipv4_prefixes);
        },
        ErrorsToStderr());
    if (!read.ok()) {
      PrintError(read.message());
      status = 1;
    } else if (!read->clean()) {
      status = 1;
    }
  }
  if (rib_entries == 0) {
    PrintError("no RIB entries in the files given: peers' tables come from RIB dumps (bview.*, rib.*)");
    SetExitCode(1);
    return;
  }
  std::vector<const PeerTable*> order;
  for (const auto& [key, peer] : peers) order.push_back(&peer);
  std::stable_sort(order.begin(), order.end(), [](const PeerTable* a, const PeerTable* b) {
    return a->ipv4_prefixes + a->ipv6_prefixes > b->ipv4_prefixes + b->ipv6_prefixes;
  });
  int64_t full_v4 = 0, full_v6 = 0;
  std::string out = "peer\tasn\tipv4_prefixes\tipv6_prefixes\tfull_feed\n";
  for (const PeerTable* peer : order) {
    full_v4 += peer->ipv4_prefixes > flags.full_feed_min;
    full_v6 += peer->ipv6_prefixes > flags.full_feed_min_v6;
    out += peer->address + "\t" + std::to_string(peer->asn) + "\t" + std::to_string(peer->ipv4_prefixes) + "\t" +
           std::to_string(peer->ipv6_prefixes) + "\t" + FullFeedLabel(*peer, flags) + "\n";
  }
  out += "# " + std::to_string(order.size()) + " peers; full-feed: " + std::to_string(full_v4) + " IPv4 (> " +
         std::to_string(flags.full_feed_min) + " prefixes), " + std::to_string(full_v6) + " IPv6 (> " +
         std::to_string(flags.full_feed_min_v6) + ")\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  SetExitCode(status);
}

void InstallMrtCommand(CLI::App& root) {
  CLI::App* mrt = root.add_subcommand("mrt", "Read MRT routing dumps (RIS, RouteViews): gzip, bzip2, zstd or plain");
  mrt->require_subcommand(1);

  CLI::App* dump = mrt->add_subcommand(
      "dump", "Print routes one per line exactly as Debian `bgpdump -m` 1.6.2 does (files in order)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto one_line = std::make_shared<bool>(false);
  dump->add_flag("-m", *one_line, "One line per entry with Unix timestamps (the only mode; required)")->required();
  dump->add_option("FILE", *files, "MRT files")->required()->check(CLI::ExistingFile);
  dump->callback([files, one_line] { RunDump(*files); });

  CLI::App* stat = mrt->add_subcommand(
      "stat", "Decode every record, element and attribute; print counts per record type, peers, prefixes, time range");
  auto stat_files = std::make_shared<std::vector<std::string>>();
  stat->add_option("FILE", *stat_files, "MRT files")->required()->check(CLI::ExistingFile);
  stat->callback([stat_files] { RunStat(*stat_files); });

  CLI::App* ris_live = mrt->add_subcommand(
      "ris-live", "Print the files' updates and state changes as RIS Live ris_message frames, one per line");
  auto live_files = std::make_shared<std::vector<std::string>>();
  auto collector = std::make_shared<std::string>();
  ris_live->add_option("--collector", *collector, "Collector the frames name as host (rrc00, ...)")->required();
  ris_live->add_option("FILE", *live_files, "MRT update files")->required()->check(CLI::ExistingFile);
  ris_live->callback([live_files, collector] { RunRisLiveFrames(*live_files, *collector); });

  CLI::App* peers = mrt->add_subcommand(
      "peers",
      "Per peer of RIB dumps: distinct IPv4 and IPv6 prefixes and whether it is full-feed by ingest's rule (which "
      "collectors see a country with full tables; tab-separated)");
  auto peers_flags = std::make_shared<PeersFlags>();
  peers->add_option("FILE", peers_flags->files, "RIB files (bview.*, rib.*)")->required()->check(CLI::ExistingFile);
  peers->add_option("--full-feed-min", peers_flags->full_feed_min, "Full-feed IPv4: more than N prefixes")
      ->capture_default_str();
  peers->add_option("--full-feed-min-v6", peers_flags->full_feed_min_v6, "Full-feed IPv6: more than N prefixes")
      ->capture_default_str();
  peers->callback([peers_flags] { RunPeers(*peers_flags); });
}

VIGIL_REGISTER_COMMAND("mrt", InstallMrtCommand);

}  // namespace
}  // namespace vigil::cli
