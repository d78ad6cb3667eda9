// SPDX-License-Identifier: AGPL-3.0-or-later
// Evidence reports: everything behind one event in one bundle (JSON, Markdown, HTML with inline SVG
// charts, CSV of the signals), with a sha256 manifest so that a copy can be checked later.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "api/internal.h"
#include "base/time_format.h"

namespace vigil::api {
namespace {

// Markdown table cells: keep pipes and newlines from breaking the table.
std::string MdCell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string Number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

struct Signal {
  std::string datasource;
  int64_t from = 0;
  int64_t step = 0;
  std::vector<std::optional<double>> values;
};

struct Bundle {
  store::Event event;
  std::optional<store::Entity> entity;
  int64_t window_from = 0, window_until = 0;
  std::vector<Signal> signals;
  Json json;  // the report.json body
  std::string signals_csv;
  std::string markdown;
};

constexpr const char* kMethod =
    "Each signal is compared with a baseline: the median of the previous 24 hours for flat signals (bgp), the "
    "same-time-of-day median of the previous 7 days for diurnal ones (active probing). The ratio value/baseline "
    "sets the alert level (warning, critical) with per-datasource thresholds; runs of non-normal bins form "
    "events (gaps of at most one bin merged), the signals of one entity are fused, and the event is classified: "
    "BGP drop => routing; probing drop with BGP normal => data-plane; RTT or loss up with reachability normal => "
    "throttling; both drop => routing+data-plane. Missing bins are never counted as zero.";

// The schedule the event was matched to, or null.
Json ScheduleSection(Api::Impl& impl, const store::Event& e) {
  if (e.schedule_id == 0) return nullptr;
  if (auto list = impl.store.ListSchedules({e.entity_id}); list.ok()) {
    for (const auto& s : *list) {
      if (s.id != e.schedule_id) continue;
      return {{"id", s.id},
              {"tz", s.tz},
              {"on_start_min", s.on_start_min},
              {"on_end_min", s.on_end_min},
              {"first_day", s.first_day},
              {"last_day", s.last_day},
              {"confidence", s.confidence}};
    }
  }
  return nullptr;
}

// Signals around the event, at most ~2000 points each; also fills b.signals and b.signals_csv.
Result<Json> SignalsSection(Api::Impl& impl, Bundle& b) {
  const store::Event& e = b.event;
  auto datasources = impl.store.ListDatasources();
  if (!datasources.ok()) return datasources.status();
  Json signals = Json::array();
  b.signals_csv = "datasource,t,time,value\n";
  for (const auto& ds : *datasources) {
    int64_t step = ds.step_s;
    while ((b.window_until - b.window_from) / step > 2000) step *= 2;
    auto agg = impl.store.ReadAggregated(ds.name, e.entity_id, b.window_from, b.window_until, step);
    if (!agg.ok()) return agg.status();
    if (std::none_of(agg->values.begin(), agg->values.end(), [](const auto& v) { return v.has_value(); })) continue;
    Signal s{ds.name, b.window_from, step, agg->values};
    Json values = Json::array();
    for (size_t i = 0; i < s.values.size(); ++i) {
      values.push_back(s.values[i] ? Json(*s.values[i]) : Json(nullptr));
      int64_t t = s.from + static_cast<int64_t>(i) * step;
      b.signals_csv += ds.name + "," + std::to_string(t) + "," + FormatRfc3339(t) + "," +
                       (s.values[i] ? Number(*s.values[i]) : "") + "\n";
    }
    signals.push_back({{"datasource", ds.name}, {"from", s.from}, {"step", step}, {"values", values}});
    b.signals.push_back(std::move(s));
  }
  return signals;
}

Json AlertsSection(Api::Impl& impl, const store::TimeFilter& filter) {
  Json alerts = Json::array();
  if (auto list = impl.store.ListAlerts(filter); list.ok()) {
    for (const auto& a : *list) {
      alerts.push_back({{"datasource", a.datasource},
                        {"time", a.t},
                        {"level", store::AlertLevelName(a.level)},
                        {"condition", a.condition},
                        {"value", a.value},
                        {"historyValue", a.baseline},
                        {"method", a.method.empty() ? "median" : a.method}});
    }
  }
  return alerts;
}

Json AnnotationsSection(Api::Impl& impl, const store::TimeFilter& filter) {
  Json annotations = Json::array();
  if (auto list = impl.store.ListAnnotations(filter); list.ok()) {
    for (const auto& a : *list) {
      annotations.push_back({{"kind", a.kind},
                             {"start", a.start_t},
                             {"end", a.end_t ? Json(a.end_t) : Json(nullptr)},
                             {"text", a.text},
                             {"source_url", a.source_url}});
    }
  }
  return annotations;
}

Json InputsSection(Api::Impl& impl, const Bundle& b) {
  Json inputs = Json::array();
  if (auto list = impl.store.ListInputs(b.window_from, b.window_until); list.ok()) {
    for (const auto& in : *list) {
      inputs.push_back({{"name", in.name},
                        {"sha256", in.sha256},
                        {"kind", in.kind},
                        {"collector", in.collector},
                        {"records", in.records},
                        {"first_t", in.first_t},
                        {"last_t", in.last_t}});
    }
  }
  return inputs;
}

// The sha256 of each part, so a downloaded part can be checked against the bundle.
Json ManifestSection(const Json& out, const Bundle& b) {
  Json manifest = Json::array();
  auto add = [&](const std::string& name, const std::string& bytes) {
    manifest.push_back({{"name", name}, {"sha256", Sha256Hex(bytes)}, {"bytes", bytes.size()}});
  };
  add("event.json", out["event"].dump());
  add("signals.csv", b.signals_csv);
  add("alerts.json", out["alerts"].dump());
  add("annotations.json", out["annotations"].dump());
  add("inputs.json", out["inputs"].dump());
  add("method.json", out["method"].dump());
  return {{"algorithm", "sha256"},
          {"note",
           "each entry hashes the compact JSON of that section (signals.csv: the CSV report, "
           "byte for byte the body of report.csv)"},
          {"entries", manifest}};
}

Status BuildBundle(Api::Impl& impl, int64_t id, Bundle& b) {
  auto event = impl.store.EventById(id);
  if (!event.ok()) return event.status();
  if (!event->has_value()) return Status::NotFound("no event " + std::to_string(id));
  b.event = **event;
  const store::Event& e = b.event;
  b.entity = impl.EntityById(e.entity_id);
  int64_t end = e.end_t != 0 ? e.end_t : std::max(NowSeconds(), e.start_t + 3600);
  int64_t pad = std::clamp<int64_t>(end - e.start_t, 6 * 3600, 3 * 86400);
  b.window_from = BinStart(e.start_t - pad, 3600);
  b.window_until = BinStart(end + pad, 3600) + 3600;

  Json out;
  out["report"] = {{"generator", "vigil 0.1.0"}, {"event_id", e.id}, {"generated_at", FormatRfc3339(NowSeconds())}};
  out["event"] = EventCodf(impl, e, e.start_t, end);
  out["entity"] = b.entity ? EntityJson(impl, *b.entity) : Json(nullptr);
  out["classification"] = e.classification;
  out["schedule"] = ScheduleSection(impl, e);
  out["window"] = {{"from", b.window_from}, {"until", b.window_until}};

  auto signals = SignalsSection(impl, b);
  if (!signals.ok()) return signals.status();
  out["signals"] = std::move(*signals);

  store::TimeFilter filter;
  filter.from = b.window_from;
  filter.until = b.window_until;
  filter.entity_ids = {e.entity_id};
  out["alerts"] = AlertsSection(impl, filter);
  out["annotations"] = AnnotationsSection(impl, filter);
  Json detail = Json::parse(e.detail.empty() ? "null" : e.detail, nullptr, false);
  out["method"] = {{"description", kMethod}, {"detail", detail.is_discarded() ? Json(e.detail) : detail}};
  out["coverage"] = out["event"]["coverage"];
  out["inputs"] = InputsSection(impl, b);
  out["manifest"] = ManifestSection(out, b);
  b.json = std::move(out);
  return Status::Ok();
}

std::string Markdown(const Bundle& b) {
  const Json& j = b.json;
  const store::Event& e = b.event;
  std::string name = b.entity ? (b.entity->name.empty() ? b.entity->code : b.entity->name) : "unknown";
  std::string md = "# Evidence report: event " + std::to_string(e.id) + " — " + MdCell(name) + "\n\n";
  md += "| field | value |\n|---|---|\n";
  md += "| location | " + MdCell(j["event"]["location"].get<std::string>()) + " |\n";
  md += "| kind | " + MdCell(e.kind) + " |\n";
  md += "| start | " + FormatRfc3339(e.start_t) + " |\n";
  md += "| end | " + (e.end_t ? FormatRfc3339(e.end_t) : std::string("ongoing")) + " |\n";
  md += "| classification | " + MdCell(e.classification) + " |\n";
  md += "| datasources | " + MdCell(e.datasources) + " |\n";
  md += "| score | " + Number(e.score) + " |\n";
  md += "| depth | " + Number(e.depth) + " |\n";
  if (!j["schedule"].is_null()) {
    const Json& s = j["schedule"];
    char window[64];
    int off = s["on_end_min"].get<int>(), on = s["on_start_min"].get<int>();
    std::snprintf(window, sizeof window, "%02d:%02d–%02d:%02d", off / 60 % 24, off % 60, on / 60 % 24, on % 60);
    md += "| schedule | daily off " + std::string(window) + " " + MdCell(s["tz"].get<std::string>()) + ", " +
          MdCell(s["first_day"].get<std::string>()) + " … " + MdCell(s["last_day"].get<std::string>()) +
          ", confidence " + Number(s["confidence"].get<double>()) + " |\n";
  }
  md += "\n## Method\n\n" + std::string(kMethod) + "\n\nThresholds and figures recorded by detection:\n\n```json\n" +
        j["method"]["detail"].dump(2) + "\n```\n";
  md += "\n## Coverage\n\n```json\n" + j["coverage"].dump(2) + "\n```\n";
  md += "\n## Signals\n\nWindow " + FormatRfc3339(b.window_from) + " – " + FormatRfc3339(b.window_until) +
        "; values in report.csv.\n\n| datasource | step (s) | points | min | max |\n|---|---|---|---|---|\n";
  for (const auto& s : b.signals) {
    double lo = INFINITY, hi = -INFINITY;
    int n = 0;
    for (const auto& v : s.values) {
      if (!v) continue;
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
      ++n;
    }
    md += "| " + s.datasource + " | " + std::to_string(s.step) + " | " + std::to_string(n) + " | " + Number(lo) +
          " | " + Number(hi) + " |\n";
  }
  md += "\n## Alerts\n\n| time | datasource | level | condition | value | baseline |\n|---|---|---|---|---|---|\n";
  for (const auto& a : j["alerts"]) {
    md += "| " + FormatRfc3339(a["time"].get<int64_t>()) + " | " + MdCell(a["datasource"].get<std::string>()) + " | " +
          a["level"].get<std::string>() + " | " + MdCell(a["condition"].get<std::string>()) + " | " +
          Number(a["value"].get<double>()) + " | " + Number(a["historyValue"].get<double>()) + " |\n";
  }
  md += "\n## Annotations\n\n";
  for (const auto& a : j["annotations"]) {
    md += "- " + MdCell(a["kind"].get<std::string>()) + " from " + FormatRfc3339(a["start"].get<int64_t>()) + ": " +
          MdCell(a["text"].get<std::string>()) + " " + MdCell(a["source_url"].get<std::string>()) + "\n";
  }
  md += "\n## Input files\n\n| name | sha256 | kind |\n|---|---|---|\n";
  for (const auto& in : j["inputs"]) {
    md += "| " + MdCell(in["name"].get<std::string>()) + " | `" + in["sha256"].get<std::string>() + "` | " +
          MdCell(in["kind"].get<std::string>()) + " |\n";
  }
  md += "\n## Manifest (sha256)\n\n| part | sha256 | bytes |\n|---|---|---|\n";
  for (const auto& m : j["manifest"]["entries"]) {
    md += "| " + m["name"].get<std::string>() + " | `" + m["sha256"].get<std::string>() + "` | " +
          std::to_string(m["bytes"].get<size_t>()) + " |\n";
  }
  return md;
}

// One small line chart per signal; the event is the shaded band.
std::string SvgChart(const Signal& s, const store::Event& e, int64_t window_until) {
  const double width = 720, height = 160, left = 56, right = 8, top = 10, bottom = 24;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& v : s.values) {
    if (!v) continue;
    lo = std::min(lo, *v);
    hi = std::max(hi, *v);
  }
  if (!(lo <= hi)) return "";
  lo = std::min(lo, 0.0);
  if (hi == lo) hi = lo + 1;
  int64_t until = s.from + static_cast<int64_t>(s.values.size()) * s.step;
  auto x = [&](int64_t t) {
    return left + (width - left - right) * double(t - s.from) / double(std::max<int64_t>(until - s.from, 1));
  };
  auto y = [&](double v) { return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo)); };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Number(width) + "\" height=\"" +
                    Number(height) + "\" role=\"img\" aria-label=\"" + MarkupEscape(s.datasource) +
                    " around the event\">";
  int64_t end = e.end_t ? e.end_t : window_until;
  svg += "<rect x=\"" + Number(x(std::max(e.start_t, s.from))) + "\" y=\"" + Number(top) + "\" width=\"" +
         Number(std::max(1.0, x(std::min(end, until)) - x(std::max(e.start_t, s.from)))) + "\" height=\"" +
         Number(height - top - bottom) + "\" fill=\"#d55e00\" fill-opacity=\"0.18\"><title>event</title></rect>";
  std::string path;
  bool pen_down = false;
  for (size_t i = 0; i < s.values.size(); ++i) {
    if (!s.values[i]) {
      pen_down = false;  // gaps stay gaps: missing is not zero
      continue;
    }
    double px = x(s.from + static_cast<int64_t>(i) * s.step + s.step / 2);
    path += (pen_down ? "L" : "M") + Number(px) + " " + Number(y(*s.values[i])) + " ";
    pen_down = true;
  }
  svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#0072b2\" stroke-width=\"1.5\"/>";
  svg += "<line x1=\"" + Number(left) + "\" y1=\"" + Number(height - bottom) + "\" x2=\"" + Number(width - right) +
         "\" y2=\"" + Number(height - bottom) + "\" stroke=\"#555\"/>";
  svg += "<text x=\"2\" y=\"" + Number(top + 10) + "\" font-size=\"11\">" + Number(hi) + "</text>";
  svg += "<text x=\"2\" y=\"" + Number(height - bottom) + "\" font-size=\"11\">" + Number(lo) + "</text>";
  svg += "<text x=\"" + Number(left) + "\" y=\"" + Number(height - 6) + "\" font-size=\"11\">" + FormatRfc3339(s.from) +
         "</text>";
  svg += "<text x=\"" + Number(width - right) + "\" y=\"" + Number(height - 6) +
         "\" font-size=\"11\" text-anchor=\"end\">" + FormatRfc3339(until) + "</text></svg>";
  return svg;
}

