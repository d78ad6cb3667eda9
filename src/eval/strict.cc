// SPDX-License-Identifier: AGPL-3.0-or-later
// Strict scoring (eval.h): one-to-one matching of detections to merged truth outages, bin-level scores,
// latency from a time-ordered replay, false events per 1,000 entity-days.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "eval/eval.h"
#include "eval/internal.h"

namespace vigil::eval {
namespace {

using internal::CellText;
using internal::KindOf;
using internal::MedianOf;
using internal::PutJson;

constexpr int64_t kScoreBinSeconds = 300;  // bin-level scores use the finest signal's bins (bgp, 5 min)

// Nearest-rank percentile (p in 0..1).
std::optional<double> Percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::optional<double> Ratio(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

UnixSeconds EndOr(const DetectedEvent& d, UnixSeconds open_end) { return d.end == 0 ? open_end : d.end; }

bool SameEntity(const DetectedEvent& d, const TruthOutage& o) {
  return d.entity_type == o.entity_type && d.entity_code == o.entity_code;
}

UnixSeconds Overlap(UnixSeconds a_start, UnixSeconds a_end, UnixSeconds b_start, UnixSeconds b_end) {
  return std::max<UnixSeconds>(0, std::min(a_end, b_end) - std::max(a_start, b_start));
}

// Detected index -> outage index (-1 when unmatched): every (detection, outage) pair of one entity whose kind
// fits and whose intervals overlap, largest overlap first, each side used at most once.
std::vector<int> MatchOneToOne(const std::vector<TruthOutage>& outages, const std::vector<DetectedEvent>& detected,
                               UnixSeconds open_end) {
  struct Pair {
    UnixSeconds overlap, start_gap;
    size_t d, o;
  };
  std::vector<Pair> pairs;
  for (size_t d = 0; d < detected.size(); ++d) {
    for (size_t o = 0; o < outages.size(); ++o) {
      const DetectedEvent& e = detected[d];
      if (!SameEntity(e, outages[o]) || !ClassificationFits(outages[o].kind, e.classification)) continue;
      UnixSeconds overlap =
          Overlap(e.start, EndOr(e, std::max(open_end, outages[o].end)), outages[o].start, outages[o].end);
      if (overlap > 0) pairs.push_back({overlap, std::llabs(e.start - outages[o].start), d, o});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    if (a.overlap != b.overlap) return a.overlap > b.overlap;
    if (a.start_gap != b.start_gap) return a.start_gap < b.start_gap;
    return a.d != b.d ? a.d < b.d : a.o < b.o;
  });
  std::vector<int> match(detected.size(), -1);
  std::vector<bool> outage_taken(outages.size(), false);
  for (const Pair& p : pairs) {
    if (match[p.d] >= 0 || outage_taken[p.o]) continue;
    match[p.d] = static_cast<int>(p.o);
    outage_taken[p.o] = true;
  }
  return match;
}

struct Interval {
  UnixSeconds start, end;
};

bool Covers(const std::vector<Interval>& intervals, UnixSeconds t) {
  for (const Interval& i : intervals) {
    if (i.start <= t && t < i.end) return true;
  }
  return false;
}

// Bin-level counts per (entity, kind): a bin is "in outage" when its midpoint lies inside a counted outage
// (share >= 0.2) or a detection of that kind. Bins inside only a small implied outage (share < 0.2) are
// neither false positives nor misses: detection may or may not see a 10 % dent.
void CountBins(const std::vector<TruthOutage>& outages, const std::vector<DetectedEvent>& detected,
               UnixSeconds span_start, UnixSeconds span_end, StrictMetrics& m) {
  struct Sets {
    std::vector<Interval> truth, small, detected;
  };
  std::map<std::string, Sets> by_key;
  for (const TruthOutage& o : outages) {
    Sets& s = by_key[o.entity_type + "/" + o.entity_code + "|" + o.kind];
    (o.share >= kRecallMinShare ? s.truth : s.small).push_back({o.start, o.end});
  }
  for (const DetectedEvent& d : detected) {
    std::string kind = KindOf(d.classification);
    if (kind == "other") continue;
    by_key[d.entity_type + "/" + d.entity_code + "|" + kind].detected.push_back({d.start, EndOr(d, span_end)});
  }
  for (const auto& [key, s] : by_key) {
    for (UnixSeconds t = span_start - span_start % kScoreBinSeconds; t < span_end; t += kScoreBinSeconds) {
      UnixSeconds mid = t + kScoreBinSeconds / 2;
      bool in_truth = Covers(s.truth, mid), in_detected = Covers(s.detected, mid);
      if (in_truth && in_detected) {
        ++m.bins_tp;
      } else if (in_truth) {
        ++m.bins_fn;
      } else if (in_detected && !Covers(s.small, mid)) {
        ++m.bins_fp;
      }
    }
  }
}

// When the matched outage first became visible in the replay: the earliest first sighting of an event of the
// entity, of a fitting classification, starting between two bins before the outage (or its detection) and
// the outage's end.
std::optional<UnixSeconds> VisibleAt(const TruthOutage& o, const DetectedEvent& d,
                                     const std::vector<FirstSeen>& first_seen) {
  const int64_t bin = KindBinSeconds(o.kind);
  const UnixSeconds from = std::min(o.start, d.start) - 2 * bin;
  std::optional<UnixSeconds> best;
  for (const FirstSeen& f : first_seen) {
    if (f.entity_type != o.entity_type || f.entity_code != o.entity_code) continue;
    if (!ClassificationFits(o.kind, f.classification) || f.start < from || f.start >= o.end) continue;
    if (!best || f.visible_at < *best) best = f.visible_at;
  }
  return best;
}

void ScorePairs(const std::vector<TruthOutage>& outages, const std::vector<DetectedEvent>& detected,
                const std::vector<int>& match, const StrictContext& context, StrictMetrics& m) {
  for (size_t d = 0; d < detected.size(); ++d) {
    if (match[d] < 0) continue;
    const TruthOutage& o = outages[match[d]];
    if (o.share < kRecallMinShare) continue;
    StrictKindMetrics& k = m.by_kind[o.kind];
    ++m.truth_recalled;
    ++k.truth_recalled;
    k.start_errors_s.push_back(static_cast<double>(std::llabs(detected[d].start - o.start)));
    if (detected[d].end != 0) k.end_errors_s.push_back(static_cast<double>(std::llabs(detected[d].end - o.end)));
    if (context.first_seen.empty()) continue;
    if (auto visible = VisibleAt(o, detected[d], context.first_seen)) {
      const int64_t bin = KindBinSeconds(o.kind);
      const UnixSeconds data_arrived = o.start - ((o.start % bin) + bin) % bin + bin;  // end of the bin holding
      k.latencies_s.push_back(static_cast<double>(std::max<UnixSeconds>(0, *visible - data_arrived)));
    }
  }
}

void CountFalseInGaps(const Truth& truth, const DetectedEvent& d, StrictMetrics& m) {
  bool routing = KindOf(d.classification) == "withdraw" || d.datasources.find("bgp") != std::string::npos;
  if (!routing) return;
  for (const TruthGap& g : truth.collector_gaps) {
    if (d.start < g.end && EndOr(d, INT64_MAX) > g.start) {
      ++m.false_outages_in_gaps;
      return;
    }
  }
}

std::vector<double> Pooled(const std::map<std::string, StrictKindMetrics>& by_kind,
                           std::vector<double> StrictKindMetrics::*field) {
  std::vector<double> all;
  for (const auto& [kind, k] : by_kind) all.insert(all.end(), (k.*field).begin(), (k.*field).end());
  return all;
}

std::string Seconds(const std::optional<double>& value) { return CellText(value, 0); }

}  // namespace

int64_t KindBinSeconds(const std::string& kind) { return kind == "withdraw" ? 300 : 600; }

std::vector<TruthOutage> MergeTruthOutages(const std::vector<TruthEvent>& events) {
  std::vector<const TruthEvent*> sorted;
  for (const TruthEvent& t : events) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const TruthEvent* a, const TruthEvent* b) {
    if (a->entity_type != b->entity_type) return a->entity_type < b->entity_type;
    if (a->entity_code != b->entity_code) return a->entity_code < b->entity_code;
    if (a->kind != b->kind) return a->kind < b->kind;
    return a->start != b->start ? a->start < b->start : a->end < b->end;
  });
  std::vector<TruthOutage> outages;
  for (const TruthEvent* t : sorted) {
    if (!outages.empty()) {
      TruthOutage& last = outages.back();
      if (last.entity_type == t->entity_type && last.entity_code == t->entity_code && last.kind == t->kind &&
          t->start <= last.end) {
        last.end = std::max(last.end, t->end);
        last.share = std::max(last.share, t->share);
        last.implied = last.implied && t->implied;
        last.ids += "+" + t->id;
        continue;
      }
    }
    outages.push_back({t->id, t->entity_type, t->entity_code, t->kind, t->share, t->implied, t->start, t->end});
  }
  return outages;
}

