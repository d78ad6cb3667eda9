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
  std::vector<IsoSubdivision> subdivisions;
  std::vector<std::string> files;  // the JSON files read (their hashes key the range-table cache)
};

// Reads iso_3166-1.json and iso_3166-2.json from dir (Debian: /usr/share/iso-codes/json).
Result<IsoCodes> LoadIsoCodes(const std::string& dir);

}  // namespace vigil::geo
