// SPDX-License-Identifier: AGPL-3.0-or-later
// Imports annotations files (the simulator's annotations.json, or one an operator writes by hand).
#include <fstream>
#include <sstream>

#include "api/internal.h"
#include "base/time_format.h"

namespace vigil::api {

Result<int> ImportAnnotations(store::Store& store, const std::string& path, store::ProvenanceKind entity_provenance) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  Json items = Json::parse(buffer.str(), nullptr, false);
  if (items.is_discarded() || !items.is_array())
    return Status::InvalidArgument(path + ": expected a JSON array of annotations");
  int added = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    std::string where = path + " item " + std::to_string(i);
    if (!item.is_object() || !item.contains("entity") || !item.contains("start") || !item["entity"].is_string()) {
      return Status::InvalidArgument(where + ": needs entity (type/code) and start");
    }
    std::string ref = item["entity"].get<std::string>();
    auto slash = ref.find('/');
    if (slash == std::string::npos)
      return Status::InvalidArgument(where + ": entity must be type/code, got '" + ref + "'");
    auto entity = store.FindEntity(ref.substr(0, slash), ref.substr(slash + 1));
    if (!entity.ok()) return entity.status();
    int64_t entity_id = 0;
    if (entity->has_value()) {
      entity_id = (*entity)->id;
    } else {
      // The entity may have no data yet (e.g. a region that ingest has not seen): create it by code.
      store::Entity e;
      e.type = ref.substr(0, slash);
      e.code = ref.substr(slash + 1);
      e.provenance = entity_provenance;
      auto id = store.UpsertEntity(e);
      if (!id.ok()) return id.status();
      entity_id = *id;
    }
    auto time_of = [&](const char* key) -> Result<int64_t> {
      if (!item.contains(key) || item[key].is_null()) return int64_t{0};
      if (item[key].is_number_integer()) return item[key].get<int64_t>();
      if (item[key].is_string()) return ParseTime(item[key].get<std::string>());
      return Status::InvalidArgument(where + ": " + key + " must be a time");
    };
    auto start = time_of("start");
    auto end = time_of("end");
    if (!start.ok()) return start.status().WithContext(where);
    if (!end.ok()) return end.status().WithContext(where);
    store::Annotation a;
    a.entity_id = entity_id;
    a.start_t = *start;
    a.end_t = *end;
    a.kind = item.value("kind", "note");
    a.text = item.value("text", "");
    a.source_url = item.value("source_url", "");
    // Idempotent: the same entity, kind and start is the same annotation.
    store::TimeFilter filter;
    filter.from = a.start_t;
    filter.until = a.start_t + 1;
    filter.entity_ids = {entity_id};
    auto existing = store.ListAnnotations(filter);
    if (!existing.ok()) return existing.status();
    bool present = false;
    for (const auto& x : *existing) present |= x.kind == a.kind && x.start_t == a.start_t;
    if (present) continue;
    auto id = store.AddAnnotation(a);
    if (!id.ok()) return id.status();
    ++added;
  }
  return added;
}

}  // namespace vigil::api
