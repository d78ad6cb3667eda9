// SPDX-License-Identifier: AGPL-3.0-or-later
// libcurl helpers private to the acquire module.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>
#include <string_view>

#include "acquire/acquire.h"

namespace vigil::acquire {

void EnsureCurlInitialized();
// URL, protocols (http/https only), redirects, TLS verification (always), timeouts, user agent.
void ConfigureEasy(CURL* easy, const std::string& url, const NetworkOptions& options);
// Transport failures worth another try (timeouts, resets, truncated bodies, refused connections).
bool IsRetryableCurlCode(int code);
// 5xx and 429.
bool IsRetryableStatus(long status);
// The value of header `lowercase_name` if `line` is that header (case-insensitive name).
std::optional<std::string_view> HeaderValue(std::string_view line, std::string_view lowercase_name);
// Sleeps up to `seconds`; false when the stop flag was raised meanwhile.
bool SleepUnlessStopped(double seconds, const NetworkOptions& options);

}  // namespace vigil::acquire
