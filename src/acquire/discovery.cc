// SPDX-License-Identifier: AGPL-3.0-or-later
// Discovery: which files a collector published in a time range, read from the archive's folder listings or
// from an index service. Only listed files are returned (list, then fetch; never guess).
#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "acquire/acquire.h"
#include "acquire/internal.h"
#include "acquire/text.h"

namespace vigil::acquire {

std::string MonthFolder(UnixSeconds t) {
  time_t when = static_cast<time_t>(t);
  struct tm parts;
  gmtime_r(&when, &parts);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d.%02d", parts.tm_year + 1900, parts.tm_mon + 1);
  return buffer;
}

UnixSeconds MonthStart(UnixSeconds t) {
  time_t when = static_cast<time_t>(t);
  struct tm parts;
  gmtime_r(&when, &parts);
  parts.tm_mday = 1;
  parts.tm_hour = parts.tm_min = parts.tm_sec = 0;
  return timegm(&parts);
}

UnixSeconds NextMonthStart(UnixSeconds t) { return MonthStart(MonthStart(t) + 32 * 86400); }

namespace {

const std::string& FolderFor(const ArchiveLayout& layout, FileType type) {
  return type == FileType::kUpdates ? layout.updates_folder : layout.ribs_folder;
}
const std::string& PrefixFor(const ArchiveLayout& layout, FileType type) {
  return type == FileType::kUpdates ? layout.updates_prefix : layout.ribs_prefix;
}

bool InRange(FileType type, UnixSeconds start, int64_t period, UnixSeconds from, UnixSeconds until) {
  if (type == FileType::kRib) return start >= from && start < until;  // a RIB is a snapshot at its time
  return start < until && start + period > from;                      // updates cover [start, start+period)
}

std::string FileFolderPath(const ArchiveLayout& layout, const Collector& collector, FileType type, UnixSeconds month) {
  std::string path = collector.archive_path + "/" + MonthFolder(month) + "/";
  if (!FolderFor(layout, type).empty()) path += FolderFor(layout, type) + "/";
  return path;
}

void SortAndDeduplicate(std::vector<RemoteFile>& files) {
  std::sort(files.begin(), files.end(), [](const RemoteFile& a, const RemoteFile& b) {
    return std::tie(a.start, a.collector, a.type, a.cache_path) < std::tie(b.start, b.collector, b.type, b.cache_path);
  });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const RemoteFile& a, const RemoteFile& b) { return a.cache_path == b.cache_path; }),
              files.end());
}

}  // namespace

std::string TypeFolder(const ArchiveLayout& layout, const Collector& collector, FileType type, UnixSeconds month) {
  return FileFolderPath(layout, collector, type, month);
}

std::optional<RemoteFile> MakeRemoteFile(const ArchiveLayout& layout, const Collector& collector, FileType type,
                                         const std::string& folder_url, const std::string& folder_path,
                                         const std::string& name) {
  if (!IsSafeFileName(name)) return std::nullopt;
  std::optional<UnixSeconds> start = ParseArchiveFileTime(name, PrefixFor(layout, type), layout.extension);
  if (!start) return std::nullopt;
  RemoteFile file;
  file.collector = collector.name;
  file.project = collector.project;
  file.type = type;
  file.start = *start;
  file.period_s = type == FileType::kUpdates ? collector.update_period_s : collector.rib_period_s;
  file.url = folder_url + name;
  file.cache_path = std::string(ProjectName(collector.project)) + "/" + folder_path + name;
  return file;
}

namespace {

struct ListingTally {
  int answered = 0;  // listings that got any HTTP answer
  int unreachable = 0;
  std::string first_transport_error;
  // Folders already read in this discovery (RIS keeps updates and bviews in one month folder).
  std::map<std::string, std::vector<ListingEntry>> pages;
};

void AddFilesInRange(const ArchiveLayout& layout, const Collector& collector, FileType type, const std::string& url,
                     const std::string& folder_path, const std::vector<ListingEntry>& entries,
                     const DiscoveryRequest& request, Discovery& out) {
  for (const ListingEntry& entry : entries) {
    std::optional<RemoteFile> file = MakeRemoteFile(layout, collector, type, url, folder_path, entry.name);
    if (!file || !InRange(type, file->start, file->period_s, request.from, request.until)) continue;
    file->listed_size = entry.size;
    out.files.push_back(std::move(*file));
  }
}

// Lists one folder (once per discovery) and adds the files in range.
void ListFolder(const ArchiveLayout& layout, const Collector& collector, FileType type, UnixSeconds month,
                const std::string& root, const DiscoveryRequest& request, const NetworkOptions& options, Discovery& out,
                ListingTally& tally) {
  std::string folder_path = FileFolderPath(layout, collector, type, month);
  std::string url = root + folder_path;
  auto known = tally.pages.find(url);
  if (known != tally.pages.end()) {
    AddFilesInRange(layout, collector, type, url, folder_path, known->second, request, out);
    return;
  }
  Result<TextResponse> page = GetText(url, options);
  ++out.listings_read;
  if (!page.ok()) {
    ++tally.unreachable;
    if (tally.first_transport_error.empty()) tally.first_transport_error = page.message();
    out.warnings.push_back("listing " + page.message() + ": its files are unknown (missing, not zero)");
    return;
  }
  ++tally.answered;
  if (page->status == 404) {
    out.warnings.push_back("listing " + url + ": HTTP 404 (no folder for " + collector.name + " " + MonthFolder(month) +
                           ")");
    return;
  }
  if (page->status != 200) {
    out.warnings.push_back("listing " + url + ": HTTP " + std::to_string(page->status) +
                           ": its files are unknown (missing, not zero)");
    return;
  }
  std::vector<std::string> refused;
  std::vector<ListingEntry> entries = ParseAutoIndex(page->body, &refused);
  for (const std::string& r : refused) out.warnings.push_back("listing " + url + ": refused " + r);
  if (entries.empty() && refused.empty())
    out.warnings.push_back("listing " + url + ": no entries (not an auto-index page?)");
  AddFilesInRange(layout, collector, type, url, folder_path, entries, request, out);
  tally.pages.emplace(url, std::move(entries));
}

}  // namespace

