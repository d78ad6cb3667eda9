// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cstdint>

namespace vigil::probe {

// The global rate limit every probe passes through. Tokens accrue at `rate` per second up to `burst`;
// the bucket starts empty so that a run never opens with a burst. Times are monotonic nanoseconds.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, int64_t now_ns)
      : rate_(rate), burst_(std::max(1.0, burst)), last_ns_(now_ns) {}

  double rate() const { return rate_; }
  double burst() const { return burst_; }

  void Refill(int64_t now_ns) {
    if (now_ns > last_ns_) {
      tokens_ = std::min(burst_, tokens_ + double(now_ns - last_ns_) * rate_ * 1e-9);
      last_ns_ = now_ns;
    }
  }
  // Whole tokens available now.
  int64_t Available(int64_t now_ns) {
    Refill(now_ns);
    return static_cast<int64_t>(tokens_);
  }
  void Take(int64_t n) { tokens_ -= double(n); }
  // When `n` whole tokens (at most the burst) will be there.
  int64_t TimeWhenAvailable(int64_t n, int64_t now_ns) {
    Refill(now_ns);
    double want = std::min(double(n), burst_);
    if (tokens_ >= want) return now_ns;
    return now_ns + static_cast<int64_t>((want - tokens_) / rate_ * 1e9) + 1;
  }

 private:
  double rate_;
  double burst_;
  double tokens_ = 0;
  int64_t last_ns_;
};

}  // namespace vigil::probe
