// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The slow, obviously correct bgp-v6 model the fast one is checked against: std::set tables of (prefix,
// path id) per peer, everything recomputed from scratch at each evaluation, the visible /48s as a set
// (std::map of disjoint inclusive ranges, each prefix inserted on its own), and each /48 looked up on its
// own (Slash48Counter::EntitiesOfSlash48) when there are at most kEnumerateLimit of them. Real IPv6 tables
// cover billions of /48s; there the entities of each range come from GeoDatabase::ForEachSlash48Run, a
// walk the geo tests check against per-/48 lookups, not the sort-and-merge CountSlash48s the fast path
// uses. Test code only.

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "geo/geo.h"
#include "signals/routing_model.h"

namespace vigil::signals {

class ReferenceModel6 final : public RoutingModel6 {
 public:
  static constexpr uint64_t kEnumerateLimit = uint64_t{1} << 22;

  ReferenceModel6(VisibilityOptions options, const Slash48Counter* counter, const geo::GeoDatabase* geo)
      : options_(options), counter_(counter), geo_(geo) {}

  void Announce(uint32_t peer, Ipv6Prefix prefix, uint32_t path_id) override {
    tables_[peer].insert({prefix.Key(), path_id});
  }
  void Withdraw(uint32_t peer, Ipv6Prefix prefix, uint32_t path_id) override {
    tables_[peer].erase({prefix.Key(), path_id});
  }
  void VoidPeer(uint32_t peer) override { tables_[peer].clear(); }

  // The set of visible /48s: inserts [first, last], merging with every range it overlaps or touches.
  static void Insert(std::map<uint64_t, uint64_t>& set, uint64_t first, uint64_t last) {
    auto it = set.upper_bound(first);
    if (it != set.begin() && std::prev(it)->second + 1 >= first) --it;
    while (it != set.end() && it->first <= last + 1) {
      first = std::min(first, it->first);
      last = std::max(last, it->second);
      it = set.erase(it);
    }
    set.emplace(first, last);
  }

  std::vector<int64_t> Evaluate() override {
    std::map<uint32_t, std::set<Key>> carried;  // peer -> distinct prefixes
    for (const auto& [peer, table] : tables_) {
      for (const auto& [key, path] : table) carried[peer].insert(key);
    }
    int64_t largest = 0;
    for (const auto& [peer, prefixes] : carried) largest = std::max<int64_t>(largest, int64_t(prefixes.size()));
    std::vector<uint32_t> full_feed;
    for (const auto& [peer, prefixes] : carried) {
      int64_t n = int64_t(prefixes.size());
      bool is_full =
          n > 0 && (options_.full_feed_fraction > 0 ? double(n) >= options_.full_feed_fraction * double(largest)
                                                    : n > options_.full_feed_min_prefixes);
      if (is_full) full_feed.push_back(peer);
    }
    std::map<Key, int64_t> carriers;
    for (uint32_t peer : full_feed) {
      for (Key key : carried[peer]) ++carriers[key];
    }
    std::map<uint64_t, uint64_t> visible;
    int64_t visible_prefixes = 0;
    for (const auto& [key, n] : carriers) {
      if (!(double(n) > options_.visibility * double(full_feed.size()))) continue;
      ++visible_prefixes;
      Ipv6Prefix prefix = Ipv6Prefix::FromKey(key);
      if (prefix.length < 8) continue;
      uint64_t first = prefix.hi >> 16;  // the /48 holding the network
      uint64_t last = prefix.length >= 48 ? first : first + ((uint64_t{1} << (48 - prefix.length)) - 1);
      Insert(visible, first, last);
    }
    uint64_t total = 0;
    for (const auto& [first, last] : visible) total += last - first + 1;
    std::vector<int64_t> counts(counter_->entity_count(), 0);
    if (total <= kEnumerateLimit) {
      std::vector<uint32_t> entities;
      for (const auto& [first, last] : visible) {
        for (uint64_t s = first; s <= last; ++s) {
          counter_->EntitiesOfSlash48(s, entities);
          for (uint32_t entity : entities) ++counts[entity];
        }
      }
    } else {
      for (const auto& [first, last] : visible) {
        geo_->ForEachSlash48Run({first, last}, [&](uint64_t a, uint64_t b, const geo::Location& l) {
          for (geo::EntityId id : {l.country, l.region, l.asn}) {
            if (id != geo::kNoEntity) counts[id] += int64_t(b - a + 1);
          }
        });
      }
    }
    summary_ = Summary{};
    for (const auto& [peer, prefixes] : carried) summary_.peers += !prefixes.empty();
    summary_.full_feed_peers = int64_t(full_feed.size());
    summary_.largest_table = largest;
    summary_.visible_prefixes = visible_prefixes;
    summary_.visible_slash24s = int64_t(total);
    return counts;
  }

  Summary LastSummary() const override { return summary_; }
  int64_t PeerPrefixCount(uint32_t peer) const override {
    auto it = tables_.find(peer);
    if (it == tables_.end()) return 0;
    std::set<Key> keys;
    for (const auto& [key, path] : it->second) keys.insert(key);
    return int64_t(keys.size());
  }

 private:
  using Key = unsigned __int128;
  VisibilityOptions options_;
  const Slash48Counter* counter_;
  const geo::GeoDatabase* geo_;
  std::map<uint32_t, std::set<std::pair<Key, uint32_t>>> tables_;
  Summary summary_;
};

}  // namespace vigil::signals
