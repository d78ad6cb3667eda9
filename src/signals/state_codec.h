// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::signals {

// LEB128 varints over a string: the compact encoding of the persisted peer tables.
class StateWriter {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(char(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(char(v));
  }
  void Signed(int64_t v) { Varint((uint64_t(v) << 1) ^ uint64_t(v >> 63)); }
  void Bytes(std::string_view s) {
    Varint(s.size());
    bytes_.append(s);
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads what StateWriter wrote; a truncated or corrupt input sets failed() instead of reading past the end.
class StateReader {
 public:
  explicit StateReader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) {
        failed_ = true;
        return 0;
      }
      uint8_t b = uint8_t(*p_++);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    failed_ = true;
    return 0;
  }
  int64_t Signed() {
    uint64_t v = Varint();
    return int64_t(v >> 1) ^ -int64_t(v & 1);
  }
  std::string Bytes() {
    uint64_t n = Varint();
    if (n > uint64_t(end_ - p_)) {
      failed_ = true;
      return {};
    }
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  bool failed() const { return failed_; }
  bool at_end() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
  bool failed_ = false;
};

}  // namespace vigil::signals
