// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "detect/detect.h"
#include "detect/test_util.h"

namespace vigil::detect {
namespace {

using testing::kDay;
using testing::kT0;

std::unique_ptr<store::Store> NewStore(const testing::World& w) {
  auto opened = store::OpenStore(":memory:");
  EXPECT_TRUE(opened.ok()) << opened.message();
  std::unique_ptr<store::Store> s = std::move(*opened);
  std::vector<store::Entity> entities = w.entities;
  for (auto& e : entities) e.parent_id = 0;
  EXPECT_TRUE(s->UpsertEntities(entities).ok());
  // Parents by code, since ids are the store's.
  for (size_t i = 0; i < entities.size(); ++i) {
    if (w.entities[i].parent_id != 0) {
      entities[i].parent_id = entities[static_cast<size_t>(w.entities[i].parent_id - 1)].id;
      EXPECT_TRUE(s->UpsertEntity(entities[i]).ok());
    }
    EXPECT_EQ(entities[i].id, w.entities[i].id);  // a fresh store numbers from 1 in order
  }
  for (const char* name : {"bgp", "ping-slash24", "rtt-p50"}) {
    EXPECT_TRUE(s->RegisterDatasource({name, std::string(name) == "bgp" ? 300 : 600, ""}).ok());
  }
  return s;
}

void Write(store::Store& s, const testing::World& w, UnixSeconds from, UnixSeconds until) {
  std::vector<store::SeriesBatch> batches;
  for (const Series& series : w.series) {
    store::SeriesBatch batch;
    batch.datasource = series.datasource;
    for (const Sample& sample : series.samples) {
      if (sample.t >= from && sample.t < until && sample.value) {
        batch.points.push_back({series.entity_id, sample.t, *sample.value});
      }
    }
    batches.push_back(std::move(batch));
  }
  ASSERT_TRUE(s.WriteSeries(batches).ok());
}

struct Snapshot {
  std::vector<std::tuple<std::string, int64_t, UnixSeconds, int, double, double, std::string>> alerts;
  std::vector<std::tuple<int64_t, UnixSeconds, UnixSeconds, std::string, double, std::string, std::string, int>> events;
  std::vector<std::tuple<int64_t, int, int, std::string, std::string>> schedules;
};

Snapshot Read(store::Store& s) {
  Snapshot out;
  auto alerts = s.ListAlerts(store::TimeFilter{});
  auto events = s.ListEvents(store::TimeFilter{});
  auto schedules = s.ListSchedules({});
  EXPECT_TRUE(alerts.ok() && events.ok() && schedules.ok());
  std::map<int64_t, int> schedule_index;
  for (auto& sc : *schedules) {
    schedule_index[sc.id] = static_cast<int>(out.schedules.size()) + 1;
    out.schedules.emplace_back(sc.entity_id, sc.on_start_min, sc.on_end_min, sc.first_day, sc.last_day);
  }
  for (auto& a : *alerts) {
    out.alerts.emplace_back(a.datasource, a.entity_id, a.t, static_cast<int>(a.level), a.value, a.baseline,
                            a.condition);
  }
  for (auto& e : *events) {
    out.events.emplace_back(e.entity_id, e.start_t, e.end_t, e.classification, e.score, e.datasources, e.detail,
                            e.schedule_id ? schedule_index.at(e.schedule_id) : 0);
  }
  std::sort(out.alerts.begin(), out.alerts.end());
  std::sort(out.events.begin(), out.events.end());
  return out;
}

TEST(StoreIo, FollowingTheStoreEqualsBatch) {
  testing::World w = testing::MakeWorld(21);
  auto batch = NewStore(w);
  Write(*batch, w, 0, INT64_MAX);
  auto stats = DetectBatch(*batch, DetectOptions{}, std::nullopt, std::nullopt);
  ASSERT_TRUE(stats.ok()) << stats.message();
  EXPECT_GT(stats->events, 5u);
  Snapshot expected = Read(*batch);

  auto follow = NewStore(w);
  StoreFollower follower(*follow, DetectOptions{}, std::nullopt, 0);
  // Data arrives 7 hours at a time (not aligned to days or to events), with a poll after each arrival.
  for (UnixSeconds t = kT0; t < kT0 + 13 * kDay; t += 7 * 3600) {
    Write(*follow, w, t, t + 7 * 3600);
    auto polled = follower.Poll();
    ASSERT_TRUE(polled.ok()) << polled.message();
  }
  auto idle = follower.Poll();
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->bins, 0u);
  Snapshot got = Read(*follow);
  EXPECT_EQ(got.alerts, expected.alerts);
  EXPECT_EQ(got.events, expected.events);
  EXPECT_EQ(got.schedules, expected.schedules);
  EXPECT_EQ(expected.schedules.size(), 2u);
}

TEST(StoreIo, FollowingBinByBinAcrossAThrottleEndEqualsBatch) {
  // A region's throttling event is attributed to a network's once the region's latency step at the end is
  // known, up to two bins after the network's event closed: polling after every round must still end with
  // what a batch run writes.
  testing::World w = testing::MakeWorld(22);
  auto batch = NewStore(w);
  Write(*batch, w, 0, INT64_MAX);
  ASSERT_TRUE(DetectBatch(*batch, DetectOptions{}, std::nullopt, std::nullopt).ok());
  Snapshot expected = Read(*batch);

  auto follow = NewStore(w);
  StoreFollower follower(*follow, DetectOptions{}, std::nullopt, 0);
  const UnixSeconds fine_from = kT0 + 4 * kDay + 14 * 3600, fine_until = kT0 + 4 * kDay + 17 * 3600;
  std::vector<UnixSeconds> cuts = {kT0, fine_from};
  for (UnixSeconds t = fine_from + 600; t <= fine_until; t += 600) cuts.push_back(t);
  cuts.push_back(kT0 + 13 * kDay);
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    Write(*follow, w, cuts[i], cuts[i + 1]);
    ASSERT_TRUE(follower.Poll().ok());
  }
  Snapshot got = Read(*follow);
  EXPECT_EQ(got.events, expected.events);
  EXPECT_EQ(got.alerts, expected.alerts);
  int attributed = 0;
  for (const auto& e : expected.events) attributed += std::get<6>(e).find("attributed_to") != std::string::npos;
  EXPECT_EQ(attributed, 1);
}

