// SPDX-License-Identifier: AGPL-3.0-or-later
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "geo/geo.h"
#include "geo/sources.h"

namespace vigil::geo {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return Status::FromErrno(errno, path + ": " + std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed) return Status::IOError(path + ": read error");
  return text;
}

// Splits one CSV record (RFC 4180: quoted fields may hold commas and doubled quotes) starting at *pos;
// leaves *pos after the record's line end. Quoted fields spanning lines are not used by these layouts, so a
// quote still open at the line end is an error (returns false): read on, it would swallow the rows after it.
bool SplitCsvLine(std::string_view text, size_t* pos, std::vector<std::string>* fields) {
  fields->clear();
  size_t i = *pos;
  std::string field;
  bool at_field_start = true;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n' || c == '\r') break;
    if (c == '"' && at_field_start) {
      ++i;
      bool closed = false;
      while (i < text.size() && text[i] != '\n' && text[i] != '\r') {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field.push_back(text[i++]);
      }
      if (!closed) return false;
      at_field_start = false;
      continue;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      at_field_start = true;
      ++i;
      continue;
    }
    field.push_back(c);
    at_field_start = false;
    ++i;
  }
  fields->push_back(std::move(field));
  while (i < text.size() && (text[i] == '\n' || text[i] == '\r')) ++i;
  *pos = i;
  return true;
}

// Dotted quad or the -num layout's decimal number.
bool ParseAddressField(const std::string& field, uint32_t* address) {
  if (field.find('.') != std::string::npos) {
    auto parsed = ParseIpv4(field);
    if (!parsed) return false;
    *address = *parsed;
    return true;
  }
  if (field.empty() || field.size() > 10) return false;
  uint64_t value = 0;
  for (char c : field) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 0xFFFFFFFFull) return false;
  *address = static_cast<uint32_t>(value);
  return true;
}

// IPv6 text → its /64 index (upper 64 bits).
bool ParseIpv6Slash64(const std::string& field, uint64_t* slash64) {
  uint8_t bytes[16];
  if (inet_pton(AF_INET6, field.c_str(), bytes) != 1) return false;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
  *slash64 = value;
  return true;
}

std::string LineError(const std::string& path, size_t line, const std::string& what) {
  return path + ":" + std::to_string(line) + ": " + what;
}

std::string RecordKey(const GeoRecord& r) { return r.country + '\x1f' + r.state1 + '\x1f' + r.city + '\x1f' + r.tz; }

// Records already in `data` by key, so that the IPv4 and IPv6 files share one record per place.
std::unordered_map<std::string, uint32_t> RecordIndexOf(const SourceData& data) {
  std::unordered_map<std::string, uint32_t> index;
  for (size_t i = 0; i < data.records.size(); ++i) index.emplace(RecordKey(data.records[i]), static_cast<uint32_t>(i));
  return index;
}

uint32_t InternRecord(GeoRecord record, std::unordered_map<std::string, uint32_t>* index, SourceData* data) {
  auto [it, inserted] = index->emplace(RecordKey(record), static_cast<uint32_t>(data->records.size()));
  if (inserted) data->records.push_back(std::move(record));
  return it->second;
}

// start,end,country_code,state1,state2,city,postcode,latitude,longitude,timezone (ip-location-db's columns).
GeoRecord RecordOfRow(const std::vector<std::string>& fields) {
  GeoRecord record;
  record.country = fields[2];
  if (fields.size() > 3) record.state1 = fields[3];
  if (fields.size() > 5) record.city = fields[5];
  if (fields.size() > 9) record.tz = fields[9];
  return record;
}

bool IsIpv6Row(const std::vector<std::string>& fields) { return fields[0].find(':') != std::string::npos; }

// Calls `row(fields, line)` for every non-blank row of at least three fields, in file order; the first
// malformed row (or the first error `row` returns) stops the read with file:line in the message.
template <typename RowFn>
Status ForEachCsvRow(const std::string& path, const char* expected_columns, RowFn row) {
  auto text = ReadWholeFile(path);
  if (!text) return text.status();
  std::vector<std::string> fields;
  size_t pos = 0, line = 0;
  while (pos < text->size()) {
    ++line;
    if (!SplitCsvLine(*text, &pos, &fields)) return Status::Corruption(LineError(path, line, "unterminated quote"));
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (fields.size() < 3) return Status::Corruption(LineError(path, line, expected_columns));
    VIGIL_RETURN_IF_ERROR(row(fields, line));
  }
  return Status::Ok();
}

// The row's start,end columns through `parse` (IPv4 address or IPv6 /64); `family` names them in errors.
template <typename Unit, typename ParseFn>
Status ParseRangeColumns(const std::vector<std::string>& fields, ParseFn parse, const char* family,
                         const std::string& path, size_t line, Unit* first, Unit* last) {
  if (parse(fields[0], first) && parse(fields[1], last) && !(*last < *first)) return Status::Ok();
  return Status::Corruption(
      LineError(path, line, std::string("bad ") + family + " range '" + fields[0] + "," + fields[1] + "'"));
}

