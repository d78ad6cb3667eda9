// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil collectors` and `vigil fetch`: the acquire module's collector table and archive backfill.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "acquire/acquire.h"
#include "base/time_format.h"
#include "cli/command_registry.h"

namespace vigil::cli {
namespace {

void PrintCollectors(const acquire::CollectorTable& table, const acquire::ArchiveRoots& roots) {
  std::printf("%-22s %-10s %-7s %-7s %-10s %-10s %s\n", "collector", "project", "updates", "ribs", "first", "last",
              "archive folder");
  for (const acquire::Collector& c : table.collectors) {
    std::printf("%-22s %-10s %-7s %-7s %-10s %-10s %s%s/\n", c.name.c_str(), acquire::ProjectName(c.project),
                (std::to_string(c.update_period_s / 60) + "m").c_str(),
                (std::to_string(c.rib_period_s / 3600) + "h").c_str(), c.first_date.c_str(),
                c.last_date.empty() ? "-" : c.last_date.c_str(), roots.For(c.project).c_str(), c.archive_path.c_str());
  }
}

// Flags shared by `vigil collectors --refresh` and `vigil fetch`.
struct NetworkFlags {
  int jobs = 4;
  int tries = 5;
  double connect_timeout_s = 20;
  double stall_timeout_s = 60;
  double backoff_s = 1;
  double max_retry_after_s = 900;
  std::string bandwidth;
  std::string max_file_size = "8G";
  double max_ratio = 100;
  std::string ca_file;
};

// "10M", "512k", "1.5G", "1000": bytes (per second for --bandwidth), 1000-based suffixes.
std::optional<int64_t> ParseByteCount(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double unit = 1;
  std::string number = text;
  switch (text.back()) {
    case 'k':
    case 'K':
      unit = 1e3;
      break;
    case 'm':
    case 'M':
      unit = 1e6;
      break;
    case 'g':
    case 'G':
      unit = 1e9;
      break;
    default:
      break;
  }
  if (unit != 1) number.pop_back();
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(value > 0) || value * unit > 9e18)
    return std::nullopt;
  return static_cast<int64_t>(value * unit);
}

void AddNetworkFlags(CLI::App* command, NetworkFlags& flags) {
  command->add_option("--jobs", flags.jobs, "Parallel transfers")->check(CLI::Range(1, 64))->capture_default_str();
  command->add_option("--tries", flags.tries, "Tries per file or listing page before it is reported failed")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  command->add_option("--connect-timeout", flags.connect_timeout_s, "Seconds for the TCP and TLS handshake")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      ->add_option("--stall-timeout", flags.stall_timeout_s, "Seconds without a byte after which a transfer is retried")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      ->add_option("--backoff", flags.backoff_s,
                   "First retry delay in seconds (doubles per try, +-50% jitter; Retry-After wins)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command
      ->add_option("--max-retry-after", flags.max_retry_after_s,
                   "Longest Retry-After (seconds) waited for; a longer one fails the file")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--ca-file", flags.ca_file, "Extra CA bundle (TLS verification is always on)");
}

Result<acquire::NetworkOptions> ToNetworkOptions(const NetworkFlags& flags) {
  acquire::NetworkOptions options;
  options.jobs = flags.jobs;
  options.max_tries = flags.tries;
  options.connect_timeout_s = flags.connect_timeout_s;
  options.stall_timeout_s = flags.stall_timeout_s;
  options.backoff_initial_s = flags.backoff_s;
  options.backoff_max_s = std::max(flags.backoff_s, 120.0);
  options.max_retry_after_s = flags.max_retry_after_s;
  options.ca_file = flags.ca_file;
  if (!flags.bandwidth.empty()) {
    std::optional<int64_t> rate = ParseByteCount(flags.bandwidth);
    if (!rate)
      return Status::InvalidArgument("--bandwidth: expected bytes per second like 10M or 500k, got '" +
                                     flags.bandwidth + "'");
    options.bandwidth_bytes_per_s = *rate;
  }
  std::optional<int64_t> max_size = ParseByteCount(flags.max_file_size);
  if (!max_size)
    return Status::InvalidArgument("--max-file-size: expected a size like 8G or 500M, got '" + flags.max_file_size +
                                   "'");
  options.max_file_bytes = *max_size;
  options.max_decompression_ratio = flags.max_ratio;
  return options;
}

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

void InstallCollectorsCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand(
      "collectors", "List the RIS and RouteViews collectors that publish MRT (the table in data/collectors.tsv)");
  static std::string table_path, archive_urls, out_path;
  static bool refresh = false;
  static NetworkFlags flags;
  command->add_option("--table", table_path, "Collector table to read instead of the built-in data/collectors.tsv");
  command->add_option("--archive-url", archive_urls, "Archive roots: ris=URL,routeviews=URL (either alone)");
  command->add_flag("--refresh", refresh,
                    "Check the table against the archives' top-level listings and each collector's month folders "
                    "(new collectors, first and last month) and write it to --out");
  command->add_option("--out", out_path,
                      "Where --refresh writes the table (default: --table, else data/collectors.tsv)");
  AddNetworkFlags(command, flags);
  command->callback([] {
    auto table = acquire::LoadCollectorTable(table_path);
    if (!table.ok()) {
      std::fprintf(stderr, "vigil collectors: %s\n", table.message().c_str());
      SetExitCode(2);
      return;
    }
    auto roots = acquire::ParseArchiveRoots(*table, archive_urls);
    if (!roots.ok()) {
      std::fprintf(stderr, "vigil collectors: %s\n", roots.message().c_str());
      SetExitCode(2);
      return;
    }
    if (!refresh) {
      PrintCollectors(*table, *roots);
      return;
    }
    auto options = ToNetworkOptions(flags);
    if (!options.ok()) {
      std::fprintf(stderr, "vigil collectors: %s\n", options.message().c_str());
      SetExitCode(2);
      return;
    }
    std::vector<std::string> notes;
    auto refreshed = acquire::RefreshCollectorTable(*table, *roots, *options, &notes);
    if (!refreshed.ok()) {
      std::fprintf(stderr, "vigil collectors: %s\n", refreshed.message().c_str());
      SetExitCode(2);
      return;
    }
    for (const std::string& n : notes) std::printf("%s\n", n.c_str());
    std::string out = !out_path.empty() ? out_path : !table_path.empty() ? table_path : "data/collectors.tsv";
    std::string temp = out + ".tmp";
    FILE* f = std::fopen(temp.c_str(), "wb");
    std::string text = acquire::FormatCollectorsTsv(*refreshed);
    bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = (f && std::fclose(f) == 0) && ok;
    if (!ok || std::rename(temp.c_str(), out.c_str()) != 0) {
      std::remove(temp.c_str());
      std::fprintf(stderr, "vigil collectors: cannot write %s\n", out.c_str());
      SetExitCode(2);
      return;
    }
    std::printf("collectors: %zu in %s (%zu changes)\n", refreshed->collectors.size(), out.c_str(), notes.size());
  });
}

std::string Clock(double seconds) {
  long s = std::lround(seconds);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buffer;
}

void DrawProgress(const acquire::FetchProgress& p) {
  double rate = p.seconds > 0 ? static_cast<double>(p.bytes_done) / p.seconds : 0;
  std::string eta = "?";
  if (p.bytes_expected > p.bytes_done && rate > 0)
    eta = Clock(static_cast<double>(p.bytes_expected - p.bytes_done) / rate);
  if (p.files_done == p.files_total) eta = "0:00:00";
  std::fprintf(stderr, "\r\033[Kfetch: %d/%d files, %.1f MB, %.1f MB/s, ETA %s", p.files_done, p.files_total,
               static_cast<double>(p.bytes_done) / 1e6, rate / 1e6, eta.c_str());
  std::fflush(stderr);
}

struct FetchFlags {
  std::string collectors, from, until, types = "updates", cache = "var/mrt", archive_urls, index, table_path,
                                       report_path;
  NetworkFlags network;
  bool quiet = false;
  bool list_only = false;
};

void FetchFailed(const std::string& message) {
  std::fprintf(stderr, "vigil fetch: %s\n", message.c_str());
  SetExitCode(2);
}

// What the archives (or the index) list for the flags' collectors, types and range; nullopt after printing
// the error. `range` receives the parsed [from, until).
std::optional<acquire::Discovery> DiscoverForFlags(const FetchFlags& f, acquire::NetworkOptions& options,
                                                   std::pair<UnixSeconds, UnixSeconds>& range) {
  auto fail = [](const std::string& message) {
    FetchFailed(message);
    return std::nullopt;
  };
  auto table = acquire::LoadCollectorTable(f.table_path);
  if (!table.ok()) return fail(table.message());
  auto chosen = acquire::SelectCollectors(*table, f.collectors);
  if (!chosen.ok()) return fail(chosen.message());
  auto start = ParseTime(f.from);
  if (!start.ok()) return fail("--from: " + start.message());
  auto end = ParseTime(f.until);
  if (!end.ok()) return fail("--until: " + end.message());
  if (*end <= *start) return fail("--until must be after --from");
  auto kinds = acquire::ParseFileTypes(f.types);
  if (!kinds.ok()) return fail("--types: " + kinds.message());
  auto roots = acquire::ParseArchiveRoots(*table, f.archive_urls);
  if (!roots.ok()) return fail(roots.message());
  auto parsed = ToNetworkOptions(f.network);
  if (!parsed.ok()) return fail(parsed.message());
  options = *parsed;
  options.stop = &g_stop;
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);

