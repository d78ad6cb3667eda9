// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "signals/bgp_signal_builder.h"
#include "signals/entity_partition.h"
#include "signals/mrt_inputs.h"
#include "signals/routing_model.h"

namespace vigil::signals {

inline constexpr char kBgpStateKey[] = "signals.bgp.v1";
inline constexpr char kBgpV6StateKey[] = "signals.bgp-v6.v1";

// What one ingested file produced; committed atomically by the sink.
struct BgpFileCommit {
  const MrtInputFile* input = nullptr;
  std::string sha256;
  std::string kind;  // "mrt-rib" or "mrt-updates"
  const FileOutcome* outcome = nullptr;
  // Directory and peer tables after this file; nullptr when the model keeps no state.
  const std::string* state = nullptr;
  // With --from-rib, a file already in the store is read again to rebuild the tables: the sink rewrites its
  // bins only (its inputs row exists; the rebuilt state is committed with the next new file).
  bool already_ingested = false;
  // The state's key when not kBgpStateKey (each ingest worker keeps its own: WorkerStateKey).
  std::string state_key;
  // The `bgp-v6` side, when the ingest runs an IPv6 model: its bins (values per entity index, /48s) and its
  // state (key kBgpV6StateKey), committed in the same transaction.
  const FileOutcome* outcome_v6 = nullptr;
  const std::string* state_v6 = nullptr;
};

// Where ingest results go. The CLI implements it over the store (signals does not know the store).
class SignalSink {
 public:
  virtual ~SignalSink() = default;
  virtual Result<bool> HasInput(const std::string& sha256) = 0;
  virtual Result<std::optional<std::string>> LoadState(const std::string& key) = 0;
  // The file's bins (values per entity index), its input row and the state, in one transaction.
  virtual Status CommitFile(const BgpFileCommit& commit) = 0;
  // With from_rib, the tables after the run's last file (once per state key: bgp, then bgp-v6) (already-ingested files
  // carry no state, so without this the saved state would be the one of the last new file). The default drops it:
  // `vigil ingest mrt
  // --from-rib` commits the rebuilt state with the next new file instead.
  virtual Status CommitRebuiltState(const std::string& /*key*/, const std::string& /*state*/) { return Status::Ok(); }
};

struct BgpIngestOptions {
  // Forget the saved tables and rebuild from the RIBs given: per collector, files before its first RIB
  // are skipped, and files already ingested are processed again (their bins are rewritten).
  bool from_rib = false;
  // Print records/s and ETA on stderr while running (a terminal).
  bool progress = false;
  // Print one line per file on stderr.
  bool verbose = false;
};

struct BgpIngestReport {
  int64_t files = 0;
  int64_t ingested = 0;
  int64_t skipped_known = 0;  // sha256 already in the store
  int64_t skipped_stale = 0;  // older than the saved state, or before the collector's RIB with --from-rib
  int64_t failed = 0;         // could not be opened
  int64_t records = 0;        // elements decoded
  int64_t ipv4_records = 0;
  int64_t ipv6_records = 0;
  int64_t bins_v6 = 0;          // bgp-v6 bin values written
  int64_t bins = 0;             // bin values written (bins x files)
  int64_t decode_problems = 0;  // records the reader reported and skipped
  double seconds = 0;
  RoutingModel::Summary last;      // figures of the last evaluated bin
  RoutingModel6::Summary last_v6;  // the same for bgp-v6 (visible_slash24s holds /48s)
};

// Ingests MRT files in time order (see DiscoverMrtInputs), one commit per file. Files without a time in
// their name get it from their first record. Returns an error only when the state or the sink fails;
// unreadable files are reported on stderr and counted in `failed`. With `model_v6`, the same pass over the
// elements also drives the `bgp-v6` model (its own peer directory and state), committed with each file.
Result<BgpIngestReport> RunBgpIngest(std::vector<MrtInputFile> inputs, RoutingModel& model,
                                     const BgpIngestOptions& options, SignalSink& sink,
                                     RoutingModel6* model_v6 = nullptr);

// Ingest split across `workers` threads (docs/scale.md, "Workers"): the collectors (sorted by name) are dealt
// round-robin to the workers; each worker runs RunBgpIngest over its collectors' files with its own partial
// VisibilityModel and its own state (key WorkerStateKey). A merge step then replays all files in the global
// order of RunBgpIngest, adding up the workers' per-prefix full-feed carrier counts, and counts visible /24s
// from the sum: the bins are the ones a single model over all collectors computes (one /24 seen through
// collector A and not B counts once). Every file's bins, inputs row and the workers' states are handed to the
// sink in that order, for one group commit at the end (the whole run is held in memory: run it over a day of
// files at a time). Needs an absolute full-feed threshold (options.full_feed_fraction == 0).
Result<BgpIngestReport> RunBgpIngestWorkers(std::vector<MrtInputFile> inputs, const VisibilityOptions& visibility,
                                            const Slash24Counter* counter, int workers, const BgpIngestOptions& options,
                                            SignalSink& sink);

// The state key of the worker that owns `collectors` (sorted): kBgpStateKey + "/" + the names joined by ",".
std::string WorkerStateKey(const std::vector<std::string>& collectors);

// The identity of an MRT input in the store's `inputs` table: SHA-256 over the file's SHA-256, its collector
// and its time. The content alone is not enough: a collector's empty update files (a quiet or failed
// period) are byte-identical, yet each vouches for its own bins.
Result<std::string> InputKey(const MrtInputFile& input);

// Fills name_time (and kind, when unknown) of inputs whose names carry none from their first record.
void FillTimesFromContent(std::vector<MrtInputFile>& inputs);

}  // namespace vigil::signals
