// SPDX-License-Identifier: AGPL-3.0-or-later
// Module mrt: reads MRT routing dumps (RFC 6396, with RFC 6793 AS4 and RFC 8050 ADD-PATH) as published by
// RIPE RIS and RouteViews, compressed with gzip, bzip2, zstd or not at all (detected by magic bytes). It owns
// decompression, record framing, BGP path-attribute decoding, the "element" view that later stages consume
// (one element per RIB entry, announced prefix, withdrawn prefix or peer state change), and a formatter that
// reproduces Debian bgpdump 1.6.2's `-m` output. It knows nothing about geography, signals or storage.
//
// Hot-path contract: decompressed bytes live in one large buffer; records, attributes and prefixes are views
// into it. Nothing is allocated per element or per field. Views are valid only during the callback that
// receives them (the buffer slides forward as the file is read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::mrt {

using Bytes = std::span<const uint8_t>;

// MRT record types (RFC 6396 section 4) that the reader decodes; type 5 is the deprecated "BGP" type that the
// oldest RIS files (1999-2000) use.
enum RecordType : uint16_t {
  kTypeBgpDeprecated = 5,
  kTypeTableDump = 12,
  kTypeTableDumpV2 = 13,
  kTypeBgp4mp = 16,
  kTypeBgp4mpEt = 17,
};

// TABLE_DUMP_V2 subtypes (RFC 6396 4.3, RFC 8050).
enum TableDumpV2Subtype : uint16_t {
  kPeerIndexTable = 1,
  kRibIpv4Unicast = 2,
  kRibIpv4Multicast = 3,
  kRibIpv6Unicast = 4,
  kRibIpv6Multicast = 5,
  kRibGeneric = 6,
  kRibIpv4UnicastAddpath = 8,
  kRibIpv4MulticastAddpath = 9,
  kRibIpv6UnicastAddpath = 10,
  kRibIpv6MulticastAddpath = 11,
  kRibGenericAddpath = 12,
};

// BGP4MP / BGP4MP_ET subtypes (RFC 6396 4.4, RFC 8050).
enum Bgp4mpSubtype : uint16_t {
  kStateChange = 0,
  kMessage = 1,
  kMessageAs4 = 4,
  kStateChangeAs4 = 5,
  kMessageLocal = 6,
  kMessageAs4Local = 7,
  kMessageAddpath = 8,
  kMessageAs4Addpath = 9,
  kMessageLocalAddpath = 10,
  kMessageAs4LocalAddpath = 11,
};

// An IPv4 or IPv6 address. IPv4 occupies bytes[0..3] in network order.
struct IpAddress {
  uint8_t family = 0;  // 4, 6, or 0 when absent
  uint8_t bytes[16] = {};

  bool is_v4() const { return family == 4; }
  bool is_v6() const { return family == 6; }
  // IPv4 address in host byte order (0 unless is_v4()).
  uint32_t V4() const {
    return is_v4() ? (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3] : 0;
  }
  std::string ToString() const;  // not for hot paths
};

// A routed prefix. Bits beyond the prefix length are zero in elements (the decoder clears host bits that
// senders sometimes leave set).
struct Prefix {
  uint8_t family = 0;  // 4 or 6
  uint8_t length = 0;  // bits
  uint8_t bytes[16] = {};

  uint32_t V4() const {
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
  }
  Prefix Masked() const;
  std::string ToString() const;  // "10.0.0.0/8", "2001:db8::/32"; not for hot paths
};

enum class Origin : uint8_t { kIgp = 0, kEgp = 1, kIncomplete = 2, kAbsent = 255 };

enum class AsSegmentType : uint8_t { kSet = 1, kSequence = 2, kConfedSequence = 3, kConfedSet = 4 };

// The AS path of a route, merged from AS_PATH and AS4_PATH as RFC 6793 section 4.2.3 says when the
// message came from a 2-byte-AS speaker. A view: decoding happens while iterating.
class AsPath {
 public:
  AsPath() = default;
  AsPath(Bytes as_path, uint8_t asn_size, Bytes as4_path);

  // Calls fn(type, asns_count, asn_at) for each segment; asn_at(i) returns the i-th ASN. Stops early and
  // returns false if fn returns false. Malformed data ends the walk (see valid()).
  template <typename Fn>
  bool ForEachSegment(Fn&& fn) const;

  bool valid() const;       // every segment well-formed
  bool empty() const;       // no ASNs
  uint32_t Length() const;  // RFC 4271 path length: a set counts 1, confederation segments 0
  // The origin AS: the last ASN of a trailing AS_SEQUENCE; for a trailing AS_SET of one member, that member;
  // otherwise 0 (no single origin).
  uint32_t OriginAs() const;
  std::string ToString() const;  // "1 2 {3,4}"; not for hot paths

