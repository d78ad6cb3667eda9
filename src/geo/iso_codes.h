// SPDX-License-Identifier: AGPL-3.0-or-later
// Debian iso-codes (ISO 3166-1 countries, ISO 3166-2 subdivisions) as loaded from its JSON files.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace vigil::geo {

struct IsoSubdivision {
  std::string code;    // "KZ-ALA"
  std::string name;    // "Almaty"
  std::string type;    // "City", "Region", ...
  std::string parent;  // code of the enclosing subdivision, "" for first-level ones
};

struct IsoCodes {
  std::unordered_map<std::string, std::string> country_names;  // alpha-2 → name
  // alpha-2 → every English name iso-codes gives (name, common_name, official_name), for reading sources that
  // name countries in English ("Iran (Islamic Republic of)", "Syria", "Czech Republic").
  std::unordered_map<std::string, std::vector<std::string>> country_all_names;
  std::vector<IsoSubdivision> subdivisions;
  // Other names of subdivisions from iso-codes' gettext catalogues (iso-codes name → translations), for
  // databases that write English or other exonyms ("Bavaria" for "Bayern", "Hesse" for "Hessen").
  std::unordered_map<std::string, std::vector<std::string>> translated_names;
  std::vector<std::string> files;  // the files read (their hashes key the range-table cache)
};

// Reads iso_3166-1.json and iso_3166-2.json from dir (Debian: /usr/share/iso-codes/json) and, when present,
// the catalogues locale_dir/<lang>/LC_MESSAGES/iso_3166-2.mo of Latin-script languages (Debian: /usr/share/locale).
Result<IsoCodes> LoadIsoCodes(const std::string& dir, const std::string& locale_dir = "/usr/share/locale");

// Message catalogue (GNU gettext .mo) as msgid → msgstr; an error names the file.
Result<std::unordered_map<std::string, std::string>> ReadMoFile(const std::string& path);

}  // namespace vigil::geo
