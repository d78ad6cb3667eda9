// SPDX-License-Identifier: AGPL-3.0-or-later
// Fuzzes the CSV-world readers (geo-ipv4.csv and asn-ipv4.csv layouts) and the segment normalisation that
// follows them. The readers take a path, so the input goes into an in-memory file.
#include <cstddef>
#include <cstdint>

#include "fuzz/memory_file.h"
#include "geo/sources.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::MemoryFile file(data, size);
  vigil::geo::SourceData sources;
  (void)vigil::geo::ReadGeoCsv(file.path(), &sources);
  (void)vigil::geo::ReadAsnCsv(file.path(), &sources);
  vigil::geo::NormalizeSegments(&sources);
  return 0;
}
