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

// Address units: IPv4 addresses (uint32_t), or IPv6 /64 indices (uint64_t, the address's upper 64 bits; the
// IPv6 table is kept at /64 precision, finer than any /48 it is asked about).
template <typename Unit>
struct BasicGeoSegment {
  Unit first = 0;
  Unit last = 0;
  uint32_t record = 0;  // index into SourceData::records
};

template <typename Unit>
struct BasicAsnSegment {
  Unit first = 0;
  Unit last = 0;
  uint32_t asn = 0;
};

using GeoSegment = BasicGeoSegment<uint32_t>;
using AsnSegment = BasicAsnSegment<uint32_t>;
using GeoSegment6 = BasicGeoSegment<uint64_t>;
using AsnSegment6 = BasicAsnSegment<uint64_t>;

struct SourceData {
  std::vector<GeoRecord> records;
  std::vector<GeoSegment> geo;   // sorted, disjoint after Normalize()
  std::vector<AsnSegment> asns;  // sorted, disjoint after Normalize()
  // A second geolocation source, consulted only where `geo` names a country but no subdivision (the fusion
  // policy in range_table.cc and docs/geo.md: GeoLite2 leaves ~half of its /24s at country level, DB-IP
  // names a subdivision for most of them). Its records are records[first_secondary_record...].
  std::vector<GeoSegment> secondary_geo;  // sorted, disjoint after Normalize()
  uint32_t first_secondary_record = 0xFFFFFFFFu;
  // The same three lists for IPv6, over /64 indices (records shared with IPv4).
  std::vector<GeoSegment6> geo6;
  std::vector<AsnSegment6> asns6;
  std::vector<GeoSegment6> secondary_geo6;
  std::unordered_map<uint32_t, std::string> asn_org;  // first organisation name seen per ASN
};

// Sorts every segment list and clips overlaps (an earlier-starting segment keeps its addresses), so the
// compiler can sweep them. Readers of well-formed sources produce nothing to clip.
void NormalizeSegments(SourceData* data);

// CSV world / ip-location-db CSV layouts (dotted or numeric addresses, no header, RFC 4180 quoting).
// `start,end,country_code,state1,state2,city,postcode,latitude,longitude,timezone`
Status ReadGeoCsv(const std::string& path, SourceData* data);
// `start,end,asn,org`
Status ReadAsnCsv(const std::string& path, SourceData* data);
// The same layouts with IPv6 addresses (rows with IPv4 addresses are skipped), into geo6 / asns6.
Status ReadGeoCsvIpv6(const std::string& path, SourceData* data);
Status ReadAsnCsvIpv6(const std::string& path, SourceData* data);

// Appends `other`'s geolocation segments to data->secondary_geo (records copied to the end of data->records).
void AddSecondarySource(SourceData&& other, SourceData* data);

// Walks the IPv4 search tree of an ip-location-db city mmdb (fields country_code, state1, city, timezone).
// progress(fraction) is called now and then; may be empty.
Status ReadCityMmdbIpv4(const std::string& path, SourceData* data, const std::function<void(double)>& progress);
// Walks the IPv6 tree of an IPv6 city mmdb into data->geo6 (networks longer than /64 are kept at their /64;
// the IPv4 subtree ::/96 and its aliases are left out).
Status ReadCityMmdbIpv6(const std::string& path, SourceData* data, const std::function<void(double)>& progress);

}  // namespace vigil::geo
