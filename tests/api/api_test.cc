// SPDX-License-Identifier: AGPL-3.0-or-later
// API tests against an in-memory SQLite store filled with the Kazakhstan fixture. Expected values come
// from the store's raw points (an obvious re-computation), never from hand-typed numbers.
#include <httplib.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>
#include <cmath>
#include <cstdio>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <zlib.h>
#include <sys/socket.h>
#include <thread>

#include "api/api.h"
#include "tests/api/fixture.h"

namespace vigil::api {
namespace {

using api_test::kBlackoutStart;
using api_test::kFixtureFrom;
using api_test::kFixtureUntil;
using nlohmann::json;

constexpr const char* kToken = "test-admin-token-0123456789";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenStore(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.message();
    store_ = std::move(opened).value();
    ASSERT_TRUE(api_test::WriteKzFixture(*store_).ok());
    ApiOptions options;
    options.web_dir = VIGIL_SOURCE_DIR "/web";
    options.node_modules_dir = VIGIL_SOURCE_DIR "/node_modules";
    options.admin_token = kToken;
    options.cache_ttl_s = 0;
    options.webhook_backoff_s = {0, 0};
    auto webhooks = store::OpenWebhookStore(":memory:");
    ASSERT_TRUE(webhooks.ok()) << webhooks.message();
    webhooks_ = std::move(webhooks).value();
    api_ = std::make_unique<Api>(*store_, *webhooks_, options);
  }

  HttpResponse Get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Call("GET", target, "", std::move(headers));
  }
  HttpResponse Call(const std::string& method, const std::string& target, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest request;
    request.method = method;
    auto q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string query = target.substr(q + 1);
      size_t start = 0;
      while (start <= query.size()) {
        size_t end = query.find('&', start);
        if (end == std::string::npos) end = query.size();
        std::string item = query.substr(start, end - start);
        if (!item.empty()) {
          auto eq = item.find('=');
          request.params.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
        }
        start = end + 1;
      }
    }
    request.headers = std::move(headers);
    request.body = body;
    return api_->Handle(request);
  }
  json GetJson(const std::string& target, int expected_status = 200) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, expected_status) << target << "\n" << r.body.substr(0, 500);
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << target;
    return j;
  }
  int64_t Id(const std::string& type, const std::string& code) { return (*store_->FindEntity(type, code))->id; }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::WebhookStore> webhooks_;
  std::unique_ptr<Api> api_;
};

std::string Window(int64_t from, int64_t until) {
  return "from=" + std::to_string(from) + "&until=" + std::to_string(until);
}

// Checks a value against the subset of JSON Schema that openapi.json uses (type, required, properties).
void CheckSchema(const json& schema, const json& value, const std::string& where) {
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_array()) {
      for (const auto& t : schema["type"]) types.push_back(t);
    } else {
      types.push_back(schema["type"]);
    }
    bool ok = false;
    for (const auto& t : types) {
      ok |= (t == "object" && value.is_object()) || (t == "array" && value.is_array()) ||
            (t == "string" && value.is_string()) || (t == "null" && value.is_null()) ||
            (t == "integer" && value.is_number_integer()) || (t == "number" && value.is_number()) ||
            (t == "boolean" && value.is_boolean());
    }
    EXPECT_TRUE(ok) << where << ": " << value.dump().substr(0, 200) << " is not " << schema["type"].dump();
  }
  if (schema.contains("required") && value.is_object()) {
    for (const auto& key : schema["required"]) EXPECT_TRUE(value.contains(key)) << where << " lacks " << key;
  }
  if (schema.contains("properties") && value.is_object()) {
    for (const auto& [key, sub] : schema["properties"].items()) {
      if (value.contains(key)) CheckSchema(sub, value[key], where + "." + key);
    }
  }
}

TEST_F(ApiTest, EveryResponseMatchesItsOpenApiSchema) {
  json spec = GetJson("/openapi.json");
  ASSERT_EQ(spec["openapi"], "3.1.0");
  std::string w = Window(kFixtureFrom, kFixtureUntil);
  std::string event = std::to_string((*store_->ListEvents({kFixtureFrom, kFixtureUntil, {}, {}, 0, 0}))[0].id);
  struct Case {
    std::string target, spec_path;
  };
  std::vector<Case> cases = {
      {"/v2/signals/raw/region/KZ-ALA?" + w + "&maxPoints=500", "/v2/signals/raw/{entityType}/{entityCode}"},
      {"/v2/signals/raw/region/KZ-ALA?until=5", "/v2/signals/raw/{entityType}/{entityCode}"},
      {"/v2/outages/alerts?" + w, "/v2/outages/alerts"},
      {"/v2/outages/events?" + w, "/v2/outages/events"},
      {"/v2/outages/events?from=x", "/v2/outages/events"},
      {"/v2/outages/summary?" + w, "/v2/outages/summary"},
      {"/v2/entities/query?search=alm", "/v2/entities/query"},
      {"/v2/datasources", "/v2/datasources"},
      {"/v2/datasources/bgp", "/v2/datasources/{datasource}"},
      {"/api/v1/schedules", "/api/v1/schedules"},
      {"/api/v1/annotations?" + w, "/api/v1/annotations"},
      {"/api/v1/status?" + w + "&entityType=region", "/api/v1/status"},
      {"/api/v1/export?entity=region/KZ-ALA&format=json&" + w, "/api/v1/export"},
      {"/api/v1/events/" + event, "/api/v1/events/{id}"},
      {"/api/v1/events/" + event + "/report.json", "/api/v1/events/{id}/report.{format}"},
      {"/healthz", "/healthz"},
  };
  for (const auto& c : cases) {
    HttpResponse r = Get(c.target);
    ASSERT_TRUE(spec["paths"].contains(c.spec_path)) << c.spec_path;
    const json& responses = spec["paths"][c.spec_path]["get"]["responses"];
    std::string code = std::to_string(r.status);
    ASSERT_TRUE(responses.contains(code)) << c.target << " answered " << code << ": " << r.body.substr(0, 300);
    json body = json::parse(r.body);
    CheckSchema(responses[code]["content"]["application/json"]["schema"].contains("$ref")
                    ? spec["components"]["schemas"]["Envelope"]
                    : responses[code]["content"]["application/json"]["schema"],
                body, c.target);
  }
}

