#include "sim/mrt_writer.h"

#include <zlib.h>
#include <zstd.h>

#include <cstring>

namespace vigil::sim {
namespace {

// deflateSetHeader keeps a pointer to the header until the stream ends, so it lives beside the stream.
struct GzipStream {
  z_stream z{};
  gz_header header{};
};

inline void Put8(std::string& out, uint32_t v) { out.push_back(static_cast<char>(v & 0xff)); }
inline void Put16(std::string& out, uint32_t v) {
  char bytes[2] = {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
  out.append(bytes, 2);
}
inline void Put32(std::string& out, uint32_t v) {
  char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 8) & 0xff),
                   static_cast<char>(v & 0xff)};
  out.append(bytes, 4);
}
inline void Patch16(std::string& out, size_t pos, uint32_t v) {
  out[pos] = static_cast<char>((v >> 8) & 0xff);
  out[pos + 1] = static_cast<char>(v & 0xff);
}
inline void Patch32(std::string& out, size_t pos, uint32_t v) {
  out[pos] = static_cast<char>(v >> 24);
  out[pos + 1] = static_cast<char>((v >> 16) & 0xff);
  out[pos + 2] = static_cast<char>((v >> 8) & 0xff);
  out[pos + 3] = static_cast<char>(v & 0xff);
}

// MRT common header with a length patched in by FinishRecord.
size_t BeginRecord(std::string& out, UnixSeconds t, uint16_t type, uint16_t subtype) {
  size_t start = out.size();
  Put32(out, static_cast<uint32_t>(t));
  Put16(out, type);
  Put16(out, subtype);
  Put32(out, 0);
  return start;
}
void FinishRecord(std::string& out, size_t start) { Patch32(out, start + 8, static_cast<uint32_t>(out.size() - start - 12)); }

void PutPrefix(std::string& out, uint32_t prefix, int len) {
  Put8(out, static_cast<uint32_t>(len));
  int bytes = (len + 7) / 8;
  for (int i = 0; i < bytes; ++i) Put8(out, (prefix >> (24 - 8 * i)) & 0xff);
}

void PutSessionHeader(std::string& out, const Bgp4mpSession& s) {
  Put32(out, s.peer_as);
  Put32(out, s.local_as);
  Put16(out, 0);  // interface index
  Put16(out, 1);  // AFI IPv4
  Put32(out, s.peer_ip);
  Put32(out, s.local_ip);
}

}  // namespace

const char* CompressionSuffix(Compression compression) {
  switch (compression) {
    case Compression::kGzip: return ".gz";
    case Compression::kZstd: return ".zst";
    case Compression::kNone: return "";
  }
  return "";
}

const char* CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kNone: return "none";
  }
  return "";
}

bool ParseCompression(const std::string& text, Compression& compression) {
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    if (text == CompressionName(c)) {
      compression = c;
      return true;
    }
  }
  return false;
}

CompressedFileWriter::~CompressedFileWriter() {
  FreeStreams();
  if (file_) std::fclose(file_);
}

void CompressedFileWriter::FreeStreams() {
  if (!stream_) return;
  if (compression_ == Compression::kGzip) {
    deflateEnd(&static_cast<GzipStream*>(stream_)->z);
    delete static_cast<GzipStream*>(stream_);
  } else if (compression_ == Compression::kZstd) {
    ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(stream_));
  }
  stream_ = nullptr;
}

Status CompressedFileWriter::Open(const std::string& path, Compression compression, int level) {
  path_ = path;
  compression_ = compression;
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) return Status::Error(path + ": cannot create: " + std::strerror(errno));
  if (compression == Compression::kGzip) {
    auto* gz = new GzipStream();
    stream_ = gz;
    if (deflateInit2(&gz->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return Status::Error(path + ": deflateInit2 failed");
    }
    gz->header.os = 3;  // Unix; everything else zero: no name, no comment, mtime 0
    deflateSetHeader(&gz->z, &gz->header);
    out_.resize(1 << 18);
  } else if (compression == Compression::kZstd) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    stream_ = cctx;
    if (!cctx || ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1))) {
      return Status::Error(path + ": zstd initialisation failed");
    }
    out_.resize(ZSTD_CStreamOutSize() * 4);
  } else {
    // Large stdio buffer: the RIB writer hands over 4 MB chunks, so this only matters for small writes.
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 16);
  }
  return Status::Ok();
}

