// SPDX-License-Identifier: AGPL-3.0-or-later
// The contract of store.h, one suite run against every implementation of Store: SQLite in memory, SQLite in a
// file, and ClickHouse (a private clickhouse-server this process starts; those cases skip, saying why, when the
// server is not installed). A new backend joins by adding one line to kBackends. Expected values follow from
// the rules written in store.h, never from what one backend happens to answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <tuple>
#include <memory>
#include <string>

#include "store/clickhouse_server_for_test.h"
#include "store/store.h"

namespace vigil::store {
namespace {

std::atomic<int> store_count{0};

// The value of a call that must succeed (an empty one, after a failure is recorded).
template <typename T>
T Must(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.message();
  return result.ok() ? std::move(result).value() : T{};
}

std::string FreshName() { return "contract_" + std::to_string(::getpid()) + "_" + std::to_string(++store_count); }

Result<std::unique_ptr<Store>> OpenSqliteMemory() { return OpenStore(":memory:"); }

// Files in a folder of this process, removed when it exits.
Result<std::unique_ptr<Store>> OpenSqliteFile() {
  struct Folder {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("vigil_store_contract_" + std::to_string(::getpid()));
    ~Folder() { std::filesystem::remove_all(path); }
  };
  static Folder folder;
  return OpenStore((folder.path / (FreshName() + ".db")).string());
}

// One server for the whole process, started on first use; every test gets a database of its own.
Result<std::unique_ptr<Store>> OpenClickHouse() {
  static std::unique_ptr<ClickHouseServer> server;  // stopped when the process exits
  static std::string failed;
  if (!server && failed.empty()) {
    server = std::make_unique<ClickHouseServer>();
    if (!server->Start("vigil_contract_clickhouse", &failed) && failed.empty()) failed = "did not start";
  }
  if (!failed.empty()) return Status::Unavailable("clickhouse-server: " + failed);
  return OpenStore(server->Uri(FreshName()));
}

struct Backend {
  const char* name;
  std::function<Result<std::unique_ptr<Store>>()> open;
  bool needs_clickhouse;
};

const Backend kBackends[] = {
    {"SqliteMemory", OpenSqliteMemory, false},
    {"SqliteFile", OpenSqliteFile, false},
    {"ClickHouse", OpenClickHouse, true},
};

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().needs_clickhouse && ServerBinary().empty()) {
      GTEST_SKIP() << "clickhouse-server is not installed (apt-get install clickhouse-server)";
    }
    auto opened = GetParam().open();
    ASSERT_TRUE(opened.ok()) << opened.message();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->RegisterDatasource({"bgp", 300, "visible /24s"}).ok());
    ASSERT_TRUE(store_->RegisterDatasource({"ping-slash24", 600, ""}).ok());
    auto kz = store_->UpsertEntity({0, "country", "KZ", "Kazakhstan", 0, 1000, "Asia/Almaty"});
    ASSERT_TRUE(kz.ok()) << kz.message();
    kz_ = *kz;
    auto ala = store_->UpsertEntity({0, "region", "KZ-ALA", "Almaty", kz_, 300, "Asia/Almaty"});
    ASSERT_TRUE(ala.ok()) << ala.message();
    ala_ = *ala;
  }

  Entity MustFind(const std::string& type, const std::string& code) {
    auto found = store_->FindEntity(type, code);
    EXPECT_TRUE(found.ok() && found->has_value()) << type << "/" << code;
    return found.ok() && found->has_value() ? **found : Entity{};
  }
  std::vector<double> Values(const std::string& datasource, int64_t entity, UnixSeconds from, UnixSeconds until) {
    auto points = store_->ReadSeries(datasource, entity, from, until);
    EXPECT_TRUE(points.ok()) << points.message();
    std::vector<double> out;
    if (points.ok()) {
      for (const SeriesPoint& p : *points) out.push_back(p.value);
    }
    return out;
  }
  static IngestCommit Input(const std::string& sha, int64_t entity, UnixSeconds t, double value) {
    IngestCommit c;
    c.input = {sha, "file-" + sha, "mrt-updates", "rrc00", 1, t, t, 5, {}};
    c.series.push_back({"bgp", {{entity, t, value}}});
    c.state.push_back({"bgp/rrc00", "after " + sha});
    return c;
  }

  std::unique_ptr<Store> store_;
  int64_t kz_ = 0, ala_ = 0;
};

