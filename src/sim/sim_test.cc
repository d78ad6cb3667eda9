// SPDX-License-Identifier: AGPL-3.0-or-later
// End-to-end checks of the simulator's output, decoded by independent means: Debian's bgpdump for the MRT,
// the geo CSV for /24 membership, and the probe round files as text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/sha256.h"
#include "sim/sim.h"

namespace vigil::sim {
namespace {

namespace fs = std::filesystem;

const char* kScenario = R"({
  "name": "kinds", "description": "test", "seed": 5,
  "start": "2023-05-01T00:00:00Z", "end": "2023-05-03T00:00:00Z",
  "countries": [ { "code": "XA", "tz": "Europe/Berlin" } ],
  "regions": [ { "code": "XA-N", "country": "XA", "slash24s": 400 },
               { "code": "XA-S", "country": "XA", "slash24s": 300 } ],
  "asns": [ { "asn": 64901, "name": "Fixed", "country": "XA", "regions": { "XA-N": 0.6, "XA-S": 0.5 } },
            { "asn": 64902, "name": "Mobile", "country": "XA", "regions": { "XA-N": 0.3, "XA-S": 0.4 } } ],
  "collectors": [ { "name": "rrc00", "peers": 6, "full_feed_peers": 4 },
                  { "name": "rrc01", "peers": 4, "full_feed_peers": 3 } ],
  "probing": { "round_s": 600, "blocks_fraction": 0.5 },
  "events": [
    { "id": "w1", "kind": "withdraw", "entity": "region/XA-N", "fraction": 0.5,
      "start": "2023-05-01T10:00:00Z", "end": "2023-05-01T14:00:00Z" },
    { "id": "b1", "kind": "block", "entity": "asn/64902",
      "start": "2023-05-01T18:00:00Z", "end": "2023-05-01T20:00:00Z" },
    { "id": "t1", "kind": "throttle", "entity": "asn/64901", "rtt_ms": 900, "loss": 0.3,
      "start": "2023-05-02T04:00:00Z", "end": "2023-05-02T06:00:00Z" },
    { "id": "d1", "kind": "withdraw", "entity": "region/XA-S",
      "daily": { "on_from": "06:00", "on_to": "22:00", "tz": "Europe/Berlin" },
      "first_day": "2023-05-02", "last_day": "2023-05-02" }
  ],
  "noise": { "FLAPS": 0,
             "collector_gaps": [ { "collector": "rrc01",
                                   "start": "2023-05-02T08:00:00Z", "end": "2023-05-02T10:00:00Z" } ],
             "peer_resets": [ { "collector": "rrc00", "peer": 1, "at": "2023-05-02T12:00:00Z" } ], "probe_loss": 0.01 }
})";

std::string ScenarioWithFlaps(double flaps) {
  std::string text = kScenario;
  text.replace(text.find("\"FLAPS\": 0"), 10, "\"flaps_per_hour\": " + std::to_string(flaps));
  return text;
}

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("vigil-sim-test-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(dir);
  return dir;
}

std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(text);
  while (std::getline(in, field, sep)) out.push_back(field);
  return out;
}

