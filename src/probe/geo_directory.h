// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "geo/geo.h"
#include "probe/ingest.h"

namespace vigil::probe {

// EntityDirectory over the geo module: a /24 counts towards the country, region and ASN that
// GeoDatabase::LocateSlash24 gives it (the same rule the BGP signal uses, so the signals agree).
class GeoEntityDirectory : public EntityDirectory {
 public:
  explicit GeoEntityDirectory(const geo::GeoDatabase& geo) : geo_(geo) {}
  std::vector<EntityKey> EntitiesOfBlock(uint32_t base) override;
  store::Entity Describe(const EntityKey& key) override;
  std::optional<EntityKey> ParentOf(const EntityKey& key) override;

 private:
  const geo::GeoDatabase& geo_;
};

}  // namespace vigil::probe
