// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil store init|info` and `vigil series` run as a user would, on a store filled through the Store API;
// the printed series is compared with points computed here from what was written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "base/time_format.h"
#include "store/migrations.h"
#include "store/store.h"

namespace vigil::store {
namespace {

struct CliRun {
  int status;
  std::string out;
};

CliRun Vigil(const std::string& args) {
  std::string cmd = std::string(VIGIL_BINARY_DIR) + "/vigil " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

class StoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vigil_store_cli_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    db_ = (dir_ / "var" / "vigil.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string db_;
};

TEST_F(StoreCliTest, InitInfoSeries) {
  CliRun missing = Vigil("store info --store " + db_);
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find(db_), std::string::npos) << missing.out;

  CliRun init = Vigil("store init --store " + db_);
  ASSERT_EQ(init.status, 0) << init.out;
  // The number of embedded migrations, not a literal: a new migration must not break this test.
  std::string version = "schema version " + std::to_string(vigil::store::Migrations().size());
  EXPECT_NE(init.out.find(version), std::string::npos) << init.out;

  const int64_t t0 = 1641340800;  // 2022-01-05T00:00:00Z
  std::map<int64_t, double> written;
  {
    auto store = OpenStore(db_);
    ASSERT_TRUE(store.ok()) << store.message();
    auto kz = (*store)->UpsertEntity({0, "country", "KZ", "Kazakhstan", 0, 0, ""});
    ASSERT_TRUE(kz.ok());
    auto ala = (*store)->UpsertEntity({0, "region", "KZ-ALA", "Almaty", *kz, 0, ""});
    ASSERT_TRUE(ala.ok());
    SeriesBatch batch{"bgp", {}};
    for (int i = 0; i < 24; ++i) {
      if (i == 5 || i == 6) continue;  // two missing bins
      double v = 1000 + i * 3.5;
      written[t0 + i * 300] = v;
      batch.points.push_back({*ala, t0 + i * 300, v});
    }
    ASSERT_TRUE((*store)->WriteSeries({batch}).ok());
  }

  CliRun info = Vigil("store info --store sqlite:" + db_);
  ASSERT_EQ(info.status, 0) << info.out;
  EXPECT_TRUE(std::regex_search(info.out, std::regex("\nseries +22\n"))) << info.out;
  EXPECT_NE(info.out.find("2022-01-05T00:00:00Z"), std::string::npos) << info.out;

  CliRun csv = Vigil("series --store " + db_ +
                     " --entity region/KZ-ALA --datasource bgp --from 2022-01-05T00:00:00Z "
                     "--until 2022-01-05T02:00:00Z --csv");
  ASSERT_EQ(csv.status, 0) << csv.out;
  std::istringstream lines(csv.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "time,unix,bgp");
  int rows = 0;
  while (std::getline(lines, line)) {
    int64_t t = t0 + rows * 300;
    std::string want = FormatRfc3339(t) + "," + std::to_string(t) + ",";
    auto it = written.find(t);
    if (it != written.end()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", it->second);
      want += buf;
    }
    EXPECT_EQ(line, want);
    ++rows;
  }
  EXPECT_EQ(rows, 24);

  // 30-minute buckets: averages of what was written, missing bins left out of the average.
  CliRun agg =
      Vigil("series --store " + db_ + " --entity region/KZ-ALA --from 1641340800 --until 1641348000 --step 1800");
  ASSERT_EQ(agg.status, 0) << agg.out;
  std::istringstream agg_lines(agg.out);
  std::getline(agg_lines, line);  // header comment
  for (int b = 0; b < 4; ++b) {
    ASSERT_TRUE(std::getline(agg_lines, line));
    double sum = 0;
    int n = 0;
    for (auto it = written.lower_bound(t0 + b * 1800); it != written.end() && it->first < t0 + (b + 1) * 1800; ++it) {
      sum += it->second;
      ++n;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", sum / n);
    EXPECT_EQ(line, FormatRfc3339(t0 + b * 1800) + "  " + buf);
  }

  CliRun bad = Vigil("series --store " + db_ + " --entity region/XX-YY");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("region/XX-YY"), std::string::npos);
  CliRun bad_time = Vigil("series --store " + db_ + " --entity region/KZ-ALA --from yesterday --until 2022-01-06");
  EXPECT_EQ(bad_time.status, 1);
  EXPECT_NE(bad_time.out.find("--from"), std::string::npos);
}

}  // namespace
}  // namespace vigil::store
