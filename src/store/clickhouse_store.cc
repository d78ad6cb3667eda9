// SPDX-License-Identifier: AGPL-3.0-or-later
// ClickHouse backend of the store, over ClickHouse's HTTP interface (libcurl). Written for the oldest server
// Debian ships (18.16): no transactions, no synchronous DELETE, no query parameters. Hence:
//  - rows that can change are versioned (ReplacingMergeTree(version)) and read with FINAL / argMax(value,
//    version), so an upsert is an insert and the newest version wins;
//  - data travels in the request body as TabSeparated (never inside SQL); the few values a SELECT filters on
//    are written into the SQL as literals by one quoting function (Quote) or as formatted integers;
//  - alerts, events and schedules are written as a new *generation* (the kept rows plus the new ones), and the
//    generation becomes current by one final insert into detection_generation: readers see the old or the new
//    result, never a mix;
//  - ingest: series and state rows first, the inputs row last. A crash in between leaves rows without their
//    inputs row; the same ingest run again rewrites the same keys with newer versions, so the store converges to
//    the uninterrupted result (idempotent, not isolated: see docs/scale.md).
//  - entity ids are numbered as SQLite numbers its rows (after the largest id, in upsert order), so every
//    ordering by entity agrees between the backends.
#include "store/clickhouse_store.h"
#include "store/rules.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <set>
#include <unordered_map>

namespace vigil::store {
namespace {

constexpr int64_t kNoUpperBound = std::numeric_limits<int64_t>::max();

// ----- text helpers -------------------------------------------------------------------------------------

// A ClickHouse string literal: quotes and backslashes escaped, control bytes as escapes.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        out += c;
    }
  }
  return out + "'";
}

// A TabSeparated field.
void AppendField(std::string& out, const std::string& s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        out += c;
    }
  }
}

class TsvRow {
 public:
  TsvRow& Add(const std::string& s) {
    Sep();
    AppendField(line_, s);
    return *this;
  }
  TsvRow& Add(int64_t v) {
    Sep();
    line_ += std::to_string(v);
    return *this;
  }
  TsvRow& Add(uint64_t v) {
    Sep();
    line_ += std::to_string(v);
    return *this;
  }
  TsvRow& Add(int v) { return Add(static_cast<int64_t>(v)); }
  TsvRow& Add(double v) {
    Sep();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    line_ += buf;
    return *this;
  }
  void EndTo(std::string& out) {
    out += line_;
    out += '\n';
    line_.clear();
    first_ = true;
  }

 private:
  void Sep() {
    if (!first_) line_ += '\t';
    first_ = false;
  }
  std::string line_;
  bool first_ = true;
};

// Rows of a TabSeparated response, fields unescaped.
std::vector<std::vector<std::string>> ParseTsv(const std::string& body) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool any = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      char n = body[++i];
      switch (n) {
        case 'n':
          field += '\n';
          break;
        case 't':
          field += '\t';
          break;
        case 'r':
          field += '\r';
          break;
        case '0':
          field += '\0';
          break;
        case 'b':
          field += '\b';
          break;
        case 'f':
          field += '\f';
          break;
        default:
          field += n;
      }
      any = true;
    } else if (c == '\t') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

