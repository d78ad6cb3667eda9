// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <map>
#include <random>

#include "store/migrations.h"
#include "store/store.h"

namespace vigil::store {
namespace {

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / ("vigil_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<Store> MustOpen(const std::string& uri) {
  auto store = OpenStore(uri);
  EXPECT_TRUE(store.ok()) << store.message();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Runs one SQL statement with the plain C API and returns the first column of the first row as text.
std::string SqlScalar(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MustOpen(dir_.File("vigil.db"));
    ASSERT_TRUE(store_);
    ASSERT_TRUE(store_->RegisterDatasource({"bgp", 300, "visible /24s"}).ok());
    ASSERT_TRUE(store_->RegisterDatasource({"ping-slash24", 600, ""}).ok());
    Entity kz{0, "country", "KZ", "Kazakhstan", 0, 1000, "Asia/Almaty"};
    auto id = store_->UpsertEntity(kz);
    ASSERT_TRUE(id.ok()) << id.message();
    kz_ = *id;
    auto ala = store_->UpsertEntity({0, "region", "KZ-ALA", "Almaty", kz_, 300, "Asia/Almaty"});
    ASSERT_TRUE(ala.ok()) << ala.message();
    ala_ = *ala;
  }

  TempDir dir_{"sqlite_store"};
  std::unique_ptr<Store> store_;
  int64_t kz_ = 0, ala_ = 0;
};

TEST_F(SqliteStoreTest, SchemaVersionIsNumberOfMigrations) {
  auto info = store_->Describe();
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_EQ(info->schema_version, static_cast<int64_t>(Migrations().size()));
  EXPECT_EQ(SqlScalar(dir_.File("vigil.db"), "PRAGMA user_version"), std::to_string(Migrations().size()));
  EXPECT_EQ(SqlScalar(dir_.File("vigil.db"), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(SqlScalar(dir_.File("vigil.db"), "PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("vigil.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto again = OpenStore(dir_.File("vigil.db"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("newer"), std::string::npos) << again.message();
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndDoesNotRemigrate) {
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 600, 42}}}}).ok());
  store_.reset();
  store_ = MustOpen("sqlite:" + dir_.File("vigil.db"));
  auto pts = store_->ReadSeries("bgp", ala_, 0, 0);
  ASSERT_TRUE(pts.ok()) << pts.message();
  ASSERT_EQ(pts->size(), 1u);
  EXPECT_EQ((*pts)[0].value, 42);
}

TEST_F(SqliteStoreTest, EntityUpsertKeepsKnownFields) {
  // A writer knowing only type and code must not erase what another wrote.
  auto id = store_->UpsertEntity({0, "region", "KZ-ALA", "", 0, 0, ""});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, ala_);
  auto e = store_->EntityById(ala_);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->name, "Almaty");
  EXPECT_EQ((*e)->parent_id, kz_);
  EXPECT_EQ((*e)->slash24_count, 300);
  EXPECT_EQ((*e)->tz, "Asia/Almaty");
  // Given fields overwrite.
  ASSERT_TRUE(store_->UpsertEntity({0, "region", "KZ-ALA", "Almaty City", 0, 310, ""}).ok());
  e = store_->FindEntity("region", "KZ-ALA");
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->name, "Almaty City");
  EXPECT_EQ((*e)->slash24_count, 310);
  auto none = store_->FindEntity("region", "KZ-XXX");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(store_->UpsertEntity({0, "", "X", "", 0, 0, ""}).ok());
  // parent_id must name an entity (foreign key).
  EXPECT_FALSE(store_->UpsertEntity({0, "region", "KZ-AST", "", 987654, 0, ""}).ok());
}

