// SPDX-License-Identifier: AGPL-3.0-or-later
// `bgpdump -m` compatibility (Debian bgpdump 1.6.2). bgpdump's one-line format has quirks that scripts
// depend on, and this file reproduces them deliberately rather than the RFC-correct reading the element
// decoder gives (docs/mrt.md lists them). To get the same lines, decoding here follows bgpdump's own
// reading rules: reads past the end of a record or attribute yield zero bytes instead of failing, prefix
// host bits are printed as sent, and the AS4_PATH merge copies the first AS_PATH segment as bgpdump does.
// Output is formatted by hand into a large buffer and written with write(2) in big chunks.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mrt/bgpdump_format.h"
#include "mrt/byte_order.h"
#include "mrt/mrt.h"

namespace vigil::mrt {
namespace {

constexpr uint32_t kAttrFlagAtomicAggregate = 1u << 5;
constexpr int kAttrOrigin = 1, kAttrAsPath = 2, kAttrNextHop = 3, kAttrMed = 4, kAttrLocalPref = 5, kAttrAggregator = 7,
              kAttrCommunities = 8, kAttrMpReach = 14, kAttrMpUnreach = 15, kAttrAs4Path = 17, kAttrAs4Aggregator = 18;
// Debian's build caps a prefix list at 8192 entries (bgpdump's MAX_PREFIXES).
constexpr int kMaxPrefixes = 8192;
// bgpdump builds AS path strings in an 8000-byte buffer and stops with "..." past 7900 characters.
constexpr int kMaxAsPathString = 8000;
// Communities are formatted into a BUFSIZ (8192) buffer.
constexpr size_t kCommunityBuffer = 8192;

// Two decimal digits per lookup: formatting numbers is most of the work of this output.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// memcpy for the short pieces lines are made of, without a library call: two overlapping moves.
inline void SmallCopy(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n);
  }
}

// Writes v in decimal at p; returns the end.
inline char* WriteU32(char* p, uint32_t v) {
  char tmp[10];
  char* t = tmp + 10;
  while (v >= 100) {
    uint32_t r = v % 100;
    v /= 100;
    t -= 2;
    std::memcpy(t, kDigitPairs + 2 * r, 2);
  }
  if (v >= 10) {
    t -= 2;
    std::memcpy(t, kDigitPairs + 2 * v, 2);
  } else {
    *--t = static_cast<char>('0' + v);
  }
  size_t n = static_cast<size_t>(tmp + 10 - t);
  std::memcpy(p, t, n);
  return p + n;
}

// A fixed text buffer the size of bgpdump's AS path string (8000) plus slack for the last number.
struct TextBuffer {
  char data[8192];
  size_t size = 0;
  void clear() { size = 0; }
  void push_back(char c) { data[size++] = c; }
  void append(const char* s) {
    size_t n = std::strlen(s);
    std::memcpy(data + size, s, n);
    size += n;
  }
  void assign(const char* s) {
    size = 0;
    append(s);
  }
  void AppendU32(uint32_t v) { size = static_cast<size_t>(WriteU32(data + size, v) - data); }
  std::string_view view() const { return std::string_view(data, size); }
};

uint32_t FlagBit(int type) { return 1u << ((type - 1) & 31); }

// bgpdump's mstream: reads past the end return zeros and leave the position at the end.
struct Stream {
  const uint8_t* start = nullptr;
  uint32_t len = 0;
  uint32_t pos = 0;

  uint32_t CanRead() const { return len - pos; }
  uint32_t Get(void* dst, uint32_t n) {
    uint32_t room = CanRead();
    if (room >= n) {
      if (dst != nullptr) std::memcpy(dst, start + pos, n);
      pos += n;
      return n;
    }
    if (dst != nullptr) {
      std::memcpy(dst, start + pos, room);
      std::memset(static_cast<uint8_t*>(dst) + room, 0, n - room);
    }
    pos = len;
    return room;
  }
  uint8_t GetC() {
    uint8_t v = 0;
    Get(&v, 1);
    return v;
  }
  uint16_t GetW() {
    uint8_t b[2];
    Get(b, 2);
    return LoadU16(b);
  }
  uint32_t GetL() {
    uint8_t b[4];
    Get(b, 4);
    return LoadU32(b);
  }
  // A sub-stream of up to n bytes (fewer when the stream ends first); the parent skips them.
  Stream Copy(uint32_t n) {
    Stream s;
    s.start = start + pos;
    s.len = Get(nullptr, n);
    return s;
  }
};

struct Address {
  uint8_t b[16] = {};
};

// A prefix list kept as the stream it is read from; iterated when printed (bgpdump's read_prefix_list).
struct PrefixList {
  Stream stream;
  bool addpath = false;
  bool present = false;
};

struct PrefixItem {
  Address address;
  int length;
  uint32_t path_id;
};

// Iterates a prefix list exactly as read_prefix_list fills its array.
class PrefixIterator {
 public:
  explicit PrefixIterator(const PrefixList& list) : s_(list.stream), addpath_(list.addpath) {}
  bool Next(PrefixItem* item) {
    if (count_ >= kMaxPrefixes || s_.CanRead() == 0) return false;
    uint32_t path_id = addpath_ ? s_.GetL() : 0;
    uint8_t p_len = s_.GetC();
    uint32_t p_bytes = (p_len + 7u) / 8u;
    if (s_.CanRead() < p_bytes) return false;  // incomplete prefix: bgpdump keeps it aside, never prints it
    uint8_t raw[32] = {};
    s_.Get(raw, p_bytes);
    std::memcpy(item->address.b, raw, 16);
    item->length = p_len;
    item->path_id = path_id;
    // bgpdump copies the bytes into a 16-byte address followed by the length and path id fields; longer
    // garbage prefixes overwrite them.
    if (p_bytes > 16) item->length = raw[16];
    if (p_bytes > 20) {
      uint8_t id[4];
      std::memcpy(id, &path_id, 4);
      for (uint32_t i = 20; i < p_bytes && i < 24; ++i) id[i - 20] = raw[i];
      std::memcpy(&item->path_id, id, 4);
    }
    count_++;
    return true;
  }

 private:
  Stream s_;
  bool addpath_;
  int count_ = 0;
};

struct MpNlri {
  bool present = false;  // valid only when the slot's bit is set in Attributes::mp_mask
  uint8_t nexthop_len = 0;
  Address nexthop;
  PrefixList prefixes;
};

// bgpdump's attributes_t, without allocations (strings live in the formatter's reusable buffers).
struct Attributes {
  uint32_t flag = 0;
  int origin = -1;
  bool has_as_path = false;
  int as_path_count = 0;
  const TextBuffer* as_path_str = nullptr;
  Stream as_path_data;
  bool has_new_as_path = false;
  int new_as_path_count = 0;
  Stream new_as_path_data;
  uint8_t nexthop_bytes[4] = {255, 255, 255, 255};
  uint32_t med = 0xffffffffu;
  uint32_t local_pref = 0xffffffffu;
  uint32_t aggregator_as = 0xffffffffu;
  uint8_t aggregator_addr[4] = {255, 255, 255, 255};
  uint32_t new_aggregator_as = 0xffffffffu;
  uint8_t new_aggregator_addr[4] = {255, 255, 255, 255};
  bool has_community = false;
  Stream community;
  uint32_t mp_mask = 0;  // slots in use (bit afi*4+safi, +16 for withdraw)
  MpNlri announce[3][4];
  MpNlri withdraw[3][4];