TEST_P(StoreContract, UpsertKeepsStoredFieldsGivenEmpty) {
  auto again = store_->UpsertEntity({0, "region", "KZ-ALA", "", 0, 0, ""});
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(*again, ala_);
  Entity ala = MustFind("region", "KZ-ALA");
  EXPECT_EQ(ala.name, "Almaty");
  EXPECT_EQ(ala.parent_id, kz_);
  EXPECT_EQ(ala.slash24_count, 300);
  EXPECT_EQ(ala.tz, "Asia/Almaty");
  ASSERT_TRUE(store_->UpsertEntity({0, "region", "KZ-ALA", "Almaty City", 0, 310, ""}).ok());
  ala = MustFind("region", "KZ-ALA");
  EXPECT_EQ(ala.name, "Almaty City");  // given fields replace
  EXPECT_EQ(ala.slash24_count, 310);
  EXPECT_EQ(ala.tz, "Asia/Almaty");
  std::vector<Entity> many = {{0, "asn", "9198", "KazTelecom", 0, 50, ""}, {0, "country", "KZ", "", 0, 0, ""}};
  ASSERT_TRUE(store_->UpsertEntities(many).ok());
  EXPECT_GT(many[0].id, ala_);
  EXPECT_EQ(many[1].id, kz_);
  EXPECT_EQ(MustFind("country", "KZ").name, "Kazakhstan");
  auto by_id = store_->EntityById(many[0].id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->code, "9198");
  EXPECT_FALSE(store_->EntityById(987654)->has_value());
  EXPECT_FALSE(store_->FindEntity("country", "ZZ")->has_value());
}

TEST_P(StoreContract, EnsureEntityLeavesAStoredEntityAlone) {
  auto stored = store_->EnsureEntity({0, "region", "KZ-ALA", "KZ-ALA", 0, 0, ""});
  ASSERT_TRUE(stored.ok()) << stored.message();
  EXPECT_EQ(stored->id, ala_);
  EXPECT_FALSE(stored->created);
  EXPECT_EQ(MustFind("region", "KZ-ALA").name, "Almaty");
  auto made = store_->EnsureEntity({0, "region", "KZ-AST", "KZ-AST", kz_, 0, ""});
  ASSERT_TRUE(made.ok()) << made.message();
  EXPECT_TRUE(made->created);
  EXPECT_EQ(MustFind("region", "KZ-AST").id, made->id);
  EXPECT_EQ(MustFind("region", "KZ-AST").parent_id, kz_);
  auto twice = store_->EnsureEntity({0, "region", "KZ-AST", "other", 0, 0, ""});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->id, made->id);
  EXPECT_FALSE(twice->created);
  EXPECT_EQ(MustFind("region", "KZ-AST").name, "KZ-AST");
}

TEST_P(StoreContract, RowsWithoutTheirKeyAreRefused) {
  EXPECT_FALSE(store_->UpsertEntity({0, "", "KZ", "x", 0, 0, ""}).ok());
  EXPECT_FALSE(store_->UpsertEntity({0, "country", "", "x", 0, 0, ""}).ok());
  EXPECT_FALSE(store_->EnsureEntity({0, "country", "", "x", 0, 0, ""}).ok());
  EXPECT_FALSE(store_->RegisterDatasource({"", 300, ""}).ok());
  EXPECT_FALSE(store_->RegisterDatasource({"rtt", 0, ""}).ok());
  EXPECT_FALSE(store_->AddAnnotation({0, kz_, 0, 0, "", "no kind", "", ""}).ok());
  EXPECT_FALSE(store_->AddAnnotation({0, 987654321, 0, 0, "note", "unknown entity", "", ""}).ok());
  EXPECT_FALSE(store_->WriteSeries({{"unregistered", {{ala_, 0, 1}}}}).ok());
  EXPECT_FALSE(store_->WriteSeries({{"bgp", {{ala_, 0, std::nan("")}}}}).ok());
  EXPECT_FALSE(store_->WriteSeries({{"bgp", {{ala_, 0, std::numeric_limits<double>::infinity()}}}}).ok());
  EXPECT_FALSE(store_->ReadAggregated("bgp", ala_, 0, 3600, 0).ok());         // step 0
  EXPECT_FALSE(store_->ReadAggregated("bgp", ala_, 3600, 3600, 300).ok());    // empty range
  EXPECT_FALSE(store_->ReadAggregated("bgp", ala_, 0, 400'000'000, 1).ok());  // too many buckets
  EXPECT_FALSE(store_->ReadAggregated("unregistered", ala_, 0, 3600, 300).ok());
}

