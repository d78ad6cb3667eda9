// SPDX-License-Identifier: AGPL-3.0-or-later
// Maps a geolocation database's (country code, first-level subdivision name) to an ISO 3166-2 code.
// Sources spell names their own way ("Almaty Oblysy", "Almatinskaja oblast'", "Île-de-France"), so names
// are compared after folding (diacritics, case, punctuation), first whole, then without generic words
// ("Region", "Oblast", "Province", ...); a reviewed alias table (region_aliases.tsv) settles the rest.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "geo/iso_codes.h"

namespace vigil::geo {

// UTF-8 → lower-case ASCII words separated by single spaces: Latin diacritics folded (ā→a, ß→ss),
// apostrophes and okina dropped ("oblast'" → "oblast"), other punctuation a word break. Characters outside
// Latin scripts are kept as they are.
std::string FoldRegionName(std::string_view name);
// FoldRegionName without generic administrative words and particles ("region", "oblysy", "of", ...).
std::string StripGenericWords(std::string_view folded);

// The embedded copies of src/geo/region_aliases.tsv and country_aliases.tsv (generated at build time).
extern const char* const kRegionAliasesTsv;
extern const char* const kCountryAliasesTsv;

// Maps an English country name as sources write it ("Iran (Islamic Republic of)", "Congo (Democratic Republic
// of the)", "Turkey") to ISO 3166-1 alpha-2. Names are compared as sets of folded words without "the", "of"
// and "and", so comma-inverted iso-codes names match; a reviewed alias table settles the rest. A word set two
// countries share is dropped (ambiguous), never guessed.
class CountryNameMapper {
 public:
  // aliases_tsv: lines `source name<TAB>CC`; '#' starts a comment.
  CountryNameMapper(const IsoCodes& iso, std::string_view aliases_tsv);
  // alpha-2 code, or "" when the name is unknown or ambiguous. A bare alpha-2 code of iso-codes is taken as is.
  std::string Map(std::string_view name) const;
  // Every alias line that is malformed or names a code iso-codes lacks (for the alias table's test).
  const std::vector<std::string>& alias_problems() const { return alias_problems_; }

 private:
  std::unordered_map<std::string, std::string> by_words_;  // word-set key → code ("" = ambiguous)
  std::unordered_map<std::string, std::string> codes_;     // alpha-2 → itself
  std::vector<std::string> alias_problems_;
};

class RegionMapper {
 public:
  // aliases_tsv: lines `CC<TAB>source name<TAB>CC-XXX`; '#' starts a comment.
  RegionMapper(const IsoCodes& iso, std::string_view aliases_tsv);

  // ISO 3166-2 code, or "" when unmapped. A state1 that already is a code `CC-XXX` of `country` is taken
  // as it is (simulated worlds use made-up codes).
  std::string Map(std::string_view country, std::string_view state1) const;
  // iso-codes name of a code, or nullptr.
  const std::string* NameOf(const std::string& code) const;
  // Every alias line that is malformed or names a code iso-codes lacks (for the alias table's test).
  const std::vector<std::string>& alias_problems() const { return alias_problems_; }

 private:
  struct Candidates {
    std::vector<std::string> codes;
    bool first_level = false;
  };
  void AddName(const std::string& country, const std::string& name, const IsoSubdivision& subdivision);
  static void AddCandidate(std::unordered_map<std::string, std::vector<const IsoSubdivision*>>* index,
                           const std::string& key, const IsoSubdivision* subdivision);
  static std::string Resolve(const std::vector<const IsoSubdivision*>& candidates);

  std::unordered_map<std::string, std::string> aliases_;                          // "CC|folded name" → code
  std::unordered_map<std::string, std::vector<const IsoSubdivision*>> whole_;     // "CC|folded"
  std::unordered_map<std::string, std::vector<const IsoSubdivision*>> stripped_;  // "CC|stripped"
  std::unordered_map<std::string, const IsoSubdivision*> by_code_;
  std::vector<IsoSubdivision> subdivisions_;
  std::vector<std::string> alias_problems_;
};

}  // namespace vigil::geo
