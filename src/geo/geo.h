// SPDX-License-Identifier: AGPL-3.0-or-later
// Module geo: where address space lies. It owns the compiled IPv4 and IPv6 range tables (sorted, disjoint
// ranges → country, ISO 3166-2 region, origin ASN, time zone), built from the ip-location-db databases (GeoLite2 or
// DB-IP city mmdb + the ASN CSV) or from a CSV world written by the simulator, cached on disk with the
// sources' hashes; the mapping of database region names to ISO 3166-2 codes; the entity list (country,
// region, asn) with names, /24 and /48 counts and time zones; and the /24- and /48-per-entity interval
// queries the signal stage runs over routed prefixes. It knows nothing of BGP, probing, series or the store: callers
// hand it addresses and intervals and get entity ids and counts back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::geo {

enum class EntityType : uint8_t { kCountry = 0, kRegion = 1, kAsn = 2 };
// "country", "region", "asn" (the store's and the API's entity type names).
std::string_view EntityTypeName(EntityType type);
Result<EntityType> ParseEntityType(std::string_view name);

// Index into GeoDatabase::entities(); stable for one opened database (not across rebuilds).
using EntityId = uint32_t;
inline constexpr EntityId kNoEntity = 0xFFFFFFFFu;

struct Entity {
  EntityType type = EntityType::kCountry;
  std::string code;             // "KZ", "KZ-ALA", "9198"
  std::string name;             // iso-codes name; ASN organisation; the code itself when unknown
  EntityId parent = kNoEntity;  // a region's country; a network's main country (most of its /24s); else none
  uint64_t slash24_count = 0;   // /24s assigned to the entity (IODA's ip_count / 256)
  uint64_t slash48_count = 0;   // IPv6 /48s assigned to the entity (same majority rule, over /64s)
  std::string tz;               // most common IANA time zone of its /24s; "" when the source has none
};

// What one address (or one /24) maps to. Any id may be kNoEntity (unassigned space, no region, no ASN).
struct Location {
  EntityId country = kNoEntity;
  EntityId region = kNoEntity;
  EntityId asn = kNoEntity;
  uint16_t tz = 0;  // index into GeoDatabase::TimeZone(); 0 is "" (unknown)
  bool operator==(const Location&) const = default;
};

// Inclusive IPv4 address range (host byte order).
struct Ipv4Interval {
  uint32_t first = 0;
  uint32_t last = 0;
};

// "10.0.0.0/8" → [10.0.0.0, 10.255.255.255]; a bare address is a /32. Host bits set are an error.
Result<Ipv4Interval> ParseIpv4Prefix(std::string_view cidr);
Result<uint32_t> ParseIpv4(std::string_view dotted);
std::string FormatIpv4(uint32_t address);
inline Ipv4Interval PrefixInterval(uint32_t network, int length) {
  uint32_t span = length <= 0 ? 0xFFFFFFFFu : (length >= 32 ? 0u : (0xFFFFFFFFu >> length));
  return {network & ~span, (network & ~span) | span};
}

// Inclusive range of IPv6 /48 indices (address >> 80; a /32 is 65,536 consecutive indices).
struct Slash48Interval {
  uint64_t first = 0;
  uint64_t last = 0;
};

// IPv6 text → its 16 bytes; an error naming the text when it is not an IPv6 address.
Result<unsigned __int128> ParseIpv6(std::string_view text);
std::string FormatIpv6(unsigned __int128 address);

// Full answer for one address of either family, for people (`vigil geo lookup`) and the probe helper.
struct AddressInfo {
  std::string address;
  bool found = false;         // the geolocation source knows the address
  std::string country;        // ISO 3166-1 alpha-2, "" when unknown
  std::string region;         // ISO 3166-2, "" when unmapped
  std::string region_name;    // iso-codes name of `region`
  std::string source_state1;  // the database's own first-level subdivision name
  std::string city;
  // Which database the country, region and city came from ("geolite2", "dbip", "csv-world"): with the
  // default fused source GeoLite2 unless it names only a country and DB-IP a subdivision. "" = not located.
  std::string geo_source;
  std::string tz;
  uint32_t asn = 0;  // 0 when unknown
  std::string asn_org;
};

