// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil ingest mrt --workers N`: disjoint collector sets per worker thread, per-prefix full-feed carrier counts
// merged before visibility is decided. See RunBgpIngestWorkers in bgp_ingest.h and docs/scale.md.
#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "signals/bgp_ingest.h"
#include "signals/visibility_model.h"

namespace vigil::signals {
namespace {

// Sum over workers of each prefix's full-feed carrier count, and of their full-feed peers.
class PartialCountMerger {
 public:
  PartialCountMerger(const VisibilityOptions& options, const Slash24Counter* counter, size_t workers)
      : options_(options), counter_(counter), per_worker_(workers), full_feed_(workers, 0) {}

  void Apply(size_t worker, const VisibilityModel::CountDelta& delta) {
    full_feed_[worker] = delta.full_feed_peers;
    std::vector<uint16_t>& mine = per_worker_[worker];
    for (const auto& [key, count] : delta.counts) {
      uint32_t id = universe_.Intern(Ipv4Prefix::FromKey(key));
      if (id >= total_.size()) total_.resize(id + 1, 0);
      if (id >= mine.size()) mine.resize(id + 1, 0);
      total_[id] = total_[id] - mine[id] + count;
      mine[id] = count;
    }
    dirty_ = true;
  }

  // Visible /24s per entity from the sums; nullopt when no worker has a full-feed peer (the bin gets no value,
  // as with one model).
  std::optional<std::vector<int64_t>> Evaluate() {
    int64_t full_feed = 0;
    for (int64_t f : full_feed_) full_feed += f;
    if (full_feed == 0) return std::nullopt;
    if (!dirty_ && full_feed == last_full_feed_) return counts_;
    const int64_t min_carriers = options_.MinCarriers(full_feed);
    std::vector<AddressInterval> intervals;
    AddressIntervalMerger merger(intervals);
    summary_ = RoutingModel::Summary{};
    summary_.full_feed_peers = full_feed;
    for (uint32_t id : universe_.SortedIds()) {
      if (total_[id] < min_carriers) continue;
      ++summary_.visible_prefixes;
      Ipv4Prefix prefix = universe_.At(id);
      if (prefix.Counts()) merger.Add(prefix.network, prefix.Last());
    }
    counts_.assign(counter_->entity_count(), 0);
    counter_->CountSlash24s(intervals, counts_);
    for (const AddressInterval& v : intervals) {
      summary_.visible_slash24s += std::max<int64_t>(0, int64_t(EndWholeSlash24(v)) - int64_t(FirstWholeSlash24(v)));
    }
    dirty_ = false;
    last_full_feed_ = full_feed;
    return counts_;
  }
  // Figures of the last evaluation that had a full-feed peer (for the command's summary line).
  const RoutingModel::Summary& summary() const { return summary_; }

 private:
  RoutingModel::Summary summary_;
  VisibilityOptions options_;
  const Slash24Counter* counter_;
  PrefixUniverse universe_;
  std::vector<uint32_t> total_;                    // by prefix id
  std::vector<std::vector<uint16_t>> per_worker_;  // by worker, by prefix id
  std::vector<int64_t> full_feed_;                 // by worker
  std::vector<int64_t> counts_;
  bool dirty_ = true;
  int64_t last_full_feed_ = -1;
};

// What one worker made of one file, kept for the merge.
struct CapturedFile {
  MrtInputFile input;
  std::string sha256;
  std::string kind;
  FileOutcome outcome;  // bins carry {index into deltas}
  std::vector<VisibilityModel::CountDelta> deltas;
  bool already_ingested = false;
};

// A worker's sink: store reads go to the shared sink (serialized), commits are captured.
class CapturingSink final : public SignalSink {
 public:
  CapturingSink(SignalSink& shared, std::mutex& mu, VisibilityModel& model, std::string state_key)
      : shared_(shared), mu_(mu), model_(model), state_key_(std::move(state_key)) {}
  Result<bool> HasInput(const std::string& sha256) override {
    std::lock_guard lock(mu_);
    return shared_.HasInput(sha256);
  }
  Result<std::optional<std::string>> LoadState(const std::string&) override {
    std::lock_guard lock(mu_);
    return shared_.LoadState(state_key_);
  }
  Status CommitFile(const BgpFileCommit& c) override {
    CapturedFile f;
    f.input = *c.input;
    f.sha256 = c.sha256;
    f.kind = c.kind;
    f.outcome = *c.outcome;
    f.already_ingested = c.already_ingested;
    // Includes the deltas of files read before this one that failed (their table changes still count).
    f.deltas = model_.TakeDeltas();
    if (c.state) state = *c.state;
    files.push_back(std::move(f));
    return Status::Ok();
  }

  std::vector<CapturedFile> files;
  std::optional<std::string> state;  // after the worker's last committed file

