// SPDX-License-Identifier: AGPL-3.0-or-later
// `vigil store init|info` and `vigil series`: create and inspect a store, print one series.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "base/time_format.h"
#include "cli/command_registry.h"
#include "cli/stages.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

// The contract's datasources (CONTRACTS.md), registered by `store init` so a fresh store lists them.
const store::Datasource kStandardDatasources[] = {
    {"bgp", 300, "IPv4 /24s routed (visible to > 50 % of full-feed peers) at the end of each 5-minute bin"},
    {"ping-slash24", 600, "/24 blocks the prober believes up, per 10-minute round"},
    {"rtt-p50", 600, "median RTT of the entity's replies per round, milliseconds"},
    {"loss", 600, "1 - replies/sent over the entity's up blocks per round, 0..1"},
};

void Fail(const std::string& message) {
  std::fprintf(stderr, "vigil: %s\n", message.c_str());
  SetExitCode(1);
}

// Opens an existing store; a missing one is an error here (only `store init` and the ingest commands create one).
std::unique_ptr<store::Store> OpenExisting(const std::string& uri) {
  auto opened = store::OpenExistingStore(uri);
  if (!opened.ok()) {
    Fail(opened.message());
    return nullptr;
  }
  return std::move(opened).value();
}

std::string FormatValue(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

void RunInit(const std::string& uri) {
  auto opened = store::OpenStore(uri);
  if (!opened.ok()) return Fail(opened.message());
  for (const store::Datasource& ds : kStandardDatasources) {
    Status st = (*opened)->RegisterDatasource(ds);
    if (!st.ok()) return Fail(st.message());
  }
  auto info = (*opened)->Describe();
  if (!info.ok()) return Fail(info.message());
  std::printf("store %s ready (%s, schema version %lld)\n", uri.c_str(), info->backend.c_str(),
              static_cast<long long>(info->schema_version));
}

void RunInfo(const std::string& uri) {
  auto store = OpenExisting(uri);
  if (!store) return;
  auto info = store->Describe();
  if (!info.ok()) return Fail(info.message());
  std::printf("store:          %s\nbackend:        %s\nschema version: %lld\n", info->location.c_str(),
              info->backend.c_str(), static_cast<long long>(info->schema_version));
  std::printf("\n%-14s %12s\n", "table", "rows");
  for (const auto& [table, rows] : info->table_rows)
    std::printf("%-14s %12lld\n", table.c_str(), static_cast<long long>(rows));
  std::printf("\n%-16s %6s %12s %9s  %-20s  %-20s\n", "datasource", "step", "points", "entities", "first bin",
              "last bin");
  for (const auto& d : info->datasources) {
    std::string first = d.points ? FormatRfc3339(d.first_t) : "-";
    std::string last = d.points ? FormatRfc3339(d.last_t) : "-";
    std::printf("%-16s %5llds %12lld %9lld  %-20s  %-20s\n", d.datasource.name.c_str(),
                static_cast<long long>(d.datasource.step_s), static_cast<long long>(d.points),
                static_cast<long long>(d.entities), first.c_str(), last.c_str());
  }
  // Where the inputs come from (docs/store.md "Provenance"): one line per kind and origin.
  auto sources = store->ListProvenanceSources(0, 0);
  if (!sources.ok()) return Fail(sources.message());
  std::printf("\n%-11s %-28s %8s  %-20s  %-20s\n", "provenance", "source", "inputs", "first", "last");
  for (const store::ProvenanceSource& src : *sources) {
    const store::Provenance& p = src.provenance;
    std::string origin = p.source.empty() ? "-" : p.source;
    if (p.kind == store::ProvenanceKind::kSimulated) {
      origin = "scenario " + p.source + (p.seed.empty() ? "" : " seed " + p.seed);
    }
    std::printf("%-11s %-28s %8lld  %-20s  %-20s\n", store::ProvenanceKindName(p.kind), origin.c_str(),
                static_cast<long long>(src.inputs), FormatRfc3339(src.first_t).c_str(),
                FormatRfc3339(src.last_t).c_str());
  }
}

struct SeriesOptions {
  std::string store = kDefaultStore;
  std::string entity;
  std::string datasource = "bgp";
  std::string from, until;
  int64_t step = 0;
  int64_t max_points = 0;
  bool csv = false;
};

void RunSeries(const SeriesOptions& o) {
  auto slash = o.entity.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == o.entity.size()) {
    return Fail("--entity " + o.entity + ": expected TYPE/CODE, e.g. region/KZ-ALA, country/KZ, asn/9198");
  }
  auto store = OpenExisting(o.store);
  if (!store) return;
  std::string type = o.entity.substr(0, slash), code = o.entity.substr(slash + 1);
  auto entity = store->FindEntity(type, code);
  if (!entity.ok()) return Fail(entity.message());
  if (!entity->has_value()) return Fail("--entity " + o.entity + ": no such entity in store " + o.store);
  auto datasources = store->ListDatasources();
  if (!datasources.ok()) return Fail(datasources.message());
  int64_t native = 0;
  for (const auto& d : *datasources) {
    if (d.name == o.datasource) native = d.step_s;
  }
  if (native == 0) return Fail("--datasource " + o.datasource + ": not in store " + o.store);

  UnixSeconds from = 0, until = 0;
  if (o.from.empty() || o.until.empty()) {
    auto span = store->SeriesSpan(o.datasource);
    if (!span.ok()) return Fail(span.message());
    if (!span->has_value()) return Fail("--datasource " + o.datasource + ": no points yet; give --from and --until");
    from = (*span)->first;
    until = (*span)->second + native;
  }
  if (!o.from.empty()) {
    auto t = ParseTime(o.from);
    if (!t.ok()) return Fail("--from " + o.from + ": " + t.message());
    from = *t;
  }
  if (!o.until.empty()) {
    auto t = ParseTime(o.until);
    if (!t.ok()) return Fail("--until " + o.until + ": " + t.message());
    until = *t;
  }
  if (until <= from) return Fail("--until must be after --from");
  if (o.step < 0) return Fail("--step must be > 0");
  int64_t step = o.step > 0 ? o.step : store::StepForMaxPoints(from, until, native, o.max_points);
  auto series = store->ReadAggregated(o.datasource, (*entity)->id, from, until, step);
  if (!series.ok()) return Fail(series.message());
  if (o.csv) {
    std::printf("time,unix,%s\n", o.datasource.c_str());
  } else {
    std::printf("# %s %s (%s), %s, step %llds (native %llds); missing bins: null; provenance: %s\n", o.entity.c_str(),
                (*entity)->name.c_str(), o.store.c_str(), o.datasource.c_str(), static_cast<long long>(step),
                static_cast<long long>(native), store::ProvenanceLabel(series->AllProvenance()).c_str());
  }
  for (size_t i = 0; i < series->values.size(); ++i) {
    UnixSeconds t = from + static_cast<int64_t>(i) * step;
    const auto& v = series->values[i];
    if (o.csv) {
      std::printf("%s,%lld,%s\n", FormatRfc3339(t).c_str(), static_cast<long long>(t),
                  v ? FormatValue(*v).c_str() : "");
    } else {
      std::printf("%s  %s\n", FormatRfc3339(t).c_str(), v ? FormatValue(*v).c_str() : "null");
    }
  }
}

