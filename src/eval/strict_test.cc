// SPDX-License-Identifier: AGPL-3.0-or-later
// Strict scoring on hand-built truth and detections (eval.h).
#include <gtest/gtest.h>

#include "eval/eval.h"

namespace vigil::eval {
namespace {

UnixSeconds T(const char* text) { return *ParseTime(text); }

Truth MakeTruth(std::vector<TruthEvent> events) {
  Truth truth;
  truth.scenario = "hand";
  truth.start = T("2022-01-01T00:00:00Z");
  truth.end = T("2022-01-02T00:00:00Z");
  truth.events = std::move(events);
  return truth;
}

TruthEvent Outage(const char* id, const char* kind, const char* start, const char* end, double share = 1.0,
                  const char* code = "XA-N") {
  return TruthEvent{id, "region", code, kind, share, false, T(start), T(end)};
}

DetectedEvent Detection(int64_t id, const char* classification, const char* start, const char* end,
                        const char* code = "XA-N") {
  return DetectedEvent{id, "region", code, classification, "bgp", T(start), T(end)};
}

// One outage reported as three fragments: the lenient scorer calls that perfect, the strict one counts two
// false positives, and the bins between the fragments are misses.
TEST(StrictScoring, FragmentationCostsPrecision) {
  Truth truth = MakeTruth({Outage("e1", "withdraw", "2022-01-01T10:00:00Z", "2022-01-01T12:00:00Z")});
  std::vector<DetectedEvent> detected = {
      Detection(1, "routing", "2022-01-01T10:00:00Z", "2022-01-01T10:40:00Z"),
      Detection(2, "routing", "2022-01-01T10:45:00Z", "2022-01-01T11:20:00Z"),
      Detection(3, "routing", "2022-01-01T11:25:00Z", "2022-01-01T12:00:00Z"),
  };
  Metrics lenient = Evaluate(truth, detected, {});
  EXPECT_DOUBLE_EQ(*lenient.precision, 1.0);
  StrictMetrics strict = EvaluateStrict(truth, detected, {}, {});
  EXPECT_EQ(strict.detected, 3);
  EXPECT_EQ(strict.detected_matched, 1);
  EXPECT_EQ(strict.false_events, 2);
  EXPECT_NEAR(*strict.precision, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(*strict.recall, 1.0);
  EXPECT_EQ(strict.bins_tp, 22);  // 24 bins of 5 min, two of them between fragments
  EXPECT_EQ(strict.bins_fn, 2);
  EXPECT_EQ(strict.bins_fp, 0);
  EXPECT_NEAR(*strict.bin_iou, 22.0 / 24, 1e-12);
  // The same outage as one detection scores 1.
  StrictMetrics whole =
      EvaluateStrict(truth, {Detection(4, "routing", "2022-01-01T10:00:00Z", "2022-01-01T12:00:00Z")}, {}, {});
  EXPECT_DOUBLE_EQ(*whole.precision, 1.0);
  EXPECT_DOUBLE_EQ(*whole.bin_iou, 1.0);
}

// Truth events of one entity and kind that overlap are one outage; a different kind stays apart.
TEST(StrictScoring, OverlappingTruthEventsAreOneOutage) {
  std::vector<TruthEvent> events = {Outage("a", "withdraw", "2022-01-01T10:00:00Z", "2022-01-01T12:00:00Z"),
                                    Outage("b", "withdraw", "2022-01-01T11:00:00Z", "2022-01-01T13:00:00Z", 0.5),
                                    Outage("c", "block", "2022-01-01T11:00:00Z", "2022-01-01T13:00:00Z")};
  std::vector<TruthOutage> outages = MergeTruthOutages(events);
  ASSERT_EQ(outages.size(), 2u);
  EXPECT_EQ(outages[1].kind, "withdraw");
  EXPECT_EQ(outages[1].ids, "a+b");
  EXPECT_EQ(outages[1].end, T("2022-01-01T13:00:00Z"));
  StrictMetrics m = EvaluateStrict(MakeTruth(events),
                                   {Detection(1, "routing", "2022-01-01T10:00:00Z", "2022-01-01T13:00:00Z")}, {}, {});
  EXPECT_EQ(m.truth_counted, 2);
  EXPECT_EQ(m.by_kind["withdraw"].truth_recalled, 1);
  EXPECT_EQ(m.by_kind["block"].truth_recalled, 0);
  EXPECT_DOUBLE_EQ(*m.precision, 1.0);
}

// One detection spanning two separate outages matches the one it overlaps most; the other is missed.
TEST(StrictScoring, OneToOneLargestOverlapFirst) {
  Truth truth = MakeTruth({Outage("a", "block", "2022-01-01T10:00:00Z", "2022-01-01T11:00:00Z"),
                           Outage("b", "block", "2022-01-01T11:30:00Z", "2022-01-01T13:00:00Z")});
  std::vector<DetectedEvent> detected = {Detection(1, "data-plane", "2022-01-01T10:00:00Z", "2022-01-01T13:00:00Z")};
  StrictMetrics m = EvaluateStrict(truth, detected, {}, {});
  EXPECT_DOUBLE_EQ(*m.recall, 0.5);
  EXPECT_DOUBLE_EQ(*m.precision, 1.0);
  ASSERT_EQ(m.by_kind["block"].start_errors_s.size(), 1u);
  EXPECT_DOUBLE_EQ(m.by_kind["block"].start_errors_s[0], 5400);  // paired with b (90 min overlap)
  EXPECT_EQ(m.bins_fp, 6);                                       // 11:00-11:30 had no outage
  // Lenient lets it hit both.
  EXPECT_DOUBLE_EQ(*Evaluate(truth, detected, {}).recall, 1.0);
}

// Edges off the bin grid: errors are measured against them, latency from the end of the bin holding the
// truth start to when the replay first showed the event.
TEST(StrictScoring, OffGridErrorsAndLatency) {
  Truth truth = MakeTruth({Outage("a", "withdraw", "2022-01-01T10:03:17Z", "2022-01-01T11:58:41Z")});
  std::vector<DetectedEvent> detected = {Detection(1, "routing", "2022-01-01T10:05:00Z", "2022-01-01T12:00:00Z")};
  StrictContext context;
  context.first_seen = {{"region", "XA-N", "routing", T("2022-01-01T10:05:00Z"), T("2022-01-01T10:20:00Z")},
                        // an unrelated later event of the same entity does not count
                        {"region", "XA-N", "routing", T("2022-01-01T15:00:00Z"), T("2022-01-01T15:10:00Z")}};
  StrictMetrics m = EvaluateStrict(truth, detected, {}, context);
  EXPECT_DOUBLE_EQ(*m.start_error_s_p50, 103);
  EXPECT_DOUBLE_EQ(*m.end_error_s_p50, 79);
  EXPECT_DOUBLE_EQ(*m.latency_s_p50, 900);  // data of the 10:00-10:05 bin arrived at 10:05, visible at 10:20
  EXPECT_DOUBLE_EQ(*m.latency_s_p95, 900);
  EXPECT_FALSE(EvaluateStrict(truth, detected, {}, {}).latency_s_p50.has_value());  // no replay, no latency
}

// Quiet world: every detection is false; counted per 1,000 entity-days. A small implied dent (share < 0.2)
// may be detected without penalty but is not required.
TEST(StrictScoring, FalseEventsPerThousandEntityDays) {
  Truth quiet = MakeTruth({});
  quiet.end = quiet.start + 10 * 86400;
  StrictContext context;
  context.entities = 20;
  StrictMetrics m =
      EvaluateStrict(quiet, {Detection(1, "data-plane", "2022-01-03T10:00:00Z", "2022-01-03T11:00:00Z")}, {}, context);
  EXPECT_EQ(m.false_events, 1);
  EXPECT_DOUBLE_EQ(m.entity_days, 200);
  EXPECT_DOUBLE_EQ(*m.false_per_1000_entity_days, 5);
  EXPECT_FALSE(m.precision.has_value() && *m.precision > 0);

  Truth dent = MakeTruth({Outage("d", "withdraw", "2022-01-01T10:00:00Z", "2022-01-01T11:00:00Z", 0.1)});
  StrictMetrics seen =
      EvaluateStrict(dent, {Detection(1, "routing", "2022-01-01T10:00:00Z", "2022-01-01T11:00:00Z")}, {}, {});
  EXPECT_EQ(seen.truth_counted, 0);
  EXPECT_EQ(seen.false_events, 0);
  EXPECT_EQ(seen.bins_fp, 0);
  StrictMetrics unseen = EvaluateStrict(dent, {}, {}, {});
  EXPECT_EQ(unseen.bins_fn, 0);
}

// An open detection (end 0) extends to the end of the span; it has no end error.
TEST(StrictScoring, OpenDetectionHasNoEndError) {
  Truth truth = MakeTruth({Outage("a", "withdraw", "2022-01-01T20:00:00Z", "2022-01-02T00:00:00Z")});
  DetectedEvent open = Detection(1, "routing", "2022-01-01T20:00:00Z", "2022-01-01T20:00:00Z");
  open.end = 0;
  StrictMetrics m = EvaluateStrict(truth, {open}, {}, {});
  EXPECT_DOUBLE_EQ(*m.recall, 1.0);
  EXPECT_FALSE(m.end_error_s_p50.has_value());
  EXPECT_DOUBLE_EQ(*m.bin_iou, 1.0);
  std::string json = FormatCombinedJson(Evaluate(truth, {open}, {}), m);
  EXPECT_NE(json.find("\"strict\":{\"scenario\":\"hand\",\"scoring\":\"strict\",\"precision\":1.0000"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace vigil::eval