StrictMetrics EvaluateStrict(const Truth& truth, const std::vector<DetectedEvent>& detected,
                             const std::vector<DetectedSchedule>& schedules, const StrictContext& context) {
  StrictMetrics m;
  m.scenario = truth.scenario;
  const std::vector<TruthOutage> outages = MergeTruthOutages(truth.events);
  UnixSeconds span_start = truth.start, span_end = truth.end;
  if (span_end <= span_start) {  // older truth files: the extent of what is known
    span_start = INT64_MAX;
    span_end = INT64_MIN;
    for (const TruthOutage& o : outages)
      span_start = std::min(span_start, o.start), span_end = std::max(span_end, o.end);
    for (const DetectedEvent& d : detected)
      span_start = std::min(span_start, d.start), span_end = std::max(span_end, d.end);
    if (span_end <= span_start) span_start = span_end = 0;
  }
  for (const TruthOutage& o : outages) {
    if (o.share < kRecallMinShare) continue;
    ++m.truth_counted;
    ++m.by_kind[o.kind].truth_counted;
  }
  const std::vector<int> match = MatchOneToOne(outages, detected, span_end);
  for (size_t d = 0; d < detected.size(); ++d) {
    std::string kind = KindOf(detected[d].classification);
    ++m.detected;
    bool matched = match[d] >= 0;
    m.detected_matched += matched;
    if (kind != "other") {
      ++m.by_kind[kind].detected;
      m.by_kind[kind].detected_matched += matched;
    }
    if (!matched) {
      ++m.false_events;
      CountFalseInGaps(truth, detected[d], m);
    }
  }
  ScorePairs(outages, detected, match, context, m);
  CountBins(outages, detected, span_start, span_end, m);
  m.precision = Ratio(m.detected_matched, m.detected);
  m.recall = Ratio(m.truth_recalled, m.truth_counted);
  m.bin_precision = Ratio(m.bins_tp, m.bins_tp + m.bins_fp);
  m.bin_recall = Ratio(m.bins_tp, m.bins_tp + m.bins_fn);
  m.bin_iou = Ratio(m.bins_tp, m.bins_tp + m.bins_fp + m.bins_fn);
  for (auto& [kind, k] : m.by_kind) {
    k.precision = Ratio(k.detected_matched, k.detected);
    k.recall = Ratio(k.truth_recalled, k.truth_counted);
  }
  m.start_error_s_p50 = MedianOf(Pooled(m.by_kind, &StrictKindMetrics::start_errors_s));
  m.end_error_s_p50 = MedianOf(Pooled(m.by_kind, &StrictKindMetrics::end_errors_s));
  m.latency_s_p50 = Percentile(Pooled(m.by_kind, &StrictKindMetrics::latencies_s), 0.5);
  m.latency_s_p95 = Percentile(Pooled(m.by_kind, &StrictKindMetrics::latencies_s), 0.95);
  m.entity_days = context.entities * static_cast<double>(span_end - span_start) / 86400.0;
  if (m.entity_days > 0) m.false_per_1000_entity_days = 1000.0 * m.false_events / m.entity_days;
  internal::ScoreSchedules(truth, schedules, m.schedules_truth, m.schedules_found, m.schedule_error_min);
  return m;
}

