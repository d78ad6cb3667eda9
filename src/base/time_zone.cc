// SPDX-License-Identifier: AGPL-3.0-or-later
// TZif (RFC 8536) reader: libstdc++ 12 has no chrono time-zone database, and both the simulator (daily
// windows in local time) and detection (schedules in the entity's local time) need DST-exact offsets.
#include "base/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vigil {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y += m <= 2;
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t ReadBig(const std::string& bytes, size_t pos, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[pos + static_cast<size_t>(i)]);
  if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

}  // namespace

// POSIX TZ string of the TZif footer, e.g. "CET-1CEST,M3.5.0,M10.5.0/3".
struct TimeZone::Rule {
  struct When {
    char kind = 'M';  // 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.weekday)
    int a = 0, b = 0, c = 0;
    int64_t time_s = 7200;
  };
  int64_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  int64_t dst_offset = 0;
  When start, end;

  // Day (since epoch) on which `w` falls in `year`.
  static int64_t DayOf(const When& w, int64_t year) {
    if (w.kind == 'J') return DaysFromCivil(year, 1, 1) + w.a - 1 + (IsLeap(year) && w.a >= 60 ? 1 : 0);
    if (w.kind == 'D') return DaysFromCivil(year, 1, 1) + w.a;
    const int64_t first = DaysFromCivil(year, w.a, 1);
    const int64_t first_dow = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday (4)
    int64_t day = first + (w.c - first_dow + 7) % 7 + 7 * (w.b - 1);
    static const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int month_days = kMonthDays[w.a - 1] + (w.a == 2 && IsLeap(year) ? 1 : 0);
    while (day >= first + month_days) day -= 7;
    return day;
  }

  int64_t OffsetAt(UnixSeconds t) const {
    if (!has_dst) return std_offset;
    int64_t y;
    int m, d;
    CivilFromDays(FloorDiv(t + std_offset, 86400), y, m, d);
    // Transitions are given in local time: the start in standard time, the end in daylight time.
    const UnixSeconds begin = DayOf(start, y) * 86400 + start.time_s - std_offset;
    const UnixSeconds finish = DayOf(end, y) * 86400 + end.time_s - dst_offset;
    const bool in_dst = begin < finish ? (t >= begin && t < finish) : !(t >= finish && t < begin);
    return in_dst ? dst_offset : std_offset;
  }
};

namespace {

bool ParseName(const std::string& s, size_t& pos) {
  if (pos < s.size() && s[pos] == '<') {
    size_t close = s.find('>', pos);
    if (close == std::string::npos) return false;
    pos = close + 1;
    return true;
  }
  size_t begin = pos;
  while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
  return pos - begin >= 3;
}

// [+-]hh[:mm[:ss]] in seconds.
bool ParseHms(const std::string& s, size_t& pos, int64_t& out) {
  int sign = 1;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) sign = s[pos++] == '-' ? -1 : 1;
  int64_t parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (pos >= s.size() || !std::isdigit(static_cast<unsigned char>(s[pos]))) return i > 0;
    int64_t v = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) v = v * 10 + (s[pos++] - '0');
    parts[i] = v;
    out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    if (i < 2 && pos < s.size() && s[pos] == ':') {
      ++pos;
    } else {
      return true;
    }
  }
  return true;
}

bool ParseInt(const std::string& s, size_t& pos, int& out) {
  if (pos >= s.size() || !std::isdigit(static_cast<unsigned char>(s[pos]))) return false;
  out = 0;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) out = out * 10 + (s[pos++] - '0');
  return true;
}