TEST_F(SqliteStoreTest, ListEntitiesFilters) {
  std::vector<Entity> more = {{0, "asn", "9198", "JSC Kazakhtelecom", 0, 500, ""},
                              {0, "asn", "21299", "Kar-Tel", 0, 50, ""},
                              {0, "region", "KZ-AST", "Astana", kz_, 100, ""},
                              {0, "country", "US", "United States", 0, 0, ""}};
  ASSERT_TRUE(store_->UpsertEntities(more).ok());
  for (const Entity& e : more) EXPECT_GT(e.id, 0);
  // Reference: filter every entity in C++.
  auto all = store_->ListEntities({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 6u);
  auto check = [&](const EntityQuery& q, auto pred) {
    auto got = store_->ListEntities(q);
    ASSERT_TRUE(got.ok()) << got.message();
    std::vector<std::string> want, have;
    for (const Entity& e : *all)
      if (pred(e)) want.push_back(e.type + "/" + e.code);
    for (const Entity& e : *got) have.push_back(e.type + "/" + e.code);
    EXPECT_EQ(have, want);
  };
  EntityQuery by_type;
  by_type.type = "asn";
  check(by_type, [](const Entity& e) { return e.type == "asn"; });
  EntityQuery by_parent;
  by_parent.parent_id = kz_;
  check(by_parent, [&](const Entity& e) { return e.parent_id == kz_; });
  EntityQuery search;
  search.search = "KAZ";  // case-insensitive, name or code
  check(search, [](const Entity& e) { return e.name.find("Kaz") != std::string::npos; });
  EntityQuery paged;
  paged.limit = 2;
  paged.offset = 1;
  auto page = store_->ListEntities(paged);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].code, (*all)[1].code);
  EXPECT_EQ((*page)[1].code, (*all)[2].code);
}

