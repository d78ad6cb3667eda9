// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/rules.h"

#include <cmath>

namespace vigil::store::rules {
namespace {

// Upper bound on buckets of one aggregated read: protects the caller from a step of 1 s over years.
constexpr int64_t kMaxBuckets = 10'000'000;

}  // namespace

Status CheckEntityKey(const Entity& entity) {
  if (!entity.type.empty() && !entity.code.empty()) return Status::Ok();
  return Status::InvalidArgument("store: entity needs a type and a code (got '" + entity.type + "/" + entity.code +
                                 "')");
}

Entity MergeEntity(const Entity& stored, const Entity& given) {
  Entity merged = given;
  merged.id = stored.id;
  if (merged.name.empty()) merged.name = stored.name;
  if (merged.parent_id == 0) merged.parent_id = stored.parent_id;
  if (merged.slash24_count == 0) merged.slash24_count = stored.slash24_count;
  if (merged.tz.empty()) merged.tz = stored.tz;
  return merged;
}

EntityWrites PlanEntityUpsert(const std::optional<Entity>& stored, const std::optional<Entity>& stored_simulated,
                              const Entity& given) {
  EntityWrites writes;
  if (given.provenance == ProvenanceKind::kSimulated) {
    Entity simulated = stored_simulated ? MergeEntity(*stored_simulated, given) : given;
    if (stored) simulated.id = stored->id;
    simulated.provenance = ProvenanceKind::kSimulated;
    writes.simulated = simulated;
    if (!stored) {
      writes.entity = simulated;
    } else if (stored->provenance == ProvenanceKind::kSimulated) {
      writes.entity = MergeEntity(*stored, given);
    } else if (stored->name.empty() && stored->slash24_count == 0 && stored->tz.empty()) {
      writes.entity = MergeEntity(*stored, given);  // a row known by its code only claims nothing to protect
      writes.entity->provenance = ProvenanceKind::kSimulated;
    }
    return writes;
  }
  if (!stored) {
    writes.entity = given;
  } else if (stored->provenance == ProvenanceKind::kSimulated) {
    Entity replaced = given;
    replaced.id = stored->id;
    if (replaced.parent_id == 0) replaced.parent_id = stored->parent_id;  // structure, not a claim of the simulation
    writes.entity = replaced;
  } else {
    writes.entity = MergeEntity(*stored, given);
  }
  return writes;
}

Status CheckDatasource(const Datasource& datasource) {
  if (datasource.name.empty()) return Status::InvalidArgument("store: datasource needs a name");
  if (datasource.step_s <= 0) {
    return Status::InvalidArgument("store: datasource " + datasource.name + ": step must be > 0 (got " +
                                   std::to_string(datasource.step_s) + ")");
  }
  return Status::Ok();
}

Status CheckPoint(const std::string& datasource, const SeriesPoint& point) {
  if (std::isfinite(point.value)) return Status::Ok();
  return Status::InvalidArgument("store: series " + datasource + " entity " + std::to_string(point.entity_id) + " t " +
                                 std::to_string(point.t) + ": value is not a finite number");
}

Status CheckAnnotation(const Annotation& annotation) {
  if (annotation.kind.empty()) return Status::InvalidArgument("store: annotation needs a kind");
  return Status::Ok();
}

Result<int64_t> AggregateBuckets(UnixSeconds from, UnixSeconds until, int64_t step_s) {
  if (step_s <= 0) return Status::InvalidArgument("store: step must be > 0 (got " + std::to_string(step_s) + ")");
  if (until <= from) {
    return Status::InvalidArgument("store: empty time range [" + std::to_string(from) + ", " + std::to_string(until) +
                                   ")");
  }
  int64_t buckets = (until - from + step_s - 1) / step_s;
  if (buckets > kMaxBuckets) {
    return Status::InvalidArgument("store: " + std::to_string(buckets) + " buckets requested (at most " +
                                   std::to_string(kMaxBuckets) + "): use a larger step");
  }
  return buckets;
}

AggregatedSeries EmptyAggregate(const std::string& datasource, int64_t entity_id, UnixSeconds from, UnixSeconds until,
                                int64_t step_s, int64_t native_step_s, int64_t buckets) {
  AggregatedSeries out{datasource, entity_id, from, until, step_s, native_step_s, {}, {}};
  out.values.assign(static_cast<size_t>(buckets), std::nullopt);
  out.provenance.assign(static_cast<size_t>(buckets), 0);
  return out;
}

Result<std::set<int64_t>> KeptScheduleIds(const std::vector<Schedule>& schedules) {
  std::set<int64_t> kept;
  for (const Schedule& s : schedules) {
    if (s.id > 0 && !kept.insert(s.id).second) {
      return Status::InvalidArgument("store: schedule id " + std::to_string(s.id) + " given twice");
    }
  }
  return kept;
}

Status ResolveScheduleIds(std::vector<Event>& events, const std::vector<Schedule>& schedules,
                          const std::set<int64_t>& kept) {
  for (Event& e : events) {
    if (e.schedule_id < 0) {
      size_t index = static_cast<size_t>(-(e.schedule_id + 1));
      if (index >= schedules.size()) {
        return Status::InvalidArgument("store: event of entity " + std::to_string(e.entity_id) +
                                       " refers to schedule index " + std::to_string(index) + " of " +
                                       std::to_string(schedules.size()));
      }
      e.schedule_id = schedules[index].id;
    } else if (e.schedule_id > 0 && !kept.count(e.schedule_id)) {
      return Status::InvalidArgument("store: event of entity " + std::to_string(e.entity_id) + " refers to schedule " +
                                     std::to_string(e.schedule_id) + ", which this call does not keep");
    }
  }
  return Status::Ok();
}

}  // namespace vigil::store::rules
