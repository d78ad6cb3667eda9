// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace vigil {

// Lower-case hex SHA-256 of a file's bytes (as stored on disk, compressed or not).
Result<std::string> Sha256OfFile(const std::string& path);
// Lower-case hex SHA-256 of a buffer.
std::string Sha256OfBytes(std::span<const uint8_t> bytes);

}  // namespace vigil
