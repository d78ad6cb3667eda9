// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/world.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

namespace vigil::sim {
namespace {

// Address space handed out to the scenario's countries, one /8 at a time: blocks that belong to RIPE NCC
// and other RIRs in real life, so paths and prefixes look familiar in dumps. Nothing depends on the choice.
constexpr uint32_t kScenarioSlash8s[] = {2,  5,  31, 37, 46, 77, 78, 79,  80,  81,  82,  83,  84,  85,  86,  87,  88,
                                         89, 90, 91, 92, 93, 94, 95, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217};
// Peers of route collectors are mostly transit providers and large networks.
constexpr uint32_t kPeerAsns[] = {
    3356, 1299, 174,  2914, 3257, 6939,  6453,  6762,  9002,  20485, 8359,  3333,  34549,  39120, 57866,  13030,
    6830, 1273, 5511, 7018, 701,  3320,  6461,  49544, 24482, 37100, 58511, 47692, 211398, 3130,  4637,   7660,
    2497, 293,  852,  6724, 8220, 12779, 16347, 25091, 31019, 35280, 42473, 50304, 61955,  64289, 398465, 137409};
constexpr uint32_t kRegionalTransit[] = {20485, 31133, 12389, 9002, 1299, 3356, 174, 6762, 3216, 8359, 9049, 35104};

int PickPrefixLength(Rng& rng, int max_size) {
  // Share of prefixes by length in today's IPv4 table (roughly): most are /24, a long tail of larger blocks.
  static constexpr struct {
    int len;
    double weight;
  } kLengths[] = {{24, 0.45}, {23, 0.12}, {22, 0.15}, {21, 0.08}, {20, 0.08},
                  {19, 0.05}, {18, 0.03}, {17, 0.02}, {16, 0.02}};
  for (int attempt = 0; attempt < 16; ++attempt) {
    double u = rng.Uniform(), acc = 0;
    for (const auto& l : kLengths) {
      acc += l.weight;
      if (u < acc) {
        if ((1 << (24 - l.len)) <= max_size) return l.len;
        break;
      }
    }
  }
  int len = 24;
  while (len > 16 && (1 << (24 - (len - 1))) <= max_size) --len;
  return len;
}

struct PendingUnit {
  uint32_t net = 0;  // first /24 (address >> 8)
  int len = 24;
  int region = 0, asn = 0;
  std::vector<std::pair<uint32_t, int>> more_specifics;  // (net, len)
};

}  // namespace

std::string FormatIpv4(uint32_t addr) {
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
  return buffer;
}

int World::CountryIndex(const std::string& code) const {
  for (size_t i = 0; i < countries.size(); ++i) {
    if (countries[i].code == code) return static_cast<int>(i);
  }
  return -1;
}
int World::RegionIndex(const std::string& code) const {
  for (size_t i = 0; i < regions.size(); ++i) {
    if (regions[i].spec.code == code) return static_cast<int>(i);
  }
  return -1;
}
int World::AsnIndex(uint32_t asn) const {
  for (size_t i = 0; i < asns.size(); ++i) {
    if (asns[i].asn == asn) return static_cast<int>(i);
  }
  return -1;
}

std::vector<int> World::BlocksOf(const EntityRef& entity) const {
  std::vector<int> out;
  int country = entity.type == "country" ? CountryIndex(entity.code) : -2;
  int region = entity.type == "region" ? RegionIndex(entity.code) : -2;
  int asn = entity.type == "asn" ? AsnIndex(static_cast<uint32_t>(std::strtoul(entity.code.c_str(), nullptr, 10))) : -2;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& b = blocks[i];
    if (b.region == region || b.asn == asn || regions[static_cast<size_t>(b.region)].country == country) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

int World::PrefixesCarriedBy(const Peer& peer) const {
  int count = 0;
  for (size_t u = 0; u < units.size(); ++u) {
    if (PeerCarries(peer, static_cast<int>(u))) count += units[u].prefix_count;
  }
  return count;
}

void World::AsPath(const Peer& peer, int unit_index, int variant, std::vector<uint32_t>& path) const {
  uint32_t hops[kMaxAsPath];
  int n = AsPath(peer, unit_index, variant, hops);
  path.assign(hops, hops + n);
}

int World::AsPath(const Peer& peer, int unit_index, int variant, uint32_t* path) const {
  return AsPath(peer, PathOf(unit_index), variant, path);
}

UnitPath World::PathOf(int unit_index) const {
  const Unit& unit = units[static_cast<size_t>(unit_index)];
  UnitPath u;
  u.origin = unit.origin;
  u.background = unit.asn < 0;
  if (unit.asn >= 0) {
    const AsnInfo& holder = asns[static_cast<size_t>(unit.asn)];
    if (holder.synthetic && !holder.upstreams.empty()) {
      // Small local networks buy transit from the country's incumbent.
      u.tail[u.tail_len++] = holder.upstreams[0];
      u.upstreams = holder.first_upstream_index >= 0 ? &asns[static_cast<size_t>(holder.first_upstream_index)].upstreams
                                                     : nullptr;
    } else {
      u.upstreams = &holder.upstreams;
    }
  }
  u.tail[u.tail_len++] = unit.origin;
  if (u.upstreams && u.upstreams->empty()) u.upstreams = nullptr;
  u.default_upstream = kRegionalTransit[Mix64(unit.origin, 7) % std::size(kRegionalTransit)];
  u.extra = static_cast<uint32_t>(1000 + Mix64(unit.origin, 11) % 60000);
  return u;
}

int World::AsPath(const Peer& peer, const UnitPath& unit, int variant, uint32_t* path) const {
  return AsPathFrom(PathKey(peer), peer.asn, unit, variant, path);
}

namespace {

// The scenario's ASNs; one without upstreams gets one or two regional transit providers.
void AddScenarioAsns(const Scenario& scenario, Rng& rng, World& world) {
  for (const auto& spec : scenario.asns) {
    AsnInfo info{spec.asn, spec.name, spec.country, spec.upstreams, false};
    if (info.upstreams.empty()) {
      uint32_t a = kRegionalTransit[rng.Below(std::size(kRegionalTransit))];
      uint32_t b = kRegionalTransit[rng.Below(std::size(kRegionalTransit))];
      info.upstreams.push_back(a);
      if (b != a) info.upstreams.push_back(b);
    }
    world.asns.push_back(info);
  }
}

// (ASN index, /24s) of the listed holders of a region: its /24s times each share, rounded by largest remainder
// to the listed shares' total. Adds each holder's /24s to held_by_asn.
std::vector<std::pair<int, int64_t>> ListedHolders(const RegionSpec& region, const Scenario& scenario,
                                                   std::vector<int64_t>& held_by_asn) {
  std::vector<std::pair<int, double>> shares;
  for (size_t a = 0; a < scenario.asns.size(); ++a) {
    for (const auto& [code, share] : scenario.asns[a].regions) {
      if (code == region.code && share > 0) shares.emplace_back(static_cast<int>(a), share);
    }
  }
  std::vector<std::pair<int, int64_t>> holders;
  int64_t assigned = 0;
  std::vector<std::pair<double, int>> remainders;
  for (size_t i = 0; i < shares.size(); ++i) {
    double exact = shares[i].second * static_cast<double>(region.slash24s);
    int64_t whole = static_cast<int64_t>(std::floor(exact + 1e-9));
    holders.emplace_back(shares[i].first, whole);
    assigned += whole;
    remainders.emplace_back(exact - static_cast<double>(whole), static_cast<int>(i));
  }
  double total_share = 0;
  for (const auto& s : shares) total_share += s.second;
  int64_t listed_target = static_cast<int64_t>(std::llround(total_share * static_cast<double>(region.slash24s)));
  std::stable_sort(remainders.begin(), remainders.end(), [](auto& x, auto& y) { return x.first > y.first; });
  for (size_t i = 0; i < remainders.size() && assigned < listed_target; ++i, ++assigned) {
    holders[static_cast<size_t>(remainders[i].second)].second++;
  }
  for (const auto& [a, n] : holders) held_by_asn[static_cast<size_t>(a)] += n;
  return holders;
}

// The index of the country's "other networks" ASN, added to the world on first use.
int SyntheticAsnOf(int country, std::map<int, int>& synthetic_of_country, std::vector<int64_t>& held_by_asn,
                   World& world) {
  if (!synthetic_of_country.count(country)) {
    synthetic_of_country[country] = static_cast<int>(world.asns.size());
    AsnInfo other;
    other.asn = 4200000000u + static_cast<uint32_t>(country);
    other.name = "Other networks (" + world.countries[static_cast<size_t>(country)].code + ")";
    other.country = world.countries[static_cast<size_t>(country)].code;
    other.synthetic = true;
    world.asns.push_back(other);
    held_by_asn.push_back(0);
  }
  return synthetic_of_country[country];
}

// An "other networks" ASN buys transit from the listed ASN of its country that holds the most /24s.
void ConnectSyntheticAsns(const Scenario& scenario, const std::map<int, int>& synthetic_of_country,
                          const std::vector<int64_t>& held_by_asn, World& world) {
  for (auto& [country, index] : synthetic_of_country) {
    int best = -1;
    for (size_t a = 0; a < scenario.asns.size(); ++a) {
      if (world.asns[a].country == world.countries[static_cast<size_t>(country)].code &&
          (best < 0 || held_by_asn[a] > held_by_asn[static_cast<size_t>(best)])) {
        best = static_cast<int>(a);
      }
    }
    if (best >= 0) world.asns[static_cast<size_t>(index)].upstreams = {world.asns[static_cast<size_t>(best)].asn};
  }
}

// Which ASN holds how many /24s of each region (largest remainder), the rest to a per-country
// "other networks" ASN whose transit is the country's largest listed holder. Indexed by region.
std::vector<std::vector<std::pair<int, int64_t>>> AssignHolders(const Scenario& scenario, World& world) {
  std::vector<std::vector<std::pair<int, int64_t>>> holders(world.regions.size());
  std::map<int, int> synthetic_of_country;
  std::vector<int64_t> held_by_asn(world.asns.size(), 0);
  for (size_t r = 0; r < world.regions.size(); ++r) {
    const RegionSpec& region = world.regions[r].spec;
    holders[r] = ListedHolders(region, scenario, held_by_asn);
    int64_t assigned = 0;
    for (const auto& [a, n] : holders[r]) assigned += n;
    int64_t rest = region.slash24s - assigned;
    if (rest > 0) {
      int country = world.regions[r].country;
      holders[r].emplace_back(SyntheticAsnOf(country, synthetic_of_country, held_by_asn, world), rest);
    }
  }
  ConnectSyntheticAsns(scenario, synthetic_of_country, held_by_asn, world);
  for (auto& info : world.asns) {
    if (!info.upstreams.empty()) info.first_upstream_index = world.AsnIndex(info.upstreams[0]);
  }
  return holders;
}

// Address space per country: each country draws from its own /8s, taken in turn from kScenarioSlash8s.
class AddressSpace {
 public:
  explicit AddressSpace(size_t countries) : cursor_(countries, 0), limit_(countries, 0) {}

  // The first /24 of the next free, aligned block of `size` /24s of the country (after a random unused gap
  // now and then); nothing when the simulator's /8s are used up.
  std::optional<uint32_t> Take(size_t country, uint32_t size, Rng& rng) {
    if (rng.Chance(0.15)) cursor_[country] += static_cast<uint32_t>(1 + rng.Below(8));  // unused space
    uint32_t start = (cursor_[country] + size - 1) & ~(size - 1);
    if (limit_[country] == 0 || start + size > limit_[country]) {
      if (!TakeSlash8(country, rng)) return std::nullopt;
      start = (cursor_[country] + size - 1) & ~(size - 1);
    }
    cursor_[country] = start + size;
    return start;
  }

 private:
  bool TakeSlash8(size_t country, Rng& rng) {
    if (next_slash8_ >= std::size(kScenarioSlash8s)) return false;
    uint32_t first = kScenarioSlash8s[next_slash8_++] << 16;  // in /24 units
    cursor_[country] = first + static_cast<uint32_t>(rng.Below(64)) * 16;
    limit_[country] = first + (1u << 16);
    return true;
  }

  size_t next_slash8_ = 0;
  std::vector<uint32_t> cursor_, limit_;  // per country, in /24 units
};

// Now and then a unit of 4 or more /24s also announces one to three more-specific prefixes, sorted.
void AddMoreSpecifics(uint32_t size, Rng& rng, PendingUnit& unit) {
  if (!(size >= 4 && rng.Chance(0.3))) return;
  int extra = 1 + static_cast<int>(rng.Below(3));
  for (int k = 0; k < extra; ++k) {
    int ms_len = unit.len + 1 + static_cast<int>(rng.Below(static_cast<uint64_t>(24 - unit.len)));
    uint32_t ms_size = 1u << (24 - ms_len);
    uint32_t ms_net = unit.net + static_cast<uint32_t>(rng.Below(size / ms_size)) * ms_size;
    std::pair<uint32_t, int> ms{ms_net, ms_len};
    if (std::find(unit.more_specifics.begin(), unit.more_specifics.end(), ms) == unit.more_specifics.end()) {
      unit.more_specifics.push_back(ms);
    }
  }
  std::sort(unit.more_specifics.begin(), unit.more_specifics.end(),
            [](auto& x, auto& y) { return x.first != y.first ? x.first < y.first : x.second < y.second; });
}

// Each holder's /24s of each region cut into prefixes (routing units), sorted by address.
Result<std::vector<PendingUnit>> AllocateUnits(const std::vector<std::vector<std::pair<int, int64_t>>>& holders,
                                               const World& world, Rng& rng) {
  AddressSpace space(world.countries.size());
  std::vector<PendingUnit> pending;
  for (size_t r = 0; r < world.regions.size(); ++r) {
    size_t country = static_cast<size_t>(world.regions[r].country);
    for (const auto& [asn, count] : holders[r]) {
      int64_t remaining = count;
      int max_size = 1;
      while (max_size * 2 <= std::max<int64_t>(1, count / 6) && max_size < 256) max_size *= 2;
      while (remaining > 0) {
        int len = PickPrefixLength(rng, static_cast<int>(std::min<int64_t>(remaining, max_size)));
        uint32_t size = 1u << (24 - len);
        std::optional<uint32_t> start = space.Take(country, size, rng);
        if (!start) return Status::ResourceExhausted("scenario needs more address space than the simulator has");
        PendingUnit unit{*start, len, static_cast<int>(r), asn, {}};
        AddMoreSpecifics(size, rng, unit);
        pending.push_back(std::move(unit));
        remaining -= size;
      }
    }
  }
  // PickPrefixLength never exceeds `remaining`, so no unit holds more /24s than its region asked for.
  std::sort(pending.begin(), pending.end(), [](const PendingUnit& x, const PendingUnit& y) { return x.net < y.net; });
  return pending;
}

// One /24 of a unit: whether it is probed, and how its probed addresses answer.
Block MakeBlock(uint32_t net, const PendingUnit& p, int unit_index, double blocks_fraction, double region_rtt,
                Rng& rng) {
  Block b;
  b.net = net;
  b.region = p.region;
  b.asn = p.asn;
  b.unit = unit_index;
  b.probed = rng.Chance(blocks_fraction);
  // Reply probability of the addresses the prober targets (its hitlist keeps a block's ever-responsive
  // addresses): most blocks are routers, servers and always-on CPE that answer nearly every probe; a
  // minority (home networks switched off at night) is strongly diurnal and answers less. Drawn in the
  // same order and number as before, so the rest of the world (peers, paths) is unchanged.
  double u = rng.Uniform();
  bool diurnal = rng.Chance(0.2);
  b.diurnal_amp = static_cast<float>(diurnal ? rng.Uniform(0.15, 0.4) : rng.Uniform(0.0, 0.04));
  b.availability = static_cast<float>(diurnal ? 0.7 + 0.25 * u : 0.96 + 0.035 * u);
  b.base_rtt_ms = static_cast<float>(region_rtt + rng.Uniform(0, 30));
  return b;
}

// The units, their prefixes (covering prefix first, then its more-specifics) and their /24 blocks.
void AddUnits(const std::vector<PendingUnit>& pending, double blocks_fraction, Rng& rng, World& world) {
  std::vector<double> region_rtt(world.regions.size());
  for (auto& v : region_rtt) v = rng.Uniform(30, 150);
  for (const PendingUnit& p : pending) {
    Unit unit;
    unit.region = p.region;
    unit.asn = p.asn;
    unit.origin = world.asns[static_cast<size_t>(p.asn)].asn;
    unit.first_prefix = static_cast<int>(world.prefixes.size());
    unit.first_block = static_cast<int>(world.blocks.size());
    int index = static_cast<int>(world.units.size());
    world.prefixes.push_back({p.net << 8, static_cast<uint8_t>(p.len), false, index});
    for (const auto& [net, len] : p.more_specifics) {
      if (len == p.len) continue;
      world.prefixes.push_back({net << 8, static_cast<uint8_t>(len), true, index});
    }
    unit.prefix_count = static_cast<int>(world.prefixes.size()) - unit.first_prefix;
    uint32_t size = 1u << (24 - p.len);
    for (uint32_t k = 0; k < size; ++k) {
      world.blocks.push_back(
          MakeBlock(p.net + k, p, index, blocks_fraction, region_rtt[static_cast<size_t>(p.region)], rng));
    }
    unit.block_count = static_cast<int>(size);
    world.units.push_back(unit);
  }
}

// Peer i of a collector on its IXP-like LAN: an ASN drawn from `pool` (removed from it; private ones once it is
// empty); the first `full` peers carry full feeds, the others a random share of the table.
Peer MakePeer(int collector, int i, int full, uint32_t lan, std::vector<uint32_t>& pool, Rng& peer_rng) {
  Peer peer;
  peer.collector = collector;
  peer.index = i;
  if (!pool.empty()) {
    size_t pick = peer_rng.Below(pool.size());
    peer.asn = pool[pick];
    pool.erase(pool.begin() + static_cast<long>(pick));
  } else {
    peer.asn = 64600 + static_cast<uint32_t>(i);
  }
  peer.ip = lan | static_cast<uint32_t>(1 + i);
  peer.bgp_id = peer.ip;
  peer.full_feed = i < full;
  peer.carry_share = peer.full_feed ? 1.0 : peer_rng.Uniform(0.1, 0.5);
  peer.community = peer.asn < 65536 && peer_rng.Chance(0.6)
                       ? (peer.asn << 16) | (1000 + static_cast<uint32_t>(peer_rng.Below(9000)))
                       : 0;
  return peer;
}

// Collectors and their peers; with full_table the first collector has at least 24 peers, 20 of them full feeds.
void AddCollectors(const Scenario& scenario, bool full_table, Rng& rng, World& world) {
  for (size_t c = 0; c < scenario.collectors.size(); ++c) {
    const CollectorSpec& spec = scenario.collectors[c];
    CollectorInfo info;
    info.name = spec.name;
    uint32_t lan = (80u << 24) | (249u << 16) | ((208u + static_cast<uint32_t>(c)) << 8);  // an IXP-like LAN
    info.local_ip = lan | 254;
    info.bgp_id = (193u << 24) | (0u << 16) | (4u << 8) | static_cast<uint32_t>(c + 1);
    int peers = spec.peers, full = spec.full_feed_peers;
    if (full_table && c == 0) {
      peers = std::max(peers, 24);
      full = std::max(full, 20);
    }
    std::vector<uint32_t> pool(std::begin(kPeerAsns), std::end(kPeerAsns));
    Rng peer_rng = rng.Fork(spec.name);
    for (int i = 0; i < peers; ++i) {
      info.peers.push_back(static_cast<int>(world.peers.size()));
      world.peers.push_back(MakePeer(static_cast<int>(c), i, full, lan, pool, peer_rng));
    }
    world.collectors.push_back(info);
  }
}

}  // namespace

// Every random draw comes from one generator, in a fixed order: countries' ASNs, addresses, blocks, peers.
Result<World> World::Build(const Scenario& scenario, bool full_table) {
  World world;
  world.seed_ = scenario.seed;
  Rng rng = Rng(scenario.seed).Fork("world");
  world.countries = scenario.countries;
  for (const auto& region : scenario.regions) {
    world.regions.push_back({region, world.CountryIndex(region.country)});
  }
  AddScenarioAsns(scenario, rng, world);
  const std::vector<std::vector<std::pair<int, int64_t>>> holders = AssignHolders(scenario, world);
  Result<std::vector<PendingUnit>> pending = AllocateUnits(holders, world, rng);
  if (!pending.ok()) return pending.status();
  AddUnits(*pending, scenario.blocks_fraction, rng, world);
  world.scenario_units = static_cast<int>(world.units.size());
  AddCollectors(scenario, full_table, rng, world);
  return world;
}

void World::AddBackground(int64_t target_prefixes, uint64_t seed) {
  Rng rng = Rng(seed).Fork("background");
  std::vector<uint32_t> slash8s;
  for (uint32_t s = 1; s <= 223; ++s) {
    bool reserved = s == 10 || s == 100 || s == 127 || s == 169 || s == 172 || s == 192 || s == 198 || s == 203;
    bool scenario =
        std::find(std::begin(kScenarioSlash8s), std::end(kScenarioSlash8s), s) != std::end(kScenarioSlash8s);
    if (!reserved && !scenario) slash8s.push_back(s);
  }
  // Background prefix lengths: today's table by count.
  static constexpr struct {
    int len;
    double weight;
  } kLengths[] = {{24, 0.60}, {23, 0.10},  {22, 0.13},  {21, 0.06}, {20, 0.05},
                  {19, 0.03}, {18, 0.015}, {17, 0.008}, {16, 0.007}};
  int64_t space = static_cast<int64_t>(slash8s.size()) << 16;  // /24s
  int64_t origins = std::max<int64_t>(50, target_prefixes / 13);
  size_t slash8 = 0;
  uint32_t cursor = slash8s[0] << 16, limit = (slash8s[0] + 1) << 16;
  int64_t made = 0;
  // About 1.2 prefixes per unit (more-specifics under 30 % of the larger ones): no regrowth of 20+ MB.
  prefixes.reserve(prefixes.size() + static_cast<size_t>(target_prefixes) + 16);
  units.reserve(units.size() + static_cast<size_t>(target_prefixes) * 9 / 10 + 16);
  while (made < target_prefixes) {
    double u = rng.Uniform(), acc = 0;
    int len = 24;
    for (const auto& l : kLengths) {
      acc += l.weight;
      if (u < acc) {
        len = l.len;
        break;
      }
    }
    uint32_t size = 1u << (24 - len);
    // Spread the table over the free space: leave gaps in proportion to what is left.
    int64_t left = space - static_cast<int64_t>(cursor - (slash8s[0] << 16));
    int64_t slack = left / std::max<int64_t>(1, (target_prefixes - made)) - 8;
    if (slack > 1) cursor += static_cast<uint32_t>(rng.Below(static_cast<uint64_t>(slack)));
    uint32_t start = (cursor + size - 1) & ~(size - 1);
    while (start + size > limit) {
      if (++slash8 >= slash8s.size()) return;
      cursor = slash8s[slash8] << 16;
      limit = (slash8s[slash8] + 1) << 16;
      start = cursor;
    }
    Unit unit;
    double z = rng.Uniform();
    uint64_t origin_index = static_cast<uint64_t>(static_cast<double>(origins) * z * z * z);
    uint64_t h = Mix64(origin_index, 0xa5);
    unit.origin = (h & 3) == 0 ? 131072 + static_cast<uint32_t>(h % 270000) : 1000 + static_cast<uint32_t>(h % 60000);
    unit.first_prefix = static_cast<int>(prefixes.size());
    int index = static_cast<int>(units.size());
    prefixes.push_back({start << 8, static_cast<uint8_t>(len), false, index});
    if (size >= 4 && rng.Chance(0.3)) {
      int extra = 1 + static_cast<int>(rng.Below(3));
      uint32_t last_net = 0;
      int last_len = 0;
      for (int k = 0; k < extra; ++k) {  // ascending, distinct more-specifics
        int ms_len = len + 1 + static_cast<int>(rng.Below(static_cast<uint64_t>(24 - len)));
        uint32_t ms_size = 1u << (24 - ms_len);
        uint32_t slot = static_cast<uint32_t>(rng.Below(size / ms_size));
        uint32_t net = start + slot * ms_size;
        if (net < last_net || (net == last_net && ms_len <= last_len)) continue;
        prefixes.push_back({net << 8, static_cast<uint8_t>(ms_len), true, index});
        last_net = net;
        last_len = ms_len;
      }
    }
    unit.prefix_count = static_cast<int>(prefixes.size()) - unit.first_prefix;
    made += unit.prefix_count;
    units.push_back(unit);
    cursor = start + size;
  }
}

}  // namespace vigil::sim
