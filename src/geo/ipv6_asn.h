// SPDX-License-Identifier: AGPL-3.0-or-later
// IPv6 address → origin ASN from the ip-location-db ASN CSV (asn-ipv6.csv), for per-address lookups.
// Loaded on the first IPv6 lookup; the signal stage counts IPv4 /24s only and never needs it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::geo {

class Ipv6AsnTable {
 public:
  static Result<Ipv6AsnTable> Load(const std::string& path);
  // 0 when no range holds the address; *org gets the organisation name.
  uint32_t Find(const uint8_t address[16], std::string* org) const;

 private:
  struct Range {
    unsigned __int128 first, last;
    uint32_t asn;
    uint32_t org;  // index into orgs_
  };
  std::vector<Range> ranges_;
  std::vector<std::string> orgs_;
};

}  // namespace vigil::geo
