// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Test helper shared by mrt_test.cc and robustness_test.cc: where the records of a decompressed MRT stream start.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::mrt::test_util {

// Offsets of the whole MRT records of a decompressed stream (12-byte headers; _ET lengths include the
// microseconds). A record cut by the end of the stream is not listed.
inline std::vector<size_t> RecordOffsets(const std::string& raw) {
  std::vector<size_t> offsets;
  size_t pos = 0;
  while (pos + 12 <= raw.size()) {
    const auto* h = reinterpret_cast<const uint8_t*>(raw.data() + pos);
    size_t length = (size_t{h[8]} << 24) | (size_t{h[9]} << 16) | (size_t{h[10]} << 8) | h[11];
    if (pos + 12 + length > raw.size()) break;
    offsets.push_back(pos);
    pos += 12 + length;
  }
  return offsets;
}

}  // namespace vigil::mrt::test_util