TEST_F(SqliteStoreTest, DatasourcesMustBeRegistered) {
  auto st = store_->WriteSeries({{"nope", {{ala_, 0, 1}}}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nope"), std::string::npos);
  auto list = store_->ListDatasources();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "bgp");
  EXPECT_EQ((*list)[0].step_s, 300);
  EXPECT_FALSE(store_->RegisterDatasource({"x", 0, ""}).ok());
  EXPECT_FALSE(store_->WriteSeries({{"bgp", {{ala_, 0, std::nan("")}}}}).ok());
}

TEST_F(SqliteStoreTest, SeriesUpsertLaterValueWins) {
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 0, 1}, {ala_, 300, 2}}}}).ok());
  ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 300, 5}, {ala_, 600, 6}}}}).ok());
  auto pts = store_->ReadSeries("bgp", ala_, 0, 900);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 3u);
  EXPECT_EQ((*pts)[1].t, 300);
  EXPECT_EQ((*pts)[1].value, 5);
  // [from, until) bounds.
  pts = store_->ReadSeries("bgp", ala_, 300, 600);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 1u);
  // Series belong to their datasource only.
  auto other = store_->ReadSeries("ping-slash24", ala_, 0, 900);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_F(SqliteStoreTest, AggregationMatchesSlowAverages) {
  std::mt19937_64 rng(7);
  const int64_t t0 = 1641340800;  // 2022-01-05
  std::map<int64_t, double> truth;
  std::vector<SeriesPoint> pts;
  for (int64_t t = t0; t < t0 + 3 * 86400; t += 300) {
    if (rng() % 7 == 0) continue;                            // missing bins
    if (t >= t0 + 86400 && t < t0 + 86400 + 7200) continue;  // a gap longer than any step below
    double v = static_cast<double>(rng() % 100000) / 7.0;
    truth[t] = v;
    pts.push_back({ala_, t, v});
  }
  ASSERT_TRUE(store_->WriteSeries({{"bgp", pts}}).ok());
  for (int64_t step : {300, 600, 900, 3600, 7200, 86400}) {
    for (int64_t from : {t0, t0 + 100, t0 - 7200, t0 + 86400 + 1}) {
      int64_t until = from + 2 * 86400 + 1234;
      auto agg = store_->ReadAggregated("bgp", ala_, from, until, step);
      ASSERT_TRUE(agg.ok()) << agg.message();
      EXPECT_EQ(agg->native_step_s, 300);
      size_t n = static_cast<size_t>((until - from + step - 1) / step);
      ASSERT_EQ(agg->values.size(), n);
      for (size_t i = 0; i < n; ++i) {
        int64_t lo = from + static_cast<int64_t>(i) * step, hi = std::min(lo + step, until);
        double sum = 0;
        int count = 0;
        for (auto it = truth.lower_bound(lo); it != truth.end() && it->first < hi; ++it) {
          sum += it->second;
          ++count;
        }
        if (count == 0) {
          EXPECT_FALSE(agg->values[i].has_value()) << "step " << step << " bucket " << i;
        } else {
          ASSERT_TRUE(agg->values[i].has_value()) << "step " << step << " bucket " << i;
          EXPECT_NEAR(*agg->values[i], sum / count, 1e-9 * std::max(1.0, sum / count));
        }
      }
    }
  }
  auto many = store_->ReadAggregatedMany("bgp", {ala_, kz_}, t0, t0 + 86400, 3600);
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0].values.size(), 24u);
  for (auto& v : (*many)[1].values) EXPECT_FALSE(v.has_value());  // kz_ has no points
  EXPECT_FALSE(store_->ReadAggregated("bgp", ala_, t0, t0, 300).ok());
  EXPECT_FALSE(store_->ReadAggregated("bgp", ala_, t0, t0 + 600, 0).ok());
  EXPECT_FALSE(store_->ReadAggregated("bgp", ala_, 0, 4'000'000'000LL, 1).ok());  // too many buckets
  EXPECT_FALSE(store_->ReadAggregated("nope", ala_, t0, t0 + 600, 300).ok());
}

TEST_F(SqliteStoreTest, EntitiesWithSeriesAndSpan) {
  auto span = store_->SeriesSpan("bgp");
  ASSERT_TRUE(span.ok());
  EXPECT_FALSE(span->has_value());
  ASSERT_TRUE(
      store_
          ->WriteSeries({{"bgp", {{ala_, 900, 1}, {kz_, 300, 2}, {kz_, 1200, 3}}}, {"ping-slash24", {{kz_, 6000, 1}}}})
          .ok());
  auto ids = store_->EntitiesWithSeries("bgp");
  ASSERT_TRUE(ids.ok());
  std::vector<int64_t> want = {kz_, ala_};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*ids, want);
  span = store_->SeriesSpan("bgp");
  ASSERT_TRUE(span.ok() && span->has_value());
  EXPECT_EQ((*span)->first, 300);
  EXPECT_EQ((*span)->second, 1200);
}

IngestCommit MakeCommit(const std::string& sha, int64_t entity, int64_t t0, int n, double base) {
  IngestCommit c;
  c.input = {sha, "updates." + sha + ".gz", "mrt-updates", "rrc00", n, t0, t0 + 300 * (n - 1), 0, {}};
  SeriesBatch b{"bgp", {}};
  for (int i = 0; i < n; ++i) b.points.push_back({entity, t0 + 300 * i, base + i});
  c.series.push_back(b);
  c.state.push_back({"bgp/rrc00", "state-after-" + sha});
  return c;
}

