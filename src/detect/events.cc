#include <algorithm>
#include <climits>
#include <cstdio>
#include <set>
#include <tuple>

#include "detect/detect.h"

namespace vigil::detect {
namespace {

constexpr UnixSeconds kOpen = INT64_MAX;

UnixSeconds EndOrOpen(UnixSeconds end_t) { return end_t == 0 ? kOpen : end_t; }

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonNumber(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

SignalRole RoleOf(const DetectOptions& options, const std::string& datasource) {
  auto it = options.datasources.find(datasource);
  return it != options.datasources.end() ? it->second.role : DefaultParams(datasource, 300).role;
}

// How far probing reachability must fall below the routed share before packets are said to be dropped on
// top of withdrawn routes (the two signals count different /24 populations, so they never agree exactly).
constexpr double kDataPlaneExcess = 0.2;

store::Event MakeEvent(const std::vector<const SeriesRun*>& group, const DetectOptions& options,
                       const store::Entity* entity) {
  store::Event event;
  event.entity_id = group.front()->entity_id;
  event.start_t = kOpen;
  UnixSeconds end = 0;
  double routing_depth = -1, reach_depth = -1, perf_depth = 0;
  std::map<std::string, const SeriesRun*> best;  // per datasource: the run with the largest score
  for (const SeriesRun* run : group) {
    event.start_t = std::min(event.start_t, run->start_t);
    end = std::max(end, EndOrOpen(run->end_t));
    auto& slot = best[run->datasource];
    if (!slot || run->score > slot->score) slot = run;
    switch (RoleOf(options, run->datasource)) {
      case SignalRole::kRouting:
        routing_depth = std::max(routing_depth, run->depth);
        break;
      case SignalRole::kReachability:
        reach_depth = std::max(reach_depth, run->depth);
        break;
      case SignalRole::kPerformance:
        if (run->datasource != "loss" || perf_depth == 0) perf_depth = std::max(perf_depth, run->depth);
        break;
    }
  }
  event.end_t = end == kOpen ? 0 : end;
  if (routing_depth >= 0 || reach_depth >= 0) {
    event.kind = "outage";
    if (routing_depth >= 0) {
      event.classification = "routing";
    } else {
      event.classification = "data-plane";
    }
    event.depth = std::max(routing_depth, reach_depth);
  } else {
    event.kind = "throttling";
    event.classification = "throttling";
    event.depth = perf_depth;
  }
  event.score = 1;
  std::string datasources, detail = "{\"datasources\":{", baselines;
  for (const auto& [name, run] : best) {
    event.score *= run->score;
    if (!datasources.empty()) {
      datasources += ',';
      detail += ',';
      baselines += ',';
    }
    datasources += name;
    detail += JsonString(name) + ":{\"start\":" + std::to_string(run->start_t) +
              ",\"end\":" + std::to_string(run->end_t) + ",\"score\":" + JsonNumber(run->score) +
              ",\"depth\":" + JsonNumber(run->depth) + ",\"baseline\":" + JsonNumber(run->baseline) +
              ",\"extreme\":" + JsonNumber(run->extreme_value) + ",\"bins\":" + std::to_string(run->bins) +
              ",\"worst\":\"" + LevelName(run->worst) + "\"}";
    baselines += JsonString(name) + ":" + JsonNumber(run->baseline);
  }
  detail += "}}";
  event.datasources = datasources;
  event.detail = detail;
  // Coverage: how much stood behind the event — the entity's /24s and each signal's baseline (routed /24s
  // for bgp, probed-and-up blocks for ping-slash24), so a reader can tell 3 blocks from 3,000.
  event.coverage = "{\"slash24_count\":" + std::to_string(entity ? entity->slash24_count : 0) +
                   ",\"baselines\":{" + baselines + "}}";
  return event;
}

}  // namespace

namespace {

// Groups runs of one entity that overlap or touch (sorted by entity, start).
std::vector<std::vector<const SeriesRun*>> GroupOverlapping(std::vector<const SeriesRun*> runs) {
  std::sort(runs.begin(), runs.end(), [](const SeriesRun* a, const SeriesRun* b) {
    return std::tie(a->entity_id, a->start_t, a->datasource) < std::tie(b->entity_id, b->start_t, b->datasource);
  });
  std::vector<std::vector<const SeriesRun*>> groups;
  UnixSeconds group_end = 0;
  for (const SeriesRun* run : runs) {
    if (groups.empty() || run->entity_id != groups.back().front()->entity_id || run->start_t > group_end) {
      groups.emplace_back();
      group_end = EndOrOpen(run->end_t);
    }
    groups.back().push_back(run);
    group_end = std::max(group_end, EndOrOpen(run->end_t));
  }
  return groups;
}

UnixSeconds Overlap(const store::Event& a, const store::Event& b) {
  const UnixSeconds lo = std::max(a.start_t, b.start_t);
  const UnixSeconds hi = std::min(EndOrOpen(a.end_t), EndOrOpen(b.end_t));
  return hi > lo ? hi - lo : 0;
}

}  // namespace

std::vector<store::Event> FuseRuns(const std::vector<SeriesRun>& runs, const DetectOptions& options,
                                   const std::map<int64_t, store::Entity>& entities) {
  std::vector<const SeriesRun*> outage_runs, performance_runs;
  for (const SeriesRun& run : runs) {
    (RoleOf(options, run.datasource) == SignalRole::kPerformance ? performance_runs : outage_runs).push_back(&run);
  }
  auto entity_of = [&](int64_t id) -> const store::Entity* {
    auto it = entities.find(id);
    return it == entities.end() ? nullptr : &it->second;
  };
  std::vector<store::Event> events;
  for (const auto& group : GroupOverlapping(outage_runs)) {
    // Routing and reachability runs of one outage usually tell one story (withdrawn /24s stop answering).
    // When probing fell much deeper than routing, packets were dropped on top of withdrawn routes: two
    // mechanisms, reported as two events (a routing one and a data-plane one).
    std::vector<const SeriesRun*> routing, reach;
    double routing_depth = -1, reach_depth = -1;
    for (const SeriesRun* run : group) {
      if (RoleOf(options, run->datasource) == SignalRole::kRouting) {
        routing.push_back(run);
        routing_depth = std::max(routing_depth, run->depth);
      } else {
        reach.push_back(run);
        reach_depth = std::max(reach_depth, run->depth);
      }
    }
    if (!routing.empty() && !reach.empty() && reach_depth > routing_depth + kDataPlaneExcess) {
      events.push_back(MakeEvent(routing, options, entity_of(group.front()->entity_id)));
      events.push_back(MakeEvent(reach, options, entity_of(group.front()->entity_id)));
    } else {
      events.push_back(MakeEvent(group, options, entity_of(group.front()->entity_id)));
    }
  }
  // Throttling: latency / loss up while reachability held. A rise mostly inside an outage of the same entity
  // is the outage seen through the few blocks still answering, not throttling.
  const size_t outages = events.size();
  for (const auto& group : GroupOverlapping(performance_runs)) {
    // Loss alone is not enough: on entities with few probed blocks the loss rate swings by more than 0.1
    // between rounds (seen in every noise-only scenario); throttling needs latency up as well.
    bool latency = false;
    for (const SeriesRun* run : group) {
      auto it = options.datasources.find(run->datasource);
      const Condition condition = it != options.datasources.end() ? it->second.condition
                                                                   : DefaultParams(run->datasource, 300).condition;
      latency |= condition == Condition::kRatioAbove;
    }
    if (!latency) continue;
    store::Event event = MakeEvent(group, options, entity_of(group.front()->entity_id));
    const UnixSeconds length = EndOrOpen(event.end_t) - event.start_t;
    bool inside_outage = false;
    for (size_t i = 0; i < outages; ++i) {
      if (events[i].entity_id == event.entity_id && 2 * Overlap(events[i], event) >= length) inside_outage = true;
    }
    if (!inside_outage) events.push_back(std::move(event));
  }
  std::sort(events.begin(), events.end(), [](const store::Event& a, const store::Event& b) {
    return std::tie(a.start_t, a.entity_id, a.kind, a.classification) <
           std::tie(b.start_t, b.entity_id, b.kind, b.classification);
  });
  return events;
}

void RollUpRegions(std::vector<store::Event>& events, const DetectOptions& options,
                   const std::map<int64_t, store::Entity>& entities) {
  // Regions per country, and the /24s each country holds (its own count, else the sum of its regions).
  std::map<int64_t, std::vector<int64_t>> regions_of;
  for (const auto& [id, entity] : entities) {
    if (entity.type == "region" && entity.parent_id != 0 && entity.slash24_count > 0) {
      regions_of[entity.parent_id].push_back(id);
    }
  }
  std::vector<store::Event> added;
  for (const auto& [country_id, regions] : regions_of) {
    auto country = entities.find(country_id);
    if (country == entities.end()) continue;
    double total = static_cast<double>(country->second.slash24_count);
    if (total <= 0) {
      for (int64_t region : regions) total += static_cast<double>(entities.at(region).slash24_count);
    }
    // Sweep over region outage boundaries: affected /24s = Σ region /24s × the event's depth.
    std::vector<std::tuple<UnixSeconds, double, size_t>> edges;  // time, delta, event index
    std::set<int64_t> region_set(regions.begin(), regions.end());
    for (size_t i = 0; i < events.size(); ++i) {
      const store::Event& e = events[i];
      if (e.kind != "outage" || !region_set.count(e.entity_id)) continue;
      double affected = static_cast<double>(entities.at(e.entity_id).slash24_count) * std::min(1.0, e.depth);
      edges.emplace_back(e.start_t, affected, i);
      if (e.end_t != 0) edges.emplace_back(e.end_t, -affected, i);
    }
    std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
      return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    double down = 0, peak = 0;
    std::optional<UnixSeconds> since;
    std::set<size_t> active, members;
    auto emit = [&](UnixSeconds until) {
      UnixSeconds end = until;
      bool covered = false;
      for (store::Event& e : events) {
        if (e.entity_id != country_id || e.kind != "outage") continue;
        if (e.start_t < EndOrOpen(end) && *since < EndOrOpen(e.end_t)) {
          covered = true;
          e.detail.insert(e.detail.size() - 1, ",\"rolled_up_regions\":" + std::to_string(members.size()));
        }
      }
      if (!covered) {
        store::Event event;
        event.entity_id = country_id;
        event.kind = "outage";
        event.start_t = *since;
        event.end_t = end;
        // The country's event takes the mechanism of the region outages that hold most of its /24s.
        std::map<std::string, double> weight;
        double score = 0;
        for (size_t i : members) {
          weight[events[i].classification] +=
              static_cast<double>(entities.at(events[i].entity_id).slash24_count) * std::min(1.0, events[i].depth);
          score = std::max(score, events[i].score);
        }
        event.classification = std::max_element(weight.begin(), weight.end(), [](const auto& a, const auto& b) {
                                 return a.second < b.second;
                               })->first;
        event.score = score;
        event.depth = peak / total;
        event.datasources = "rollup";
        event.coverage = "{\"slash24_count\":" + std::to_string(static_cast<int64_t>(total)) +
                         ",\"regions\":" + std::to_string(members.size()) + "}";
        event.detail = "{\"rollup\":{\"regions\":[";
        bool first = true;
        for (size_t i : members) {
          event.detail += (first ? "" : ",") + std::to_string(events[i].entity_id);
          first = false;
        }
        event.detail += "]}}";
        added.push_back(std::move(event));
      }
      members.clear();
    };
    for (size_t k = 0; k < edges.size();) {
      const UnixSeconds t = std::get<0>(edges[k]);
      for (; k < edges.size() && std::get<0>(edges[k]) == t; ++k) {
        const auto& [unused, delta, index] = edges[k];
        down += delta;
        if (delta > 0) {
          active.insert(index);
        } else {
          active.erase(index);
        }
      }
      const bool over = down >= options.rollup_share * total - 1e-9;
      if (over) {
        if (!since) {
          since = t;
          peak = 0;
        }
        peak = std::max(peak, down);
        members.insert(active.begin(), active.end());
      } else if (since) {
        emit(t);
        since.reset();
      }
    }
    if (since) emit(0);
  }
  events.insert(events.end(), added.begin(), added.end());
  std::sort(events.begin(), events.end(), [](const store::Event& a, const store::Event& b) {
    return std::tie(a.start_t, a.entity_id, a.kind) < std::tie(b.start_t, b.entity_id, b.kind);
  });
}

}  // namespace vigil::detect
