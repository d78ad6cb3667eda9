// SPDX-License-Identifier: AGPL-3.0-or-later
// Routing, the IODA envelope, parameters, CORS and security headers, static files.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "api/internal.h"
#include "base/sha256.h"
#include "base/time_format.h"

namespace vigil::api {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::string RequestHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(),
                                                [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return "";
}

namespace {

const char* ContentTypeFor(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".geojson", "application/geo+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    std::string_view e(ext);
    if (path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return type;
  }
  return "application/octet-stream";
}

// Packages of node_modules the dashboard may load; everything else there stays private.
const char* const kVendorPackages[] = {"uplot", "d3-array", "d3-geo", "topojson-client", "world-atlas", "htm"};

constexpr const char* kDashboardCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// Resolves `relative` under `root`, refusing anything that leaves it (.., symlinks out, NUL, backslash).
std::optional<std::filesystem::path> SafeJoin(const std::string& root, const std::string& relative) {
  if (root.empty() || relative.find('\0') != std::string::npos || relative.find('\\') != std::string::npos) {
    return std::nullopt;
  }
  for (const auto& part : SplitPath(relative)) {
    if (part == ".." || part == "." || part[0] == '.') return std::nullopt;  // no dotfiles either
  }
  std::error_code ec;
  auto base = std::filesystem::canonical(root, ec);
  if (ec) return std::nullopt;
  auto full = std::filesystem::weakly_canonical(base / std::filesystem::path(relative).relative_path(), ec);
  if (ec) return std::nullopt;
  auto base_text = base.string() + "/";
  if (full.string().compare(0, base_text.size(), base_text) != 0) return std::nullopt;
  if (!std::filesystem::is_regular_file(full, ec)) return std::nullopt;
  return full;
}

HttpResponse NotFound(const std::string& path) {
  Json body = {{"error", "not found: " + path}};
  return JsonResponse(404, body);
}

}  // namespace

// ----- Params -------------------------------------------------------------------------------------------

Params::Params(const HttpRequest& request) : request_(request) {}

std::optional<std::string> Params::Raw(const std::string& name) const {
  std::optional<std::string> value;
  for (const auto& [key, v] : request_.params) {
    if (key != name && key != name + "[]") continue;
    if (value) {
      *value += "," + v;  // repeated parameters act like a comma list
    } else {
      value = v;
    }
  }
  return value;
}

bool Params::Has(const std::string& name) const { return Raw(name).has_value(); }

std::optional<std::string> Params::String(const std::string& name, std::optional<std::string> fallback) {
  auto value = Raw(name);
  if (!value || value->empty()) value = fallback;
  if (value && value->size() > 1024) {
    Fail(name + " is longer than 1024 characters");
    value.reset();
  }
  echo_[name] = value ? Json(*value) : Json(nullptr);
  return value;
}

std::optional<int64_t> Params::Time(const std::string& name, bool required) {
  auto value = Raw(name);
  if (!value || value->empty()) {
    echo_[name] = nullptr;
    if (required) Fail("Missing required request parameter '" + name + "'");
    return std::nullopt;
  }
  auto parsed = ParseTime(*value);
  if (!parsed.ok()) {
    echo_[name] = *value;
    Fail("invalid " + name + " '" + *value + "': expected Unix seconds or RFC 3339");
    return std::nullopt;
  }
  echo_[name] = *parsed;
  return *parsed;
}

std::optional<int64_t> Params::Int(const std::string& name, std::optional<int64_t> fallback, int64_t min_value,
                                   int64_t max_value) {
  auto value = Raw(name);
  // The IODA dashboard sends `maxPoints=null` when it has no width yet: IODA reads it as absent.
  if (!value || value->empty() || *value == "null") {
    echo_[name] = fallback ? Json(*fallback) : Json(nullptr);
    return fallback;
  }
  int64_t parsed = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (ec != std::errc() || ptr != value->data() + value->size()) {
    echo_[name] = *value;
    Fail("invalid " + name + " '" + *value + "': expected an integer");
    return std::nullopt;
  }
  echo_[name] = parsed;
  if (parsed < min_value || parsed > max_value) {
    Fail(name + " must be between " + std::to_string(min_value) + " and " + std::to_string(max_value));
    return std::nullopt;
  }
  return parsed;
}

bool Params::Bool(const std::string& name, bool fallback) {
  auto value = Raw(name);
  bool result = fallback;
  if (value) {
    if (value->empty() || *value == "true" || *value == "1" || *value == "yes" || *value == "on") {
      result = true;  // bare `&includeAlerts` counts as true, as in IODA
    } else if (*value == "false" || *value == "0" || *value == "no" || *value == "off") {
      result = false;
    } else {
      Fail("invalid " + name + " '" + *value + "': expected true or false");
    }
  }
  echo_[name] = result;
  return result;
}

std::vector<std::string> Params::List(const std::string& name, size_t max_items) {
  std::vector<std::string> items;
  auto value = Raw(name);
  if (value) {
    std::stringstream in(*value);
    std::string item;
    while (std::getline(in, item, ',')) {
      auto b = item.find_first_not_of(" \t");
      auto e = item.find_last_not_of(" \t");
      if (b == std::string::npos) continue;
      items.push_back(item.substr(b, e - b + 1));
    }
  }
  if (items.size() > max_items) {
    Fail(name + " lists more than " + std::to_string(max_items) + " items");
    items.resize(max_items);
  }
  Json echo = Json::array();
  for (const auto& item : items) echo.push_back(item);
  echo_[name] = value ? echo : Json(nullptr);
  return items;
}

// ----- shared helpers -----------------------------------------------------------------------------------

std::string IsoTime(int64_t t) {
  std::string text = FormatRfc3339(t);
  if (!text.empty() && text.back() == 'Z') text = text.substr(0, text.size() - 1) + "+00:00";
  return text;
}

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

int LevelRank(store::AlertLevel level) { return static_cast<int>(level); }

const char* RankName(int rank) { return store::AlertLevelName(static_cast<store::AlertLevel>(rank)); }

std::optional<store::Entity> Api::Impl::EntityById(int64_t id) {
  if (id == 0) return std::nullopt;
  {
    std::lock_guard lock(entity_mu);
    auto it = entity_by_id.find(id);
    if (it != entity_by_id.end()) return it->second;
  }
  auto found = store.EntityById(id);
  if (!found.ok() || !found->has_value()) return std::nullopt;
  std::lock_guard lock(entity_mu);
  entity_by_id[id] = **found;
  return **found;
}

void Api::Impl::ClearEntityCache() {
  std::lock_guard lock(entity_mu);
  entity_by_id.clear();
}

std::string EntityRef(const store::Entity& entity) { return entity.type + "/" + entity.code; }

std::string EntityFqid(Api::Impl& impl, const store::Entity& entity) {
  // IODA: asn.<n>, geo.provider.<continent>.<CC>[.<region id>]; Vigil has no continent level and uses
  // ISO codes, so geo.vigil.<CC>[.<ISO 3166-2>].
  if (entity.type == "asn") return "asn." + entity.code;
  if (entity.type == "country") return "geo.vigil." + entity.code;
  if (entity.type == "region") {
    auto parent = impl.EntityById(entity.parent_id);
    std::string cc = parent ? parent->code : entity.code.substr(0, entity.code.find('-'));
    return "geo.vigil." + cc + "." + entity.code;
  }
  return entity.type + "." + entity.code;
}

Json EntityJson(Api::Impl& impl, const store::Entity& entity) {
  Json attrs = Json::object();
  attrs["fqid"] = EntityFqid(impl, entity);
  attrs["ip_count"] = std::to_string(entity.slash24_count * 256);
  attrs["slash24_count"] = entity.slash24_count;
  if (entity.type == "country") {
    attrs["country_code"] = entity.code;
  } else if (auto parent = impl.EntityById(entity.parent_id)) {
    if (parent->type == "country") attrs["country_code"] = parent->code;
    attrs["parent"] = EntityRef(*parent);
  }
  if (!entity.tz.empty()) attrs["tz"] = entity.tz;
  Json out;
  out["code"] = entity.code;
  out["name"] = entity.name.empty() ? entity.code : entity.name;
  out["type"] = entity.type;
  out["attrs"] = attrs;
  out["subnames"] = Json::object();
  return out;
}

Result<store::Entity> ResolveEntityRef(Api::Impl& impl, const std::string& ref) {
  auto slash = ref.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == ref.size()) {
    return Status::InvalidArgument("entity must be in the form 'type/code' (e.g. region/KZ-ALA), got '" + ref + "'");
  }
  auto found = impl.store.FindEntity(ref.substr(0, slash), ref.substr(slash + 1));
  if (!found.ok()) return found.status();
  if (!found->has_value()) return Status::NotFound("unknown entity '" + ref + "'");
  return **found;
}

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

