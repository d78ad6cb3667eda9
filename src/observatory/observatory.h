// SPDX-License-Identifier: AGPL-3.0-or-later
// Module observatory: `vigil run`, the observatory's main job, in one process. It owns the orchestration of
// the stages and nothing the stages own: which archive files to want (each collector's most recent RIB
// before the start, then every update file as it is published), when a 5-minute bin is closed (every collector
// delivered past it, or its deadline passed), the order files go to the signals stage in (the global order of
// `vigil ingest mrt`, so that a run equals a batch over the same files), re-opening bins when a file arrives
// after they closed, incremental detection up to the closed bins, RIS Live as the low-latency source, and the
// per-collector health figures the API shows.
//
// Why here in the layering: it is the one module that uses every stage (sources -> signals -> store ->
// detect -> api), so it comes after api and only the CLI comes after it. No stage includes it; the stages it
// drives stay unaware of each other (signals still never sees the store: StoreSignalSink below is the one
// adapter between them, used by `vigil ingest mrt` too). It must not know how MRT bytes are laid out, how
// archives are listed or fetched (acquire), how visibility or alerts are computed (signals, detect), nor how
// HTTP is served (api): it calls their public headers only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "acquire/acquire.h"
#include "base/result.h"
#include "base/time_format.h"
#include "geo/geo.h"
#include "signals/bgp_ingest.h"
#include "signals/entity_partition.h"
#include "signals/ipv6_prefix.h"
#include "signals/mrt_inputs.h"
#include "signals/visibility_model.h"
#include "store/store.h"

namespace vigil::observatory {

// ---------------------------------------------------------------------------------------------------------
// The signals stage meets the store here (signals must not include it).

// Writes each file's bins, inputs row and signal state through Store::CommitIngest. With `group` > 1 (a
// ClickHouse store, where every request is a round trip and every insert a new part on disk), files are
// committed in groups through TryCommitIngestGroup, with the state of the group's last file only: a crash
// loses at most the uncommitted group, which the next run ingests again.
class StoreSignalSink : public signals::SignalSink {
 public:
  StoreSignalSink(store::Store& store, std::vector<int64_t> entity_ids, size_t group = 1);

  Result<bool> HasInput(const std::string& sha256) override;
  Result<std::optional<std::string>> LoadState(const std::string& key) override;
  Status CommitFile(const signals::BgpFileCommit& commit) override;

  // Answers HasInput from the inputs stored for [from, until) (one query instead of one per file). A file
  // another process commits meanwhile is then read again, and its group commit skips it.
  Status PreloadInputs(UnixSeconds from, UnixSeconds until);
  // With --workers every file of the run goes in one group (the workers' states belong to its last files).
  void SetUnboundedGroup();
  // What every file of the run is (observed by default; a simulator's output is simulated). Observed inputs
  // name their collector as their source.
  void SetProvenance(store::Provenance provenance) { provenance_ = std::move(provenance); }
  Status Flush();

  // The store rows of one file (bins as series points of every entity that has address space).
  store::IngestCommit MakeCommit(const signals::BgpFileCommit& commit) const;

 private:
  store::SeriesBatch Batch(const char* datasource, const signals::FileOutcome& outcome) const;

