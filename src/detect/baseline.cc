// SPDX-License-Identifier: AGPL-3.0-or-later
#include "detect/baseline.h"

#include <algorithm>
#include <limits>

namespace vigil::detect {

template <typename F>
void MovingMedian::ForEach(F f) const {
  size_t first = std::min(count_, values_.size() - head_);
  const double* a = values_.data() + head_;
  for (size_t i = 0; i < first; ++i) f(a[i]);
  const double* b = values_.data();
  for (size_t i = 0; i < count_ - first; ++i) f(b[i]);
}

void MovingMedian::Grow() {
  size_t capacity = values_.empty() ? 64 : values_.size() * 2;
  std::vector<UnixSeconds> times(capacity);
  std::vector<double> values(capacity);
  for (size_t i = 0; i < count_; ++i) {
    times[i] = times_[(head_ + i) & mask_];
    values[i] = values_[(head_ + i) & mask_];
  }
  times_ = std::move(times);
  values_ = std::move(values);
  head_ = 0;
  mask_ = capacity - 1;
}

void MovingMedian::Recount() {
  int64_t below = 0, equal = 0;
  double m = m_;
  ForEach([&](double v) {
    below += v < m;
    equal += v == m;
  });
  below_ = below;
  equal_ = equal;
  above_ = static_cast<int64_t>(count_) - below - equal;
}

double MovingMedian::Rescan() {
  if (!has_median_) {
    m_ = values_[(head_ + count_ - 1) & mask_];
    has_median_ = true;
    Recount();
  }
  const int64_t k = (static_cast<int64_t>(count_) - 1) / 2;  // rank of the lower median
  for (;;) {
    if (k < below_) {
      double best = -std::numeric_limits<double>::infinity();
      double m = m_;
      ForEach([&](double v) {
        if (v < m && v > best) best = v;
      });
      m_ = best;
      Recount();
    } else if (k >= below_ + equal_) {
      double best = std::numeric_limits<double>::infinity();
      double m = m_;
      ForEach([&](double v) {
        if (v > m && v < best) best = v;
      });
      m_ = best;
      Recount();
    } else {
      return m_;
    }
  }
}

BaselineTracker::BaselineTracker(const DatasourceParams& params)
    : method_(params.method),
      step_s_(params.step_s),
      history_s_(params.history_s),
      tod_min_days_(params.tod_min_days),
      moving_(params.method == BaselineMethod::kMovingMedian ? params.history_s : 86400) {
  if (method_ == BaselineMethod::kTimeOfDayMedian) {
    if (step_s_ <= 0 || 86400 % step_s_ != 0) {
      method_ = BaselineMethod::kMovingMedian;  // no time-of-day slots without a step that divides a day
      moving_ = MovingMedian(history_s_);
    } else {
      slots_.resize(static_cast<size_t>(86400 / step_s_));
    }
  }
}

std::optional<double> BaselineTracker::TimeOfDay(UnixSeconds t) {
  int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  auto& slot = slots_[static_cast<size_t>((t - day * 86400) / step_s_)];
  int64_t days = history_s_ / 86400;
  scratch_.clear();
  for (auto& [d, v] : slot) {
    if (d >= day - days && d < day) scratch_.push_back(v);
  }
  if (static_cast<int>(scratch_.size()) < tod_min_days_) return std::nullopt;
  auto mid = scratch_.begin() + static_cast<long>((scratch_.size() - 1) / 2);
  std::nth_element(scratch_.begin(), mid, scratch_.end());
  return *mid;
}

void BaselineTracker::AppendTimeOfDay(UnixSeconds t, double value) {
  int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  auto& slot = slots_[static_cast<size_t>((t - day * 86400) / step_s_)];
  int64_t days = history_s_ / 86400;
  slot.erase(std::remove_if(slot.begin(), slot.end(), [&](auto& e) { return e.first < day - days; }), slot.end());
  slot.emplace_back(day, value);
}

}  // namespace vigil::detect
