// SPDX-License-Identifier: AGPL-3.0-or-later
// Store benchmark on 5-minute series: write throughput and aggregated-read latency, each next to a baseline
// measured in the same run on the same machine.
//  - writes: a bare sqlite3 loop inserting every point into the same table layout in ONE transaction (the
//    ceiling), against the store's ingest as signals use it: one input (a 5-minute file: one point per
//    entity) per transaction, and groups of inputs per transaction (TryCommitIngestGroup: 1 hour, 1 day).
//  - reads: ReadAggregated (average per bucket in SQL) against ReadSeries + averaging in C++, over 30 days.
// Usage: store_bench DIR [ENTITIES] [DAYS] [SINGLE_DAYS]
// Throughput is given per wall second and per CPU second of this process (on a shared machine the wall
// figure mostly measures the other tenants).
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kT0 = 1640995200;  // 2022-01-01
constexpr int64_t kStep = 300;

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Timer {
  Clock::time_point wall0 = Clock::now();
  double cpu0 = CpuNow();
  double Wall() const { return std::chrono::duration<double>(Clock::now() - wall0).count(); }
  double Cpu() const { return CpuNow() - cpu0; }
};

struct Rate {
  double points = 0, wall = 0, cpu = 0;
};

double Value(int64_t entity, int64_t bin) { return static_cast<double>((entity * 7919 + bin * 104729) % 100000); }

int Fail(const std::string& what) {
  std::fprintf(stderr, "store_bench: %s\n", what.c_str());
  return 1;
}

