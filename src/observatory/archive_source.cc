// SPDX-License-Identifier: AGPL-3.0-or-later
// The archives as a FileSource, through the acquire module: discovery from the folder listings (or an index
// service), then verified fetching into the cache. Cache paths are the inputs' names in the store.
#include <cstdio>
#include <map>

#include "acquire/acquire.h"
#include "observatory/observatory.h"

namespace vigil::observatory {
namespace {

class ArchiveSource final : public FileSource {
 public:
  ArchiveSource(acquire::CollectorTable table, acquire::ArchiveRoots roots, std::optional<acquire::IndexService> index,
                acquire::NetworkOptions network, std::string cache_dir)
      : table_(std::move(table)),
        roots_(std::move(roots)),
        index_(std::move(index)),
        network_(network),
        cache_dir_(std::move(cache_dir)) {}

  Status Select(const std::vector<std::string>& names) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ",") + n;
    auto chosen = acquire::SelectCollectors(table_, list);
    if (!chosen.ok()) return chosen.status().WithContext("--collectors");
    collectors_ = std::move(*chosen);
    return Status::Ok();
  }

  Result<std::vector<SourceFile>> ListUpdates(UnixSeconds from, UnixSeconds until) override {
    acquire::DiscoveryRequest request;
    request.collectors = collectors_;
    request.from = from;
    request.until = until;
    request.types = {acquire::FileType::kUpdates};
    auto found = index_ ? acquire::DiscoverFromIndex(table_, *index_, request, network_)
                        : acquire::DiscoverFromArchives(table_, roots_, request, network_);
    if (!found.ok()) return found.status();
    for (const std::string& w : found->warnings) std::fprintf(stderr, "vigil run: listing: %s\n", w.c_str());
    std::vector<SourceFile> out;
    for (const acquire::RemoteFile& f : found->files) out.push_back(Remember(f));
    return out;
  }

  Result<std::optional<SourceFile>> LatestRib(const std::string& collector, UnixSeconds at) override {
    const acquire::Collector* c = table_.Find(collector);
    if (!c) return Status::NotFound("collector " + collector + " is not in the collector table");
    auto rib = acquire::LatestRibAtOrBefore(table_, roots_, *c, at, network_);
    if (!rib.ok()) return rib.status();
    if (!rib->has_value()) return std::optional<SourceFile>();
    return std::optional<SourceFile>(Remember(**rib));
  }

  std::vector<FetchedFile> Fetch(const std::vector<SourceFile>& files) override {
    std::vector<acquire::RemoteFile> remote;
    for (const SourceFile& f : files) remote.push_back(remote_.at(f.name));
    acquire::FetchReport report = acquire::FetchFiles(remote, cache_dir_, network_);
    std::vector<FetchedFile> out;
    for (size_t i = 0; i < files.size(); ++i) {
      FetchedFile r;
      r.file = files[i];
      if (i >= report.files.size()) {
        r.reason = files[i].name + ": not fetched (" + report.fatal.message() + ")";
        out.push_back(std::move(r));
        continue;
      }
      const acquire::FileResult& got = report.files[i];
      r.local_path = got.local_path;
      r.bytes = got.bytes;
      switch (got.outcome) {
        case acquire::FileOutcome::kVerified:
        case acquire::FileOutcome::kAlreadyCached:
          r.state = FetchState::kReady;
          break;
        case acquire::FileOutcome::kGap:
          r.state = FetchState::kGap;
          r.reason = got.file.url + ": " + got.reason;
          break;
        case acquire::FileOutcome::kFailed:
          r.state = FetchState::kFailed;
          r.reason = got.file.url + ": " + got.reason;
          break;
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  SourceFile Remember(const acquire::RemoteFile& f) {
    SourceFile s;
    s.collector = f.collector;
    s.kind = f.type == acquire::FileType::kRib ? signals::MrtFileKind::kRib : signals::MrtFileKind::kUpdates;
    s.start = f.start;
    s.period_s = f.type == acquire::FileType::kRib ? 0 : f.period_s;
    s.name = f.cache_path;
    remote_[s.name] = f;
    return s;
  }

  acquire::CollectorTable table_;
  acquire::ArchiveRoots roots_;
  std::optional<acquire::IndexService> index_;
  acquire::NetworkOptions network_;
  std::string cache_dir_;
  std::vector<const acquire::Collector*> collectors_;
  std::map<std::string, acquire::RemoteFile> remote_;  // by cache path
};

}  // namespace

Result<std::unique_ptr<FileSource>> MakeArchiveSource(const ObservatoryOptions& o, const std::atomic<bool>& stop) {
  auto table = acquire::LoadCollectorTable(o.collectors_file);
  if (!table.ok()) return table.status().WithContext("--collectors-file");
  auto roots = acquire::ParseArchiveRoots(*table, o.archive_roots);
  if (!roots.ok()) return roots.status().WithContext("--archive-url");
  std::optional<acquire::IndexService> index;
  if (!o.index.empty()) {
    auto parsed = acquire::ParseIndexService(o.index);
    if (!parsed.ok()) return parsed.status().WithContext("--index");
    index = *parsed;
  }
  acquire::NetworkOptions network;
  network.jobs = o.fetch_jobs;
  network.ca_file = o.ca_file;
  network.stop = &stop;
  auto source =
      std::make_unique<ArchiveSource>(std::move(*table), std::move(*roots), std::move(index), network, o.run.cache_dir);
  VIGIL_RETURN_IF_ERROR(source->Select(o.run.collectors));
  return std::unique_ptr<FileSource>(std::move(source));
}

}  // namespace vigil::observatory
