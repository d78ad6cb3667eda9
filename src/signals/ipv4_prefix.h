// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::signals {

// An IPv4 prefix with its host bits cleared. Packs into 40 bits (network << 8 | length) so tables can key on
// one integer instead of strings.
struct Ipv4Prefix {
  uint32_t network = 0;
  uint8_t length = 0;

  static Ipv4Prefix Make(uint32_t address, uint8_t length) {
    if (length > 32) length = 32;
    uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
    return Ipv4Prefix{address & mask, length};
  }
  uint64_t Key() const { return uint64_t{network} << 8 | length; }
  static Ipv4Prefix FromKey(uint64_t key) { return Ipv4Prefix{uint32_t(key >> 8), uint8_t(key & 0xff)}; }

  // Prefixes shorter than /8 are default or bogus routes that nobody uses to reach real networks; they never
  // make address space visible. (More-specifics than /24 do count, when together they fill a /24.)
  bool Counts() const { return length >= 8; }
  uint32_t Last() const { return length >= 32 ? network : network | uint32_t(0xffffffffull >> length); }

  bool operator==(const Ipv4Prefix&) const = default;
};

// "10.1.0.0/16" -> prefix; nullopt when malformed.
std::optional<Ipv4Prefix> ParseIpv4Prefix(std::string_view text);
std::string FormatIpv4Prefix(Ipv4Prefix prefix);

// Inclusive IPv4 address range (host byte order).
struct AddressInterval {
  uint32_t first = 0;
  uint32_t last = 0;
  bool operator==(const AddressInterval&) const = default;
};

// Merges address ranges given in ascending order of `first` into sorted, disjoint, non-adjacent intervals,
// so that "a /24 is covered" becomes "a /24 lies inside one interval".
class AddressIntervalMerger {
 public:
  explicit AddressIntervalMerger(std::vector<AddressInterval>& out) : out_(out) {}
  void Add(uint32_t first, uint32_t last) {
    if (!out_.empty() && uint64_t{first} <= uint64_t{out_.back().last} + 1) {
      if (last > out_.back().last) out_.back().last = last;
    } else {
      out_.push_back({first, last});
    }
  }

 private:
  std::vector<AddressInterval>& out_;
};

// Number of whole /24s inside an interval, and their index range [begin, end).
inline uint32_t FirstWholeSlash24(const AddressInterval& v) { return uint32_t((uint64_t{v.first} + 255) >> 8); }
inline uint32_t EndWholeSlash24(const AddressInterval& v) { return uint32_t((uint64_t{v.last} + 1) >> 8); }

}  // namespace vigil::signals