uint32_t ParseIp(const std::string& text) {
  unsigned a, b, c, d;
  std::sscanf(text.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// The simulated world as the files describe it.
class Output {
 public:
  static Output Make(const std::string& json, const fs::path& dir) {
    auto scenario = ParseScenario(json, "test");
    EXPECT_TRUE(scenario.ok()) << scenario.message();
    auto summary = RunSimulation(*scenario, dir.string(), SimOptions{});
    EXPECT_TRUE(summary.ok()) << summary.message();
    Output out;
    out.dir = dir;
    out.summary = *summary;
    std::ifstream geo(dir / "geo" / "geo-ipv4.csv"), asn(dir / "geo" / "asn-ipv4.csv");
    std::string line;
    while (std::getline(geo, line)) {
      auto f = Split(line, ',');
      for (uint32_t net = ParseIp(f[0]) >> 8; net <= ParseIp(f[1]) >> 8; ++net) out.region_of[net] = f[3];
    }
    while (std::getline(asn, line)) {
      auto f = Split(line, ',');
      for (uint32_t net = ParseIp(f[0]) >> 8; net <= ParseIp(f[1]) >> 8; ++net) out.asn_of[net] = f[2];
    }
    std::ifstream config(dir / "sim-config.json");
    std::string text((std::istreambuf_iterator<char>(config)), {});
    size_t pos = text.find("\"full_feed_min_prefixes\": ");
    out.full_feed_min = std::stol(text.substr(pos + 26));
    return out;
  }

  // bgpdump -m lines of one collector: the RIB first, then update files in name (= time) order.
  const std::vector<std::vector<std::string>>& Bgpdump(const std::string& collector) {
    auto cached = decoded.find(collector);
    if (cached != decoded.end()) return cached->second;
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir / "mrt" / collector)) files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());  // "bview." sorts before "updates."
    std::string command;
    for (const auto& f : files) command += "bgpdump -m '" + f + "' 2>/dev/null; ";
    std::vector<std::vector<std::string>> lines;
    for (const auto& line : Split(Shell(command), '\n')) lines.push_back(Split(line, '|'));
    return decoded[collector] = std::move(lines);
  }

  // /24s of `region` routed at time t at collector: a prefix is routed when more than half of the
  // full-feed peers (table size in the RIB >= full_feed_min_prefixes) carry it.
  int64_t Routed(const std::vector<std::vector<std::string>>& lines, const std::string& region, int64_t t) const {
    std::map<std::string, std::set<std::string>> tables;
    for (const auto& f : lines) {
      if (f.size() < 5 || std::stoll(f[1]) > t) continue;
      if (f[2] == "B" || f[2] == "A")
        tables[f[3]].insert(f[5]);
      else if (f[2] == "W")
        tables[f[3]].erase(f[5]);
      else if (f[2] == "STATE" && f[6] == "1")
        tables[f[3]].clear();
    }
    std::map<std::string, size_t> rib_size;
    for (const auto& f : lines) {
      if (f.size() > 5 && f[2] == "B") rib_size[f[3]]++;
    }
    std::vector<std::string> full;
    for (const auto& [peer, n] : rib_size) {
      if (static_cast<int64_t>(n) >= full_feed_min) full.push_back(peer);
    }
    std::map<std::string, int> seen;
    for (const auto& peer : full) {
      for (const auto& prefix : tables[peer]) seen[prefix]++;
    }
    std::set<uint32_t> nets;
    for (const auto& [prefix, n] : seen) {
      if (2 * static_cast<size_t>(n) <= full.size()) continue;
      auto parts = Split(prefix, '/');
      uint32_t addr = ParseIp(parts[0]) >> 8;
      int len = std::stoi(parts[1]);
      for (uint32_t k = 0; k < (1u << (24 - len)); ++k) {
        auto it = region_of.find(addr + k);
        if (it != region_of.end() && it->second == region) nets.insert(addr + k);
      }
    }
    return static_cast<int64_t>(nets.size());
  }

  struct RoundStats {
    int up = 0, down = 0, blocks = 0;
    double rtt_median = 0, loss = 0;
  };
  // Probe round stats over the blocks whose ASN is `asn` ("" = all).
  RoundStats Round(const std::string& stamp, const std::string& asn) const {
    std::ifstream in(dir / "probe" / ("probe-round." + stamp + ".tsv"));
    EXPECT_TRUE(in.good()) << stamp;
    RoundStats s;
    std::vector<double> rtts;
    int sent = 0, replies = 0;
    std::string line;
    while (std::getline(in, line)) {
      if (line[0] == '#') continue;
      auto f = Split(line, '\t');
      uint32_t net = ParseIp(f[0]) >> 8;
      if (!asn.empty() && asn_of.at(net) != asn) continue;
      ++s.blocks;
      if (f[1] == "up") {
        ++s.up;
        sent += std::stoi(f[3]);
        replies += std::stoi(f[4]);
      }
      if (f[1] == "down") ++s.down;
      if (f[5] != "-") {
        for (const auto& v : Split(f[5], ',')) rtts.push_back(std::stod(v));
      }
    }
    std::sort(rtts.begin(), rtts.end());
    if (!rtts.empty()) s.rtt_median = rtts[rtts.size() / 2];
    s.loss = sent ? 1.0 - static_cast<double>(replies) / sent : 0;
    return s;
  }

  std::string Truth() const {
    std::ifstream in(dir / "truth.json");
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  double TruthShare(const std::string& id) const {
    std::string text = Truth();
    size_t pos = text.find("\"id\": \"" + id + "\"");
    if (pos == std::string::npos) return -1;
    pos = text.find("\"share\": ", pos);
    return std::stod(text.substr(pos + 9));
  }

  fs::path dir;
  SimSummary summary;
  std::map<uint32_t, std::string> region_of, asn_of;
  int64_t full_feed_min = 0;
  std::map<std::string, std::vector<std::vector<std::string>>> decoded;
};

int64_t T(const char* text) { return *ParseTime(text); }

class SimOutputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(TempDir("kinds"));
    out_ = new Output(Output::Make(ScenarioWithFlaps(0), *dir_));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete out_;
    delete dir_;
  }
  static fs::path* dir_;
  static Output* out_;
};
fs::path* SimOutputTest::dir_ = nullptr;
Output* SimOutputTest::out_ = nullptr;

TEST_F(SimOutputTest, WithdrawDropsRoutedSlash24sByTheFraction) {
  const auto& lines = out_->Bgpdump("rrc00");
  int64_t before = out_->Routed(lines, "XA-N", T("2023-05-01T09:00:00Z"));
  int64_t during = out_->Routed(lines, "XA-N", T("2023-05-01T12:00:00Z"));
  int64_t after = out_->Routed(lines, "XA-N", T("2023-05-01T15:00:00Z"));
  EXPECT_EQ(before, 400);
  EXPECT_EQ(after, 400);
  double share = out_->TruthShare("w1");
  EXPECT_NEAR(share, 0.5, 0.02);  // whole routing units: close to the fraction, exact in truth
  EXPECT_EQ(during, 400 - static_cast<int64_t>(std::llround(share * 400)));
  // The other region is untouched; probing drops with the routes.
  EXPECT_EQ(out_->Routed(lines, "XA-S", T("2023-05-01T12:00:00Z")), 300);
  auto probe_before = out_->Round("20230501.0900", "");
  auto probe_during = out_->Round("20230501.1200", "");
  EXPECT_LT(probe_during.up, probe_before.up - probe_before.blocks * 0.2);
}

TEST_F(SimOutputTest, BlockChangesOnlyProbing) {
  const auto& lines = out_->Bgpdump("rrc00");
  for (const char* region : {"XA-N", "XA-S"}) {
    EXPECT_EQ(out_->Routed(lines, region, T("2023-05-01T19:00:00Z")),
              out_->Routed(lines, region, T("2023-05-01T17:00:00Z")));
  }
  auto before = out_->Round("20230501.1700", "64902");
  auto during = out_->Round("20230501.1900", "64902");
  EXPECT_GT(before.up, before.blocks * 0.8);
  EXPECT_EQ(during.up, 0);
  EXPECT_GT(during.down, during.blocks * 0.9);
  auto other = out_->Round("20230501.1900", "64901");
  EXPECT_GT(other.up, other.blocks * 0.8);
}

TEST_F(SimOutputTest, ThrottleRaisesRttAndLossOnly) {
  const auto& lines = out_->Bgpdump("rrc00");
  EXPECT_EQ(out_->Routed(lines, "XA-N", T("2023-05-02T05:00:00Z")), 400);
  auto before = out_->Round("20230502.0200", "64901");
  auto during = out_->Round("20230502.0500", "64901");
  EXPECT_LT(before.rtt_median, 300);
  EXPECT_GT(during.rtt_median, 700);
  EXPECT_GT(during.loss, before.loss + 0.1);
  // Each probe is lost with the extra probability `loss` (0.3) on top of what the block loses anyway.
  EXPECT_NEAR(during.loss, 1 - (1 - before.loss) * (1 - 0.3), 0.06);
  EXPECT_GE(during.up, before.up * 0.9);  // reachability stays
}

TEST_F(SimOutputTest, UpBlocksLoseFewProbesOutsideEvents) {
  // The prober targets a block's ever-responsive addresses: an up block answers nearly every probe, least
  // at night when home networks are off (02:00Z is 04:00 in Berlin, 09:00Z is 11:00).
  auto day = out_->Round("20230501.0900", "");
  auto night = out_->Round("20230502.0200", "");
  EXPECT_GT(day.loss, 0.005);
  EXPECT_LT(day.loss, 0.08);
  EXPECT_GT(night.loss, day.loss);
  EXPECT_LT(night.loss, 0.15);
}

TEST_F(SimOutputTest, DailyWindowAndImpliedEvents) {
  const auto& lines = out_->Bgpdump("rrc00");
  // Off from 22:00 CEST (20:00Z) on 2 May.
  EXPECT_EQ(out_->Routed(lines, "XA-S", T("2023-05-02T19:55:00Z")), 300);
  EXPECT_EQ(out_->Routed(lines, "XA-S", T("2023-05-02T21:00:00Z")), 0);
  std::string truth = out_->Truth();
  EXPECT_NE(truth.find("\"id\": \"d1#2023-05-02\""), std::string::npos);
  EXPECT_NE(truth.find("\"start\": \"2023-05-02T20:00:00Z\""), std::string::npos);
  EXPECT_NE(truth.find("\"end\": \"2023-05-03T00:00:00Z\""), std::string::npos);  // clipped to the scenario end
  EXPECT_NE(truth.find("\"on_from\": \"06:00\""), std::string::npos);
  // The whole of XA-S is 300 of 700 /24s of the country.
  EXPECT_NEAR(out_->TruthShare("d1#2023-05-02@country/XA"), 300.0 / 700.0, 1e-4);
  EXPECT_GT(out_->TruthShare("d1#2023-05-02@asn/64902"), 0.05);
  EXPECT_LT(out_->TruthShare("w1@region/XA-S"), 0);  // untouched: no implied event
}