 private:
  SignalSink& shared_;
  std::mutex& mu_;
  VisibilityModel& model_;
  std::string state_key_;
};

}  // namespace

std::string WorkerStateKey(const std::vector<std::string>& collectors) {
  std::string key = std::string(kBgpStateKey) + "/";
  for (size_t i = 0; i < collectors.size(); ++i) key += (i ? "," : "") + collectors[i];
  return key;
}

Result<BgpIngestReport> RunBgpIngestWorkers(std::vector<MrtInputFile> inputs, const VisibilityOptions& visibility,
                                            const Slash24Counter* counter, int workers, const BgpIngestOptions& options,
                                            SignalSink& sink) {
  const auto start = std::chrono::steady_clock::now();
  if (visibility.full_feed_fraction > 0) {
    return Status::InvalidArgument(
        "--workers needs an absolute full-feed threshold (--full-feed-min), not --full-feed-fraction: "
        "a fraction of the largest table is not known to a worker that sees some collectors only");
  }
  FillTimesFromContent(inputs);
  SortMrtInputs(inputs);  // the global order, as RunBgpIngest processes files
  std::vector<std::string> collectors;
  for (const MrtInputFile& in : inputs) collectors.push_back(in.collector);
  std::sort(collectors.begin(), collectors.end());
  collectors.erase(std::unique(collectors.begin(), collectors.end()), collectors.end());
  const size_t n = std::max<size_t>(1, std::min<size_t>(size_t(std::max(workers, 1)), collectors.size()));
  std::map<std::string, size_t> worker_of;
  std::vector<std::vector<std::string>> owned(n);
  for (size_t i = 0; i < collectors.size(); ++i) {
    worker_of[collectors[i]] = i % n;
    owned[i % n].push_back(collectors[i]);
  }

  struct Worker {
    std::vector<MrtInputFile> inputs;
    std::unique_ptr<VisibilityModel> model;
    std::unique_ptr<CapturingSink> sink;
    Result<BgpIngestReport> report = Status::Internal("not run");
    std::string state_key;
  };
  std::vector<Worker> pool(n);
  std::mutex mu;
  for (const MrtInputFile& in : inputs) pool[worker_of[in.collector]].inputs.push_back(in);
  for (size_t w = 0; w < n; ++w) {
    pool[w].state_key = WorkerStateKey(owned[w]);
    pool[w].model = std::make_unique<VisibilityModel>(visibility, counter);
    pool[w].model->SetPartial(true);
    pool[w].sink = std::make_unique<CapturingSink>(sink, mu, *pool[w].model, pool[w].state_key);
  }
  if (!options.from_rib) {
    // Tables saved by a run without --workers are not split by collector: the workers would start empty.
    auto single = sink.LoadState(kBgpStateKey);
    if (!single.ok()) return single.status();
    if (single->has_value()) {
      for (const Worker& w : pool) {
        auto mine = sink.LoadState(w.state_key);
        if (!mine.ok()) return mine.status();
        if (!mine->has_value()) {
          return Status::InvalidArgument("the saved BGP state was written without --workers (key " +
                                         std::string(kBgpStateKey) + "); rebuild the workers' tables with --from-rib");
        }
      }
    }
  }
  BgpIngestOptions worker_options = options;
  worker_options.progress = false;  // several workers would overwrite each other's line
  std::vector<std::thread> threads;
  for (size_t w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      pool[w].report = RunBgpIngest(std::move(pool[w].inputs), *pool[w].model, worker_options, *pool[w].sink);
    });
  }
  for (std::thread& t : threads) t.join();

  BgpIngestReport report;
  report.files = int64_t(inputs.size());
  for (Worker& w : pool) {
    if (!w.report.ok()) return w.report.status();
    const BgpIngestReport& r = *w.report;
    report.ingested += r.ingested;
    report.skipped_known += r.skipped_known;
    report.skipped_stale += r.skipped_stale;
    report.failed += r.failed;
    report.records += r.records;
    report.ipv4_records += r.ipv4_records;
    report.decode_problems += r.decode_problems;
  }

  // The merge: every captured file in the global order (file name time, RIB first, collector — the workers'
  // own orders are sub-sequences of it), each worker's counts advanced delta by delta.
  std::vector<std::pair<size_t, CapturedFile*>> order;
  for (size_t w = 0; w < n; ++w) {
    for (CapturedFile& f : pool[w].sink->files) order.emplace_back(w, &f);
  }
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < inputs.size(); ++i) position.emplace(inputs[i].path, i);
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return position[a.second->input.path] < position[b.second->input.path];
  });
  std::vector<size_t> last_of_worker(n, SIZE_MAX);
  for (size_t i = 0; i < order.size(); ++i) {
    if (!order[i].second->already_ingested) last_of_worker[order[i].first] = i;
  }
  PartialCountMerger merger(visibility, counter, n);
  for (size_t i = 0; i < order.size(); ++i) {
    auto [w, f] = order[i];
    size_t applied = 0;
    std::vector<BinValues> bins;
    for (BinValues& bin : f->outcome.bins) {
      size_t upto = bin.counts.empty() ? 0 : size_t(bin.counts[0]) + 1;
      for (; applied < upto && applied < f->deltas.size(); ++applied) merger.Apply(w, f->deltas[applied]);
      if (auto counts = merger.Evaluate()) bins.push_back(BinValues{bin.t, std::move(*counts)});
    }
    for (; applied < f->deltas.size(); ++applied) merger.Apply(w, f->deltas[applied]);
    f->outcome.bins = std::move(bins);
    report.bins += int64_t(f->outcome.bins.size());

    BgpFileCommit commit;
    commit.input = &f->input;
    commit.sha256 = f->sha256;
    commit.kind = f->kind;
    commit.outcome = &f->outcome;
    commit.already_ingested = f->already_ingested;
    if (i == last_of_worker[w] && pool[w].sink->state) {
      commit.state = &*pool[w].sink->state;
      commit.state_key = pool[w].state_key;
    }
    VIGIL_RETURN_IF_ERROR(sink.CommitFile(commit).WithContext(f->input.path));
  }
  report.last = merger.summary();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace vigil::signals