// A database (country, state1) pair that did not map to an ISO 3166-2 code, with its /24 count.
struct UnmappedRegion {
  std::string country;
  std::string state1;
  uint64_t slash24s = 0;
};

struct Coverage {
  uint64_t located_slash24s = 0;         // /24s with a country
  uint64_t region_slash24s = 0;          // of those, /24s with a region code
  uint64_t empty_state1_slash24s = 0;    // located /24s whose source has no state1 at all
  std::vector<UnmappedRegion> unmapped;  // sorted by slash24s, largest first (state1 "" = source has none)
  // Fused sources: located /24s whose record came from the secondary source (DB-IP) because the primary
  // (GeoLite2) named only a country, and how many of those the primary had put in another country.
  uint64_t secondary_slash24s = 0;
  uint64_t secondary_other_country_slash24s = 0;
  double RegionPercent() const {
    return located_slash24s ? 100.0 * static_cast<double>(region_slash24s) / static_cast<double>(located_slash24s)
                            : 0.0;
  }
};

// Where npm installs the ip-location-db databases, which of them a plain open uses, and where compiled tables
// are cached: the one place these defaults are written (the CLI and `vigil run` take them from here).
inline constexpr const char* kDefaultGeoDir = "node_modules/@ip-location-db";
inline constexpr const char* kDefaultGeoSource = "geolite2";
inline constexpr const char* kDefaultGeoCache = "var/geo-cache";

struct OpenOptions {
  // A CSV world (geo-ipv4.csv [+ asn-ipv4.csv]) or the ip-location-db folder holding
  // geolite2-city-mmdb/, dbip-city-mmdb/ and asn/.
  std::string geo_dir = kDefaultGeoDir;
  // Real databases only: "geolite2" (GeoLite2 fused with DB-IP where GeoLite2 names only a country; plain
  // GeoLite2 when DB-IP is not installed), "geolite2-only" or "dbip".
  std::string source = kDefaultGeoSource;
  // Where compiled tables are cached (keyed by the sources' SHA-256); "" disables the cache.
  std::string cache_dir = kDefaultGeoCache;
  std::string iso_codes_dir = "/usr/share/iso-codes/json";
  std::string iso_locale_dir = "/usr/share/locale";  // English subdivision names (iso_3166-2.mo), optional
  bool force_rebuild = false;
  // Called during a build with a fraction done (0..1) and a stage name; may be empty.
  std::function<void(double, std::string_view)> progress;
};

// Facts about how the table was obtained, for `vigil geo build` and the about page.
struct BuildInfo {
  std::string kind;                  // "csv-world", "geolite2", "geolite2-only" or "dbip"
  std::string primary_source;        // provenance names: "csv-world", "geolite2" or "dbip"
  std::string secondary_source;      // "dbip" when fused, else ""
  std::vector<std::string> sources;  // files read (their hashes key the cache)
  std::string cache_file;            // "" when uncached
  bool from_cache = false;
  double build_seconds = 0;   // time of the build (0 when loaded from cache)
  uint64_t ranges = 0;        // exact address ranges in the table
  uint64_t slash24_runs = 0;  // runs of consecutive /24s with the same Location
  uint64_t ipv6_ranges = 0;   // IPv6 ranges (at /64 precision)
  uint64_t slash48_runs = 0;  // runs of consecutive /48s with the same Location
};

class GeoDatabase {
 public:
  // Opens the geo data in options.geo_dir: loads the cached table when its source hashes match, builds
  // (and caches) it otherwise. A missing or bad file fails with a message naming it (and `make deps`).
  static Result<std::unique_ptr<GeoDatabase>> Open(const OpenOptions& options);
  ~GeoDatabase();
  GeoDatabase(const GeoDatabase&) = delete;
  GeoDatabase& operator=(const GeoDatabase&) = delete;