  // Clears what the previous route left, touching only the MP slots it used.
  void Reset() {
    uint32_t mask = mp_mask;
    for (int afi = 0; afi < 3; ++afi) {
      for (int safi = 0; safi < 4; ++safi) {
        if (mask & (1u << (afi * 4 + safi))) announce[afi][safi].present = false;
        if (mask & (1u << (16 + afi * 4 + safi))) withdraw[afi][safi].present = false;
      }
    }
    flag = 0;
    origin = -1;
    has_as_path = false;
    as_path_count = 0;
    as_path_str = nullptr;
    has_new_as_path = false;
    new_as_path_count = 0;
    std::memset(nexthop_bytes, 255, 4);
    med = local_pref = 0xffffffffu;
    aggregator_as = new_aggregator_as = 0xffffffffu;
    std::memset(aggregator_addr, 255, 4);
    std::memset(new_aggregator_addr, 255, 4);
    has_community = false;
    mp_mask = 0;
  }
};

bool AddrIsNone(const uint8_t a[4]) { return a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255; }

struct OctetText {
  char text[4];
  uint8_t length;
};

constexpr std::array<OctetText, 256> MakeOctets() {
  std::array<OctetText, 256> table{};
  for (int v = 0; v < 256; ++v) {
    OctetText& o = table[v];
    int n = 0;
    if (v >= 100) o.text[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) o.text[n++] = static_cast<char>('0' + v / 10 % 10);
    o.text[n++] = static_cast<char>('0' + v % 10);
    o.length = static_cast<uint8_t>(n);
  }
  return table;
}
constexpr std::array<OctetText, 256> kOctets = MakeOctets();

// inet_ntoa. `out` needs 16 bytes of room (each octet copies 4).
size_t FormatIpv4(const uint8_t* a, char* out) {
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    const OctetText& o = kOctets[a[i]];
    std::memcpy(p, o.text, 4);
    p += o.length;
    *p++ = '.';
  }
  return static_cast<size_t>(p - out - 1);
}

// bgpdump's fmt_ipv6: IPv4-mapped/compatible addresses as dotted quads, otherwise the longest run of zero
// groups (even a single group) becomes "::". Writes at most 46 bytes.
size_t FormatIpv6(const uint8_t* a, char* out) {
  size_t n = 0;
  bool zero80 = true;
  for (int i = 0; i < 10; ++i) zero80 = zero80 && a[i] == 0;
  bool mapped = zero80 && a[10] == 0xff && a[11] == 0xff;
  bool compat = zero80 && a[10] == 0 && a[11] == 0 && LoadU32(a + 12) > 1;
  if (mapped || compat) {
    const char* lead = mapped ? "::ffff:" : "::";
    size_t l = std::strlen(lead);
    std::memcpy(out, lead, l);
    return l + FormatIpv4(a + 12, out + l);
  }
  int zr[8];
  int run = 0;
  for (int i = 7; i >= 0; --i) {
    if (a[2 * i] == 0 && a[2 * i + 1] == 0)
      run++;
    else
      run = 0;
    zr[i] = run;
  }
  int best = -1, best_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (zr[i] > best_len) {
      best = i;
      best_len = zr[i];
    }
  }
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      if (i == 0) out[n++] = ':';
      out[n++] = ':';
      i += best_len - 1;
      continue;
    }
    uint8_t hi = a[2 * i], lo = a[2 * i + 1];
    bool skip = true;
    if (hi >> 4) {
      skip = false;
      out[n++] = kHex[hi >> 4];
    }
    if (!skip || (hi & 15)) {
      skip = false;
      out[n++] = kHex[hi & 15];
    }
    if (!skip || (lo >> 4)) out[n++] = kHex[lo >> 4];
    out[n++] = kHex[lo & 15];
    if (i != 7) out[n++] = ':';
  }
  return n;
}

// ---- output ----

class Output {
 public:
  // The buffer is not zero-filled: only the bytes written are touched (for a small file, a few pages
  // rather than a megabyte of page faults per call).
  explicit Output(int fd) : fd_(fd), buffer_(std::make_unique_for_overwrite<char[]>(kCapacity)), capacity_(kCapacity) {}
  ~Output() { Flush(); }

  void Reserve(size_t n) {
    if (size_ + n > capacity_) {
      Flush();
      if (n > capacity_) {
        buffer_ = std::make_unique_for_overwrite<char[]>(n);
        capacity_ = n;
      }
    }
  }
  void Str(std::string_view s) {
    Reserve(s.size());
    SmallCopy(buffer_.get() + size_, s.data(), s.size());
    size_ += s.size();
  }
  char* end() { return buffer_.get() + size_; }
  size_t size() const { return size_; }
  const char* data() const { return buffer_.get(); }
  void Advance(size_t n) { size_ += n; }
  void Char(char c) {
    Reserve(1);
    buffer_[size_++] = c;
  }
  void U32(uint32_t v) {
    Reserve(10);
    size_ = static_cast<size_t>(WriteU32(buffer_.get() + size_, v) - buffer_.get());
  }
  void I32(int32_t v) {
    if (v < 0) {
      Char('-');
      U32(static_cast<uint32_t>(-(static_cast<int64_t>(v))));
    } else {
      U32(static_cast<uint32_t>(v));
    }
  }
  // "%06ld"
  void Micros(uint32_t v) {
    char tmp[10];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    Reserve(16);
    for (int i = n; i < 6; ++i) buffer_[size_++] = '0';
    while (n > 0) buffer_[size_++] = tmp[--n];
  }
  void Ipv4(const uint8_t* a) {
    Reserve(16);
    size_ += FormatIpv4(a, buffer_.get() + size_);
  }
  void Ipv6(const uint8_t* a) {
    Reserve(48);
    size_ += FormatIpv6(a, buffer_.get() + size_);
  }
  void Flush() {
    size_t done = 0;
    while (done < size_) {
      ssize_t n = ::write(fd_, buffer_.get() + done, size_ - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        break;
      }
      done += static_cast<size_t>(n);
    }
    size_ = 0;
  }
  bool failed() const { return failed_; }

 private:
  static constexpr size_t kCapacity = 1u << 20;
  int fd_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t size_ = 0;
  bool failed_ = false;
};

const char* DescribeOrigin(int origin) {
  if (origin == 0) return "IGP";
  if (origin == 1) return "EGP";
  return "INCOMPLETE";
}

// ---- AS paths (process_attr_aspath_string and asn32_merge_paths) ----

