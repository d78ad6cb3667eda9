// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace vigil::signals {

// An IPv6 prefix as the bgp-v6 signal keeps it: the upper 64 bits of its network (host bits cleared) and its
// announced length. Nothing finer than a /64 matters for counting /48s, so a prefix longer than /64 is kept
// at /64 precision (two /72s inside one /64 are one table entry). Packs into a 72-bit key (hi << 8 | length)
// whose order is (network, length).
struct Ipv6Prefix {
  uint64_t hi = 0;
  uint8_t length = 0;

  static Ipv6Prefix Make(const uint8_t bytes[16], uint8_t length) {
    if (length > 128) length = 128;
    uint64_t hi;
    std::memcpy(&hi, bytes, sizeof hi);  // one load per element, not eight
    if constexpr (std::endian::native == std::endian::little) hi = __builtin_bswap64(hi);
    int kept = length < 64 ? length : 64;
    uint64_t mask = kept == 0 ? 0 : ~uint64_t{0} << (64 - kept);
    return Ipv6Prefix{hi & mask, length};
  }
  unsigned __int128 Key() const { return static_cast<unsigned __int128>(hi) << 8 | length; }
  static Ipv6Prefix FromKey(unsigned __int128 key) {
    return Ipv6Prefix{static_cast<uint64_t>(key >> 8), static_cast<uint8_t>(key & 0xff)};
  }

  // Shorter than /8: default or bogus routes, never counted (as for IPv4).
  bool Counts() const { return length >= 8; }
  // The /48s the prefix counts toward (/48 indices = address >> 80): every /48 it covers, or, for a prefix
  // longer than /48, its own /48.
  uint64_t First48() const { return hi >> 16; }
  uint64_t Last48() const { return length >= 48 ? hi >> 16 : (hi >> 16) | ((uint64_t{1} << (48 - length)) - 1); }

  bool operator==(const Ipv6Prefix&) const = default;
};

// Inclusive range of /48 indices.
struct Slash48Range {
  uint64_t first = 0;
  uint64_t last = 0;
  bool operator==(const Slash48Range&) const = default;
};

// Counts, per entity, the /48s that visible IPv6 space covers (the geo module's interval query in
// production: GeoSlash48Counter).
class Slash48Counter {
 public:
  virtual ~Slash48Counter() = default;
  virtual size_t entity_count() const = 0;
  // `visible` is sorted, disjoint and non-adjacent. Adds to counts[entity].
  virtual void CountSlash48s(std::span<const Slash48Range> visible, std::vector<int64_t>& counts) const = 0;
  // The entities one /48 is counted under, looked up on its own (for the slow reference paths).
  virtual void EntitiesOfSlash48(uint64_t slash48, std::vector<uint32_t>& out) const = 0;
};

}  // namespace vigil::signals
