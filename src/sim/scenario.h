// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil::sim {

// The scenario file of ../shared/SCENARIOS.md, parsed and validated. Optional fields beyond the contract
// (region name/tz/lat/lon/slash48s, asn upstreams, event family, annotation source_url, noise.probe_gaps)
// are extensions: files without them mean exactly what the contract says.
struct CountrySpec {
  std::string code;  // ISO 3166-1 alpha-2
  std::string tz;
  std::string name;  // optional; defaults to the code
};

struct RegionSpec {
  std::string code;  // ISO 3166-2, "CC-XXX"
  std::string country;
  int64_t slash24s = 0;
  std::string name;  // optional; defaults to the code
  std::string tz;    // optional; defaults to the country's
  double lat = 0, lon = 0;
  int64_t slash48s = 0;  // optional: IPv6 /48s the region holds (0: no IPv6 routes are simulated for it)
};

struct AsnSpec {
  uint32_t asn = 0;
  std::string name;
  std::string country;
  std::vector<std::pair<std::string, double>> regions;  // region code -> share of that region's /24s
  std::vector<uint32_t> upstreams;                      // optional transit providers (AS paths)
};

struct CollectorSpec {
  std::string name;
  int peers = 0;
  int full_feed_peers = 0;
};

struct DailyWindow {
  int on_from_min = 0;  // minutes after local midnight when connectivity comes back
  int on_to_min = 0;    // ... and when it goes off
  std::string on_from, on_to, tz;
};

enum class EventKind { kWithdraw, kBlock, kThrottle };
const char* EventKindName(EventKind kind);

struct EntityRef {
  std::string type;  // "country", "region", "asn"
  std::string code;
  std::string Text() const { return type + "/" + code; }
};

// Which routes a withdraw takes away (extension; default both: every route of the entity, as the contract
// says — a region without slash48s has IPv4 routes only).
enum class RouteFamily { kBoth, kIpv4, kIpv6 };

struct EventSpec {
  std::string id;
  EventKind kind = EventKind::kWithdraw;
  EntityRef entity;
  double fraction = 1.0;
  UnixSeconds start = 0, end = 0;           // one-off events
  std::optional<DailyWindow> daily;         // daily events: off outside the on-window
  std::string first_day, last_day;          // local dates of a daily event
  double rtt_ms = 0;                        // throttle: RTT seen while throttled
  double loss = 0;                          // throttle: extra packet loss
  RouteFamily family = RouteFamily::kBoth;  // withdraw: which routes
  int64_t ramp_s = 0;                       // throttle (extension): rtt and loss rise linearly over this long, and fall
};

struct GapSpec {
  std::string collector;  // empty for probe gaps
  UnixSeconds start = 0, end = 0;
};

struct PeerResetSpec {
  std::string collector;
  int peer = 0;  // index into the collector's peers, from 0
  UnixSeconds at = 0;
};

// What the calibrated noise model (sim/noise_model.h) decided for one run; never read from a scenario file.
struct CalibratedNoise {
  double churn_per_peer_hour = 0;           // single-peer withdraw + re-announce of one prefix
  std::vector<GapSpec> vantage_outages;     // the prober's own network down: no reply from anything
  std::vector<double> asn_rate_limit_loss;  // per World::asns index: extra loss at a rate-limiting edge
  std::vector<double> region_evening_amp;   // per World::regions index: evening RTT rise (0.2 = +20 %)
  double rtt_jitter_sigma = 0;              // per reply: RTT × exp(N(0, sigma))
  double rtt_spike_share = 0;               // share of replies delayed ×1.5–3 (queueing bursts)
};

struct NoiseSpec {
  double flaps_per_hour = 0;
  std::vector<GapSpec> collector_gaps;
  std::vector<PeerResetSpec> peer_resets;
  double probe_loss = 0;
  std::vector<GapSpec> probe_gaps;  // extension: prober stopped (no round files)
  // Extension: "calibrated" adds the realistic noise model of docs/simulator.md (BGP churn measured on real
  // update files, collector maintenance, dark hours, level shifts, vantage-point outages, rate limiting, RTT
  // congestion and jitter, heavy-tailed availability); `scale` multiplies its rates and amplitudes (the
  // noise sweep). Empty: only the noise listed explicitly.
  std::string profile;
  double scale = 1.0;
  CalibratedNoise calibrated;  // filled by PlanCalibratedNoise, not parsed
};

struct AnnotationSpec {
  EntityRef entity;
  std::string kind, text, source_url;
  UnixSeconds start = 0, end = 0;
};

struct Scenario {
  std::string name, description;
  UnixSeconds start = 0, end = 0;
  uint64_t seed = 0;
  std::vector<CountrySpec> countries;
  std::vector<RegionSpec> regions;
  std::vector<AsnSpec> asns;
  std::vector<CollectorSpec> collectors;
  int64_t round_s = 600;
  double blocks_fraction = 0.3;
  std::vector<EventSpec> events;
  NoiseSpec noise;
  std::vector<AnnotationSpec> annotations;
  // Extension: every event edge moves by a random whole number of seconds in [-edge_jitter_s, edge_jitter_s]
  // (seed-driven, per window), so truth edges fall off the bin grid. 0: edges as written.
  int64_t edge_jitter_s = 0;
};

// Parses and validates scenario JSON text. Errors name the field path ("events[2].daily.tz: ...").
// `source` names the input in messages.
Result<Scenario> ParseScenario(const std::string& json_text, const std::string& source);
Result<Scenario> LoadScenario(const std::string& path);

}  // namespace vigil::sim