 private:
  friend class AsPathWalker;
  Bytes as_path_;
  Bytes as4_path_;
  uint8_t asn_size_ = 4;
  // ASNs of AS_PATH to take before switching to AS4_PATH (RFC 6793); UINT32_MAX = use AS_PATH only.
  uint32_t take_from_as_path_ = UINT32_MAX;
};

struct LargeCommunity {
  uint32_t global;
  uint32_t local1;
  uint32_t local2;
};

// A fixed-stride list of big-endian values inside an attribute (communities, large communities).
class Communities {
 public:
  Communities() = default;
  explicit Communities(Bytes raw) : raw_(raw) {}
  size_t size() const { return raw_.size() / 4; }
  uint32_t operator[](size_t i) const {
    const uint8_t* p = raw_.data() + 4 * i;
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  }

 private:
  Bytes raw_;
};

class LargeCommunities {
 public:
  LargeCommunities() = default;
  explicit LargeCommunities(Bytes raw) : raw_(raw) {}
  size_t size() const { return raw_.size() / 12; }
  LargeCommunity operator[](size_t i) const;

 private:
  Bytes raw_;
};

// The path attributes of one route, scanned once (type → bytes); values are decoded when asked for.
class PathAttributes {
 public:
  // Scans `raw` (the attribute block as on the wire). asn_size is 2 for AS_PATH of 2-byte speakers.
  // Returns false when the block is malformed (an attribute runs past the end); what was scanned stays.
  bool Scan(Bytes raw, uint8_t asn_size);

  bool Has(uint8_t type) const { return type < 64 && (present_ >> type) & 1; }
  Bytes Raw(uint8_t type) const;  // empty when absent or not one of the kept types

  Origin origin() const;
  AsPath as_path() const;
  uint32_t OriginAs() const { return as_path().OriginAs(); }
  IpAddress next_hop() const;  // NEXT_HOP attribute (IPv4); family 0 when absent
  bool has_med() const { return Has(kMed); }
  uint32_t med() const;
  bool has_local_pref() const { return Has(kLocalPref); }
  uint32_t local_pref() const;
  bool atomic_aggregate() const { return Has(kAtomicAggregate); }
  // AGGREGATOR (AS4_AGGREGATOR substituted when AGGREGATOR carries AS_TRANS, RFC 6793 4.2.3).
  bool aggregator(uint32_t* asn, IpAddress* ip) const;
  Communities communities() const { return Communities(Raw(kCommunities)); }
  LargeCommunities large_communities() const { return LargeCommunities(Raw(kLargeCommunities)); }
  Bytes mp_reach() const { return Raw(kMpReach); }
  Bytes mp_unreach() const { return Raw(kMpUnreach); }
  uint8_t asn_size() const { return asn_size_; }

  enum Type : uint8_t {
    kOrigin = 1,
    kAsPath = 2,
    kNextHop = 3,
    kMed = 4,
    kLocalPref = 5,
    kAtomicAggregate = 6,
    kAggregator = 7,
    kCommunities = 8,
    kMpReach = 14,
    kMpUnreach = 15,
    kAs4Path = 17,
    kAs4Aggregator = 18,
    kLargeCommunities = 32,
  };

 private:
  static constexpr int kSlots = 33;
  uint64_t present_ = 0;
  uint8_t asn_size_ = 4;
  const uint8_t* value_[kSlots] = {};
  uint16_t length_[kSlots] = {};
};

enum class ElementKind : uint8_t { kRib, kAnnounce, kWithdraw, kState };

// One routing fact. Pointers and views are valid only inside the callback.
struct Element {
  ElementKind kind = ElementKind::kRib;
  int64_t time = 0;           // seconds since the epoch (record header)
  uint32_t microseconds = 0;  // BGP4MP_ET only
  uint16_t record_type = 0;
  uint16_t record_subtype = 0;
  uint64_t record_offset = 0;  // decompressed byte offset of the record header

  IpAddress peer_ip;
  uint32_t peer_asn = 0;
  int32_t peer_index = -1;  // index into the PEER_INDEX_TABLE (TABLE_DUMP_V2), else -1

  Prefix prefix;  // kRib, kAnnounce, kWithdraw
  bool has_path_id = false;
  uint32_t path_id = 0;  // RFC 8050
  bool multicast = false;

  uint16_t old_state = 0;  // kState (RFC 6396 4.4.1 state codes)
  uint16_t new_state = 0;