// Builds bgpdump's AS path string; returns the AS count bgpdump computes (0 after an error).
int AsPathString(const uint8_t* data, uint32_t length, int asn_len, TextBuffer* out) {
  out->clear();
  int count = 0;
  int space = 0;
  int type = 2;  // AS_SEQUENCE
  uint32_t pos = 0;
  int last_type = -1;
  auto delimiter = [](int t, bool start) -> char {
    switch (t) {
      case 1:
        return start ? '{' : '}';
      case 3:
        return start ? '(' : ')';
      case 4:
        return start ? '[' : ']';
      default:
        return ' ';
    }
  };
  while (pos < length) {
    int seg_type = data[pos];
    int seg_len = pos + 1 < length ? data[pos + 1] : 0;
    if (seg_type < 1 || seg_type > 4 || pos + 2 + uint32_t(seg_len) * asn_len > length) {
      out->assign("! Error !");
      return 0;
    }
    if (type != 2) out->push_back(delimiter(type, false));
    if (space) out->push_back(' ');
    if (seg_type != 2) out->push_back(delimiter(seg_type, true));
    space = 0;
    count += (seg_type == 2 || seg_type == 3) ? seg_len : 1;
    const uint8_t* asns = data + pos + 2;
    for (int i = 0; i < seg_len; ++i) {
      if (space)
        out->push_back((seg_type == 1 || seg_type == 4) ? ',' : ' ');
      else
        space = 1;
      uint32_t asn = asn_len == 2 ? LoadU16(asns + 2 * i) : LoadU32(asns + 4 * i);
      out->AppendU32(asn);
      if (static_cast<int>(out->size) > kMaxAsPathString - 100) {
        out->append("...");
        return count;
      }
    }
    type = seg_type;
    last_type = seg_type;
    pos += 2 + uint32_t(seg_len) * asn_len;
  }
  if (last_type != -1 && last_type != 2) out->push_back(delimiter(last_type, false));
  return count;
}

// ---- the formatter ----

// Most lines of one prefix list differ only in the prefix: the text before and after it is rendered once
// and copied for the other lines.
constexpr size_t kMaxSegment = 8192 + 8192 + 1024;  // AS path + communities + the rest

class SegmentCache {
 public:
  void Invalidate() { valid_ = false; }
  template <typename Fn>
  void Emit(Output& out, Fn&& render) {
    if (valid_) {
      out.Str(text_);
      return;
    }
    out.Reserve(kMaxSegment);
    size_t mark = out.size();
    render();
    text_.assign(out.data() + mark, out.size() - mark);
    valid_ = true;
  }

 private:
  std::string text_;
  bool valid_ = false;
};

class LineFormatter {
 public:
  explicit LineFormatter(int fd) : out_(fd) {}

  // Returns false when bgpdump would stop reading the file here.
  bool Process(const Record& r);
  Output& out() { return out_; }
  const std::string& stop_reason() const { return stop_reason_; }

 private:
  struct PeerIndexEntry {
    bool v6 = false;
    Address ip;
    uint32_t asn = 0;
    std::string text;  // "address|asn|", formatted once per table
  };

  void ParseAttributes(Stream& s, int asn_len, bool addpath, Attributes* a);
  void ParseOneAttribute(Stream& outer, int asn_len, bool addpath, Attributes* a);
  void MpAnnounce(Stream& s, bool addpath, Attributes* a);
  void MpWithdraw(Stream& s, bool addpath, Attributes* a);
  void As4Transition(int asn_len, Attributes* a);
  void CommunityTail(const Attributes& a);
  void AggregatorTail(const Attributes& a);
  // "pref|med|communities|AG or NAG|aggregator": the columns after the next hop on every route line.
  // bgpdump 1.6.2 prints pref and MED signed on MP IPv4 announcements and unsigned elsewhere.
  void PreferenceToEnd(const Attributes& a, bool signed_preference);
  // "communities|AG or NAG|aggregator".
  void AttributeEnd(const Attributes& a);

  void TableDump(const Record& r);
  void TableDumpV2(const Record& r);
  void Bgp4mp(const Record& r);
  void Bgp4mpStateChange(const Record& r, int asn_len);
  void Bgp4mpMessage(const Record& r, int asn_len);
  struct Bgp4mpHeader {
    uint32_t first_as = 0, second_as = 0;
    uint16_t afi = 0;
    Address first_ip, second_ip;
  };
  static bool ReadBgp4mpHeader(Stream& s, int asn_len, Bgp4mpHeader* h);
  // What the lines of one BGP4MP UPDATE share: the record, the line's first column and the peer.
  struct UpdateLines {
    const Record* record = nullptr;
    const char* format = nullptr;  // "BGP4MP|", "BGP4MP_ET_AP|", ...
    uint16_t afi = 0;
    bool receive = true, addpath = false;
    const Address* peer_ip = nullptr;
    const Address* source_ip = nullptr;
    const Address* destination_ip = nullptr;
    uint32_t peer_as = 0;
  };
  void UpdateWithdrawals(const UpdateLines& u, const PrefixList& withdrawn);
  void UpdateAnnouncements(const UpdateLines& u, const PrefixList& announced);
  template <typename PeerColumn, typename PrefixColumn>
  void WithdrawLines(const UpdateLines& u, const PrefixList& list, PeerColumn&& peer, PrefixColumn&& prefix);
  template <typename PrefixColumn, typename Tail>
  void AnnounceLines(const UpdateLines& u, const PrefixList& list, PrefixColumn&& prefix, Tail&& tail);
  void UpdateLineStart(const UpdateLines& u, const char* kind) {
    out_.Str(u.format);
    Time(*u.record);
    out_.Str(kind);
  }
  void PeerByAfi(const UpdateLines& u);
  void PeerForWithdraw6(const UpdateLines& u);
  void PrefixV4(const PrefixItem& p) {
    out_.Ipv4(p.address.b);
    out_.Char('/');
    out_.U32(static_cast<uint32_t>(p.length));
  }
  void PrefixV6(const PrefixItem& p) {
    out_.Ipv6(p.address.b);
    out_.Char('/');
    out_.U32(static_cast<uint32_t>(p.length));
  }
  void PathAndOrigin(const Attributes& a);
  static bool MpNexthopIsPrintable(const MpNlri& m) {
    return m.nexthop_len == 4 || m.nexthop_len == 16 || m.nexthop_len == 32;
  }
  void MpNexthop(const MpNlri& m);
  void DeprecatedBgp(const Record& r);

  void Time(const Record& r) {
    out_.U32(r.timestamp);
    if (r.type == kTypeBgp4mpEt) {
      out_.Char('.');
      out_.Micros(r.microseconds);
    }
  }

