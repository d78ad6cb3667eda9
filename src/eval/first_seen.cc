// SPDX-License-Identifier: AGPL-3.0-or-later
// When each detected event was first visible: the store's series replayed in time order through a streaming
// detector (eval.h, ReplayFirstSeen).
#include <algorithm>
#include <map>
#include <tuple>

#include "detect/detect.h"
#include "eval/eval.h"
#include "store/store.h"

namespace vigil::eval {

Result<std::vector<FirstSeen>> ReplayFirstSeen(store::Store& store, UnixSeconds from, UnixSeconds until) {
  constexpr UnixSeconds kPrime = 8 * 86400;  // what `vigil detect --from` reads before its start
  constexpr UnixSeconds kTick = 300;
  auto entities = store.ListEntities(store::EntityQuery{});
  if (!entities.ok()) return entities.status();
  std::map<int64_t, const store::Entity*> by_id;
  for (const store::Entity& e : *entities) by_id[e.id] = &e;
  auto datasources = store.ListDatasources();
  if (!datasources.ok()) return datasources.status();
  struct Feed {
    std::string datasource;
    int64_t step_s = 0, entity_id = 0;
    std::vector<detect::Sample> samples;
    size_t next = 0;
  };
  std::vector<Feed> feeds;
  int64_t largest_step = kTick;
  for (const store::Datasource& ds : *datasources) {
    auto ids = store.EntitiesWithSeries(ds.name);
    if (!ids.ok()) return ids.status();
    for (int64_t id : *ids) {
      auto points = store.ReadSeries(ds.name, id, from - kPrime, until);
      if (!points.ok()) return points.status();
      Feed feed{ds.name, ds.step_s, id, {}, 0};
      for (const store::SeriesPoint& p : *points) feed.samples.push_back({p.t, p.value});
      feeds.push_back(std::move(feed));
    }
    largest_step = std::max(largest_step, ds.step_s);
  }
  detect::Detector detector(detect::DetectOptions{}, *entities);
  std::map<std::tuple<int64_t, std::string, UnixSeconds>, UnixSeconds> seen;
  for (UnixSeconds now = from; now <= until + 2 * largest_step; now += kTick) {
    bool fed = false;
    for (Feed& feed : feeds) {
      size_t end = feed.next;
      while (end < feed.samples.size() && feed.samples[end].t + 2 * feed.step_s <= now) ++end;
      if (end == feed.next) continue;
      std::vector<detect::Sample> chunk(feed.samples.begin() + feed.next, feed.samples.begin() + end);
      detector.Feed(feed.datasource, feed.step_s, feed.entity_id, chunk);
      feed.next = end;
      fed = true;
    }
    if (!fed) continue;
    for (const store::Event& e : detector.Result().events) {
      seen.emplace(std::make_tuple(e.entity_id, e.classification, e.start_t), now);
    }
  }
  std::vector<FirstSeen> out;
  for (const auto& [key, visible_at] : seen) {
    auto entity = by_id.find(std::get<0>(key));
    if (entity == by_id.end()) continue;
    out.push_back({entity->second->type, entity->second->code, std::get<1>(key), std::get<2>(key), visible_at});
  }
  return out;
}

}  // namespace vigil::eval
