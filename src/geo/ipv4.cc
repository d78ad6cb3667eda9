// SPDX-License-Identifier: AGPL-3.0-or-later
#include <arpa/inet.h>

#include <charconv>
#include <string>

#include "geo/geo.h"

namespace vigil::geo {

std::string_view EntityTypeName(EntityType type) {
  switch (type) {
    case EntityType::kCountry:
      return "country";
    case EntityType::kRegion:
      return "region";
    case EntityType::kAsn:
      return "asn";
  }
  return "?";
}

Result<EntityType> ParseEntityType(std::string_view name) {
  if (name == "country") return EntityType::kCountry;
  if (name == "region") return EntityType::kRegion;
  if (name == "asn") return EntityType::kAsn;
  return Status::InvalidArgument("unknown entity type '" + std::string(name) + "' (country, region or asn)");
}

Result<uint32_t> ParseIpv4(std::string_view dotted) {
  uint32_t address = 0;
  size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (pos >= dotted.size() || dotted[pos] != '.') break;
      ++pos;
    }
    size_t start = pos;
    unsigned value = 0;
    while (pos < dotted.size() && dotted[pos] >= '0' && dotted[pos] <= '9' && pos - start < 3) {
      value = value * 10 + static_cast<unsigned>(dotted[pos] - '0');
      ++pos;
    }
    if (pos == start || value > 255) return Status::InvalidArgument("bad IPv4 address '" + std::string(dotted) + "'");
    address = (address << 8) | value;
    if (octet == 3) {
      if (pos != dotted.size()) break;
      return address;
    }
  }
  return Status::InvalidArgument("bad IPv4 address '" + std::string(dotted) + "'");
}

std::string FormatIpv4(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
         std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255);
}

Result<Ipv4Interval> ParseIpv4Prefix(std::string_view cidr) {
  size_t slash = cidr.find('/');
  auto address = ParseIpv4(cidr.substr(0, slash));
  if (!address) return Status::InvalidArgument("bad IPv4 prefix '" + std::string(cidr) + "'");
  int length = 32;
  if (slash != std::string_view::npos) {
    std::string_view digits = cidr.substr(slash + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() || length < 0 || length > 32) {
      return Status::InvalidArgument("bad IPv4 prefix length in '" + std::string(cidr) + "'");
    }
  }
  Ipv4Interval interval = PrefixInterval(*address, length);
  if (interval.first != *address)
    return Status::InvalidArgument("IPv4 prefix '" + std::string(cidr) + "' has host bits set");
  return interval;
}

Result<unsigned __int128> ParseIpv6(std::string_view text) {
  std::string copy(text);
  uint8_t bytes[16];
  if (copy.find(':') == std::string::npos || inet_pton(AF_INET6, copy.c_str(), bytes) != 1) {
    return Status::InvalidArgument("bad IPv6 address '" + copy + "'");
  }
  unsigned __int128 value = 0;
  for (uint8_t b : bytes) value = (value << 8) | b;
  return value;
}

std::string FormatIpv6(unsigned __int128 address) {
  uint8_t bytes[16];
  for (int i = 15; i >= 0; --i) {
    bytes[i] = static_cast<uint8_t>(address & 0xFF);
    address >>= 8;
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes, text, sizeof text);
  return text;
}

}  // namespace vigil::geo
