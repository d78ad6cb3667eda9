// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <map>
#include <set>
#include <tuple>

#include "store/store.h"

namespace vigil::probe {

// Just enough of a store for ingest tests: entities, datasources, inputs and raw series in memory.
class FakeStore : public store::Store {
 public:
  Result<int64_t> UpsertEntity(const store::Entity& entity) override {
    for (auto& [id, e] : entities) {
      if (e.type == entity.type && e.code == entity.code) {
        e = entity;
        e.id = id;
        return id;
      }
    }
    int64_t id = static_cast<int64_t>(entities.size()) + 1;
    entities[id] = entity;
    entities[id].id = id;
    return id;
  }
  Status UpsertEntities(std::vector<store::Entity>& list) override {
    for (auto& e : list) e.id = *UpsertEntity(e);
    return Status::Ok();
  }
  Result<std::optional<store::Entity>> FindEntity(const std::string& type, const std::string& code) override {
    for (auto& [id, e] : entities) {
      if (e.type == type && e.code == code) return std::optional<store::Entity>(e);
    }
    return std::optional<store::Entity>();
  }
  Result<std::optional<store::Entity>> EntityById(int64_t id) override {
    auto it = entities.find(id);
    return it == entities.end() ? std::optional<store::Entity>() : std::optional<store::Entity>(it->second);
  }
  Result<std::vector<store::Entity>> ListEntities(const store::EntityQuery&) override {
    return Status::NotSupported("not supported");
  }
  Status RegisterDatasource(const store::Datasource& d) override {
    datasources[d.name] = d;
    return Status::Ok();
  }
  Result<std::vector<store::Datasource>> ListDatasources() override { return Status::NotSupported("not supported"); }
  Result<bool> HasInput(const std::string& sha256) override { return inputs.count(sha256) > 0; }
  Status CommitIngest(const store::IngestCommit& commit) override {
    if (fail_commits) return Status::ResourceExhausted("disk full");
    for (const auto& batch : commit.series) {
      if (!datasources.count(batch.datasource)) return Status::NotFound("unknown datasource " + batch.datasource);
      for (const auto& p : batch.points) series[{batch.datasource, p.entity_id, p.t}] = p.value;
    }
    inputs[commit.input.sha256] = commit.input;
    return Status::Ok();
  }
  Result<std::vector<store::InputRecord>> ListInputs(UnixSeconds, UnixSeconds) override {
    return Status::NotSupported("not supported");
  }
  Result<std::optional<std::string>> GetState(const std::string&) override { return std::optional<std::string>(); }
  Status WriteSeries(const std::vector<store::SeriesBatch>&) override { return Status::NotSupported("not supported"); }
  Result<std::vector<store::SeriesPoint>> ReadSeries(const std::string&, int64_t, UnixSeconds, UnixSeconds) override {
    return Status::NotSupported("not supported");
  }
  Result<store::AggregatedSeries> ReadAggregated(const std::string&, int64_t, UnixSeconds, UnixSeconds,
                                                 int64_t) override {
    return Status::NotSupported("not supported");
  }
  Result<std::vector<int64_t>> EntitiesWithSeries(const std::string&) override {
    return Status::NotSupported("not supported");
  }
  Result<std::optional<std::pair<UnixSeconds, UnixSeconds>>> SeriesSpan(const std::string&) override {
    return Status::NotSupported("not supported");
  }
  Status ReplaceDetection(UnixSeconds, std::vector<store::Alert>&, std::vector<store::Event>&,
                          std::vector<store::Schedule>&) override {
    return Status::NotSupported("not supported");
  }
  Result<std::vector<store::Alert>> ListAlerts(const store::TimeFilter&) override {
    return Status::NotSupported("not supported");
  }
  Result<std::vector<store::Event>> ListEvents(const store::TimeFilter&) override {
    return Status::NotSupported("not supported");
  }
  Result<std::optional<store::Event>> EventById(int64_t) override { return Status::NotSupported("not supported"); }
  Result<std::vector<store::Schedule>> ListSchedules(const std::vector<int64_t>&) override {
    return Status::NotSupported("not supported");
  }
  Result<int64_t> AddAnnotation(const store::Annotation&) override { return Status::NotSupported("not supported"); }
  Status DeleteAnnotation(int64_t) override { return Status::NotSupported("not supported"); }
  Result<std::vector<store::Annotation>> ListAnnotations(const store::TimeFilter&) override {
    return Status::NotSupported("not supported");
  }

  std::map<int64_t, store::Entity> entities;
  std::map<std::string, store::Datasource> datasources;
  std::map<std::string, store::InputRecord> inputs;
  std::map<std::tuple<std::string, int64_t, UnixSeconds>, double> series;
  bool fail_commits = false;
};

}  // namespace vigil::probe
