// SPDX-License-Identifier: AGPL-3.0-or-later
#include "geo/range_table.h"

#include <algorithm>
#include <map>

namespace vigil::geo {
namespace {

struct LocationHash {
  size_t operator()(const Location& l) const {
    uint64_t h = (static_cast<uint64_t>(l.country) * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(l.region) << 1);
    h = (h ^ (static_cast<uint64_t>(l.asn) * 0xC2B2AE3D27D4EB4Full)) ^ (static_cast<uint64_t>(l.tz) << 40);
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

constexpr uint32_t kNoRecord = 0xFFFFFFFFu;

// A piece of address space during compilation: its Location and the geolocation record it came from
// (kept so coverage can name the source's region name for unmapped /24s).
template <typename Unit>
struct Piece {
  Unit start;
  uint32_t location;
  uint32_t record;
  bool other_country;  // the secondary record was taken and its country differs from the primary's
};

class Compiler {
 public:
  Compiler(const SourceData& data, const RegionMapper& mapper, const IsoCodes& iso, GeoDatabase::Tables* t)
      : data_(data), mapper_(mapper), iso_(iso), t_(t) {}

  void Run(const std::function<void(double, std::string_view)>& progress) {
    auto report = [&](double fraction, std::string_view stage) {
      if (progress) progress(fraction, stage);
    };
    t_->time_zones = {""};
    t_->locations = {Location{}};
    location_index_.emplace(Location{}, 0);
    report(0.0, "mapping regions");
    MapRecords();
    report(0.2, "merging geolocation and ASN ranges");
    MergeSegments<uint32_t>(data_.geo, data_.asns, data_.secondary_geo, pieces_, t_->range_start, t_->range_location,
                            t_->source_start, t_->source_kind);
    MergeSegments<uint64_t>(data_.geo6, data_.asns6, data_.secondary_geo6, pieces6_, t_->v6.range_start,
                            t_->v6.range_location, t_->v6.source_start, t_->v6.source_kind);
    report(0.6, "assigning /24s and /48s");
    UnitSink<std::vector<uint32_t>> slash24s{&t_->run_start,         &t_->run_location, &coverage_,
                                             &Entity::slash24_count, &tz_counts_,       &unmapped_,
                                             &asn_country_counts_};
    UnitSink<std::vector<uint64_t>> slash48s{&t_->v6.run_start,      &t_->v6.run_location, &coverage6_,
                                             &Entity::slash48_count, &tz_counts6_,         &unmapped6_,
                                             &asn_country_counts6_};
    AssignUnits<uint32_t, 8>(pieces_, [&](uint64_t first24, uint64_t count, const Piece<uint32_t>& piece) {
      EmitUnits(first24, count, piece, slash24s);
    });
    AssignUnits<uint64_t, 16>(pieces6_, [&](uint64_t first48, uint64_t count, const Piece<uint64_t>& piece) {
      EmitUnits(first48, count, piece, slash48s);
    });
    report(0.9, "counting entities");
    FinishEntities();
    FinishCoverage();
    t_->BuildIndexes();
    report(1.0, "done");
  }

 private:
  EntityId EntityFor(EntityType type, const std::string& code, const std::string& name, EntityId parent) {
    auto [it, inserted] =
        t_->entity_index.emplace(EntityIndexKey(type, code), static_cast<EntityId>(t_->entities.size()));
    if (inserted) {
      Entity entity;
      entity.type = type;
      entity.code = code;
      entity.name = name.empty() ? code : name;
      entity.parent = parent;
      t_->entities.push_back(std::move(entity));
    }
    return it->second;
  }

  EntityId CountryFor(const std::string& code) {
    auto name = iso_.country_names.find(code);
    return EntityFor(EntityType::kCountry, code, name == iso_.country_names.end() ? code : name->second, kNoEntity);
  }

  uint16_t TimeZoneFor(const std::string& tz) {
    auto [it, inserted] = tz_index_.emplace(tz, static_cast<uint16_t>(t_->time_zones.size()));
    if (inserted) {
      if (tz.empty()) {
        it->second = 0;
      } else {
        t_->time_zones.push_back(tz);
      }
    }
    return it->second;
  }

  uint32_t Intern(const Location& location) {
    auto [it, inserted] = location_index_.emplace(location, static_cast<uint32_t>(t_->locations.size()));
    if (inserted) t_->locations.push_back(location);
    return it->second;
  }

  void MapRecords() {
    tz_index_.emplace("", 0);
    const auto& records = data_.records;
    first_secondary_ = std::min<uint64_t>(data_.first_secondary_record, records.size());
    record_location_.resize(records.size());
    for (size_t i = 0; i < records.size(); ++i) record_location_[i] = LocationOfRecord(records[i]);
    if (data_.secondary_geo.empty()) return;
    // DB-IP has no time zones. A secondary record takes the zone its region has in the primary source's own
    // records (weighted by addresses), else the zone most of its country has there, else none.
    std::unordered_map<uint64_t, uint64_t> votes;  // entity << 16 | tz → addresses
    for (const GeoSegment& segment : data_.geo) {
      const Location& l = record_location_[segment.record];
      if (l.tz == 0) continue;
      uint64_t addresses = static_cast<uint64_t>(segment.last - segment.first) + 1;
      if (l.region != kNoEntity) votes[(static_cast<uint64_t>(l.region) << 16) | l.tz] += addresses;
      if (l.country != kNoEntity) votes[(static_cast<uint64_t>(l.country) << 16) | l.tz] += addresses;
    }
    std::unordered_map<EntityId, std::pair<uint64_t, uint16_t>> best;
    for (const auto& [key, addresses] : votes) {
      auto& b = best[static_cast<EntityId>(key >> 16)];
      uint16_t tz = static_cast<uint16_t>(key & 0xFFFF);
      if (addresses > b.first || (addresses == b.first && t_->time_zones[tz] < t_->time_zones[b.second]))
        b = {addresses, tz};
    }
    for (size_t i = first_secondary_; i < records.size(); ++i) {
      Location& l = record_location_[i];
      if (l.tz != 0) continue;
      for (EntityId id : {l.region, l.country}) {
        auto zone = id == kNoEntity ? best.end() : best.find(id);
        if (zone != best.end()) {
          l.tz = zone->second.second;
          break;
        }
      }
    }
  }

  Location LocationOfRecord(const GeoRecord& record) {
    Location location;
    if (!record.country.empty()) {
      location.country = CountryFor(record.country);
      std::string key = record.country + "|" + record.state1;
      auto it = mapped_.find(key);
      if (it == mapped_.end()) it = mapped_.emplace(key, mapper_.Map(record.country, record.state1)).first;
      if (!it->second.empty()) {
        const std::string* name = mapper_.NameOf(it->second);
        std::string region_name = name ? *name : (record.state1 == it->second ? it->second : record.state1);
        location.region = EntityFor(EntityType::kRegion, it->second, region_name, location.country);
      }
    }
    location.tz = TimeZoneFor(record.tz);
    return location;
  }

  // The fusion policy (docs/geo.md). The primary source is authoritative wherever it names a subdivision
  // or nothing at all. Where it names only a country and the secondary source names a country and a
  // subdivision, the secondary's whole record is taken — its country with its subdivision, never one
  // source's country with the other's subdivision. Decided on what the sources say, not on whether our
  // name mapping succeeds, so a subdivision name we cannot map shows up in `vigil geo coverage`.
  uint32_t EffectiveRecord(uint32_t primary, uint32_t secondary, bool* other_country) const {
    *other_country = false;
    const GeoRecord& p = data_.records[primary];
    if (secondary == kNoRecord || p.country.empty() || !p.state1.empty()) return primary;
    const GeoRecord& s = data_.records[secondary];
    if (s.country.empty() || s.state1.empty()) return primary;
    *other_country = s.country != p.country;
    return secondary;
  }

  EntityId AsnFor(uint32_t asn) {
    auto it = asn_entity_.find(asn);
    if (it != asn_entity_.end()) return it->second;
    auto org = data_.asn_org.find(asn);
    std::string code = std::to_string(asn);
    EntityId id = EntityFor(EntityType::kAsn, code, org == data_.asn_org.end() ? code : org->second, kNoEntity);
    asn_entity_.emplace(asn, id);
    return id;
  }

  // Sweeps the sorted segment lists at once, cutting address space wherever any changes. Unit is the
  // address unit (IPv4 address, IPv6 /64 index); positions run to 2^bits, one past the last unit.
  template <typename Unit, typename GeoList, typename AsnList, typename RunList>
  void MergeSegments(const GeoList& geo, const AsnList& asns, const GeoList& fill, std::vector<Piece<Unit>>& pieces,
                     RunList& range_start, std::vector<uint32_t>& range_location, RunList& source_start,
                     std::vector<uint8_t>& source_kind) {
    using Wide = unsigned __int128;
    size_t g = 0, a = 0, f = 0;
    Wide pos = 0;
    const Wide kEnd = Wide{1} << (8 * sizeof(Unit));
    auto after = [](Unit last) { return static_cast<Wide>(last) + 1; };
    while (pos < kEnd) {
      while (g < geo.size() && geo[g].last < pos) ++g;
      while (a < asns.size() && asns[a].last < pos) ++a;
      while (f < fill.size() && fill[f].last < pos) ++f;
      bool in_geo = g < geo.size() && geo[g].first <= pos;
      bool in_asn = a < asns.size() && asns[a].first <= pos;
      Wide geo_next = in_geo ? after(geo[g].last) : (g < geo.size() ? Wide{geo[g].first} : kEnd);
      Wide asn_next = in_asn ? after(asns[a].last) : (a < asns.size() ? Wide{asns[a].first} : kEnd);
      Wide next = std::min(geo_next, asn_next);
      bool in_fill = in_geo && f < fill.size() && fill[f].first <= pos;
      if (in_geo && f < fill.size()) next = std::min(next, in_fill ? after(fill[f].last) : Wide{fill[f].first});
      Location location;
      uint32_t record = kNoRecord;
      bool other_country = false;
      if (in_geo) {
        record = EffectiveRecord(geo[g].record, in_fill ? fill[f].record : kNoRecord, &other_country);
        location = record_location_[record];
      }
      if (in_asn) location.asn = AsnFor(asns[a].asn);
      uint32_t index = Intern(location);
      if (pieces.empty() || pieces.back().location != index || pieces.back().record != record ||
          pieces.back().other_country != other_country) {
        pieces.push_back({static_cast<Unit>(pos), index, record, other_country});
      }
      pos = next;
    }
    for (const Piece<Unit>& piece : pieces) {
      uint8_t kind = GeoDatabase::Tables::kNotLocated;
      if (piece.record != kNoRecord && !data_.records[piece.record].country.empty()) {
        kind = piece.record >= first_secondary_ ? GeoDatabase::Tables::kSecondary : GeoDatabase::Tables::kPrimary;
      }
      if (source_kind.empty() || source_kind.back() != kind) {
        source_start.push_back(piece.start);
        source_kind.push_back(kind);
      }
      if (!range_location.empty() && range_location.back() == piece.location) continue;
      range_start.push_back(piece.start);
      range_location.push_back(piece.location);
    }
  }

  // Where the counting units (/24s or /48s) of one family go.
  template <typename RunList>
  struct UnitSink {
    RunList* run_start;
    std::vector<uint32_t>* run_location;
    Coverage* coverage;
    uint64_t Entity::*entity_count;
    std::unordered_map<uint64_t, uint64_t>* tz_counts;
    std::map<std::pair<std::string, std::string>, uint64_t>* unmapped;
    std::unordered_map<uint64_t, uint64_t>* asn_country_counts;  // asn << 32 | country → units
  };

  // Records `count` counting units from `first` on as belonging to the piece.
  template <typename Unit, typename RunList>
  void EmitUnits(uint64_t first, uint64_t count, const Piece<Unit>& piece, UnitSink<RunList>& sink) {
    if (sink.run_location->empty() || sink.run_location->back() != piece.location) {
      sink.run_start->push_back(static_cast<typename RunList::value_type>(first));
      sink.run_location->push_back(piece.location);
    }
    Coverage& coverage = *sink.coverage;
    const Location& location = t_->locations[piece.location];
    if (location.country != kNoEntity) {
      coverage.located_slash24s += count;
      if (piece.record >= first_secondary_) coverage.secondary_slash24s += count;
      if (piece.other_country) coverage.secondary_other_country_slash24s += count;
      const GeoRecord& record = data_.records[piece.record];
      if (location.region != kNoEntity) {
        coverage.region_slash24s += count;
      } else {
        if (record.state1.empty()) coverage.empty_state1_slash24s += count;
        (*sink.unmapped)[{record.country, record.state1}] += count;
      }
    }
    if (location.asn != kNoEntity && location.country != kNoEntity) {
      (*sink.asn_country_counts)[(static_cast<uint64_t>(location.asn) << 32) | location.country] += count;
    }
    for (EntityId id : {location.country, location.region, location.asn}) {
      if (id == kNoEntity) continue;
      t_->entities[id].*sink.entity_count += count;
      if (location.tz != 0) (*sink.tz_counts)[(static_cast<uint64_t>(id) << 16) | location.tz] += count;
    }
  }

  // Each counting unit (a /24 of addresses, a /48 of /64s: 2^kShift units of the pieces) goes to the piece
  // holding most of it (the first such piece on ties), so it has exactly one Location for counting even
  // where the sources cut it finer. emit(first, count, piece) receives runs of whole units.
  template <typename Unit, int kShift, typename Emit>
  void AssignUnits(const std::vector<Piece<Unit>>& pieces, Emit&& emit) {
    using Wide = unsigned __int128;
    constexpr uint64_t kMask = (uint64_t{1} << kShift) - 1;
    const Wide kEnd = Wide{1} << (8 * sizeof(Unit));
    int64_t current = -1;  // unit being decided
    uint32_t best_piece = 0;
    uint64_t best_count = 0;
    auto flush = [&] {
      if (current >= 0) emit(static_cast<uint64_t>(current), 1, pieces[best_piece]);
      current = -1;
    };
    auto vote = [&](uint64_t unit, uint32_t piece, uint64_t parts) {
      if (current != static_cast<int64_t>(unit)) {
        flush();
        current = static_cast<int64_t>(unit);
        best_count = 0;
      }
      if (parts > best_count) {
        best_count = parts;
        best_piece = piece;
      }
    };
    for (size_t i = 0; i < pieces.size(); ++i) {
      uint64_t first = pieces[i].start;
      uint64_t last = static_cast<uint64_t>((i + 1 < pieces.size() ? Wide{pieces[i + 1].start} : kEnd) - 1);
      uint64_t first_unit = first >> kShift, last_unit = last >> kShift;
      uint32_t piece = static_cast<uint32_t>(i);
      if (first_unit == last_unit) {
        vote(first_unit, piece, last - first + 1);
        continue;
      }
      vote(first_unit, piece, (kMask + 1) - (first & kMask));
      flush();
      if (last_unit > first_unit + 1) emit(first_unit + 1, last_unit - first_unit - 1, pieces[i]);
      vote(last_unit, piece, (last & kMask) + 1);
    }
    flush();
  }

  // An entity's zone is the most common over its /24s; an entity with no /24 zone takes its /48s'.
  void FinishEntities() {
    std::vector<uint64_t> best(t_->entities.size(), 0);
    auto choose = [&](const std::unordered_map<uint64_t, uint64_t>& tz_counts, bool only_without_zone) {
      for (const auto& [key, count] : tz_counts) {
        EntityId id = static_cast<EntityId>(key >> 16);
        uint16_t tz = static_cast<uint16_t>(key & 0xFFFF);
        if (only_without_zone && t_->entities[id].slash24_count > 0) continue;
        // Ties go to the alphabetically first zone so rebuilds agree.
        if (count > best[id] || (count == best[id] && t_->time_zones[tz] < t_->entities[id].tz)) {
          best[id] = count;
          t_->entities[id].tz = t_->time_zones[tz];
        }
      }
    };
    choose(tz_counts_, false);
    choose(tz_counts6_, true);
    ChooseAsnCountries();
  }

  // A network's country is the one holding most of its /24s (its /48s when it has no IPv4 space; ties go to the
  // alphabetically first code so rebuilds agree): what relates a country to its networks (the API's relatedTo, the
  // country page). A network spread over several countries is still shown under one.
  void ChooseAsnCountries() {
    std::vector<uint64_t> best(t_->entities.size(), 0);
    auto choose = [&](const std::unordered_map<uint64_t, uint64_t>& counts, bool only_without_ipv4) {
      for (const auto& [key, count] : counts) {
        EntityId asn = static_cast<EntityId>(key >> 32), country = static_cast<EntityId>(key & 0xFFFFFFFFu);
        Entity& entity = t_->entities[asn];
        if (only_without_ipv4 && entity.slash24_count > 0) continue;
        if (count > best[asn] || (count == best[asn] && entity.parent != kNoEntity &&
                                  t_->entities[country].code < t_->entities[entity.parent].code)) {
          best[asn] = count;
          entity.parent = country;
        }
      }
    };
    choose(asn_country_counts_, false);
    choose(asn_country_counts6_, true);
  }

  static void FinishCoverage(const std::map<std::pair<std::string, std::string>, uint64_t>& unmapped,
                             Coverage& coverage, Coverage* out) {
    for (const auto& [pair, count] : unmapped) coverage.unmapped.push_back({pair.first, pair.second, count});
    std::stable_sort(coverage.unmapped.begin(), coverage.unmapped.end(),
                     [](const UnmappedRegion& a, const UnmappedRegion& b) { return a.slash24s > b.slash24s; });
    *out = std::move(coverage);
  }
  void FinishCoverage() {
    FinishCoverage(unmapped_, coverage_, &t_->coverage);
    FinishCoverage(unmapped6_, coverage6_, &t_->v6.coverage);
  }

  const SourceData& data_;
  const RegionMapper& mapper_;
  const IsoCodes& iso_;
  GeoDatabase::Tables* t_;
  uint64_t first_secondary_ = 0;                         // records from here on belong to the secondary source
  std::vector<Location> record_location_;                // per record of data_.records
  std::unordered_map<std::string, std::string> mapped_;  // "CC|state1" → code
  std::unordered_map<std::string, uint16_t> tz_index_;
  std::unordered_map<Location, uint32_t, LocationHash> location_index_;
  std::unordered_map<uint32_t, EntityId> asn_entity_;
  std::vector<Piece<uint32_t>> pieces_;
  std::vector<Piece<uint64_t>> pieces6_;
  std::unordered_map<uint64_t, uint64_t> tz_counts_, tz_counts6_;
  std::unordered_map<uint64_t, uint64_t> asn_country_counts_, asn_country_counts6_;
  std::map<std::pair<std::string, std::string>, uint64_t> unmapped_, unmapped6_;
  Coverage coverage_, coverage6_;
};

}  // namespace

std::string EntityIndexKey(EntityType type, std::string_view code) {
  std::string key(1, static_cast<char>('0' + static_cast<int>(type)));
  key.append(code);
  return key;
}

void CompileTables(const SourceData& data, const RegionMapper& mapper, const IsoCodes& iso, GeoDatabase::Tables* tables,
                   const std::function<void(double, std::string_view)>& progress) {
  Compiler(data, mapper, iso, tables).Run(progress);
}

void GeoDatabase::Tables::BuildIndexes() {
  slash16_first.assign(65537, 0);
  size_t r = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    uint32_t address = h << 16;
    while (r + 1 < range_start.size() && range_start[r + 1] <= address) ++r;
    slash16_first[h] = static_cast<uint32_t>(r);
  }
  slash16_first[65536] = static_cast<uint32_t>(range_start.size() - 1);
  slash24_location.clear();
  if (range_start.size() > 65536) {  // CSV worlds stay small; the real tables gain ~2 cache misses a lookup
    slash24_location.assign(1u << 24, kSplitSlash24);
    for (size_t i = 0; i < range_start.size(); ++i) {
      uint64_t first = range_start[i];
      uint64_t end = i + 1 < range_start.size() ? range_start[i + 1] : (1ull << 32);  // exclusive
      uint64_t first24 = (first + 255) >> 8, end24 = end >> 8;
      for (uint64_t s = first24; s < end24; ++s) slash24_location[s] = range_location[i];
    }
  }
  entity_index.clear();
  for (size_t i = 0; i < entities.size(); ++i) {
    entity_index.emplace(EntityIndexKey(entities[i].type, entities[i].code), static_cast<EntityId>(i));
  }
  info.ranges = range_start.size();
  info.slash24_runs = run_start.size();
  info.ipv6_ranges = v6.range_start.size();
  info.slash48_runs = v6.run_start.size();
}

uint32_t GeoDatabase::Tables::Ipv6::RangeOf(uint64_t slash64) const {
  auto it = std::upper_bound(range_start.begin(), range_start.end(), slash64);
  return static_cast<uint32_t>(it - range_start.begin()) - 1;
}

uint32_t GeoDatabase::Tables::Ipv6::RunOf(uint64_t slash48) const {
  auto it = std::upper_bound(run_start.begin(), run_start.end(), slash48);
  return static_cast<uint32_t>(it - run_start.begin()) - 1;
}

uint32_t GeoDatabase::Tables::RangeOf(uint32_t address) const {
  uint32_t h = address >> 16;
  const uint32_t* begin = range_start.data() + slash16_first[h] + 1;
  const uint32_t* end = range_start.data() + slash16_first[h + 1] + 1;
  // Buckets hold a few dozen ranges at most in practice: a branch-light lower search is enough.
  size_t length = static_cast<size_t>(end - begin);
  const uint32_t* base = begin;
  while (length > 0) {
    size_t half = length / 2;
    if (base[half] <= address) {
      base += half + 1;
      length -= half + 1;
    } else {
      length = half;
    }
  }
  return static_cast<uint32_t>(base - range_start.data()) - 1;
}

uint32_t GeoDatabase::Tables::RunOf(uint32_t slash24) const {
  auto it = std::upper_bound(run_start.begin(), run_start.end(), slash24);
  return static_cast<uint32_t>(it - run_start.begin()) - 1;
}

}  // namespace vigil::geo