bool ParseWhen(const std::string& s, size_t& pos, TimeZone::Rule::When& w) {
  if (pos < s.size() && s[pos] == 'M') {
    ++pos;
    w.kind = 'M';
    if (!ParseInt(s, pos, w.a) || pos >= s.size() || s[pos++] != '.' || !ParseInt(s, pos, w.b) || pos >= s.size() ||
        s[pos++] != '.' || !ParseInt(s, pos, w.c)) {
      return false;
    }
    if (w.a < 1 || w.a > 12 || w.b < 1 || w.b > 5 || w.c < 0 || w.c > 6) return false;
  } else if (pos < s.size() && s[pos] == 'J') {
    ++pos;
    w.kind = 'J';
    if (!ParseInt(s, pos, w.a) || w.a < 1 || w.a > 365) return false;
  } else {
    w.kind = 'D';
    if (!ParseInt(s, pos, w.a) || w.a > 365) return false;
  }
  w.time_s = 7200;
  if (pos < s.size() && s[pos] == '/') {
    ++pos;
    if (!ParseHms(s, pos, w.time_s)) return false;
  }
  return true;
}

std::shared_ptr<const TimeZone::Rule> ParseRule(const std::string& s) {
  auto rule = std::make_shared<TimeZone::Rule>();
  size_t pos = 0;
  int64_t offset = 0;
  if (!ParseName(s, pos) || !ParseHms(s, pos, offset)) return nullptr;
  rule->std_offset = -offset;  // POSIX offsets count west of UTC
  if (pos == s.size()) return rule;
  if (!ParseName(s, pos)) return nullptr;
  rule->has_dst = true;
  rule->dst_offset = rule->std_offset + 3600;
  if (pos < s.size() && s[pos] != ',') {
    if (!ParseHms(s, pos, offset)) return nullptr;
    rule->dst_offset = -offset;
  }
  if (pos >= s.size() || s[pos++] != ',' || !ParseWhen(s, pos, rule->start) || pos >= s.size() || s[pos++] != ',' ||
      !ParseWhen(s, pos, rule->end) || pos != s.size()) {
    return nullptr;
  }
  return rule;
}

}  // namespace

TimeZone TimeZone::Utc() {
  TimeZone zone;
  zone.name_ = "UTC";
  return zone;
}

Result<TimeZone> TimeZone::Load(const std::string& name, const std::string& zoneinfo_dir) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return Utc();
  if (name.find("..") != std::string::npos || name[0] == '/') {
    return Status::InvalidArgument("time zone '" + name + "': not an IANA zone name");
  }
  std::string dir = zoneinfo_dir;
  if (dir.empty()) {
    const char* env = std::getenv("TZDIR");
    dir = env && *env ? env : "/usr/share/zoneinfo";
  }
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("unknown time zone '" + name + "' (cannot open " + path + ")");
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto zone = Parse(name, buffer.str());
  if (!zone.ok()) return zone.status().WithContext(path);
  return zone;
}