TEST_P(StoreContract, ListEntitiesFiltersAndOrders) {
  ASSERT_TRUE(store_->UpsertEntity({0, "asn", "9198", "KazTelecom", 0, 50, ""}).ok());
  ASSERT_TRUE(store_->UpsertEntity({0, "region", "KZ-AST", "Astana", kz_, 200, ""}).ok());
  auto codes = [&](const EntityQuery& q) {
    std::vector<std::string> out;
    for (const Entity& e : Must(store_->ListEntities(q))) out.push_back(e.type + "/" + e.code);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(codes({}), (V{"asn/9198", "country/KZ", "region/KZ-ALA", "region/KZ-AST"}));
  EXPECT_EQ(codes({std::string("region"), {}, {}, {}, 0, 0}), (V{"region/KZ-ALA", "region/KZ-AST"}));
  EXPECT_EQ(codes({{}, std::string("KZ"), {}, {}, 0, 0}), (V{"country/KZ"}));
  EXPECT_EQ(codes({{}, {}, kz_, {}, 0, 0}), (V{"region/KZ-ALA", "region/KZ-AST"}));
  EXPECT_EQ(codes({{}, {}, {}, std::string("ASTA"), 0, 0}), (V{"region/KZ-AST"}));  // name, any case
  EXPECT_EQ(codes({{}, {}, {}, std::string("kz-"), 0, 0}), (V{"region/KZ-ALA", "region/KZ-AST"}));
  EXPECT_EQ(codes({{}, {}, {}, {}, 2, 1}), (V{"country/KZ", "region/KZ-ALA"}));
}

TEST_P(StoreContract, IngestIsIdempotentBySha256AndAtomic) {
  auto first = store_->TryCommitIngest(Input("a", ala_, 600, 1));
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_TRUE(*first);
  EXPECT_TRUE(*store_->HasInput("a"));
  EXPECT_FALSE(*store_->HasInput("b"));
  auto repeated = store_->TryCommitIngest(Input("a", ala_, 600, 99));
  ASSERT_TRUE(repeated.ok());
  EXPECT_FALSE(*repeated);  // already present: nothing changes
  EXPECT_EQ(Values("bgp", ala_, 0, 0x7fffffff), (std::vector<double>{1}));
  ASSERT_TRUE(store_->CommitIngest(Input("a", ala_, 900, 5)).ok());  // OK, and still nothing changes
  EXPECT_EQ(Values("bgp", ala_, 0, 0x7fffffff), (std::vector<double>{1}));
  // A group: present and repeated inputs are skipped; a later input wins for the same key, state likewise.
  auto group = store_->TryCommitIngestGroup(
      {Input("a", ala_, 600, 7), Input("b", ala_, 600, 2), Input("b", ala_, 900, 8), Input("c", ala_, 600, 3)});
  ASSERT_TRUE(group.ok()) << group.message();
  EXPECT_EQ(*group, (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ(Values("bgp", ala_, 0, 0x7fffffff), (std::vector<double>{3}));
  EXPECT_EQ(**store_->GetState("bgp/rrc00"), "after c");
  EXPECT_FALSE(store_->GetState("nothing")->has_value());
  // An input that cannot be written leaves nothing, not even its inputs row.
  IngestCommit bad = Input("d", ala_, 1200, 4);
  bad.series.push_back({"unregistered", {{ala_, 1200, 1}}});
  EXPECT_FALSE(store_->TryCommitIngest(bad).ok());
  EXPECT_FALSE(*store_->HasInput("d"));
  EXPECT_EQ(Values("bgp", ala_, 0, 0x7fffffff), (std::vector<double>{3}));
  EXPECT_EQ(**store_->GetState("bgp/rrc00"), "after c");
}

TEST_P(StoreContract, InputsAreListedByTheirSpan) {
  for (auto [sha, from, until] : {std::tuple{"x", 100, 200}, {"y", 300, 400}, {"z", 50, 1000}}) {
    IngestCommit c = Input(sha, ala_, from, 1);
    c.input.last_t = until;
    ASSERT_TRUE(store_->CommitIngest(c).ok());
  }
  auto shas = [&](UnixSeconds from, UnixSeconds until) {
    std::string out;
    for (const InputRecord& r : Must(store_->ListInputs(from, until))) out += r.sha256;
    return out;
  };
  EXPECT_EQ(shas(0, 0), "zxy");  // by first_t
  EXPECT_EQ(shas(250, 300), "z");
  EXPECT_EQ(shas(200, 301), "zxy");
  EXPECT_EQ(shas(401, 0), "z");
  InputRecord x = Must(store_->ListInputs(100, 101)).at(1);
  EXPECT_EQ(x.name, "file-x");
  EXPECT_EQ(x.kind, "mrt-updates");
  EXPECT_EQ(x.collector, "rrc00");
  EXPECT_EQ(x.ingested_at, 5);
}

TEST_P(StoreContract, SeriesReadsAndAggregates) {
  // 12 bins of 300 s from 3600; bin 5 missing; a second write of bin 2 wins.
  std::vector<SeriesPoint> points;
  for (int i = 0; i < 12; ++i) {
    if (i != 5) points.push_back({ala_, 3600 + i * 300, static_cast<double>(i)});
  }
  ASSERT_TRUE(store_->WriteSeries({{"bgp", points}}).ok());
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 3600 + 600, 20}, {kz_, 3600, 1}}}}).ok());
  EXPECT_EQ(Values("bgp", ala_, 3600, 3600 + 1500), (std::vector<double>{0, 1, 20, 3, 4}));  // until exclusive
  EXPECT_EQ(Values("bgp", ala_, 3600 + 1200, 3600 + 2100), (std::vector<double>{4, 6}));     // missing stays missing
  EXPECT_TRUE(Values("ping-slash24", ala_, 0, 100000).empty());
  auto hourly = store_->ReadAggregated("bgp", ala_, 3600 - 600, 3600 + 3000, 1800);
  ASSERT_TRUE(hourly.ok()) << hourly.message();
  EXPECT_EQ(hourly->native_step_s, 300);
  EXPECT_EQ(hourly->step_s, 1800);
  ASSERT_EQ(hourly->values.size(), 2u);  // buckets aligned to `from`: [3000, 4800), [4800, 6600)
  EXPECT_DOUBLE_EQ(*hourly->values[0], (0 + 1 + 20 + 3) / 4.0);
  EXPECT_DOUBLE_EQ(*hourly->values[1], (4 + 6 + 7 + 8 + 9) / 5.0);
  auto before = store_->ReadAggregated("bgp", ala_, 0, 3600, 1800);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->values, (std::vector<std::optional<double>>{std::nullopt, std::nullopt}));
  auto many = store_->ReadAggregatedMany("bgp", {kz_, ala_}, 3600 - 600, 3600 + 3000, 1800);
  ASSERT_TRUE(many.ok()) << many.message();
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0].entity_id, kz_);
  EXPECT_EQ((*many)[0].values[0], 1.0);
  EXPECT_EQ((*many)[1].values, hourly->values);
  auto with = store_->EntitiesWithSeries("bgp");
  ASSERT_TRUE(with.ok());
  std::sort(with->begin(), with->end());
  EXPECT_EQ(*with, (std::vector<int64_t>{kz_, ala_}));
  EXPECT_TRUE(Must(store_->EntitiesWithSeries("ping-slash24")).empty());
  auto span = store_->SeriesSpan("bgp");
  ASSERT_TRUE(span.ok() && span->has_value());
  EXPECT_EQ(**span, std::make_pair(UnixSeconds{3600}, UnixSeconds{3600 + 11 * 300}));
  EXPECT_FALSE(store_->SeriesSpan("ping-slash24")->has_value());
}

