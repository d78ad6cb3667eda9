// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// The slow, obviously correct BGP visibility model the fast one is checked against: std::set tables of
// (prefix, path id) per peer, everything recomputed from scratch at each evaluation, visible space as a
// std::set of /24 indexes, entities looked up one /24 at a time. Test code only.

#include <bitset>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "signals/entity_partition.h"
#include "signals/routing_model.h"

namespace vigil::signals {

class ReferenceModel final : public RoutingModel {
 public:
  ReferenceModel(VisibilityOptions options, const Slash24Counter* counter) : options_(options), counter_(counter) {}

  void Announce(uint32_t peer, Ipv4Prefix prefix, uint32_t path_id) override {
    tables_[peer].insert({prefix.Key(), path_id});
  }
  void Withdraw(uint32_t peer, Ipv4Prefix prefix, uint32_t path_id) override {
    tables_[peer].erase({prefix.Key(), path_id});
  }
  void VoidPeer(uint32_t peer) override { tables_[peer].clear(); }

  std::vector<int64_t> Evaluate() override {
    std::map<uint32_t, std::set<uint64_t>> carried;  // peer -> distinct prefixes
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
    std::map<uint64_t, int64_t> carriers;
    for (uint32_t peer : full_feed) {
      for (uint64_t key : carried[peer]) ++carriers[key];
    }
    // A /24 is visible when visible prefixes cover all 256 of its addresses: whole /24s from /8../24
    // prefixes, and per-address bitmaps for more-specifics.
    std::set<uint32_t> visible_slash24s;
    std::map<uint32_t, std::bitset<256>> partial;
    int64_t visible_prefixes = 0;
    for (const auto& [key, n] : carriers) {
      if (!(double(n) > options_.visibility * double(full_feed.size()))) continue;
      ++visible_prefixes;
      Ipv4Prefix prefix = Ipv4Prefix::FromKey(key);
      if (prefix.length < 8) continue;
      if (prefix.length <= 24) {
        uint32_t first = prefix.network >> 8;
        for (uint32_t i = 0; i < (1u << (24 - prefix.length)); ++i) visible_slash24s.insert(first + i);
      } else {
        for (uint32_t i = 0; i < (1u << (32 - prefix.length)); ++i)
          partial[prefix.network >> 8].set((prefix.network & 255) + i);
      }
    }
    for (const auto& [slash24, bits] : partial) {
      if (bits.all()) visible_slash24s.insert(slash24);
    }
    std::vector<int64_t> counts(counter_->entity_count(), 0);
    std::vector<uint32_t> entities;
    for (uint32_t slash24 : visible_slash24s) {
      counter_->EntitiesOfSlash24(slash24, entities);
      for (uint32_t entity : entities) ++counts[entity];
    }
    summary_ = Summary{};
    for (const auto& [peer, prefixes] : carried) summary_.peers += !prefixes.empty();
    summary_.full_feed_peers = int64_t(full_feed.size());
    summary_.largest_table = largest;
    summary_.visible_prefixes = visible_prefixes;
    summary_.visible_slash24s = int64_t(visible_slash24s.size());
    return counts;
  }

  Summary LastSummary() const override { return summary_; }
  int64_t PeerPrefixCount(uint32_t peer) const override {
    auto it = tables_.find(peer);
    if (it == tables_.end()) return 0;
    std::set<uint64_t> keys;
    for (const auto& [key, path] : it->second) keys.insert(key);
    return int64_t(keys.size());
  }

 private:
  VisibilityOptions options_;
  const Slash24Counter* counter_;
  std::map<uint32_t, std::set<std::pair<uint64_t, uint32_t>>> tables_;
  Summary summary_;
};

}  // namespace vigil::signals
