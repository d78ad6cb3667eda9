#include "sim/tzif.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vigil::sim {
namespace {

int64_t ReadBigEndian(const std::string& bytes, size_t pos, int width) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[pos + i]);
  if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(value));
  return static_cast<int64_t>(value);
}

struct TzifCounts {
  int64_t isut, isstd, leap, time, type, chars;
};

TzifCounts ReadCounts(const std::string& bytes, size_t pos) {
  TzifCounts c;
  c.isut = ReadBigEndian(bytes, pos + 20, 4);
  c.isstd = ReadBigEndian(bytes, pos + 24, 4);
  c.leap = ReadBigEndian(bytes, pos + 28, 4);
  c.time = ReadBigEndian(bytes, pos + 32, 4);
  c.type = ReadBigEndian(bytes, pos + 36, 4);
  c.chars = ReadBigEndian(bytes, pos + 40, 4);
  return c;
}

int64_t BlockSize(const TzifCounts& c, int time_width) {
  return c.time * time_width + c.time + c.type * 6 + c.chars + c.leap * (time_width + 4) + c.isstd + c.isut;
}

}  // namespace

Result<TimeZone> TimeZone::Load(const std::string& name) {
  if (name.empty() || name.find("..") != std::string::npos || name[0] == '/') {
    return Status::Error("bad time zone name '" + name + "'");
  }
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("unknown time zone '" + name + "' (no " + path + ")");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return Parse(name, buffer.str());
}

Result<TimeZone> TimeZone::Parse(const std::string& name, const std::string& bytes) {
  auto bad = [&](const std::string& why) { return Status::Error("time zone '" + name + "': " + why); };
  if (bytes.size() < 44 || bytes.compare(0, 4, "TZif") != 0) return bad("not a TZif file");
  TzifCounts v1 = ReadCounts(bytes, 0);
  if (v1.time < 0 || v1.type <= 0 || v1.chars < 0 || v1.leap < 0 || v1.isstd < 0 || v1.isut < 0) {
    return bad("bad header counts");
  }
  size_t pos = 44;
  int width = 4;
  TzifCounts c = v1;
  if (bytes[4] >= '2') {
    // Version 2+: skip the 32-bit block, use the 64-bit one that follows.
    pos += static_cast<size_t>(BlockSize(v1, 4));
    if (bytes.size() < pos + 44 || bytes.compare(pos, 4, "TZif") != 0) return bad("truncated v2 header");
    c = ReadCounts(bytes, pos);
    pos += 44;
    width = 8;
  }
  if (c.time < 0 || c.type <= 0 || c.type > 256 || c.chars < 0 || c.leap < 0) return bad("bad counts");
  if (bytes.size() < pos + static_cast<size_t>(BlockSize(c, width))) return bad("truncated data block");
  TimeZone zone;
  zone.name_ = name;
  std::vector<int> type_offset(static_cast<size_t>(c.type));
  size_t types_pos = pos + static_cast<size_t>(c.time * width + c.time);
  for (int64_t i = 0; i < c.type; ++i) {
    type_offset[static_cast<size_t>(i)] = static_cast<int>(ReadBigEndian(bytes, types_pos + i * 6, 4));
  }
  for (int64_t i = 0; i < c.time; ++i) {
    zone.transitions_.push_back(ReadBigEndian(bytes, pos + i * width, width));
    auto index = static_cast<unsigned char>(bytes[pos + c.time * width + i]);
    if (index >= type_offset.size()) return bad("transition type out of range");
    zone.offset_after_.push_back(type_offset[index]);
  }
  zone.initial_offset_ = type_offset[0];
  if (width == 8) {
    size_t footer = pos + static_cast<size_t>(BlockSize(c, width));
    if (footer < bytes.size() && bytes[footer] == '\n') {
      size_t end = bytes.find('\n', footer + 1);
      std::string rule = bytes.substr(footer + 1, end == std::string::npos ? std::string::npos : end - footer - 1);
      zone.footer_has_dst_ = rule.find(',') != std::string::npos;
    }
  }
  return zone;
}

Result<int> TimeZone::OffsetAt(UnixSeconds utc) const {
  if (transitions_.empty() || utc < transitions_.front()) return initial_offset_;
  if (utc >= transitions_.back() && footer_has_dst_ && utc - transitions_.back() > 366 * 86400) {
    return Status::Error("time zone '" + name_ + "': " + FormatRfc3339(utc) +
                         " lies beyond the zone's transition table");
  }
  size_t lo = 0, hi = transitions_.size();
  while (hi - lo > 1) {  // last transition <= utc
    size_t mid = (lo + hi) / 2;
    if (transitions_[mid] <= utc) lo = mid; else hi = mid;
  }
  return offset_after_[lo];
}

Result<UnixSeconds> TimeZone::LocalToUtc(int64_t local_seconds) const {
  auto before = OffsetAt(local_seconds - 2 * 86400);
  auto after = OffsetAt(local_seconds + 2 * 86400);
  if (!before.ok()) return before.status();
  if (!after.ok()) return after.status();
  UnixSeconds candidates[2] = {local_seconds - *before, local_seconds - *after};
  bool found = false;
  UnixSeconds best = 0;
  for (int i = 0; i < 2; ++i) {
    auto offset = OffsetAt(candidates[i]);
    if (!offset.ok()) return offset.status();
    if (candidates[i] + *offset == local_seconds && (!found || candidates[i] < best)) {
      best = candidates[i];
      found = true;
    }
  }
  return found ? best : candidates[0];  // skipped by a jump forward: keep the old offset
}

int64_t DaysFromCivil(int year, unsigned month, unsigned day) {
  using namespace std::chrono;
  return sys_days(year_month_day{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)})
      .time_since_epoch()
      .count();
}

Result<int64_t> ParseDay(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &year, &month, &day, &tail) != 3) {
    return Status::Error("bad date '" + text + "': expected YYYY-MM-DD");
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!ymd.ok()) return Status::Error("bad date '" + text + "': no such day");
  return DaysFromCivil(year, month, day);
}

std::string FormatDay(int64_t days) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buffer;
}

}  // namespace vigil::sim