  Output out_;
  SegmentCache head_;
  SegmentCache tail_;
  std::string stop_reason_;
  std::vector<PeerIndexEntry> peers_;
  bool has_peer_table_ = false;
  TextBuffer as_path_str_;
  TextBuffer merged_str_;
  std::vector<uint8_t> merged_;
  // bgpdump reuses a stack buffer for the next hop; an unknown next-hop length prints the previous value.
  char tdv2_nexthop_[64] = {};
  size_t tdv2_nexthop_len_ = 0;
  const uint8_t* record_end_ = nullptr;
  Attributes attrs_;
};

void LineFormatter::ParseAttributes(Stream& s, int asn_len, bool addpath, Attributes* a) {
  a->Reset();
  uint32_t total = s.GetW();
  Stream copy = s.Copy(total);
  while (copy.CanRead()) ParseOneAttribute(copy, asn_len, addpath, a);
  As4Transition(asn_len, a);
}

void LineFormatter::ParseOneAttribute(Stream& outer, int asn_len, bool addpath, Attributes* a) {
  int flag = outer.GetC();
  int type = outer.GetC();
  uint32_t len = (flag & 0x10) ? outer.GetW() : outer.GetC();
  Stream s = outer.Copy(len);
  if (s.len != len) return;  // "attribute is truncated": ignored, and the block ends here
  if (type <= 32) a->flag |= FlagBit(type);
  switch (type) {
    case kAttrMpReach:
      MpAnnounce(s, addpath, a);
      break;
    case kAttrMpUnreach:
      MpWithdraw(s, addpath, a);
      break;
    case kAttrOrigin:
      a->origin = s.GetC();
      break;
    case kAttrAsPath:
      a->has_as_path = true;
      a->as_path_data = s;
      break;
    case kAttrNextHop:
      s.Get(a->nexthop_bytes, 4);
      break;
    case kAttrMed:
      a->med = s.GetL();
      break;
    case kAttrLocalPref:
      a->local_pref = s.GetL();
      break;
    case kAttrAggregator:
      a->aggregator_as = asn_len == 4 ? s.GetL() : s.GetW();
      s.Get(a->aggregator_addr, 4);
      break;
    case kAttrCommunities:
      a->has_community = true;
      a->community = s;
      break;
    case kAttrAs4Path:
      a->has_new_as_path = true;
      a->new_as_path_data = s;
      break;
    case kAttrAs4Aggregator:
      a->new_aggregator_as = s.GetL();
      s.Get(a->new_aggregator_addr, 4);
      break;
    default:
      break;
  }
}

void LineFormatter::MpAnnounce(Stream& s, bool addpath, Attributes* a) {
  auto next_hop = [](Stream& st, MpNlri* m) {
    m->present = true;
    m->nexthop_len = st.GetC();
    if (m->nexthop_len == 4) {
      st.Get(m->nexthop.b, 4);
    } else if (m->nexthop_len == 16) {
      st.Get(m->nexthop.b, 16);
    } else if (m->nexthop_len == 32) {
      st.Get(m->nexthop.b, 16);
      st.Get(nullptr, 16);
    }
  };
  // MRT's abbreviated MP_REACH_NLRI (RIB entries) starts with the next-hop length, never zero; bgpdump peeks
  // at the byte even when the attribute is empty.
  const uint8_t* peek = s.start + s.pos;
  uint8_t first = peek < record_end_ ? *peek : 0;
  if (first != 0) {
    MpNlri* m = &a->announce[2][1];
    if (!m->present) {
      *m = MpNlri();
      a->mp_mask |= 1u << (2 * 4 + 1);
      next_hop(s, m);
    }
    return;
  }
  uint16_t afi = s.GetW();
  uint8_t safi = s.GetC();
  if (afi > 2 || safi > 3) return;  // "unknown protocol"
  MpNlri* m = &a->announce[afi][safi];
  if (m->present) return;  // "two MP_NLRI for the same protocol"
  *m = MpNlri();
  a->mp_mask |= 1u << (afi * 4 + safi);
  next_hop(s, m);
  uint8_t snpa = s.GetC();
  for (; snpa > 0; --snpa) s.Get(nullptr, s.GetC());
  m->prefixes.stream = s.Copy(s.CanRead());
  m->prefixes.addpath = addpath;
  m->prefixes.present = true;
}

void LineFormatter::MpWithdraw(Stream& s, bool addpath, Attributes* a) {
  uint16_t afi = s.GetW();
  uint8_t safi = s.GetC();
  if (afi > 2 || safi > 3) return;
  MpNlri* m = &a->withdraw[afi][safi];
  if (m->present) return;
  *m = MpNlri();
  a->mp_mask |= 1u << (16 + afi * 4 + safi);
  m->present = true;
  m->prefixes.stream = s.Copy(s.CanRead());
  m->prefixes.addpath = addpath;
  m->prefixes.present = true;
}

// process_asn32_trans: AS4_AGGREGATOR and AS4_PATH for 2-byte sessions, with bgpdump's merge.
void LineFormatter::As4Transition(int asn_len, Attributes* a) {
  if (a->has_as_path) {
    a->as_path_count = AsPathString(a->as_path_data.start, a->as_path_data.len, asn_len, &as_path_str_);
    a->as_path_str = &as_path_str_;
  }
  if (asn_len == 4) return;
  if ((a->flag & FlagBit(kAttrAggregator)) && (a->flag & FlagBit(kAttrAs4Aggregator))) {
    if (a->aggregator_as != 23456) return;  // bgpdump returns here, skipping the AS4_PATH merge too
    a->aggregator_as = a->new_aggregator_as;
    std::memcpy(a->aggregator_addr, a->new_aggregator_addr, 4);
  }
  if (!(a->flag & FlagBit(kAttrAs4Path)) || !a->has_as_path) return;
  a->new_as_path_count = AsPathString(a->new_as_path_data.start, a->new_as_path_data.len, 4, &merged_str_);
  if (a->as_path_count < a->new_as_path_count) return;
  // asn32_merge_paths: copies the *first* AS_PATH segment (widened to 4 bytes) until enough ASNs are taken.
  merged_.clear();
  const int want = a->as_path_count - a->new_as_path_count;
  int merged_count = 0;
  const uint8_t* seg = a->as_path_data.start;
  while (merged_count < want) {
    int seg_type = seg[0];
    int seg_len = seg[1];
    size_t at = merged_.size();
    merged_.push_back(static_cast<uint8_t>(seg_type));
    merged_.push_back(static_cast<uint8_t>(seg_len));
    for (int i = 0; i < seg_len; ++i) {
      uint16_t asn = LoadU16(seg + 2 + 2 * i);
      merged_.insert(merged_.end(), {0, 0, static_cast<uint8_t>(asn >> 8), static_cast<uint8_t>(asn)});
    }
    if (seg_type == 1 || seg_type == 4) {
      merged_count += 1;
    } else {
      if (seg_len == 0) break;  // bgpdump would loop forever here
      merged_count += seg_len;
      if (merged_count > want) {
        int extra = merged_count - want;
        merged_[at + 1] = static_cast<uint8_t>(seg_len - extra);
        merged_.resize(merged_.size() - 4 * extra);
      }
    }
  }
  merged_.insert(merged_.end(), a->new_as_path_data.start, a->new_as_path_data.start + a->new_as_path_data.len);
  AsPathString(merged_.data(), static_cast<uint32_t>(merged_.size()), 4, &merged_str_);
  a->as_path_str = &merged_str_;
}

