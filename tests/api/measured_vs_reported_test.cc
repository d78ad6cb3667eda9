// SPDX-License-Identifier: AGPL-3.0-or-later
// GET /api/v1/measured-vs-reported on a small hand-made store: which reports and events are listed for a country
// and period, how they pair up (entity, time overlap, the tolerance, unknown ends, one-to-many), the no-data mark,
// the CSV outer join and the parameter errors. Each case is named after the rule of docs/api.md it checks.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/api.h"
#include "base/time_format.h"

namespace vigil::api {
namespace {

using nlohmann::json;

int64_t T(const char* rfc3339) { return *ParseTime(rfc3339); }

class MeasuredVsReportedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenStore(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.message();
    store_ = std::move(opened).value();
    kz_ = Entity({0, "country", "KZ", "Kazakhstan", 0, 3000, "Asia/Almaty"});
    ala_ = Entity({0, "region", "KZ-ALA", "Almaty", kz_, 1000, "Asia/Almaty"});
    ast_ = Entity({0, "region", "KZ-AST", "Astana", kz_, 800, "Asia/Almaty"});
    kcell_ = Entity({0, "asn", "29355", "Kcell", kz_, 400, "Asia/Almaty"});
    uz_ = Entity({0, "country", "UZ", "Uzbekistan", 0, 2000, "Asia/Tashkent"});

    // Reports, as the #KeepItOn import stores them: whole UTC days, end exclusive at the next midnight.
    january_ = Report(kz_, T("2022-01-04T00:00:00Z"), T("2022-01-12T00:00:00Z"), "Shutdown, Throttle");
    astana_day_ = Report(ast_, T("2022-01-20T00:00:00Z"), T("2022-01-21T00:00:00Z"), "Shutdown");
    almaty_feb_ = Report(ala_, T("2022-02-10T00:00:00Z"), T("2022-02-11T00:00:00Z"), "Shutdown");
    election_ = Report(kz_, T("2022-10-19T00:00:00Z"), 0, "Shutdown");     // end unknown
    old_ongoing_ = Report(kz_, T("2018-03-15T00:00:00Z"), 0, "Throttle");  // end unknown, years before
    uz_report_ = Report(uz_, T("2022-01-05T00:00:00Z"), T("2022-01-06T00:00:00Z"), "Shutdown");
    ASSERT_TRUE(store_
                    ->AddAnnotation({0, kz_, T("2022-01-05T00:00:00Z"), T("2022-01-19T00:00:00Z"), "state-of-emergency",
                                     "not a report", "", ""})
                    .ok());

    std::vector<store::Event> events = {
        Event(kz_, T("2022-01-05T10:30:00Z"), T("2022-01-06T01:00:00Z")),     // country: in january_
        Event(ala_, T("2022-01-07T08:00:00Z"), T("2022-01-10T00:30:00Z")),    // region: in january_
        Event(kcell_, T("2022-01-04T14:30:00Z"), T("2022-01-05T10:30:00Z")),  // network: in january_
        Event(ast_, T("2022-01-21T03:00:00Z"), T("2022-01-21T05:00:00Z")),    // 3 h after astana_day_
        Event(ala_, T("2022-01-20T12:00:00Z"), T("2022-01-20T14:00:00Z")),    // another region that day
        Event(kcell_, T("2022-01-20T13:00:00Z"), T("2022-01-20T15:00:00Z")),  // a network that day
        Event(kz_, T("2022-01-20T18:00:00Z"), T("2022-01-20T20:00:00Z")),     // the country that day
        Event(ala_, T("2022-03-01T00:00:00Z"), T("2022-03-01T06:00:00Z")),    // no report
        Event(kz_, T("2022-11-26T08:00:00Z"), T("2022-11-26T16:00:00Z")),     // after election_ began
        Event(uz_, T("2022-01-05T06:00:00Z"), T("2022-01-05T09:00:00Z")),     // another country
    };
    // Where each event comes from: Almaty's January event simulated, the country's in November simulated and observed.
    events[1].provenance = store::MaskOf(store::ProvenanceKind::kSimulated);
    events[8].provenance |= store::MaskOf(store::ProvenanceKind::kSimulated);
    std::vector<store::Alert> alerts;
    std::vector<store::Schedule> schedules;
    ASSERT_TRUE(store_->ReplaceDetection(0, alerts, events, schedules).ok());
    for (const auto& e : events) event_ids_[{e.entity_id, e.start_t}] = e.id;

    // Series for Almaty around 10 Feb (so the report there is "no event" with data) and none in October.
    ASSERT_TRUE(store_->RegisterDatasource({"bgp", 300, "visible /24s"}).ok());
    store::SeriesBatch bgp{"bgp", {}};
    for (int64_t t = T("2022-02-09T00:00:00Z"); t < T("2022-02-12T00:00:00Z"); t += 300) {
      bgp.points.push_back({ala_, t, 1000});
    }
    ASSERT_TRUE(store_->WriteSeries({bgp}).ok());

    auto webhooks = store::OpenWebhookStore(":memory:");
    ASSERT_TRUE(webhooks.ok()) << webhooks.message();
    webhooks_ = std::move(webhooks).value();
    ApiOptions options;
    options.cache_ttl_s = 0;
    api_ = std::make_unique<Api>(*store_, *webhooks_, options);
  }

