// SPDX-License-Identifier: AGPL-3.0-or-later
// RunLoop: list, fetch, close bins, ingest in order, re-open bins for late files, detect.
//
// Order is what makes `vigil run` equal a batch `vigil ingest mrt` of the same files: the signals stage keeps
// one set of peer tables for all collectors, so a bin's value depends on which files were applied before it.
// The loop therefore ingests a file only once every file that sorts before it (time, RIBs first, collector,
// name) has been ingested or will not come: its bin is closed. A file that arrives after that (late) cannot
// be applied on top of tables that are already further on; the loop rebuilds instead: every collector from
// its newest RIB at or before the late file, through every file since, rewriting the bins from the late file
// on, then detection re-runs from the first rewritten bin. The inputs rows of the late files are committed
// last, with the rebuilt tables, in one transaction: a crash in between leaves the late files unrecorded, so
// the next start sees them late again and redoes the rebuild.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "detect/detect.h"
#include "observatory/live_feed.h"
#include "observatory/observatory.h"
#include "signals/bgp_signal_builder.h"

namespace vigil::observatory {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr char kRunStateKey[] = "observatory.run.v1";
constexpr int kMaxFetchTries = 3;  // polls in a row a listed file may fail before it counts as a gap
constexpr int64_t kBin = signals::kBgpBinSeconds;

enum class EntryState { kWanted, kReady, kGap, kFailed, kAbandoned, kIngested };

struct Entry {
  SourceFile file;
  EntryState state = EntryState::kWanted;
  std::string local_path;
  int tries = 0;
};

bool Delivered(EntryState s) { return s != EntryState::kWanted && s != EntryState::kFailed; }

// The signals sink of one ingest call: the store adapter, plus what the loop needs to know (the earliest bin
// written, for re-opening detection) and, for a rebuild, bins before the rebuild's floor left alone and the
// inputs rows of new files held back until the rebuilt tables are committed with them.
class RunSink final : public signals::SignalSink {
 public:
  RunSink(store::Store& store, const std::vector<int64_t>& entity_ids) : store_(store), inner_(store, entity_ids) {}

  void SetRebuild(UnixSeconds bin_floor) {
    rebuild_ = true;
    bin_floor_ = bin_floor;
  }
  UnixSeconds min_bin() const { return min_bin_; }
  const std::set<UnixSeconds>& bins() const { return bins_; }
  int64_t new_inputs() const { return new_inputs_; }

  Result<bool> HasInput(const std::string& sha256) override { return inner_.HasInput(sha256); }
  Result<std::optional<std::string>> LoadState(const std::string& key) override { return inner_.LoadState(key); }

  Status CommitFile(const signals::BgpFileCommit& c) override {
    if (!c.already_ingested) ++new_inputs_;
    if (!rebuild_) {
      Note(*c.outcome);
      if (c.outcome_v6) Note(*c.outcome_v6);
      return inner_.CommitFile(c);
    }
    signals::FileOutcome kept = *c.outcome;
    std::erase_if(kept.bins, [&](const signals::BinValues& b) { return b.t < bin_floor_; });
    Note(kept);
    signals::BgpFileCommit filtered = c;
    filtered.outcome = &kept;
    signals::FileOutcome kept_v6;
    if (c.outcome_v6) {
      kept_v6 = *c.outcome_v6;
      std::erase_if(kept_v6.bins, [&](const signals::BinValues& b) { return b.t < bin_floor_; });
      Note(kept_v6);
      filtered.outcome_v6 = &kept_v6;
    }
    store::IngestCommit commit = inner_.MakeCommit(filtered);
    VIGIL_RETURN_IF_ERROR(store_.WriteSeries(commit.series));
    if (!c.already_ingested) {
      commit.series.clear();  // written above, in order; the row waits for the rebuilt tables
      deferred_.push_back(std::move(commit));
    }
    return Status::Ok();
  }

  Status CommitRebuiltState(const std::string& key, const std::string& state) override {
    if (rebuild_) rebuilt_states_.push_back(store::StateBlob{key, state});
    return Status::Ok();
  }

