// SPDX-License-Identifier: AGPL-3.0-or-later
// The BGP signal on simulator output with collector gaps: with one collector, bins inside its gap are missing
// (no point, not zero); with a second collector still reporting, the bins are written and do not dip, and the
// sessions reset at the gap's end (every peer down and up, table re-announced) do not make a dip either.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>

#include "base/time_format.h"
#include "store/store.h"
#include "tests/signals/test_world.h"

namespace vigil::signals {
namespace {

const std::string kVigil = std::string(VIGIL_BINARY_DIR) + "/vigil";

int Shell(const std::string& command, std::string* out = nullptr) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
    if (out) out->append(buf.data(), n);
  }
  return pclose(p);
}

std::string Scenario(const std::string& collectors) {
  return R"({
  "name": "signals-gap", "description": "collector gap for the signal tests",
  "start": "2023-10-02T06:00:00Z", "end": "2023-10-02T15:00:00Z", "seed": 808,
  "countries": [ { "code": "XH", "tz": "Europe/Kyiv", "name": "Hesperia" } ],
  "regions": [ { "code": "XH-A", "country": "XH", "slash24s": 900, "name": "A" },
               { "code": "XH-B", "country": "XH", "slash24s": 700, "name": "B" } ],
  "asns": [ { "asn": 64971, "name": "Hesperia Telecom", "country": "XH", "regions": { "XH-A": 0.6, "XH-B": 0.55 } } ],
  "collectors": )" +
         collectors + R"(,
  "probing": { "round_s": 600, "blocks_fraction": 0.1 },
  "events": [],
  "noise": { "flaps_per_hour": 0,
             "collector_gaps": [ { "collector": "rrc00",
                                   "start": "2023-10-02T09:00:00Z", "end": "2023-10-02T12:00:00Z" } ] }
})";
}

struct Series {
  std::map<UnixSeconds, double> points;
};

// Simulates, ingests and returns the bgp series of region XH-A.
Series SimulateAndIngest(const std::string& dir, const std::string& collectors) {
  std::ofstream(dir + "/scenario.json") << Scenario(collectors);
  std::string out;
  EXPECT_EQ(Shell(kVigil + " sim " + dir + "/scenario.json " + dir + "/out 2>&1", &out), 0) << out;
  EXPECT_EQ(Shell(kVigil + " ingest mrt -q" + testing::SimFullFeedFlags(dir + "/out") + " --store " + dir +
                      "/s.db --geo " + dir + "/out/geo " + dir + "/out/mrt 2>&1",
                  &out),
            0)
      << out;
  Series s;
  auto store = store::OpenStore(dir + "/s.db");
  EXPECT_TRUE(store.ok());
  if (!store.ok()) return s;
  auto entity = (*store)->FindEntity("region", "XH-A");
  EXPECT_TRUE(entity.ok() && entity->has_value());
  if (!entity.ok() || !entity->has_value()) return s;
  auto points = (*store)->ReadSeries("bgp", (**entity).id, 0, INT64_MAX / 2);
  EXPECT_TRUE(points.ok());
  if (points.ok()) {
    for (const auto& p : *points) s.points[p.t] = p.value;
  }
  return s;
}

const UnixSeconds kStart = 1696226400;  // 2023-10-02T06:00:00Z
const UnixSeconds kGapStart = kStart + 3 * 3600, kGapEnd = kStart + 6 * 3600;

TEST(SimGapTest, OneCollectorGapLeavesBinsMissing) {
  testing::TempDir dir;
  Series s = SimulateAndIngest(dir.path(), R"([ { "name": "rrc00", "peers": 6, "full_feed_peers": 5 } ])");
  ASSERT_GT(s.points.size(), 50u);
  int missing_inside = 0, present_inside = 0, missing_outside = 0;
  for (UnixSeconds t = kStart; t < kStart + 9 * 3600; t += 300) {
    bool inside = t >= kGapStart + 300 && t < kGapEnd - 300;  // the gap's first and last files exist, empty
    bool present = s.points.count(t) > 0;
    if (inside)
      (present ? present_inside : missing_inside)++;
    else if (!present) {
      ++missing_outside;
      std::printf("  missing outside the gap: %s\n", FormatRfc3339(t).c_str());
    }
  }
  std::printf("  gap bins: %d missing, %d present; bins outside the gap missing: %d\n", missing_inside, present_inside,
              missing_outside);
  EXPECT_EQ(present_inside, 0);
  EXPECT_GT(missing_inside, 30);
  EXPECT_EQ(missing_outside, 0);
  for (const auto& [t, v] : s.points) EXPECT_GT(v, 0) << "bin " << t;  // no zero stands in for missing
}

TEST(SimGapTest, SecondCollectorKeepsTheSeriesFlatThroughTheGapAndTheResets) {
  testing::TempDir dir;
  Series s = SimulateAndIngest(dir.path(), R"([ { "name": "rrc00", "peers": 6, "full_feed_peers": 5 },
                                                { "name": "rrc20", "peers": 5, "full_feed_peers": 4 } ])");
  int missing = 0;
  double low = 1e18, high = 0;
  for (UnixSeconds t = kStart; t < kStart + 9 * 3600; t += 300) {
    auto it = s.points.find(t);
    if (it == s.points.end()) {
      ++missing;
      continue;
    }
    low = std::min(low, it->second);
    high = std::max(high, it->second);
  }
  std::printf("  XH-A: %zu points, %d missing, min %.0f max %.0f\n", s.points.size(), missing, low, high);
  EXPECT_EQ(missing, 0);
  ASSERT_GT(high, 0);
  EXPECT_GE(low, 0.99 * high);
}

}  // namespace
}  // namespace vigil::signals
