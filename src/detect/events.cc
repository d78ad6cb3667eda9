// SPDX-License-Identifier: AGPL-3.0-or-later
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

#include "base/json_text.h"
#include "detect/detect.h"

namespace vigil::detect {
namespace {

constexpr UnixSeconds kOpen = INT64_MAX;

UnixSeconds EndOrOpen(UnixSeconds end_t) { return end_t == 0 ? kOpen : end_t; }

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
constexpr double kDataPlaneExcess = 0.12;
// Touching data-plane observations whose excess differs by less than this are one block.
constexpr double kExcessMerge = 0.1;

store::Event MakeEvent(const std::vector<const SeriesRun*>& group, const DetectOptions& options,
                       const store::Entity* entity, const char* outage_classification) {
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
    event.classification = outage_classification;
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
              ",\"worst\":\"" + store::AlertLevelName(run->worst) + "\"}";
    baselines += JsonString(name) + ":" + JsonNumber(run->baseline);
  }
  detail += "}}";
  event.datasources = datasources;
  event.detail = detail;
  // Coverage: how much stood behind the event — the entity's /24s and each signal's baseline (routed /24s
  // for bgp, probed-and-up blocks for ping-slash24), so a reader can tell 3 blocks from 3,000.
  event.coverage = "{\"slash24_count\":" + std::to_string(entity ? entity->slash24_count : 0) + ",\"baselines\":{" +
                   baselines + "}}";
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

struct Span {
  UnixSeconds start = 0, end = 0;  // end kOpen while open
  UnixSeconds length() const { return end - start; }
};

Span SpanOf(const std::vector<const SeriesRun*>& runs) {
  Span s{kOpen, 0};
  for (const SeriesRun* run : runs) {
    s.start = std::min(s.start, run->start_t);
    s.end = std::max(s.end, EndOrOpen(run->end_t));
  }
  return s;
}

UnixSeconds SpanOverlap(const Span& a, const Span& b) {
  const UnixSeconds lo = std::max(a.start, b.start), hi = std::min(a.end, b.end);
  return hi > lo ? hi - lo : 0;
}

double MeanDepth(const std::vector<const SeriesRun*>& runs) {
  double depth = 0;
  for (const SeriesRun* run : runs) depth = std::max(depth, run->mean_depth);
  return depth;
}

// Clusters segments of each entity that overlap by at least half of the shorter one (segments of one series
// never overlap, so only different datasources of one role join; adjacent segments of a split run stay apart).
std::vector<std::vector<const SeriesRun*>> ClusterSegments(std::vector<const SeriesRun*> runs) {
  std::sort(runs.begin(), runs.end(), [](const SeriesRun* a, const SeriesRun* b) {
    return std::tie(a->entity_id, a->start_t, a->datasource) < std::tie(b->entity_id, b->start_t, b->datasource);
  });
  std::vector<std::vector<const SeriesRun*>> clusters;
  for (const SeriesRun* run : runs) {
    if (!clusters.empty() && clusters.back().front()->entity_id == run->entity_id) {
      const Span c = SpanOf(clusters.back()), r = SpanOf({run});
      const UnixSeconds o = SpanOverlap(c, r);
      if (o > 0 && o >= std::min(c.length(), r.length()) - o) {
        clusters.back().push_back(run);
        continue;
      }
    }
    clusters.push_back({run});
  }
  return clusters;
}

UnixSeconds Overlap(const store::Event& a, const store::Event& b) {
  const UnixSeconds lo = std::max(a.start_t, b.start_t);
  const UnixSeconds hi = std::min(EndOrOpen(a.end_t), EndOrOpen(b.end_t));
  return hi > lo ? hi - lo : 0;
}

}  // namespace

namespace {

const store::Entity* EntityOf(const std::map<int64_t, store::Entity>& entities, int64_t id) {
  auto it = entities.find(id);
  return it == entities.end() ? nullptr : &it->second;
}

// What routing did over a reachability observation: the routing observation that overlaps it most (SIZE_MAX:
// none), and the deepest mean drop of those covering at least half of it (else 0).
struct RoutingMatch {
  size_t best = SIZE_MAX;
  double drop = 0;
};

RoutingMatch MatchRouting(const Span& ps, const std::vector<size_t>& candidates,
                          const std::vector<std::vector<const SeriesRun*>>& routing) {
  RoutingMatch match;
  UnixSeconds best_overlap = 0;
  for (size_t r : candidates) {
    const UnixSeconds o = SpanOverlap(ps, SpanOf(routing[r]));
    if (o > best_overlap) {
      match.best = r;
      best_overlap = o;
    }
    // Edges of 5-min routing and 10-min probing bins differ by up to a bin: a routing observation
    // counts over the whole reachability one when it covers at least half of it.
    if (o >= ps.length() - o) match.drop = std::max(match.drop, MeanDepth(routing[r]));
  }
  return match;
}

// Outages. Segments of one signal role that overlap by half the shorter one are one observation (several
// reachability indices of one entity). Each reachability observation is compared with what routing did over
// the same time (the deepest routing observation covering at least half of it, else 0): the excess, reachability drop
// − routing drop, is the share of probed blocks that stopped answering although still routed. Below
// kDataPlaneExcess the observation is the withdraw seen through probing: it joins the routing observation it
// overlaps most, which becomes one `routing+data-plane` event. Above, packets were dropped on top of (or
// without) withdrawn routes: a `data-plane` event with its own timing; touching data-plane observations
// whose excess agrees within kExcessMerge are one event (the block went on while routing changed under
// it). Routing observations left alone are `routing` events.
std::vector<store::Event> FuseOutages(const std::vector<const SeriesRun*>& outage_runs, const DetectOptions& options,
                                      const std::map<int64_t, store::Entity>& entities) {
  std::vector<store::Event> events;
  std::vector<const SeriesRun*> routing_runs, reach_runs;
  for (const SeriesRun* run : outage_runs) {
    (RoleOf(options, run->datasource) == SignalRole::kRouting ? routing_runs : reach_runs).push_back(run);
  }
  const auto routing = ClusterSegments(routing_runs);
  const auto reach = ClusterSegments(reach_runs);
  std::map<int64_t, std::vector<size_t>> routing_of_entity;
  for (size_t r = 0; r < routing.size(); ++r) routing_of_entity[routing[r].front()->entity_id].push_back(r);
  std::vector<std::vector<size_t>> explained(routing.size());
  std::vector<const SeriesRun*> plane;  // current data-plane event being merged
  double plane_excess = 0;
  UnixSeconds plane_end = 0;
  auto flush_plane = [&]() {
    if (!plane.empty()) {
      events.push_back(MakeEvent(plane, options, EntityOf(entities, plane.front()->entity_id), "data-plane"));
    }
    plane.clear();
  };
  for (size_t p = 0; p < reach.size(); ++p) {
    const int64_t entity_id = reach[p].front()->entity_id;
    const Span ps = SpanOf(reach[p]);
    auto it = routing_of_entity.find(entity_id);
    const RoutingMatch match = it != routing_of_entity.end() ? MatchRouting(ps, it->second, routing) : RoutingMatch{};
    const double excess = MeanDepth(reach[p]) - match.drop;
    if (match.best != SIZE_MAX && excess < kDataPlaneExcess) {
      explained[match.best].push_back(p);
      continue;
    }
    const bool joins = !plane.empty() && plane.front()->entity_id == entity_id && plane_end == ps.start &&
                       std::fabs(excess - plane_excess) < kExcessMerge;
    if (!joins) flush_plane();
    plane.insert(plane.end(), reach[p].begin(), reach[p].end());
    plane_excess = excess;
    plane_end = ps.end;
  }
  flush_plane();
  for (size_t r = 0; r < routing.size(); ++r) {
    const store::Entity* entity = EntityOf(entities, routing[r].front()->entity_id);
    if (explained[r].empty()) {
      events.push_back(MakeEvent(routing[r], options, entity, "routing"));
      continue;
    }
    std::vector<const SeriesRun*> all = routing[r];
    for (size_t p : explained[r]) all.insert(all.end(), reach[p].begin(), reach[p].end());
    events.push_back(MakeEvent(all, options, entity, "routing+data-plane"));
  }
  return events;
}

// Loss alone is not enough: on entities with few probed blocks the loss rate swings by more than 0.1
// between rounds (seen in every noise-only scenario); throttling needs latency up as well.
bool HasLatencyRise(const std::vector<const SeriesRun*>& group, const DetectOptions& options) {
  bool latency = false;
  for (const SeriesRun* run : group) {
    auto it = options.datasources.find(run->datasource);
    const Condition condition =
        it != options.datasources.end() ? it->second.condition : DefaultParams(run->datasource, 300).condition;
    latency |= condition == Condition::kRatioAbove;
  }
  return latency;
}

// Whether at least half of `event` lies inside one outage of its entity among the first `outages` events.
bool MostlyInsideOutage(const store::Event& event, const std::vector<store::Event>& events, size_t outages) {
  const UnixSeconds length = EndOrOpen(event.end_t) - event.start_t;
  bool inside_outage = false;
  for (size_t i = 0; i < outages; ++i) {
    if (events[i].entity_id != event.entity_id) continue;
    const UnixSeconds o = Overlap(events[i], event);
    if (o >= length - o) inside_outage = true;  // (2·o would overflow for open events)
  }
  return inside_outage;
}

// Throttling: latency / loss up while reachability held. A rise mostly inside an outage of the same entity
// is the outage seen through the few blocks still answering, not throttling. Appended to the outage events.
void AddThrottling(const std::vector<const SeriesRun*>& performance_runs, const DetectOptions& options,
                   const std::map<int64_t, store::Entity>& entities, std::vector<store::Event>& events) {
  const size_t outages = events.size();
  for (const auto& group : GroupOverlapping(performance_runs)) {
    if (!HasLatencyRise(group, options)) continue;
    store::Event event = MakeEvent(group, options, EntityOf(entities, group.front()->entity_id), "");
    if (!MostlyInsideOutage(event, events, outages)) events.push_back(std::move(event));
  }
}

}  // namespace

std::vector<store::Event> FuseRuns(const std::vector<SeriesRun>& runs, const DetectOptions& options,
                                   const std::map<int64_t, store::Entity>& entities) {
  std::vector<const SeriesRun*> outage_runs, performance_runs;
  for (const SeriesRun& run : runs) {
    (RoleOf(options, run.datasource) == SignalRole::kPerformance ? performance_runs : outage_runs).push_back(&run);
  }
  std::vector<store::Event> events = FuseOutages(outage_runs, options, entities);
  AddThrottling(performance_runs, options, entities, events);
  std::sort(events.begin(), events.end(), [](const store::Event& a, const store::Event& b) {
    return std::tie(a.start_t, a.entity_id, a.kind, a.classification) <
           std::tie(b.start_t, b.entity_id, b.kind, b.classification);
  });
  return events;
}

namespace {

// Regions (with /24s) of each country, by the country's id.
std::map<int64_t, std::vector<int64_t>> RegionsOfCountries(const std::map<int64_t, store::Entity>& entities) {
  std::map<int64_t, std::vector<int64_t>> regions_of;
  for (const auto& [id, entity] : entities) {
    if (entity.type == "region" && entity.parent_id != 0 && entity.slash24_count > 0) {
      regions_of[entity.parent_id].push_back(id);
    }
  }
  return regions_of;
}

// An edge of a region outage: its time, the /24s it takes down (negative: brings back), the event's index.
using RollUpEdge = std::tuple<UnixSeconds, double, size_t>;

// The edges of the outage events of `regions`, in time order (at one time, the ends first): affected /24s =
// region /24s × the event's depth.
std::vector<RollUpEdge> RegionOutageEdges(const std::vector<store::Event>& events, const std::vector<int64_t>& regions,
                                          const std::map<int64_t, store::Entity>& entities) {
  std::vector<RollUpEdge> edges;
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
  return edges;
}

// The country's own outage events over [since, end) (end 0: open) note how many regions were rolled up into
// them; false when it has none there.
bool NoteRolledUpRegions(int64_t country_id, UnixSeconds since, UnixSeconds end, size_t regions,
                         std::vector<store::Event>& events) {
  bool covered = false;
  for (store::Event& e : events) {
    if (e.entity_id != country_id || e.kind != "outage") continue;
    if (e.start_t < EndOrOpen(end) && since < EndOrOpen(e.end_t)) {
      covered = true;
      e.detail.insert(e.detail.size() - 1, ",\"rolled_up_regions\":" + std::to_string(regions));
    }
  }
  return covered;
}

// The country's outage over [since, end) made of the region outages `members` (indices into events); its depth
// is the peak of affected /24s over the country's `total`.
store::Event RollUpEvent(int64_t country_id, UnixSeconds since, UnixSeconds end, const std::set<size_t>& members,
                         double peak, double total, const std::vector<store::Event>& events,
                         const std::map<int64_t, store::Entity>& entities) {
  store::Event event;
  event.entity_id = country_id;
  event.kind = "outage";
  event.start_t = since;
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
  return event;
}

// Sweeps the country's region outage edges: while the affected /24s reach rollup_share of the country's
// `total`, the country is down. Each such span notes itself in the country's own outage events, else becomes a
// rolled-up event in `added`.
void RollUpCountry(int64_t country_id, double total, const std::vector<RollUpEdge>& edges, double rollup_share,
                   const std::map<int64_t, store::Entity>& entities, std::vector<store::Event>& events,
                   std::vector<store::Event>& added) {
  double down = 0, peak = 0;
  std::optional<UnixSeconds> since;
  std::set<size_t> active, members;
  auto emit = [&](UnixSeconds until) {
    if (!NoteRolledUpRegions(country_id, *since, until, members.size(), events)) {
      added.push_back(RollUpEvent(country_id, *since, until, members, peak, total, events, entities));
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
    const bool over = down >= rollup_share * total - 1e-9;
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

}  // namespace

void RollUpRegions(std::vector<store::Event>& events, const DetectOptions& options,
                   const std::map<int64_t, store::Entity>& entities) {
  std::vector<store::Event> added;
  for (const auto& [country_id, regions] : RegionsOfCountries(entities)) {
    auto country = entities.find(country_id);
    if (country == entities.end()) continue;
    // The /24s the country holds: its own count, else the sum of its regions'.
    double total = static_cast<double>(country->second.slash24_count);
    if (total <= 0) {
      for (int64_t region : regions) total += static_cast<double>(entities.at(region).slash24_count);
    }
    RollUpCountry(country_id, total, RegionOutageEdges(events, regions, entities), options.rollup_share, entities,
                  events, added);
  }
  events.insert(events.end(), added.begin(), added.end());
  std::sort(events.begin(), events.end(), [](const store::Event& a, const store::Event& b) {
    return std::tie(a.start_t, a.entity_id, a.kind) < std::tie(b.start_t, b.entity_id, b.kind);
  });
}

}  // namespace vigil::detect

namespace vigil::detect {

void AttributeThrottling(std::vector<store::Event>& events, const std::map<int64_t, std::vector<LevelStep>>& steps,
                         int64_t step_s, const std::map<int64_t, store::Entity>& entities) {
  auto is_asn = [&](int64_t id) {
    auto it = entities.find(id);
    return it != entities.end() && it->second.type == "asn";
  };
  // Step of the wanted direction within ±1 bin of t, nearest to t (ties: the larger), or nullptr. Nearest
  // rather than largest so that the choice no longer changes once the bin at t has its after-window: a
  // streaming run then writes what a batch run writes.
  auto step_near = [&](const std::vector<LevelStep>& list, UnixSeconds t, bool up) -> const LevelStep* {
    const LevelStep* best = nullptr;
    for (const LevelStep& s : list) {
      if (std::llabs(s.t - t) > step_s || (s.ratio > 1) != up) continue;
      const auto key = [&](const LevelStep& x) {
        return std::make_pair(-std::llabs(x.t - t), std::fabs(std::log(x.ratio)));
      };
      if (!best || key(s) > key(*best)) best = &s;
    }
    return best;
  };
  std::vector<store::Event> added;
  for (const store::Event& cause : events) {
    if (cause.kind != "throttling" || cause.end_t == 0 || !is_asn(cause.entity_id)) continue;
    for (const auto& [entity_id, list] : steps) {
      if (entity_id == cause.entity_id || is_asn(entity_id)) continue;
      const LevelStep* up = step_near(list, cause.start_t, true);
      const LevelStep* down = up ? step_near(list, cause.end_t, false) : nullptr;
      if (!up || !down) continue;
      bool already = false;
      for (const auto* pool : {&events, &added}) {
        for (const store::Event& e : *pool) {
          already |= e.entity_id == entity_id && e.kind == "throttling" && e.start_t < cause.end_t &&
                     EndOrOpen(e.end_t) > cause.start_t;
        }
      }
      if (already) continue;
      store::Event event;
      event.entity_id = entity_id;
      event.kind = "throttling";
      event.classification = "throttling";
      event.start_t = cause.start_t;
      event.end_t = cause.end_t;
      event.depth = up->ratio;
      event.score = (up->ratio - 1) * 100 * static_cast<double>(cause.end_t - cause.start_t) / 60.0;
      event.datasources = "rtt-p50";
      auto entity = entities.find(entity_id);
      event.coverage =
          "{\"slash24_count\":" + std::to_string(entity != entities.end() ? entity->second.slash24_count : 0) + "}";
      event.detail = "{\"attributed_to\":{\"entity_id\":" + std::to_string(cause.entity_id) +
                     ",\"event_start\":" + std::to_string(cause.start_t) + "},\"step_up\":" + JsonNumber(up->ratio) +
                     ",\"step_down\":" + JsonNumber(down->ratio) + "}";
      added.push_back(std::move(event));
    }
  }
  events.insert(events.end(), added.begin(), added.end());
  std::sort(events.begin(), events.end(), [](const store::Event& a, const store::Event& b) {
    return std::tie(a.start_t, a.entity_id, a.kind, a.classification) <
           std::tie(b.start_t, b.entity_id, b.kind, b.classification);
  });
}

}  // namespace vigil::detect