TEST_P(StoreContract, DatasourcesAreListedByName) {
  ASSERT_TRUE(store_->RegisterDatasource({"bgp", 600, ""}).ok());  // a new step; the description stays
  auto listed = store_->ListDatasources();
  ASSERT_TRUE(listed.ok()) << listed.message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "bgp");
  EXPECT_EQ((*listed)[0].step_s, 600);
  EXPECT_EQ((*listed)[0].description, "visible /24s");
  EXPECT_EQ((*listed)[1].name, "ping-slash24");
}

TEST_P(StoreContract, ReplaceDetectionResolvesScheduleIds) {
  std::vector<Schedule> schedules = {{0, ala_, "Asia/Almaty", 360, 1380, "2022-01-05", "2022-01-10", 0.9}};
  std::vector<Alert> alerts = {{0, "bgp", ala_, 1000, AlertLevel::kCritical, "< 0.8", 10, 100, "median"}};
  std::vector<Event> events = {{0, ala_, "outage", 1000, 2000, 5, "bgp", "routing", -1, 0.9, "{}", "{}"},
                               {0, kz_, "outage", 5000, 0, 1, "bgp,ping-slash24", "routing", 0, 0.1, "", ""}};
  ASSERT_TRUE(store_->ReplaceDetection(0, alerts, events, schedules).ok());
  const int64_t first_schedule = schedules[0].id;
  EXPECT_GT(first_schedule, 0);
  EXPECT_GT(alerts[0].id, 0);
  EXPECT_EQ(events[0].schedule_id, first_schedule);  // index -1 became the id
  EXPECT_EQ(events[1].schedule_id, 0);
  EXPECT_NE(events[0].id, events[1].id);

  // From 4000: the first event stays, the second is replaced; the schedule is kept by id and one is new.
  std::vector<Schedule> next = {schedules[0], {0, kz_, "Asia/Almaty", 0, 60, "2022-01-06", "2022-01-09", 0.5}};
  std::vector<Alert> no_alerts;
  std::vector<Event> later = {{0, kz_, "outage", 4500, 6000, 7, "ping-slash24", "data-plane", -2, 0.99, "", ""},
                              {0, kz_, "outage", 7000, 8000, 2, "bgp", "routing", first_schedule, 0.5, "", ""}};
  ASSERT_TRUE(store_->ReplaceDetection(4000, no_alerts, later, next).ok());
  EXPECT_EQ(next[0].id, first_schedule);
  EXPECT_GT(next[1].id, first_schedule);
  EXPECT_EQ(later[0].schedule_id, next[1].id);
  EXPECT_EQ(later[1].schedule_id, first_schedule);
  auto listed = store_->ListEvents({});
  ASSERT_TRUE(listed.ok()) << listed.message();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, events[0].id);  // kept from before from_t, with its schedule
  EXPECT_EQ((*listed)[0].schedule_id, first_schedule);
  EXPECT_EQ((*listed)[0].coverage, "{}");
  EXPECT_EQ((*listed)[1].start_t, 4500);
  EXPECT_EQ(Must(store_->ListAlerts({})).size(), 1u);  // the alert at 1000 stays

  // Dropping every schedule: events kept from before from_t lose theirs; ids are never reused.
  std::vector<Schedule> none;
  std::vector<Event> no_events;
  ASSERT_TRUE(store_->ReplaceDetection(6500, no_alerts, no_events, none).ok());
  EXPECT_TRUE(Must(store_->ListSchedules({})).empty());
  listed = store_->ListEvents({});
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].schedule_id, 0);
  EXPECT_EQ((*listed)[1].schedule_id, 0);
  std::vector<Schedule> fresh = {{0, ala_, "UTC", 0, 60, "2022-02-01", "2022-02-02", 0.5}};
  ASSERT_TRUE(store_->ReplaceDetection(6500, no_alerts, no_events, fresh).ok());
  EXPECT_GT(fresh[0].id, next[1].id);
}

