// SPDX-License-Identifier: AGPL-3.0-or-later
// A small Kazakhstan-January-2022-shaped data set written through the store::Store interface: entities,
// four datasources, 12 days of series (one region without data, one with a gap), alerts, events (a
// data-plane blackout of KZ-ALA from 2022-01-05T10:30Z, a country event, a warning, a throttling event,
// three curfew nights with a schedule), an annotation and two input records. Used by the API tests, the
// browser tests and the API benchmark until the full pipeline fills stores.
#pragma once

#include <cstdint>

#include "store/store.h"

namespace vigil::api_test {

constexpr int64_t kFixtureFrom = 1640995200;                // 2022-01-01T00:00:00Z
constexpr int64_t kFixtureUntil = 1640995200 + 12 * 86400;  // 2022-01-13T00:00:00Z
constexpr int64_t kBlackoutStart = 1641378600;              // 2022-01-05T10:30:00Z
constexpr int64_t kBlackoutEnd = 1641794400;                // 2022-01-10T06:00:00Z

// Series run from kFixtureFrom to `series_until` (the tests' 12 days by default; the browser test asks for
// 30 days to time an entity page with a month of data); events, alerts and annotations stay the same.
Status WriteKzFixture(store::Store& store, int64_t series_until = kFixtureUntil);

// `days` of 5-minute bgp data for country XX (benchmarks).
Status WriteBenchFixture(store::Store& store, int days);

}  // namespace vigil::api_test
