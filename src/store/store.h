// SPDX-License-Identifier: AGPL-3.0-or-later
// Module store: persistence of everything Vigil computes — entities, per-entity time series, ingested
// inputs (by sha256), alerts, events, curfew schedules, annotations, and opaque state blobs that earlier
// stages keep between runs (e.g. per-peer BGP tables). It owns the schema and its migrations, atomic
// per-input ingest, and step aggregation of series. It knows nothing of MRT, geolocation, detection methods
// or HTTP: stages before it hand it rows; stages after it read rows. SQLite is the default backend;
// ClickHouse implements the same interface for scale-out.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil::store {

// ----- rows ---------------------------------------------------------------------------------------------

// type is "country" (code ISO 3166-1 alpha-2), "region" (ISO 3166-2) or "asn" (decimal number).
struct Entity {
  int64_t id = 0;  // assigned by the store
  std::string type;
  std::string code;
  std::string name;
  int64_t parent_id = 0;      // region -> its country; 0 when none
  int64_t slash24_count = 0;  // IPv4 /24s the entity holds (IODA's ip_count)
  std::string tz;             // IANA time zone when known ("Asia/Almaty"), else empty
};

// What EnsureEntity did.
struct EnsuredEntity {
  int64_t id = 0;
  bool created = false;
};

struct SeriesPoint {
  int64_t entity_id = 0;
  UnixSeconds t = 0;  // bin start, UTC-aligned
  double value = 0;
};

// Points of one datasource ("bgp", "ping-slash24", "rtt-p50", "loss", or an imported name).
// A bin with no input has no point: missing, never zero.
struct SeriesBatch {
  std::string datasource;
  std::vector<SeriesPoint> points;
};

struct Datasource {
  std::string name;
  int64_t step_s = 300;  // native bin width
  std::string description;
};

// One ingested input file (MRT file, probe round log, imported CSV).
struct InputRecord {
  std::string sha256;
  std::string name;       // file name as given (path relative to where it was found)
  std::string kind;       // "mrt-rib", "mrt-updates", "probe-log", "series-csv", ...
  std::string collector;  // for MRT inputs; empty otherwise
  int64_t records = 0;
  UnixSeconds first_t = 0;
  UnixSeconds last_t = 0;
  UnixSeconds ingested_at = 0;
};

// Opaque state a stage keeps between runs, committed atomically with the input that produced it.
struct StateBlob {
  std::string key;
  std::string bytes;
};

// Everything one input changes, committed in one transaction with its inputs row.
struct IngestCommit {
  InputRecord input;
  std::vector<SeriesBatch> series;  // upserted: a later value for the same (datasource, entity, t) wins
  std::vector<StateBlob> state;
};

// In order of severity (the API ranks levels by this order).
enum class AlertLevel { kNormal, kWarning, kCritical };
// The one spelling of each level, "normal", "warning" or "critical": stores, detection, the API and reports use it.
const char* AlertLevelName(AlertLevel level);
// The level AlertLevelName spells as `name`; kNormal for any other text.
AlertLevel AlertLevelFromName(std::string_view name);

struct Alert {
  int64_t id = 0;
  std::string datasource;
  int64_t entity_id = 0;
  UnixSeconds t = 0;
  AlertLevel level = AlertLevel::kNormal;
  std::string condition;  // e.g. "< 0.99" (value/baseline threshold crossed)
  double value = 0;
  double baseline = 0;  // IODA historyValue
  std::string method;   // e.g. "median"
};

struct Event {
  int64_t id = 0;
  int64_t entity_id = 0;
  std::string kind;  // "outage", "throttling"
  UnixSeconds start_t = 0;
  UnixSeconds end_t = 0;  // exclusive; 0 while ongoing
  double score = 0;
  std::string datasources;     // comma list of the datasources that moved
  std::string classification;  // "routing", "data-plane", "routing+data-plane", "throttling"
  int64_t schedule_id = 0;     // 0 when not part of a schedule
  double depth = 0;            // largest relative drop (0..1) or rise factor for throttling
  std::string coverage;        // JSON text: peers / blocks behind the event
  std::string detail;          // JSON text: per-datasource figures for reports
};

struct Schedule {
  int64_t id = 0;
  int64_t entity_id = 0;
  std::string tz;
  int on_start_min = 0;   // minutes after local midnight when connectivity comes back
  int on_end_min = 0;     // minutes after local midnight when it goes off
  std::string first_day;  // local date YYYY-MM-DD
  std::string last_day;
  double confidence = 0;
};