int64_t ToInt(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
double ToDouble(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

std::string IdList(const std::vector<int64_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

int64_t UpperBound(UnixSeconds until) { return until <= 0 ? kNoUpperBound : until; }

std::string LimitClause(int64_t limit, int64_t offset) {
  if (limit <= 0 && offset <= 0) return "";
  // ClickHouse 18.16 spells it LIMIT offset, count.
  return " LIMIT " + std::to_string(std::max<int64_t>(0, offset)) + ", " +
         std::to_string(limit > 0 ? limit : std::numeric_limits<int64_t>::max() / 2);
}

size_t CollectBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The tables, created when missing. Version 1 of the ClickHouse schema (the SQLite one is in migrations/).
// On a cluster each becomes `<name>_local` on every shard plus a Distributed table `<name>` over them, sharded
// by `shard_key`: rows that replace each other (same sorting key) always land on the same shard, and all
// points, alerts and events of one entity on one shard.
struct TableDef {
  const char* name;
  const char* body;  // "(columns) ENGINE = ..."
  const char* shard_key;
};
const TableDef kTables[] = {
    {"schema_version", "(version UInt32, applied_at Int64) ENGINE = MergeTree ORDER BY version", "version"},
    {"entities",
     "(id Int64, type String, code String, name String, parent_id Int64, slash24_count Int64, tz String, version "
     "UInt64) "
     "ENGINE = ReplacingMergeTree(version) ORDER BY (type, code)",
     "id"},
    {"datasources",
     "(name String, step_s Int64, description String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY "
     "name",
     "cityHash64(name)"},
    {"series",
     "(datasource String, entity_id Int64, t Int64, value Float64, version UInt64) ENGINE = "
     "ReplacingMergeTree(version) "
     "PARTITION BY toYYYYMM(toDateTime(t)) ORDER BY (datasource, entity_id, t)",
     "entity_id"},
    {"inputs",
     "(sha256 String, name String, kind String, collector String, records Int64, first_t Int64, last_t Int64, "
     "ingested_at Int64) ENGINE = ReplacingMergeTree ORDER BY sha256",
     "cityHash64(sha256)"},
    {"state",
     "(key String, bytes String, updated_at Int64, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY key",
     "cityHash64(key)"},
    {"alerts",
     "(generation UInt64, id Int64, datasource String, entity_id Int64, t Int64, level String, condition String, "
     "value Float64, baseline Float64, method String) ENGINE = MergeTree ORDER BY (generation, t, entity_id)",
     "entity_id"},
    {"events",
     "(generation UInt64, id Int64, entity_id Int64, kind String, start_t Int64, end_t Int64, score Float64, "
     "datasources String, classification String, schedule_id Int64, depth Float64, coverage String, detail String) "
     "ENGINE = MergeTree ORDER BY (generation, start_t, entity_id)",
     "entity_id"},
    {"schedules",
     "(generation UInt64, id Int64, entity_id Int64, tz String, on_start_min Int64, on_end_min Int64, first_day "
     "String, "
     "last_day String, confidence Float64) ENGINE = MergeTree ORDER BY (generation, entity_id)",
     "entity_id"},
    {"detection_generation",
     "(generation UInt64, last_alert_id Int64, last_event_id Int64, last_schedule_id Int64, written_at Int64) "
     "ENGINE = MergeTree ORDER BY generation",
     "generation"},
    {"annotations",
     "(id Int64, entity_id Int64, start_t Int64, end_t Int64, kind String, text String, source_url String, "
     "deleted UInt8, version UInt64, detail String) ENGINE = ReplacingMergeTree(version) ORDER BY id",
     "id"},
};
// Columns added after version 1, in order: a store created by an older vigil gets them by ALTER TABLE (on every
// host of a cluster, `_local` and Distributed alike). Fresh stores have them from kTables.
struct ColumnAddition {
  int version;  // schema version that added it
  const char* table;
  const char* column;
  const char* type;
};
const ColumnAddition kColumnAdditions[] = {
    {2, "annotations", "detail", "String"},
};
constexpr int kSchemaVersion = 2;

class ClickHouseStore final : public Store {
 public:
  // hosts: base URLs ("http://host:port"); queries go to the first. The others matter only for a cluster:
  // its tables are created, and old detection generations removed, on every host directly (18.16 has no
  // ON CLUSTER without ZooKeeper).
  ClickHouseStore(std::vector<std::string> hosts, std::string database, std::string uri, std::string cluster)
      : hosts_(std::move(hosts)), database_(std::move(database)), uri_(std::move(uri)), cluster_(std::move(cluster)) {
    base_url_ = hosts_.front();
    curl_ = curl_easy_init();
  }
  ~ClickHouseStore() override {
    if (curl_) curl_easy_cleanup(curl_);
  }

  Status Initialize();
  // NotFound when the server has no database of this store's name (readers must not create one).
  Status RequireDatabase();

  Status UpsertEntities(std::vector<Entity>& entities) override;
  Result<EnsuredEntity> EnsureEntity(const Entity& entity) override;
  Result<std::optional<Entity>> FindEntity(const std::string& type, const std::string& code) override;
  Result<std::optional<Entity>> EntityById(int64_t id) override;
  Result<std::vector<Entity>> ListEntities(const EntityQuery& query) override;
  Status RegisterDatasource(const Datasource& datasource) override;
  Result<std::vector<Datasource>> ListDatasources() override;
  Result<bool> HasInput(const std::string& sha256) override;
  Result<std::vector<InputRecord>> ListInputs(UnixSeconds from, UnixSeconds until) override;
  Result<std::optional<std::string>> GetState(const std::string& key) override;
  Status PutState(const StateBlob& blob) override;
  Status WriteSeries(const std::vector<SeriesBatch>& batches) override;
  Result<std::vector<SeriesPoint>> ReadSeries(const std::string& datasource, int64_t entity_id, UnixSeconds from,
                                              UnixSeconds until) override;
  Result<AggregatedSeries> ReadAggregated(const std::string& datasource, int64_t entity_id, UnixSeconds from,
                                          UnixSeconds until, int64_t step_s) override;
  Result<std::vector<int64_t>> EntitiesWithSeries(const std::string& datasource) override;
  Result<std::optional<std::pair<UnixSeconds, UnixSeconds>>> SeriesSpan(const std::string& datasource) override;
  Status ReplaceDetection(UnixSeconds from_t, std::vector<Alert>& alerts, std::vector<Event>& events,
                          std::vector<Schedule>& schedules) override;
  Result<std::vector<Alert>> ListAlerts(const TimeFilter& filter) override;
  Result<std::vector<Event>> ListEvents(const TimeFilter& filter) override;
  Result<std::optional<Event>> EventById(int64_t id) override;
  Result<std::vector<Schedule>> ListSchedules(const std::vector<int64_t>& entity_ids) override;
  Result<int64_t> AddAnnotation(const Annotation& annotation) override;
  Status DeleteAnnotation(int64_t id) override;
  Result<std::vector<Annotation>> ListAnnotations(const TimeFilter& filter) override;
  Result<StoreInfo> Describe() override;
  size_t PreferredCommitGroup() const override { return 256; }

 protected:
  Result<std::vector<bool>> CommitInputs(const std::vector<const IngestCommit*>& commits) override;

 private:
  // Runs a statement; `data` (TabSeparated rows) goes in the body of an INSERT ... FORMAT TabSeparated.
  Result<std::string> Run(const std::string& sql, const std::string* data = nullptr, bool in_database = true,
                          const std::string* host = nullptr);
  Status CreateTables();
  Status CreateClusterTables();
  Status AddMissingColumns();
  Result<std::vector<std::vector<std::string>>> Select(const std::string& sql) {
    Result<std::string> body = Run(sql + " FORMAT TabSeparated");
    if (!body.ok()) return body.status();
    return ParseTsv(*body);
  }
  Status Insert(const std::string& table_and_columns, const std::string& rows) {
    if (rows.empty()) return Status::Ok();
    return Run("INSERT INTO " + table_and_columns + " FORMAT TabSeparated", &rows).status();
  }
  // Strictly increasing within the process; across processes, the later clock wins.
  uint64_t NextVersion() {
    uint64_t now = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    last_version_ = std::max(last_version_ + 1, now);
    return last_version_;
  }
  Result<std::optional<Entity>> ReadEntityWhere(const std::string& where);
  Result<bool> KnownDatasource(const std::string& name);
  Result<int64_t> NativeStep(const std::string& name);
  Status AppendSeries(const std::vector<const SeriesBatch*>& batches, std::string& rows);
  Result<std::vector<bool>> CommitGroupLocked(const std::vector<const IngestCommit*>& commits);
  Result<uint64_t> CurrentGeneration(int64_t* last_alert, int64_t* last_event, int64_t* last_schedule);
  Status CopyKeptDetection(uint64_t from, uint64_t to, UnixSeconds from_t, const std::set<int64_t>& kept);
  void DropGenerationsBefore(uint64_t generation);
  Result<std::vector<Event>> ReadEvents(const std::string& where_and_order);
  Result<AggregatedSeries> ReadAggregatedLocked(const std::string& datasource, int64_t entity_id, UnixSeconds from,
                                                UnixSeconds until, int64_t step_s);

  std::vector<std::string> hosts_;
  std::string base_url_, database_, uri_;
  std::string cluster_;       // given at init (`?cluster=NAME`) or found in cluster_hosts
  bool distributed_ = false;  // the tables are Distributed over cluster_ (inserts are then synchronous)
  CURL* curl_ = nullptr;
  // Entities as stored (read or written by this process), by "type/code": an upsert that changes nothing is
  // not sent, and a known entity is not read back (ingest upserts every entity of every file).
  std::unordered_map<std::string, Entity> entity_cache_;
  std::set<std::string> known_inputs_;  // sha256s seen in `inputs` (rows there are never removed)
  std::mutex mu_;
  uint64_t last_version_ = 0;
  std::unordered_map<std::string, int64_t> steps_;  // datasource -> native step
};

Result<std::string> ClickHouseStore::Run(const std::string& sql, const std::string* data, bool in_database,
                                         const std::string* host) {
  if (!curl_) return Status::Internal("store " + uri_ + ": libcurl did not initialize");
  std::string url = (host ? *host : base_url_) + "/?";
  if (in_database) url += "database=" + database_ + "&";
  // Inserts into Distributed tables are otherwise queued and sent to the shards in the background: a read
  // right after the insert would not see them.
  if (distributed_) url += "insert_distributed_sync=1&";
  std::string body;
  curl_easy_reset(curl_);
  char* escaped = nullptr;
  if (data) {
    escaped = curl_easy_escape(curl_, sql.c_str(), static_cast<int>(sql.size()));
    url += std::string("query=") + escaped;
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, data->data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(data->size()));
  } else {
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, sql.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(sql.size()));
  }
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 600L);
  CURLcode rc = curl_easy_perform(curl_);
  if (escaped) curl_free(escaped);
  if (rc != CURLE_OK) return Status::Unavailable("store " + uri_ + ": " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
    return Status::Unavailable("store " + uri_ + ": " + body + " (in: " + sql.substr(0, 200) + ")");
  }
  return body;
}

Status ClickHouseStore::CreateTables() {
  for (const TableDef& t : kTables) {
    VIGIL_RETURN_IF_ERROR(Run(std::string("CREATE TABLE IF NOT EXISTS ") + t.name + " " + t.body).status());
  }
  return Status::Ok();
}

