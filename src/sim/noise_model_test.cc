// SPDX-License-Identifier: AGPL-3.0-or-later
// Off-grid event edges and the calibrated noise model (noise_model.h), read back from the simulator's output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/sim.h"

namespace vigil::sim {
namespace {

namespace fs = std::filesystem;

std::string World(const std::string& extra_top, const std::string& noise) {
  return R"({"name":"noisy","seed":11,"start":"2023-05-01T00:00:00Z","end":"2023-05-11T00:00:00Z",)" + extra_top +
         R"("countries":[{"code":"XA","tz":"Europe/Berlin"}],
  "regions":[{"code":"XA-N","country":"XA","slash24s":300},{"code":"XA-S","country":"XA","slash24s":200}],
  "asns":[{"asn":64901,"name":"Fixed","country":"XA","regions":{"XA-N":0.6,"XA-S":0.5}},
          {"asn":64902,"name":"Mobile","country":"XA","regions":{"XA-N":0.3,"XA-S":0.4}}],
  "collectors":[{"name":"rrc00","peers":6,"full_feed_peers":4},{"name":"rrc01","peers":4,"full_feed_peers":3}],
  "events":[{"id":"w","kind":"withdraw","entity":"region/XA-N",
             "start":"2023-05-03T10:00:00Z","end":"2023-05-03T14:00:00Z"},
            {"id":"t","kind":"throttle","entity":"asn/64902","rtt_ms":300,"loss":0.1,"ramp_s":3600,
             "start":"2023-05-05T10:00:00Z","end":"2023-05-05T16:00:00Z"}],
  "noise":)" +
         noise + "}";
}

nlohmann::json RunAndReadTruth(const std::string& text, const std::string& name) {
  auto scenario = ParseScenario(text, name);
  EXPECT_TRUE(scenario.ok()) << scenario.message();
  if (!scenario.ok()) return {};
  fs::path dir = fs::temp_directory_path() / ("vigil-noise-test-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(dir);
  auto ran = RunSimulation(*scenario, dir.string(), {});
  EXPECT_TRUE(ran.ok()) << ran.message();
  std::ifstream in(dir / "truth.json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  fs::remove_all(dir);
  return nlohmann::json::parse(buffer.str());
}

TEST(EdgeJitter, TruthEdgesLeaveTheBinGrid) {
  nlohmann::json plain = RunAndReadTruth(World("", R"({"probe_loss":0.01})"), "plain");
  nlohmann::json jittered = RunAndReadTruth(World(R"("edge_jitter_s":300,)", R"({"probe_loss":0.01})"), "jitter");
  EXPECT_EQ(plain["events"][0]["start"], "2023-05-03T10:00:00Z");
  int off_grid = 0;
  for (const auto& e : jittered["events"]) {
    auto start = ParseTime(e["start"].get<std::string>());
    auto end = ParseTime(e["end"].get<std::string>());
    ASSERT_TRUE(start.ok() && end.ok());
    off_grid += (*start % 300 != 0) + (*end % 300 != 0);
    EXPECT_LE(std::llabs(*start - *ParseTime(e["id"].get<std::string>().rfind("w", 0) == 0 ? "2023-05-03T10:00:00Z"
                                                                                           : "2023-05-05T10:00:00Z")),
              300);
  }
  EXPECT_GE(off_grid, 3);  // the odds of a jittered edge landing on the 5-min grid are 1 in 300
  EXPECT_FALSE(ParseScenario(World(R"("edge_jitter_s":-1,)", "{}"), "bad").ok());
}

TEST(CalibratedNoise, PlansMaintenanceDarkHoursVantageOutagesAndLevelShifts) {
  nlohmann::json quiet = RunAndReadTruth(World("", R"({"probe_loss":0.01})"), "none");
  EXPECT_FALSE(quiet.contains("noise"));
  nlohmann::json truth = RunAndReadTruth(World("", R"({"profile":"calibrated","scale":2})"), "calibrated");
  ASSERT_TRUE(truth.contains("noise"));
  // 10 days at scale 2: round(20/14) = 1 dark hour on both collectors, round(20/4) = 5 vantage outages,
  // round(20/10) = 2 level shifts, round(20/5) = 4 maintenance rounds of 30-60 % of a collector's full feeds.
  EXPECT_EQ(truth["collector_gaps"].size(), 2u);
  EXPECT_EQ(truth["noise"]["vantage_outages"].size(), 5u);
  EXPECT_EQ(truth["noise"]["level_shifts"].size(), 2u);
  EXPECT_GE(truth["noise"]["peer_resets"].get<int>(), 4);
  for (const auto& shift : truth["noise"]["level_shifts"]) {
    EXPECT_GE(shift["share"].get<double>(), 0.0);
    EXPECT_LE(shift["share"].get<double>(), 0.31);
  }
  // Noise never becomes truth: the same two primary events (and their implied ones) as without it.
  int primary = 0;
  for (const auto& e : truth["events"]) primary += !e["implied"].get<bool>();
  EXPECT_EQ(primary, 2);
  EXPECT_FALSE(ParseScenario(World("", R"({"profile":"loud"})"), "bad").ok());
}

}  // namespace
}  // namespace vigil::sim
