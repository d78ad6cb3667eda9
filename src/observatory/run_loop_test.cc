// SPDX-License-Identifier: AGPL-3.0-or-later
// The run loop against a folder that fills up as a simulated scenario's files are published one by one:
// after the last poll the store must equal a batch ingest + detect of the same files, also when a file arrives
// after its bins closed, and across a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "detect/detect.h"
#include "geo/geo.h"
#include "observatory/observatory.h"
#include "signals/geo_counter.h"
#include "sim/sim.h"

namespace vigil::observatory {
namespace {

namespace fs = std::filesystem;

// A short scenario (20 hours, two collectors, a blackout in the middle) keeps the test at a few seconds.
constexpr char kScenario[] = R"({
  "name": "run-loop-test", "start": "2023-03-03T00:00:00Z", "end": "2023-03-03T20:00:00Z", "seed": 7,
  "countries": [ { "code": "XA", "tz": "Europe/Berlin", "name": "Arcadia" } ],
  "regions": [ { "code": "XA-N", "country": "XA", "slash24s": 600, "name": "North" },
               { "code": "XA-S", "country": "XA", "slash24s": 400, "name": "South" } ],
  "asns": [ { "asn": 64901, "name": "Arcadia Telecom", "country": "XA", "regions": { "XA-N": 0.6, "XA-S": 0.5 } },
            { "asn": 64902, "name": "Arcadia Mobile", "country": "XA", "regions": { "XA-N": 0.3, "XA-S": 0.4 } } ],
  "collectors": [ { "name": "rrc00", "peers": 6, "full_feed_peers": 4 },
                  { "name": "rrc25", "peers": 4, "full_feed_peers": 3 } ],
  "probing": { "round_s": 600, "blocks_fraction": 0.1 },
  "events": [ { "id": "blackout", "kind": "withdraw", "entity": "country/XA", "fraction": 0.95,
                "start": "2023-03-03T10:00:00Z", "end": "2023-03-03T13:00:00Z" } ],
  "noise": { "flaps_per_hour": 10, "probe_loss": 0.01 }
})";

struct World {
  fs::path dir;
  std::unique_ptr<geo::GeoDatabase> geo;
  int64_t full_feed_min = 0;
  std::vector<fs::path> files;  // every MRT file, relative to dir/mrt
};

World& SharedWorld() {
  static World* world = [] {
    auto* w = new World;
    w->dir = fs::temp_directory_path() / ("vigil-run-loop-" + std::to_string(getpid()));
    fs::remove_all(w->dir);
    auto scenario = sim::ParseScenario(kScenario, "run-loop-test");
    EXPECT_TRUE(scenario.ok()) << scenario.message();
    auto summary = sim::RunSimulation(*scenario, w->dir.string(), sim::SimOptions{});
    EXPECT_TRUE(summary.ok()) << summary.message();
    w->full_feed_min = summary->full_feed_min_prefixes;
    geo::OpenOptions geo_options;
    geo_options.geo_dir = (w->dir / "geo").string();
    geo_options.cache_dir = "";
    auto geo = geo::GeoDatabase::Open(geo_options);
    EXPECT_TRUE(geo.ok()) << geo.message();
    w->geo = std::move(*geo);
    for (const auto& e : fs::recursive_directory_iterator(w->dir / "mrt")) {
      if (e.is_regular_file()) w->files.push_back(fs::relative(e.path(), w->dir / "mrt"));
    }
    std::sort(w->files.begin(), w->files.end());
    return w;
  }();
  return *world;
}

// Series, inputs (without their ingest time), alerts and events of a store as text, entities named by code.
std::string Digest(store::Store& s) {
  std::ostringstream out;
  auto entities = s.ListEntities(store::EntityQuery{});
  EXPECT_TRUE(entities.ok());
  std::map<int64_t, std::string> code;
  for (const auto& e : *entities) code[e.id] = e.type + "/" + e.code;
  for (const char* datasource : {"bgp", "bgp-v6"}) {
    for (const auto& e : *entities) {
      auto points = s.ReadSeries(datasource, e.id, 0, INT64_MAX / 2);
      EXPECT_TRUE(points.ok());
      for (const auto& p : *points) {
        out << "series " << datasource << " " << code[e.id] << " " << p.t << " " << p.value << "\n";
      }
    }
  }
  auto inputs = s.ListInputs(0, 0);
  EXPECT_TRUE(inputs.ok());
  std::vector<std::string> rows;
  for (const auto& in : *inputs) {
    rows.push_back("input " + in.sha256 + " " + in.name + " " + in.kind + " " + in.collector + " " +
                   std::to_string(in.records) + " " + std::to_string(in.first_t) + " " + std::to_string(in.last_t));
  }
  std::sort(rows.begin(), rows.end());
  for (const auto& r : rows) out << r << "\n";
  store::TimeFilter all;
  all.until = INT64_MAX / 2;
  auto alerts = s.ListAlerts(all);
  EXPECT_TRUE(alerts.ok());
  for (const auto& a : *alerts) {
    out << "alert " << a.datasource << " " << code[a.entity_id] << " " << a.t << " " << int(a.level) << " "
        << a.condition << " " << a.value << " " << a.baseline << "\n";
  }
  auto events = s.ListEvents(all);
  EXPECT_TRUE(events.ok());
  for (const auto& e : *events) {
    out << "event " << code[e.entity_id] << " " << e.kind << " " << e.start_t << " " << e.end_t << " " << e.score << " "
        << e.datasources << " " << e.classification << " " << e.depth << "\n";
  }
  return out.str();
}

class RunLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_ = &SharedWorld();
    root_ = fs::temp_directory_path() / ("vigil-run-loop-case-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "mirror");
    counter_ = std::make_unique<signals::GeoSlash24Counter>(*world_->geo);
    counter6_ = std::make_unique<signals::GeoSlash48Counter>(*world_->geo);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<store::Store> OpenFresh(const std::string& name, std::vector<int64_t>& ids) {
    auto s = store::OpenStore((root_ / name).string());
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE((*s)->RegisterDatasource(BgpDatasource()).ok());
    EXPECT_TRUE((*s)->RegisterDatasource(BgpV6Datasource()).ok());
    auto entity_ids = UpsertGeoEntities(**s, signals::GeoEntities(*world_->geo));
    EXPECT_TRUE(entity_ids.ok());
    ids = *entity_ids;
    return std::move(*s);
  }

  signals::VisibilityOptions Visibility() const {
    signals::VisibilityOptions v;
    v.full_feed_min_prefixes = world_->full_feed_min;
    return v;
  }
  signals::VisibilityOptions VisibilityV6() const {
    signals::VisibilityOptions v;
    v.full_feed_min_prefixes = signals::kIpv6FullFeedMinPrefixes;  // as vigil run and ingest default
    return v;
  }

  // What `vigil ingest mrt DIR` + `vigil detect` make of every file.
  std::string BatchDigest() {
    std::vector<int64_t> ids;
    auto s = OpenFresh("batch.db", ids);
    auto inputs = signals::DiscoverMrtInputs({(world_->dir / "mrt").string()});
    EXPECT_TRUE(inputs.ok());
    signals::VisibilityModel model(Visibility(), counter_.get());
    signals::VisibilityModel6 model6(VisibilityV6(), counter6_.get());
    StoreSignalSink sink(*s, ids);
    auto ingest = signals::RunBgpIngest(std::move(*inputs), model, signals::BgpIngestOptions{}, sink, &model6);
    EXPECT_TRUE(ingest.ok()) << ingest.message();
    auto detected = detect::DetectBatch(*s, detect::DetectOptions{}, std::nullopt, std::nullopt);
    EXPECT_TRUE(detected.ok()) << detected.message();
    EXPECT_GT(detected->events, 0u);
    return Digest(*s);
  }

  // Copies (renames into place) every file whose interval has ended by `now`, except those held back.
  void Publish(UnixSeconds now, const std::set<std::string>& held = {}) {
    for (const fs::path& rel : world_->files) {
      if (held.count(rel.string()) || fs::exists(root_ / "mirror" / rel)) continue;
      signals::MrtInputFile d = signals::DescribeMrtFile(rel.string(), rel.string());
      UnixSeconds end = d.name_time + (d.kind == signals::MrtFileKind::kRib ? 0 : 300);
      if (end > now) continue;
      fs::create_directories((root_ / "mirror" / rel).parent_path());
      fs::copy_file(world_->dir / "mrt" / rel, root_ / "mirror" / (rel.string() + ".part"));
      fs::rename(root_ / "mirror" / (rel.string() + ".part"), root_ / "mirror" / rel);
    }
  }

  RunOptions Options() const {
    RunOptions o;
    o.collectors = {"rrc00", "rrc25"};
    o.from = *ParseTime("2023-03-03T00:00:00Z");
    o.deadline_s = 1800;
    o.cache_dir = (root_ / "mirror").string();
    o.visibility = Visibility();
    o.visibility_v6 = VisibilityV6();
    return o;
  }

  World* world_ = nullptr;
  fs::path root_;
  std::unique_ptr<signals::GeoSlash24Counter> counter_;
  std::unique_ptr<signals::GeoSlash48Counter> counter6_;
};

// "20230303.1030", as RIS names files.
std::string FormatFileStamp(UnixSeconds t) {
  std::string iso = FormatRfc3339(t);  // 2023-03-03T10:30:00Z
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + "." + iso.substr(11, 2) + iso.substr(14, 2);
}

const UnixSeconds kStart = *ParseTime("2023-03-03T00:00:00Z");
const UnixSeconds kEnd = *ParseTime("2023-03-03T20:00:00Z");