// Every point in one transaction with a bare prepared INSERT, bins in time order (as a signal emits them).
Rate BareSqlite(const std::string& path, int64_t entities, int64_t bins) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;"
               "CREATE TABLE series(datasource_id INTEGER, entity_id INTEGER, t INTEGER, value REAL,"
               " PRIMARY KEY(datasource_id, entity_id, t)) WITHOUT ROWID",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO series VALUES (1, ?1, ?2, ?3)", -1, &stmt, nullptr);
  Timer timer;
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (int64_t b = 0; b < bins; ++b) {
    for (int64_t e = 1; e <= entities; ++e) {
      sqlite3_bind_int64(stmt, 1, e);
      sqlite3_bind_int64(stmt, 2, kT0 + b * kStep);
      sqlite3_bind_double(stmt, 3, Value(e, b));
      sqlite3_step(stmt);
      sqlite3_reset(stmt);
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  Rate r{static_cast<double>(entities * bins), timer.Wall(), timer.Cpu()};
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return r;
}

// The store fed as signals feed it: one input per 5-minute bin (a point per entity), `group` inputs per
// transaction. Only the store call is timed, not building the inputs.
vigil::Result<Rate> StoreIngest(vigil::store::Store& store, const std::vector<int64_t>& ids, int64_t bins,
                                int64_t group) {
  Rate r;
  for (int64_t b0 = 0; b0 < bins; b0 += group) {
    std::vector<vigil::store::IngestCommit> commits;
    for (int64_t b = b0; b < std::min(bins, b0 + group); ++b) {
      vigil::store::IngestCommit c;
      c.input = {"sha-" + std::to_string(b),
                 "updates." + std::to_string(b),
                 "mrt-updates",
                 "bench",
                 1,
                 kT0 + b * kStep,
                 kT0 + b * kStep,
                 0};
      vigil::store::SeriesBatch batch{"bgp", {}};
      batch.points.reserve(ids.size());
      for (int64_t id : ids) batch.points.push_back({id, kT0 + b * kStep, Value(id, b)});
      c.series.push_back(std::move(batch));
      c.state.push_back({"bgp/bench", std::string(1024, 'x')});
      commits.push_back(std::move(c));
    }
    Timer timer;
    auto done = store.TryCommitIngestGroup(commits);
    r.wall += timer.Wall();
    r.cpu += timer.Cpu();
    if (!done.ok()) return done.status();
    r.points += static_cast<double>(ids.size() * commits.size());
  }
  return r;
}

vigil::Result<std::unique_ptr<vigil::store::Store>> FreshStore(const std::string& path, int64_t entities,
                                                               std::vector<int64_t>* ids) {
  auto opened = vigil::store::OpenStore(path);
  if (!opened.ok()) return opened.status();
  VIGIL_RETURN_IF_ERROR((*opened)->RegisterDatasource({"bgp", kStep, ""}));
  std::vector<vigil::store::Entity> list;
  for (int64_t e = 1; e <= entities; ++e) list.push_back({0, "asn", std::to_string(e), "", 0, 0, ""});
  VIGIL_RETURN_IF_ERROR((*opened)->UpsertEntities(list));
  ids->clear();
  for (const auto& e : list) ids->push_back(e.id);
  return opened;
}

void Print(const char* label, const Rate& r, const Rate& base) {
  std::printf("%-44s %9.0f points/s wall %9.0f points/CPU-s   ratio to baseline: %.2f wall, %.2f CPU\n", label,
              r.points / r.wall, r.points / r.cpu, (r.points / r.wall) / (base.points / base.wall),
              (r.points / r.cpu) / (base.points / base.cpu));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Fail("usage: store_bench DIR [ENTITIES] [DAYS] [SINGLE_DAYS]");
  const std::filesystem::path dir = argv[1];
  const int64_t entities = argc > 2 ? std::atoll(argv[2]) : 300;
  const int64_t days = argc > 3 ? std::atoll(argv[3]) : 30;
  const int64_t single_days = argc > 4 ? std::atoll(argv[4]) : 2;  // one transaction per file is slow: fewer days
  const int64_t bins = days * 86400 / kStep;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::printf("%lld entities x %lld days of 5-minute bins = %lld points\n", static_cast<long long>(entities),
              static_cast<long long>(days), static_cast<long long>(entities * bins));

  Rate base = BareSqlite((dir / "baseline.db").string(), entities, bins);
  std::printf("%-44s %9.0f points/s wall %9.0f points/CPU-s\n", "baseline: bare sqlite3, one transaction",
              base.points / base.wall, base.points / base.cpu);

  std::vector<int64_t> ids;
  {
    auto store = FreshStore((dir / "single.db").string(), entities, &ids);
    if (!store.ok()) return Fail(store.message());
    auto r = StoreIngest(**store, ids, single_days * 86400 / kStep, 1);
    if (!r.ok()) return Fail(r.message());
    Print(("store: 1 input per transaction (" + std::to_string(single_days) + " d)").c_str(), *r, base);
  }
  {
    auto store = FreshStore((dir / "hour.db").string(), entities, &ids);
    if (!store.ok()) return Fail(store.message());
    auto r = StoreIngest(**store, ids, bins, 12);
    if (!r.ok()) return Fail(r.message());
    Print("store: 12 inputs (1 h) per transaction", *r, base);
  }
  auto day_store = FreshStore((dir / "day.db").string(), entities, &ids);
  if (!day_store.ok()) return Fail(day_store.message());
  vigil::store::Store& store = **day_store;
  {
    auto r = StoreIngest(store, ids, bins, 288);
    if (!r.ok()) return Fail(r.message());
    Print("store: 288 inputs (1 day) per transaction", *r, base);
  }

  // Reads: the whole span of one entity at 3600 s (720 buckets for 30 days), over many entities.
  const int64_t until = kT0 + bins * kStep;
  const int reads = static_cast<int>(std::min<int64_t>(entities, 100));
  double agg_s = 0, raw_s = 0, checksum_sql = 0, checksum_cpp = 0;
  for (int i = 0; i < reads; ++i) {
    int64_t id = ids[static_cast<size_t>(i)];
    Timer t1;
    auto agg = store.ReadAggregated("bgp", id, kT0, until, 3600);
    agg_s += t1.Wall();
    if (!agg.ok()) return Fail(agg.message());
    for (auto& v : agg->values) checksum_sql += v.value_or(0);
    Timer t2;
    auto raw = store.ReadSeries("bgp", id, kT0, until);
    if (!raw.ok()) return Fail(raw.message());
    std::vector<double> sum(agg->values.size(), 0);
    std::vector<int> count(agg->values.size(), 0);
    for (const auto& p : *raw) {
      size_t bucket = static_cast<size_t>((p.t - kT0) / 3600);
      sum[bucket] += p.value;
      ++count[bucket];
    }
    raw_s += t2.Wall();
    for (size_t k = 0; k < sum.size(); ++k) checksum_cpp += count[k] ? sum[k] / count[k] : 0;
  }
  if (std::abs(checksum_sql - checksum_cpp) > 1e-6 * std::abs(checksum_cpp)) return Fail("aggregation mismatch");
  std::printf("%-44s %9.2f ms per series\n", "baseline: ReadSeries + average in C++", 1000 * raw_s / reads);
  std::printf("%-44s %9.2f ms per series   ratio to baseline: %.2f\n",
              ("ReadAggregated " + std::to_string(days) + " d at 3600 s").c_str(), 1000 * agg_s / reads, agg_s / raw_s);
  double size = static_cast<double>(std::filesystem::file_size(dir / "day.db"));
  std::printf("store file after checkpoint: %.1f MiB, %.1f bytes per point\n", size / 1048576.0,
              size / static_cast<double>(entities * bins));
  std::filesystem::remove_all(dir);
  return 0;
}
