// SPDX-License-Identifier: AGPL-3.0-or-later
// The rules of store.h that every backend must follow, written once: what a row must hold to be written, how
// an upsert merges with the stored entity, how ReplaceDetection resolves schedule ids, how an aggregated read is
// bounded. Internal to the store module (backends include it; nothing outside does). The contract test
// (store_contract_test.cc) checks that each backend follows them.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace vigil::store::rules {

// An entity needs a type and a code (its key).
Status CheckEntityKey(const Entity& entity);
// The upsert of `given` over `stored` (same type and code): fields given empty / 0 keep the stored value.
Entity MergeEntity(const Entity& stored, const Entity& given);
// What an upsert of `given` writes, given the stored entity and the stored simulated attributes (docs/store.md
// "Provenance"): `entity` replaces the entities row (none: unchanged), `simulated` the entity's row in the
// simulated namespace (none: unchanged). A simulated writer never changes an entity whose attributes are not
// simulated; a non-simulated writer replaces simulated attributes outright (no field of a simulation survives
// under an observed label) and merges with non-simulated ones as MergeEntity does.
struct EntityWrites {
  std::optional<Entity> entity;
  std::optional<Entity> simulated;
};
EntityWrites PlanEntityUpsert(const std::optional<Entity>& stored, const std::optional<Entity>& stored_simulated,
                              const Entity& given);
// A datasource needs a name and a positive native step.
Status CheckDatasource(const Datasource& datasource);
// A series value must be a finite number (NaN and infinities are refused; a missing bin has no point).
Status CheckPoint(const std::string& datasource, const SeriesPoint& point);
Status CheckAnnotation(const Annotation& annotation);

// The buckets of ReadAggregated over [from, until) at step_s: refuses a step <= 0, an empty range and more
// than 10 million buckets (a step of 1 s over years).
Result<int64_t> AggregateBuckets(UnixSeconds from, UnixSeconds until, int64_t step_s);
// An aggregated series with every bucket missing, for the backend to fill.
AggregatedSeries EmptyAggregate(const std::string& datasource, int64_t entity_id, UnixSeconds from, UnixSeconds until,
                                int64_t step_s, int64_t native_step_s, int64_t buckets);

// ReplaceDetection: the ids of the schedules the call keeps (given with id > 0); an id given twice is refused.
Result<std::set<int64_t>> KeptScheduleIds(const std::vector<Schedule>& schedules);
// ReplaceDetection, once every schedule of the call has its id: rewrites each event's schedule_id from the
// input convention (0 none, > 0 a kept id, < 0 the schedule at index -schedule_id - 1) to the real id; refuses
// an index out of range and an id the call does not keep.
Status ResolveScheduleIds(std::vector<Event>& events, const std::vector<Schedule>& schedules,
                          const std::set<int64_t>& kept);

}  // namespace vigil::store::rules