struct Annotation {
  int64_t id = 0;
  int64_t entity_id = 0;
  UnixSeconds start_t = 0;
  UnixSeconds end_t = 0;
  std::string kind;  // "state-of-emergency", "curfew-order", "note", "reported-shutdown"
  std::string text;
  std::string source_url;
  std::string detail;  // JSON object text, "" when none (reported-shutdown: type, networks, cause, links, ...)
};

// A webhook registration of the API (`/api/v1/webhooks`). The secret signs deliveries, so the store keeps it
// in clear; protect the store file like the admin token.
struct WebhookRecord {
  int64_t id = 0;  // assigned by the store
  std::string url;
  std::string secret;
  std::string entity;  // "region/KZ-ALA", "country/KZ", "" = every entity
  std::string min_level = "warning";
  UnixSeconds created_at = 0;
};

// One notice to one webhook and what became of it (the delivery log).
struct WebhookDeliveryRecord {
  int64_t id = 0;  // chosen by the caller (it is part of the signed body)
  int64_t webhook_id = 0;
  std::string notice;  // "event.start", "event.update", "event.end"
  int64_t event_id = 0;
  std::string body;
  int64_t attempts = 0;
  UnixSeconds next_attempt_at = 0;
  std::string state = "pending";  // pending | delivered | failed
  int64_t last_status = 0;
  std::string last_error;
  std::string log;  // one line per attempt
};

// ----- queries ------------------------------------------------------------------------------------------

struct EntityQuery {
  std::optional<std::string> type;
  std::optional<std::string> code;
  std::optional<int64_t> parent_id;
  std::optional<std::string> search;  // case-insensitive substring of code or name
  int64_t limit = 0;                  // 0 = no limit
  int64_t offset = 0;
};

// Series aggregated to a step: values[i] covers [from + i*step, from + (i+1)*step); the average of the
// points present there, or nullopt when none is.
struct AggregatedSeries {
  std::string datasource;
  int64_t entity_id = 0;
  UnixSeconds from = 0;
  UnixSeconds until = 0;
  int64_t step_s = 0;
  int64_t native_step_s = 0;
  std::vector<std::optional<double>> values;
};

// What `vigil store info` prints.
struct StoreInfo {
  std::string backend;   // "sqlite", "clickhouse"
  std::string location;  // file path or URL
  int64_t schema_version = 0;
  std::vector<std::pair<std::string, int64_t>> table_rows;  // (table, rows), in schema order
  struct DatasourceSpan {
    Datasource datasource;
    int64_t points = 0;
    int64_t entities = 0;
    UnixSeconds first_t = 0;  // 0/0 when the datasource has no points
    UnixSeconds last_t = 0;
  };
  std::vector<DatasourceSpan> datasources;
};

// Time-bounded listing. until <= 0 means no upper bound.
struct TimeFilter {
  UnixSeconds from = 0;
  UnixSeconds until = 0;            // exclusive
  std::vector<int64_t> entity_ids;  // empty = all
  std::optional<std::string> datasource;
  int64_t limit = 0;  // 0 = no limit
  int64_t offset = 0;
};

// ----- the interface ------------------------------------------------------------------------------------

class Store {
 public:
  virtual ~Store() = default;

  // Entities: insert or update by (type, code), filling in the ids. On update, fields given empty / 0 keep their
  // stored value (so a writer that knows only the code does not erase a name another one wrote).
  virtual Status UpsertEntities(std::vector<Entity>& entities) = 0;
  Result<int64_t> UpsertEntity(const Entity& entity);  // one of UpsertEntities; returns the id
  // Inserts the entity when none has its (type, code); a stored one is left exactly as it is (an importer that
  // knows an entity only by its code must not rename it). Returns the id and whether this call created it.
  virtual Result<EnsuredEntity> EnsureEntity(const Entity& entity) = 0;
  virtual Result<std::optional<Entity>> FindEntity(const std::string& type, const std::string& code) = 0;
  virtual Result<std::optional<Entity>> EntityById(int64_t id) = 0;
  virtual Result<std::vector<Entity>> ListEntities(const EntityQuery& query) = 0;

  virtual Status RegisterDatasource(const Datasource& datasource) = 0;
  virtual Result<std::vector<Datasource>> ListDatasources() = 0;