TEST_F(ApiTest, BadParametersAre400NamingTheParameter) {
  std::string w = Window(kFixtureFrom, kFixtureUntil);
  struct Case {
    std::string target, names;
  };
  std::vector<Case> cases = {
      {"/v2/signals/raw/region/KZ-ALA?until=1641000000", "from"},
      {"/v2/signals/raw/region/KZ-ALA?from=1641000000", "until"},
      {"/v2/signals/raw/region/KZ-ALA?from=20&until=10", "from"},
      {"/v2/signals/raw/planet/KZ-ALA?" + w, "entityType"},
      {"/v2/signals/raw/region/KZ-ALA?" + w + "&datasource=gtr", "datasource"},
      {"/v2/signals/raw/region/KZ-ALA?" + w + "&maxPoints=0", "maxPoints"},
      {"/v2/signals/raw/region/KZ-ALA?" + w + "&maxPoints=abc", "maxPoints"},
      {"/v2/signals/raw/region/KZ-ALA?from=0&until=70000000", "maxPoints"},
      {"/v2/outages/alerts?from=abc&until=10", "from"},
      {"/v2/outages/alerts?" + w + "&limit=0", "limit"},
      {"/v2/outages/alerts?" + w + "&page=-1", "page"},
      {"/v2/outages/alerts?" + w + "&relatedTo=/KZ", "relatedTo"},
      {"/v2/outages/alerts?" + w + "&entityCode=KZ", "entityType"},
      {"/v2/outages/events?" + w + "&orderBy=size", "orderBy"},
      {"/v2/outages/events?" + w + "&format=xml", "format"},
      {"/v2/outages/events?" + w + "&includeAlerts=perhaps", "includeAlerts"},
      {"/v2/outages/summary?until=10", "from"},
      {"/v2/entities/query?entityType=galaxy", "entityType"},
      {"/api/v1/export?" + w, "entity"},
      {"/api/v1/status?from=1", "until"},
  };
  for (const auto& c : cases) {
    json j = GetJson(c.target, 400);
    ASSERT_TRUE(j["error"].is_string()) << c.target;
    EXPECT_NE(j["error"].get<std::string>().find(c.names), std::string::npos) << c.target << " -> " << j["error"];
    EXPECT_TRUE(j["data"].is_null()) << c.target;
    EXPECT_TRUE(j["requestParameters"].is_object()) << c.target;
  }
}

TEST_F(ApiTest, SignalsAtNativeStepEqualRawPointsWithNullsForGaps) {
  int64_t from = 1641168000 - 3600, until = 1641189600 + 3600;  // around KZ-AKT's 6-hour gap
  json j = GetJson("/v2/signals/raw/region/KZ-AKT?" + Window(from, until) + "&datasource=bgp");
  EXPECT_EQ(j["type"], "signals");
  EXPECT_EQ(j["requestParameters"]["datasource"], "bgp");
  EXPECT_TRUE(j["requestParameters"]["maxPoints"].is_null());
  ASSERT_EQ(j["data"].size(), 1u);
  ASSERT_EQ(j["data"][0].size(), 1u);
  const json& s = j["data"][0][0];
  EXPECT_EQ(s["step"], 300);
  EXPECT_EQ(s["nativeStep"], 300);
  EXPECT_EQ(s["entityFqid"], "geo.vigil.KZ.KZ-AKT");
  auto points = *store_->ReadSeries("bgp", Id("region", "KZ-AKT"), from, until);
  std::map<int64_t, double> raw;
  for (const auto& p : points) raw[p.t] = p.value;
  ASSERT_EQ(s["values"].size(), static_cast<size_t>((until - from) / 300));
  int nulls = 0;
  for (size_t i = 0; i < s["values"].size(); ++i) {
    int64_t t = from + static_cast<int64_t>(i) * 300;
    if (raw.count(t)) {
      EXPECT_DOUBLE_EQ(s["values"][i].get<double>(), raw[t]);
    } else {
      EXPECT_TRUE(s["values"][i].is_null());
      ++nulls;
    }
  }
  EXPECT_EQ(nulls, 6 * 12);  // six hours of 5-minute bins: missing, not zero
}

TEST_F(ApiTest, SignalsMaxPointsPicksTheLadderStepAndAverages) {
  const int64_t ladder[] = {60,    120,   300,    600,    900,     1800,    3600,     7200,     21600,
                            43200, 86400, 172800, 604800, 1209600, 2419200, 31536000, 63072000, 315360000};
  int64_t from = kFixtureFrom + 1234, until = kFixtureUntil;
  for (int64_t max_points : {3000, 500, 100, 10}) {
    json j =
        GetJson("/v2/signals/raw/region/KZ-ALA?" + Window(from, until) + "&maxPoints=" + std::to_string(max_points));
    ASSERT_FALSE(j["data"][0].empty());
    for (const auto& s : j["data"][0]) {
      int64_t native = s["nativeStep"];
      int64_t expected = 0;
      for (int64_t step : ladder) {
        if (step >= native && (until - from) / step <= max_points) {
          expected = step;
          break;
        }
      }
      int64_t step = s["step"];
      ASSERT_EQ(step, expected) << s["datasource"] << " maxPoints " << max_points;
      int64_t aligned = s["from"];
      EXPECT_EQ(aligned % step, 0);
      EXPECT_LE(aligned, from);
      auto points = *store_->ReadSeries(s["datasource"], Id("region", "KZ-ALA"), aligned, until);
      for (size_t i = 0; i < s["values"].size(); ++i) {
        double sum = 0;
        int n = 0;
        for (const auto& p : points) {
          if (p.t >= aligned + static_cast<int64_t>(i) * step && p.t < aligned + static_cast<int64_t>(i + 1) * step) {
            sum += p.value;
            ++n;
          }
        }
        if (n == 0) {
          EXPECT_TRUE(s["values"][i].is_null());
        } else {
          EXPECT_NEAR(s["values"][i].get<double>(), sum / n, 1e-9 * std::max(1.0, sum / n));
        }
      }
    }
  }
}

TEST_F(ApiTest, SignalsCommaListSkipsUnknownCodes) {
  json j = GetJson("/v2/signals/raw/region/KZ-ALA,KZ-NOPE,KZ-AST?" + Window(kBlackoutStart, kBlackoutStart + 3600) +
                   "&datasource=ping-slash24");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0][0]["entityCode"], "KZ-ALA");
  EXPECT_EQ(j["data"][1][0]["entityCode"], "KZ-AST");
  EXPECT_EQ(j["data"][0][0]["entityName"], "Almaty (city)");
  // A region without data: no series at all rather than a fabricated one.
  json none = GetJson("/v2/signals/raw/region/KZ-MAN?" + Window(kFixtureFrom, kFixtureUntil) + "&maxPoints=100");
  ASSERT_EQ(none["data"].size(), 1u);
  EXPECT_TRUE(none["data"][0].empty());
}

