// SPDX-License-Identifier: AGPL-3.0-or-later
// Two small simulations of the national-blackout world, one day apart: the first is turned into "observed" data
// (its provenance manifests removed, its geo world's time zone and a network's name changed, as a real geo
// database would say things differently), the second stays simulated. Both go through `vigil ingest mrt` / `vigil
// ingest probe` into one store, and the store is read back with sqlite3.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

const std::string kVigil = VIGIL_BINARY_DIR "/vigil";

struct Output {
  int status = 0;
  std::string text;
};

Output Shell(const std::string& command) {
  Output out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.text.append(buffer, n);
  int status = pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string Sql(const fs::path& store, const std::string& query) {
  Output out = Shell("sqlite3 -separator '|' " + store.string() + " \"" + query + "\"");
  EXPECT_EQ(out.status, 0) << out.text;
  return out.text;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class Provenance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("vigil-provenance-" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    Simulate("2023-03-02", root_ / "observed");
    Simulate("2023-03-03", root_ / "sim");
    // The first simulation becomes observed data: no manifests, and names a simulation would not use.
    for (auto it = fs::recursive_directory_iterator(root_ / "observed"); it != fs::recursive_directory_iterator();
         ++it) {
      if (it->path().filename() == "provenance.json") fs::remove(it->path());
    }
    ASSERT_EQ(
        Shell("sed -i 's/Europe\\/Berlin/Europe\\/Paris/' " + (root_ / "observed/geo/geo-ipv4.csv").string()).status,
        0);
    ASSERT_EQ(
        Shell("sed -i 's/Arcadia Telecom/Observed Telecom/' " + (root_ / "observed/geo/asn-ipv4.csv").string()).status,
        0);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // The national-blackout world shrunk to six hours of `day`.
  static void Simulate(const std::string& day, const fs::path& out) {
    std::string text = ReadFile(VIGIL_SOURCE_DIR "/scenarios/dev/national-blackout.json");
    auto replace = [&](const std::string& from, const std::string& to) {
      ASSERT_NE(text.find(from), std::string::npos) << from;
      text.replace(text.find(from), from.size(), to);
    };
    replace("\"start\": \"2023-03-01T00:00:00Z\"", "\"start\": \"" + day + "T06:00:00Z\"");
    replace("\"end\": \"2023-03-05T00:00:00Z\"", "\"end\": \"" + day + "T12:00:00Z\"");
    fs::path scenario = out.string() + ".json";
    std::ofstream(scenario) << text;
    Output sim = Shell(kVigil + " sim " + scenario.string() + " " + out.string());
    ASSERT_EQ(sim.status, 0) << sim.text;
  }

  static Output IngestMrt(const fs::path& store, const fs::path& world, const std::string& extra = "") {
    std::string config = ReadFile(world / "sim-config.json");
    const std::string key = "\"full_feed_min_prefixes\": ";
    std::string min = config.substr(config.find(key) + key.size());
    min = min.substr(0, min.find_first_of(",\n"));
    return Shell(kVigil + " ingest mrt -q --store " + store.string() + " --geo " + (world / "geo").string() +
                 " --full-feed-min " + min + " --full-feed-min-v6 1 " + extra + " " + (world / "mrt").string());
  }
  static Output IngestProbe(const fs::path& store, const fs::path& world, const std::string& extra = "") {
    return Shell(kVigil + " ingest probe --store " + store.string() + " --geo " + (world / "geo").string() + " " +
                 extra + " " + (world / "probe").string());
  }

  static fs::path root_;
};

fs::path Provenance::root_;

TEST_F(Provenance, TheSimulatorLabelsEveryFolderItWrites) {
  const fs::path sim = root_ / "sim";
  int folders = 0;
  for (auto it = fs::recursive_directory_iterator(sim); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_directory()) continue;
    ++folders;
    EXPECT_TRUE(fs::exists(it->path() / "provenance.json")) << it->path();
  }
  EXPECT_GE(folders, 4);  // mrt, mrt/<collector>..., probe, geo
  const std::string manifest = ReadFile(sim / "provenance.json");
  EXPECT_NE(manifest.find("\"provenance\": \"simulated\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\"scenario\": \"national-blackout\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\"seed\""), std::string::npos);
  EXPECT_NE(manifest.find("\"vigil_version\""), std::string::npos);
  EXPECT_EQ(ReadFile(sim / "mrt/rrc00/provenance.json"), manifest);
}

TEST_F(Provenance, SimulatedDataIsRefusedInAStoreOfObservedDataUnlessAllowed) {
  const fs::path store = root_ / "observed-first.db";
  Output observed = IngestMrt(store, root_ / "observed");
  ASSERT_EQ(observed.status, 0) << observed.text;
  ASSERT_EQ(IngestProbe(store, root_ / "observed").status, 0);
  EXPECT_EQ(Sql(store, "SELECT DISTINCT provenance FROM inputs"), "observed\n");
  const std::string inputs = Sql(store, "SELECT count(*) FROM inputs");
  const std::string kEntities =
      "SELECT type, code, name, slash24_count, tz, provenance FROM entities ORDER BY type, code";
  const std::string entities = Sql(store, kEntities);
  ASSERT_NE(entities.find("region|XA-N|XA-N|1200|Europe/Paris|0"), std::string::npos) << entities;
  ASSERT_NE(entities.find("asn|64901|Observed Telecom|"), std::string::npos) << entities;

  // Refused, naming the flag, and nothing written.
  Output refused = IngestMrt(store, root_ / "sim");
  EXPECT_EQ(refused.status, 2) << refused.text;
  EXPECT_NE(refused.text.find("holds observed inputs and these inputs are simulated"), std::string::npos)
      << refused.text;
  EXPECT_NE(refused.text.find("--allow-simulated"), std::string::npos) << refused.text;
  Output refused_probe = IngestProbe(store, root_ / "sim");
  EXPECT_EQ(refused_probe.status, 1) << refused_probe.text;
  EXPECT_NE(refused_probe.text.find("--allow-simulated"), std::string::npos) << refused_probe.text;
  EXPECT_EQ(Sql(store, "SELECT count(*) FROM inputs"), inputs);
  EXPECT_EQ(Sql(store, kEntities), entities);

  // Allowed: the simulated inputs go in, labelled; the observed entities keep every attribute.
  Output allowed = IngestMrt(store, root_ / "sim", "--allow-simulated");
  ASSERT_EQ(allowed.status, 0) << allowed.text;
  ASSERT_EQ(IngestProbe(store, root_ / "sim", "--allow-simulated").status, 0);
  EXPECT_EQ(Sql(store,
                "SELECT provenance, provenance_source, seed <> '', vigil_version <> '' FROM inputs "
                "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2"),
            "observed|prober sim|0|0\nobserved|rrc00|0|0\nobserved|rrc25|0|0\nsimulated|national-blackout|1|1\n");
  EXPECT_EQ(Sql(store, kEntities), entities);
  EXPECT_EQ(Sql(store,
                "SELECT s.slash24_count, s.tz FROM simulated_entities s JOIN entities e ON e.id = s.entity_id "
                "WHERE e.type = 'region' AND e.code = 'XA-N'"),
            "1200|Europe/Berlin\n");
  EXPECT_EQ(Sql(store,
                "SELECT s.name FROM simulated_entities s JOIN entities e ON e.id = s.entity_id "
                "WHERE e.type = 'asn' AND e.code = '64901'"),
            "Arcadia Telecom\n");
  // Each day's points carry their kind.
  EXPECT_EQ(Sql(store,
                "SELECT date(t, 'unixepoch'), provenance, count(*) > 0 FROM series_named "
                "WHERE entity_code = 'XA-N' AND datasource = 'bgp' GROUP BY 1, 2 ORDER BY 1"),
            "2023-03-02|observed|1\n2023-03-03|simulated|1\n");
}

TEST_F(Provenance, ObservedDataIsRefusedInAStoreOfSimulatedData) {
  const fs::path store = root_ / "simulated-first.db";
  ASSERT_EQ(IngestMrt(store, root_ / "sim").status, 0);
  EXPECT_EQ(Sql(store, "SELECT DISTINCT provenance FROM entities"), "1\n");  // every entity is the simulation's
  Output refused = IngestMrt(store, root_ / "observed");
  EXPECT_EQ(refused.status, 2) << refused.text;
  EXPECT_NE(refused.text.find("holds simulated inputs and these inputs are observed"), std::string::npos)
      << refused.text;
  EXPECT_EQ(Sql(store, "SELECT DISTINCT provenance FROM inputs"), "simulated\n");
}

TEST_F(Provenance, OneCallMayNotMixSimulatedAndObservedFiles) {
  const fs::path store = root_ / "mixed-call.db";
  Output mixed = Shell(kVigil + " ingest mrt -q --store " + store.string() + " --geo " + (root_ / "sim/geo").string() +
                       " " + (root_ / "sim/mrt").string() + " " + (root_ / "observed/mrt").string());
  EXPECT_EQ(mixed.status, 2) << mixed.text;
  EXPECT_NE(mixed.text.find("the files given mix provenance"), std::string::npos) << mixed.text;
  EXPECT_FALSE(fs::exists(store));  // refused before the store was opened
}

}  // namespace