// A store created by an older vigil lacks the columns of kColumnAdditions: add them where missing (both the
// `_local` tables and the Distributed ones of a cluster; system.columns of each host says what is there).
Status ClickHouseStore::AddMissingColumns() {
  std::vector<const std::string*> hosts;
  if (distributed_) {
    for (const std::string& host : hosts_) hosts.push_back(&host);
  } else {
    hosts.push_back(nullptr);
  }
  for (const ColumnAddition& add : kColumnAdditions) {
    for (const std::string* host : hosts) {
      std::vector<std::string> tables = {add.table};
      if (distributed_) tables.insert(tables.begin(), std::string(add.table) + "_local");
      for (const std::string& table : tables) {
        std::string query = "SELECT count() FROM system.columns WHERE database = " + Quote(database_) +
                            " AND table = " + Quote(table) + " AND name = " + Quote(add.column) + " FORMAT TSV";
        auto found = Run(query, nullptr, true, host);
        if (!found.ok()) return found.status();
        if (ToInt(*found) > 0) continue;
        VIGIL_RETURN_IF_ERROR(
            Run("ALTER TABLE " + table + " ADD COLUMN " + add.column + " " + add.type, nullptr, true, host).status());
      }
    }
  }
  return Status::Ok();
}

Status ClickHouseStore::CreateClusterTables() {
  auto shards = Select("SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = " + Quote(cluster_));
  if (!shards.ok()) return shards.status();
  int64_t n = shards->empty() ? 0 : ToInt((*shards)[0][0]);
  if (n == 0) {
    return Status::InvalidArgument("store " + uri_ + ": cluster '" + cluster_ +
                                   "' is not in the server's remote_servers");
  }
  if (n != static_cast<int64_t>(hosts_.size())) {
    return Status::InvalidArgument("store " + uri_ + ": cluster '" + cluster_ + "' has " + std::to_string(n) +
                                   " shards but the URI lists " + std::to_string(hosts_.size()) +
                                   " host(s): list every shard's HTTP address (clickhouse://host1:8123,host2:8123/db)");
  }
  for (const std::string& host : hosts_) {
    VIGIL_RETURN_IF_ERROR(Run("CREATE DATABASE IF NOT EXISTS " + database_, nullptr, false, &host).status());
    for (const TableDef& t : kTables) {
      VIGIL_RETURN_IF_ERROR(
          Run(std::string("CREATE TABLE IF NOT EXISTS ") + t.name + "_local " + t.body, nullptr, true, &host).status());
      VIGIL_RETURN_IF_ERROR(Run(std::string("CREATE TABLE IF NOT EXISTS ") + t.name + " AS " + t.name +
                                    "_local ENGINE = Distributed(" + cluster_ + ", " + database_ + ", " + t.name +
                                    "_local, " + t.shard_key + ")",
                                nullptr, true, &host)
                                .status());
    }
    // Every host knows the cluster and all hosts, so a store opened through any one of them finds the rest.
    VIGIL_RETURN_IF_ERROR(Run("CREATE TABLE IF NOT EXISTS cluster_hosts (cluster String, host String) ENGINE = TinyLog",
                              nullptr, true, &host)
                              .status());
    auto have = Run("SELECT count() FROM cluster_hosts FORMAT TabSeparated", nullptr, true, &host);
    if (!have.ok()) return have.status();
    if (ToInt(*have) == 0) {
      std::string rows;
      for (const std::string& h : hosts_) TsvRow().Add(cluster_).Add(h).EndTo(rows);
      VIGIL_RETURN_IF_ERROR(Run("INSERT INTO cluster_hosts FORMAT TabSeparated", &rows, true, &host).status());
    }
  }
  return Status::Ok();
}

Status ClickHouseStore::RequireDatabase() {
  // Asked outside the database: a query inside a missing one fails with the server's own error.
  auto found = Run("SELECT count() FROM system.databases WHERE name = " + Quote(database_) + " FORMAT TabSeparated",
                   nullptr, false);
  if (!found.ok()) return found.status();
  if (ToInt(*found) == 0) {
    return Status::NotFound("store " + uri_ + ": the server has no database '" + database_ +
                            "' (create it with `vigil store init --store " + uri_ + "` or an ingest command)");
  }
  return Status::Ok();
}

Status ClickHouseStore::Initialize() {
  VIGIL_RETURN_IF_ERROR(Run("CREATE DATABASE IF NOT EXISTS " + database_, nullptr, false).status());
  auto engine =
      Select("SELECT engine FROM system.tables WHERE database = " + Quote(database_) + " AND name = 'series'");
  if (!engine.ok()) return engine.status();
  const std::string found = engine->empty() ? "" : (*engine)[0][0];
  if (found == "Distributed") {
    distributed_ = true;
    auto rows = Select("SELECT cluster, host FROM cluster_hosts");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Corruption("store " + uri_ + ": Distributed tables but no cluster_hosts rows");
    cluster_ = (*rows)[0][0];
    for (const auto& r : *rows) {
      if (std::find(hosts_.begin(), hosts_.end(), r[1]) == hosts_.end()) hosts_.push_back(r[1]);
    }
  } else if (!cluster_.empty()) {
    if (!found.empty()) {
      return Status::AlreadyExists("store " + uri_ + ": database " + database_ +
                                   " already holds single-server tables; a cluster needs a new database");
    }
    VIGIL_RETURN_IF_ERROR(CreateClusterTables());
    distributed_ = true;
  }
  auto version = Select("SELECT max(version) FROM schema_version");
  if (version.ok() && !version->empty() && ToInt((*version)[0][0]) > kSchemaVersion) {
    return Status::NotSupported("store " + uri_ + ": schema version " + (*version)[0][0] +
                                " is newer than this vigil knows (" + std::to_string(kSchemaVersion) + ")");
  }
  if (!distributed_) VIGIL_RETURN_IF_ERROR(CreateTables());
  VIGIL_RETURN_IF_ERROR(AddMissingColumns());
  auto now = Select("SELECT count() FROM schema_version WHERE version = " + std::to_string(kSchemaVersion));
  if (!now.ok()) return now.status();
  if (now->empty() || ToInt((*now)[0][0]) == 0) {
    std::string row;
    TsvRow().Add(kSchemaVersion).Add(static_cast<int64_t>(std::time(nullptr))).EndTo(row);
    VIGIL_RETURN_IF_ERROR(Insert("schema_version (version, applied_at)", row));
  }
  return Status::Ok();
}

// ----- entities -----------------------------------------------------------------------------------------

// The version column comes along (and is ignored): a Distributed table read with FINAL and ORDER BY fails
// on 18.16 ("Cannot find column version in source stream") unless the version is among the columns read.
constexpr const char* kEntityColumns = "id, type, code, name, parent_id, slash24_count, tz, version";

Entity EntityFromRow(const std::vector<std::string>& r) {
  return Entity{ToInt(r[0]), r[1], r[2], r[3], ToInt(r[4]), ToInt(r[5]), r[6]};
}

Result<std::optional<Entity>> ClickHouseStore::ReadEntityWhere(const std::string& where) {
  auto rows = Select(std::string("SELECT ") + kEntityColumns + " FROM entities FINAL WHERE " + where);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Entity>();
  return std::optional<Entity>(EntityFromRow(rows->front()));
}