HttpResponse TextResponse(int status, const std::string& content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = content_type;
  response.body = std::move(body);
  return response;
}

namespace {
// The operator's copyright line (serialised once by Api::Api), set per request by Api::Handle.
thread_local const std::string* tls_copyright_json = nullptr;

const std::string& CopyrightJson() {
  static const std::string kNull = "null";
  return tls_copyright_json ? *tls_copyright_json : kNull;
}

std::string EnvelopeHead(const std::string& type, const Params& params, const std::string& error, const Json& perf,
                         int64_t request_time) {
  Json metadata;
  metadata["requestTime"] = IsoTime(request_time);
  metadata["responseTime"] = IsoTime(NowSeconds());
  std::string out =
      "{\"type\":" + Json(type).dump() + ",\"metadata\":" + metadata.dump() +
      ",\"requestParameters\":" + params.echo().dump(-1, ' ', false, Json::error_handler_t::replace) + ",\"error\":" +
      (error.empty() ? std::string("null") : Json(error).dump(-1, ' ', false, Json::error_handler_t::replace)) +
      ",\"perf\":" + perf.dump() + ",\"data\":";
  return out;
}
}  // namespace

HttpResponse Envelope(const std::string& type, const Params& params, const Json* data, const std::string& error,
                      const Json& perf, int64_t request_time, int error_status) {
  HttpResponse response;
  response.status = error.empty() ? 200 : error_status;
  response.body = EnvelopeHead(type, params, error, perf, request_time);
  response.body += (data && error.empty()) ? data->dump(-1, ' ', false, Json::error_handler_t::replace) : "null";
  response.body += ",\"copyright\":";
  response.body += CopyrightJson();
  response.body += '}';
  return response;
}

