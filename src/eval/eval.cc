// SPDX-License-Identifier: AGPL-3.0-or-later
#include "eval/eval.h"

#include "eval/internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace vigil::eval {
namespace {

using Json = nlohmann::json;

std::optional<double> Median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

bool SplitEntity(const std::string& text, std::string& type, std::string& code) {
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) return false;
  type = text.substr(0, slash);
  code = text.substr(slash + 1);
  return true;
}

bool ParseClock(const std::string& text, int& minutes) {
  int h = 0, m = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59) return false;
  minutes = h * 60 + m;
  return true;
}

// Which truth kind a classification reports.
std::string KindOfClassification(const std::string& classification) {
  if (classification == "routing" || classification == "routing+data-plane") return "withdraw";
  if (classification == "data-plane") return "block";
  if (classification == "throttling") return "throttle";
  return "other";
}

bool Overlaps(const DetectedEvent& d, const TruthEvent& t) {
  UnixSeconds d_end = d.end == 0 ? INT64_MAX : d.end;
  return d.start < t.end && d_end > t.start;
}

bool Matches(const DetectedEvent& d, const TruthEvent& t) {
  return d.entity_type == t.entity_type && d.entity_code == t.entity_code && Overlaps(d, t) &&
         ClassificationFits(t.kind, d.classification);
}

UnixSeconds OverlapSeconds(const DetectedEvent& d, const TruthEvent& t) {
  UnixSeconds d_end = d.end == 0 ? t.end : d.end;
  return std::max<UnixSeconds>(0, std::min(d_end, t.end) - std::max(d.start, t.start));
}

// Bin width behind a detected event: the earliest moment detection could have known is the end of its
// first bin (bgp bins are 5 min, probing rounds 10 min).
UnixSeconds FirstBinSeconds(const DetectedEvent& d) {
  bool routing = d.classification == "routing" || d.classification == "routing+data-plane";
  return routing ? 300 : 600;
}

int CircularMinutes(int a, int b) {
  int d = std::abs(a - b) % 1440;
  return std::min(d, 1440 - d);
}

void Put(std::ostringstream& out, const char* key, const std::optional<double>& value, int decimals) {
  out << "\"" << key << "\":";
  if (!value) {
    out << "null";
    return;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, *value);
  out << buffer;
}

std::string Cell(const std::optional<double>& value, int decimals) {
  if (!value) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, *value);
  return buffer;
}

}  // namespace

bool ClassificationFits(const std::string& kind, const std::string& classification) {
  if (kind == "withdraw") return classification == "routing" || classification == "routing+data-plane";
  if (kind == "block") return classification == "data-plane";
  if (kind == "throttle") return classification == "throttling";
  return false;
}

namespace internal {

void ScoreSchedules(const Truth& truth, const std::vector<DetectedSchedule>& schedules, int& truth_count, int& found,
                    std::optional<double>& error_p50) {
  // Per truth schedule, the detected schedule of the same entity whose days overlap, error = mean of the
  // on/off time differences in minutes (circular over the day); the median over truth schedules found.
  std::vector<double> schedule_errors;
  truth_count = 0;
  found = 0;
  for (const TruthSchedule& t : truth.schedules) {
    ++truth_count;
    std::optional<double> best;
    for (const DetectedSchedule& d : schedules) {
      if (d.entity_type != t.entity_type || d.entity_code != t.entity_code) continue;
      if (!d.first_day.empty() && !d.last_day.empty() && (d.last_day < t.first_day || d.first_day > t.last_day))
        continue;
      double error =
          (CircularMinutes(d.on_start_min, t.on_from_min) + CircularMinutes(d.on_end_min, t.on_to_min)) / 2.0;
      if (!best || error < *best) best = error;
    }
    if (best) {
      ++found;
      schedule_errors.push_back(*best);
    }
  }
  error_p50 = Median(schedule_errors);
}

std::optional<double> MedianOf(std::vector<double> values) { return Median(std::move(values)); }
std::string CellText(const std::optional<double>& value, int decimals) { return Cell(value, decimals); }
void PutJson(std::ostringstream& out, const char* key, const std::optional<double>& value, int decimals) {
  Put(out, key, value, decimals);
}
std::string KindOf(const std::string& classification) { return KindOfClassification(classification); }

}  // namespace internal

