// SPDX-License-Identifier: AGPL-3.0-or-later
// The ClickHouse backend against the SQLite one: the same operations on both, every answer compared (entity
// ids differ by design — SQLite numbers rows, ClickHouse hashes type/code — so entities are compared by
// index). Starts its own clickhouse-server on free loopback ports with its own config and data folder;
// skips, saying why, when clickhouse-server is not installed.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "store/clickhouse_server_for_test.h"
#include "store/store.h"

namespace vigil::store {
namespace {

class BackendsAgree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ServerBinary().empty()) {
      GTEST_SKIP()
          << "clickhouse-server is not installed (apt-get install clickhouse-server): ClickHouse backend not tested";
    }
    std::string why;
    ASSERT_TRUE(server_.Start("vigil_clickhouse", &why)) << why;
    auto ch = OpenStore(server_.Uri());
    ASSERT_TRUE(ch.ok()) << ch.message();
    auto lite = OpenStore(":memory:");
    ASSERT_TRUE(lite.ok()) << lite.message();
    stores_[0] = std::move(ch).value();
    stores_[1] = std::move(lite).value();
    for (auto& s : stores_) {
      ASSERT_TRUE(s->RegisterDatasource({"bgp", 300, "visible /24s"}).ok());
      ASSERT_TRUE(s->RegisterDatasource({"ping-slash24", 600, ""}).ok());
    }
    // Entities by index: 0 = country KZ, 1.. regions and ASNs.
    for (int k = 0; k < 2; ++k) {
      auto kz = stores_[k]->UpsertEntity({0, "country", "KZ", "Kazakhstan", 0, 1000, "Asia/Almaty"});
      ASSERT_TRUE(kz.ok()) << kz.message();
      ids_[k].push_back(*kz);
      for (int i = 1; i < 12; ++i) {
        Entity e =
            i < 6 ? Entity{0,      "region", "KZ-R" + std::to_string(i), "Region 'quoted' \\ " + std::to_string(i), *kz,
                           i * 10, ""}
                  : Entity{0, "asn", std::to_string(64500 + i), "AS\tname\n" + std::to_string(i), 0, i, ""};
        auto id = stores_[k]->UpsertEntity(e);
        ASSERT_TRUE(id.ok()) << id.message();
        ids_[k].push_back(*id);
      }
    }
  }

  int Index(int k, int64_t id) {
    for (size_t i = 0; i < ids_[k].size(); ++i) {
      if (ids_[k][i] == id) return static_cast<int>(i);
    }
    return -1;
  }

  // Entities: the same fields, by index; upsert keeps known fields.
  void ExpectSameEntities() {
    for (int k = 0; k < 2; ++k) ASSERT_TRUE(stores_[k]->UpsertEntity({0, "region", "KZ-R1", "", 0, 0, ""}).ok());
    std::vector<Entity> lists[2];
    for (int k = 0; k < 2; ++k) {
      auto all = stores_[k]->ListEntities({});
      ASSERT_TRUE(all.ok()) << all.message();
      lists[k] = *all;
    }
    ASSERT_EQ(lists[0].size(), lists[1].size());
    for (size_t i = 0; i < lists[0].size(); ++i) {
      EXPECT_EQ(lists[0][i].type + "/" + lists[0][i].code + "|" + lists[0][i].name + "|" + lists[0][i].tz,
                lists[1][i].type + "/" + lists[1][i].code + "|" + lists[1][i].name + "|" + lists[1][i].tz);
      EXPECT_EQ(Index(0, lists[0][i].parent_id), Index(1, lists[1][i].parent_id));
      EXPECT_EQ(lists[0][i].slash24_count, lists[1][i].slash24_count);
    }
    EntityQuery search;
    search.search = "'QUOTED'";
    EXPECT_EQ(stores_[0]->ListEntities(search)->size(), stores_[1]->ListEntities(search)->size());
    EXPECT_EQ(stores_[1]->ListEntities(search)->size(), 5u);
  }

  // Series: random writes and ingests from t0 on, with repeated keys inside and across calls and repeated
  // inputs, the same on both stores.
  void WriteRandomSeries(int64_t t0) {
    std::mt19937_64 rng(11);
    for (int round = 0; round < 30; ++round) {
      std::vector<std::pair<int, SeriesPoint>> pts;  // entity index, point
      for (int i = 0; i < 200; ++i) {
        int e = static_cast<int>(rng() % ids_[0].size());
        int64_t t = t0 + static_cast<int64_t>(rng() % 600) * 300;
        pts.push_back({e, {0, t, static_cast<double>(rng() % 100000) / 8.0}});
      }
      std::string sha = "sha-" + std::to_string(rng() % 20);  // some inputs repeat: skipped
      bool results[2];
      for (int k = 0; k < 2; ++k) {
        SeriesBatch batch{round % 3 ? "bgp" : "ping-slash24", {}};
        for (auto& [e, p] : pts) batch.points.push_back({ids_[k][static_cast<size_t>(e)], p.t, p.value});
        if (round % 2) {
          IngestCommit c;
          c.input = {sha, "file-" + sha, "mrt-updates", "rrc00", 200, pts.front().second.t, pts.back().second.t, 5};
          c.series.push_back(batch);
          c.state.push_back({"bgp/rrc00", std::string("bytes\0\t\n\\", 9) + std::to_string(round)});
          auto done = stores_[k]->TryCommitIngest(c);
          ASSERT_TRUE(done.ok()) << done.message();
          results[k] = *done;
        } else {
          ASSERT_TRUE(stores_[k]->WriteSeries({batch}).ok());
          results[k] = true;
        }
      }
      EXPECT_EQ(results[0], results[1]) << "round " << round;
    }
  }

  // Every entity's points of `ds`, raw and aggregated at several steps, are the same on both stores.
  void ExpectSameSeries(const char* ds, int64_t t0) {
    for (size_t e = 0; e < ids_[0].size(); ++e) {
      auto a = stores_[0]->ReadSeries(ds, ids_[0][e], t0, t0 + 600 * 300);
      auto b = stores_[1]->ReadSeries(ds, ids_[1][e], t0, t0 + 600 * 300);
      ASSERT_TRUE(a.ok() && b.ok()) << a.message() << b.message();
      ASSERT_EQ(a->size(), b->size()) << ds << " entity " << e;
      for (size_t i = 0; i < a->size(); ++i) {
        EXPECT_EQ((*a)[i].t, (*b)[i].t);
        EXPECT_EQ((*a)[i].value, (*b)[i].value) << ds << " entity " << e << " t " << (*a)[i].t;
      }
      for (int64_t step : {300, 900, 3600, 86400}) {
        auto x = stores_[0]->ReadAggregated(ds, ids_[0][e], t0 - 1000, t0 + 600 * 300 + 7, step);
        auto y = stores_[1]->ReadAggregated(ds, ids_[1][e], t0 - 1000, t0 + 600 * 300 + 7, step);
        ASSERT_TRUE(x.ok() && y.ok()) << x.message() << y.message();
        ASSERT_EQ(x->values.size(), y->values.size());
        EXPECT_EQ(x->native_step_s, y->native_step_s);
        for (size_t i = 0; i < x->values.size(); ++i) {
          ASSERT_EQ(x->values[i].has_value(), y->values[i].has_value()) << "bucket " << i;
          if (x->values[i]) {
            EXPECT_NEAR(*x->values[i], *y->values[i], 1e-9 * std::max(1.0, std::abs(*y->values[i])));
          }
        }
      }
    }
  }

  void ExpectSameSpanAndEntities(const char* ds) {
    auto sa = stores_[0]->SeriesSpan(ds);
    auto sb = stores_[1]->SeriesSpan(ds);
    ASSERT_TRUE(sa.ok() && sb.ok());
    EXPECT_EQ(*sa, *sb);
    auto ea = stores_[0]->EntitiesWithSeries(ds);
    auto eb = stores_[1]->EntitiesWithSeries(ds);
    ASSERT_TRUE(ea.ok() && eb.ok());
    std::vector<int> ia, ib;
    for (int64_t id : *ea) ia.push_back(Index(0, id));
    for (int64_t id : *eb) ib.push_back(Index(1, id));
    std::sort(ia.begin(), ia.end());
    std::sort(ib.begin(), ib.end());
    EXPECT_EQ(ia, ib);
  }

  void ExpectSameInputsAndState() {
    auto ia = stores_[0]->ListInputs(0, 0);
    auto ib = stores_[1]->ListInputs(0, 0);
    ASSERT_TRUE(ia.ok() && ib.ok());
    ASSERT_EQ(ia->size(), ib->size());
    for (size_t i = 0; i < ia->size(); ++i) EXPECT_EQ((*ia)[i].sha256, (*ib)[i].sha256);
    auto ga = stores_[0]->GetState("bgp/rrc00");
    auto gb = stores_[1]->GetState("bgp/rrc00");
    ASSERT_TRUE(ga.ok() && gb.ok());
    EXPECT_EQ(*ga, *gb);
    EXPECT_FALSE(stores_[0]->GetState("nothing")->has_value());
  }

  void ExpectSameDescription() {
    auto da = stores_[0]->Describe();
    auto db = stores_[1]->Describe();
    ASSERT_TRUE(da.ok() && db.ok()) << da.message() << db.message();
    EXPECT_EQ(da->table_rows, db->table_rows);
    ASSERT_EQ(da->datasources.size(), db->datasources.size());
    for (size_t i = 0; i < da->datasources.size(); ++i) {
      EXPECT_EQ(da->datasources[i].points, db->datasources[i].points);
      EXPECT_EQ(da->datasources[i].first_t, db->datasources[i].first_t);
    }
  }

  ClickHouseServer server_;
  std::unique_ptr<Store> stores_[2];  // [0] ClickHouse, [1] SQLite
  std::vector<int64_t> ids_[2];
};