// "%s|" of the community string (without its leading space), or "|". Written straight into the output
// buffer; the string is limited as bgpdump's BUFSIZ (8192) buffer limits it.
void LineFormatter::CommunityTail(const Attributes& a) {
  if (!(a.flag & FlagBit(kAttrCommunities))) {
    out_.Char('|');
    return;
  }
  out_.Reserve(kCommunityBuffer + 32);
  char* const start = out_.end();
  char* p = start;
  // bgpdump builds " a:b c:d" (leading space) and prints it from the second character; `used` is the
  // length of its string, one more than what is written here once anything is.
  size_t used = 0;
  const size_t limit = kCommunityBuffer - 1;
  auto append = [&](const char* text, size_t len) {
    size_t skip = used == 0 ? 1 : 0;
    if (len > skip) {
      SmallCopy(p, text + skip, len - skip);
      p += len - skip;
    }
    used += len;
  };
  uint32_t n = a.community.len / 4;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t v = LoadU32(a.community.start + 4 * i);
    if (v >= 0xFFFFFF01u && v <= 0xFFFFFF03u) {
      const char* special = v == 0xFFFFFF01u ? " no-export" : v == 0xFFFFFF02u ? " no-advertise" : " local-AS";
      size_t len = std::strlen(special);
      // bgpdump's own strlcat appends nothing when the result would not fit.
      if (used + len < kCommunityBuffer) append(special, len);
      continue;
    }
    if (used >= limit) continue;
    char tmp[32];
    char* t = tmp;
    *t++ = ' ';
    t = WriteU32(t, v >> 16);
    *t++ = ':';
    t = WriteU32(t, v & 0xffff);
    append(tmp, std::min(static_cast<size_t>(t - tmp), limit - used));  // snprintf truncates
  }
  *p++ = '|';
  out_.Advance(static_cast<size_t>(p - start));
}

void LineFormatter::AggregatorTail(const Attributes& a) {
  if (!AddrIsNone(a.aggregator_addr)) {
    out_.U32(a.aggregator_as);
    out_.Char(' ');
    out_.Ipv4(a.aggregator_addr);
  }
  out_.Str("|\n");
}

bool LineFormatter::Process(const Record& r) {
  // bgpdump_read_next: an empty record ends the file. For BGP4MP_ET the microsecond field is taken off
  // the length first, so a length of 4 or less ends it too (a negative length makes the read fail).
  if (r.type == kTypeBgp4mpEt ? r.length <= 4 : r.length == 0) {
    stop_reason_ = "record too short to hold a body (bgpdump stops reading here)";
    return false;
  }
  record_end_ = r.body.data() + r.body.size();
  switch (r.type) {
    case kTypeBgpDeprecated:
      DeprecatedBgp(r);
      break;
    case kTypeTableDump:
      TableDump(r);
      break;
    case kTypeTableDumpV2:
      TableDumpV2(r);
      break;
    case kTypeBgp4mp:
    case kTypeBgp4mpEt:
      Bgp4mp(r);
      break;
    default:
      break;
  }
  return true;
}

void LineFormatter::TableDump(const Record& r) {
  const int st = r.subtype;
  if (st < 1 || st > 4) return;  // "unknown AFI"
  const bool v6 = st == 2 || st == 4;
  const int asn_len = st >= 3 ? 4 : 2;
  Stream s{r.body.data(), static_cast<uint32_t>(r.body.size()), 0};
  s.GetW();  // view
  s.GetW();  // sequence
  Address prefix, peer;
  s.Get(prefix.b, v6 ? 16 : 4);
  uint8_t mask = s.GetC();
  s.GetC();  // status
  s.GetL();  // originated
  s.Get(peer.b, v6 ? 16 : 4);
  uint32_t peer_as = asn_len == 4 ? s.GetL() : s.GetW();
  Attributes& a = attrs_;
  ParseAttributes(s, asn_len, false, &a);

  out_.Str("TABLE_DUMP|");
  out_.U32(r.timestamp);
  out_.Str("|B|");
  // Only subtype 2 is printed as IPv6; subtype 4 (IPv6, 32-bit AS) prints the first 4 bytes as IPv4.
  if (st == 2)
    out_.Ipv6(peer.b);
  else
    out_.Ipv4(peer.b);
  out_.Char('|');
  out_.U32(peer_as);
  out_.Char('|');
  if (st == 2)
    out_.Ipv6(prefix.b);
  else
    out_.Ipv4(prefix.b);
  out_.Char('/');
  out_.U32(mask);
  out_.Char('|');
  if ((a.flag & FlagBit(kAttrAsPath)) && a.as_path_str) out_.Str(a.as_path_str->view());
  out_.Char('|');
  out_.Str(DescribeOrigin(a.origin));
  out_.Char('|');
  if ((a.flag & FlagBit(kAttrMpReach)) && a.announce[2][1].present)
    out_.Ipv6(a.announce[2][1].nexthop.b);
  else
    out_.Ipv4(a.nexthop_bytes);
  out_.Char('|');
  PreferenceToEnd(a, /*signed_preference=*/false);
}