Result<Discovery> DiscoverFromArchives(const CollectorTable& table, const ArchiveRoots& roots,
                                       const DiscoveryRequest& request, const NetworkOptions& options) {
  if (request.until <= request.from) return Status::InvalidArgument("--until must be after --from");
  Discovery out;
  ListingTally tally;
  for (const Collector* collector : request.collectors) {
    const ArchiveLayout* layout = table.Layout(collector->project);
    if (!layout) return Status::NotFound("no archive layout for " + collector->name);
    for (FileType type : request.types) {
      int64_t period = type == FileType::kUpdates ? collector->update_period_s : collector->rib_period_s;
      // An update file that starts before `from` may still cover it.
      for (UnixSeconds month = MonthStart(request.from - (type == FileType::kUpdates ? period : 0));
           month < request.until; month = NextMonthStart(month)) {
        ListFolder(*layout, *collector, type, month, roots.For(collector->project), request, options, out, tally);
        if (options.stop && options.stop->load()) return Status::Cancelled("stopped");
      }
    }
  }
  if (tally.answered == 0 && tally.unreachable > 0)
    return Status::Unavailable("archive unreachable: " + tally.first_transport_error);
  SortAndDeduplicate(out.files);
  return out;
}

Result<std::optional<RemoteFile>> LatestRibAtOrBefore(const CollectorTable& table, const ArchiveRoots& roots,
                                                      const Collector& collector, UnixSeconds at,
                                                      const NetworkOptions& options) {
  for (UnixSeconds lookback : {2 * collector.rib_period_s, int64_t{31} * 86400}) {
    DiscoveryRequest request;
    request.collectors = {&collector};
    request.from = at - lookback;
    request.until = at + 1;
    request.types = {FileType::kRib};
    Result<Discovery> found = DiscoverFromArchives(table, roots, request, options);
    if (!found.ok()) return found.status();
    if (!found->files.empty()) return std::optional<RemoteFile>(found->files.back());
  }
  return std::optional<RemoteFile>();
}

// ---------------------------------------------------------------------------------------------------------
// Index services.

namespace {

std::string UtcNoZone(UnixSeconds t) {
  std::string s = FormatRfc3339(t);  // 2022-01-04T00:00:00Z
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  return s;
}

// Turns one index answer item into a RemoteFile (nullopt + a warning when it does not fit the request).
std::optional<RemoteFile> FileFromIndex(const CollectorTable& table, const Collector& collector, FileType type,
                                        const std::string& url, const DiscoveryRequest& request,
                                        std::vector<std::string>& warnings) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    warnings.push_back("index: refused non-HTTP URL '" + url.substr(0, 120) + "'");
    return std::nullopt;
  }
  std::string name = url.substr(url.rfind('/') + 1);
  if (!IsSafeFileName(name) || url.find("/../") != std::string::npos || url.find("/./") != std::string::npos) {
    warnings.push_back("index: refused unsafe name in '" + url.substr(0, 120) + "'");
    return std::nullopt;
  }
  const ArchiveLayout* layout = table.Layout(collector.project);
  std::optional<UnixSeconds> start = ParseArchiveFileTime(name, PrefixFor(*layout, type), layout->extension);
  if (!start) {
    warnings.push_back("index: '" + name + "' is not a " + collector.name + " " + FileTypeName(type) + " file name");
    return std::nullopt;
  }
  std::string folder_path = FileFolderPath(*layout, collector, type, *start);
  std::optional<RemoteFile> file =
      MakeRemoteFile(*layout, collector, type, url.substr(0, url.size() - name.size()), folder_path, name);
  if (!file || !InRange(type, file->start, file->period_s, request.from, request.until)) return std::nullopt;
  return file;
}

