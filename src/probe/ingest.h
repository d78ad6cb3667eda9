// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "probe/round_log.h"
#include "store/store.h"

namespace vigil::probe {

// An entity by its natural key, e.g. {"region", "KZ-ALA"}.
struct EntityKey {
  std::string type;
  std::string code;
  auto operator<=>(const EntityKey&) const = default;
};

// Where /24 blocks belong and what the entities are. The CLI implements it over the geo module; tests
// implement it over their own tables. Kept abstract so probing code never learns how geolocation works.
class EntityDirectory {
 public:
  virtual ~EntityDirectory() = default;
  // Every entity the block counts towards (its country, region and origin AS); empty when unmapped.
  virtual std::vector<EntityKey> EntitiesOfBlock(uint32_t base) = 0;
  // Name, slash24_count and tz for the store row; parent (for a region, its country) when there is one.
  virtual store::Entity Describe(const EntityKey& key) = 0;
  virtual std::optional<EntityKey> ParentOf(const EntityKey& key) = 0;
};

// One round's figures for one entity (CONTRACTS.md): ping-slash24 = blocks up; rtt-p50 = median of every
// reply RTT over the entity's blocks (none without replies); loss = 1 - replies/sent over its up blocks
// (none when they got no probes).
struct EntityRound {
  int64_t up = 0;
  int64_t blocks = 0;
  std::optional<double> rtt_p50_ms;
  std::optional<double> loss;
};

std::map<EntityKey, EntityRound> SummariseRound(const RoundLog& log, EntityDirectory& directory);

// Median of the values (mean of the two middle ones for an even count); nullopt when empty.
std::optional<double> Median(std::vector<double> values);

struct IngestReport {
  bool skipped = false;  // already ingested (same sha256)
  UnixSeconds start = 0;
  size_t blocks = 0;
  size_t entities = 0;
  size_t points = 0;
};

// Registers the datasources ping-slash24, rtt-p50 and loss (600 s native step).
Status RegisterProbeDatasources(store::Store& store);

// One round log into the store: idempotent by the file's sha256, atomic (series and the inputs row in one
// Store::CommitIngest). Entities are upserted (parents first) before the commit. The input, its points and its
// entities take `provenance` (observed for the prober's own logs; simulated for the simulator's).
Result<IngestReport> IngestRoundLogFile(const std::string& path, store::Store& store, EntityDirectory& directory,
                                        const store::Provenance& provenance);
// The same up to the commit: reads the log, upserts its entities and fills `commit` (report.skipped when the
// store has the file already, and then `commit` is not filled). For callers that commit several rounds in one
// Store::TryCommitIngestGroup (a ClickHouse store, where each commit is several round trips).
Result<IngestReport> PrepareRoundLogCommit(const std::string& path, store::Store& store, EntityDirectory& directory,
                                           const store::Provenance& provenance, store::IngestCommit& commit);

// Expands files and directories (the probe-round.*.tsv[.gz] files inside, sorted) into the file list.
Result<std::vector<std::string>> RoundLogFiles(const std::vector<std::string>& paths);

}  // namespace vigil::probe