TEST_P(StoreContract, ReplaceDetectionRefusesBadScheduleReferences) {
  std::vector<Alert> alerts;
  std::vector<Schedule> twice = {{7, ala_, "UTC", 0, 60, "2022-01-01", "2022-01-02", 1},
                                 {7, ala_, "UTC", 0, 60, "2022-01-03", "2022-01-04", 1}};
  std::vector<Event> events;
  EXPECT_FALSE(store_->ReplaceDetection(0, alerts, events, twice).ok());  // an id given twice
  std::vector<Schedule> one = {{0, ala_, "UTC", 0, 60, "2022-01-01", "2022-01-02", 1}};
  std::vector<Event> beyond = {{0, ala_, "outage", 10, 20, 1, "bgp", "routing", -2, 0.5, "", ""}};
  EXPECT_FALSE(store_->ReplaceDetection(0, alerts, beyond, one).ok());  // index past the end
  std::vector<Event> unknown = {{0, ala_, "outage", 10, 20, 1, "bgp", "routing", 424242, 0.5, "", ""}};
  one[0].id = 0;
  EXPECT_FALSE(store_->ReplaceDetection(0, alerts, unknown, one).ok());  // an id the call does not keep
}

TEST_P(StoreContract, ListingsFilterByTimeEntityAndDatasource) {
  std::vector<Schedule> schedules = {{0, ala_, "UTC", 0, 60, "2022-01-01", "2022-01-02", 1},
                                     {0, kz_, "UTC", 0, 60, "2022-01-01", "2022-01-02", 1}};
  std::vector<Alert> alerts = {{0, "bgp", ala_, 1000, AlertLevel::kWarning, "< 0.99", 95, 100, "median"},
                               {0, "ping-slash24", kz_, 2000, AlertLevel::kCritical, "< 0.8", 1, 100, "median"},
                               {0, "bgp", kz_, 3000, AlertLevel::kNormal, "", 100, 100, "median"}};
  std::vector<Event> events = {{0, ala_, "outage", 1000, 2000, 5, "bgp", "routing", 0, 0.9, "", ""},
                               {0, kz_, "outage", 1500, 0, 1, "bgp,ping-slash24", "routing", 0, 0.1, "", ""},
                               {0, kz_, "throttling", 4000, 4500, 1, "rtt-p50", "throttling", 0, 2, "", ""}};
  ASSERT_TRUE(store_->ReplaceDetection(0, alerts, events, schedules).ok());
  auto alert_times = [&](const TimeFilter& f) {
    std::vector<UnixSeconds> out;
    for (const Alert& a : Must(store_->ListAlerts(f))) out.push_back(a.t);
    return out;
  };
  auto event_starts = [&](const TimeFilter& f) {
    std::vector<UnixSeconds> out;
    for (const Event& e : Must(store_->ListEvents(f))) out.push_back(e.start_t);
    return out;
  };
  using T = std::vector<UnixSeconds>;
  EXPECT_EQ(alert_times({}), (T{1000, 2000, 3000}));
  EXPECT_EQ(alert_times({1500, 3000, {}, {}, 0, 0}), (T{2000}));
  EXPECT_EQ(alert_times({0, 0, {kz_}, {}, 0, 0}), (T{2000, 3000}));
  EXPECT_EQ(alert_times({0, 0, {}, std::string("bgp"), 0, 0}), (T{1000, 3000}));
  EXPECT_EQ(alert_times({0, 0, {}, {}, 1, 1}), (T{2000}));
  EXPECT_EQ(Must(store_->ListAlerts({})).at(1).level, AlertLevel::kCritical);
  EXPECT_EQ(event_starts({}), (T{1000, 1500, 4000}));
  EXPECT_EQ(event_starts({2000, 4000, {}, {}, 0, 0}), (T{1500}));  // overlapping; the open one reaches on
  EXPECT_EQ(event_starts({0, 0, {}, std::string("ping-slash24"), 0, 0}), (T{1500}));
  EXPECT_EQ(event_starts({0, 0, {ala_}, {}, 0, 0}), (T{1000}));
  EXPECT_EQ(event_starts({0, 0, {}, {}, 2, 1}), (T{1500, 4000}));
  auto by_id = store_->EventById(Must(store_->ListEvents({})).at(2).id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->kind, "throttling");
  EXPECT_FALSE(store_->EventById(987654)->has_value());
  auto of_kz = store_->ListSchedules({kz_});
  ASSERT_TRUE(of_kz.ok());
  ASSERT_EQ(of_kz->size(), 1u);
  EXPECT_EQ((*of_kz)[0].id, schedules[1].id);
  EXPECT_EQ(Must(store_->ListSchedules({})).size(), 2u);
}