std::string FormatStrictJson(const StrictMetrics& m) {
  std::ostringstream out;
  out << "{\"scenario\":" << nlohmann::json(m.scenario).dump() << ",\"scoring\":\"strict\",";
  PutJson(out, "precision", m.precision, 4);
  out << ",";
  PutJson(out, "recall", m.recall, 4);
  out << ",";
  PutJson(out, "bin_precision", m.bin_precision, 4);
  out << ",";
  PutJson(out, "bin_recall", m.bin_recall, 4);
  out << ",";
  PutJson(out, "bin_iou", m.bin_iou, 4);
  out << ",";
  PutJson(out, "start_error_s_p50", m.start_error_s_p50, 0);
  out << ",";
  PutJson(out, "end_error_s_p50", m.end_error_s_p50, 0);
  out << ",";
  PutJson(out, "latency_s_p50", m.latency_s_p50, 0);
  out << ",";
  PutJson(out, "latency_s_p95", m.latency_s_p95, 0);
  out << ",\"false_events\":" << m.false_events << ",";
  PutJson(out, "false_per_1000_entity_days", m.false_per_1000_entity_days, 2);
  out << ",\"entity_days\":" << CellText(m.entity_days, 1) << ",\"false_outages_in_gaps\":" << m.false_outages_in_gaps
      << ",";
  PutJson(out, "schedule_error_min", m.schedule_error_min, 1);
  out << ",\"by_kind\":{";
  bool first = true;
  for (const auto& [kind, k] : m.by_kind) {
    out << (first ? "" : ",") << "\"" << kind << "\":{\"truth\":" << k.truth_counted
        << ",\"recalled\":" << k.truth_recalled << ",\"detected\":" << k.detected
        << ",\"detected_matched\":" << k.detected_matched << ",";
    first = false;
    PutJson(out, "precision", k.precision, 4);
    out << ",";
    PutJson(out, "recall", k.recall, 4);
    out << ",";
    PutJson(out, "start_error_s_p50", MedianOf(k.start_errors_s), 0);
    out << ",";
    PutJson(out, "end_error_s_p50", MedianOf(k.end_errors_s), 0);
    out << ",";
    PutJson(out, "latency_s_p95", Percentile(k.latencies_s, 0.95), 0);
    out << "}";
  }
  out << "},\"detected\":" << m.detected << ",\"detected_matched\":" << m.detected_matched
      << ",\"truth_counted\":" << m.truth_counted << ",\"truth_recalled\":" << m.truth_recalled
      << ",\"schedules\":" << m.schedules_truth << ",\"schedules_found\":" << m.schedules_found << "}";
  return out.str();
}