HttpResponse EnvelopeRaw(const std::string& type, const Params& params, const std::string& data_json, const Json& perf,
                         int64_t request_time) {
  HttpResponse response;
  response.body = EnvelopeHead(type, params, "", perf, request_time);
  // One allocation: the data part may be tens of kilobytes.
  response.body.reserve(response.body.size() + data_json.size() + CopyrightJson().size() + 16);
  response.body += data_json;
  response.body += ",\"copyright\":";
  response.body += CopyrightJson();
  response.body += '}';
  return response;
}

std::optional<std::vector<int64_t>> EntityFilter(Api::Impl& impl, Params& params) {
  auto type = params.String("entityType");
  auto codes = params.List("entityCode");
  auto related = params.String("relatedTo");
  static const char* const kTypes[] = {"continent", "country", "region", "county", "asn", "geoasn"};
  if (type && std::find(std::begin(kTypes), std::end(kTypes), *type) == std::end(kTypes)) {
    params.Fail("invalid entityType '" + *type + "' (must be one of continent, country, region, county, asn, geoasn)");
    return std::vector<int64_t>{};
  }
  if (!codes.empty() && !type) {
    params.Fail("entityType must be set when entityCode is");
    return std::vector<int64_t>{};
  }
  std::optional<std::vector<int64_t>> ids;
  if (type && !codes.empty()) {
    ids.emplace();
    for (const auto& code : codes) {
      auto found = impl.store.FindEntity(*type, code);
      if (found.ok() && found->has_value()) ids->push_back((*found)->id);
    }
  } else if (type) {
    store::EntityQuery query;
    query.type = *type;
    auto list = impl.store.ListEntities(query);
    ids.emplace();
    if (list.ok()) {
      for (const auto& e : *list) ids->push_back(e.id);
    }
  }
  if (related) {
    auto slash = related->find('/');
    std::string rtype = related->substr(0, slash);
    if (rtype.empty() || std::find(std::begin(kTypes), std::end(kTypes), rtype) == std::end(kTypes) ||
        (slash != std::string::npos && slash + 1 == related->size())) {
      params.Fail("relatedTo parameter must be in the form 'type[/code]'");
      return std::vector<int64_t>{};
    }
    // Relationships are symmetric, as in IODA: a country relates to its regions and ASNs and they to it.
    std::vector<store::Entity> anchors;
    if (slash == std::string::npos) {
      store::EntityQuery query;
      query.type = rtype;
      if (auto list = impl.store.ListEntities(query); list.ok()) anchors = *list;
    } else if (auto found = impl.store.FindEntity(rtype, related->substr(slash + 1));
               found.ok() && found->has_value()) {
      anchors.push_back(**found);
    }
    std::vector<int64_t> related_ids;
    for (const auto& anchor : anchors) {
      store::EntityQuery query;
      query.parent_id = anchor.id;
      if (auto children = impl.store.ListEntities(query); children.ok()) {
        for (const auto& c : *children) related_ids.push_back(c.id);
      }
      if (anchor.parent_id != 0) related_ids.push_back(anchor.parent_id);
    }
    if (ids) {
      std::vector<int64_t> both;
      for (int64_t id : *ids) {
        if (std::find(related_ids.begin(), related_ids.end(), id) != related_ids.end()) both.push_back(id);
      }
      ids = both;
    } else {
      ids = related_ids;
    }
  }
  return ids;
}

