// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "signals/ipv4_prefix.h"
#include "signals/ipv6_prefix.h"

namespace vigil::signals {

// Which peers are full-feed and which prefixes are visible (IODA's definitions, see docs/signals.md).
// Default full-feed thresholds (docs/signals.md says why): IPv4 IODA's 400,000; IPv6 100,000, bgpkit's and
// monocle's rule (about half of today's ~220,000-prefix IPv6 table; IODA's 10,000 admits partial tables).
inline constexpr int64_t kIpv4FullFeedMinPrefixes = 400000;
inline constexpr int64_t kIpv6FullFeedMinPrefixes = 100000;

struct VisibilityOptions {
  // A peer is full-feed when it carries more than this many prefixes of the model's family (IODA: 400,000
  // IPv4; the bgp-v6 model is given kIpv6FullFeedMinPrefixes or the --full-feed-min-v6 value)...
  int64_t full_feed_min_prefixes = kIpv4FullFeedMinPrefixes;
  // ...or, when > 0, at least this fraction of the largest peer table (small worlds, test files).
  double full_feed_fraction = 0;
  // A prefix is visible when carried by more than this fraction of the full-feed peers.
  double visibility = 0.5;

  bool IsFullFeed(int64_t prefixes, int64_t largest_table) const;
  // Smallest number of full-feed peers that makes a prefix visible among `full_feed_peers`.
  int64_t MinCarriers(int64_t full_feed_peers) const;
};

// Per-peer prefix tables of one address family (peers of all collectors in one pool, ids assigned by the
// caller) and the per-entity visible counts they imply: /24s for Ipv4Prefix (`bgp`), /48s for Ipv6Prefix
// (`bgp-v6`). Two implementations: the fast VisibilityModel and a slow, obviously correct one that tests
// compare it with.
template <typename Prefix>
class BasicRoutingModel {
 public:
  virtual ~BasicRoutingModel() = default;

  // ADD-PATH aware: a peer carries a prefix while at least one of its path ids for it is announced
  // (path id 0 without ADD-PATH).
  virtual void Announce(uint32_t peer, Prefix prefix, uint32_t path_id) = 0;
  virtual void Withdraw(uint32_t peer, Prefix prefix, uint32_t path_id) = 0;
  // The peer's session left ESTABLISHED, or a new RIB replaces its table: it carries nothing.
  virtual void VoidPeer(uint32_t peer) = 0;

  // Visible /24s (/48s) per entity now (one slot per entity of the counter the model was built with).
  virtual std::vector<int64_t> Evaluate() = 0;

  // Figures of the last Evaluate() (for logs and tests).
  struct Summary {
    int64_t peers = 0;
    int64_t full_feed_peers = 0;
    int64_t largest_table = 0;
    int64_t visible_prefixes = 0;
    int64_t visible_slash24s = 0;  // /48s for IPv6
  };
  virtual Summary LastSummary() const = 0;
  virtual int64_t PeerPrefixCount(uint32_t peer) const = 0;

  // A partial model (one worker's share of the collectors, docs/scale.md) does not decide visibility: its
  // bins are emitted even without a full-feed peer of its own, for a merge step to count.
  virtual bool IsPartial() const { return false; }

  // Peer tables to and from bytes, for state kept between runs (models that cannot say so).
  virtual bool CanSaveTables() const { return false; }
  virtual void SaveTables(std::string& out) { out.clear(); }
  virtual Status LoadTables(std::string_view) { return Status::NotSupported("this routing model keeps no state"); }
};

using RoutingModel = BasicRoutingModel<Ipv4Prefix>;
using RoutingModel6 = BasicRoutingModel<Ipv6Prefix>;

}  // namespace vigil::signals
