// SPDX-License-Identifier: AGPL-3.0-or-later
// DiscoverFromArchives + FetchFiles in-process against the project's loopback test archive
// (tests/acquire/archive_server.py, real MRT files of ../shared/data/mrt), so the transfer loop, its callbacks and
// the verifier threads also run under the sanitizer build. The CLI-level fault tests are tests/acquire/.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "acquire/acquire.h"

namespace vigil::acquire {
namespace {

namespace fs = std::filesystem;

// The archive server as a child process; its first stdout line is "port N".
class LoopbackArchive {
 public:
  explicit LoopbackArchive(const std::vector<std::string>& faults) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      std::vector<std::string> args = {"python3", VIGIL_SOURCE_DIR "/tests/acquire/archive_server.py", "--shared",
                                       VIGIL_SHARED_DIR};
      for (const std::string& f : faults) args.insert(args.end(), {"--fault", f});
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("python3", argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* in = fdopen(out[0], "r");
    if (in && std::fscanf(in, "port %d", &port_) != 1) port_ = 0;
    if (in) std::fclose(in);
  }
  ~LoopbackArchive() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + path; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

class FetchLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = fs::temp_directory_path() / ("vigil-fetch-" + std::to_string(getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(cache_);
    Result<CollectorTable> table = LoadCollectorTable("");
    ASSERT_TRUE(table.ok());
    table_ = *table;
    options_.max_tries = 3;
    options_.backoff_initial_s = 0.01;
    options_.stall_timeout_s = 1;
    options_.connect_timeout_s = 2;
  }
  void TearDown() override { fs::remove_all(cache_); }

  Result<Discovery> Discover(const LoopbackArchive& archive, const std::string& collectors) {
    Result<ArchiveRoots> roots =
        ParseArchiveRoots(table_, "ris=" + archive.Url("ris/") + ",routeviews=" + archive.Url("routeviews/"));
    if (!roots.ok()) return roots.status();
    DiscoveryRequest request;
    request.collectors = *SelectCollectors(table_, collectors);
    request.from = *ParseTime("2022-01-04");
    request.until = *ParseTime("2022-01-05");
    request.types = {FileType::kUpdates, FileType::kRib};
    return DiscoverFromArchives(table_, *roots, request, options_);
  }

  std::map<std::string, const FileResult*> ByPath(const FetchReport& report) {
    std::map<std::string, const FileResult*> out;
    for (const FileResult& r : report.files) out[r.file.cache_path] = &r;
    return out;
  }

  fs::path cache_;
  CollectorTable table_;
  NetworkOptions options_;
};

TEST_F(FetchLoopback, FaultsEndAsVerifiedGapOrFailedAndOnlyVerifiedFilesGetFinalNames) {
  const std::string upd5 = "ris/rrc00/2022.01/updates.20220104.0005.gz";
  const std::string upd10 = "ris/rrc00/2022.01/updates.20220104.0010.gz";
  const std::string upd15 = "ris/rrc00/2022.01/updates.20220104.0015.gz";
  const std::string upd20 = "ris/rrc00/2022.01/updates.20220104.0020.gz";
  const std::string bview = "ris/rrc00/2022.01/bview.20220104.0000.gz";
  const std::string rv_upd = "routeviews/bgpdata/2022.01/UPDATES/updates.20220104.0015.bz2";
  const std::string rv_rib = "routeviews/bgpdata/2022.01/RIBS/rib.20220104.0000.bz2";
  LoopbackArchive archive({upd5 + "=truncate:1", bview + "=reset:1", upd10 + "=500:0", upd15 + "=corrupt",
                           upd20 + "=404", rv_upd + "=stall:1:10", rv_rib + "=truncated-bz2"});
  ASSERT_GT(archive.port(), 0) << "the test archive did not start";
  Result<Discovery> found = Discover(archive, "rrc00,route-views2");
  ASSERT_TRUE(found.ok()) << found.message();
  EXPECT_EQ(found->files.size(), 14u);
  FetchReport report = FetchFiles(found->files, cache_.string(), options_);
  ASSERT_TRUE(report.fatal.ok()) << report.fatal.message();
  auto by_path = ByPath(report);
  EXPECT_EQ(by_path[upd5]->outcome, FileOutcome::kVerified);
  EXPECT_EQ(by_path[upd5]->tries, 2);
  EXPECT_EQ(by_path[bview]->outcome, FileOutcome::kVerified);
  EXPECT_EQ(by_path[rv_upd]->outcome, FileOutcome::kVerified);
  EXPECT_EQ(by_path[upd10]->outcome, FileOutcome::kFailed);
  EXPECT_EQ(by_path[upd10]->tries, 3);
  EXPECT_EQ(by_path[upd15]->outcome, FileOutcome::kFailed);
  EXPECT_EQ(by_path[upd15]->reason.rfind("corrupt", 0), 0u) << by_path[upd15]->reason;
  EXPECT_EQ(by_path[rv_rib]->outcome, FileOutcome::kFailed);
  EXPECT_EQ(by_path[upd20]->outcome, FileOutcome::kGap);
  EXPECT_EQ(report.Count(FileOutcome::kVerified), 10);
  for (const FileResult& r : report.files) {
    bool final_exists = fs::exists(cache_ / r.file.cache_path);
    EXPECT_EQ(final_exists, r.outcome == FileOutcome::kVerified) << r.file.cache_path;
    if (final_exists) {
      Result<int64_t> size = VerifyCompressedFile((cache_ / r.file.cache_path).string(), 100);
      EXPECT_TRUE(size.ok()) << size.message();
      EXPECT_EQ(*size, r.decompressed_bytes);
    }
  }
  // A rerun finds every verified file in the cache and downloads none of them.
  FetchReport again = FetchFiles(found->files, cache_.string(), options_);
  EXPECT_EQ(again.Count(FileOutcome::kAlreadyCached), 10);
  EXPECT_EQ(again.Count(FileOutcome::kVerified), 0);
}

TEST_F(FetchLoopback, IndexServicesListTheSameFilesAsTheArchive) {
  LoopbackArchive archive({});
  ASSERT_GT(archive.port(), 0);
  Result<Discovery> listed = Discover(archive, "rrc00,route-views2");
  ASSERT_TRUE(listed.ok());
  DiscoveryRequest request;
  request.collectors = *SelectCollectors(table_, "rrc00,route-views2");
  request.from = *ParseTime("2022-01-04");
  request.until = *ParseTime("2022-01-05");
  request.types = {FileType::kUpdates, FileType::kRib};
  for (const std::string& spec : {"bgpkit=" + archive.Url("bgpkit"), "bgpstream=" + archive.Url("bgpstream")}) {
    Result<Discovery> indexed = DiscoverFromIndex(table_, *ParseIndexService(spec), request, options_);
    ASSERT_TRUE(indexed.ok()) << indexed.message();
    ASSERT_EQ(indexed->files.size(), listed->files.size()) << spec;
    for (size_t i = 0; i < listed->files.size(); ++i) {
      EXPECT_EQ(indexed->files[i].cache_path, listed->files[i].cache_path) << spec;
      EXPECT_EQ(indexed->files[i].url, listed->files[i].url) << spec;
    }
  }
}

TEST_F(FetchLoopback, StopFlagEndsTheRunWithNothingUnderFinalNames) {
  LoopbackArchive archive({});
  ASSERT_GT(archive.port(), 0);
  Result<Discovery> found = Discover(archive, "rrc00");
  ASSERT_TRUE(found.ok());
  std::atomic<bool> stop{true};
  options_.stop = &stop;
  FetchReport report = FetchFiles(found->files, cache_.string(), options_);
  EXPECT_FALSE(report.fatal.ok());
  EXPECT_EQ(report.Count(FileOutcome::kFailed), static_cast<int>(found->files.size()));
  for (const FileResult& r : report.files) EXPECT_FALSE(fs::exists(cache_ / r.file.cache_path));
}

}  // namespace
}  // namespace vigil::acquire
