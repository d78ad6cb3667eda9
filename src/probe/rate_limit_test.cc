// SPDX-License-Identifier: AGPL-3.0-or-later
// The prober's rate limit cannot be turned off through the library: every entry point that sends probes
// opens an EchoEngine, and Open refuses a missing, zero, negative, NaN, infinite or absurdly large rate
// (and a burst that would let a long idle spell turn into a flood) before any socket exists.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "probe/probe.h"

namespace vigil::probe {
namespace {

TEST(RateLimit, EngineRefusesEveryRateThatIsNoLimit) {
  const double bad[] = {0.0,
                        -0.0,
                        -1.0,
                        -std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::quiet_NaN(),
                        kMaxProbeRate * 1.000001,
                        1e300,
                        std::numeric_limits<double>::max()};
  for (double rate : bad) {
    EchoEngineOptions options;
    options.rate = rate;
    auto engine = EchoEngine::Open(options);
    EXPECT_FALSE(engine.ok()) << "rate " << rate;
    if (!engine.ok()) {
      EXPECT_NE(engine.message().find("rate limit"), std::string::npos) << engine.message();
    }
  }
  EXPECT_FALSE(EchoEngine::Open(EchoEngineOptions{}).ok()) << "default options (no rate given)";
}

TEST(RateLimit, EngineRefusesBurstsThatWouldFloodAfterIdle) {
  for (double burst :
       {0.0, -1.0, 1.5, 1e9, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    EchoEngineOptions options;
    options.rate = 1000;
    options.burst_seconds = burst;
    EXPECT_FALSE(EchoEngine::Open(options).ok()) << "burst " << burst;
  }
}

// Targets on loopback, and a stop flag already set: should a check ever regress, nothing leaves the machine
// and the call still returns at once.
TEST(RateLimit, ProberAndCensusRefuseToStartWithoutALimit) {
  std::atomic<bool> stop{true};
  std::vector<TargetBlock> targets(1);
  targets[0].base = 0x7f000100;  // 127.0.1.0/24
  for (int h = 1; h <= 20; ++h) targets[0].hosts.push_back(static_cast<uint8_t>(h));
  ProberOptions prober;
  prober.round_s = 10;
  prober.slices = 2;
  prober.engine.timeout_ms = 1000;
  prober.rounds = 1;
  prober.stop = &stop;
  for (double rate : {0.0, -5.0, std::numeric_limits<double>::infinity(), 1e12}) {
    prober.engine.rate = rate;
    Status status = RunProber(targets, prober, ProberCallbacks{});
    EXPECT_FALSE(status.ok()) << "rate " << rate;
    CensusOptions census;
    census.engine.rate = rate;
    census.stop = &stop;
    auto result = RunCensus({0x7f000100}, OptOutList(), census, ProberCallbacks{});
    EXPECT_FALSE(result.ok()) << "rate " << rate;
  }
}

}  // namespace
}  // namespace vigil::probe
