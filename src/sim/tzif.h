#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil::sim {

// An IANA time zone read from the system's compiled TZif files (RFC 8536) under /usr/share/zoneinfo (or
// $TZDIR). g++ 12's libstdc++ has no std::chrono::locate_zone, so the simulator reads the table itself.
// Debian ships "fat" TZif files with explicit transitions up to 2037; after the last transition the zone
// keeps its last offset unless the footer rule has DST, which is reported as an error rather than guessed.
class TimeZone {
 public:
  static Result<TimeZone> Load(const std::string& name);
  // Parses TZif bytes (exposed for tests).
  static Result<TimeZone> Parse(const std::string& name, const std::string& bytes);

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at `utc`.
  Result<int> OffsetAt(UnixSeconds utc) const;
  // The UTC instant of a local wall-clock time (seconds since 1970-01-01 local). A time skipped by a
  // DST jump maps forward (02:30 on a spring-forward night is 03:30 new time); a repeated time maps to
  // its first occurrence.
  Result<UnixSeconds> LocalToUtc(int64_t local_seconds) const;

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int> offset_after_;     // offset in effect from transitions_[i]
  int initial_offset_ = 0;            // before the first transition
  bool footer_has_dst_ = false;
};

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivil(int year, unsigned month, unsigned day);
// "2022-01-10" -> days; error names the text.
Result<int64_t> ParseDay(const std::string& text);
std::string FormatDay(int64_t days);

}  // namespace vigil::sim