  // The late files' inputs rows and the rebuilt tables, in one transaction (SQLite): until then the store
  // does not know the late files, and the next start redoes the rebuild.
  Status FinishRebuild() {
    if (deferred_.empty()) {
      for (const store::StateBlob& blob : rebuilt_states_) VIGIL_RETURN_IF_ERROR(store_.PutState(blob));
      return Status::Ok();
    }
    for (store::StateBlob& blob : rebuilt_states_) deferred_.back().state.push_back(std::move(blob));
    auto done = store_.TryCommitIngestGroup(deferred_);
    deferred_.clear();
    rebuilt_states_.clear();
    return done.status();
  }

 private:
  void Note(const signals::FileOutcome& outcome) {
    for (const signals::BinValues& b : outcome.bins) {
      min_bin_ = std::min(min_bin_, b.t);
      bins_.insert(b.t);
    }
  }

  store::Store& store_;
  StoreSignalSink inner_;
  std::set<UnixSeconds> bins_;  // every bin written (live values there are replaced)
  bool rebuild_ = false;
  UnixSeconds bin_floor_ = INT64_MIN;
  UnixSeconds min_bin_ = INT64_MAX;
  int64_t new_inputs_ = 0;
  std::vector<store::IngestCommit> deferred_;
  std::vector<store::StateBlob> rebuilt_states_;
};

}  // namespace

struct RunLoop::Impl {
  store::Store& store;
  FileSource& source;
  const signals::Slash24Counter& counter;
  const signals::Slash48Counter& counter6;
  std::vector<int64_t> entity_ids;
  RunOptions options;
  BinCloser closer;

  std::map<std::string, Entry> files;  // by name
  std::set<std::string> rib_tried;     // collectors whose bootstrap RIB was looked up
  UnixSeconds list_floor = INT64_MAX;  // listings never start before this (the earliest bootstrap RIB)
  std::optional<SourceFile> frontier;  // the last file ingested, in ingest order
  std::unique_ptr<detect::StoreFollower> follower;
  UnixSeconds detected_until = INT64_MIN;

  std::unique_ptr<LiveFeed> live;
  std::set<UnixSeconds> archive_bins;  // bins the archive wrote in this step
  int64_t live_messages = 0;

  mutable std::mutex health_mu;
  RunHealth health;
  acquire::RisLiveStats live_client;
  std::map<std::string, CollectorHealth> collector_health;

  Impl(store::Store& s, FileSource& src, const signals::Slash24Counter& c, const signals::Slash48Counter& c6,
       std::vector<int64_t> ids, RunOptions o)
      : store(s),
        source(src),
        counter(c),
        counter6(c6),
        entity_ids(std::move(ids)),
        options(std::move(o)),
        closer(options.collectors, options.deadline_s) {
    for (const std::string& name : options.collectors) collector_health[name].name = name;
  }

  void Log(const char* fmt, const std::string& a, const std::string& b = "") const {
    if (!options.verbose) return;
    std::fprintf(stderr, fmt, a.c_str(), b.c_str());
  }

  std::string LocalPath(const SourceFile& f) const { return (fs::path(options.cache_dir) / f.name).string(); }

  void NoteIngested(const SourceFile& f) {
    if (!frontier || IngestOrderLess(*frontier, f)) frontier = f;
  }

  Status Bootstrap(UnixSeconds from, StepReport& report);
  Status List(UnixSeconds now, StepReport& report);
  void FetchWanted(StepReport& report);
  void UpdateDelivered();
  Status IngestClosed(UnixSeconds closed_until, StepReport& report, UnixSeconds& min_bin_written);
  Status IngestInOrder(std::vector<Entry*> batch, StepReport& report, UnixSeconds& min_bin);
  Result<bool> Rebuild(const std::vector<Entry*>& batch, UnixSeconds late_start, StepReport& report,
                       UnixSeconds& min_bin);
  Result<bool> Detect(UnixSeconds closed_until, UnixSeconds min_bin, int64_t& detect_bins);
  std::map<std::string, UnixSeconds> ArchiveUntil() const;
  void Prune(UnixSeconds now, StepReport& report);
};

RunLoop::RunLoop(store::Store& store, FileSource& source, const signals::Slash24Counter& counter,
                 const signals::Slash48Counter& counter6, std::vector<int64_t> entity_ids, RunOptions options)
    : impl_(std::make_unique<Impl>(store, source, counter, counter6, std::move(entity_ids), std::move(options))) {}

