// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/text_lines.h"  // SplitLines, used with these readers

namespace vigil::probe {

// Whole file as bytes; gzip files are inflated (detected by their magic bytes, not their name).
Result<std::string> ReadTextFile(const std::string& path);
// Writes path.tmp.<pid> and renames it over path, so readers never see half a file.
Status WriteFileAtomically(const std::string& path, std::string_view contents);
std::vector<std::string_view> Split(std::string_view text, char separator);

}  // namespace vigil::probe
