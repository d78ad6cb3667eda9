// SPDX-License-Identifier: AGPL-3.0-or-later
// Raw material of the range table, as the databases state it: address segments carrying a geolocation
// record (country code, the source's first-level subdivision name, city, time zone) and segments carrying
// an origin ASN. Readers (CSV world, mmdb walk, ASN CSV) fill it; range_table.cc compiles it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace vigil::geo {

struct GeoRecord {
  std::string country;  // ISO 3166-1 alpha-2 as the source writes it ("" = not located)
  std::string state1;
  std::string city;
  std::string tz;
};

struct GeoSegment {
  uint32_t first = 0;
  uint32_t last = 0;
  uint32_t record = 0;  // index into SourceData::records
};

struct AsnSegment {
  uint32_t first = 0;
  uint32_t last = 0;
  uint32_t asn = 0;
};

struct SourceData {
  std::vector<GeoRecord> records;
  std::vector<GeoSegment> geo;   // sorted, disjoint after Normalize()
  std::vector<AsnSegment> asns;  // sorted, disjoint after Normalize()
  // A second geolocation source, consulted only where `geo` names a country but no subdivision (the fusion
  // policy in range_table.cc and docs/geo.md: GeoLite2 leaves ~half of its /24s at country level, DB-IP
  // names a subdivision for most of them). Its records are records[first_secondary_record...].
  std::vector<GeoSegment> secondary_geo;  // sorted, disjoint after Normalize()
  uint32_t first_secondary_record = 0xFFFFFFFFu;
  std::unordered_map<uint32_t, std::string> asn_org;  // first organisation name seen per ASN
};

// Sorts both segment lists and clips overlaps (an earlier-starting segment keeps its addresses), so the
// compiler can sweep them. Readers of well-formed sources produce nothing to clip.
void NormalizeSegments(SourceData* data);

// CSV world / ip-location-db CSV layouts (dotted or numeric addresses, no header, RFC 4180 quoting).
// `start,end,country_code,state1,state2,city,postcode,latitude,longitude,timezone`
Status ReadGeoCsv(const std::string& path, SourceData* data);
// `start,end,asn,org`
Status ReadAsnCsv(const std::string& path, SourceData* data);

// Appends `other`'s geolocation segments to data->secondary_geo (records copied to the end of data->records).
void AddSecondarySource(SourceData&& other, SourceData* data);

// Walks the IPv4 search tree of an ip-location-db city mmdb (fields country_code, state1, city, timezone).
// progress(fraction) is called now and then; may be empty.
Status ReadCityMmdbIpv4(const std::string& path, SourceData* data, const std::function<void(double)>& progress);

}  // namespace vigil::geo
