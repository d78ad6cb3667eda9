// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"
#include "probe/belief.h"
#include "probe/echo_engine.h"
#include "probe/hitlist.h"
#include "probe/round_log.h"

namespace vigil::probe {

struct ProberOptions {
  EchoEngineOptions engine;                 // socket kind, rate limit (required), timeout
  int64_t round_s = 600;                    // trinarkular's 10-minute round
  int slices = 60;                          // periodic probes spread over this many slices of a round
  int64_t rounds = 0;                       // stop after this many rounds; 0 = until stop is set
  bool align = true;                        // rounds start on multiples of round_s (UTC), as the store's bins do
  std::string name = "vigil";               // the round log's prober= field
  int64_t rate_log_s = 60;                  // how often the actual rate is reported
  uint64_t seed = 1;                        // block-to-slice assignment and address order
  const std::atomic<bool>* stop = nullptr;  // set (e.g. from a signal handler) to stop after the current wait
};

// A rate report (every rate_log_s seconds, and once at the end over the whole run).
struct RateReport {
  double seconds = 0;
  uint64_t sent = 0;
  uint64_t replies = 0;
  uint64_t timeouts = 0;
  uint64_t ignored = 0;
  uint64_t send_errors = 0;
  size_t queued = 0;  // probes waiting for tokens at the time of the report
  bool final = false;
  double rate() const { return seconds > 0 ? double(sent) / seconds : 0; }
};

struct ProberCallbacks {
  // Called once per completed round, in round order. A failing status stops the prober.
  std::function<Status(const RoundLog&)> on_round;
  std::function<void(const RateReport&)> on_rate;
  std::function<void(const std::string&)> on_notice;  // one-line human messages (socket kind, waits)
};

// Trinocular over the hitlist's eligible blocks. Rounds that were not complete when the prober stopped
// are not reported: a stopped prober leaves missing bins, never zeros.
Status RunProber(const std::vector<TargetBlock>& targets, const ProberOptions& options,
                 const ProberCallbacks& callbacks);

// A census round: every address of the given /24 blocks once (opt-out addresses left out), interleaved
// across blocks so that no block sees a burst; returns the responders of each block.
struct CensusOptions {
  EchoEngineOptions engine;
  uint64_t seed = 1;
  const std::atomic<bool>* stop = nullptr;
};
Result<std::vector<CensusBlock>> RunCensus(const std::vector<uint32_t>& blocks, const OptOutList& opt_out,
                                           const CensusOptions& options, const ProberCallbacks& callbacks);

}  // namespace vigil::probe
