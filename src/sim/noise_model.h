// SPDX-License-Identifier: AGPL-3.0-or-later
// The simulator's calibrated noise model (scenario "noise": {"profile": "calibrated", "scale": S}): what
// real measurement data looks like on a day when nothing happens. Every figure and where it comes from is
// in docs/simulator.md ("Calibrated noise"). It knows the world and the scenario, never the detector.
#pragma once

#include <deque>
#include <vector>

#include "sim/scenario.h"
#include "sim/timeline.h"
#include "sim/world.h"

namespace vigil::sim {

// Level shifts: an ASN renumbering or moving part of its space (permanent withdraw, its blocks silent), with
// their specs kept alive for the resolved events that point at them.
struct LevelShifts {
  std::deque<EventSpec> specs;
  std::vector<ResolvedEvent> events;
  std::vector<double> shares;  // share of the ASN's /24s moved, per event
};

// Adds the calibrated noise of one run to `scenario` (collector maintenance resets, all-collector dark hours
// as collector gaps, churn, vantage-point outages, rate limiting, RTT congestion and jitter: scenario.noise),
// reshapes block availability and diurnal amplitude in `world`, and returns the level shifts. Does nothing
// unless scenario.noise.profile is "calibrated". Seed-driven, forked streams: the events' draws are unchanged.
LevelShifts ApplyCalibratedNoise(Scenario& scenario, World& world);

}  // namespace vigil::sim
