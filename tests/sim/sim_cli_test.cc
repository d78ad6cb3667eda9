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
  EXPECT_EQ(out.text, "vigil sim: " + (dir / "bad.json").string() + ": regions[0].colour: unknown field (extensions must start with \"x-\")\n");
  fs::remove_all(dir);
}

TEST(SimCli, VigilMrtDumpEqualsBgpdumpOnSimulatedFiles) {
  fs::path dir = Temp("dump");
  // A day of the national-blackout world shrunk to 12 hours around the event, with flaps and a peer reset.
  std::ifstream in(VIGIL_SOURCE_DIR "/scenarios/national-blackout.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto replace = [&](const std::string& from, const std::string& to) { text.replace(text.find(from), from.size(), to); };
  replace("\"start\": \"2023-03-01T00:00:00Z\"", "\"start\": \"2023-03-03T06:00:00Z\"");
  replace("\"end\": \"2023-03-05T00:00:00Z\"", "\"end\": \"2023-03-03T18:00:00Z\"");
  replace("\"probe_loss\": 0.01", "\"probe_loss\": 0.01, \"peer_resets\": [{\"collector\": \"rrc00\", \"peer\": 2, \"at\": \"2023-03-03T12:00:00Z\"}]");
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

}  // namespace