TEST_F(SqliteStoreTest, IngestIsIdempotentBySha256) {
  IngestCommit c = MakeCommit("aa", ala_, 0, 10, 100);
  auto first = store_->TryCommitIngest(c);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_TRUE(*first);
  // The same file again, even with other contents: skipped, nothing changes.
  IngestCommit again = MakeCommit("aa", ala_, 0, 10, 999);
  again.state[0].bytes = "other";
  auto second = store_->TryCommitIngest(again);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_TRUE(store_->CommitIngest(again).ok());
  auto pts = store_->ReadSeries("bgp", ala_, 0, 0);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 10u);
  EXPECT_EQ((*pts)[3].value, 103);
  auto state = store_->GetState("bgp/rrc00");
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ(**state, "state-after-aa");
  auto has = store_->HasInput("aa");
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
  auto inputs = store_->ListInputs(0, 0);
  ASSERT_TRUE(inputs.ok());
  ASSERT_EQ(inputs->size(), 1u);
  EXPECT_EQ((*inputs)[0].collector, "rrc00");
  EXPECT_EQ((*inputs)[0].records, 10);
  EXPECT_GT((*inputs)[0].ingested_at, 0);
  // Time-bounded listing: [first_t, last_t] = [0, 2700] meets [2700, ...) but not [2701, ...).
  EXPECT_EQ(store_->ListInputs(2700, 0)->size(), 1u);
  EXPECT_EQ(store_->ListInputs(2701, 0)->size(), 0u);
  EXPECT_EQ(store_->ListInputs(-100, 1)->size(), 1u);
  EXPECT_EQ(store_->ListInputs(-100, 0)->size(), 1u);  // until <= 0: no upper bound
  EXPECT_EQ(store_->ListInputs(-100, -1)->size(), 1u);
}

TEST_F(SqliteStoreTest, IngestGroupSkipsPresentAndRepeatedInputs) {
  ASSERT_TRUE(store_->CommitIngest(MakeCommit("g1", ala_, 0, 3, 10)).ok());
  std::vector<IngestCommit> group = {MakeCommit("g1", ala_, 0, 3, 99),    // present: skipped
                                     MakeCommit("g2", ala_, 600, 3, 20),  // overlaps g1's last bin
                                     MakeCommit("g3", kz_, 0, 2, 30),
                                     MakeCommit("g2", ala_, 0, 1, 77)};  // repeated in the group: skipped
  auto done = store_->TryCommitIngestGroup(group);
  ASSERT_TRUE(done.ok()) << done.message();
  EXPECT_EQ(*done, (std::vector<bool>{false, true, true, false}));
  auto pts = store_->ReadSeries("bgp", ala_, 0, 0);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 5u);
  EXPECT_EQ((*pts)[0].value, 10);                                // g1, not g2's repeat
  EXPECT_EQ((*pts)[2].value, 20);                                // t=600 from g2 (later input wins)
  EXPECT_EQ(**store_->GetState("bgp/rrc00"), "state-after-g3");  // the last new input's state
  EXPECT_EQ(store_->ListInputs(0, 0)->size(), 3u);
  // One bad input fails the whole group.
  std::vector<IngestCommit> bad = {MakeCommit("g4", ala_, 9000, 2, 1), MakeCommit("g5", ala_, 9600, 2, 1)};
  bad[1].series[0].datasource = "unregistered";
  EXPECT_FALSE(store_->TryCommitIngestGroup(bad).ok());
  EXPECT_FALSE(*store_->HasInput("g4"));
}

TEST_F(SqliteStoreTest, SameKeyTwiceInOneWriteLaterWins) {
  // Writes are reordered by key internally; the later of two equal keys must still win.
  ASSERT_TRUE(store_
                  ->WriteSeries(
                      {{"bgp", {{ala_, 300, 1}, {kz_, 0, 5}, {ala_, 300, 2}}}, {"bgp", {{ala_, 300, 3}, {ala_, 0, 4}}}})
                  .ok());
  auto pts = store_->ReadSeries("bgp", ala_, 0, 0);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 2u);
  EXPECT_EQ((*pts)[0].value, 4);
  EXPECT_EQ((*pts)[1].value, 3);
}

TEST_F(SqliteStoreTest, FailedIngestLeavesNothing) {
  IngestCommit c = MakeCommit("bb", ala_, 0, 10, 1);
  c.series.push_back({"unregistered", {{ala_, 0, 1}}});  // fails after the bgp points were written
  auto st = store_->CommitIngest(c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("updates.bb.gz"), std::string::npos) << st.message();
  EXPECT_FALSE(*store_->HasInput("bb"));
  EXPECT_TRUE(store_->ReadSeries("bgp", ala_, 0, 0)->empty());
  EXPECT_FALSE(store_->GetState("bgp/rrc00")->has_value());
}

