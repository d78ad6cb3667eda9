// SPDX-License-Identifier: AGPL-3.0-or-later
#include "acquire/acquire.h"

#include <gtest/gtest.h>

#include "acquire/internal.h"

namespace vigil::acquire {
namespace {

TEST(CollectorTable, BuiltInTableParsesAndHoldsBothProjects) {
  Result<CollectorTable> table = LoadCollectorTable("");
  ASSERT_TRUE(table.ok()) << table.message();
  const Collector* rrc00 = table->Find("rrc00");
  ASSERT_NE(rrc00, nullptr);
  EXPECT_EQ(rrc00->project, Project::kRis);
  EXPECT_EQ(rrc00->update_period_s, 300);
  EXPECT_EQ(rrc00->rib_period_s, 8 * 3600);
  const Collector* rv2 = table->Find("route-views2");
  ASSERT_NE(rv2, nullptr);
  EXPECT_EQ(rv2->archive_path, "bgpdata");  // the original collector has no folder of its own
  ASSERT_NE(table->Layout(Project::kRouteViews), nullptr);
  EXPECT_EQ(table->Layout(Project::kRouteViews)->updates_folder, "UPDATES");
  int ris = 0, routeviews = 0;
  for (const Collector& c : table->collectors) (c.project == Project::kRis ? ris : routeviews)++;
  EXPECT_GE(ris, 20);
  EXPECT_GE(routeviews, 30);
}

TEST(CollectorTable, FormatThenParseGivesTheSameTable) {
  Result<CollectorTable> table = LoadCollectorTable("");
  ASSERT_TRUE(table.ok());
  std::string text = FormatCollectorsTsv(*table);
  Result<CollectorTable> again = ParseCollectorTable(text, "formatted", BuiltinArchivesTsv(), "archives");
  ASSERT_TRUE(again.ok()) << again.message();
  ASSERT_EQ(again->collectors.size(), table->collectors.size());
  for (size_t i = 0; i < table->collectors.size(); ++i) {
    EXPECT_EQ(again->collectors[i].name, table->collectors[i].name);
    EXPECT_EQ(again->collectors[i].archive_path, table->collectors[i].archive_path);
    EXPECT_EQ(again->collectors[i].last_date, table->collectors[i].last_date);
  }
}

TEST(CollectorTable, BadRowsNameTheLine) {
  std::string header = "name\tproject\tarchive_path\tupdate_period_s\trib_period_s\tfirst_date\tlast_date\n";
  auto parse = [&](const std::string& row) {
    return ParseCollectorTable(header + row, "t.tsv", BuiltinArchivesTsv(), "a.tsv");
  };
  EXPECT_NE(parse("x\tris\t../etc\t300\t28800\t2020-01-01\t-\n").message().find("t.tsv:2"), std::string::npos);
  EXPECT_FALSE(parse("x\tftp\tx\t300\t28800\t2020-01-01\t-\n").ok());
  EXPECT_FALSE(parse("x\tris\tx\t0\t28800\t2020-01-01\t-\n").ok());
  EXPECT_FALSE(parse("x\tris\tx\t300\t28800\t2020-13-01\t-\n").ok());
  EXPECT_FALSE(parse("x\tris\tx\t300\t28800\t2020-01-01\n").ok());
  EXPECT_TRUE(parse("x\tris\ta/b\t300\t28800\t2020-01-01\t-\n").ok());
}

TEST(CollectorTable, SelectionAndOverridesNameWhatIsWrong) {
  Result<CollectorTable> table = LoadCollectorTable("");
  ASSERT_TRUE(table.ok());
  Result<std::vector<const Collector*>> chosen = SelectCollectors(*table, "rrc00, route-views2,rrc00");
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->size(), 2u);
  EXPECT_NE(SelectCollectors(*table, "rrc00,rrc99").message().find("rrc99"), std::string::npos);
  Result<ArchiveRoots> roots = ParseArchiveRoots(*table, "routeviews=http://127.0.0.1:1/rv");
  ASSERT_TRUE(roots.ok());
  EXPECT_EQ(roots->routeviews, "http://127.0.0.1:1/rv/");
  // The part not overridden keeps the table's own root (data/archives.tsv).
  EXPECT_EQ(roots->ris, table->Layout(Project::kRis)->root_url);
  EXPECT_FALSE(ParseArchiveRoots(*table, "ris").ok());
  EXPECT_FALSE(ParseArchiveRoots(*table, "caida=http://x/").ok());
  EXPECT_FALSE(ParseIndexService("bgpkit=file:///etc").ok());
  EXPECT_EQ(ParseIndexService("bgpkit=http://h/v3/")->url, "http://h/v3");
  EXPECT_FALSE(ParseFileTypes("updates,bogus").ok());
  EXPECT_EQ(ParseFileTypes("ribs,updates,ribs")->size(), 2u);
}

TEST(AutoIndex, ApacheTableShapeWithRoundedSizes) {
  std::string html =
      "<table><tr><th><a href=\"?C=N;O=D\">Name</a></th></tr>\n"
      "<tr><td><a href=\"/rrc00/\">Parent Directory</a></td><td>&nbsp;</td><td align=\"right\">  - </td></tr>\n"
      "<tr><td valign=\"top\"><img src=\"/icons/compressed.gif\" alt=\"[   ]\"></td><td><a "
      "href=\"updates.20220104.0000.gz\">updates.20220104.0000.gz</a></td><td align=\"right\">2022-01-04 00:05  "
      "</td><td align=\"right\">3.2M</td><td>&nbsp;</td></tr>\n"
      "<tr><td><a href=\"bview.20220104.0000.gz\">bview.20220104.0000.gz</a></td><td align=\"right\">2022-01-04 "
      "01:37  </td><td align=\"right\">372K</td></tr>\n</table>";
  std::vector<std::string> refused;
  std::vector<ListingEntry> entries = ParseAutoIndex(html, &refused);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(refused.empty());
  EXPECT_EQ(entries[0].name, "updates.20220104.0000.gz");
  EXPECT_TRUE(entries[0].size.Admits(3355443));  // 3.2 MiB
  EXPECT_FALSE(entries[0].size.Admits(2000000));
  EXPECT_TRUE(entries[1].size.Admits(372 * 1024));
}

TEST(AutoIndex, NginxPreShapeWithExactSizesAndFolders) {
  std::string html =
      "<html><body><h1>Index of /rrc00/</h1><hr><pre><a href=\"../\">../</a>\n"
      "<a href=\"2022.01/\">2022.01/</a>                                           05-Jan-2022 00:00       -\n"
      "<a href=\"updates.20220104.0005.gz\">updates.20220104.0005.gz</a>       04-Jan-2022 00:10    13576\n"
      "</pre><hr></body></html>";
  std::vector<ListingEntry> entries = ParseAutoIndex(html, nullptr);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "2022.01/");
  EXPECT_FALSE(entries[0].size.known());
  EXPECT_EQ(entries[1].size.low, 13576);
  EXPECT_EQ(entries[1].size.high, 13576);
}