TEST_F(ApiTest, AlertsFilterIgnoreMethodsAndPage) {
  std::string w = Window(kFixtureFrom, kFixtureUntil);
  json all = GetJson("/v2/outages/alerts?" + w);
  auto stored = *store_->ListAlerts({kFixtureFrom, kFixtureUntil, {}, {}, 0, 0});
  ASSERT_EQ(all["data"].size(), stored.size());
  for (size_t i = 1; i < all["data"].size(); ++i) EXPECT_LE(all["data"][i - 1]["time"], all["data"][i]["time"]);
  json region = GetJson("/v2/outages/alerts?" + w + "&entityType=region&entityCode=KZ-ALA&ignoreMethods=*.sarima");
  for (const auto& a : region["data"]) {
    EXPECT_EQ(a["entity"]["code"], "KZ-ALA");
    EXPECT_TRUE(a.contains("historyValue") && a.contains("condition") && a.contains("method"));
  }
  EXPECT_EQ(region["data"].size(), 4u);
  json no_ping = GetJson("/v2/outages/alerts?" + w + "&ignoreMethods=ping-slash24.*");
  for (const auto& a : no_ping["data"]) EXPECT_NE(a["datasource"], "ping-slash24");
  json page0 = GetJson("/v2/outages/alerts?" + w + "&limit=3&page=0");
  json page1 = GetJson("/v2/outages/alerts?" + w + "&limit=3&page=1");
  ASSERT_EQ(page0["data"].size(), 3u);
  EXPECT_EQ(page1["data"][0], all["data"][3]);
  json ds = GetJson("/v2/outages/alerts?" + w + "&datasource=bgp");
  for (const auto& a : ds["data"]) EXPECT_EQ(a["datasource"], "bgp");
  EXPECT_EQ(ds["requestParameters"]["limit"], 500);
}

TEST_F(ApiTest, EventsAreCodfWithVigilFieldsOrderedAndFiltered) {
  std::string w = Window(kFixtureFrom, kFixtureUntil);
  json j = GetJson("/v2/outages/events?" + w + "&orderBy=score/desc&includeAlerts");
  auto stored = *store_->ListEvents({kFixtureFrom, kFixtureUntil, {}, {}, 0, 0});
  ASSERT_EQ(j["data"].size(), stored.size());
  for (size_t i = 1; i < j["data"].size(); ++i) EXPECT_GE(j["data"][i - 1]["score"], j["data"][i]["score"]);
  const json& top = j["data"][0];
  for (const char* key :
       {"location", "start", "duration", "uncertainty", "method", "datasource", "status", "fraction", "score",
        "location_name", "overlaps_window", "classification", "schedule_id", "coverage", "alerts"}) {
    EXPECT_TRUE(top.contains(key)) << key;
  }
  EXPECT_EQ(top["location"], "region/KZ-ALA");
  EXPECT_EQ(top["start"], kBlackoutStart);
  EXPECT_EQ(top["duration"], api_test::kBlackoutEnd - kBlackoutStart);
  EXPECT_EQ(top["classification"], "data-plane");
  EXPECT_EQ(top["coverage"]["blocks"], 2000);
  EXPECT_FALSE(top["alerts"].empty());
  json related = GetJson("/v2/outages/events?" + w + "&entityType=region&relatedTo=country/KZ");
  for (const auto& e : related["data"]) EXPECT_EQ(e["location"].get<std::string>().rfind("region/", 0), 0u);
  json by_time = GetJson("/v2/outages/events?" + w);
  for (size_t i = 1; i < by_time["data"].size(); ++i)
    EXPECT_LE(by_time["data"][i - 1]["start"], by_time["data"][i]["start"]);
  json ioda = GetJson("/v2/outages/events?" + w + "&format=ioda&entityType=region&entityCode=KZ-SHY");
  ASSERT_EQ(ioda["data"].size(), 1u);
  EXPECT_EQ(ioda["data"][0]["entity"]["code"], "KZ-SHY");
  EXPECT_EQ(ioda["data"][0]["method"], "multiple");
  // The curfew nights carry their schedule.
  json curfew =
      GetJson("/v2/outages/events?" + Window(1641772800, kFixtureUntil) + "&entityType=region&entityCode=KZ-ALA");
  int with_schedule = 0;
  for (const auto& e : curfew["data"]) with_schedule += !e["schedule_id"].is_null();
  EXPECT_EQ(with_schedule, 3);
}

// The events endpoint writes codf objects straight to text; with includeAlerts it goes through the JSON DOM.
// Both must give the same objects, also for names that need escaping and coverage that is not JSON.
TEST_F(ApiTest, EventTextWriterEqualsTheDomPath) {
  auto odd = store_->UpsertEntity({0, "asn", "64512", "Quote \" back\\slash \n tab\t bad\xff utf8 ünï", 0, 1, ""});
  ASSERT_TRUE(odd.ok());
  std::vector<store::Alert> alerts;
  std::vector<store::Event> events = *store_->ListEvents({});
  for (auto& e : events) e.id = 0;
  events.push_back(
      {0, *odd, "outage", kFixtureUntil - 7200, 0, 1e17, "bgp,loss", "routing", 0, 1.0 / 3, "not json {", "{}"});
  events.push_back(
      {0, *odd, "outage", kFixtureUntil - 9000, kFixtureUntil - 8000, 12.5, "bgp", "routing", 0, 0, "", "{}"});
  std::vector<store::Schedule> schedules = *store_->ListSchedules({});
  ASSERT_TRUE(store_->ReplaceDetection(0, alerts, events, schedules).ok());
  std::string w = Window(kFixtureFrom, kFixtureUntil);
  json text = GetJson("/v2/outages/events?" + w);
  json dom = GetJson("/v2/outages/events?" + w + "&includeAlerts");
  ASSERT_EQ(text["data"].size(), events.size());
  ASSERT_EQ(dom["data"].size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    json d = dom["data"][i];
    d.erase("alerts");
    EXPECT_EQ(text["data"][i], d) << i;
  }
  const json& last = text["data"][events.size() - 1];
  EXPECT_EQ(last["location"], "asn/64512");
  EXPECT_EQ(last["coverage"], "not json {");
  EXPECT_EQ(last["ongoing"], true);
  EXPECT_EQ(last["datasources"], json::array({"bgp", "loss"}));
  EXPECT_EQ(last["depth"].get<double>(), 1.0 / 3);
  EXPECT_EQ(last["score"].get<double>(), 1e17);
  EXPECT_NE(last["location_name"].get<std::string>().find("Quote \" back\\slash \n"), std::string::npos);
}

