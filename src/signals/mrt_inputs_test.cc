// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/mrt_inputs.h"

#include <gtest/gtest.h>

namespace vigil::signals {
namespace {

TEST(MrtInputsTest, ReadsRisAndRouteViewsNames) {
  MrtInputFile a = DescribeMrtFile("/data/rrc00/2016.08/updates.20160811.1600.gz", "x");
  EXPECT_EQ(a.collector, "rrc00");
  EXPECT_EQ(a.kind, MrtFileKind::kUpdates);
  EXPECT_EQ(a.name_time, 1470931200);
  MrtInputFile b = DescribeMrtFile("/data/route-views2/bgpdata/2014.05/RIBS/rib.20140523.0600.bz2", "x");
  EXPECT_EQ(b.collector, "route-views2");
  EXPECT_EQ(b.kind, MrtFileKind::kRib);
  EXPECT_EQ(b.name_time, 1400824800);
  MrtInputFile c = DescribeMrtFile("/x/bgpkit.rrc15.updates.20100227.1610.gz", "x");
  EXPECT_EQ(c.collector, "rrc15");
  MrtInputFile d = DescribeMrtFile("/x/caida.ris.rrc06.updates.1427846400.gz", "x");
  EXPECT_EQ(d.collector, "rrc06");
  EXPECT_EQ(d.name_time, 1427846400);
  MrtInputFile e = DescribeMrtFile("/out/mrt/kz-ix/bview.20220105.0000.gz", "x");
  EXPECT_EQ(e.collector, "kz-ix");
  EXPECT_EQ(e.kind, MrtFileKind::kRib);
  MrtInputFile f = DescribeMrtFile("/shared/mrt/ripe-bgpdump.updates.20160811.1600.gz", "x");
  EXPECT_EQ(f.collector, "mrt");
  MrtInputFile g = DescribeMrtFile("/some/where/mrtparse.bird_bgp.mrt", "x");
  EXPECT_EQ(g.kind, MrtFileKind::kUnknown);
  EXPECT_EQ(g.name_time, -1);
}

TEST(MrtInputsTest, SortsByTimeRibFirst) {
  std::vector<MrtInputFile> v = {DescribeMrtFile("/a/rrc01/updates.20220105.0005.gz", "1"),
                                 DescribeMrtFile("/a/rrc01/updates.20220105.0000.gz", "2"),
                                 DescribeMrtFile("/a/rrc00/updates.20220105.0000.gz", "3"),
                                 DescribeMrtFile("/a/rrc01/bview.20220105.0000.gz", "4")};
  SortMrtInputs(v);
  EXPECT_EQ(v[0].name, "4");
  EXPECT_EQ(v[1].name, "3");
  EXPECT_EQ(v[2].name, "2");
  EXPECT_EQ(v[3].name, "1");
}

}  // namespace
}  // namespace vigil::signals
