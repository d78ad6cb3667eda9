// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"
#include "probe/belief.h"

namespace vigil::probe {

// One block's line of a round log.
struct BlockRecord {
  uint32_t base = 0;  // /24 network address, host byte order
  BlockState state = BlockState::kUnknown;
  double belief = kUncertain;
  int sent = 0;
  int replies = 0;
  std::vector<double> rtts_ms;  // one per reply
};

// A probing round as written by `vigil probe run` and `vigil sim` (CONTRACTS.md, docs/probe.md):
//   #vigil-probe-round v1 start=1641340800 round_s=600 prober=NAME
//   198.18.1.0/24<TAB>up<TAB>0.990<TAB>3<TAB>3<TAB>12.1,11.8,12.4
struct RoundLog {
  UnixSeconds start = 0;
  int64_t round_s = 600;
  std::string prober;
  std::vector<BlockRecord> blocks;
};

std::string FormatRoundLog(const RoundLog& log);
// Strict: every malformed line is an error naming the file and line (replies > sent, RTT count not equal
// to replies, a block that is not a /24, a belief outside 0..1, a duplicate block).
Result<RoundLog> ParseRoundLog(std::string_view text, const std::string& name);
Result<RoundLog> ReadRoundLog(const std::string& path);  // plain or gzip
// "probe-round.20220105.0000.tsv"; rounds that are not whole minutes (short test rounds) name the second
// too: "probe-round.20220105.000005.tsv". Readers take the start from the header, not the name.
std::string RoundLogFileName(UnixSeconds start, int64_t round_s);

}  // namespace vigil::probe