TEST_F(SqliteStoreTest, TwoConnectionsSeeEachOther) {
  auto other = MustOpen(dir_.File("vigil.db"));
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->CommitIngest(MakeCommit("cc", ala_, 0, 3, 1)).ok());
  auto second = store_->TryCommitIngest(MakeCommit("cc", ala_, 0, 3, 1));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  ASSERT_TRUE(store_->RegisterDatasource({"loss", 600, ""}).ok());
  EXPECT_TRUE(other->WriteSeries({{"loss", {{ala_, 0, 0.5}}}}).ok());
}

TEST_F(SqliteStoreTest, ReplaceDetectionSemantics) {
  std::vector<Schedule> schedules = {{0, ala_, "Asia/Almaty", 360, 1380, "2022-01-05", "2022-01-10", 0.9}};
  std::vector<Alert> alerts = {{0, "bgp", ala_, 1000, AlertLevel::kCritical, "< 0.8", 10, 100, "median"},
                               {0, "bgp", ala_, 5000, AlertLevel::kWarning, "< 0.99", 95, 100, "median"}};
  std::vector<Event> events = {{0, ala_, "outage", 1000, 2000, 5, "bgp", "routing", -1, 0.9, "{}", "{}"},
                               {0, ala_, "outage", 5000, 0, 1, "bgp,ping-slash24", "routing", 0, 0.1, "", ""}};
  ASSERT_TRUE(store_->ReplaceDetection(0, alerts, events, schedules).ok());
  ASSERT_GT(schedules[0].id, 0);
  EXPECT_EQ(events[0].schedule_id, schedules[0].id);  // index -1 resolved to the new id
  EXPECT_GT(alerts[1].id, 0);
  auto got = store_->ListEvents({});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].schedule_id, schedules[0].id);
  EXPECT_EQ((*got)[0].coverage, "{}");
  EXPECT_EQ((*got)[1].end_t, 0);
  // Overlap semantics: [1500, 1600) meets the first event; an open event meets everything after its start.
  TimeFilter f;
  f.from = 1500;
  f.until = 1600;
  EXPECT_EQ(store_->ListEvents(f)->size(), 1u);
  f.from = 100000;
  f.until = 0;
  EXPECT_EQ(store_->ListEvents(f)->size(), 1u);
  f = {};
  f.datasource = "ping-slash24";
  EXPECT_EQ(store_->ListEvents(f)->size(), 1u);
  f.datasource = "ping";  // whole names only
  EXPECT_EQ(store_->ListEvents(f)->size(), 0u);

  // Incremental re-run from 4000: the first alert/event stay, later ones are replaced; the schedule is
  // kept by id so the old event keeps its link; a new schedule is added.
  int64_t first_event = events[0].id, schedule_id = schedules[0].id;
  std::vector<Schedule> schedules2 = {schedules[0], {0, kz_, "Asia/Almaty", 0, 60, "2022-01-06", "2022-01-09", 0.5}};
  std::vector<Alert> alerts2 = {{0, "bgp", ala_, 4500, AlertLevel::kCritical, "< 0.8", 1, 100, "median"}};
  std::vector<Event> events2 = {{0, ala_, "outage", 4500, 6000, 7, "bgp", "routing", -2, 0.99, "", ""}};
  ASSERT_TRUE(store_->ReplaceDetection(4000, alerts2, events2, schedules2).ok());
  EXPECT_EQ(schedules2[0].id, schedule_id);
  EXPECT_GT(schedules2[1].id, schedule_id);
  auto al = store_->ListAlerts({});
  ASSERT_TRUE(al.ok());
  ASSERT_EQ(al->size(), 2u);
  EXPECT_EQ((*al)[0].t, 1000);
  EXPECT_EQ((*al)[0].level, AlertLevel::kCritical);
  EXPECT_EQ((*al)[1].t, 4500);
  got = store_->ListEvents({});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].id, first_event);
  EXPECT_EQ((*got)[0].schedule_id, schedule_id);
  EXPECT_EQ((*got)[1].schedule_id, schedules2[1].id);
  auto one = store_->EventById(events2[0].id);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->start_t, 4500);

  // Dropping every schedule unlinks events kept from before from_t; ids are never reused.
  std::vector<Alert> no_alerts;
  std::vector<Event> no_events;
  std::vector<Schedule> no_schedules;
  ASSERT_TRUE(store_->ReplaceDetection(1'000'000, no_alerts, no_events, no_schedules).ok());
  got = store_->ListEvents({});
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].schedule_id, 0);
  EXPECT_TRUE(store_->ListSchedules({})->empty());
  std::vector<Schedule> fresh = {{0, ala_, "", 0, 1, "2022-02-01", "2022-02-03", 0.4}};
  ASSERT_TRUE(store_->ReplaceDetection(1'000'000, no_alerts, no_events, fresh).ok());
  EXPECT_GT(fresh[0].id, schedules2[1].id);
  auto by_entity = store_->ListSchedules({kz_});
  ASSERT_TRUE(by_entity.ok());
  EXPECT_TRUE(by_entity->empty());
  EXPECT_EQ(store_->ListSchedules({ala_})->size(), 1u);

  // Bad references fail the whole call.
  std::vector<Event> bad = {{0, ala_, "outage", 2'000'000, 0, 1, "bgp", "routing", 12345, 0, "", ""}};
  std::vector<Alert> a3 = {{0, "bgp", ala_, 2'000'000, AlertLevel::kWarning, "", 1, 1, ""}};
  std::vector<Schedule> s3 = fresh;
  EXPECT_FALSE(store_->ReplaceDetection(1'000'000, a3, bad, s3).ok());
  EXPECT_EQ(store_->ListAlerts({})->size(), 2u);  // rolled back
}