  acquire::DiscoveryRequest request;
  request.collectors = *chosen;
  request.from = *start;
  request.until = *end;
  request.types = *kinds;
  range = {*start, *end};
  Result<acquire::Discovery> found = Status::Internal("no discovery");
  if (!f.index.empty()) {
    auto service = acquire::ParseIndexService(f.index);
    if (!service.ok()) return fail(service.message());
    found = acquire::DiscoverFromIndex(*table, *service, request, options);
  } else {
    found = acquire::DiscoverFromArchives(*table, *roots, request, options);
  }
  if (!found.ok()) return fail(found.message());
  for (const std::string& w : found->warnings) std::fprintf(stderr, "vigil fetch: warning: %s\n", w.c_str());
  return std::move(*found);
}

// --list-only: files and listed bytes per collector and type, and the same per day of the range: the
// bandwidth and disk a collector costs, read from the archive's own listing (docs/operations.md). Apache
// listings round sizes ("1.5M"): then the bytes are a range, low-high.
void PrintListedSizes(const acquire::Discovery& found, std::pair<UnixSeconds, UnixSeconds> range) {
  struct Totals {
    int64_t files = 0, low = 0, high = 0, unsized = 0;
  };
  std::map<std::pair<std::string, std::string>, Totals> totals;
  for (const acquire::RemoteFile& file : found.files) {
    Totals& t = totals[{file.collector, acquire::FileTypeName(file.type)}];
    ++t.files;
    if (!file.listed_size.known()) {
      ++t.unsized;
      continue;
    }
    t.low += file.listed_size.low;
    t.high += file.listed_size.high;
  }
  const double days = static_cast<double>(range.second - range.first) / 86400.0;
  auto bytes = [](int64_t low, int64_t high) {
    return low == high ? std::to_string(low) : std::to_string(low) + "-" + std::to_string(high);
  };
  std::string out = "collector\ttype\tfiles\tlisted_bytes\tbytes_per_day\tfiles_without_size\n";
  for (const auto& [key, t] : totals) {
    out += key.first + "\t" + key.second + "\t" + std::to_string(t.files) + "\t" + bytes(t.low, t.high) + "\t" +
           bytes(static_cast<int64_t>(static_cast<double>(t.low) / days),
                 static_cast<int64_t>(static_cast<double>(t.high) / days)) +
           "\t" + std::to_string(t.unsized) + "\n";
  }
  out += "# " + std::to_string(found.files.size()) + " files listed over " + FormatRfc3339(range.first) + " .. " +
         FormatRfc3339(range.second) + "; nothing fetched\n";
  std::fputs(out.c_str(), stdout);
}

