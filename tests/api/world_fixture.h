// SPDX-License-Identifier: AGPL-3.0-or-later
// The world for the dashboard's browser tests: every country and first-level region of Debian iso-codes as an
// entity (no data), and the countries of simulator scenario files (scenarios/*.json) with their regions and ASNs,
// hourly bgp series and events laid out as each scenario's timeline says (its truth, not detection output:
// a fixture for drawing, never for scoring). Written through the store interface.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace vigil::api_test {

// Entities for every iso-codes country and first-level subdivision (names from iso-codes, no series).
Status WriteWorldEntities(store::Store& store, const std::string& iso_codes_dir);

// One scenario's countries, regions, ASNs, series and events. Detection output from the scenario's start on is
// replaced, so write scenarios oldest first and the KZ fixture (2022) last. A region whose name iso-codes gives
// another code than the scenario's (Iran renumbered its provinces) is written under the iso-codes code.
Status WriteScenarioCountry(store::Store& store, const std::string& scenario_path, const std::string& iso_codes_dir);

}  // namespace vigil::api_test
