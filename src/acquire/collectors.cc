// SPDX-License-Identifier: AGPL-3.0-or-later
// The collector table: parsing and formatting data/collectors.tsv and data/archives.tsv, selecting collectors,
// and the archive roots / index service a command line names.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "acquire/acquire.h"
#include "acquire/text.h"
#include "base/text_lines.h"

namespace vigil::acquire {

const char* ProjectName(Project project) { return project == Project::kRis ? "ris" : "routeviews"; }

Result<Project> ParseProject(std::string_view name) {
  if (name == "ris") return Project::kRis;
  if (name == "routeviews") return Project::kRouteViews;
  return Status::Corruption("unknown project '" + std::string(name) + "' (expected ris or routeviews)");
}

const char* FileTypeName(FileType type) { return type == FileType::kUpdates ? "updates" : "ribs"; }

Result<FileType> ParseFileType(std::string_view name) {
  if (name == "updates") return FileType::kUpdates;
  if (name == "ribs" || name == "rib") return FileType::kRib;
  return Status::Corruption("unknown file type '" + std::string(name) + "' (expected updates or ribs)");
}

Result<std::vector<FileType>> ParseFileTypes(std::string_view list) {
  std::vector<FileType> types;
  for (const std::string& item : SplitList(list, ',')) {
    Result<FileType> type = ParseFileType(item);
    if (!type.ok()) return type.status();
    bool seen = false;
    for (FileType t : types) seen = seen || t == *type;
    if (!seen) types.push_back(*type);
  }
  if (types.empty()) return Status::Corruption("no file type given (expected updates, ribs or both)");
  return types;
}

const Collector* CollectorTable::Find(std::string_view name) const {
  for (const Collector& c : collectors)
    if (c.name == name) return &c;
  return nullptr;
}

const ArchiveLayout* CollectorTable::Layout(Project project) const {
  for (const ArchiveLayout& l : layouts)
    if (l.project == project) return &l;
  return nullptr;
}

namespace {

constexpr const char* kCollectorsHeader =
    "name\tproject\tarchive_path\tupdate_period_s\trib_period_s\tfirst_date\tlast_date";
constexpr const char* kArchivesHeader =
    "project\troot_url\tupdates_folder\tupdates_prefix\tribs_folder\tribs_prefix\textension";

// Data lines of a TSV text (comments and the header left out) with their 1-based line numbers.
struct TsvLine {
  int number;
  std::vector<std::string> fields;
};

Result<std::vector<TsvLine>> DataLines(std::string_view text, const std::string& name, const char* header,
                                       size_t columns) {
  std::vector<TsvLine> lines;
  bool header_seen = false;
  int number = 0;
  for (std::string_view raw : SplitLines(text)) {
    ++number;
    if (raw.empty() || raw[0] == '#') continue;
    if (!header_seen) {
      if (raw != header)
        return Status::Corruption(name + ":" + std::to_string(number) + ": expected the header '" + header + "'");
      header_seen = true;
      continue;
    }
    std::vector<std::string> fields = SplitFields(raw, '\t');
    if (fields.size() != columns)
      return Status::Corruption(name + ":" + std::to_string(number) + ": expected " + std::to_string(columns) +
                                " tab-separated fields, found " + std::to_string(fields.size()));
    lines.push_back({number, std::move(fields)});
  }
  if (!header_seen) return Status::Corruption(name + ": no header line '" + header + "'");
  return lines;
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }
std::string Undash(const std::string& s) { return s == "-" ? "" : s; }

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  return ParseTime(s).ok();
}

// An archive path is a relative folder made of safe components ("route-views.jinx/bgpdata").
bool IsSafeArchivePath(const std::string& path) {
  if (path.empty()) return false;
  for (const std::string& part : SplitFields(path, '/'))
    if (!IsSafeFileName(part)) return false;
  return true;
}

Status ParseCollectorLine(const TsvLine& line, const std::string& name, Collector& c) {
  auto where = [&](const std::string& what) {
    return Status::Corruption(name + ":" + std::to_string(line.number) + ": " + what);
  };
  const std::vector<std::string>& f = line.fields;
  c.name = f[0];
  if (!IsSafeFileName(c.name)) return where("bad collector name '" + c.name + "'");
  Result<Project> project = ParseProject(f[1]);
  if (!project.ok()) return where(project.message());
  c.project = *project;
  c.archive_path = f[2];
  if (!IsSafeArchivePath(c.archive_path)) return where("bad archive_path '" + c.archive_path + "'");
  std::optional<int64_t> update = ParseDecimal(f[3]);
  std::optional<int64_t> rib = ParseDecimal(f[4]);
  if (!update || *update <= 0 || !rib || *rib <= 0) return where("periods must be positive seconds");
  c.update_period_s = *update;
  c.rib_period_s = *rib;
  c.first_date = Undash(f[5]);
  c.last_date = Undash(f[6]);
  if (!IsDate(c.first_date)) return where("first_date must be YYYY-MM-DD, got '" + f[5] + "'");
  if (!c.last_date.empty() && !IsDate(c.last_date))
    return where("last_date must be YYYY-MM-DD or -, got '" + f[6] + "'");
  return Status::Ok();
}

}  // namespace

