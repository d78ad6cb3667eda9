// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "sim/scenario.h"
#include "sim/world.h"

namespace vigil::sim {

// One interval in which an event is in force, clipped to the scenario span.
struct EventWindow {
  std::string id;  // event id; daily windows add "#<local date>" of the day the off-window starts
  UnixSeconds start = 0, end = 0;
};

// An event with its windows and the part of the world it hits. The affected set is drawn once per event
// (from a generator forked by the event id), so every window of a daily event hits the same /24s.
struct ResolvedEvent {
  const EventSpec* spec = nullptr;
  std::vector<EventWindow> windows;
  std::vector<int> units;   // withdraw: the routing units taken out of BGP
  std::vector<int> blocks;  // withdraw: every /24 of those units; block/throttle: the probed /24s affected
};

struct TruthEvent {
  std::string id, entity, kind;
  double share = 0;
  bool implied = false;
  UnixSeconds start = 0, end = 0;
};

// Off-windows of a daily event, unclipped: day D has one from on_to on D to the next on_from.
Result<std::vector<EventWindow>> ExpandDaily(const EventSpec& event);
Result<std::vector<ResolvedEvent>> ResolveEvents(const Scenario& scenario, const World& world);
// Primary and implied (share >= 0.05) truth events, in event order.
std::vector<TruthEvent> BuildTruth(const Scenario& scenario, const World& world,
                                   const std::vector<ResolvedEvent>& events);

}  // namespace vigil::sim
