// SPDX-License-Identifier: AGPL-3.0-or-later
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include "detect/detect.h"

namespace vigil::detect {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ValidEntity(std::string_view entity) {
  size_t slash = entity.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == entity.size()) return false;
  std::string_view type = entity.substr(0, slash);
  return type == "country" || type == "region" || type == "asn";
}

}  // namespace

Result<ImportedSeries> ParseSeriesCsv(const std::string& text, const std::string& name) {
  struct Row {
    UnixSeconds t;
    size_t order;
    double value;
  };
  std::map<std::string, std::vector<Row>> rows;
  std::map<std::string, UnixSeconds> previous;
  ImportedSeries out;
  size_t line_no = 0, begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    ++line_no;
    if (Trim(line).empty() || Trim(line).front() == '#') continue;
    std::string_view fields[3];
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == ',') {
        if (count < 3) fields[count] = Trim(line.substr(start, i - start));
        ++count;
        start = i + 1;
      }
    }
    auto where = [&] { return name + ":" + std::to_string(line_no) + ": "; };
    if (count != 3)
      return Status::InvalidArgument(where() + "expected 3 columns (entity,time,value), got " + std::to_string(count));
    if (line_no == 1 && fields[0] == "entity") continue;  // header
    if (!ValidEntity(fields[0])) {
      return Status::InvalidArgument(where() + "bad entity '" + std::string(fields[0]) +
                                     "': expected country/CC, region/CC-XXX or asn/N");
    }
    Result<UnixSeconds> t = ParseTime(fields[1]);
    if (!t.ok()) return Status::InvalidArgument(where() + t.message());
    if (fields[2].empty()) continue;  // missing bin
    double value = 0;
    auto [ptr, ec] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), value);
    if (ec != std::errc() || ptr != fields[2].data() + fields[2].size() || !std::isfinite(value)) {
      return Status::InvalidArgument(where() + "bad value '" + std::string(fields[2]) + "'");
    }
    std::string entity(fields[0]);
    auto prev = previous.find(entity);
    if (prev != previous.end() && *t < prev->second) ++out.out_of_order;
    previous[entity] = *t;
    rows[entity].push_back(Row{*t, out.rows, value});
    ++out.rows;
  }
  if (out.rows == 0) return Status::InvalidArgument(name + ": no data rows");

  // Step: the most common gap between consecutive distinct times of an entity (robust to a few gaps).
  std::map<int64_t, size_t> gaps;
  for (auto& [entity, list] : rows) {
    std::stable_sort(list.begin(), list.end(), [](const Row& a, const Row& b) { return a.t < b.t; });
    for (size_t i = 1; i < list.size(); ++i) {
      if (list[i].t > list[i - 1].t) ++gaps[list[i].t - list[i - 1].t];
    }
  }
  out.step_s = 0;
  size_t best = 0;
  for (auto& [gap, n] : gaps) {
    if (n > best) {
      best = n;
      out.step_s = gap;
    }
  }
  if (out.step_s == 0) out.step_s = 300;  // one row per entity: nothing to infer from; the pipeline's bin

  for (auto& [entity, list] : rows) {
    auto& points = out.points[entity];
    for (const Row& row : list) {
      UnixSeconds bin = BinStart(row.t, out.step_s);
      if (bin != row.t) ++out.realigned;
      if (!points.empty() && points.back().first == bin) {
        ++out.duplicates;
        points.back().second = row.value;  // stable sort kept file order: the last row wins
      } else {
        points.emplace_back(bin, row.value);
      }
    }
  }
  return out;
}

}  // namespace vigil::detect
