// SPDX-License-Identifier: AGPL-3.0-or-later
#include "sim/scenario.h"

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/time_zone.h"

namespace vigil::sim {
namespace {

using Json = nlohmann::json;

// Collects the first error; every reader below is a no-op once one happened, so parsing code reads
// straight through without checking after each field.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}
  bool failed() const { return !error_.empty(); }
  Status status() const { return failed() ? Status::InvalidArgument(source_ + ": " + error_) : Status::Ok(); }
  void Fail(const std::string& path, const std::string& what) {
    if (!failed()) error_ = (path.empty() ? std::string("(top level)") : path) + ": " + what;
  }

  // True when `value` is an object whose keys are all in `allowed` (or start with "x-").
  bool Object(const Json& value, const std::string& path, std::initializer_list<const char*> allowed) {
    if (failed()) return false;
    if (!value.is_object()) {
      Fail(path, "expected an object");
      return false;
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.key().rfind("x-", 0) == 0) continue;
      bool known = false;
      for (const char* name : allowed) known = known || it.key() == name;
      if (!known) {
        Fail(Join(path, it.key()), "unknown field (extensions must start with \"x-\")");
        return false;
      }
    }
    return true;
  }

  const Json* Field(const Json& object, const std::string& path, const char* key, bool required) {
    if (failed()) return nullptr;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      if (required) Fail(Join(path, key), "missing required field");
      return nullptr;
    }
    return &*it;
  }

  std::string String(const Json& object, const std::string& path, const char* key, bool required,
                     const std::string& fallback = "") {
    const Json* value = Field(object, path, key, required);
    if (!value) return fallback;
    if (!value->is_string()) {
      Fail(Join(path, key), "expected a string");
      return fallback;
    }
    return value->get<std::string>();
  }

  double Number(const Json& object, const std::string& path, const char* key, bool required, double fallback, double lo,
                double hi) {
    const Json* value = Field(object, path, key, required);
    if (!value) return fallback;
    if (!value->is_number()) {
      Fail(Join(path, key), "expected a number");
      return fallback;
    }
    double number = value->get<double>();
    if (!(number >= lo && number <= hi)) {
      std::ostringstream text;
      text << "value " << number << " outside [" << lo << ", " << hi << "]";
      Fail(Join(path, key), text.str());
      return fallback;
    }
    return number;
  }

  int64_t Integer(const Json& object, const std::string& path, const char* key, bool required, int64_t fallback,
                  int64_t lo, int64_t hi) {
    const Json* value = Field(object, path, key, required);
    if (!value) return fallback;
    if (!value->is_number_integer()) {
      Fail(Join(path, key), "expected an integer");
      return fallback;
    }
    if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Fail(Join(path, key), "integer too large");
      return fallback;
    }
    int64_t number = value->get<int64_t>();
    if (number < lo || number > hi) {
      Fail(Join(path, key),
           "value " + std::to_string(number) + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      return fallback;
    }
    return number;
  }

  UnixSeconds Time(const Json& object, const std::string& path, const char* key, bool required) {
    std::string text = String(object, path, key, required);
    if (failed() || text.empty()) return 0;
    auto t = ParseTime(text);
    if (!t.ok()) {
      Fail(Join(path, key), t.message());
      return 0;
    }
    return *t;
  }

  const Json* Array(const Json& object, const std::string& path, const char* key, bool required) {
    const Json* value = Field(object, path, key, required);
    if (value && !value->is_array()) {
      Fail(Join(path, key), "expected an array");
      return nullptr;
    }
    return value;
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string Index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

 private:
  std::string source_;
  std::string error_;
};

bool ParseClock(const std::string& text, int& minutes) {
  if (text.size() != 5 || text[2] != ':') return false;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  int hour = (text[0] - '0') * 10 + (text[1] - '0');
  int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (hour > 23 || minute > 59) return false;
  minutes = hour * 60 + minute;
  return true;
}

bool ParseEntity(const std::string& text, EntityRef& out) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  out.type = text.substr(0, slash);
  out.code = text.substr(slash + 1);
  if (out.code.empty()) return false;
  return out.type == "country" || out.type == "region" || out.type == "asn";
}