TEST_F(RunLoopTest, FollowingFilesAsTheyArriveEqualsABatchRun) {
  std::vector<int64_t> ids;
  auto s = OpenFresh("run.db", ids);
  DirectorySource source((root_ / "mirror").string(), {"rrc00", "rrc25"});
  RunLoop loop(*s, source, *counter_, *counter6_, ids, Options());
  ASSERT_TRUE(loop.Start().ok());
  int64_t ingested = 0, closed = 0, deadline = 0;
  // Polls every 10 minutes of scenario time, files published as their interval ends.
  for (UnixSeconds now = kStart + 60; now <= kEnd + 3600; now += 600) {
    Publish(now);
    auto step = loop.StepAt(now);
    ASSERT_TRUE(step.ok()) << step.message();
    EXPECT_TRUE(step->errors.empty()) << step->errors.front();
    EXPECT_EQ(step->late_files, 0);
    ingested += step->ingested;
    closed += step->bins_closed;
    deadline += step->bins_closed_by_deadline;
  }
  EXPECT_EQ(ingested, int64_t(world_->files.size()));
  EXPECT_GT(closed, 200);
  EXPECT_EQ(deadline, 0);  // both collectors always delivered
  RunHealth h = loop.Health();
  ASSERT_EQ(h.collectors.size(), 2u);
  EXPECT_EQ(h.collectors[0].name, "rrc00");
  EXPECT_EQ(h.collectors[0].newest_file_end, kEnd);
  EXPECT_EQ(Digest(*s), BatchDigest());
}

TEST_F(RunLoopTest, ALateFileReopensItsBinsAndTheResultStillEqualsABatchRun) {
  std::vector<int64_t> ids;
  auto s = OpenFresh("run.db", ids);
  DirectorySource source((root_ / "mirror").string(), {"rrc00", "rrc25"});
  RunLoop loop(*s, source, *counter_, *counter6_, ids, Options());
  ASSERT_TRUE(loop.Start().ok());
  // rrc25 goes silent at 10:30 for two hours (inside the blackout): its bins close by deadline without it,
  // then its files arrive and those bins are recomputed.
  std::set<std::string> held;
  for (UnixSeconds t = *ParseTime("2023-03-03T10:30:00Z"); t < *ParseTime("2023-03-03T12:30:00Z"); t += 300) {
    held.insert("rrc25/updates." + FormatFileStamp(t) + ".gz");
  }
  const UnixSeconds release = *ParseTime("2023-03-03T12:40:00Z");
  int64_t late = 0, rebuilds = 0, by_deadline = 0;
  for (UnixSeconds now = kStart + 60; now <= kEnd + 3600; now += 600) {
    Publish(now, now < release ? held : std::set<std::string>{});
    auto step = loop.StepAt(now);
    ASSERT_TRUE(step.ok()) << step.message();
    late += step->late_files;
    rebuilds += step->rebuilds;
    by_deadline += step->bins_closed_by_deadline;
  }
  EXPECT_GE(late, 10);     // 10:30 .. about 12:00 closed by deadline before the files came
  EXPECT_EQ(rebuilds, 1);  // all of them in one rebuild
  EXPECT_GE(by_deadline, 10);
  RunHealth h = loop.Health();
  EXPECT_EQ(h.collectors[1].bins_closed_by_deadline, by_deadline);
  EXPECT_EQ(h.collectors[0].bins_closed_by_deadline, 0);
  EXPECT_EQ(h.late_files, late);
  EXPECT_EQ(Digest(*s), BatchDigest());
}

TEST_F(RunLoopTest, ARestartResumesWithNoFileSkippedOrCountedTwice) {
  std::vector<int64_t> ids;
  auto s = OpenFresh("run.db", ids);
  DirectorySource source((root_ / "mirror").string(), {"rrc00", "rrc25"});
  const UnixSeconds stop_at = *ParseTime("2023-03-03T09:00:00Z");
  int64_t ingested = 0;
  {
    RunLoop first(*s, source, *counter_, *counter6_, ids, Options());
    ASSERT_TRUE(first.Start().ok());
    for (UnixSeconds now = kStart + 60; now < stop_at; now += 600) {
      Publish(now);
      auto step = first.StepAt(now);
      ASSERT_TRUE(step.ok()) << step.message();
      ingested += step->ingested;
    }
  }
  RunOptions again = Options();
  again.from.reset();  // the saved start is used
  RunLoop second(*s, source, *counter_, *counter6_, ids, again);
  ASSERT_TRUE(second.Start().ok());
  EXPECT_EQ(second.from(), kStart);
  for (UnixSeconds now = stop_at + 1200; now <= kEnd + 3600; now += 600) {
    Publish(now);
    auto step = second.StepAt(now);
    ASSERT_TRUE(step.ok()) << step.message();
    EXPECT_EQ(step->late_files, 0);
    ingested += step->ingested;
  }
  EXPECT_EQ(ingested, int64_t(world_->files.size()));
  EXPECT_EQ(Digest(*s), BatchDigest());
}

}  // namespace
}  // namespace vigil::observatory
