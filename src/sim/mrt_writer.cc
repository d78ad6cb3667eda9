// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/mrt_writer.h"

#include <zlib.h>
#include <zstd.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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

inline void Store16(char* p, uint32_t v) {
  p[0] = static_cast<char>((v >> 8) & 0xff);
  p[1] = static_cast<char>(v & 0xff);
}
inline void Store32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>((v >> 16) & 0xff);
  p[2] = static_cast<char>((v >> 8) & 0xff);
  p[3] = static_cast<char>(v & 0xff);
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
void FinishRecord(std::string& out, size_t start) {
  Patch32(out, start + 8, static_cast<uint32_t>(out.size() - start - 12));
}

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
    case Compression::kGzip:
      return ".gz";
    case Compression::kZstd:
      return ".zst";
    case Compression::kNone:
      return "";
  }
  return "";
}

const char* CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      return "none";
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
  if (fd_ >= 0) ::close(fd_);
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

Status CompressedFileWriter::Open(const std::string& path, Compression compression, int level, bool direct_io) {
  path_ = path;
  compression_ = compression;
  direct_ = direct_io && compression == Compression::kNone;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (direct_ ? O_DIRECT : 0), 0644);
  if (fd_ < 0 && direct_ && errno == EINVAL) {  // the file system has no direct I/O (tmpfs, ...)
    direct_ = false;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  if (fd_ < 0) return Status::FromErrno(errno, path + ": cannot create: " + std::strerror(errno));
  if (compression == Compression::kGzip) {
    auto* gz = new GzipStream();
    stream_ = gz;
    if (deflateInit2(&gz->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return Status::Internal(path + ": deflateInit2 failed");
    }
    gz->header.os = 3;  // Unix; everything else zero: no name, no comment, mtime 0
    deflateSetHeader(&gz->z, &gz->header);
    out_.resize(1 << 18);
  } else if (compression == Compression::kZstd) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    stream_ = cctx;
    if (!cctx || ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1))) {
      return Status::Internal(path + ": zstd initialisation failed");
    }
    out_.resize(ZSTD_CStreamOutSize() * 4);
  }
  return Status::Ok();
}

Status CompressedFileWriter::LeaveDirectIo() {
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) < 0) {
    return Status::IOError(path_ + ": cannot leave direct I/O: " + std::strerror(errno));
  }
  direct_ = false;
  return Status::Ok();
}

Status CompressedFileWriter::Put(const void* data, size_t size) {
  // Straight to the file descriptor: callers hand over large chunks, and a stdio buffer would only add a copy.
  const char* p = static_cast<const char*>(data);
  if (direct_ && (reinterpret_cast<uintptr_t>(p) % kDirectIoAlignment || size % kDirectIoAlignment)) {
    VIGIL_RETURN_IF_ERROR(LeaveDirectIo());
  }
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && direct_) {  // alignment the device wants is larger than assumed
      VIGIL_RETURN_IF_ERROR(LeaveDirectIo());
      continue;
    }
    if (n <= 0) {
      const int error_number = n < 0 ? errno : ENOSPC;
      return Status::FromErrno(error_number, path_ + ": write failed: " + std::strerror(error_number));
    }
    p += n;
    size -= static_cast<size_t>(n);
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
    if (rc == Z_STREAM_ERROR) return Status::Internal(path_ + ": deflate failed");
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
    if (ZSTD_isError(remaining)) return Status::Internal(path_ + ": zstd: " + ZSTD_getErrorName(remaining));
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
  if (fd_ < 0) return Status::Ok();
  Status status = Status::Ok();
  if (compression_ == Compression::kGzip) status = Deflate(nullptr, 0, Z_FINISH);
  if (compression_ == Compression::kZstd) status = Zstd(nullptr, 0, true);
  FreeStreams();
  if (::close(fd_) != 0 && status.ok())
    status = Status::FromErrno(errno, path_ + ": close failed: " + std::strerror(errno));
  fd_ = -1;
  return status;
}

char* StoreAttributes(char* at, const PathAttributes& a) {
  // ORIGIN IGP
  at[0] = 0x40;
  at[1] = 1;
  at[2] = 1;
  at[3] = 0;
  at += 4;
  // AS_PATH: one AS_SEQUENCE segment of 4-byte ASNs (extended length when long)
  size_t seg = 2 + 4 * a.as_path_len;
  if (seg > 255) {
    at[0] = 0x50;
    at[1] = 2;
    Store16(at + 2, static_cast<uint32_t>(seg));
    at += 4;
  } else {
    at[0] = 0x40;
    at[1] = 2;
    at[2] = static_cast<char>(seg);
    at += 3;
  }
  at[0] = 2;
  at[1] = static_cast<char>(a.as_path_len);
  at += 2;
  for (size_t i = 0; i < a.as_path_len; ++i, at += 4) Store32(at, a.as_path[i]);
  // NEXT_HOP
  at[0] = 0x40;
  at[1] = 3;
  at[2] = 4;
  Store32(at + 3, a.next_hop);
  at += 7;
  if (a.has_med) {
    at[0] = static_cast<char>(0x80);
    at[1] = 4;
    at[2] = 4;
    Store32(at + 3, a.med);
    at += 7;
  }
  if (a.community) {
    at[0] = static_cast<char>(0xc0);
    at[1] = 8;
    at[2] = 4;
    Store32(at + 3, a.community);
    at += 7;
  }
  return at;
}

void AppendAttributes(std::string& out, const PathAttributes& a) {
  size_t at = out.size();
  out.resize(at + MaxAttributeBytes(a.as_path_len));
  char* end = StoreAttributes(out.data() + at, a);
  out.resize(static_cast<size_t>(end - out.data()));
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

char* RibRecordWriter::Begin(char* at, UnixSeconds t, uint32_t sequence, uint32_t prefix, int len) {
  record_start_ = at;
  Store32(at, static_cast<uint32_t>(t));
  Store16(at + 4, 13);
  Store16(at + 6, 2);
  Store32(at + 12, sequence);
  at += 16;
  *at++ = static_cast<char>(len);
  for (int i = 0; i < (len + 7) / 8; ++i) *at++ = static_cast<char>((prefix >> (24 - 8 * i)) & 0xff);
  count_at_ = at;
  count_ = 0;
  return at + 2;
}

char* RibRecordWriter::Finish(char* at) {
  Store16(count_at_, count_);
  Store32(record_start_ + 8, static_cast<uint32_t>(at - record_start_ - 12));
  return at;
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
