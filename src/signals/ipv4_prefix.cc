// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/ipv4_prefix.h"

#include <charconv>

namespace vigil::signals {

std::optional<Ipv4Prefix> ParseIpv4Prefix(std::string_view text) {
  uint32_t address = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    unsigned value = 0;
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc() || value > 255) return std::nullopt;
    address = address << 8 | value;
    p = next;
    if (octet < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  unsigned length = 32;
  if (p != end) {
    if (*p != '/') return std::nullopt;
    auto [next, ec] = std::from_chars(p + 1, end, length);
    if (ec != std::errc() || next != end || length > 32) return std::nullopt;
  }
  return Ipv4Prefix::Make(address, uint8_t(length));
}

std::string FormatIpv4Prefix(Ipv4Prefix prefix) {
  uint32_t a = prefix.network;
  return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." + std::to_string(a >> 8 & 255) + "." +
         std::to_string(a & 255) + "/" + std::to_string(prefix.length);
}

}  // namespace vigil::signals