  // Ingest: idempotent by sha256, atomic per input. CommitIngest writes the series (upsert), the state
  // blobs (replacing earlier bytes of the same key) and the inputs row in one transaction; when an input
  // with the same sha256 is already present it changes nothing and returns OK (TryCommitIngest tells which).
  virtual Result<bool> HasInput(const std::string& sha256) = 0;
  Status CommitIngest(const IngestCommit& commit);
  // As CommitIngest; true when the input was committed, false when its sha256 was already present (skipped).
  Result<bool> TryCommitIngest(const IngestCommit& commit);
  // Several inputs in one transaction (all or none of the group; each input still all or nothing), for
  // backfills: one transaction per 5-minute file rewrites a B-tree page per entity per file, a group of an
  // hour or a day of files amortizes that (see docs/store.md for figures). Inputs already present (or
  // repeated in the group) are skipped; result[i] tells whether commits[i] was written. Series of later
  // inputs win over earlier ones for the same (datasource, entity, t); state blobs likewise.
  Result<std::vector<bool>> TryCommitIngestGroup(const std::vector<IngestCommit>& commits);
  // Inputs whose [first_t, last_t] meets [from, until) (until <= 0: no upper bound), by first_t then name.
  virtual Result<std::vector<InputRecord>> ListInputs(UnixSeconds from, UnixSeconds until) = 0;
  virtual Result<std::optional<std::string>> GetState(const std::string& key) = 0;

  // Series written outside an input (tests, imports that manage their own idempotence).
  virtual Status WriteSeries(const std::vector<SeriesBatch>& batches) = 0;
  // Raw points of one series in [from, until), ordered by t.
  virtual Result<std::vector<SeriesPoint>> ReadSeries(const std::string& datasource, int64_t entity_id,
                                                      UnixSeconds from, UnixSeconds until) = 0;
  // Averages per step bucket; buckets aligned to `from`.
  virtual Result<AggregatedSeries> ReadAggregated(const std::string& datasource, int64_t entity_id, UnixSeconds from,
                                                  UnixSeconds until, int64_t step_s) = 0;
  // ReadAggregated for several entities of one datasource (API summaries, dashboards); the default reads them
  // one after the other, a backend may answer in one query.
  virtual Result<std::vector<AggregatedSeries>> ReadAggregatedMany(const std::string& datasource,
                                                                   const std::vector<int64_t>& entity_ids,
                                                                   UnixSeconds from, UnixSeconds until, int64_t step_s);
  // Entities that have at least one point of the datasource, and the overall time span of the datasource.
  virtual Result<std::vector<int64_t>> EntitiesWithSeries(const std::string& datasource) = 0;
  virtual Result<std::optional<std::pair<UnixSeconds, UnixSeconds>>> SeriesSpan(const std::string& datasource) = 0;

  // Detection results, replaced in one transaction:
  //  - alerts with t >= from_t and events with start_t >= from_t are deleted, then `alerts` and `events`
  //    are inserted (their ids are assigned and written back). Alerts and events before from_t stay as they
  //    are, so a detector re-running from from_t must choose from_t at or before the start of every event it
  //    may still change (in particular every open event, end_t == 0) and re-emit those. from_t = 0 replaces
  //    all alerts and events (a batch run over the whole history).
  //  - every stored schedule is replaced by `schedules` (schedules are inferred from the whole event
  //    history, never incrementally). A schedule given with id > 0 keeps that id; one with id 0 gets a new id
  //    (ids are never reused). Ids are written back.
  //  - Event::schedule_id on input: 0 = none; > 0 = the id of a schedule kept by this call; < 0 = the
  //    schedule at index (-schedule_id - 1) of `schedules` (for schedules new in this call). It is rewritten
  //    to the real id. Events kept from before from_t whose schedule no longer exists get schedule_id 0.
  virtual Status ReplaceDetection(UnixSeconds from_t, std::vector<Alert>& alerts, std::vector<Event>& events,
                                  std::vector<Schedule>& schedules) = 0;
  virtual Result<std::vector<Alert>> ListAlerts(const TimeFilter& filter) = 0;
  // Events overlapping [from, until).
  virtual Result<std::vector<Event>> ListEvents(const TimeFilter& filter) = 0;
  virtual Result<std::optional<Event>> EventById(int64_t id) = 0;
  virtual Result<std::vector<Schedule>> ListSchedules(const std::vector<int64_t>& entity_ids) = 0;

  virtual Result<int64_t> AddAnnotation(const Annotation& annotation) = 0;
  virtual Status DeleteAnnotation(int64_t id) = 0;
  virtual Result<std::vector<Annotation>> ListAnnotations(const TimeFilter& filter) = 0;

