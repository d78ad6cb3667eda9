// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/bgp_ingest.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "base/sha256.h"
#include "mrt/mrt.h"

namespace vigil::signals {
namespace {

using Clock = std::chrono::steady_clock;

// Feeds decoded MRT elements to the builder, without allocating per element.
class ElementFeeder final : public mrt::ElementVisitor {
 public:
  ElementFeeder(BgpSignalBuilder& builder, BgpSignalBuilder6* builder_v6, std::function<void(int64_t)> tick)
      : builder_(builder), builder_v6_(builder_v6), tick_(std::move(tick)) {}

  void OnElement(const mrt::Element& e) override {
    RouteRecord r;
    switch (e.kind) {
      case mrt::ElementKind::kRib:
        r.kind = RouteRecord::Kind::kRib;
        break;
      case mrt::ElementKind::kAnnounce:
        r.kind = RouteRecord::Kind::kAnnounce;
        break;
      case mrt::ElementKind::kWithdraw:
        r.kind = RouteRecord::Kind::kWithdraw;
        break;
      case mrt::ElementKind::kState:
        r.kind = RouteRecord::Kind::kState;
        break;
    }
    r.t = e.time;
    // The peer's address as raw bytes (family, then 4 or 16 bytes) keys the peer directory.
    size_t n = e.peer_ip.is_v6() ? 16 : 4;
    peer_key_[0] = char(e.peer_ip.family);
    std::memcpy(peer_key_ + 1, e.peer_ip.bytes, n);
    r.peer_address = std::string_view(peer_key_, n + 1);
    r.peer_asn = e.peer_asn;
    r.peer_index = e.peer_index;
    r.ipv4 = e.prefix.family == 4 && !e.multicast;
    r.ipv6 = e.prefix.family == 6 && !e.multicast;
    if (r.ipv4) r.prefix = Ipv4Prefix::Make(e.prefix.V4(), e.prefix.length);
    if (r.ipv6) r.prefix6 = Ipv6Prefix::Make(e.prefix.bytes, e.prefix.length);
    r.path_id = e.has_path_id ? e.path_id : 0;
    r.new_state = e.new_state;
    builder_.Record(r);
    if (builder_v6_) builder_v6_->Record(r);
    if ((++elements_ & 0xffff) == 0 && tick_) tick_(elements_);
  }
  void OnPeerIndexTable(const mrt::PeerIndexTable&) override {
    builder_.PeerIndexTableChanged();
    if (builder_v6_) builder_v6_->PeerIndexTableChanged();
  }

 private:
  BgpSignalBuilder& builder_;
  BgpSignalBuilder6* builder_v6_;
  std::function<void(int64_t)> tick_;  // progress, every 65536 elements
  int64_t elements_ = 0;
  char peer_key_[17] = {};
};

std::string FormatCount(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

class Progress {
 public:
  Progress(bool enabled, int64_t files, int64_t bytes)
      : enabled_(enabled), files_(files), total_bytes_(bytes), start_(Clock::now()), last_(start_) {}
  void Update(int64_t file_index, int64_t bytes_done, int64_t records, bool force) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? double(records) / secs : 0;
    double eta =
        bytes_done > 0 && total_bytes_ > bytes_done ? secs * double(total_bytes_ - bytes_done) / double(bytes_done) : 0;
    char eta_text[32] = "ETA -:--";  // no file done yet: nothing to extrapolate from
    if (bytes_done > 0) std::snprintf(eta_text, sizeof eta_text, "ETA %d:%02d", int(eta) / 60, int(eta) % 60);
    std::fprintf(stderr, "\r[%lld/%lld files] %s records, %s records/s, %s   ", (long long)file_index,
                 (long long)files_, FormatCount(double(records)).c_str(), FormatCount(rate).c_str(), eta_text);
    std::fflush(stderr);
  }
  void Done() {
    if (enabled_) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  int64_t files_;
  int64_t total_bytes_;
  Clock::time_point start_;
  Clock::time_point last_;
};

}  // namespace

Result<std::string> InputKey(const MrtInputFile& input) {
  auto content = Sha256OfFile(input.path);
  if (!content.ok()) return content.status();
  std::string key = *content + "|" + input.collector + "|" + std::to_string(input.name_time);
  return Sha256OfBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
}

namespace {

bool IsRibRecordType(uint16_t type) { return type == mrt::kTypeTableDump || type == mrt::kTypeTableDumpV2; }

}  // namespace

void FillTimesFromContent(std::vector<MrtInputFile>& inputs) {
  for (MrtInputFile& in : inputs) {
    if (in.name_time >= 0 && in.kind != MrtFileKind::kUnknown) continue;
    auto reader = mrt::Reader::Open(in.path);
    if (!reader.ok()) continue;  // reported when the file is ingested
    mrt::Record record;
    if (!(*reader)->Next(&record)) continue;
    if (in.name_time < 0) {
      in.name_time = record.timestamp;
      in.time_from_content = true;
    }
    if (in.kind == MrtFileKind::kUnknown) {
      in.kind = IsRibRecordType(record.type) ? MrtFileKind::kRib : MrtFileKind::kUpdates;
    }
  }
}

namespace {

// The optional bgp-v6 side of an ingest: its builder over the IPv6 model, state loaded and saved beside
// the IPv4 one.
struct Ipv6Side {
  RoutingModel6& model;
  BgpSignalBuilder6 builder;
  FileOutcome outcome;
  std::string state;
  explicit Ipv6Side(RoutingModel6& m) : model(m), builder(m) {}