  int64_t Entity(store::Entity e) { return *store_->UpsertEntity(e); }
  int64_t Report(int64_t entity, int64_t start, int64_t end, const std::string& type) {
    json detail = {{"source", "Access Now #KeepItOn STOP data (accessnow.org/keepiton)"}, {"type", type}};
    return *store_->AddAnnotation(
        {0, entity, start, end, "reported-shutdown", type + " (test)", "https://example.org/report", detail.dump()});
  }
  store::Event Event(int64_t entity, int64_t start, int64_t end) {
    store::Event e;
    e.entity_id = entity;
    e.kind = "outage";
    e.start_t = start;
    e.end_t = end;
    e.score = 1000;
    e.datasources = "ping-slash24";
    e.classification = "data-plane";
    e.provenance = store::MaskOf(store::ProvenanceKind::kObserved);
    return e;
  }
  int64_t EventId(int64_t entity, const char* start) { return event_ids_.at({entity, T(start)}); }

  HttpResponse Get(const std::string& query) {
    HttpRequest request;
    request.path = "/api/v1/measured-vs-reported";
    std::stringstream in(query);
    std::string item;
    while (std::getline(in, item, '&')) {
      auto eq = item.find('=');
      request.params.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
    }
    return api_->Handle(request);
  }
  json Data(const std::string& query) {
    HttpResponse r = Get(query);
    EXPECT_EQ(r.status, 200) << query << "\n" << r.body.substr(0, 500);
    json j = json::parse(r.body);
    EXPECT_TRUE(j["error"].is_null()) << j["error"];
    return j["data"];
  }
  static std::set<int64_t> Ids(const json& list) {
    std::set<int64_t> out;
    for (const auto& id : list) out.insert(id.get<int64_t>());
    return out;
  }
  static std::map<int64_t, json> ById(const json& list) {
    std::map<int64_t, json> out;
    for (const auto& item : list) out[item["id"].get<int64_t>()] = item;
    return out;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::WebhookStore> webhooks_;
  std::unique_ptr<Api> api_;
  int64_t kz_ = 0, ala_ = 0, ast_ = 0, kcell_ = 0, uz_ = 0;
  int64_t january_ = 0, astana_day_ = 0, almaty_feb_ = 0, election_ = 0, old_ongoing_ = 0, uz_report_ = 0;
  std::map<std::pair<int64_t, int64_t>, int64_t> event_ids_;
};

const std::string k2022 = "country=KZ&from=2022-01-01&until=2023-01-01";

TEST_F(MeasuredVsReportedTest, ListsTheCountrysReportsAndEventsOnly) {
  json data = Data(k2022);
  EXPECT_EQ(data["country"], "country/KZ");
  EXPECT_EQ(data["tolerance_s"], 86400);
  // Not the state of emergency, not Uzbekistan's report, not the 2018 report whose end is unknown.
  EXPECT_EQ(Ids(json::array({january_, astana_day_, almaty_feb_, election_})), [&] {
    std::set<int64_t> ids;
    for (const auto& r : data["reports"]) ids.insert(r["id"].get<int64_t>());
    return ids;
  }());
  std::set<std::string> locations;
  for (const auto& e : data["events"]) locations.insert(e["location"].get<std::string>());
  EXPECT_EQ(locations, (std::set<std::string>{"country/KZ", "region/KZ-ALA", "region/KZ-AST", "asn/29355"}));
  EXPECT_EQ(data["events"].size(), 9u);  // all but Uzbekistan's
  for (const auto& r : data["reports"]) {
    EXPECT_EQ(r["provenance"]["kind"], "imported");
    EXPECT_EQ(r["attribution"], "Access Now #KeepItOn STOP data (accessnow.org/keepiton)");
  }
}

TEST_F(MeasuredVsReportedTest, ACountryReportMatchesEventsAnywhereInTheCountryOneToMany) {
  auto reports = ById(Data(k2022)["reports"]);
  EXPECT_EQ(Ids(reports[january_]["matched_events"]),
            (std::set<int64_t>{EventId(kz_, "2022-01-05T10:30:00Z"), EventId(ala_, "2022-01-07T08:00:00Z"),
                               EventId(kcell_, "2022-01-04T14:30:00Z")}));
  EXPECT_EQ(reports[january_]["start"], T("2022-01-04T00:00:00Z"));
  EXPECT_EQ(reports[january_]["end"], T("2022-01-12T00:00:00Z"));
  EXPECT_EQ(reports[january_]["window_from"], T("2022-01-03T00:00:00Z"));
  EXPECT_EQ(reports[january_]["window_until"], T("2022-01-13T00:00:00Z"));
}

TEST_F(MeasuredVsReportedTest, ARegionReportMatchesItsRegionAndTheCountryNotOtherRegions) {
  auto reports = ById(Data(k2022)["reports"]);
  // Astana, 20 Jan: the country's event that day and Astana's 3 h after midnight (within the tolerance);
  // Almaty's event the same day is another region's, Kcell's a network's (not known to serve Astana).
  EXPECT_EQ(Ids(reports[astana_day_]["matched_events"]),
            (std::set<int64_t>{EventId(kz_, "2022-01-20T18:00:00Z"), EventId(ast_, "2022-01-21T03:00:00Z")}));
}

TEST_F(MeasuredVsReportedTest, ToleranceZeroKeepsTheReportsDaysOnly) {
  auto reports = ById(Data(k2022 + "&tolerance=0")["reports"]);
  EXPECT_EQ(Ids(reports[astana_day_]["matched_events"]), (std::set<int64_t>{EventId(kz_, "2022-01-20T18:00:00Z")}));
  EXPECT_EQ(reports[astana_day_]["window_until"], T("2022-01-21T00:00:00Z"));
}

TEST_F(MeasuredVsReportedTest, AnUnknownEndLastsToThePeriodsEndAndIsMarked) {
  auto reports = ById(Data(k2022)["reports"]);
  EXPECT_EQ(reports[election_]["end"], nullptr);
  EXPECT_EQ(reports[election_]["end_known"], false);
  EXPECT_EQ(reports[election_]["window_until"], T("2023-01-01T00:00:00Z"));
  EXPECT_EQ(Ids(reports[election_]["matched_events"]), (std::set<int64_t>{EventId(kz_, "2022-11-26T08:00:00Z")}));
  // A period ending before that event: the report is listed, without an event, and no data is marked.
  auto october = ById(Data("country=KZ&from=2022-10-01&until=2022-11-01")["reports"]);
  ASSERT_TRUE(october.count(election_));
  EXPECT_TRUE(october[election_]["matched_events"].empty());
  EXPECT_EQ(october[election_]["data_in_window"], false);
}

TEST_F(MeasuredVsReportedTest, EventsKnowTheirReportsAndUnmatchedOnesSaySo) {
  json data = Data(k2022);
  auto events = ById(data["events"]);
  EXPECT_EQ(Ids(events[EventId(kz_, "2022-01-20T18:00:00Z")]["matched_reports"]), (std::set<int64_t>{astana_day_}));
  EXPECT_TRUE(events[EventId(ala_, "2022-03-01T00:00:00Z")]["matched_reports"].empty());
  EXPECT_TRUE(events[EventId(ala_, "2022-01-20T12:00:00Z")]["matched_reports"].empty());
  EXPECT_TRUE(events[EventId(kcell_, "2022-01-20T13:00:00Z")]["matched_reports"].empty());
  auto reports = ById(data["reports"]);
  EXPECT_TRUE(reports[almaty_feb_]["matched_events"].empty());
  EXPECT_EQ(reports[almaty_feb_]["data_in_window"], true);  // Almaty had series that day: nothing detected
  data["summary"].erase("events_by_provenance");            // EveryEventSaysWhereItComesFrom checks it
  EXPECT_EQ(data["summary"], json({{"reports", 4},
                                   {"reports_with_event", 3},
                                   {"reports_without_event", 1},
                                   {"reports_without_data", 0},
                                   {"events", 9},
                                   {"events_with_report", 6},
                                   {"events_without_report", 3}}));
}

TEST_F(MeasuredVsReportedTest, EveryEventSaysWhereItComesFrom) {
  json data = Data(k2022);
  auto events = ById(data["events"]);
  EXPECT_EQ(events[EventId(ala_, "2022-01-07T08:00:00Z")]["provenance"],
            json({{"kind", "simulated"}, {"kinds", {"simulated"}}}));
  EXPECT_EQ(events[EventId(kz_, "2022-11-26T08:00:00Z")]["provenance"],
            json({{"kind", "mixed"}, {"kinds", {"observed", "simulated"}}}));
  EXPECT_EQ(events[EventId(kz_, "2022-01-05T10:30:00Z")]["provenance"]["kind"], "observed");
  EXPECT_EQ(data["summary"]["events_by_provenance"], json({{"observed", 7}, {"simulated", 1}, {"mixed", 1}}));
  std::string csv = Get(k2022 + "&format=csv").body;
  EXPECT_NE(csv.find(",region/KZ-ALA,2022-01-07T08:00:00Z,2022-01-10T00:30:00Z,outage,data-plane,1000,simulated\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",country/KZ,2022-11-26T08:00:00Z,2022-11-26T16:00:00Z,outage,data-plane,1000,mixed\n"),
            std::string::npos)
      << csv;
}

TEST_F(MeasuredVsReportedTest, CsvIsTheFullOuterJoin) {
  HttpResponse r = Get(k2022 + "&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  std::stringstream in(r.body);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("match,report_id,report_entity,report_start,report_end,report_type,", 0), 0u) << line;
  std::map<std::string, int> rows;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    rows[line.substr(0, line.find(','))]++;
    int separators = 0;
    bool quoted = false;
    for (char c : line) {
      quoted ^= c == '"';
      separators += c == ',' && !quoted;
    }
    EXPECT_EQ(separators, 15) << line;  // 16 columns on every row
  }
  // 3 + 2 + 1 matched pairs, Almaty's February report alone, the three events without a report.
  EXPECT_EQ(rows, (std::map<std::string, int>{{"reported+detected", 6}, {"reported-only", 1}, {"detected-only", 3}}));
  EXPECT_EQ(lines, 10);
}

TEST_F(MeasuredVsReportedTest, OpenApiDescribesIt) {
  HttpRequest request;
  request.path = "/openapi.json";
  json spec = json::parse(api_->Handle(request).body);
  const json& op = spec["paths"]["/api/v1/measured-vs-reported"]["get"];
  ASSERT_TRUE(op.is_object()) << "no GET /api/v1/measured-vs-reported in openapi.json";
  std::set<std::string> names;
  for (const auto& p : op["parameters"]) names.insert(p["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"country", "from", "until", "tolerance", "format"}));
  EXPECT_TRUE(op["responses"].contains("200"));
  EXPECT_TRUE(op["responses"].contains("400"));
}

TEST_F(MeasuredVsReportedTest, BadParametersAreNamed) {
  for (const auto& [query, name, status] : std::vector<std::tuple<std::string, std::string, int>>{
           {"from=2022-01-01&until=2022-02-01", "country", 400},
           {"country=KZ&until=2022-02-01", "from", 400},
           {"country=KZ&from=2022-02-01&until=2022-01-01", "from", 400},
           {k2022 + "&tolerance=-1", "tolerance", 400},
           {k2022 + "&tolerance=999999", "tolerance", 400},
           {k2022 + "&format=xml", "format", 400},
           {"country=XX&from=2022-01-01&until=2022-02-01", "XX", 404}}) {
    HttpResponse r = Get(query);
    EXPECT_EQ(r.status, status) << query;
    json j = json::parse(r.body);
    ASSERT_TRUE(j["error"].is_string()) << query;
    EXPECT_NE(j["error"].get<std::string>().find(name), std::string::npos) << query << " -> " << j["error"];
    EXPECT_TRUE(j["data"].is_null());
  }
}

}  // namespace
}  // namespace vigil::api
