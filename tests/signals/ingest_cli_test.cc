// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil ingest mrt` end to end against a SQLite store: incremental runs equal one run, re-runs skip, bins
// without data stay missing, and kill -9 in the middle of a large ingest followed by the same ingest gives
// the same store as an uninterrupted run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/store.h"
#include "tests/signals/test_world.h"

namespace vigil::signals {
namespace {

const std::string kVigil = std::string(VIGIL_BINARY_DIR) + "/vigil";
const std::string kGenerator = std::string(VIGIL_BINARY_DIR) + "/bench/signals_bench_gen";
const std::string kMrt = std::string(VIGIL_SHARED_DIR) + "/data/mrt/";

std::string Shell(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = pclose(p);
  if (status) *status = rc;
  return out;
}

// Every bgp point (entity type/code, t, value), the inputs and the saved state, in a stable order.
std::string Dump(const std::string& db) {
  return Shell("sqlite3 -batch " + db +
               " \"SELECT e.type, e.code, s.t, s.value FROM series s JOIN entities e ON e.id = s.entity_id "
               "JOIN datasources d ON d.id = s.datasource_id WHERE d.name = 'bgp' ORDER BY 1, 2, 3;"
               " SELECT sha256, name, kind, collector, records, first_t, last_t FROM inputs ORDER BY 1;"
               " SELECT key, hex(bytes) FROM state ORDER BY 1;\"");
}

class IngestCliTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::WriteTestWorld(dir_.path() + "/geo"); }
  std::string Ingest(const std::string& db, const std::string& args, int* status = nullptr) {
    return Shell(kVigil + " ingest mrt -q --store " + db + " --geo " + dir_.path() + "/geo " + args + " 2>&1", status);
  }
  testing::TempDir dir_;
};

TEST_F(IngestCliTest, IncrementalRunsEqualOneRunAndRerunsSkip) {
  std::string a = dir_.path() + "/a.db", b = dir_.path() + "/b.db";
  std::string f1 = kMrt + "bgpkit.rrc15.updates.20100227.1600.gz", f2 = kMrt + "bgpkit.rrc15.updates.20100227.1610.gz";
  int st = 0;
  Ingest(a, "--full-feed-fraction 0.2 " + f1 + " " + f2, &st);
  ASSERT_EQ(st, 0);
  Ingest(b, "--full-feed-fraction 0.2 " + f1, &st);
  ASSERT_EQ(st, 0);
  Ingest(b, "--full-feed-fraction 0.2 " + f2, &st);
  ASSERT_EQ(st, 0);
  std::string dump = Dump(a);
  ASSERT_NE(dump.find("country|"), std::string::npos);
  EXPECT_EQ(dump, Dump(b));
  // Again, both files: nothing new.
  Ingest(b, "--full-feed-fraction 0.2 " + f1 + " " + f2, &st);
  EXPECT_EQ(dump, Dump(b));
  std::string summary = Shell(kVigil + " ingest mrt --store " + b + " --geo " + dir_.path() +
                              "/geo --full-feed-fraction 0.2 " + f1 + " " + f2 + " 2>/dev/null");
  EXPECT_NE(summary.find("ingested 0, already in the store 2"), std::string::npos) << summary;
}

// The rrc15 files start 16:00 and 16:10 and hold records up to 16:05:00 and 16:15:00: bins 16:00..16:15 have
// data; before and after there are no points at all (missing, not zero).
TEST_F(IngestCliTest, BinsWithoutDataAreMissing) {
  std::string db = dir_.path() + "/m.db";
  int st = 0;
  Ingest(db,
         "--full-feed-fraction 0.2 " + kMrt + "bgpkit.rrc15.updates.20100227.1600.gz " + kMrt +
             "bgpkit.rrc15.updates.20100227.1610.gz",
         &st);
  ASSERT_EQ(st, 0);
  auto store = store::OpenStore(db);
  ASSERT_TRUE(store.ok());
  auto span = (*store)->SeriesSpan("bgp");
  ASSERT_TRUE(span.ok() && span->has_value());
  const UnixSeconds t0 = 1267286400;  // 2010-02-27T16:00:00Z
  EXPECT_EQ((*span)->first, t0);
  EXPECT_EQ((*span)->second, t0 + 900);
  auto ids = (*store)->EntitiesWithSeries("bgp");
  ASSERT_TRUE(ids.ok() && !ids->empty());
  auto agg = (*store)->ReadAggregated("bgp", ids->front(), t0 - 600, t0 + 1800, 300);
  ASSERT_TRUE(agg.ok());
  ASSERT_EQ(agg->values.size(), 8u);
  for (size_t i = 0; i < agg->values.size(); ++i) {
    bool has_data = i >= 2 && i <= 5;
    EXPECT_EQ(agg->values[i].has_value(), has_data) << "bin " << i;
  }
}