TEST_F(SqliteStoreTest, AlertFilters) {
  std::vector<Alert> alerts;
  for (int i = 0; i < 20; ++i) {
    alerts.push_back(
        {0, i % 2 ? "bgp" : "ping-slash24", i % 3 ? ala_ : kz_, 300 * i, AlertLevel::kWarning, "", 1, 2, ""});
  }
  std::vector<Event> events;
  std::vector<Schedule> schedules;
  ASSERT_TRUE(store_->ReplaceDetection(0, alerts, events, schedules).ok());
  TimeFilter f;
  f.from = 600;
  f.until = 3000;
  f.datasource = "bgp";
  f.entity_ids = {ala_};
  auto got = store_->ListAlerts(f);
  ASSERT_TRUE(got.ok());
  size_t want = 0;
  for (const Alert& a : alerts) {
    if (a.t >= 600 && a.t < 3000 && a.datasource == "bgp" && a.entity_id == ala_) ++want;
  }
  EXPECT_EQ(got->size(), want);
  for (const Alert& a : *got) {
    EXPECT_EQ(a.datasource, "bgp");
    EXPECT_EQ(a.entity_id, ala_);
  }
  f = {};
  f.limit = 5;
  f.offset = 18;
  EXPECT_EQ(store_->ListAlerts(f)->size(), 2u);
}

