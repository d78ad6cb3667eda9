// SPDX-License-Identifier: AGPL-3.0-or-later
// StoreSignalSink: the one place where the signals stage meets the store.
#include <ctime>

#include "observatory/observatory.h"

namespace vigil::observatory {

StoreSignalSink::StoreSignalSink(store::Store& store, std::vector<int64_t> entity_ids, size_t group)
    : store_(store), entity_ids_(std::move(entity_ids)), group_(group) {}

Result<bool> StoreSignalSink::HasInput(const std::string& sha256) {
  if (pending_.count(sha256)) return true;
  if (preloaded_) return known_.count(sha256) > 0;
  return store_.HasInput(sha256);
}

Status StoreSignalSink::PreloadInputs(UnixSeconds from, UnixSeconds until) {
  auto listed = store_.ListInputs(from, until);
  if (!listed.ok()) return listed.status();
  for (const store::InputRecord& in : *listed) known_.insert(in.sha256);
  preloaded_ = true;
  return Status::Ok();
}

Result<std::optional<std::string>> StoreSignalSink::LoadState(const std::string& key) { return store_.GetState(key); }

store::SeriesBatch StoreSignalSink::Batch(const char* datasource, const signals::FileOutcome& outcome) const {
  store::SeriesBatch batch;
  batch.datasource = datasource;
  for (const signals::BinValues& bin : outcome.bins) {
    for (size_t e = 0; e < entity_ids_.size() && e < bin.counts.size(); ++e) {
      if (entity_ids_[e] == 0) continue;  // an entity without address space has no series
      batch.points.push_back(store::SeriesPoint{entity_ids_[e], bin.t, double(bin.counts[e])});
    }
  }
  return batch;
}

store::IngestCommit StoreSignalSink::MakeCommit(const signals::BgpFileCommit& c) const {
  store::IngestCommit commit;
  commit.input.sha256 = c.sha256;
  commit.input.name = c.input->name;
  commit.input.kind = c.kind;
  commit.input.collector = c.input->collector;
  commit.input.records = c.outcome->records;
  commit.input.first_t = c.outcome->first_t;
  commit.input.last_t = c.outcome->last_t;
  commit.input.ingested_at = std::time(nullptr);
  commit.series.push_back(Batch("bgp", *c.outcome));
  if (c.outcome_v6) commit.series.push_back(Batch("bgp-v6", *c.outcome_v6));
  return commit;
}

Status StoreSignalSink::CommitFile(const signals::BgpFileCommit& c) {
  store::IngestCommit commit = MakeCommit(c);
  if (c.already_ingested) {
    VIGIL_RETURN_IF_ERROR(Flush());  // keep the order of writes
    return store_.WriteSeries(commit.series);
  }
  const std::string key = c.state_key.empty() ? signals::kBgpStateKey : c.state_key;
  if (group_ <= 1) {
    if (c.state) commit.state.push_back(store::StateBlob{key, *c.state});
    if (c.state_v6) commit.state.push_back(store::StateBlob{signals::kBgpV6StateKey, *c.state_v6});
    return store_.CommitIngest(commit);
  }
  for (const store::SeriesBatch& batch : commit.series) pending_points_ += batch.points.size();
  pending_.insert(commit.input.sha256);
  if (c.state) pending_states_[key] = *c.state;  // a later state of the same key supersedes
  if (c.state_v6) pending_states_[signals::kBgpV6StateKey] = *c.state_v6;
  buffer_.push_back(std::move(commit));
  if (buffer_.size() >= group_ || pending_points_ >= max_pending_points_) return Flush();
  return Status::Ok();
}

void StoreSignalSink::SetUnboundedGroup() {
  group_ = SIZE_MAX;
  max_pending_points_ = SIZE_MAX;
}

Status StoreSignalSink::Flush() {
  if (buffer_.empty()) return Status::Ok();
  // The states go with the group's last input: all or nothing with the group on SQLite; before the inputs
  // rows on ClickHouse.
  for (auto& [key, bytes] : pending_states_) buffer_.back().state.push_back(store::StateBlob{key, std::move(bytes)});
  pending_states_.clear();
  auto done = store_.TryCommitIngestGroup(buffer_);
  buffer_.clear();
  pending_.clear();
  pending_points_ = 0;
  return done.status();
}

Result<std::vector<int64_t>> UpsertGeoEntities(store::Store& store, const std::vector<signals::EntityInfo>& infos) {
  std::vector<int64_t> ids(infos.size(), 0);
  std::map<std::string, int64_t> country_ids;
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<store::Entity> batch;
    std::vector<size_t> index;
    for (size_t i = 0; i < infos.size(); ++i) {
      const signals::EntityInfo& info = infos[i];
      bool has_space = info.slash24_count > 0 || info.slash48_count > 0;
      if (!has_space || (info.type == "country") == (pass == 1)) continue;
      store::Entity e;
      e.type = info.type;
      e.code = info.code;
      e.name = info.name;
      e.slash24_count = info.slash24_count;
      e.tz = info.tz;
      if (!info.parent_code.empty()) {
        auto it = country_ids.find(info.parent_code);
        if (it != country_ids.end()) e.parent_id = it->second;
      }
      batch.push_back(std::move(e));
      index.push_back(i);
    }
    VIGIL_RETURN_IF_ERROR(store.UpsertEntities(batch));
    for (size_t k = 0; k < batch.size(); ++k) {
      ids[index[k]] = batch[k].id;
      if (batch[k].type == "country") country_ids[batch[k].code] = batch[k].id;
    }
  }
  return ids;
}

store::Datasource BgpDatasource() {
  return store::Datasource{"bgp", 300,
                           "Visible /24s: IPv4 /24s covered by prefixes more than half the full-feed BGP peers carry"};
}

store::Datasource BgpV6Datasource() {
  return store::Datasource{
      "bgp-v6", 300, "Visible /48s: IPv6 /48s covered by prefixes more than half the full-feed IPv6 BGP peers carry"};
}

}  // namespace vigil::observatory
