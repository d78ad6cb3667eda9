// SPDX-License-Identifier: AGPL-3.0-or-later
// Issue 19's acceptance "Measured-vs-reported on the demo store lists the Kazakhstan January 2022 report next to
// the detected events", on the store scripts/demo.sh builds (the script runs, with DEMO_PREPARE_ONLY=1 and its
// var folder and store in a temporary directory, so this checks the demo's own steps, not a copy of them).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/api.h"
#include "store/store.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kJanuaryReportStart = 1641254400;   // 2022-01-04, Excel 44565
constexpr int64_t kJanuaryReportEnd = 1641945600;     // 2022-01-12 00:00 UTC, after the end day 44572
constexpr int64_t kElectionReportStart = 1666137600;  // 2022-10-19, Excel 44853, end unknown

// The store scripts/demo.sh builds in `dir` (its var folder); "" when the script succeeded, else why not.
std::string BuildDemoStore(const fs::path& dir) {
  std::string command = "DEMO_PREPARE_ONLY=1 VAR_DIR='" + dir.string() + "' STORE='" + (dir / "vigil.db").string() +
                        "' VIGIL='" VIGIL_BINARY_DIR "/vigil' bash '" VIGIL_SOURCE_DIR "/scripts/demo.sh' > '" +
                        (dir / "demo.log").string() + "' 2>&1";
  return std::system(command.c_str()) == 0 ? "" : "scripts/demo.sh failed; see " + (dir / "demo.log").string();
}

const json* ReportStarting(const json& data, int64_t start) {
  for (const auto& report : data["reports"]) {
    if (report["start"] == start) return &report;
  }
  return nullptr;
}

// One test, so that CTest (which runs every test in its own process) builds the demo's store once.
TEST(DemoStoreTest, MeasuredVsReportedListsTheKazakhstanReportsBesideTheDetectedEvents) {
  const fs::path dir = fs::temp_directory_path() / ("vigil-demo-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string failed = BuildDemoStore(dir);
  ASSERT_EQ(failed, "");
  auto opened = store::OpenExistingStore((dir / "vigil.db").string());
  ASSERT_TRUE(opened.ok()) << opened.message();
  auto webhooks = store::OpenWebhookStore(":memory:");
  ASSERT_TRUE(webhooks.ok()) << webhooks.message();
  api::Api api(**opened, **webhooks, api::ApiOptions{});
  auto get = [&](const std::string& format) {
    api::HttpRequest request;
    request.path = "/api/v1/measured-vs-reported";
    request.params = {{"country", "KZ"}, {"from", "2022-01-01"}, {"until", "2023-01-01"}, {"format", format}};
    return api.Handle(request);
  };
  api::HttpResponse r = get("json");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  json data = json::parse(r.body)["data"];
  std::cout << "demo store, KZ 2022: " << data["summary"].dump() << "\n";

  // January: the real report (imported from data/keepiton/2022.csv) on the country, with its source.
  const json* january = ReportStarting(data, kJanuaryReportStart);
  ASSERT_NE(january, nullptr) << data["reports"].dump();
  EXPECT_EQ((*january)["entity"], "country/KZ");
  EXPECT_EQ((*january)["end"], kJanuaryReportEnd);
  EXPECT_EQ((*january)["type"], "Shutdown, Throttle");
  EXPECT_EQ((*january)["provenance"]["kind"], "imported");
  EXPECT_EQ((*january)["attribution"], "Access Now #KeepItOn STOP data (accessnow.org/keepiton)");
  EXPECT_EQ((*january)["dataset"], "2022.csv");
  // Its matches are exactly the Kazakhstan events within a day of its days: those of the simulated scenario.
  std::set<int64_t> matched;
  for (const auto& id : (*january)["matched_events"]) matched.insert(id.get<int64_t>());
  int january_events = 0;
  std::set<std::string> locations;
  for (const auto& e : data["events"]) {
    bool in_report = e["start"].get<int64_t>() < kJanuaryReportEnd + 86400 &&
                     (e["end"].is_null() || e["end"].get<int64_t>() > kJanuaryReportStart - 86400);
    EXPECT_EQ(matched.count(e["id"].get<int64_t>()) == 1, in_report) << e.dump();
    january_events += in_report ? 1 : 0;
    locations.insert(e["location"].get<std::string>());
    // Every detected event of the demo comes from the simulated scenario, and says so.
    EXPECT_EQ(e["provenance"]["kind"], "simulated") << e.dump();
  }
  EXPECT_EQ(data["summary"]["events_by_provenance"], json({{"simulated", data["events"].size()}}));
  EXPECT_GE(january_events, 10) << "the scenario's blackout, regional blocks and curfew nights";
  EXPECT_TRUE(locations.count("country/KZ")) << "a nationwide event";
  EXPECT_TRUE(locations.count("region/KZ-ALA")) << "Almaty's";
  EXPECT_TRUE(locations.count("asn/29355")) << "Kcell's mobile throttling: a network the store places in Kazakhstan";

  // November: the election period's report, end unknown; the demo store has no measurements then, and says so.
  const json* election = ReportStarting(data, kElectionReportStart);
  ASSERT_NE(election, nullptr) << data["reports"].dump();
  EXPECT_EQ((*election)["end_known"], false);
  EXPECT_TRUE((*election)["matched_events"].empty());
  EXPECT_EQ((*election)["data_in_window"], false);
  EXPECT_EQ(data["summary"]["reports"], 2);
  EXPECT_EQ(data["summary"]["reports_without_data"], 1);

  // The CSV pairs the January report with the same events.
  std::stringstream csv(get("csv").body);
  std::string line;
  size_t pairs = 0;
  while (std::getline(csv, line)) {
    pairs +=
        line.rfind("reported+detected,", 0) == 0 && line.find(",country/KZ,2022-01-04T00:00:00Z,") != std::string::npos;
  }
  EXPECT_EQ(pairs, matched.size());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vigil