  // kRib, kAnnounce: attributes of the route; nullptr for withdrawals and state changes.
  const PathAttributes* attributes = nullptr;
  IpAddress next_hop;  // MP_REACH next hop for MP prefixes, NEXT_HOP for IPv4 NLRI
};

struct PeerEntry {
  uint16_t index = 0;
  uint32_t bgp_id = 0;
  IpAddress ip;
  uint32_t asn = 0;
};

// The collector and its peers (TABLE_DUMP_V2 PEER_INDEX_TABLE).
struct PeerIndexTable {
  uint32_t collector_bgp_id = 0;
  std::string view_name;
  std::vector<PeerEntry> peers;
};

// "TABLE_DUMP_V2/RIB_IPV4_UNICAST", "BGP4MP_ET/MESSAGE_AS4", or numbers for unknown ones ("99/3").
std::string RecordTypeName(uint16_t type, uint16_t subtype);

// One MRT record: header fields and the body (a view into the decompressed buffer).
struct Record {
  uint32_t timestamp = 0;
  uint32_t microseconds = 0;  // extended-timestamp types only
  uint16_t type = 0;
  uint16_t subtype = 0;
  uint32_t length = 0;  // as declared in the header (counts the microsecond field of _ET types)
  uint64_t offset = 0;  // decompressed offset of the header
  Bytes body;           // after the (extended) header
};

// What reading a file found: counts and every problem (each message names the file and the decompressed
// byte offset). `skipped` counts records (or tails) that could not be decoded.
struct ReadSummary {
  uint64_t records = 0;
  uint64_t bytes = 0;  // decompressed bytes consumed
  uint64_t skipped = 0;
  std::vector<std::string> errors;
  bool clean() const { return skipped == 0 && errors.empty(); }
};

struct ReaderOptions {
  // bgpdump reads only the first stream of a multi-stream bzip2 file; its compatibility mode does the same.
  bool bzip2_first_stream_only = false;
  // Called with each problem as it is found (also appended to the summary).
  std::function<void(const std::string&)> on_error;
  // When set, these bytes are the file (plain or compressed) and the path only names it in messages. The
  // caller keeps them alive while reading; decompression runs on the reading thread (no producer thread),
  // which makes opening cheap for fuzzing and tests.
  std::optional<std::span<const uint8_t>> contents;
};

class InputStream;

// Frames MRT records from one file. Records are views valid until the next call to Next().
class Reader {
 public:
  static Result<std::unique_ptr<Reader>> Open(const std::string& path, ReaderOptions options = {});
  ~Reader();

  // Fills *record with the next record; false at end of input (or at a framing error it cannot pass).
  bool Next(Record* record);
  // Reports a problem with a record (decoders call this); marks it skipped.
  void ReportBadRecord(const Record& record, std::string_view what);
  const ReadSummary& summary() const { return summary_; }
  const std::string& path() const { return path_; }

 private:
  Reader(std::string path, std::unique_ptr<InputStream> input, ReaderOptions options);
  void Report(uint64_t offset, std::string_view what, bool skipped);

  std::string path_;
  std::unique_ptr<InputStream> input_;
  ReaderOptions options_;
  ReadSummary summary_;
  uint64_t position_ = 0;
  uint64_t last_release_ = 0;
  bool done_ = false;
};

// Receives elements; override what you need.
class ElementVisitor {
 public:
  virtual ~ElementVisitor() = default;
  virtual void OnElement(const Element& element) = 0;
  virtual void OnPeerIndexTable(const PeerIndexTable& /*table*/) {}
};

// Turns records into elements. Keeps the PEER_INDEX_TABLE between records.
class ElementDecoder {
 public:
  // Decodes one record, calling the visitor for each element. Returns an error (naming what is wrong, no
  // offset) when the record is malformed; elements already delivered from it stay delivered. Records of
  // types it does not decode are ignored (OK).
  Status Decode(const Record& record, ElementVisitor& visitor);
  const PeerIndexTable* peer_index_table() const { return has_peer_table_ ? &peer_table_ : nullptr; }

 private:
  Status DecodeTableDump(const Record& record, ElementVisitor& visitor);
  Status DecodeTableDumpV2(const Record& record, ElementVisitor& visitor);
  Status DecodePeerIndexTable(const Record& record, ElementVisitor& visitor);
  Status DecodeRib(const Record& record, ElementVisitor& visitor);
  Status DecodeBgp4mp(const Record& record, ElementVisitor& visitor);
  Status DecodeDeprecatedBgp(const Record& record, ElementVisitor& visitor);