// --from-rib re-reads what was ingested and rebuilds the same tables; with one new file it ends where a
// single clean run over all files ends.
TEST_F(IngestCliTest, FromRibRebuildsTheSameStore) {
  std::string dir = dir_.path() + "/in/route-views2";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kMrt + "derived.pyasn.rib.20140523.0600.complete-records.gz",
                             dir + "/rib.20140523.0600.gz");
  const uint32_t peer = (85u << 24) | (114u << 16) | 217u;  // 85.114.0.217, AS 8492: a full-feed peer there
  std::ofstream(dir + "/updates.20140523.0600", std::ios::binary)
      << testing::StateChangeRecord(1400824860, 8492, peer, 6, 1);
  std::string db = dir_.path() + "/r.db", clean = dir_.path() + "/c.db";
  std::string flags = "--full-feed-fraction 0.5 " + dir_.path() + "/in";
  int st = 0;
  Ingest(db, flags, &st);
  ASSERT_EQ(st, 0);
  std::string first = Dump(db);
  std::string out =
      Shell(kVigil + " ingest mrt --store " + db + " --geo " + dir_.path() + "/geo --from-rib " + flags + " 2>&1");
  EXPECT_NE(out.find("ingested 2"), std::string::npos) << out;
  EXPECT_EQ(Dump(db), first);
  // One more file: the peer comes back and re-announces nothing yet.
  std::ofstream(dir + "/updates.20140523.0615", std::ios::binary)
      << testing::StateChangeRecord(1400825700, 8492, peer, 1, 6);
  Ingest(db, "--from-rib " + flags, &st);
  ASSERT_EQ(st, 0);
  Ingest(clean, flags, &st);
  ASSERT_EQ(st, 0);
  std::string rebuilt = Dump(db);
  EXPECT_NE(rebuilt, first);
  EXPECT_EQ(rebuilt, Dump(clean));
}

// A large ingest killed with SIGKILL part-way, then run again, ends with the same store as one clean run.
TEST_F(IngestCliTest, KillNineThenReingestGivesTheSameStore) {
  std::string world = dir_.path() + "/world";
  int st = 0;
  Shell(kGenerator + " " + world + " --prefixes 150000 --peers 20 --updates 240000 --files 12 >/dev/null", &st);
  ASSERT_EQ(st, 0) << "bench generator missing? build target signals_bench_gen";
  std::string args = "--geo " + world + "/geo " + world + "/mrt";
  std::string clean = dir_.path() + "/clean.db", crashed = dir_.path() + "/crashed.db";
  Shell(kVigil + " ingest mrt -q --store " + clean + " " + args, &st);
  ASSERT_EQ(st, 0);

  pid_t pid = fork();
  if (pid == 0) {
    execl(kVigil.c_str(), kVigil.c_str(), "ingest", "mrt", "-q", "--store", crashed.c_str(), "--geo",
          (world + "/geo").c_str(), (world + "/mrt").c_str(), (char*)nullptr);
    _exit(127);
  }
  // Kill once a few files are committed (or after 60 s).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int committed = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    committed = std::atoi(Shell("sqlite3 -batch " + crashed + " 'SELECT count(*) FROM inputs' 2>/dev/null").c_str());
    if (committed >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the ingest finished before it could be killed";
  int after_kill = std::atoi(Shell("sqlite3 -batch " + crashed + " 'SELECT count(*) FROM inputs'").c_str());
  std::printf("  killed with %d of 13 files committed\n", after_kill);
  EXPECT_LT(after_kill, 13);
  EXPECT_EQ(Shell("sqlite3 -batch " + crashed + " 'PRAGMA integrity_check'"), "ok\n");

  Shell(kVigil + " ingest mrt -q --store " + crashed + " " + args, &st);
  ASSERT_EQ(st, 0);
  EXPECT_EQ(Shell("sqlite3 -batch " + crashed + " 'PRAGMA integrity_check'"), "ok\n");
  std::string a = Dump(clean), b = Dump(crashed);
  ASSERT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "dumps differ (" << a.size() << " vs " << b.size() << " bytes)";
}

}  // namespace
}  // namespace vigil::signals
