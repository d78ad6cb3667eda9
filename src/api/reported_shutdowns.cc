// SPDX-License-Identifier: AGPL-3.0-or-later
// Imports Access Now #KeepItOn STOP CSVs as `reported-shutdown` annotations (see docs/api.md, "Reported
// shutdowns"). The CSV reader is RFC 4180 (quoted cells hold commas, quotes and newlines) and keeps the line
// each record starts on, so a bad row is reported as FILE line N.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "api/internal.h"
#include "base/sha256.h"
#include "geo/iso_codes.h"
#include "geo/region_mapper.h"

namespace vigil::api {
namespace {

constexpr int64_t kExcelEpochDay = 25569;  // Excel serial day of 1970-01-01
constexpr const char* kKind = "reported-shutdown";
constexpr const char* kAttribution = "Access Now #KeepItOn STOP data (accessnow.org/keepiton)";

struct CsvRecord {
  int line = 0;  // 1-based line the record starts on
  std::vector<std::string> cells;
};

// Splits text into records; an unterminated quote is an error naming the line it opened on.
Result<std::vector<CsvRecord>> ReadCsv(const std::string& text, const std::string& path) {
  std::vector<CsvRecord> records;
  CsvRecord record{1, {}};
  std::string cell;
  bool quoted = false, cell_started = false;
  int line = 1, quote_line = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell.push_back(c);
      }
      continue;
    }
    if (c == '"' && !cell_started) {
      quoted = cell_started = true;
      quote_line = line;
    } else if (c == ',') {
      record.cells.push_back(std::move(cell));
      cell.clear();
      cell_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.cells.push_back(std::move(cell));
      cell.clear();
      cell_started = false;
      if (!(record.cells.size() == 1 && record.cells[0].empty())) records.push_back(std::move(record));
      record = CsvRecord{++line, {}};
    } else {
      cell_started = true;
      cell.push_back(c);
    }
  }
  if (quoted) return Status::InvalidArgument(path + " line " + std::to_string(quote_line) + ": quote never closed");
  if (cell_started || !record.cells.empty()) {
    record.cells.push_back(std::move(cell));
    records.push_back(std::move(record));
  }
  return records;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> SplitList(const std::string& text, const std::string& separators) {
  std::vector<std::string> out;
  std::string piece;
  auto flush = [&] {
    std::string t = Trim(piece);
    if (!t.empty()) out.push_back(std::move(t));
    piece.clear();
  };
  for (char c : text) {
    if (separators.find(c) != std::string::npos) {
      flush();
    } else {
      piece.push_back(c);
    }
  }
  flush();
  return out;
}

// "https://a, https://b\n\nhttps://c; see https://d" → the four URLs.
std::vector<std::string> Links(const std::string& text) {
  std::vector<std::string> out;
  for (std::string& token : SplitList(text, " \t\r\n;,")) {
    if (token.rfind("http://", 0) == 0 || token.rfind("https://", 0) == 0) out.push_back(std::move(token));
  }
  return out;
}

// Excel serial day ("44565.0") → Unix seconds of that day's start, UTC (STOP dates have no time of day).
Result<int64_t> ExcelDay(const std::string& cell, const char* column) {
  std::string text = Trim(cell);
  char* end = nullptr;
  double serial = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(serial) || serial < 1 || serial > 2958465) {
    return Status::InvalidArgument(std::string(column) + " '" + text + "' is not an Excel serial day");
  }
  return (static_cast<int64_t>(std::floor(serial)) - kExcelEpochDay) * 86400;
}

bool IsNationwide(const std::string& area) {
  std::string folded = geo::FoldRegionName(area);
  static const std::set<std::string> kWhole = {
      "",    "nationwide",  "national",    "entire country", "country", "whole country",
      "all", "countrywide", "nation wide", "country wide"};
  return kWhole.count(folded) > 0;
}

