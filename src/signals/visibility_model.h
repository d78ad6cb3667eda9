// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "signals/entity_partition.h"
#include "signals/ipv6_prefix.h"
#include "signals/state_codec.h"
#include "signals/routing_model.h"

namespace vigil::signals {

// What differs between the IPv4 (`bgp`, /24s) and the IPv6 (`bgp-v6`, /48s) models: the prefix key, the
// counting unit's intervals, the counter, and how keys are saved.
template <typename Prefix>
struct PrefixFamily;

template <>
struct PrefixFamily<Ipv4Prefix> {
  using Key = uint64_t;
  using Interval = AddressInterval;
  using Counter = Slash24Counter;
  // Adds a visible prefix to the sorted interval list (prefixes arrive in (network, length) order).
  static void Add(std::vector<Interval>& out, Ipv4Prefix prefix) {
    AddressIntervalMerger(out).Add(prefix.network, prefix.Last());
  }
  static void Count(const Counter& counter, std::span<const Interval> visible, std::vector<int64_t>& counts) {
    counter.CountSlash24s(visible, counts);
  }
  static int64_t Units(const Interval& v) {
    return std::max<int64_t>(0, int64_t(EndWholeSlash24(v)) - int64_t(FirstWholeSlash24(v)));
  }
  // RIBs arrive sorted, so ids mostly follow key order: deltas are small.
  static void WriteKey(StateWriter& w, Key key, Key& last) {
    w.Signed(int64_t(key) - int64_t(last));
    last = key;
  }
  static Key ReadKey(StateReader& r, Key& last) { return last = Key(int64_t(last) + r.Signed()); }
  // The key as the prefix table's hash slots hold it: 64 bits plus 8 (zero: an IPv4 key fits in 64 bits).
  static uint64_t SlotHigh(Key key) { return key; }
  static uint8_t SlotLow(Key) { return 0; }
};

template <>
struct PrefixFamily<Ipv6Prefix> {
  using Key = unsigned __int128;
  using Interval = Slash48Range;
  using Counter = Slash48Counter;
  static void Add(std::vector<Interval>& out, Ipv6Prefix prefix) {
    uint64_t first = prefix.First48(), last = prefix.Last48();
    if (!out.empty() && first <= out.back().last + 1) {
      if (last > out.back().last) out.back().last = last;
    } else {
      out.push_back({first, last});
    }
  }
  static void Count(const Counter& counter, std::span<const Interval> visible, std::vector<int64_t>& counts) {
    counter.CountSlash48s(visible, counts);
  }
  static int64_t Units(const Interval& v) { return int64_t(v.last - v.first + 1); }
  static void WriteKey(StateWriter& w, Key key, Key&) {
    w.Varint(uint64_t(key >> 8));
    w.Varint(uint64_t(key & 0xff));
  }
  static Key ReadKey(StateReader& r, Key&) {
    Key hi = r.Varint();
    return hi << 8 | (r.Varint() & 0xff);
  }
  // A 16-byte hash slot, as for IPv4, rather than a 32-byte one around a 128-bit key: the upper 64 bits of
  // the network, then the length.
  static uint64_t SlotHigh(Key key) { return uint64_t(key >> 8); }
  static uint8_t SlotLow(Key key) { return uint8_t(key); }
};

// Every prefix ever seen, interned to a dense id (open addressing on the prefix key), with an order by
// (network, length) kept for the visibility sweep. Ids are never reused: the set of distinct prefixes grows
// slowly (about 1M IPv4 and 0.2M IPv6 on the real Internet), so per-peer tables can be bitsets over ids.
template <typename Prefix>
class BasicPrefixUniverse {
 public:
  using Family = PrefixFamily<Prefix>;
  using Key = typename Family::Key;
  static constexpr uint32_t kNone = ~uint32_t{0};

  uint32_t Intern(Prefix prefix);
  uint32_t Find(Prefix prefix) const;
  Prefix At(uint32_t id) const { return Prefix::FromKey(keys_[id]); }
  uint32_t size() const { return uint32_t(keys_.size()); }
  // Ids in (network, length) order.
  const std::vector<uint32_t>& SortedIds();

