// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil {

// Seconds since the Unix epoch, UTC. All of Vigil's bins and timestamps use it.
using UnixSeconds = int64_t;

// Parses "2022-01-05T11:00:00Z" (RFC 3339, 'Z' or ±hh:mm offset, optional fraction), "2022-01-05"
// (midnight UTC) or plain Unix seconds ("1641380400").
Result<UnixSeconds> ParseTime(std::string_view text);
// "2022-01-05T11:00:00Z"
std::string FormatRfc3339(UnixSeconds t);
// Start of the bin of width step_s that holds t (bins are aligned to the Unix epoch, i.e. UTC).
inline UnixSeconds BinStart(UnixSeconds t, int64_t step_s) {
  int64_t r = t % step_s;
  return r < 0 ? t - r - step_s : t - r;
}

}  // namespace vigil
