// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/prober.h"

#include <time.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

namespace vigil::probe {
namespace {

int64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Reports the actual rate every interval and once at the end.
class RateMeter {
 public:
  RateMeter(const EchoEngine& engine, int64_t interval_s, const ProberCallbacks& callbacks)
      : engine_(engine), interval_ns_(std::max<int64_t>(1, interval_s) * 1000000000), callbacks_(callbacks) {
    start_ns_ = last_ns_ = MonotonicNs();
  }
  int64_t next_ns() const { return last_ns_ + interval_ns_; }
  void MaybeReport(int64_t now_ns) {
    if (now_ns < next_ns()) return;
    Report(now_ns, false);
  }
  void Final() { Report(MonotonicNs(), true); }

 private:
  void Report(int64_t now_ns, bool final) {
    const EchoEngineStats& now = engine_.stats();
    const EchoEngineStats& base = final ? EchoEngineStats{} : last_;
    RateReport report;
    report.seconds = double(now_ns - (final ? start_ns_ : last_ns_)) / 1e9;
    report.sent = now.sent - base.sent;
    report.replies = now.replies - base.replies;
    report.timeouts = now.timeouts - base.timeouts;
    report.ignored = now.ignored - base.ignored;
    report.send_errors = now.send_errors - base.send_errors;
    report.queued = engine_.queued();
    report.final = final;
    if (callbacks_.on_rate) callbacks_.on_rate(report);
    last_ = now;
    last_ns_ = now_ns;
  }

