// `vigil ingest mrt`: MRT files -> BGP visibility series in the store. The store adapter below is the only
// place where the signals stage meets the store (signals must not include it).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "cli/command_registry.h"
#include "geo/geo.h"
#include "signals/bgp_ingest.h"
#include "signals/geo_counter.h"
#include "signals/visibility_model.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

// Writes each file's bins, inputs row and signal state through Store::CommitIngest.
class StoreSignalSink final : public signals::SignalSink {
 public:
  StoreSignalSink(store::Store& store, std::vector<int64_t> entity_ids)
      : store_(store), entity_ids_(std::move(entity_ids)) {}

  Result<bool> HasInput(const std::string& sha256) override { return store_.HasInput(sha256); }
  Result<std::optional<std::string>> LoadState(const std::string& key) override { return store_.GetState(key); }

  Status CommitFile(const signals::BgpFileCommit& c) override {
    store::IngestCommit commit;
    commit.input.sha256 = c.sha256;
    commit.input.name = c.input->name;
    commit.input.kind = c.kind;
    commit.input.collector = c.input->collector;
    commit.input.records = c.outcome->records;
    commit.input.first_t = c.outcome->first_t;
    commit.input.last_t = c.outcome->last_t;
    commit.input.ingested_at = std::time(nullptr);
    store::SeriesBatch batch;
    batch.datasource = "bgp";
    for (const signals::BinValues& bin : c.outcome->bins) {
      for (size_t e = 0; e < entity_ids_.size() && e < bin.counts.size(); ++e) {
        if (entity_ids_[e] == 0) continue;  // an entity without address space has no series
        batch.points.push_back(store::SeriesPoint{entity_ids_[e], bin.t, double(bin.counts[e])});
      }
    }
    commit.series.push_back(std::move(batch));
    if (c.already_ingested) return store_.WriteSeries(commit.series);
    if (c.state) commit.state.push_back(store::StateBlob{signals::kBgpStateKey, *c.state});
    return store_.CommitIngest(commit);
  }

 private:
  store::Store& store_;
  std::vector<int64_t> entity_ids_;
};

// Upserts the geo entities (countries and ASNs first, so regions can name their parent's id); returns the
// store id per geo entity index, 0 for entities without /24s.
Result<std::vector<int64_t>> UpsertGeoEntities(store::Store& store, const std::vector<signals::EntityInfo>& infos) {
  std::vector<int64_t> ids(infos.size(), 0);
  std::map<std::string, int64_t> country_ids;
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<store::Entity> batch;
    std::vector<size_t> index;
    for (size_t i = 0; i < infos.size(); ++i) {
      const signals::EntityInfo& info = infos[i];
      if (info.slash24_count <= 0 || (info.type == "region") != (pass == 1)) continue;
      store::Entity e;
      e.type = info.type;
      e.code = info.code;
      e.name = info.name;
      e.slash24_count = info.slash24_count;
      e.tz = info.tz;
      if (!info.parent_code.empty()) {
        auto it = country_ids.find(info.parent_code);
        if (it != country_ids.end()) e.parent_id = it->second;
      }
      batch.push_back(std::move(e));
      index.push_back(i);
    }
    VIGIL_RETURN_IF_ERROR(store.UpsertEntities(batch));
    for (size_t k = 0; k < batch.size(); ++k) {
      ids[index[k]] = batch[k].id;
      if (batch[k].type == "country") country_ids[batch[k].code] = batch[k].id;
    }
  }
  return ids;
}

// OUTDIR/sim-config.json beside (or above) an input folder carries the full-feed threshold fit for a small
// simulated world.
std::optional<int64_t> SimFullFeedThreshold(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    fs::path dir = fs::is_directory(p) ? fs::path(p) : fs::path(p).parent_path();
    for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
      fs::path config = dir / "sim-config.json";
      if (!fs::exists(config)) continue;
      std::ifstream in(config);
      auto j = nlohmann::json::parse(in, nullptr, false);
      if (!j.is_discarded() && j.contains("full_feed_min_prefixes") && j["full_feed_min_prefixes"].is_number()) {
        return j["full_feed_min_prefixes"].get<int64_t>();
      }
      break;
    }
  }
  return std::nullopt;
}

struct IngestMrtFlags {
  std::vector<std::string> paths;
  std::string store = "var/vigil.db";
  std::string geo_dir = "node_modules/@ip-location-db";
  std::string geo_source = "geolite2";
  std::optional<int64_t> full_feed_min;
  std::optional<double> full_feed_fraction;
  double visibility = 0.5;
  bool from_rib = false;
  bool verbose = false;
  bool quiet = false;
};

