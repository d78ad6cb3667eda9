// SPDX-License-Identifier: AGPL-3.0-or-later
#include "tests/api/fixture.h"

#include <cmath>
#include <string>
#include <vector>

#include "base/sha256.h"

namespace vigil::api_test {
namespace {

struct Region {
  const char* code;
  const char* name;
  int64_t slash24;
};

// Names and codes of the 2018 first-level units (ISO 3166-2 as the geo file keys them).
const Region kRegions[] = {
    {"KZ-ALA", "Almaty (city)", 2000},   {"KZ-AST", "Nur-Sultan (city)", 1200},
    {"KZ-SHY", "Shymkent (city)", 400},  {"KZ-AKM", "Akmola", 300},
    {"KZ-AKT", "Aktobe", 350},           {"KZ-ALM", "Almaty", 450},
    {"KZ-ATY", "Atyrau", 380},           {"KZ-ZAP", "West Kazakhstan", 260},
    {"KZ-ZHA", "Jambyl", 240},           {"KZ-KAR", "Karagandy", 620},
    {"KZ-KUS", "Kostanay", 330},         {"KZ-KZY", "Kyzylorda", 180},
    {"KZ-MAN", "Mangystau", 290},        {"KZ-PAV", "Pavlodar", 410},
    {"KZ-SEV", "North Kazakhstan", 200}, {"KZ-YUZ", "Turkestan", 310},
    {"KZ-VOS", "East Kazakhstan", 520},
};

// Deterministic small noise in [0, 1).
double Noise(int64_t a, int64_t b) {
  uint64_t x = static_cast<uint64_t>(a) * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(b) * 0xC2B2AE3D27D4EB4FULL;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 32;
  return static_cast<double>(x % 10000) / 10000.0;
}

bool InCurfew(int64_t t) {
  // Nights of 10, 11 and 12 January: 17:00-01:00 UTC (23:00-07:00 in Almaty).
  for (int64_t day = 1641772800; day <= 1641945600; day += 86400) {  // 2022-01-10 .. 2022-01-12
    if (t >= day + 17 * 3600 && t < day + 25 * 3600) return true;
  }
  return false;
}

}  // namespace

Status WriteKzFixture(store::Store& store, int64_t series_until) {
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"bgp", 300, "visible /24s"}));
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"ping-slash24", 600, "up /24s"}));
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"rtt-p50", 600, "median RTT, ms"}));
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"loss", 600, "loss fraction"}));

  store::Entity country{0, "country", "KZ", "Kazakhstan", 0, 0, "Asia/Almaty"};
  for (const auto& r : kRegions) country.slash24_count += r.slash24;
  auto kz = store.UpsertEntity(country);
  if (!kz.ok()) return kz.status();
  std::vector<int64_t> region_ids;
  for (const auto& r : kRegions) {
    auto id = store.UpsertEntity({0, "region", r.code, r.name, *kz, r.slash24, "Asia/Almaty"});
    if (!id.ok()) return id.status();
    region_ids.push_back(*id);
  }
  auto asn = store.UpsertEntity({0, "asn", "9198", "JSC Kazakhtelecom", *kz, 3000, "Asia/Almaty"});
  if (!asn.ok()) return asn.status();

  store::SeriesBatch bgp{"bgp", {}}, ping{"ping-slash24", {}}, rtt{"rtt-p50", {}}, loss{"loss", {}};
  for (int64_t t = kFixtureFrom; t < series_until; t += 300) {
    double country_bgp = 0, country_ping = 0;
    bool probe_round = t % 600 == 0;
    for (size_t i = 0; i < std::size(kRegions); ++i) {
      const Region& r = kRegions[i];
      if (std::string(r.code) == "KZ-MAN") continue;  // a region without any data
      bool ala = std::string(r.code) == "KZ-ALA";
      bool blackout = ala && t >= kBlackoutStart && t < kBlackoutEnd;
      bool gap = std::string(r.code) == "KZ-AKT" && t >= 1641168000 && t < 1641189600;  // 2022-01-03 00-06 UTC
      if (gap) continue;
      double routed = std::floor(r.slash24 * (blackout ? 0.93 : 1.0) - 3 * Noise(t, i));
      bgp.points.push_back({region_ids[i], t, routed});
      country_bgp += routed;
      if (!probe_round) continue;
      double hour = static_cast<double>((t + 6 * 3600) % 86400) / 3600.0;  // local time of day
      double diurnal = 1 + 0.08 * std::sin((hour - 9) / 24.0 * 2 * M_PI);
      double up = std::floor(r.slash24 * 0.6 * diurnal * (0.98 + 0.02 * Noise(i, t)));
      if (blackout || (ala && InCurfew(t))) up = std::floor(r.slash24 * 0.03);
      bool throttled = std::string(r.code) == "KZ-SHY" && t >= 1641312000 && t < kBlackoutStart;  // 2022-01-04 16:00Z
      ping.points.push_back({region_ids[i], t, up});
      country_ping += up;
      rtt.points.push_back({region_ids[i], t, std::round((throttled ? 140 : 38) + 6 * Noise(t, i + 100))});
      loss.points.push_back({region_ids[i], t, throttled ? 0.35 : 0.01 + 0.01 * Noise(t, i + 200)});
    }
    bgp.points.push_back({*kz, t, country_bgp});
    if (probe_round) ping.points.push_back({*kz, t, country_ping});
  }
  VIGIL_RETURN_IF_ERROR(store.WriteSeries({bgp, ping, rtt, loss}));

  int64_t ala = region_ids[0], ast = region_ids[1], shy = region_ids[2];
  using store::AlertLevel;
  std::vector<store::Alert> alerts = {
      {0, "ping-slash24", ala, kBlackoutStart, AlertLevel::kCritical, "< 0.5", 60, 1200, "median"},
      {0, "bgp", ala, kBlackoutStart, AlertLevel::kWarning, "< 0.99", 1858, 1998, "median"},
      {0, "ping-slash24", *kz, kBlackoutStart, AlertLevel::kCritical, "< 0.5", 2900, 5900, "median"},
      {0, "ping-slash24", ast, 1641434400, AlertLevel::kWarning, "< 0.8", 500, 720, "median"},
      {0, "ping-slash24", ast, 1641456000, AlertLevel::kNormal, "normal", 715, 720, "median"},
      {0, "rtt-p50", shy, 1641312000, AlertLevel::kCritical, "> 2", 140, 40, "median"},
      {0, "rtt-p50", shy, kBlackoutStart, AlertLevel::kNormal, "normal", 40, 40, "median"},
      {0, "ping-slash24", *kz, 1641582000, AlertLevel::kNormal, "normal", 5800, 5900, "median"},
      {0, "bgp", ala, kBlackoutEnd, AlertLevel::kNormal, "normal", 1998, 1998, "median"},
      {0, "ping-slash24", ala, kBlackoutEnd, AlertLevel::kNormal, "normal", 1190, 1200, "median"},
  };
  std::vector<store::Schedule> schedules = {
      {0, ala, "Asia/Almaty", 7 * 60, 23 * 60, "2022-01-10", "2022-01-12", 0.9},
  };
  std::string coverage = R"({"blocks":2000,"probed_blocks":1850,"full_feed_peers":12})";
  std::vector<store::Event> events = {
      {0, ala, "outage", kBlackoutStart, kBlackoutEnd, 9.5e6, "ping-slash24", "data-plane", 0, 0.97, coverage,
       R"({"thresholds":{"ping-slash24":{"warning":0.8,"critical":0.5},"bgp":{"warning":0.99,"critical":0.5}},)"
       R"("baseline":"median 7 days same time of day"})"},
      {0, *kz, "outage", kBlackoutStart, 1641582000, 5.1e6, "ping-slash24", "data-plane", 0, 0.5, "{}", "{}"},
      {0, ast, "outage", 1641434400, 1641456000, 2.0e4, "ping-slash24", "data-plane", 0, 0.3, "{}", "{}"},
      {0, shy, "throttling", 1641312000, kBlackoutStart, 3.0e4, "rtt-p50,loss", "throttling", 0, 3.5, "{}", "{}"},
  };
  for (int64_t day = 1641772800; day <= 1641945600; day += 86400) {
    events.push_back({0, ala, "outage", day + 17 * 3600, day + 25 * 3600, 4.0e5, "ping-slash24", "data-plane", -1, 0.97,
                      coverage, "{}"});
  }
  // From the fixture's start only: detection output of scenarios written before (world_fixture.h) stays.
  VIGIL_RETURN_IF_ERROR(store.ReplaceDetection(kFixtureFrom, alerts, events, schedules));

  auto note = store.AddAnnotation({0, ala, 1641340800, 1642550400, "state-of-emergency",
                                   "State of emergency declared in Almaty (fixture)",
                                   "https://example.org/kz-2022-state-of-emergency", ""});
  if (!note.ok()) return note.status();

  for (const char* name : {"fixture/probe-round.20220105.1030.tsv", "fixture/updates.20220105.1030.gz"}) {
    store::IngestCommit commit;
    std::string n(name);
    commit.input = {Sha256OfBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(n.data()), n.size())),
                    n,
                    n.find("probe") != std::string::npos ? "probe-log" : "mrt-updates",
                    "",
                    100,
                    kBlackoutStart,
                    kBlackoutStart + 300,
                    kFixtureUntil};
    VIGIL_RETURN_IF_ERROR(store.CommitIngest(commit));
  }
  return Status::Ok();
}

