// SPDX-License-Identifier: AGPL-3.0-or-later
// BinCloser and RunClock: when a bin is closed, and what time it is.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "observatory/observatory.h"
#include "signals/bgp_signal_builder.h"

namespace vigil::observatory {
namespace {

constexpr int64_t kBin = signals::kBgpBinSeconds;

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool IngestOrderLess(const SourceFile& a, const SourceFile& b) {
  if (a.start != b.start) return a.start < b.start;
  bool a_rib = a.kind == signals::MrtFileKind::kRib, b_rib = b.kind == signals::MrtFileKind::kRib;
  if (a_rib != b_rib) return a_rib;
  if (a.collector != b.collector) return a.collector < b.collector;
  return a.name < b.name;
}

RunClock::RunClock() : wall_origin_ms_(WallMillis()) {}

RunClock::RunClock(UnixSeconds origin, double speed)
    : replay_(true), origin_(origin), speed_(speed), wall_origin_ms_(WallMillis()) {}

Result<RunClock> RunClock::Parse(const std::string& spec) {
  if (spec.empty()) return RunClock();
  auto at = spec.rfind('@');
  if (at == std::string::npos) return Status::InvalidArgument("--clock '" + spec + "': expected TIME@SPEED");
  auto origin = ParseTime(spec.substr(0, at));
  if (!origin.ok()) return origin.status().WithContext("--clock '" + spec + "'");
  char* end = nullptr;
  std::string speed_text = spec.substr(at + 1);
  double speed = std::strtod(speed_text.c_str(), &end);
  if (end == speed_text.c_str() || *end != '\0' || !std::isfinite(speed) || speed <= 0 || speed > 1e6) {
    return Status::InvalidArgument("--clock '" + spec + "': SPEED must be a number in (0, 1000000]");
  }
  return RunClock(*origin, speed);
}

UnixSeconds RunClock::Now() const {
  int64_t wall_ms = WallMillis();
  if (!replay_) return wall_ms / 1000;
  return origin_ + static_cast<UnixSeconds>(std::floor(double(wall_ms - wall_origin_ms_) / 1000.0 * speed_));
}

UnixSeconds RunClock::AtWall(double wall_seconds) const {
  if (!replay_) return static_cast<UnixSeconds>(std::floor(wall_seconds));
  return origin_ +
         static_cast<UnixSeconds>(std::floor((wall_seconds * 1000.0 - double(wall_origin_ms_)) / 1000.0 * speed_));
}

BinCloser::BinCloser(std::vector<std::string> collectors, int64_t deadline_s)
    : collectors_(std::move(collectors)), deadline_s_(deadline_s) {
  for (const std::string& c : collectors_) delivered_[c] = INT64_MIN;
}

void BinCloser::SetDelivered(const std::string& collector, UnixSeconds until) {
  auto it = delivered_.find(collector);
  if (it != delivered_.end()) it->second = std::max(it->second, until);
}

UnixSeconds BinCloser::Delivered(const std::string& collector) const {
  auto it = delivered_.find(collector);
  return it == delivered_.end() ? INT64_MIN : it->second;
}

BinCloser::Advance BinCloser::AdvanceTo(UnixSeconds now) {
  Advance out;
  UnixSeconds slowest = INT64_MAX, fastest = INT64_MIN;
  for (const auto& [name, until] : delivered_) {
    slowest = std::min(slowest, until);
    fastest = std::max(fastest, until);
  }
  if (delivered_.empty() || fastest == INT64_MIN) {
    out.closed_until = closed_until_;
    return out;
  }
  // Every collector past it, or the deadline after the bin's end passed; never past what anyone delivered
  // (a bin nobody has data for has nothing to close).
  // Bin [b, b + 300) closes by deadline once b + 300 + deadline <= now.
  UnixSeconds by_deadline = BinStart(now - deadline_s_, kBin);
  UnixSeconds target = BinStart(std::min(fastest, std::max(slowest, by_deadline)), kBin);
  if (target <= closed_until_) {
    out.closed_until = closed_until_;
    return out;
  }
  // The first frontier (a new run catching up) opens no bin before it: nothing to count.
  UnixSeconds first = closed_until_ == INT64_MIN ? target : closed_until_;
  for (UnixSeconds b = first; b < target; b += kBin) {
    ++out.bins_closed;
    bool missing_any = false;
    for (const auto& [name, until] : delivered_) {
      if (until < b + kBin) {
        ++out.missing[name];
        missing_any = true;
      }
    }
    out.bins_closed_by_deadline += missing_any;
  }
  closed_until_ = target;
  out.closed_until = target;
  return out;
}

}  // namespace vigil::observatory