TEST_P(StoreContract, AnnotationsAreAddedListedAndDeleted) {
  auto first =
      store_->AddAnnotation({0, kz_, 1000, 5000, "state-of-emergency", "it's \"declared\"", "https://x/y", ""});
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = store_->AddAnnotation({0, ala_, 6000, 0, "note", "open", "", ""});
  ASSERT_TRUE(second.ok());
  EXPECT_GT(*second, *first);
  auto listed = store_->ListAnnotations({});
  ASSERT_TRUE(listed.ok()) << listed.message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].text, "it's \"declared\"");
  EXPECT_EQ((*listed)[0].source_url, "https://x/y");
  EXPECT_EQ(Must(store_->ListAnnotations({5000, 7000, {}, {}, 0, 0})).size(), 1u);  // overlapping; open reaches on
  EXPECT_EQ(Must(store_->ListAnnotations({0, 0, {kz_}, {}, 0, 0})).size(), 1u);
  ASSERT_TRUE(store_->DeleteAnnotation(*first).ok());
  EXPECT_FALSE(store_->DeleteAnnotation(*first).ok());
  auto third = store_->AddAnnotation({0, kz_, 0, 0, "note", "", "", ""});
  ASSERT_TRUE(third.ok());
  EXPECT_GT(*third, *second);  // ids are never reused
}

TEST_P(StoreContract, DescribeCountsRowsAndSpans) {
  ASSERT_TRUE(store_->CommitIngest(Input("a", ala_, 600, 1)).ok());
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{kz_, 1500, 2}}}}).ok());
  auto info = store_->Describe();
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_GT(info->schema_version, 0);
  std::map<std::string, int64_t> rows(info->table_rows.begin(), info->table_rows.end());
  EXPECT_EQ(rows["entities"], 2);
  EXPECT_EQ(rows["datasources"], 2);
  EXPECT_EQ(rows["series"], 2);
  EXPECT_EQ(rows["inputs"], 1);
  ASSERT_EQ(info->datasources.size(), 2u);
  EXPECT_EQ(info->datasources[0].datasource.name, "bgp");
  EXPECT_EQ(info->datasources[0].points, 2);
  EXPECT_EQ(info->datasources[0].entities, 2);
  EXPECT_EQ(info->datasources[0].first_t, 600);
  EXPECT_EQ(info->datasources[0].last_t, 1500);
  EXPECT_EQ(info->datasources[1].points, 0);
}

// ----- provenance (docs/store.md "Provenance") -----------------------------------------------------------

IngestCommit SimulatedInput(const std::string& sha, int64_t entity, UnixSeconds t, double value) {
  IngestCommit c;
  c.input = {sha, "sim-" + sha, "mrt-updates", "rrc00", 1, t, t, 5, {}};
  c.input.provenance = {ProvenanceKind::kSimulated, "kz-2022-01", "", "7", "0.1.0"};
  c.series.push_back({"bgp", {{entity, t, value}}});
  return c;
}

