// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/visibility_model.h"

#include <algorithm>
#include <bit>

#include "signals/state_codec.h"

namespace vigil::signals {
namespace {

inline uint64_t Mix(uint64_t key) {
  key ^= key >> 29;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 32;
  return key;
}
// Hash of a slot key; for IPv4 (low = 0) it is Mix of the 40-bit key.
inline uint64_t SlotHash(uint64_t high, uint8_t low) { return Mix(high ^ uint64_t{low} * 0x9E3779B97F4A7C15ULL); }

inline bool TestBit(const std::vector<uint64_t>& bits, uint32_t id) {
  size_t w = id >> 6;
  return w < bits.size() && (bits[w] >> (id & 63) & 1);
}

template <typename F>
void ForEachSetBit(const std::vector<uint64_t>& bits, F&& f) {
  for (size_t w = 0; w < bits.size(); ++w) {
    uint64_t word = bits[w];
    while (word) {
      f(uint32_t(w * 64 + std::countr_zero(word)));
      word &= word - 1;
    }
  }
}

// First index in [from, n) whose bit equals `value`, or n.
uint32_t NextBitWithValue(const std::vector<uint64_t>& bits, uint32_t from, uint32_t n, bool value) {
  size_t w = from >> 6;
  size_t words = (size_t(n) + 63) / 64;
  while (w < words) {
    uint64_t word = w < bits.size() ? bits[w] : 0;
    if (!value) word = ~word;
    if (w == (from >> 6)) word &= ~uint64_t{0} << (from & 63);
    if (word) return std::min<uint32_t>(n, uint32_t(w * 64 + std::countr_zero(word)));
    ++w;
  }
  return n;
}

constexpr uint64_t kStateVersion = 1;

}  // namespace

// ----- PrefixUniverse -----------------------------------------------------------------------------------

template <typename Prefix>
uint32_t BasicPrefixUniverse<Prefix>::Find(Prefix prefix) const {
  if (slots_.empty()) return kNone;
  Key key = prefix.Key();
  uint64_t high = Family::SlotHigh(key);
  uint8_t low = Family::SlotLow(key);
  size_t mask = slots_.size() - 1;
  for (size_t i = SlotHash(high, low) & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id_plus_one == 0) return kNone;
    if (slot.high == high && slot.low == low) return slot.id_plus_one - 1;
  }
}

template <typename Prefix>
uint32_t BasicPrefixUniverse<Prefix>::Intern(Prefix prefix) {
  Key key = prefix.Key();
  // RIB records list every peer's route for one prefix in a row.
  if (key == last_key_ && last_id_ != kNone) return last_id_;
  if ((keys_.size() + 1) * 2 > slots_.size()) Grow();
  uint64_t high = Family::SlotHigh(key);
  uint8_t low = Family::SlotLow(key);
  size_t mask = slots_.size() - 1;
  for (size_t i = SlotHash(high, low) & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.id_plus_one == 0) {
      slot = Slot{high, uint32_t(keys_.size()) + 1, low};
      keys_.push_back(key);
      last_key_ = key;
      return last_id_ = slot.id_plus_one - 1;
    }
    if (slot.high == high && slot.low == low) {
      last_key_ = key;
      return last_id_ = slot.id_plus_one - 1;
    }
  }
}

