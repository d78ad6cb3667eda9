// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

const std::string kVigil = VIGIL_BINARY_DIR "/vigil";

struct Output {
  int status = 0;
  std::string text;
};

Output Shell(const std::string& command) {
  Output out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.text.append(buffer, n);
  int status = pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

fs::path Temp(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("vigil-sim-cli-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(SimCli, BadScenarioIsOneLineNamingTheField) {
  fs::path dir = Temp("bad");
  std::ofstream(dir / "bad.json") << R"({"name":"x","start":"2023-01-01T00:00:00Z","end":"2023-01-02T00:00:00Z",
    "countries":[{"code":"XA","tz":"UTC"}],"regions":[{"code":"XA-N","country":"XA","slash24s":10,"colour":"red"}],
    "asns":[],"collectors":[{"name":"rrc00","peers":2}]})";
  Output out = Shell(kVigil + " sim " + (dir / "bad.json").string() + " " + (dir / "out").string() + " 2>&1");
  EXPECT_EQ(out.status, 1);
  EXPECT_EQ(out.text, "vigil sim: " + (dir / "bad.json").string() +
                          ": regions[0].colour: unknown field (extensions must start with \"x-\")\n");
  fs::remove_all(dir);
}

TEST(SimCli, VigilMrtDumpEqualsBgpdumpOnSimulatedFiles) {
  fs::path dir = Temp("dump");
  // A day of the national-blackout world shrunk to 12 hours around the event, with flaps and a peer reset.
  std::ifstream in(VIGIL_SOURCE_DIR "/scenarios/dev/national-blackout.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto replace = [&](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  replace("\"start\": \"2023-03-01T00:00:00Z\"", "\"start\": \"2023-03-03T06:00:00Z\"");
  replace("\"end\": \"2023-03-05T00:00:00Z\"", "\"end\": \"2023-03-03T18:00:00Z\"");
  replace("\"probe_loss\": 0.01",
          "\"probe_loss\": 0.01, \"peer_resets\": [{\"collector\": \"rrc00\", \"peer\": 2, \"at\": "
          "\"2023-03-03T12:00:00Z\"}]");
  std::ofstream(dir / "s.json") << text;
  Output sim = Shell(kVigil + " sim " + (dir / "s.json").string() + " " + (dir / "out").string());
  ASSERT_EQ(sim.status, 0) << sim.text;
  std::string files = "cd " + (dir / "out").string() + " && for f in mrt/*/*.gz; do ";
  Output ours = Shell(files + kVigil + " mrt dump -m \"$f\"; done");
  Output reference = Shell(files + "bgpdump -m \"$f\" 2>/dev/null; done");
  ASSERT_GT(reference.text.size(), 100000u);
  EXPECT_NE(reference.text.find("|STATE|"), std::string::npos);
  EXPECT_TRUE(ours.text == reference.text) << "vigil mrt dump -m differs from bgpdump -m";
  fs::remove_all(dir);
}

// --compression zstd and none: the same records as the default gzip output, under .zst / bare names.
TEST(SimCli, ZstdAndUncompressedOutputDecodeLikeGzip) {
  fs::path dir = Temp("compression");
  std::ifstream in(VIGIL_SOURCE_DIR "/scenarios/dev/national-blackout.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto replace = [&](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  replace("\"start\": \"2023-03-01T00:00:00Z\"", "\"start\": \"2023-03-03T09:00:00Z\"");
  replace("\"end\": \"2023-03-05T00:00:00Z\"", "\"end\": \"2023-03-03T13:00:00Z\"");
  std::ofstream(dir / "s.json") << text;
  auto dump = [&](const std::string& compression, const std::string& suffix) {
    fs::path out = dir / compression;
    Output sim =
        Shell(kVigil + " sim " + (dir / "s.json").string() + " " + out.string() + " --compression " + compression);
    EXPECT_EQ(sim.status, 0) << sim.text;
    // Names: RIS-style stamps with the compression's suffix and nothing else.
    Output names = Shell("cd " + out.string() + " && ls mrt/*/* | sed 's/\\.[0-9]\\{8\\}\\.[0-9]\\{4\\}" + suffix +
                         "$//' | sort -u");
    EXPECT_EQ(names.text, "mrt/rrc00/bview\nmrt/rrc00/updates\nmrt/rrc25/bview\nmrt/rrc25/updates\n") << compression;
    return Shell("cd " + out.string() + " && for f in mrt/*/*; do " + kVigil + " mrt dump -m \"$f\"; done").text;
  };
  std::string gzip = dump("gzip", "\\.gz");
  ASSERT_GT(gzip.size(), 100000u);
  EXPECT_TRUE(dump("zstd", "\\.zst") == gzip) << "zstd output decodes differently";
  EXPECT_TRUE(dump("none", "") == gzip) << "uncompressed output decodes differently";
  // The magic bytes say what the suffix says.
  EXPECT_EQ(Shell("cd " + (dir / "zstd").string() + " && head -c4 mrt/rrc00/bview.* | od -An -tx1").text,
            " 28 b5 2f fd\n");
  fs::remove_all(dir);
}

