// SPDX-License-Identifier: AGPL-3.0-or-later
#include <arpa/inet.h>

#include <cstring>

#include "mrt/byte_order.h"
#include "mrt/mrt.h"

namespace vigil::mrt {

// ---- addresses ----

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    inet_ntop(AF_INET, bytes, buffer, sizeof buffer);
  } else if (family == 6) {
    inet_ntop(AF_INET6, bytes, buffer, sizeof buffer);
  }
  return buffer;
}

Prefix Prefix::Masked() const {
  Prefix p = *this;
  const int total = family == 4 ? 4 : 16;
  int bits = length;
  for (int i = 0; i < total; ++i) {
    if (bits >= 8) {
      bits -= 8;
    } else {
      p.bytes[i] &= static_cast<uint8_t>(0xff00 >> bits);
      bits = 0;
    }
  }
  return p;
}

std::string Prefix::ToString() const {
  IpAddress ip;
  ip.family = family;
  std::memcpy(ip.bytes, bytes, sizeof bytes);
  return ip.ToString() + "/" + std::to_string(length);
}

LargeCommunity LargeCommunities::operator[](size_t i) const {
  const uint8_t* p = raw_.data() + 12 * i;
  return LargeCommunity{LoadU32(p), LoadU32(p + 4), LoadU32(p + 8)};
}

// ---- names ----

std::string RecordTypeName(uint16_t type, uint16_t subtype) {
  static const char* const kTableDumpV2[] = {nullptr,
                                             "PEER_INDEX_TABLE",
                                             "RIB_IPV4_UNICAST",
                                             "RIB_IPV4_MULTICAST",
                                             "RIB_IPV6_UNICAST",
                                             "RIB_IPV6_MULTICAST",
                                             "RIB_GENERIC",
                                             nullptr,
                                             "RIB_IPV4_UNICAST_ADDPATH",
                                             "RIB_IPV4_MULTICAST_ADDPATH",
                                             "RIB_IPV6_UNICAST_ADDPATH",
                                             "RIB_IPV6_MULTICAST_ADDPATH",
                                             "RIB_GENERIC_ADDPATH"};
  static const char* const kBgp4mp[] = {"STATE_CHANGE",
                                        "MESSAGE",
                                        "ENTRY",
                                        "SNAPSHOT",
                                        "MESSAGE_AS4",
                                        "STATE_CHANGE_AS4",
                                        "MESSAGE_LOCAL",
                                        "MESSAGE_AS4_LOCAL",
                                        "MESSAGE_ADDPATH",
                                        "MESSAGE_AS4_ADDPATH",
                                        "MESSAGE_LOCAL_ADDPATH",
                                        "MESSAGE_AS4_LOCAL_ADDPATH"};
  static const char* const kTableDump[] = {nullptr, "AFI_IPv4", "AFI_IPv6", "AFI_IPv4_AS4", "AFI_IPv6_AS4"};
  static const char* const kBgp[] = {"NULL", "UPDATE", "PREF_UPDATE", "STATE_CHANGE",
                                     "SYNC", "OPEN",   "NOTIFY",      "KEEPALIVE"};
  const char* type_name = nullptr;
  const char* subtype_name = nullptr;
  switch (type) {
    case kTypeBgpDeprecated:
      type_name = "BGP";
      if (subtype < 8) subtype_name = kBgp[subtype];
      break;
    case kTypeTableDump:
      type_name = "TABLE_DUMP";
      if (subtype < 5) subtype_name = kTableDump[subtype];
      break;
    case kTypeTableDumpV2:
      type_name = "TABLE_DUMP_V2";
      if (subtype < 13) subtype_name = kTableDumpV2[subtype];
      break;
    case kTypeBgp4mp:
    case kTypeBgp4mpEt:
      type_name = type == kTypeBgp4mp ? "BGP4MP" : "BGP4MP_ET";
      if (subtype < 12) subtype_name = kBgp4mp[subtype];
      break;
    default:
      break;
  }
  std::string out = type_name ? type_name : std::to_string(type);
  out += '/';
  out += subtype_name ? subtype_name : std::to_string(subtype);
  return out;
}

// ---- AS path ----

namespace {

// RFC 4271 9.1.2.2 counting: a set counts one, confederation segments do not count.
bool CountPathLength(Bytes raw, uint8_t asn_size, uint32_t* length) {
  uint32_t n = 0;
  bool ok = internal::WalkSegments(raw, asn_size, [&](AsSegmentType type, uint8_t count, const uint8_t*) {
    if (type == AsSegmentType::kSequence) n += count;
    if (type == AsSegmentType::kSet) n += 1;
    return true;
  });
  *length = n;
  return ok;
}

}  // namespace

AsPath::AsPath(Bytes as_path, uint8_t asn_size, Bytes as4_path)
    : as_path_(as_path), as4_path_(as4_path), asn_size_(asn_size) {
  if (asn_size != 2 || as4_path.empty()) return;
  uint32_t n = 0;
  uint32_t m = 0;
  // RFC 6793 4.2.3: a malformed AS4_PATH is ignored, as is one longer than AS_PATH.
  if (!CountPathLength(as_path, 2, &n) || !CountPathLength(as4_path, 4, &m) || n < m) return;
  take_from_as_path_ = n - m;
}

