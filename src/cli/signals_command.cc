// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil ingest mrt`: MRT files -> BGP visibility series in the store, through the observatory module's
// StoreSignalSink (the one place where the signals stage meets the store).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "cli/command_registry.h"
#include "cli/provenance_manifest.h"
#include "cli/stages.h"
#include "geo/geo.h"
#include "observatory/observatory.h"
#include "signals/bgp_ingest.h"
#include "signals/geo_counter.h"
#include "signals/visibility_model.h"
#include "store/store.h"

namespace vigil::cli {

int RunIngestMrt(const IngestMrtFlags& f) {
  signals::VisibilityOptions vis;
  vis.visibility = f.visibility;
  if (f.full_feed_fraction) {
    vis.full_feed_fraction = *f.full_feed_fraction;
  } else if (f.full_feed_min) {
    vis.full_feed_min_prefixes = *f.full_feed_min;
  }
  signals::VisibilityOptions vis6 = vis;
  vis6.full_feed_min_prefixes = f.full_feed_min_v6.value_or(signals::kIpv6FullFeedMinPrefixes);

  auto inputs = signals::DiscoverMrtInputs(f.paths);
  if (!inputs.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: %s\n", inputs.message().c_str());
    return 2;
  }
  std::vector<std::string> files;
  for (const signals::MrtInputFile& in : *inputs) files.push_back(in.path);
  auto provenance = ProvenanceOfFiles(files);
  if (!provenance.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: %s\n", provenance.message().c_str());
    return 2;
  }
  geo::OpenOptions geo_options;
  geo_options.geo_dir = f.geo_dir;
  geo_options.source = f.geo_source;
  auto geo = geo::GeoDatabase::Open(geo_options);
  if (!geo.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: geo %s: %s\n", f.geo_dir.c_str(), geo.message().c_str());
    return 2;
  }
  auto store = store::OpenStore(f.store);
  if (!store.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: store %s: %s\n", f.store.c_str(), store.message().c_str());
    return 2;
  }
  if (!f.allow_simulated) {
    Status mixing = store::CheckProvenanceMixing(**store, f.store, store::MaskOf(provenance->kind));
    if (!mixing.ok()) {
      std::fprintf(stderr, "vigil ingest mrt: %s\n", mixing.message().c_str());
      return 2;
    }
  }
  Status registered = (*store)->RegisterDatasource(observatory::BgpDatasource());
  if (registered.ok()) registered = (*store)->RegisterDatasource(observatory::BgpV6Datasource());
  if (!registered.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: store %s: %s\n", f.store.c_str(), registered.message().c_str());
    return 2;
  }
  auto ids = observatory::UpsertGeoEntities(**store, signals::GeoEntities(**geo), provenance->kind);
  if (!ids.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: store %s: %s\n", f.store.c_str(), ids.message().c_str());
    return 2;
  }

  signals::GeoSlash24Counter counter(**geo);
  signals::VisibilityModel model(vis, &counter);
  signals::GeoSlash48Counter counter6(**geo);
  signals::VisibilityModel6 model6(vis6, &counter6);
  const size_t group = (*store)->PreferredCommitGroup();
  observatory::StoreSignalSink sink(**store, std::move(*ids), std::max<size_t>(group, f.workers > 1 ? 256 : 1));
  if (f.workers > 1) sink.SetUnboundedGroup();
  sink.SetProvenance(*provenance);
  if (group > 1) {
    // Inputs list their record times; a day either side of the file-name times covers them.
    UnixSeconds lo = INT64_MAX, hi = INT64_MIN;
    for (const signals::MrtInputFile& in : *inputs) {
      if (in.name_time < 0) lo = INT64_MIN;
      lo = std::min(lo, in.name_time);
      hi = std::max(hi, in.name_time);
    }
    if (!inputs->empty() && lo != INT64_MIN) {
      Status preloaded = sink.PreloadInputs(lo - 86400, hi + 86400);
      if (!preloaded.ok()) {
        std::fprintf(stderr, "vigil ingest mrt: store %s: %s\n", f.store.c_str(), preloaded.message().c_str());
        return 2;
      }
    }
  }
  signals::BgpIngestOptions options;
  options.from_rib = f.from_rib;
  options.verbose = f.verbose;
  options.progress = !f.quiet && isatty(STDERR_FILENO);
  auto report = f.workers > 1
                    ? signals::RunBgpIngestWorkers(std::move(*inputs), vis, &counter, f.workers, options, sink)
                    : signals::RunBgpIngest(std::move(*inputs), model, options, sink, &model6);
  if (f.workers > 1 && !f.quiet) {
    std::fprintf(stderr, "vigil ingest mrt: --workers computes bgp only; bgp-v6 needs a run without --workers\n");
  }
  if (report.ok()) {
    Status flushed = sink.Flush();
    if (!flushed.ok()) report = flushed;
  }
  if (!report.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: %s\n", report.message().c_str());
    return 1;
  }
  const auto& r = *report;
  if (!f.quiet) {
    std::printf(
        "files %lld: ingested %lld, already in the store %lld, stale %lld, failed %lld; %lld records (%lld IPv4) in "
        "%.1f s "
        "(%.0f records/s); %lld bin values; last bin: %lld full-feed peers, %lld visible prefixes, %lld visible /24s\n",
        (long long)r.files, (long long)r.ingested, (long long)r.skipped_known, (long long)r.skipped_stale,
        (long long)r.failed, (long long)r.records, (long long)r.ipv4_records, r.seconds,
        r.seconds > 0 ? double(r.records) / r.seconds : 0.0, (long long)r.bins, (long long)r.last.full_feed_peers,
        (long long)r.last.visible_prefixes, (long long)r.last.visible_slash24s);
  }
  if (!f.quiet) std::printf("provenance: %s\n", DescribeProvenance(*provenance).c_str());
  if (!f.quiet && f.workers <= 1) {
    std::printf(
        "bgp-v6: %lld IPv6 records; %lld bin values; last bin: %lld full-feed IPv6 peers, %lld visible "
        "prefixes, %lld visible /48s\n",
        (long long)r.ipv6_records, (long long)r.bins_v6, (long long)r.last_v6.full_feed_peers,
        (long long)r.last_v6.visible_prefixes, (long long)r.last_v6.visible_slash24s);
  }
  return r.failed > 0 ? 1 : 0;
}

namespace {

void InstallIngestMrtCommand(CLI::App& root) {
  CLI::App* ingest = EnsureCommand(root, "ingest", "Ingest measurement inputs into the store");
  CLI::App* mrt = ingest->add_subcommand(
      "mrt",
      "Ingest MRT files (RIBs and updates; files or folders, RIS/RouteViews naming) into the bgp and bgp-v6 "
      "signals");
  auto flags = std::make_shared<IngestMrtFlags>();
  mrt->add_option("paths", flags->paths, "MRT files or folders (searched recursively)")->required();
  mrt->add_option("--store", flags->store, "Store URI (a plain path means SQLite)")->capture_default_str();
  mrt->add_option("--geo", flags->geo_dir, "Geo data folder (CSV world or ip-location-db)")->capture_default_str();
  mrt->add_option("--geo-source", flags->geo_source,
                  "geolite2 (fused with DB-IP), geolite2-only or dbip (real databases only)")
      ->capture_default_str();
  auto* min =
      mrt->add_option("--full-feed-min", flags->full_feed_min,
                      "Full-feed peer: more than N IPv4 prefixes (default 400000; a simulated world's value is in its "
                      "sim-config.json, `full_feed_min_prefixes`)");
  auto* min_v6 = mrt->add_option("--full-feed-min-v6", flags->full_feed_min_v6,
                                 "bgp-v6 full-feed peer: more than N IPv6 prefixes (default 100000; sim-config.json: "
                                 "`full_feed_min_prefixes_v6`)");
  mrt->add_option("--full-feed-fraction", flags->full_feed_fraction,
                  "Full-feed peer: at least this fraction of the largest peer table of its family (instead of "
                  "--full-feed-min and --full-feed-min-v6)")
      ->excludes(min)
      ->excludes(min_v6);
  mrt->add_option("--visibility", flags->visibility,
                  "Visible prefix: carried by more than this fraction of full-feed peers")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  mrt->add_flag("--from-rib", flags->from_rib,
                "Drop the saved peer tables and rebuild from the RIBs given (per collector, files before its first RIB "
                "are skipped)");
  mrt->add_option("--workers", flags->workers,
                  "Split the collectors among N worker threads (own peer tables and state each; per-prefix counts "
                  "merged before visibility: docs/scale.md); the run is committed as one group at the end")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  mrt->add_flag("--allow-simulated", flags->allow_simulated,
                "Ingest simulated files (a provenance.json beside them says so) into a store holding observed ones, "
                "or the reverse; their entities' attributes stay apart (docs/store.md \"Provenance\")");
  mrt->add_flag("-v,--verbose", flags->verbose, "One line per file on stderr");
  mrt->add_flag("-q,--quiet", flags->quiet, "No progress and no summary");
  mrt->callback([flags] { SetExitCode(RunIngestMrt(*flags)); });
}

VIGIL_REGISTER_COMMAND("ingest", InstallIngestMrtCommand);

}  // namespace
}  // namespace vigil::cli