void FetchListedFiles(const FetchFlags& f, const acquire::Discovery& found, const acquire::NetworkOptions& options) {
  bool terminal = isatty(STDERR_FILENO) && !f.quiet;
  acquire::FetchReport report = acquire::FetchFiles(
      found.files, f.cache, options, terminal ? acquire::ProgressCallback(DrawProgress) : acquire::ProgressCallback());
  if (terminal) std::fprintf(stderr, "\r\033[K");
  for (const acquire::FileResult& r : report.files) {
    if (f.quiet || r.outcome == acquire::FileOutcome::kVerified || r.outcome == acquire::FileOutcome::kAlreadyCached)
      continue;
    std::printf("%s %s: %s\n", acquire::FileOutcomeName(r.outcome), r.file.url.c_str(), r.reason.c_str());
  }
  std::printf("%s\n", report.SummaryLine().c_str());
  if (!f.report_path.empty()) {
    FILE* out = std::fopen(f.report_path.c_str(), "w");
    if (!out) return FetchFailed("cannot write --report " + f.report_path);
    std::fprintf(out, "outcome\tcollector\ttype\tstart\turl\tcache_path\tbytes\ttries\treason\n");
    for (const acquire::FileResult& r : report.files)
      std::fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%lld\t%d\t%s\n", acquire::FileOutcomeName(r.outcome),
                   r.file.collector.c_str(), acquire::FileTypeName(r.file.type), FormatRfc3339(r.file.start).c_str(),
                   r.file.url.c_str(), r.file.cache_path.c_str(), static_cast<long long>(r.bytes), r.tries,
                   r.reason.c_str());
    std::fclose(out);
  }
  if (!report.fatal.ok()) {
    FetchFailed(report.fatal.message());
  } else if (report.Count(acquire::FileOutcome::kFailed) > 0) {
    SetExitCode(1);
  }
}