  Status Load(SignalSink& sink) {
    auto saved = sink.LoadState(kBgpV6StateKey);
    if (!saved.ok()) return saved.status();
    if (!saved->has_value()) return Status::Ok();
    return builder.LoadState(**saved, [&](std::string_view b) { return model.LoadTables(b); })
        .WithContext("loading saved bgp-v6 state (rebuild it with --from-rib)");
  }
};

// Loads the saved IPv4 BGP state into the builder and its model, if the store holds one.
Status LoadBgpState(BgpSignalBuilder& builder, RoutingModel& model, SignalSink& sink) {
  auto saved = sink.LoadState(kBgpStateKey);
  if (!saved.ok()) return saved.status();
  if (!saved->has_value()) return Status::Ok();
  return builder.LoadState(**saved, [&](std::string_view b) { return model.LoadTables(b); })
      .WithContext("loading saved BGP state (rebuild it with --from-rib)");
}

// The time of each collector's first RIB among the (sorted) inputs: with --from-rib, each collector starts there.
std::map<std::string, UnixSeconds> FirstRibs(const std::vector<MrtInputFile>& inputs) {
  std::map<std::string, UnixSeconds> first_rib;
  for (const MrtInputFile& in : inputs) {
    if (in.kind == MrtFileKind::kRib && !first_rib.count(in.collector)) first_rib[in.collector] = in.name_time;
  }
  return first_rib;
}

// What an ingest does with one input file.
enum class Admission {
  kRead,       // read it, commit its outcome and the state after it
  kReread,     // ingested before: read it again to rebuild the state (--from-rib), commit it without state
  kSkipKnown,  // ingested before
  kSkipStale,  // older than the state it would be applied to
};

// --from-rib: every file from its collector's first RIB on is read, those ingested before too.
Result<Admission> AdmitForRebuild(const MrtInputFile& in, const std::string& sha,
                                  const std::map<std::string, UnixSeconds>& first_rib, bool verbose, SignalSink& sink) {
  auto known = sink.HasInput(sha);
  if (!known.ok()) return known.status();
  auto it = first_rib.find(in.collector);
  if (it == first_rib.end() || in.name_time < it->second) {
    if (verbose)
      std::fprintf(stderr, "%s: before collector %s's RIB, skipped\n", in.path.c_str(), in.collector.c_str());
    return Admission::kSkipStale;
  }
  return *known ? Admission::kReread : Admission::kRead;
}

// Otherwise: new files no older than the saved state of their collector (which holds data until saved_until).
Result<Admission> AdmitForUpdate(const MrtInputFile& in, const std::string& sha, UnixSeconds saved_until, bool verbose,
                                 SignalSink& sink) {
  auto known = sink.HasInput(sha);
  if (!known.ok()) return known.status();
  if (*known) {
    if (verbose) std::fprintf(stderr, "%s: already ingested\n", in.path.c_str());
    return Admission::kSkipKnown;
  }
  int64_t period = in.time_from_content ? 1 : BgpSignalBuilder::UpdatePeriodSeconds(in.collector);
  bool stale = in.kind == MrtFileKind::kRib ? in.name_time < saved_until : in.name_time + period - 1 <= saved_until;
  if (saved_until >= 0 && stale) {
    std::fprintf(stderr, "%s: older than the saved state of collector %s, skipped (use --from-rib to rebuild)\n",
                 in.path.c_str(), in.collector.c_str());
    return Admission::kSkipStale;
  }
  return Admission::kRead;
}

// Decodes one file into the builders (and v6's outcome). Nothing when the file could not be read or holds no
// MRT (said on stderr); `tick` reports progress, `decode_problems` counts records skipped as undecodable.
std::optional<FileOutcome> DecodeFile(const MrtInputFile& in, BgpSignalBuilder& builder, Ipv6Side* v6,
                                      std::function<void(int64_t)> tick, int64_t& decode_problems) {
  builder.BeginFile(in);
  if (v6) v6->builder.BeginFile(in);
  ElementFeeder feeder(builder, v6 ? &v6->builder : nullptr, std::move(tick));
  int64_t problems = 0;
  mrt::ReaderOptions reader_options;
  reader_options.on_error = [&](const std::string& message) {
    if (++problems <= 3) std::fprintf(stderr, "%s\n", message.c_str());
  };
  auto read = mrt::ForEachElement(in.path, feeder, reader_options);
  FileOutcome outcome = builder.FinishFile();
  if (v6) v6->outcome = v6->builder.FinishFile();
  if (!read.ok()) {
    std::fprintf(stderr, "%s: %s\n", in.path.c_str(), read.message().c_str());
    return std::nullopt;
  }
  if (problems > 3) std::fprintf(stderr, "%s: %lld more problems\n", in.path.c_str(), (long long)(problems - 3));
  if (read->records == 0 && !read->errors.empty()) {
    std::fprintf(stderr, "%s: not an MRT file (nothing decoded), not ingested\n", in.path.c_str());
    return std::nullopt;
  }
  decode_problems += int64_t(read->skipped);
  return outcome;
}

// Commits one decoded file and, unless it was ingested before, the state after it (serialized into `state`
// and v6->state, which the sink reads during the call).
Status CommitDecodedFile(const MrtInputFile& in, const std::string& sha, Admission admission,
                         const FileOutcome& outcome, const BgpSignalBuilder& builder, RoutingModel& model, Ipv6Side* v6,
                         std::string& state, SignalSink& sink) {
  const bool already_ingested = admission == Admission::kReread;
  BgpFileCommit commit;
  commit.input = &in;
  commit.sha256 = sha;
  commit.kind = in.kind == MrtFileKind::kRib ? "mrt-rib" : "mrt-updates";
  commit.outcome = &outcome;
  commit.already_ingested = already_ingested;
  if (model.CanSaveTables() && !already_ingested) {
    auto saved = builder.SaveState([&](std::string& out) { model.SaveTables(out); });
    if (!saved.ok()) return saved.status();
    state = std::move(*saved);
    commit.state = &state;
  }
  if (v6) {
    commit.outcome_v6 = &v6->outcome;
    if (v6->model.CanSaveTables() && !already_ingested) {
      auto saved = v6->builder.SaveState([&](std::string& out) { v6->model.SaveTables(out); });
      if (!saved.ok()) return saved.status();
      v6->state = std::move(*saved);
      commit.state_v6 = &v6->state;
    }
  }
  return sink.CommitFile(commit).WithContext(in.path);
}

void CountIngested(const MrtInputFile& in, const FileOutcome& outcome, const RoutingModel& model, const Ipv6Side* v6,
                   bool verbose, BgpIngestReport& report) {
  ++report.ingested;
  report.records += outcome.records;
  report.ipv4_records += outcome.ipv4_records;
  report.bins += int64_t(outcome.bins.size());
  report.last = model.LastSummary();
  if (v6) {
    report.ipv6_records += v6->outcome.ipv4_records;
    report.bins_v6 += int64_t(v6->outcome.bins.size());
    report.last_v6 = v6->model.LastSummary();
  }
  if (verbose) {
    std::fprintf(stderr, "%s: collector %s, %lld records, %zu bins, %lld full-feed peers, %lld visible /24s\n",
                 in.path.c_str(), in.collector.c_str(), (long long)outcome.records, outcome.bins.size(),
                 (long long)report.last.full_feed_peers, (long long)report.last.visible_slash24s);
  }
}

// After a --from-rib run: the rebuilt state replaces the saved one.
Status CommitRebuiltStates(const BgpSignalBuilder& builder, RoutingModel& model, Ipv6Side* v6, SignalSink& sink) {
  auto saved = builder.SaveState([&](std::string& out) { model.SaveTables(out); });
  if (!saved.ok()) return saved.status();
  VIGIL_RETURN_IF_ERROR(sink.CommitRebuiltState(kBgpStateKey, *saved));
  if (v6 && v6->model.CanSaveTables()) {
    auto saved_v6 = v6->builder.SaveState([&](std::string& out) { v6->model.SaveTables(out); });
    if (!saved_v6.ok()) return saved_v6.status();
    VIGIL_RETURN_IF_ERROR(sink.CommitRebuiltState(kBgpV6StateKey, *saved_v6));
  }
  return Status::Ok();
}

}  // namespace

Result<BgpIngestReport> RunBgpIngest(std::vector<MrtInputFile> inputs, RoutingModel& model,
                                     const BgpIngestOptions& options, SignalSink& sink, RoutingModel6* model_v6) {
  auto start = Clock::now();
  FillTimesFromContent(inputs);
  SortMrtInputs(inputs);

  BgpIngestReport report;
  report.files = int64_t(inputs.size());
  BgpSignalBuilder builder(model);
  if (!options.from_rib && model.CanSaveTables()) VIGIL_RETURN_IF_ERROR(LoadBgpState(builder, model, sink));
  std::unique_ptr<Ipv6Side> v6;
  if (model_v6) {
    v6 = std::make_unique<Ipv6Side>(*model_v6);
    if (!options.from_rib && model_v6->CanSaveTables()) VIGIL_RETURN_IF_ERROR(v6->Load(sink));
  }
  // Files older than what the saved state already holds would rewind tables: skip them. (Within a run the
  // inputs are sorted, so only the state loaded at the start matters.)
  std::map<std::string, UnixSeconds> saved_until;
  for (const MrtInputFile& in : inputs) saved_until.emplace(in.collector, builder.CollectorLastTime(in.collector));
  const std::map<std::string, UnixSeconds> first_rib =
      options.from_rib ? FirstRibs(inputs) : std::map<std::string, UnixSeconds>();

  int64_t total_bytes = 0;
  for (const MrtInputFile& in : inputs) total_bytes += in.bytes;
  Progress progress(options.progress, report.files, total_bytes);
  int64_t bytes_done = 0;
  std::string state;

  for (size_t i = 0; i < inputs.size(); ++i) {
    const MrtInputFile& in = inputs[i];
    progress.Update(int64_t(i), bytes_done, report.records, false);
    bytes_done += in.bytes;

    auto sha = InputKey(in);
    if (!sha.ok()) {
      std::fprintf(stderr, "%s: %s\n", in.path.c_str(), sha.message().c_str());
      ++report.failed;
      continue;
    }
    Result<Admission> admission = options.from_rib
                                      ? AdmitForRebuild(in, *sha, first_rib, options.verbose, sink)
                                      : AdmitForUpdate(in, *sha, saved_until[in.collector], options.verbose, sink);
    if (!admission.ok()) return admission.status();
    if (*admission == Admission::kSkipKnown) ++report.skipped_known;
    if (*admission == Admission::kSkipStale) ++report.skipped_stale;
    if (*admission == Admission::kSkipKnown || *admission == Admission::kSkipStale) continue;

    std::optional<FileOutcome> outcome = DecodeFile(
        in, builder, v6.get(),
        [&](int64_t elements) { progress.Update(int64_t(i), bytes_done - in.bytes, report.records + elements, false); },
        report.decode_problems);
    if (!outcome) {
      ++report.failed;
      continue;
    }
    VIGIL_RETURN_IF_ERROR(CommitDecodedFile(in, *sha, *admission, *outcome, builder, model, v6.get(), state, sink));
    CountIngested(in, *outcome, model, v6.get(), options.verbose, report);
  }
  if (options.from_rib && model.CanSaveTables() && report.ingested > 0) {
    VIGIL_RETURN_IF_ERROR(CommitRebuiltStates(builder, model, v6.get(), sink));
  }
  progress.Update(report.files, total_bytes, report.records, true);
  progress.Done();
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace vigil::signals
