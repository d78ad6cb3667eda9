// SPDX-License-Identifier: AGPL-3.0-or-later
// Writes a synthetic observatory's detection results into a store, for bench/scale.sh: ENTITIES entities
// (1 % countries, 29 % regions, 70 % ASNs) and EVENTS_PER_ENTITY outage events each, spread over the year
// from YEAR_START; the same seed gives the same rows in every store. Prints the seconds it took.
//   scale_fixture STORE_URI ENTITIES EVENTS_PER_ENTITY YEAR_START
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "store/store.h"

int main(int argc, char** argv) {
  using namespace vigil::store;
  if (argc != 5) {
    std::fprintf(stderr, "usage: scale_fixture STORE_URI ENTITIES EVENTS_PER_ENTITY YEAR_START\n");
    return 2;
  }
  const std::string uri = argv[1];
  const int entities = std::atoi(argv[2]);
  const int per_entity = std::atoi(argv[3]);
  const int64_t year_start = std::atoll(argv[4]);
  auto start = std::chrono::steady_clock::now();
  auto store = OpenStore(uri);
  if (!store.ok()) {
    std::fprintf(stderr, "scale_fixture: %s\n", store.message().c_str());
    return 1;
  }
  for (const char* ds : {"bgp", "ping-slash24"}) {
    if (auto st = (*store)->RegisterDatasource({ds, std::string(ds) == "bgp" ? 300 : 600, ""}); !st.ok()) {
      std::fprintf(stderr, "scale_fixture: %s\n", st.message().c_str());
      return 1;
    }
  }
  const int countries = std::max(1, entities / 100);
  const int regions = entities * 29 / 100;
  std::vector<Entity> batch;
  for (int i = 0; i < countries; ++i) {
    std::string code = {char('A' + i / 26 % 26), char('A' + i % 26)};
    batch.push_back({0, "country", code, "Country " + code, 0, 1000 + i, "UTC"});
  }
  if (auto st = (*store)->UpsertEntities(batch); !st.ok()) {
    std::fprintf(stderr, "scale_fixture: %s\n", st.message().c_str());
    return 1;
  }
  std::vector<Entity> rest;
  for (int i = 0; i < entities - countries; ++i) {
    const Entity& country = batch[size_t(i % countries)];
    if (i < regions) {
      std::string code = country.code + "-R" + std::to_string(i);
      rest.push_back({0, "region", code, "Region " + code, country.id, 100 + i % 500, "UTC"});
    } else {
      rest.push_back({0, "asn", std::to_string(100000 + i), "Network " + std::to_string(i), 0, 10 + i % 200, ""});
    }
  }
  if (auto st = (*store)->UpsertEntities(rest); !st.ok()) {
    std::fprintf(stderr, "scale_fixture: %s\n", st.message().c_str());
    return 1;
  }
  batch.insert(batch.end(), rest.begin(), rest.end());
  std::mt19937_64 rng(2024);
  std::vector<Event> events;
  for (const Entity& e : batch) {
    for (int k = 0; k < per_entity; ++k) {
      Event ev;
      ev.entity_id = e.id;
      ev.kind = "outage";
      ev.start_t = year_start + int64_t(rng() % (365 * 288)) * 300;
      ev.end_t = ev.start_t + int64_t(1 + rng() % 144) * 300;
      ev.score = double(rng() % 1000000) / 10.0;
      ev.datasources = rng() % 2 ? "bgp" : "bgp,ping-slash24";
      ev.classification = "routing";
      ev.depth = double(rng() % 100) / 100.0;
      ev.coverage = "{}";
      ev.detail = "{}";
      events.push_back(std::move(ev));
    }
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.start_t, a.entity_id) < std::tie(b.start_t, b.entity_id);
  });
  std::vector<Alert> alerts;
  std::vector<Schedule> schedules;
  if (auto st = (*store)->ReplaceDetection(0, alerts, events, schedules); !st.ok()) {
    std::fprintf(stderr, "scale_fixture: %s\n", st.message().c_str());
    return 1;
  }
  std::printf("%.3f\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}
