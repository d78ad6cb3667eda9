// SPDX-License-Identifier: AGPL-3.0-or-later
#include "tests/api/world_fixture.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>

#include "base/sha256.h"
#include "base/time_format.h"
#include "base/time_zone.h"
#include "geo/iso_codes.h"
#include "geo/region_mapper.h"

namespace vigil::api_test {
namespace {

using Json = nlohmann::json;

struct Outage {
  std::string entity;  // "region/IR-07", "asn/197207", "country/MM"
  std::string kind;    // "withdraw" (routing) or "block" (data plane)
  double fraction = 0;
  std::vector<std::pair<int64_t, int64_t>> spans;  // [start, end) UTC
};

// The off-windows of a daily event: from on_to to on_from local time on every day first_day..last_day.
Result<std::vector<std::pair<int64_t, int64_t>>> DailySpans(const Json& e) {
  const Json& daily = e["daily"];
  auto zone = TimeZone::Load(daily.value("tz", "UTC"));
  if (!zone.ok()) return zone.status();
  auto minutes = [](const std::string& hhmm) {
    return std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2));
  };
  int off_from = minutes(daily["on_to"].get<std::string>()), off_until = minutes(daily["on_from"].get<std::string>());
  auto first = ParseDay(e["first_day"].get<std::string>());
  auto last = ParseDay(e["last_day"].get<std::string>());
  if (!first.ok()) return first.status();
  if (!last.ok()) return last.status();
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (int64_t day = *first; day <= *last; ++day) {
    // Local midnight as UTC, with the offset in force at noon that day.
    int64_t noon = day * 86400 + 12 * 3600;
    LocalTime local = ToLocal(*zone, noon);
    int64_t offset = (local.day - day) * 86400 + local.minute * 60 - 12 * 3600;
    int64_t midnight = day * 86400 - offset;
    int64_t start = midnight + off_from * 60;
    int64_t end = midnight + off_until * 60 + (off_until <= off_from ? 86400 : 0);
    spans.push_back({start, end});
  }
  return spans;
}

Result<Json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  Json json = Json::parse(text.str(), nullptr, false);
  if (json.is_discarded()) return Status::InvalidArgument(path + ": not JSON");
  return json;
}

}  // namespace

Status WriteWorldEntities(store::Store& store, const std::string& iso_codes_dir) {
  auto iso = geo::LoadIsoCodes(iso_codes_dir, "/nonexistent");
  if (!iso.ok()) return iso.status();
  std::map<std::string, int64_t> countries;
  for (const auto& [code, name] : iso->country_names) {
    auto id = store.UpsertEntity({0, "country", code, name, 0, 0, ""});
    if (!id.ok()) return id.status();
    countries[code] = *id;
  }
  for (const geo::IsoSubdivision& s : iso->subdivisions) {
    auto country = countries.find(s.code.substr(0, 2));
    if (!s.parent.empty() || country == countries.end()) continue;
    auto id = store.UpsertEntity({0, "region", s.code, s.name, country->second, 0, ""});
    if (!id.ok()) return id.status();
  }
  return Status::Ok();
}

