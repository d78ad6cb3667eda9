// SPDX-License-Identifier: AGPL-3.0-or-later
// Internal to the cli module: the pipeline stages as commands run them, shared by the command that gives each
// its flags (`vigil ingest mrt`, `vigil ingest probe`, `vigil detect`) and by `vigil eval-scenario`, which runs
// them one after the other in its own process. Each returns the command's exit status; errors go to stderr
// (one line naming the input), summaries to stdout unless `quiet`. Nothing here reads a file it was not given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geo/geo.h"
#include "store/store.h"

namespace vigil::cli {

// The store every command uses when --store is not given, and the geo databases npm installs (defined by
// their modules).
inline constexpr const char* kDefaultStore = store::kDefaultStoreUri;
using geo::kDefaultGeoCache;
using geo::kDefaultGeoDir;
using geo::kDefaultGeoSource;

struct IngestMrtFlags {
  std::vector<std::string> paths;
  std::string store = kDefaultStore;
  std::string geo_dir = kDefaultGeoDir;
  std::string geo_source = kDefaultGeoSource;
  std::optional<int64_t> full_feed_min;     // IPv4 full-feed threshold; default signals::kFullFeedMinPrefixes
  std::optional<int64_t> full_feed_min_v6;  // IPv6; default signals::kIpv6FullFeedMinPrefixes
  std::optional<double> full_feed_fraction;
  double visibility = 0.5;
  bool from_rib = false;
  bool verbose = false;
  bool quiet = false;
  int workers = 1;
  bool allow_simulated = false;  // ingest simulated files into a store of observed ones (or the reverse)
};
// MRT files -> bgp and bgp-v6 series. 0: every file ingested or known; 1: some file or the store failed;
// 2: bad input before anything was written (paths, geo, store, provenance: simulated files into a store of observed
// ones, or the reverse, without allow_simulated).
int RunIngestMrt(const IngestMrtFlags& flags);

struct IngestProbeFlags {
  std::vector<std::string> paths;
  std::string store = kDefaultStore;
  std::string geo_dir = kDefaultGeoDir;
  std::string geo_source = kDefaultGeoSource;
  std::string geo_cache = kDefaultGeoCache;
  bool verbose = false;
  bool quiet = false;
  bool allow_simulated = false;
};
// Probe round logs -> ping-slash24, rtt-p50 and loss series. 0 or 1 (some file or the store failed).
int RunIngestProbe(const IngestProbeFlags& flags);

struct DetectFlags {
  std::string store = kDefaultStore;
  std::string from, until;  // RFC 3339 or Unix seconds; empty = unbounded
  bool follow = false;
  double interval_s = 30;
  int settle_bins = 1;
  int64_t polls = 0;
  bool quiet = false;
};
// Detection over an existing store (a missing one is an error). 0, 1 (store or detection failed) or 2 (flags).
int RunDetect(const DetectFlags& flags);

}  // namespace vigil::cli