TEST_F(ApiTest, SummarySumsEventScoresPerEntity) {
  json j = GetJson("/v2/outages/summary?" + Window(kFixtureFrom, kFixtureUntil));
  auto stored = *store_->ListEvents({kFixtureFrom, kFixtureUntil, {}, {}, 0, 0});
  std::map<std::string, std::pair<double, int>> expected;
  for (const auto& e : stored) {
    auto entity = *store_->EntityById(e.entity_id);
    expected[entity->code].first += e.score;
    expected[entity->code].second++;
  }
  ASSERT_EQ(j["data"].size(), expected.size());
  for (const auto& item : j["data"]) {
    auto& [score, count] = expected[item["entity"]["code"]];
    EXPECT_DOUBLE_EQ(item["scores"]["overall"].get<double>(), score);
    EXPECT_EQ(item["event_cnt"], count);
  }
  for (size_t i = 1; i < j["data"].size(); ++i) {
    EXPECT_GE(j["data"][i - 1]["scores"]["overall"], j["data"][i]["scores"]["overall"]);
  }
}

TEST_F(ApiTest, EntitiesQueryAndDatasources) {
  json regions = GetJson("/v2/entities/query?entityType=region&relatedTo=country/KZ");
  EXPECT_EQ(regions["data"].size(), 17u);
  json search = GetJson("/v2/entities/query?search=almaty&limit=15");
  ASSERT_GE(search["data"].size(), 2u);
  for (const auto& e : search["data"]) {
    std::string name = e["name"];
    EXPECT_NE(name.find("Almaty"), std::string::npos);
  }
  json exact = GetJson("/v2/entities/query?search=kz");
  EXPECT_EQ(exact["data"][0]["code"], "KZ");  // exact code match first, as IODA orders
  json asn = GetJson("/v2/entities/query?entityType=asn&relatedTo=country/KZ");
  ASSERT_EQ(asn["data"].size(), 1u);
  EXPECT_EQ(asn["data"][0]["attrs"]["fqid"], "asn.9198");
  json ds = GetJson("/v2/datasources/");
  std::set<std::string> names;
  for (const auto& d : ds["data"]) names.insert(d["datasource"]);
  EXPECT_EQ(names, (std::set<std::string>{"bgp", "ping-slash24", "rtt-p50", "loss"}));
  EXPECT_EQ(GetJson("/v2/datasources/bgp")["data"]["nativeStep"], 300);
  GetJson("/v2/datasources/gtr", 404);
}

// Query strings the way IODA's dashboard and common scripts send them.
TEST_F(ApiTest, ReplaysIodaStyleQueries) {
  const char* queries[] = {
      "/v2/signals/raw/country/KZ?from=1641340800&until=1641772800&maxPoints=3000",
      "/v2/signals/raw/region/KZ-ALA?from=1641340800&until=1641772800&datasource=bgp&maxPoints=3000",
      "/v2/signals/raw/asn/9198?from=1641340800&until=1641772800&maxPoints=3000&sourceParams=WEB_SEARCH",
      "/v2/outages/alerts?from=1641340800&until=1641772800&entityType=country&entityCode=KZ&ignoreMethods=*.sarima",
      "/v2/outages/"
      "events?from=1641340800&until=1641772800&entityType=country&entityCode=KZ&ignoreMethods=*.sarima&includeAlerts="
      "true&format=codf&limit=2000&orderBy=score/desc",
      "/v2/outages/events?from=1641340800&until=1641772800&ignoreMethods=*.sarima&format=ioda&overall=true",
      "/v2/outages/summary?from=1641340800&until=1641772800&entityType=region&relatedTo=country/"
      "KZ&ignoreMethods=*.sarima",
      "/v2/outages/summary?from=1641340800&until=1641772800&entityType=country&limit=10&page=0",
      "/v2/entities/query?limit=15&search=kaz",
      "/v2/entities/query?entityType=region&relatedTo=country/KZ",
      "/v2/entities/query?entityType=asn&relatedTo=country/KZ&limit=100",
      "/v2/datasources/",
  };
  for (const char* q : queries) {
    json j = GetJson(q);
    for (const char* key : {"type", "metadata", "requestParameters", "error", "perf", "data", "copyright"}) {
      EXPECT_TRUE(j.contains(key)) << q << " lacks " << key;
    }
    EXPECT_TRUE(j["error"].is_null()) << q;
    EXPECT_TRUE(j["metadata"]["requestTime"].is_string());
    EXPECT_FALSE(j["data"].is_null()) << q;
  }
}