RunLoop::~RunLoop() = default;

Status RunLoop::Start() {
  Impl& m = *impl_;
  auto saved = m.store.GetState(kRunStateKey);
  if (!saved.ok()) return saved.status();
  std::optional<UnixSeconds> saved_from;
  if (saved->has_value()) {
    Json j = Json::parse(**saved, nullptr, false);
    if (j.is_object() && j.contains("from") && j["from"].is_number_integer()) saved_from = j["from"].get<int64_t>();
  }
  from_ = m.options.from ? *m.options.from : saved_from ? *saved_from : m.options.clock.Now();
  Json state = {{"from", from_}, {"collectors", m.options.collectors}};
  VIGIL_RETURN_IF_ERROR(m.store.PutState(store::StateBlob{kRunStateKey, state.dump()}));

  // What an earlier run ingested: those files are neither fetched nor ingested again, and the newest of them
  // is where ingest resumes (a file listed before it and not ingested is late).
  auto inputs = m.store.ListInputs(from_ - 2 * 86400, 0);
  if (!inputs.ok()) return inputs.status();
  std::set<std::string> chosen(m.options.collectors.begin(), m.options.collectors.end());
  for (const store::InputRecord& in : *inputs) {
    if (in.kind.rfind("mrt-", 0) != 0 || !chosen.count(in.collector)) continue;
    signals::MrtInputFile d = signals::DescribeMrtFile(in.name, in.name);
    if (d.name_time < 0) continue;
    Entry e;
    e.file.collector = in.collector;
    e.file.kind = in.kind == "mrt-rib" ? signals::MrtFileKind::kRib : signals::MrtFileKind::kUpdates;
    e.file.start = d.name_time;
    e.file.period_s =
        e.file.kind == signals::MrtFileKind::kRib ? 0 : signals::BgpSignalBuilder::UpdatePeriodSeconds(in.collector);
    e.file.name = in.name;
    e.state = EntryState::kIngested;
    e.local_path = m.LocalPath(e.file);
    if (e.file.kind == signals::MrtFileKind::kRib) {
      m.rib_tried.insert(in.collector);
      m.list_floor = std::min(m.list_floor, e.file.start);
    }
    m.NoteIngested(e.file);
    m.files[in.name] = std::move(e);
    ++m.collector_health[in.collector].files_ingested;
  }
  if (m.frontier) m.closer.Resume(BinStart(m.frontier->start, kBin));
  if (m.options.ris_live) {
    m.live = std::make_unique<LiveFeed>(m.store, m.entity_ids, m.counter, m.counter6, m.options);
    VIGIL_RETURN_IF_ERROR(m.live->Resume());
  }
  m.follower = std::make_unique<detect::StoreFollower>(m.store, detect::DetectOptions{}, std::nullopt,
                                                       m.options.detect_settle_bins);
  std::lock_guard lock(m.health_mu);
  m.health.from = from_;
  return Status::Ok();
}

Status RunLoop::Impl::Bootstrap(UnixSeconds from, StepReport& report) {
  for (const std::string& c : options.collectors) {
    if (rib_tried.count(c)) continue;
    auto rib = source.LatestRib(c, from);
    if (!rib.ok()) {
      report.errors.push_back("collector " + c + ": looking for its RIB at or before " + FormatRfc3339(from) + ": " +
                              rib.message());
      continue;  // tried again at the next poll
    }
    rib_tried.insert(c);
    if (!rib->has_value()) {
      report.errors.push_back("collector " + c + ": the archive lists no RIB at or before " + FormatRfc3339(from) +
                              "; its tables start from update files only");
      list_floor = std::min(list_floor, from);
      continue;
    }
    const SourceFile& f = **rib;
    list_floor = std::min(list_floor, f.start);
    if (!files.count(f.name)) files[f.name] = Entry{f, EntryState::kWanted, "", 0};
  }
  return Status::Ok();
}

