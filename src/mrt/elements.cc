// SPDX-License-Identifier: AGPL-3.0-or-later
// Strict decoding of MRT records into elements: every length is checked against the bytes that exist, and
// a record that does not add up is reported rather than guessed at. Record types and subtypes that carry
// no routes (OPEN, KEEPALIVE, ...) yield nothing; unknown ones are reported as unsupported.
#include <cstring>

#include "mrt/byte_order.h"
#include "mrt/mrt.h"

namespace vigil::mrt {
namespace {

// Bounds-checked reader over one span. Reads past the end fail and leave the cursor unusable.
class Cursor {
 public:
  explicit Cursor(Bytes b) : p_(b.data()), end_(b.data() + b.size()) {}
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool U8(uint8_t* v) {
    if (left() < 1) return false;
    *v = *p_++;
    return true;
  }
  bool U16(uint16_t* v) {
    if (left() < 2) return false;
    *v = LoadU16(p_);
    p_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (left() < 4) return false;
    *v = LoadU32(p_);
    p_ += 4;
    return true;
  }
  bool Asn(uint8_t size, uint32_t* v) {
    if (size == 4) return U32(v);
    uint16_t x;
    if (!U16(&x)) return false;
    *v = x;
    return true;
  }
  bool Take(size_t n, Bytes* out) {
    if (left() < n) return false;
    *out = Bytes(p_, n);
    p_ += n;
    return true;
  }
  bool Address(uint8_t family, IpAddress* ip) {
    size_t n = family == 4 ? 4 : 16;
    if (left() < n) return false;
    ip->family = family;
    std::memcpy(ip->bytes, p_, n);
    p_ += n;
    return true;
  }
  Bytes Rest() const { return Bytes(p_, left()); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

Status Malformed(const char* what) { return Status::Corruption(what); }

// Reads one NLRI prefix (RFC 4271 4.3 / RFC 4760), optionally preceded by an RFC 8050 path identifier.
bool ReadPrefix(Cursor& c, uint8_t family, bool addpath, Element* e) {
  if (addpath) {
    if (!c.U32(&e->path_id)) return false;
  }
  uint8_t bits;
  if (!c.U8(&bits)) return false;
  if (bits > (family == 4 ? 32 : 128)) return false;
  Bytes raw;
  if (!c.Take((bits + 7u) / 8u, &raw)) return false;
  e->prefix.family = family;
  e->prefix.length = bits;
  std::memset(e->prefix.bytes, 0, sizeof e->prefix.bytes);
  std::memcpy(e->prefix.bytes, raw.data(), raw.size());
  if (bits % 8 != 0) e->prefix.bytes[bits / 8] &= static_cast<uint8_t>(0xff00 >> (bits % 8));
  return true;
}

bool ValidNlri(Bytes nlri, uint8_t family, bool addpath) {
  Cursor c(nlri);
  Element scratch;
  while (c.left() > 0) {
    if (!ReadPrefix(c, family, addpath, &scratch)) return false;
  }
  return true;
}

// Emits one element per prefix in an NLRI block. Some speakers (BIRD 1.6) wrote ADD-PATH NLRI under the
// plain subtypes; a block that only parses with path identifiers is read that way (RFC 7911 framing).
Status EmitPrefixes(Bytes nlri, uint8_t family, bool addpath, ElementKind kind, Element& e, ElementVisitor& visitor) {
  if (!ValidNlri(nlri, family, addpath)) {
    if (addpath || !ValidNlri(nlri, family, true)) return Malformed("bad prefix in NLRI");
    addpath = true;
  }
  Cursor c(nlri);
  e.kind = kind;
  e.has_path_id = addpath;
  while (c.left() > 0) {
    if (!ReadPrefix(c, family, addpath, &e)) return Malformed("bad prefix in NLRI");
    visitor.OnElement(e);
  }
  return Status::Ok();
}

// AFI/SAFI pairs that carry plain IP prefixes (RFC 4760: SAFI 1 unicast, 2 multicast, 3 both).
bool PlainPrefixFamily(uint16_t afi, uint8_t safi, uint8_t* family) {
  if (safi < 1 || safi > 3) return false;
  if (afi == 1)
    *family = 4;
  else if (afi == 2)
    *family = 6;
  else
    return false;
  return true;
}

// MP next hop: 4 (IPv4), 16 (IPv6), 32 (IPv6 + link-local), 12/24 (route distinguisher + address).
IpAddress MpNextHop(Bytes raw) {
  IpAddress ip;
  if (raw.size() == 4) {
    ip.family = 4;
    std::memcpy(ip.bytes, raw.data(), 4);
  } else if (raw.size() == 16 || raw.size() == 32) {
    ip.family = 6;
    std::memcpy(ip.bytes, raw.data(), 16);
  } else if (raw.size() == 12) {
    ip.family = 4;
    std::memcpy(ip.bytes, raw.data() + 8, 4);
  } else if (raw.size() == 24 || raw.size() == 48) {
    ip.family = 6;
    std::memcpy(ip.bytes, raw.data() + 8, 16);
  }
  return ip;
}

// Withdrawals then announcements of one BGP UPDATE body (RFC 4271 4.3), including MP_(UN)REACH_NLRI.
Status DecodeUpdate(Bytes update, uint8_t asn_size, bool addpath, PathAttributes& attributes, Element& e,
                    ElementVisitor& visitor) {
  Cursor c(update);
  uint16_t withdrawn_length;
  Bytes withdrawn;
  uint16_t attributes_length;
  Bytes raw_attributes;
  if (!c.U16(&withdrawn_length) || !c.Take(withdrawn_length, &withdrawn)) {
    return Malformed("withdrawn routes run past the message");
  }
  if (!c.U16(&attributes_length) || !c.Take(attributes_length, &raw_attributes)) {
    return Malformed("path attributes run past the message");
  }
  Bytes nlri = c.Rest();
  if (!attributes.Scan(raw_attributes, asn_size)) return Malformed("path attribute length overflows");

  e.multicast = false;
  e.attributes = nullptr;
  e.next_hop = IpAddress();
  VIGIL_RETURN_IF_ERROR(EmitPrefixes(withdrawn, 4, addpath, ElementKind::kWithdraw, e, visitor));
  if (attributes.Has(PathAttributes::kMpUnreach)) {
    Cursor m(attributes.mp_unreach());
    uint16_t afi;
    uint8_t safi;
    uint8_t family;
    if (!m.U16(&afi) || !m.U8(&safi)) return Malformed("short MP_UNREACH_NLRI");
    if (PlainPrefixFamily(afi, safi, &family)) {
      e.multicast = safi == 2;
      VIGIL_RETURN_IF_ERROR(EmitPrefixes(m.Rest(), family, addpath, ElementKind::kWithdraw, e, visitor));
      e.multicast = false;
    }
  }
  e.attributes = &attributes;
  if (!nlri.empty()) {
    e.next_hop = attributes.next_hop();
    VIGIL_RETURN_IF_ERROR(EmitPrefixes(nlri, 4, addpath, ElementKind::kAnnounce, e, visitor));
  }
  if (attributes.Has(PathAttributes::kMpReach)) {
    Cursor m(attributes.mp_reach());
    uint16_t afi;
    uint8_t safi;
    uint8_t next_hop_length;
    uint8_t reserved;
    Bytes next_hop;
    uint8_t family;
    if (!m.U16(&afi) || !m.U8(&safi) || !m.U8(&next_hop_length) || !m.Take(next_hop_length, &next_hop) ||
        !m.U8(&reserved)) {
      return Malformed("short MP_REACH_NLRI");
    }
    if (PlainPrefixFamily(afi, safi, &family)) {
      e.next_hop = MpNextHop(next_hop);
      e.multicast = safi == 2;
      VIGIL_RETURN_IF_ERROR(EmitPrefixes(m.Rest(), family, addpath, ElementKind::kAnnounce, e, visitor));
      e.multicast = false;
    }
  }
  return Status::Ok();
}

bool IsAddpathRib(uint16_t subtype) { return subtype >= kRibIpv4UnicastAddpath && subtype <= kRibGenericAddpath; }

void StartElement(const Record& record, Element* e) {
  e->time = record.timestamp;
  e->microseconds = record.microseconds;
  e->record_type = record.type;
  e->record_subtype = record.subtype;
  e->record_offset = record.offset;
  e->peer_index = -1;
  e->has_path_id = false;
  e->path_id = 0;
  e->multicast = false;
  e->attributes = nullptr;
  e->next_hop = IpAddress();
  e->old_state = e->new_state = 0;
}

}  // namespace

Status ElementDecoder::Decode(const Record& record, ElementVisitor& visitor) {
  if (record.type == kTypeBgp4mpEt && record.length < 4) return Malformed("extended header shorter than 4 bytes");
  switch (record.type) {
    case kTypeTableDump:
      return DecodeTableDump(record, visitor);
    case kTypeTableDumpV2:
      return DecodeTableDumpV2(record, visitor);
    case kTypeBgp4mp:
    case kTypeBgp4mpEt:
      return DecodeBgp4mp(record, visitor);
    case kTypeBgpDeprecated:
      return DecodeDeprecatedBgp(record, visitor);
    default:
      return Malformed("unsupported MRT record type");
  }
}

// RFC 6396 4.2 (and the 32-bit-AS subtypes 3/4 some writers use).
Status ElementDecoder::DecodeTableDump(const Record& record, ElementVisitor& visitor) {
  if (record.subtype < 1 || record.subtype > 4) return Malformed("unknown TABLE_DUMP subtype");
  const uint8_t family = (record.subtype == 1 || record.subtype == 3) ? 4 : 6;
  const uint8_t asn_size = record.subtype >= 3 ? 4 : 2;
  Cursor c(record.body);
  uint16_t view, sequence, attributes_length;
  uint8_t length, status;
  uint32_t originated;
  IpAddress prefix;
  Element e;
  StartElement(record, &e);
  Bytes raw_attributes;
  if (!c.U16(&view) || !c.U16(&sequence) || !c.Address(family, &prefix) || !c.U8(&length) || !c.U8(&status) ||
      !c.U32(&originated) || !c.Address(family, &e.peer_ip) || !c.Asn(asn_size, &e.peer_asn) ||
      !c.U16(&attributes_length) || !c.Take(attributes_length, &raw_attributes)) {
    return Malformed("TABLE_DUMP entry shorter than its fields");
  }
  if (length > (family == 4 ? 32 : 128)) return Malformed("TABLE_DUMP prefix length too long");
  if (!attributes_.Scan(raw_attributes, asn_size)) return Malformed("path attribute length overflows");
  e.kind = ElementKind::kRib;
  e.prefix.family = family;
  e.prefix.length = length;
  std::memcpy(e.prefix.bytes, prefix.bytes, sizeof e.prefix.bytes);
  e.prefix = e.prefix.Masked();
  e.attributes = &attributes_;
  e.next_hop = attributes_.next_hop();
  if (attributes_.Has(PathAttributes::kMpReach)) {
    Bytes mp = attributes_.mp_reach();
    if (!mp.empty() && mp[0] != 0 && size_t{mp[0]} + 1 <= mp.size()) e.next_hop = MpNextHop(mp.subspan(1, mp[0]));
  }
  visitor.OnElement(e);
  return Status::Ok();
}

Status ElementDecoder::DecodeTableDumpV2(const Record& record, ElementVisitor& visitor) {
  switch (record.subtype) {
    case kPeerIndexTable:
      return DecodePeerIndexTable(record, visitor);
    case kRibIpv4Unicast:
    case kRibIpv4Multicast:
    case kRibIpv6Unicast:
    case kRibIpv6Multicast:
    case kRibGeneric:
    case kRibIpv4UnicastAddpath:
    case kRibIpv4MulticastAddpath:
    case kRibIpv6UnicastAddpath:
    case kRibIpv6MulticastAddpath:
    case kRibGenericAddpath:
      return DecodeRib(record, visitor);
    default:
      return Malformed("unknown TABLE_DUMP_V2 subtype");
  }
}

// RFC 6396 4.3.1.
Status ElementDecoder::DecodePeerIndexTable(const Record& record, ElementVisitor& visitor) {
  Cursor c(record.body);
  uint16_t name_length, count;
  Bytes name;
  PeerIndexTable table;
  if (!c.U32(&table.collector_bgp_id) || !c.U16(&name_length) || !c.Take(name_length, &name) || !c.U16(&count)) {
    return Malformed("PEER_INDEX_TABLE header truncated");
  }
  table.view_name.assign(reinterpret_cast<const char*>(name.data()), name.size());
  table.peers.resize(count);
  for (uint16_t i = 0; i < count; ++i) {
    PeerEntry& peer = table.peers[i];
    uint8_t type;
    peer.index = i;
    if (!c.U8(&type) || !c.U32(&peer.bgp_id) || !c.Address((type & 1) ? 6 : 4, &peer.ip) ||
        !c.Asn((type & 2) ? 4 : 2, &peer.asn)) {
      return Malformed("PEER_INDEX_TABLE entry truncated");
    }
  }
  peer_table_ = std::move(table);
  has_peer_table_ = true;
  visitor.OnPeerIndexTable(peer_table_);
  return Status::Ok();
}

// RFC 6396 4.3.2-4.3.4, RFC 8050 section 4.
Status ElementDecoder::DecodeRib(const Record& record, ElementVisitor& visitor) {
  const bool addpath = IsAddpathRib(record.subtype);
  const uint16_t base = addpath ? record.subtype - 6 : record.subtype;
  Cursor c(record.body);
  uint32_t sequence;
  Element e;
  StartElement(record, &e);
  if (!c.U32(&sequence)) return Malformed("RIB record truncated");
  uint8_t family;
  if (base == kRibGeneric) {
    uint16_t afi;
    uint8_t safi;
    if (!c.U16(&afi) || !c.U8(&safi)) return Malformed("RIB_GENERIC header truncated");
    // Only plain IP prefixes become elements; VPN, flowspec and other NLRI kinds are not routes we count.
    if (!PlainPrefixFamily(afi, safi, &family)) return Status::Ok();
    e.multicast = safi == 2;
  } else {
    family = (base == kRibIpv4Unicast || base == kRibIpv4Multicast) ? 4 : 6;
    e.multicast = base == kRibIpv4Multicast || base == kRibIpv6Multicast;
  }
  // The NLRI of a RIB record carries no path identifier (RFC 8050 4: it sits in each RIB entry).
  if (!ReadPrefix(c, family, false, &e)) return Malformed("RIB prefix truncated or too long");
  uint16_t count;
  if (!c.U16(&count)) return Malformed("RIB entry count truncated");
  if (count > 0 && !has_peer_table_) return Malformed("RIB record without a preceding PEER_INDEX_TABLE");
  e.kind = ElementKind::kRib;
  e.has_path_id = addpath;
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t peer_index, attributes_length;
    uint32_t originated;
    Bytes raw_attributes;
    if (!c.U16(&peer_index) || !c.U32(&originated) || (addpath && !c.U32(&e.path_id)) || !c.U16(&attributes_length) ||
        !c.Take(attributes_length, &raw_attributes)) {
      return Malformed("RIB entry truncated");
    }
    if (peer_index >= peer_table_.peers.size()) return Malformed("RIB entry names a peer index out of range");
    const PeerEntry& peer = peer_table_.peers[peer_index];
    e.peer_index = peer_index;
    e.peer_ip = peer.ip;
    e.peer_asn = peer.asn;
    // TABLE_DUMP_V2 AS_PATHs are always 4-byte (RFC 6396 4.3.4).
    if (!attributes_.Scan(raw_attributes, 4)) return Malformed("path attribute length overflows");
    e.attributes = &attributes_;
    e.next_hop = attributes_.next_hop();
    if (attributes_.Has(PathAttributes::kMpReach)) {
      // RFC 6396 4.3.4 abbreviates MP_REACH_NLRI to the next hop (length byte + address); some writers keep
      // the full form, recognisable by its leading AFI high byte of zero.
      Bytes mp = attributes_.mp_reach();
      if (!mp.empty() && mp[0] != 0) {
        if (size_t{mp[0]} + 1 <= mp.size()) e.next_hop = MpNextHop(mp.subspan(1, mp[0]));
      } else if (mp.size() >= 4 && size_t{mp[3]} + 4 <= mp.size()) {
        e.next_hop = MpNextHop(mp.subspan(4, mp[3]));
      }
    }
    visitor.OnElement(e);
  }
  return Status::Ok();
}

// RFC 6396 4.4.
Status ElementDecoder::DecodeBgp4mp(const Record& record, ElementVisitor& visitor) {
  const uint16_t st = record.subtype;
  const bool state_change = st == kStateChange || st == kStateChangeAs4;
  const bool message = st == kMessage || st == kMessageAs4 || (st >= kMessageLocal && st <= kMessageAs4LocalAddpath);
  if (!state_change && !message) return Malformed("unsupported BGP4MP subtype");
  const uint8_t asn_size = (st == kStateChangeAs4 || st == kMessageAs4 || st == kMessageAs4Local ||
                            st == kMessageAs4Addpath || st == kMessageAs4LocalAddpath)
                               ? 4
                               : 2;
  const bool addpath = st >= kMessageAddpath && st <= kMessageAs4LocalAddpath;
  Element e;
  StartElement(record, &e);
  Cursor c(record.body);
  uint32_t local_asn;
  uint16_t ifindex, afi;
  if (!c.Asn(asn_size, &e.peer_asn) || !c.Asn(asn_size, &local_asn)) return Malformed("BGP4MP header truncated");
  if (state_change && record.body.size() == 8 && asn_size == 2) {
    // Old Zebra wrote state changes without interface, family and addresses.
    if (!c.U16(&e.old_state) || !c.U16(&e.new_state)) return Malformed("state change truncated");
    e.kind = ElementKind::kState;
    visitor.OnElement(e);
    return Status::Ok();
  }
  if (!c.U16(&ifindex) || !c.U16(&afi)) return Malformed("BGP4MP header truncated");
  if (message && afi == 0xffff && ifindex == 0xffff) return Status::Ok();  // Zebra OPEN without addresses
  if (afi != 1 && afi != 2) return Malformed("BGP4MP address family not IPv4/IPv6");
  const uint8_t family = afi == 1 ? 4 : 6;
  IpAddress local_ip;
  if (!c.Address(family, &e.peer_ip) || !c.Address(family, &local_ip)) return Malformed("BGP4MP addresses truncated");
  if (state_change) {
    if (!c.U16(&e.old_state) || !c.U16(&e.new_state)) return Malformed("state change truncated");
    e.kind = ElementKind::kState;
    visitor.OnElement(e);
    return Status::Ok();
  }
  // BGP message (RFC 4271 4.1): marker, length, type.
  Bytes marker;
  uint16_t length;
  uint8_t type;
  if (!c.Take(16, &marker) || !c.U16(&length) || !c.U8(&type)) return Malformed("BGP message header truncated");
  if (length < 19 || length - 19u > c.left()) return Malformed("BGP message length does not match the record");
  if (type != 2) return Status::Ok();  // OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH carry no routes
  Bytes update;
  c.Take(length - 19u, &update);
  return DecodeUpdate(update, asn_size, addpath, attributes_, e, visitor);
}

// The deprecated MRT "BGP" type (5) of RIS files from 1999-2000: subtypes UPDATE (1) and STATE_CHANGE (3).
Status ElementDecoder::DecodeDeprecatedBgp(const Record& record, ElementVisitor& visitor) {
  Element e;
  StartElement(record, &e);
  Cursor c(record.body);
  if (record.subtype == 1) {
    uint32_t peer_asn, local_asn;
    IpAddress local_ip;
    if (!c.Asn(2, &peer_asn) || !c.Address(4, &e.peer_ip) || !c.Asn(2, &local_asn) || !c.Address(4, &local_ip)) {
      return Malformed("BGP UPDATE header truncated");
    }
    e.peer_asn = peer_asn;
    return DecodeUpdate(c.Rest(), 2, false, attributes_, e, visitor);
  }
  if (record.subtype == 3) {
    if (!c.Asn(2, &e.peer_asn) || !c.Address(4, &e.peer_ip) || !c.U16(&e.old_state) || !c.U16(&e.new_state)) {
      return Malformed("BGP STATE_CHANGE truncated");
    }
    e.kind = ElementKind::kState;
    visitor.OnElement(e);
    return Status::Ok();
  }
  // OPEN (5), NOTIFY (6) and KEEPALIVE (7) carry no routes; NULL, PREF_UPDATE and SYNC were never used.
  if (record.subtype >= 5 && record.subtype <= 7) return Status::Ok();
  return Malformed("unsupported BGP (type 5) subtype");
}

namespace {

class FunctionVisitor : public ElementVisitor {
 public:
  explicit FunctionVisitor(const std::function<void(const Element&)>& fn) : fn_(fn) {}
  void OnElement(const Element& element) override { fn_(element); }

 private:
  const std::function<void(const Element&)>& fn_;
};

}  // namespace

Result<ReadSummary> ForEachElement(const std::string& path, ElementVisitor& visitor, ReaderOptions options) {
  Result<std::unique_ptr<Reader>> reader = Reader::Open(path, std::move(options));
  if (!reader.ok()) return reader.status();
  ElementDecoder decoder;
  Record record;
  while ((*reader)->Next(&record)) {
    Status status = decoder.Decode(record, visitor);
    if (!status.ok()) (*reader)->ReportBadRecord(record, status.message());
  }
  return (*reader)->summary();
}

Result<ReadSummary> ForEachElement(const std::string& path, const std::function<void(const Element&)>& fn,
                                   ReaderOptions options) {
  FunctionVisitor visitor(fn);
  return ForEachElement(path, visitor, std::move(options));
}

}  // namespace vigil::mrt
