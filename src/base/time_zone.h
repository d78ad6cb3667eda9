// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// Time zones and civil days: a TZif (RFC 8536) reader for the system's zoneinfo, shared by the simulator
// (daily windows in local time) and detection (curfew schedules in local time). libstdc++ 12 has no
// std::chrono time-zone database, hence this reader. It knows nothing of Vigil's pipeline.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil {

// A zone's UTC offsets at any instant, DST included; past the last transition of the table the TZif footer's
// POSIX rule decides.
class TimeZone {
 public:
  // `name` is an IANA name ("Asia/Almaty"); files come from `zoneinfo_dir`, else $TZDIR, else
  // /usr/share/zoneinfo. Names with ".." or a leading '/' are refused.
  static Result<TimeZone> Load(const std::string& name, const std::string& zoneinfo_dir = "");
  // Parses TZif bytes (exposed for tests).
  static Result<TimeZone> Parse(const std::string& name, const std::string& bytes);
  static TimeZone Utc();

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at `t`.
  int64_t OffsetAt(UnixSeconds t) const;
  // The UTC instant of a local wall-clock time (seconds since 1970-01-01 local). A time skipped by a DST
  // jump maps forward (02:30 on a spring-forward night is 03:30 new time); a repeated time maps to its first
  // occurrence.
  UnixSeconds LocalToUtc(int64_t local_seconds) const;

  struct Rule;  // parsed POSIX TZ footer

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int> transition_types_;
  std::vector<int64_t> type_offsets_;
  int64_t initial_offset_ = 0;  // before the first transition
  std::shared_ptr<const Rule> footer_;
};

// Local calendar day (days since 1970-01-01 in local time) and minute of that day.
struct LocalTime {
  int64_t day = 0;
  int minute = 0;
};
LocalTime ToLocal(const TimeZone& zone, UnixSeconds t);

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, int month, int day);
void CivilFromDays(int64_t days, int64_t& year, int& month, int& day);
// "2022-01-10" -> days; the error names the text.
Result<int64_t> ParseDay(const std::string& text);
std::string FormatDay(int64_t days);  // "2022-01-10"

}  // namespace vigil