void InstallStoreCommand(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("store", "Create and inspect a Vigil store (SQLite file or ClickHouse URL)");
  cmd->require_subcommand(1);

  auto init_store = std::make_shared<std::string>(kDefaultStore);
  CLI::App* init = cmd->add_subcommand("init",
                                       "Create the store (or migrate it to this vigil's schema) and register "
                                       "the standard datasources");
  init->add_option("--store", *init_store, "Store: a file path, sqlite:PATH or clickhouse://host:port/db")
      ->capture_default_str();
  auto init_cluster = std::make_shared<std::string>();
  init->add_option("--cluster", *init_cluster,
                   "ClickHouse: create shard-local tables on every host of the URI (clickhouse://h1:port,h2:port/db) "
                   "and Distributed tables over the server's remote_servers cluster NAME (docs/scale.md)");
  init->callback([init_store, init_cluster] {
    if (init_cluster->empty()) return RunInit(*init_store);
    if (init_store->rfind("clickhouse://", 0) != 0) return Fail("--cluster needs a clickhouse:// store");
    // The URI option carries the cluster to the backend; later opens find it in the database.
    RunInit(*init_store + "?cluster=" + *init_cluster);
  });

  auto info_store = std::make_shared<std::string>(kDefaultStore);
  CLI::App* info = cmd->add_subcommand("info", "Print the schema version, rows per table and each datasource's span");
  info->add_option("--store", *info_store, "Store: a file path, sqlite:PATH or clickhouse://host:port/db")
      ->capture_default_str();
  info->callback([info_store] { RunInfo(*info_store); });

  auto o = std::make_shared<SeriesOptions>();
  CLI::App* series = root.add_subcommand("series", "Print one entity's series, averaged per step (missing bins: null)");
  series->add_option("--store", o->store, "Store: a file path, sqlite:PATH or clickhouse://host:port/db")
      ->capture_default_str();
  series->add_option("--entity", o->entity, "Entity as TYPE/CODE: region/KZ-ALA, country/KZ, asn/9198")->required();
  series->add_option("--datasource", o->datasource, "bgp, ping-slash24, rtt-p50, loss or an imported name")
      ->capture_default_str();
  series->add_option("--from", o->from,
                     "Start (RFC 3339, YYYY-MM-DD or Unix seconds); default: the datasource's first bin");
  series->add_option("--until", o->until, "End, exclusive; default: after the datasource's last bin");
  series->add_option("--step", o->step, "Bucket width in seconds (default: the native step, or from --max-points)");
  series->add_option("--max-points", o->max_points,
                     "Choose the step from IODA's ladder so at most this many buckets print");
  series->add_flag("--csv", o->csv, "CSV with a header: time,unix,DATASOURCE (missing bins empty)");
  series->callback([o] { RunSeries(*o); });
}

VIGIL_REGISTER_COMMAND("store", InstallStoreCommand);

}  // namespace
}  // namespace vigil::cli
