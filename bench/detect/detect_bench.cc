// SPDX-License-Identifier: AGPL-3.0-or-later
// Detection over N entities × D days of 5-min bgp bins, generated in memory one entity at a time (as the
// store would hand them over). Prints wall time and peak RSS, and the time of the same loop without
// detection (generation only) as the in-run baseline.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "detect/detect.h"

using vigil::UnixSeconds;
using namespace vigil::detect;

namespace {

constexpr UnixSeconds kT0 = 1641168000;

// xorshift64*: cheap enough that generation does not hide the detector's cost.
struct Rng {
  uint64_t state;
  uint32_t operator()() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<uint32_t>((state * 2685821657736338717ull) >> 32);
  }
};

// Routed /24 count of one entity: a flat level (log-uniform 30..20000), flaps of 1–3 /24s in 1 % of the
// bins, 0.2 % missing bins, a level change (re-homing) for 10 % of entities, and a 6-hour outage for 2 %.
void Generate(int entity, int days, std::vector<Sample>& out) {
  Rng rng{0x9E3779B97F4A7C15ull * static_cast<uint64_t>(entity + 1)};
  double level = std::round(30 * std::pow(20000 / 30.0, (rng() % 1000000) / 1e6));
  const bool outage = entity % 50 == 7;
  const bool shift = entity % 10 == 3;
  const UnixSeconds outage_at = kT0 + (3 + entity % (days - 4)) * 86400 + 10 * 3600;
  out.clear();
  for (UnixSeconds t = kT0; t < kT0 + days * 86400; t += 300) {
    uint32_t r = rng();
    if (r % 500 == 0) {
      out.push_back({t, std::nullopt});
      continue;
    }
    if (shift && t == kT0 + 15 * 86400) level = std::round(level * 1.05);
    double v = level - (r % 100 == 1 ? static_cast<double>(1 + r % 3) : 0);
    if (outage && t >= outage_at && t < outage_at + 6 * 3600) v = std::round(level * 0.1);
    out.push_back({t, v});
  }
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU seconds of the process so far (user + system): on a shared machine wall time mostly measures the
// neighbours, CPU time measures us.
double CpuSeconds() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const int entities = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int days = argc > 2 ? std::atoi(argv[2]) : 30;
  const int threads = argc > 3 ? std::max(1, std::atoi(argv[3])) : 2;

  // Baseline: generating the series alone.
  auto start = std::chrono::steady_clock::now();
  double cpu0 = CpuSeconds();
  double checksum = 0;
  {
    std::vector<Sample> samples;
    for (int e = 0; e < entities; ++e) {
      Generate(e, days, samples);
      for (const Sample& s : samples) checksum += s.value.value_or(0);
    }
  }
  const double generate_s = Seconds(start), generate_cpu = CpuSeconds() - cpu0;

  // Detection: entities split across `threads` detectors (series are independent), results merged.
  start = std::chrono::steady_clock::now();
  cpu0 = CpuSeconds();
  std::vector<DetectionResult> parts(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      std::vector<Sample> samples;
      Detector detector(DetectOptions{}, {});
      for (int e = w; e < entities; e += threads) {
        Generate(e, days, samples);
        detector.Feed("bgp", 300, e + 1, samples);
      }
      parts[static_cast<size_t>(w)] = detector.Result();
    });
  }
  for (auto& worker : workers) worker.join();
  size_t alerts = 0, events = 0;
  for (auto& part : parts) {
    alerts += part.alerts.size();
    events += part.events.size();
  }
  const double total_s = Seconds(start), total_cpu = CpuSeconds() - cpu0;
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  const double bins = static_cast<double>(entities) * days * 288;
  std::printf("entities=%d days=%d bins=%.0f threads=%d alerts=%zu events=%zu (checksum %.0f)\n", entities, days, bins,
              threads, alerts, events, checksum);
  std::printf("baseline, generation only:  wall %.3f s  cpu %.3f s\n", generate_s, generate_cpu);
  std::printf("generation + detection:     wall %.3f s  cpu %.3f s  (cpu %.2fx baseline)\n", total_s, total_cpu,
              total_cpu / generate_cpu);
  const double detect_cpu = total_cpu - generate_cpu;
  std::printf("detection alone (cpu):      %.3f s, %.1f ns/bin\n", detect_cpu, detect_cpu / bins * 1e9);
  std::printf("goal < 2 s: wall %.2fx of the limit; cpu/threads %.2fx of the limit\n", total_s / 2.0,
              total_cpu / threads / 2.0);
  std::printf("peak RSS:   %.1f MiB (goal < 1024 MiB: %.2fx of the limit)\n", rss_mib, rss_mib / 1024.0);
  return 0;
}