Result<CollectorTable> ParseCollectorTable(std::string_view collectors_tsv, const std::string& collectors_name,
                                           std::string_view archives_tsv, const std::string& archives_name) {
  CollectorTable table;
  Result<std::vector<TsvLine>> archives = DataLines(archives_tsv, archives_name, kArchivesHeader, 7);
  if (!archives.ok()) return archives.status();
  for (const TsvLine& line : *archives) {
    const std::vector<std::string>& f = line.fields;
    Result<Project> project = ParseProject(f[0]);
    if (!project.ok()) return project.status().WithContext(archives_name + ":" + std::to_string(line.number));
    ArchiveLayout layout{*project, f[1], Undash(f[2]), f[3], Undash(f[4]), f[5], f[6]};
    if (layout.root_url.empty() || layout.root_url.back() != '/')
      return Status::Corruption(archives_name + ":" + std::to_string(line.number) + ": root_url must end with '/'");
    table.layouts.push_back(std::move(layout));
  }
  Result<std::vector<TsvLine>> collectors = DataLines(collectors_tsv, collectors_name, kCollectorsHeader, 7);
  if (!collectors.ok()) return collectors.status();
  for (const TsvLine& line : *collectors) {
    Collector c;
    VIGIL_RETURN_IF_ERROR(ParseCollectorLine(line, collectors_name, c));
    if (table.Find(c.name))
      return Status::Corruption(collectors_name + ":" + std::to_string(line.number) + ": collector '" + c.name +
                                "' listed twice");
    if (!table.Layout(c.project))
      return Status::Corruption(collectors_name + ":" + std::to_string(line.number) +
                                ": no archive layout for project " + ProjectName(c.project));
    table.collectors.push_back(std::move(c));
  }
  return table;
}

Result<CollectorTable> LoadCollectorTable(const std::string& collectors_path) {
  if (collectors_path.empty())
    return ParseCollectorTable(BuiltinCollectorsTsv(), "data/collectors.tsv (built in)", BuiltinArchivesTsv(),
                               "data/archives.tsv (built in)");
  std::ifstream in(collectors_path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read collector table " + collectors_path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseCollectorTable(text.str(), collectors_path, BuiltinArchivesTsv(), "data/archives.tsv (built in)");
}

std::string FormatCollectorsTsv(const CollectorTable& table) {
  std::string out;
  // Keep the comment block of the built-in table: it explains the columns.
  for (std::string_view line : SplitLines(BuiltinCollectorsTsv())) {
    if (line.empty() || line[0] != '#') break;
    out += line;
    out += '\n';
  }
  out += std::string(kCollectorsHeader) + "\n";
  for (const Collector& c : table.collectors) {
    out += c.name + "\t" + ProjectName(c.project) + "\t" + c.archive_path + "\t" + std::to_string(c.update_period_s) +
           "\t" + std::to_string(c.rib_period_s) + "\t" + Dash(c.first_date) + "\t" + Dash(c.last_date) + "\n";
  }
  return out;
}

Result<std::vector<const Collector*>> SelectCollectors(const CollectorTable& table, std::string_view list) {
  std::vector<const Collector*> selected;
  for (const std::string& name : SplitList(list, ',')) {
    const Collector* c = table.Find(name);
    if (!c)
      return Status::InvalidArgument("--collectors: unknown collector '" + name + "' (`vigil collectors` lists them)");
    bool seen = false;
    for (const Collector* s : selected) seen = seen || s == c;
    if (!seen) selected.push_back(c);
  }
  if (selected.empty()) return Status::InvalidArgument("--collectors: no collector given");
  return selected;
}

namespace {

Status CheckRootUrl(const std::string& what, const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return Status::InvalidArgument(what + ": '" + url + "' is not an http:// or https:// URL");
  for (char ch : url)
    if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f)
      return Status::InvalidArgument(what + ": URL has a space or control character");
  return Status::Ok();
}

std::string WithSlash(std::string url) {
  if (url.empty() || url.back() != '/') url += '/';
  return url;
}

}  // namespace

Result<ArchiveRoots> ParseArchiveRoots(const CollectorTable& table, std::string_view overrides) {
  ArchiveRoots roots;
  if (const ArchiveLayout* l = table.Layout(Project::kRis)) roots.ris = l->root_url;
  if (const ArchiveLayout* l = table.Layout(Project::kRouteViews)) roots.routeviews = l->root_url;
  for (const std::string& item : SplitList(overrides, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      return Status::InvalidArgument("--archive-url: expected PROJECT=URL (ris=URL,routeviews=URL), got '" + item +
                                     "'");
    Result<Project> project = ParseProject(item.substr(0, eq));
    if (!project.ok()) return project.status().WithContext("--archive-url");
    std::string url = WithSlash(item.substr(eq + 1));
    VIGIL_RETURN_IF_ERROR(CheckRootUrl("--archive-url", url));
    (*project == Project::kRis ? roots.ris : roots.routeviews) = url;
  }
  return roots;
}

Result<IndexService> ParseIndexService(std::string_view spec) {
  std::string text(spec);
  size_t eq = text.find('=');
  if (eq == std::string::npos)
    return Status::InvalidArgument("--index: expected bgpstream=URL or bgpkit=URL, got '" + text + "'");
  IndexService index;
  std::string kind = text.substr(0, eq);
  if (kind == "bgpstream") {
    index.kind = IndexService::Kind::kBgpstreamBrokerV2;
  } else if (kind == "bgpkit") {
    index.kind = IndexService::Kind::kBgpkitBrokerV3;
  } else {
    return Status::InvalidArgument("--index: unknown index service '" + kind + "' (expected bgpstream or bgpkit)");
  }
  index.url = text.substr(eq + 1);
  while (!index.url.empty() && index.url.back() == '/') index.url.pop_back();
  VIGIL_RETURN_IF_ERROR(CheckRootUrl("--index", index.url));
  return index;
}

}  // namespace vigil::acquire