void LineFormatter::TableDumpV2(const Record& r) {
  const int st = r.subtype;
  Stream s{r.body.data(), static_cast<uint32_t>(r.body.size()), 0};
  if (st == kPeerIndexTable) {
    s.GetL();  // collector BGP ID
    uint16_t name_len = s.GetW();
    // A name longer than bgpdump's buffer is "ignored" without being skipped: the fields after it are read
    // from the name's bytes.
    if (name_len + 1 <= 255) s.Get(nullptr, name_len);
    uint16_t count = s.GetW();
    peers_.assign(count, PeerIndexEntry());
    for (uint16_t i = 0; i < count; ++i) {
      uint8_t type = s.GetC();
      PeerIndexEntry& p = peers_[i];
      p.v6 = (type & 1) != 0;
      s.GetL();  // BGP ID
      s.Get(p.ip.b, p.v6 ? 16 : 4);
      p.asn = (type & 2) ? s.GetL() : s.GetW();
      char text[80];
      char* t = text + (p.v6 ? FormatIpv6(p.ip.b, text) : FormatIpv4(p.ip.b, text));
      *t++ = '|';
      t = WriteU32(t, p.asn);
      *t++ = '|';
      p.text.assign(text, static_cast<size_t>(t - text));
    }
    has_peer_table_ = true;
    return;
  }
  const bool addpath = st == kRibIpv4UnicastAddpath || st == kRibIpv6UnicastAddpath;
  const bool v4 = st == kRibIpv4Unicast || st == kRibIpv4UnicastAddpath;
  if (!v4 && st != kRibIpv6Unicast && st != kRibIpv6UnicastAddpath) return;  // multicast, generic: not decoded
  s.GetL();                                                                  // sequence
  uint8_t prefix_length = s.GetC();
  uint8_t raw[32] = {};
  s.Get(raw, (prefix_length + 7u) / 8u);
  Address prefix;
  std::memcpy(prefix.b, raw, 16);
  uint16_t entry_count = s.GetW();
  if (entry_count == 0) return;
  if (!has_peer_table_) return;  // "missing peer index table"
  // bgpdump asserts on a peer index beyond the table (and prints nothing of the record).
  {
    Stream check = s;
    for (uint16_t i = 0; i < entry_count; ++i) {
      uint16_t index = check.GetW();
      if (index >= peers_.size()) return;
      check.GetL();
      if (addpath) check.GetL();
      check.Get(nullptr, check.GetW());
    }
  }
  head_.Invalidate();  // "TABLE_DUMP2|time|B|"
  tail_.Invalidate();  // "prefix/length|"
  for (uint16_t i = 0; i < entry_count; ++i) {
    uint16_t index = s.GetW();
    s.GetL();  // originated
    uint32_t path_id = addpath ? s.GetL() : 0;
    Attributes& a = attrs_;
    ParseAttributes(s, 4, addpath, &a);
    const PeerIndexEntry& peer = peers_[index];
    head_.Emit(out_, [&] {
      out_.Str(addpath ? "TABLE_DUMP2_AP|" : "TABLE_DUMP2|");
      out_.U32(r.timestamp);
      out_.Str("|B|");
    });
    out_.Str(peer.text);
    tail_.Emit(out_, [&] {
      if (v4)
        out_.Ipv4(prefix.b);
      else
        out_.Ipv6(prefix.b);
      out_.Char('/');
      out_.U32(prefix_length);
      out_.Char('|');
    });
    if (addpath) {
      out_.U32(path_id);
      out_.Char('|');
    }
    if (a.has_as_path && a.as_path_str) out_.Str(a.as_path_str->view());
    out_.Char('|');
    out_.Str(DescribeOrigin(a.origin));
    out_.Char('|');
    const MpNlri* mp = nullptr;
    if ((a.flag & FlagBit(kAttrMpReach)) && a.announce[2][1].present)
      mp = &a.announce[2][1];
    else if ((a.flag & FlagBit(kAttrMpReach)) && a.announce[1][1].present)
      mp = &a.announce[1][1];
    if (mp != nullptr) {
      if (mp->nexthop_len == 4) {
        tdv2_nexthop_len_ = FormatIpv4(mp->nexthop.b, tdv2_nexthop_);
      } else if (mp->nexthop_len == 16 || mp->nexthop_len == 32) {
        tdv2_nexthop_len_ = FormatIpv6(mp->nexthop.b, tdv2_nexthop_);
      }
      out_.Str(std::string_view(tdv2_nexthop_, tdv2_nexthop_len_));
    } else {
      out_.Ipv4(a.nexthop_bytes);
    }
    out_.Char('|');
    PreferenceToEnd(a, /*signed_preference=*/false);
  }
}

void LineFormatter::PreferenceToEnd(const Attributes& a, bool signed_preference) {
  const uint32_t preference = (a.flag & FlagBit(kAttrLocalPref)) ? a.local_pref : 0;
  const uint32_t med = (a.flag & FlagBit(kAttrMed)) ? a.med : 0;
  if (signed_preference) {
    out_.I32(static_cast<int32_t>(preference));
    out_.Char('|');
    out_.I32(static_cast<int32_t>(med));
  } else {
    out_.U32(preference);
    out_.Char('|');
    out_.U32(med);
  }
  out_.Char('|');
  AttributeEnd(a);
}

void LineFormatter::AttributeEnd(const Attributes& a) {
  CommunityTail(a);
  out_.Str((a.flag & kAttrFlagAtomicAggregate) ? "AG|" : "NAG|");
  AggregatorTail(a);
}

void LineFormatter::Bgp4mp(const Record& r) {
  switch (r.subtype) {
    case kStateChange:
      return Bgp4mpStateChange(r, 2);
    case kStateChangeAs4:
      return Bgp4mpStateChange(r, 4);
    case kMessage:
    case kMessageLocal:
    case kMessageAddpath:
    case kMessageLocalAddpath:
      return Bgp4mpMessage(r, 2);
    case kMessageAs4:
    case kMessageAs4Local:
    case kMessageAs4Addpath:
    case kMessageAs4LocalAddpath:
      return Bgp4mpMessage(r, 4);
    default:
      return;
  }
}

void LineFormatter::Bgp4mpStateChange(const Record& r, int asn_len) {
  Stream s{r.body.data(), static_cast<uint32_t>(r.body.size()), 0};
  uint32_t source_as = asn_len == 4 ? s.GetL() : s.GetW();
  if (asn_len == 4)
    s.GetL();
  else
    s.GetW();
  Address source;
  uint16_t afi = 1;
  const uint32_t length = static_cast<uint32_t>(r.body.size());
  if (length != 8) {  // the 8-byte Zebra state change has no interface, family or addresses
    s.GetW();
    afi = s.GetW();
    if (afi == 1) {
      if (length != 20 && length != 24) return;
      s.Get(source.b, 4);
      s.GetL();
    } else if (afi == 2) {
      if (length != 44 && length != 48) return;
      s.Get(source.b, 16);
      s.Get(nullptr, 16);
    } else {
      return;
    }
  }
  uint16_t old_state = s.GetW();
  uint16_t new_state = s.GetW();
  out_.Str(r.type == kTypeBgp4mpEt ? "BGP4MP_ET|" : "BGP4MP|");
  Time(r);
  out_.Str("|STATE|");
  if (afi == 2)
    out_.Ipv6(source.b);
  else
    out_.Ipv4(source.b);
  out_.Char('|');
  out_.U32(source_as);
  out_.Char('|');
  out_.U32(old_state);
  out_.Char('|');
  out_.U32(new_state);
  out_.Char('\n');
}

// The BGP4MP_MESSAGE header before the BGP message: both ASes, the interface, the AFI, both addresses and the
// marker. False when bgpdump skips the message ("unsupported AFI", "bad marker").
bool LineFormatter::ReadBgp4mpHeader(Stream& s, int asn_len, Bgp4mpHeader* h) {
  h->first_as = asn_len == 4 ? s.GetL() : s.GetW();
  h->second_as = asn_len == 4 ? s.GetL() : s.GetW();
  uint16_t ifindex = s.GetW();
  h->afi = s.GetW();
  uint8_t marker[16];
  if (h->afi == 1) {
    s.Get(h->first_ip.b, 4);
    s.Get(h->second_ip.b, 4);
    s.Get(marker, 16);
  } else if (h->afi == 2) {
    s.Get(h->first_ip.b, 16);
    s.Get(h->second_ip.b, 16);
    s.Get(marker, 16);
  } else if (h->afi == 0xffff && ifindex == 0xffff) {
    // Zebra dumped OPENs without interface or addresses; the marker starts right away.
    std::memset(marker, 0xff, 4);
    s.Get(marker + 4, 12);
    h->afi = 1;
  } else {
    return false;  // "unsupported AFI"
  }
  for (uint8_t m : marker) {
    if (m != 0xff) return false;  // "bad marker"
  }
  return true;
}

