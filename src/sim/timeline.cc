// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/timeline.h"

#include <algorithm>
#include <cmath>

#include "base/time_zone.h"

namespace vigil::sim {
namespace {

// Members of an entity as a predicate over blocks (a unit lies in one region and one ASN).
struct EntityMatcher {
  int country = -2, region = -2, asn = -2;
  bool Matches(const World& world, const Block& b) const {
    return b.region == region || b.asn == asn || world.regions[static_cast<size_t>(b.region)].country == country;
  }
};

EntityMatcher MatcherFor(const World& world, const EntityRef& entity) {
  EntityMatcher m;
  if (entity.type == "country") m.country = world.CountryIndex(entity.code);
  if (entity.type == "region") m.region = world.RegionIndex(entity.code);
  if (entity.type == "asn")
    m.asn = world.AsnIndex(static_cast<uint32_t>(std::strtoul(entity.code.c_str(), nullptr, 10)));
  return m;
}

template <typename T>
void Shuffle(std::vector<T>& items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.Below(i)]);
}

}  // namespace

Result<std::vector<EventWindow>> ExpandDaily(const EventSpec& event) {
  std::vector<EventWindow> out;
  auto zone = TimeZone::Load(event.daily->tz);
  if (!zone.ok()) return zone.status();
  auto first = ParseDay(event.first_day);
  auto last = ParseDay(event.last_day);
  if (!first.ok()) return first.status();
  if (!last.ok()) return last.status();
  const DailyWindow& w = *event.daily;
  for (int64_t day = *first; day <= *last; ++day) {
    int64_t off_local = day * 86400 + w.on_to_min * 60;
    int64_t on_day = w.on_from_min > w.on_to_min ? day : day + 1;
    int64_t on_local = on_day * 86400 + w.on_from_min * 60;
    out.push_back({event.id + "#" + FormatDay(day), zone->LocalToUtc(off_local), zone->LocalToUtc(on_local)});
  }
  return out;
}

Result<std::vector<ResolvedEvent>> ResolveEvents(const Scenario& scenario, const World& world) {
  std::vector<ResolvedEvent> out;
  Rng base(scenario.seed);
  for (const EventSpec& spec : scenario.events) {
    ResolvedEvent ev;
    ev.spec = &spec;
    std::vector<EventWindow> raw;
    if (spec.daily) {
      auto expanded = ExpandDaily(spec);
      if (!expanded.ok()) return expanded.status().WithContext("event " + spec.id);
      raw = std::move(*expanded);
    } else {
      raw.push_back({spec.id, spec.start, spec.end});
    }
    for (EventWindow w : raw) {
      if (scenario.edge_jitter_s > 0) {  // truth edges off the bin grid
        Rng edges = base.Fork("edges:" + w.id);
        const uint64_t span = static_cast<uint64_t>(2 * scenario.edge_jitter_s + 1);
        const UnixSeconds start = w.start + static_cast<UnixSeconds>(edges.Below(span)) - scenario.edge_jitter_s;
        const UnixSeconds end = w.end + static_cast<UnixSeconds>(edges.Below(span)) - scenario.edge_jitter_s;
        if (end > start) w.start = start, w.end = end;
      }
      w.start = std::max(w.start, scenario.start);
      w.end = std::min(w.end, scenario.end);
      if (w.end > w.start) ev.windows.push_back(w);
    }
    Rng rng = base.Fork("event:" + spec.id);
    EntityMatcher matcher = MatcherFor(world, spec.entity);
    if (spec.kind == EventKind::kWithdraw && spec.family == RouteFamily::kIpv6) {
      // IPv4 routes and probing stay; the IPv6 side (ipv6_routes.cc) withdraws the entity's IPv6 routes.
    } else if (spec.kind == EventKind::kWithdraw) {
      std::vector<int> candidates;
      int64_t total = 0;
      for (int u = 0; u < world.scenario_units; ++u) {
        const Unit& unit = world.units[static_cast<size_t>(u)];
        if (matcher.Matches(world, world.blocks[static_cast<size_t>(unit.first_block)])) {
          candidates.push_back(u);
          total += unit.block_count;
        }
      }
      Shuffle(candidates, rng);
      double target = spec.fraction * static_cast<double>(total);
      int64_t taken = 0;
      for (int u : candidates) {
        int64_t size = world.units[static_cast<size_t>(u)].block_count;
        if (static_cast<double>(taken + size) <= target + 0.5) {
          ev.units.push_back(u);
          taken += size;
        }
      }
      std::sort(ev.units.begin(), ev.units.end());
      for (int u : ev.units) {
        const Unit& unit = world.units[static_cast<size_t>(u)];
        for (int b = 0; b < unit.block_count; ++b) ev.blocks.push_back(unit.first_block + b);
      }
    } else {
      std::vector<int> probed;
      for (size_t b = 0; b < world.blocks.size(); ++b) {
        if (world.blocks[b].probed && matcher.Matches(world, world.blocks[b])) probed.push_back(static_cast<int>(b));
      }
      Shuffle(probed, rng);
      size_t take = static_cast<size_t>(std::llround(spec.fraction * static_cast<double>(probed.size())));
      ev.blocks.assign(probed.begin(), probed.begin() + static_cast<long>(std::min(take, probed.size())));
      std::sort(ev.blocks.begin(), ev.blocks.end());
    }
    out.push_back(std::move(ev));
  }
  return out;
}