  const EchoEngine& engine_;
  int64_t interval_ns_;
  const ProberCallbacks& callbacks_;
  int64_t start_ns_;
  int64_t last_ns_;
  EchoEngineStats last_;
};

void Notice(const ProberCallbacks& callbacks, const std::string& text) {
  if (callbacks.on_notice) callbacks.on_notice(text);
}

class Trinocular {
 public:
  Trinocular(const std::vector<TargetBlock>& targets, const ProberOptions& options, const ProberCallbacks& callbacks,
             EchoEngine& engine)
      : targets_(targets), options_(options), callbacks_(callbacks), engine_(engine), random_(options.seed) {
    blocks_.reserve(targets.size());
    for (const auto& target : targets) blocks_.emplace_back(BlockBelief(target.availability));
    // Blocks are dealt to slices in a shuffled order, so neighbouring blocks (often one network) are
    // probed at different times of the round.
    std::vector<size_t> order(targets.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::shuffle(order.begin(), order.end(), random_);
    slices_.resize(static_cast<size_t>(options.slices));
    for (size_t k = 0; k < order.size(); ++k) slices_[k % slices_.size()].push_back(order[k]);
  }

  Status Run() {
    int64_t round_ns = options_.round_s * 1000000000;
    int64_t wall = RealtimeNs();
    int64_t first_wall = wall / 1000000000 * 1000000000;
    if (options_.align) {
      first_wall = BinStart(wall / 1000000000, options_.round_s) * 1000000000;
      if (first_wall < wall) first_wall += round_ns;
      Notice(callbacks_, "waiting " + std::to_string((first_wall - wall) / 1000000000) +
                             " s for the round boundary at " + FormatRfc3339(first_wall / 1000000000));
    }
    first_round_s_ = first_wall / 1000000000;
    first_round_mono_ = MonotonicNs() + (first_wall - wall);
    RateMeter meter(engine_, options_.rate_log_s, callbacks_);
    auto on_outcome = [this](const ProbeOutcome& outcome) { OnOutcome(outcome); };
    int64_t next_round = 0;
    int next_slice = 0;
    while (true) {
      if (options_.stop != nullptr && options_.stop->load()) {
        Notice(callbacks_, "stopped; " + std::to_string(rounds_.size()) + " unfinished round(s) not written");
        break;
      }
      int64_t now = MonotonicNs();
      bool more_rounds = options_.rounds == 0 || next_round < options_.rounds;
      int64_t slice_at = first_round_mono_ + next_round * round_ns + next_slice * round_ns / options_.slices;
      while (more_rounds && slice_at <= now) {
        ScheduleSlice(next_round, next_slice);
        if (++next_slice == options_.slices) {
          next_slice = 0;
          ++next_round;
          more_rounds = options_.rounds == 0 || next_round < options_.rounds;
        }
        slice_at = first_round_mono_ + next_round * round_ns + next_slice * round_ns / options_.slices;
      }
      VIGIL_RETURN_IF_ERROR(FinishRounds());
      if (!more_rounds && rounds_.empty()) break;
      meter.MaybeReport(now);
      int64_t deadline = std::min(meter.next_ns(), more_rounds ? slice_at : now + 1000000000);
      engine_.Run(deadline, on_outcome);
    }
    meter.Final();
    return Status::Ok();
  }

 private:
  struct Block {
    explicit Block(BlockBelief b) : belief(b) {}
    BlockBelief belief;
    int64_t rounds_down = 0;
    bool busy = false;
    bool down_at_start = false;
    int64_t active_round = -1;
    int64_t pending_round = -1;
    size_t address_start = 0;
    size_t next_address = 0;
    std::vector<double> rtts;
  };
  struct Round {
    std::vector<BlockRecord> records;
    size_t remaining = 0;
  };

  Round& RoundFor(int64_t round) {
    auto [it, inserted] = rounds_.try_emplace(round);
    if (inserted) {
      it->second.records.resize(blocks_.size());
      it->second.remaining = blocks_.size();
    }
    return it->second;
  }

  void ScheduleSlice(int64_t round, int slice) {
    // The round's accumulator appears with its first record, and goes once every block has one; an empty
    // slice scheduled after that must not bring it back.
    for (size_t i : slices_[static_cast<size_t>(slice)]) {
      Block& b = blocks_[i];
      if (b.busy) {
        b.pending_round = round;  // the previous round's adaptive probing is still under way
      } else {
        StartSequence(i, round);
      }
    }
  }

  void StartSequence(size_t i, int64_t round) {
    Block& b = blocks_[i];
    b.down_at_start = b.belief.state() == BlockState::kDown;
    if (b.down_at_start) {
      ++b.rounds_down;
      if (!RecoveryDue(b.rounds_down)) {
        Record(i, round);  // backed off: the block stays down, unprobed this round
        return;
      }
    }
    b.belief.StartRound(b.down_at_start);
    b.busy = true;
    b.active_round = round;
    b.rtts.clear();
    b.address_start = random_() % targets_[i].hosts.size();
    b.next_address = 0;
    SendNext(i);
  }

  void SendNext(size_t i) {
    Block& b = blocks_[i];
    const TargetBlock& t = targets_[i];
    // Successive probes of one round go to different ever-responsive addresses, from a random start.
    uint8_t host = t.hosts[(b.address_start + b.next_address++) % t.hosts.size()];
    engine_.Enqueue(t.base | host, i);
  }

  void OnOutcome(const ProbeOutcome& outcome) {
    size_t i = static_cast<size_t>(outcome.user);
    Block& b = blocks_[i];
    if (!b.busy) return;
    b.belief.Observe(outcome.replied);
    if (outcome.replied) b.rtts.push_back(outcome.rtt_ms);
    if (!b.belief.Done()) {
      SendNext(i);
      return;
    }
    BlockState state = b.belief.state();
    if (state != BlockState::kDown || !b.down_at_start) b.rounds_down = 0;
    b.busy = false;
    Record(i, b.active_round);
    if (b.pending_round >= 0) {
      int64_t round = b.pending_round;
      b.pending_round = -1;
      StartSequence(i, round);
    }
  }

  void Record(size_t i, int64_t round) {
    Block& b = blocks_[i];
    Round& r = RoundFor(round);
    BlockRecord& record = r.records[i];
    record.base = targets_[i].base;
    record.belief = b.belief.belief();
    record.state = b.belief.state();
    bool probed = b.active_round == round && !b.busy;
    record.sent = probed ? b.belief.probes() : 0;
    record.replies = probed ? b.belief.replies() : 0;
    if (probed) record.rtts_ms = b.rtts;
    --r.remaining;
  }

  Status FinishRounds() {
    // Each block finishes its rounds in order, so rounds complete in order too.
    while (!rounds_.empty() && rounds_.begin()->second.remaining == 0) {
      RoundLog log;
      log.start = first_round_s_ + rounds_.begin()->first * options_.round_s;
      log.round_s = options_.round_s;
      log.prober = options_.name;
      log.blocks = std::move(rounds_.begin()->second.records);
      rounds_.erase(rounds_.begin());
      if (callbacks_.on_round) VIGIL_RETURN_IF_ERROR(callbacks_.on_round(log));
    }
    return Status::Ok();
  }

  const std::vector<TargetBlock>& targets_;
  const ProberOptions& options_;
  const ProberCallbacks& callbacks_;
  EchoEngine& engine_;
  std::mt19937_64 random_;
  std::vector<Block> blocks_;
  std::vector<std::vector<size_t>> slices_;
  std::map<int64_t, Round> rounds_;
  UnixSeconds first_round_s_ = 0;
  int64_t first_round_mono_ = 0;
};

}  // namespace

Status RunProber(const std::vector<TargetBlock>& targets, const ProberOptions& options,
                 const ProberCallbacks& callbacks) {
  if (targets.empty()) return Status::InvalidArgument("no eligible blocks to probe");
  if (options.round_s <= 0) return Status::InvalidArgument("round length must be positive");
  if (options.slices <= 0 || options.slices > options.round_s * 1000) return Status::InvalidArgument("bad slice count");
  if (int64_t{options.engine.timeout_ms} > options.round_s * 1000) {
    return Status::InvalidArgument("probe timeout must not exceed the round length");
  }
  auto engine = EchoEngine::Open(options.engine);
  if (!engine.ok()) return engine.status();
  Notice(callbacks, std::string("probing ") + std::to_string(targets.size()) + " blocks with a " +
                        SocketKindName((*engine)->kind()) + " ICMP socket at most " +
                        std::to_string(options.engine.rate) + " probes/s");
  Trinocular prober(targets, options, callbacks, **engine);
  return prober.Run();
}

Result<std::vector<CensusBlock>> RunCensus(const std::vector<uint32_t>& blocks, const OptOutList& opt_out,
                                           const CensusOptions& options, const ProberCallbacks& callbacks) {
  auto opened = EchoEngine::Open(options.engine);
  if (!opened.ok()) return opened.status();
  EchoEngine& engine = **opened;
  Notice(callbacks, "census of " + std::to_string(blocks.size()) + " blocks with a " + SocketKindName(engine.kind()) +
                        " ICMP socket at most " + std::to_string(options.engine.rate) + " probes/s");
  std::vector<CensusBlock> census(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) census[i].base = blocks[i] & 0xffffff00u;
  std::mt19937_64 random(options.seed);
  std::vector<int> octets(256);
  std::iota(octets.begin(), octets.end(), 0);
  std::shuffle(octets.begin(), octets.end(), random);
  std::vector<size_t> order(blocks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), random);