Status WriteBenchFixture(store::Store& store, int days) {
  VIGIL_RETURN_IF_ERROR(store.RegisterDatasource({"bgp", 300, "visible /24s"}));
  auto xx = store.UpsertEntity({0, "country", "XX", "Benchland", 0, 50000, "UTC"});
  if (!xx.ok()) return xx.status();
  store::SeriesBatch bgp{"bgp", {}};
  int64_t from = kFixtureFrom;
  for (int64_t t = from; t < from + days * 86400LL; t += 300) {
    bgp.points.push_back({*xx, t, std::floor(50000 - 20 * Noise(t, 1))});
  }
  VIGIL_RETURN_IF_ERROR(store.WriteSeries({bgp}));
  std::vector<store::Alert> alerts;
  std::vector<store::Event> events;
  std::vector<store::Schedule> schedules;
  for (int i = 0; i < 20; ++i) {
    int64_t start = from + i * 86400LL + 3600;
    alerts.push_back({0, "bgp", *xx, start, store::AlertLevel::kCritical, "< 0.5", 10000, 50000, "median"});
    alerts.push_back({0, "bgp", *xx, start + 7200, store::AlertLevel::kNormal, "normal", 50000, 50000, "median"});
    events.push_back({0, *xx, "outage", start, start + 7200, 1e5 + i, "bgp", "routing", 0, 0.8, "{}", "{}"});
  }
  return store.ReplaceDetection(0, alerts, events, schedules);
}

}  // namespace vigil::api_test
