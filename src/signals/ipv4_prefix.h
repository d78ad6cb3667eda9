#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

  // A prefix counts towards /24 visibility when it covers whole /24s. Longer ones (/25../32) cover none;
  // shorter than /8 are default or bogus routes that no operator uses to reach real networks.
  bool CoversSlash24s() const { return length >= 8 && length <= 24; }
  uint32_t FirstSlash24() const { return network >> 8; }
  uint32_t Slash24Count() const { return uint32_t{1} << (24 - length); }  // only when CoversSlash24s()

  bool operator==(const Ipv4Prefix&) const = default;
};

// "10.1.0.0/16" -> prefix; nullopt when malformed.
std::optional<Ipv4Prefix> ParseIpv4Prefix(std::string_view text);
std::string FormatIpv4Prefix(Ipv4Prefix prefix);

// Half-open range [begin, end) of /24 indexes (the upper 24 bits of an IPv4 address).
struct Slash24Interval {
  uint32_t begin = 0;
  uint32_t end = 0;
  bool operator==(const Slash24Interval&) const = default;
};

}  // namespace vigil::signals
