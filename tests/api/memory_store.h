// SPDX-License-Identifier: AGPL-3.0-or-later
// An obvious in-memory store::Store for API tests: linear scans, no persistence. It is the reference the
// API tests run against (and a stand-in until a real backend is available in a test).
#pragma once

#include <algorithm>
#include <map>
#include <mutex>

#include "store/store.h"

namespace vigil::api_test {

class MemoryStore : public store::Store {
 public:
  Result<int64_t> UpsertEntity(const store::Entity& entity) override {
    std::lock_guard lock(mu_);
    for (auto& e : entities_) {
      if (e.type == entity.type && e.code == entity.code) {
        int64_t id = e.id;
        e = entity;
        e.id = id;
        return id;
      }
    }
    store::Entity copy = entity;
    copy.id = static_cast<int64_t>(entities_.size()) + 1;
    entities_.push_back(copy);
    return copy.id;
  }
  Status UpsertEntities(std::vector<store::Entity>& entities) override {
    for (auto& e : entities) {
      auto id = UpsertEntity(e);
      if (!id.ok()) return id.status();
      e.id = *id;
    }
    return Status::Ok();
  }
  Result<std::optional<store::Entity>> FindEntity(const std::string& type, const std::string& code) override {
    std::lock_guard lock(mu_);
    for (const auto& e : entities_) {
      if (e.type == type && e.code == code) return std::optional<store::Entity>(e);
    }
    return std::optional<store::Entity>();
  }
  Result<std::optional<store::Entity>> EntityById(int64_t id) override {
    std::lock_guard lock(mu_);
    if (id < 1 || id > static_cast<int64_t>(entities_.size())) return std::optional<store::Entity>();
    return std::optional<store::Entity>(entities_[id - 1]);
  }
  Result<std::vector<store::Entity>> ListEntities(const store::EntityQuery& q) override {
    std::lock_guard lock(mu_);
    std::vector<store::Entity> out;
    auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    for (const auto& e : entities_) {
      if (q.type && e.type != *q.type) continue;
      if (q.code && e.code != *q.code) continue;
      if (q.parent_id && e.parent_id != *q.parent_id) continue;
      if (q.search && lower(e.code).find(lower(*q.search)) == std::string::npos &&
          lower(e.name).find(lower(*q.search)) == std::string::npos) {
        continue;
      }
      out.push_back(e);
    }
    return Page(out, q.limit, q.offset);
  }
  Status RegisterDatasource(const store::Datasource& d) override {
    std::lock_guard lock(mu_);
    for (auto& x : datasources_) {
      if (x.name == d.name) {
        x = d;
        return Status::Ok();
      }
    }
    datasources_.push_back(d);
    return Status::Ok();
  }
  Result<std::vector<store::Datasource>> ListDatasources() override {
    std::lock_guard lock(mu_);
    return datasources_;
  }
  Result<bool> HasInput(const std::string& sha256) override {
    std::lock_guard lock(mu_);
    return std::any_of(inputs_.begin(), inputs_.end(), [&](const auto& i) { return i.sha256 == sha256; });
  }
  Status CommitIngest(const store::IngestCommit& commit) override {
    if (*HasInput(commit.input.sha256)) return Status::Ok();
    VIGIL_RETURN_IF_ERROR(WriteSeries(commit.series));
    std::lock_guard lock(mu_);
    inputs_.push_back(commit.input);
    for (const auto& s : commit.state) state_[s.key] = s.bytes;
    return Status::Ok();
  }
  Result<std::vector<store::InputRecord>> ListInputs(UnixSeconds from, UnixSeconds until) override {
    std::lock_guard lock(mu_);
    std::vector<store::InputRecord> out;
    for (const auto& i : inputs_) {
      if (i.last_t >= from && (until <= 0 || i.first_t < until)) out.push_back(i);
    }
    return out;
  }
  Result<std::optional<std::string>> GetState(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = state_.find(key);
    if (it == state_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status WriteSeries(const std::vector<store::SeriesBatch>& batches) override {
    std::lock_guard lock(mu_);
    for (const auto& b : batches) {
      for (const auto& p : b.points) series_[{b.datasource, p.entity_id}][p.t] = p.value;
    }
    return Status::Ok();
  }
  Result<std::vector<store::SeriesPoint>> ReadSeries(const std::string& ds, int64_t entity_id, UnixSeconds from,
                                                     UnixSeconds until) override {
    std::lock_guard lock(mu_);
    std::vector<store::SeriesPoint> out;
    auto it = series_.find({ds, entity_id});
    if (it == series_.end()) return out;
    for (auto p = it->second.lower_bound(from); p != it->second.end() && p->first < until; ++p) {
      out.push_back({entity_id, p->first, p->second});
    }
    return out;
  }
  Result<store::AggregatedSeries> ReadAggregated(const std::string& ds, int64_t entity_id, UnixSeconds from,
                                                 UnixSeconds until, int64_t step_s) override {
    store::AggregatedSeries out;
    out.datasource = ds;
    out.entity_id = entity_id;
    out.from = from;
    out.until = until;
    out.step_s = step_s;
    {
      std::lock_guard lock(mu_);
      for (const auto& d : datasources_) {
        if (d.name == ds) out.native_step_s = d.step_s;
      }
    }
    size_t n = static_cast<size_t>((until - from + step_s - 1) / step_s);
    std::vector<double> sum(n, 0);
    std::vector<int> count(n, 0);
    auto points = ReadSeries(ds, entity_id, from, until);
    for (const auto& p : *points) {
      size_t i = static_cast<size_t>((p.t - from) / step_s);
      sum[i] += p.value;
      count[i]++;
    }
    for (size_t i = 0; i < n; ++i) {
      out.values.push_back(count[i] ? std::optional<double>(sum[i] / count[i]) : std::nullopt);
    }
    return out;
  }
  Result<std::vector<int64_t>> EntitiesWithSeries(const std::string& ds) override {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out;
    for (const auto& [key, points] : series_) {
      if (key.first == ds && !points.empty()) out.push_back(key.second);
    }
    return out;
  }
  Result<std::optional<std::pair<UnixSeconds, UnixSeconds>>> SeriesSpan(const std::string& ds) override {
    std::lock_guard lock(mu_);
    std::optional<std::pair<UnixSeconds, UnixSeconds>> span;
    for (const auto& [key, points] : series_) {
      if (key.first != ds || points.empty()) continue;
      UnixSeconds a = points.begin()->first, b = points.rbegin()->first;
      span = span ? std::make_pair(std::min(span->first, a), std::max(span->second, b)) : std::make_pair(a, b);
    }
    return span;
  }
  Status ReplaceDetection(UnixSeconds from_t, std::vector<store::Alert>& alerts, std::vector<store::Event>& events,
                          std::vector<store::Schedule>& schedules) override {
    std::lock_guard lock(mu_);
    std::erase_if(alerts_, [&](const auto& a) { return a.t >= from_t; });
    std::erase_if(events_, [&](const auto& e) { return e.start_t >= from_t; });
    for (auto& s : schedules) {
      if (s.id == 0) s.id = next_id_++;
    }
    schedules_ = schedules;
    for (auto& a : alerts) {
      a.id = next_id_++;
      alerts_.push_back(a);
    }
    for (auto& e : events) {
      e.id = next_id_++;
      if (e.schedule_id < 0) e.schedule_id = schedules[-e.schedule_id - 1].id;
      events_.push_back(e);
    }
    return Status::Ok();
  }
  Result<std::vector<store::Alert>> ListAlerts(const store::TimeFilter& f) override {
    std::lock_guard lock(mu_);
    std::vector<store::Alert> out;
    for (const auto& a : alerts_) {
      if (a.t < f.from || (f.until > 0 && a.t >= f.until)) continue;
      if (!Matches(f, a.entity_id) || (f.datasource && a.datasource != *f.datasource)) continue;
      out.push_back(a);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.t < b.t; });
    return Page(out, f.limit, f.offset);
  }
  Result<std::vector<store::Event>> ListEvents(const store::TimeFilter& f) override {
    std::lock_guard lock(mu_);
    std::vector<store::Event> out;
    for (const auto& e : events_) {
      bool overlaps = (e.end_t == 0 || e.end_t > f.from) && (f.until <= 0 || e.start_t < f.until);
      if (!overlaps || !Matches(f, e.entity_id)) continue;
      out.push_back(e);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.start_t < b.start_t; });
    return Page(out, f.limit, f.offset);
  }
  Result<std::optional<store::Event>> EventById(int64_t id) override {
    std::lock_guard lock(mu_);
    for (const auto& e : events_) {
      if (e.id == id) return std::optional<store::Event>(e);
    }
    return std::optional<store::Event>();
  }
  Result<std::vector<store::Schedule>> ListSchedules(const std::vector<int64_t>& ids) override {
    std::lock_guard lock(mu_);
    std::vector<store::Schedule> out;
    for (const auto& s : schedules_) {
      if (ids.empty() || std::find(ids.begin(), ids.end(), s.entity_id) != ids.end()) out.push_back(s);
    }
    return out;
  }
  Result<int64_t> AddAnnotation(const store::Annotation& a) override {
    std::lock_guard lock(mu_);
    store::Annotation copy = a;
    copy.id = next_id_++;
    annotations_.push_back(copy);
    return copy.id;
  }
  Status DeleteAnnotation(int64_t id) override {
    std::lock_guard lock(mu_);
    auto n = std::erase_if(annotations_, [&](const auto& a) { return a.id == id; });
    return n ? Status::Ok() : Status::NotFound("no annotation " + std::to_string(id));
  }
  Result<std::vector<store::Annotation>> ListAnnotations(const store::TimeFilter& f) override {
    std::lock_guard lock(mu_);
    std::vector<store::Annotation> out;
    for (const auto& a : annotations_) {
      bool overlaps = (a.end_t == 0 || a.end_t > f.from) && (f.until <= 0 || a.start_t < f.until);
      if (overlaps && Matches(f, a.entity_id)) out.push_back(a);
    }
    return Page(out, f.limit, f.offset);
  }

 private:
  static bool Matches(const store::TimeFilter& f, int64_t entity_id) {
    return f.entity_ids.empty() || std::find(f.entity_ids.begin(), f.entity_ids.end(), entity_id) != f.entity_ids.end();
  }
  template <typename T>
  static std::vector<T> Page(std::vector<T> items, int64_t limit, int64_t offset) {
    if (offset > 0) items.erase(items.begin(), items.begin() + std::min<size_t>(offset, items.size()));
    if (limit > 0 && items.size() > static_cast<size_t>(limit)) items.resize(limit);
    return items;
  }

  std::mutex mu_;
  std::vector<store::Entity> entities_;
  std::vector<store::Datasource> datasources_;
  std::vector<store::InputRecord> inputs_;
  std::map<std::string, std::string> state_;
  std::map<std::pair<std::string, int64_t>, std::map<UnixSeconds, double>> series_;
  std::vector<store::Alert> alerts_;
  std::vector<store::Event> events_;
  std::vector<store::Schedule> schedules_;
  std::vector<store::Annotation> annotations_;
  int64_t next_id_ = 1;
};

}  // namespace vigil::api_test
