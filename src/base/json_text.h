// SPDX-License-Identifier: AGPL-3.0-or-later
// JSON text written by hand where building a DOM per value would cost too much (event details, the API's
// event lists): the one JSON string escaper, so every writer quotes text the same way.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

// Appends `text` as a JSON string literal, exactly as nlohmann::json's dump() writes it (UTF-8 kept, control
// characters escaped, invalid UTF-8 replaced by U+FFFD).
void AppendJsonString(std::string& out, std::string_view text);
std::string JsonString(std::string_view text);

}  // namespace vigil