// nginx writes CRLF line ends: the size before "\r\n" is still read (it was lost once, so --list-only showed
// no bytes and the size check after download had nothing to compare with).
TEST(AutoIndex, NginxCrlfRowsKeepTheirSizes) {
  std::string html =
      "<html>\r\n<body>\r\n<pre><a href=\"../\">../</a>\r\n"
      "<a href=\"bview.20220104.0000.gz\">bview.20220104.0000.gz</a>     04-Jan-2022 00:10\t1180359\r\n"
      "<a href=\"updates.20220104.0005.gz\">updates.20220104.0005.gz</a>  04-Jan-2022 00:10   13576\r\n"
      "</pre></body>\r\n</html>\r\n";
  std::vector<ListingEntry> entries = ParseAutoIndex(html, nullptr);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].size.low, 1180359);
  EXPECT_EQ(entries[0].size.high, 1180359);
  EXPECT_EQ(entries[1].size.low, 13576);
}

TEST(AutoIndex, UnsafeNamesAreRefusedAndNamed) {
  std::string html =
      "<a href=\"../../etc/passwd\">x</a>\n<a href=\"..%2F..%2Fupdates.20220104.0000.gz\">y</a>\n"
      "<a href=\"a/b.gz\">z</a>\n<a href=\"bad%0aname.gz\">w</a>\n<a href=\"" +
      std::string(300, 'u') +
      "\">long</a>\n<a href=\"/etc/shadow\">abs</a>\n"
      "<a href=\"updates.20220104.0000.gz\">ok</a>\n";
  std::vector<std::string> refused;
  std::vector<ListingEntry> entries = ParseAutoIndex(html, &refused);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "updates.20220104.0000.gz");
  EXPECT_EQ(refused.size(), 6u);
  EXPECT_FALSE(IsSafeFileName(".."));
  EXPECT_FALSE(IsSafeFileName("a\x01"));
  EXPECT_TRUE(IsSafeFileName("rib.20220104.0000.bz2"));
}