TEST_F(ApiTest, AnnotationsReadOpenWriteNeedsTheToken) {
  std::string w = Window(kFixtureFrom, kFixtureUntil);
  json list = GetJson("/api/v1/annotations?" + w + "&entity=region/KZ-ALA");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["kind"], "state-of-emergency");
  std::string body = R"({"entity":"region/KZ-AST","kind":"curfew-order","start":"2022-01-06T00:00:00Z",
                        "end":"2022-01-08T00:00:00Z","text":"curfew","source_url":"https://example.org/x"})";
  EXPECT_EQ(Call("POST", "/api/v1/annotations", body).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/annotations", body, {{"Authorization", "Bearer wrong-token-0123456789"}}).status,
            401);
  EXPECT_EQ(Call("POST", std::string("/api/v1/annotations?token=") + kToken, body).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/annotations",
                 R"J({"entity":"region/KZ-AST","kind":"note","start":1,"source_url":"javascript:alert(1)"})J",
                 {{"Authorization", std::string("Bearer ") + kToken}})
                .status,
            400);
  HttpResponse created =
      Call("POST", "/api/v1/annotations", body, {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_EQ(created.status, 201) << created.body;
  int64_t id = json::parse(created.body)["data"]["id"];
  EXPECT_EQ(GetJson("/api/v1/annotations?" + w)["data"].size(), 2u);
  EXPECT_EQ(Call("DELETE", "/api/v1/annotations/" + std::to_string(id), "").status, 401);
  // An id with anything after the number is refused, not read as its leading digits (found by
  // tests/reliability/injection.py: "DELETE /api/v1/annotations/1; DROP TABLE series; --" deleted annotation 1).
  for (std::string bad : {std::to_string(id) + "abc", std::to_string(id) + "; DROP TABLE series; --",
                          std::to_string(id) + "' OR '1'='1", std::string("0"), std::string("-1")}) {
    EXPECT_EQ(
        Call("DELETE", "/api/v1/annotations/" + bad, "", {{"Authorization", std::string("Bearer ") + kToken}}).status,
        400)
        << bad;
    EXPECT_EQ(
        Call("DELETE", "/api/v1/webhooks/" + bad, "", {{"Authorization", std::string("Bearer ") + kToken}}).status, 400)
        << bad;
  }
  EXPECT_EQ(GetJson("/api/v1/annotations?" + w)["data"].size(), 2u);
  EXPECT_EQ(Call("DELETE", "/api/v1/annotations/" + std::to_string(id), "",
                 {{"Authorization", std::string("Bearer ") + kToken}})
                .status,
            200);
  EXPECT_EQ(GetJson("/api/v1/annotations?" + w)["data"].size(), 1u);
}

TEST_F(ApiTest, WritesRefusedWithoutConfiguredToken) {
  ApiOptions options;
  Api open(*store_, *webhooks_, options);
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/annotations";
  request.body = "{}";
  request.headers = {{"Authorization", "Bearer "}};
  EXPECT_EQ(open.Handle(request).status, 403);
}

TEST_F(ApiTest, ReportBundleHasEvidenceAndAVerifiableManifest) {
  auto events = *store_->ListEvents({kFixtureFrom, kFixtureUntil, {Id("region", "KZ-ALA")}, {}, 0, 0});
  const store::Event& e = events[0];
  std::string base = "/api/v1/events/" + std::to_string(e.id) + "/report.";
  json j = GetJson(base + "json");
  EXPECT_EQ(j["event"]["location"], "region/KZ-ALA");
  EXPECT_EQ(j["classification"], "data-plane");
  EXPECT_FALSE(j["signals"].empty());
  EXPECT_FALSE(j["alerts"].empty());
  EXPECT_EQ(j["inputs"].size(), 2u);
  EXPECT_EQ(j["method"]["detail"]["thresholds"]["ping-slash24"]["critical"], 0.5);
  HttpResponse csv = Get(base + "csv");
  ASSERT_EQ(csv.status, 200);
  std::string csv_sha;
  for (const auto& m : j["manifest"]["entries"]) {
    if (m["name"] == "signals.csv") csv_sha = m["sha256"];
  }
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(csv.body.data(), csv.body.size(), digest, &length, EVP_sha256(), nullptr);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  EXPECT_EQ(csv_sha, std::string(hex));
  HttpResponse html = Get(base + "html");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("<svg"), std::string::npos);
  EXPECT_NE(html.body.find("<title>event</title>"), std::string::npos);
  EXPECT_NE(html.body.find("fixture/probe-round.20220105.1030.tsv"), std::string::npos);
  bool csp = false;
  for (const auto& [k, v] : html.headers)
    csp |= k == "Content-Security-Policy" && v.find("default-src 'none'") != std::string::npos;
  EXPECT_TRUE(csp);
  HttpResponse md = Get(base + "md");
  EXPECT_NE(md.body.find("## Manifest"), std::string::npos);
  EXPECT_NE(md.body.find(j["inputs"][0]["sha256"].get<std::string>()), std::string::npos);
  EXPECT_EQ(Get("/api/v1/events/999999/report.json").status, 404);
  EXPECT_EQ(Get(base + "exe").status, 400);
  // The schedule appears in the report of a curfew night.
  int64_t curfew_id = 0;
  for (const auto& ev : events) {
    if (ev.schedule_id != 0) curfew_id = ev.id;
  }
  json night = GetJson("/api/v1/events/" + std::to_string(curfew_id) + "/report.json");
  EXPECT_EQ(night["schedule"]["tz"], "Asia/Almaty");
}

TEST_F(ApiTest, ExportCsvEqualsRawSeries) {
  int64_t from = kBlackoutStart - 3600, until = kBlackoutStart + 3600;
  HttpResponse r = Get("/api/v1/export?entity=region/KZ-ALA&datasource=bgp&" + Window(from, until));
  ASSERT_EQ(r.status, 200);
  auto points = *store_->ReadSeries("bgp", Id("region", "KZ-ALA"), from, until);
  size_t lines = std::count(r.body.begin(), r.body.end(), '\n');
  EXPECT_EQ(lines, points.size() + 1);
  EXPECT_EQ(r.body.rfind("entity,datasource,t,time,value\n", 0), 0u);
  EXPECT_EQ(Get("/api/v1/export?entity=region/KZ-ALA&" + Window(0, 400 * 86400)).status, 400);
}

TEST_F(ApiTest, StatusMarksBlackoutCriticalAndMissingDataDistinctly) {
  json j = GetJson("/api/v1/status?" + Window(kBlackoutStart - 86400, kBlackoutStart + 86400) +
                   "&entityType=region&relatedTo=country/KZ");
  std::map<std::string, std::string> level;
  for (const auto& item : j["data"]) level[item["entity"]["code"]] = item["level"];
  EXPECT_EQ(level["KZ-ALA"], "critical");
  EXPECT_EQ(level["KZ-MAN"], "no-data");
  EXPECT_EQ(level["KZ-PAV"], "normal");
  EXPECT_EQ(level["KZ-AST"], "warning");
}

TEST_F(ApiTest, MetricsHealthFeed) {
  Get("/v2/datasources");
  HttpResponse m = Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("vigil_http_request_duration_seconds_bucket{route=\"/v2/datasources\",le=\"+Inf\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("vigil_ingest_lag_seconds{datasource=\"bgp\"}"), std::string::npos);
  EXPECT_NE(m.body.find("vigil_events_open 0"), std::string::npos);
  EXPECT_EQ(GetJson("/healthz")["status"], "ok");
  HttpResponse feed = Get("/api/v1/feed.atom?" + Window(kFixtureFrom, kFixtureUntil));
  EXPECT_EQ(feed.status, 200);
  EXPECT_NE(feed.body.find("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), std::string::npos);
  EXPECT_NE(feed.body.find("Almaty (city)"), std::string::npos);
}

// Found by fuzz/api_request_fuzz: unknown paths used to become metric labels verbatim, so every distinct
// path added a metrics entry (unbounded memory) and quotes in a path broke the /metrics text format.
TEST_F(ApiTest, UnknownPathsShareOneMetricsLabel) {
  for (int i = 0; i < 50; ++i) {
    Get("/v2/no-such-thing-" + std::to_string(i));
    Get("/api/v1/nothing-" + std::to_string(i));
    Get("/v2/outages/x\"} 1\nfake_metric{a=\"" + std::to_string(i));
  }
  HttpResponse m = Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.body.find("no-such-thing"), std::string::npos);
  EXPECT_EQ(m.body.find("nothing-"), std::string::npos);
  EXPECT_EQ(m.body.find("fake_metric"), std::string::npos);
  EXPECT_NE(m.body.find("vigil_http_requests_total{route=\"other\",code=\"404\"} 150"), std::string::npos) << m.body;
}

// The router, the metrics labels and /openapi.json come from one route table: every documented operation is
// routed (its metrics label is its OpenAPI path), and the spec lists nothing the router does not serve.
TEST_F(ApiTest, EveryOpenApiOperationIsRoutedUnderItsOwnLabel) {
  json spec = GetJson("/openapi.json");
  size_t operations = 0;
  for (const auto& [path, methods] : spec["paths"].items()) {
    std::string target;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] != '{') {
        target += path[i];
        continue;
      }
      size_t close = path.find('}', i);
      std::string name = path.substr(i + 1, close - i - 1);
      target += name == "format" ? "json" : name == "datasource" ? "bgp" : name == "entityType" ? "region" : "1";
      i = close;
    }
    for (const auto& [method, op] : methods.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(c));
      Call(upper, target, "{}", {});
      ++operations;
      HttpResponse m = Get("/metrics");
      EXPECT_NE(m.body.find("vigil_http_requests_total{route=\"" + path + "\""), std::string::npos)
          << upper << " " << target << " is not routed as " << path;
    }
  }
  EXPECT_GE(operations, 20u);
}

