// SPDX-License-Identifier: AGPL-3.0-or-later
// bgp-v6 is a first-class routing signal: a withdrawal of IPv6 routes only is detected in bgp-v6 and not in
// bgp; one of both families is one event carrying both signals.
#include <gtest/gtest.h>

#include <random>

#include "detect/detect.h"
#include "detect/test_util.h"

namespace vigil::detect {
namespace {

using testing::kDay;
using testing::kT0;

// Runs of one region's bgp (2,000 /24s) and bgp-v6 (300,000 /48s) series over four days; the families in
// `withdrawn` lose 90 % of their space on day 3, 10:00–16:00 UTC. Small flaps throughout.
std::vector<SeriesRun> RegionRuns(bool v4_withdrawn, bool v6_withdrawn) {
  DetectOptions options;
  std::mt19937 rng(22);
  std::vector<SeriesRun> runs;
  struct Family {
    const char* datasource;
    double normal;
    bool withdrawn;
  };
  for (const Family& f : {Family{"bgp", 2000, v4_withdrawn}, Family{"bgp-v6", 300000, v6_withdrawn}}) {
    SeriesDetector detector(ParamsFor(options, f.datasource, 300), 2);
    for (UnixSeconds t = kT0; t < kT0 + 4 * kDay; t += 300) {
      bool out = f.withdrawn && t >= kT0 + 2 * kDay + 10 * 3600 && t < kT0 + 2 * kDay + 16 * 3600;
      double value = out ? f.normal * 0.1 : f.normal - double(rng() % 40 == 0 ? 3 : 0);
      detector.Push(t, value);
    }
    for (SeriesRun& r : detector.Runs()) runs.push_back(r);
  }
  return runs;
}

TEST(Ipv6Signal, DefaultParamsTreatBgpV6AsRouting) {
  DatasourceParams v6 = DefaultParams("bgp-v6", 300), v4 = DefaultParams("bgp", 300);
  EXPECT_EQ(v6.role, SignalRole::kRouting);
  EXPECT_EQ(v6.method, v4.method);
  EXPECT_EQ(v6.critical, v4.critical);
}

TEST(Ipv6Signal, Ipv6OnlyWithdrawalIsDetectedInBgpV6AndNotInBgp) {
  std::vector<SeriesRun> runs = RegionRuns(false, true);
  ASSERT_FALSE(runs.empty());
  for (const SeriesRun& r : runs) EXPECT_EQ(r.datasource, "bgp-v6") << r.start_t;
  DetectOptions options;
  std::map<int64_t, store::Entity> entities;
  auto events = FuseRuns(runs, options, entities);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].datasources, "bgp-v6");
  EXPECT_EQ(events[0].classification, "routing");
  EXPECT_NEAR(double(events[0].start_t), double(kT0 + 2 * kDay + 10 * 3600), 600);
  EXPECT_NEAR(double(events[0].end_t), double(kT0 + 2 * kDay + 16 * 3600), 600);
}

TEST(Ipv6Signal, Ipv4OnlyWithdrawalStaysOutOfBgpV6) {
  std::vector<SeriesRun> runs = RegionRuns(true, false);
  ASSERT_FALSE(runs.empty());
  for (const SeriesRun& r : runs) EXPECT_EQ(r.datasource, "bgp");
}

TEST(Ipv6Signal, WithdrawalOfBothFamiliesIsOneEventWithBothSignals) {
  std::vector<SeriesRun> runs = RegionRuns(true, true);
  DetectOptions options;
  auto events = FuseRuns(runs, options, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].datasources, "bgp,bgp-v6");
  EXPECT_EQ(events[0].classification, "routing");
  EXPECT_EQ(events[0].kind, "outage");
}

}  // namespace
}  // namespace vigil::detect
