// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "sim/scenario.h"

namespace vigil::sim {

inline uint64_t Mix64(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline double MixUnit(uint64_t a, uint64_t b) { return static_cast<double>(Mix64(a, b) >> 11) * 0x1.0p-53; }

// One announced IPv4 prefix.
struct Prefix {
  uint32_t addr = 0;  // network address, host order
  uint8_t len = 24;
  bool more_specific = false;  // announced under a covering prefix of the same unit
  int unit = 0;
};

// A routing unit: one covering prefix and its more-specifics, all held by one ASN in one region. Withdraw
// events and their fractions work on whole units, so a withdrawn unit leaves no covering route behind.
struct Unit {
  int region = -1;      // -1: background space outside the scenario (full-table mode)
  int asn = -1;         // index into World::asns; -1: background origin `origin`
  uint32_t origin = 0;  // origin AS number
  int first_prefix = 0, prefix_count = 0;
  int first_block = 0, block_count = 0;  // the unit's /24s in World::blocks (none for background)
};

// One /24 of the scenario's space.
struct Block {
  uint32_t net = 0;  // address >> 8
  int region = 0, asn = 0, unit = 0;
  bool probed = false;
  float availability = 0.7f;  // reply probability of its ever-responsive addresses at the daily mean
  float diurnal_amp = 0.2f;
  float base_rtt_ms = 50;
};

struct AsnInfo {
  uint32_t asn = 0;
  std::string name, country;
  std::vector<uint32_t> upstreams;
  bool synthetic = false;         // holds a region's space not given to any listed ASN
  int first_upstream_index = -1;  // index in World::asns of upstreams[0], -1 when not listed
};

struct RegionInfo {
  RegionSpec spec;
  int country = 0;
};

struct Peer {
  int collector = 0;
  int index = 0;  // within the collector
  uint32_t asn = 0;
  uint32_t ip = 0;
  uint32_t bgp_id = 0;
  bool full_feed = true;
  double carry_share = 1.0;  // partial peers carry this share of units
  uint32_t community = 0;    // peer-specific community value (asn:community)
};

struct CollectorInfo {
  std::string name;
  uint32_t bgp_id = 0;
  uint32_t local_ip = 0;
  std::vector<int> peers;  // indices into World::peers
};

// What a unit's AS paths depend on besides the peer (World::PathOf), computed once per unit.
struct UnitPath {
  uint32_t origin = 0;
  const std::vector<uint32_t>* upstreams = nullptr;  // nullptr: default_upstream
  uint32_t default_upstream = 0;
  uint32_t extra = 0;  // the extra hop some background paths have
  bool background = false;
  uint32_t tail[2] = {0, 0};
  int tail_len = 0;
};

class World {
 public:
  static Result<World> Build(const Scenario& scenario, bool full_table);
  // Adds about `target_prefixes` prefixes of the rest of the Internet (not in the geo world) with their
  // own origins, so that a national outage removes a realistic share of a peer's table, not all of it.
  void AddBackground(int64_t target_prefixes, uint64_t seed);

  std::vector<CountrySpec> countries;
  std::vector<RegionInfo> regions;
  std::vector<AsnInfo> asns;
  std::vector<Unit> units;       // scenario units first, then background (full table)
  std::vector<Prefix> prefixes;  // grouped by unit, in address order within a unit
  std::vector<Block> blocks;     // address order
  std::vector<Peer> peers;
  std::vector<CollectorInfo> collectors;
  int scenario_units = 0;
  uint32_t collector_as = 12654;  // the route collector's own AS (RIS's)

  bool PeerCarries(const Peer& peer, int unit) const {
    return peer.full_feed ||
           MixUnit(0xca771e5ULL ^ (static_cast<uint64_t>(peer.collector) << 32 | peer.index), unit) < peer.carry_share;
  }
  // AS path from `peer` to the unit's origin; variant 0 is the usual path, 1 an alternative seen during churn.
  void AsPath(const Peer& peer, int unit, int variant, std::vector<uint32_t>& path) const;
  // The same into `path` (room for kMaxAsPath); returns the length.
  int AsPath(const Peer& peer, int unit, int variant, uint32_t* path) const;
  UnitPath PathOf(int unit) const;
  int AsPath(const Peer& peer, const UnitPath& unit, int variant, uint32_t* path) const;
  // The AS path's per-peer seed, and the path from it (inline: the RIB writer calls it per entry).
  uint64_t PathKey(const Peer& peer) const {
    return (static_cast<uint64_t>(peer.collector) << 40) ^ (static_cast<uint64_t>(peer.index) << 32) ^ seed_;
  }
  static int AsPathFrom(uint64_t path_key, uint32_t peer_asn, const UnitPath& unit, int variant, uint32_t* path);
  // Six hops at most (peer, tier-1, upstream, one more for background, incumbent, origin) and two prepends.
  static constexpr int kMaxAsPath = 8;
  int PrefixesCarriedBy(const Peer& peer) const;

  // Entities: index ranges of blocks by membership.
  std::vector<int> BlocksOf(const EntityRef& entity) const;
  int CountryIndex(const std::string& code) const;
  int RegionIndex(const std::string& code) const;
  int AsnIndex(uint32_t asn) const;

 private:
  uint64_t seed_ = 0;
};

std::string FormatIpv4(uint32_t addr);

inline constexpr uint32_t kTier1Asns[] = {3356, 1299, 174,  2914, 3257, 6453, 6762,
                                          6830, 701,  7018, 3320, 5511, 6461, 1273};

inline int World::AsPathFrom(uint64_t path_key, uint32_t peer_asn, const UnitPath& unit, int variant, uint32_t* path) {
  // Runs once per RIB entry of a full table (20 M times). The random choices are taken without branches
  // (they mispredicted half the time): every candidate hop is written, and kept or not by arithmetic.
  uint64_t h = Mix64(path_key, static_cast<uint64_t>(unit.origin) * 4 + static_cast<uint64_t>(variant));
  uint32_t upstream = unit.upstreams ? (*unit.upstreams)[h % unit.upstreams->size()] : unit.default_upstream;
  // Candidates in order: peer AS, often a tier-1, the upstream, for background space sometimes one more
  // network, then the tail (the incumbent for synthetic holders, the origin).
  if (unit.tail_len == 1) {
    // The common case (background and listed holders), unrolled: five candidates, the last the origin.
    const uint32_t c0 = peer_asn, c1 = kTier1Asns[(h >> 12) % std::size(kTier1Asns)], c2 = upstream, c3 = unit.extra,
                   c4 = unit.origin;
    const bool v1 = (peer_asn != upstream) & (((h >> 8) % 3) != 0);
    const bool v3 = unit.background & (((h >> 20) % 2) == 0);
    const bool k1 = v1 & (c1 != c0);
    const bool k2 = (c2 != c0) & !(v1 & (c1 == c2));
    const bool k3 = v3 & (c3 != c0) & !(v1 & (c1 == c3)) & (c3 != c2);
    const bool k4 = (c4 != c0) & !(v1 & (c1 == c4)) & (c4 != c2) & !(v3 & (c3 == c4));
    int len = 1;
    path[0] = c0;
    path[len] = c1, len += k1;
    path[len] = c2, len += k2;
    path[len] = c3, len += k3;
    path[len] = c4, len += k4;
    len += path[len - 1] != c4;  // the origin repeated an earlier hop: it still ends the path (path[len] is c4)
    int prepends = ((h >> 24) % 6 == 0) ? 1 + static_cast<int>((h >> 28) % 2) : 0;
    path[len] = c4;
    path[len + 1] = c4;
    return len + prepends;
  }
  uint32_t hop[6];
  bool valid[6];
  int n = 0;
  hop[n] = peer_asn, valid[n++] = true;
  hop[n] = kTier1Asns[(h >> 12) % std::size(kTier1Asns)], valid[n++] = (peer_asn != upstream) & (((h >> 8) % 3) != 0);
  hop[n] = upstream, valid[n++] = true;
  hop[n] = unit.extra, valid[n++] = unit.background & (((h >> 20) % 2) == 0);
  for (int i = 0; i < unit.tail_len; ++i) hop[n] = unit.tail[i], valid[n++] = true;
  // No AS twice (an upstream that is also the peer, a tier-1 that is also the upstream, ...): a hop is kept
  // unless an earlier valid candidate is the same AS (the first of equal ones is always kept).
  int len = 0;
  for (int i = 0; i < n; ++i) {
    bool seen = false;
    for (int j = 0; j < i; ++j) seen |= valid[j] & (hop[j] == hop[i]);
    path[len] = hop[i];
    len += valid[i] & !seen;
  }
  path[len] = unit.origin;
  len += path[len - 1] != unit.origin;
  int prepends = ((h >> 24) % 6 == 0) ? 1 + static_cast<int>((h >> 28) % 2) : 0;
  path[len] = unit.origin;
  path[len + 1] = unit.origin;
  return len + prepends;
}

}  // namespace vigil::sim
