// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil::sim {

// How MRT output files are compressed. gzip is what RIS publishes (and what bgpdump reads); zstd and none
// exist for benchmarks, where deflate would be the floor of generation speed.
enum class Compression { kGzip, kZstd, kNone };

// File name suffix for a compression: ".gz", ".zst" or "" (uncompressed).
const char* CompressionSuffix(Compression compression);
// "gzip", "zstd" or "none"; ParseCompression accepts the same names.
const char* CompressionName(Compression compression);
bool ParseCompression(const std::string& text, Compression& compression);

// Writes a compressed (or plain) file deterministically: gzip with a fixed header (mtime 0, no file name, OS
// byte 3), zstd single-threaded with fixed parameters, so identical input gives identical bytes on every
// run and machine.
class CompressedFileWriter {
 public:
  CompressedFileWriter() = default;
  ~CompressedFileWriter();
  CompressedFileWriter(const CompressedFileWriter&) = delete;
  CompressedFileWriter& operator=(const CompressedFileWriter&) = delete;

  // `level`: zlib level for gzip (1-9), zstd level for zstd, ignored for none. `direct_io` (uncompressed
  // only): write with O_DIRECT where the file system allows it, so the device reads the caller's buffers
  // instead of the kernel copying them into the page cache. Writes whose address or size is not a multiple
  // of kDirectIoAlignment (typically only the last) switch the file back to buffered writes.
  Status Open(const std::string& path, Compression compression, int level, bool direct_io = false);
  static constexpr size_t kDirectIoAlignment = 4096;
  bool direct_io() const { return direct_; }
  Status Write(const void* data, size_t size);
  Status Write(const std::string& bytes) { return Write(bytes.data(), bytes.size()); }
  Status Close();
  uint64_t bytes_in() const { return bytes_in_; }

 private:
  Status Deflate(const void* data, size_t size, int flush);
  Status Zstd(const void* data, size_t size, bool end);
  Status Put(const void* data, size_t size);
  void FreeStreams();
  std::string path_;
  Compression compression_ = Compression::kGzip;
  int fd_ = -1;
  bool direct_ = false;
  Status LeaveDirectIo();
  void* stream_ = nullptr;  // z_stream or ZSTD_CCtx, kept out of the header
  std::vector<unsigned char> out_;
  uint64_t bytes_in_ = 0;
};

inline void StoreBigEndian16(char* p, uint32_t v) {
  p[0] = static_cast<char>((v >> 8) & 0xff);
  p[1] = static_cast<char>(v & 0xff);
}
inline void StoreBigEndian32(char* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

// RFC 6396 / RFC 4271 encoders. Each Append* adds one complete MRT record to `out`.
struct MrtPeerEntry {
  uint32_t bgp_id = 0, ip = 0, asn = 0;
};

struct PathAttributes {
  const uint32_t* as_path = nullptr;  // AS_SEQUENCE, 4-byte ASNs (RFC 6396 RIB entries, BGP4MP_*_AS4)
  size_t as_path_len = 0;
  uint32_t next_hop = 0;
  uint32_t community = 0;  // 0: none
  uint32_t med = 0;
  bool has_med = false;
};

void AppendAttributes(std::string& out, const PathAttributes& attrs);
// The same with plain stores at `at` (room for MaxAttributeBytes); returns the end.
char* StoreAttributes(char* at, const PathAttributes& attrs);
inline size_t MaxAttributeBytes(size_t as_path_len) { return 4 + 4 + 2 + 4 * as_path_len + 7 + 7 + 7; }

// TABLE_DUMP_V2 PEER_INDEX_TABLE (type 13 subtype 1). Peers use 4-byte AS and IPv4 addresses.
void AppendPeerIndexTable(std::string& out, UnixSeconds t, uint32_t collector_bgp_id, const std::string& view_name,
                          const std::vector<MrtPeerEntry>& peers);

// TABLE_DUMP_V2 RIB_IPV4_UNICAST (type 13 subtype 2), written with plain stores into the caller's memory:
// this runs once per RIB entry (20 M times for a full table), so there is no bounds check or growth here.
// The caller keeps MaxRibRecordBytes of room free at `at` before Begin.
class RibRecordWriter {
 public:
  // Room a record needs; 64 bytes more than the encoding for callers that store whole words past the end.
  static size_t MaxRibRecordBytes(size_t entries, size_t max_as_path_len) {
    return 16 + 5 + 2 + entries * (8 + MaxAttributeBytes(max_as_path_len)) + 64;
  }
  char* Begin(char* at, UnixSeconds t, uint32_t sequence, uint32_t prefix, int len);
  char* AddEntry(char* at, uint16_t peer_index, uint32_t originated, const PathAttributes& attributes) {
    at[0] = static_cast<char>(peer_index >> 8);
    at[1] = static_cast<char>(peer_index & 0xff);
    at[2] = static_cast<char>(originated >> 24);
    at[3] = static_cast<char>((originated >> 16) & 0xff);
    at[4] = static_cast<char>((originated >> 8) & 0xff);
    at[5] = static_cast<char>(originated & 0xff);
    char* end = StoreAttributes(at + 8, attributes);
    size_t length = static_cast<size_t>(end - at - 8);
    at[6] = static_cast<char>((length >> 8) & 0xff);
    at[7] = static_cast<char>(length & 0xff);
    ++count_;
    return end;
  }
  // Entries the caller wrote or copied to `at` itself.
  char* AddCopiedEntries(char* at, size_t bytes, uint16_t count) {
    count_ = static_cast<uint16_t>(count_ + count);
    return at + bytes;
  }
  // Patches the entry count and record length; returns the end of the record.
  char* Finish(char* at);

 private:
  char* record_start_ = nullptr;
  char* count_at_ = nullptr;
  uint16_t count_ = 0;
};

struct Bgp4mpSession {
  uint32_t peer_as = 0, local_as = 0, peer_ip = 0, local_ip = 0;
};

// BGP4MP_MESSAGE_AS4 (type 16 subtype 4) carrying one BGP UPDATE. `attributes` empty for pure withdrawals.
// The caller keeps the message under 4096 bytes (see MaxPrefixesPerUpdate).
void AppendUpdate(std::string& out, UnixSeconds t, const Bgp4mpSession& session,
                  const std::vector<std::pair<uint32_t, int>>& withdrawn, const std::string& attributes,
                  const std::vector<std::pair<uint32_t, int>>& announced);
// Worst-case prefixes (5 bytes each) that fit a 4096-byte UPDATE next to `attribute_bytes` of attributes.
inline size_t MaxPrefixesPerUpdate(size_t attribute_bytes) { return (4096 - 23 - attribute_bytes) / 5; }

// BGP4MP_STATE_CHANGE_AS4 (type 16 subtype 5). States per RFC 4271: 1 Idle ... 6 Established.
void AppendStateChange(std::string& out, UnixSeconds t, const Bgp4mpSession& session, int old_state, int new_state);

}  // namespace vigil::sim