Result<nlohmann::json> GetJson(const std::string& url, const NetworkOptions& options) {
  Result<TextResponse> answer = GetText(url, options);
  if (!answer.ok()) return answer.status().WithContext("index unreachable");
  if (answer->status != 200) return Status::Unavailable("index " + url + ": HTTP " + std::to_string(answer->status));
  nlohmann::json json = nlohmann::json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return Status::Corruption("index " + url + ": answer is not a JSON object");
  return json;
}

Status BgpstreamQuery(const CollectorTable& table, const IndexService& index, const Collector& collector, FileType type,
                      const DiscoveryRequest& request, const NetworkOptions& options, Discovery& out) {
  // The broker answers a window at a time; ask again from after the newest file until the range is covered.
  UnixSeconds start = request.from - (type == FileType::kUpdates ? collector.update_period_s : 0);
  for (int round = 0; round < 10000 && start < request.until; ++round) {
    std::string url = index.url + "/data?projects%5B%5D=" + ProjectName(collector.project) +
                      "&collectors%5B%5D=" + collector.name + "&types%5B%5D=" + FileTypeName(type) +
                      "&intervals%5B%5D=" + std::to_string(start) + "," + std::to_string(request.until - 1);
    Result<nlohmann::json> json = GetJson(url, options);
    ++out.listings_read;
    if (!json.ok()) return json.status();
    const nlohmann::json* resources = nullptr;
    if (json->contains("data") && (*json)["data"].is_object() && (*json)["data"].contains("resources"))
      resources = &(*json)["data"]["resources"];
    if (!resources || !resources->is_array()) return Status::Corruption("index " + url + ": no data.resources array");
    UnixSeconds newest = start - 1;
    for (const nlohmann::json& item : *resources) {
      if (!item.is_object() || !item.contains("url") || !item["url"].is_string()) continue;
      if (item.value("collector", std::string()) != collector.name) continue;
      if (item.contains("initialTime") && item["initialTime"].is_number_integer())
        newest = std::max<UnixSeconds>(newest, item["initialTime"].get<int64_t>());
      if (std::optional<RemoteFile> file = FileFromIndex(table, collector, type, item["url"], request, out.warnings))
        out.files.push_back(std::move(*file));
    }
    if (newest < start) break;  // nothing newer: the range is covered
    start = newest + 1;
  }
  return Status::Ok();
}

Status BgpkitQuery(const CollectorTable& table, const IndexService& index, const Collector& collector, FileType type,
                   const DiscoveryRequest& request, const NetworkOptions& options, Discovery& out) {
  constexpr int kPageSize = 1000;
  UnixSeconds from = request.from - (type == FileType::kUpdates ? collector.update_period_s : 0);
  for (int page = 1; page <= 10000; ++page) {
    std::string url = index.url + "/search?ts_start=" + UtcNoZone(from) + "&ts_end=" + UtcNoZone(request.until) +
                      "&collector_id=" + collector.name +
                      "&data_type=" + (type == FileType::kUpdates ? "updates" : "rib") +
                      "&page=" + std::to_string(page) + "&page_size=" + std::to_string(kPageSize);
    Result<nlohmann::json> json = GetJson(url, options);
    ++out.listings_read;
    if (!json.ok()) return json.status();
    if (!json->contains("data") || !(*json)["data"].is_array())
      return Status::Corruption("index " + url + ": no data array");
    const nlohmann::json& data = (*json)["data"];
    for (const nlohmann::json& item : data) {
      if (!item.is_object() || !item.contains("url") || !item["url"].is_string()) continue;
      if (item.value("collector_id", std::string()) != collector.name) continue;
      std::optional<RemoteFile> file = FileFromIndex(table, collector, type, item["url"], request, out.warnings);
      if (!file) continue;
      if (item.contains("exact_size") && item["exact_size"].is_number_integer() &&
          item["exact_size"].get<int64_t>() > 0)
        file->listed_size.low = file->listed_size.high = item["exact_size"].get<int64_t>();
      out.files.push_back(std::move(*file));
    }
    if (data.size() < static_cast<size_t>(kPageSize)) break;
  }
  return Status::Ok();
}

}  // namespace

Result<Discovery> DiscoverFromIndex(const CollectorTable& table, const IndexService& index,
                                    const DiscoveryRequest& request, const NetworkOptions& options) {
  if (request.until <= request.from) return Status::InvalidArgument("--until must be after --from");
  Discovery out;
  for (const Collector* collector : request.collectors) {
    for (FileType type : request.types) {
      Status status = index.kind == IndexService::Kind::kBgpstreamBrokerV2
                          ? BgpstreamQuery(table, index, *collector, type, request, options, out)
                          : BgpkitQuery(table, index, *collector, type, request, options, out);
      if (!status.ok()) return status;
    }
  }
  SortAndDeduplicate(out.files);
  return out;
}

}  // namespace vigil::acquire
