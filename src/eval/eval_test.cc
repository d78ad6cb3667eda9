// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <filesystem>

#include "eval/eval.h"
#include "sim/sim.h"

namespace vigil::eval {
namespace {

namespace fs = std::filesystem;

UnixSeconds T(const char* text) { return *ParseTime(text); }

Truth SmallTruth() {
  auto truth = ParseTruth(R"({"scenario":"s","start":"2022-01-01T00:00:00Z","end":"2022-01-03T00:00:00Z",
    "events":[
      {"id":"e1","entity":"region/KZ-ALA","kind":"withdraw","share":1.0,"implied":false,
       "start":"2022-01-01T10:00:00Z","end":"2022-01-01T12:00:00Z"},
      {"id":"e1@country/KZ","entity":"country/KZ","kind":"withdraw","share":0.6,"implied":true,
       "start":"2022-01-01T10:00:00Z","end":"2022-01-01T12:00:00Z"},
      {"id":"e1@asn/9198","entity":"asn/9198","kind":"withdraw","share":0.1,"implied":true,
       "start":"2022-01-01T10:00:00Z","end":"2022-01-01T12:00:00Z"},
      {"id":"e2","entity":"asn/9198","kind":"throttle","share":1.0,"implied":false,
       "start":"2022-01-02T10:00:00Z","end":"2022-01-02T11:00:00Z"}],
    "schedules":[{"id":"d","entity":"region/KZ-AST","on_from":"07:00","on_to":"23:00","tz":"Asia/Almaty",
                  "first_day":"2022-01-01","last_day":"2022-01-02"}],
    "collector_gaps":[{"collector":"rrc00","start":"2022-01-02T00:00:00Z","end":"2022-01-02T02:00:00Z"}]})",
                          "truth.json");
  EXPECT_TRUE(truth.ok()) << truth.message();
  return *truth;
}

