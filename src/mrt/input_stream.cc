// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mrt/input_stream.h"

#include <bzlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#ifdef VIGIL_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

namespace vigil::mrt {
namespace {

// Decompressed bytes the producer may run ahead of the reader: enough to keep both threads busy, small
// enough that a full RIB dump (GBs uncompressed) stays within a modest resident set.
constexpr uint64_t kMaxReadAhead = 96ull << 20;
constexpr size_t kProduceChunk = 1u << 20;
constexpr size_t kInputChunk = 256u << 10;
// Pages behind the reader are returned to the system in steps of this size.
constexpr uint64_t kDiscardStep = 32ull << 20;

// Where compressed bytes come from: a file descriptor, or (fd -1) a buffer the caller keeps alive.
struct Source {
  int fd = -1;
  std::span<const uint8_t> memory;
};

// Reads the compressed input in chunks; keeps a small look-ahead so decoders can peek at magic bytes. The
// input is a file descriptor (owned: closed at the end) or, with fd -1, a caller's buffer handed out in the
// same chunk sizes a file would be, so decoders see the same boundaries either way.
class FileInput {
 public:
  explicit FileInput(const Source& source) : fd_(source.fd), memory_(source.memory) {
    if (fd_ >= 0) buffer_.resize(kInputChunk);
  }
  ~FileInput() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileInput(const FileInput&) = delete;
  FileInput& operator=(const FileInput&) = delete;
  // Makes input available; returns false at end of input (or read error, remembered in error()).
  bool Fill() {
    if (pos_ < end_) return true;
    if (eof_) return false;
    if (fd_ < 0) {
      if (memory_.empty()) {
        eof_ = true;
        return false;
      }
      size_t n = std::min(kInputChunk, memory_.size());
      chunk_ = memory_.data();
      memory_ = memory_.subspan(n);
      pos_ = 0;
      end_ = n;
      return true;
    }
    ssize_t n;
    do {
      n = ::read(fd_, buffer_.data(), buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      error_ = Status::IOError(std::string("read error: ") + std::strerror(errno));
      eof_ = true;
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    chunk_ = buffer_.data();
    pos_ = 0;
    end_ = static_cast<size_t>(n);
    return true;
  }
  // Decompression libraries take non-const input pointers but never write through them.
  uint8_t* data() { return const_cast<uint8_t*>(chunk_) + pos_; }
  size_t available() const { return end_ - pos_; }
  void Consume(size_t n) { pos_ += n; }
  const Status& error() const { return error_; }

 private:
  int fd_;
  std::span<const uint8_t> memory_;  // not yet handed out (memory input)
  std::vector<uint8_t> buffer_;
  const uint8_t* chunk_ = nullptr;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  Status error_;
};

class PlainDecompressor : public Decompressor {
 public:
  explicit PlainDecompressor(const Source& source) : fd_(source.fd), memory_(source.memory) {}
  ~PlainDecompressor() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Result<size_t> Read(uint8_t* out, size_t capacity) override {
    if (fd_ < 0) {
      size_t n = std::min(capacity, memory_.size());
      if (n > 0) std::memcpy(out, memory_.data(), n);
      memory_ = memory_.subspan(n);
      return n;
    }
    size_t total = 0;
    while (total < capacity) {
      ssize_t n = ::read(fd_, out + total, capacity - total);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IOError(std::string("read error: ") + std::strerror(errno));
      if (n == 0) break;
      total += static_cast<size_t>(n);
    }
    return total;
  }

 private:
  int fd_;
  std::span<const uint8_t> memory_;
};

// gzip, including files of several concatenated members (as zlib's gzread reads them; bytes after the
// last member that do not start another member are ignored, as gzread does).
class GzipDecompressor : public Decompressor {
 public:
  explicit GzipDecompressor(const Source& source) : input_(source) {
    std::memset(&stream_, 0, sizeof stream_);
    ok_ = inflateInit2(&stream_, 15 + 16) == Z_OK;
  }
  ~GzipDecompressor() override { inflateEnd(&stream_); }
  Result<size_t> Read(uint8_t* out, size_t capacity) override {
    if (!ok_) return Status::Internal("zlib initialisation failed");
    if (!error_.ok()) return error_;
    size_t total = 0;
    while (total < capacity && !ended_) {
      if (!input_.Fill()) {
        if (!input_.error().ok()) {
          error_ = input_.error();
          break;
        }
        if (in_member_) {
          error_ = Status::Corruption("gzip stream truncated (unexpected end of file)");
          break;
        }
        ended_ = true;
        break;
      }
      if (!in_member_) {
        // Between members: another member must start with the gzip magic; anything else is trailing garbage.
        if (input_.data()[0] != 0x1f) {
          ended_ = true;
          break;
        }
        inflateReset(&stream_);
        in_member_ = true;
      }
      stream_.next_in = input_.data();
      stream_.avail_in = static_cast<uInt>(input_.available());
      stream_.next_out = out + total;
      stream_.avail_out = static_cast<uInt>(capacity - total);
      int rc = inflate(&stream_, Z_NO_FLUSH);
      size_t produced = (capacity - total) - stream_.avail_out;
      total += produced;
      input_.Consume(input_.available() - stream_.avail_in);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        continue;
      }
      if (rc == Z_BUF_ERROR && produced == 0 && stream_.avail_out > 0) continue;  // needs more input
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        {
          error_ = Status::Corruption(std::string("gzip data error: ") + (stream_.msg ? stream_.msg : "corrupt data"));
          break;
        }
      }
    }
    if (total == 0 && !error_.ok()) return error_;
    return total;
  }

