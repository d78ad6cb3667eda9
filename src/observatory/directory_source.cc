// SPDX-License-Identifier: AGPL-3.0-or-later
// DirectorySource: follow a local folder that another process fills.
#include <algorithm>
#include <filesystem>

#include "observatory/observatory.h"
#include "signals/bgp_signal_builder.h"

namespace vigil::observatory {
namespace {

namespace fs = std::filesystem;

bool Ignored(const std::string& file_name) {
  if (file_name.empty() || file_name[0] == '.') return true;
  for (const char* suffix : {".part", ".tmp", ".md", ".txt", ".json", ".csv", ".tsv"}) {
    if (file_name.ends_with(suffix)) return true;
  }
  return false;
}

}  // namespace

DirectorySource::DirectorySource(std::string root, std::vector<std::string> collectors)
    : root_(std::move(root)), collectors_(collectors.begin(), collectors.end()) {}

Result<std::vector<SourceFile>> DirectorySource::Walk() {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return Status::NotFound("--mirror " + root_ + ": not a folder");
  std::vector<SourceFile> out;
  for (fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || Ignored(it->path().filename().string())) continue;
    std::string name = fs::relative(it->path(), root_, ec).string();
    if (ec) continue;
    signals::MrtInputFile d = signals::DescribeMrtFile(it->path().string(), name);
    if (d.name_time < 0 || d.kind == signals::MrtFileKind::kUnknown || !collectors_.count(d.collector)) continue;
    SourceFile f;
    f.collector = d.collector;
    f.kind = d.kind;
    f.start = d.name_time;
    f.period_s = d.kind == signals::MrtFileKind::kRib ? 0 : signals::BgpSignalBuilder::UpdatePeriodSeconds(d.collector);
    f.name = name;
    out.push_back(std::move(f));
  }
  if (ec) return Status::FromErrno(ec.value(), "--mirror " + root_ + ": " + ec.message());
  std::sort(out.begin(), out.end(), IngestOrderLess);
  return out;
}

Result<std::vector<SourceFile>> DirectorySource::ListUpdates(UnixSeconds from, UnixSeconds until) {
  auto all = Walk();
  if (!all.ok()) return all.status();
  std::vector<SourceFile> out;
  for (SourceFile& f : *all) {
    if (f.kind == signals::MrtFileKind::kUpdates && f.start + f.period_s > from && f.start < until) {
      out.push_back(std::move(f));
    }
  }
  return out;
}

Result<std::optional<SourceFile>> DirectorySource::LatestRib(const std::string& collector, UnixSeconds at) {
  auto all = Walk();
  if (!all.ok()) return all.status();
  std::optional<SourceFile> best;
  for (SourceFile& f : *all) {
    if (f.kind == signals::MrtFileKind::kRib && f.collector == collector && f.start <= at &&
        (!best || best->start < f.start)) {
      best = f;
    }
  }
  return best;
}

std::vector<FetchedFile> DirectorySource::Fetch(const std::vector<SourceFile>& files) {
  std::vector<FetchedFile> out;
  for (const SourceFile& f : files) {
    FetchedFile r;
    r.file = f;
    r.local_path = (fs::path(root_) / f.name).string();
    std::error_code ec;
    r.bytes = static_cast<int64_t>(fs::file_size(r.local_path, ec));
    if (ec) {
      r.state = FetchState::kFailed;
      r.reason = r.local_path + ": " + ec.message();
    } else {
      r.state = FetchState::kReady;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace vigil::observatory
