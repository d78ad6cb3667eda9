// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/ipv6_routes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>

namespace vigil::sim {
namespace {

namespace fs = std::filesystem;
using U128 = unsigned __int128;

constexpr uint64_t kUnitSlash48s = 256;  // a unit is at most a /40

// An IPv6 prefix of at most /64: the upper 64 bits of its network and its length.
struct Prefix6 {
  uint64_t hi = 0;
  uint8_t len = 48;
};

struct Unit6 {
  int region = -1;
  uint32_t asn = 0;
  uint64_t first48 = 0, count = 0;
  std::vector<Prefix6> prefixes;  // aligned pieces covering [first48, first48 + count)
};

void U8(std::string& b, uint32_t v) { b.push_back(static_cast<char>(v & 0xff)); }
void U16(std::string& b, uint32_t v) { U8(b, v >> 8), U8(b, v); }
void U32(std::string& b, uint32_t v) { U16(b, v >> 16), U16(b, v); }

void PrefixBytes(std::string& b, const Prefix6& p) {
  U8(b, p.len);
  for (int i = 0; i < (p.len + 7) / 8; ++i) U8(b, static_cast<uint32_t>(p.hi >> (56 - 8 * i)));
}

void Record(std::string& out, UnixSeconds t, uint16_t type, uint16_t subtype, const std::string& body) {
  U32(out, static_cast<uint32_t>(t));
  U16(out, type);
  U16(out, subtype);
  U32(out, static_cast<uint32_t>(body.size()));
  out += body;
}

// ORIGIN IGP, AS_PATH peer → origin, MP_REACH_NLRI (AFI 2, SAFI 1, 16-byte next hop) for `nlri`.
std::string ReachAttributes(uint32_t peer_as, uint32_t origin, uint32_t peer, const std::string& nlri) {
  std::string a;
  U8(a, 0x40), U8(a, 1), U8(a, 1), U8(a, 0);
  U8(a, 0x40), U8(a, 2), U8(a, 2 + 4 * 2), U8(a, 2), U8(a, 2);
  U32(a, peer_as), U32(a, origin);
  std::string mp;
  U16(mp, 2), U8(mp, 1), U8(mp, 16);
  U32(mp, 0x20010db8), U32(mp, 0), U32(mp, 0), U32(mp, peer);
  U8(mp, 0);
  mp += nlri;
  U8(a, 0x90), U8(a, 14), U16(a, static_cast<uint32_t>(mp.size()));  // extended length
  return a + mp;
}

std::string UnreachAttributes(const std::string& nlri) {
  std::string mp;
  U16(mp, 2), U8(mp, 1);
  mp += nlri;
  std::string a;
  U8(a, 0x90), U8(a, 15), U16(a, static_cast<uint32_t>(mp.size()));
  return a + mp;
}

// One BGP4MP_MESSAGE_AS4 UPDATE from an IPv4-addressed peer whose only path attributes are `attrs`.
void AppendUpdate6(std::string& out, UnixSeconds t, uint32_t peer_as, uint32_t peer_ip, const std::string& attrs) {
  std::string body;
  U32(body, peer_as), U32(body, 12654), U16(body, 0), U16(body, 1), U32(body, peer_ip), U32(body, 0xC0000201);
  std::string msg(16, static_cast<char>(0xff));
  U16(msg, 0), U8(msg, 2), U16(msg, 0), U16(msg, static_cast<uint32_t>(attrs.size()));
  msg += attrs;
  msg[16] = static_cast<char>(msg.size() >> 8);
  msg[17] = static_cast<char>(msg.size() & 0xff);
  Record(out, t, 16, 4, body + msg);
}

// Aligned prefixes covering [first48, first48 + count) (first48 aligned to the unit).
std::vector<Prefix6> Cover(uint64_t first48, uint64_t count) {
  std::vector<Prefix6> out;
  uint64_t at = first48, end = first48 + count;
  while (at < end) {
    int bits = 0;  // /48s in the piece = 2^bits
    while (bits < 8 && (at & ((uint64_t{2} << bits) - 1)) == 0 && at + (uint64_t{2} << bits) <= end) ++bits;
    out.push_back({at << 16, static_cast<uint8_t>(48 - bits)});
    at += uint64_t{1} << bits;
  }
  return out;
}

std::vector<Unit6> BuildUnits(const World& world) {
  std::vector<Unit6> units;
  for (size_t r = 0; r < world.regions.size(); ++r) {
    int64_t n = world.regions[r].spec.slash48s;
    if (n <= 0) continue;
    std::vector<uint32_t> asns;  // the region's IPv4 units' ASNs, in unit order: IPv6 follows their shares
    for (int u = 0; u < world.scenario_units; ++u) {
      const Unit& unit = world.units[static_cast<size_t>(u)];
      if (unit.region == static_cast<int>(r) && unit.asn >= 0)
        asns.push_back(world.asns[static_cast<size_t>(unit.asn)].asn);
    }
    if (asns.empty()) asns.push_back(64512);
    uint64_t base = static_cast<uint64_t>(0x2a00 + r) << 32;  // one /16 per region
    for (uint64_t k = 0; k * kUnitSlash48s < static_cast<uint64_t>(n); ++k) {
      Unit6 unit;
      unit.region = static_cast<int>(r);
      unit.asn = asns[k % asns.size()];
      unit.first48 = base + k * kUnitSlash48s;
      unit.count = std::min<uint64_t>(kUnitSlash48s, static_cast<uint64_t>(n) - k * kUnitSlash48s);
      unit.prefixes = Cover(unit.first48, unit.count);
      units.push_back(std::move(unit));
    }
  }
  return units;
}

bool UnitMatches(const World& world, const Unit6& unit, const EntityRef& entity) {
  const RegionInfo& region = world.regions[static_cast<size_t>(unit.region)];
  if (entity.type == "region") return region.spec.code == entity.code;
  if (entity.type == "country") return region.spec.country == entity.code;
  return entity.type == "asn" && std::to_string(unit.asn) == entity.code;
}

// The IPv6 units each IPv6-carrying withdraw event takes away (the same units in every window).
std::vector<std::vector<int>> AffectedUnits(const Scenario& scenario, const World& world,
                                            const std::vector<ResolvedEvent>& events, const std::vector<Unit6>& units) {
  std::vector<std::vector<int>> out(events.size());
  for (size_t e = 0; e < events.size(); ++e) {
    const EventSpec& spec = *events[e].spec;
    if (spec.kind != EventKind::kWithdraw || spec.family == RouteFamily::kIpv4) continue;
    std::vector<int> candidates;
    uint64_t total = 0;
    for (size_t u = 0; u < units.size(); ++u) {
      if (UnitMatches(world, units[u], spec.entity)) {
        candidates.push_back(static_cast<int>(u));
        total += units[u].count;
      }
    }
    std::mt19937_64 rng(Mix64(scenario.seed, std::hash<std::string>{}("ipv6:" + spec.id)));
    std::shuffle(candidates.begin(), candidates.end(), rng);
    double target = spec.fraction * static_cast<double>(total);
    uint64_t taken = 0;
    for (int u : candidates) {
      if (static_cast<double>(taken + units[static_cast<size_t>(u)].count) <= target + 0.5) {
        out[e].push_back(u);
        taken += units[static_cast<size_t>(u)].count;
      }
    }
  }
  return out;
}

Status WriteFile(const fs::path& path, const std::string& bytes, Compression compression) {
  CompressedFileWriter writer;
  VIGIL_RETURN_IF_ERROR(writer.Open(path.string(), compression, 6));
  VIGIL_RETURN_IF_ERROR(writer.Write(bytes));
  return writer.Close();
}

std::string Stamp(UnixSeconds t) {
  std::string text = FormatRfc3339(t);
  return text.substr(0, 4) + text.substr(5, 2) + text.substr(8, 2) + "." + text.substr(11, 2) + text.substr(14, 2);
}

std::string FormatIpv6Text(U128 address) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int group = 0; group < 8; ++group) {
    uint32_t v = static_cast<uint32_t>(address >> (112 - 16 * group)) & 0xffff;
    if (group) out.push_back(':');
    bool started = false;
    for (int d = 3; d >= 0; --d) {
      uint32_t digit = (v >> (4 * d)) & 15;
      if (digit || started || d == 0) {
        out.push_back(kHex[digit]);
        started = true;
      }
    }
  }
  return out;
}

