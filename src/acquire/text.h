// SPDX-License-Identifier: AGPL-3.0-or-later
// Small text helpers private to the acquire module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::acquire {

// Items of a separated list with surrounding blanks trimmed; empty items are dropped ("a, b,,c" -> a b c).
std::vector<std::string> SplitList(std::string_view text, char separator);
// Every field between separators, empty ones included ("a\t\tb" -> a "" b).
std::vector<std::string> SplitFields(std::string_view text, char separator);
// A non-negative decimal integer that fits in int64, nothing else.
std::optional<int64_t> ParseDecimal(std::string_view text);
// "12.3 MB", "512 B": sizes for people.
std::string HumanBytes(double bytes);

}  // namespace vigil::acquire
