// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/icmp.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace vigil::probe {
namespace {

// What a kernel sends back for one of our requests: an IPv4 header (with options when ihl > 5) and the
// request turned into a reply (type 0, checksum adjusted).
std::vector<uint8_t> ReplyPacket(uint32_t source, uint16_t id, uint16_t seq, const ProbeTag& tag, int ihl = 5) {
  uint8_t request[kEchoRequestSize];
  BuildEchoRequest(id, seq, tag, std::span<uint8_t, kEchoRequestSize>(request));
  std::vector<uint8_t> icmp(request, request + kEchoRequestSize);
  icmp[0] = 0;
  icmp[2] = icmp[3] = 0;
  uint16_t sum = InternetChecksum(icmp);
  icmp[2] = static_cast<uint8_t>(sum >> 8);
  icmp[3] = static_cast<uint8_t>(sum);
  size_t header = size_t(ihl) * 4;
  std::vector<uint8_t> packet(header + icmp.size(), 0);
  packet[0] = static_cast<uint8_t>(0x40 | ihl);
  packet[2] = static_cast<uint8_t>(packet.size() >> 8);
  packet[3] = static_cast<uint8_t>(packet.size());
  packet[8] = 64;
  packet[9] = 1;
  for (int i = 0; i < 4; ++i) packet[12 + i] = static_cast<uint8_t>(source >> (24 - 8 * i));
  std::copy(icmp.begin(), icmp.end(), packet.begin() + static_cast<std::ptrdiff_t>(header));
  return packet;
}

TEST(Icmp, ChecksumMatchesRfc1071Example) {
  // RFC 1071 section 3 example: the one's-complement sum of these bytes is 0xddf2.
  std::vector<uint8_t> bytes = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(bytes), static_cast<uint16_t>(~0xddf2));
}

TEST(Icmp, RequestLayout) {
  ProbeTag tag{7, 9, 0xc6120105, 42};
  uint8_t request[kEchoRequestSize];
  BuildEchoRequest(0x1234, 7, tag, std::span<uint8_t, kEchoRequestSize>(request));
  EXPECT_EQ(request[0], 8);
  EXPECT_EQ(request[4], 0x12);
  EXPECT_EQ(request[5], 0x34);
  EXPECT_EQ(request[7], 7);
  EXPECT_EQ(InternetChecksum(std::span<const uint8_t>(request, kEchoRequestSize)), 0);
}

TEST(Icmp, ParsesReplyWithAndWithoutIpOptions) {
  ProbeTag tag{300, 5, 0xc6120105, 0xfeedface};
  for (int ihl : {5, 6, 15}) {
    auto packet = ReplyPacket(0xc6120105, 0xabcd, 300, tag, ihl);
    auto reply = ParseRawReply(packet);
    ASSERT_TRUE(reply) << ihl;
    EXPECT_EQ(reply->source, 0xc6120105u);
    EXPECT_EQ(reply->identifier, 0xabcd);
    EXPECT_EQ(reply->sequence, 300);
    EXPECT_EQ(reply->tag.slot, 300u);
    EXPECT_EQ(reply->tag.generation, 5u);
    EXPECT_EQ(reply->tag.target, 0xc6120105u);
    EXPECT_EQ(reply->tag.cookie, ProbeCheck(tag));
  }
}

TEST(Icmp, RejectsMalformedPackets) {
  ProbeTag tag{1, 1, 0x0a000001, 3};
  auto good = ReplyPacket(0x0a000001, 1, 1, tag);
  ASSERT_TRUE(ParseRawReply(good));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParseRawReply(std::span<const uint8_t>(good.data(), n))) << "truncated to " << n;
  }
  auto bad = good;
  bad[0] = 0x44;  // IHL 4 < 5
  EXPECT_FALSE(ParseRawReply(bad));
  bad = good;
  bad[0] = 0x65;  // IPv6 version nibble
  EXPECT_FALSE(ParseRawReply(bad));
  bad = good;
  bad[6] = 0x20;  // more fragments
  EXPECT_FALSE(ParseRawReply(bad));
  bad = good;
  bad[9] = 17;  // UDP
  EXPECT_FALSE(ParseRawReply(bad));
  bad = good;
  bad[20] = 8;  // an echo request, not a reply
  EXPECT_FALSE(ParseRawReply(bad));
  bad = good;
  bad[30] ^= 1;  // payload changed: checksum fails
  EXPECT_FALSE(ParseRawReply(bad));
  bad = good;
  bad[2] = 0xff;  // total length beyond the buffer
  EXPECT_FALSE(ParseRawReply(bad));
  bad = good;
  bad.push_back(0);  // trailing bytes beyond total length are ignored (link padding)
  EXPECT_TRUE(ParseRawReply(bad));
}

// Random and mutated packets must never be read out of bounds (run under ASan via the sanitize label).
TEST(Icmp, SurvivesRandomAndMutatedInput) {
  std::mt19937 random(12345);
  ProbeTag tag{2, 3, 0x0a000002, 4};
  auto good = ReplyPacket(0x0a000002, 9, 2, tag);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> packet;
    if (i % 2) {
      packet.resize(random() % 80);
      for (auto& b : packet) b = static_cast<uint8_t>(random());
    } else {
      packet = good;
      for (int k = 0; k < 1 + int(random() % 3); ++k) packet[random() % packet.size()] = static_cast<uint8_t>(random());
      packet.resize(random() % (packet.size() + 8), 0);
    }
    if (ParseRawReply(packet)) ++accepted;
    ParseDatagramReply(packet, 1);
  }
  // Mutations of unchecked IPv4 fields (TTL, id, addresses) keep a packet parseable; the point here is
  // that nothing is read out of bounds, which ASan checks.
  EXPECT_LT(accepted, 20000);
  EXPECT_TRUE(ParseRawReply(good));
}

}  // namespace
}  // namespace vigil::probe
