// SPDX-License-Identifier: AGPL-3.0-or-later
// LiveFeed: RIS Live messages to per-peer tables and live bins (live_feed.h says how and why).
#include "observatory/live_feed.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "signals/bgp_ingest.h"

namespace vigil::observatory {
namespace {

using Json = nlohmann::json;

constexpr int64_t kBin = signals::kBgpBinSeconds;
// Bins holding RIS Live values, until a provenance column exists in the store's series.
constexpr char kLiveBinsKey[] = "observatory.ris-live.bins.v1";
// Messages buffered while waiting for the archive; beyond this the wait starts over (a gap, as a reconnect).
constexpr int64_t kMaxPending = 5'000'000;
constexpr int kStateDown = 1;  // RFC 6396 state numbering: Idle

// What the signals stage applies of one message, in BGP order: withdrawals, then announcements.
template <typename Fn>
void ForEachRecord(const acquire::LiveMessage& m, UnixSeconds t, Fn&& fn) {
  signals::RouteRecord r;
  const std::string key = m.peer.Key();
  r.t = t;
  r.peer_address = key;
  r.peer_asn = m.peer_asn;
  if (m.kind == acquire::LiveMessageKind::kPeerState) {
    r.kind = signals::RouteRecord::Kind::kState;
    r.new_state = m.peer_up ? signals::kBgpStateEstablished : kStateDown;
    r.ipv4 = r.ipv6 = false;
    fn(r);
    return;
  }
  auto set_prefix = [&](const acquire::LivePrefix& p) {
    r.ipv4 = p.address.family == 4;
    r.ipv6 = p.address.family == 6;
    if (r.ipv4) {
      const uint8_t* b = p.address.bytes;
      r.prefix = signals::Ipv4Prefix::Make(
          (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3], p.length);
    } else {
      r.prefix6 = signals::Ipv6Prefix::Make(p.address.bytes, p.length);
    }
  };
  r.kind = signals::RouteRecord::Kind::kWithdraw;
  for (const acquire::LivePrefix& p : m.withdrawals) {
    set_prefix(p);
    fn(r);
  }
  r.kind = signals::RouteRecord::Kind::kAnnounce;
  for (const acquire::LiveAnnouncement& a : m.announcements) {
    for (const acquire::LivePrefix& p : a.prefixes) {
      set_prefix(p);
      fn(r);
    }
  }
}

UnixSeconds MessageTime(const acquire::LiveMessage& m) { return UnixSeconds(m.timestamp); }

}  // namespace

LiveFeed::LiveFeed(store::Store& store, const std::vector<int64_t>& entity_ids, const signals::Slash24Counter& counter,
                   const signals::Slash48Counter& counter6, const RunOptions& options)
    : store_(store),
      entity_ids_(entity_ids),
      counter_(counter),
      counter6_(counter6),
      options_(options),
      collectors_(options.collectors.begin(), options.collectors.end()) {}

Status LiveFeed::Resume() {
  auto saved = store_.GetState(kLiveBinsKey);
  if (!saved.ok()) return saved.status();
  if (!saved->has_value()) return Status::Ok();
  Json j = Json::parse(**saved, nullptr, false);
  if (!j.is_object() || !j.contains("bins") || !j["bins"].is_array()) {
    return Status::Corruption(std::string("state ") + kLiveBinsKey + ": not the expected JSON");
  }
  for (const Json& t : j["bins"]) {
    if (t.is_number_integer()) live_bins_.insert(t.get<int64_t>());
  }
  return Status::Ok();
}

Status LiveFeed::SaveProvenance() {
  Json j = {{"bins", std::vector<int64_t>(live_bins_.begin(), live_bins_.end())},
            {"source", "RIS Live"},
            {"note", "bins whose stored bgp / bgp-v6 values came from RIS Live, until archive files replace them"}};
  return store_.PutState(store::StateBlob{kLiveBinsKey, j.dump()});
}

std::string LiveFeed::PhaseText() const {
  switch (phase_) {
    case Phase::kDisconnected:
      return "";
    case Phase::kWaiting:
      return "waiting for the archive to pass " + FormatRfc3339(live_since_);
    case Phase::kFollowing:
      return "following";
  }
  return "";
}

Status LiveFeed::Activate(const std::map<std::string, UnixSeconds>& archive_until) {
  // The tables after the newest ingested archive file, exactly as the next archive file would start from.
  model_ = std::make_unique<signals::VisibilityModel>(options_.visibility, &counter_);
  model6_ = std::make_unique<signals::VisibilityModel6>(options_.visibility_v6, &counter6_);
  builder_ = std::make_unique<signals::BgpSignalBuilder>(*model_);
  builder6_ = std::make_unique<signals::BgpSignalBuilder6>(*model6_);
  auto saved = store_.GetState(signals::kBgpStateKey);
  if (!saved.ok()) return saved.status();
  if (saved->has_value()) {
    VIGIL_RETURN_IF_ERROR(builder_->LoadState(**saved, [&](std::string_view b) { return model_->LoadTables(b); })
                              .WithContext("RIS Live: loading the archive's BGP state"));
  }
  auto saved6 = store_.GetState(signals::kBgpV6StateKey);
  if (!saved6.ok()) return saved6.status();
  if (saved6->has_value()) {
    VIGIL_RETURN_IF_ERROR(builder6_->LoadState(**saved6, [&](std::string_view b) { return model6_->LoadTables(b); })
                              .WithContext("RIS Live: loading the archive's bgp-v6 state"));
  }
  // What the archive holds already is not applied twice; bins the archive wrote stay its own.
  UnixSeconds newest = INT64_MIN;
  for (const auto& [collector, until] : archive_until) newest = std::max(newest, until);
  write_floor_ = BinStart(newest, kBin);
  for (auto& [bin, messages] : pending_) {
    std::erase_if(messages, [&](const acquire::LiveMessage& m) {
      return MessageTime(m) <= builder_->CollectorLastTime(m.collector);
    });
  }
  phase_ = Phase::kFollowing;
  return Status::Ok();
}

Status LiveFeed::WriteBin(UnixSeconds bin, std::vector<acquire::LiveMessage>& messages, bool write, Applied& applied) {
  // One pseudo-file per collector with messages in the bin, in the order the collectors' files would go.
  std::stable_sort(messages.begin(), messages.end(), [](const acquire::LiveMessage& a, const acquire::LiveMessage& b) {
    return a.collector < b.collector;
  });
  signals::FileOutcome last, last6;
  bool any = false;
  for (size_t i = 0; i < messages.size();) {
    const std::string collector = messages[i].collector;
    signals::MrtInputFile in;
    in.collector = collector;
    in.kind = signals::MrtFileKind::kUpdates;
    in.name_time = bin;
    in.name = in.path = "ris-live/" + collector + "/" + std::to_string(bin);
    builder_->BeginFile(in);
    builder6_->BeginFile(in);
    for (; i < messages.size() && messages[i].collector == collector; ++i) {
      // A message late for its bin (its bin was written already) joins this one.
      UnixSeconds t = std::max(MessageTime(messages[i]), bin);
      ForEachRecord(messages[i], t, [&](const signals::RouteRecord& r) {
        builder_->Record(r);
        builder6_->Record(r);
      });
    }
    last = builder_->FinishFile();
    last6 = builder6_->FinishFile();
    any = true;
  }
  if (!any || !write) return Status::Ok();
  // The last pseudo-file's value of the bin holds every collector's tables (one pool of peers).
  std::erase_if(last.bins, [&](const signals::BinValues& b) { return b.t != bin; });
  std::erase_if(last6.bins, [&](const signals::BinValues& b) { return b.t != bin; });
  if (last.bins.empty() && last6.bins.empty()) return Status::Ok();  // no full-feed peer: missing, not zero
  StoreSignalSink sink(store_, entity_ids_);
  signals::MrtInputFile in;
  signals::BgpFileCommit commit;
  commit.input = &in;
  commit.outcome = &last;
  commit.outcome_v6 = &last6;
  VIGIL_RETURN_IF_ERROR(store_.WriteSeries(sink.MakeCommit(commit).series));
  live_bins_.insert(bin);
  ++applied.bins_written;
  applied.min_bin = std::min(applied.min_bin, bin);
  applied.written_until = std::max(applied.written_until, bin + kBin);
  return Status::Ok();
}

Result<LiveFeed::Applied> LiveFeed::Apply(std::vector<acquire::LiveEvent> events, UnixSeconds now,
                                          const std::map<std::string, UnixSeconds>& archive_until) {
  Applied applied;
  for (acquire::LiveEvent& e : events) {
    switch (e.kind) {
      case acquire::LiveEvent::Kind::kConnected:
        // Messages from now on are complete; what came before (a gap) only the archive has.
        // (The moment it was received, not now: the loop may have been busy ingesting meanwhile.)
        phase_ = Phase::kWaiting;
        live_since_ = std::min(now, options_.clock.AtWall(e.received_at));
        pending_.clear();
        pending_messages_ = 0;
        processed_until_ = INT64_MIN;
        builder_.reset();
        builder6_.reset();
        break;
      case acquire::LiveEvent::Kind::kDisconnected:
        applied.errors.push_back("RIS Live: disconnected (" + e.detail +
                                 "): no live bins until the archive passes the reconnection");
        phase_ = Phase::kDisconnected;
        pending_.clear();
        pending_messages_ = 0;
        break;
      case acquire::LiveEvent::Kind::kMalformed:
        ++applied.malformed;
        applied.errors.push_back(e.detail + " (skipped)");
        break;
      case acquire::LiveEvent::Kind::kMessage: {
        const acquire::LiveMessage& m = e.message;
        bool useful = m.kind == acquire::LiveMessageKind::kUpdate || m.kind == acquire::LiveMessageKind::kPeerState;
        if (phase_ == Phase::kDisconnected || !useful || !collectors_.count(m.collector)) {
          ++applied.ignored;
          break;
        }
        ++applied.messages;
        pending_[std::max(BinStart(MessageTime(m), kBin), processed_until_)].push_back(std::move(e.message));
        if (++pending_messages_ > kMaxPending) {
          applied.errors.push_back("RIS Live: more than " + std::to_string(kMaxPending) +
                                   " messages waiting for the archive: dropped, waiting again");
          pending_.clear();
          pending_messages_ = 0;
          phase_ = Phase::kWaiting;
          live_since_ = now;
        }
        break;
      }
    }
  }
  if (phase_ == Phase::kWaiting) {
    bool passed = !collectors_.empty();
    for (const std::string& c : collectors_) {
      auto it = archive_until.find(c);
      passed = passed && it != archive_until.end() && it->second >= live_since_;
    }
    if (!passed) return applied;
    VIGIL_RETURN_IF_ERROR(Activate(archive_until));
  }
  if (phase_ != Phase::kFollowing) return applied;
  // Bins that ended at least the grace before now: their messages are in (RIS Live delivers within seconds).
  bool wrote = false;
  while (!pending_.empty() && pending_.begin()->first + kBin + options_.live_grace_s <= now) {
    auto node = pending_.extract(pending_.begin());
    pending_messages_ -= int64_t(node.mapped().size());
    processed_until_ = node.key() + kBin;
    size_t before = live_bins_.size();
    VIGIL_RETURN_IF_ERROR(WriteBin(node.key(), node.mapped(), node.key() >= write_floor_, applied));
    wrote = wrote || live_bins_.size() != before;
  }
  if (wrote) VIGIL_RETURN_IF_ERROR(SaveProvenance());
  return applied;
}

Status LiveFeed::ArchiveWrote(const std::set<UnixSeconds>& bins) {
  size_t before = live_bins_.size();
  for (UnixSeconds b : bins) live_bins_.erase(b);
  return live_bins_.size() == before ? Status::Ok() : SaveProvenance();
}

}  // namespace vigil::observatory