Status ClickHouseStore::UpsertEntities(std::vector<Entity>& entities) {
  std::lock_guard lock(mu_);
  // Stored rows of the entities not cached yet, a thousand per query (the server parses at most 256 KiB).
  std::vector<std::string> missing;
  for (const Entity& e : entities) {
    VIGIL_RETURN_IF_ERROR(rules::CheckEntityKey(e));
    if (!entity_cache_.count(e.type + "/" + e.code)) missing.push_back(Quote(e.type + "/" + e.code));
  }
  for (size_t i = 0; i < missing.size(); i += 1000) {
    std::string list;
    for (size_t k = i; k < std::min(missing.size(), i + 1000); ++k) list += (k > i ? "," : "") + missing[k];
    auto rows = Select(std::string("SELECT ") + kEntityColumns +
                       " FROM entities FINAL WHERE concat(type, '/', code) IN (" + list + ")");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      Entity o = EntityFromRow(r);
      entity_cache_[o.type + "/" + o.code] = o;
    }
  }
  // New entities are numbered after the largest id, in the order given, as SQLite numbers rows: ids (and so
  // every ordering by entity) are then the same on both backends for the same sequence of upserts.
  int64_t next_id = 0;
  std::vector<int64_t> new_ids;
  std::string rows;
  for (Entity& e : entities) {
    Entity merged = e;
    const std::string key = e.type + "/" + e.code;
    if (auto it = entity_cache_.find(key); it != entity_cache_.end()) {
      const Entity& o = it->second;
      merged = rules::MergeEntity(o, e);
      e.id = merged.id;
      if (merged.name == o.name && merged.parent_id == o.parent_id && merged.slash24_count == o.slash24_count &&
          merged.tz == o.tz) {
        continue;  // nothing changes
      }
    } else {
      if (next_id == 0) {
        auto max = Select("SELECT max(id) FROM entities");
        if (!max.ok()) return max.status();
        next_id = (max->empty() ? 0 : ToInt((*max)[0][0])) + 1;
      }
      merged.id = next_id++;
      new_ids.push_back(merged.id);
    }
    TsvRow()
        .Add(merged.id)
        .Add(merged.type)
        .Add(merged.code)
        .Add(merged.name)
        .Add(merged.parent_id)
        .Add(merged.slash24_count)
        .Add(merged.tz)
        .Add(NextVersion())
        .EndTo(rows);
    e.id = merged.id;
    entity_cache_[key] = merged;
  }
  VIGIL_RETURN_IF_ERROR(Insert("entities (id, type, code, name, parent_id, slash24_count, tz, version)", rows));
  if (new_ids.empty()) return Status::Ok();
  // Two processes creating different entities at the same moment would number them alike (the same
  // entities in the same order — every ingest upserts the geo entities in one order — get the same ids).
  auto clash = Select("SELECT id FROM (SELECT id, type, code, version FROM entities FINAL WHERE id IN (" +
                      IdList(new_ids) + ")) GROUP BY id HAVING uniqExact(type, code) > 1 LIMIT 1");
  if (!clash.ok()) return clash.status();
  if (!clash->empty()) {
    entity_cache_.clear();
    return Status::AlreadyExists(
        "store " + uri_ + ": entity id " + (*clash)[0][0] +
        " was given to two entities by concurrent writers; create entities from one process first");
  }
  return Status::Ok();
}

Result<EnsuredEntity> ClickHouseStore::EnsureEntity(const Entity& entity) {
  VIGIL_RETURN_IF_ERROR(rules::CheckEntityKey(entity));
  {
    std::lock_guard lock(mu_);
    if (auto it = entity_cache_.find(entity.type + "/" + entity.code); it != entity_cache_.end()) {
      return EnsuredEntity{it->second.id, false};
    }
    auto stored = ReadEntityWhere("type = " + Quote(entity.type) + " AND code = " + Quote(entity.code));
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) return EnsuredEntity{(*stored)->id, false};
  }
  Result<int64_t> id = UpsertEntity(entity);
  if (!id.ok()) return id.status();
  return EnsuredEntity{*id, true};
}

Result<std::optional<Entity>> ClickHouseStore::FindEntity(const std::string& type, const std::string& code) {
  std::lock_guard lock(mu_);
  return ReadEntityWhere("type = " + Quote(type) + " AND code = " + Quote(code));
}

Result<std::optional<Entity>> ClickHouseStore::EntityById(int64_t id) {
  std::lock_guard lock(mu_);
  return ReadEntityWhere("id = " + std::to_string(id));
}

Result<std::vector<Entity>> ClickHouseStore::ListEntities(const EntityQuery& q) {
  std::lock_guard lock(mu_);
  std::string where = "1";
  if (q.type) where += " AND type = " + Quote(*q.type);
  if (q.code) where += " AND code = " + Quote(*q.code);
  if (q.parent_id) where += " AND parent_id = " + std::to_string(*q.parent_id);
  if (q.search) {
    std::string s = *q.search;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    where += " AND (position(lower(code), " + Quote(s) + ") > 0 OR position(lower(name), " + Quote(s) + ") > 0)";
  }
  auto rows = Select(std::string("SELECT ") + kEntityColumns + " FROM entities FINAL WHERE " + where +
                     " ORDER BY type, code" + LimitClause(q.limit, q.offset));
  if (!rows.ok()) return rows.status();
  std::vector<Entity> out;
  for (const auto& r : *rows) out.push_back(EntityFromRow(r));
  return out;
}

// ----- datasources --------------------------------------------------------------------------------------

Status ClickHouseStore::RegisterDatasource(const Datasource& d) {
  std::lock_guard lock(mu_);
  VIGIL_RETURN_IF_ERROR(rules::CheckDatasource(d));
  std::string description = d.description;
  if (description.empty()) {
    auto old = Select("SELECT description, version FROM datasources FINAL WHERE name = " + Quote(d.name));
    if (!old.ok()) return old.status();
    if (!old->empty()) description = (*old)[0][0];
  }
  std::string row;
  TsvRow().Add(d.name).Add(d.step_s).Add(description).Add(NextVersion()).EndTo(row);
  steps_.erase(d.name);
  return Insert("datasources (name, step_s, description, version)", row);
}

Result<std::vector<Datasource>> ClickHouseStore::ListDatasources() {
  std::lock_guard lock(mu_);
  auto rows = Select("SELECT name, step_s, description, version FROM datasources FINAL ORDER BY name");
  if (!rows.ok()) return rows.status();
  std::vector<Datasource> out;
  for (const auto& r : *rows) out.push_back({r[0], ToInt(r[1]), r[2]});
  return out;
}

Result<int64_t> ClickHouseStore::NativeStep(const std::string& name) {
  auto it = steps_.find(name);
  if (it != steps_.end()) return it->second;
  auto rows = Select("SELECT step_s, version FROM datasources FINAL WHERE name = " + Quote(name));
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("store: unknown datasource '" + name + "' (register it first)");
  steps_[name] = ToInt((*rows)[0][0]);
  return steps_[name];
}

Result<bool> ClickHouseStore::KnownDatasource(const std::string& name) {
  Result<int64_t> step = NativeStep(name);
  if (!step.ok()) return step.status();
  return true;
}

// ----- ingest and series --------------------------------------------------------------------------------

Result<bool> ClickHouseStore::HasInput(const std::string& sha256) {
  std::lock_guard lock(mu_);
  if (known_inputs_.count(sha256)) return true;
  auto rows = Select("SELECT count() FROM inputs WHERE sha256 = " + Quote(sha256));
  if (!rows.ok()) return rows.status();
  bool known = !rows->empty() && ToInt((*rows)[0][0]) > 0;
  if (known) known_inputs_.insert(sha256);
  return known;
}

