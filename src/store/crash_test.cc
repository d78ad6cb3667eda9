// SPDX-License-Identifier: AGPL-3.0-or-later
// Crash safety: a child process ingests many inputs and is killed with SIGKILL at varying moments; the store
// reopened afterwards must pass PRAGMA integrity_check, hold exactly the inputs committed before the kill
// (each fully in or fully out), and after the same ingest runs again hold exactly what an uninterrupted run
// writes. The expected contents come from an in-memory model of the same inputs, not from the store.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "store/store.h"

namespace vigil::store {
namespace {

constexpr int kInputs = 40;
constexpr int kEntities = 150;
constexpr int kBinsPerInput = 12;  // one hour of 5-minute bins per input, like an hour of update files
constexpr int64_t kT0 = 1641340800;

std::string Sha(int i) { return "sha-" + std::to_string(i); }

double Value(int input, int entity, int bin) { return input * 1000003.0 + entity * 31.0 + bin + 0.25; }

// Input i writes its own hour for every entity and rewrites the last bin of the previous hour (as a file
// that completes a bin started in the previous one): upserts across inputs are part of what is checked.
IngestCommit MakeInput(int i, const std::vector<int64_t>& entity_ids) {
  IngestCommit c;
  int first_bin = i * kBinsPerInput - (i > 0 ? 1 : 0);
  int last_bin = (i + 1) * kBinsPerInput - 1;
  c.input = {Sha(i),
             "updates." + std::to_string(i),
             "mrt-updates",
             "rrc00",
             last_bin - first_bin + 1,
             kT0 + first_bin * 300,
             kT0 + last_bin * 300,
             1};
  SeriesBatch batch{"bgp", {}};
  for (int e = 0; e < kEntities; ++e) {
    for (int b = first_bin; b <= last_bin; ++b) batch.points.push_back({entity_ids[e], kT0 + b * 300, Value(i, e, b)});
  }
  c.series.push_back(std::move(batch));
  c.state.push_back({"bgp/rrc00", "tables-after-" + std::to_string(i)});
  return c;
}

std::string FormatRow(int64_t entity_id, int64_t t, double value) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "bgp,%lld,%lld,%.17g\n", static_cast<long long>(entity_id), static_cast<long long>(t),
                value);
  return buf;
}

// The dump an ingest of inputs [0, committed) must leave, computed without the store.
std::string ExpectedDump(int committed, const std::vector<int64_t>& entity_ids) {
  std::map<std::pair<int64_t, int64_t>, double> rows;
  for (int i = 0; i < committed; ++i) {
    IngestCommit input = MakeInput(i, entity_ids);
    for (const SeriesPoint& p : input.series[0].points) rows[{p.entity_id, p.t}] = p.value;
  }
  std::string out;
  for (auto& [key, value] : rows) out += FormatRow(key.first, key.second, value);
  out += "state=" + (committed ? "tables-after-" + std::to_string(committed - 1) : std::string("none")) + "\n";
  return out;
}

// "" when equal, else the first differing line of each (gtest's diff of megabyte strings would not fit in RAM).
std::string FirstDifference(const std::string& got, const std::string& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  size_t line = got.rfind('\n', i == 0 ? 0 : i - 1);
  line = line == std::string::npos ? 0 : line + 1;
  auto text_at = [&](const std::string& s) {
    return s.substr(line, std::min<size_t>(80, s.size() - std::min(line, s.size())));
  };
  return "sizes " + std::to_string(got.size()) + " vs " + std::to_string(want.size()) + "; first difference at byte " +
         std::to_string(i) + ": got '" + text_at(got) + "' want '" + text_at(want) + "'";
}

struct Inspection {
  std::string integrity;
  std::vector<std::string> inputs;  // sha256 in input order
  std::string dump;
};

// Reads the file with the plain C API (a fresh connection, as a restarted process would).
Inspection Inspect(const std::string& path) {
  Inspection out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  auto each = [&](const char* sql, auto fn) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (sqlite3_step(stmt) == SQLITE_ROW) fn(stmt);
    sqlite3_finalize(stmt);
  };
  each("PRAGMA integrity_check",
       [&](sqlite3_stmt* s) { out.integrity += reinterpret_cast<const char*>(sqlite3_column_text(s, 0)); });
  each("SELECT sha256 FROM inputs ORDER BY first_t",
       [&](sqlite3_stmt* s) { out.inputs.push_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))); });
  each("SELECT entity_id, t, value FROM series_named WHERE datasource = 'bgp' ORDER BY entity_id, t",
       [&](sqlite3_stmt* s) {
         out.dump += FormatRow(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_double(s, 2));
       });
  std::string state = "none";
  each("SELECT bytes FROM state WHERE key = 'bgp/rrc00'", [&](sqlite3_stmt* s) {
    state.assign(static_cast<const char*>(sqlite3_column_blob(s, 0)), sqlite3_column_bytes(s, 0));
  });
  out.dump += "state=" + state + "\n";
  sqlite3_close(db);
  return out;
}

// Ingests every input (skipping those already in), as `vigil ingest` would, `group` inputs per transaction.
// Returns how many were new; writes a byte to progress_fd (when >= 0) for each new input committed.
int IngestAll(Store& store, const std::vector<int64_t>& entity_ids, int progress_fd = -1, int group = 1) {
  int committed = 0;
  for (int i = 0; i < kInputs; i += group) {
    std::vector<IngestCommit> commits;
    for (int j = i; j < std::min(kInputs, i + group); ++j) commits.push_back(MakeInput(j, entity_ids));
    auto done = store.TryCommitIngestGroup(commits);
    if (!done.ok()) {
      std::fprintf(stderr, "ingest failed: %s\n", done.message().c_str());
      return -1;
    }
    for (bool fresh : *done) {
      if (!fresh) continue;
      ++committed;
      if (progress_fd >= 0 && write(progress_fd, "c", 1) != 1) return -1;
    }
  }
  return committed;
}

