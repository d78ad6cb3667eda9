// SPDX-License-Identifier: AGPL-3.0-or-later
#include "geo/iso_codes.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace vigil::geo {
namespace {

Result<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound(path + ": not found (Debian package iso-codes; `make deps` installs it)");
  }
  nlohmann::json document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Status::Corruption(path + ": not valid JSON (reinstall iso-codes: `make deps`)");
  return document;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::unordered_map<std::string, std::string>> ReadMoFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto u32 = [&](size_t offset, bool swap, uint32_t* value) {
    if (offset > bytes.size() || bytes.size() - offset < 4) return false;
    uint32_t v;
    std::memcpy(&v, bytes.data() + offset, 4);
    *value = swap ? __builtin_bswap32(v) : v;
    return true;
  };
  uint32_t magic = 0, count = 0, originals = 0, translations = 0;
  if (!u32(0, false, &magic)) return Status::Corruption(path + ": not a gettext catalogue");
  bool swap = magic == 0xde120495u;
  if (magic != 0x950412deu && !swap) return Status::Corruption(path + ": not a gettext catalogue");
  if (!u32(8, swap, &count) || !u32(12, swap, &originals) || !u32(16, swap, &translations)) {
    return Status::Corruption(path + ": truncated catalogue header");
  }
  std::unordered_map<std::string, std::string> catalogue;
  auto string_at = [&](uint32_t table, uint32_t i, std::string* out) {
    uint32_t length = 0, offset = 0;
    if (!u32(table + 8ull * i, swap, &length) || !u32(table + 8ull * i + 4, swap, &offset)) return false;
    if (offset > bytes.size() || bytes.size() - offset < length) return false;
    out->assign(bytes.data() + offset, length);
    return true;
  };
  for (uint32_t i = 0; i < count; ++i) {
    std::string id, text;
    if (!string_at(originals, i, &id) || !string_at(translations, i, &text)) {
      return Status::Corruption(path + ": damaged entry " + std::to_string(i));
    }
    if (!id.empty()) catalogue.emplace(std::move(id), std::move(text));
  }
  return catalogue;
}

Result<IsoCodes> LoadIsoCodes(const std::string& dir, const std::string& locale_dir) {
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
    return Status::Corruption(countries_path + ": no \"3166-1\" list (reinstall iso-codes: `make deps`)");
  }
  if (subdivision_list == subdivisions->end() || !subdivision_list->is_array()) {
    return Status::Corruption(subdivisions_path + ": no \"3166-2\" list (reinstall iso-codes: `make deps`)");
  }
  for (const auto& country : *country_list) {
    if (!country.is_object()) continue;
    std::string code = StringField(country, "alpha_2");
    std::string name = StringField(country, "common_name");
    if (name.empty()) name = StringField(country, "name");
    if (code.empty()) continue;
    iso.country_names.emplace(code, name);
    for (const char* field : {"name", "common_name", "official_name"}) {
      std::string other = StringField(country, field);
      if (!other.empty()) iso.country_all_names[code].push_back(std::move(other));
    }
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
  // English first; the other Latin-script languages add exonyms that English sources often share
  // ("Hesse", "Lombardia"). A name matching several subdivisions of one country is dropped as ambiguous.
  static const char* const kLanguages[] = {"en", "fr",    "de", "es", "it", "nl", "da", "sv", "nb_NO", "pl",
                                           "cs", "pt_BR", "ro", "hr", "id", "vi", "tr", "fi", "ca"};
  for (const char* language : kLanguages) {
    std::string path = locale_dir + "/" + language + "/LC_MESSAGES/iso_3166-2.mo";
    if (locale_dir.empty() || !std::ifstream(path)) continue;
    auto catalogue = ReadMoFile(path);
    if (!catalogue) return catalogue.status();
    for (auto& [id, text] : *catalogue) {
      if (text != id && !text.empty()) iso.translated_names[id].push_back(std::move(text));
    }
    iso.files.push_back(path);
  }
  return iso;
}

}  // namespace vigil::geo
