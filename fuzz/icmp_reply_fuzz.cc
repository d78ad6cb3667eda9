// SPDX-License-Identifier: AGPL-3.0-or-later
// Fuzzes the prober's reply parsers: the same bytes as a raw-socket packet (IPv4 header + ICMP) and as a
// datagram-socket message (ICMP only). A datagram reply keeps the source address it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "probe/icmp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  auto raw = vigil::probe::ParseRawReply(bytes);
  auto datagram = vigil::probe::ParseDatagramReply(bytes, 0xc6120001);
  if (datagram && (size != vigil::probe::kEchoRequestSize || datagram->source != 0xc6120001)) std::abort();
  if (raw) {
    volatile uint64_t keep = raw->tag.cookie ^ raw->source;
    (void)keep;
  }
  return 0;
}