// A reader's open refuses a database the server does not have (and creates none); a created one opens.
TEST_F(BackendsAgree, OpenExistingRefusesAMissingDatabase) {
  auto missing = OpenExistingStore(server_.Uri("vigil_never_created"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.message();
  EXPECT_NE(missing.message().find("vigil_never_created"), std::string::npos);
  auto again = OpenExistingStore(server_.Uri("vigil_never_created"));
  EXPECT_TRUE(again.status().IsNotFound()) << "the first attempt must not have created it";
  auto existing = OpenExistingStore(server_.Uri());
  ASSERT_TRUE(existing.ok()) << existing.message();
  EXPECT_EQ((*existing)->PreferredCommitGroup(), 256u);
}

TEST_F(BackendsAgree, EntitiesSeriesIngest) {
  ASSERT_NO_FATAL_FAILURE(ExpectSameEntities());
  const int64_t t0 = 1641340800;
  ASSERT_NO_FATAL_FAILURE(WriteRandomSeries(t0));
  for (const char* ds : {"bgp", "ping-slash24"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectSameSeries(ds, t0));
    ASSERT_NO_FATAL_FAILURE(ExpectSameSpanAndEntities(ds));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectSameInputsAndState());
  ASSERT_NO_FATAL_FAILURE(ExpectSameDescription());
  EXPECT_FALSE(stores_[0]->WriteSeries({{"unregistered", {{ids_[0][1], 0, 1}}}}).ok());
}

TEST_F(BackendsAgree, DetectionAndAnnotations) {
  auto run = [&](int k, UnixSeconds from, std::vector<Alert> alerts, std::vector<Event> events,
                 std::vector<Schedule> schedules) {
    for (auto& a : alerts) a.entity_id = ids_[k][static_cast<size_t>(a.entity_id)];
    for (auto& e : events) e.entity_id = ids_[k][static_cast<size_t>(e.entity_id)];
    for (auto& s : schedules) s.entity_id = ids_[k][static_cast<size_t>(s.entity_id)];
    Status st = stores_[k]->ReplaceDetection(from, alerts, events, schedules);
    EXPECT_TRUE(st.ok()) << st.message();
    return schedules;
  };
  auto compare = [&] {
    auto ea = stores_[0]->ListEvents({});
    auto eb = stores_[1]->ListEvents({});
    ASSERT_TRUE(ea.ok() && eb.ok()) << ea.message() << eb.message();
    ASSERT_EQ(ea->size(), eb->size());
    for (size_t i = 0; i < ea->size(); ++i) {
      const Event& x = (*ea)[i];
      const Event& y = (*eb)[i];
      EXPECT_EQ(x.id, y.id);
      EXPECT_EQ(Index(0, x.entity_id), Index(1, y.entity_id));
      EXPECT_EQ(x.kind + x.datasources + x.classification + x.coverage + x.detail,
                y.kind + y.datasources + y.classification + y.coverage + y.detail);
      EXPECT_EQ(x.start_t, y.start_t);
      EXPECT_EQ(x.end_t, y.end_t);
      EXPECT_EQ(x.schedule_id, y.schedule_id);
      EXPECT_EQ(x.depth, y.depth);
    }
    auto aa = stores_[0]->ListAlerts({});
    auto ab = stores_[1]->ListAlerts({});
    ASSERT_TRUE(aa.ok() && ab.ok());
    ASSERT_EQ(aa->size(), ab->size());
    for (size_t i = 0; i < aa->size(); ++i) {
      EXPECT_EQ((*aa)[i].t, (*ab)[i].t);
      EXPECT_EQ((*aa)[i].level, (*ab)[i].level);
      EXPECT_EQ((*aa)[i].value, (*ab)[i].value);
      EXPECT_EQ(Index(0, (*aa)[i].entity_id), Index(1, (*ab)[i].entity_id));
    }
    auto sa = stores_[0]->ListSchedules({});
    auto sb = stores_[1]->ListSchedules({});
    ASSERT_TRUE(sa.ok() && sb.ok());
    // Listed by entity id, which differs between the backends: compare in id order.
    auto by_id = [](const Schedule& x, const Schedule& y) { return x.id < y.id; };
    std::sort(sa->begin(), sa->end(), by_id);
    std::sort(sb->begin(), sb->end(), by_id);
    ASSERT_EQ(sa->size(), sb->size());
    for (size_t i = 0; i < sa->size(); ++i) {
      EXPECT_EQ((*sa)[i].id, (*sb)[i].id);
      EXPECT_EQ((*sa)[i].first_day, (*sb)[i].first_day);
    }
    TimeFilter f;
    f.from = 1500;
    f.until = 5200;
    f.datasource = "ping-slash24";
    EXPECT_EQ(stores_[0]->ListEvents(f)->size(), stores_[1]->ListEvents(f)->size());
  };
  std::vector<Schedule> s1 = {{0, 1, "Asia/Almaty", 360, 1380, "2022-01-05", "2022-01-10", 0.9}};
  std::vector<Alert> a1 = {{0, "bgp", 1, 1000, AlertLevel::kCritical, "< 0.8", 10, 100, "median"},
                           {0, "bgp", 2, 5000, AlertLevel::kWarning, "< 0.99", 95, 100, "median"}};
  std::vector<Event> e1 = {{0, 1, "outage", 1000, 2000, 5, "bgp", "routing", -1, 0.9, "{\"peers\":3}", "{}"},
                           {0, 2, "outage", 5000, 0, 1, "bgp,ping-slash24", "routing", 0, 0.1, "", ""}};
  std::vector<Schedule> kept[2];
  for (int k = 0; k < 2; ++k) kept[k] = run(k, 0, a1, e1, s1);
  compare();
  // Incremental: keep the schedule by id, add one, replace from 4000.
  for (int k = 0; k < 2; ++k) {
    std::vector<Schedule> s2 = {kept[k][0], {0, 0, "Asia/Almaty", 0, 60, "2022-01-06", "2022-01-09", 0.5}};
    s2[0].entity_id = 1;
    std::vector<Alert> a2 = {{0, "bgp", 3, 4500, AlertLevel::kCritical, "< 0.8", 1, 100, "median"}};
    std::vector<Event> e2 = {{0, 3, "outage", 4500, 6000, 7, "ping-slash24", "data-plane", -2, 0.99, "", ""}};
    run(k, 4000, a2, e2, s2);
  }
  compare();
  for (int k = 0; k < 2; ++k) run(k, 1'000'000, {}, {}, {});  // drop every schedule
  compare();
  auto one = stores_[0]->EventById(1);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->start_t, 1000);

  for (int k = 0; k < 2; ++k) {
    auto id = stores_[k]->AddAnnotation(
        {0, ids_[k][0], 1000, 5000, "state-of-emergency", "it's \"declared\"", "https://x/y?a=1&b=2", ""});
    ASSERT_TRUE(id.ok()) << id.message();
    ASSERT_TRUE(
        stores_[k]->AddAnnotation({0, ids_[k][1], 6000, 0, "note", "open", "", R"({"links":["https://a\tb"]})"}).ok());
    ASSERT_TRUE(stores_[k]->DeleteAnnotation(*id).ok());
    EXPECT_FALSE(stores_[k]->DeleteAnnotation(*id).ok());
    EXPECT_FALSE(stores_[k]->AddAnnotation({0, 987654321, 0, 0, "note", "", "", ""}).ok());
  }
  auto na = stores_[0]->ListAnnotations({});
  auto nb = stores_[1]->ListAnnotations({});
  ASSERT_TRUE(na.ok() && nb.ok());
  ASSERT_EQ(na->size(), 1u);
  ASSERT_EQ(nb->size(), 1u);
  EXPECT_EQ((*na)[0].id, (*nb)[0].id);
  EXPECT_EQ((*na)[0].text, (*nb)[0].text);
  EXPECT_EQ((*na)[0].detail, R"({"links":["https://a\tb"]})");  // detail (tab included) survives TSV
}

}  // namespace
}  // namespace vigil::store
