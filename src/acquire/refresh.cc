// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil collectors --refresh`: the collector table checked against the archives' own listings — which
// collector folders exist at the top level, and which month folders each holds (first and last month).
#include <algorithm>
#include <cctype>
#include <ctime>

#include "acquire/acquire.h"
#include "acquire/internal.h"

namespace vigil::acquire {
namespace {

// Month folders ("2022.01/") of one collector's archive folder, as dates "2022-01-01", oldest first.
Result<std::vector<std::string>> MonthsListed(const std::string& url, const NetworkOptions& options) {
  Result<TextResponse> page = GetText(url, options);
  if (!page.ok()) return page.status();
  if (page->status != 200) return Status::Unavailable(url + ": HTTP " + std::to_string(page->status));
  std::vector<std::string> months;
  for (const ListingEntry& e : ParseAutoIndex(page->body, nullptr)) {
    const std::string& n = e.name;
    if (n.size() != 8 || n[4] != '.' || n[7] != '/') continue;
    std::string date = n.substr(0, 4) + "-" + n.substr(5, 2) + "-01";
    if (ParseTime(date).ok()) months.push_back(date);
  }
  std::sort(months.begin(), months.end());
  return months;
}

// Top-level folders of a project root that are collectors: "rrcNN/" (RIS); "route-views*/" and "bgpdata/"
// (RouteViews, whose original collector route-views2 lives at /bgpdata/).
std::vector<std::pair<std::string, std::string>> CollectorFolders(Project project, const std::string& html) {
  std::vector<std::pair<std::string, std::string>> found;  // (name, archive_path)
  for (const ListingEntry& e : ParseAutoIndex(html, nullptr)) {
    if (e.name.size() < 2 || e.name.back() != '/') continue;
    std::string folder = e.name.substr(0, e.name.size() - 1);
    if (project == Project::kRis) {
      if (folder.size() == 5 && folder.rfind("rrc", 0) == 0 && std::isdigit(static_cast<unsigned char>(folder[3])) &&
          std::isdigit(static_cast<unsigned char>(folder[4])))
        found.emplace_back(folder, folder);
    } else if (folder == "bgpdata") {
      found.emplace_back("route-views2", "bgpdata");
    } else if (folder.rfind("route-views", 0) == 0) {
      found.emplace_back(folder, folder + "/bgpdata");
    }
  }
  return found;
}

}  // namespace

Result<CollectorTable> RefreshCollectorTable(const CollectorTable& table, const ArchiveRoots& roots,
                                             const NetworkOptions& options, std::vector<std::string>* notes) {
  CollectorTable out = table;
  auto note = [&](const std::string& line) {
    if (notes) notes->push_back(line);
  };
  std::string previous = MonthFolder(MonthStart(std::time(nullptr)) - 86400);
  previous = previous.substr(0, 4) + "-" + previous.substr(5, 2) + "-01";
  for (Project project : {Project::kRis, Project::kRouteViews}) {
    const std::string& root = roots.For(project);
    Result<TextResponse> top = GetText(root, options);
    if (!top.ok()) return top.status().WithContext("archive unreachable");
    if (top->status != 200) return Status::Unavailable(root + ": HTTP " + std::to_string(top->status));
    std::vector<std::pair<std::string, std::string>> folders = CollectorFolders(project, top->body);
    if (folders.empty())
      return Status::Corruption(root + ": no collector folders in the listing (not an auto-index page?)");
    for (const auto& [name, path] : folders) {
      Result<std::vector<std::string>> months = MonthsListed(root + path + "/", options);
      if (!months.ok() || months->empty()) {
        note(name + ": " + (months.ok() ? "no month folders" : months.message()) + ", left as it was");
        continue;
      }
      std::string first = months->front();
      std::string last = months->back() >= previous ? "" : months->back();
      Collector* c = nullptr;
      for (Collector& existing : out.collectors)
        if (existing.name == name) c = &existing;
      if (!c) {
        Collector added;
        added.name = name;
        added.project = project;
        added.archive_path = path;
        added.update_period_s = project == Project::kRis ? 300 : 900;
        added.rib_period_s = project == Project::kRis ? 28800 : 7200;
        out.collectors.push_back(added);
        c = &out.collectors.back();
        note(name + ": new collector (" + ProjectName(project) + ", " + root + path + "/)");
      }
      if (c->first_date != first || c->last_date != last) {
        note(name + ": months " + first + " .. " + (last.empty() ? "now" : last) + " (was " + c->first_date + " .. " +
             (c->last_date.empty() ? "now" : c->last_date) + ")");
        c->first_date = first;
        c->last_date = last;
      }
    }
    for (const Collector& c : out.collectors) {
      if (c.project != project) continue;
      bool listed = false;
      for (const auto& f : folders) listed = listed || f.first == c.name;
      if (!listed) note(c.name + ": not in " + root + " any more; row kept");
    }
  }
  return out;
}

}  // namespace vigil::acquire