bool MethodIgnored(const std::vector<std::string>& patterns, const std::string& datasource, const std::string& method) {
  for (const auto& pattern : patterns) {
    auto dot = pattern.find('.');
    std::string ds = pattern.substr(0, dot);
    std::string m = dot == std::string::npos ? "*" : pattern.substr(dot + 1);
    if ((ds == "*" || ds == datasource) && (m == "*" || m == method)) return true;
  }
  return false;
}

std::optional<HttpResponse> RequireAdmin(Api::Impl& impl, const HttpRequest& request) {
  for (const auto& [key, value] : request.params) {
    if (key == "token" || key == "admin_token" || key == "access_token") {
      return JsonResponse(
          400, Json{{"error", "the admin token must be sent in the Authorization header, never in the URL"}});
    }
  }
  if (impl.options.admin_token.empty()) {
    return JsonResponse(
        403,
        Json{{"error", "writes are disabled: no admin token configured (--admin-token-file or VIGIL_ADMIN_TOKEN)"}});
  }
  std::string header = RequestHeader(request, "Authorization");
  const std::string prefix = "Bearer ";
  std::string given = header.compare(0, prefix.size(), prefix) == 0 ? header.substr(prefix.size()) : "";
  // Compare digests so that the comparison takes the same time whatever the length or content.
  std::string a = Sha256Hex(given);
  std::string b = Sha256Hex(impl.options.admin_token);
  if (given.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) != 0) {
    HttpResponse response =
        JsonResponse(401, Json{{"error", "missing or wrong admin token (Authorization: Bearer ...)"}});
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"vigil\"");
    return response;
  }
  return std::nullopt;
}

std::string MarkupEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Sha256Hex(const std::string& bytes) {
  return Sha256OfBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

std::string HmacSha256Hex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// ----- cache --------------------------------------------------------------------------------------------

std::shared_ptr<const std::string> DataCache::Get(const std::string& key, int64_t ttl_s) {
  if (ttl_s <= 0) return nullptr;
  std::lock_guard lock(mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  if (std::chrono::steady_clock::now() - it->second.at > std::chrono::seconds(ttl_s)) {
    items_.erase(it);
    return nullptr;
  }
  return it->second.value;
}

void DataCache::Put(const std::string& key, std::string value) {
  auto shared = std::make_shared<const std::string>(std::move(value));
  std::lock_guard lock(mu_);
  if (items_.size() > 4096) items_.clear();  // bounded: a flood of distinct queries cannot grow it
  items_[key] = Item{std::chrono::steady_clock::now(), std::move(shared)};
}

void Api::StoreChanged() { impl_->cache.Clear(); }

void DataCache::Clear() {
  std::lock_guard lock(mu_);
  items_.clear();
}

// ----- rate limiting ------------------------------------------------------------------------------------

int64_t RateLimiter::Take(const std::string& client, double per_s, double burst) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (buckets_.size() >= kMaxClients && buckets_.find(client) == buckets_.end()) {
    std::erase_if(buckets_, [&](const auto& item) {
      return item.second.tokens + std::chrono::duration<double>(now - item.second.at).count() * per_s >= burst;
    });
    if (buckets_.size() >= kMaxClients) buckets_.clear();
  }
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst, b.tokens + std::chrono::duration<double>(now - b.at).count() * per_s);
    b.at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1 - b.tokens) / per_s)));
}

// ----- Api ----------------------------------------------------------------------------------------------

