#include "geo/iso_codes.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace vigil::geo {
namespace {

Result<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::Error(path + ": not found (Debian package iso-codes; `make deps` installs it)");
  }
  nlohmann::json document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Status::Error(path + ": not valid JSON (reinstall iso-codes: `make deps`)");
  return document;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<IsoCodes> LoadIsoCodes(const std::string& dir) {
  IsoCodes iso;
  std::string countries_path = dir + "/iso_3166-1.json";
  std::string subdivisions_path = dir + "/iso_3166-2.json";
  auto countries = ReadJson(countries_path);
  if (!countries) return countries.status();
  auto subdivisions = ReadJson(subdivisions_path);
  if (!subdivisions) return subdivisions.status();
  auto country_list = countries->find("3166-1");
  auto subdivision_list = subdivisions->find("3166-2");
  if (country_list == countries->end() || !country_list->is_array()) {
    return Status::Error(countries_path + ": no \"3166-1\" list (reinstall iso-codes: `make deps`)");
  }
  if (subdivision_list == subdivisions->end() || !subdivision_list->is_array()) {
    return Status::Error(subdivisions_path + ": no \"3166-2\" list (reinstall iso-codes: `make deps`)");
  }
  for (const auto& country : *country_list) {
    if (!country.is_object()) continue;
    std::string code = StringField(country, "alpha_2");
    std::string name = StringField(country, "common_name");
    if (name.empty()) name = StringField(country, "name");
    if (!code.empty()) iso.country_names.emplace(code, name);
  }
  for (const auto& entry : *subdivision_list) {
    if (!entry.is_object()) continue;
    IsoSubdivision subdivision{StringField(entry, "code"), StringField(entry, "name"), StringField(entry, "type"),
                               StringField(entry, "parent")};
    if (subdivision.code.size() < 4) continue;
    // iso-codes writes a parent as the code's suffix ("NIR") in some releases and in full in others.
    if (!subdivision.parent.empty() && subdivision.parent.find('-') == std::string::npos) {
      subdivision.parent = subdivision.code.substr(0, 2) + "-" + subdivision.parent;
    }
    iso.subdivisions.push_back(std::move(subdivision));
  }
  iso.files = {countries_path, subdivisions_path};
  return iso;
}

}  // namespace vigil::geo