// Area as written → the distinct ISO 3166-2 codes its parts name ("Srinagar, Jammu & Kashmir" → IN-JK).
std::vector<std::string> AreaCodes(const geo::RegionMapper& regions, const std::string& country,
                                   const std::string& area) {
  std::string text;
  for (char c : area) text += c == '&' ? std::string(" and ") : std::string(1, c);
  std::set<std::string> codes;
  std::string whole = regions.Map(country, Trim(text));
  if (!whole.empty()) return {whole};
  for (std::string part : SplitList(text, ",;/()")) {
    for (const char* prefix : {"in ", "the "}) {
      if (part.rfind(prefix, 0) == 0) part = part.substr(std::string(prefix).size());
    }
    for (const char* suffix : {" district", " districts", " state", " states", " areas", " area"}) {
      std::string s(suffix);
      if (part.size() > s.size() && part.compare(part.size() - s.size(), s.size(), s) == 0) {
        part.resize(part.size() - s.size());
      }
    }
    std::string code = regions.Map(country, part);
    if (!code.empty()) codes.insert(code);
  }
  return {codes.begin(), codes.end()};
}

std::vector<std::pair<std::string, int>> MostFirst(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

std::string BaseName(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class KeepItOnImporter {
 public:
  KeepItOnImporter(store::Store& store, const geo::IsoCodes& iso)
      : store_(store), iso_(iso), countries_(iso, geo::kCountryAliasesTsv), regions_(iso, geo::kRegionAliasesTsv) {}

  Status LoadExistingKeys() {
    auto existing = store_.ListAnnotations({});
    if (!existing.ok()) return existing.status();
    for (const auto& a : *existing) {
      if (a.kind != kKind) continue;
      Json detail = Json::parse(a.detail, nullptr, false);
      if (detail.is_object() && detail.contains("import_key")) keys_.insert(detail["import_key"].get<std::string>());
    }
    return Status::Ok();
  }

  Status ImportFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("cannot read " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto records = ReadCsv(buffer.str(), path);
    if (!records.ok()) return records.status();
    if (records->empty()) return Status::InvalidArgument(path + ": empty, expected the #KeepItOn STOP header row");
    VIGIL_RETURN_IF_ERROR(ReadHeader((*records)[0], path));
    ReportedShutdownImport::File file{path};
    std::unordered_map<std::string, int> seen;  // row hash → occurrences so far in this file
    for (size_t i = 1; i < records->size(); ++i) {
      const CsvRecord& record = (*records)[i];
      ++file.rows;
      Status row = ImportRow(record, path, seen, file);
      if (!row.ok()) {
        ++file.bad;
        result_.bad_rows.push_back(path + " line " + std::to_string(record.line) + ": " + row.message());
      }
    }
    result_.files.push_back(file);
    return Status::Ok();
  }

  ReportedShutdownImport Finish() {
    result_.unmapped_countries = MostFirst(unmapped_countries_);
    result_.unmapped_areas = MostFirst(unmapped_areas_);
    return std::move(result_);
  }

 private:
  Status ReadHeader(const CsvRecord& header, const std::string& path) {
    column_.clear();
    for (size_t i = 0; i < header.cells.size(); ++i) column_[Trim(header.cells[i])] = i;
    for (const char* needed : {"start_date", "end_date", "country", "area_name", "geo_scope", "shutdown_type"}) {
      if (!column_.count(needed)) {
        return Status::InvalidArgument(path + " line 1: no column '" + needed + "' (not a #KeepItOn STOP CSV?)");
      }
    }
    columns_ = header.cells.size();
    return Status::Ok();
  }

  std::string Cell(const CsvRecord& record, const char* name) const {
    auto it = column_.find(name);
    return it == column_.end() || it->second >= record.cells.size() ? "" : Trim(record.cells[it->second]);
  }

  Result<int64_t> EntityFor(const std::string& type, const std::string& code, const std::string& name,
                            int64_t parent_id) {
    std::string key = type + "/" + code;
    if (auto it = entity_ids_.find(key); it != entity_ids_.end()) return it->second;
    auto found = store_.FindEntity(type, code);
    if (!found.ok()) return found.status();
    int64_t id = 0;
    if (found->has_value()) {
      id = (*found)->id;
    } else {  // no data for it yet: create it by code (attributes come from geo when data arrives)
      store::Entity e;
      e.type = type;
      e.code = code;
      e.name = name;
      e.parent_id = parent_id;
      auto added = store_.UpsertEntity(e);
      if (!added.ok()) return added.status();
      id = *added;
    }
    entity_ids_[key] = id;
    return id;
  }

  // The row's exclusive end (0: ongoing or unknown). An end_date that cannot be read or lies before the start
  // leaves the end unknown, with a note (also a warning of the import).
  struct RowEnd {
    int64_t end_t = 0;
    std::string note;
  };
  RowEnd ReadEnd(const CsvRecord& record, const std::string& path, int64_t start_t) {
    RowEnd end;
    if (Cell(record, "end_date").empty()) return end;
    auto day = ExcelDay(Cell(record, "end_date"), "end_date");
    if (!day.ok()) {
      end.note = day.message();
    } else if (*day < start_t) {
      end.note = "end_date before start_date";
    } else {
      end.end_t = *day + 86400;  // the end day is the last day affected: exclusive end at the next midnight
    }
    if (!end.note.empty()) {
      result_.warnings.push_back(path + " line " + std::to_string(record.line) + ": " + end.note +
                                 "; stored with the end unknown");
    }
    return end;
  }

  // The row's import key: the file's name, a hash of its cells and which repeat of those cells in the file it is.
  static std::string ImportKey(const CsvRecord& record, const std::string& path,
                               std::unordered_map<std::string, int>& seen) {
    std::string joined;
    for (const std::string& c : record.cells) joined += c + '\x1f';
    std::string row_hash = Sha256OfBytes({reinterpret_cast<const uint8_t*>(joined.data()), joined.size()});
    return "keepiton:" + BaseName(path) + ":" + row_hash.substr(0, 32) + "#" + std::to_string(seen[row_hash]++);
  }

  // Where a row's shutdown happened: its country (empty when the name maps to none), the regions its area
  // names, and the entity annotated — the one region, else the country, else a "place" named like the country.
  struct RowPlace {
    std::string country;
    std::vector<std::string> region_codes;
    int64_t entity_id = 0;
  };
  Result<RowPlace> PlaceOf(const std::string& country_name, const std::string& area) {
    RowPlace place;
    place.country = countries_.Map(country_name);
    if (place.country.empty()) {
      ++unmapped_countries_[country_name];
      auto id = EntityFor("place", geo::FoldRegionName(country_name), country_name, 0);
      if (!id.ok()) return id.status();
      place.entity_id = *id;
      return place;
    }
    ++result_.country_mapped;
    auto country_names = iso_.country_names.find(place.country);
    auto id =
        EntityFor("country", place.country, country_names == iso_.country_names.end() ? "" : country_names->second, 0);
    if (!id.ok()) return id.status();
    place.entity_id = *id;
    if (!IsNationwide(area)) {
      place.region_codes = AreaCodes(regions_, place.country, area);
      if (place.region_codes.empty()) ++unmapped_areas_[place.country + ": " + area];
    }
    if (place.region_codes.size() == 1) {
      ++result_.region_mapped;
      const std::string* name = regions_.NameOf(place.region_codes[0]);
      auto region = EntityFor("region", place.region_codes[0], name ? *name : "", place.entity_id);
      if (!region.ok()) return region.status();
      place.entity_id = *region;
    }
    return place;
  }

  // The annotation's detail: every column of the row, where it comes from, and how it was mapped.
  Json RowDetail(const CsvRecord& record, const std::string& path, const std::string& key,
                 const std::string& country_name, const std::string& area, const RowPlace& place, const RowEnd& end,
                 const std::vector<std::string>& links) const {
    Json detail = {{"source", kAttribution},
                   {"dataset", BaseName(path)},
                   {"line", record.line},
                   {"import_key", key},
                   {"type", Cell(record, "shutdown_type")},
                   {"networks", SplitList(Cell(record, "affected_network"), ",")},
                   {"cause", Cell(record, "actual_cause")},
                   {"telcos", SplitList(Cell(record, "telcos_involved"), ",")},
                   {"links", links},
                   {"country_name", country_name},
                   {"country", place.country},
                   {"area_name", area},
                   {"geo_scope", Cell(record, "geo_scope")},
                   {"regions", place.region_codes},
                   {"status", Cell(record, "shutdown_status")},
                   {"start_date_type", Cell(record, "start_date_type")},
                   {"end_known", end.end_t != 0}};
    if (!end.note.empty()) detail["end_note"] = end.note + " (source: '" + Cell(record, "end_date") + "')";
    return detail;
  }

  // "Internet shutdown (mobile), Area, Country; cause: ... . Reported by ...".
  std::string AnnotationText(const CsvRecord& record, const std::string& country_name, const std::string& area) const {
    std::string what = Cell(record, "shutdown_type");
    std::string networks = Cell(record, "affected_network");
    return (what.empty() ? std::string("Shutdown") : what) + (networks.empty() ? "" : " (" + networks + ")") + ", " +
           (area.empty() ? country_name : area + ", " + country_name) +
           (Cell(record, "actual_cause").empty() ? "" : "; cause: " + Cell(record, "actual_cause")) + ". Reported by " +
           kAttribution;
  }

  Status ImportRow(const CsvRecord& record, const std::string& path, std::unordered_map<std::string, int>& seen,
                   ReportedShutdownImport::File& file) {
    if (record.cells.size() != columns_) {
      return Status::InvalidArgument(std::to_string(record.cells.size()) + " cells, the header has " +
                                     std::to_string(columns_));
    }
    std::string country_name = Cell(record, "country");
    if (country_name.empty()) return Status::InvalidArgument("no country");
    auto start = ExcelDay(Cell(record, "start_date"), "start_date");
    if (!start.ok()) return start.status();
    const RowEnd end = ReadEnd(record, path, *start);
    const std::string key = ImportKey(record, path, seen);
    const std::string area = Cell(record, "area_name");
    Result<RowPlace> place = PlaceOf(country_name, area);
    if (!place.ok()) return place.status();
    if (keys_.count(key)) {
      ++file.present;
      return Status::Ok();
    }
    std::vector<std::string> links = Links(Cell(record, "info_source_link"));
    store::Annotation a;
    a.entity_id = place->entity_id;
    a.start_t = *start;
    a.end_t = end.end_t;
    a.kind = kKind;
    a.text = AnnotationText(record, country_name, area);
    a.source_url = links.empty() ? "" : links.front();
    a.detail = RowDetail(record, path, key, country_name, area, *place, end, links).dump();
    auto id = store_.AddAnnotation(a);
    if (!id.ok()) return id.status();
    keys_.insert(key);
    ++file.added;
    return Status::Ok();
  }

  store::Store& store_;
  const geo::IsoCodes& iso_;
  geo::CountryNameMapper countries_;
  geo::RegionMapper regions_;
  std::unordered_map<std::string, size_t> column_;
  size_t columns_ = 0;
  std::unordered_set<std::string> keys_;
  std::unordered_map<std::string, int64_t> entity_ids_;
  std::map<std::string, int> unmapped_countries_, unmapped_areas_;
  ReportedShutdownImport result_;
};

}  // namespace

Result<ReportedShutdownImport> ImportKeepItOn(store::Store& store, const std::vector<std::string>& paths,
                                              const std::string& iso_codes_dir) {
  auto iso = geo::LoadIsoCodes(iso_codes_dir);
  if (!iso.ok()) return iso.status();
  KeepItOnImporter importer(store, *iso);
  VIGIL_RETURN_IF_ERROR(importer.LoadExistingKeys());
  for (const std::string& path : paths) VIGIL_RETURN_IF_ERROR(importer.ImportFile(path));
  return importer.Finish();
}

}  // namespace vigil::api
