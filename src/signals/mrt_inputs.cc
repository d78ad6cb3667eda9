// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/mrt_inputs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "base/time_zone.h"

namespace vigil::signals {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SplitDots(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool AllDigits(const std::string& s, size_t n) {
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool IsLayoutFolder(const std::string& name) {
  if (name == "RIBS" || name == "UPDATES" || name == "bgpdata") return true;
  // RIS and RouteViews archives keep a folder per month: 2016.08
  return name.size() == 7 && AllDigits(name, 4) && name[4] == '.' && AllDigits(name.substr(5), 2);
}

bool IgnoredInDirectory(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".md" || ext == ".txt" || ext == ".json" || ext == ".csv" || ext == ".tsv" || ext == ".sha256" ||
         p.filename().string().starts_with(".");
}

}  // namespace

MrtInputFile DescribeMrtFile(const std::string& path, const std::string& name) {
  MrtInputFile input;
  input.path = path;
  input.name = name;
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  input.bytes = ec ? 0 : int64_t(size);

  std::string base = fs::path(path).filename().string();
  std::vector<std::string> parts = SplitDots(base);
  size_t kind_at = parts.size();
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (p == "bview" || p == "rib" || p == "updates") {
      input.kind = p == "updates" ? MrtFileKind::kUpdates : MrtFileKind::kRib;
      kind_at = i;
      break;
    }
  }
  if (kind_at < parts.size()) {
    if (kind_at + 2 < parts.size() && AllDigits(parts[kind_at + 1], 8) && parts[kind_at + 1].size() == 8 &&
        AllDigits(parts[kind_at + 2], 4)) {
      const std::string& d = parts[kind_at + 1];
      const std::string& hm = parts[kind_at + 2];
      int64_t days = DaysFromCivil(std::stoi(d.substr(0, 4)), std::stoi(d.substr(4, 2)), std::stoi(d.substr(6, 2)));
      input.name_time = days * 86400 + std::stoi(hm.substr(0, 2)) * 3600 + std::stoi(hm.substr(2, 2)) * 60;
    } else if (kind_at + 1 < parts.size() && parts[kind_at + 1].size() == 10 && AllDigits(parts[kind_at + 1], 10)) {
      input.name_time = std::stoll(parts[kind_at + 1]);
    }
    if (kind_at >= 1) {
      // "rrc00.updates…" -> rrc00; "bgpkit.rrc15.updates…" -> rrc15; "caida.ris.rrc06…" -> rrc06.
      input.collector = parts[kind_at - 1];
      if (input.collector == "ripe-bgpdump" || input.collector == "pyasn" || input.collector == "ryu") {
        input.collector.clear();  // a source tag, not a collector
      }
    }
  }
  if (input.collector.empty()) {
    for (fs::path dir = fs::path(path).parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      std::string folder = dir.filename().string();
      if (folder.empty() || folder == ".") break;
      if (!IsLayoutFolder(folder)) {
        input.collector = folder;
        break;
      }
    }
  }
  if (input.collector.empty()) input.collector = "default";
  return input;
}

void SortMrtInputs(std::vector<MrtInputFile>& inputs) {
  std::stable_sort(inputs.begin(), inputs.end(), [](const MrtInputFile& a, const MrtInputFile& b) {
    if (a.name_time != b.name_time) return a.name_time < b.name_time;
    bool a_rib = a.kind == MrtFileKind::kRib, b_rib = b.kind == MrtFileKind::kRib;
    if (a_rib != b_rib) return a_rib;
    if (a.collector != b.collector) return a.collector < b.collector;
    return a.name < b.name;
  });
}

Result<std::vector<MrtInputFile>> DiscoverMrtInputs(const std::vector<std::string>& paths) {
  std::vector<MrtInputFile> inputs;
  for (const std::string& arg : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(arg, ec);
    if (ec || !fs::exists(st)) return Status::NotFound(arg + ": no such file or directory");
    if (fs::is_directory(st)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(arg, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file() && !IgnoredInDirectory(it->path())) found.push_back(it->path());
      }
      if (ec) return Status::IOError(arg + ": " + ec.message());
      std::sort(found.begin(), found.end());
      for (const fs::path& p : found) {
        inputs.push_back(DescribeMrtFile(p.string(), fs::relative(p, arg).string()));
      }
    } else {
      inputs.push_back(DescribeMrtFile(arg, fs::path(arg).filename().string()));
    }
  }
  SortMrtInputs(inputs);
  return inputs;
}

}  // namespace vigil::signals
