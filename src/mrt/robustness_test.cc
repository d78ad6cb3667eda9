// SPDX-License-Identifier: AGPL-3.0-or-later
// Hostile input: real MRT files truncated at many offsets, with record lengths rewritten, with random bytes
// flipped, and compressed streams cut or corrupted. Nothing may crash or read outside a buffer (this binary
// also runs under AddressSanitizer and UndefinedBehaviorSanitizer). Record bodies are copied into
// exactly-sized heap blocks before decoding, so any read past a record is an ASan report.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <random>
#include <string>
#include <vector>

#include "mrt/bgpdump_format.h"
#include "mrt/mrt.h"
#include "mrt/record_offsets_test_util.h"

namespace vigil::mrt {
namespace {

namespace fs = std::filesystem;

std::string DataFile(const std::string& name) { return std::string(VIGIL_SHARED_DIR) + "/data/mrt/" + name; }

std::string Decompressed(const std::string& name) {
  std::string out;
  bool bz2 = name.size() > 4 && name.substr(name.size() - 4) == ".bz2";
  FILE* pipe = ::popen(((bz2 ? "bzcat '" : "zcat -f '") + DataFile(name) + "' 2>/dev/null").c_str(), "r");
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

using test_util::RecordOffsets;

// The first whole records of a file, up to about `budget` bytes.
std::string Head(const std::string& name, size_t budget) {
  std::string raw = Decompressed(name);
  size_t end = 0;
  for (size_t offset : RecordOffsets(raw)) {
    if (offset > budget) break;
    end = offset;
  }
  if (end == 0) end = raw.size();
  return raw.substr(0, end);
}

class Workspace {
 public:
  Workspace() {
    char pattern[] = "/tmp/vigil-mrt-fuzz-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    null_fd_ = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  }
  ~Workspace() {
    ::close(null_fd_);
    fs::remove_all(dir_);
  }
  std::string Write(const std::string& data, const std::string& name = "input") {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }
  int null_fd() const { return null_fd_; }

 private:
  std::string dir_;
  int null_fd_;
};

// Touches every decoded value so the sanitizers see every read.
class TouchEverything : public ElementVisitor {
 public:
  void OnElement(const Element& e) override {
    sum_ += e.prefix.length + e.peer_asn + e.path_id + e.old_state + e.new_state + e.next_hop.V4();
    if (e.attributes == nullptr) return;
    const PathAttributes& a = *e.attributes;
    AsPath path = a.as_path();
    path.ForEachSegment([&](AsSegmentType, uint32_t count, auto&& asn_at) {
      for (uint32_t i = 0; i < count; ++i) sum_ += asn_at(i);
      return true;
    });
    sum_ += path.OriginAs() + path.Length() + path.valid();
    Communities c = a.communities();
    for (size_t i = 0; i < c.size(); ++i) sum_ += c[i];
    LargeCommunities l = a.large_communities();
    for (size_t i = 0; i < l.size(); ++i) sum_ += l[i].local2;
    uint32_t asn;
    IpAddress ip;
    if (a.aggregator(&asn, &ip)) sum_ += asn;
    sum_ += a.med() + a.local_pref() + static_cast<uint32_t>(a.origin()) + a.atomic_aggregate();
  }
  uint64_t sum() const { return sum_; }

 private:
  uint64_t sum_ = 0;
};

// Runs every consumer over one (possibly corrupt) file.
void Exercise(Workspace& ws, const std::string& data, bool compressed = false) {
  std::string path = ws.Write(data);
  // 1. Records copied into exact-size blocks, through the strict decoder and the bgpdump formatter.
  {
    Result<std::unique_ptr<Reader>> reader = Reader::Open(path);
    ASSERT_TRUE(reader.ok()) << reader.message();
    ElementDecoder decoder;
    BgpdumpFormatter formatter(ws.null_fd());
    TouchEverything visitor;
    Record record;
    bool formatting = true;
    while ((*reader)->Next(&record)) {
      std::unique_ptr<uint8_t[]> copy(new uint8_t[record.body.size() + 1]);
      std::memcpy(copy.get(), record.body.data(), record.body.size());
      Record exact = record;
      exact.body = Bytes(copy.get(), record.body.size());
      Status status = decoder.Decode(exact, visitor);
      if (!status.ok()) (*reader)->ReportBadRecord(record, status.message());
      if (formatting) formatting = formatter.Process(exact);
    }
    formatter.Flush();
    const ReadSummary& summary = (*reader)->summary();
    if (!compressed) {
      EXPECT_LE(summary.bytes, data.size());
      EXPECT_LE(summary.records, data.size() / 12 + 1);
    }
  }
  // 2. The whole-file entry points, as the CLI runs them.
  Result<ReadSummary> dumped = WriteBgpdumpLines(path, ws.null_fd());
  ASSERT_TRUE(dumped.ok());
  Result<FileStats> stats = ComputeFileStats(path);
  ASSERT_TRUE(stats.ok());
  for (const std::string& error : stats->summary.errors) {
    EXPECT_EQ(error.rfind(path + ": offset ", 0), 0u) << error;
  }
}

void Truncations(Workspace& ws, const std::string& raw, int evenly_spaced) {
  std::vector<size_t> offsets = RecordOffsets(raw);
  std::vector<size_t> cuts;
  for (int i = 1; i <= evenly_spaced; ++i) cuts.push_back(raw.size() * i / (evenly_spaced + 1));
  for (size_t k = 0; k < offsets.size() && k < 12; ++k) {
    for (int delta : {1, 5, 11, 12, 13, 20}) cuts.push_back(offsets[k] + delta);
  }
  for (size_t cut : cuts) {
    if (cut >= raw.size()) continue;
    SCOPED_TRACE("truncated at " + std::to_string(cut));
    Exercise(ws, raw.substr(0, cut));
  }
}

void LengthRewrites(Workspace& ws, const std::string& raw, size_t records) {
  std::vector<size_t> offsets = RecordOffsets(raw);
  for (size_t k = 0; k < offsets.size() && k < records; ++k) {
    size_t at = offsets[k] + 8;
    const auto* h = reinterpret_cast<const uint8_t*>(raw.data() + at);
    uint32_t length = (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | h[3];
    for (uint32_t value : {0u, 3u, 4u, length - 1, length + 1, length - 4, 0xffffffffu, 0x7fffffffu}) {
      std::string mutated = raw;
      for (int i = 0; i < 4; ++i) mutated[at + i] = static_cast<char>(value >> (24 - 8 * i));
      SCOPED_TRACE("record " + std::to_string(k) + " length " + std::to_string(value));
      Exercise(ws, mutated);
    }
  }
}

void RandomFlips(Workspace& ws, const std::string& raw, int rounds, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int round = 0; round < rounds; ++round) {
    std::string mutated = raw;
    int flips = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < flips; ++i) {
      size_t at = rng() % mutated.size();
      mutated[at] = static_cast<char>(rng() % 3 == 0 ? 0xff : rng());
    }
    SCOPED_TRACE("round " + std::to_string(round) + " seed " + std::to_string(seed));
    Exercise(ws, mutated);
  }
}

void AllMutations(const std::string& raw, uint32_t seed) {
  ASSERT_GT(raw.size(), 1000u);
  Workspace ws;
  Exercise(ws, raw);
  Truncations(ws, raw, 40);
  LengthRewrites(ws, raw, 8);
  RandomFlips(ws, raw, 120, seed);
}

TEST(RobustnessTest, Bgp4mpAs4UpdatesWithMultiprotocolAttributes) {
  AllMutations(Head("ripe-bgpdump.updates.20160811.1600.gz", 48 << 10), 1);
}

TEST(RobustnessTest, TableDumpV2Ipv6Rib) {
  AllMutations(Head("derived.pyasn.rib6.20151101.0600.complete-records.gz", 48 << 10), 2);
}

TEST(RobustnessTest, DeprecatedBgpRecordsAndZebraQuirks) {
  AllMutations(
      Head("bgpkit.rrc00.updates.19991214.1621.gz", 24 << 10) + Head("bgpkit.rrc01.updates.20001104.0124.gz", 16 << 10),
      3);
}

TEST(RobustnessTest, MixedTypesAddPathTableDumpV1AndExtendedTimestamps) {
  std::string raw = Decompressed("mrtparse.openbgpd_rib_table.mrt") + Decompressed("mrtparse.bird-mrtdump_bgp.mrt") +
                    Decompressed("ripe-bgpdump.bview.ipv6_unicast_add_path.gz") +
                    Decompressed("mrtparse.openbgpd_rib_table-v2.mrt") + Decompressed("mrtparse.openbgpd_bgp.mrt") +
                    Head("ripe-bgpdump.updates.et-header.2015.gz", 12 << 10);
  AllMutations(raw, 4);
}

TEST(RobustnessTest, CorruptAndTruncatedCompressedStreams) {
  Workspace ws;
  std::string raw = Head("caida.ris.rrc06.updates.1427846400.gz", 40 << 10);
  std::string plain = ws.Write(raw, "plain.mrt");
  std::mt19937 rng(5);
  for (const char* tool : {"gzip -c", "bzip2 -c", "zstd -q -c"}) {
    std::string packed_path = ws.Write("", "packed");
    ASSERT_EQ(std::system((std::string(tool) + " '" + plain + "' > '" + packed_path + "'").c_str()), 0);
    std::ifstream in(packed_path, std::ios::binary);
    std::string packed((std::istreambuf_iterator<char>(in)), {});
    for (int i = 1; i <= 12; ++i) {
      SCOPED_TRACE(std::string(tool) + " cut " + std::to_string(i));
      Exercise(ws, packed.substr(0, packed.size() * i / 13), true);
    }
    for (int round = 0; round < 25; ++round) {
      std::string mutated = packed;
      for (int k = 0; k < 3; ++k) mutated[4 + rng() % (mutated.size() - 4)] = static_cast<char>(rng());
      SCOPED_TRACE(std::string(tool) + " flip round " + std::to_string(round));
      Exercise(ws, mutated, true);
    }
  }
}

// Reading bytes already in memory (ReaderOptions::contents, what the fuzzer uses) gives exactly what reading
// the file gives: the same bgpdump lines, statistics and error messages (file name and offset), for every
// small shared MRT file (every format but zstd, which is made here) whole and cut in the middle.
std::string DumpAndStats(const std::string& path, std::optional<std::span<const uint8_t>> contents) {
  std::FILE* out = std::tmpfile();
  ReaderOptions options;
  options.contents = contents;
  auto dump = WriteBgpdumpLines(path, fileno(out), options);
  std::string text;
  if (!dump.ok()) {
    text = "open error: " + dump.message() + "\n";
  } else {
    std::rewind(out);
    char buffer[65536];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, out)) > 0) text.append(buffer, n);
    text += "records " + std::to_string(dump->records) + " bytes " + std::to_string(dump->bytes) + " skipped " +
            std::to_string(dump->skipped) + "\n";
    for (const auto& e : dump->errors) text += e + "\n";
  }
  std::fclose(out);
  auto stats = ComputeFileStats(path, options);
  if (!stats.ok()) return text + "stats error: " + stats.message() + "\n";
  text += "stats " + std::to_string(stats->records) + " " + std::to_string(stats->rib_entries) + " " +
          std::to_string(stats->announcements) + " " + std::to_string(stats->withdrawals) + " " +
          std::to_string(stats->prefixes_v4) + " " + std::to_string(stats->prefixes_v6) + " " +
          std::to_string(stats->peers) + " " + std::to_string(stats->as_path_asns) + " " +
          std::to_string(stats->communities) + " " + std::to_string(stats->first_time) + " " +
          std::to_string(stats->last_time) + "\n";
  for (const auto& e : stats->summary.errors) text += e + "\n";
  return text;
}

