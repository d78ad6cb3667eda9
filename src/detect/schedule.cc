// SPDX-License-Identifier: AGPL-3.0-or-later
#include <algorithm>
#include <cstdlib>
#include <set>

#include "detect/detect.h"

namespace vigil::detect {
namespace {

constexpr int kDayMinutes = 1440;

// Signed distance a − b on the 24 h clock, in (−720, 720].
int ClockDelta(int a, int b) {
  int d = ((a - b) % kDayMinutes + kDayMinutes) % kDayMinutes;
  return d > kDayMinutes / 2 ? d - kDayMinutes : d;
}

// Median of clock minutes taken around the first one (so 23:55 and 00:05 average near midnight).
int ClockMedian(const std::vector<int>& minutes) {
  std::vector<int> deltas;
  for (int m : minutes) deltas.push_back(ClockDelta(m, minutes.front()));
  std::sort(deltas.begin(), deltas.end());
  int mid = deltas[(deltas.size() - 1) / 2];
  return ((minutes.front() + mid) % kDayMinutes + kDayMinutes) % kDayMinutes;
}

struct Window {
  size_t event;
  int64_t day;     // local day on which the window starts
  int off_minute;  // local minute it starts (connectivity goes off)
  int on_minute;   // local minute it ends (connectivity is back)
};

struct Cluster {
  std::vector<Window> members;
  int64_t last_day() const { return members.back().day; }
};

}  // namespace

std::vector<store::Schedule> InferSchedules(std::vector<store::Event>& events, const DetectOptions& options,
                                            const std::map<int64_t, store::Entity>& entities) {
  std::map<int64_t, std::vector<size_t>> by_entity;
  for (size_t i = 0; i < events.size(); ++i) {
    const store::Event& e = events[i];
    events[i].schedule_id = 0;
    if (e.kind != "outage" || e.end_t == 0 || e.end_t - e.start_t > options.schedule_max_window_s) continue;
    by_entity[e.entity_id].push_back(i);
  }
  const int tolerance_min = static_cast<int>(options.schedule_tolerance_s / 60);
  std::vector<store::Schedule> schedules;
  for (auto& [entity_id, indices] : by_entity) {
    auto entity = entities.find(entity_id);
    std::string tz = entity != entities.end() && !entity->second.tz.empty() ? entity->second.tz : "UTC";
    Result<TimeZone> zone = TimeZone::Load(tz, options.zoneinfo_dir);
    if (!zone.ok()) {
      tz = "UTC";
      zone = TimeZone::Utc();
    }
    std::sort(indices.begin(), indices.end(),
              [&](size_t a, size_t b) { return events[a].start_t < events[b].start_t; });
    std::vector<Cluster> clusters;
    for (size_t index : indices) {
      const LocalTime off = ToLocal(*zone, events[index].start_t);
      const LocalTime on = ToLocal(*zone, events[index].end_t);
      Window w{index, off.day, off.minute, on.minute};
      Cluster* home = nullptr;
      for (Cluster& c : clusters) {
        const Window& ref = c.members.front();
        const int64_t gap = w.day - c.last_day();
        if (gap >= 1 && gap <= options.schedule_max_day_gap &&
            std::abs(ClockDelta(w.off_minute, ref.off_minute)) <= tolerance_min &&
            std::abs(ClockDelta(w.on_minute, ref.on_minute)) <= tolerance_min) {
          home = &c;
          break;
        }
      }
      if (home) {
        home->members.push_back(w);
      } else {
        clusters.push_back(Cluster{{w}});
      }
    }
    for (const Cluster& c : clusters) {
      if (static_cast<int>(c.members.size()) < options.schedule_min_days) continue;
      std::vector<int> offs, ons;
      for (const Window& w : c.members) {
        offs.push_back(w.off_minute);
        ons.push_back(w.on_minute);
      }
      store::Schedule s;
      s.id = static_cast<int64_t>(schedules.size()) + 1;
      s.entity_id = entity_id;
      s.tz = tz;
      s.on_start_min = ClockMedian(ons);
      s.on_end_min = ClockMedian(offs);
      s.first_day = FormatDay(c.members.front().day);
      s.last_day = FormatDay(c.last_day());
      const int64_t span_days = c.last_day() - c.members.front().day + 1;
      // Share of the days in its span on which the window was seen: 1 for a daily curfew, 0.5 for every
      // other day.
      s.confidence = static_cast<double>(c.members.size()) / static_cast<double>(span_days);
      for (const Window& w : c.members) events[w.event].schedule_id = s.id;
      schedules.push_back(std::move(s));
    }
  }
  return schedules;
}

}  // namespace vigil::detect
