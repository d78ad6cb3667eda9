// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"
#include "signals/ipv4_prefix.h"
#include "signals/ipv6_prefix.h"
#include "signals/mrt_inputs.h"
#include "signals/routing_model.h"

namespace vigil::signals {

inline constexpr int64_t kBgpBinSeconds = 300;
inline constexpr int kBgpStateEstablished = 6;  // RFC 6396 §4.4.1 state numbering

// One element of an MRT file, as far as the BGP signal cares. Filled in by whoever decodes MRT.
struct RouteRecord {
  enum class Kind : uint8_t { kRib, kAnnounce, kWithdraw, kState };
  Kind kind = Kind::kAnnounce;
  UnixSeconds t = 0;
  std::string_view peer_address;  // opaque bytes identifying the peer address (text or raw)
  uint32_t peer_asn = 0;
  int32_t peer_index = -1;  // RIB entries: index in the file's peer table (a lookup shortcut), else -1
  // Family of the prefix (neither: multicast). Each family's builder takes its own; the other family's
  // elements only prove the collector was alive.
  bool ipv4 = true;
  bool ipv6 = false;
  Ipv4Prefix prefix;
  Ipv6Prefix prefix6;
  uint32_t path_id = 0;
  int new_state = 0;  // kState: the FSM state entered
};

// Values of one bin: visible /24s per entity (indexed as the partition's entities) at the end of the bin.
struct BinValues {
  UnixSeconds t = 0;  // bin start
  std::vector<int64_t> counts;
};

struct FileOutcome {
  int64_t records = 0;
  int64_t ipv4_records = 0;  // elements of the builder's family: IPv4 for `bgp`, IPv6 for `bgp-v6`
  UnixSeconds first_t = 0;
  UnixSeconds last_t = 0;
  std::vector<BinValues> bins;  // every bin this file has data for, in time order
};

// Turns MRT records, file after file, into per-bin entity values. Owns the collector and peer directory
// (peer = collector + address + ASN, all collectors in one pool) and drives a RoutingModel.
//
// Bins: a file has data for the bins its name's period covers (updates: 5 minutes, 15 for RouteViews; a
// RIB: the bin of its time) and for every bin one of its records falls in. When records cross into a later
// bin, the bins before it are emitted with the state as it was then; the rest at the end of the file. A bin
// no file has data for is never emitted: missing, not zero. A later file re-emitting a bin (another
// collector, the next file's first second) replaces the earlier value.
// Which elements a family's builder applies to its model, and their prefix.
template <typename Prefix>
struct RecordFamily;
template <>
struct RecordFamily<Ipv4Prefix> {
  static bool Takes(const RouteRecord& r) { return r.ipv4; }
  static Ipv4Prefix Of(const RouteRecord& r) { return r.prefix; }
};
template <>
struct RecordFamily<Ipv6Prefix> {
  static bool Takes(const RouteRecord& r) { return r.ipv6; }
  static Ipv6Prefix Of(const RouteRecord& r) { return r.prefix6; }
};

template <typename Prefix>
class BasicBgpSignalBuilder {
 public:
  explicit BasicBgpSignalBuilder(BasicRoutingModel<Prefix>& model) : model_(model) {}

  void BeginFile(const MrtInputFile& input);
  void Record(const RouteRecord& record);
  // A new peer index table starts in the file: RouteRecord::peer_index values change meaning.
  void PeerIndexTableChanged() { rib_peer_ids_.clear(); }
  FileOutcome FinishFile();

  // Whether a collector has tables (from a RIB or saved state), and the latest time applied to it.
  bool HasCollector(const std::string& collector) const;
  UnixSeconds CollectorLastTime(const std::string& collector) const;
  // Forgets every table (for --from-rib).
  void Clear();

  // Directory + model tables, for StateBlob. Only for models that can save their tables.
  Result<std::string> SaveState(const std::function<void(std::string&)>& save_tables) const;
  Status LoadState(std::string_view bytes, const std::function<Status(std::string_view)>& load_tables);

  static int64_t UpdatePeriodSeconds(const std::string& collector);

 private:
  struct PeerInfo {
    uint32_t collector = 0;
    std::string address;
    uint32_t asn = 0;
    bool established = true;
  };
  struct CollectorInfo {
    std::string name;
    UnixSeconds last_time = -1;
    bool has_rib = false;
    std::vector<uint32_t> peers;
  };

  uint32_t CollectorId(const std::string& name);
  uint32_t PeerId(const RouteRecord& record);
  void EmitBinsBefore(UnixSeconds bin);

  BasicRoutingModel<Prefix>& model_;
  std::vector<CollectorInfo> collectors_;
  std::map<std::string, uint32_t> collector_ids_;
  std::vector<PeerInfo> peers_;
  std::unordered_map<std::string, uint32_t> peer_ids_;
  std::string peer_key_;
  // Lookups are per element: a direct-mapped cache in front of peer_ids_, and RIB peer indexes.
  struct PeerCacheSlot {
    std::string key;
    uint32_t id = UINT32_MAX;
  };
  std::vector<PeerCacheSlot> peer_cache_ = std::vector<PeerCacheSlot>(256);
  std::vector<uint32_t> rib_peer_ids_;

  // The file being processed.
  MrtInputFile file_;
  uint32_t file_collector_ = 0;
  bool rib_started_ = false;
  UnixSeconds open_bin_ = INT64_MIN;
  std::set<UnixSeconds> pending_bins_;
  std::set<UnixSeconds> emitted_bins_;
  FileOutcome outcome_;
};

using BgpSignalBuilder = BasicBgpSignalBuilder<Ipv4Prefix>;
using BgpSignalBuilder6 = BasicBgpSignalBuilder<Ipv6Prefix>;

}  // namespace vigil::signals