Status ClickHouseStore::AppendSeries(const std::vector<const SeriesBatch*>& batches, std::string& rows) {
  // One version per call: within it, a later point for the same key must still win, so equal keys get
  // increasing versions by position.
  for (const SeriesBatch* batch : batches) {
    VIGIL_RETURN_IF_ERROR(KnownDatasource(batch->datasource).status());
    for (const SeriesPoint& p : batch->points) {
      VIGIL_RETURN_IF_ERROR(rules::CheckPoint(batch->datasource, p));
      TsvRow().Add(batch->datasource).Add(p.entity_id).Add(p.t).Add(p.value).Add(NextVersion()).EndTo(rows);
    }
  }
  return Status::Ok();
}

Status ClickHouseStore::WriteSeries(const std::vector<SeriesBatch>& batches) {
  std::lock_guard lock(mu_);
  std::vector<const SeriesBatch*> all;
  for (const SeriesBatch& b : batches) all.push_back(&b);
  std::string rows;
  VIGIL_RETURN_IF_ERROR(AppendSeries(all, rows));
  return Insert("series (datasource, entity_id, t, value, version)", rows);
}

Result<std::vector<bool>> ClickHouseStore::CommitGroupLocked(const std::vector<const IngestCommit*>& commits) {
  std::vector<bool> fresh(commits.size(), false);
  // Which of the group's inputs are stored already, 2000 per query (the server parses at most 256 KiB).
  std::vector<std::string> unknown;
  for (const IngestCommit* c : commits) {
    if (c->input.sha256.empty()) return Status::InvalidArgument("store: input " + c->input.name + " has no sha256");
    if (!known_inputs_.count(c->input.sha256)) unknown.push_back(Quote(c->input.sha256));
  }
  for (size_t i = 0; i < unknown.size(); i += 2000) {
    std::string list;
    for (size_t k = i; k < std::min(unknown.size(), i + 2000); ++k) list += (k > i ? "," : "") + unknown[k];
    auto rows = Select("SELECT DISTINCT sha256 FROM inputs WHERE sha256 IN (" + list + ")");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) known_inputs_.insert(r[0]);
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < commits.size(); ++i) {
    const std::string& sha = commits[i]->input.sha256;
    fresh[i] = !known_inputs_.count(sha) && seen.insert(sha).second;
  }
  // Validate and serialize everything before the first insert, so a bad input writes nothing.
  std::string series, state, inputs;
  UnixSeconds now = static_cast<UnixSeconds>(std::time(nullptr));
  for (size_t i = 0; i < commits.size(); ++i) {
    if (!fresh[i]) continue;
    const IngestCommit& c = *commits[i];
    std::vector<const SeriesBatch*> batches;
    for (const SeriesBatch& b : c.series) batches.push_back(&b);
    Status st = AppendSeries(batches, series);
    if (!st.ok()) return st.WithContext("input " + c.input.name);
    for (const StateBlob& blob : c.state)
      TsvRow().Add(blob.key).Add(blob.bytes).Add(now).Add(NextVersion()).EndTo(state);
    const InputRecord& in = c.input;
    TsvRow()
        .Add(in.sha256)
        .Add(in.name)
        .Add(in.kind)
        .Add(in.collector)
        .Add(in.records)
        .Add(in.first_t)
        .Add(in.last_t)
        .Add(in.ingested_at ? in.ingested_at : now)
        .EndTo(inputs);
  }
  VIGIL_RETURN_IF_ERROR(Insert("series (datasource, entity_id, t, value, version)", series));
  VIGIL_RETURN_IF_ERROR(Insert("state (key, bytes, updated_at, version)", state));
  // Last: the inputs rows mark the inputs done.
  VIGIL_RETURN_IF_ERROR(
      Insert("inputs (sha256, name, kind, collector, records, first_t, last_t, ingested_at)", inputs));
  for (size_t i = 0; i < commits.size(); ++i) {
    if (fresh[i]) known_inputs_.insert(commits[i]->input.sha256);
  }
  return fresh;
}

Result<std::vector<bool>> ClickHouseStore::CommitInputs(const std::vector<const IngestCommit*>& commits) {
  std::lock_guard lock(mu_);
  return CommitGroupLocked(commits);
}

Result<std::vector<InputRecord>> ClickHouseStore::ListInputs(UnixSeconds from, UnixSeconds until) {
  std::lock_guard lock(mu_);
  auto rows = Select(
      "SELECT sha256, name, kind, collector, records, first_t, last_t, ingested_at FROM inputs FINAL "
      "WHERE last_t >= " +
      std::to_string(from) + " AND first_t < " + std::to_string(UpperBound(until)) + " ORDER BY first_t, name");
  if (!rows.ok()) return rows.status();
  std::vector<InputRecord> out;
  for (const auto& r : *rows) {
    out.push_back({r[0], r[1], r[2], r[3], ToInt(r[4]), ToInt(r[5]), ToInt(r[6]), ToInt(r[7])});
  }
  return out;
}

Status ClickHouseStore::PutState(const StateBlob& blob) {
  std::string row;
  TsvRow()
      .Add(blob.key)
      .Add(blob.bytes)
      .Add(static_cast<UnixSeconds>(std::time(nullptr)))
      .Add(NextVersion())
      .EndTo(row);
  return Insert("state (key, bytes, updated_at, version)", row);
}

Result<std::optional<std::string>> ClickHouseStore::GetState(const std::string& key) {
  std::lock_guard lock(mu_);
  auto rows = Select("SELECT argMax(bytes, version), count() FROM state WHERE key = " + Quote(key));
  if (!rows.ok()) return rows.status();
  if (rows->empty() || ToInt((*rows)[0][1]) == 0) return std::optional<std::string>();
  return std::optional<std::string>((*rows)[0][0]);
}

std::string PointsQuery(const std::string& datasource, int64_t entity_id, UnixSeconds from, UnixSeconds until) {
  return "SELECT t, argMax(value, version) AS v FROM series WHERE datasource = " + Quote(datasource) +
         " AND entity_id = " + std::to_string(entity_id) + " AND t >= " + std::to_string(from) + " AND t < " +
         std::to_string(until) + " GROUP BY t";
}

Result<std::vector<SeriesPoint>> ClickHouseStore::ReadSeries(const std::string& datasource, int64_t entity_id,
                                                             UnixSeconds from, UnixSeconds until) {
  std::lock_guard lock(mu_);
  VIGIL_RETURN_IF_ERROR(KnownDatasource(datasource).status());
  auto rows = Select(PointsQuery(datasource, entity_id, from, UpperBound(until)) + " ORDER BY t");
  if (!rows.ok()) return rows.status();
  std::vector<SeriesPoint> out;
  for (const auto& r : *rows) out.push_back({entity_id, ToInt(r[0]), ToDouble(r[1])});
  return out;
}

