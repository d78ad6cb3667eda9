// SPDX-License-Identifier: AGPL-3.0-or-later
#include "geo/region_mapper.h"

#include <algorithm>
#include <array>
#include <sstream>
#include <unordered_set>

namespace vigil::geo {
namespace {

// ASCII spelling of U+00C0..U+024F (Latin-1 Supplement, Latin Extended-A and -B): the NFKD base letter,
// or a conventional transliteration where there is none (ß, æ, ø, ł, ...).
constexpr std::array<const char*, 0x250 - 0xC0> kLatinFold = {
    "a",  "a",  "a",  "a",  "a",  "a",  "ae", "c",  "e",  "e", "e",  "e",  "i", "i", "i",  "i",  "d", "n", "o",  "o",
    "o",  "o",  "o",  "",   "o",  "u",  "u",  "u",  "u",  "y", "th", "ss", "a", "a", "a",  "a",  "a", "a", "ae", "c",
    "e",  "e",  "e",  "e",  "i",  "i",  "i",  "i",  "d",  "n", "o",  "o",  "o", "o", "o",  "",   "o", "u", "u",  "u",
    "u",  "y",  "th", "y",  "a",  "a",  "a",  "a",  "a",  "a", "c",  "c",  "c", "c", "c",  "c",  "c", "c", "d",  "d",
    "d",  "d",  "e",  "e",  "e",  "e",  "e",  "e",  "e",  "e", "e",  "e",  "g", "g", "g",  "g",  "g", "g", "g",  "g",
    "h",  "h",  "h",  "h",  "i",  "i",  "i",  "i",  "i",  "i", "i",  "i",  "i", "i", "ij", "ij", "j", "j", "k",  "k",
    "k",  "l",  "l",  "l",  "l",  "l",  "l",  "l",  "l",  "l", "l",  "n",  "n", "n", "n",  "n",  "n", "n", "n",  "n",
    "o",  "o",  "o",  "o",  "o",  "o",  "oe", "oe", "r",  "r", "r",  "r",  "r", "r", "s",  "s",  "s", "s", "s",  "s",
    "s",  "s",  "t",  "t",  "t",  "t",  "",   "",   "u",  "u", "u",  "u",  "u", "u", "u",  "u",  "u", "u", "u",  "u",
    "w",  "w",  "y",  "y",  "y",  "z",  "z",  "z",  "z",  "z", "z",  "s",  "",  "",  "",   "",   "",  "",  "",   "",
    "",   "",   "",   "",   "",   "",   "",   "e",  "",   "",  "f",  "",   "",  "",  "",   "i",  "",  "",  "l",  "",
    "",   "",   "",   "",   "o",  "o",  "",   "",   "",   "",  "",   "",   "",  "",  "",   "",   "",  "",  "",   "u",
    "u",  "",   "",   "",   "",   "",   "",   "",   "",   "",  "",   "",   "",  "",  "",   "",   "",  "",  "",   "",
    "dz", "dz", "dz", "lj", "lj", "lj", "nj", "nj", "nj", "a", "a",  "i",  "i", "o", "o",  "u",  "u", "u", "u",  "u",
    "u",  "u",  "u",  "u",  "u",  "e",  "a",  "a",  "a",  "a", "",   "",   "",  "",  "g",  "g",  "k", "k", "o",  "o",
    "o",  "o",  "",   "",   "j",  "dz", "dz", "dz", "g",  "g", "",   "",   "n", "n", "a",  "a",  "",  "",  "",   "",
    "a",  "a",  "a",  "a",  "e",  "e",  "e",  "e",  "i",  "i", "i",  "i",  "o", "o", "o",  "o",  "r", "r", "r",  "r",
    "u",  "u",  "u",  "u",  "s",  "s",  "t",  "t",  "",   "",  "h",  "h",  "",  "",  "",   "",   "",  "",  "a",  "a",
    "e",  "e",  "o",  "o",  "o",  "o",  "o",  "o",  "o",  "o", "y",  "y",  "",  "",  "",   "",   "",  "",  "",   "",
    "",   "",   "",   "",   "",   "",   "",   "",   "",   "",  "",   "",   "",  "",  "",   "",   "",  "",  "",   "",
};

// Decodes one UTF-8 sequence at text[*pos]; returns the code point (or the byte for malformed input).
uint32_t NextCodePoint(std::string_view text, size_t* pos) {
  unsigned char c = static_cast<unsigned char>(text[*pos]);
  size_t extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (*pos + extra >= text.size()) extra = 0;
  uint32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
  for (size_t i = 1; i <= extra; ++i) {
    unsigned char next = static_cast<unsigned char>(text[*pos + i]);
    if ((next & 0xC0) != 0x80) {
      extra = 0;
      cp = c;
      break;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  *pos += extra + 1;
  return cp;
}

bool IsDroppedMark(uint32_t cp) {
  // Apostrophes, okina and modifier letters mark soft signs or glottal stops in transliterations: dropping
  // them keeps "Ul'janovskaja" one word and "O'zbekiston" comparable to "Ozbekiston".
  return cp == '\'' || cp == '`' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BB || cp == 0x02BC || cp == 0x02BF ||
         cp == 0x02BE || cp == 0x00B4 || (cp >= 0x0300 && cp <= 0x036F);
}

const std::unordered_set<std::string>& GenericWords() {
  static const std::unordered_set<std::string> kWords = {"region",
                                                         "regional",
                                                         "oblast",
                                                         "oblys",
                                                         "oblysy",
                                                         "oblasty",
                                                         "province",
                                                         "provincia",
                                                         "provinsi",
                                                         "state",
                                                         "county",
                                                         "district",
                                                         "governorate",
                                                         "department",
                                                         "departement",
                                                         "prefecture",
                                                         "municipality",
                                                         "city",
                                                         "capital",
                                                         "territory",
                                                         "federal",
                                                         "voivodeship",
                                                         "canton",
                                                         "parish",
                                                         "emirate",
                                                         "kraj",
                                                         "krai",
                                                         "respublika",
                                                         "republic",
                                                         "okrug",
                                                         "autonomous",
                                                         "avtonomnyj",
                                                         "avtonomnaja",
                                                         "gorod",
                                                         "special",
                                                         "administrative",
                                                         "metropolitan",
                                                         "qalasy",
                                                         "shahri",
                                                         "wilayah",
                                                         "ken",
                                                         "to",
                                                         "fu",
                                                         "do",
                                                         "si",
                                                         "sheng",
                                                         "shi",
                                                         "zizhiqu",
                                                         "teukbyeolsi",
                                                         "gwangyeoksi",
                                                         "teukbyeoljachisi",
                                                         "teukbyeoljachido",
                                                         "of",
                                                         "the",
                                                         "de",
                                                         "del",
                                                         "la",
                                                         "le",
                                                         "les",
                                                         "du",
                                                         "des",
                                                         "da",
                                                         "di",
                                                         "al",
                                                         "el"};
  return kWords;
}

std::string Key(std::string_view country, std::string_view name) {
  std::string key(country);
  key.push_back('|');
  key.append(name);
  return key;
}

bool IsSubdivisionCodeOf(std::string_view country, std::string_view state1) {
  if (state1.size() < 4 || state1.size() > 6 || state1.substr(0, 2) != country || state1[2] != '-') return false;
  for (char c : state1.substr(3)) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

std::string FoldRegionName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_space = false;
  auto put = [&](std::string_view piece) {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.append(piece);
  };
  size_t pos = 0;
  while (pos < name.size()) {
    size_t start = pos;
    uint32_t cp = NextCodePoint(name, &pos);
    if (IsDroppedMark(cp)) continue;
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        put(std::string_view(&c, 1));
      } else {
        pending_space = true;
      }
    } else if (cp >= 0xC0 && cp < 0x250) {
      const char* folded = kLatinFold[cp - 0xC0];
      if (*folded) {
        put(folded);
      } else {
        pending_space = true;
      }
    } else if (cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x206F)) {
      pending_space = true;  // no-break space, dashes, general punctuation
    } else {
      put(name.substr(start, pos - start));
    }
  }
  return out;
}

std::string StripGenericWords(std::string_view folded) {
  std::string out;
  std::istringstream words{std::string(folded)};
  std::string word;
  while (words >> word) {
    if (GenericWords().count(word)) continue;
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

RegionMapper::RegionMapper(const IsoCodes& iso, std::string_view aliases_tsv) : subdivisions_(iso.subdivisions) {
  for (const IsoSubdivision& subdivision : subdivisions_) by_code_.emplace(subdivision.code, &subdivision);
  for (const IsoSubdivision& subdivision : subdivisions_) {
    std::string country = subdivision.code.substr(0, 2);
    // iso-codes joins alternative names with ';', ' / ' or brackets ("Isle of Anglesey [Sir Ynys Môn GB-YNM]").
    std::string names;
    const std::string& full = subdivision.name;
    for (size_t i = 0; i < full.size(); ++i) {
      char c = full[i];
      if (c == ';' || c == '[' || c == ']' || c == '(' || c == ')') {
        names.push_back('\n');
      } else if (c == '/' && i > 0 && full[i - 1] == ' ') {
        names.push_back('\n');
      } else {
        names.push_back(c);
      }
    }
    AddName(country, subdivision.name, subdivision);
    if (auto translated = iso.translated_names.find(subdivision.name); translated != iso.translated_names.end()) {
      for (const std::string& name : translated->second) AddName(country, name, subdivision);
    }
    std::istringstream parts(names);
    std::string part;
    while (std::getline(parts, part)) AddName(country, part, subdivision);
    // "Tatarstan, Respublika" is "Respublika Tatarstan" reordered: the part before the comma is the name.
    size_t comma = subdivision.name.find(',');
    if (comma != std::string::npos) AddName(country, subdivision.name.substr(0, comma), subdivision);
  }
  std::istringstream lines{std::string(aliases_tsv)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    size_t tab1 = line.find('\t');
    size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) {
      alias_problems_.push_back("line " + std::to_string(number) + ": expected CC<TAB>name<TAB>code");
      continue;
    }
    std::string country = line.substr(0, tab1);
    std::string name = line.substr(tab1 + 1, tab2 - tab1 - 1);
    std::string code = line.substr(tab2 + 1);
    if (!by_code_.count(code) || code.substr(0, 2) != country) {
      alias_problems_.push_back("line " + std::to_string(number) + ": " + code +
                                " is not an iso-codes subdivision of " + country);
      continue;
    }
    aliases_[Key(country, FoldRegionName(name))] = code;
  }
}

void RegionMapper::AddCandidate(std::unordered_map<std::string, std::vector<const IsoSubdivision*>>* index,
                                const std::string& key, const IsoSubdivision* subdivision) {
  auto& list = (*index)[key];
  if (std::find(list.begin(), list.end(), subdivision) == list.end()) list.push_back(subdivision);
}

void RegionMapper::AddName(const std::string& country, const std::string& name, const IsoSubdivision& subdivision) {
  std::string folded = FoldRegionName(name);
  if (folded.empty()) return;
  AddCandidate(&whole_, Key(country, folded), &subdivision);
  std::string stripped = StripGenericWords(folded);
  if (!stripped.empty()) AddCandidate(&stripped_, Key(country, stripped), &subdivision);
}

// One candidate wins; among several, a single first-level subdivision wins (databases report first-level
// subdivisions); anything else is ambiguous and left to the alias table.
std::string RegionMapper::Resolve(const std::vector<const IsoSubdivision*>& candidates) {
  if (candidates.size() == 1) return candidates[0]->code;
  const IsoSubdivision* top = nullptr;
  for (const IsoSubdivision* candidate : candidates) {
    if (!candidate->parent.empty()) continue;
    if (top) return "";
    top = candidate;
  }
  return top ? top->code : "";
}

std::string RegionMapper::Map(std::string_view country, std::string_view state1) const {
  if (state1.empty() || country.size() != 2) return "";
  if (IsSubdivisionCodeOf(country, state1)) return std::string(state1);
  std::string folded = FoldRegionName(state1);
  if (auto it = aliases_.find(Key(country, folded)); it != aliases_.end()) return it->second;
  if (auto it = whole_.find(Key(country, folded)); it != whole_.end()) {
    std::string code = Resolve(it->second);
    if (!code.empty()) return code;
  }
  std::string stripped = StripGenericWords(folded);
  if (stripped.empty()) return "";
  if (auto it = stripped_.find(Key(country, stripped)); it != stripped_.end()) return Resolve(it->second);
  return "";
}

const std::string* RegionMapper::NameOf(const std::string& code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : &it->second->name;
}

namespace {

// "congo democratic republic" for "Congo, The Democratic Republic of the": sorted folded words without
// the particles that word order moves around.
std::string CountryWordKey(std::string_view name) {
  std::istringstream in{FoldRegionName(name)};
  std::vector<std::string> words;
  std::string word;
  while (in >> word) {
    if (word != "the" && word != "of" && word != "and") words.push_back(word);
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  std::string key;
  for (const std::string& w : words) key += (key.empty() ? "" : " ") + w;
  return key;
}

}  // namespace

CountryNameMapper::CountryNameMapper(const IsoCodes& iso, std::string_view aliases_tsv) {
  for (const auto& [code, names] : iso.country_all_names) {
    codes_.emplace(code, code);
    for (const std::string& name : names) {
      auto [it, inserted] = by_words_.emplace(CountryWordKey(name), code);
      if (!inserted && it->second != code) it->second = "";  // two countries, one word set: ambiguous
    }
  }
  std::istringstream lines{std::string(aliases_tsv)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    std::string code = tab == std::string::npos ? "" : line.substr(tab + 1);
    if (code.empty() || !codes_.count(code)) {
      alias_problems_.push_back("country_aliases.tsv line " + std::to_string(number) + ": '" + line +
                                "' needs NAME<TAB>CODE with a code iso-codes knows");
      continue;
    }
    by_words_[CountryWordKey(line.substr(0, tab))] = code;  // reviewed: wins over a derived entry
  }
}

std::string CountryNameMapper::Map(std::string_view name) const {
  if (name.size() == 2 && codes_.count(std::string(name))) return std::string(name);
  auto it = by_words_.find(CountryWordKey(name));
  return it == by_words_.end() ? "" : it->second;
}

}  // namespace vigil::geo