void ParseGaps(Reader& r, const Json& noise, const char* key, bool with_collector, std::vector<GapSpec>& out) {
  const Json* gaps = r.Array(noise, "noise", key, false);
  if (!gaps) return;
  for (size_t i = 0; i < gaps->size() && !r.failed(); ++i) {
    std::string path = Reader::Index(std::string("noise.") + key, i);
    const Json& g = (*gaps)[i];
    if (with_collector ? !r.Object(g, path, {"collector", "start", "end"}) : !r.Object(g, path, {"start", "end"})) {
      return;
    }
    GapSpec gap;
    if (with_collector) gap.collector = r.String(g, path, "collector", true);
    gap.start = r.Time(g, path, "start", true);
    gap.end = r.Time(g, path, "end", true);
    if (!r.failed() && gap.end <= gap.start) r.Fail(path, "end must be after start");
    out.push_back(gap);
  }
}

// Names the sections read so far declare, for the references of the sections after them.
struct DeclaredNames {
  std::set<std::string> countries, regions, collectors;
  std::set<uint32_t> asns;
};

// Calls parse(element, path) for each element of the array `key` of `object`, until an error.
template <typename Parse>
void ForEachElement(Reader& r, const Json& object, const std::string& path, const char* key, bool required,
                    Parse parse) {
  const Json* list = r.Array(object, path, key, required);
  if (!list) return;
  const std::string list_path = Reader::Join(path, key);
  for (size_t i = 0; i < list->size() && !r.failed(); ++i) parse((*list)[i], Reader::Index(list_path, i));
}

// name, description, start, end, seed, edge_jitter_s.
void ParseHeader(Reader& r, const Json& root, Scenario& s) {
  s.name = r.String(root, "", "name", true);
  s.description = r.String(root, "", "description", false);
  s.start = r.Time(root, "", "start", true);
  s.end = r.Time(root, "", "end", true);
  if (!r.failed() && s.end <= s.start) r.Fail("end", "must be after start");
  if (!r.failed() && s.end - s.start > 62 * 86400) r.Fail("end", "scenarios may span at most 62 days");
  if (const Json* seed = r.Field(root, "", "seed", false)) {
    if (!seed->is_number_unsigned() && !(seed->is_number_integer() && seed->get<int64_t>() >= 0)) {
      r.Fail("seed", "expected a non-negative integer");
    } else {
      s.seed = seed->get<uint64_t>();
    }
  }
  s.edge_jitter_s = r.Integer(root, "", "edge_jitter_s", false, 0, 0, 3600);
  if (!r.failed() && (s.name.empty() || s.name.find('/') != std::string::npos)) {
    r.Fail("name", "must be non-empty and contain no '/'");
  }
}

CountrySpec ParseCountry(Reader& r, const Json& c, const std::string& path, DeclaredNames& names) {
  CountrySpec country;
  if (!r.Object(c, path, {"code", "tz", "name"})) return country;
  country.code = r.String(c, path, "code", true);
  country.tz = r.String(c, path, "tz", true);
  country.name = r.String(c, path, "name", false, country.code);
  if (r.failed()) return country;
  if (country.code.size() != 2 || !std::isupper(static_cast<unsigned char>(country.code[0])) ||
      !std::isupper(static_cast<unsigned char>(country.code[1]))) {
    r.Fail(path + ".code", "expected an ISO 3166-1 alpha-2 code like \"KZ\"");
  } else if (!names.countries.insert(country.code).second) {
    r.Fail(path + ".code", "duplicate country " + country.code);
  } else if (auto tz = TimeZone::Load(country.tz); !tz.ok()) {
    r.Fail(path + ".tz", tz.message());
  }
  return country;
}

// A region without a time zone has its country's.
RegionSpec ParseRegion(Reader& r, const Json& g, const std::string& path, const std::vector<CountrySpec>& countries,
                       DeclaredNames& names) {
  RegionSpec region;
  if (!r.Object(g, path, {"code", "country", "slash24s", "name", "tz", "lat", "lon", "slash48s"})) return region;
  region.code = r.String(g, path, "code", true);
  region.country = r.String(g, path, "country", true);
  region.slash24s = r.Integer(g, path, "slash24s", true, 0, 1, 1 << 20);
  region.name = r.String(g, path, "name", false, region.code);
  region.tz = r.String(g, path, "tz", false);
  region.lat = r.Number(g, path, "lat", false, 0, -90, 90);
  region.lon = r.Number(g, path, "lon", false, 0, -180, 180);
  region.slash48s = r.Integer(g, path, "slash48s", false, 0, 0, 1 << 24);
  if (r.failed()) return region;
  if (!names.countries.count(region.country)) {
    r.Fail(path + ".country", "unknown country '" + region.country + "' (not in countries)");
  } else if (region.code.rfind(region.country + "-", 0) != 0 || region.code.size() < 4) {
    r.Fail(path + ".code", "expected an ISO 3166-2 code starting with \"" + region.country + "-\"");
  } else if (!names.regions.insert(region.code).second) {
    r.Fail(path + ".code", "duplicate region " + region.code);
  } else if (!region.tz.empty()) {
    if (auto tz = TimeZone::Load(region.tz); !tz.ok()) r.Fail(path + ".tz", tz.message());
  }
  if (region.tz.empty()) {
    for (const auto& c : countries) {
      if (c.code == region.country) region.tz = c.tz;
    }
  }
  return region;
}