  PeerIndexTable peer_table_;
  bool has_peer_table_ = false;
  PathAttributes attributes_;
};

// Reads a whole file, delivering every element. Problems are reported in the summary (and via
// options.on_error); the returned Status fails only when the file cannot be opened.
Result<ReadSummary> ForEachElement(const std::string& path, ElementVisitor& visitor, ReaderOptions options = {});
Result<ReadSummary> ForEachElement(const std::string& path, const std::function<void(const Element&)>& fn,
                                   ReaderOptions options = {});

// ---- Whole-file tools behind `vigil mrt dump` and `vigil mrt stat` ----

// Writes what Debian `bgpdump -m FILE` (1.6.2) prints on stdout for the file, in large chunks to `fd`.
// Problems go to the summary (and options.on_error), never to fd.
Result<ReadSummary> WriteBgpdumpLines(const std::string& path, int fd, ReaderOptions options = {});

// Counts from decoding every record, element and attribute of a file.
struct FileStats {
  struct TypeCount {
    uint16_t type;
    uint16_t subtype;
    uint64_t records;
  };
  std::vector<TypeCount> record_types;  // sorted by type, subtype
  uint64_t records = 0;
  uint64_t rib_entries = 0, announcements = 0, withdrawals = 0, state_changes = 0;
  uint64_t prefixes_v4 = 0, prefixes_v6 = 0;  // elements carrying a prefix, by family
  uint64_t peers = 0;                         // distinct (peer IP, peer AS)
  uint64_t as_path_asns = 0;                  // total ASNs seen on AS paths (proves they were decoded)
  uint64_t communities = 0, large_communities = 0;
  int64_t first_time = 0, last_time = 0;  // over record headers; 0 when no records
  ReadSummary summary;
};
Result<FileStats> ComputeFileStats(const std::string& path, ReaderOptions options = {});

// ---- AsPath iteration (header-only for speed) ----

namespace internal {
inline uint32_t LoadAsn(const uint8_t* p, uint8_t size) {
  return size == 4 ? (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]
                   : (uint32_t{p[0]} << 8) | p[1];
}
// Walks segments of one AS path attribute; returns false on a malformed segment.
template <typename Fn>
bool WalkSegments(Bytes raw, uint8_t asn_size, Fn&& fn) {
  size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos < 2) return false;
    uint8_t type = raw[pos];
    uint8_t count = raw[pos + 1];
    if (type < 1 || type > 4) return false;
    size_t bytes = size_t{count} * asn_size;
    if (raw.size() - pos - 2 < bytes) return false;
    const uint8_t* data = raw.data() + pos + 2;
    if (!fn(static_cast<AsSegmentType>(type), count, data)) return true;
    pos += 2 + bytes;
  }
  return true;
}
}  // namespace internal

template <typename Fn>
bool AsPath::ForEachSegment(Fn&& fn) const {
  const uint8_t asn_size = asn_size_;
  if (take_from_as_path_ == UINT32_MAX) {
    bool keep_going = true;
    internal::WalkSegments(as_path_, asn_size, [&](AsSegmentType type, uint8_t count, const uint8_t* data) {
      keep_going = fn(type, uint32_t{count},
                      [data, asn_size](uint32_t i) { return internal::LoadAsn(data + i * asn_size, asn_size); });
      return keep_going;
    });
    return keep_going;
  }
  // RFC 6793 4.2.3: take the leading ASNs of AS_PATH (sets count one), then all of AS4_PATH.
  uint32_t remaining = take_from_as_path_;
  bool keep_going = true;
  internal::WalkSegments(as_path_, asn_size, [&](AsSegmentType type, uint8_t count, const uint8_t* data) {
    if (remaining == 0) return false;
    // Counting as RFC 4271 9.1.2.2 does: a set counts one, confederation segments nothing (kept whole).
    uint32_t take = count;
    if (type == AsSegmentType::kSet) {
      remaining -= 1;
    } else if (type == AsSegmentType::kSequence) {
      take = count < remaining ? count : remaining;
      remaining -= take;
    }
    keep_going =
        fn(type, take, [data, asn_size](uint32_t i) { return internal::LoadAsn(data + i * asn_size, asn_size); });
    return keep_going && remaining > 0;
  });
  if (!keep_going) return false;
  internal::WalkSegments(as4_path_, 4, [&](AsSegmentType type, uint8_t count, const uint8_t* data) {
    keep_going = fn(type, uint32_t{count}, [data](uint32_t i) { return internal::LoadAsn(data + i * 4, 4); });
    return keep_going;
  });
  return keep_going;
}

}  // namespace vigil::mrt