void InstallFetchCommand(CLI::App& root) {
  CLI::App* command = root.add_subcommand(
      "fetch",
      "Backfill MRT files of chosen collectors and time range from the RIS / RouteViews archives into a verified "
      "local cache (list, then fetch; see docs/acquisition.md)");
  static FetchFlags f;
  command->add_option("--collectors", f.collectors, "Collectors, comma-separated (`vigil collectors` lists them)")
      ->required();
  command->add_option("--from", f.from, "Start (2022-01-04, RFC 3339 or Unix seconds), UTC")->required();
  command->add_option("--until", f.until, "End, exclusive")->required();
  command->add_option("--types", f.types, "updates, ribs or updates,ribs")->capture_default_str();
  command->add_option("--cache", f.cache, "Cache folder (mirrors the archive layout)")->capture_default_str();
  command->add_option("--archive-url", f.archive_urls, "Archive roots: ris=URL,routeviews=URL (either alone)");
  command->add_option("--index", f.index, "Discover through an index service instead: bgpstream=URL or bgpkit=URL");
  command->add_option("--bandwidth", f.network.bandwidth, "Limit over all transfers, bytes per second (10M, 500k)");
  command->add_option("--max-file-size", f.network.max_file_size, "Refuse larger files")->capture_default_str();
  command
      ->add_option("--max-ratio", f.network.max_ratio,
                   "Refuse files that decompress to more than this many times "
                   "their size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--table", f.table_path, "Collector table to read instead of the built-in data/collectors.tsv");
  command->add_option("--report", f.report_path, "Also write every file's outcome as TSV here");
  command->add_flag("--quiet", f.quiet, "No per-file lines for gaps and failures (the summary line stays)");
  command->add_flag("--list-only", f.list_only,
                    "Fetch nothing: print the files and listed bytes per collector and type, and per day (what a "
                    "collector costs in bandwidth and disk; tab-separated)");
  AddNetworkFlags(command, f.network);
  command->callback([] {
    acquire::NetworkOptions options;
    std::pair<UnixSeconds, UnixSeconds> range;
    std::optional<acquire::Discovery> found = DiscoverForFlags(f, options, range);
    if (!found) return;
    if (f.list_only) {
      PrintListedSizes(*found, range);
    } else {
      FetchListedFiles(f, *found, options);
    }
  });
}

VIGIL_REGISTER_COMMAND("collectors", InstallCollectorsCommand);
VIGIL_REGISTER_COMMAND("fetch", InstallFetchCommand);

}  // namespace
}  // namespace vigil::cli