// Forks a child that ingests everything, waits until it has committed `after_commits` new inputs, lets it
// run `extra` more (landing somewhere inside the next commit), then kills it. True when it was killed
// before finishing (progress-driven, so it holds however loaded the machine is).
bool IngestInChildAndKill(const std::string& path, const std::vector<int64_t>& entity_ids, int after_commits,
                          std::chrono::microseconds extra, int group) {
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto store = OpenStore(path);
    int rc = store.ok() && IngestAll(**store, entity_ids, fds[1], group) >= 0 ? 0 : 1;
    _exit(rc);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    ADD_FAILURE() << "fork failed";
    return false;
  }
  bool finished = false;
  for (int seen = 0; seen < after_commits;) {
    char c;
    ssize_t n = read(fds[0], &c, 1);
    if (n == 1) ++seen;
    if (n == 0) {  // the child finished (or died) before reaching the kill point
      finished = true;
      break;
    }
  }
  if (!finished) std::this_thread::sleep_for(extra);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);  // only now: closing earlier would kill a writing child with SIGPIPE instead
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vigil_crash_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A fresh store with the entities and datasource registered; returns the entity ids.
  std::vector<int64_t> Prepare(const std::string& path) {
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    auto store = OpenStore(path);
    EXPECT_TRUE(store.ok()) << store.message();
    EXPECT_TRUE((*store)->RegisterDatasource({"bgp", 300, ""}).ok());
    std::vector<Entity> entities;
    for (int e = 0; e < kEntities; ++e) entities.push_back({0, "asn", std::to_string(64500 + e), "", 0, 0, ""});
    EXPECT_TRUE((*store)->UpsertEntities(entities).ok());
    std::vector<int64_t> ids;
    for (const Entity& e : entities) ids.push_back(e.id);
    return ids;
  }

  std::filesystem::path dir_;
};

TEST_F(CrashTest, KillDuringIngestLeavesWholeInputsAndResumesToSameContents) {
  // The uninterrupted run, checked against the model.
  const std::string reference_path = (dir_ / "reference.db").string();
  std::vector<int64_t> ids = Prepare(reference_path);
  auto start = std::chrono::steady_clock::now();
  {
    auto store = OpenStore(reference_path);
    ASSERT_TRUE(store.ok());
    ASSERT_EQ(IngestAll(**store, ids), kInputs);
  }
  auto full_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  Inspection reference = Inspect(reference_path);
  ASSERT_EQ(reference.integrity, "ok");
  const std::string expected_full = ExpectedDump(kInputs, ids);
  ASSERT_EQ(FirstDifference(reference.dump, expected_full), "");

  // Kill points spread over the run: after k commits, plus a few hundred microseconds into the next one.
  int killed = 0, rounds = 0, iterations = 0;
  const std::string path = (dir_ / "crash.db").string();
  const std::chrono::microseconds extras[] = {std::chrono::microseconds(0), std::chrono::microseconds(300),
                                              std::chrono::microseconds(1500), std::chrono::microseconds(5000)};
  for (int k : {0, 2, 7, 13, 20, 26, 31, 36}) {
    std::vector<int64_t> crash_ids = Prepare(path);
    ASSERT_EQ(crash_ids, ids);
    // Two crashes in a row: during the first ingest, then during the resumed one (which skips inputs).
    int committed = 0;
    for (int round = 0; round < 2; ++round) {
      // Odd iterations commit groups of 4 inputs per transaction (TryCommitIngestGroup).
      int group = iterations % 2 ? 4 : 1;
      // Leave at least three transactions of work after the kill point, so the kill lands mid-ingest.
      int remaining = kInputs - committed;
      int after = std::min(round == 0 ? k : std::min(remaining / 3, 5), remaining - 3 * group);
      if (after < 0) break;
      ++rounds;
      killed += IngestInChildAndKill(path, ids, after, extras[(iterations + round) % 4], group) ? 1 : 0;
      Inspection state = Inspect(path);
      ASSERT_EQ(state.integrity, "ok") << "k " << k << " round " << round;
      committed = static_cast<int>(state.inputs.size());
      for (int i = 0; i < committed; ++i) ASSERT_EQ(state.inputs[i], Sha(i));  // inputs commit in order
      ASSERT_EQ(FirstDifference(state.dump, ExpectedDump(committed, ids)), "")
          << "k " << k << " round " << round << ": " << committed << " inputs committed";
    }
    ++iterations;
    auto store = OpenStore(path);
    ASSERT_TRUE(store.ok());
    ASSERT_GE(IngestAll(**store, ids), 0);
    store->reset();
    Inspection resumed = Inspect(path);
    ASSERT_EQ(resumed.integrity, "ok");
    ASSERT_EQ(FirstDifference(resumed.dump, reference.dump), "") << "k " << k;
  }
  std::printf("crash test: %d iterations, %d kills, %d of them mid-ingest (full ingest %lld ms)\n", iterations, rounds,
              killed, static_cast<long long>(full_ms.count()));
  // Every kill must land mid-ingest, or the test proved less than it claims.
  EXPECT_EQ(killed, rounds);
}

}  // namespace
}  // namespace vigil::store