// An ASN's {region code: share of the region's /24s}; `share_sum` adds up each region's shares over the ASNs.
void ParseAsnRegions(Reader& r, const Json& a, const std::string& path, const DeclaredNames& names,
                     std::map<std::string, double>& share_sum, AsnSpec& asn) {
  const Json* regions = r.Field(a, path, "regions", true);
  if (!regions) return;
  if (!regions->is_object()) r.Fail(path + ".regions", "expected an object {region code: share}");
  for (auto it = regions->begin(); !r.failed() && regions->is_object() && it != regions->end(); ++it) {
    std::string rpath = path + ".regions." + it.key();
    if (!names.regions.count(it.key())) {
      r.Fail(rpath, "unknown region (not in regions)");
    } else if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1) {
      r.Fail(rpath, "expected a share between 0 and 1");
    } else {
      asn.regions.emplace_back(it.key(), it->get<double>());
      share_sum[it.key()] += it->get<double>();
      if (share_sum[it.key()] > 1.0 + 1e-9) r.Fail(rpath, "shares of region " + it.key() + " sum above 1");
    }
  }
}

void ParseUpstreams(Reader& r, const Json& a, const std::string& path, AsnSpec& asn) {
  const Json* ups = r.Array(a, path, "upstreams", false);
  if (!ups) return;
  for (size_t k = 0; k < ups->size() && !r.failed(); ++k) {
    const Json& u = (*ups)[k];
    if (!u.is_number_unsigned() || u.get<uint64_t>() == 0 || u.get<uint64_t>() > 4294967294ULL) {
      r.Fail(Reader::Index(path + ".upstreams", k), "expected an AS number");
    } else {
      asn.upstreams.push_back(static_cast<uint32_t>(u.get<uint64_t>()));
    }
  }
}

AsnSpec ParseAsn(Reader& r, const Json& a, const std::string& path, std::map<std::string, double>& share_sum,
                 DeclaredNames& names) {
  AsnSpec asn;
  if (!r.Object(a, path, {"asn", "name", "country", "regions", "upstreams"})) return asn;
  asn.asn = static_cast<uint32_t>(r.Integer(a, path, "asn", true, 0, 1, 4294967294LL));
  asn.name = r.String(a, path, "name", true);
  asn.country = r.String(a, path, "country", true);
  if (!r.failed() && !names.countries.count(asn.country)) {
    r.Fail(path + ".country", "unknown country '" + asn.country + "'");
  }
  if (!r.failed() && !names.asns.insert(asn.asn).second) {
    r.Fail(path + ".asn", "duplicate ASN " + std::to_string(asn.asn));
  }
  ParseAsnRegions(r, a, path, names, share_sum, asn);
  ParseUpstreams(r, a, path, asn);
  return asn;
}

CollectorSpec ParseCollector(Reader& r, const Json& c, const std::string& path, DeclaredNames& names) {
  CollectorSpec collector;
  if (!r.Object(c, path, {"name", "peers", "full_feed_peers"})) return collector;
  collector.name = r.String(c, path, "name", true);
  collector.peers = static_cast<int>(r.Integer(c, path, "peers", true, 0, 1, 500));
  collector.full_feed_peers = static_cast<int>(r.Integer(c, path, "full_feed_peers", false, collector.peers, 0, 500));
  if (r.failed()) return collector;
  if (collector.full_feed_peers > collector.peers) r.Fail(path + ".full_feed_peers", "more than peers");
  bool name_ok = !collector.name.empty();
  for (char ch : collector.name)
    name_ok = name_ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.');
  if (!name_ok || collector.name[0] == '.') r.Fail(path + ".name", "use letters, digits, '-', '_', '.'");
  if (!names.collectors.insert(collector.name).second) r.Fail(path + ".name", "duplicate collector");
  return collector;
}