  // Replaces one state blob outside an input (a stage's bookkeeping that no input carries, e.g. `vigil run`'s
  // start and frontier, or the tables after a rebuild whose files were all known).
  virtual Status PutState(const StateBlob& blob) = 0;
  // Schema version, row counts and datasource spans (for `vigil store info` and /metrics).
  virtual Result<StoreInfo> Describe() = 0;
  // How many inputs a writer should hand to one TryCommitIngestGroup call. SQLite: 1 (a commit is a local
  // fsync, and a crash then loses nothing). ClickHouse: 256 (every commit is several HTTP round trips and a
  // new part on disk). A backend that prefers groups also answers each query with a round trip, so writers
  // that batch should preload what they would otherwise ask file by file (StoreSignalSink::PreloadInputs).
  virtual size_t PreferredCommitGroup() const = 0;

 protected:
  // The ingest calls above, in one transaction: skips inputs already present or repeated in `commits`, writes
  // the rest, and says which it wrote.
  virtual Result<std::vector<bool>> CommitInputs(const std::vector<const IngestCommit*>& commits) = 0;
};

// Webhooks of the API (registrations, the delivery log, what was last announced per event), kept apart from
// Store: they are the API's own records, not results of the pipeline, and only SQLite keeps them (a ClickHouse
// deployment names a SQLite file for them, docs/store.md). Calls are serialized like Store's.
class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  virtual Result<std::vector<WebhookRecord>> ListWebhooks() = 0;
  virtual Result<int64_t> AddWebhook(const WebhookRecord& hook) = 0;  // returns the new id (never reused)
  virtual Status DeleteWebhook(int64_t id) = 0;                       // its deliveries stay in the log
  // The newest `limit` deliveries (all when limit <= 0) plus every pending one, in id order.
  virtual Result<std::vector<WebhookDeliveryRecord>> ListWebhookDeliveries(int64_t limit) = 0;
  // What the API last notified per event (event id -> fingerprint).
  virtual Result<std::vector<std::pair<int64_t, std::string>>> ListWebhookFingerprints() = 0;
  // One scan's outcome in one transaction: changed fingerprints (upserted) and the deliveries it queued.
  virtual Status SaveWebhookScan(const std::vector<std::pair<int64_t, std::string>>& fingerprints,
                                 const std::vector<WebhookDeliveryRecord>& deliveries) = 0;
  // Replaces a delivery's outcome fields (attempts, next_attempt_at, state, last_status, last_error, log).
  virtual Status UpdateWebhookDelivery(const WebhookDeliveryRecord& delivery) = 0;
};

// Step for a `maxPoints` request (IODA semantics): the smallest step of the ladder 60, 120, 300, 600, 900,
// 1800, 3600, 7200, 10800, 21600, 43200, 86400 s, then whole weeks, that is a multiple of the native step and
// yields at most max_points buckets over [from, until). max_points <= 0 means the native step.
int64_t StepForMaxPoints(UnixSeconds from, UnixSeconds until, int64_t native_step_s, int64_t max_points);

// The store every command and `vigil run` use when none is named (SQLite, relative to the working folder).
inline constexpr const char* kDefaultStoreUri = "var/vigil.db";

// Opens (creating and migrating when needed) a store. `uri` is a SQLite file path (parent folders are
// created), "sqlite:PATH", ":memory:", or "clickhouse://host[:port]/db" (HTTP interface; docs/scale.md).
// A Store may be used from several threads: its calls are serialized. Several processes may open the
// same SQLite file (WAL; writers wait up to 30 s for each other).
Result<std::unique_ptr<Store>> OpenStore(const std::string& uri);

// Opens a store that must exist already: what every reader (detect, serve, eval, store info, series) calls, so
// that a mistyped path is an error (NotFound, naming it) instead of a new empty store. A SQLite file must
// exist; a ClickHouse database must exist on the server. Only `vigil store init` and the ingest commands
// create stores (OpenStore). Migrations run as in OpenStore.
Result<std::unique_ptr<Store>> OpenExistingStore(const std::string& uri);

// Opens (creating and migrating when needed) the webhook tables of a SQLite store: the same URIs as OpenStore
// except clickhouse://, which is refused (InvalidArgument) because ClickHouse keeps no webhooks.
Result<std::unique_ptr<WebhookStore>> OpenWebhookStore(const std::string& uri);

}  // namespace vigil::store