 private:
  FileInput input_;
  Status error_;
  z_stream stream_;
  bool ok_ = false;
  bool in_member_ = true;
  bool ended_ = false;
};

#ifdef VIGIL_HAVE_ISAL
// gzip through ISA-L's inflate, about three times zlib's speed; same member and trailing-data rules as the
// zlib reader above. Inflating is most of the cost of reading a compressed file.
class IsalGzipDecompressor : public Decompressor {
 public:
  explicit IsalGzipDecompressor(const Source& source) : input_(source) { Start(); }
  Result<size_t> Read(uint8_t* out, size_t capacity) override {
    if (!error_.ok()) return error_;
    size_t total = 0;
    while (total < capacity && !ended_) {
      if (!input_.Fill()) {
        if (!input_.error().ok()) {
          error_ = input_.error();
          break;
        }
        if (in_member_) {
          // ISA-L may still hold decoded bytes; drain them before calling the stream truncated.
          state_.next_in = input_.data();
          state_.avail_in = 0;
          state_.next_out = out + total;
          state_.avail_out = static_cast<uint32_t>(capacity - total);
          isal_inflate(&state_);
          size_t produced = (capacity - total) - state_.avail_out;
          total += produced;
          if (state_.block_state == ISAL_BLOCK_FINISH) {
            in_member_ = false;
            continue;
          }
          if (produced > 0) continue;
          error_ = Status::Corruption("gzip stream truncated (unexpected end of file)");
          break;
        }
        ended_ = true;
        break;
      }
      if (!in_member_) {
        if (input_.data()[0] != 0x1f) {
          ended_ = true;
          break;
        }
        Start();
      }
      state_.next_in = input_.data();
      state_.avail_in = static_cast<uint32_t>(input_.available());
      state_.next_out = out + total;
      state_.avail_out = static_cast<uint32_t>(capacity - total);
      int rc = isal_inflate(&state_);
      total += (capacity - total) - state_.avail_out;
      input_.Consume(input_.available() - state_.avail_in);
      if (rc < 0) {
        error_ = Status::Corruption("gzip data error (ISA-L code " + std::to_string(rc) + ")");
        break;
      }
      if (state_.block_state == ISAL_BLOCK_FINISH) in_member_ = false;
    }
    if (total == 0 && !error_.ok()) return error_;
    return total;
  }

 private:
  void Start() {
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
    in_member_ = true;
  }

  FileInput input_;
  Status error_;
  inflate_state state_;
  bool in_member_ = true;
  bool ended_ = false;
};
#endif

class Bzip2Decompressor : public Decompressor {
 public:
  Bzip2Decompressor(const Source& source, bool first_stream_only)
      : input_(source), first_stream_only_(first_stream_only) {
    std::memset(&stream_, 0, sizeof stream_);
    ok_ = BZ2_bzDecompressInit(&stream_, 0, 0) == BZ_OK;
  }
  ~Bzip2Decompressor() override {
    if (ok_) BZ2_bzDecompressEnd(&stream_);
  }
  Result<size_t> Read(uint8_t* out, size_t capacity) override {
    if (!ok_) return Status::Internal("bzip2 initialisation failed");
    if (!error_.ok()) return error_;
    size_t total = 0;
    while (total < capacity && !ended_) {
      if (!input_.Fill()) {
        if (!input_.error().ok()) {
          error_ = input_.error();
          break;
        }
        if (in_stream_) {
          error_ = Status::Corruption("bzip2 stream truncated (unexpected end of file)");
          break;
        }
        ended_ = true;
        break;
      }
      if (!in_stream_) {
        if (first_stream_only_ || input_.available() < 1 || input_.data()[0] != 'B') {
          ended_ = true;
          break;
        }
        BZ2_bzDecompressEnd(&stream_);
        std::memset(&stream_, 0, sizeof stream_);
        if (BZ2_bzDecompressInit(&stream_, 0, 0) != BZ_OK) {
          ok_ = false;
          {
            error_ = Status::Internal("bzip2 initialisation failed");
            break;
          }
        }
        in_stream_ = true;
      }
      stream_.next_in = reinterpret_cast<char*>(input_.data());
      stream_.avail_in = static_cast<unsigned>(input_.available());
      stream_.next_out = reinterpret_cast<char*>(out + total);
      stream_.avail_out = static_cast<unsigned>(capacity - total);
      int rc = BZ2_bzDecompress(&stream_);
      total += (capacity - total) - stream_.avail_out;
      input_.Consume(input_.available() - stream_.avail_in);
      if (rc == BZ_STREAM_END) {
        in_stream_ = false;
        continue;
      }
      if (rc != BZ_OK) {
        error_ = Status::Corruption("bzip2 data error (code " + std::to_string(rc) + ")");
        break;
      }
    }
    if (total == 0 && !error_.ok()) return error_;
    return total;
  }