void ParseProbing(Reader& r, const Json& root, Scenario& s) {
  const Json* probing = r.Field(root, "", "probing", false);
  if (!probing || !r.Object(*probing, "probing", {"round_s", "blocks_fraction"})) return;
  s.round_s = r.Integer(*probing, "probing", "round_s", false, 600, 60, 86400);
  s.blocks_fraction = r.Number(*probing, "probing", "blocks_fraction", false, 0.3, 0, 1);
  if (!r.failed() && 86400 % s.round_s != 0) r.Fail("probing.round_s", "must divide a day");
}

// `text` ("country/CC", "region/CC-XXX", "asn/N") names an entity the scenario declares.
void ParseEntityReference(Reader& r, const std::string& path, const std::string& text, const std::string& expected,
                          const DeclaredNames& names, EntityRef& e) {
  if (!ParseEntity(text, e)) {
    r.Fail(path, expected);
    return;
  }
  if (e.type == "country" && !names.countries.count(e.code)) r.Fail(path, "unknown country '" + e.code + "'");
  if (e.type == "region" && !names.regions.count(e.code)) r.Fail(path, "unknown region '" + e.code + "'");
  if (e.type == "asn") {
    char* end = nullptr;
    unsigned long long n = std::strtoull(e.code.c_str(), &end, 10);
    if (*end || !names.asns.count(static_cast<uint32_t>(n))) r.Fail(path, "unknown ASN '" + e.code + "'");
  }
}

void ParseEventFamily(Reader& r, const std::string& path, const std::string& family, EventSpec& ev) {
  if (family == "ipv4") {
    ev.family = RouteFamily::kIpv4;
  } else if (family == "ipv6") {
    ev.family = RouteFamily::kIpv6;
  } else if (family != "both") {
    r.Fail(path + ".family", "must be ipv4, ipv6 or both, not '" + family + "'");
  }
}

void ParseEventKind(Reader& r, const std::string& path, const std::string& kind, EventSpec& ev) {
  if (kind == "withdraw")
    ev.kind = EventKind::kWithdraw;
  else if (kind == "block")
    ev.kind = EventKind::kBlock;
  else if (kind == "throttle")
    ev.kind = EventKind::kThrottle;
  else
    r.Fail(path + ".kind", "expected withdraw, block or throttle, got '" + kind + "'");
}

// A daily event: its on-window ("daily") and the local days it repeats on.
void ParseDailySchedule(Reader& r, const Json& e, const std::string& path, EventSpec& ev) {
  if (e.contains("start") || e.contains("end")) r.Fail(path, "a daily event has first_day/last_day, not start/end");
  const Json& d = e["daily"];
  std::string dpath = path + ".daily";
  if (r.Object(d, dpath, {"on_from", "on_to", "tz"})) {
    DailyWindow w;
    w.on_from = r.String(d, dpath, "on_from", true);
    w.on_to = r.String(d, dpath, "on_to", true);
    w.tz = r.String(d, dpath, "tz", true);
    if (!r.failed() && !ParseClock(w.on_from, w.on_from_min)) r.Fail(dpath + ".on_from", "expected HH:MM");
    if (!r.failed() && !ParseClock(w.on_to, w.on_to_min)) r.Fail(dpath + ".on_to", "expected HH:MM");
    if (!r.failed() && w.on_from_min == w.on_to_min) r.Fail(dpath, "on_from equals on_to");
    if (!r.failed()) {
      if (auto tz = TimeZone::Load(w.tz); !tz.ok()) r.Fail(dpath + ".tz", tz.message());
    }
    ev.daily = w;
  }
  ev.first_day = r.String(e, path, "first_day", true);
  ev.last_day = r.String(e, path, "last_day", true);
  if (r.failed()) return;
  auto first = ParseDay(ev.first_day);
  auto last = ParseDay(ev.last_day);
  if (!first.ok())
    r.Fail(path + ".first_day", first.message());
  else if (!last.ok())
    r.Fail(path + ".last_day", last.message());
  else if (*last < *first)
    r.Fail(path + ".last_day", "before first_day");
}

void ParseOneOffSpan(Reader& r, const Json& e, const std::string& path, EventSpec& ev) {
  if (e.contains("first_day") || e.contains("last_day")) r.Fail(path, "first_day/last_day need \"daily\"");
  ev.start = r.Time(e, path, "start", true);
  ev.end = r.Time(e, path, "end", true);
  if (!r.failed() && ev.end <= ev.start) r.Fail(path + ".end", "must be after start");
}

