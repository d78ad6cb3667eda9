// SPDX-License-Identifier: AGPL-3.0-or-later
#include "base/json_text.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace vigil {

void AppendJsonString(std::string& out, std::string_view text) {
  // Most text (names, codes, datasources) is plain ASCII: no DOM, no escaping.
  bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out.append(text);
    out += '"';
    return;
  }
  out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

}  // namespace vigil