  store::Store& store_;
  store::Provenance provenance_;
  size_t max_pending_points_ = 1'000'000;
  std::map<std::string, std::string> pending_states_;
  std::vector<int64_t> entity_ids_;
  size_t group_;
  std::vector<store::IngestCommit> buffer_;
  std::set<std::string> pending_;
  size_t pending_points_ = 0;
  bool preloaded_ = false;
  std::set<std::string> known_;
};

// Upserts the geo entities (countries first, so regions and networks can name their country's id); returns the
// store id per geo entity index, 0 for entities without /24s and /48s. `kind` is the provenance of the geo world
// (a simulated world's entities never overwrite observed attributes: store.h Entity).
Result<std::vector<int64_t>> UpsertGeoEntities(store::Store& store, const std::vector<signals::EntityInfo>& infos,
                                               store::ProvenanceKind kind);

// The bgp and bgp-v6 datasources as `vigil ingest mrt` and `vigil run` register them.
store::Datasource BgpDatasource();
store::Datasource BgpV6Datasource();

// ---------------------------------------------------------------------------------------------------------
// Archive files, as the run loop sees them (the acquire module, or any other FileSource, provides them).

struct SourceFile {
  std::string collector;
  signals::MrtFileKind kind = signals::MrtFileKind::kUpdates;
  UnixSeconds start = 0;   // the start of the file's interval (a RIB: its dump time)
  int64_t period_s = 300;  // interval length (updates) or 0 (RIBs)
  std::string name;        // path relative to the cache root: the input's name in the store
};
// The order `vigil ingest mrt` ingests files in (signals::SortMrtInputs): time, RIBs first, collector, name.
bool IngestOrderLess(const SourceFile& a, const SourceFile& b);

enum class FetchState { kReady, kGap, kFailed };
struct FetchedFile {
  SourceFile file;
  FetchState state = FetchState::kFailed;
  std::string local_path;  // kReady: the verified file
  std::string reason;      // kGap / kFailed: one line naming the cause
  int64_t bytes = 0;
};

class FileSource {
 public:
  virtual ~FileSource() = default;
  // Update files of the chosen collectors whose interval overlaps [from, until), as the archive lists them
  // now; a listing that failed is an error naming it (the run retries at the next poll).
  virtual Result<std::vector<SourceFile>> ListUpdates(UnixSeconds from, UnixSeconds until) = 0;
  // The newest RIB of `collector` that starts at or before `at`, if the archive lists one.
  virtual Result<std::optional<SourceFile>> LatestRib(const std::string& collector, UnixSeconds at) = 0;
  // Fetches (or finds already verified in the cache) each file; one result per file, same order.
  virtual std::vector<FetchedFile> Fetch(const std::vector<SourceFile>& files) = 0;
};

// A local folder that some other process fills (an rsync mirror of an archive, a replay): files are listed by
// walking it (RIS / RouteViews / simulator naming, as `vigil ingest mrt` reads them) and used in place, so
// its root is also the cache root. Writers must rename complete files into place (rsync does): names that
// start with a dot or end in .part / .tmp are ignored.
class DirectorySource final : public FileSource {
 public:
  DirectorySource(std::string root, std::vector<std::string> collectors);
  Result<std::vector<SourceFile>> ListUpdates(UnixSeconds from, UnixSeconds until) override;
  Result<std::optional<SourceFile>> LatestRib(const std::string& collector, UnixSeconds at) override;
  std::vector<FetchedFile> Fetch(const std::vector<SourceFile>& files) override;

 private:
  Result<std::vector<SourceFile>> Walk();
  std::string root_;
  std::set<std::string> collectors_;
};

// ---------------------------------------------------------------------------------------------------------
// Time: the real clock, or a replay clock that runs `speed` times faster from `origin` (demo and tests, where
// an archive server publishes an old scenario at accelerated time).

class RunClock {
 public:
  RunClock();  // the real clock
  RunClock(UnixSeconds origin, double speed);
  // Parses "2022-01-04T00:00:00Z@600" (origin @ speed) or "" (real clock).
  static Result<RunClock> Parse(const std::string& spec);
  UnixSeconds Now() const;
  // What this clock read at a wall-clock moment (Unix seconds), e.g. when a message was received.
  UnixSeconds AtWall(double wall_seconds) const;
  // Wall-clock seconds for `seconds` of this clock.
  double WallSeconds(double seconds) const { return seconds / speed_; }
  bool replay() const { return replay_; }

 private:
  bool replay_ = false;
  UnixSeconds origin_ = 0;
  double speed_ = 1;
  int64_t wall_origin_ms_ = 0;
};

// ---------------------------------------------------------------------------------------------------------
// When a bin is closed. Each collector has delivered up to some time (the end of its newest update file
// before which every listed file is verified or a gap). A bin [b, b + 300) is closed once every collector has
// delivered past it, or once `deadline_s` has passed since its end: then the collectors that had not delivered
// are missing from it (their tables keep their last state: lower coverage, never a zero).

class BinCloser {
 public:
  BinCloser(std::vector<std::string> collectors, int64_t deadline_s);

