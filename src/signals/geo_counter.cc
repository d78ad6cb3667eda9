// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/geo_counter.h"

namespace vigil::signals {

void GeoSlash24Counter::CountSlash24s(std::span<const AddressInterval> visible, std::vector<int64_t>& counts) const {
  intervals_.clear();
  intervals_.reserve(visible.size());
  for (const AddressInterval& v : visible) intervals_.push_back(geo::Ipv4Interval{v.first, v.last});
  geo_.CountSlash24s(intervals_, &counts_);
  for (size_t e = 0; e < counts_.size() && e < counts.size(); ++e) counts[e] += counts_[e];
}

void GeoSlash24Counter::EntitiesOfSlash24(uint32_t slash24, std::vector<uint32_t>& out) const {
  out.clear();
  geo::Location at = geo_.LocateSlash24(slash24);
  for (geo::EntityId id : {at.country, at.region, at.asn}) {
    if (id != geo::kNoEntity) out.push_back(id);
  }
}

void GeoSlash48Counter::CountSlash48s(std::span<const Slash48Range> visible, std::vector<int64_t>& counts) const {
  intervals_.clear();
  intervals_.reserve(visible.size());
  for (const Slash48Range& v : visible) intervals_.push_back(geo::Slash48Interval{v.first, v.last});
  geo_.CountSlash48s(intervals_, &counts_);
  for (size_t e = 0; e < counts_.size() && e < counts.size(); ++e) counts[e] += int64_t(counts_[e]);
}

void GeoSlash48Counter::EntitiesOfSlash48(uint64_t slash48, std::vector<uint32_t>& out) const {
  out.clear();
  geo::Location at = geo_.LocateSlash48(slash48);
  for (geo::EntityId id : {at.country, at.region, at.asn}) {
    if (id != geo::kNoEntity) out.push_back(id);
  }
}

std::vector<EntityInfo> GeoEntities(const geo::GeoDatabase& geo) {
  std::vector<EntityInfo> out;
  out.reserve(geo.entities().size());
  for (const geo::Entity& e : geo.entities()) {
    EntityInfo info;
    info.type = std::string(geo::EntityTypeName(e.type));
    info.code = e.code;
    info.name = e.name;
    if (e.parent != geo::kNoEntity) info.parent_code = geo.entity(e.parent).code;
    info.slash24_count = int64_t(e.slash24_count);
    info.slash48_count = int64_t(e.slash48_count);
    info.tz = e.tz;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace vigil::signals
