// SPDX-License-Identifier: AGPL-3.0-or-later
// Fuzzes the whole-file tools behind `vigil mrt dump -m` and `vigil mrt stat`: the input is a file as it
// would be on disk (plain or compressed; the reader detects gzip, bzip2 and zstd by their magic bytes), read
// from memory (ReaderOptions::contents: no file, no producer thread, so an execution costs what decoding
// costs). Lines go to /dev/null; only crashes and sanitizer reports matter here.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "mrt/mrt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) std::abort();
  vigil::mrt::ReaderOptions options;
  options.contents = std::span<const uint8_t>(data, size);
  (void)vigil::mrt::WriteBgpdumpLines("fuzz-input", null_fd, options);
  (void)vigil::mrt::ComputeFileStats("fuzz-input", options);
  return 0;
}
