// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::sim {

// xoshiro256** seeded through splitmix64. The simulator draws every random number from this generator
// (never from <random> distributions, whose output differs between standard library versions) so the same
// scenario and seed give byte-identical output everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& word : s_) word = SplitMix64(x);
  }

  // An independent stream for one purpose (e.g. "flaps", or an event id), so that adding draws in one
  // part of the simulation does not shift the numbers another part sees.
  Rng Fork(std::string_view tag) const { return Rng(s_[0] ^ Hash(tag) ^ 0x9e3779b97f4a7c15ULL); }
  Rng Fork(uint64_t tag) const { return Rng(s_[0] ^ (tag * 0xbf58476d1ce4e5b9ULL) ^ 0x94d049bb133111ebULL); }

  uint64_t Next() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [0, n); n > 0. Multiply-shift (Lemire) without the rejection step: the bias is
  // below 2^-32 for the sizes used here and the result stays a pure function of the stream.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }
  bool Chance(double p) { return Uniform() < p; }

  static uint64_t Hash(std::string_view text) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
    return h;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

}  // namespace vigil::sim