TEST_F(SqliteStoreTest, Annotations) {
  auto id = store_->AddAnnotation(
      {0, kz_, 1000, 5000, "state-of-emergency", "declared", "https://example.org/x", R"({"type":"Shutdown"})"});
  ASSERT_TRUE(id.ok()) << id.message();
  ASSERT_TRUE(store_->AddAnnotation({0, ala_, 6000, 0, "note", "open-ended", "", ""}).ok());
  EXPECT_FALSE(store_->AddAnnotation({0, 99999, 0, 0, "note", "", "", ""}).ok());  // no such entity
  TimeFilter f;
  f.from = 4000;
  f.until = 5500;
  auto got = store_->ListAnnotations(f);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].source_url, "https://example.org/x");
  EXPECT_EQ((*got)[0].detail, R"({"type":"Shutdown"})");
  f.from = 10000;
  f.until = 0;
  EXPECT_EQ(store_->ListAnnotations(f)->size(), 1u);
  ASSERT_TRUE(store_->DeleteAnnotation(*id).ok());
  EXPECT_FALSE(store_->DeleteAnnotation(*id).ok());
  EXPECT_EQ(store_->ListAnnotations({})->size(), 1u);
}

TEST_F(SqliteStoreTest, DescribeCountsRows) {
  ASSERT_TRUE(store_->CommitIngest(MakeCommit("dd", ala_, 600, 4, 1)).ok());
  auto info = store_->Describe();
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_EQ(info->backend, "sqlite");
  std::map<std::string, int64_t> rows(info->table_rows.begin(), info->table_rows.end());
  EXPECT_EQ(rows["entities"], 2);
  EXPECT_EQ(rows["series"], 4);
  EXPECT_EQ(rows["inputs"], 1);
  EXPECT_EQ(rows["state"], 1);
  ASSERT_EQ(info->datasources.size(), 2u);
  EXPECT_EQ(info->datasources[0].datasource.name, "bgp");
  EXPECT_EQ(info->datasources[0].points, 4);
  EXPECT_EQ(info->datasources[0].entities, 1);
  EXPECT_EQ(info->datasources[0].first_t, 600);
  EXPECT_EQ(info->datasources[0].last_t, 1500);
  EXPECT_EQ(info->datasources[1].points, 0);
}