TEST(StoreIo, BatchFromATimeKeepsEarlierResultsAndDoesNotDuplicate) {
  testing::World w = testing::MakeWorld(22);
  auto s = NewStore(w);
  Write(*s, w, 0, INT64_MAX);
  ASSERT_TRUE(DetectBatch(*s, DetectOptions{}, std::nullopt, std::nullopt).ok());
  Snapshot full = Read(*s);
  auto again = DetectBatch(*s, DetectOptions{}, kT0 + 9 * kDay + 3600, std::nullopt);
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_GT(again->replaced_from, 0);
  Snapshot partial = Read(*s);
  EXPECT_EQ(partial.events.size(), full.events.size());
  for (size_t i = 0; i < std::min(partial.events.size(), full.events.size()); ++i) {
    EXPECT_EQ(std::get<0>(partial.events[i]), std::get<0>(full.events[i]));
    EXPECT_EQ(std::get<1>(partial.events[i]), std::get<1>(full.events[i]));
    EXPECT_EQ(std::get<2>(partial.events[i]), std::get<2>(full.events[i]));
  }
}

TEST(StoreIo, ImportSeriesCreatesEntitiesAndIsIdempotent) {
  auto opened = store::OpenStore(":memory:");
  ASSERT_TRUE(opened.ok());
  store::Store& s = **opened;
  const std::string path =
      std::filesystem::temp_directory_path() / ("vigil-import-" + std::to_string(getpid()) + ".csv");
  {
    std::ofstream out(path);
    out << "entity,time,value\n";
    for (int i = 0; i < 48; ++i) {
      out << "region/IR-23," << (1663718400 + i * 1800) << "," << 100 + i % 3 << "\n";
      if (i % 5 == 0) out << "region/IR-23," << (1663718400 + i * 1800) << "," << 100 + i % 3 << "\n";
    }
  }
  auto report = ImportSeriesFile(s, path, "ioda-gtr", {"IODA", "CC BY 4.0"});
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_EQ(report->parsed.step_s, 1800);
  EXPECT_EQ(report->parsed.duplicates, 10u);
  EXPECT_EQ(report->entities_created, 2u);  // the region and its country
  auto region = s.FindEntity("region", "IR-23");
  ASSERT_TRUE(region.ok() && region->has_value());
  auto country = s.FindEntity("country", "IR");
  ASSERT_TRUE(country.ok() && country->has_value());
  EXPECT_EQ((*region)->parent_id, (*country)->id);
  auto points = s.ReadSeries("ioda-gtr", (*region)->id, 0, INT64_MAX);
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->size(), 48u);
  auto datasources = s.ListDatasources();
  bool registered = false;
  for (auto& d : *datasources) registered |= d.name == "ioda-gtr" && d.step_s == 1800;
  EXPECT_TRUE(registered);
  // Provenance: the input, its points and the entities it created say "imported", from IODA.
  auto inputs = s.ListInputs(0, 0);
  ASSERT_TRUE(inputs.ok());
  ASSERT_EQ(inputs->size(), 1u);
  EXPECT_EQ(inputs->front().provenance.kind, store::ProvenanceKind::kImported);
  EXPECT_EQ(inputs->front().provenance.source, "IODA");
  EXPECT_EQ(inputs->front().provenance.licence, "CC BY 4.0");
  auto agg = s.ReadAggregated("ioda-gtr", (*region)->id, 1663718400, 1663718400 + 48 * 1800, 48 * 1800);
  ASSERT_TRUE(agg.ok());
  EXPECT_EQ(store::ProvenanceLabel(agg->AllProvenance()), "imported");
  EXPECT_EQ((*region)->provenance, store::ProvenanceKind::kImported);
  auto again = ImportSeriesFile(s, path, "ioda-gtr", {"IODA", "CC BY 4.0"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_imported);
  std::filesystem::remove(path);
  EXPECT_FALSE(ImportSeriesFile(s, path, "ioda-gtr", {"IODA", "CC BY 4.0"}).ok());
}

}  // namespace
}  // namespace vigil::detect
