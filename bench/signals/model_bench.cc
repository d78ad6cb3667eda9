// SPDX-License-Identifier: AGPL-3.0-or-later
// Times the BGP visibility model without MRT decoding: loading a full table (N prefixes x P peers), one
// evaluation from scratch, evaluations after batches of updates (the per-bin cost), and saving the state.
//
//   signals_model_bench [--prefixes 900000] [--peers 24] [--updates-per-bin 85000] [--bins 12]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "signals/signals.h"

using namespace vigil::signals;
using Clock = std::chrono::steady_clock;

static double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  long prefixes = 900000, peers = 24, per_bin = 85000, bins = 12;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long v = std::atol(argv[i + 1]);
    if (k == "--prefixes")
      prefixes = v;
    else if (k == "--peers")
      peers = v;
    else if (k == "--updates-per-bin")
      per_bin = v;
    else if (k == "--bins")
      bins = v;
  }
  // 16 regions per /8 and an ASN per /14: ~14k ranges, like a coarse real geo table.
  EntityPartition::Builder b;
  for (uint32_t o = 1; o <= 223; ++o) {
    for (uint32_t r = 0; r < 16; ++r) {
      uint32_t e = b.AddEntity({"region", std::to_string(o * 16 + r), "", "", 0, ""});
      b.AddRange(o << 16 | r << 12, o << 16 | (r + 1) << 12, e);
    }
    for (uint32_t s = 0; s < 64; ++s) {
      uint32_t e = b.AddEntity({"asn", std::to_string(o * 64 + s), "", "", 0, ""});
      b.AddRange(o << 16 | s << 10, o << 16 | (s + 1) << 10, e);
    }
  }
  EntityPartition world = std::move(b).Build();
  std::mt19937_64 rng(1);
  std::vector<Ipv4Prefix> pool;
  while (long(pool.size()) < prefixes) {
    uint8_t len = rng() % 100 < 60 ? 24 : uint8_t(16 + rng() % 8);
    pool.push_back(Ipv4Prefix::Make(uint32_t(1 + rng() % 223) << 24 | uint32_t(rng() & 0xffffff), len));
  }
  std::sort(pool.begin(), pool.end(), [](auto a, auto c) { return a.Key() < c.Key(); });
  VisibilityOptions options;
  VisibilityModel model(options, &world);
  auto t = Clock::now();
  for (const Ipv4Prefix& x : pool) {  // RIB order: all peers' routes of one prefix in a row
    for (long p = 0; p < peers; ++p) {
      if (rng() % 100 != 0) model.Announce(uint32_t(p), x, 0);
    }
  }
  double load = Since(t);
  t = Clock::now();
  model.Evaluate();
  double first = Since(t);
  auto s = model.LastSummary();
  double updates_s = 0, eval_s = 0, eval_max = 0;
  for (long bin = 0; bin < bins; ++bin) {
    t = Clock::now();
    for (long k = 0; k < per_bin; ++k) {
      uint32_t p = uint32_t(rng() % uint64_t(peers));
      const Ipv4Prefix& x = pool[rng() % pool.size()];
      if (rng() % 2)
        model.Announce(p, x, 0);
      else
        model.Withdraw(p, x, 0);
    }
    updates_s += Since(t);
    t = Clock::now();
    model.Evaluate();
    double e = Since(t);
    eval_s += e;
    eval_max = std::max(eval_max, e);
  }
  t = Clock::now();
  model.VoidPeer(0);
  model.Evaluate();
  double reset = Since(t);
  t = Clock::now();
  std::string state;
  model.SaveTables(state);
  double save = Since(t);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("table: %ld prefixes x %ld peers loaded in %.2f s (%.1f M announcements/s)\n", prefixes, peers, load,
              double(prefixes * peers) / load / 1e6);
  std::printf(
      "first evaluation (from scratch): %.1f ms; %lld full-feed peers, %lld visible prefixes, %lld visible /24s\n",
      first * 1e3, (long long)s.full_feed_peers, (long long)s.visible_prefixes, (long long)s.visible_slash24s);
  std::printf("per bin: %ld updates applied in %.1f ms, evaluation %.1f ms (max %.1f ms)\n", per_bin,
              updates_s / double(bins) * 1e3, eval_s / double(bins) * 1e3, eval_max * 1e3);
  std::printf("peer reset + evaluation: %.1f ms; state %.1f MB saved in %.1f ms; peak RSS %.0f MB\n", reset * 1e3,
              double(state.size()) / 1e6, save * 1e3, double(ru.ru_maxrss) / 1024);
  return 0;
}
