// SPDX-License-Identifier: AGPL-3.0-or-later
// Declarations shared by the acquire module's files (not part of its public interface).
#pragma once

#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "acquire/acquire.h"

namespace vigil::acquire {

// Longest listing name accepted as a cache path component (POSIX NAME_MAX on Linux file systems).
constexpr size_t kMaxNameLength = 255;

// The start time in "<prefix>YYYYMMDD.HHMM<extension>", or nullopt when the name is not of that form.
std::optional<UnixSeconds> ParseArchiveFileTime(std::string_view name, std::string_view prefix,
                                                std::string_view extension);

// "2022.01" for a time in January 2022 (UTC).
std::string MonthFolder(UnixSeconds t);
// The first second of the month holding t, and of the month after it.
UnixSeconds MonthStart(UnixSeconds t);
UnixSeconds NextMonthStart(UnixSeconds t);

// Folder of a collector's files of one type for one month, relative to the project root, ending in '/':
// "rrc00/2022.01/", "route-views.jinx/bgpdata/2022.01/UPDATES/", "bgpdata/2022.01/RIBS/".
std::string TypeFolder(const ArchiveLayout& layout, const Collector& collector, FileType type, UnixSeconds month);
// Builds the RemoteFile for `name` found in that folder (nullopt when the name is not one of its files).
std::optional<RemoteFile> MakeRemoteFile(const ArchiveLayout& layout, const Collector& collector, FileType type,
                                         const std::string& folder_url, const std::string& folder_path,
                                         const std::string& name);

// One HTTP GET of a small text resource (listing page, index answer), retried like file transfers.
struct TextResponse {
  long status = 0;  // HTTP status of the last try (404 and other 4xx come back here, not as an error)
  std::string body;
};
Result<TextResponse> GetText(const std::string& url, const NetworkOptions& options);

// Delay before try number `tries + 1` (tries >= 1): exponential from backoff_initial_s, capped, +-50% jitter.
double BackoffDelay(int tries, const NetworkOptions& options, std::mt19937_64& random);
// Seconds a Retry-After header value asks for (delta-seconds or an HTTP-date), nullopt when unreadable.
std::optional<double> ParseRetryAfter(std::string_view value, UnixSeconds now);

}  // namespace vigil::acquire