// rtt_ms, loss and ramp_s: throttle events need rtt_ms or loss, and the other kinds take none of the three.
void ParseThrottle(Reader& r, const Json& e, const std::string& path, EventSpec& ev) {
  ev.rtt_ms = r.Number(e, path, "rtt_ms", false, 0, 0, 60000);
  ev.loss = r.Number(e, path, "loss", false, 0, 0, 1);
  ev.ramp_s = r.Integer(e, path, "ramp_s", false, 0, 0, 7 * 86400);
  if (!r.failed() && ev.kind != EventKind::kThrottle && e.contains("ramp_s")) {
    r.Fail(path + ".ramp_s", "ramps belong to throttle events");
  }
  if (!r.failed() && ev.kind == EventKind::kThrottle && ev.rtt_ms == 0 && ev.loss == 0) {
    r.Fail(path, "a throttle needs rtt_ms or loss");
  }
  if (!r.failed() && ev.kind != EventKind::kThrottle && (e.contains("rtt_ms") || e.contains("loss"))) {
    r.Fail(path, "rtt_ms and loss belong to throttle events");
  }
}

EventSpec ParseEvent(Reader& r, const Json& e, const std::string& path, const DeclaredNames& names,
                     std::set<std::string>& event_ids) {
  EventSpec ev;
  if (!r.Object(e, path,
                {"id", "kind", "entity", "fraction", "start", "end", "daily", "first_day", "last_day", "rtt_ms", "loss",
                 "family", "ramp_s"})) {
    return ev;
  }
  ev.id = r.String(e, path, "id", true);
  std::string kind = r.String(e, path, "kind", true);
  std::string entity = r.String(e, path, "entity", true);
  ev.fraction = r.Number(e, path, "fraction", false, 1.0, 0, 1);
  std::string family = r.String(e, path, "family", false, "both");
  if (r.failed()) return ev;
  ParseEventFamily(r, path, family, ev);
  if (ev.id.empty() || ev.id.find_first_of("@#/ ") != std::string::npos) {
    r.Fail(path + ".id", "must be non-empty without '@', '#', '/' or spaces");
  } else if (!event_ids.insert(ev.id).second) {
    r.Fail(path + ".id", "duplicate event id " + ev.id);
  }
  ParseEventKind(r, path, kind, ev);
  ParseEntityReference(r, path + ".entity", entity, "expected country/CC, region/CC-XXX or asn/N, got '" + entity + "'",
                       names, ev.entity);
  if (e.contains("daily")) {
    ParseDailySchedule(r, e, path, ev);
  } else {
    ParseOneOffSpan(r, e, path, ev);
  }
  ParseThrottle(r, e, path, ev);
  return ev;
}

PeerResetSpec ParsePeerReset(Reader& r, const Json& p, const std::string& path,
                             const std::vector<CollectorSpec>& collectors) {
  PeerResetSpec reset;
  if (!r.Object(p, path, {"collector", "peer", "at"})) return reset;
  reset.collector = r.String(p, path, "collector", true);
  reset.peer = static_cast<int>(r.Integer(p, path, "peer", true, 0, 0, 499));
  reset.at = r.Time(p, path, "at", true);
  if (r.failed()) return reset;
  bool found = false;
  for (const auto& c : collectors) {
    if (c.name == reset.collector) {
      found = true;
      if (reset.peer >= c.peers)
        r.Fail(path + ".peer", "collector " + c.name + " has " + std::to_string(c.peers) + " peers (0-based index)");
    }
  }
  if (!found) r.Fail(path + ".collector", "unknown collector '" + reset.collector + "'");
  return reset;
}

