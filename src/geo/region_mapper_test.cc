// SPDX-License-Identifier: AGPL-3.0-or-later
#include "geo/region_mapper.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace vigil::geo {
namespace {

const IsoCodes& Iso() {
  static const IsoCodes iso = [] {
    auto loaded = LoadIsoCodes("/usr/share/iso-codes/json");
    EXPECT_TRUE(loaded.ok()) << loaded.message();
    return loaded.ok() ? std::move(loaded.value()) : IsoCodes{};
  }();
  return iso;
}

TEST(RegionNameFoldingTest, FoldsDiacriticsCaseAndPunctuation) {
  EXPECT_EQ(FoldRegionName("Île-de-France"), "ile de france");
  EXPECT_EQ(FoldRegionName("Almatinskaja oblast'"), "almatinskaja oblast");
  EXPECT_EQ(FoldRegionName("Mangghystaū  oblysy"), "mangghystau oblysy");
  EXPECT_EQ(FoldRegionName("Baden-Württemberg"), "baden wurttemberg");
  EXPECT_EQ(FoldRegionName("Łódzkie"), "lodzkie");
  EXPECT_EQ(FoldRegionName("Schleswig–Holstein"), "schleswig holstein");  // en dash
  EXPECT_EQ(FoldRegionName("Алматы"), "Алматы");                          // outside Latin scripts: kept
  EXPECT_EQ(StripGenericWords("almaty oblysy"), "almaty");
  EXPECT_EQ(StripGenericWords("province of the north"), "north");
}

TEST(RegionMapperTest, AliasTableIsClean) {
  RegionMapper mapper(Iso(), kRegionAliasesTsv);
  for (const std::string& problem : mapper.alias_problems()) ADD_FAILURE() << problem;
}

TEST(RegionMapperTest, EveryKazakhRegionMapsFromItsIsoName) {
  RegionMapper mapper(Iso(), kRegionAliasesTsv);
  int kz = 0;
  for (const IsoSubdivision& subdivision : Iso().subdivisions) {
    if (subdivision.code.rfind("KZ-", 0) != 0) continue;
    ++kz;
    EXPECT_EQ(mapper.Map("KZ", subdivision.name), subdivision.code) << subdivision.name;
  }
  EXPECT_EQ(kz, 17);
}

// The 2018 admin-1 boundaries carry each region's English, Kazakh and Russian name with its ISO code.
// English "Almaty" (Kazakh "Алматы") there is the region around the city, while iso-codes and the Russian
// column use "Almaty"/"Алматы" for the city (KZ-ALA): that one name is ambiguous between the sources, and the
// city reading wins (it is what GeoLite2 means by it).
TEST(RegionMapperTest, KazakhRegionNamesFromBoundaryFileMap) {
  std::ifstream in(VIGIL_SHARED_DIR "/data/geo/kaz_adm1_2018.geojson");
  ASSERT_TRUE(in) << VIGIL_SHARED_DIR "/data/geo/kaz_adm1_2018.geojson";
  nlohmann::json geojson = nlohmann::json::parse(in);
  RegionMapper mapper(Iso(), kRegionAliasesTsv);
  int features = 0;
  for (const auto& feature : geojson["features"]) {
    const auto& p = feature["properties"];
    std::string code = p["ISO_3166_2"];
    ++features;
    for (const char* field : {"ADM1_EN", "ADM1_KK", "ADM1_RU"}) {
      std::string name = p[field];
      if (code == "KZ-ALM" && (name == "Almaty" || name == "Алматы")) continue;
      EXPECT_EQ(mapper.Map("KZ", name), code) << field << " " << name;
    }
  }
  EXPECT_EQ(features, 17);
}

TEST(RegionMapperTest, TakesSyntheticCodesAndRejectsOthers) {
  RegionMapper mapper(Iso(), kRegionAliasesTsv);
  EXPECT_EQ(mapper.Map("KZ", "KZ-ALA"), "KZ-ALA");
  EXPECT_EQ(mapper.Map("KZ", "KZ-Q9"), "KZ-Q9");  // made-up worlds
  EXPECT_EQ(mapper.Map("KZ", "US-CA"), "");       // another country's code
  EXPECT_EQ(mapper.Map("KZ", ""), "");
  EXPECT_EQ(mapper.Map("KZ", "Atlantis"), "");
  EXPECT_EQ(mapper.Map("DE", "Bayern"), "DE-BY");
  EXPECT_EQ(mapper.Map("FR", "Île-de-France"), "FR-IDF");
  EXPECT_EQ(mapper.Map("FR", "Ile de France"), "FR-IDF");
}

}  // namespace
}  // namespace vigil::geo

namespace vigil::geo {
namespace {

TEST(CountryNameMapperTest, AliasTableIsClean) {
  CountryNameMapper mapper(Iso(), kCountryAliasesTsv);
  for (const std::string& problem : mapper.alias_problems()) ADD_FAILURE() << problem;
  CountryNameMapper broken(Iso(), "Atlantis\tQQ\nno tab here\n");
  EXPECT_EQ(broken.alias_problems().size(), 2u);
}

TEST(CountryNameMapperTest, MapsEnglishNamesAsSourcesWriteThem) {
  CountryNameMapper mapper(Iso(), kCountryAliasesTsv);
  EXPECT_EQ(mapper.Map("Kazakhstan"), "KZ");
  EXPECT_EQ(mapper.Map("Iran (Islamic Republic of)"), "IR");  // comma-inverted iso-codes name
  EXPECT_EQ(mapper.Map("Venezuela (Bolivarian Republic of)"), "VE");
  EXPECT_EQ(mapper.Map("Congo (Democratic Republic of the)"), "CD");  // not CG
  EXPECT_EQ(mapper.Map("Republic of the Congo"), "CG");
  EXPECT_EQ(mapper.Map("Syria"), "SY");   // common_name
  EXPECT_EQ(mapper.Map("Turkey"), "TR");  // alias: iso-codes says Türkiye
  EXPECT_EQ(mapper.Map("côte d'ivoire"), "CI");
  EXPECT_EQ(mapper.Map("KZ"), "KZ");
  EXPECT_EQ(mapper.Map("Somaliland"), "");  // not an ISO 3166-1 country: unmapped, not guessed
  EXPECT_EQ(mapper.Map("Korea"), "");
}

}  // namespace
}  // namespace vigil::geo