  void SetDelivered(const std::string& collector, UnixSeconds until);
  UnixSeconds Delivered(const std::string& collector) const;

  struct Advance {
    UnixSeconds closed_until = 0;            // bins starting before this are closed
    int64_t bins_closed = 0;                 // newly closed in this call
    int64_t bins_closed_by_deadline = 0;     // of which some collector had not delivered
    std::map<std::string, int64_t> missing;  // per collector: newly closed bins it had not delivered
  };
  // Moves the closed frontier to what holds at `now` (it never moves back) and says what closed.
  Advance AdvanceTo(UnixSeconds now);
  UnixSeconds closed_until() const { return closed_until_; }
  // Resumes from a frontier (a restart): bins before it count as closed already.
  void Resume(UnixSeconds closed_until) { closed_until_ = std::max(closed_until_, closed_until); }

 private:
  std::vector<std::string> collectors_;
  std::map<std::string, UnixSeconds> delivered_;
  int64_t deadline_s_;
  UnixSeconds closed_until_ = INT64_MIN;
};

// ---------------------------------------------------------------------------------------------------------
// The run loop.

struct RunOptions {
  std::vector<std::string> collectors;  // names, as the FileSource knows them
  std::optional<UnixSeconds> from;      // start; default: the saved start of an earlier run, else now
  double poll_interval_s = 60;          // wall seconds between polls of the archive
  int64_t deadline_s = 1800;            // a bin closes at most this long after its end
  int64_t lookback_s = 6 * 3600;        // each poll lists this far back for files that arrive late
  int keep_days = 0;                    // > 0: cached MRT files older than this many days are deleted
  std::string cache_dir;                // where the FileSource puts files (pruned with keep_days)
  signals::VisibilityOptions visibility;
  signals::VisibilityOptions visibility_v6;  // the bgp-v6 model (its own full-feed threshold)
  RunClock clock;
  int detect_settle_bins = 0;  // closed bins are complete: detection takes them at once
  bool ris_live = false;       // RIS Live messages come through LiveStep (docs/rislive.md)
  int64_t live_grace_s = 5;    // a live bin is written this long after its end
  bool verbose = false;
};

// What one LiveStep did.
struct LiveStepReport {
  int64_t messages = 0;   // RIS Live messages of the chosen collectors taken
  int64_t ignored = 0;    // other collectors and message types
  int64_t malformed = 0;  // frames refused by the parser
  int64_t bins_written = 0;
  int64_t detect_bins = 0;
  std::vector<std::string> errors;
};

// What one poll did (also the totals in RunHealth).
struct StepReport {
  int64_t listed = 0;
  int64_t fetched = 0;
  int64_t gaps = 0;
  int64_t fetch_failures = 0;
  int64_t ingested = 0;
  int64_t late_files = 0;  // arrived after their bins closed: those bins were re-opened and recomputed
  int64_t rebuilds = 0;
  int64_t bins_closed = 0;
  int64_t bins_closed_by_deadline = 0;
  int64_t detect_bins = 0;
  int64_t pruned_files = 0;
  UnixSeconds closed_until = 0;
  std::vector<std::string> errors;  // one line each, naming the listing / file / store
  // Wall seconds of the step's stages (where a poll's latency goes; bench/run_latency.py).
  double list_s = 0, fetch_s = 0, ingest_s = 0, detect_s = 0;
};

struct CollectorHealth {
  std::string name;
  std::string newest_file;          // name of the newest file seen (listed and verified)
  UnixSeconds newest_file_end = 0;  // end of its interval
  UnixSeconds delivered_until = 0;
  int64_t files_ingested = 0;
  int64_t gaps = 0;
  int64_t failures = 0;                 // fetch failures (each try)
  int64_t bins_closed_by_deadline = 0;  // closed while this collector had not delivered them
  std::string last_error;
};

struct RunHealth {
  UnixSeconds now = 0;
  UnixSeconds from = 0;
  UnixSeconds closed_until = 0;
  UnixSeconds detected_until = 0;
  int64_t polls = 0;
  int64_t poll_failures = 0;
  int64_t bins_closed = 0;
  int64_t bins_closed_by_deadline = 0;
  int64_t late_files = 0;
  int64_t rebuilds = 0;
  int64_t live_bins = 0;    // bins whose stored value came from RIS Live (not yet replaced by an archive file)
  std::string live_status;  // "", "connected", "reconnecting: ..."
  int64_t live_messages = 0;
  int64_t live_reconnects = 0;
  std::vector<CollectorHealth> collectors;
};
std::string HealthJson(const RunHealth& health);   // the "sources" object of /healthz
std::string MetricsText(const RunHealth& health);  // Prometheus lines for /metrics

class RunLoop {
 public:
  RunLoop(store::Store& store, FileSource& source, const signals::Slash24Counter& counter,
          const signals::Slash48Counter& counter6, std::vector<int64_t> entity_ids, RunOptions options);
  ~RunLoop();