// The ASN column (a plain decimal; "1.2" asdot notation is refused) and the organisation beside it.
Status ParseAsnColumns(const std::vector<std::string>& fields, const std::string& path, size_t line, uint32_t* asn,
                       SourceData* data) {
  if (!ParseAddressField(fields[2], asn) || fields[2].find('.') != std::string::npos) {
    return Status::Corruption(LineError(path, line, "bad ASN '" + fields[2] + "'"));
  }
  if (fields.size() > 3 && !fields[3].empty()) data->asn_org.emplace(*asn, fields[3]);
  return Status::Ok();
}

constexpr const char kGeoColumns[] = "expected start,end,country_code,...";
constexpr const char kAsnColumns[] = "expected start,end,asn,org";

}  // namespace

Status ReadGeoCsv(const std::string& path, SourceData* data) {
  std::unordered_map<std::string, uint32_t> record_index = RecordIndexOf(*data);
  return ForEachCsvRow(path, kGeoColumns, [&](const std::vector<std::string>& fields, size_t line) {
    if (IsIpv6Row(fields)) return Status::Ok();  // IPv6 rows belong to the IPv6 side
    GeoSegment segment;
    VIGIL_RETURN_IF_ERROR(
        ParseRangeColumns(fields, ParseAddressField, "address", path, line, &segment.first, &segment.last));
    segment.record = InternRecord(RecordOfRow(fields), &record_index, data);
    data->geo.push_back(segment);
    return Status::Ok();
  });
}

Status ReadAsnCsv(const std::string& path, SourceData* data) {
  return ForEachCsvRow(path, kAsnColumns, [&](const std::vector<std::string>& fields, size_t line) {
    if (IsIpv6Row(fields)) return Status::Ok();
    AsnSegment segment;
    VIGIL_RETURN_IF_ERROR(
        ParseRangeColumns(fields, ParseAddressField, "address", path, line, &segment.first, &segment.last));
    VIGIL_RETURN_IF_ERROR(ParseAsnColumns(fields, path, line, &segment.asn, data));
    data->asns.push_back(segment);
    return Status::Ok();
  });
}

Status ReadGeoCsvIpv6(const std::string& path, SourceData* data) {
  std::unordered_map<std::string, uint32_t> record_index = RecordIndexOf(*data);
  return ForEachCsvRow(path, kGeoColumns, [&](const std::vector<std::string>& fields, size_t line) {
    if (!IsIpv6Row(fields)) return Status::Ok();  // IPv4 rows belong to the IPv4 side
    GeoSegment6 segment;
    VIGIL_RETURN_IF_ERROR(
        ParseRangeColumns(fields, ParseIpv6Slash64, "IPv6", path, line, &segment.first, &segment.last));
    segment.record = InternRecord(RecordOfRow(fields), &record_index, data);
    data->geo6.push_back(segment);
    return Status::Ok();
  });
}

Status ReadAsnCsvIpv6(const std::string& path, SourceData* data) {
  return ForEachCsvRow(path, kAsnColumns, [&](const std::vector<std::string>& fields, size_t line) {
    if (!IsIpv6Row(fields)) return Status::Ok();
    AsnSegment6 segment;
    VIGIL_RETURN_IF_ERROR(
        ParseRangeColumns(fields, ParseIpv6Slash64, "IPv6", path, line, &segment.first, &segment.last));
    VIGIL_RETURN_IF_ERROR(ParseAsnColumns(fields, path, line, &segment.asn, data));
    data->asns6.push_back(segment);
    return Status::Ok();
  });
}

namespace {

// Sorts by first unit and clips overlaps (an earlier-starting segment keeps its units).
template <typename Segments>
void ClipSegments(Segments& segments) {
  std::stable_sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  using Unit = decltype(segments[0].first);
  size_t out = 0;
  unsigned __int128 next_free = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    auto s = segments[i];
    if (s.last < next_free) continue;
    if (s.first < next_free) s.first = static_cast<Unit>(next_free);
    next_free = static_cast<unsigned __int128>(s.last) + 1;
    segments[out++] = s;
  }
  segments.resize(out);
}

}  // namespace

void NormalizeSegments(SourceData* data) {
  ClipSegments(data->geo);
  ClipSegments(data->asns);
  ClipSegments(data->secondary_geo);
  ClipSegments(data->geo6);
  ClipSegments(data->asns6);
  ClipSegments(data->secondary_geo6);
}

void AddSecondarySource(SourceData&& other, SourceData* data) {
  uint32_t offset = static_cast<uint32_t>(data->records.size());
  if (data->first_secondary_record == 0xFFFFFFFFu) data->first_secondary_record = offset;
  for (GeoRecord& record : other.records) data->records.push_back(std::move(record));
  data->secondary_geo.reserve(data->secondary_geo.size() + other.geo.size());
  for (GeoSegment segment : other.geo) {
    segment.record += offset;
    data->secondary_geo.push_back(segment);
  }
  for (GeoSegment6 segment : other.geo6) {
    segment.record += offset;
    data->secondary_geo6.push_back(segment);
  }
}

}  // namespace vigil::geo
