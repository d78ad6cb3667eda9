// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace vigil::probe {

// What every Vigil echo request carries in its payload, so that a reply can be matched to the probe that
// caused it without trusting anything the network sends back: a reply counts only when its identifier,
// sequence number, source address and this payload all agree with an outstanding probe.
struct ProbeTag {
  uint32_t slot = 0;        // index of the outstanding-probe slot (also in the ICMP sequence number)
  uint32_t generation = 0;  // bumped each time the slot is reused, so late replies to old probes miss
  uint32_t target = 0;      // probed IPv4 address, host byte order
  uint64_t cookie = 0;      // per-run secret mixed with the above; off-path forgers cannot guess it
};

inline constexpr size_t kEchoHeaderSize = 8;
inline constexpr size_t kProbePayloadSize = 24;  // magic(4) slot(4) generation(4) target(4) check(8)
inline constexpr size_t kEchoRequestSize = kEchoHeaderSize + kProbePayloadSize;

// RFC 1071 Internet checksum over bytes (odd length padded with a zero byte).
uint16_t InternetChecksum(std::span<const uint8_t> bytes);

// Writes an ICMP echo request (type 8) with the given identifier and sequence number and the tag's payload
// into out (kEchoRequestSize bytes), checksum included. Identifier and sequence are in host byte order.
void BuildEchoRequest(uint16_t identifier, uint16_t sequence, const ProbeTag& tag,
                      std::span<uint8_t, kEchoRequestSize> out);

// A syntactically valid echo reply carrying a Vigil payload.
struct EchoReply {
  uint32_t source = 0;  // host byte order; from the IPv4 header when present, else as passed in
  uint16_t identifier = 0;
  uint16_t sequence = 0;
  ProbeTag tag;  // cookie holds the check value as received, to be compared by the caller
};

// Parses what a raw IPPROTO_ICMP socket returns: an IPv4 header (IHL honoured) followed by ICMP.
// Returns nothing for anything that is not a well-formed echo reply with a Vigil payload: short or
// truncated packets, bad IHL or total length, fragments, other protocols or ICMP types, bad checksum.
std::optional<EchoReply> ParseRawReply(std::span<const uint8_t> packet);
// Parses what an ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP) returns: the ICMP message only.
// `source` comes from recvfrom's address.
std::optional<EchoReply> ParseDatagramReply(std::span<const uint8_t> message, uint32_t source);

// The check value stored in a payload: a keyed mix of slot, generation and target. Not cryptographic;
// it keeps stray or forged replies from matching a slot by accident.
uint64_t ProbeCheck(const ProbeTag& tag);

}  // namespace vigil::probe