bool AsPath::valid() const {
  uint32_t n;
  return CountPathLength(as_path_, asn_size_, &n);
}

uint32_t AsPath::Length() const {
  uint32_t n = 0;
  ForEachSegment([&](AsSegmentType type, uint32_t count, auto&&) {
    if (type == AsSegmentType::kSequence) n += count;
    if (type == AsSegmentType::kSet) n += 1;
    return true;
  });
  return n;
}

bool AsPath::empty() const {
  bool any = false;
  ForEachSegment([&](AsSegmentType, uint32_t count, auto&&) {
    any = count > 0;
    return !any;
  });
  return !any;
}

uint32_t AsPath::OriginAs() const {
  uint32_t origin = 0;
  ForEachSegment([&](AsSegmentType type, uint32_t count, auto&& asn_at) {
    if (count == 0) return true;
    if (type == AsSegmentType::kSequence || type == AsSegmentType::kConfedSequence) {
      origin = asn_at(count - 1);
    } else {
      origin = count == 1 ? asn_at(0) : 0;
    }
    return true;
  });
  return origin;
}

std::string AsPath::ToString() const {
  std::string out;
  ForEachSegment([&](AsSegmentType type, uint32_t count, auto&& asn_at) {
    const char* open = "";
    const char* close = "";
    char separator = ' ';
    if (type == AsSegmentType::kSet) open = "{", close = "}", separator = ',';
    if (type == AsSegmentType::kConfedSet) open = "[", close = "]", separator = ',';
    if (type == AsSegmentType::kConfedSequence) open = "(", close = ")";
    if (!out.empty()) out += ' ';
    out += open;
    for (uint32_t i = 0; i < count; ++i) {
      if (i > 0) out += separator;
      out += std::to_string(asn_at(i));
    }
    out += close;
    return true;
  });
  return out;
}

// ---- path attributes ----

bool PathAttributes::Scan(Bytes raw, uint8_t asn_size) {
  present_ = 0;
  asn_size_ = asn_size;
  size_t pos = 0;
  const size_t size = raw.size();
  const uint8_t* d = raw.data();
  while (pos < size) {
    if (size - pos < 3) return false;
    uint8_t flags = d[pos];
    uint8_t type = d[pos + 1];
    size_t length;
    if (flags & 0x10) {  // extended length (RFC 4271 4.3)
      if (size - pos < 4) return false;
      length = LoadU16(d + pos + 2);
      pos += 4;
    } else {
      length = d[pos + 2];
      pos += 3;
    }
    if (size - pos < length) return false;
    if (type < kSlots) {
      value_[type] = d + pos;
      length_[type] = static_cast<uint16_t>(length);
    }
    if (type < 64) present_ |= uint64_t{1} << type;
    pos += length;
  }
  return true;
}

Bytes PathAttributes::Raw(uint8_t type) const {
  if (type >= kSlots || !Has(type)) return {};
  return Bytes(value_[type], length_[type]);
}

Origin PathAttributes::origin() const {
  Bytes raw = Raw(kOrigin);
  if (raw.empty()) return Origin::kAbsent;
  return raw[0] <= 2 ? static_cast<Origin>(raw[0]) : Origin::kIncomplete;
}

AsPath PathAttributes::as_path() const { return AsPath(Raw(kAsPath), asn_size_, Raw(kAs4Path)); }

IpAddress PathAttributes::next_hop() const {
  IpAddress ip;
  Bytes raw = Raw(kNextHop);
  if (raw.size() >= 4) {
    ip.family = 4;
    std::memcpy(ip.bytes, raw.data(), 4);
  }
  return ip;
}

uint32_t PathAttributes::med() const {
  Bytes raw = Raw(kMed);
  return raw.size() >= 4 ? LoadU32(raw.data()) : 0;
}

uint32_t PathAttributes::local_pref() const {
  Bytes raw = Raw(kLocalPref);
  return raw.size() >= 4 ? LoadU32(raw.data()) : 0;
}

bool PathAttributes::aggregator(uint32_t* asn, IpAddress* ip) const {
  Bytes raw = Raw(kAggregator);
  size_t asn_bytes;
  if (raw.size() == 6) {
    asn_bytes = 2;
  } else if (raw.size() == 8) {
    asn_bytes = 4;
  } else {
    return false;
  }
  *asn = asn_bytes == 2 ? LoadU16(raw.data()) : LoadU32(raw.data());
  ip->family = 4;
  std::memcpy(ip->bytes, raw.data() + asn_bytes, 4);
  Bytes as4 = Raw(kAs4Aggregator);
  if (*asn == 23456 && as4.size() == 8) {  // AS_TRANS: the real aggregator is in AS4_AGGREGATOR
    *asn = LoadU32(as4.data());
    std::memcpy(ip->bytes, as4.data() + 4, 4);
  }
  return true;
}

}  // namespace vigil::mrt
