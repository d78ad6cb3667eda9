// SPDX-License-Identifier: AGPL-3.0-or-later
// The compiled table behind GeoDatabase: entities, interned Locations, the exact address ranges (for
// lookups) and the runs of whole /24s (for counting), plus how it is built from SourceData and how it is
// saved to and loaded from the cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "geo/geo.h"
#include "geo/mmdb_source.h"
#include "geo/region_mapper.h"
#include "geo/sources.h"

namespace vigil::geo {

struct GeoDatabase::Tables {
  std::vector<Entity> entities;
  std::unordered_map<std::string, EntityId> entity_index;  // EntityIndexKey(type, code)
  std::vector<std::string> time_zones;                     // [0] = ""
  std::vector<Location> locations;                         // interned; [0] = nothing known

  // Range i covers [range_start[i], range_start[i+1] - 1]; range_start[0] == 0, so every address has one.
  std::vector<uint32_t> range_start;
  std::vector<uint32_t> range_location;
  // slash16_first[h]: the range holding address h << 16; lookups search only between two neighbours.
  std::vector<uint32_t> slash16_first;  // 65537 entries
  // Big tables only: the Location of each /24 that lies inside one range, or kSplitSlash24 when several
  // ranges cut it (then the search above answers). One memory access per lookup instead of a search.
  static constexpr uint32_t kSplitSlash24 = 0xFFFFFFFFu;
  std::vector<uint32_t> slash24_location;

  // Provenance, coarser than the ranges and kept apart so lookups stay one access: source piece i covers
  // [source_start[i], source_start[i+1] - 1] and came from source_kind[i] (a SourceKind).
  enum SourceKind : uint8_t { kNotLocated = 0, kPrimary = 1, kSecondary = 2 };
  std::vector<uint32_t> source_start;
  std::vector<uint8_t> source_kind;

  // Same layout over /24 indices (address >> 8): run i covers /24s [run_start[i], run_start[i+1] - 1].
  std::vector<uint32_t> run_start;
  std::vector<uint32_t> run_location;

  Coverage coverage;
  BuildInfo info;

  // IPv6, same layout: ranges and provenance over /64 indices (the address's upper 64 bits), runs of whole
  // /48s (over /48 indices, address >> 80) with the Location holding most of each /48's /64s.
  struct Ipv6 {
    std::vector<uint64_t> range_start;
    std::vector<uint32_t> range_location;
    std::vector<uint64_t> source_start;
    std::vector<uint8_t> source_kind;
    std::vector<uint64_t> run_start;
    std::vector<uint32_t> run_location;
    Coverage coverage;  // counted in /48s
    uint32_t RangeOf(uint64_t slash64) const;
    uint32_t RunOf(uint64_t slash48) const;
  } v6;

  // For per-address answers beyond the table: the source's own subdivision and city names (real databases).
  std::unique_ptr<RegionMapper> mapper;
  std::unique_ptr<CityMmdb> ipv4_mmdb;
  std::unique_ptr<CityMmdb> secondary_ipv4_mmdb;
  std::unique_ptr<CityMmdb> ipv6_mmdb;
  std::unique_ptr<CityMmdb> secondary_ipv6_mmdb;

  uint32_t RangeOf(uint32_t address) const;
  uint32_t RunOf(uint32_t slash24) const;
  void BuildIndexes();
};

std::string EntityIndexKey(EntityType type, std::string_view code);

// Compiles sources into tables (entities, ranges, /24 runs, coverage). `data` must be normalized.
void CompileTables(const SourceData& data, const RegionMapper& mapper, const IsoCodes& iso, GeoDatabase::Tables* tables,
                   const std::function<void(double, std::string_view)>& progress);

// Binary cache file (little-endian, versioned, keyed by `key`, which names the sources' hashes).
Status SaveTables(const GeoDatabase::Tables& tables, const std::string& key, const std::string& path);
// Fails (harmlessly) when the file is absent, of another version or key, or damaged.
Status LoadTables(const std::string& path, const std::string& key, GeoDatabase::Tables* tables);

}  // namespace vigil::geo