  // Exact per-address answer from the range table (≥ 10 M lookups/s).
  Location LookupIpv4(uint32_t address) const;
  // The Location a whole /24 is counted under (slash24 = address >> 8). A /24 split between several
  // ranges goes to the range holding most of its 256 addresses (ties: the lowest address).
  Location LocateSlash24(uint32_t slash24) const;
  // IPv6, from the IPv6 range table (kept at /64 precision: slash64 = address >> 64).
  Location LookupIpv6(uint64_t slash64) const;
  // The Location a whole /48 is counted under (slash48 = address >> 80): the one holding most of its /64s.
  Location LocateSlash48(uint64_t slash48) const;
  // Either family, text in and names out, from the fused range tables.
  Result<AddressInfo> Lookup(std::string_view address) const;
  // Provenance of an IPv4 address's geolocation: BuildInfo's primary_source or secondary_source, or "" when
  // no source locates it.
  const std::string& GeoSourceOf(uint32_t address) const;
  const std::string& GeoSourceOfIpv6(uint64_t slash64) const;

  const std::vector<Entity>& entities() const;
  const Entity& entity(EntityId id) const;
  EntityId FindEntity(EntityType type, std::string_view code) const;  // kNoEntity when absent
  const std::string& TimeZone(uint16_t tz) const;

  // /24s per entity for a set of IPv4 intervals (any order, overlapping or nested). A /24 counts when the
  // union of the intervals covers all 256 of its addresses (so more-specifics than /24 count only when
  // together they fill it), and it counts once however many intervals cover it. `counts` is resized to
  // entities().size(), zeroed and filled (country, region and asn entities alike). Returns the number of
  // covered /24s (including those of no entity). Sorts a copy of the intervals: O(n log n + runs touched).
  uint64_t CountSlash24s(std::span<const Ipv4Interval> intervals, std::vector<uint32_t>* counts) const;
  // Same rule for one interval on its own, reporting (entity, /24s) pieces as it walks the table; an
  // entity may be reported several times (sum them). For incremental counters: a prefix whose coverage
  // changed adds or subtracts its pieces. Returns the /24s the interval covers.
  uint64_t ForEachEntitySlash24s(Ipv4Interval interval, const std::function<void(EntityId, uint32_t)>& callback) const;
  // The runs of /24s the interval fully covers, each with its Location (first/last are /24 indices).
  void ForEachSlash24Run(Ipv4Interval interval,
                         const std::function<void(uint32_t first24, uint32_t last24, const Location&)>& callback) const;

  // /48s per entity for a set of /48-index intervals (any order, overlapping or nested); each /48 counts
  // once. 64-bit counts: a country can hold more than 2^32 /48s. `counts` is resized to entities().size(), zeroed and
  // filled. Returns the /48s covered (including those of no entity). Sorts a copy: O(n log n + runs touched); never
  // enumerates /48s.
  uint64_t CountSlash48s(std::span<const Slash48Interval> intervals, std::vector<uint64_t>* counts) const;
  // The runs of /48s inside the interval, each with its Location (first/last are /48 indices).
  void ForEachSlash48Run(Slash48Interval interval,
                         const std::function<void(uint64_t first48, uint64_t last48, const Location&)>& callback) const;

  const Coverage& coverage() const;
  // IPv6 coverage, counted in /48s (located_slash24s etc. hold /48 counts).
  const Coverage& coverage_ipv6() const;
  const BuildInfo& build_info() const;

  struct Tables;  // opaque: the compiled table (range_table.h)

 private:
  GeoDatabase();
  std::unique_ptr<Tables> tables_;
  friend class GeoDatabaseBuilder;
};

}  // namespace vigil::geo
