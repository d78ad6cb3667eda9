// SPDX-License-Identifier: AGPL-3.0-or-later
// Big-endian loads from possibly unaligned wire bytes.
#pragma once

#include <cstdint>

namespace vigil::mrt {

inline uint16_t LoadU16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t LoadU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace vigil::mrt
