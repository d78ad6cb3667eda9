// SPDX-License-Identifier: AGPL-3.0-or-later
// Decompressed bytes of one file as one contiguous, forward-sliding window. A background thread
// decompresses ahead of the reader (decode overlaps decompression); the window is a large reservation of
// virtual memory whose consumed pages are returned to the system, so views into it never move and memory
// stays bounded by the read-ahead limit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "base/result.h"

namespace vigil::mrt {

enum class Compression { kNone, kGzip, kBzip2, kZstd };
const char* CompressionName(Compression c);
// Detects the format from the first bytes of a file (magic numbers, never the name).
Compression DetectCompression(const uint8_t* data, size_t size);

// Produces decompressed bytes; Read returns 0 at the clean end, or an error Status on corrupt or
// truncated input.
class Decompressor {
 public:
  virtual ~Decompressor() = default;
  virtual Result<size_t> Read(uint8_t* out, size_t capacity) = 0;
};

struct InputStreamOptions {
  bool bzip2_first_stream_only = false;
};

class InputStream {
 public:
  static Result<std::unique_ptr<InputStream>> Open(const std::string& path, InputStreamOptions options = {});
  // The same over bytes already in memory (kept alive by the caller); `name` is for messages. Decompresses
  // on the caller's thread as Ensure() asks, with no producer thread (cheap to open: fuzzing, tests).
  static Result<std::unique_ptr<InputStream>> OpenMemory(const std::string& name, std::span<const uint8_t> bytes,
                                                         InputStreamOptions options = {});
  ~InputStream();

  // Blocks until bytes [pos, pos + n) are decompressed or the input ended; returns how many of them exist
  // (< n only at the end). pos must not be before the last Release().
  size_t Ensure(uint64_t pos, size_t n);
  const uint8_t* At(uint64_t pos) const { return base_ + pos; }
  // Bytes before pos will not be read again.
  void Release(uint64_t pos);
  // After Ensure() reported the end: why it ended early, if it did ("" when the input was complete).
  std::string EndError() const;
  Compression compression() const { return compression_; }

 private:
  InputStream() = default;
  Status Reserve(const std::string& name, size_t largest);
  void Produce();
  bool ProduceStep(uint64_t& produced);  // one chunk; false once the input ended (end_error_ says why)

  std::unique_ptr<Decompressor> decompressor_;
  Compression compression_ = Compression::kNone;
  uint8_t* base_ = nullptr;
  size_t reserved_ = 0;
  std::atomic<uint64_t> produced_{0};
  std::atomic<uint64_t> released_{0};
  std::atomic<uint64_t> wanted_{0};  // the reader waits for bytes up to here (may exceed the read-ahead)
  std::atomic<uint32_t> produced_ticks_{0};
  std::atomic<uint32_t> released_ticks_{0};
  std::atomic<bool> finished_{false};
  std::atomic<bool> stop_{false};
  uint64_t discarded_ = 0;  // bytes handed back to the system (consumer side)
  std::string end_error_;   // written by the producer before finished_
  std::thread producer_;
  bool synchronous_ = false;  // OpenMemory: no producer thread
};

}  // namespace vigil::mrt
