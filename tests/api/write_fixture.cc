// SPDX-License-Identifier: AGPL-3.0-or-later
// api_fixture_writer --store PATH [--bench-days N | --kz-days N] [--world ISO_CODES_DIR] [--scenario FILE]...:
// fills a store with the API test fixture (series over N days with --kz-days), or the benchmark's country XX,
// through the store interface. --world first adds every iso-codes country and first-level region as an entity;
// each --scenario (oldest first) adds a simulator scenario's countries with series and events (world_fixture.h).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/api/fixture.h"
#include "tests/api/world_fixture.h"

int main(int argc, char** argv) {
  std::string path;
  int bench_days = 0;
  int kz_days = 0;
  std::string world;
  std::vector<std::string> scenarios;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--store")
      path = argv[i + 1];
    else if (flag == "--bench-days")
      bench_days = std::atoi(argv[i + 1]);
    else if (flag == "--kz-days")
      kz_days = std::atoi(argv[i + 1]);
    else if (flag == "--world")
      world = argv[i + 1];
    else if (flag == "--scenario")
      scenarios.push_back(argv[i + 1]);
  }
  if (path.empty()) {
    std::fprintf(
        stderr,
        "usage: api_fixture_writer --store PATH [--bench-days N | --kz-days N] [--world DIR] [--scenario FILE]...\n");
    return 2;
  }
  auto store = vigil::store::OpenStore(path);
  if (!store.ok()) {
    std::fprintf(stderr, "api_fixture_writer: %s: %s\n", path.c_str(), store.message().c_str());
    return 1;
  }
  if (!world.empty()) {
    if (vigil::Status status = vigil::api_test::WriteWorldEntities(**store, world); !status.ok()) {
      std::fprintf(stderr, "api_fixture_writer: %s\n", status.message().c_str());
      return 1;
    }
  }
  for (const std::string& scenario : scenarios) {
    if (vigil::Status status = vigil::api_test::WriteScenarioCountry(
            **store, scenario, world.empty() ? "/usr/share/iso-codes/json" : world);
        !status.ok()) {
      std::fprintf(stderr, "api_fixture_writer: %s\n", status.message().c_str());
      return 1;
    }
  }
  vigil::Status status = bench_days > 0 ? vigil::api_test::WriteBenchFixture(**store, bench_days)
                                        : vigil::api_test::WriteKzFixture(
                                              **store, kz_days > 0 ? vigil::api_test::kFixtureFrom + kz_days * 86400LL
                                                                   : vigil::api_test::kFixtureUntil);
  if (!status.ok()) {
    std::fprintf(stderr, "api_fixture_writer: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
