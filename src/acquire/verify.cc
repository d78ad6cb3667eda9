// SPDX-License-Identifier: AGPL-3.0-or-later
// A fetched file counts only once it decompresses completely (gzip / bzip2 with their CRCs) within the ratio
// limit; the mrt module's input stream does the decompression.
#include <sys/stat.h>

#include "acquire/acquire.h"
#include "mrt/input_stream.h"

namespace vigil::acquire {

Result<int64_t> VerifyCompressedFile(const std::string& path, double max_decompression_ratio) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, path + ": cannot stat");
  Result<std::unique_ptr<mrt::InputStream>> opened = mrt::InputStream::Open(path);
  if (!opened.ok()) return opened.status().WithContext("not a readable compressed file");
  mrt::InputStream& in = **opened;
  if (in.compression() != mrt::Compression::kGzip && in.compression() != mrt::Compression::kBzip2)
    return Status::Corruption(std::string("not gzip or bzip2 (") + mrt::CompressionName(in.compression()) + ")");
  // Small files compress poorly and big ones are what the limit is for; a 1 MB floor keeps tiny files legal.
  const double limit = std::max(max_decompression_ratio * static_cast<double>(st.st_size), 1048576.0);
  constexpr size_t kChunk = 1 << 20;
  uint64_t pos = 0;
  while (true) {
    size_t got = in.Ensure(pos, kChunk);
    pos += got;
    in.Release(pos);
    if (static_cast<double>(pos) > limit)
      return Status::ResourceExhausted(
          "decompression ratio above " + std::to_string(static_cast<int>(max_decompression_ratio)) + " (" +
          std::to_string(pos) + " bytes from " + std::to_string(st.st_size) + "), refused");
    if (got < kChunk) break;
  }
  std::string error = in.EndError();
  if (!error.empty()) return Status::Corruption("corrupt: " + error);
  return static_cast<int64_t>(pos);
}

}  // namespace vigil::acquire
