// SPDX-License-Identifier: AGPL-3.0-or-later
// The #KeepItOn import on the real STOP files: every row stored once, per file; re-runs add nothing; the
// January 2022 Kazakhstan shutdown lands on country/KZ with its dates; bad rows are named by file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "store/store.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
const std::string kIsoCodes = "/usr/share/iso-codes/json";

class KeepItOnImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-keepiton-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto opened = store::OpenStore((dir_ / "vigil.db").string());
    ASSERT_TRUE(opened.ok()) << opened.message();
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  // Stored reported-shutdown annotations per dataset file name.
  std::map<std::string, int> StoredPerFile() {
    std::map<std::string, int> out;
    auto all = store_->ListAnnotations({});
    EXPECT_TRUE(all.ok()) << all.message();
    for (const auto& a : *all) {
      if (a.kind != "reported-shutdown") continue;
      auto detail = nlohmann::json::parse(a.detail);
      ++out[detail["dataset"].get<std::string>()];
    }
    return out;
  }
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

// Data rows of a CSV counted independently of the importer: records end at a newline outside quotes.
int CountCsvRecords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int records = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;  // a doubled quote toggles twice
    if (c == '\n' && !quoted) ++records;
  }
  if (!text.empty() && text.back() != '\n') ++records;
  return records - 1;  // the header
}

TEST_F(KeepItOnImportTest, RealStopFilesEveryRowOnceAndRerunAddsNothing) {
  const std::string folder = std::string(VIGIL_SHARED_DIR) + "/data/groundtruth/keepiton";
  // Row counts Access Now's sheets hold (../shared/data/README.md), checked against the files themselves.
  const std::map<std::string, int> documented = {{"2016.csv", 78},  {"2017.csv", 111}, {"2018.csv", 202},
                                                 {"2019.csv", 221}, {"2020.csv", 168}, {"2021.csv", 194},
                                                 {"2022.csv", 201}, {"2023.csv", 283}};
  std::vector<std::string> paths;
  for (const auto& [name, rows] : documented) {
    paths.push_back(folder + "/" + name);
    ASSERT_TRUE(fs::exists(paths.back())) << paths.back();
    EXPECT_EQ(CountCsvRecords(paths.back()), rows) << name;
  }
  auto first = api::ImportKeepItOn(*store_, paths, kIsoCodes);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_TRUE(first->bad_rows.empty()) << first->bad_rows.front();
  int rows = 0;
  for (const auto& f : first->files) {
    EXPECT_EQ(f.added, f.rows) << f.path;
    rows += f.rows;
  }
  EXPECT_EQ(StoredPerFile(), documented);
  EXPECT_GE(first->country_mapped, rows * 95 / 100) << "share of rows mapped to an ISO 3166-1 code";
  ASSERT_FALSE(first->unmapped_countries.empty());  // Somaliland is not an ISO 3166-1 country
  EXPECT_EQ(first->unmapped_countries.front().first, "Somaliland");

  auto second = api::ImportKeepItOn(*store_, paths, kIsoCodes);
  ASSERT_TRUE(second.ok()) << second.message();
  for (const auto& f : second->files) {
    EXPECT_EQ(f.added, 0) << f.path;
    EXPECT_EQ(f.present, f.rows) << f.path;
  }
  EXPECT_EQ(StoredPerFile(), documented);

  // Kazakhstan, 4-11 Jan 2022 (Excel 44565-44572), nationwide: on country/KZ, ending at 12 Jan 00:00 UTC.
  auto kz = store_->FindEntity("country", "KZ");
  ASSERT_TRUE(kz.ok() && kz->has_value());
  store::TimeFilter filter;
  filter.from = 1641254400;  // 2022-01-04
  filter.until = 1641254400 + 1;
  filter.entity_ids = {(*kz)->id};
  auto found = store_->ListAnnotations(filter);
  ASSERT_TRUE(found.ok());
  int january = 0;
  for (const auto& a : *found) {
    if (a.start_t != 1641254400) continue;
    ++january;
    EXPECT_EQ(a.end_t, 1641945600);  // 2022-01-12T00:00:00Z
    auto detail = nlohmann::json::parse(a.detail);
    EXPECT_EQ(detail["type"], "Shutdown, Throttle");
    EXPECT_EQ(detail["networks"], nlohmann::json::array({"Broadband", "Mobile"}));
    EXPECT_EQ(detail["cause"], "Protests");
    EXPECT_FALSE(detail["links"].empty());
    EXPECT_EQ(detail["dataset"], "2022.csv");
  }
  EXPECT_EQ(january, 1);
}

TEST_F(KeepItOnImportTest, BadRowsNamedByFileAndLineGoodRowsKept) {
  std::string header = "start_date,end_date,country,geo_scope,area_name,shutdown_type,affected_network\n";
  std::string path = (dir_ / "bad.csv").string();
  std::ofstream(path) << header                                                                    // line 1
                      << "44565.0,44572.0,Kazakhstan,\"two\nlines\",Nationwide,Shutdown,Mobile\n"  // 2-3
                      << "soon,,India,,\"Srinagar, Jammu & Kashmir\",Shutdown,Mobile\n"            // 4: bad start
                      << "44565.0,,India\n"                                                        // 5: 3 cells
                      << "44600.0,,India,,\"Srinagar, Jammu & Kashmir\",Shutdown,Mobile\n"         // 6: region
                      << "44601.0,April/2022,Atlantis,,,Shutdown,Mobile\n";                        // 7: warnings
  auto result = api::ImportKeepItOn(*store_, {path}, kIsoCodes);
  ASSERT_TRUE(result.ok()) << result.message();
  ASSERT_EQ(result->bad_rows.size(), 2u);
  EXPECT_EQ(result->bad_rows[0].rfind(path + " line 4: start_date 'soon'", 0), 0u) << result->bad_rows[0];
  EXPECT_EQ(result->bad_rows[1].rfind(path + " line 5: 3 cells", 0), 0u) << result->bad_rows[1];
  ASSERT_EQ(result->warnings.size(), 1u);
  EXPECT_NE(result->warnings[0].find("line 7"), std::string::npos);
  EXPECT_EQ(result->files[0].rows, 5);
  EXPECT_EQ(result->files[0].added, 3);
  EXPECT_EQ(result->region_mapped, 1);
  auto region = store_->FindEntity("region", "IN-JK");
  ASSERT_TRUE(region.ok() && region->has_value()) << "Jammu & Kashmir → IN-JK";
  auto place = store_->FindEntity("place", "atlantis");
  ASSERT_TRUE(place.ok() && place->has_value()) << "an unmapped country is kept on a place entity";
  ASSERT_EQ(result->unmapped_countries.size(), 1u);
  EXPECT_EQ(result->unmapped_countries[0].first, "Atlantis");

  auto missing = api::ImportKeepItOn(*store_, {(dir_ / "none.csv").string()}, kIsoCodes);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("none.csv"), std::string::npos);
}

}  // namespace
}  // namespace vigil