 private:
  void Grow();
  // 16 bytes for either family: the key (PrefixFamily::SlotHigh, SlotLow) and id side by side.
  struct Slot {
    uint64_t high = 0;
    uint32_t id_plus_one = 0;  // 0 = empty
    uint8_t low = 0;
  };
  static_assert(sizeof(Slot) == 16);
  std::vector<Key> keys_;    // by id
  std::vector<Slot> slots_;  // open addressing, linear probing
  std::vector<uint32_t> sorted_;
  size_t sorted_count_ = 0;  // ids below this are in sorted_
  Key last_key_ = 0;
  uint32_t last_id_ = kNone;
};

using PrefixUniverse = BasicPrefixUniverse<Ipv4Prefix>;

// The fast routing model. Per peer, a bitset over prefix ids (128 KiB per full table of 1M prefixes; a
// side index of (prefix, path id) only for peers that use ADD-PATH); per prefix, the number of full-feed
// peers carrying it, kept up to date on every announce and withdraw. Evaluate() re-derives full-feed status,
// and recomputes the visible set only when some prefix crossed the threshold since the last bin.
template <typename Prefix>
class BasicVisibilityModel final : public BasicRoutingModel<Prefix> {
 public:
  using Family = PrefixFamily<Prefix>;
  using Key = typename Family::Key;
  using Interval = typename Family::Interval;
  using Counter = typename Family::Counter;
  using Summary = typename BasicRoutingModel<Prefix>::Summary;

  BasicVisibilityModel(VisibilityOptions options, const Counter* counter);
  ~BasicVisibilityModel() override;

  void Announce(uint32_t peer, Prefix prefix, uint32_t path_id) override;
  void Withdraw(uint32_t peer, Prefix prefix, uint32_t path_id) override;
  void VoidPeer(uint32_t peer) override;
  std::vector<int64_t> Evaluate() override;
  Summary LastSummary() const override { return summary_; }
  int64_t PeerPrefixCount(uint32_t peer) const override;

  // Address space covered by visible prefixes as of the last Evaluate() (sorted, disjoint).
  const std::vector<Interval>& VisibleIntervals() const { return visible_intervals_; }

  // Partial mode, for ingest split across workers (each a disjoint set of collectors; docs/scale.md): Evaluate()
  // does not decide visibility. It re-derives full-feed peers as usual and records a CountDelta: the number
  // of this model's full-feed peers and, per prefix whose full-feed carrier count changed since the previous
  // Evaluate() (every prefix with a non-zero count at the first), the new count. It returns {index of that
  // delta in TakeDeltas()}. A prefix is visible when the sum over workers of its counts exceeds the visibility
  // fraction of the sum of their full-feed peers: the same as one model over all collectors, because with an
  // absolute full-feed threshold a peer's full-feed status depends on its own table only.
  struct CountDelta {
    int64_t full_feed_peers = 0;
    std::vector<std::pair<Key, uint16_t>> counts;  // (prefix key, full-feed carriers now)
  };
  void SetPartial(bool partial) { partial_ = partial; }
  bool IsPartial() const override { return partial_; }
  std::vector<CountDelta> TakeDeltas() { return std::move(deltas_); }

  // Peer tables (not the options or counter) to and from bytes, for state kept between runs. The prefix
  // list is append-only, so its encoding is kept and extended rather than redone per save.
  bool CanSaveTables() const override { return true; }
  void SaveTables(std::string& out) override;
  Status LoadTables(std::string_view bytes) override;

 private:
  struct PathIndex {
    std::unordered_set<uint64_t> paths;            // prefix id << 32 | path id
    std::unordered_map<uint32_t, uint32_t> count;  // prefix id -> announced paths
  };
  struct Peer {
    std::vector<uint64_t> bits;
    int64_t prefixes = 0;
    bool full_feed = false;
    std::unique_ptr<PathIndex> paths;
  };

  Peer& PeerAt(uint32_t peer);
  void SetCarried(Peer& p, uint32_t id);
  void ClearCarried(Peer& p, uint32_t id);
  void AdjustFullFeedCounts(const Peer& p, int delta);
  void RebuildVisible();
  std::vector<int64_t> EvaluatePartial(int64_t full_feed, int64_t largest, bool status_changed);

  VisibilityOptions options_;
  const Counter* counter_;
  BasicPrefixUniverse<Prefix> universe_;
  std::vector<Peer> peers_;
  std::vector<uint16_t> full_feed_count_;  // by prefix id
  std::vector<uint64_t> visible_;          // bitset by prefix id, as of the last Evaluate()
  std::vector<uint32_t> touched_;          // ids whose full_feed_count_ changed since the last Evaluate()
  int64_t min_carriers_ = -1;
  bool evaluated_ = false;
  std::vector<Interval> visible_intervals_;
  std::vector<int64_t> counts_;
  Summary summary_;
  bool partial_ = false;
  std::vector<uint16_t> exported_;  // partial mode: counts as of the last CountDelta, by prefix id
  std::vector<CountDelta> deltas_;
  std::string encoded_prefixes_;
  uint32_t encoded_prefix_count_ = 0;
  Key encoded_last_key_ = 0;
};

using VisibilityModel = BasicVisibilityModel<Ipv4Prefix>;
using VisibilityModel6 = BasicVisibilityModel<Ipv6Prefix>;

}  // namespace vigil::signals