Status CompressedFileWriter::Put(const void* data, size_t size) {
  if (size && std::fwrite(data, 1, size, file_) != size) {
    return Status::Error(path_ + ": write failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

Status CompressedFileWriter::Deflate(const void* data, size_t size, int flush) {
  z_stream* z = &static_cast<GzipStream*>(stream_)->z;
  z->next_in = static_cast<Bytef*>(const_cast<void*>(data));
  z->avail_in = static_cast<uInt>(size);
  do {
    z->next_out = out_.data();
    z->avail_out = static_cast<uInt>(out_.size());
    int rc = deflate(z, flush);
    if (rc == Z_STREAM_ERROR) return Status::Error(path_ + ": deflate failed");
    VIGIL_RETURN_IF_ERROR(Put(out_.data(), out_.size() - z->avail_out));
  } while (z->avail_out == 0 || (flush == Z_FINISH && z->avail_in > 0));
  return Status::Ok();
}

Status CompressedFileWriter::Zstd(const void* data, size_t size, bool end) {
  auto* cctx = static_cast<ZSTD_CCtx*>(stream_);
  ZSTD_inBuffer in{data, size, 0};
  ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  for (;;) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t remaining = ZSTD_compressStream2(cctx, &out, &in, mode);
    if (ZSTD_isError(remaining)) return Status::Error(path_ + ": zstd: " + ZSTD_getErrorName(remaining));
    VIGIL_RETURN_IF_ERROR(Put(out_.data(), out.pos));
    if (end ? remaining == 0 : in.pos == in.size) break;
  }
  return Status::Ok();
}

Status CompressedFileWriter::Write(const void* data, size_t size) {
  bytes_in_ += size;
  if (compression_ == Compression::kNone) return Put(data, size);
  if (compression_ == Compression::kZstd) return Zstd(data, size, false);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {  // avail_in is 32-bit
    size_t chunk = std::min<size_t>(size, 1u << 30);
    VIGIL_RETURN_IF_ERROR(Deflate(p, chunk, Z_NO_FLUSH));
    p += chunk;
    size -= chunk;
  }
  return Status::Ok();
}

Status CompressedFileWriter::Close() {
  if (!file_) return Status::Ok();
  Status status = Status::Ok();
  if (compression_ == Compression::kGzip) status = Deflate(nullptr, 0, Z_FINISH);
  if (compression_ == Compression::kZstd) status = Zstd(nullptr, 0, true);
  FreeStreams();
  if (std::fclose(file_) != 0 && status.ok()) status = Status::Error(path_ + ": close failed");
  file_ = nullptr;
  return status;
}

void AppendAttributes(std::string& out, const PathAttributes& a) {
  // ORIGIN IGP
  Put8(out, 0x40); Put8(out, 1); Put8(out, 1); Put8(out, 0);
  // AS_PATH: one AS_SEQUENCE segment of 4-byte ASNs (extended length when long)
  size_t seg = 2 + 4 * a.as_path_len;
  if (seg > 255) {
    Put8(out, 0x50); Put8(out, 2); Put16(out, static_cast<uint32_t>(seg));
  } else {
    Put8(out, 0x40); Put8(out, 2); Put8(out, static_cast<uint32_t>(seg));
  }
  Put8(out, 2);
  Put8(out, static_cast<uint32_t>(a.as_path_len));
  for (size_t i = 0; i < a.as_path_len; ++i) Put32(out, a.as_path[i]);
  // NEXT_HOP
  Put8(out, 0x40); Put8(out, 3); Put8(out, 4); Put32(out, a.next_hop);
  if (a.has_med) {
    Put8(out, 0x80); Put8(out, 4); Put8(out, 4); Put32(out, a.med);
  }
  if (a.community) {
    Put8(out, 0xc0); Put8(out, 8); Put8(out, 4); Put32(out, a.community);
  }
}

void AppendPeerIndexTable(std::string& out, UnixSeconds t, uint32_t collector_bgp_id, const std::string& view_name,
                          const std::vector<MrtPeerEntry>& peers) {
  size_t start = BeginRecord(out, t, 13, 1);
  Put32(out, collector_bgp_id);
  Put16(out, static_cast<uint32_t>(view_name.size()));
  out.append(view_name);
  Put16(out, static_cast<uint32_t>(peers.size()));
  for (const auto& p : peers) {
    Put8(out, 0x02);  // IPv4 address, 4-byte AS
    Put32(out, p.bgp_id);
    Put32(out, p.ip);
    Put32(out, p.asn);
  }
  FinishRecord(out, start);
}

void RibRecordBuilder::Begin(std::string& out, UnixSeconds t, uint32_t sequence, uint32_t prefix, int len) {
  record_start_ = BeginRecord(out, t, 13, 2);
  Put32(out, sequence);
  PutPrefix(out, prefix, len);
  count_pos_ = out.size();
  Put16(out, 0);
  count_ = 0;
}

void RibRecordBuilder::AddEntry(std::string& out, uint16_t peer_index, uint32_t originated,
                                std::string_view attributes) {
  // One resize and straight stores: this runs once per RIB entry (20 M times for a full table).
  size_t at = out.size();
  out.resize(at + 8 + attributes.size());
  char* p = out.data() + at;
  p[0] = static_cast<char>(peer_index >> 8);
  p[1] = static_cast<char>(peer_index & 0xff);
  p[2] = static_cast<char>(originated >> 24);
  p[3] = static_cast<char>((originated >> 16) & 0xff);
  p[4] = static_cast<char>((originated >> 8) & 0xff);
  p[5] = static_cast<char>(originated & 0xff);
  p[6] = static_cast<char>((attributes.size() >> 8) & 0xff);
  p[7] = static_cast<char>(attributes.size() & 0xff);
  std::memcpy(p + 8, attributes.data(), attributes.size());
  ++count_;
}

void RibRecordBuilder::Finish(std::string& out) {
  Patch16(out, count_pos_, count_);
  FinishRecord(out, record_start_);
}

void AppendUpdate(std::string& out, UnixSeconds t, const Bgp4mpSession& session,
                  const std::vector<std::pair<uint32_t, int>>& withdrawn, const std::string& attributes,
                  const std::vector<std::pair<uint32_t, int>>& announced) {
  size_t start = BeginRecord(out, t, 16, 4);
  PutSessionHeader(out, session);
  size_t message = out.size();
  out.append(16, static_cast<char>(0xff));
  Put16(out, 0);  // length, patched
  Put8(out, 2);   // UPDATE
  size_t withdrawn_pos = out.size();
  Put16(out, 0);
  for (const auto& [prefix, len] : withdrawn) PutPrefix(out, prefix, len);
  Patch16(out, withdrawn_pos, static_cast<uint32_t>(out.size() - withdrawn_pos - 2));
  Put16(out, static_cast<uint32_t>(attributes.size()));
  out.append(attributes);
  for (const auto& [prefix, len] : announced) PutPrefix(out, prefix, len);
  Patch16(out, message + 16, static_cast<uint32_t>(out.size() - message));
  FinishRecord(out, start);
}

void AppendStateChange(std::string& out, UnixSeconds t, const Bgp4mpSession& session, int old_state, int new_state) {
  size_t start = BeginRecord(out, t, 16, 5);
  PutSessionHeader(out, session);
  Put16(out, static_cast<uint32_t>(old_state));
  Put16(out, static_cast<uint32_t>(new_state));
  FinishRecord(out, start);
}

}  // namespace vigil::sim