TEST_P(StoreContract, InputsRecordTheirProvenance) {
  EXPECT_EQ(Must(store_->InputProvenance()), 0);  // an empty store holds nothing
  IngestCommit observed = Input("obs", ala_, 600, 10);
  observed.input.provenance.source = "rrc00";
  ASSERT_TRUE(store_->CommitIngest(observed).ok());
  ASSERT_TRUE(store_->CommitIngest(SimulatedInput("sim", ala_, 900, 20)).ok());
  auto inputs = Must(store_->ListInputs(0, 0));
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].provenance.kind, ProvenanceKind::kObserved);
  EXPECT_EQ(inputs[1].provenance.kind, ProvenanceKind::kSimulated);
  EXPECT_EQ(inputs[1].provenance.source, "kz-2022-01");
  EXPECT_EQ(inputs[1].provenance.seed, "7");
  EXPECT_EQ(inputs[1].provenance.vigil_version, "0.1.0");
  EXPECT_EQ(Must(store_->InputProvenance()), MaskOf(ProvenanceKind::kObserved) | MaskOf(ProvenanceKind::kSimulated));
  auto sources = Must(store_->ListProvenanceSources(0, 0));
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].provenance.kind, ProvenanceKind::kObserved);
  EXPECT_EQ(sources[0].provenance.source, "rrc00");
  EXPECT_EQ(sources[1].provenance.kind, ProvenanceKind::kSimulated);
  EXPECT_EQ(sources[1].inputs, 1);
  EXPECT_EQ(sources[1].first_t, 900);
  EXPECT_EQ(Must(store_->ListProvenanceSources(0, 700)).size(), 1u);  // only the observed input meets [0, 700)
}

TEST_P(StoreContract, SeriesBucketsSayWhatTheyAreMadeOf) {
  ASSERT_TRUE(store_->CommitIngest(Input("obs", ala_, 600, 10)).ok());
  ASSERT_TRUE(store_->CommitIngest(SimulatedInput("sim", ala_, 900, 20)).ok());
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 1200, 30}}, ProvenanceKind::kImported}}).ok());
  auto agg = Must(store_->ReadAggregated("bgp", ala_, 600, 1800, 300));
  ASSERT_EQ(agg.provenance.size(), 4u);
  EXPECT_EQ(agg.provenance[0], MaskOf(ProvenanceKind::kObserved));
  EXPECT_EQ(agg.provenance[1], MaskOf(ProvenanceKind::kSimulated));
  EXPECT_EQ(agg.provenance[2], MaskOf(ProvenanceKind::kImported));
  EXPECT_EQ(agg.provenance[3], 0);  // no point: no provenance
  EXPECT_EQ(ProvenanceLabel(agg.AllProvenance()), "mixed");
  auto wide = Must(store_->ReadAggregated("bgp", ala_, 600, 1200, 600));
  ASSERT_EQ(wide.provenance.size(), 1u);
  EXPECT_EQ(wide.provenance[0], MaskOf(ProvenanceKind::kObserved) | MaskOf(ProvenanceKind::kSimulated));
  EXPECT_EQ(ProvenanceLabel(Must(store_->ReadAggregated("bgp", ala_, 900, 1200, 300)).AllProvenance()), "simulated");
}

TEST_P(StoreContract, SimulatedPointsNeverReplaceOtherPoints) {
  ASSERT_TRUE(store_->CommitIngest(Input("obs", ala_, 600, 10)).ok());
  ASSERT_TRUE(store_->CommitIngest(SimulatedInput("sim", ala_, 600, 99)).ok());  // the same bin, later
  EXPECT_EQ(Values("bgp", ala_, 600, 900), std::vector<double>{10});
  EXPECT_EQ(Must(store_->ReadAggregated("bgp", ala_, 600, 900, 300)).provenance[0], MaskOf(ProvenanceKind::kObserved));
  // A measurement does replace a simulated point.
  ASSERT_TRUE(store_->CommitIngest(SimulatedInput("sim2", ala_, 1200, 50)).ok());
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 1200, 51}}, ProvenanceKind::kObserved}}).ok());
  EXPECT_EQ(Values("bgp", ala_, 1200, 1500), std::vector<double>{51});
  EXPECT_EQ(Must(store_->ReadAggregated("bgp", ala_, 1200, 1500, 300)).provenance[0],
            MaskOf(ProvenanceKind::kObserved));
  // Simulated over simulated: the later wins.
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 1800, 1}}, ProvenanceKind::kSimulated}}).ok());
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 1800, 2}}, ProvenanceKind::kSimulated}}).ok());
  EXPECT_EQ(Values("bgp", ala_, 1800, 2100), std::vector<double>{2});
}

