// SPDX-License-Identifier: AGPL-3.0-or-later
#include "store/store.h"

#include <filesystem>

#include "store/clickhouse_store.h"
#include "store/sqlite_store.h"

namespace vigil::store {

const char* AlertLevelName(AlertLevel level) {
  switch (level) {
    case AlertLevel::kNormal:
      return "normal";
    case AlertLevel::kWarning:
      return "warning";
    case AlertLevel::kCritical:
      return "critical";
  }
  return "normal";
}

AlertLevel AlertLevelFromName(std::string_view name) {
  for (AlertLevel level : {AlertLevel::kWarning, AlertLevel::kCritical}) {
    if (name == AlertLevelName(level)) return level;
  }
  return AlertLevel::kNormal;
}

Result<int64_t> Store::UpsertEntity(const Entity& entity) {
  std::vector<Entity> one = {entity};
  VIGIL_RETURN_IF_ERROR(UpsertEntities(one));
  return one.front().id;
}

Status Store::CommitIngest(const IngestCommit& commit) { return CommitInputs({&commit}).status(); }

Result<bool> Store::TryCommitIngest(const IngestCommit& commit) {
  Result<std::vector<bool>> done = CommitInputs({&commit});
  if (!done.ok()) return done.status();
  return static_cast<bool>(done->front());
}

Result<std::vector<bool>> Store::TryCommitIngestGroup(const std::vector<IngestCommit>& commits) {
  std::vector<const IngestCommit*> all;
  all.reserve(commits.size());
  for (const IngestCommit& c : commits) all.push_back(&c);
  return CommitInputs(all);
}

Result<std::vector<AggregatedSeries>> Store::ReadAggregatedMany(const std::string& datasource,
                                                                const std::vector<int64_t>& entity_ids,
                                                                UnixSeconds from, UnixSeconds until, int64_t step_s) {
  std::vector<AggregatedSeries> out;
  out.reserve(entity_ids.size());
  for (int64_t id : entity_ids) {
    Result<AggregatedSeries> one = ReadAggregated(datasource, id, from, until, step_s);
    if (!one.ok()) return one.status();
    out.push_back(std::move(one).value());
  }
  return out;
}

int64_t StepForMaxPoints(UnixSeconds from, UnixSeconds until, int64_t native_step_s, int64_t max_points) {
  if (native_step_s <= 0) native_step_s = 1;
  if (max_points <= 0 || until <= from) return native_step_s;
  const int64_t span = until - from;
  auto fits = [&](int64_t step) { return (span + step - 1) / step <= max_points; };
  static constexpr int64_t kLadder[] = {60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
  if (fits(native_step_s)) return native_step_s;
  for (int64_t step : kLadder) {
    if (step > native_step_s && step % native_step_s == 0 && fits(step)) return step;
  }
  // Beyond a day: whole weeks (a multiple of every native step that divides a day).
  constexpr int64_t kWeek = 7 * 86400;
  int64_t weeks = (span + kWeek * max_points - 1) / (kWeek * max_points);
  int64_t step = weeks * kWeek;
  if (step % native_step_s != 0) step = ((step + native_step_s - 1) / native_step_s) * native_step_s;
  return step;
}

namespace {

constexpr const char* kClickHouseScheme = "clickhouse://";

// The SQLite file a store URI names, or why it names none.
Result<std::string> SqlitePath(const std::string& uri) {
  std::string path = uri;
  if (uri.rfind("sqlite:", 0) == 0) {
    path = uri.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://relative or sqlite:///absolute
  } else if (uri.find("://") != std::string::npos) {
    return Status::InvalidArgument("store " + uri +
                                   ": unknown scheme (use a file path, sqlite:PATH or clickhouse://host:port/db)");
  }
  if (path.empty()) return Status::InvalidArgument("store URI '" + uri + "': empty path");
  return path;
}

// The folder a new SQLite file goes in, created when missing.
Status CreateParentFolder(const std::string& path) {
  if (path == ":memory:") return Status::Ok();
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return Status::IOError("store " + path + ": cannot create folder " + parent.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& uri) {
  if (uri.rfind(kClickHouseScheme, 0) == 0) return OpenClickHouseStore(uri);
  Result<std::string> path = SqlitePath(uri);
  if (!path.ok()) return path.status();
  VIGIL_RETURN_IF_ERROR(CreateParentFolder(*path));
  return OpenSqliteStore(*path);
}

Result<std::unique_ptr<Store>> OpenExistingStore(const std::string& uri) {
  if (uri.rfind(kClickHouseScheme, 0) == 0) return OpenExistingClickHouseStore(uri);
  Result<std::string> path = SqlitePath(uri);
  if (!path.ok()) return path.status();
  std::error_code ec;
  if (*path != ":memory:" && !std::filesystem::exists(*path, ec)) {
    return Status::NotFound("store " + uri + " does not exist (create it with `vigil store init --store " + uri +
                            "` or an ingest command)");
  }
  return OpenSqliteStore(*path);
}

Result<std::unique_ptr<WebhookStore>> OpenWebhookStore(const std::string& uri) {
  if (uri.rfind(kClickHouseScheme, 0) == 0) {
    return Status::NotSupported("store " + uri + ": webhooks need a SQLite store; ClickHouse keeps none");
  }
  Result<std::string> path = SqlitePath(uri);
  if (!path.ok()) return path.status();
  VIGIL_RETURN_IF_ERROR(CreateParentFolder(*path));
  return OpenSqliteWebhookStore(*path);
}

}  // namespace vigil::store