template <typename Prefix>
void BasicPrefixUniverse<Prefix>::Grow() {
  size_t capacity = std::max<size_t>(1024, slots_.size() * 2);
  slots_.assign(capacity, Slot{});
  size_t mask = capacity - 1;
  for (uint32_t id = 0; id < keys_.size(); ++id) {
    uint64_t high = Family::SlotHigh(keys_[id]);
    uint8_t low = Family::SlotLow(keys_[id]);
    size_t i = SlotHash(high, low) & mask;
    while (slots_[i].id_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = Slot{high, id + 1, low};
  }
}

template <typename Prefix>
const std::vector<uint32_t>& BasicPrefixUniverse<Prefix>::SortedIds() {
  if (sorted_count_ < keys_.size()) {
    size_t old = sorted_.size();
    for (size_t id = sorted_count_; id < keys_.size(); ++id) sorted_.push_back(uint32_t(id));
    auto by_key = [this](uint32_t a, uint32_t b) { return keys_[a] < keys_[b]; };
    std::sort(sorted_.begin() + old, sorted_.end(), by_key);
    std::inplace_merge(sorted_.begin(), sorted_.begin() + old, sorted_.end(), by_key);
    sorted_count_ = keys_.size();
  }
  return sorted_;
}

// ----- VisibilityModel ----------------------------------------------------------------------------------

template <typename Prefix>
BasicVisibilityModel<Prefix>::BasicVisibilityModel(VisibilityOptions options, const Counter* counter)
    : options_(options), counter_(counter) {}

template <typename Prefix>
BasicVisibilityModel<Prefix>::~BasicVisibilityModel() = default;

template <typename Prefix>
typename BasicVisibilityModel<Prefix>::Peer& BasicVisibilityModel<Prefix>::PeerAt(uint32_t peer) {
  if (peer >= peers_.size()) peers_.resize(peer + 1);
  return peers_[peer];
}

template <typename Prefix>
int64_t BasicVisibilityModel<Prefix>::PeerPrefixCount(uint32_t peer) const {
  return peer < peers_.size() ? peers_[peer].prefixes : 0;
}

template <typename Prefix>
void BasicVisibilityModel<Prefix>::SetCarried(Peer& p, uint32_t id) {
  size_t w = id >> 6;
  if (w >= p.bits.size()) p.bits.resize(std::max(w + 1, p.bits.size() * 2), 0);
  uint64_t bit = uint64_t{1} << (id & 63);
  if (p.bits[w] & bit) return;
  p.bits[w] |= bit;
  ++p.prefixes;
  if (p.full_feed) {
    ++full_feed_count_[id];
    touched_.push_back(id);
  }
}

template <typename Prefix>
void BasicVisibilityModel<Prefix>::ClearCarried(Peer& p, uint32_t id) {
  size_t w = id >> 6;
  uint64_t bit = uint64_t{1} << (id & 63);
  if (w >= p.bits.size() || !(p.bits[w] & bit)) return;
  p.bits[w] &= ~bit;
  --p.prefixes;
  if (p.full_feed) {
    --full_feed_count_[id];
    touched_.push_back(id);
  }
}

template <typename Prefix>
void BasicVisibilityModel<Prefix>::Announce(uint32_t peer, Prefix prefix, uint32_t path_id) {
  Peer& p = PeerAt(peer);
  uint32_t id = universe_.Intern(prefix);
  if (id >= full_feed_count_.size()) full_feed_count_.resize(id + 1, 0);
  if (path_id != 0 && !p.paths) {
    // First ADD-PATH announcement: index what the peer already carries under path id 0.
    p.paths = std::make_unique<PathIndex>();
    ForEachSetBit(p.bits, [&](uint32_t carried) {
      p.paths->paths.insert(uint64_t{carried} << 32);
      p.paths->count[carried] = 1;
    });
  }
  if (p.paths) {
    if (!p.paths->paths.insert(uint64_t{id} << 32 | path_id).second) return;
    if (p.paths->count[id]++ > 0) return;
  }
  SetCarried(p, id);
}

template <typename Prefix>
void BasicVisibilityModel<Prefix>::Withdraw(uint32_t peer, Prefix prefix, uint32_t path_id) {
  if (peer >= peers_.size()) return;
  Peer& p = peers_[peer];
  uint32_t id = universe_.Find(prefix);
  if (id == BasicPrefixUniverse<Prefix>::kNone) return;
  if (p.paths) {
    if (p.paths->paths.erase(uint64_t{id} << 32 | path_id) == 0) return;
    auto it = p.paths->count.find(id);
    if (--it->second > 0) return;
    p.paths->count.erase(it);
  } else if (path_id != 0) {
    return;  // never announced under that path id
  }
  ClearCarried(p, id);
}

template <typename Prefix>
void BasicVisibilityModel<Prefix>::VoidPeer(uint32_t peer) {
  if (peer >= peers_.size()) return;
  Peer& p = peers_[peer];
  if (p.full_feed) {
    AdjustFullFeedCounts(p, -1);
    p.full_feed = false;
    evaluated_ = false;  // a whole table left the pool: recompute the visible set from scratch
  }
  p.bits.clear();
  p.bits.shrink_to_fit();
  p.prefixes = 0;
  p.paths.reset();
}

template <typename Prefix>
void BasicVisibilityModel<Prefix>::AdjustFullFeedCounts(const Peer& p, int delta) {
  ForEachSetBit(p.bits, [&](uint32_t id) { full_feed_count_[id] = uint16_t(full_feed_count_[id] + delta); });
}

template <typename Prefix>
std::vector<int64_t> BasicVisibilityModel<Prefix>::Evaluate() {
  int64_t largest = 0;
  for (const Peer& p : peers_) largest = std::max(largest, p.prefixes);
  int64_t full_feed = 0;
  bool status_changed = false;
  for (Peer& p : peers_) {
    bool now = options_.IsFullFeed(p.prefixes, largest);
    if (now != p.full_feed) {
      AdjustFullFeedCounts(p, now ? +1 : -1);
      p.full_feed = now;
      status_changed = true;
    }
    full_feed += now;
  }
  int64_t min_carriers = options_.MinCarriers(full_feed);
  uint32_t n = universe_.size();
  full_feed_count_.resize(n, 0);
  visible_.resize((n + 63) / 64, 0);
  if (partial_) return EvaluatePartial(full_feed, largest, status_changed);

  bool flipped = false;
  if (!evaluated_ || status_changed || min_carriers != min_carriers_ || touched_.size() > n) {
    std::fill(visible_.begin(), visible_.end(), 0);
    for (uint32_t id = 0; id < n; ++id) {
      if (full_feed_count_[id] >= min_carriers) visible_[id >> 6] |= uint64_t{1} << (id & 63);
    }
    flipped = true;
  } else {
    for (uint32_t id : touched_) {
      bool now = full_feed_count_[id] >= min_carriers;
      if (now != TestBit(visible_, id)) {
        visible_[id >> 6] ^= uint64_t{1} << (id & 63);
        flipped = true;
      }
    }
  }
  touched_.clear();
  min_carriers_ = min_carriers;
  evaluated_ = true;
  if (flipped || counts_.size() != counter_->entity_count()) RebuildVisible();

  summary_.peers = 0;
  for (const Peer& p : peers_) summary_.peers += p.prefixes > 0;
  summary_.full_feed_peers = full_feed;
  summary_.largest_table = largest;
  return counts_;
}

template <typename Prefix>
std::vector<int64_t> BasicVisibilityModel<Prefix>::EvaluatePartial(int64_t full_feed, int64_t largest,
                                                                   bool status_changed) {
  uint32_t n = universe_.size();
  CountDelta delta;
  delta.full_feed_peers = full_feed;
  auto check = [&](uint32_t id) {
    if (full_feed_count_[id] != exported_[id]) {
      exported_[id] = full_feed_count_[id];
      delta.counts.emplace_back(universe_.At(id).Key(), full_feed_count_[id]);
    }
  };
  bool all = !evaluated_ || status_changed || touched_.size() > n;
  exported_.resize(n, 0);
  if (all) {
    for (uint32_t id = 0; id < n; ++id) check(id);
  } else {
    for (uint32_t id : touched_) check(id);
  }
  touched_.clear();
  evaluated_ = true;
  summary_.peers = 0;
  for (const Peer& p : peers_) summary_.peers += p.prefixes > 0;
  summary_.full_feed_peers = full_feed;
  summary_.largest_table = largest;
  deltas_.push_back(std::move(delta));
  return {int64_t(deltas_.size() - 1)};
}

template <typename Prefix>
void BasicVisibilityModel<Prefix>::RebuildVisible() {
  visible_intervals_.clear();
  int64_t visible_prefixes = 0;
  for (uint32_t id : universe_.SortedIds()) {
    if (!TestBit(visible_, id)) continue;
    ++visible_prefixes;
    Prefix prefix = universe_.At(id);
    if (!prefix.Counts()) continue;
    Family::Add(visible_intervals_, prefix);
  }
  counts_.assign(counter_->entity_count(), 0);
  Family::Count(*counter_, visible_intervals_, counts_);
  int64_t slash24s = 0;
  for (const Interval& v : visible_intervals_) slash24s += Family::Units(v);
  summary_.visible_prefixes = visible_prefixes;
  summary_.visible_slash24s = slash24s;
}

// ----- persistence --------------------------------------------------------------------------------------

template <typename Prefix>
void BasicVisibilityModel<Prefix>::SaveTables(std::string& out) {
  uint32_t n = universe_.size();
  if (encoded_prefix_count_ > n) {  // the universe was replaced (LoadTables)
    encoded_prefixes_.clear();
    encoded_prefix_count_ = 0;
    encoded_last_key_ = 0;
  }
  {
    StateWriter prefixes;
    prefixes.bytes().swap(encoded_prefixes_);
    for (uint32_t id = encoded_prefix_count_; id < n; ++id) {
      Family::WriteKey(prefixes, universe_.At(id).Key(), encoded_last_key_);
    }
    prefixes.bytes().swap(encoded_prefixes_);
    encoded_prefix_count_ = n;
  }
  StateWriter w;
  w.bytes().reserve(encoded_prefixes_.size() + peers_.size() * 4096);
  w.Varint(kStateVersion);
  w.Varint(n);
  w.bytes().append(encoded_prefixes_);
  w.Varint(peers_.size());
  for (const Peer& p : peers_) {
    w.Varint(p.full_feed ? 1 : 0);
    // The bitset as alternating run lengths (clear, set, clear, ...): full tables are long runs of ones.
    std::vector<uint64_t> runs;
    bool state = false;
    uint32_t at = 0;
    while (at < n) {
      uint32_t next = NextBitWithValue(p.bits, at, n, !state);
      runs.push_back(next - at);
      at = next;
      state = !state;
    }
    w.Varint(runs.size());
    for (uint64_t r : runs) w.Varint(r);
    if (p.paths) {
      std::vector<uint64_t> paths(p.paths->paths.begin(), p.paths->paths.end());
      std::sort(paths.begin(), paths.end());
      w.Varint(paths.size());
      for (uint64_t k : paths) {
        w.Varint(k >> 32);
        w.Varint(k & 0xffffffff);
      }
    } else {
      w.Varint(0);
    }
  }
  out = std::move(w.bytes());
}

template <typename Prefix>
Status BasicVisibilityModel<Prefix>::LoadTables(std::string_view bytes) {
  StateReader r(bytes);
  if (r.Varint() != kStateVersion) return Status::Corruption("BGP signal state: unknown version");
  uint64_t n = r.Varint();
  if (r.failed() || n > bytes.size()) return Status::Corruption("BGP signal state: corrupt prefix list");
  BasicPrefixUniverse<Prefix> universe;
  Key key = 0;
  for (uint64_t id = 0; id < n; ++id) {
    Key read = Family::ReadKey(r, key);
    if (universe.Intern(Prefix::FromKey(read)) != id || r.failed()) {
      return Status::Corruption("BGP signal state: corrupt prefix list");
    }
  }
  uint64_t peer_count = r.Varint();
  if (r.failed() || peer_count > bytes.size()) return Status::Corruption("BGP signal state: corrupt peer list");
  std::vector<Peer> peers(peer_count);
  std::vector<uint16_t> full_feed_count(n, 0);
  for (Peer& p : peers) {
    p.full_feed = r.Varint() != 0;
    uint64_t runs = r.Varint();
    if (r.failed() || runs > n + 1) return Status::Corruption("BGP signal state: corrupt peer table");
    p.bits.assign((n + 63) / 64, 0);
    uint64_t at = 0;
    for (uint64_t i = 0; i < runs; ++i) {
      uint64_t len = r.Varint();
      if (r.failed() || len > n - at) return Status::Corruption("BGP signal state: corrupt peer table");
      if (i % 2 == 1) {
        for (uint64_t id = at; id < at + len; ++id) p.bits[id >> 6] |= uint64_t{1} << (id & 63);
        p.prefixes += int64_t(len);
        if (p.full_feed) {
          for (uint64_t id = at; id < at + len; ++id) ++full_feed_count[id];
        }
      }
      at += len;
    }
    uint64_t paths = r.Varint();
    if (r.failed() || paths > bytes.size()) return Status::Corruption("BGP signal state: corrupt path index");
    if (paths > 0) {
      p.paths = std::make_unique<PathIndex>();
      for (uint64_t i = 0; i < paths; ++i) {
        uint64_t id = r.Varint();
        uint64_t path = r.Varint();
        if (r.failed() || id >= n || path > 0xffffffff || !TestBit(p.bits, uint32_t(id))) {
          return Status::Corruption("BGP signal state: corrupt path index");
        }
        p.paths->paths.insert(id << 32 | path);
        ++p.paths->count[uint32_t(id)];
      }
    }
  }
  if (!r.at_end()) return Status::Corruption("BGP signal state: trailing bytes");
  universe_ = std::move(universe);
  encoded_prefixes_.clear();
  encoded_prefix_count_ = 0;
  encoded_last_key_ = 0;
  peers_ = std::move(peers);
  full_feed_count_ = std::move(full_feed_count);
  touched_.clear();
  visible_.clear();
  evaluated_ = false;
  return Status::Ok();
}

template class BasicPrefixUniverse<Ipv4Prefix>;
template class BasicPrefixUniverse<Ipv6Prefix>;
template class BasicVisibilityModel<Ipv4Prefix>;
template class BasicVisibilityModel<Ipv6Prefix>;

}  // namespace vigil::signals