Api::Api(store::Store& store, store::WebhookStore& webhooks, ApiOptions options)
    : impl_(std::make_unique<Impl>(store, webhooks, std::move(options))) {
  impl_->started_at = NowSeconds();
  impl_->copyright_json = Json(impl_->options.copyright).dump(-1, ' ', false, Json::error_handler_t::replace);
}

Api::~Api() = default;

namespace {

HttpResponse ServeStatic(Api::Impl& impl, const std::string& path) {
  std::optional<std::filesystem::path> file;
  if (path.rfind("/vendor/", 0) == 0) {
    std::string rest = path.substr(8);
    std::string package = rest.substr(0, rest.find('/'));
    if (std::find(std::begin(kVendorPackages), std::end(kVendorPackages), package) == std::end(kVendorPackages)) {
      return NotFound(path);
    }
    file = SafeJoin(impl.options.node_modules_dir, rest);
  } else {
    std::string relative = path == "/" ? "index.html" : path.substr(1);
    // Dashboard views are client-side: /about, /events ... all load index.html.
    if (relative.find('.') == std::string::npos && relative.find("..") == std::string::npos) relative = "index.html";
    file = SafeJoin(impl.options.web_dir, relative);
  }
  if (!file) return NotFound(path);
  std::ifstream in(*file, std::ios::binary);
  if (!in) return NotFound(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  HttpResponse response = TextResponse(200, ContentTypeFor(file->string()), buffer.str());
  response.headers.emplace_back("Cache-Control", path.rfind("/vendor/", 0) == 0 ? "public, max-age=86400" : "no-cache");
  return response;
}

// Answers one request through the route table; `label` gets the metrics label. Labels come from a fixed set
// (route patterns, "other", "static"): a label built from whatever path a client sends would let anyone grow
// the metrics table without bound and write quotes into /metrics (found by fuzz/api_request_fuzz; regression in
// tests/api).
HttpResponse Route(Api::Impl& impl, const HttpRequest& request, const std::vector<std::string>& parts,
                   std::string& label) {
  PathMatch match;
  RouteLookup found = FindRoute(request.method, parts, match);
  if (found.route) {
    label = found.route->pattern;
    return found.route->handle(impl, request, match);
  }
  bool read = request.method == "GET" || request.method == "HEAD";
  bool api_path = !parts.empty() && (parts[0] == "v2" || parts[0] == "api");
  label = api_path ? "other" : "static";
  if (found.path_known || (!read && !api_path)) {
    return JsonResponse(405, Json{{"error", "method " + request.method + " not allowed on " + request.path}});
  }
  return api_path ? NotFound(request.path) : ServeStatic(impl, parts.empty() ? "/" : request.path);
}

void AddCommonHeaders(Api::Impl& impl, const HttpRequest& request, HttpResponse& response) {
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (response.content_type.rfind("text/html", 0) == 0) {
    bool report = request.path.rfind("/api/", 0) == 0;
    // Reports are self-contained documents (inline SVG and styles, no scripts).
    response.headers.emplace_back(
        "Content-Security-Policy",
        report ? "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
               : kDashboardCsp);
    response.headers.emplace_back("X-Frame-Options", "DENY");
  }
  bool read = request.method == "GET" || request.method == "HEAD";
  if (read) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else {
    std::string origin = RequestHeader(request, "Origin");
    if (!origin.empty() && std::find(impl.options.cors_write_origins.begin(), impl.options.cors_write_origins.end(),
                                     origin) != impl.options.cors_write_origins.end()) {
      response.headers.emplace_back("Access-Control-Allow-Origin", origin);
      response.headers.emplace_back("Vary", "Origin");
    }
  }
}

HttpResponse Preflight(Api::Impl& impl, const HttpRequest& request) {
  std::string wanted = RequestHeader(request, "Access-Control-Request-Method");
  std::string origin = RequestHeader(request, "Origin");
  HttpResponse response = TextResponse(204, "text/plain", "");
  if (wanted.empty() || wanted == "GET" || wanted == "HEAD") {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    response.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    // The IODA dashboard sends X-Requested-With; conditional and compressed reads need the other two.
    response.headers.emplace_back("Access-Control-Allow-Headers",
                                  "Accept, Accept-Encoding, Content-Type, If-None-Match, X-Requested-With");
    response.headers.emplace_back("Access-Control-Max-Age", "86400");
    return response;
  }
  if (!origin.empty() && std::find(impl.options.cors_write_origins.begin(), impl.options.cors_write_origins.end(),
                                   origin) != impl.options.cors_write_origins.end()) {
    response.headers.emplace_back("Access-Control-Allow-Origin", origin);
    response.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE, OPTIONS");
    response.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Requested-With");
    response.headers.emplace_back("Vary", "Origin");
    return response;
  }
  // Writes are closed to other origins unless configured.
  response.status = 403;
  return response;
}

std::string FormatRate(double per_s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", per_s);
  return text;
}

}  // namespace

bool ParseId(const std::string& text, int64_t& id) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() && ptr == text.data() + text.size() && id > 0;
}