Status RunLoop::Impl::List(UnixSeconds now, StepReport& report) {
  UnixSeconds floor = list_floor == INT64_MAX ? now : list_floor;
  UnixSeconds resume = frontier ? std::min(frontier->start, now) : floor;
  UnixSeconds lo = std::max(floor, resume - options.lookback_s);
  auto listed = source.ListUpdates(lo, now + 86400);
  if (!listed.ok()) {
    report.errors.push_back(listed.message());
    return Status::Ok();
  }
  std::set<std::string> chosen(options.collectors.begin(), options.collectors.end());
  for (const SourceFile& f : *listed) {
    if (!chosen.count(f.collector) || f.start < floor) continue;
    ++report.listed;
    if (!files.count(f.name)) files[f.name] = Entry{f, EntryState::kWanted, "", 0};
  }
  return Status::Ok();
}

void RunLoop::Impl::FetchWanted(StepReport& report) {
  std::vector<Entry*> wanted;
  for (auto& [name, e] : files) {
    if (e.state == EntryState::kWanted || e.state == EntryState::kFailed) wanted.push_back(&e);
  }
  if (wanted.empty()) return;
  std::sort(wanted.begin(), wanted.end(), [](Entry* a, Entry* b) { return IngestOrderLess(a->file, b->file); });
  std::vector<SourceFile> request;
  for (Entry* e : wanted) request.push_back(e->file);
  std::vector<FetchedFile> results = source.Fetch(request);
  std::lock_guard lock(health_mu);
  for (size_t i = 0; i < wanted.size() && i < results.size(); ++i) {
    Entry& e = *wanted[i];
    const FetchedFile& r = results[i];
    CollectorHealth& h = collector_health[e.file.collector];
    ++e.tries;
    switch (r.state) {
      case FetchState::kReady:
        e.state = EntryState::kReady;
        e.local_path = r.local_path;
        ++report.fetched;
        break;
      case FetchState::kGap:
        e.state = EntryState::kGap;
        ++report.gaps;
        ++h.gaps;
        break;
      case FetchState::kFailed:
        ++report.fetch_failures;
        ++h.failures;
        h.last_error = r.reason;
        e.state = e.tries >= kMaxFetchTries ? EntryState::kAbandoned : EntryState::kFailed;
        report.errors.push_back(r.reason + (e.state == EntryState::kAbandoned ? " (given up: a gap)" : " (retried)"));
        break;
    }
  }
}

void RunLoop::Impl::UpdateDelivered() {
  // Per collector, the end of its newest update file before which every listed file is delivered.
  std::map<std::string, std::vector<const Entry*>> by_collector;
  for (const auto& [name, e] : files) {
    if (e.file.kind == signals::MrtFileKind::kUpdates) by_collector[e.file.collector].push_back(&e);
  }
  std::lock_guard lock(health_mu);
  for (auto& [collector, entries] : by_collector) {
    std::sort(entries.begin(), entries.end(),
              [](const Entry* a, const Entry* b) { return IngestOrderLess(a->file, b->file); });
    UnixSeconds until = INT64_MIN;
    for (const Entry* e : entries) {
      if (!Delivered(e->state)) break;
      until = std::max(until, e->file.start + e->file.period_s);
    }
    if (until != INT64_MIN) closer.SetDelivered(collector, until);
    CollectorHealth& h = collector_health[collector];
    h.delivered_until = std::max(h.delivered_until, closer.Delivered(collector));
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      if ((*it)->state == EntryState::kReady || (*it)->state == EntryState::kIngested) {
        if ((*it)->file.start + (*it)->file.period_s > h.newest_file_end) {
          h.newest_file = (*it)->file.name;
          h.newest_file_end = (*it)->file.start + (*it)->file.period_s;
        }
        break;
      }
    }
  }
}

Status RunLoop::Impl::IngestClosed(UnixSeconds closed_until, StepReport& report, UnixSeconds& min_bin_written) {
  std::vector<Entry*> batch;
  UnixSeconds late_start = INT64_MAX;
  for (auto& [name, e] : files) {
    if (e.state != EntryState::kReady || e.file.start >= closed_until) continue;
    batch.push_back(&e);
    if (frontier && IngestOrderLess(e.file, *frontier)) {
      late_start = std::min(late_start, e.file.start);
      ++report.late_files;
      Log("vigil run: %s arrived after its bins closed: re-opening them%s\n", e.file.name);
    }
  }
  if (batch.empty()) return Status::Ok();
  std::sort(batch.begin(), batch.end(), [](Entry* a, Entry* b) { return IngestOrderLess(a->file, b->file); });
  UnixSeconds min_bin = INT64_MAX;
  bool rebuilt = false;
  if (late_start != INT64_MAX) {
    auto done = Rebuild(batch, late_start, report, min_bin);
    if (!done.ok()) return done.status();
    rebuilt = *done;
  }
  if (!rebuilt) VIGIL_RETURN_IF_ERROR(IngestInOrder(batch, report, min_bin));
  min_bin_written = min_bin;
  return Status::Ok();
}

