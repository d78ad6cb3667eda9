// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/ingest.h"

#include <time.h>

#include <algorithm>
#include <filesystem>

#include "base/sha256.h"

namespace vigil::probe {

std::optional<double> Median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

std::map<EntityKey, EntityRound> SummariseRound(const RoundLog& log, EntityDirectory& directory) {
  struct Totals {
    EntityRound round;
    std::vector<double> rtts;
    int64_t sent_up = 0;
    int64_t replies_up = 0;
  };
  std::map<EntityKey, Totals> totals;
  for (const auto& block : log.blocks) {
    for (const auto& key : directory.EntitiesOfBlock(block.base)) {
      Totals& t = totals[key];
      ++t.round.blocks;
      t.rtts.insert(t.rtts.end(), block.rtts_ms.begin(), block.rtts_ms.end());
      if (block.state == BlockState::kUp) {
        ++t.round.up;
        t.sent_up += block.sent;
        t.replies_up += block.replies;
      }
    }
  }
  std::map<EntityKey, EntityRound> out;
  for (auto& [key, t] : totals) {
    t.round.rtt_p50_ms = Median(std::move(t.rtts));
    if (t.sent_up > 0) t.round.loss = 1.0 - double(t.replies_up) / double(t.sent_up);
    out.emplace(key, t.round);
  }
  return out;
}

Status RegisterProbeDatasources(store::Store& store) {
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"ping-slash24", 600, "Active probing: /24 blocks up (Trinocular)"}));
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"rtt-p50", 600, "Active probing: median echo RTT, ms"}));
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"loss", 600, "Active probing: probe loss over up blocks, 0..1"}));
  return Status::Ok();
}

namespace {

Result<int64_t> EnsureEntity(const EntityKey& key, store::Store& store, EntityDirectory& directory,
                             store::ProvenanceKind kind, std::map<EntityKey, int64_t>& ids) {
  if (auto it = ids.find(key); it != ids.end()) return it->second;
  store::Entity entity = directory.Describe(key);
  entity.type = key.type;
  entity.code = key.code;
  entity.parent_id = 0;
  entity.provenance = kind;
  if (auto parent = directory.ParentOf(key); parent && *parent != key) {
    auto parent_id = EnsureEntity(*parent, store, directory, kind, ids);
    if (!parent_id.ok()) return parent_id.status();
    entity.parent_id = *parent_id;
  }
  auto id = store.UpsertEntity(entity);
  if (!id.ok()) return id.status();
  ids[key] = *id;
  return *id;
}

}  // namespace

Result<IngestReport> IngestRoundLogFile(const std::string& path, store::Store& store, EntityDirectory& directory,
                                        const store::Provenance& provenance) {
  store::IngestCommit commit;
  auto report = PrepareRoundLogCommit(path, store, directory, provenance, commit);
  if (!report.ok() || report->skipped) return report;
  // TryCommitIngest settles a race with another ingest of the same file: only one of them commits.
  auto committed = store.TryCommitIngest(commit);
  if (!committed.ok()) return committed.status().WithContext(path);
  report->skipped = !*committed;
  if (report->skipped) report->points = 0;
  return report;
}

Result<IngestReport> PrepareRoundLogCommit(const std::string& path, store::Store& store, EntityDirectory& directory,
                                           const store::Provenance& provenance, store::IngestCommit& commit) {
  IngestReport report;
  auto sha = Sha256OfFile(path);
  if (!sha.ok()) return sha.status();
  auto seen = store.HasInput(*sha);
  if (!seen.ok()) return seen.status().WithContext(path);
  if (*seen) {
    report.skipped = true;
    return report;
  }
  auto log = ReadRoundLog(path);
  if (!log.ok()) return log.status();
  report.start = log->start;
  report.blocks = log->blocks.size();
  auto figures = SummariseRound(*log, directory);
  report.entities = figures.size();

  commit = store::IngestCommit{};
  commit.input.sha256 = *sha;
  commit.input.name = path;
  commit.input.kind = "probe-log";
  commit.input.records = static_cast<int64_t>(log->blocks.size());
  commit.input.first_t = log->start;
  commit.input.last_t = log->start + log->round_s;
  commit.input.ingested_at = static_cast<UnixSeconds>(::time(nullptr));
  commit.input.provenance = provenance;
  // An observed round names the prober that made it (the log's header).
  if (provenance.kind == store::ProvenanceKind::kObserved) commit.input.provenance.source = "prober " + log->prober;
  store::SeriesBatch up{"ping-slash24", {}, provenance.kind}, rtt{"rtt-p50", {}, provenance.kind},
      loss{"loss", {}, provenance.kind};
  std::map<EntityKey, int64_t> ids;
  for (const auto& [key, round] : figures) {
    auto id = EnsureEntity(key, store, directory, provenance.kind, ids);
    if (!id.ok()) return id.status().WithContext(path);
    up.points.push_back({*id, log->start, double(round.up)});
    if (round.rtt_p50_ms) rtt.points.push_back({*id, log->start, *round.rtt_p50_ms});
    if (round.loss) loss.points.push_back({*id, log->start, *round.loss});
  }
  report.points = up.points.size() + rtt.points.size() + loss.points.size();
  commit.series = {std::move(up), std::move(rtt), std::move(loss)};
  return report;
}

Result<std::vector<std::string>> RoundLogFiles(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path, error)) {
        std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && name.starts_with("probe-round.") &&
            (name.ends_with(".tsv") || name.ends_with(".tsv.gz"))) {
          found.push_back(entry.path().string());
        }
      }
      if (error) return Status::IOError(path + ": " + error.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, error)) {
      files.push_back(path);
    } else {
      return Status::NotFound(path + ": no such file or directory");
    }
  }
  return files;
}

}  // namespace vigil::probe
