// SPDX-License-Identifier: AGPL-3.0-or-later
// End to end through the CLI: import an external index, detect in batch and in follow mode.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "detect/detect.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;

struct Output {
  int status;
  std::string text;
};

Output RunVigil(const std::string& args) {
  std::string command = std::string(VIGIL_BINARY_DIR "/vigil ") + args + " 2>&1";
  Output out{0, ""};
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.text.append(buffer, n);
  out.status = pclose(pipe);
  return out;
}

class DetectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-detect-cli-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    csv_ = (dir_ / "index.csv").string();
    std::ofstream out(csv_);
    out << "entity,time,value\n";
    // 10 days at 30 min; a 3-hour drop to 10 % on day 8 at 06:00 UTC; rows written newest first.
    const long t0 = 1663113600;  // 2022-09-14T00:00:00Z
    for (int i = 10 * 48 - 1; i >= 0; --i) {
      long t = t0 + i * 1800L;
      bool down = t >= t0 + 8 * 86400 + 6 * 3600 && t < t0 + 8 * 86400 + 9 * 3600;
      out << "region/IR-23," << t << "," << (down ? 100 : 1000 + i % 7) << "\n";
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<vigil::store::Event> Events(const std::string& db) {
    auto store = vigil::store::OpenStore(db);
    EXPECT_TRUE(store.ok());
    auto events = (*store)->ListEvents(vigil::store::TimeFilter{});
    EXPECT_TRUE(events.ok());
    return *events;
  }

  fs::path dir_;
  std::string csv_;
};

TEST_F(DetectCli, ImportThenDetectFindsTheDrop) {
  const std::string db = (dir_ / "a.db").string();
  Output imported = RunVigil("import series " + csv_ + " --datasource ioda-gtr --store " + db);
  ASSERT_EQ(imported.status, 0) << imported.text;
  EXPECT_NE(imported.text.find("step 1800 s"), std::string::npos) << imported.text;
  EXPECT_NE(imported.text.find("out of order"), std::string::npos) << imported.text;
  Output again = RunVigil("import series " + csv_ + " --datasource ioda-gtr --store " + db);
  EXPECT_NE(again.text.find("already imported"), std::string::npos) << again.text;

  Output detected = RunVigil("detect --store " + db);
  ASSERT_EQ(detected.status, 0) << detected.text;
  auto events = Events(db);
  ASSERT_EQ(events.size(), 1u) << detected.text;
  EXPECT_EQ(events[0].start_t, 1663113600 + 8 * 86400 + 6 * 3600);
  EXPECT_EQ(events[0].end_t, 1663113600 + 8 * 86400 + 9 * 3600);
  EXPECT_EQ(events[0].classification, "data-plane");
  EXPECT_EQ(events[0].datasources, "ioda-gtr");

  // Follow mode over the same store (settle 0) rewrites the same event.
  Output followed = RunVigil("detect --follow --settle 0 --polls 2 --interval 0 --store " + db);
  ASSERT_EQ(followed.status, 0) << followed.text;
  auto again_events = Events(db);
  ASSERT_EQ(again_events.size(), 1u);
  EXPECT_EQ(again_events[0].start_t, events[0].start_t);
  EXPECT_EQ(again_events[0].end_t, events[0].end_t);
  EXPECT_EQ(again_events[0].score, events[0].score);
}

TEST_F(DetectCli, BadInputsFailWithOneLineNamingThem) {
  const std::string db = (dir_ / "b.db").string();
  std::ofstream(dir_ / "bad.csv") << "region/IR-23,2022-09-14T00:00:00Z,1\nregion/IR-23,noon,2\n";
  Output bad = RunVigil("import series " + (dir_ / "bad.csv").string() + " --datasource x --store " + db);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.text.find("bad.csv:2:"), std::string::npos) << bad.text;
  Output times = RunVigil("detect --from 2022-09-20 --until 2022-09-10 --store " + db);
  EXPECT_NE(times.status, 0);
  EXPECT_NE(times.text.find("--from"), std::string::npos) << times.text;
  Output follow_until = RunVigil("detect --follow --until 2022-09-10 --store " + db);
  EXPECT_NE(follow_until.status, 0);
}

}  // namespace