TEST(Evaluate, MatchingAndMetrics) {
  Truth truth = SmallTruth();
  std::vector<DetectedEvent> detected = {
      // Matches e1: starts 5 min late, ends 10 min early.
      {1, "region", "KZ-ALA", "routing+data-plane", "bgp,ping-slash24", T("2022-01-01T10:05:00Z"),
       T("2022-01-01T11:50:00Z")},
      // Country roll-up of e1 (implied, share 0.6): matches.
      {2, "country", "KZ", "routing", "bgp", T("2022-01-01T10:10:00Z"), T("2022-01-01T12:00:00Z")},
      // Implied share 0.1 ASN event: matches (precision counts any share) though recall does not need it.
      {3, "asn", "9198", "routing", "bgp", T("2022-01-01T10:30:00Z"), T("2022-01-01T11:00:00Z")},
      // e2 seen with the wrong classification: no match.
      {4, "asn", "9198", "data-plane", "ping-slash24", T("2022-01-02T10:00:00Z"), T("2022-01-02T11:00:00Z")},
      // A routing event inside the collector gap with nothing behind it.
      {5, "region", "KZ-AST", "routing", "bgp", T("2022-01-02T00:30:00Z"), T("2022-01-02T01:00:00Z")},
  };
  std::vector<DetectedSchedule> schedules = {
      {"region", "KZ-AST", "2022-01-01", "2022-01-02", 7 * 60 + 10, 23 * 60 - 20}};
  Metrics m = Evaluate(truth, detected, schedules);
  EXPECT_EQ(m.detected, 5);
  EXPECT_EQ(m.detected_matched, 3);
  EXPECT_DOUBLE_EQ(*m.precision, 0.6);
  EXPECT_EQ(m.truth_counted, 3);  // e1, e1@country (0.6), e2; not the 0.1 ASN one
  EXPECT_EQ(m.truth_recalled, 2);
  EXPECT_NEAR(*m.recall, 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(*m.start_error_s_p50, 450);  // 300 and 600
  EXPECT_DOUBLE_EQ(*m.end_error_s_p50, 300);    // 600 and 0
  EXPECT_DOUBLE_EQ(*m.latency_s_p50, 750);      // start + one 5-min bin: 600 and 900
  EXPECT_EQ(m.false_outages_in_gaps, 1);
  EXPECT_EQ(m.schedules_found, 1);
  EXPECT_DOUBLE_EQ(*m.schedule_error_min, 15);
  EXPECT_DOUBLE_EQ(*m.by_kind["withdraw"].recall, 1.0);
  EXPECT_DOUBLE_EQ(*m.by_kind["throttle"].recall, 0.0);
  EXPECT_DOUBLE_EQ(*m.by_kind["block"].precision, 0.0);
  std::string json = FormatJson(m);
  for (const char* key : {"\"scenario\":\"s\"", "\"precision\":0.6000", "\"recall\":0.6667",
                          "\"start_error_s_p50\":450", "\"end_error_s_p50\":300", "\"latency_s_p50\":750",
                          "\"false_outages_in_gaps\":1", "\"schedule_error_min\":15.0", "\"by_kind\":{\"block\":"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
}

TEST(Evaluate, NothingDetectedIsNullPrecision) {
  Truth truth = SmallTruth();
  Metrics m = Evaluate(truth, {}, {});
  EXPECT_FALSE(m.precision.has_value());
  EXPECT_DOUBLE_EQ(*m.recall, 0.0);
  EXPECT_NE(FormatJson(m).find("\"precision\":null"), std::string::npos);
  EXPECT_FALSE(ParseTruth(R"({"events":[{"id":"x","entity":"country","kind":"withdraw","share":1,)"
                          R"("start":"2022-01-01T00:00:00Z","end":"2022-01-01T01:00:00Z"}]})",
                          "t")
                   .ok());
}

// A simulated scenario's truth, "detected" perfectly by hand-made events written to a real store.
TEST(EvaluateStore, PerfectHandMadeDetectionScoresOne) {
  fs::path dir = fs::temp_directory_path() / ("vigil-eval-test-" + std::to_string(getpid()));
  fs::remove_all(dir);
  auto scenario =
      sim::ParseScenario(R"({"name":"hand","start":"2023-01-01T00:00:00Z","end":"2023-01-02T00:00:00Z","seed":3,
    "countries":[{"code":"XA","tz":"UTC"}],
    "regions":[{"code":"XA-N","country":"XA","slash24s":200},{"code":"XA-S","country":"XA","slash24s":100}],
    "asns":[{"asn":64901,"name":"A","country":"XA","regions":{"XA-N":0.7,"XA-S":0.5}}],
    "collectors":[{"name":"rrc00","peers":3,"full_feed_peers":2}],
    "events":[{"id":"w","kind":"withdraw","entity":"region/XA-N",
               "start":"2023-01-01T06:00:00Z","end":"2023-01-01T08:00:00Z"},
              {"id":"b","kind":"block","entity":"asn/64901","fraction":0.5,
               "start":"2023-01-01T12:00:00Z","end":"2023-01-01T13:00:00Z"}],
    "noise":{"collector_gaps":[{"collector":"rrc00","start":"2023-01-01T15:00:00Z","end":"2023-01-01T16:00:00Z"}]}})",
                         "hand.json");
  ASSERT_TRUE(scenario.ok()) << scenario.message();
  ASSERT_TRUE(sim::RunSimulation(*scenario, (dir / "out").string(), {}).ok());
  auto truth = LoadTruth((dir / "out" / "truth.json").string());
  ASSERT_TRUE(truth.ok()) << truth.message();
  auto opened = store::OpenStore((dir / "vigil.db").string());
  ASSERT_TRUE(opened.ok()) << opened.message();
  store::Store& db = **opened;
  std::vector<store::Alert> alerts;
  std::vector<store::Event> events;
  std::vector<store::Schedule> schedules;
  for (const TruthEvent& t : truth->events) {
    if (t.share < kRecallMinShare) continue;
    store::Entity entity;
    entity.type = t.entity_type;
    entity.code = t.entity_code;
    auto id = db.UpsertEntity(entity);
    ASSERT_TRUE(id.ok()) << id.message();
    store::Event e;
    e.entity_id = *id;
    e.kind = "outage";
    e.start_t = t.start;
    e.end_t = t.end;
    e.classification = t.kind == "withdraw" ? "routing+data-plane" : "data-plane";
    e.datasources = t.kind == "withdraw" ? "bgp,ping-slash24" : "ping-slash24";
    events.push_back(e);
  }
  ASSERT_GE(events.size(), 3u);  // w, its country, b (and more implied)
  ASSERT_TRUE(db.ReplaceDetection(0, alerts, events, schedules).ok());
  auto m = EvaluateStore(*truth, db);
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_DOUBLE_EQ(*m->precision, 1.0);
  EXPECT_DOUBLE_EQ(*m->recall, 1.0);
  EXPECT_DOUBLE_EQ(*m->start_error_s_p50, 0);
  EXPECT_EQ(m->false_outages_in_gaps, 0);
  EXPECT_EQ(m->scenario, "hand");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vigil::eval