void LineFormatter::Bgp4mpMessage(const Record& r, int asn_len) {
  const int st = r.subtype;
  const bool local =
      st == kMessageLocal || st == kMessageAs4Local || st == kMessageLocalAddpath || st == kMessageAs4LocalAddpath;
  const bool addpath = st >= kMessageAddpath && st <= kMessageAs4LocalAddpath;
  // bgpdump prints the "destination" only for the two non-ADD-PATH LOCAL subtypes.
  const bool receive = !(st == kMessageLocal || st == kMessageAs4Local);
  Stream s{r.body.data(), static_cast<uint32_t>(r.body.size()), 0};
  Bgp4mpHeader h;
  if (!ReadBgp4mpHeader(s, asn_len, &h)) return;
  uint16_t size = s.GetW();
  Stream msg = s.Copy(static_cast<uint32_t>(static_cast<int>(size) - 18));
  uint8_t type = msg.GetC();
  if (type != 2) return;  // only UPDATEs print in -m mode

  UpdateLines u;
  u.record = &r;
  u.format = r.type == kTypeBgp4mpEt ? (!receive  ? "BGP4MP_ET_LOCAL|"
                                        : addpath ? "BGP4MP_ET_AP|"
                                                  : "BGP4MP_ET|")
                                     : (!receive  ? "BGP4MP_LOCAL|"
                                        : addpath ? "BGP4MP_AP|"
                                                  : "BGP4MP|");
  u.afi = h.afi;
  u.receive = receive;
  u.addpath = addpath;
  u.source_ip = local ? &h.second_ip : &h.first_ip;
  u.destination_ip = local ? &h.first_ip : &h.second_ip;
  u.peer_ip = receive ? u.source_ip : u.destination_ip;
  const uint32_t source_as = local ? h.second_as : h.first_as;
  const uint32_t destination_as = local ? h.first_as : h.second_as;
  u.peer_as = receive ? source_as : destination_as;

  uint16_t withdrawn_len = msg.GetW();
  PrefixList withdrawn{msg.Copy(withdrawn_len), addpath, true};
  ParseAttributes(msg, asn_len, addpath, &attrs_);
  PrefixList announced{msg.Copy(msg.CanRead()), addpath, true};
  UpdateWithdrawals(u, withdrawn);
  UpdateAnnouncements(u, announced);
}

// The peer column. bgpdump's IPv4-prefix line functions print the peer by the message's AFI; its
// table_line_withdraw6 prints the source or destination address instead when the AFI is IPv4.
void LineFormatter::PeerByAfi(const UpdateLines& u) {
  if (u.afi == 2)
    out_.Ipv6(u.peer_ip->b);
  else
    out_.Ipv4(u.peer_ip->b);
  out_.Char('|');
  out_.U32(u.peer_as);
  out_.Char('|');
}

void LineFormatter::PeerForWithdraw6(const UpdateLines& u) {
  if (u.afi == 2)
    out_.Ipv6(u.peer_ip->b);
  else if (u.receive)
    out_.Ipv4(u.source_ip->b);
  else
    out_.Ipv6(u.destination_ip->b);
  out_.Char('|');
  out_.U32(u.peer_as);
  out_.Char('|');
}

void LineFormatter::PathAndOrigin(const Attributes& a) {
  if ((a.flag & FlagBit(kAttrAsPath)) && a.as_path_str) out_.Str(a.as_path_str->view());
  out_.Char('|');
  out_.Str(DescribeOrigin(a.origin));
  out_.Char('|');
}

void LineFormatter::MpNexthop(const MpNlri& m) {
  if (m.nexthop_len == 4)
    out_.Ipv4(m.nexthop.b);
  else
    out_.Ipv6(m.nexthop.b);
  out_.Char('|');
}

// One line per prefix of a list. Within a list the head (kind, peer) and the attribute tail are the same
// on every line, so they are rendered once and copied.
template <typename PeerColumn, typename PrefixColumn>
void LineFormatter::WithdrawLines(const UpdateLines& u, const PrefixList& list, PeerColumn&& peer,
                                  PrefixColumn&& prefix) {
  PrefixItem p;
  PrefixIterator it(list);
  head_.Invalidate();
  while (it.Next(&p)) {
    head_.Emit(out_, [&] {
      UpdateLineStart(u, "|W|");
      peer();
    });
    prefix(p);
    if (u.addpath) {
      out_.Char('|');
      out_.U32(p.path_id);
    }
    out_.Char('\n');
  }
}

template <typename PrefixColumn, typename Tail>
void LineFormatter::AnnounceLines(const UpdateLines& u, const PrefixList& list, PrefixColumn&& prefix, Tail&& tail) {
  PrefixItem p;
  PrefixIterator it(list);
  head_.Invalidate();
  tail_.Invalidate();
  while (it.Next(&p)) {
    head_.Emit(out_, [&] {
      UpdateLineStart(u, "|A|");
      PeerByAfi(u);
    });
    prefix(p);
    out_.Char('|');
    if (u.addpath) {
      out_.U32(p.path_id);
      out_.Char('|');
    }
    tail_.Emit(out_, tail);
  }
}

// table_line_withdraw (IPv4 prefixes) and table_line_withdraw6.
void LineFormatter::UpdateWithdrawals(const UpdateLines& u, const PrefixList& withdrawn) {
  const Attributes& a = attrs_;
  PrefixItem probe;
  bool has_withdrawn = PrefixIterator(withdrawn).Next(&probe);
  if (!has_withdrawn && !(a.flag & FlagBit(kAttrMpUnreach))) return;
  auto peer_by_afi = [&] { PeerByAfi(u); };
  auto prefix_v4 = [&](const PrefixItem& p) { PrefixV4(p); };
  WithdrawLines(u, withdrawn, peer_by_afi, prefix_v4);
  for (int safi = 1; safi <= 3; ++safi) {
    if (a.withdraw[1][safi].present) WithdrawLines(u, a.withdraw[1][safi].prefixes, peer_by_afi, prefix_v4);
  }
  for (int safi = 1; safi <= 3; ++safi) {
    if (a.withdraw[2][safi].present) {
      WithdrawLines(
          u, a.withdraw[2][safi].prefixes, [&] { PeerForWithdraw6(u); }, [&](const PrefixItem& p) { PrefixV6(p); });
    }
  }
}

