#pragma once

#include <cstdint>
#include <cstdio>
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

  // `level`: zlib level for gzip (1-9), zstd level for zstd, ignored for none.
  Status Open(const std::string& path, Compression compression, int level);
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
  std::FILE* file_ = nullptr;
  void* stream_ = nullptr;  // z_stream or ZSTD_CCtx, kept out of the header
  std::vector<unsigned char> out_;
  uint64_t bytes_in_ = 0;
};

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

// TABLE_DUMP_V2 PEER_INDEX_TABLE (type 13 subtype 1). Peers use 4-byte AS and IPv4 addresses.
void AppendPeerIndexTable(std::string& out, UnixSeconds t, uint32_t collector_bgp_id, const std::string& view_name,
                          const std::vector<MrtPeerEntry>& peers);

// TABLE_DUMP_V2 RIB_IPV4_UNICAST (type 13 subtype 2): begin, then entries, then finish (patches lengths).
class RibRecordBuilder {
 public:
  void Begin(std::string& out, UnixSeconds t, uint32_t sequence, uint32_t prefix, int len);
  void AddEntry(std::string& out, uint16_t peer_index, uint32_t originated, std::string_view attributes);
  void Finish(std::string& out);

 private:
  size_t record_start_ = 0, count_pos_ = 0;
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