HttpResponse Api::Handle(const HttpRequest& request) {
  auto started = std::chrono::steady_clock::now();
  impl_->requests++;
  tls_copyright_json = &impl_->copyright_json;
  auto parts = SplitPath(request.path);
  HttpResponse response;
  std::string label = "other";
  int64_t retry_after = 0;
  if (impl_->options.rate_limit_per_s > 0 && !request.client.empty() && !parts.empty() && parts[0] != "healthz" &&
      parts[0] != "metrics") {
    retry_after = impl_->limiter.Take(request.client, impl_->options.rate_limit_per_s, impl_->options.rate_burst);
  }
  if (retry_after > 0) {
    label = "rate-limited";
    response = JsonResponse(
        429, Json{{"error", "too many requests from " + request.client + ": more than " +
                                FormatRate(impl_->options.rate_limit_per_s) + " per second on average; retry after " +
                                std::to_string(retry_after) + " s"}});
    response.headers.emplace_back("Retry-After", std::to_string(retry_after));
  } else if (request.method == "OPTIONS") {
    response = Preflight(*impl_, request);
  } else if (request.method != "GET" && request.method != "HEAD" && request.method != "POST" &&
             request.method != "DELETE") {
    response = JsonResponse(405, Json{{"error", "method " + request.method + " not allowed"}});
  } else {
    response = Route(*impl_, request, parts, label);
  }
  if (request.method == "GET" || request.method == "HEAD") FinishReadResponse(*impl_, request, response);
  AddCommonHeaders(*impl_, request, response);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  impl_->metrics.Observe(label, response.status, seconds);
  return response;
}

// ----- metrics ------------------------------------------------------------------------------------------

void HttpMetrics::Observe(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mu_);
  Route& r = routes_[route];
  size_t i = 0;
  while (i < std::size(kBuckets) && seconds > kBuckets[i]) ++i;
  r.counts[i]++;
  r.total++;
  r.sum += seconds;
  r.by_status[status]++;
}

std::string HttpMetrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  char line[256];
  out += "# HELP vigil_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE vigil_http_requests_total counter\n";
  for (const auto& [route, r] : routes_) {
    for (const auto& [status, count] : r.by_status) {
      std::snprintf(line, sizeof line, "vigil_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n", route.c_str(),
                    status, static_cast<unsigned long long>(count));
      out += line;
    }
  }
  out += "# HELP vigil_http_request_duration_seconds Time to handle a request, by route.\n";
  out += "# TYPE vigil_http_request_duration_seconds histogram\n";
  for (const auto& [route, r] : routes_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= std::size(kBuckets); ++i) {
      cumulative += r.counts[i];
      std::string le = i < std::size(kBuckets) ? std::to_string(kBuckets[i]) : "+Inf";
      if (i < std::size(kBuckets)) {
        std::snprintf(line, sizeof line, "%g", kBuckets[i]);
        le = line;
      }
      std::snprintf(line, sizeof line, "vigil_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %llu\n",
                    route.c_str(), le.c_str(), static_cast<unsigned long long>(cumulative));
      out += line;
    }
    std::snprintf(line, sizeof line, "vigil_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route.c_str(),
                  r.sum);
    out += line;
    std::snprintf(line, sizeof line, "vigil_http_request_duration_seconds_count{route=\"%s\"} %llu\n", route.c_str(),
                  static_cast<unsigned long long>(r.total));
    out += line;
  }
  return out;
}

