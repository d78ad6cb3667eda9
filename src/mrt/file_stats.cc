// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil mrt stat`: decodes every record, element and attribute, counting instead of formatting, so its
// speed is the decoder's speed.
#include <algorithm>
#include <cstring>

#include "mrt/mrt.h"

namespace vigil::mrt {
namespace {

struct PeerKey {
  uint8_t family;
  uint8_t bytes[16];
  uint32_t asn;
  bool operator==(const PeerKey& o) const {
    return family == o.family && asn == o.asn && std::memcmp(bytes, o.bytes, sizeof bytes) == 0;
  }
};

class StatsVisitor : public ElementVisitor {
 public:
  explicit StatsVisitor(FileStats* stats) : stats_(stats) {}

  void OnElement(const Element& e) override {
    switch (e.kind) {
      case ElementKind::kRib:
        stats_->rib_entries++;
        break;
      case ElementKind::kAnnounce:
        stats_->announcements++;
        break;
      case ElementKind::kWithdraw:
        stats_->withdrawals++;
        break;
      case ElementKind::kState:
        stats_->state_changes++;
        break;
    }
    if (e.kind != ElementKind::kState) {
      if (e.prefix.family == 4)
        stats_->prefixes_v4++;
      else
        stats_->prefixes_v6++;
    }
    NotePeer(e);
    if (e.attributes != nullptr) DecodeAttributes(*e.attributes);
  }

  size_t peers() const { return peers_.size(); }

 private:
  void NotePeer(const Element& e) {
    PeerKey key{};
    key.family = e.peer_ip.family;
    std::memcpy(key.bytes, e.peer_ip.bytes, sizeof key.bytes);
    key.asn = e.peer_asn;
    if (has_last_ && key == last_) return;
    last_ = key;
    has_last_ = true;
    if (std::find(peers_.begin(), peers_.end(), key) == peers_.end()) peers_.push_back(key);
  }

  // Attributes shared by the prefixes of one UPDATE are decoded once; each RIB entry has its own.
  void DecodeAttributes(const PathAttributes& a) {
    Bytes path = a.Raw(PathAttributes::kAsPath);
    const uint8_t* identity = path.data() != nullptr ? path.data() : a.Raw(PathAttributes::kOrigin).data();
    if (identity != nullptr && identity == last_attributes_) return;
    last_attributes_ = identity;
    uint64_t asns = 0;
    uint32_t checksum = 0;
    a.as_path().ForEachSegment([&](AsSegmentType, uint32_t count, auto&& asn_at) {
      for (uint32_t i = 0; i < count; ++i) checksum ^= asn_at(i);
      asns += count;
      return true;
    });
    stats_->as_path_asns += asns;
    Communities communities = a.communities();
    for (size_t i = 0; i < communities.size(); ++i) checksum ^= communities[i];
    stats_->communities += communities.size();
    stats_->large_communities += a.large_communities().size();
    checksum ^= static_cast<uint32_t>(a.origin()) ^ a.med() ^ a.local_pref() ^ a.next_hop().V4();
    uint32_t aggregator_asn;
    IpAddress aggregator_ip;
    if (a.aggregator(&aggregator_asn, &aggregator_ip)) checksum ^= aggregator_asn;
    checksum_ ^= checksum;
  }

  FileStats* stats_;
  std::vector<PeerKey> peers_;
  PeerKey last_{};
  bool has_last_ = false;
  const uint8_t* last_attributes_ = nullptr;
  uint32_t checksum_ = 0;  // keeps the decoding observable so it cannot be optimised away
};

}  // namespace

Result<FileStats> ComputeFileStats(const std::string& path, ReaderOptions options) {
  Result<std::unique_ptr<Reader>> reader = Reader::Open(path, std::move(options));
  if (!reader.ok()) return reader.status();
  FileStats stats;
  StatsVisitor visitor(&stats);
  ElementDecoder decoder;
  Record record;
  uint32_t last_key = UINT32_MAX;
  FileStats::TypeCount* last_count = nullptr;
  bool first = true;
  uint32_t min_time = 0, max_time = 0;
  while ((*reader)->Next(&record)) {
    uint32_t key = (uint32_t{record.type} << 16) | record.subtype;
    if (key != last_key || last_count == nullptr) {
      auto it = std::find_if(stats.record_types.begin(), stats.record_types.end(), [&](const FileStats::TypeCount& t) {
        return t.type == record.type && t.subtype == record.subtype;
      });
      if (it == stats.record_types.end()) {
        stats.record_types.push_back({record.type, record.subtype, 0});
        it = stats.record_types.end() - 1;
      }
      last_count = &*it;
      last_key = key;
    }
    last_count->records++;
    if (first || record.timestamp < min_time) min_time = record.timestamp;
    if (first || record.timestamp > max_time) max_time = record.timestamp;
    first = false;
    Status status = decoder.Decode(record, visitor);
    if (!status.ok()) (*reader)->ReportBadRecord(record, status.message());
  }
  std::sort(stats.record_types.begin(), stats.record_types.end(),
            [](const auto& a, const auto& b) { return a.type != b.type ? a.type < b.type : a.subtype < b.subtype; });
  stats.summary = (*reader)->summary();
  stats.records = stats.summary.records;
  stats.peers = visitor.peers();
  stats.first_time = first ? 0 : min_time;
  stats.last_time = first ? 0 : max_time;
  return stats;
}

}  // namespace vigil::mrt