std::string Html(const Bundle& b) {
  const Json& j = b.json;
  const store::Event& e = b.event;
  std::string name = b.entity ? (b.entity->name.empty() ? b.entity->code : b.entity->name) : "unknown";
  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vigil evidence report: event " +
      std::to_string(e.id) +
      "</title><style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:1rem auto;"
      "padding:0 1rem;color:#111}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid "
      "#bbb;padding:.2rem .5rem;"
      "text-align:left;vertical-align:top}code,pre{font-size:12px}pre{background:#f4f4f4;padding:.5rem;overflow:auto}"
      "figure{margin:.5rem 0}</style></head><body>";
  h += "<h1>Evidence report: event " + std::to_string(e.id) + " — " + MarkupEscape(name) + "</h1>";
  h += "<table><tbody>";
  auto row = [&](const std::string& k, const std::string& v) {
    h += "<tr><th>" + k + "</th><td>" + MarkupEscape(v) + "</td></tr>";
  };
  row("location", j["event"]["location"].get<std::string>());
  row("kind", e.kind);
  row("start (UTC)", FormatRfc3339(e.start_t));
  row("end (UTC)", e.end_t ? FormatRfc3339(e.end_t) : "ongoing");
  row("classification", e.classification);
  row("datasources", e.datasources);
  row("score", Number(e.score));
  row("depth", Number(e.depth));
  if (!j["schedule"].is_null()) row("schedule", j["schedule"].dump());
  h += "</tbody></table>";
  h += "<h2>Signals</h2><p>Window " + FormatRfc3339(b.window_from) + " – " + FormatRfc3339(b.window_until) +
       " (UTC). The shaded band is the event.</p>";
  for (const auto& s : b.signals) {
    h += "<figure><figcaption>" + MarkupEscape(s.datasource) + " (step " + std::to_string(s.step) + " s)</figcaption>" +
         SvgChart(s, e, b.window_until) + "</figure>";
  }
  h += "<h2>Method</h2><p>" + MarkupEscape(kMethod) + "</p><pre>" + MarkupEscape(j["method"]["detail"].dump(2)) +
       "</pre>";
  h += "<h2>Coverage</h2><pre>" + MarkupEscape(j["coverage"].dump(2)) + "</pre>";
  h += "<h2>Alerts</h2><table><thead><tr><th>time "
       "(UTC)</th><th>datasource</th><th>level</th><th>condition</th><th>value</th>"
       "<th>baseline</th></tr></thead><tbody>";
  for (const auto& a : j["alerts"]) {
    h += "<tr><td>" + FormatRfc3339(a["time"].get<int64_t>()) + "</td><td>" +
         MarkupEscape(a["datasource"].get<std::string>()) + "</td><td>" + MarkupEscape(a["level"].get<std::string>()) +
         "</td><td>" + MarkupEscape(a["condition"].get<std::string>()) + "</td><td>" +
         Number(a["value"].get<double>()) + "</td><td>" + Number(a["historyValue"].get<double>()) + "</td></tr>";
  }
  h += "</tbody></table><h2>Annotations</h2><ul>";
  for (const auto& a : j["annotations"]) {
    std::string url = a["source_url"].get<std::string>();
    bool linkable = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
    h += "<li>" + MarkupEscape(a["kind"].get<std::string>()) + " from " + FormatRfc3339(a["start"].get<int64_t>()) +
         ": " + MarkupEscape(a["text"].get<std::string>()) +
         (linkable ? " <a rel=\"noopener noreferrer\" href=\"" + MarkupEscape(url) + "\">source</a>" : "") + "</li>";
  }
  h += "</ul><h2>Input files</h2><table><thead><tr><th>name</th><th>sha256</th><th>kind</th></tr></thead><tbody>";
  for (const auto& in : j["inputs"]) {
    h += "<tr><td>" + MarkupEscape(in["name"].get<std::string>()) + "</td><td><code>" +
         in["sha256"].get<std::string>() + "</code></td><td>" + MarkupEscape(in["kind"].get<std::string>()) +
         "</td></tr>";
  }
  h += "</tbody></table><h2>Manifest (sha256)</h2><table><tbody>";
  for (const auto& m : j["manifest"]["entries"]) {
    h += "<tr><td>" + m["name"].get<std::string>() + "</td><td><code>" + m["sha256"].get<std::string>() +
         "</code></td></tr>";
  }
  h += "</tbody></table><p>Other formats: <a href=\"report.json\">JSON</a>, <a href=\"report.md\">Markdown</a>, "
       "<a href=\"report.csv\">CSV</a>.</p></body></html>";
  return h;
}

}  // namespace

HttpResponse HandleReport(Api::Impl& impl, const HttpRequest& request, int64_t id, const std::string& format) {
  (void)request;
  if (format != "html" && format != "md" && format != "json" && format != "csv") {
    return JsonResponse(400, Json{{"error", "report format must be html, md, json or csv"}});
  }
  Bundle b;
  Status built = BuildBundle(impl, id, b);
  if (!built.ok()) {
    return JsonResponse(built.IsNotFound() ? 404 : 500, Json{{"error", built.message()}});
  }
  HttpResponse response;
  if (format == "json") {
    response = TextResponse(200, "application/json", b.json.dump(2, ' ', false, Json::error_handler_t::replace));
  } else if (format == "csv") {
    response = TextResponse(200, "text/csv; charset=utf-8", b.signals_csv);
  } else if (format == "md") {
    response = TextResponse(200, "text/markdown; charset=utf-8", Markdown(b));
  } else {
    response = TextResponse(200, "text/html; charset=utf-8", Html(b));
  }
  response.headers.emplace_back("Content-Disposition",
                                "inline; filename=\"vigil-event-" + std::to_string(id) + "." + format + "\"");
  return response;
}

}  // namespace vigil::api
