// SPDX-License-Identifier: AGPL-3.0-or-later
// libcurl set-up shared by listings and file transfers, and the retry policy (exponential backoff with jitter,
// Retry-After). TLS verification is always on: no option turns it off.
#include <curl/curl.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <cmath>
#include <mutex>
#include <thread>

#include "acquire/http.h"
#include "acquire/internal.h"
#include "acquire/text.h"

namespace vigil::acquire {

void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void ConfigureEasy(CURL* easy, const std::string& url, const NetworkOptions& options) {
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "vigil/0.1.0 (MRT archive fetch)");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_s * 1000));
  // A stall (no byte for stall_timeout_s) ends the transfer as a timeout, which is retried.
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, std::max(1L, std::lround(options.stall_timeout_s)));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
}

bool IsRetryableCurlCode(int code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool IsRetryableStatus(long status) { return status == 429 || (status >= 500 && status <= 599); }

double BackoffDelay(int tries, const NetworkOptions& options, std::mt19937_64& random) {
  double delay = options.backoff_initial_s * std::pow(2.0, std::min(tries - 1, 30));
  delay = std::min(delay, options.backoff_max_s);
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return delay * jitter(random);
}

std::optional<double> ParseRetryAfter(std::string_view value, UnixSeconds now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r' || value.back() == '\n'))
    value.remove_suffix(1);
  if (std::optional<int64_t> seconds = ParseDecimal(value)) return static_cast<double>(*seconds);
  std::string date(value);
  time_t when = curl_getdate(date.c_str(), nullptr);  // HTTP-date (RFC 9110)
  if (when < 0) return std::nullopt;
  return std::max(0.0, static_cast<double>(when - now));
}

bool SleepUnlessStopped(double seconds, const NetworkOptions& options) {
  auto end = std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  while (std::chrono::steady_clock::now() < end) {
    if (options.stop && options.stop->load()) return false;
    std::chrono::steady_clock::duration left = end - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50), left));
  }
  return !(options.stop && options.stop->load());
}

namespace {

struct TextSink {
  std::string body;
  int64_t limit = 0;
  bool over_limit = false;
  std::string retry_after;
};

size_t WriteText(char* data, size_t size, size_t count, void* user) {
  TextSink& sink = *static_cast<TextSink*>(user);
  size_t n = size * count;
  if (static_cast<int64_t>(sink.body.size() + n) > sink.limit) {
    sink.over_limit = true;
    return 0;
  }
  sink.body.append(data, n);
  return n;
}

size_t HeaderText(char* data, size_t size, size_t count, void* user) {
  TextSink& sink = *static_cast<TextSink*>(user);
  std::string_view line(data, size * count);
  if (std::optional<std::string_view> value = HeaderValue(line, "retry-after")) sink.retry_after = *value;
  return size * count;
}

}  // namespace

std::optional<std::string_view> HeaderValue(std::string_view line, std::string_view lowercase_name) {
  if (line.size() <= lowercase_name.size() || line[lowercase_name.size()] != ':') return std::nullopt;
  for (size_t i = 0; i < lowercase_name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != lowercase_name[i]) return std::nullopt;
  std::string_view value = line.substr(lowercase_name.size() + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  return value;
}

Result<TextResponse> GetText(const std::string& url, const NetworkOptions& options) {
  EnsureCurlInitialized();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) return Status::Internal(url + ": cannot create a libcurl handle");
  std::mt19937_64 random(std::random_device{}());
  std::string last_error;
  for (int tries = 1; tries <= std::max(1, options.max_tries); ++tries) {
    TextSink sink;
    sink.limit = options.max_listing_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_reset(easy.get());
    ConfigureEasy(easy.get(), url, options);
    curl_easy_setopt(easy.get(), CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, WriteText);
    curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, HeaderText);
    curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, error_buffer);
    CURLcode code = curl_easy_perform(easy.get());
    long status = 0;
    curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (sink.over_limit)
      return Status::ResourceExhausted(url + ": answer larger than " + std::to_string(options.max_listing_bytes) +
                                       " bytes, refused");
    double wait = 0;
    if (code == CURLE_OK) {
      if (!IsRetryableStatus(status)) return TextResponse{status, std::move(sink.body)};
      last_error = "HTTP " + std::to_string(status);
      std::optional<double> asked = ParseRetryAfter(sink.retry_after, std::time(nullptr));
      if (asked && *asked > options.max_retry_after_s)
        return Status::Unavailable(url + ": HTTP " + std::to_string(status) + " with Retry-After " +
                                   std::to_string(static_cast<long long>(*asked)) + " s, above the limit");
      wait = asked ? *asked : BackoffDelay(tries, options, random);
    } else {
      last_error = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
      if (!IsRetryableCurlCode(code)) return Status::Unavailable(url + ": " + last_error);
      wait = BackoffDelay(tries, options, random);
    }
    if (tries == options.max_tries) break;
    if (!SleepUnlessStopped(wait, options)) return Status::Cancelled(url + ": stopped");
  }
  return Status::Unavailable(url + ": " + last_error + " (after " + std::to_string(options.max_tries) + " tries)");
}

}  // namespace vigil::acquire