namespace {

signals::MrtInputFile ToInput(const Entry& e) {
  signals::MrtInputFile in = signals::DescribeMrtFile(e.local_path, e.file.name);
  in.collector = e.file.collector;
  in.kind = e.file.kind;
  in.name_time = e.file.start;
  std::error_code ec;
  in.bytes = static_cast<int64_t>(fs::file_size(e.local_path, ec));
  return in;
}

}  // namespace

Status RunLoop::Impl::IngestInOrder(std::vector<Entry*> batch, StepReport& report, UnixSeconds& min_bin) {
  std::vector<signals::MrtInputFile> inputs;
  for (Entry* e : batch) inputs.push_back(ToInput(*e));
  signals::VisibilityModel model(options.visibility, &counter);
  RunSink sink(store, entity_ids);
  signals::BgpIngestOptions ingest_options;
  ingest_options.verbose = options.verbose;
  signals::VisibilityModel6 model6(options.visibility_v6, &counter6);
  auto done = signals::RunBgpIngest(std::move(inputs), model, ingest_options, sink, &model6);
  if (!done.ok()) return done.status();
  report.ingested += sink.new_inputs();
  min_bin = std::min(min_bin, sink.min_bin());
  archive_bins.insert(sink.bins().begin(), sink.bins().end());
  std::lock_guard lock(health_mu);
  for (Entry* e : batch) {
    e->state = EntryState::kIngested;
    ++collector_health[e->file.collector].files_ingested;
    NoteIngested(e->file);
  }
  return Status::Ok();
}

Result<bool> RunLoop::Impl::Rebuild(const std::vector<Entry*>& batch, UnixSeconds late_start, StepReport& report,
                                    UnixSeconds& min_bin) {
  // Per collector, its newest RIB at or before the late file, then every file of it since (ingested or in
  // this batch). A collector without one, or whose files left the cache, cannot be rebuilt exactly.
  std::set<const Entry*> in_batch(batch.begin(), batch.end());
  std::map<std::string, const Entry*> rib_of;
  for (const auto& [name, e] : files) {
    bool usable = e.state == EntryState::kIngested || in_batch.count(&e);
    if (!usable || e.file.kind != signals::MrtFileKind::kRib || e.file.start > late_start) continue;
    const Entry*& best = rib_of[e.file.collector];
    if (!best || best->file.start < e.file.start) best = &e;
  }
  std::vector<const Entry*> chosen;
  UnixSeconds tables_from = INT64_MIN;
  std::set<std::string> active;
  for (const auto& [name, e] : files) {
    if (e.state == EntryState::kIngested || in_batch.count(&e)) active.insert(e.file.collector);
  }
  for (const std::string& c : active) {
    auto it = rib_of.find(c);
    if (it == rib_of.end()) {
      report.errors.push_back("collector " + c + ": no RIB at or before " + FormatRfc3339(late_start) +
                              " in the cache: late files applied on the current tables (not exact)");
      return false;
    }
    tables_from = std::max(tables_from, it->second->file.start);
  }
  for (const auto& [name, e] : files) {
    if (!(e.state == EntryState::kIngested || in_batch.count(&e))) continue;
    const Entry* rib = rib_of[e.file.collector];
    if (IngestOrderLess(e.file, rib->file)) continue;
    if (!fs::exists(e.local_path)) {
      report.errors.push_back(e.file.name +
                              ": no longer in the cache (--keep-days): late files applied on the "
                              "current tables (not exact)");
      return false;
    }
    chosen.push_back(&e);
  }
  std::vector<signals::MrtInputFile> inputs;
  for (const Entry* e : chosen) inputs.push_back(ToInput(*e));
  signals::VisibilityModel model(options.visibility, &counter);
  RunSink sink(store, entity_ids);
  // Bins before every collector's rebuild RIB would be computed without some collectors' tables: kept.
  sink.SetRebuild(std::max(tables_from, BinStart(late_start, kBin) - kBin));
  signals::BgpIngestOptions ingest_options;
  ingest_options.from_rib = true;
  ingest_options.verbose = options.verbose;
  signals::VisibilityModel6 model6(options.visibility_v6, &counter6);
  auto done = signals::RunBgpIngest(std::move(inputs), model, ingest_options, sink, &model6);
  if (!done.ok()) return done.status();
  VIGIL_RETURN_IF_ERROR(sink.FinishRebuild());
  ++report.rebuilds;
  report.ingested += sink.new_inputs();
  min_bin = std::min(min_bin, sink.min_bin());
  archive_bins.insert(sink.bins().begin(), sink.bins().end());
  std::lock_guard lock(health_mu);
  for (Entry* e : batch) {
    e->state = EntryState::kIngested;
    ++collector_health[e->file.collector].files_ingested;
    NoteIngested(e->file);
  }
  return true;
}