using internal::ScoreSchedules;

Result<Truth> ParseTruth(const std::string& json_text, const std::string& source) {
  Json root = Json::parse(json_text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return Status::InvalidArgument(source + ": not a JSON object");
  Truth truth;
  auto fail = [&](const std::string& path, const std::string& what) {
    return Status::InvalidArgument(source + ": " + path + ": " + what);
  };
  auto time_of = [&](const Json& object, const std::string& path, const char* key, UnixSeconds& out) -> Status {
    if (!object.contains(key) || !object[key].is_string()) return fail(path + "." + key, "expected an RFC 3339 time");
    auto t = ParseTime(object[key].get<std::string>());
    if (!t.ok()) return fail(path + "." + key, t.message());
    out = *t;
    return Status::Ok();
  };
  auto string_of = [&](const Json& object, const std::string& path, const char* key, std::string& out) -> Status {
    if (!object.contains(key) || !object[key].is_string()) return fail(path + "." + key, "expected a string");
    out = object[key].get<std::string>();
    return Status::Ok();
  };
  if (root.contains("scenario") && root["scenario"].is_string()) truth.scenario = root["scenario"].get<std::string>();
  if (root.contains("start")) VIGIL_RETURN_IF_ERROR(time_of(root, "", "start", truth.start));
  if (root.contains("end")) VIGIL_RETURN_IF_ERROR(time_of(root, "", "end", truth.end));
  if (!root.contains("events") || !root["events"].is_array()) return fail("events", "expected an array");
  for (size_t i = 0; i < root["events"].size(); ++i) {
    const Json& e = root["events"][i];
    std::string path = "events[" + std::to_string(i) + "]";
    if (!e.is_object()) return fail(path, "expected an object");
    TruthEvent t;
    std::string entity;
    VIGIL_RETURN_IF_ERROR(string_of(e, path, "id", t.id));
    VIGIL_RETURN_IF_ERROR(string_of(e, path, "entity", entity));
    VIGIL_RETURN_IF_ERROR(string_of(e, path, "kind", t.kind));
    if (!SplitEntity(entity, t.entity_type, t.entity_code)) return fail(path + ".entity", "expected type/code");
    if (t.kind != "withdraw" && t.kind != "block" && t.kind != "throttle")
      return fail(path + ".kind", "unknown kind " + t.kind);
    if (!e.contains("share") || !e["share"].is_number()) return fail(path + ".share", "expected a number");
    t.share = e["share"].get<double>();
    t.implied = e.contains("implied") && e["implied"].is_boolean() && e["implied"].get<bool>();
    VIGIL_RETURN_IF_ERROR(time_of(e, path, "start", t.start));
    VIGIL_RETURN_IF_ERROR(time_of(e, path, "end", t.end));
    truth.events.push_back(t);
  }
  if (root.contains("schedules") && root["schedules"].is_array()) {
    for (size_t i = 0; i < root["schedules"].size(); ++i) {
      const Json& s = root["schedules"][i];
      std::string path = "schedules[" + std::to_string(i) + "]";
      TruthSchedule t;
      std::string entity, on_from, on_to;
      VIGIL_RETURN_IF_ERROR(string_of(s, path, "id", t.id));
      VIGIL_RETURN_IF_ERROR(string_of(s, path, "entity", entity));
      VIGIL_RETURN_IF_ERROR(string_of(s, path, "on_from", on_from));
      VIGIL_RETURN_IF_ERROR(string_of(s, path, "on_to", on_to));
      VIGIL_RETURN_IF_ERROR(string_of(s, path, "tz", t.tz));
      VIGIL_RETURN_IF_ERROR(string_of(s, path, "first_day", t.first_day));
      VIGIL_RETURN_IF_ERROR(string_of(s, path, "last_day", t.last_day));
      if (!SplitEntity(entity, t.entity_type, t.entity_code)) return fail(path + ".entity", "expected type/code");
      if (!ParseClock(on_from, t.on_from_min)) return fail(path + ".on_from", "expected HH:MM");
      if (!ParseClock(on_to, t.on_to_min)) return fail(path + ".on_to", "expected HH:MM");
      truth.schedules.push_back(t);
    }
  }
  if (root.contains("collector_gaps") && root["collector_gaps"].is_array()) {
    for (size_t i = 0; i < root["collector_gaps"].size(); ++i) {
      const Json& g = root["collector_gaps"][i];
      std::string path = "collector_gaps[" + std::to_string(i) + "]";
      TruthGap gap;
      VIGIL_RETURN_IF_ERROR(string_of(g, path, "collector", gap.collector));
      VIGIL_RETURN_IF_ERROR(time_of(g, path, "start", gap.start));
      VIGIL_RETURN_IF_ERROR(time_of(g, path, "end", gap.end));
      truth.collector_gaps.push_back(gap);
    }
  }
  return truth;
}

Result<Truth> LoadTruth(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return ParseTruth(buffer.str(), path);
}

Metrics Evaluate(const Truth& truth, const std::vector<DetectedEvent>& detected,
                 const std::vector<DetectedSchedule>& schedules) {
  Metrics m;
  m.scenario = truth.scenario;
  for (const char* kind : {"withdraw", "block", "throttle"}) {
    bool present = false;
    for (const auto& t : truth.events) present = present || t.kind == kind;
    for (const auto& d : detected) present = present || KindOfClassification(d.classification) == kind;
    if (present) m.by_kind[kind];
  }
  // Precision: any truth event, primary or implied, of any share.
  for (const DetectedEvent& d : detected) {
    bool matched = false;
    for (const TruthEvent& t : truth.events) matched = matched || Matches(d, t);
    ++m.detected;
    m.detected_matched += matched;
    std::string kind = KindOfClassification(d.classification);
    if (m.by_kind.count(kind)) {
      m.by_kind[kind].detected++;
      m.by_kind[kind].detected_matched += matched;
    }
    if (!matched) {
      bool routing = kind == "withdraw" || d.datasources.find("bgp") != std::string::npos;
      for (const TruthGap& g : truth.collector_gaps) {
        UnixSeconds d_end = d.end == 0 ? INT64_MAX : d.end;
        if (routing && d.start < g.end && d_end > g.start) {
          ++m.false_outages_in_gaps;
          break;
        }
      }
    }
  }
  // Recall and errors: truth events with share >= 0.2, each paired with its best-overlapping match.
  std::vector<double> start_errors, end_errors, latencies;
  std::map<std::string, std::vector<double>> kind_start, kind_end, kind_latency;
  for (const TruthEvent& t : truth.events) {
    if (t.share < kRecallMinShare) continue;
    ++m.truth_counted;
    KindMetrics& k = m.by_kind[t.kind];
    ++k.truth_counted;
    const DetectedEvent* best = nullptr;
    for (const DetectedEvent& d : detected) {
      if (Matches(d, t) && (!best || OverlapSeconds(d, t) > OverlapSeconds(*best, t))) best = &d;
    }
    if (!best) continue;
    ++m.truth_recalled;
    ++k.truth_recalled;
    double start_error = static_cast<double>(std::llabs(best->start - t.start));
    double latency = static_cast<double>(std::max<UnixSeconds>(0, best->start + FirstBinSeconds(*best) - t.start));
    start_errors.push_back(start_error);
    kind_start[t.kind].push_back(start_error);
    latencies.push_back(latency);
    kind_latency[t.kind].push_back(latency);
    if (best->end != 0) {
      double end_error = static_cast<double>(std::llabs(best->end - t.end));
      end_errors.push_back(end_error);
      kind_end[t.kind].push_back(end_error);
    }
  }
  if (m.detected) m.precision = static_cast<double>(m.detected_matched) / m.detected;
  if (m.truth_counted) m.recall = static_cast<double>(m.truth_recalled) / m.truth_counted;
  m.start_error_s_p50 = Median(start_errors);
  m.end_error_s_p50 = Median(end_errors);
  m.latency_s_p50 = Median(latencies);
  for (auto& [kind, k] : m.by_kind) {
    if (k.detected) k.precision = static_cast<double>(k.detected_matched) / k.detected;
    if (k.truth_counted) k.recall = static_cast<double>(k.truth_recalled) / k.truth_counted;
    k.start_error_s_p50 = Median(kind_start[kind]);
    k.end_error_s_p50 = Median(kind_end[kind]);
    k.latency_s_p50 = Median(kind_latency[kind]);
  }
  ScoreSchedules(truth, schedules, m.schedules_truth, m.schedules_found, m.schedule_error_min);
  return m;
}

namespace {

using Detections = std::pair<std::vector<DetectedEvent>, std::vector<DetectedSchedule>>;

// The events overlapping the truth's span (all events when it has none) and every schedule.
Result<Detections> LoadDetections(const Truth& truth, store::Store& store) {
  store::TimeFilter filter;
  filter.from = truth.start;
  filter.until = truth.end > 0 ? truth.end : INT64_MAX;
  auto events = store.ListEvents(filter);
  if (!events.ok()) return events.status().WithContext("reading events");
  std::map<int64_t, store::Entity> entities;
  auto entity_of = [&](int64_t id) -> Result<store::Entity> {
    auto it = entities.find(id);
    if (it != entities.end()) return it->second;
    auto found = store.EntityById(id);
    if (!found.ok()) return found.status();
    if (!*found) return Status::NotFound("event refers to unknown entity id " + std::to_string(id));
    entities[id] = **found;
    return **found;
  };
  std::vector<DetectedEvent> detected;
  for (const store::Event& e : *events) {
    auto entity = entity_of(e.entity_id);
    if (!entity.ok()) return entity.status();
    detected.push_back({e.id, entity->type, entity->code, e.classification, e.datasources, e.start_t, e.end_t});
  }
  auto stored_schedules = store.ListSchedules({});
  if (!stored_schedules.ok()) return stored_schedules.status().WithContext("reading schedules");
  std::vector<DetectedSchedule> schedules;
  for (const store::Schedule& s : *stored_schedules) {
    auto entity = entity_of(s.entity_id);
    if (!entity.ok()) return entity.status();
    schedules.push_back({entity->type, entity->code, s.first_day, s.last_day, s.on_start_min, s.on_end_min});
  }
  return Detections{std::move(detected), std::move(schedules)};
}

}  // namespace

Result<Metrics> EvaluateStore(const Truth& truth, store::Store& store) {
  auto loaded = LoadDetections(truth, store);
  if (!loaded.ok()) return loaded.status();
  return Evaluate(truth, loaded->first, loaded->second);
}

Result<Scores> ScoreStore(const Truth& truth, store::Store& store, StrictContext context) {
  auto loaded = LoadDetections(truth, store);
  if (!loaded.ok()) return loaded.status();
  if (context.entities == 0) {
    auto entities = store.ListEntities(store::EntityQuery{});
    if (!entities.ok()) return entities.status().WithContext("reading entities");
    for (const store::Entity& e : *entities) {
      context.entities += e.type == "country" || e.type == "region" || e.type == "asn";
    }
  }
  Scores scores;
  scores.lenient = Evaluate(truth, loaded->first, loaded->second);
  scores.strict = EvaluateStrict(truth, loaded->first, loaded->second, context);
  return scores;
}

std::string FormatJson(const Metrics& m) {
  std::ostringstream out;
  Json scenario = m.scenario;
  out << "{\"scenario\":" << scenario.dump() << ",";
  Put(out, "precision", m.precision, 4);
  out << ",";
  Put(out, "recall", m.recall, 4);
  out << ",";
  Put(out, "start_error_s_p50", m.start_error_s_p50, 0);
  out << ",";
  Put(out, "end_error_s_p50", m.end_error_s_p50, 0);
  out << ",";
  Put(out, "latency_s_p50", m.latency_s_p50, 0);
  out << ",\"false_outages_in_gaps\":" << m.false_outages_in_gaps << ",";
  Put(out, "schedule_error_min", m.schedule_error_min, 1);
  out << ",\"by_kind\":{";
  bool first = true;
  for (const auto& [kind, k] : m.by_kind) {
    if (!first) out << ",";
    first = false;
    out << "\"" << kind << "\":{\"truth\":" << k.truth_counted << ",\"recalled\":" << k.truth_recalled
        << ",\"detected\":" << k.detected << ",\"detected_matched\":" << k.detected_matched << ",";
    Put(out, "precision", k.precision, 4);
    out << ",";
    Put(out, "recall", k.recall, 4);
    out << ",";
    Put(out, "start_error_s_p50", k.start_error_s_p50, 0);
    out << ",";
    Put(out, "end_error_s_p50", k.end_error_s_p50, 0);
    out << ",";
    Put(out, "latency_s_p50", k.latency_s_p50, 0);
    out << "}";
  }
  out << "},\"detected\":" << m.detected << ",\"detected_matched\":" << m.detected_matched
      << ",\"truth_counted\":" << m.truth_counted << ",\"truth_recalled\":" << m.truth_recalled
      << ",\"schedules\":" << m.schedules_truth << ",\"schedules_found\":" << m.schedules_found << "}";
  return out.str();
}

std::string FormatTable(const Metrics& m) {
  std::ostringstream out;
  out << "scenario " << m.scenario << "\n";
  out << "  detected events       " << m.detected << " (" << m.detected_matched << " match the truth)\n";
  out << "  truth events >= 0.2   " << m.truth_counted << " (" << m.truth_recalled << " detected)\n";
  out << "  precision             " << Cell(m.precision, 3) << "\n";
  out << "  recall                " << Cell(m.recall, 3) << "\n";
  out << "  start error p50 (s)   " << Cell(m.start_error_s_p50, 0) << "\n";
  out << "  end error p50 (s)     " << Cell(m.end_error_s_p50, 0) << "\n";
  out << "  latency p50 (s)       " << Cell(m.latency_s_p50, 0) << "\n";
  out << "  false outages in gaps " << m.false_outages_in_gaps << "\n";
  out << "  schedules found       " << m.schedules_found << "/" << m.schedules_truth << ", error p50 (min) "
      << Cell(m.schedule_error_min, 1) << "\n";
  if (!m.by_kind.empty()) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-9s %6s %9s %9s %10s %8s %8s %9s\n", "kind", "truth", "detected", "precision",
                  "recall", "start_s", "end_s", "latency_s");
    out << line;
    for (const auto& [kind, k] : m.by_kind) {
      std::snprintf(line, sizeof line, "  %-9s %6d %9d %9s %10s %8s %8s %9s\n", kind.c_str(), k.truth_counted,
                    k.detected, Cell(k.precision, 3).c_str(), Cell(k.recall, 3).c_str(),
                    Cell(k.start_error_s_p50, 0).c_str(), Cell(k.end_error_s_p50, 0).c_str(),
                    Cell(k.latency_s_p50, 0).c_str());
      out << line;
    }
  }
  return out.str();
}

std::string FormatSummaryHeader() {
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %6s %5s %9s %7s %8s %8s %9s %5s %9s", "scenario", "truth", "det", "precision",
                "recall", "start_s", "end_s", "latency_s", "gaps", "sched_min");
  return line;
}

std::string FormatSummaryRow(const Metrics& m) {
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %6d %5d %9s %7s %8s %8s %9s %5d %9s", m.scenario.c_str(), m.truth_counted,
                m.detected, Cell(m.precision, 3).c_str(), Cell(m.recall, 3).c_str(),
                Cell(m.start_error_s_p50, 0).c_str(), Cell(m.end_error_s_p50, 0).c_str(),
                Cell(m.latency_s_p50, 0).c_str(), m.false_outages_in_gaps, Cell(m.schedule_error_min, 1).c_str());
  return line;
}

}  // namespace vigil::eval
