// SPDX-License-Identifier: AGPL-3.0-or-later
// Synthetic series for the detector's tests.
#pragma once

#include <functional>
#include <optional>
#include <random>
#include <cmath>
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

struct World {
  std::vector<store::Entity> entities;
  std::vector<Series> series;
};

// A country with three regions: a withdraw, a block, a throttle, flaps, gaps and a daily curfew.
inline World MakeWorld(unsigned seed) {
  World w;
  auto entity = [&](int64_t id, const char* type, const char* code, int64_t parent, int64_t s24) {
    store::Entity e;
    e.id = id;
    e.type = type;
    e.code = code;
    e.parent_id = parent;
    e.slash24_count = s24;
    e.tz = "Asia/Almaty";
    w.entities.push_back(e);
  };
  entity(1, "country", "KZ", 0, 3000);
  entity(2, "region", "KZ-ALA", 1, 1800);
  entity(3, "region", "KZ-AST", 1, 900);
  entity(4, "region", "KZ-SHY", 1, 300);
  entity(5, "asn", "29355", 0, 400);  // a mobile network holding 40 % of KZ-ALA's blocks, throttled once
  std::mt19937 rng(seed);
  const UnixSeconds end = kT0 + 12 * kDay;
  auto down = [&](int64_t id, UnixSeconds t) {
    if (id == 2 && t >= kT0 + 2 * kDay + 11 * 3600 && t < kT0 + 3 * kDay) return 1.0;  // withdraw
    if (id == 3 && t >= kT0 + 5 * kDay + 17 * 3600 && t < kT0 + 10 * kDay + 2 * 3600) {
      int64_t hour = (t + 6 * 3600) % kDay / 3600;  // daily, 23:00–07:00 local
      return hour >= 23 || hour < 7 ? 1.0 : 0.0;
    }
    return 0.0;
  };
  for (int64_t id = 1; id <= 4; ++id) {
    const double s24 = static_cast<double>(w.entities[static_cast<size_t>(id - 1)].slash24_count);
    Series bgp{"bgp", 300, id, {}}, ping{"ping-slash24", 600, id, {}}, rtt{"rtt-p50", 600, id, {}};
    for (UnixSeconds t = kT0; t < end; t += 300) {
      std::optional<double> v;
      if (!(t >= kT0 + 4 * kDay && t < kT0 + 4 * kDay + 3 * 3600)) {  // collector gap
        double lost = id == 1 ? (down(2, t) * 1800 + down(3, t) * 900) / s24 : down(id, t);
        v = std::round(s24 * (1 - lost)) - (rng() % 50 == 0 ? 4 : 0);  // flaps
      }
      bgp.samples.push_back({t, v});
      if (t % 600 == 0) {
        double lost = id == 1 ? (down(2, t) * 1800 + down(3, t) * 900) / s24 : down(id, t);
        bool blocked = id == 4 && t >= kT0 + 7 * kDay && t < kT0 + 7 * kDay + 5 * 3600;
        ping.samples.push_back({t, std::round(0.3 * s24 * (1 - lost) * (blocked ? 0.05 : 1)) + rng() % 5});
        bool throttled = id == 3 && t >= kT0 + kDay * 3 + 16 * 3600 && t < kT0 + 3 * kDay + 20 * 3600;
        // The mobile network's throttle moves KZ-ALA's median RTT by ×1.2 only.
        bool mobile = id == 2 && t >= kT0 + 4 * kDay + 9 * 3600 && t < kT0 + 4 * kDay + 15 * 3600;
        rtt.samples.push_back({t, throttled ? 900.0 : (mobile ? 36.0 : 30.0) + static_cast<double>(rng() % 10) / 10});
      }
    }
    w.series.push_back(bgp);
    w.series.push_back(ping);
    w.series.push_back(rtt);
  }
  Series mobile_rtt{"rtt-p50", 600, 5, {}};
  for (UnixSeconds t = kT0; t < end; t += 600) {
    bool throttled = t >= kT0 + 4 * kDay + 9 * 3600 && t < kT0 + 4 * kDay + 15 * 3600;
    mobile_rtt.samples.push_back({t, throttled ? 600.0 : 50.0 + static_cast<double>(rng() % 10) / 10});
  }
  w.series.push_back(mobile_rtt);
  return w;
}

}  // namespace vigil::detect::testing