std::string FormatCombinedJson(const Metrics& lenient, const StrictMetrics& strict) {
  std::string text = FormatJson(lenient);
  text.pop_back();  // the closing brace
  return text + ",\"strict\":" + FormatStrictJson(strict) + "}";
}

std::string FormatStrictTable(const StrictMetrics& m) {
  std::ostringstream out;
  out << "scenario " << m.scenario << " (strict: one detection per truth outage)\n";
  out << "  detected events        " << m.detected << " (" << m.detected_matched << " matched one to one, "
      << m.false_events << " false)\n";
  out << "  truth outages >= 0.2   " << m.truth_counted << " (" << m.truth_recalled << " detected)\n";
  out << "  precision / recall     " << CellText(m.precision, 3) << " / " << CellText(m.recall, 3) << "\n";
  out << "  bins P / R / IoU       " << CellText(m.bin_precision, 3) << " / " << CellText(m.bin_recall, 3) << " / "
      << CellText(m.bin_iou, 3) << "\n";
  out << "  start / end error p50  " << Seconds(m.start_error_s_p50) << " s / " << Seconds(m.end_error_s_p50) << " s\n";
  out << "  latency p50 / p95      " << Seconds(m.latency_s_p50) << " s / " << Seconds(m.latency_s_p95)
      << " s after the data arrived\n";
  out << "  false / 1000 entity-d  " << CellText(m.false_per_1000_entity_days, 2) << " (" << CellText(m.entity_days, 1)
      << " entity-days)\n";
  out << "  false outages in gaps  " << m.false_outages_in_gaps << "\n";
  out << "  schedules found        " << m.schedules_found << "/" << m.schedules_truth << ", error p50 (min) "
      << CellText(m.schedule_error_min, 1) << "\n";
  char line[256];
  for (const auto& [kind, k] : m.by_kind) {
    std::snprintf(line, sizeof line, "  %-9s truth %4d detected %4d matched %4d P %6s R %6s start %7s end %7s\n",
                  kind.c_str(), k.truth_counted, k.detected, k.detected_matched, CellText(k.precision, 3).c_str(),
                  CellText(k.recall, 3).c_str(), Seconds(MedianOf(k.start_errors_s)).c_str(),
                  Seconds(MedianOf(k.end_errors_s)).c_str());
    out << line;
  }
  return out.str();
}

namespace {
constexpr const char* kStrictRow = "%-26s %5s %4s %4s %5s %5s %5s %5s %5s %7s %7s %6s %6s %6s %4s %5s";
}  // namespace

std::string FormatStrictSummaryHeader() {
  char line[256];
  std::snprintf(line, sizeof line, kStrictRow, "scenario (strict)", "truth", "det", "fp", "P", "R", "binP", "binR",
                "IoU", "start_s", "end_s", "lat50", "lat95", "fp/kEd", "gaps", "sched");
  return line;
}

