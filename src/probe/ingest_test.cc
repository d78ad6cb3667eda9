// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/ingest.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "probe/hitlist.h"
#include "store/store.h"

namespace vigil::probe {
namespace {

// Blocks 198.18.X.0/24: country "ZZ"; region ZZ-A for even X, ZZ-B for odd X; ASN 64500 + X % 3.
class TestDirectory : public EntityDirectory {
 public:
  std::vector<EntityKey> EntitiesOfBlock(uint32_t base) override {
    if ((base >> 16) != 0xc612) return {};
    uint32_t x = (base >> 8) & 0xff;
    return {{"country", "ZZ"}, {"region", x % 2 ? "ZZ-B" : "ZZ-A"}, {"asn", std::to_string(64500 + x % 3)}};
  }
  store::Entity Describe(const EntityKey& key) override {
    store::Entity e;
    e.name = "Name of " + key.code;
    e.slash24_count = 7;
    e.tz = "UTC";
    return e;
  }
  std::optional<EntityKey> ParentOf(const EntityKey& key) override {
    if (key.type == "region") return EntityKey{"country", "ZZ"};
    return std::nullopt;
  }
};

TEST(Ingest, Median) {
  EXPECT_FALSE(Median({}));
  EXPECT_DOUBLE_EQ(*Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(*Median({4, 1, 3, 2}), 2.5);
}

// A random round, summarised by SummariseRound, against a direct per-entity recount.
TEST(Ingest, SummaryMatchesDirectCount) {
  std::mt19937 random(7);
  RoundLog log;
  log.start = 1641340800;
  for (uint32_t x = 0; x < 200; ++x) {
    BlockRecord b;
    b.base = 0xc6120000u | (x << 8);
    int kind = static_cast<int>(random() % 3);
    b.state = kind == 0 ? BlockState::kUp : kind == 1 ? BlockState::kDown : BlockState::kUnknown;
    b.sent = 1 + static_cast<int>(random() % 15);
    b.replies = kind == 0 ? 1 + static_cast<int>(random() % b.sent) : 0;
    for (int i = 0; i < b.replies; ++i) b.rtts_ms.push_back(double(random() % 1000) / 10);
    log.blocks.push_back(b);
  }
  TestDirectory directory;
  auto figures = SummariseRound(log, directory);
  for (const auto& [key, figure] : figures) {
    int64_t up = 0, sent = 0, replies = 0;
    std::vector<double> rtts;
    for (const auto& b : log.blocks) {
      auto keys = directory.EntitiesOfBlock(b.base);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
      rtts.insert(rtts.end(), b.rtts_ms.begin(), b.rtts_ms.end());
      if (b.state != BlockState::kUp) continue;
      ++up;
      sent += b.sent;
      replies += b.replies;
    }
    std::sort(rtts.begin(), rtts.end());
    EXPECT_EQ(figure.up, up) << key.code;
    ASSERT_TRUE(figure.loss);
    EXPECT_DOUBLE_EQ(*figure.loss, 1.0 - double(replies) / double(sent));
    ASSERT_FALSE(rtts.empty());
    double median = rtts.size() % 2 ? rtts[rtts.size() / 2] : (rtts[rtts.size() / 2 - 1] + rtts[rtts.size() / 2]) / 2;
    EXPECT_DOUBLE_EQ(*figure.rtt_p50_ms, median);
  }
  EXPECT_EQ(figures.size(), 1u + 2u + 3u);
}

class IngestFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-probe-ingest-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

size_t PointsIn(store::Store& store) {
  auto info = store.Describe();
  EXPECT_TRUE(info.ok()) << info.message();
  if (!info.ok()) return 0;
  size_t points = 0;
  for (const auto& span : info->datasources) points += static_cast<size_t>(span.points);
  return points;
}

TEST_F(IngestFile, WritesSeriesOnceAndLeavesNoPointsWithoutData) {
  std::string path = Write("probe-round.20220105.0000.tsv",
                           "#vigil-probe-round v1 start=1641340800 round_s=600 prober=t\n"
                           "198.18.0.0/24\tup\t0.990\t2\t1\t10.0\n"    // ZZ, ZZ-A, 64500
                           "198.18.1.0/24\tdown\t0.010\t3\t0\t-\n"     // ZZ, ZZ-B, 64501
                           "198.18.2.0/24\tup\t0.990\t1\t1\t30.0\n"    // ZZ, ZZ-A, 64502
                           "203.0.113.0/24\tup\t0.990\t1\t1\t5.0\n");  // unmapped
  auto opened = store::OpenStore(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.message();
  store::Store& store = **opened;
  ASSERT_TRUE(RegisterProbeDatasources(store).ok());
  TestDirectory directory;
  auto report = IngestRoundLogFile(path, store, directory, {});
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_FALSE(report->skipped);
  auto id = [&](const char* type, const char* code) { return (*store.FindEntity(type, code))->id; };
  auto value = [&](const char* ds, int64_t entity) -> std::optional<double> {
    auto points = store.ReadSeries(ds, entity, 1641340800, 1641340801);
    return points->empty() ? std::nullopt : std::optional<double>(points->front().value);
  };
  EXPECT_EQ(value("ping-slash24", id("country", "ZZ")), 2.0);
  EXPECT_EQ(value("ping-slash24", id("region", "ZZ-A")), 2.0);
  EXPECT_EQ(value("ping-slash24", id("region", "ZZ-B")), 0.0);  // probed and down: a real zero
  EXPECT_EQ(value("rtt-p50", id("country", "ZZ")), 20.0);
  EXPECT_EQ(value("loss", id("country", "ZZ")), 1.0 - 2.0 / 3.0);
  EXPECT_FALSE(value("rtt-p50", id("region", "ZZ-B")));  // no replies: missing, not zero
  EXPECT_FALSE(value("loss", id("region", "ZZ-B")));     // no up block: missing
  EXPECT_EQ((*store.FindEntity("region", "ZZ-A"))->parent_id, id("country", "ZZ"));
  EXPECT_EQ((*store.FindEntity("region", "ZZ-A"))->name, "Name of ZZ-A");
  size_t points = PointsIn(store);
  EXPECT_EQ(points, report->points);

  auto again = IngestRoundLogFile(path, store, directory, {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->skipped);
  EXPECT_EQ(PointsIn(store), points);
}

TEST_F(IngestFile, FailedCommitLeavesNothingAndBadFilesNameThemselves) {
  std::string path = Write("probe-round.20220105.0010.tsv",
                           "#vigil-probe-round v1 start=1641341400 round_s=600 prober=t\n"
                           "198.18.0.0/24\tup\t0.990\t1\t1\t10.0\n");
  const std::string db = (dir_ / "vigil.db").string();
  auto opened = store::OpenStore(db);
  ASSERT_TRUE(opened.ok()) << opened.message();
  store::Store& store = **opened;
  ASSERT_TRUE(RegisterProbeDatasources(store).ok());
  // The inputs row is the last write of a commit: refusing it fails the commit after its series were written.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TRIGGER full BEFORE INSERT ON inputs BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  TestDirectory directory;
  auto report = IngestRoundLogFile(path, store, directory, {});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.message().find(path), std::string::npos);
  EXPECT_EQ(PointsIn(store), 0u);
  EXPECT_TRUE(store.ListInputs(0, 0)->empty());

  std::string bad = Write("probe-round.20220105.0020.tsv", "garbage\n");
  auto failed = IngestRoundLogFile(bad, store, directory, {});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find(bad + ":1"), std::string::npos);

  auto files = RoundLogFiles({dir_.string()});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 2u);
  EXPECT_FALSE(RoundLogFiles({(dir_ / "nope").string()}).ok());
}

}  // namespace
}  // namespace vigil::probe
