// Synthetic series for the detector's tests.
#pragma once

#include <functional>
#include <optional>
#include <random>
#include <vector>

#include "detect/detect.h"

namespace vigil::detect::testing {

constexpr UnixSeconds kDay = 86400;
constexpr UnixSeconds kT0 = 1641168000;  // 2022-01-03T00:00:00Z

// Bins [from, until) of `step`, value given by f (nullopt = missing).
inline std::vector<Sample> MakeSamples(UnixSeconds from, UnixSeconds until, int64_t step,
                                       const std::function<std::optional<double>(UnixSeconds)>& f) {
  std::vector<Sample> out;
  for (UnixSeconds t = from; t < until; t += step) out.push_back(Sample{t, f(t)});
  return out;
}

inline std::vector<SeriesRun> RunAll(SeriesDetector& d, const std::vector<Sample>& samples) {
  for (const Sample& s : samples) d.Push(s.t, s.value);
  return d.Runs();
}

}  // namespace vigil::detect::testing