TEST(AutoIndex, GarbageGivesNoEntries) {
  EXPECT_TRUE(ParseAutoIndex("\x01\x02<a <a href=", nullptr).empty());
  EXPECT_TRUE(ParseAutoIndex(std::string(10000, '<'), nullptr).empty());
  EXPECT_TRUE(ParseAutoIndex("<a href=\"x", nullptr).empty());
}

TEST(ArchiveNames, TimeFromName) {
  EXPECT_EQ(ParseArchiveFileTime("updates.20220104.0005.gz", "updates.", ".gz"), 1641254700);
  EXPECT_EQ(ParseArchiveFileTime("rib.20220104.0000.bz2", "rib.", ".bz2"), 1641254400);
  EXPECT_FALSE(ParseArchiveFileTime("updates.20220104.0005.gz", "bview.", ".gz"));
  EXPECT_FALSE(ParseArchiveFileTime("updates.2022010x.0005.gz", "updates.", ".gz"));
  EXPECT_FALSE(ParseArchiveFileTime("updates.20220104.0005.gz.part", "updates.", ".gz"));
}

TEST(RetryPolicy, RetryAfterSecondsOrHttpDate) {
  EXPECT_EQ(ParseRetryAfter("120", 0), 120.0);
  EXPECT_EQ(ParseRetryAfter(" 7\r\n", 0), 7.0);
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30), 30.0);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30), 0.0);  // in the past: now
  EXPECT_FALSE(ParseRetryAfter("soon", 0));
  EXPECT_FALSE(ParseRetryAfter("", 0));
}

TEST(RetryPolicy, BackoffDoublesWithJitterAndIsCapped) {
  NetworkOptions options;
  options.backoff_initial_s = 1;
  options.backoff_max_s = 10;
  std::mt19937_64 random(1);
  for (int i = 0; i < 200; ++i) {
    double first = BackoffDelay(1, options, random);
    double third = BackoffDelay(3, options, random);
    double tenth = BackoffDelay(10, options, random);
    EXPECT_GE(first, 0.5);
    EXPECT_LE(first, 1.5);
    EXPECT_GE(third, 2.0);
    EXPECT_LE(third, 6.0);
    EXPECT_LE(tenth, 15.0);  // the cap, plus jitter
    EXPECT_GE(tenth, 5.0);
  }
}

TEST(ArchiveNames, MonthFolders) {
  EXPECT_EQ(MonthFolder(1641254700), "2022.01");
  EXPECT_EQ(MonthStart(1641254700), 1640995200);      // 2022-01-01
  EXPECT_EQ(NextMonthStart(1641254700), 1643673600);  // 2022-02-01
  EXPECT_EQ(NextMonthStart(1669852800), 1672531200);  // 2022-12-01 -> 2023-01-01
}

}  // namespace
}  // namespace vigil::acquire