Result<AggregatedSeries> ClickHouseStore::ReadAggregatedLocked(const std::string& datasource, int64_t entity_id,
                                                               UnixSeconds from, UnixSeconds until, int64_t step_s) {
  Result<int64_t> bucket_count = rules::AggregateBuckets(from, until, step_s);
  if (!bucket_count.ok()) return bucket_count.status();
  const int64_t buckets = *bucket_count;
  Result<int64_t> native = NativeStep(datasource);
  if (!native.ok()) return native.status();
  AggregatedSeries out = rules::EmptyAggregate(datasource, entity_id, from, until, step_s, *native, buckets);
  // Averages per bucket computed by the server; only one row per non-empty bucket comes back.
  auto rows = Select("SELECT intDiv(t - " + std::to_string(from) + ", " + std::to_string(step_s) +
                     ") AS bucket, avg(v) FROM (" + PointsQuery(datasource, entity_id, from, until) +
                     ") GROUP BY bucket ORDER BY bucket");
  if (!rows.ok()) return rows.status();
  for (const auto& r : *rows) {
    int64_t b = ToInt(r[0]);
    if (b >= 0 && b < buckets) out.values[static_cast<size_t>(b)] = ToDouble(r[1]);
  }
  return out;
}

Result<AggregatedSeries> ClickHouseStore::ReadAggregated(const std::string& datasource, int64_t entity_id,
                                                         UnixSeconds from, UnixSeconds until, int64_t step_s) {
  std::lock_guard lock(mu_);
  return ReadAggregatedLocked(datasource, entity_id, from, until, step_s);
}

Result<std::vector<int64_t>> ClickHouseStore::EntitiesWithSeries(const std::string& datasource) {
  std::lock_guard lock(mu_);
  VIGIL_RETURN_IF_ERROR(KnownDatasource(datasource).status());
  auto rows =
      Select("SELECT DISTINCT entity_id FROM series WHERE datasource = " + Quote(datasource) + " ORDER BY entity_id");
  if (!rows.ok()) return rows.status();
  std::vector<int64_t> out;
  for (const auto& r : *rows) out.push_back(ToInt(r[0]));
  return out;
}

Result<std::optional<std::pair<UnixSeconds, UnixSeconds>>> ClickHouseStore::SeriesSpan(const std::string& datasource) {
  std::lock_guard lock(mu_);
  VIGIL_RETURN_IF_ERROR(KnownDatasource(datasource).status());
  auto rows = Select("SELECT min(t), max(t), count() FROM series WHERE datasource = " + Quote(datasource));
  if (!rows.ok()) return rows.status();
  if (rows->empty() || ToInt((*rows)[0][2]) == 0) return std::optional<std::pair<UnixSeconds, UnixSeconds>>();
  return std::optional<std::pair<UnixSeconds, UnixSeconds>>(std::make_pair(ToInt((*rows)[0][0]), ToInt((*rows)[0][1])));
}

// ----- detection ----------------------------------------------------------------------------------------

Result<uint64_t> ClickHouseStore::CurrentGeneration(int64_t* last_alert, int64_t* last_event, int64_t* last_schedule) {
  auto rows = Select(
      "SELECT generation, last_alert_id, last_event_id, last_schedule_id FROM detection_generation "
      "ORDER BY generation DESC LIMIT 1");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    *last_alert = *last_event = *last_schedule = 0;
    return uint64_t{0};
  }
  *last_alert = ToInt((*rows)[0][1]);
  *last_event = ToInt((*rows)[0][2]);
  *last_schedule = ToInt((*rows)[0][3]);
  return static_cast<uint64_t>(std::strtoull((*rows)[0][0].c_str(), nullptr, 10));
}

constexpr const char* kEventColumns =
    "id, entity_id, kind, start_t, end_t, score, datasources, classification, schedule_id, depth, coverage, detail";

// TabSeparated rows of the schedules in detection generation `generation`; a schedule without an id gets the
// next one after `last_id`, which ends as the largest id written.
std::string ScheduleRows(uint64_t generation, std::vector<Schedule>& schedules, int64_t& last_id) {
  std::string rows;
  for (Schedule& s : schedules) {
    if (s.id <= 0) s.id = ++last_id;
    last_id = std::max(last_id, s.id);
    TsvRow()
        .Add(generation)
        .Add(s.id)
        .Add(s.entity_id)
        .Add(s.tz)
        .Add(s.on_start_min)
        .Add(s.on_end_min)
        .Add(s.first_day)
        .Add(s.last_day)
        .Add(s.confidence)
        .EndTo(rows);
  }
  return rows;
}

// TabSeparated rows of the alerts in generation `generation`, numbered on from `last_id`.
std::string AlertRows(uint64_t generation, std::vector<Alert>& alerts, int64_t& last_id) {
  std::string rows;
  for (Alert& a : alerts) {
    a.id = ++last_id;
    TsvRow()
        .Add(generation)
        .Add(a.id)
        .Add(a.datasource)
        .Add(a.entity_id)
        .Add(a.t)
        .Add(std::string(AlertLevelName(a.level)))
        .Add(a.condition)
        .Add(a.value)
        .Add(a.baseline)
        .Add(a.method)
        .EndTo(rows);
  }
  return rows;
}

// TabSeparated rows of the events in generation `generation`, numbered on from `last_id`.
std::string EventRows(uint64_t generation, std::vector<Event>& events, int64_t& last_id) {
  std::string rows;
  for (Event& e : events) {
    e.id = ++last_id;
    TsvRow()
        .Add(generation)
        .Add(e.id)
        .Add(e.entity_id)
        .Add(e.kind)
        .Add(e.start_t)
        .Add(e.end_t)
        .Add(e.score)
        .Add(e.datasources)
        .Add(e.classification)
        .Add(e.schedule_id)
        .Add(e.depth)
        .Add(e.coverage)
        .Add(e.detail)
        .EndTo(rows);
  }
  return rows;
}

Status ClickHouseStore::ReplaceDetection(UnixSeconds from_t, std::vector<Alert>& alerts, std::vector<Event>& events,
                                         std::vector<Schedule>& schedules) {
  std::lock_guard lock(mu_);
  int64_t last_alert = 0, last_event = 0, last_schedule = 0;
  Result<uint64_t> gen = CurrentGeneration(&last_alert, &last_event, &last_schedule);
  if (!gen.ok()) return gen.status();
  const uint64_t next = *gen + 1;

  Result<std::set<int64_t>> kept_ids = rules::KeptScheduleIds(schedules);
  if (!kept_ids.ok()) return kept_ids.status();
  const std::set<int64_t>& kept = *kept_ids;
  // Serialize the new generation fully before writing anything.
  std::vector<Schedule> out_schedules = schedules;
  const std::string schedule_rows = ScheduleRows(next, out_schedules, last_schedule);
  std::vector<Alert> out_alerts = alerts;
  const std::string alert_rows = AlertRows(next, out_alerts, last_alert);
  std::vector<Event> out_events = events;
  VIGIL_RETURN_IF_ERROR(rules::ResolveScheduleIds(out_events, out_schedules, kept));
  const std::string event_rows = EventRows(next, out_events, last_event);

  VIGIL_RETURN_IF_ERROR(CopyKeptDetection(*gen, next, from_t, kept));
  VIGIL_RETURN_IF_ERROR(Insert("schedules", schedule_rows));
  VIGIL_RETURN_IF_ERROR(Insert("alerts", alert_rows));
  VIGIL_RETURN_IF_ERROR(Insert("events", event_rows));
  std::string pointer;
  TsvRow()
      .Add(next)
      .Add(last_alert)
      .Add(last_event)
      .Add(last_schedule)
      .Add(static_cast<int64_t>(std::time(nullptr)))
      .EndTo(pointer);
  VIGIL_RETURN_IF_ERROR(Insert("detection_generation", pointer));
  DropGenerationsBefore(next);
  alerts = std::move(out_alerts);
  events = std::move(out_events);
  schedules = std::move(out_schedules);
  return Status::Ok();
}