HttpResponse HandleHealthz(Api::Impl& impl) {
  auto ds = impl.store.ListDatasources();
  Json body = {{"status", ds.ok() ? "ok" : "error"},
               {"store", ds.ok() ? "ok" : ds.message()},
               {"uptime_s", NowSeconds() - impl.started_at}};
  // The span of the data lets the dashboard open on the newest week that has any (cached: health checks
  // come often and the span changes once per bin).
  int64_t first = INT64_MAX, last = INT64_MIN;
  if (auto cached = impl.cache.Get("healthz-span", std::max<int64_t>(impl.options.cache_ttl_s, 5))) {
    std::sscanf(cached->c_str(), "%ld %ld", &first, &last);
  } else if (ds.ok()) {
    for (const auto& d : *ds) {
      auto span = impl.store.SeriesSpan(d.name);
      if (!span.ok() || !span->has_value()) continue;
      first = std::min(first, (*span)->first);
      last = std::max(last, (*span)->second + d.step_s);
    }
  }
  if (ds.ok()) impl.cache.Put("healthz-span", std::to_string(first) + " " + std::to_string(last));
  body["data_from"] = first == INT64_MAX ? Json(nullptr) : Json(first);
  body["data_until"] = last == INT64_MIN ? Json(nullptr) : Json(last);
  if (impl.options.health_json) {
    Json sources = Json::parse(impl.options.health_json(), nullptr, false);
    if (!sources.is_discarded()) body["sources"] = std::move(sources);
  }
  return JsonResponse(ds.ok() ? 200 : 503, body);
}

HttpResponse HandleMetrics(Api::Impl& impl) {
  std::string out = impl.metrics.Render();
  char line[256];
  int64_t now = NowSeconds();
  auto datasources = impl.store.ListDatasources();
  out += "# HELP vigil_ingest_lag_seconds Seconds between now and the end of the newest bin, by datasource.\n";
  out += "# TYPE vigil_ingest_lag_seconds gauge\n";
  std::string bins;
  if (datasources.ok()) {
    for (const auto& ds : *datasources) {
      auto span = impl.store.SeriesSpan(ds.name);
      if (!span.ok() || !span->has_value()) continue;
      auto [first, last] = **span;
      std::snprintf(line, sizeof line, "vigil_ingest_lag_seconds{datasource=\"%s\"} %lld\n", ds.name.c_str(),
                    static_cast<long long>(now - (last + ds.step_s)));
      out += line;
      std::snprintf(line, sizeof line, "vigil_bins_processed{datasource=\"%s\"} %lld\n", ds.name.c_str(),
                    static_cast<long long>((last - first) / std::max<int64_t>(ds.step_s, 1) + 1));
      bins += line;
    }
  }
  out += "# HELP vigil_bins_processed Bins between the first and the newest bin of a datasource.\n";
  out += "# TYPE vigil_bins_processed gauge\n" + bins;
  auto inputs = impl.store.ListInputs(0, INT64_MAX / 2);
  out += "# HELP vigil_inputs_ingested Input files recorded in the store.\n# TYPE vigil_inputs_ingested gauge\n";
  out += "vigil_inputs_ingested " + std::to_string(inputs.ok() ? inputs->size() : 0) + "\n";
  store::TimeFilter filter;
  filter.from = now - 400LL * 86400;
  filter.until = INT64_MAX / 2;
  auto events = impl.store.ListEvents(filter);
  int64_t open = 0;
  if (events.ok()) {
    for (const auto& e : *events) open += e.end_t == 0;
  }
  out += "# HELP vigil_events_open Events still ongoing.\n# TYPE vigil_events_open gauge\n";
  out += "vigil_events_open " + std::to_string(open) + "\n";
  if (impl.options.metrics_text) out += impl.options.metrics_text();
  return TextResponse(200, "text/plain; version=0.0.4; charset=utf-8", out);
}

// ----- listen / token -----------------------------------------------------------------------------------

Status ParseListen(const std::string& text, std::string& host, int& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--listen '" + text + "': expected HOST:PORT");
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  std::string port_text = text.substr(colon + 1);
  int value = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value < 0 || value > 65535) {
    return Status::InvalidArgument("--listen '" + text + "': bad port '" + port_text + "'");
  }
  port = value;
  return Status::Ok();
}

Result<std::string> LoadAdminToken(const std::string& path) {
  std::string token;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return Status::NotFound("cannot read admin token file '" + path + "'");
    std::getline(in, token);
  } else if (const char* env = std::getenv("VIGIL_ADMIN_TOKEN")) {
    token = env;
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(token.begin());
  if (!token.empty() && token.size() < 16) {
    return Status::InvalidArgument("admin token " +
                                   (path.empty() ? std::string("VIGIL_ADMIN_TOKEN") : "in '" + path + "'") +
                                   " is shorter than 16 characters");
  }
  return token;
}

}  // namespace vigil::api
