// SPDX-License-Identifier: AGPL-3.0-or-later
// Fuzzes scenario JSON parsing and validation (what `vigil sim` and `vigil eval-scenario` read first).
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)vigil::sim::ParseScenario(text, "fuzz.json");
  return 0;
}
