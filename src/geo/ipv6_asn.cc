// SPDX-License-Identifier: AGPL-3.0-or-later
#include "geo/ipv6_asn.h"

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <unordered_map>

namespace vigil::geo {
namespace {

unsigned __int128 ToNumber(const uint8_t bytes[16]) {
  unsigned __int128 value = 0;
  for (int i = 0; i < 16; ++i) value = (value << 8) | bytes[i];
  return value;
}

bool ParseIpv6(const std::string& text, unsigned __int128* value) {
  uint8_t bytes[16];
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return false;
  *value = ToNumber(bytes);
  return true;
}

// The org field may be quoted ("Cloudflare, Inc."), with doubled quotes inside.
std::string UnquoteField(std::string_view field) {
  if (field.size() < 2 || field.front() != '"') return std::string(field);
  std::string out;
  for (size_t i = 1; i + 1 < field.size(); ++i) {
    out.push_back(field[i]);
    if (field[i] == '"' && field[i + 1] == '"') ++i;
  }
  return out;
}

}  // namespace

Result<Ipv6AsnTable> Ipv6AsnTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": not found (npm @ip-location-db/asn; `make deps` installs it)");
  Ipv6AsnTable table;
  std::unordered_map<std::string, uint32_t> org_index;
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    size_t c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    size_t c3 = c2 == std::string::npos ? c2 : line.find(',', c2 + 1);
    Range range{};
    if (c2 == std::string::npos || !ParseIpv6(line.substr(0, c1), &range.first) ||
        !ParseIpv6(line.substr(c1 + 1, c2 - c1 - 1), &range.last) || range.last < range.first) {
      return Status::Corruption(path + ":" + std::to_string(number) + ": bad IPv6 range");
    }
    std::string asn = line.substr(c2 + 1, c3 == std::string::npos ? std::string::npos : c3 - c2 - 1);
    if (asn.empty() || asn.size() > 10 || asn.find_first_not_of("0123456789") != std::string::npos) {
      return Status::Corruption(path + ":" + std::to_string(number) + ": bad ASN '" + asn + "'");
    }
    range.asn = static_cast<uint32_t>(std::stoull(asn));
    std::string org = c3 == std::string::npos ? std::string() : UnquoteField(std::string_view(line).substr(c3 + 1));
    auto [it, inserted] = org_index.emplace(org, static_cast<uint32_t>(table.orgs_.size()));
    if (inserted) table.orgs_.push_back(org);
    range.org = it->second;
    table.ranges_.push_back(range);
  }
  std::sort(table.ranges_.begin(), table.ranges_.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  return table;
}

uint32_t Ipv6AsnTable::Find(const uint8_t address[16], std::string* org) const {
  unsigned __int128 value = ToNumber(address);
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), value,
                             [](unsigned __int128 v, const Range& r) { return v < r.first; });
  if (it == ranges_.begin()) return 0;
  --it;
  if (value > it->last) return 0;
  if (org) *org = orgs_[it->org];
  return it->asn;
}

}  // namespace vigil::geo