std::string FormatStrictSummaryRow(const StrictMetrics& m) {
  char line[256];
  std::snprintf(line, sizeof line, kStrictRow, m.scenario.c_str(), std::to_string(m.truth_counted).c_str(),
                std::to_string(m.detected).c_str(), std::to_string(m.false_events).c_str(),
                CellText(m.precision, 2).c_str(), CellText(m.recall, 2).c_str(), CellText(m.bin_precision, 2).c_str(),
                CellText(m.bin_recall, 2).c_str(), CellText(m.bin_iou, 2).c_str(), Seconds(m.start_error_s_p50).c_str(),
                Seconds(m.end_error_s_p50).c_str(), Seconds(m.latency_s_p50).c_str(), Seconds(m.latency_s_p95).c_str(),
                CellText(m.false_per_1000_entity_days, 2).c_str(), std::to_string(m.false_outages_in_gaps).c_str(),
                CellText(m.schedule_error_min, 1).c_str());
  return line;
}

std::string FormatStrictTotals(const std::vector<StrictMetrics>& all) {
  StrictMetrics total;
  total.scenario = "TOTAL";
  std::vector<double> schedule_errors;
  for (const StrictMetrics& m : all) {
    total.detected += m.detected;
    total.detected_matched += m.detected_matched;
    total.truth_counted += m.truth_counted;
    total.truth_recalled += m.truth_recalled;
    total.bins_tp += m.bins_tp;
    total.bins_fp += m.bins_fp;
    total.bins_fn += m.bins_fn;
    total.false_events += m.false_events;
    total.entity_days += m.entity_days;
    total.false_outages_in_gaps += m.false_outages_in_gaps;
    if (m.schedule_error_min) schedule_errors.push_back(*m.schedule_error_min);
    for (const auto& [kind, k] : m.by_kind) {
      StrictKindMetrics& t = total.by_kind[kind];
      t.truth_counted += k.truth_counted;
      t.truth_recalled += k.truth_recalled;
      t.detected += k.detected;
      t.detected_matched += k.detected_matched;
      t.start_errors_s.insert(t.start_errors_s.end(), k.start_errors_s.begin(), k.start_errors_s.end());
      t.end_errors_s.insert(t.end_errors_s.end(), k.end_errors_s.begin(), k.end_errors_s.end());
      t.latencies_s.insert(t.latencies_s.end(), k.latencies_s.begin(), k.latencies_s.end());
    }
  }
  total.precision = Ratio(total.detected_matched, total.detected);
  total.recall = Ratio(total.truth_recalled, total.truth_counted);
  total.bin_precision = Ratio(total.bins_tp, total.bins_tp + total.bins_fp);
  total.bin_recall = Ratio(total.bins_tp, total.bins_tp + total.bins_fn);
  total.bin_iou = Ratio(total.bins_tp, total.bins_tp + total.bins_fp + total.bins_fn);
  total.start_error_s_p50 = MedianOf(Pooled(total.by_kind, &StrictKindMetrics::start_errors_s));
  total.end_error_s_p50 = MedianOf(Pooled(total.by_kind, &StrictKindMetrics::end_errors_s));
  total.latency_s_p50 = Percentile(Pooled(total.by_kind, &StrictKindMetrics::latencies_s), 0.5);
  total.latency_s_p95 = Percentile(Pooled(total.by_kind, &StrictKindMetrics::latencies_s), 0.95);
  if (total.entity_days > 0) total.false_per_1000_entity_days = 1000.0 * total.false_events / total.entity_days;
  total.schedule_error_min = MedianOf(schedule_errors);
  std::ostringstream out;
  out << FormatStrictSummaryRow(total) << "\n";
  char line[256];
  for (const auto& [kind, k] : total.by_kind) {
    std::snprintf(line, sizeof line,
                  "  %-9s truth %4d det %4d matched %4d  P %5s  R %5s  start_p50 %6s s  end_p50 %6s s  lat_p95 %6s s\n",
                  kind.c_str(), k.truth_counted, k.detected, k.detected_matched,
                  CellText(Ratio(k.detected_matched, k.detected), 3).c_str(),
                  CellText(Ratio(k.truth_recalled, k.truth_counted), 3).c_str(),
                  Seconds(MedianOf(k.start_errors_s)).c_str(), Seconds(MedianOf(k.end_errors_s)).c_str(),
                  Seconds(Percentile(k.latencies_s, 0.95)).c_str());
    out << line;
  }
  return out.str();
}

}  // namespace vigil::eval
