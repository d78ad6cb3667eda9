// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/bgp_signal_builder.h"

#include <algorithm>

#include "signals/state_codec.h"

namespace vigil::signals {
namespace {
constexpr uint64_t kDirectoryVersion = 1;
}

template <typename Prefix>
int64_t BasicBgpSignalBuilder<Prefix>::UpdatePeriodSeconds(const std::string& collector) {
  // RouteViews writes an updates file every 15 minutes, RIS (and the simulator) every 5.
  return collector.starts_with("route-views") ? 900 : 300;
}

template <typename Prefix>
uint32_t BasicBgpSignalBuilder<Prefix>::CollectorId(const std::string& name) {
  auto [it, inserted] = collector_ids_.emplace(name, uint32_t(collectors_.size()));
  if (inserted) collectors_.push_back(CollectorInfo{name, -1, false, {}});
  return it->second;
}

template <typename Prefix>
uint32_t BasicBgpSignalBuilder<Prefix>::PeerId(const RouteRecord& record) {
  peer_key_.clear();
  peer_key_.append(reinterpret_cast<const char*>(&file_collector_), sizeof file_collector_);
  peer_key_.append(reinterpret_cast<const char*>(&record.peer_asn), sizeof record.peer_asn);
  peer_key_.append(record.peer_address);
  uint32_t h = 2166136261u;
  for (char c : peer_key_) h = (h ^ uint8_t(c)) * 16777619u;
  PeerCacheSlot& slot = peer_cache_[(h ^ (h >> 8) ^ (h >> 16)) & 255];
  if (slot.id != UINT32_MAX && slot.key == peer_key_) return slot.id;
  auto it = peer_ids_.find(peer_key_);
  if (it != peer_ids_.end()) {
    slot.key = peer_key_;
    slot.id = it->second;
    return it->second;
  }
  uint32_t id = uint32_t(peers_.size());
  peers_.push_back(PeerInfo{file_collector_, std::string(record.peer_address), record.peer_asn, true});
  collectors_[file_collector_].peers.push_back(id);
  peer_ids_.emplace(peer_key_, id);
  return id;
}

template <typename Prefix>
void BasicBgpSignalBuilder<Prefix>::BeginFile(const MrtInputFile& input) {
  file_ = input;
  file_collector_ = CollectorId(input.collector);
  rib_started_ = false;
  rib_peer_ids_.clear();
  open_bin_ = INT64_MIN;
  pending_bins_.clear();
  emitted_bins_.clear();
  outcome_ = FileOutcome{};
  if (input.name_time >= 0 && !input.time_from_content) {
    if (input.kind == MrtFileKind::kUpdates) {
      int64_t period = UpdatePeriodSeconds(input.collector);
      for (UnixSeconds b = BinStart(input.name_time, kBgpBinSeconds); b < input.name_time + period;
           b += kBgpBinSeconds) {
        pending_bins_.insert(b);
      }
    } else {
      pending_bins_.insert(BinStart(input.name_time, kBgpBinSeconds));
    }
  }
}

template <typename Prefix>
void BasicBgpSignalBuilder<Prefix>::EmitBinsBefore(UnixSeconds bin) {
  if (pending_bins_.empty() || *pending_bins_.begin() >= bin) return;
  std::vector<int64_t> counts = model_.Evaluate();
  // Without a single full-feed peer (no table yet, every session down) visibility is undefined: the bin
  // gets no value rather than a zero that would read as a total outage.
  bool defined = model_.IsPartial() || model_.LastSummary().full_feed_peers > 0;
  while (!pending_bins_.empty() && *pending_bins_.begin() < bin) {
    UnixSeconds b = *pending_bins_.begin();
    pending_bins_.erase(pending_bins_.begin());
    emitted_bins_.insert(b);
    if (defined) outcome_.bins.push_back(BinValues{b, counts});
  }
}

template <typename Prefix>
void BasicBgpSignalBuilder<Prefix>::Record(const RouteRecord& r) {
  if (outcome_.records == 0 || r.t < outcome_.first_t) outcome_.first_t = r.t;
  if (outcome_.records == 0 || r.t > outcome_.last_t) outcome_.last_t = r.t;
  ++outcome_.records;
  CollectorInfo& collector = collectors_[file_collector_];

  if (r.kind == RouteRecord::Kind::kRib) {
    // A RIB is one instant: its entries never cross a bin boundary, whatever their timestamps say.
    if (!rib_started_) {
      rib_started_ = true;
      for (uint32_t peer : collector.peers) model_.VoidPeer(peer);
      collector.has_rib = true;
      if (file_.name_time < 0 || file_.time_from_content) pending_bins_.insert(BinStart(r.t, kBgpBinSeconds));
    }
    if (!RecordFamily<Prefix>::Takes(r)) return;
    ++outcome_.ipv4_records;
    uint32_t peer;
    if (r.peer_index >= 0 && size_t(r.peer_index) < rib_peer_ids_.size() && rib_peer_ids_[r.peer_index] != UINT32_MAX) {
      peer = rib_peer_ids_[r.peer_index];
    } else {
      peer = PeerId(r);
      if (r.peer_index >= 0 && r.peer_index < 65536) {
        if (size_t(r.peer_index) >= rib_peer_ids_.size()) rib_peer_ids_.resize(r.peer_index + 1, UINT32_MAX);
        rib_peer_ids_[r.peer_index] = peer;
      }
    }
    peers_[peer].established = true;
    model_.Announce(peer, RecordFamily<Prefix>::Of(r), r.path_id);
    return;
  }

  UnixSeconds bin = BinStart(r.t, kBgpBinSeconds);
  if (bin > open_bin_) {
    EmitBinsBefore(bin);
    open_bin_ = bin;
  }
  if (!emitted_bins_.count(bin)) pending_bins_.insert(bin);
  collector.last_time = std::max(collector.last_time, r.t);

  switch (r.kind) {
    case RouteRecord::Kind::kState: {
      uint32_t peer = PeerId(r);
      bool established = r.new_state == kBgpStateEstablished;
      if (!established) model_.VoidPeer(peer);
      peers_[peer].established = established;
      break;
    }
    case RouteRecord::Kind::kAnnounce:
      if (!RecordFamily<Prefix>::Takes(r)) break;
      ++outcome_.ipv4_records;
      model_.Announce(PeerId(r), RecordFamily<Prefix>::Of(r), r.path_id);
      break;
    case RouteRecord::Kind::kWithdraw:
      if (!RecordFamily<Prefix>::Takes(r)) break;
      ++outcome_.ipv4_records;
      model_.Withdraw(PeerId(r), RecordFamily<Prefix>::Of(r), r.path_id);
      break;
    case RouteRecord::Kind::kRib:
      break;
  }
}

template <typename Prefix>
FileOutcome BasicBgpSignalBuilder<Prefix>::FinishFile() {
  CollectorInfo& collector = collectors_[file_collector_];
  if (file_.name_time >= 0 && !file_.time_from_content) {
    // An updates file vouches for its whole period, quiet or not.
    UnixSeconds end = file_.kind == MrtFileKind::kUpdates ? file_.name_time + UpdatePeriodSeconds(file_.collector) - 1
                                                          : file_.name_time;
    collector.last_time = std::max(collector.last_time, end);
  }
  if (rib_started_) collector.last_time = std::max(collector.last_time, outcome_.last_t);
  EmitBinsBefore(INT64_MAX);
  return std::move(outcome_);
}

template <typename Prefix>
bool BasicBgpSignalBuilder<Prefix>::HasCollector(const std::string& collector) const {
  auto it = collector_ids_.find(collector);
  return it != collector_ids_.end() && (collectors_[it->second].has_rib || collectors_[it->second].last_time >= 0);
}

template <typename Prefix>
UnixSeconds BasicBgpSignalBuilder<Prefix>::CollectorLastTime(const std::string& collector) const {
  auto it = collector_ids_.find(collector);
  return it == collector_ids_.end() ? -1 : collectors_[it->second].last_time;
}

template <typename Prefix>
void BasicBgpSignalBuilder<Prefix>::Clear() {
  for (uint32_t peer = 0; peer < peers_.size(); ++peer) model_.VoidPeer(peer);
  for (PeerCacheSlot& slot : peer_cache_) slot.id = UINT32_MAX;
  collectors_.clear();
  collector_ids_.clear();
  peers_.clear();
  peer_ids_.clear();
}

template <typename Prefix>
Result<std::string> BasicBgpSignalBuilder<Prefix>::SaveState(
    const std::function<void(std::string&)>& save_tables) const {
  StateWriter w;
  w.Varint(kDirectoryVersion);
  w.Varint(collectors_.size());
  for (const CollectorInfo& c : collectors_) {
    w.Bytes(c.name);
    w.Signed(c.last_time);
    w.Varint(c.has_rib);
  }
  w.Varint(peers_.size());
  for (const PeerInfo& p : peers_) {
    w.Varint(p.collector);
    w.Bytes(p.address);
    w.Varint(p.asn);
    w.Varint(p.established);
  }
  std::string tables;
  save_tables(tables);
  w.Bytes(tables);
  return std::move(w.bytes());
}

template <typename Prefix>
Status BasicBgpSignalBuilder<Prefix>::LoadState(std::string_view bytes,
                                                const std::function<Status(std::string_view)>& load_tables) {
  StateReader r(bytes);
  if (r.Varint() != kDirectoryVersion) return Status::Corruption("BGP signal state: unknown directory version");
  BasicBgpSignalBuilder loaded(model_);
  uint64_t collectors = r.Varint();
  if (r.failed() || collectors > bytes.size()) return Status::Corruption("BGP signal state: corrupt collector list");
  for (uint64_t i = 0; i < collectors; ++i) {
    CollectorInfo c;
    c.name = r.Bytes();
    c.last_time = r.Signed();
    c.has_rib = r.Varint() != 0;
    loaded.collector_ids_.emplace(c.name, uint32_t(loaded.collectors_.size()));
    loaded.collectors_.push_back(std::move(c));
  }
  uint64_t peers = r.Varint();
  if (r.failed() || peers > bytes.size()) return Status::Corruption("BGP signal state: corrupt peer list");
  for (uint64_t i = 0; i < peers; ++i) {
    PeerInfo p;
    p.collector = uint32_t(r.Varint());
    p.address = r.Bytes();
    p.asn = uint32_t(r.Varint());
    p.established = r.Varint() != 0;
    if (r.failed() || p.collector >= loaded.collectors_.size()) {
      return Status::Corruption("BGP signal state: corrupt peer list");
    }
    std::string key;
    key.append(reinterpret_cast<const char*>(&p.collector), sizeof p.collector);
    key.append(reinterpret_cast<const char*>(&p.asn), sizeof p.asn);
    key.append(p.address);
    loaded.peer_ids_.emplace(key, uint32_t(loaded.peers_.size()));
    loaded.collectors_[p.collector].peers.push_back(uint32_t(loaded.peers_.size()));
    loaded.peers_.push_back(std::move(p));
  }
  std::string tables = r.Bytes();
  if (r.failed() || !r.at_end()) return Status::Corruption("BGP signal state: corrupt directory");
  VIGIL_RETURN_IF_ERROR(load_tables(tables));
  for (PeerCacheSlot& slot : peer_cache_) slot.id = UINT32_MAX;
  collectors_ = std::move(loaded.collectors_);
  collector_ids_ = std::move(loaded.collector_ids_);
  peers_ = std::move(loaded.peers_);
  peer_ids_ = std::move(loaded.peer_ids_);
  return Status::Ok();
}

template class BasicBgpSignalBuilder<Ipv4Prefix>;
template class BasicBgpSignalBuilder<Ipv6Prefix>;

}  // namespace vigil::signals