TEST(RobustnessTest, MemoryInputReadsLikeTheFile) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(std::string(VIGIL_SHARED_DIR) + "/data/mrt")) {
    std::string ext = entry.path().extension().string();
    // Small files only: the large ones add time, not formats.
    if (entry.is_regular_file() && ext != ".md" && ext != ".tsv" && entry.file_size() < 100000) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 20u);
  std::string scratch = fs::temp_directory_path() / ("vigil-memory-input-" + std::to_string(::getpid()));
  ASSERT_EQ(std::system(("zstd -q -c '" + DataFile("mrtparse.quagga_bgp.mrt") + "' > '" + scratch + ".zst'").c_str()),
            0);
  files.push_back(scratch + ".zst");
  size_t compared = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    // Whole, and cut in the middle (a truncated stream's error must match too).
    for (size_t size : {bytes.size(), bytes.size() / 2}) {
      SCOPED_TRACE(file.filename().string() + " size " + std::to_string(size));
      std::ofstream(scratch, std::ios::binary | std::ios::trunc)
          .write(bytes.data(), static_cast<std::streamsize>(size));
      std::vector<uint8_t> exact(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));  // ASan-sized
      std::string from_file = DumpAndStats(scratch, std::nullopt);
      std::string from_memory = DumpAndStats(scratch, std::span<const uint8_t>(exact.data(), exact.size()));
      EXPECT_EQ(from_file, from_memory);
      EXPECT_GT(from_file.size(), 20u);
      ++compared;
    }
  }
  fs::remove(scratch);
  fs::remove(scratch + ".zst");
  std::printf("  %zu inputs read both ways\n", compared);
}

}  // namespace
}  // namespace vigil::mrt