// The whole pipeline through the vigil executable: sim -> ingest mrt -> ingest probe -> detect -> eval.
TEST(SimCli, EvalScenarioPrintsTheMetricsObject) {
  fs::path dir = Temp("pipeline");
  std::ofstream(dir / "small.json") << R"({"name":"small-region-cut","description":"test",
    "start":"2023-04-10T00:00:00Z","end":"2023-04-13T00:00:00Z","seed":9,
    "countries":[{"code":"XB","tz":"Asia/Tashkent"}],
    "regions":[{"code":"XB-CAP","country":"XB","slash24s":500},{"code":"XB-E","country":"XB","slash24s":300}],
    "asns":[{"asn":64911,"name":"T","country":"XB","regions":{"XB-CAP":0.6,"XB-E":0.6}},
            {"asn":64912,"name":"M","country":"XB","regions":{"XB-CAP":0.35,"XB-E":0.35}}],
    "collectors":[{"name":"rrc00","peers":6,"full_feed_peers":4}],
    "probing":{"round_s":600,"blocks_fraction":0.4},
    "events":[{"id":"east","kind":"withdraw","entity":"region/XB-E",
               "start":"2023-04-12T08:00:00Z","end":"2023-04-12T13:00:00Z"}],
    "noise":{"flaps_per_hour":10}})";
  Output out = Shell(kVigil + " eval-scenario " + (dir / "small.json").string() + " --json --workdir " +
                     (dir / "work").string() + " 2>&1");
  ASSERT_EQ(out.status, 0) << out.text;
  for (const char* key :
       {"{\"scenario\":\"small-region-cut\"", "\"precision\":", "\"recall\":", "\"start_error_s_p50\":",
        "\"end_error_s_p50\":", "\"latency_s_p50\":", "\"false_outages_in_gaps\":0", "\"schedule_error_min\":null",
        "\"by_kind\":{", "\"withdraw\":{\"truth\":"}) {
    EXPECT_NE(out.text.find(key), std::string::npos) << key << " in " << out.text;
  }
  // A five-hour loss of every route of a region is found (region and its country share 300/800).
  EXPECT_NE(out.text.find("\"recall\":1.0000"), std::string::npos) << out.text;
  // One process: the stages ran in it, leaving the sim output and the store, no child logs.
  EXPECT_TRUE(fs::exists(dir / "work" / "small" / "sim" / "truth.json"));
  EXPECT_TRUE(fs::exists(dir / "work" / "small" / "vigil.db"));
  EXPECT_FALSE(fs::exists(dir / "work" / "small" / "logs"));
  fs::remove_all(dir);
}

// A stage that fails stops the run and is named; its own message (naming the input) is printed as its command
// would print it. Here the store path is a folder, so ingest cannot open it.
TEST(SimCli, EvalScenarioNamesTheFailingStage) {
  fs::path dir = Temp("failing-stage");
  fs::create_directories(dir / "work" / "bgp-noise-only" / "vigil.db" / "occupied");
  Output out = Shell(kVigil + " eval-scenario " + VIGIL_SOURCE_DIR "/scenarios/dev/bgp-noise-only.json --workdir " +
                     (dir / "work").string() + " 2>&1");
  EXPECT_EQ(out.status, 2) << out.text;
  EXPECT_NE(out.text.find("stage 'ingest mrt': exit 2"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("vigil ingest mrt: store " + (dir / "work" / "bgp-noise-only" / "vigil.db").string()),
            std::string::npos)
      << out.text;
  out = Shell(kVigil + " eval-scenario " + (dir / "nope.json").string() + " 2>&1");
  EXPECT_EQ(out.status, 2) << out.text;
  EXPECT_NE(out.text.find("stage 'sim': " + (dir / "nope.json").string() + ": cannot open"), std::string::npos)
      << out.text;
  fs::remove_all(dir);
}

}  // namespace
