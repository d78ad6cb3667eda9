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

void PrintCoverageSummary(const geo::GeoDatabase& db) {
  const geo::Coverage& c = db.coverage();
  uint64_t named = c.located_slash24s - c.empty_state1_slash24s;
  std::printf(
      "geolocated /24s\t%llu\nwith region\t%llu (%.2f %%)\nlocated, no subdivision named\t%llu\n"
      "with region, of those the sources name a subdivision for\t%.2f %%\nunmapped (country, state1)\t%zu\n",
      static_cast<unsigned long long>(c.located_slash24s), static_cast<unsigned long long>(c.region_slash24s),
      c.RegionPercent(), static_cast<unsigned long long>(c.empty_state1_slash24s),
      named ? 100.0 * static_cast<double>(c.region_slash24s) / static_cast<double>(named) : 0.0, c.unmapped.size());
  const geo::BuildInfo& info = db.build_info();
  if (!info.secondary_source.empty()) {
    std::printf(
        "taken from %s (%s named only a country)\t%llu (%.2f %%)\nof those, in another country than %s's\t%llu\n",
        info.secondary_source.c_str(), info.primary_source.c_str(),
        static_cast<unsigned long long>(c.secondary_slash24s),
        c.located_slash24s ? 100.0 * static_cast<double>(c.secondary_slash24s) / static_cast<double>(c.located_slash24s)
                           : 0.0,
        info.primary_source.c_str(), static_cast<unsigned long long>(c.secondary_other_country_slash24s));
  }
}

void InstallGeoCommand(CLI::App& root) {
  CLI::App* geo_command = root.add_subcommand("geo", "Geolocation: range table, lookups, entities, region coverage");
  geo_command->require_subcommand(1);

  auto build_flags = std::make_shared<GeoFlags>();
  auto show_progress = std::make_shared<bool>(false);
  CLI::App* build = geo_command->add_subcommand("build", "Build (or verify the cache of) the IPv4 range table");
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
    std::printf("ranges\t%llu\n/24 runs\t%llu\n", static_cast<unsigned long long>(info.ranges),
                static_cast<unsigned long long>(info.slash24_runs));
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
  CLI::App* entities = geo_command->add_subcommand("entities", "List entities with their /24 counts and time zones");
  AddGeoFlags(entities, entity_flags.get());
  entities->add_option("--country", *country, "Only this country and its regions (and nothing else)");
  entities->add_option("--type", *type, "Only this entity type")->check(CLI::IsMember({"country", "region", "asn"}));
  entities->callback([entity_flags, country, type] {
    auto db = OpenOrReport(entity_flags->options);
    if (!db) return;
    std::printf("type\tcode\tname\tparent\tslash24s\ttz\n");
    for (const geo::Entity& e : db->entities()) {
      std::string parent = e.parent == geo::kNoEntity ? "" : db->entity(e.parent).code;
      if (!type->empty() && geo::EntityTypeName(e.type) != *type) continue;
      if (!country->empty() && e.code != *country && parent != *country) continue;
      std::printf("%s\t%s\t%s\t%s\t%llu\t%s\n", std::string(geo::EntityTypeName(e.type)).c_str(), e.code.c_str(),
                  e.name.c_str(), parent.empty() ? "-" : parent.c_str(),
                  static_cast<unsigned long long>(e.slash24_count), e.tz.empty() ? "-" : e.tz.c_str());
    }
  });

  auto coverage_flags = std::make_shared<GeoFlags>();
  auto limit = std::make_shared<size_t>(0);
  CLI::App* coverage = geo_command->add_subcommand(
      "coverage", "Share of geolocated /24s with an ISO 3166-2 region; unmapped (country, state1) by /24s");
  AddGeoFlags(coverage, coverage_flags.get());
  coverage->add_option("--limit", *limit, "Print at most this many unmapped names (0 = all)");
  coverage->callback([coverage_flags, limit] {
    auto db = OpenOrReport(coverage_flags->options);
    if (!db) return;
    PrintCoverageSummary(*db);
    std::printf("\ncountry\tstate1\tslash24s\n");
    size_t printed = 0;
    for (const geo::UnmappedRegion& u : db->coverage().unmapped) {
      if (*limit && printed++ >= *limit) break;
      std::printf("%s\t%s\t%llu\n", u.country.c_str(), u.state1.empty() ? "(none)" : u.state1.c_str(),
                  static_cast<unsigned long long>(u.slash24s));
    }
  });
}

VIGIL_REGISTER_COMMAND("geo", InstallGeoCommand);

}  // namespace
}  // namespace vigil::cli
