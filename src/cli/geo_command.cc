// SPDX-License-Identifier: AGPL-3.0-or-later
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "geo/geo.h"

namespace vigil::cli {
namespace {

struct GeoFlags {
  geo::OpenOptions options;
  bool force = false;
};

void AddGeoFlags(CLI::App* command, GeoFlags* flags) {
  command
      ->add_option("--geo", flags->options.geo_dir,
                   "Geo data: a CSV world (geo-ipv4.csv, asn-ipv4.csv) or the ip-location-db folder")
      ->capture_default_str();
  command
      ->add_option("--geo-source", flags->options.source,
                   "Real databases: geolite2 (fused with DB-IP where GeoLite2 names only a country), "
                   "geolite2-only or dbip")
      ->check(CLI::IsMember({"geolite2", "geolite2-only", "dbip"}))
      ->capture_default_str();
  command->add_option("--cache", flags->options.cache_dir, "Directory for the compiled range table ('' = none)")
      ->capture_default_str();
  command->add_option("--iso-codes", flags->options.iso_codes_dir, "Directory of iso-codes' JSON files")
      ->capture_default_str();
}

// A one-line progress bar on stderr, only when stderr is a terminal or when asked.
std::function<void(double, std::string_view)> ProgressBar(bool enabled) {
  if (!enabled) return {};
  return [last = -1](double fraction, std::string_view stage) mutable {
    int percent = static_cast<int>(fraction * 100);
    if (percent == last) return;
    last = percent;
    int filled = percent * 30 / 100;
    std::fprintf(stderr, "\r[%.*s%.*s] %3d%% %-40.*s", filled, "##############################", 30 - filled,
                 "                              ", percent, static_cast<int>(stage.size()), stage.data());
    if (percent >= 100) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
}

std::unique_ptr<geo::GeoDatabase> OpenOrReport(const geo::OpenOptions& options) {
  auto db = geo::GeoDatabase::Open(options);
  if (!db.ok()) {
    std::fprintf(stderr, "vigil geo: %s\n", db.message().c_str());
    SetExitCode(1);
    return nullptr;
  }
  return std::move(db.value());
}

// `unit` is "/24s" (IPv4) or "/48s" (IPv6); `suffix` tells the IPv6 lines apart (" (IPv6)").
void PrintCoverageSummary(const geo::GeoDatabase& db, const geo::Coverage& c, const char* unit, const char* suffix) {
  auto percent = [](uint64_t part, uint64_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  auto n = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  uint64_t named = c.located_slash24s - c.empty_state1_slash24s;
  std::printf("geolocated %s\t%llu\n", unit, n(c.located_slash24s));
  std::printf("with region%s\t%llu (%.2f %%)\n", suffix, n(c.region_slash24s), c.RegionPercent());
  std::printf("located, no subdivision named%s\t%llu\n", suffix, n(c.empty_state1_slash24s));
  std::printf("with region, of those the sources name a subdivision for%s\t%.2f %%\n", suffix,
              percent(c.region_slash24s, named));
  std::printf("unmapped (country, state1)%s\t%zu\n", suffix, c.unmapped.size());
  const geo::BuildInfo& info = db.build_info();
  if (!info.secondary_source.empty()) {
    std::printf("taken from %s (%s named only a country)%s\t%llu (%.2f %%)\n", info.secondary_source.c_str(),
                info.primary_source.c_str(), suffix, n(c.secondary_slash24s),
                percent(c.secondary_slash24s, c.located_slash24s));
    std::printf("of those, in another country than %s's%s\t%llu\n", info.primary_source.c_str(), suffix,
                n(c.secondary_other_country_slash24s));
  }
}

void PrintCoverageSummary(const geo::GeoDatabase& db) {
  PrintCoverageSummary(db, db.coverage(), "/24s", "");
  PrintCoverageSummary(db, db.coverage_ipv6(), "/48s (IPv6)", " (IPv6)");
}

void PrintUnmapped(const geo::Coverage& coverage, const char* column, size_t limit) {
  std::printf("\ncountry\tstate1\t%s\n", column);
  size_t printed = 0;
  for (const geo::UnmappedRegion& u : coverage.unmapped) {
    if (limit && printed++ >= limit) break;
    std::printf("%s\t%s\t%llu\n", u.country.c_str(), u.state1.empty() ? "(none)" : u.state1.c_str(),
                static_cast<unsigned long long>(u.slash24s));
  }
}

void InstallGeoCommand(CLI::App& root) {
  CLI::App* geo_command = root.add_subcommand("geo", "Geolocation: range table, lookups, entities, region coverage");
  geo_command->require_subcommand(1);

  auto build_flags = std::make_shared<GeoFlags>();
  auto show_progress = std::make_shared<bool>(false);
  CLI::App* build =
      geo_command->add_subcommand("build", "Build (or verify the cache of) the IPv4 and IPv6 range tables");
  AddGeoFlags(build, build_flags.get());
  build->add_flag("--force", build_flags->force, "Rebuild even when the cache matches the sources");
  build->add_flag("--progress", *show_progress, "Show a progress bar (default: when stderr is a terminal)");
  build->callback([build_flags, show_progress] {
    geo::OpenOptions options = build_flags->options;
    options.force_rebuild = build_flags->force;
    options.progress = ProgressBar(*show_progress || isatty(fileno(stderr)));
    auto db = OpenOrReport(options);
    if (!db) return;
    const geo::BuildInfo& info = db->build_info();
    size_t by_type[3] = {0, 0, 0};
    for (const geo::Entity& e : db->entities()) ++by_type[static_cast<int>(e.type)];
    std::printf("kind\t%s\n", info.kind.c_str());
    for (const std::string& source : info.sources) std::printf("source\t%s\n", source.c_str());
    std::printf("cache\t%s\n", info.cache_file.empty() ? "(none)" : info.cache_file.c_str());
    std::printf("from cache\t%s\n", info.from_cache ? "yes" : "no");
    std::printf("build seconds\t%.2f\n", info.build_seconds);
    std::printf("ranges\t%llu\n/24 runs\t%llu\nIPv6 ranges\t%llu\n/48 runs\t%llu\n",
                static_cast<unsigned long long>(info.ranges), static_cast<unsigned long long>(info.slash24_runs),
                static_cast<unsigned long long>(info.ipv6_ranges), static_cast<unsigned long long>(info.slash48_runs));
    std::printf("countries\t%zu\nregions\t%zu\nasns\t%zu\n", by_type[0], by_type[1], by_type[2]);
    PrintCoverageSummary(*db);
  });

  auto lookup_flags = std::make_shared<GeoFlags>();
  auto addresses = std::make_shared<std::vector<std::string>>();
  CLI::App* lookup = geo_command->add_subcommand("lookup", "Country, region, ASN and time zone of IPv4/IPv6 addresses");
  AddGeoFlags(lookup, lookup_flags.get());
  lookup->add_option("addresses", *addresses, "IPv4 or IPv6 addresses")->required();
  lookup->callback([lookup_flags, addresses] {
    auto db = OpenOrReport(lookup_flags->options);
    if (!db) return;
    std::printf("address\tcountry\tregion\tregion_name\tasn\tasn_org\ttz\tsource_state1\tcity\tgeo_source\n");
    for (const std::string& address : *addresses) {
      auto info = db->Lookup(address);
      if (!info.ok()) {
        std::fprintf(stderr, "vigil geo lookup: %s\n", info.message().c_str());
        SetExitCode(1);
        continue;
      }
      auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
      std::printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", info->address.c_str(), dash(info->country).c_str(),
                  dash(info->region).c_str(), dash(info->region_name).c_str(),
                  info->asn ? std::to_string(info->asn).c_str() : "-", dash(info->asn_org).c_str(),
                  dash(info->tz).c_str(), dash(info->source_state1).c_str(), dash(info->city).c_str(),
                  dash(info->geo_source).c_str());
    }
  });

  auto entity_flags = std::make_shared<GeoFlags>();
  auto country = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>();
  CLI::App* entities =
      geo_command->add_subcommand("entities", "List entities with their /24 counts, time zones and IPv6 /48 counts");
  AddGeoFlags(entities, entity_flags.get());
  entities->add_option("--country", *country, "Only this country and its regions (and nothing else)");
  entities->add_option("--type", *type, "Only this entity type")->check(CLI::IsMember({"country", "region", "asn"}));
  entities->callback([entity_flags, country, type] {
    auto db = OpenOrReport(entity_flags->options);
    if (!db) return;
    std::printf("type\tcode\tname\tparent\tslash24s\ttz\tslash48s\n");
    for (const geo::Entity& e : db->entities()) {
      std::string parent = e.parent == geo::kNoEntity ? "" : db->entity(e.parent).code;
      if (!type->empty() && geo::EntityTypeName(e.type) != *type) continue;
      if (!country->empty() && e.code != *country && parent != *country) continue;
      std::printf("%s\t%s\t%s\t%s\t%llu\t%s\t%llu\n", std::string(geo::EntityTypeName(e.type)).c_str(), e.code.c_str(),
                  e.name.c_str(), parent.empty() ? "-" : parent.c_str(),
                  static_cast<unsigned long long>(e.slash24_count), e.tz.empty() ? "-" : e.tz.c_str(),
                  static_cast<unsigned long long>(e.slash48_count));
    }
  });

  auto coverage_flags = std::make_shared<GeoFlags>();
  auto limit = std::make_shared<size_t>(0);
  CLI::App* coverage = geo_command->add_subcommand(
      "coverage",
      "Share of geolocated /24s and IPv6 /48s with an ISO 3166-2 region; unmapped (country, state1) by /24s, /48s");
  AddGeoFlags(coverage, coverage_flags.get());
  coverage->add_option("--limit", *limit, "Print at most this many unmapped names (0 = all)");
  coverage->callback([coverage_flags, limit] {
    auto db = OpenOrReport(coverage_flags->options);
    if (!db) return;
    PrintCoverageSummary(*db);
    PrintUnmapped(db->coverage(), "slash24s", *limit);
    PrintUnmapped(db->coverage_ipv6(), "slash48s", *limit);
  });
}

VIGIL_REGISTER_COMMAND("geo", InstallGeoCommand);

}  // namespace
}  // namespace vigil::cli