// Kept rows of generation `from` (alerts and events before from_t; of the schedules, those whose ids are
// kept) are copied into generation `to` by the server.
Status ClickHouseStore::CopyKeptDetection(uint64_t from, uint64_t to, UnixSeconds from_t,
                                          const std::set<int64_t>& kept) {
  const std::string g = std::to_string(from), n = std::to_string(to);
  std::string kept_list = IdList(std::vector<int64_t>(kept.begin(), kept.end()));
  VIGIL_RETURN_IF_ERROR(Run("INSERT INTO alerts SELECT " + n +
                            ", id, datasource, entity_id, t, level, condition, value, baseline, method FROM alerts "
                            "WHERE generation = " +
                            g + " AND t < " + std::to_string(from_t))
                            .status());
  return Run("INSERT INTO events SELECT " + n +
             ", id, entity_id, kind, start_t, end_t, score, datasources, "
             "classification, " +
             (kept.empty() ? std::string("0") : "if(has([" + kept_list + "], schedule_id), schedule_id, 0)") +
             ", depth, coverage, detail FROM events WHERE generation = " + g + " AND start_t < " +
             std::to_string(from_t))
      .status();
}

// Older generations are garbage once `generation` is current; the server drops them in the background.
void ClickHouseStore::DropGenerationsBefore(uint64_t generation) {
  const std::string n = std::to_string(generation);
  for (const char* table : {"alerts", "events", "schedules"}) {
    if (!distributed_) {
      (void)Run(std::string("ALTER TABLE ") + table + " DELETE WHERE generation < " + n);
      continue;
    }
    for (const std::string& host : hosts_) {  // mutations run on the shards' local tables
      (void)Run(std::string("ALTER TABLE ") + table + "_local DELETE WHERE generation < " + n, nullptr, true, &host);
    }
  }
}

Result<std::vector<Alert>> ClickHouseStore::ListAlerts(const TimeFilter& f) {
  std::lock_guard lock(mu_);
  int64_t a, e, s;
  Result<uint64_t> gen = CurrentGeneration(&a, &e, &s);
  if (!gen.ok()) return gen.status();
  std::string where = "generation = " + std::to_string(*gen) + " AND t >= " + std::to_string(f.from) + " AND t < " +
                      std::to_string(UpperBound(f.until));
  if (f.datasource) where += " AND datasource = " + Quote(*f.datasource);
  if (!f.entity_ids.empty()) where += " AND entity_id IN (" + IdList(f.entity_ids) + ")";
  auto rows =
      Select("SELECT id, datasource, entity_id, t, level, condition, value, baseline, method FROM alerts WHERE " +
             where + " ORDER BY t, entity_id, datasource, id" + LimitClause(f.limit, f.offset));
  if (!rows.ok()) return rows.status();
  std::vector<Alert> out;
  for (const auto& r : *rows) {
    out.push_back({ToInt(r[0]), r[1], ToInt(r[2]), ToInt(r[3]), AlertLevelFromName(r[4]), r[5], ToDouble(r[6]),
                   ToDouble(r[7]), r[8]});
  }
  return out;
}

Result<std::vector<Event>> ClickHouseStore::ReadEvents(const std::string& where_and_order) {
  int64_t a, e, s;
  Result<uint64_t> gen = CurrentGeneration(&a, &e, &s);
  if (!gen.ok()) return gen.status();
  auto rows = Select(std::string("SELECT ") + kEventColumns +
                     " FROM events WHERE generation = " + std::to_string(*gen) + " AND " + where_and_order);
  if (!rows.ok()) return rows.status();
  std::vector<Event> out;
  for (const auto& r : *rows) {
    out.push_back({ToInt(r[0]), ToInt(r[1]), r[2], ToInt(r[3]), ToInt(r[4]), ToDouble(r[5]), r[6], r[7], ToInt(r[8]),
                   ToDouble(r[9]), r[10], r[11]});
  }
  return out;
}

Result<std::vector<Event>> ClickHouseStore::ListEvents(const TimeFilter& f) {
  std::lock_guard lock(mu_);
  std::string where =
      "start_t < " + std::to_string(UpperBound(f.until)) + " AND (end_t = 0 OR end_t > " + std::to_string(f.from) + ")";
  if (f.datasource) where += " AND has(splitByChar(',', datasources), " + Quote(*f.datasource) + ")";
  if (!f.entity_ids.empty()) where += " AND entity_id IN (" + IdList(f.entity_ids) + ")";
  return ReadEvents(where + " ORDER BY start_t, entity_id, id" + LimitClause(f.limit, f.offset));
}

Result<std::optional<Event>> ClickHouseStore::EventById(int64_t id) {
  std::lock_guard lock(mu_);
  auto rows = ReadEvents("id = " + std::to_string(id));
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Event>();
  return std::optional<Event>(rows->front());
}

Result<std::vector<Schedule>> ClickHouseStore::ListSchedules(const std::vector<int64_t>& entity_ids) {
  std::lock_guard lock(mu_);
  int64_t a, e, s;
  Result<uint64_t> gen = CurrentGeneration(&a, &e, &s);
  if (!gen.ok()) return gen.status();
  std::string where = "generation = " + std::to_string(*gen);
  if (!entity_ids.empty()) where += " AND entity_id IN (" + IdList(entity_ids) + ")";
  auto rows = Select(
      "SELECT id, entity_id, tz, on_start_min, on_end_min, first_day, last_day, confidence FROM schedules "
      "WHERE " +
      where + " ORDER BY entity_id, first_day, id");
  if (!rows.ok()) return rows.status();
  std::vector<Schedule> out;
  for (const auto& r : *rows) {
    out.push_back({ToInt(r[0]), ToInt(r[1]), r[2], static_cast<int>(ToInt(r[3])), static_cast<int>(ToInt(r[4])), r[5],
                   r[6], ToDouble(r[7])});
  }
  return out;
}

// ----- annotations --------------------------------------------------------------------------------------

Result<int64_t> ClickHouseStore::AddAnnotation(const Annotation& a) {
  std::lock_guard lock(mu_);
  VIGIL_RETURN_IF_ERROR(rules::CheckAnnotation(a));
  auto entity = ReadEntityWhere("id = " + std::to_string(a.entity_id));
  if (!entity.ok()) return entity.status();
  if (!entity->has_value())
    return Status::NotFound("store: annotation for unknown entity " + std::to_string(a.entity_id));
  auto rows = Select("SELECT max(id) FROM annotations");
  if (!rows.ok()) return rows.status();
  int64_t id = (rows->empty() ? 0 : ToInt((*rows)[0][0])) + 1;
  std::string row;
  TsvRow()
      .Add(id)
      .Add(a.entity_id)
      .Add(a.start_t)
      .Add(a.end_t)
      .Add(a.kind)
      .Add(a.text)
      .Add(a.source_url)
      .Add(0)
      .Add(NextVersion())
      .Add(a.detail)
      .EndTo(row);
  VIGIL_RETURN_IF_ERROR(
      Insert("annotations (id, entity_id, start_t, end_t, kind, text, source_url, deleted, version, detail)", row));
  return id;
}

