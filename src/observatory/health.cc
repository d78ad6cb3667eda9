// SPDX-License-Identifier: AGPL-3.0-or-later
// The run's health figures as /healthz ("sources") and /metrics show them. docs/operations.md says what each
// one means.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "observatory/observatory.h"

namespace vigil::observatory {
namespace {

using Json = nlohmann::json;

Json TimeOrNull(UnixSeconds t) { return t <= 0 ? Json(nullptr) : Json(FormatRfc3339(t)); }

// Prometheus label values: backslash, quote and newline escaped.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string HealthJson(const RunHealth& h) {
  Json collectors = Json::array();
  for (const CollectorHealth& c : h.collectors) {
    collectors.push_back({{"collector", c.name},
                          {"newest_file", c.newest_file.empty() ? Json(nullptr) : Json(c.newest_file)},
                          {"newest_file_end", TimeOrNull(c.newest_file_end)},
                          {"delivered_until", TimeOrNull(c.delivered_until)},
                          {"lag_s", c.newest_file_end > 0 ? Json(h.now - c.newest_file_end) : Json(nullptr)},
                          {"files_ingested", c.files_ingested},
                          {"gaps", c.gaps},
                          {"failures", c.failures},
                          {"bins_closed_by_deadline", c.bins_closed_by_deadline},
                          {"last_error", c.last_error.empty() ? Json(nullptr) : Json(c.last_error)}});
  }
  Json live = nullptr;
  if (!h.live_status.empty()) {
    live = {{"status", h.live_status},
            {"messages", h.live_messages},
            {"reconnects", h.live_reconnects},
            {"bins_from_live", h.live_bins}};
  }
  Json out = {{"now", TimeOrNull(h.now)},
              {"from", TimeOrNull(h.from)},
              {"closed_until", TimeOrNull(h.closed_until)},
              {"detected_until", TimeOrNull(h.detected_until)},
              {"polls", h.polls},
              {"polls_with_errors", h.poll_failures},
              {"bins_closed", h.bins_closed},
              {"bins_closed_by_deadline", h.bins_closed_by_deadline},
              {"late_files", h.late_files},
              {"rebuilds", h.rebuilds},
              {"ris_live", live},
              {"collectors", collectors}};
  return out.dump();
}

std::string MetricsText(const RunHealth& h) {
  std::string out;
  char line[512];
  auto gauge = [&](const char* name, const char* help, const char* type) {
    std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    out += line;
  };
  auto per_collector = [&](const char* name, auto value) {
    for (const CollectorHealth& c : h.collectors) {
      std::snprintf(line, sizeof line, "%s{collector=\"%s\"} %lld\n", name, Label(c.name).c_str(),
                    static_cast<long long>(value(c)));
      out += line;
    }
  };
  gauge("vigil_run_collector_lag_seconds", "Seconds between now and the end of the collector's newest file.", "gauge");
  per_collector("vigil_run_collector_lag_seconds",
                [&](const CollectorHealth& c) { return c.newest_file_end > 0 ? h.now - c.newest_file_end : -1; });
  gauge("vigil_run_collector_newest_file_end", "End (Unix seconds) of the collector's newest verified file.", "gauge");
  per_collector("vigil_run_collector_newest_file_end", [](const CollectorHealth& c) { return c.newest_file_end; });
  gauge("vigil_run_collector_files_ingested", "Files of the collector ingested by this run.", "counter");
  per_collector("vigil_run_collector_files_ingested", [](const CollectorHealth& c) { return c.files_ingested; });
  gauge("vigil_run_collector_gaps", "Listed files the archive did not have (404) or that failed every try.", "counter");
  per_collector("vigil_run_collector_gaps", [](const CollectorHealth& c) { return c.gaps; });
  gauge("vigil_run_collector_fetch_failures", "Failed fetch tries of the collector's files.", "counter");
  per_collector("vigil_run_collector_fetch_failures", [](const CollectorHealth& c) { return c.failures; });
  gauge("vigil_run_collector_bins_closed_by_deadline", "Bins closed by deadline before this collector delivered.",
        "counter");
  per_collector("vigil_run_collector_bins_closed_by_deadline",
                [](const CollectorHealth& c) { return c.bins_closed_by_deadline; });
  auto scalar = [&](const char* name, const char* help, const char* type, int64_t v) {
    gauge(name, help, type);
    out += std::string(name) + " " + std::to_string(v) + "\n";
  };
  scalar("vigil_run_closed_until", "Bins starting before this time (Unix seconds) are closed.", "gauge",
         h.closed_until);
  scalar("vigil_run_bins_closed_by_deadline", "Bins closed while some collector had not delivered.", "counter",
         h.bins_closed_by_deadline);
  scalar("vigil_run_late_files", "Files that arrived after their bins closed (bins re-opened).", "counter",
         h.late_files);
  scalar("vigil_run_polls", "Archive polls done.", "counter", h.polls);
  if (!h.live_status.empty()) {
    scalar("vigil_run_ris_live_messages", "RIS Live messages applied.", "counter", h.live_messages);
    scalar("vigil_run_ris_live_reconnects", "RIS Live reconnections.", "counter", h.live_reconnects);
    scalar("vigil_run_ris_live_bins", "Bins whose value came from RIS Live (not yet replaced by the archive).", "gauge",
           h.live_bins);
  }
  return out;
}

}  // namespace vigil::observatory