TEST_F(ApiTest, StaticFilesStayInsideTheirRoots) {
  HttpResponse index = Get("/");
  ASSERT_EQ(index.status, 200);
  bool csp = false, nosniff = false;
  for (const auto& [k, v] : index.headers) {
    csp |= k == "Content-Security-Policy" && v.find("script-src 'self'") != std::string::npos;
    nosniff |= k == "X-Content-Type-Options" && v == "nosniff";
  }
  EXPECT_TRUE(csp);
  EXPECT_TRUE(nosniff);
  EXPECT_EQ(Get("/vendor/uplot/dist/uPlot.min.css").status, 200);
  EXPECT_EQ(Get("/vendor/playwright-core/package.json").status, 404);  // not on the allow-list
  for (const char* evil : {"/../CMakeLists.txt", "/vendor/../CMakeLists.txt", "/vendor/uplot/../../CMakeLists.txt",
                           "/data/../../src/api/api.h", "/.git/config", "/vendor/uplot/%2e%2e/package.json"}) {
    HttpResponse r = Get(evil);
    EXPECT_EQ(r.status, 404) << evil;
  }
}

TEST_F(ApiTest, CorsReadsOpenWritesClosed) {
  HttpResponse get = Get("/v2/datasources");
  bool open = false;
  for (const auto& [k, v] : get.headers) open |= k == "Access-Control-Allow-Origin" && v == "*";
  EXPECT_TRUE(open);
  HttpResponse pre_read = Call("OPTIONS", "/v2/datasources", "",
                               {{"Origin", "https://x.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(pre_read.status, 204);
  HttpResponse pre_write = Call("OPTIONS", "/api/v1/annotations", "",
                                {{"Origin", "https://x.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre_write.status, 403);
  for (const auto& [k, v] : pre_write.headers) EXPECT_NE(k, "Access-Control-Allow-Origin");
}

std::string Hmac(const std::string& key, const std::string& message) {
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return hex;
}

// A webhook receiver on 127.0.0.1 for the tests: records each delivery with whether its HMAC-SHA256 signature
// verifies, and answers `first_status` to the first delivery and 200 to the rest.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(int first_status) {
    server_.Post("/hook", [this, first_status](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      std::string expected = "sha256=" + Hmac(secret_, req.get_header_value("X-Vigil-Timestamp") + "." + req.body);
      received_.emplace_back(req.body, req.get_header_value("X-Vigil-Signature") == expected);
      res.status = ++calls_ == 1 ? first_status : 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ > 0) thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() { Stop(); }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  const std::string& secret() const { return secret_; }
  std::vector<std::pair<std::string, bool>> received() {  // body, signature valid
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  const std::string secret_ = "receiver-secret-0123456789";
  httplib::Server server_;
  std::mutex mu_;
  std::vector<std::pair<std::string, bool>> received_;
  int calls_ = 0;
  int port_ = -1;
  std::thread thread_;
};

TEST_F(ApiTest, WebhooksAreSignedAndRetriedAfterA500) {
  WebhookReceiver receiver(/*first_status=*/500);  // the first attempt fails
  ASSERT_GT(receiver.port(), 0);
  const int port = receiver.port();
  const std::string& secret = receiver.secret();
  std::string body = R"({"url":"http://127.0.0.1:)" + std::to_string(port) +
                     R"(/hook","entity":"country/KZ","min_level":"warning","secret":")" + secret + "\"}";
  EXPECT_EQ(Call("POST", "/api/v1/webhooks", body).status, 401);
  HttpResponse reg = Call("POST", "/api/v1/webhooks", body, {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  ASSERT_TRUE(api_->ScanEventsForWebhooks().ok());  // learns the existing events
  EXPECT_EQ(api_->DeliverWebhooks(), 0);
  // A new event in a region of KZ starts.
  std::vector<store::Alert> alerts;
  std::vector<store::Event> events = {
      {0, Id("region", "KZ-PAV"), "outage", kFixtureUntil - 3600, 0, 1000, "bgp", "routing", 0, 0.9, "{}", "{}"}};
  std::vector<store::Schedule> schedules = *store_->ListSchedules({});
  ASSERT_TRUE(store_->ReplaceDetection(kFixtureUntil - 3600, alerts, events, schedules).ok());
  ASSERT_TRUE(api_->ScanEventsForWebhooks().ok());
  EXPECT_EQ(api_->DeliverWebhooks(), 1);  // answered 500
  EXPECT_EQ(api_->DeliverWebhooks(), 1);  // retried (back-off 0 in this test), answered 200
  EXPECT_EQ(api_->DeliverWebhooks(), 0);
  receiver.Stop();
  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 2u);
  for (const auto& [payload, valid] : received) {
    EXPECT_TRUE(valid);
    json j = json::parse(payload);
    EXPECT_EQ(j["notice"], "event.start");
    EXPECT_EQ(j["sent_for"]["location"], "region/KZ-PAV");
  }
  HttpResponse log = Call("GET", "/api/v1/webhooks", "", {{"Authorization", std::string("Bearer ") + kToken}});
  json deliveries = json::parse(log.body)["deliveries"];
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0]["state"], "delivered");
  EXPECT_EQ(deliveries[0]["attempts"], 2);
  EXPECT_EQ(deliveries[0]["log"].size(), 2u);
}

// min_level is "warning" or "critical" (anything else is refused), and a "critical" hook skips a shallow event.
TEST_F(ApiTest, WebhookMinLevelChoosesWhichEventsAreSent) {
  WebhookReceiver receiver(/*first_status=*/200);
  ASSERT_GT(receiver.port(), 0);
  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", std::string("Bearer ") + kToken}};
  auto body = [&](const std::string& level) {
    return R"({"url":"http://127.0.0.1:)" + std::to_string(receiver.port()) +
           R"(/hook","entity":"country/KZ","min_level":")" + level + R"(","secret":")" + receiver.secret() + "\"}";
  };
  for (const char* refused : {"normal", "Critical", ""}) {
    EXPECT_EQ(Call("POST", "/api/v1/webhooks", body(refused), auth).status, 400) << refused;
  }
  HttpResponse reg = Call("POST", "/api/v1/webhooks", body("critical"), auth);
  ASSERT_EQ(reg.status, 201) << reg.body;
  ASSERT_TRUE(api_->ScanEventsForWebhooks().ok());
  EXPECT_EQ(api_->DeliverWebhooks(), 0);
  // A 30 % drop (warning) and a 90 % drop (critical) in regions of KZ start.
  std::vector<store::Alert> alerts;
  std::vector<store::Event> events = {
      {0, Id("region", "KZ-PAV"), "outage", kFixtureUntil - 3600, 0, 1000, "bgp", "routing", 0, 0.3, "{}", "{}"},
      {0, Id("region", "KZ-ALA"), "outage", kFixtureUntil - 3600, 0, 1000, "bgp", "routing", 0, 0.9, "{}", "{}"}};
  std::vector<store::Schedule> schedules = *store_->ListSchedules({});
  ASSERT_TRUE(store_->ReplaceDetection(kFixtureUntil - 3600, alerts, events, schedules).ok());
  ASSERT_TRUE(api_->ScanEventsForWebhooks().ok());
  EXPECT_EQ(api_->DeliverWebhooks(), 1);
  receiver.Stop();
  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(json::parse(received[0].first)["sent_for"]["location"], "region/KZ-ALA");
}

// A webhook registered before a restart still fires afterwards, and a notice whose delivery failed before the
// restart is retried by the new process: both live in the SQLite store (`vigil serve` restarted = a new Api on
// a newly opened store).
TEST_F(ApiTest, WebhooksSurviveARestart) {
  std::string path = ::testing::TempDir() + "vigil_webhook_restart_" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  WebhookReceiver receiver(/*first_status=*/503);  // the attempt before the restart fails
  ASSERT_GT(receiver.port(), 0);
  const int port = receiver.port();
  const std::string& secret = receiver.secret();
  ApiOptions options;
  options.admin_token = kToken;
  options.webhook_backoff_s = {0, 0};
  auto add_event = [](store::Store& store, int64_t entity, int64_t start) {
    std::vector<store::Alert> alerts;
    std::vector<store::Event> events = {{0, entity, "outage", start, 0, 1000, "bgp", "routing", 0, 0.9, "{}", "{}"}};
    std::vector<store::Schedule> schedules = *store.ListSchedules({});
    return store.ReplaceDetection(start, alerts, events, schedules);
  };
  int64_t hook_id = 0;
  {
    auto opened = store::OpenStore(path);
    ASSERT_TRUE(opened.ok()) << opened.message();
    store::Store& store = **opened;
    ASSERT_TRUE(api_test::WriteKzFixture(store).ok());
    auto webhooks = store::OpenWebhookStore(path);
    ASSERT_TRUE(webhooks.ok()) << webhooks.message();
    Api api(store, **webhooks, options);
    HttpRequest reg;
    reg.method = "POST";
    reg.path = "/api/v1/webhooks";
    reg.headers = {{"Authorization", std::string("Bearer ") + kToken}};
    reg.body = R"({"url":"http://127.0.0.1:)" + std::to_string(port) + R"(/hook","entity":"country/KZ","secret":")" +
               secret + "\"}";
    HttpResponse registered = api.Handle(reg);
    ASSERT_EQ(registered.status, 201) << registered.body;
    hook_id = json::parse(registered.body)["id"];
    ASSERT_TRUE(api.ScanEventsForWebhooks().ok());  // learns the fixture's events
    ASSERT_TRUE(add_event(store, (*store.FindEntity("region", "KZ-PAV"))->id, kFixtureUntil - 7200).ok());
    ASSERT_TRUE(api.ScanEventsForWebhooks().ok());
    EXPECT_EQ(api.DeliverWebhooks(), 1);  // answered 503: stays pending
  }
  {
    auto opened = store::OpenStore(path);
    ASSERT_TRUE(opened.ok()) << opened.message();
    store::Store& store = **opened;
    auto webhooks = store::OpenWebhookStore(path);
    ASSERT_TRUE(webhooks.ok()) << webhooks.message();
    Api api(store, **webhooks, options);
    EXPECT_EQ(api.DeliverWebhooks(), 1);  // the pending notice, retried by the new process
    // An event that starts while the server is down is new to the restarted one.
    ASSERT_TRUE(add_event(store, (*store.FindEntity("region", "KZ-ALA"))->id, kFixtureUntil - 3600).ok());
    ASSERT_TRUE(api.ScanEventsForWebhooks().ok());
    EXPECT_EQ(api.DeliverWebhooks(), 1);
    EXPECT_EQ(api.DeliverWebhooks(), 0);
    HttpRequest list;
    list.path = "/api/v1/webhooks";
    list.headers = {{"Authorization", std::string("Bearer ") + kToken}};
    json listed = json::parse(api.Handle(list).body);
    ASSERT_EQ(listed["webhooks"].size(), 1u);
    EXPECT_EQ(listed["webhooks"][0]["id"], hook_id);
    ASSERT_EQ(listed["deliveries"].size(), 2u);
    EXPECT_EQ(listed["deliveries"][0]["attempts"], 2);
    EXPECT_EQ(listed["deliveries"][0]["log"].size(), 2u);
    EXPECT_EQ(listed["deliveries"][0]["state"], "delivered");
    EXPECT_EQ(listed["deliveries"][1]["state"], "delivered");
    // Deleting persists too.
    HttpRequest del = list;
    del.method = "DELETE";
    del.path = "/api/v1/webhooks/" + std::to_string(hook_id);
    EXPECT_EQ(api.Handle(del).status, 200);
  }
  {
    auto opened = store::OpenWebhookStore(path);
    ASSERT_TRUE(opened.ok());
    auto hooks = (*opened)->ListWebhooks();
    ASSERT_TRUE(hooks.ok());
    EXPECT_TRUE(hooks->empty());
  }
  receiver.Stop();
  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 3u);
  std::vector<std::string> locations;
  for (const auto& [payload, valid] : received) {
    EXPECT_TRUE(valid);
    json j = json::parse(payload);
    EXPECT_EQ(j["notice"], "event.start");
    locations.push_back(j["sent_for"]["location"]);
  }
  EXPECT_EQ(locations, (std::vector<std::string>{"region/KZ-PAV", "region/KZ-PAV", "region/KZ-ALA"}));
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

TEST_F(ApiTest, ServerOnLoopbackEnforcesLimits) {
  ServerOptions options;
  options.port = 0;
  options.threads = 2;
  options.max_body_bytes = 1024;
  Server server(*api_, options);
  ASSERT_TRUE(server.Bind().ok());
  std::thread thread([&] { server.Run(); });
  httplib::Client client("127.0.0.1", server.port());
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto big = client.Post("/api/v1/annotations", std::string(4096, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  std::string many = "/v2/datasources?";
  for (int i = 0; i < 100; ++i) many += "p" + std::to_string(i) + "=1&";
  auto params = client.Get(many.c_str());
  ASSERT_TRUE(params);
  EXPECT_EQ(params->status, 400);
  auto signals = client.Get("/v2/signals/raw/region/KZ-ALA?from=1641340800&until=1641772800&maxPoints=3000");
  ASSERT_TRUE(signals);
  EXPECT_EQ(json::parse(signals->body)["data"][0].size(), 4u);
  server.Stop();
  thread.join();
  std::string host;
  int port = 0;
  EXPECT_TRUE(ParseListen("127.0.0.1:8080", host, port).ok());
  EXPECT_EQ(port, 8080);
  EXPECT_FALSE(ParseListen("localhost", host, port).ok());
  EXPECT_FALSE(ParseListen("127.0.0.1:99999", host, port).ok());
}

// A second server on a port already listened on fails and names the address (no SO_REUSEPORT sharing).
TEST_F(ApiTest, APortInUseIsAnErrorNamingIt) {
  ServerOptions options;
  options.port = 0;
  Server first(*api_, options);
  ASSERT_TRUE(first.Bind().ok());
  options.port = first.port();
  Server second(*api_, options);
  Status bound = second.Bind();
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.message().find("127.0.0.1:" + std::to_string(first.port()) + " is already in use"), std::string::npos)
      << bound.message();
}

// The kernel queues a burst of connections up to the backlog before the server accepts any: 300 connections
// to a bound server that is not accepting yet all complete (with a backlog of 5, all but ~6 would stall).
TEST_F(ApiTest, ListenBacklogHoldsABurstOfConnections) {
  ServerOptions options;
  options.port = 0;
  options.listen_backlog = 512;
  Server server(*api_, options);
  ASSERT_TRUE(server.Bind().ok());
  std::vector<int> sockets;
  int connected = 0;
  for (int i = 0; i < 300; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(server.port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    sockets.push_back(fd);
  }
  for (int fd : sockets) {
    pollfd p{fd, POLLOUT, 0};
    int error = -1;
    socklen_t length = sizeof error;
    if (poll(&p, 1, 2000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
      ++connected;
    }
    close(fd);
  }
  EXPECT_EQ(connected, 300);
}

TEST_F(ApiTest, RateLimitIsPerClientWith429AndRetryAfter) {
  ApiOptions options;
  options.rate_limit_per_s = 0.5;
  options.rate_burst = 3;
  Api limited(*store_, *webhooks_, options);
  auto get = [&](const std::string& client, const std::string& path) {
    HttpRequest request;
    request.path = path;
    request.client = client;
    return limited.Handle(request);
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("192.0.2.1", "/v2/datasources").status, 200) << i;
  HttpResponse refused = get("192.0.2.1", "/v2/datasources");
  EXPECT_EQ(refused.status, 429);
  std::string retry;
  for (const auto& [k, v] : refused.headers) {
    if (k == "Retry-After") retry = v;
  }
  EXPECT_EQ(retry, "2");  // one token at 0.5 per second
  EXPECT_NE(refused.body.find("192.0.2.1"), std::string::npos);
  EXPECT_EQ(get("192.0.2.2", "/v2/datasources").status, 200);  // another client has its own bucket
  EXPECT_EQ(get("192.0.2.1", "/healthz").status, 200);         // health checks are not counted
}

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

std::string Gunzip(const std::string& in) {
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int result = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return result == Z_STREAM_END ? out : "";
}

TEST_F(ApiTest, ReadsCarryEtagCacheControlAndGzipWhenAsked) {
  std::string target = "/v2/signals/raw/region/KZ-ALA?" + Window(kFixtureFrom, kFixtureUntil);
  HttpResponse plain = Get(target);
  ASSERT_EQ(plain.status, 200);
  std::string etag = HeaderOf(plain, "ETag");
  EXPECT_EQ(etag.rfind("W/\"", 0), 0u) << etag;
  EXPECT_EQ(HeaderOf(plain, "Cache-Control"), "public, max-age=0");
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  HttpResponse again = Get(target, {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get(target, {{"If-None-Match", "W/\"0000000000000000\""}}).status, 200);
  HttpResponse packed = Get(target, {{"Accept-Encoding", "br, gzip;q=0.9"}});
  ASSERT_EQ(HeaderOf(packed, "Content-Encoding"), "gzip");
  EXPECT_LT(packed.body.size(), plain.body.size() / 2);
  json a = json::parse(Gunzip(packed.body)), b = json::parse(plain.body);
  EXPECT_EQ(a["data"], b["data"]);
  EXPECT_EQ(HeaderOf(packed, "ETag"), etag);  // the same representation's validator, compressed or not
}

TEST_F(ApiTest, IodaDashboardPreflightAndMaxPointsNull) {
  HttpResponse pre = Call("OPTIONS", "/v2/signals/raw/country/KZ", "",
                          {{"Origin", "https://ioda.example"},
                           {"Access-Control-Request-Method", "GET"},
                           {"Access-Control-Request-Headers", "x-requested-with"}});
  EXPECT_EQ(pre.status, 204);
  std::string allowed = HeaderOf(pre, "Access-Control-Allow-Headers");
  for (char& c : allowed) c = static_cast<char>(std::tolower(c));
  EXPECT_NE(allowed.find("x-requested-with"), std::string::npos) << allowed;
  json j = GetJson("/v2/signals/raw/region/KZ-ALA?" + Window(kFixtureFrom, kFixtureUntil) + "&maxPoints=null");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["requestParameters"]["maxPoints"].is_null());
}

TEST_F(ApiTest, RangeTimesEntitiesIsCappedWithA400NamingTheLimit) {
  std::string codes;
  for (int i = 0; i < 100; ++i) codes += (i ? ",R" : "R") + std::to_string(i);
  // 100 entities x 366 days of 5-minute bins: each series is under its own limit, the request is not.
  json j = GetJson("/v2/signals/raw/region/" + codes +
                       "?from=1600000000&until=" + std::to_string(1600000000 + 366LL * 86400 - 300) + "&datasource=bgp",
                   400);
  EXPECT_NE(j["error"].get<std::string>().find("more than the limit of 1000000 values per request"), std::string::npos)
      << j["error"];
}

}  // namespace
}  // namespace vigil::api