Status ClickHouseStore::DeleteAnnotation(int64_t id) {
  std::lock_guard lock(mu_);
  auto rows = Select(
      "SELECT entity_id, start_t, end_t, kind, text, source_url, deleted, version, detail FROM annotations FINAL "
      "WHERE id = " +
      std::to_string(id) + " AND deleted = 0");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("store: no annotation with id " + std::to_string(id));
  const auto& r = (*rows)[0];
  std::string row;  // a tombstone: the newest version says deleted
  TsvRow()
      .Add(id)
      .Add(ToInt(r[0]))
      .Add(ToInt(r[1]))
      .Add(ToInt(r[2]))
      .Add(r[3])
      .Add(r[4])
      .Add(r[5])
      .Add(1)
      .Add(NextVersion())
      .Add(r[8])
      .EndTo(row);
  return Insert("annotations (id, entity_id, start_t, end_t, kind, text, source_url, deleted, version, detail)", row);
}

Result<std::vector<Annotation>> ClickHouseStore::ListAnnotations(const TimeFilter& f) {
  std::lock_guard lock(mu_);
  std::string where = "deleted = 0 AND start_t < " + std::to_string(UpperBound(f.until)) +
                      " AND (end_t = 0 OR end_t > " + std::to_string(f.from) + ")";
  if (!f.entity_ids.empty()) where += " AND entity_id IN (" + IdList(f.entity_ids) + ")";
  auto rows = Select(
      "SELECT id, entity_id, start_t, end_t, kind, text, source_url, deleted, version, detail FROM annotations FINAL "
      "WHERE " +
      where + " ORDER BY start_t, entity_id, id" + LimitClause(f.limit, f.offset));
  if (!rows.ok()) return rows.status();
  std::vector<Annotation> out;
  for (const auto& r : *rows) {
    out.push_back({ToInt(r[0]), ToInt(r[1]), ToInt(r[2]), ToInt(r[3]), r[4], r[5], r[6], r[9]});
  }
  return out;
}

Result<StoreInfo> ClickHouseStore::Describe() {
  std::lock_guard lock(mu_);
  StoreInfo info;
  info.backend = "clickhouse";
  info.location = uri_;
  auto v = Select("SELECT max(version) FROM schema_version");
  if (!v.ok()) return v.status();
  info.schema_version = v->empty() ? 0 : ToInt((*v)[0][0]);
  int64_t a, e, s;
  Result<uint64_t> gen = CurrentGeneration(&a, &e, &s);
  if (!gen.ok()) return gen.status();
  const std::string g = std::to_string(*gen);
  // Table names are constants, not input. Replacing tables are counted after merging versions.
  const std::pair<const char*, std::string> counts[] = {
      {"entities", "SELECT count() FROM (SELECT type, code, version FROM entities FINAL)"},
      {"datasources", "SELECT count() FROM (SELECT name, version FROM datasources FINAL)"},
      {"series", "SELECT count() FROM (SELECT 1 FROM series GROUP BY datasource, entity_id, t)"},
      {"inputs", "SELECT count() FROM (SELECT sha256 FROM inputs FINAL)"},
      {"state", "SELECT count() FROM (SELECT key, version FROM state FINAL)"},
      {"alerts", "SELECT count() FROM alerts WHERE generation = " + g},
      {"events", "SELECT count() FROM events WHERE generation = " + g},
      {"schedules", "SELECT count() FROM schedules WHERE generation = " + g},
      {"annotations", "SELECT count() FROM (SELECT id, deleted, version FROM annotations FINAL) WHERE deleted = 0"},
  };
  for (const auto& [table, sql] : counts) {
    auto rows = Select(sql);
    if (!rows.ok()) return rows.status();
    info.table_rows.emplace_back(table, rows->empty() ? 0 : ToInt((*rows)[0][0]));
  }
  auto ds = Select(
      "SELECT d.name, d.step_s, d.description, s.points, s.entities, s.first_t, s.last_t FROM "
      "(SELECT name, step_s, description, version FROM datasources FINAL) AS d ANY LEFT JOIN "
      "(SELECT datasource AS name, count() AS points, uniqExact(entity_id) AS entities, min(t) AS first_t, "
      "max(t) AS last_t FROM (SELECT datasource, entity_id, t FROM series GROUP BY datasource, entity_id, t) "
      "GROUP BY datasource) AS s USING name ORDER BY d.name");
  if (!ds.ok()) return ds.status();
  for (const auto& r : *ds) {
    StoreInfo::DatasourceSpan span;
    span.datasource = {r[0], ToInt(r[1]), r[2]};
    span.points = ToInt(r[3]);
    span.entities = ToInt(r[4]);
    span.first_t = span.points ? ToInt(r[5]) : 0;
    span.last_t = span.points ? ToInt(r[6]) : 0;
    info.datasources.push_back(std::move(span));
  }
  return info;
}

}  // namespace

// A store for the URI, not yet connected.
Result<std::unique_ptr<ClickHouseStore>> MakeClickHouseStore(const std::string& uri) {
  // clickhouse://host:port[,host:port...]/db[?cluster=NAME]
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string prefix = "clickhouse://";
  std::string rest = uri.substr(prefix.size());
  std::string cluster;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    std::string query = rest.substr(q + 1);
    rest.resize(q);
    if (query.rfind("cluster=", 0) != 0 || query.size() == 8) {
      return Status::InvalidArgument("store " + uri + ": the only option is ?cluster=NAME");
    }
    cluster = query.substr(8);
    for (char c : cluster) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return Status::InvalidArgument("store " + uri + ": cluster name may hold letters, digits and '_' only");
      }
    }
  }
  size_t slash = rest.find('/');
  std::string host_list = rest.substr(0, slash);
  std::string database = slash == std::string::npos ? "vigil" : rest.substr(slash + 1);
  if (host_list.empty()) return Status::InvalidArgument("store " + uri + ": expected clickhouse://host:port/db");
  if (database.empty()) database = "vigil";
  for (char c : database) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return Status::InvalidArgument("store " + uri + ": database name may hold letters, digits and '_' only");
    }
  }
  std::vector<std::string> hosts;
  for (size_t start = 0; start <= host_list.size();) {
    size_t comma = host_list.find(',', start);
    std::string host_port = host_list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (host_port.empty()) return Status::InvalidArgument("store " + uri + ": empty host in the host list");
    if (host_port.find(':') == std::string::npos) host_port += ":8123";
    hosts.push_back("http://" + host_port);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return std::make_unique<ClickHouseStore>(std::move(hosts), database, uri, cluster);
}

Result<std::unique_ptr<Store>> OpenClickHouseStore(const std::string& uri) {
  auto store = MakeClickHouseStore(uri);
  if (!store.ok()) return store.status();
  VIGIL_RETURN_IF_ERROR((*store)->Initialize());
  return std::unique_ptr<Store>(std::move(store).value());
}

Result<std::unique_ptr<Store>> OpenExistingClickHouseStore(const std::string& uri) {
  auto store = MakeClickHouseStore(uri);
  if (!store.ok()) return store.status();
  VIGIL_RETURN_IF_ERROR((*store)->RequireDatabase());
  VIGIL_RETURN_IF_ERROR((*store)->Initialize());
  return std::unique_ptr<Store>(std::move(store).value());
}

}  // namespace vigil::store