Status WriteGeo6(const World& world, const std::vector<Unit6>& units, const fs::path& dir) {
  std::string geo, asn;
  for (const Unit6& unit : units) {
    const RegionInfo& region = world.regions[static_cast<size_t>(unit.region)];
    std::string tz = region.spec.tz.empty() ? world.countries[static_cast<size_t>(region.country)].tz : region.spec.tz;
    std::string first = FormatIpv6Text(static_cast<U128>(unit.first48) << 80);
    std::string last = FormatIpv6Text((static_cast<U128>(unit.first48 + unit.count) << 80) - 1);
    geo += first + "," + last + "," + region.spec.country + "," + region.spec.code + ",,,,0,0," + tz + "\n";
    asn += first + "," + last + "," + std::to_string(unit.asn) + ",AS" + std::to_string(unit.asn) + "\n";
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (const auto& [name, text] :
       {std::pair<const char*, const std::string&>{"geo-ipv6.csv", geo}, {"asn-ipv6.csv", asn}}) {
    VIGIL_RETURN_IF_ERROR(WriteFile(dir / name, text, Compression::kNone));
  }
  return Status::Ok();
}

}  // namespace

std::vector<TruthEvent> Ipv6Truth(const Scenario& scenario, const World& world,
                                  const std::vector<ResolvedEvent>& events) {
  std::vector<Unit6> units = BuildUnits(world);
  std::vector<std::vector<int>> affected = AffectedUnits(scenario, world, events, units);
  // Every entity holding IPv6 space, with its /48s.
  std::map<std::string, uint64_t> held;
  auto entities_of = [&](const Unit6& unit) {
    const RegionInfo& region = world.regions[static_cast<size_t>(unit.region)];
    return std::vector<std::string>{"country/" + region.spec.country, "region/" + region.spec.code,
                                    "asn/" + std::to_string(unit.asn)};
  };
  for (const Unit6& unit : units) {
    for (const std::string& entity : entities_of(unit)) held[entity] += unit.count;
  }
  std::vector<TruthEvent> out;
  for (size_t e = 0; e < events.size(); ++e) {
    const EventSpec& spec = *events[e].spec;
    if (spec.kind != EventKind::kWithdraw || spec.family != RouteFamily::kIpv6) continue;
    std::map<std::string, uint64_t> hit;
    for (int u : affected[e]) {
      for (const std::string& entity : entities_of(units[static_cast<size_t>(u)]))
        hit[entity] += units[static_cast<size_t>(u)].count;
    }
    std::string primary = spec.entity.Text();
    std::vector<std::pair<std::string, double>> shares = {{primary, 0.0}};
    for (const auto& [entity, n] : held) {
      double share = std::round(static_cast<double>(hit[entity]) / static_cast<double>(n) * 10000) / 10000;
      if (entity == primary) {
        shares[0].second = share;
      } else if (share >= 0.05) {
        shares.emplace_back(entity, share);
      }
    }
    for (const EventWindow& w : events[e].windows) {
      for (size_t i = 0; i < shares.size(); ++i) {
        TruthEvent t;
        t.id = i == 0 ? w.id : w.id + "@" + shares[i].first;
        t.entity = shares[i].first;
        t.kind = EventKindName(spec.kind);
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

Result<Ipv6RouteSummary> WriteIpv6Routes(const Scenario& scenario, const World& world,
                                         const std::vector<ResolvedEvent>& events, const fs::path& outdir,
                                         Compression compression) {
  Ipv6RouteSummary summary;
  std::vector<Unit6> units = BuildUnits(world);
  if (units.empty() || scenario.collectors.empty()) return summary;
  VIGIL_RETURN_IF_ERROR(WriteGeo6(world, units, outdir / "geo"));
  for (const Unit6& unit : units) summary.slash48s += static_cast<int64_t>(unit.count);

  // Background space outside the geo world (2c0f::/16), so a national outage leaves the peers full-feed.
  std::vector<Prefix6> background;
  int64_t scenario_prefixes = 0;
  for (const Unit6& unit : units) scenario_prefixes += static_cast<int64_t>(unit.prefixes.size());
  std::mt19937_64 rng(Mix64(scenario.seed, 0x1b6));
  std::set<std::pair<uint64_t, uint8_t>> seen;
  while (static_cast<int64_t>(background.size()) < std::max<int64_t>(1000, 3 * scenario_prefixes)) {
    uint8_t len = static_cast<uint8_t>(32 + 4 * (rng() % 5));
    uint64_t hi = (uint64_t{0x2c0f} << 48 | (rng() & ((uint64_t{1} << 48) - 1))) & (~uint64_t{0} << (64 - len));
    if (seen.insert({hi, len}).second) background.push_back({hi, len});
  }
  summary.prefixes = scenario_prefixes + static_cast<int64_t>(background.size());
  summary.full_feed_min_prefixes = static_cast<int64_t>(0.65 * static_cast<double>(summary.prefixes));

  const std::string collector = scenario.collectors[0].name + "-v6";
  const int peers = std::max(1, scenario.collectors[0].full_feed_peers);
  auto peer_ip = [](int p) { return 0xC6336400u + static_cast<uint32_t>(p) + 1; };  // 198.51.100.x
  auto peer_as = [](int p) { return 65100u + static_cast<uint32_t>(p); };
  fs::path dir = outdir / "mrt" / collector;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const char* suffix = CompressionSuffix(compression);

  // RIB at the start: every prefix from every peer.
  std::string rib;
  std::string pit;
  U32(pit, 0xC6336401), U16(pit, 0), U16(pit, static_cast<uint32_t>(peers));
  for (int p = 0; p < peers; ++p) U8(pit, 0x02), U32(pit, peer_ip(p)), U32(pit, peer_ip(p)), U32(pit, peer_as(p));
  Record(rib, scenario.start, 13, 1, pit);
  uint32_t sequence = 0;
  auto rib_entry = [&](const Prefix6& prefix, uint32_t origin) {
    std::string body;
    U32(body, sequence++);
    PrefixBytes(body, prefix);
    U16(body, static_cast<uint32_t>(peers));
    std::string nlri;
    PrefixBytes(nlri, prefix);
    for (int p = 0; p < peers; ++p) {
      std::string attrs = ReachAttributes(peer_as(p), origin, peer_ip(p), nlri);
      U16(body, static_cast<uint32_t>(p)), U32(body, static_cast<uint32_t>(scenario.start - 86400));
      U16(body, static_cast<uint32_t>(attrs.size()));
      body += attrs;
    }
    Record(rib, scenario.start, 13, 4, body);
  };
  for (const Unit6& unit : units) {
    for (const Prefix6& prefix : unit.prefixes) rib_entry(prefix, unit.asn);
  }
  for (const Prefix6& prefix : background) rib_entry(prefix, 64999);
  VIGIL_RETURN_IF_ERROR(WriteFile(dir / ("bview." + Stamp(scenario.start) + suffix), rib, compression));

  // Updates: at each window start and end, the units whose withdrawn count changes.
  std::vector<std::vector<int>> affected = AffectedUnits(scenario, world, events, units);
  std::map<UnixSeconds, std::map<int, int>> changes;  // time -> unit -> delta of withdrawing windows
  for (size_t e = 0; e < events.size(); ++e) {
    for (const EventWindow& w : events[e].windows) {
      for (int u : affected[e]) {
        ++changes[w.start][u];
        --changes[w.end][u];
      }
    }
  }
  std::vector<int> withdrawn(units.size(), 0);
  for (const auto& [t, deltas] : changes) {
    if (t >= scenario.end) break;
    std::string down, up;  // NLRI bytes
    std::vector<uint32_t> up_origins;
    std::vector<std::string> up_nlri;
    for (const auto& [u, delta] : deltas) {
      int before = withdrawn[static_cast<size_t>(u)];
      int after = before + delta;
      withdrawn[static_cast<size_t>(u)] = after;
      if ((before > 0) == (after > 0)) continue;
      for (const Prefix6& prefix : units[static_cast<size_t>(u)].prefixes) {
        if (after > 0) {
          PrefixBytes(down, prefix);
        } else {
          std::string one;
          PrefixBytes(one, prefix);
          up_nlri.push_back(one);
          up_origins.push_back(units[static_cast<size_t>(u)].asn);
        }
      }
    }
    if (down.empty() && up_nlri.empty()) continue;
    // A 5-minute RIS-style file named for the bin (records at the change time, which lies in it).
    UnixSeconds bin = BinStart(t, 300);
    std::string out;
    for (int p = 0; p < peers; ++p) {
      for (size_t at = 0; at < down.size();) {  // ≤ ~3,500 bytes of NLRI per UPDATE
        size_t end = at;
        while (end < down.size() && end - at < 3500) end += 1 + (static_cast<uint8_t>(down[end]) + 7) / 8;
        AppendUpdate6(out, t, peer_as(p), peer_ip(p), UnreachAttributes(down.substr(at, end - at)));
        at = end;
      }
      for (size_t i = 0; i < up_nlri.size(); ++i) {
        AppendUpdate6(out, t, peer_as(p), peer_ip(p),
                      ReachAttributes(peer_as(p), up_origins[i], peer_ip(p), up_nlri[i]));
      }
    }
    VIGIL_RETURN_IF_ERROR(WriteFile(dir / ("updates." + Stamp(bin) + suffix), out, compression));
    ++summary.update_files;
  }
  return summary;
}

}  // namespace vigil::sim
