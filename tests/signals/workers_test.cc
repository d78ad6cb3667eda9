// SPDX-License-Identifier: AGPL-3.0-or-later
// `ingest mrt --workers N` against one model, on the shared real MRT files of several collectors (RIS and
// RouteViews updates with different file periods, a TABLE_DUMP v1 RIB with state changes before it): the
// merged per-prefix counts must give the very bins — same files, times and per-entity values — that one
// VisibilityModel over all collectors gives.
#include <gtest/gtest.h>

#include <cstdio>

#include "geo/geo.h"
#include "signals/signals.h"
#include "tests/signals/test_world.h"

namespace vigil::signals {
namespace {

const std::string kMrt = std::string(VIGIL_SHARED_DIR) + "/data/mrt/";

class BinSink final : public SignalSink {
 public:
  Result<bool> HasInput(const std::string&) override { return false; }
  Result<std::optional<std::string>> LoadState(const std::string&) override { return std::optional<std::string>(); }
  Status CommitFile(const BgpFileCommit& c) override {
    for (const BinValues& b : c.outcome->bins) bins.push_back({c.input->name + " " + std::to_string(b.t), b.counts});
    if (c.state) states.push_back(c.state_key);
    return Status::Ok();
  }
  std::vector<std::pair<std::string, std::vector<int64_t>>> bins;
  std::vector<std::string> states;
};

TEST(WorkersTest, MergedCountsEqualOneModel) {
  testing::TempDir dir;
  testing::WriteTestWorld(dir.path() + "/geo");
  geo::OpenOptions o;
  o.geo_dir = dir.path() + "/geo";
  o.cache_dir = "";
  auto geo = geo::GeoDatabase::Open(o);
  ASSERT_TRUE(geo.ok()) << geo.message();
  GeoSlash24Counter counter(**geo);
  auto inputs =
      DiscoverMrtInputs({kMrt + "caida.ris.rrc06.updates.1427846400.gz",
                         kMrt + "caida.routeviews.route-views.jinx.updates.1427846400.bz2",
                         kMrt + "bgpkit.rrc15.updates.20100227.1600.gz", kMrt + "bgpkit.rrc15.updates.20100227.1610.gz",
                         kMrt + "ripe-bgpdump.updates.20020722.2238.gz", kMrt + "ripe-bgpdump.bview.20020722.2337.gz"});
  ASSERT_TRUE(inputs.ok()) << inputs.message();
  for (int64_t threshold : {100, 2000}) {
    VisibilityOptions options;
    options.full_feed_min_prefixes = threshold;
    BinSink one;
    VisibilityModel model(options, &counter);
    auto a = RunBgpIngest(*inputs, model, BgpIngestOptions{}, one);
    ASSERT_TRUE(a.ok()) << a.message();
    int64_t visible = 0;
    for (const auto& [key, counts] : one.bins) {
      for (int64_t c : counts) visible += c;
    }
    ASSERT_GT(visible, 0) << "nothing visible at threshold " << threshold << ": the comparison proves little";
    for (int workers : {2, 3}) {
      BinSink split;
      auto b = RunBgpIngestWorkers(*inputs, options, &counter, workers, BgpIngestOptions{}, split);
      ASSERT_TRUE(b.ok()) << b.message();
      EXPECT_EQ(b->ingested, a->ingested);
      EXPECT_EQ(b->records, a->records);
      ASSERT_EQ(split.bins.size(), one.bins.size()) << workers << " workers, threshold " << threshold;
      for (size_t i = 0; i < one.bins.size(); ++i) {
        ASSERT_EQ(split.bins[i].first, one.bins[i].first);
        ASSERT_EQ(split.bins[i].second, one.bins[i].second) << split.bins[i].first << ", " << workers << " workers";
      }
      // Each worker's state, under its own key.
      EXPECT_EQ(split.states.size(), size_t(workers));
      std::printf("  threshold %lld, %d workers: %zu bins identical\n", (long long)threshold, workers, one.bins.size());
    }
  }
  VisibilityOptions fraction;
  fraction.full_feed_fraction = 0.5;
  BinSink unused;
  EXPECT_FALSE(RunBgpIngestWorkers(*inputs, fraction, &counter, 2, BgpIngestOptions{}, unused).ok());
}

}  // namespace
}  // namespace vigil::signals
