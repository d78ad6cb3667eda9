// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/icmp.h"

#include <cstring>

namespace vigil::probe {
namespace {

constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kEchoRequest = 8;
constexpr uint8_t kProtocolIcmp = 1;
constexpr uint32_t kMagic = 0x56474c31;  // "VGL1"

void PutU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void PutU64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint16_t GetU16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
uint64_t GetU64(const uint8_t* p) { return (uint64_t{GetU32(p)} << 32) | GetU32(p + 4); }

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint16_t InternetChecksum(std::span<const uint8_t> bytes) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<uint32_t>((bytes[i] << 8) | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<uint32_t>(bytes[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint64_t ProbeCheck(const ProbeTag& tag) {
  uint64_t x = Mix(tag.cookie ^ (uint64_t{tag.slot} << 32 | tag.generation));
  return Mix(x ^ tag.target);
}

void BuildEchoRequest(uint16_t identifier, uint16_t sequence, const ProbeTag& tag,
                      std::span<uint8_t, kEchoRequestSize> out) {
  uint8_t* p = out.data();
  p[0] = kEchoRequest;
  p[1] = 0;
  PutU16(p + 2, 0);
  PutU16(p + 4, identifier);
  PutU16(p + 6, sequence);
  PutU32(p + 8, kMagic);
  PutU32(p + 12, tag.slot);
  PutU32(p + 16, tag.generation);
  PutU32(p + 20, tag.target);
  PutU64(p + 24, ProbeCheck(tag));
  PutU16(p + 2, InternetChecksum(out));
}

std::optional<EchoReply> ParseDatagramReply(std::span<const uint8_t> message, uint32_t source) {
  // Replies echo the request's payload unchanged (RFC 792), so a Vigil reply has exactly our size;
  // anything longer or shorter was not produced by our request.
  if (message.size() != kEchoRequestSize) return std::nullopt;
  const uint8_t* p = message.data();
  if (p[0] != kEchoReply || p[1] != 0) return std::nullopt;
  if (InternetChecksum(message) != 0) return std::nullopt;
  if (GetU32(p + 8) != kMagic) return std::nullopt;
  EchoReply reply;
  reply.source = source;
  reply.identifier = GetU16(p + 4);
  reply.sequence = GetU16(p + 6);
  reply.tag.slot = GetU32(p + 12);
  reply.tag.generation = GetU32(p + 16);
  reply.tag.target = GetU32(p + 20);
  reply.tag.cookie = GetU64(p + 24);
  return reply;
}

std::optional<EchoReply> ParseRawReply(std::span<const uint8_t> packet) {
  if (packet.size() < 20) return std::nullopt;
  const uint8_t* ip = packet.data();
  if ((ip[0] >> 4) != 4) return std::nullopt;
  size_t header_len = size_t{ip[0] & 0x0fu} * 4;
  if (header_len < 20 || header_len > packet.size()) return std::nullopt;
  size_t total_len = GetU16(ip + 2);
  if (total_len < header_len || total_len > packet.size()) return std::nullopt;
  // More-fragments set or a non-zero offset: a piece of something, never one of our small replies.
  if ((GetU16(ip + 6) & 0x3fff) != 0) return std::nullopt;
  if (ip[9] != kProtocolIcmp) return std::nullopt;
  return ParseDatagramReply(packet.subspan(header_len, total_len - header_len), GetU32(ip + 12));
}

}  // namespace vigil::probe
