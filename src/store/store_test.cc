// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::store {
namespace {

// The ladder rule, restated slowly: every candidate step in increasing order, first one that fits wins.
int64_t SlowStep(int64_t from, int64_t until, int64_t native, int64_t max_points) {
  if (max_points <= 0) return native;
  std::vector<int64_t> candidates = {native};
  for (int64_t s : {60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}) {
    if (s > native && s % native == 0) candidates.push_back(s);
  }
  for (int64_t w = 1; w < 10000; ++w) candidates.push_back(w * 7 * 86400);
  for (int64_t s : candidates) {
    int64_t buckets = 0;
    for (int64_t t = from; t < until; t += s) ++buckets;
    if (buckets <= max_points) return s;
  }
  return -1;
}

// One spelling per level, read back by AlertLevelFromName; any other text is normal.
TEST(AlertLevelName, RoundTripsAndUnknownIsNormal) {
  EXPECT_STREQ(AlertLevelName(AlertLevel::kNormal), "normal");
  EXPECT_STREQ(AlertLevelName(AlertLevel::kWarning), "warning");
  EXPECT_STREQ(AlertLevelName(AlertLevel::kCritical), "critical");
  for (AlertLevel level : {AlertLevel::kNormal, AlertLevel::kWarning, AlertLevel::kCritical}) {
    EXPECT_EQ(AlertLevelFromName(AlertLevelName(level)), level);
  }
  EXPECT_EQ(AlertLevelFromName("Critical"), AlertLevel::kNormal);
  EXPECT_EQ(AlertLevelFromName(""), AlertLevel::kNormal);
}

TEST(StepForMaxPoints, AgreesWithSlowLadder) {
  const int64_t from = 1641340800;
  for (int64_t native : {300, 600}) {
    for (int64_t span : {3600LL, 86400LL, 7 * 86400LL, 30 * 86400LL, 365 * 86400LL, 3 * 365 * 86400LL}) {
      for (int64_t max_points : {0, 1, 10, 100, 288, 1000, 5000}) {
        EXPECT_EQ(StepForMaxPoints(from, from + span, native, max_points),
                  SlowStep(from, from + span, native, max_points))
            << "native " << native << " span " << span << " maxPoints " << max_points;
      }
    }
  }
}

TEST(StepForMaxPoints, StepIsMultipleOfNative) {
  for (int64_t max_points = 1; max_points < 400; max_points += 7) {
    int64_t step = StepForMaxPoints(0, 40 * 86400, 600, max_points);
    EXPECT_EQ(step % 600, 0);
    EXPECT_LE((40 * 86400 + step - 1) / step, max_points);
  }
}

TEST(OpenStore, UriForms) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil_store_uri_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto a = OpenStore((dir / "a" / "b" / "x.db").string());  // parent folders created
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_TRUE(std::filesystem::exists(dir / "a" / "b" / "x.db"));
  auto b = OpenStore("sqlite:" + (dir / "y.db").string());
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_TRUE(std::filesystem::exists(dir / "y.db"));
  auto m = OpenStore(":memory:");
  ASSERT_TRUE(m.ok()) << m.message();
  auto ch = OpenStore("clickhouse://127.0.0.1:8123/vigil");
  ASSERT_FALSE(ch.ok());
  EXPECT_NE(ch.message().find("clickhouse://127.0.0.1:8123/vigil"), std::string::npos);
  auto bad = OpenStore("postgres://x/y");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("unknown scheme"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(OpenExistingStore, RefusesAMissingFileAndCreatesNothing) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil_store_existing_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "typo.db").string();
  auto missing = OpenExistingStore(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.message().find(path), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir));  // not even its folder
  ASSERT_TRUE(OpenStore(path).ok());
  auto existing = OpenExistingStore("sqlite:" + path);
  ASSERT_TRUE(existing.ok()) << existing.message();
  EXPECT_EQ((*existing)->PreferredCommitGroup(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::store