int RunIngestMrt(const IngestMrtFlags& f) {
  signals::VisibilityOptions vis;
  vis.visibility = f.visibility;
  if (f.full_feed_fraction) {
    vis.full_feed_fraction = *f.full_feed_fraction;
  } else if (f.full_feed_min) {
    vis.full_feed_min_prefixes = *f.full_feed_min;
  } else if (auto sim = SimFullFeedThreshold(f.paths)) {
    vis.full_feed_min_prefixes = *sim;
  }

  auto inputs = signals::DiscoverMrtInputs(f.paths);
  if (!inputs.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: %s\n", inputs.message().c_str());
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
  Status registered = (*store)->RegisterDatasource(
      store::Datasource{"bgp", 300, "Visible /24s: IPv4 /24s covered by prefixes more than half the full-feed BGP peers carry"});
  if (!registered.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: store %s: %s\n", f.store.c_str(), registered.message().c_str());
    return 2;
  }
  auto ids = UpsertGeoEntities(**store, signals::GeoEntities(**geo));
  if (!ids.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: store %s: %s\n", f.store.c_str(), ids.message().c_str());
    return 2;
  }

  signals::GeoSlash24Counter counter(**geo);
  signals::VisibilityModel model(vis, &counter);
  StoreSignalSink sink(**store, std::move(*ids));
  signals::BgpIngestOptions options;
  options.from_rib = f.from_rib;
  options.verbose = f.verbose;
  options.progress = !f.quiet && isatty(STDERR_FILENO);
  auto report = signals::RunBgpIngest(std::move(*inputs), model, options, sink);
  if (!report.ok()) {
    std::fprintf(stderr, "vigil ingest mrt: %s\n", report.message().c_str());
    return 1;
  }
  const auto& r = *report;
  if (!f.quiet) {
    std::printf(
        "files %lld: ingested %lld, already in the store %lld, stale %lld, failed %lld; %lld records (%lld IPv4) in %.1f s "
        "(%.0f records/s); %lld bin values; last bin: %lld full-feed peers, %lld visible prefixes, %lld visible /24s\n",
        (long long)r.files, (long long)r.ingested, (long long)r.skipped_known, (long long)r.skipped_stale,
        (long long)r.failed, (long long)r.records, (long long)r.ipv4_records, r.seconds,
        r.seconds > 0 ? double(r.records) / r.seconds : 0.0, (long long)r.bins, (long long)r.last.full_feed_peers,
        (long long)r.last.visible_prefixes, (long long)r.last.visible_slash24s);
  }
  return r.failed > 0 ? 1 : 0;
}

void InstallIngestMrtCommand(CLI::App& root) {
  CLI::App* ingest = EnsureCommand(root, "ingest", "Ingest measurement inputs into the store");
  CLI::App* mrt = ingest->add_subcommand(
      "mrt", "Ingest MRT files (RIBs and updates; files or folders, RIS/RouteViews naming) into the bgp signal");
  auto flags = std::make_shared<IngestMrtFlags>();
  mrt->add_option("paths", flags->paths, "MRT files or folders (searched recursively)")->required();
  mrt->add_option("--store", flags->store, "Store URI (a plain path means SQLite)")->capture_default_str();
  mrt->add_option("--geo", flags->geo_dir, "Geo data folder (CSV world or ip-location-db)")->capture_default_str();
  mrt->add_option("--geo-source", flags->geo_source, "geolite2 (fused with DB-IP), geolite2-only or dbip (real databases only)")->capture_default_str();
  auto* min = mrt->add_option("--full-feed-min", flags->full_feed_min,
                              "Full-feed peer: more than N IPv4 prefixes (default 400000, or the sim-config.json value)");
  mrt->add_option("--full-feed-fraction", flags->full_feed_fraction,
                  "Full-feed peer: at least this fraction of the largest peer table (instead of --full-feed-min)")
      ->excludes(min);
  mrt->add_option("--visibility", flags->visibility, "Visible prefix: carried by more than this fraction of full-feed peers")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  mrt->add_flag("--from-rib", flags->from_rib,
                "Drop the saved peer tables and rebuild from the RIBs given (per collector, files before its first RIB are skipped)");
  mrt->add_flag("-v,--verbose", flags->verbose, "One line per file on stderr");
  mrt->add_flag("-q,--quiet", flags->quiet, "No progress and no summary");
  mrt->callback([flags] { SetExitCode(RunIngestMrt(*flags)); });
}

VIGIL_REGISTER_COMMAND("ingest", InstallIngestMrtCommand);

}  // namespace
}  // namespace vigil::cli
