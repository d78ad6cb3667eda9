// SPDX-License-Identifier: AGPL-3.0-or-later
// End-to-end tests of `vigil probe` inside network namespaces: every probe goes to 198.18.0.0/15 in a
// namespace this test created, answered by that namespace's kernel.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <map>
#include <set>
#include <thread>

#include "probe/probe.h"
#include "store/store.h"
#include "tests/probe/netns_fixture.h"

namespace vigil::probe {
namespace {

namespace fs = std::filesystem;
using testing::NamespacePair;
using testing::NamespaceProcess;

const std::string kVigil = VIGIL_BINARY_DIR "/vigil";

uint32_t Block(int third_octet, int second_octet = 18) {
  return (198u << 24) | (uint32_t(second_octet) << 16) | (uint32_t(third_octet) << 8);
}

class ProbeNamespace : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string problem = testing::NamespaceSupportProblem();
    if (!problem.empty()) GTEST_SKIP() << "probe namespace tests skipped: " << problem;
    pair_ = std::make_unique<NamespacePair>();
    ASSERT_TRUE(pair_->ok()) << pair_->error();
    dir_ = fs::temp_directory_path() / ("vigil-probe-netns-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rounds");
  }
  void TearDown() override {
    pair_.reset();
    if (HasFailure()) {
      std::fprintf(stderr, "kept %s for inspection\n", dir_.c_str());
    } else if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // A hand-made hitlist: hosts .1-.20 of each block, availability 1 unless told.
  std::string WriteTestHitlist(const std::vector<uint32_t>& blocks, double availability = 1.0) {
    Hitlist hitlist;
    for (uint32_t base : blocks) {
      HitlistBlock b;
      b.base = base;
      b.availability = availability;
      b.censuses = 1;
      for (int h = 1; h <= 20; ++h) {
        b.hosts.push_back(static_cast<uint8_t>(h));
        b.history.push_back(1);
      }
      hitlist.blocks.push_back(b);
    }
    std::sort(hitlist.blocks.begin(), hitlist.blocks.end(), [](auto& a, auto& b) { return a.base < b.base; });
    std::string path = Path("hitlist.txt");
    EXPECT_TRUE(WriteHitlist(hitlist, path).ok());
    return path;
  }

  std::vector<std::string> RunArgs(const std::string& hitlist, int round_s, int rounds, int timeout_ms, double rate,
                                   int slices) {
    return {kVigil,
            "probe",
            "run",
            "--hitlist",
            hitlist,
            "--rate",
            std::to_string(rate),
            "--round-s",
            std::to_string(round_s),
            "--rounds",
            std::to_string(rounds),
            "--timeout-ms",
            std::to_string(timeout_ms),
            "--slices",
            std::to_string(slices),
            "--no-align",
            "--out",
            Path("rounds"),
            "--seed",
            "7"};
  }

  size_t RoundFiles() const {
    size_t n = 0;
    for (const auto& entry : fs::directory_iterator(dir_ / "rounds")) {
      n += entry.path().extension() == ".tsv";
    }
    return n;
  }

  bool WaitForRoundFiles(size_t n, double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (RoundFiles() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::vector<RoundLog> Rounds() const {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir_ / "rounds")) {
      if (entry.path().extension() == ".tsv") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    std::vector<RoundLog> rounds;
    for (const auto& file : files) {
      auto log = ReadRoundLog(file);
      EXPECT_TRUE(log.ok()) << log.message();
      if (log.ok()) rounds.push_back(std::move(*log));
    }
    return rounds;
  }

  std::unique_ptr<NamespacePair> pair_;
  fs::path dir_;
};

const BlockRecord* Find(const RoundLog& log, uint32_t base) {
  for (const auto& b : log.blocks) {
    if (b.base == base) return &b;
  }
  return nullptr;
}

// Census with an opt-out, then two rounds in which every block is up; the far side saw exactly the
// probes the logs account for.
TEST_F(ProbeNamespace, CensusBuildsHitlistAndAllBlocksAreUp) {
  std::ofstream(Path("opt-out.txt")) << "# this half-block asked not to be probed\n198.18.8.0/25\n";
  NamespaceProcess census(pair_->near(),
                          {kVigil, "probe", "hitlist", "--blocks", "198.18.0.0/21,198.18.8.0/24", "--rate", "20000",
                           "--timeout-ms", "500", "--opt-out", Path("opt-out.txt"), "--out", Path("hitlist.txt")},
                          Path("census.log"));
  ASSERT_EQ(census.Wait(30), 0) << testing::ReadFile(Path("census.log"));
  EXPECT_EQ(pair_->EchoRequestsArrived(), 9u * 256 - 128);
  auto hitlist = ReadHitlist(Path("hitlist.txt"));
  ASSERT_TRUE(hitlist.ok()) << hitlist.message();
  ASSERT_EQ(hitlist->blocks.size(), 9u);
  for (const auto& b : hitlist->blocks) {
    EXPECT_EQ(b.hosts.size(), b.base == Block(8) ? 128u : 256u) << FormatBlock(b.base);
    EXPECT_DOUBLE_EQ(b.availability, 1.0);
  }
  EXPECT_TRUE(hitlist->blocks.back().hosts.front() == 128);  // .0-.127 opted out

  uint64_t before = pair_->EchoRequestsArrived();
  NamespaceProcess run(pair_->near(), RunArgs(Path("hitlist.txt"), 2, 2, 1000, 1000, 4), Path("run.log"));
  ASSERT_EQ(run.Wait(30), 0) << testing::ReadFile(Path("run.log"));
  auto rounds = Rounds();
  ASSERT_EQ(rounds.size(), 2u) << testing::ReadFile(Path("run.log"));
  uint64_t sent = 0;
  for (const auto& round : rounds) {
    ASSERT_EQ(round.blocks.size(), 9u);
    for (const auto& b : round.blocks) {
      EXPECT_EQ(b.state, BlockState::kUp) << FormatBlock(b.base);
      EXPECT_EQ(b.replies, b.sent);
      for (double rtt : b.rtts_ms) EXPECT_LT(rtt, 100);
      sent += static_cast<uint64_t>(b.sent);
    }
  }
  EXPECT_EQ(pair_->EchoRequestsArrived() - before, sent);
  EXPECT_NE(testing::ReadFile(Path("run.log")).find("raw ICMP socket"), std::string::npos);
}

// Blocks dropped by nftables in the far namespace mid-run are down from the first full round after the
// drop and up again in the first full round after it is lifted; the others stay up throughout.
TEST_F(ProbeNamespace, DroppedBlocksGoDownWithinOneRoundAndComeBack) {
  std::vector<uint32_t> blocks;
  for (int x = 16; x < 32; ++x) blocks.push_back(Block(x));
  std::set<uint32_t> dropped = {Block(20), Block(21), Block(22), Block(23)};
  NamespaceProcess run(pair_->near(), RunArgs(WriteTestHitlist(blocks), 3, 7, 500, 2000, 6), Path("run.log"));
  ASSERT_TRUE(WaitForRoundFiles(1, 15)) << testing::ReadFile(Path("run.log"));
  size_t dropped_after = RoundFiles();  // rounds completed before the drop
  ASSERT_TRUE(pair_->Drop("198.18.20.0/22"));
  ASSERT_TRUE(WaitForRoundFiles(dropped_after + 3, 20)) << testing::ReadFile(Path("run.log"));
  size_t lifted_after = RoundFiles();
  ASSERT_TRUE(pair_->Undrop("198.18.20.0/22"));
  ASSERT_EQ(run.Wait(30), 0) << testing::ReadFile(Path("run.log"));
  auto rounds = Rounds();
  ASSERT_EQ(rounds.size(), 7u);
  ASSERT_LE(lifted_after + 2, rounds.size()) << "the run ended too soon after the drop was lifted";
  // The round in progress at the drop (index dropped_after) may go either way; the next one must be down.
  for (size_t r = 0; r < rounds.size(); ++r) {
    for (uint32_t base : blocks) {
      const BlockRecord* b = Find(rounds[r], base);
      ASSERT_NE(b, nullptr);
      bool is_dropped = dropped.count(base) > 0;
      bool in_drop = r >= dropped_after + 1 && r < lifted_after;
      bool after_lift = r >= lifted_after + 1;
      if (!is_dropped || r < dropped_after || after_lift) {
        EXPECT_EQ(b->state, BlockState::kUp) << "round " << r << " " << FormatBlock(base);
      } else if (in_drop) {
        EXPECT_EQ(b->state, BlockState::kDown) << "round " << r << " " << FormatBlock(base);
        EXPECT_EQ(b->replies, 0);
      }
    }
  }
}

double MedianRtt(const RoundLog& log) {
  std::vector<double> rtts;
  for (const auto& b : log.blocks) rtts.insert(rtts.end(), b.rtts_ms.begin(), b.rtts_ms.end());
  return Median(rtts).value_or(-1);
}

double LossOverUpBlocks(const RoundLog& log) {
  double sent = 0, replies = 0;
  for (const auto& b : log.blocks) {
    if (b.state != BlockState::kUp) continue;
    sent += b.sent;
    replies += b.replies;
  }
  return sent > 0 ? 1 - replies / sent : -1;
}

// netem delay 400 ms loss 20% (or its stand-in where the kernel lacks netem): RTT and loss rise, the blocks
// stay up.
TEST_F(ProbeNamespace, ThrottlingRaisesRttAndLossWhileBlocksStayUp) {
  std::vector<uint32_t> blocks;
  for (int x = 32; x < 112; ++x) blocks.push_back(Block(x));
  NamespaceProcess run(pair_->near(), RunArgs(WriteTestHitlist(blocks), 4, 5, 1500, 2000, 8), Path("run.log"));
  ASSERT_TRUE(WaitForRoundFiles(1, 15)) << testing::ReadFile(Path("run.log"));
  size_t before = RoundFiles();
  std::string method = pair_->Throttle(400, 20);
  ASSERT_FALSE(method.empty()) << "could not throttle the link";
  std::printf("throttling by %s\n", method.c_str());
  ASSERT_EQ(run.Wait(40), 0) << testing::ReadFile(Path("run.log"));
  auto rounds = Rounds();
  ASSERT_EQ(rounds.size(), 5u);
  ASSERT_LE(before + 2, rounds.size() - 1);
  double base_rtt = MedianRtt(rounds[0]);
  EXPECT_GE(base_rtt, 0);
  EXPECT_LT(base_rtt, 50);
  EXPECT_DOUBLE_EQ(LossOverUpBlocks(rounds[0]), 0);
  double sent = 0, replies = 0;
  for (size_t r = before + 1; r < rounds.size(); ++r) {
    size_t up = 0;
    for (const auto& b : rounds[r].blocks) up += b.state == BlockState::kUp;
    EXPECT_GE(up, blocks.size() * 9 / 10) << "round " << r;
    double rtt = MedianRtt(rounds[r]);
    EXPECT_GE(rtt, 400) << "round " << r;
    EXPECT_LT(rtt, 600) << "round " << r;
    for (const auto& b : rounds[r].blocks) {
      if (b.state != BlockState::kUp) continue;
      sent += b.sent;
      replies += b.replies;
    }
  }
  double loss = 1 - replies / sent;
  std::printf("throttled rounds: loss %.3f over %.0f probes\n", loss, sent);
  EXPECT_GT(loss, 0.08);
  EXPECT_LT(loss, 0.40);
}

// The far side counts the echo requests that arrive while a census runs at 3,000 probes/s.
TEST_F(ProbeNamespace, RateLimitIsHonouredAtTheFarSide) {
  NamespaceProcess census(pair_->near(),
                          {kVigil, "probe", "hitlist", "--blocks", "198.18.64.0/18", "--rate", "3000", "--timeout-ms",
                           "500", "--out", Path("hitlist.txt")},
                          Path("census.log"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto t1 = std::chrono::steady_clock::now();
  uint64_t c1 = pair_->EchoRequestsArrived();
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  auto t2 = std::chrono::steady_clock::now();
  uint64_t c2 = pair_->EchoRequestsArrived();
  ASSERT_EQ(census.Wait(30), 0) << testing::ReadFile(Path("census.log"));
  double seconds = std::chrono::duration<double>(t2 - t1).count();
  double rate = double(c2 - c1) / seconds;
  std::printf("far side: %.1f echo requests/s (configured 3000)\n", rate);
  EXPECT_GT(rate, 3000 * 0.97);
  // The token bucket allows at most rate * t + burst (100 ms of tokens) in any window; 1 % covers the
  // time the counter reads themselves take.
  EXPECT_LE(double(c2 - c1), 3000 * seconds * 1.01 + 300);
  EXPECT_EQ(pair_->EchoRequestsArrived(), 64u * 256);
}

// Without CAP_NET_RAW the prober falls back to an ICMP datagram socket and still sees every block up.
TEST_F(ProbeNamespace, FallsBackToDatagramSocketWithoutCapNetRaw) {
  if (testing::Shell("command -v capsh") != 0) GTEST_SKIP() << "needs capsh (libcap2-bin) to drop CAP_NET_RAW";
  std::vector<uint32_t> blocks = {Block(100), Block(101), Block(102)};
  std::string hitlist = WriteTestHitlist(blocks);
  std::string command;
  for (const auto& arg : RunArgs(hitlist, 2, 1, 1000, 1000, 2)) command += "'" + arg + "' ";
  NamespaceProcess run(pair_->near(), {"capsh", "--drop=cap_net_raw", "--", "-c", command}, Path("run.log"));
  ASSERT_EQ(run.Wait(30), 0) << testing::ReadFile(Path("run.log"));
  EXPECT_NE(testing::ReadFile(Path("run.log")).find("datagram ICMP socket"), std::string::npos)
      << testing::ReadFile(Path("run.log"));
  auto rounds = Rounds();
  ASSERT_EQ(rounds.size(), 1u);
  for (const auto& b : rounds[0].blocks) EXPECT_EQ(b.state, BlockState::kUp) << FormatBlock(b.base);
}

// SIGTERM mid-round: the rounds completed before it are on disk, whole; the unfinished one is not written
// (its bin stays missing) and no temporary file is left behind.
TEST_F(ProbeNamespace, StoppedProberWritesOnlyCompleteRounds) {
  std::vector<uint32_t> blocks;
  for (int x = 120; x < 130; ++x) blocks.push_back(Block(x));
  NamespaceProcess run(pair_->near(), RunArgs(WriteTestHitlist(blocks), 2, 0, 500, 1000, 4), Path("run.log"));
  ASSERT_TRUE(WaitForRoundFiles(2, 15)) << testing::ReadFile(Path("run.log"));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // into the next round
  run.Terminate();
  EXPECT_NE(testing::ReadFile(Path("run.log")).find("unfinished round(s) not written"), std::string::npos)
      << testing::ReadFile(Path("run.log"));
  auto rounds = Rounds();
  ASSERT_GE(rounds.size(), 2u);
  for (size_t r = 0; r < rounds.size(); ++r) {
    EXPECT_EQ(rounds[r].blocks.size(), blocks.size());
    if (r > 0) {
      EXPECT_EQ(rounds[r].start, rounds[r - 1].start + 2);
    }
  }
  for (const auto& entry : fs::directory_iterator(dir_ / "rounds")) {
    EXPECT_EQ(entry.path().extension(), ".tsv") << entry.path();
  }
}

uint64_t FarCounter(const NamespacePair& pair, const std::string& name) {
  std::string output;
  if (pair.InFar("nft list counter inet vigiltest " + name, &output) != 0) {
    ADD_FAILURE() << "counter " << name << ": " << output;
    return ~uint64_t{0};
  }
  size_t at = output.find("packets ");
  return at == std::string::npos ? ~uint64_t{0} : std::strtoull(output.c_str() + at + 8, nullptr, 10);
}

// Safety (issue 11): the far side counts every echo request to an address outside the prober's targets
// (the census blocks, then the hitlist's addresses) and every one to an opted-out address; both stay 0
// through a census and two rounds whose hitlist itself lists opted-out addresses. Counted before the drop
// rule, so probes to dropped blocks are seen too.
TEST_F(ProbeNamespace, NeverProbesOutsideItsTargetsAndOptOutAlwaysWins) {
  const std::string setup[] = {
      "nft add set inet vigiltest targets '{ type ipv4_addr; flags interval; }'",
      "nft add set inet vigiltest optedout '{ type ipv4_addr; flags interval; }'",
      "nft add counter inet vigiltest outside",
      "nft add counter inet vigiltest opted",
      "nft insert rule inet vigiltest input icmp type echo-request ip daddr != @targets counter name outside",
      "nft insert rule inet vigiltest input icmp type echo-request ip daddr @optedout counter name opted",
  };
  for (const auto& command : setup) {
    std::string output;
    ASSERT_EQ(pair_->InFar(command, &output), 0) << command << ": " << output;
  }
  // A whole block, the first four hosts of another, five hitlist hosts of a third (.16-.20: 15 remain,
  // still eligible) and one host of a fourth.
  const std::vector<std::string> opt_out = {"198.18.200.0/24", "198.18.201.0/30", "198.18.201.4", "198.18.202.16/28",
                                            "198.18.203.7"};
  std::string opt_out_text = "# networks that asked not to be probed\n", opt_out_set;
  for (const auto& cidr : opt_out) {
    opt_out_text += cidr + "\n";
    opt_out_set += (opt_out_set.empty() ? "" : ", ") + cidr;
  }
  std::ofstream(Path("opt-out.txt")) << opt_out_text;
  ASSERT_EQ(pair_->InFar("nft add element inet vigiltest optedout '{ " + opt_out_set + " }'"), 0);

  // Census over 198.18.200.0/22: 1,024 addresses less the 256 + 4 + 1 + 16 + 1 opted out.
  ASSERT_EQ(pair_->InFar("nft add element inet vigiltest targets '{ 198.18.200.0/22 }'"), 0);
  NamespaceProcess census(pair_->near(),
                          {kVigil, "probe", "hitlist", "--blocks", "198.18.200.0/22", "--rate", "20000", "--timeout-ms",
                           "300", "--opt-out", Path("opt-out.txt"), "--out", Path("census.txt")},
                          Path("census.log"));
  ASSERT_EQ(census.Wait(30), 0) << testing::ReadFile(Path("census.log"));
  EXPECT_EQ(pair_->EchoRequestsArrived(), 1024u - 278u);
  EXPECT_EQ(FarCounter(*pair_, "outside"), 0u);
  EXPECT_EQ(FarCounter(*pair_, "opted"), 0u);

  // Rounds over a hand-made hitlist (hosts .1-.20 of 198.18.200-209) that still lists opted-out hosts.
  // A low availability and three dropped blocks make the prober try many addresses per block.
  std::vector<uint32_t> blocks;
  std::string hitlist_set;
  for (int x = 200; x < 210; ++x) {
    blocks.push_back(Block(x));
    hitlist_set += std::string(hitlist_set.empty() ? "" : ", ") + "198.18." + std::to_string(x) + ".1-198.18." +
                   std::to_string(x) + ".20";
  }
  ASSERT_EQ(pair_->InFar("nft flush set inet vigiltest targets"), 0);
  ASSERT_EQ(pair_->InFar("nft add element inet vigiltest targets '{ " + hitlist_set + " }'"), 0);
  ASSERT_TRUE(pair_->Drop("198.18.202.0/24, 198.18.203.0/24, 198.18.204.0/24"));
  uint64_t before = pair_->EchoRequestsArrived();
  std::vector<std::string> args = RunArgs(WriteTestHitlist(blocks, 0.2), 4, 2, 300, 2000, 4);
  args.push_back("--opt-out");
  args.push_back(Path("opt-out.txt"));
  NamespaceProcess run(pair_->near(), args, Path("run.log"));
  ASSERT_EQ(run.Wait(30), 0) << testing::ReadFile(Path("run.log"));
  auto rounds = Rounds();
  ASSERT_EQ(rounds.size(), 2u);
  uint64_t sent = 0;
  for (const auto& round : rounds) {
    EXPECT_EQ(round.blocks.size(), 9u);  // 198.18.200.0/24 opted out entirely
    EXPECT_EQ(Find(round, Block(200)), nullptr);
    for (const auto& b : round.blocks) sent += static_cast<uint64_t>(b.sent);
  }
  uint64_t arrived = pair_->EchoRequestsArrived() - before;
  EXPECT_EQ(arrived, sent);
  std::printf("rounds: %llu echo requests arrived, all to hitlist addresses outside the opt-out\n",
              static_cast<unsigned long long>(arrived));
  EXPECT_GT(arrived, 60u);  // blocks drew repeated probes to many addresses: there was something to count
  EXPECT_EQ(FarCounter(*pair_, "outside"), 0u);
  EXPECT_EQ(FarCounter(*pair_, "opted"), 0u);
  // The counters do count: a census without the opt-out over one block outside the hitlist (256 outside)
  // and over 198.18.201.0/24 (236 outside hosts .1-.20, 5 of them to opted-out .0-.4).
  NamespaceProcess check(pair_->near(),
                         {kVigil, "probe", "hitlist", "--blocks", "198.18.250.0/24,198.18.201.0/24", "--rate", "20000",
                          "--timeout-ms", "300", "--out", Path("check.txt")},
                         Path("check.log"));
  ASSERT_EQ(check.Wait(30), 0) << testing::ReadFile(Path("check.log"));
  EXPECT_EQ(FarCounter(*pair_, "outside"), 256u + 236u);
  EXPECT_EQ(FarCounter(*pair_, "opted"), 5u);
}

// Safety (issue 11): no command line turns the rate limit off. Each attempt fails with a message about the
// rate, and the far side sees no echo request at all.
TEST_F(ProbeNamespace, RateLimitCannotBeDisabledFromTheCli) {
  std::string hitlist = WriteTestHitlist({Block(210), Block(211)});
  const std::vector<std::string> bad = {
      "--rate=0", "--rate=-5",   "--rate=-0", "--rate=1e12", "--rate=1e400", "--rate=inf", "--rate=-inf", "--rate=nan",
      "--rate=",  "--rate=fast", ""};
  int attempts = 0;
  for (const std::string& rate : bad) {
    std::vector<std::vector<std::string>> commands = {
        {kVigil, "probe", "run", "--hitlist", hitlist, "--round-s", "2", "--rounds", "1", "--timeout-ms", "300",
         "--no-align", "--out", Path("rounds")},
        {kVigil, "probe", "hitlist", "--blocks", "198.18.212.0/24", "--timeout-ms", "300", "--out",
         Path("census.txt")}};
    for (auto& command : commands) {
      if (!rate.empty()) command.push_back(rate);
      NamespaceProcess process(pair_->near(), command, Path("attempt.log"));
      int status = process.Wait(20);
      std::string log = testing::ReadFile(Path("attempt.log"));
      EXPECT_NE(status, 0) << command[2] << " " << (rate.empty() ? "(no --rate)" : rate) << ": " << log;
      EXPECT_NE(status, -1) << "still running: " << command[2] << " " << rate;
      EXPECT_NE(log.find("rate"), std::string::npos) << command[2] << " " << rate << ": " << log;
      ++attempts;
    }
  }
  EXPECT_EQ(attempts, 22);
  EXPECT_EQ(RoundFiles(), 0u);
  EXPECT_FALSE(fs::exists(Path("census.txt")));
  EXPECT_EQ(pair_->EchoRequestsArrived(), 0u);
}

// The store test probes every /24 the far namespace answers for: 512 in 198.18.0.0/15, then 1,024 in
// 100.64.0.0/14. Block number k (0..1535).
constexpr int kWorldBlocks = 1536;
uint32_t WorldBlock(int k) {
  if (k < 512) return Block(k % 256, 18 + k / 256);
  return (100u << 24) | (64u << 16) | (uint32_t(k - 512) << 8);
}

// The made-up world of the store test. AS64603 holds only blocks the test drops (k % 7 == 3), so it must
// show 0 up, not a missing value.
std::vector<EntityKey> WorldEntities(int k) {
  std::string country = k < 300 ? "XA" : (k < 900 ? "XB" : "XC");
  std::string region = k < 300 ? (k % 3 == 0 ? "XA-NO" : "XA-SO") : (k < 900 ? "XB-EA" : (k % 2 ? "XC-WE" : "XC-CE"));
  return {{"country", country}, {"region", region}, {"asn", std::to_string(64600 + k % 7)}};
}

// One round over all 1,536 /24s of both test ranges (a seventh dropped), ingested through `vigil ingest
// probe` with a CSV geo world: ping-slash24 per entity equals a direct count of the blocks that were not
// dropped (0 for the ASN whose blocks were all dropped), and a second ingest of the same file changes nothing.
TEST_F(ProbeNamespace, RoundOfOver1000BlocksGivesCorrectCountsInStore) {
  fs::create_directories(dir_ / "geo");
  {
    // Rows in address order, as the simulator writes them.
    std::vector<int> order(kWorldBlocks);
    for (int k = 0; k < kWorldBlocks; ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [](int a, int b) { return WorldBlock(a) < WorldBlock(b); });
    std::ofstream geo(dir_ / "geo" / "geo-ipv4.csv"), asn(dir_ / "geo" / "asn-ipv4.csv");
    for (int k : order) {
      auto keys = WorldEntities(k);
      std::string first = FormatIpv4(WorldBlock(k)), last = FormatIpv4(WorldBlock(k) | 255);
      geo << first << "," << last << "," << keys[0].code << "," << keys[1].code << ",,Town,,0,0,UTC\n";
      asn << first << "," << last << "," << keys[2].code << ",Net " << keys[2].code << "\n";
    }
  }
  std::vector<uint32_t> blocks;
  std::map<uint32_t, int> index_of;
  std::set<int> dropped;
  std::string drop_list;
  for (int k = 0; k < kWorldBlocks; ++k) {
    blocks.push_back(WorldBlock(k));
    index_of[blocks.back()] = k;
    if (k % 7 == 3) {
      dropped.insert(k);
      drop_list += (drop_list.empty() ? "" : ", ") + FormatBlock(blocks.back());
    }
  }
  ASSERT_TRUE(pair_->Drop(drop_list));
  auto started = std::chrono::steady_clock::now();
  NamespaceProcess run(pair_->near(), RunArgs(WriteTestHitlist(blocks), 6, 1, 500, 8000, 12), Path("run.log"));
  ASSERT_EQ(run.Wait(40), 0) << testing::ReadFile(Path("run.log"));
  std::printf("round of %d blocks: %.1f s\n", kWorldBlocks,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  auto rounds = Rounds();
  ASSERT_EQ(rounds.size(), 1u);
  ASSERT_EQ(rounds[0].blocks.size(), size_t{kWorldBlocks});
  std::set<int> seen;
  for (const auto& b : rounds[0].blocks) {
    ASSERT_TRUE(index_of.count(b.base)) << FormatBlock(b.base);
    int k = index_of[b.base];
    seen.insert(k);
    EXPECT_EQ(b.state, dropped.count(k) ? BlockState::kDown : BlockState::kUp) << FormatBlock(b.base);
  }
  EXPECT_EQ(seen.size(), size_t{kWorldBlocks});

  std::string store_path = Path("vigil.db");
  std::vector<std::string> ingest = {kVigil,     "ingest", "probe",     Path("rounds"), "--store",
                                     store_path, "--geo",  Path("geo"), "--geo-cache",  Path("geo-cache")};
  for (int pass = 0; pass < 2; ++pass) {
    NamespaceProcess process(pair_->near(), ingest, Path("ingest.log"));
    ASSERT_EQ(process.Wait(60), 0) << testing::ReadFile(Path("ingest.log"));
    EXPECT_NE(testing::ReadFile(Path("ingest.log")).find(pass == 0 ? "1 ingested" : "0 ingested, 1 already"),
              std::string::npos)
        << testing::ReadFile(Path("ingest.log"));
  }

  // Expected counts straight from the world definition and the drop list, not from the round log.
  std::map<EntityKey, int> expected;
  for (int k = 0; k < kWorldBlocks; ++k) {
    for (const auto& key : WorldEntities(k)) expected[key] += dropped.count(k) ? 0 : 1;
  }
  ASSERT_EQ(expected.size(), 3u + 5u + 7u);
  EXPECT_EQ((expected[{"asn", "64603"}]), 0);
  auto store = store::OpenStore(store_path);
  ASSERT_TRUE(store.ok()) << store.message();
  UnixSeconds t = rounds[0].start;
  int total_up = 0;
  for (const auto& [key, count] : expected) {
    auto entity = (*store)->FindEntity(key.type, key.code);
    ASSERT_TRUE(entity.ok() && entity->has_value()) << key.type << "/" << key.code;
    auto up = (*store)->ReadSeries("ping-slash24", (*entity)->id, t, t + 1);
    ASSERT_TRUE(up.ok());
    ASSERT_EQ(up->size(), 1u) << key.code;
    EXPECT_EQ((*up)[0].value, count) << key.type << "/" << key.code;
    if (key.type == "country") total_up += static_cast<int>((*up)[0].value);
    auto loss = (*store)->ReadSeries("loss", (*entity)->id, t, t + 1);
    ASSERT_TRUE(loss.ok());
    auto rtt = (*store)->ReadSeries("rtt-p50", (*entity)->id, t, t + 1);
    ASSERT_TRUE(rtt.ok());
    if (count == 0) {
      // No block up: no replies to take a median of, no up blocks to measure loss over.
      EXPECT_EQ(loss->size(), 0u) << key.code;
      EXPECT_EQ(rtt->size(), 0u) << key.code;
    } else {
      ASSERT_EQ(loss->size(), 1u);
      EXPECT_EQ((*loss)[0].value, 0.0);
      ASSERT_EQ(rtt->size(), 1u);
      EXPECT_LT((*rtt)[0].value, 100);
    }
    if (key.type == "region") {
      auto parent = (*store)->FindEntity("country", key.code.substr(0, 2));
      EXPECT_EQ((*entity)->parent_id, (*parent)->id);
    }
  }
  EXPECT_EQ(total_up, kWorldBlocks - static_cast<int>(dropped.size()));
  // No round before or after: missing, not zero.
  auto country = (*store)->FindEntity("country", "XA");
  auto around = (*store)->ReadSeries("ping-slash24", (**country).id, t - 3600, t + 3600);
  ASSERT_TRUE(around.ok());
  EXPECT_EQ(around->size(), 1u);
}

}  // namespace
}  // namespace vigil::probe