 private:
  FileInput input_;
  Status error_;
  bz_stream stream_;
  bool first_stream_only_;
  bool ok_ = false;
  bool in_stream_ = true;
  bool ended_ = false;
};

class ZstdDecompressor : public Decompressor {
 public:
  explicit ZstdDecompressor(const Source& source) : input_(source), stream_(ZSTD_createDStream()) {}
  ~ZstdDecompressor() override { ZSTD_freeDStream(stream_); }
  Result<size_t> Read(uint8_t* out, size_t capacity) override {
    if (stream_ == nullptr) return Status::Internal("zstd initialisation failed");
    if (!error_.ok()) return error_;
    size_t total = 0;
    while (total < capacity) {
      if (!input_.Fill()) {
        if (!input_.error().ok()) {
          error_ = input_.error();
          break;
        }
        if (frame_open_) {
          error_ = Status::Corruption("zstd stream truncated (unexpected end of file)");
          break;
        }
        break;
      }
      ZSTD_inBuffer in{input_.data(), input_.available(), 0};
      ZSTD_outBuffer o{out + total, capacity - total, 0};
      size_t rc = ZSTD_decompressStream(stream_, &o, &in);
      if (ZSTD_isError(rc)) {
        error_ = Status::Corruption(std::string("zstd data error: ") + ZSTD_getErrorName(rc));
        break;
      }
      frame_open_ = rc != 0;
      total += o.pos;
      input_.Consume(in.pos);
    }
    if (total == 0 && !error_.ok()) return error_;
    return total;
  }

 private:
  FileInput input_;
  Status error_;
  ZSTD_DStream* stream_;
  bool frame_open_ = false;
};

std::unique_ptr<Decompressor> MakeDecompressor(Compression compression, const Source& source,
                                               const InputStreamOptions& options) {
  switch (compression) {
    case Compression::kNone:
      break;
    case Compression::kGzip:
#ifdef VIGIL_HAVE_ISAL
      return std::make_unique<IsalGzipDecompressor>(source);
#else
      return std::make_unique<GzipDecompressor>(source);
#endif
    case Compression::kBzip2:
      return std::make_unique<Bzip2Decompressor>(source, options.bzip2_first_stream_only);
    case Compression::kZstd:
      return std::make_unique<ZstdDecompressor>(source);
  }
  return std::make_unique<PlainDecompressor>(source);
}

}  // namespace

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kBzip2:
      return "bzip2";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

Compression DetectCompression(const uint8_t* d, size_t n) {
  if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) return Compression::kGzip;
  if (n >= 3 && d[0] == 'B' && d[1] == 'Z' && d[2] == 'h') return Compression::kBzip2;
  if (n >= 4 && d[0] == 0x28 && d[1] == 0xb5 && d[2] == 0x2f && d[3] == 0xfd) return Compression::kZstd;
  return Compression::kNone;
}

Result<std::unique_ptr<InputStream>> InputStream::Open(const std::string& path, InputStreamOptions options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, path + ": cannot open: " + std::strerror(errno));
  uint8_t magic[4] = {};
  ssize_t got = ::pread(fd, magic, sizeof magic, 0);
  if (got < 0) {
    Status error = Status::FromErrno(errno, path + ": cannot read: " + std::strerror(errno));
    ::close(fd);
    return error;
  }
  std::unique_ptr<InputStream> stream(new InputStream());
  stream->compression_ = DetectCompression(magic, static_cast<size_t>(got));
  stream->decompressor_ = MakeDecompressor(stream->compression_, Source{fd, {}}, options);
  VIGIL_RETURN_IF_ERROR(stream->Reserve(path, size_t{1} << 36));
  stream->producer_ = std::thread([s = stream.get()] { s->Produce(); });
  return stream;
}

