// SPDX-License-Identifier: AGPL-3.0-or-later
// What every read answer gets on its way out: a validator (ETag, 304 on If-None-Match), Cache-Control, and gzip
// when the client asks for it.
#include <zlib.h>

#include <cstdio>
#include <functional>
#include <string_view>

#include "api/internal.h"

namespace vigil::api {
namespace {

bool ContainsToken(const std::string& header, std::string_view token) {
  size_t at = 0;
  while ((at = header.find(token, at)) != std::string::npos) {
    bool starts = at == 0 || header[at - 1] == ' ' || header[at - 1] == ',';
    size_t end = at + token.size();
    bool ends = end == header.size() || header[end] == ',' || header[end] == ';' || header[end] == ' ';
    if (starts && ends) return true;
    at = end;
  }
  return false;
}

// An envelope's metadata (request and response times) and perf (time used) change on every answer while the
// data do not, and ETags are per URL: the validator covers the envelope from "data" on (a weak one, W/).
std::string WeakEtag(const std::string& body) {
  std::string_view text(body);
  if (text.rfind("{\"type\":", 0) == 0) {
    size_t perf = text.find(",\"perf\":");
    size_t data = perf == std::string_view::npos ? perf : text.find(",\"data\":", perf);
    if (data != std::string_view::npos) text = text.substr(data);
  }
  char tag[32];
  std::snprintf(tag, sizeof tag, "W/\"%016zx\"", std::hash<std::string_view>{}(text));
  return tag;
}

bool Compressible(const std::string& content_type) {
  return content_type.rfind("application/json", 0) == 0 || content_type.rfind("text/", 0) == 0 ||
         content_type.rfind("application/geo+json", 0) == 0 || content_type.rfind("application/atom+xml", 0) == 0;
}

// gzip at level 1: a 52 KB signals answer shrinks ~4x in ~0.2 ms; higher levels cost more than they save here.
bool Gzip(const std::string& in, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.resize(deflateBound(&z, in.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return result == Z_STREAM_END;
}

bool HasHeader(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return true;
  }
  return false;
}

}  // namespace

void FinishReadResponse(Api::Impl& impl, const HttpRequest& request, HttpResponse& response) {
  if (response.status != 200) return;
  bool admin = request.path.rfind("/api/v1/webhooks", 0) == 0;
  if (!HasHeader(response, "Cache-Control")) {
    response.headers.emplace_back(
        "Cache-Control", admin ? std::string("no-store")
                               : "public, max-age=" + std::to_string(std::max<int64_t>(impl.options.cache_ttl_s, 0)));
  }
  if (admin) return;
  std::string etag = WeakEtag(response.body);
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Vary", "Accept-Encoding");
  std::string wanted = RequestHeader(request, "If-None-Match");
  if (!wanted.empty() && (wanted == "*" || ContainsToken(wanted, etag) || ContainsToken(wanted, etag.substr(2)))) {
    response.status = 304;
    response.body.clear();
    return;
  }
  if (response.body.size() < 1024 || !Compressible(response.content_type)) return;
  if (!ContainsToken(RequestHeader(request, "Accept-Encoding"), "gzip")) return;
  std::string packed;
  if (!Gzip(response.body, packed)) return;
  response.body = std::move(packed);
  response.headers.emplace_back("Content-Encoding", "gzip");
}

}  // namespace vigil::api
