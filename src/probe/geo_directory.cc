// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/geo_directory.h"

namespace vigil::probe {
namespace {

EntityKey KeyOf(const geo::Entity& entity) { return {std::string(geo::EntityTypeName(entity.type)), entity.code}; }

}  // namespace

std::vector<EntityKey> GeoEntityDirectory::EntitiesOfBlock(uint32_t base) {
  geo::Location location = geo_.LocateSlash24(base >> 8);
  std::vector<EntityKey> keys;
  for (geo::EntityId id : {location.country, location.region, location.asn}) {
    if (id != geo::kNoEntity) keys.push_back(KeyOf(geo_.entity(id)));
  }
  return keys;
}

store::Entity GeoEntityDirectory::Describe(const EntityKey& key) {
  store::Entity out;
  out.type = key.type;
  out.code = key.code;
  auto type = geo::ParseEntityType(key.type);
  if (!type.ok()) return out;
  geo::EntityId id = geo_.FindEntity(*type, key.code);
  if (id == geo::kNoEntity) return out;
  const geo::Entity& entity = geo_.entity(id);
  out.name = entity.name;
  out.slash24_count = static_cast<int64_t>(entity.slash24_count);
  out.tz = entity.tz;
  return out;
}

std::optional<EntityKey> GeoEntityDirectory::ParentOf(const EntityKey& key) {
  auto type = geo::ParseEntityType(key.type);
  if (!type.ok()) return std::nullopt;
  geo::EntityId id = geo_.FindEntity(*type, key.code);
  if (id == geo::kNoEntity || geo_.entity(id).parent == geo::kNoEntity) return std::nullopt;
  return KeyOf(geo_.entity(geo_.entity(id).parent));
}

}  // namespace vigil::probe