std::vector<TruthEvent> BuildTruth(const Scenario& scenario, const World& world,
                                   const std::vector<ResolvedEvent>& events) {
  (void)scenario;
  // Every entity of the world, with its /24s and probed /24s.
  struct EntityCount {
    EntityRef ref;
    EntityMatcher matcher;
    int64_t blocks = 0, probed = 0;
  };
  std::vector<EntityCount> entities;
  for (const auto& c : world.countries) entities.push_back({{"country", c.code}, {}, 0, 0});
  for (const auto& r : world.regions) entities.push_back({{"region", r.spec.code}, {}, 0, 0});
  for (const auto& a : world.asns) entities.push_back({{"asn", std::to_string(a.asn)}, {}, 0, 0});
  for (auto& e : entities) {
    e.matcher = MatcherFor(world, e.ref);
    for (const Block& b : world.blocks) {
      if (e.matcher.Matches(world, b)) {
        ++e.blocks;
        if (b.probed) ++e.probed;
      }
    }
  }
  std::vector<TruthEvent> out;
  for (const ResolvedEvent& ev : events) {
    // An IPv6-only withdrawal's truth is counted over /48s (Ipv6Truth, ipv6_routes.cc).
    if (ev.spec->kind == EventKind::kWithdraw && ev.spec->family == RouteFamily::kIpv6) continue;
    bool probing = ev.spec->kind != EventKind::kWithdraw;
    std::string primary = ev.spec->entity.Text();
    std::vector<std::pair<std::string, double>> shares;  // primary first
    for (const auto& e : entities) {
      int64_t hit = 0;
      for (int b : ev.blocks) {
        const Block& block = world.blocks[static_cast<size_t>(b)];
        if (e.matcher.Matches(world, block) && (!probing || block.probed)) ++hit;
      }
      int64_t denominator = probing ? e.probed : e.blocks;
      double share = denominator > 0 ? static_cast<double>(hit) / static_cast<double>(denominator) : 0.0;
      share = std::round(share * 10000) / 10000;
      if (e.ref.Text() == primary) {
        shares.insert(shares.begin(), {primary, share});
      } else if (share >= 0.05) {
        shares.emplace_back(e.ref.Text(), share);
      }
    }
    for (const EventWindow& w : ev.windows) {
      for (size_t i = 0; i < shares.size(); ++i) {
        TruthEvent t;
        t.id = i == 0 ? w.id : w.id + "@" + shares[i].first;
        t.entity = shares[i].first;
        t.kind = EventKindName(ev.spec->kind);
        t.share = shares[i].second;
        t.implied = i != 0;
        t.start = w.start;
        t.end = w.end;
        out.push_back(t);
      }
    }
  }
  return out;
}

}  // namespace vigil::sim