TEST_P(StoreContract, SimulatedWritersKeepTheirEntityAttributesApart) {
  EXPECT_EQ(MustFind("country", "KZ").provenance, ProvenanceKind::kObserved);
  Entity sim_kz{0, "country", "KZ", "Kazakhstan (sim world)", 0, 40, "Asia/Aqtobe", ProvenanceKind::kSimulated};
  Entity sim_only{0, "asn", "65001", "SimNet", 0, 12, "", ProvenanceKind::kSimulated};
  std::vector<Entity> batch = {sim_kz, sim_only};
  ASSERT_TRUE(store_->UpsertEntities(batch).ok());
  EXPECT_EQ(batch[0].id, kz_);
  // The observed entity is unchanged...
  Entity kz = MustFind("country", "KZ");
  EXPECT_EQ(kz.name, "Kazakhstan");
  EXPECT_EQ(kz.slash24_count, 1000);
  EXPECT_EQ(kz.tz, "Asia/Almaty");
  EXPECT_EQ(kz.provenance, ProvenanceKind::kObserved);
  // ...and the simulation's attributes are kept in their own namespace.
  auto simulated = Must(store_->SimulatedEntity(kz_));
  ASSERT_TRUE(simulated.has_value());
  EXPECT_EQ(simulated->code, "KZ");
  EXPECT_EQ(simulated->name, "Kazakhstan (sim world)");
  EXPECT_EQ(simulated->slash24_count, 40);
  EXPECT_EQ(simulated->provenance, ProvenanceKind::kSimulated);
  EXPECT_FALSE(Must(store_->SimulatedEntity(ala_)).has_value());
  // An entity only a simulation knows is simulated; a measurement of it later replaces every attribute.
  Entity only = MustFind("asn", "65001");
  EXPECT_EQ(only.name, "SimNet");
  EXPECT_EQ(only.provenance, ProvenanceKind::kSimulated);
  ASSERT_TRUE(store_->UpsertEntity({0, "asn", "65001", "Real AS", 0, 0, "", ProvenanceKind::kObserved}).ok());
  only = MustFind("asn", "65001");
  EXPECT_EQ(only.name, "Real AS");
  EXPECT_EQ(only.slash24_count, 0);  // not the simulation's 12 under an observed label
  EXPECT_EQ(only.provenance, ProvenanceKind::kObserved);
  EXPECT_EQ(Must(store_->SimulatedEntity(only.id))->slash24_count, 12);
}

TEST_P(StoreContract, AlertsAndEventsKeepTheirProvenance) {
  std::vector<Schedule> schedules;
  std::vector<Alert> alerts = {
      {0, "bgp", ala_, 1000, AlertLevel::kCritical, "< 0.8", 10, 100, "median", MaskOf(ProvenanceKind::kSimulated)}};
  std::vector<Event> events = {{0, ala_, "outage", 1000, 2000, 5, "bgp", "routing", 0, 0.9, "", "",
                                MaskOf(ProvenanceKind::kObserved) | MaskOf(ProvenanceKind::kSimulated)}};
  ASSERT_TRUE(store_->ReplaceDetection(0, alerts, events, schedules).ok());
  EXPECT_EQ(Must(store_->ListAlerts({})).at(0).provenance, MaskOf(ProvenanceKind::kSimulated));
  EXPECT_EQ(ProvenanceLabel(Must(store_->ListEvents({})).at(0).provenance), "mixed");
  // Kept across a later replacement (the rows before from_t are carried over).
  std::vector<Alert> no_alerts;
  std::vector<Event> no_events;
  ASSERT_TRUE(store_->ReplaceDetection(5000, no_alerts, no_events, schedules).ok());
  EXPECT_EQ(Must(store_->EventById(events[0].id))->provenance, events[0].provenance);
  EXPECT_EQ(Must(store_->ListAlerts({})).at(0).provenance, MaskOf(ProvenanceKind::kSimulated));
}

TEST_P(StoreContract, SimulatedAndObservedInputsAreNotMixedSilently) {
  const ProvenanceMask simulated = MaskOf(ProvenanceKind::kSimulated), observed = MaskOf(ProvenanceKind::kObserved);
  EXPECT_TRUE(CheckProvenanceMixing(*store_, "s", simulated).ok());  // empty store: anything goes
  ASSERT_TRUE(store_->CommitIngest(Input("obs", ala_, 600, 10)).ok());
  EXPECT_TRUE(CheckProvenanceMixing(*store_, "s", observed).ok());
  EXPECT_TRUE(CheckProvenanceMixing(*store_, "s", MaskOf(ProvenanceKind::kImported)).ok());
  Status refused = CheckProvenanceMixing(*store_, "s", simulated);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("--allow-simulated"), std::string::npos) << refused.message();
  ASSERT_TRUE(store_->CommitIngest(SimulatedInput("sim", ala_, 900, 20)).ok());  // the writer was allowed to
  EXPECT_EQ(CheckProvenanceMixing(*store_, "s", observed).code(), StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vigil::store