void ParseNoise(Reader& r, const Json& root, const DeclaredNames& names, Scenario& s) {
  const Json* noise = r.Field(root, "", "noise", false);
  if (!noise ||
      !r.Object(*noise, "noise",
                {"flaps_per_hour", "collector_gaps", "peer_resets", "probe_loss", "probe_gaps", "profile", "scale"})) {
    return;
  }
  s.noise.profile = r.String(*noise, "noise", "profile", false);
  if (!r.failed() && !s.noise.profile.empty() && s.noise.profile != "calibrated") {
    r.Fail("noise.profile", "expected \"calibrated\", got '" + s.noise.profile + "'");
  }
  s.noise.scale = r.Number(*noise, "noise", "scale", false, 1.0, 0, 16);
  s.noise.flaps_per_hour = r.Number(*noise, "noise", "flaps_per_hour", false, 0, 0, 100000);
  s.noise.probe_loss = r.Number(*noise, "noise", "probe_loss", false, 0, 0, 0.9);
  ParseGaps(r, *noise, "collector_gaps", true, s.noise.collector_gaps);
  for (size_t i = 0; i < s.noise.collector_gaps.size() && !r.failed(); ++i) {
    if (!names.collectors.count(s.noise.collector_gaps[i].collector)) {
      r.Fail(Reader::Index("noise.collector_gaps", i) + ".collector",
             "unknown collector '" + s.noise.collector_gaps[i].collector + "'");
    }
  }
  ParseGaps(r, *noise, "probe_gaps", false, s.noise.probe_gaps);
  ForEachElement(r, *noise, "noise", "peer_resets", false, [&](const Json& p, const std::string& path) {
    s.noise.peer_resets.push_back(ParsePeerReset(r, p, path, s.collectors));
  });
}

AnnotationSpec ParseAnnotation(Reader& r, const Json& a, const std::string& path, const DeclaredNames& names) {
  AnnotationSpec note;
  if (!r.Object(a, path, {"entity", "kind", "start", "end", "text", "source_url"})) return note;
  std::string entity = r.String(a, path, "entity", true);
  note.kind = r.String(a, path, "kind", true);
  note.start = r.Time(a, path, "start", true);
  note.end = r.Time(a, path, "end", true);
  note.text = r.String(a, path, "text", false);
  note.source_url = r.String(a, path, "source_url", false);
  if (r.failed()) return note;
  ParseEntityReference(r, path + ".entity", entity, "expected country/CC, region/CC-XXX or asn/N", names, note.entity);
  if (!r.failed() && note.end <= note.start) r.Fail(path + ".end", "must be after start");
  return note;
}

}  // namespace

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kWithdraw:
      return "withdraw";
    case EventKind::kBlock:
      return "block";
    case EventKind::kThrottle:
      return "throttle";
  }
  return "?";
}

// Sections are read in order: each may refer only to names the sections before it declared.
Result<Scenario> ParseScenario(const std::string& json_text, const std::string& source) {
  Json root = Json::parse(json_text, nullptr, false);
  if (root.is_discarded()) return Status::InvalidArgument(source + ": not valid JSON");
  Reader r(source);
  Scenario s;
  r.Object(root, "",
           {"name", "description", "start", "end", "seed", "countries", "regions", "asns", "collectors", "probing",
            "events", "noise", "annotations", "edge_jitter_s"});
  ParseHeader(r, root, s);
  DeclaredNames names;
  ForEachElement(r, root, "", "countries", true, [&](const Json& c, const std::string& path) {
    s.countries.push_back(ParseCountry(r, c, path, names));
  });
  if (!r.failed() && s.countries.empty()) r.Fail("countries", "at least one country is needed");
  ForEachElement(r, root, "", "regions", true, [&](const Json& g, const std::string& path) {
    s.regions.push_back(ParseRegion(r, g, path, s.countries, names));
  });
  if (!r.failed() && s.regions.empty()) r.Fail("regions", "at least one region is needed");
  std::map<std::string, double> share_sum;  // per region, over the ASNs
  ForEachElement(r, root, "", "asns", true, [&](const Json& a, const std::string& path) {
    s.asns.push_back(ParseAsn(r, a, path, share_sum, names));
  });
  ForEachElement(r, root, "", "collectors", true, [&](const Json& c, const std::string& path) {
    s.collectors.push_back(ParseCollector(r, c, path, names));
  });
  if (!r.failed() && s.collectors.empty()) r.Fail("collectors", "at least one collector is needed");
  ParseProbing(r, root, s);
  std::set<std::string> event_ids;
  ForEachElement(r, root, "", "events", false, [&](const Json& e, const std::string& path) {
    s.events.push_back(ParseEvent(r, e, path, names, event_ids));
  });
  ParseNoise(r, root, names, s);
  ForEachElement(r, root, "", "annotations", false, [&](const Json& a, const std::string& path) {
    s.annotations.push_back(ParseAnnotation(r, a, path, names));
  });
  if (r.failed()) return r.status();
  return s;
}

Result<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return ParseScenario(buffer.str(), path);
}

}  // namespace vigil::sim