Result<std::unique_ptr<InputStream>> InputStream::OpenMemory(const std::string& name, std::span<const uint8_t> bytes,
                                                             InputStreamOptions options) {
  std::unique_ptr<InputStream> stream(new InputStream());
  stream->compression_ = DetectCompression(bytes.data(), bytes.size());
  stream->decompressor_ = MakeDecompressor(stream->compression_, Source{-1, bytes}, options);
  // A smaller window: mapping and unmapping 64 GiB costs more than decoding a small input (under ASan most
  // of all), and in-memory inputs are small.
  VIGIL_RETURN_IF_ERROR(stream->Reserve(name, size_t{1} << 30));
  stream->synchronous_ = true;
  return stream;
}

Status InputStream::Reserve(const std::string& name, size_t largest) {
  // Address space only (MAP_NORESERVE); pages materialise as the producer writes them.
  for (size_t size = largest; size >= (size_t{1} << 28); size >>= 1) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      // Every decompressed byte lands on a fresh page (the window only moves forward): 2 MiB pages where the
      // system allows them take one fault where 4 KiB pages took 512. Advice only: refusal changes nothing.
      ::madvise(p, size, MADV_HUGEPAGE);
      base_ = static_cast<uint8_t*>(p);
      reserved_ = size;
      return Status::Ok();
    }
  }
  return Status::ResourceExhausted(name + ": cannot reserve memory for decompression");
}

InputStream::~InputStream() {
  stop_.store(true);
  released_ticks_.fetch_add(1);
  released_ticks_.notify_all();
  if (producer_.joinable()) producer_.join();
  if (base_ != nullptr) ::munmap(base_, reserved_);
}

void InputStream::Produce() {
  uint64_t produced = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    uint32_t tick = released_ticks_.load(std::memory_order_acquire);
    if (produced - released_.load(std::memory_order_acquire) >= kMaxReadAhead &&
        produced >= wanted_.load(std::memory_order_acquire)) {
      released_ticks_.wait(tick);
      continue;
    }
    if (!ProduceStep(produced)) break;
  }
  finished_.store(true, std::memory_order_release);
  produced_ticks_.fetch_add(1, std::memory_order_release);
  produced_ticks_.notify_all();
}

bool InputStream::ProduceStep(uint64_t& produced) {
  size_t room = static_cast<size_t>(std::min<uint64_t>(kProduceChunk, reserved_ - produced));
  if (room == 0) {
    end_error_ = "decompressed size exceeds " + std::to_string(reserved_) + " bytes";
    return false;
  }
  Result<size_t> n = decompressor_->Read(base_ + produced, room);
  if (!n.ok()) {
    end_error_ = n.message();
    return false;
  }
  if (*n == 0) return false;
  produced += *n;
  produced_.store(produced, std::memory_order_release);
  if (!synchronous_) {
    produced_ticks_.fetch_add(1, std::memory_order_release);
    produced_ticks_.notify_all();
  }
  return true;
}

size_t InputStream::Ensure(uint64_t pos, size_t n) {
  if (synchronous_) {
    uint64_t produced = produced_.load(std::memory_order_relaxed);
    while (produced < pos + n && !finished_.load(std::memory_order_relaxed)) {
      if (!ProduceStep(produced)) finished_.store(true, std::memory_order_relaxed);
    }
    if (produced >= pos + n) return n;
    return produced > pos ? static_cast<size_t>(std::min<uint64_t>(n, produced - pos)) : 0;
  }
  for (;;) {
    uint32_t tick = produced_ticks_.load(std::memory_order_acquire);
    uint64_t produced = produced_.load(std::memory_order_acquire);
    if (produced >= pos + n) return n;
    if (finished_.load(std::memory_order_acquire)) {
      produced = produced_.load(std::memory_order_acquire);
      return produced > pos ? static_cast<size_t>(std::min<uint64_t>(n, produced - pos)) : 0;
    }
    if (wanted_.load(std::memory_order_relaxed) < pos + n) {
      wanted_.store(pos + n, std::memory_order_release);
      released_ticks_.fetch_add(1, std::memory_order_release);
      released_ticks_.notify_all();
    }
    produced_ticks_.wait(tick, std::memory_order_acquire);
  }
}

void InputStream::Release(uint64_t pos) {
  released_.store(pos, std::memory_order_release);
  released_ticks_.fetch_add(1, std::memory_order_release);
  released_ticks_.notify_all();
  if (pos - discarded_ >= kDiscardStep) {
    const uint64_t page = 2u << 20;  // whole huge pages, so none is split
    uint64_t end = pos / page * page;
    if (end > discarded_) {
      ::madvise(base_ + discarded_, end - discarded_, MADV_DONTNEED);
      discarded_ = end;
    }
  }
}

std::string InputStream::EndError() const {
  return finished_.load(std::memory_order_acquire) ? end_error_ : std::string();
}

}  // namespace vigil::mrt
