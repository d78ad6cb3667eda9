// SPDX-License-Identifier: AGPL-3.0-or-later
// Internal to the observatory module: RIS Live applied to per-peer tables (docs/rislive.md).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "acquire/acquire.h"
#include "observatory/observatory.h"
#include "signals/bgp_signal_builder.h"

namespace vigil::observatory {

// The live side of `vigil run`. Its tables start from the archive's saved state (the tables after the newest
// ingested file) and take RIS Live messages on top, bin by bin: the messages of one (collector, 5-minute bin)
// are one pseudo-file for the signals stage, so a bin's value is computed exactly as from an update file and
// is written seconds after the bin ends. Live bins are written without inputs rows or state: the archive's
// files rewrite them later and are authoritative. The tables are only exact from the moment the connection
// was (re)established, so after every (re)connect no live bin is written until the archive has delivered past
// that moment; then the tables are reloaded from the archive's state.
class LiveFeed {
 public:
  LiveFeed(store::Store& store, const std::vector<int64_t>& entity_ids, const signals::Slash24Counter& counter,
           const signals::Slash48Counter& counter6, const RunOptions& options);

  // Reads which bins hold live values (a restart keeps them marked until the archive replaces them).
  Status Resume();

  struct Applied {
    int64_t messages = 0;      // applied to the tables (or buffered for them)
    int64_t ignored = 0;       // other collectors, nothing to apply
    int64_t malformed = 0;     // frames the parser refused (each named in errors)
    int64_t bins_written = 0;  // live bins written to the store
    UnixSeconds min_bin = INT64_MAX;
    UnixSeconds written_until = INT64_MIN;  // end of the newest live bin written
    std::vector<std::string> errors;
  };
  // `archive_until`: per chosen collector, the end of its newest ingested update file (absent: none yet).
  Result<Applied> Apply(std::vector<acquire::LiveEvent> events, UnixSeconds now,
                        const std::map<std::string, UnixSeconds>& archive_until);
  // The archive wrote these bins: they are no longer live.
  Status ArchiveWrote(const std::set<UnixSeconds>& bins);

  int64_t live_bins() const { return int64_t(live_bins_.size()); }
  std::string PhaseText() const;  // "", "waiting for the archive to pass ...", "following"

 private:
  Status Activate(const std::map<std::string, UnixSeconds>& archive_until);
  Status WriteBin(UnixSeconds bin, std::vector<acquire::LiveMessage>& messages, bool write, Applied& applied);
  Status SaveProvenance();

  store::Store& store_;
  const std::vector<int64_t>& entity_ids_;
  const signals::Slash24Counter& counter_;
  const signals::Slash48Counter& counter6_;
  const RunOptions& options_;
  std::set<std::string> collectors_;

  enum class Phase { kDisconnected, kWaiting, kFollowing };
  Phase phase_ = Phase::kDisconnected;
  UnixSeconds live_since_ = 0;               // the (re)connection, on the run clock
  UnixSeconds write_floor_ = INT64_MAX;      // live bins start here (the archive wrote the ones before)
  UnixSeconds processed_until_ = INT64_MIN;  // bins before this were applied: later messages join the next
  std::map<UnixSeconds, std::vector<acquire::LiveMessage>> pending_;  // by bin
  int64_t pending_messages_ = 0;
  std::unique_ptr<signals::VisibilityModel> model_;
  std::unique_ptr<signals::VisibilityModel6> model6_;
  std::unique_ptr<signals::BgpSignalBuilder> builder_;
  std::unique_ptr<signals::BgpSignalBuilder6> builder6_;
  std::set<UnixSeconds> live_bins_;
};

}  // namespace vigil::observatory