Status WriteScenarioCountry(store::Store& store, const std::string& scenario_path, const std::string& iso_codes_dir) {
  auto iso = geo::LoadIsoCodes(iso_codes_dir, "/nonexistent");
  if (!iso.ok()) return iso.status();
  // Region codes as Vigil's geolocation would give them: from the region's name (iso-codes and the reviewed
  // aliases), where a scenario uses a code iso-codes has since given to another unit (Iran's 2019 codes).
  geo::RegionMapper mapper(*iso, geo::kRegionAliasesTsv);
  auto parsed = ReadJson(scenario_path);
  if (!parsed.ok()) return parsed.status();
  const Json& scenario = *parsed;
  auto from = ParseTime(scenario["start"].get<std::string>());
  auto until = ParseTime(scenario["end"].get<std::string>());
  if (!from.ok()) return from.status();
  if (!until.ok()) return until.status();
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"bgp", 300, "visible /24s"}));
  // The series, alerts and events below are drawn from a scenario file: simulated, and stored as such
  // (docs/store.md "Provenance"). The entities stand for what a geo database would say (observed), so that the
  // views draw them with their /24 counts and zones.
  const store::ProvenanceKind kSim = store::ProvenanceKind::kSimulated;
  const store::ProvenanceMask kSimMask = store::MaskOf(kSim);

  std::map<std::string, int64_t> ids;  // "country/IR" -> entity id
  std::map<std::string, double> size;  // entity -> /24s
  std::map<std::string, std::string> region_country;
  for (const Json& c : scenario["countries"]) {
    std::string code = c["code"];
    double total = 0;
    for (const Json& r : scenario["regions"]) total += r["country"] == code ? r["slash24s"].get<double>() : 0;
    size["country/" + code] = total;
    auto id = store.UpsertEntity(
        {0, "country", code, c.value("name", code), 0, static_cast<int64_t>(total), c.value("tz", "")});
    if (!id.ok()) return id.status();
    ids["country/" + code] = *id;
  }
  std::map<std::string, std::string> renamed;  // scenario entity -> the entity it is written as
  for (const Json& r : scenario["regions"]) {
    std::string code = r["code"], country = r["country"];
    std::string mapped = mapper.Map(country, r.value("name", ""));
    if (!mapped.empty() && mapped != code) {
      renamed["region/" + code] = "region/" + mapped;
      code = mapped;
    }
    std::string tz;
    for (const Json& c : scenario["countries"]) tz = c["code"] == country ? c.value("tz", "") : tz;
    auto id = store.UpsertEntity(
        {0, "region", code, r.value("name", code), ids["country/" + country], r["slash24s"].get<int64_t>(), tz});
    if (!id.ok()) return id.status();
    ids["region/" + code] = *id;
    size["region/" + code] = r["slash24s"].get<double>();
    region_country["region/" + code] = "country/" + country;
  }
  std::map<std::string, std::map<std::string, double>> asn_share;  // asn -> region -> share of the region
  for (const Json& a : scenario["asns"]) {
    std::string key = "asn/" + std::to_string(a["asn"].get<int64_t>());
    double total = 0;
    for (const auto& [region, share] : a["regions"].items()) {
      std::string entity = renamed.count("region/" + region) ? renamed["region/" + region] : "region/" + region;
      asn_share[key][entity] = share.get<double>();
      total += share.get<double>() * size[entity];
    }
    auto id = store.UpsertEntity({0, "asn", std::to_string(a["asn"].get<int64_t>()), a.value("name", key),
                                  ids["country/" + a["country"].get<std::string>()], static_cast<int64_t>(total), ""});
    if (!id.ok()) return id.status();
    ids[key] = *id;
    size[key] = total;
    region_country[key] = "country/" + a["country"].get<std::string>();  // a country-wide block cuts its networks
  }

  std::vector<Outage> outages;
  for (const Json& e : scenario["events"]) {
    std::string entity = e["entity"];
    if (renamed.count(entity)) entity = renamed[entity];
    Outage outage{entity, e["kind"], e.value("fraction", 1.0), {}};
    if (e.contains("daily")) {
      auto spans = DailySpans(e);
      if (!spans.ok()) return spans.status();
      outage.spans = *spans;
    } else {
      auto start = ParseTime(e["start"].get<std::string>());
      auto end = ParseTime(e["end"].get<std::string>());
      if (!start.ok()) return start.status();
      if (!end.ok()) return end.status();
      outage.spans = {{*start, *end}};
    }
    outages.push_back(outage);
  }
  auto active = [](const Outage& o, int64_t t) {
    return std::any_of(o.spans.begin(), o.spans.end(), [t](const auto& s) { return t >= s.first && t < s.second; });
  };
  // Share of an entity's /24s that an outage takes down at t.
  auto loss = [&](const std::string& entity, int64_t t) {
    double lost = 0;
    for (const Outage& o : outages) {
      if (!active(o, t)) continue;
      if (o.entity == entity || o.entity == region_country[entity]) lost += o.fraction;
      if (asn_share.count(o.entity) && asn_share[o.entity].count(entity))
        lost += o.fraction * asn_share[o.entity][entity];
      if (entity.rfind("asn/", 0) == 0 && o.entity.rfind("region/", 0) == 0 && asn_share[entity].count(o.entity)) {
        lost += o.fraction * asn_share[entity][o.entity] * size[o.entity] / std::max(1.0, size[entity]);
      }
    }
    return std::min(1.0, lost);
  };
  store::SeriesBatch bgp{"bgp", {}};
  for (int64_t t = *from; t < *until; t += 3600) {
    std::map<std::string, double> country_up;
    for (const auto& [entity, id] : ids) {
      if (entity.rfind("country/", 0) == 0) continue;
      double up = std::floor(size[entity] * (1 - loss(entity, t)));
      bgp.points.push_back({id, t, up});
      if (entity.rfind("region/", 0) == 0) country_up[region_country[entity]] += up;
    }
    for (const auto& [country, up] : country_up) bgp.points.push_back({ids[country], t, up});
  }
  // One input per scenario, labelled with the scenario's name and seed as the simulator's manifest would be.
  store::IngestCommit commit;
  const std::string tag = "scenario-timeline:" + scenario_path;
  commit.input.sha256 =
      Sha256OfBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(tag.data()), tag.size()));
  commit.input.name = scenario_path;
  commit.input.kind = "scenario-timeline";
  commit.input.first_t = *from;
  commit.input.last_t = *until;
  commit.input.provenance = {kSim, scenario.value("name", scenario_path), "",
                             std::to_string(scenario.value("seed", uint64_t{0})), "fixture"};
  commit.series.push_back(bgp);
  VIGIL_RETURN_IF_ERROR(store.CommitIngest(commit));

  std::vector<store::Alert> alerts;
  std::vector<store::Event> events;
  std::vector<store::Schedule> schedules;
  for (const Outage& o : outages) {
    if (!ids.count(o.entity)) continue;
    int64_t id = ids[o.entity];
    double base = size[o.entity];
    int64_t schedule = 0;
    if (o.spans.size() > 1) {
      schedules.push_back({0, id, "", 0, 0, "", "", 0.9});
      schedule = -static_cast<int64_t>(schedules.size());
    }
    for (const auto& [start, end] : o.spans) {
      double left = std::floor(base * (1 - o.fraction));
      alerts.push_back({0, "bgp", id, start, store::AlertLevel::kCritical, "< 0.5", left, base, "median", kSimMask});
      alerts.push_back({0, "bgp", id, end, store::AlertLevel::kNormal, "normal", base, base, "median", kSimMask});
      events.push_back({0, id, "outage", start, end, std::round(o.fraction * base * (end - start) / 3600.0), "bgp",
                        o.kind == "withdraw" ? "routing" : "data-plane", schedule, o.fraction, "{}", "{}", kSimMask});
    }
  }
  // An entity the scenario's events do not name (a country whose regions are cut, the regions of a country-wide
  // block, the networks in a cut region) gets an event wherever its series is below 80 % of its /24s.
  for (const auto& [entity, id] : ids) {
    if (std::any_of(outages.begin(), outages.end(), [&](const Outage& o) { return o.entity == entity; })) continue;
    std::map<int64_t, double> up;
    for (const store::SeriesPoint& p : bgp.points)
      if (p.entity_id == id) up[p.t] = p.value;
    int64_t run = -1;
    double deepest = 0;
    auto close = [&](int64_t end) {
      alerts.push_back({0, "bgp", id, run, store::AlertLevel::kCritical, "< 0.8", size[entity] * (1 - deepest),
                        size[entity], "median", kSimMask});
      alerts.push_back(
          {0, "bgp", id, end, store::AlertLevel::kNormal, "normal", size[entity], size[entity], "median", kSimMask});
      events.push_back({0, id, "outage", run, end, std::round(deepest * size[entity] * (end - run) / 3600.0), "bgp", "",
                        0, deepest, "{}", "{}", kSimMask});  // unclassified: a fixture draws, it does not classify
      run = -1;
      deepest = 0;
    };
    for (const auto& [t, value] : up) {
      double drop = 1 - value / std::max(1.0, size[entity]);
      if (drop > 0.2) {
        if (run < 0) run = t;
        deepest = std::max(deepest, drop);
      } else if (run >= 0) {
        close(t);
      }
    }
    if (run >= 0) close(*until);
  }
  // A daily outage's schedule: the off-window of its first span in the country's zone.
  for (store::Schedule& s : schedules) {
    for (const Json& e : scenario["events"]) {
      std::string entity = e["entity"];
      if (renamed.count(entity)) entity = renamed[entity];
      if (!e.contains("daily") || ids[entity] != s.entity_id) continue;
      const Json& daily = e["daily"];
      auto minutes = [](const std::string& hhmm) {
        return std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2));
      };
      s.tz = daily.value("tz", "UTC");
      s.on_start_min = minutes(daily["on_from"].get<std::string>());
      s.on_end_min = minutes(daily["on_to"].get<std::string>());
      s.first_day = e["first_day"];
      s.last_day = e["last_day"];
    }
  }
  std::sort(alerts.begin(), alerts.end(), [](const store::Alert& a, const store::Alert& b) { return a.t < b.t; });
  return store.ReplaceDetection(*from, alerts, events, schedules);
}

}  // namespace vigil::api_test
