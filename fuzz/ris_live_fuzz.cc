// SPDX-License-Identifier: AGPL-3.0-or-later
// Fuzzes RIS Live message parsing (every frame `vigil run --ris-live` receives comes from the network).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "acquire/acquire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vigil::acquire::ParseRisLiveText(text, "fuzz frame");
  return 0;
}