Result<TimeZone> TimeZone::Parse(const std::string& name, const std::string& bytes) {
  auto bad = [&](const char* why) { return Status::Corruption("not a TZif file (" + std::string(why) + ")"); };
  if (bytes.size() < 44 || bytes.compare(0, 4, "TZif") != 0) return bad("magic");
  const char version = bytes[4];

  struct Counts {
    int64_t isut, isstd, leap, time, type, chars;
  };
  auto counts_at = [&](size_t pos) {
    return Counts{ReadBig(bytes, pos + 20, 4), ReadBig(bytes, pos + 24, 4), ReadBig(bytes, pos + 28, 4),
                  ReadBig(bytes, pos + 32, 4), ReadBig(bytes, pos + 36, 4), ReadBig(bytes, pos + 40, 4)};
  };
  size_t pos = 0;
  Counts c = counts_at(pos);
  int width = 4;
  auto block_size = [](const Counts& c, int width) {
    return static_cast<size_t>(c.time * width + c.time + c.type * 6 + c.chars + c.leap * (width + 4) + c.isstd +
                               c.isut);
  };
  if (version >= '2') {
    pos = 44 + block_size(c, 4);
    if (bytes.size() < pos + 44 || bytes.compare(pos, 4, "TZif") != 0) return bad("second header");
    c = counts_at(pos);
    width = 8;
  }
  if (c.time < 0 || c.type <= 0 || c.type > 256 || c.chars < 0 || c.leap < 0 || c.isstd < 0 || c.isut < 0) {
    return bad("counts");
  }
  const size_t data = pos + 44;
  if (bytes.size() < data + block_size(c, width)) return bad("truncated");

  TimeZone zone;
  zone.name_ = name;
  for (int64_t i = 0; i < c.time; ++i) {
    zone.transitions_.push_back(ReadBig(bytes, data + static_cast<size_t>(i * width), width));
  }
  const size_t types_at = data + static_cast<size_t>(c.time * width);
  for (int64_t i = 0; i < c.time; ++i) {
    int type = static_cast<uint8_t>(bytes[types_at + static_cast<size_t>(i)]);
    if (type >= c.type) return bad("transition type");
    zone.transition_types_.push_back(type);
  }
  const size_t infos_at = types_at + static_cast<size_t>(c.time);
  for (int64_t i = 0; i < c.type; ++i) {
    zone.type_offsets_.push_back(ReadBig(bytes, infos_at + static_cast<size_t>(i * 6), 4));
  }
  zone.initial_offset_ = zone.type_offsets_[0];
  if (width == 8) {
    size_t footer = data + block_size(c, width);
    if (footer < bytes.size() && bytes[footer] == '\n') {
      size_t close = bytes.find('\n', footer + 1);
      if (close != std::string::npos && close > footer + 1) {
        zone.footer_ = ParseRule(bytes.substr(footer + 1, close - footer - 1));
      }
    }
  }
  return zone;
}

int64_t TimeZone::OffsetAt(UnixSeconds t) const {
  if (transitions_.empty() || t >= transitions_.back()) {
    if (footer_) return footer_->OffsetAt(t);
    if (transitions_.empty()) return initial_offset_;
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  if (it == transitions_.begin()) return initial_offset_;
  return type_offsets_[static_cast<size_t>(transition_types_[static_cast<size_t>(it - transitions_.begin() - 1)])];
}

UnixSeconds TimeZone::LocalToUtc(int64_t local_seconds) const {
  // Offsets change at most once within two days, so the offsets two days either side are the only
  // candidates.
  const int64_t before = OffsetAt(local_seconds - 2 * 86400);
  const int64_t after = OffsetAt(local_seconds + 2 * 86400);
  const UnixSeconds candidates[2] = {local_seconds - before, local_seconds - after};
  bool found = false;
  UnixSeconds earliest = 0;
  for (UnixSeconds candidate : candidates) {
    if (candidate + OffsetAt(candidate) == local_seconds && (!found || candidate < earliest)) {
      earliest = candidate;
      found = true;
    }
  }
  return found ? earliest : candidates[0];  // skipped by a jump forward: read with the old offset
}

LocalTime ToLocal(const TimeZone& zone, UnixSeconds t) {
  const int64_t local = t + zone.OffsetAt(t);
  LocalTime out;
  out.day = FloorDiv(local, 86400);
  out.minute = static_cast<int>((local - out.day * 86400) / 60);
  return out;
}

Result<int64_t> ParseDay(const std::string& text) {
  int year = 0, month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3) {
    return Status::InvalidArgument("bad date '" + text + "': expected YYYY-MM-DD");
  }
  const int64_t days = DaysFromCivil(year, month, day);
  int64_t y;
  int m, d;
  CivilFromDays(days, y, m, d);
  if (y != year || m != month || d != day) return Status::InvalidArgument("bad date '" + text + "': no such day");
  return days;
}

std::string FormatDay(int64_t day) {
  int64_t y;
  int m, d;
  CivilFromDays(day, y, m, d);
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02d", static_cast<long long>(y), m, d);
  return buffer;
}

}  // namespace vigil
