// SPDX-License-Identifier: AGPL-3.0-or-later
// Issue 22 end to end: `vigil sim` (IPv6 routes from the regions' slash48s), `vigil ingest mrt`, `vigil
// detect` on the two IPv6 scenarios in scenarios/dev/: a withdrawal of one region's IPv6 routes only is detected
// in bgp-v6 and not in bgp; a withdrawal of both families is one event of that region carrying both signals.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "store/store.h"
#include "tests/signals/test_world.h"

namespace vigil::signals {
namespace {

const std::string kVigil = std::string(VIGIL_BINARY_DIR) + "/vigil";
const std::string kScenarios = std::string(VIGIL_SOURCE_DIR) + "/scenarios/dev/";

// Simulates, ingests and detects one scenario; returns its events by "type/code".
std::multimap<std::string, store::Event> EventsOf(const std::string& scenario, const testing::TempDir& dir) {
  std::string out = dir.path() + "/out", db = dir.path() + "/vigil.db";
  std::string simulate = kVigil + " sim " + kScenarios + scenario + " " + out + " >/dev/null";
  EXPECT_EQ(std::system(simulate.c_str()), 0) << simulate;
  std::string command = kVigil + " ingest mrt -q" + testing::SimFullFeedFlags(out) + " " + out + "/mrt --geo " + out +
                        "/geo --store " + db + " && " + kVigil + " detect --store " + db + " >/dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::multimap<std::string, store::Event> events;
  auto store = store::OpenStore(db);
  EXPECT_TRUE(store.ok()) << store.message();
  if (!store.ok()) return events;
  store::TimeFilter all;
  all.until = INT64_MAX;
  auto listed = (*store)->ListEvents(all);
  EXPECT_TRUE(listed.ok()) << listed.message();
  auto entities = (*store)->ListEntities(store::EntityQuery{});
  EXPECT_TRUE(entities.ok());
  std::map<int64_t, std::string> names;
  for (const store::Entity& e : *entities) names[e.id] = e.type + "/" + e.code;
  for (const store::Event& e : *listed) events.emplace(names[e.entity_id], e);
  return events;
}

constexpr UnixSeconds kOutageStart = 1681286400;  // 2023-04-12T08:00:00Z
constexpr UnixSeconds kOutageEnd = 1681304400;    // 2023-04-12T13:00:00Z

TEST(Ipv6Scenario, Ipv6OnlyWithdrawalOfARegionIsSeenInBgpV6AndNotInBgp) {
  testing::TempDir dir;
  auto events = EventsOf("ipv6-only-region.json", dir);
  auto region = events.equal_range("region/XB-E");
  ASSERT_EQ(std::distance(region.first, region.second), 1);
  const store::Event& e = region.first->second;
  EXPECT_EQ(e.datasources, "bgp-v6");
  EXPECT_EQ(e.classification, "routing");
  EXPECT_NEAR(double(e.start_t), double(kOutageStart), 600);
  EXPECT_NEAR(double(e.end_t), double(kOutageEnd), 600);
  for (const auto& [entity, event] : events) {
    EXPECT_EQ(event.datasources.find("bgp,"), std::string::npos) << entity << ": " << event.datasources;
    EXPECT_NE(event.datasources, "bgp") << entity;
  }
}

TEST(Ipv6Scenario, WithdrawalOfBothFamiliesIsOneEventWithBothSignals) {
  testing::TempDir dir;
  auto events = EventsOf("both-families-region.json", dir);
  auto region = events.equal_range("region/XB-E");
  ASSERT_EQ(std::distance(region.first, region.second), 1);
  const store::Event& e = region.first->second;
  EXPECT_EQ(e.datasources, "bgp,bgp-v6");
  EXPECT_EQ(e.classification, "routing");
  EXPECT_NEAR(double(e.start_t), double(kOutageStart), 600);
  EXPECT_NEAR(double(e.end_t), double(kOutageEnd), 600);
}

}  // namespace
}  // namespace vigil::signals
