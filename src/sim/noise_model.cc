// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/noise_model.h"

#include <algorithm>
#include <cmath>

#include "sim/rng.h"

namespace vigil::sim {
namespace {

// Figures of the model (docs/simulator.md, "Calibrated noise", says where each comes from). Periods are
// "one per N days at scale 1"; counts are round(scale × days / N), so every world of a given length sees
// the same number of each.
constexpr double kChurnPerPrefixPeerHour = 0.0013;  // real RIS/RouteViews update files, median of 8 files
constexpr double kDarkHourPeriodDays = 14;          // every collector silent for an hour
constexpr double kMaintenancePeriodDays = 5;        // one collector resets 30-60 % of its full-feed peers
constexpr double kLevelShiftPeriodDays = 10;        // an ASN moves 10-30 % of its space for good
constexpr double kVantageOutagePeriodDays = 4;      // the prober's own network down 10-60 min
constexpr double kRateLimitedAsnShare = 0.15;       // networks whose edge rate-limits ICMP
constexpr double kUnavailabilityFloor = 0.01;       // Pareto scale of 1 - availability (alpha 1.1)
constexpr double kUnavailabilityAlpha = 1.1;

int Count(double scale, double days, double period_days) {
  return static_cast<int>(std::lround(scale * days / period_days));
}

UnixSeconds RandomTime(Rng& rng, UnixSeconds from, UnixSeconds until) {
  if (until <= from) return from;
  return from + static_cast<UnixSeconds>(rng.Below(static_cast<uint64_t>(until - from)));
}

void AddCollectorNoise(Scenario& scenario, Rng& rng, double scale, double days) {
  for (int i = 0, n = Count(scale, days, kDarkHourPeriodDays); i < n; ++i) {
    UnixSeconds at = RandomTime(rng, scenario.start + 3600, scenario.end - 7200);
    for (const CollectorSpec& c : scenario.collectors) scenario.noise.collector_gaps.push_back({c.name, at, at + 3600});
  }
  if (scenario.collectors.empty()) return;
  for (int i = 0, n = Count(scale, days, kMaintenancePeriodDays); i < n; ++i) {
    const CollectorSpec& c = scenario.collectors[rng.Below(scenario.collectors.size())];
    UnixSeconds at = RandomTime(rng, scenario.start + 3600, scenario.end - 3600);
    const double share = rng.Uniform(0.3, 0.6);
    const int resets = std::max(1, static_cast<int>(std::lround(share * c.full_feed_peers)));
    std::vector<int> peers;
    for (int p = 0; p < c.full_feed_peers; ++p) peers.push_back(p);
    for (size_t k = peers.size(); k > 1; --k) std::swap(peers[k - 1], peers[rng.Below(k)]);
    for (int k = 0; k < resets && k < static_cast<int>(peers.size()); ++k) {
      scenario.noise.peer_resets.push_back(
          {c.name, peers[static_cast<size_t>(k)], at + static_cast<UnixSeconds>(rng.Below(20))});
    }
  }
}

void AddProbingNoise(Scenario& scenario, World& world, Rng& rng, double scale, double days) {
  CalibratedNoise& noise = scenario.noise.calibrated;
  for (int i = 0, n = Count(scale, days, kVantageOutagePeriodDays); i < n; ++i) {
    UnixSeconds at = RandomTime(rng, scenario.start + 3600, scenario.end - 3600);
    UnixSeconds length = static_cast<UnixSeconds>(rng.Uniform(600, 3600));
    noise.vantage_outages.push_back({"", at, at + length});
  }
  for (size_t a = 0; a < world.asns.size(); ++a) {
    noise.asn_rate_limit_loss.push_back(rng.Chance(kRateLimitedAsnShare) ? std::min(0.6, scale * rng.Uniform(0.1, 0.3))
                                                                         : 0.0);
  }
  for (size_t r = 0; r < world.regions.size(); ++r) noise.region_evening_amp.push_back(scale * rng.Uniform(0.2, 0.5));
  noise.rtt_jitter_sigma = 0.08 * scale;
  noise.rtt_spike_share = std::min(0.2, 0.02 * scale);
  // Availability: 1 - availability is Pareto-tailed (most blocks answer almost always, a few rarely);
  // diurnal amplitude varies by country (strong in some regions, weak in others).
  std::vector<double> country_diurnal;
  for (size_t c = 0; c < world.countries.size(); ++c) country_diurnal.push_back(rng.Uniform(0.3, 2.0));
  for (Block& b : world.blocks) {
    double u = std::max(1e-9, rng.Uniform());
    double unavailable =
        std::clamp(kUnavailabilityFloor * scale * std::pow(u, -1.0 / kUnavailabilityAlpha), 0.005, 0.85);
    b.availability = std::min(b.availability, static_cast<float>(1.0 - unavailable));
    const int country = world.regions[static_cast<size_t>(b.region)].country;
    b.diurnal_amp =
        static_cast<float>(std::min(0.7, b.diurnal_amp * country_diurnal[static_cast<size_t>(country)] * scale));
  }
}

LevelShifts PlanLevelShifts(const Scenario& scenario, const World& world, Rng& rng, double scale, double days) {
  LevelShifts shifts;
  std::vector<int> candidates;
  for (size_t a = 0; a < world.asns.size(); ++a) {
    if (!world.asns[a].synthetic) candidates.push_back(static_cast<int>(a));
  }
  if (candidates.empty()) return shifts;
  for (int i = 0, n = Count(scale, days, kLevelShiftPeriodDays); i < n; ++i) {
    const int asn = candidates[rng.Below(candidates.size())];
    const double fraction = rng.Uniform(0.1, 0.3);
    const UnixSeconds at = RandomTime(rng, scenario.start + 86400, scenario.end - 86400);
    std::vector<int> units;
    int64_t total = 0;
    for (int u = 0; u < world.scenario_units; ++u) {
      if (world.units[static_cast<size_t>(u)].asn == asn) {
        units.push_back(u);
        total += world.units[static_cast<size_t>(u)].block_count;
      }
    }
    for (size_t k = units.size(); k > 1; --k) std::swap(units[k - 1], units[rng.Below(k)]);
    ResolvedEvent ev;
    int64_t taken = 0;
    for (int u : units) {
      const int64_t size = world.units[static_cast<size_t>(u)].block_count;
      if (static_cast<double>(taken + size) > fraction * static_cast<double>(total) + 0.5) continue;
      ev.units.push_back(u);
      taken += size;
    }
    if (ev.units.empty() || total == 0) continue;
    std::sort(ev.units.begin(), ev.units.end());
    for (int u : ev.units) {
      const Unit& unit = world.units[static_cast<size_t>(u)];
      for (int b = 0; b < unit.block_count; ++b) ev.blocks.push_back(unit.first_block + b);
    }
    EventSpec spec;
    spec.id = "noise-level-shift-" + std::to_string(i + 1);
    spec.kind = EventKind::kWithdraw;
    spec.entity = {"asn", std::to_string(world.asns[static_cast<size_t>(asn)].asn)};
    spec.start = at;
    spec.end = scenario.end;
    shifts.specs.push_back(spec);
    ev.spec = &shifts.specs.back();
    ev.windows.push_back({spec.id, at, scenario.end});
    shifts.events.push_back(std::move(ev));
    shifts.shares.push_back(static_cast<double>(taken) / static_cast<double>(total));
  }
  return shifts;
}

}  // namespace

LevelShifts ApplyCalibratedNoise(Scenario& scenario, World& world) {
  if (scenario.noise.profile != "calibrated") return {};
  const double scale = scenario.noise.scale;
  const double days = static_cast<double>(scenario.end - scenario.start) / 86400.0;
  Rng base = Rng(scenario.seed).Fork("calibrated-noise");
  Rng collectors = base.Fork("collectors"), probing = base.Fork("probing"), shifts = base.Fork("level-shifts");
  AddCollectorNoise(scenario, collectors, scale, days);
  AddProbingNoise(scenario, world, probing, scale, days);
  scenario.noise.calibrated.churn_per_peer_hour =
      kChurnPerPrefixPeerHour * scale * static_cast<double>(world.prefixes.size());
  return PlanLevelShifts(scenario, world, shifts, scale, days);
}

}  // namespace vigil::sim
