// SPDX-License-Identifier: AGPL-3.0-or-later
// Fuzzes MRT record decoding: the input is a run of MRT records (12-byte header + body, 4 more header bytes
// for the _ET types), framed as the reader frames them, decoded by one ElementDecoder so a PEER_INDEX_TABLE
// early in the input feeds the RIB records after it. The visitor reads every attribute accessor so that
// lazily decoded values (AS path, communities, aggregator, next hop) are decoded too.
#include <cstddef>
#include <cstdint>

#include "mrt/mrt.h"

namespace {

using vigil::mrt::Element;
using vigil::mrt::PathAttributes;

uint32_t Load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

class TouchEverything : public vigil::mrt::ElementVisitor {
 public:
  void OnElement(const Element& e) override {
    sink_ += e.prefix.length + e.peer_ip.V4() + e.next_hop.family + e.peer_asn + e.path_id + e.new_state;
    if (e.prefix.family == 4 || e.prefix.family == 6) sink_ += e.prefix.Masked().length;
    if (e.attributes == nullptr) return;
    const PathAttributes& a = *e.attributes;
    sink_ += static_cast<uint32_t>(a.origin());
    auto path = a.as_path();
    sink_ += path.valid() + path.empty() + path.Length() + path.OriginAs();
    path.ForEachSegment([&](vigil::mrt::AsSegmentType type, uint32_t count, auto asn_at) {
      sink_ += static_cast<uint32_t>(type);
      for (uint32_t i = 0; i < count; ++i) sink_ += asn_at(i);
      return true;
    });
    sink_ += a.next_hop().V4();
    if (a.has_med()) sink_ += a.med();
    if (a.has_local_pref()) sink_ += a.local_pref();
    sink_ += a.atomic_aggregate();
    uint32_t asn = 0;
    vigil::mrt::IpAddress ip;
    if (a.aggregator(&asn, &ip)) sink_ += asn + ip.V4();
    auto communities = a.communities();
    for (size_t i = 0; i < communities.size(); ++i) sink_ += communities[i];
    auto large = a.large_communities();
    for (size_t i = 0; i < large.size(); ++i) sink_ += large[i].global ^ large[i].local1 ^ large[i].local2;
    sink_ += a.mp_reach().size() + a.mp_unreach().size();
    // The string forms are what `vigil mrt dump` prints; they walk the same bytes a second way.
    if ((count_++ & 15) == 0)
      sink_ += path.ToString().size() + e.prefix.ToString().size() + e.next_hop.ToString().size();
  }
  void OnPeerIndexTable(const vigil::mrt::PeerIndexTable& table) override {
    for (const auto& peer : table.peers) sink_ += peer.asn + peer.ip.family;
  }
  uint64_t sink() const { return sink_; }

 private:
  uint64_t sink_ = 0;
  uint64_t count_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::mrt::ElementDecoder decoder;
  TouchEverything visitor;
  size_t pos = 0;
  while (size - pos >= 12) {
    vigil::mrt::Record record;
    const uint8_t* h = data + pos;
    record.timestamp = Load32(h);
    record.type = Load16(h + 4);
    record.subtype = Load16(h + 6);
    record.length = Load32(h + 8);
    record.offset = pos;
    size_t header = 12;
    size_t body_length = record.length;
    if (record.type == vigil::mrt::kTypeBgp4mpEt) {
      if (size - pos < 16 || record.length < 4) break;  // the reader reports these as framing errors
      record.microseconds = Load32(h + 12);
      header = 16;
      body_length -= 4;
    }
    // A declared length past the end is a truncated file; the reader stops there, and so does this.
    if (size - pos - header < body_length) break;
    record.body = vigil::mrt::Bytes(data + pos + header, body_length);
    (void)decoder.Decode(record, visitor);
    (void)vigil::mrt::RecordTypeName(record.type, record.subtype);
    pos += header + body_length;
  }
  volatile uint64_t keep = visitor.sink();
  (void)keep;
  return 0;
}