TEST_F(SqliteStoreTest, WebhooksSurviveReopen) {
  auto opened = OpenWebhookStore(dir_.File("vigil.db"));
  ASSERT_TRUE(opened.ok()) << opened.message();
  std::unique_ptr<WebhookStore> webhooks = std::move(opened).value();
  auto id = webhooks->AddWebhook({0, "http://127.0.0.1:9/hook", "0123456789abcdef", "region/KZ-ALA", "critical", 77});
  ASSERT_TRUE(id.ok()) << id.message();
  auto second = webhooks->AddWebhook({0, "http://127.0.0.1:9/other", "fedcba9876543210", "", "warning", 78});
  ASSERT_TRUE(second.ok()) << second.message();
  WebhookDeliveryRecord pending{5, *id, "event.start", 12, "{\"a\":1}", 0, 1000, "pending", 0, "", ""};
  WebhookDeliveryRecord done{6, *id, "event.end", 12, "{}", 1, 1000, "delivered", 200, "", "t attempt 1: HTTP 200"};
  ASSERT_TRUE(webhooks->SaveWebhookScan({{12, "a|b"}, {13, "c|d"}}, {pending, done}).ok());
  ASSERT_TRUE(webhooks->SaveWebhookScan({{12, "a|e"}}, {}).ok());
  pending.attempts = 1;
  pending.last_status = 500;
  pending.log = "t attempt 1: HTTP 500";
  pending.next_attempt_at = 1005;
  ASSERT_TRUE(webhooks->UpdateWebhookDelivery(pending).ok());
  EXPECT_FALSE(webhooks->UpdateWebhookDelivery({99, *id, "", 0, "", 0, 0, "pending", 0, "", ""}).ok());
  EXPECT_FALSE(webhooks->SaveWebhookScan({}, {done}).ok());  // a delivery id is used once
  ASSERT_TRUE(webhooks->DeleteWebhook(*second).ok());
  EXPECT_FALSE(webhooks->DeleteWebhook(*second).ok());

  webhooks.reset();
  opened = OpenWebhookStore(dir_.File("vigil.db"));
  ASSERT_TRUE(opened.ok()) << opened.message();
  webhooks = std::move(opened).value();
  auto hooks = webhooks->ListWebhooks();
  ASSERT_TRUE(hooks.ok()) << hooks.message();
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].id, *id);
  EXPECT_EQ((*hooks)[0].secret, "0123456789abcdef");
  EXPECT_EQ((*hooks)[0].entity, "region/KZ-ALA");
  EXPECT_EQ((*hooks)[0].min_level, "critical");
  EXPECT_EQ((*hooks)[0].created_at, 77);
  auto deliveries = webhooks->ListWebhookDeliveries(0);
  ASSERT_TRUE(deliveries.ok()) << deliveries.message();
  ASSERT_EQ(deliveries->size(), 2u);
  EXPECT_EQ((*deliveries)[0].id, 5);
  EXPECT_EQ((*deliveries)[0].attempts, 1);
  EXPECT_EQ((*deliveries)[0].last_status, 500);
  EXPECT_EQ((*deliveries)[0].next_attempt_at, 1005);
  EXPECT_EQ((*deliveries)[0].body, "{\"a\":1}");
  EXPECT_EQ((*deliveries)[1].state, "delivered");
  // The newest one, plus every pending one however old.
  deliveries = webhooks->ListWebhookDeliveries(1);
  ASSERT_TRUE(deliveries.ok());
  ASSERT_EQ(deliveries->size(), 2u);
  pending.state = "failed";
  ASSERT_TRUE(webhooks->UpdateWebhookDelivery(pending).ok());
  deliveries = webhooks->ListWebhookDeliveries(1);
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].id, 6);
  auto fingerprints = webhooks->ListWebhookFingerprints();
  ASSERT_TRUE(fingerprints.ok());
  ASSERT_EQ(fingerprints->size(), 2u);
  EXPECT_EQ((*fingerprints)[0], std::make_pair(int64_t{12}, std::string("a|e")));
  EXPECT_EQ((*fingerprints)[1], std::make_pair(int64_t{13}, std::string("c|d")));
}

TEST(WebhookStoreTest, ClickHouseUriIsRefused) {
  auto opened = OpenWebhookStore("clickhouse://127.0.0.1:9/vigil");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.message().find("webhooks need a SQLite store"), std::string::npos) << opened.message();
}

// ReadSeries runs on a pool of read-only connections: many threads at once must each get exactly the rows
// committed before their call, including writes made through the store's own (main) connection.
TEST_F(SqliteStoreTest, ParallelReadsSeeCommittedWrites) {
  std::vector<SeriesPoint> points;
  for (int64_t i = 0; i < 2000; ++i) points.push_back({ala_, i * 300, static_cast<double>(i % 97)});
  ASSERT_TRUE(store_->WriteSeries({{"bgp", points}}).ok());
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        int64_t from = (t * 37 + round * 11) % 1500 * 300;
        auto got = store_->ReadSeries("bgp", ala_, from, from + 400 * 300);
        if (!got.ok() || got->size() != 400u) {
          bad++;
          continue;
        }
        for (size_t k = 0; k < got->size(); ++k) {
          int64_t i = from / 300 + static_cast<int64_t>(k);
          if ((*got)[k].t != i * 300 || (*got)[k].value != static_cast<double>(i % 97)) bad++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  // A write through the store is visible to the next read, whichever connection serves it.
  for (int round = 0; round < 10; ++round) {
    ASSERT_TRUE(store_->WriteSeries({{"bgp", {{ala_, 0, 1000.0 + round}}}}).ok());
    auto got = store_->ReadSeries("bgp", ala_, 0, 300);
    ASSERT_TRUE(got.ok()) << got.message();
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0].value, 1000.0 + round);
  }
}

}  // namespace
}  // namespace vigil::store