Result<bool> RunLoop::Impl::Detect(UnixSeconds closed_until, UnixSeconds min_bin, int64_t& detect_bins) {
  if (detected_until != INT64_MIN && min_bin < detected_until) {
    // Bins detection already took were rewritten: results from there on are recomputed.
    follower =
        std::make_unique<detect::StoreFollower>(store, detect::DetectOptions{}, min_bin, options.detect_settle_bins);
  }
  auto stats = follower->PollUntil(closed_until);
  if (!stats.ok()) return stats.status();
  detect_bins += static_cast<int64_t>(stats->bins);
  detected_until = std::max(detected_until, closed_until);
  return stats->bins > 0;
}

void RunLoop::Impl::Prune(UnixSeconds now, StepReport& report) {
  const UnixSeconds keep_from = now - int64_t{options.keep_days} * 86400;
  const UnixSeconds forget_before = std::min(keep_from, now - options.lookback_s - 2 * 86400);
  for (auto it = files.begin(); it != files.end();) {
    Entry& e = it->second;
    bool done = e.state == EntryState::kIngested || e.state == EntryState::kGap || e.state == EntryState::kAbandoned;
    if (done && options.keep_days > 0 && e.file.start < keep_from && !e.local_path.empty()) {
      std::error_code ec;
      if (fs::remove(e.local_path, ec)) ++report.pruned_files;
      e.local_path = LocalPath(e.file);
    }
    // Entries older than any listing or rebuild can reach are forgotten (the frontier is kept apart).
    if (done && options.keep_days > 0 && e.file.start < forget_before) {
      it = files.erase(it);
    } else {
      ++it;
    }
  }
}

Result<StepReport> RunLoop::Step() { return StepAt(impl_->options.clock.Now()); }