TEST_F(SimOutputTest, CollectorGapHasNoFilesAndPeersComeBack) {
  fs::path mrt = *dir_ / "mrt" / "rrc01";
  EXPECT_TRUE(fs::exists(mrt / "updates.20230502.0800.gz"));
  EXPECT_EQ(Shell("bgpdump -m " + (mrt / "updates.20230502.0800.gz").string() + " 2>/dev/null"), "");
  EXPECT_FALSE(fs::exists(mrt / "updates.20230502.0900.gz"));
  EXPECT_TRUE(fs::exists(mrt / "updates.20230502.0955.gz"));
  std::string after = Shell("bgpdump -m " + (mrt / "updates.20230502.1000.gz").string() + " 2>/dev/null");
  EXPECT_NE(after.find("|STATE|"), std::string::npos);
  const auto& lines = out_->Bgpdump("rrc01");
  EXPECT_EQ(out_->Routed(lines, "XA-N", T("2023-05-02T10:10:00Z")), 400);
  // Peer reset on rrc00: down then up and the table again.
  std::string reset = Shell("bgpdump -m " + (*dir_ / "mrt/rrc00/updates.20230502.1200.gz").string() + " 2>/dev/null");
  EXPECT_NE(reset.find("|STATE|80.249.208.2|"), std::string::npos);
  const auto& rrc00 = out_->Bgpdump("rrc00");
  EXPECT_EQ(out_->Routed(rrc00, "XA-N", T("2023-05-02T12:30:00Z")), 400);
}

TEST(SimNoise, BgpdumpReadsEveryFileAndOutputIsDeterministic) {
  fs::path a = TempDir("det-a"), b = TempDir("det-b");
  std::string json = ScenarioWithFlaps(120);
  json.replace(json.find("\"end\": \"2023-05-03T00:00:00Z\""), 29, "\"end\": \"2023-05-01T14:00:00Z\"");
  Output first = Output::Make(json, a);
  Output second = Output::Make(json, b);
  std::vector<std::string> names_a, names_b;
  for (const auto& e : fs::recursive_directory_iterator(a)) {
    if (e.is_regular_file()) names_a.push_back(fs::relative(e.path(), a).string());
  }
  for (const auto& e : fs::recursive_directory_iterator(b)) {
    if (e.is_regular_file()) names_b.push_back(fs::relative(e.path(), b).string());
  }
  std::sort(names_a.begin(), names_a.end());
  std::sort(names_b.begin(), names_b.end());
  ASSERT_EQ(names_a, names_b);
  ASSERT_GT(names_a.size(), 300u);
  for (const auto& name : names_a) {
    ASSERT_EQ(*Sha256OfFile((a / name).string()), *Sha256OfFile((b / name).string())) << name;
  }
  // bgpdump: exit 0 and nothing on stderr but its syslog notice, for every MRT file.
  std::string script =
      "cd '" + a.string() +
      "' && for f in mrt/*/*.gz; do bgpdump -m \"$f\" >/dev/null 2>/tmp/vigil-sim-bgpdump-err.$$ || echo \"FAIL $f\"; "
      "grep -v 'logging to syslog' /tmp/vigil-sim-bgpdump-err.$$ | sed \"s|^|$f: |\"; done; rm -f "
      "/tmp/vigil-sim-bgpdump-err.$$";
  EXPECT_EQ(Shell(script), "");
  // Every RIB entry the simulator counted is one bgpdump line.
  std::string count = Shell("bgpdump -m '" + a.string() + "'/mrt/rrc00/bview.*.gz 2>/dev/null | grep -c '|B|'");
  std::string count01 = Shell("bgpdump -m '" + a.string() + "'/mrt/rrc01/bview.*.gz 2>/dev/null | grep -c '|B|'");
  EXPECT_EQ(std::stoll(count) + std::stoll(count01), first.summary.rib_entries);
  fs::remove_all(a);
  fs::remove_all(b);
}

}  // namespace
}  // namespace vigil::sim
