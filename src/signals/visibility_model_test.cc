// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/visibility_model.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "tests/signals/reference_model.h"

namespace vigil::signals {
namespace {

// A world of 16 entities, each owning 1/16 of 10.0.0.0/8 (plus a second layer for the first half).
EntityPartition SmallWorld() {
  EntityPartition::Builder b;
  for (int e = 0; e < 16; ++e) {
    uint32_t id = b.AddEntity({"region", "ZZ-" + std::to_string(e), "", "ZZ", 0, ""});
    b.AddRange((10u << 16) + e * 4096, (10u << 16) + (e + 1) * 4096, id);
  }
  uint32_t half = b.AddEntity({"country", "ZZ", "", "", 0, ""});
  b.AddRange(10u << 16, (10u << 16) + 8 * 4096, half);
  return std::move(b).Build();
}

Ipv4Prefix RandomPrefix(std::mt19937& rng) {
  uint8_t len = uint8_t(14 + rng() % 19);  // /14 ../32, some beyond /24
  if (rng() % 4 == 0) len = uint8_t(16 + rng() % 9);
  uint32_t addr = (10u << 24) | (rng() & 0x00ffffffu);
  if (rng() % 10 == 0) addr = rng();  // outside every entity
  return Ipv4Prefix::Make(addr, len);
}

void Compare(RoutingModel& fast, RoutingModel& slow, const std::string& where) {
  std::vector<int64_t> a = fast.Evaluate();
  std::vector<int64_t> b = slow.Evaluate();
  ASSERT_EQ(a, b) << where;
  EXPECT_EQ(fast.LastSummary().full_feed_peers, slow.LastSummary().full_feed_peers) << where;
  EXPECT_EQ(fast.LastSummary().visible_prefixes, slow.LastSummary().visible_prefixes) << where;
  EXPECT_EQ(fast.LastSummary().visible_slash24s, slow.LastSummary().visible_slash24s) << where;
}

void RunRandomWorkload(VisibilityOptions options, uint32_t seed, bool save_load) {
  EntityPartition world = SmallWorld();
  auto fast_owner = std::make_unique<VisibilityModel>(options, &world);
  ReferenceModel slow(options, &world);
  std::mt19937 rng(seed);
  std::vector<Ipv4Prefix> pool;
  for (int i = 0; i < 400; ++i) pool.push_back(RandomPrefix(rng));
  pool.push_back(*ParseIpv4Prefix("10.0.0.0/12"));  // a covering aggregate
  pool.push_back(*ParseIpv4Prefix("0.0.0.0/0"));    // never counts
  const uint32_t peers = 12;
  // Tables: most peers carry most of the pool (full feeds), a few carry little.
  for (uint32_t peer = 0; peer < peers; ++peer) {
    double share = peer < 9 ? 0.9 : 0.2;
    for (const Ipv4Prefix& p : pool) {
      if (std::uniform_real_distribution<>(0, 1)(rng) < share) {
        uint32_t path = peer == 3 ? rng() % 3 : 0;  // peer 3 speaks ADD-PATH
        fast_owner->Announce(peer, p, path);
        slow.Announce(peer, p, path);
      }
    }
  }
  Compare(*fast_owner, slow, "after tables");
  for (int step = 0; step < 3000; ++step) {
    uint32_t peer = rng() % peers;
    const Ipv4Prefix& p = pool[rng() % pool.size()];
    uint32_t path = peer == 3 ? rng() % 3 : (rng() % 50 == 0 ? 1 : 0);
    int op = rng() % 100;
    if (op < 45) {
      fast_owner->Announce(peer, p, path);
      slow.Announce(peer, p, path);
    } else if (op < 98) {
      fast_owner->Withdraw(peer, p, path);
      slow.Withdraw(peer, p, path);
    } else {
      fast_owner->VoidPeer(peer);
      slow.VoidPeer(peer);
    }
    if (step % 97 == 0) {
      Compare(*fast_owner, slow, "step " + std::to_string(step));
      for (uint32_t q = 0; q < peers; ++q) ASSERT_EQ(fast_owner->PeerPrefixCount(q), slow.PeerPrefixCount(q));
    }
    if (save_load && step % 500 == 250) {
      std::string bytes;
      fast_owner->SaveTables(bytes);
      VisibilityModel restored(options, &world);
      ASSERT_TRUE(restored.LoadTables(bytes).ok());
      std::string again;
      restored.SaveTables(again);
      ASSERT_EQ(bytes, again);
      fast_owner = std::make_unique<VisibilityModel>(options, &world);
      ASSERT_TRUE(fast_owner->LoadTables(bytes).ok());
    }
  }
  Compare(*fast_owner, slow, "end");
}

TEST(VisibilityModelTest, MatchesReferenceWithRelativeFullFeed) {
  VisibilityOptions o;
  o.full_feed_fraction = 0.6;
  for (uint32_t seed = 1; seed <= 4; ++seed) RunRandomWorkload(o, seed, false);
}

TEST(VisibilityModelTest, MatchesReferenceWithAbsoluteFullFeedAndOtherThreshold) {
  VisibilityOptions o;
  o.full_feed_min_prefixes = 200;
  o.visibility = 0.3;
  for (uint32_t seed = 5; seed <= 8; ++seed) RunRandomWorkload(o, seed, false);
}

TEST(VisibilityModelTest, SavedTablesContinueIdentically) {
  VisibilityOptions o;
  o.full_feed_fraction = 0.5;
  RunRandomWorkload(o, 11, true);
}

TEST(VisibilityModelTest, CorruptStateIsAnErrorNotACrash) {
  EntityPartition world = SmallWorld();
  VisibilityModel m(VisibilityOptions{}, &world);
  m.Announce(0, *ParseIpv4Prefix("10.0.0.0/16"), 0);
  std::string bytes;
  m.SaveTables(bytes);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    VisibilityModel r(VisibilityOptions{}, &world);
    EXPECT_FALSE(r.LoadTables(std::string_view(bytes).substr(0, cut)).ok()) << cut;
  }
}

TEST(VisibilityModelTest, AddPathPrefixStaysWhileAnyPathRemains) {
  EntityPartition world = SmallWorld();
  VisibilityOptions o;
  o.full_feed_min_prefixes = 0;
  VisibilityModel m(o, &world);
  Ipv4Prefix p = *ParseIpv4Prefix("10.0.0.0/16");
  m.Announce(0, p, 1);
  m.Announce(0, p, 2);
  m.Withdraw(0, p, 1);
  EXPECT_EQ(m.PeerPrefixCount(0), 1);
  EXPECT_EQ(m.Evaluate()[0], 256);
  m.Withdraw(0, p, 2);
  EXPECT_EQ(m.PeerPrefixCount(0), 0);
  EXPECT_EQ(m.Evaluate()[0], 0);
}

}  // namespace
}  // namespace vigil::signals
