// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/round_log.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <unordered_set>

#include "probe/hitlist.h"
#include "probe/text_file.h"

namespace vigil::probe {
namespace {

Status LineError(const std::string& name, size_t line, const std::string& what) {
  return Status::Corruption(name + ":" + std::to_string(line) + ": " + what);
}

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string FormatRoundLog(const RoundLog& log) {
  std::string out = "#vigil-probe-round v1 start=" + std::to_string(log.start) +
                    " round_s=" + std::to_string(log.round_s) + " prober=" + log.prober + "\n";
  char number[64];
  for (const auto& block : log.blocks) {
    out += FormatBlock(block.base);
    std::snprintf(number, sizeof number, "\t%s\t%.3f\t%d\t%d\t", BlockStateName(block.state), block.belief, block.sent,
                  block.replies);
    out += number;
    if (block.rtts_ms.empty()) out += '-';
    for (size_t i = 0; i < block.rtts_ms.size(); ++i) {
      std::snprintf(number, sizeof number, i ? ",%.1f" : "%.1f", block.rtts_ms[i]);
      out += number;
    }
    out += '\n';
  }
  return out;
}

Result<RoundLog> ParseRoundLog(std::string_view text, const std::string& name) {
  RoundLog log;
  auto lines = SplitLines(text);
  if (lines.empty() || !lines[0].starts_with("#vigil-probe-round v1")) {
    return LineError(name, 1, "not a probe round log (expected '#vigil-probe-round v1 ...')");
  }
  bool have_start = false;
  for (auto field : Split(lines[0], ' ')) {
    if (field.starts_with("start=")) {
      have_start = ParseNumber(field.substr(6), log.start);
      if (!have_start) return LineError(name, 1, "bad start=");
    } else if (field.starts_with("round_s=")) {
      if (!ParseNumber(field.substr(8), log.round_s) || log.round_s <= 0) return LineError(name, 1, "bad round_s=");
    } else if (field.starts_with("prober=")) {
      log.prober = std::string(field.substr(7));
    }
  }
  if (!have_start) return LineError(name, 1, "header lacks start=");
  std::unordered_set<uint32_t> seen;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty() || line.front() == '#') continue;
    auto columns = Split(line, '\t');
    if (columns.size() != 6) return LineError(name, i + 1, "expected 6 tab-separated columns");
    BlockRecord block;
    auto cidr = ParseCidr(columns[0]);
    if (!cidr.ok() || cidr->length != 24 || (cidr->address & 0xff) != 0) {
      return LineError(name, i + 1, "block must be a /24 like 198.18.1.0/24");
    }
    block.base = cidr->address;
    if (!seen.insert(block.base).second) return LineError(name, i + 1, "duplicate block");
    if (columns[1] == "up") {
      block.state = BlockState::kUp;
    } else if (columns[1] == "down") {
      block.state = BlockState::kDown;
    } else if (columns[1] == "unknown") {
      block.state = BlockState::kUnknown;
    } else {
      return LineError(name, i + 1, "state must be up, down or unknown");
    }
    if (!ParseNumber(columns[2], block.belief) || !(block.belief >= 0 && block.belief <= 1)) {
      return LineError(name, i + 1, "belief must be a number in 0..1");
    }
    if (!ParseNumber(columns[3], block.sent) || !ParseNumber(columns[4], block.replies) || block.sent < 0 ||
        block.replies < 0 || block.replies > block.sent) {
      return LineError(name, i + 1, "probes sent and replies must be integers with 0 <= replies <= sent");
    }
    if (columns[5] != "-") {
      for (auto item : Split(columns[5], ',')) {
        double rtt = 0;
        if (!ParseNumber(item, rtt) || !(rtt >= 0 && rtt < 1e7))
          return LineError(name, i + 1, "bad RTT '" + std::string(item) + "'");
        block.rtts_ms.push_back(rtt);
      }
    }
    if (static_cast<int>(block.rtts_ms.size()) != block.replies) {
      return LineError(name, i + 1, "number of RTTs differs from replies");
    }
    log.blocks.push_back(std::move(block));
  }
  return log;
}

Result<RoundLog> ReadRoundLog(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseRoundLog(*text, path);
}

std::string RoundLogFileName(UnixSeconds start, int64_t round_s) {
  time_t t = static_cast<time_t>(start);
  struct tm tm;
  gmtime_r(&t, &tm);
  char name[64];
  if (round_s % 60 == 0) {
    std::strftime(name, sizeof name, "probe-round.%Y%m%d.%H%M.tsv", &tm);
  } else {
    std::strftime(name, sizeof name, "probe-round.%Y%m%d.%H%M%S.tsv", &tm);
  }
  return name;
}

}  // namespace vigil::probe