void LineFormatter::UpdateAnnouncements(const UpdateLines& u, const PrefixList& announced) {
  const Attributes& a = attrs_;
  PrefixItem probe;
  bool has_announced = PrefixIterator(announced).Next(&probe);
  if (!has_announced && !(a.flag & FlagBit(kAttrMpReach))) return;
  auto prefix_v4 = [&](const PrefixItem& p) { PrefixV4(p); };
  // table_line_announce: IPv4 NLRI of the UPDATE itself, next hop from NEXT_HOP.
  AnnounceLines(u, announced, prefix_v4, [&] {
    PathAndOrigin(a);
    out_.Ipv4(a.nexthop_bytes);
    out_.Char('|');
    PreferenceToEnd(a, /*signed_preference=*/false);
  });
  // table_line_announce_1: MP IPv4; without a printable next hop the next-hop and preference columns vanish.
  for (int safi = 1; safi <= 3; ++safi) {
    const MpNlri& m = a.announce[1][safi];
    if (!m.present) continue;
    AnnounceLines(u, m.prefixes, prefix_v4, [&] {
      PathAndOrigin(a);
      if (MpNexthopIsPrintable(m)) {
        MpNexthop(m);
        PreferenceToEnd(a, /*signed_preference=*/true);
      } else {
        AttributeEnd(a);
      }
    });
  }
  // table_line_announce6: MP IPv6; without a printable next hop the path and origin vanish too.
  for (int safi = 1; safi <= 3; ++safi) {
    const MpNlri& m = a.announce[2][safi];
    if (!m.present) continue;
    AnnounceLines(
        u, m.prefixes, [&](const PrefixItem& p) { PrefixV6(p); },
        [&] {
          if (MpNexthopIsPrintable(m)) {
            PathAndOrigin(a);
            MpNexthop(m);
            PreferenceToEnd(a, /*signed_preference=*/false);
          } else {
            AttributeEnd(a);
          }
        });
  }
}

void LineFormatter::DeprecatedBgp(const Record& r) {
  const int st = r.subtype;
  Stream s{r.body.data(), static_cast<uint32_t>(r.body.size()), 0};
  if (st == 3) {  // STATE_CHANGE
    uint32_t as = s.GetW();
    Address ip;
    s.Get(ip.b, 4);
    uint16_t old_state = s.GetW();
    uint16_t new_state = s.GetW();
    out_.Str("BGP|");
    out_.U32(r.timestamp);
    out_.Str("|STATE|");
    out_.Ipv4(ip.b);
    out_.Char('|');
    out_.U32(as);
    out_.Char('|');
    out_.U32(old_state);
    out_.Char('|');
    out_.U32(new_state);
    out_.Char('\n');
    return;
  }
  if (st != 1) return;  // KEEPALIVE is parsed like an UPDATE but prints nothing; other subtypes nothing
  uint32_t source_as = s.GetW();
  Address source_ip;
  s.Get(source_ip.b, 4);
  s.GetW();
  s.GetL();
  uint16_t withdrawn_len = s.GetW();
  PrefixList withdrawn{s.Copy(withdrawn_len), false, true};
  Attributes& a = attrs_;
  ParseAttributes(s, 2, false, &a);
  PrefixList announced{s.Copy(s.CanRead()), false, true};
  PrefixItem p;
  {
    PrefixIterator it(withdrawn);
    while (it.Next(&p)) {
      out_.Str("BGP|");
      out_.U32(r.timestamp);
      out_.Str("|W|");
      out_.Ipv4(source_ip.b);
      out_.Char('|');
      out_.U32(source_as);
      out_.Char('|');
      // bgpdump formats both addresses of this line with inet_ntoa's one static buffer in a single printf;
      // the peer address, evaluated last, is printed in place of the prefix.
      out_.Ipv4(source_ip.b);
      out_.Char('/');
      out_.U32(static_cast<uint32_t>(p.length));
      out_.Char('\n');
    }
  }
  PrefixIterator it(announced);
  while (it.Next(&p)) {
    out_.Str("BGP|");
    out_.U32(r.timestamp);
    out_.Str("|A|");
    out_.Ipv4(source_ip.b);
    out_.Char('|');
    out_.U32(source_as);
    out_.Char('|');
    out_.Ipv4(p.address.b);
    out_.Char('/');
    out_.U32(static_cast<uint32_t>(p.length));
    out_.Char('|');
    if ((a.flag & FlagBit(kAttrAsPath)) && a.as_path_str) out_.Str(a.as_path_str->view());
    out_.Char('|');
    out_.Str(DescribeOrigin(a.origin));
    // mrtd_table_line_announce: no separator between MED and the communities, and no empty communities
    // field when there are none.
    out_.Char('|');
    out_.Ipv4(a.nexthop_bytes);
    out_.Char('|');
    out_.U32((a.flag & FlagBit(kAttrLocalPref)) ? a.local_pref : 0);
    out_.Char('|');
    out_.U32((a.flag & FlagBit(kAttrMed)) ? a.med : 0);
    if (a.flag & FlagBit(kAttrCommunities)) {
      CommunityTail(a);
      out_.Str((a.flag & kAttrFlagAtomicAggregate) ? "AG|" : "NAG|");
    } else {
      out_.Str((a.flag & kAttrFlagAtomicAggregate) ? "|AG|" : "|NAG|");
    }
    if (!AddrIsNone(a.aggregator_addr)) {
      out_.U32(a.aggregator_as);
      out_.Char(' ');
      out_.Ipv4(a.aggregator_addr);
    }
    out_.Str("|\n");
  }
}

}  // namespace

class BgpdumpFormatter::Impl : public LineFormatter {
 public:
  using LineFormatter::LineFormatter;
};

BgpdumpFormatter::BgpdumpFormatter(int fd) : impl_(std::make_unique<Impl>(fd)) {}
BgpdumpFormatter::~BgpdumpFormatter() = default;
bool BgpdumpFormatter::Process(const Record& record) { return impl_->Process(record); }
bool BgpdumpFormatter::Flush() {
  impl_->out().Flush();
  return !impl_->out().failed();
}
const std::string& BgpdumpFormatter::stop_reason() const { return impl_->stop_reason(); }

Result<ReadSummary> WriteBgpdumpLines(const std::string& path, int fd, ReaderOptions options) {
  options.bzip2_first_stream_only = true;
  Result<std::unique_ptr<Reader>> reader = Reader::Open(path, std::move(options));
  if (!reader.ok()) return reader.status();
  auto formatter = std::make_unique<BgpdumpFormatter>(fd);
  // The strict decoder runs beside the formatter so that records bgpdump prints nothing (or garbage) for are
  // reported, and the exit status says so.
  class Ignore : public ElementVisitor {
   public:
    void OnElement(const Element&) override {}
  } ignore;
  ElementDecoder decoder;
  Record record;
  while ((*reader)->Next(&record)) {
    Status status = decoder.Decode(record, ignore);
    if (!status.ok()) (*reader)->ReportBadRecord(record, status.message());
    if (!formatter->Process(record)) {
      (*reader)->ReportBadRecord(record, formatter->stop_reason());
      break;
    }
  }
  if (!formatter->Flush()) return Status::FromErrno(errno, path + ": cannot write output: " + std::strerror(errno));
  return (*reader)->summary();
}

}  // namespace vigil::mrt
