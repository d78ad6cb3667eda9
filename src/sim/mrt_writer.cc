#include "sim/mrt_writer.h"

#include <zlib.h>

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

GzipFileWriter::~GzipFileWriter() {
  if (stream_) {
    deflateEnd(&static_cast<GzipStream*>(stream_)->z);
    delete static_cast<GzipStream*>(stream_);
  }
  if (file_) std::fclose(file_);
}

Status GzipFileWriter::Open(const std::string& path, int level) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) return Status::Error(path + ": cannot create: " + std::strerror(errno));
  auto* gz = new GzipStream();
  stream_ = gz;
  if (deflateInit2(&gz->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Error(path + ": deflateInit2 failed");
  }
  gz->header.os = 3;  // Unix; everything else zero: no name, no comment, mtime 0
  deflateSetHeader(&gz->z, &gz->header);
  out_.resize(1 << 18);
  return Status::Ok();
}

Status GzipFileWriter::Deflate(const void* data, size_t size, int flush) {
  z_stream* z = &static_cast<GzipStream*>(stream_)->z;
  z->next_in = static_cast<Bytef*>(const_cast<void*>(data));
  z->avail_in = static_cast<uInt>(size);
  do {
    z->next_out = out_.data();
    z->avail_out = static_cast<uInt>(out_.size());
    int rc = deflate(z, flush);
    if (rc == Z_STREAM_ERROR) return Status::Error(path_ + ": deflate failed");
    size_t produced = out_.size() - z->avail_out;
    if (produced && std::fwrite(out_.data(), 1, produced, file_) != produced) {
      return Status::Error(path_ + ": write failed: " + std::strerror(errno));
    }
  } while (z->avail_out == 0 || (flush == Z_FINISH && z->avail_in > 0));
  return Status::Ok();
}

Status GzipFileWriter::Write(const void* data, size_t size) {
  bytes_in_ += size;
  const char* p = static_cast<const char*>(data);
  while (size > 0) {  // avail_in is 32-bit
    size_t chunk = std::min<size_t>(size, 1u << 30);
    VIGIL_RETURN_IF_ERROR(Deflate(p, chunk, Z_NO_FLUSH));
    p += chunk;
    size -= chunk;
  }
  return Status::Ok();
}

Status GzipFileWriter::Close() {
  if (!file_) return Status::Ok();
  Status status = Deflate(nullptr, 0, Z_FINISH);
  deflateEnd(&static_cast<GzipStream*>(stream_)->z);
  delete static_cast<GzipStream*>(stream_);
  stream_ = nullptr;
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
                                const std::string& attributes) {
  Put16(out, peer_index);
  Put32(out, originated);
  Put16(out, static_cast<uint32_t>(attributes.size()));
  out.append(attributes);
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
