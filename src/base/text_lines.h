// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string_view>
#include <vector>

namespace vigil {

// Lines of a text without their terminator ('\r' before '\n' dropped too); views into `text`.
std::vector<std::string_view> SplitLines(std::string_view text);

}  // namespace vigil