  // Address-major order: one address of every block, then the next, so each /24 sees 256 probes spread
  // over the whole census rather than a burst.
  size_t cursor = 0, total = blocks.size() * 256;
  size_t refill = std::max<size_t>(1024, static_cast<size_t>(options.engine.rate / 10));
  auto on_outcome = [&](const ProbeOutcome& outcome) {
    if (!outcome.replied) return;
    size_t i = static_cast<size_t>(outcome.user >> 8);
    unsigned octet = static_cast<unsigned>(outcome.user & 0xff);
    census[i].responders[octet / 64] |= uint64_t{1} << (octet % 64);
  };
  RateMeter meter(engine, 60, callbacks);
  while (cursor < total || engine.queued() > 0 || engine.outstanding() > 0) {
    if (options.stop != nullptr && options.stop->load()) return Status::Cancelled("census stopped before it finished");
    while (cursor < total && engine.queued() < refill) {
      size_t i = order[cursor % blocks.size()];
      unsigned octet = static_cast<unsigned>(octets[cursor / blocks.size()]);
      ++cursor;
      uint32_t address = census[i].base | octet;
      if (opt_out.Contains(address)) continue;
      ++census[i].probed;
      engine.Enqueue(address, (uint64_t{i} << 8) | octet);
    }
    int64_t now = MonotonicNs();
    meter.MaybeReport(now);
    engine.Run(std::min(meter.next_ns(), now + 100000000), on_outcome);
  }
  meter.Final();
  return census;
}

}  // namespace vigil::probe
