// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <vector>

#include "geo/geo.h"
#include "signals/entity_partition.h"
#include "signals/ipv6_prefix.h"

namespace vigil::signals {

// The production Slash24Counter: the geo module's interval query over its range table. Entity indexes are
// geo::EntityId.
class GeoSlash24Counter final : public Slash24Counter {
 public:
  explicit GeoSlash24Counter(const geo::GeoDatabase& geo) : geo_(geo) {}
  size_t entity_count() const override { return geo_.entities().size(); }
  void CountSlash24s(std::span<const AddressInterval> visible, std::vector<int64_t>& counts) const override;
  void EntitiesOfSlash24(uint32_t slash24, std::vector<uint32_t>& out) const override;

 private:
  const geo::GeoDatabase& geo_;
  mutable std::vector<geo::Ipv4Interval> intervals_;
  mutable std::vector<uint32_t> counts_;
};

// The IPv6 counterpart: /48s per entity from the geo module's CountSlash48s.
class GeoSlash48Counter final : public Slash48Counter {
 public:
  explicit GeoSlash48Counter(const geo::GeoDatabase& geo) : geo_(geo) {}
  size_t entity_count() const override { return geo_.entities().size(); }
  void CountSlash48s(std::span<const Slash48Range> visible, std::vector<int64_t>& counts) const override;
  void EntitiesOfSlash48(uint64_t slash48, std::vector<uint32_t>& out) const override;

 private:
  const geo::GeoDatabase& geo_;
  mutable std::vector<geo::Slash48Interval> intervals_;
  mutable std::vector<uint64_t> counts_;
};

// The geo entities as the signal stage reports them (parent as a code, names, /24 counts, time zones).
std::vector<EntityInfo> GeoEntities(const geo::GeoDatabase& geo);

}  // namespace vigil::signals
