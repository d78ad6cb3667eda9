// SPDX-License-Identifier: AGPL-3.0-or-later
// Baselines for the detector: sliding-window medians over time (missing bins simply absent).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/time_format.h"
#include "detect/detect.h"

namespace vigil::detect {

// Lower median (nearest rank ⌈n/2⌉) of the values pushed during the last `span_s` seconds.
//
// Signals are mostly flat integer counts, so the median rarely changes. Instead of a sorted container the
// window keeps its values in time order plus the current median m and how many values lie below / at / above
// it: a push or an eviction is O(1), and only when the median must move does it scan the window for the
// nearest value below or above m. On flat series that costs a few ns per bin; on noisy real values it is an
// O(window) scan of contiguous memory, still cheap for the windows used here.
class MovingMedian {
 public:
  explicit MovingMedian(int64_t span_s) : span_s_(span_s) {}

  // Forgets values older than `now - span_s` (values at t with t < now - span_s).
  void EvictBefore(UnixSeconds now) {
    const UnixSeconds limit = now - span_s_;
    while (count_ > 0 && times_[head_] < limit) {
      const double v = values_[head_];
      below_ -= v < m_;
      equal_ -= v == m_;
      above_ -= v > m_;
      head_ = (head_ + 1) & mask_;
      --count_;
    }
    if (count_ == 0) has_median_ = false;
  }
  void Push(UnixSeconds t, double value) {
    if (count_ == values_.size()) Grow();
    const size_t slot = (head_ + count_) & mask_;
    times_[slot] = t;
    values_[slot] = value;
    ++count_;
    below_ += value < m_;
    equal_ += value == m_;
    above_ += value > m_;
  }
  std::optional<double> Median() {
    if (count_ == 0) return std::nullopt;
    const int64_t k = (static_cast<int64_t>(count_) - 1) / 2;  // rank of the lower median
    if (has_median_ && k >= below_ && k < below_ + equal_) return m_;
    return Rescan();
  }
  size_t size() const { return count_; }

 private:
  double At(size_t i) const { return values_[(head_ + i) & mask_]; }
  double Rescan();
  void Recount();
  void Grow();
  template <typename F>
  void ForEach(F f) const;

  int64_t span_s_;
  // Ring buffer (capacity a power of two) of the window, oldest first.
  std::vector<UnixSeconds> times_;
  std::vector<double> values_;
  size_t head_ = 0, count_ = 0, mask_ = 0;
  bool has_median_ = false;
  double m_ = 0;
  int64_t below_ = 0, equal_ = 0, above_ = 0;
};

// The baseline of one series: either a moving median or a same-time-of-day median (with the moving median
// as fallback while too few days are known).
class BaselineTracker {
 public:
  explicit BaselineTracker(const DatasourceParams& params);

  // Expected value for bin t from history strictly before t; nullopt when there is none.
  std::optional<double> Expected(UnixSeconds t) {
    if (method_ == BaselineMethod::kTimeOfDayMedian) {
      if (auto tod = TimeOfDay(t)) return tod;
    }
    moving_.EvictBefore(t);
    return moving_.Median();
  }
  // Appends a value (the observation, or the expected value while inpainting) for bin t.
  void Append(UnixSeconds t, double value) {
    moving_.Push(t, value);
    if (method_ == BaselineMethod::kTimeOfDayMedian) AppendTimeOfDay(t, value);
  }

 private:
  std::optional<double> TimeOfDay(UnixSeconds t);
  void AppendTimeOfDay(UnixSeconds t, double value);

  BaselineMethod method_;
  int64_t step_s_;
  int64_t history_s_;
  int tod_min_days_;
  MovingMedian moving_;
  // kTimeOfDayMedian: per slot of the day, (day, value) of the last days, oldest first.
  std::vector<std::vector<std::pair<int64_t, double>>> slots_;
  std::vector<double> scratch_;
};

}  // namespace vigil::detect