  // Reads what an earlier run left (start time, ingested inputs) and chooses the start.
  Status Start();
  // One poll: list, fetch, close bins, ingest what is closed in order (re-opening bins for late files),
  // detect up to the closed bins. Expected failures (a listing, a file) are in the report, not an error; an
  // error means the store failed.
  Result<StepReport> Step();
  // Step as if the clock said `now` (tests drive time by hand).
  Result<StepReport> StepAt(UnixSeconds now);
  // RIS Live (options.ris_live): applies what the client received, writes the live bins that ended
  // options.live_grace_s ago and detects on them. Live bins carry no inputs rows and no state; archive files
  // rewrite them. Expected failures are in the report; an error means the store failed.
  Result<LiveStepReport> LiveStep(std::vector<acquire::LiveEvent> events);
  Result<LiveStepReport> LiveStepAt(std::vector<acquire::LiveEvent> events, UnixSeconds now);
  // The client's own figures, for the health report.
  void SetLiveClientStats(const acquire::RisLiveStats& stats);
  // Called after each detection that wrote results (for webhooks).
  void OnDetection(std::function<void()> callback) { on_detection_ = std::move(callback); }

  RunHealth Health() const;  // thread-safe
  UnixSeconds from() const { return from_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::function<void()> on_detection_;
  UnixSeconds from_ = 0;
};

// Everything `vigil run` does, for the CLI: open geo, store and cache, run the loop every poll interval,
// serve the API and dashboard, deliver webhooks, until `stop` becomes true (SIGINT / SIGTERM).
struct ObservatoryOptions {
  RunOptions run;
  std::string store_uri = store::kDefaultStoreUri;
  std::string webhook_store_uri;  // "" = the store's file (SQLite)
  std::string geo_dir = geo::kDefaultGeoDir;
  std::string geo_source = geo::kDefaultGeoSource;
  std::string listen = "127.0.0.1:8080";  // empty: no API server
  std::string web_dir;
  std::string node_modules_dir;
  std::string admin_token;
  std::string archive_roots;  // "ris=URL,routeviews=URL" ("" = the collector table's)
  std::string index;          // "bgpstream=URL" | "bgpkit=URL" ("" = the archives' folder listings)
  std::string collectors_file;
  std::string mirror_dir;  // a local folder another process fills, instead of the archives
  int fetch_jobs = 4;
  std::string ca_file;
  int64_t max_polls = 0;           // > 0: stop after this many polls (tests)
  std::string ris_live_url;        // "" = no RIS Live
  size_t ris_live_queue = 200000;  // messages the client holds for the loop before it drops the connection
};
// Returns the process exit code (0 stopped cleanly, 1 failed, 2 bad options); prints one line per problem.
int RunObservatory(const ObservatoryOptions& options, const std::atomic<bool>& stop);

// The RIS / RouteViews archives (or an index service) through the acquire module: discovery from the folder
// listings, verified fetching into options.run.cache_dir. Fails (naming the flag) on an unknown collector or
// a malformed URL; an unreachable archive is a listing error at the first poll, not here.
Result<std::unique_ptr<FileSource>> MakeArchiveSource(const ObservatoryOptions& options, const std::atomic<bool>& stop);

}  // namespace vigil::observatory