Result<StepReport> RunLoop::StepAt(UnixSeconds now) {
  Impl& m = *impl_;
  StepReport report;
  auto lap = [last = std::chrono::steady_clock::now()](double& seconds) mutable {
    auto t = std::chrono::steady_clock::now();
    seconds = std::chrono::duration<double>(t - last).count();
    last = t;
  };
  VIGIL_RETURN_IF_ERROR(m.Bootstrap(from_, report));
  VIGIL_RETURN_IF_ERROR(m.List(now, report));
  lap(report.list_s);
  m.FetchWanted(report);
  m.UpdateDelivered();
  lap(report.fetch_s);
  BinCloser::Advance advance = m.closer.AdvanceTo(now);
  report.bins_closed = advance.bins_closed;
  report.bins_closed_by_deadline = advance.bins_closed_by_deadline;
  report.closed_until = advance.closed_until;
  {
    std::lock_guard lock(m.health_mu);
    for (const auto& [collector, bins] : advance.missing) m.collector_health[collector].bins_closed_by_deadline += bins;
  }
  UnixSeconds min_bin = INT64_MAX;
  m.archive_bins.clear();
  VIGIL_RETURN_IF_ERROR(m.IngestClosed(advance.closed_until, report, min_bin));
  if (m.live) VIGIL_RETURN_IF_ERROR(m.live->ArchiveWrote(m.archive_bins));
  {
    // Published before detection runs, so that whoever sees an event in the API also sees in /healthz the
    // closed bins it was detected from (bench/run_latency.py measures latency from that bin's file).
    std::lock_guard lock(m.health_mu);
    m.health.closed_until = advance.closed_until == INT64_MIN ? 0 : advance.closed_until;
  }
  lap(report.ingest_s);
  if (advance.closed_until != INT64_MIN && (min_bin != INT64_MAX || advance.closed_until > m.detected_until)) {
    auto detected = m.Detect(advance.closed_until, min_bin, report.detect_bins);
    if (!detected.ok()) return detected.status();
    if (*detected && on_detection_) on_detection_();
  }
  lap(report.detect_s);
  if (m.options.keep_days > 0) m.Prune(now, report);

  std::lock_guard lock(m.health_mu);
  RunHealth& h = m.health;
  h.now = now;
  h.closed_until = advance.closed_until == INT64_MIN ? 0 : advance.closed_until;
  h.detected_until = m.detected_until == INT64_MIN ? 0 : m.detected_until;
  ++h.polls;
  h.poll_failures += report.errors.empty() ? 0 : 1;
  h.bins_closed += report.bins_closed;
  h.bins_closed_by_deadline += report.bins_closed_by_deadline;
  h.late_files += report.late_files;
  h.rebuilds += report.rebuilds;
  if (m.live) h.live_bins = m.live->live_bins();
  return report;
}

std::map<std::string, UnixSeconds> RunLoop::Impl::ArchiveUntil() const {
  std::map<std::string, UnixSeconds> until;
  for (const auto& [name, e] : files) {
    if (e.state != EntryState::kIngested || e.file.kind != signals::MrtFileKind::kUpdates) continue;
    UnixSeconds end = e.file.start + e.file.period_s;
    auto [it, fresh] = until.emplace(e.file.collector, end);
    if (!fresh) it->second = std::max(it->second, end);
  }
  return until;
}

Result<LiveStepReport> RunLoop::LiveStep(std::vector<acquire::LiveEvent> events) {
  return LiveStepAt(std::move(events), impl_->options.clock.Now());
}

Result<LiveStepReport> RunLoop::LiveStepAt(std::vector<acquire::LiveEvent> events, UnixSeconds now) {
  Impl& m = *impl_;
  LiveStepReport report;
  if (!m.live) return Status::InvalidArgument("RunLoop: RIS Live is not enabled (RunOptions::ris_live)");
  auto applied = m.live->Apply(std::move(events), now, m.ArchiveUntil());
  if (!applied.ok()) return applied.status();
  report.messages = applied->messages;
  report.ignored = applied->ignored;
  report.malformed = applied->malformed;
  report.bins_written = applied->bins_written;
  report.errors = std::move(applied->errors);
  m.live_messages += applied->messages;
  if (applied->bins_written > 0) {
    auto detected = m.Detect(applied->written_until, applied->min_bin, report.detect_bins);
    if (!detected.ok()) return detected.status();
    if (*detected && on_detection_) on_detection_();
  }
  std::lock_guard lock(m.health_mu);
  m.health.live_bins = m.live->live_bins();
  m.health.live_messages = m.live_messages;
  m.health.detected_until = m.detected_until == INT64_MIN ? 0 : m.detected_until;
  std::string phase = m.live->PhaseText();
  m.health.live_status = m.live_client.status.empty() ? "starting" : m.live_client.status;
  if (m.live_client.status == "connected" && !phase.empty()) m.health.live_status += ", " + phase;
  return report;
}

void RunLoop::SetLiveClientStats(const acquire::RisLiveStats& stats) {
  std::lock_guard lock(impl_->health_mu);
  impl_->live_client = stats;
  impl_->health.live_reconnects = stats.reconnects;
}

RunHealth RunLoop::Health() const {
  const Impl& m = *impl_;
  std::lock_guard lock(m.health_mu);
  RunHealth h = m.health;
  h.collectors.clear();
  for (const auto& [name, c] : m.collector_health) h.collectors.push_back(c);
  return h;
}

}  // namespace vigil::observatory
