// SPDX-License-Identifier: AGPL-3.0-or-later
// The simulator's IPv6 routes (scenario extension: regions' `slash48s`, withdraw events' `family`): an IPv6
// route collector (`<first collector>-v6`, all peers full-feed) whose RIB at the scenario start carries the
// regions' IPv6 space (units of up to 256 /48s, each held by one of the region's ASNs) plus background
// space outside the geo world, and whose update files (MP_REACH_NLRI / MP_UNREACH_NLRI) withdraw and
// re-announce the units that IPv6-carrying withdraw events hit; plus geo-ipv6.csv and asn-ipv6.csv.
#pragma once

#include <filesystem>

#include "base/result.h"
#include "sim/mrt_writer.h"
#include "sim/scenario.h"
#include "sim/timeline.h"
#include "sim/world.h"

namespace vigil::sim {

struct Ipv6RouteSummary {
  int64_t prefixes = 0;                // in a full IPv6 table (0: the scenario simulates no IPv6)
  int64_t slash48s = 0;                // of the scenario's regions
  int64_t full_feed_min_prefixes = 0;  // for sim-config.json's full_feed_min_prefixes_v6
  int64_t update_files = 0;
};

// Truth of the IPv6-only withdraw events (BuildTruth leaves them out): the primary entity and every entity
// that loses at least 5 % of its /48s, with shares over /48s, per window.
std::vector<TruthEvent> Ipv6Truth(const Scenario& scenario, const World& world,
                                  const std::vector<ResolvedEvent>& events);

Result<Ipv6RouteSummary> WriteIpv6Routes(const Scenario& scenario, const World& world,
                                         const std::vector<ResolvedEvent>& events, const std::filesystem::path& outdir,
                                         Compression compression);

}  // namespace vigil::sim
