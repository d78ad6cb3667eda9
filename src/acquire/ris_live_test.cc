// SPDX-License-Identifier: AGPL-3.0-or-later
// RIS Live parsing on real lines (../shared/data/rislive/) and on frames made from a real MRT update file.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "acquire/acquire.h"
#include "mrt/mrt.h"

namespace vigil::acquire {
namespace {

std::vector<std::string> FixtureLines() {
  std::ifstream in(std::string(VIGIL_SHARED_DIR) + "/data/rislive/libbgpstream-ris-live-stream.json");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

TEST(RisLive, LegacyLinesOfARealCapture) {
  std::vector<std::string> lines = FixtureLines();
  ASSERT_EQ(lines.size(), 9u);
  std::vector<LiveMessage> all;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string where = "stream.json:" + std::to_string(i + 1);
    auto parsed = ParseRisLiveText(lines[i], where);
    if (i == 7) {  // `{"timestamp:1534175211.49,...`: a quote missing
      ASSERT_FALSE(parsed.ok());
      EXPECT_TRUE(parsed.status().IsCorruption());
      EXPECT_NE(parsed.message().find("stream.json:8"), std::string::npos) << parsed.message();
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.message();
    EXPECT_EQ(parsed->size(), i == 8 ? 2u : 1u) << where;
    for (LiveMessage& m : *parsed) all.push_back(std::move(m));
  }
  ASSERT_EQ(all.size(), 9u);
  const LiveMessage& a = all[0];
  EXPECT_EQ(a.kind, LiveMessageKind::kUpdate);
  EXPECT_EQ(a.collector, "rrc13");
  EXPECT_EQ(a.peer_asn, 28917u);
  EXPECT_EQ(a.origin, "igp");
  EXPECT_EQ(a.peer.family, 6);
  EXPECT_EQ(Hex(a.peer.Key()), "06200107f8002001010000000002080147");
  ASSERT_EQ(a.announcements.size(), 1u);
  EXPECT_EQ(a.announcements[0].next_hop, "fe80::21d:b5ff:fe28:e7ce");
  ASSERT_EQ(a.announcements[0].prefixes.size(), 1u);
  EXPECT_EQ(a.announcements[0].prefixes[0].length, 32);
  ASSERT_EQ(a.path.size(), 1u);
  EXPECT_EQ(a.path[0].asns, (std::vector<uint32_t>{28917, 6939, 266951}));
  EXPECT_DOUBLE_EQ(a.timestamp, 1533666470.7);

  const LiveMessage& w = all[1];
  EXPECT_EQ(w.kind, LiveMessageKind::kUpdate);
  EXPECT_TRUE(w.announcements.empty());
  ASSERT_EQ(w.withdrawals.size(), 1u);
  EXPECT_EQ(w.withdrawals[0].length, 22);
  EXPECT_EQ(Hex(w.peer.Key()), "042531ec7b");          // 37.49.236.123
  EXPECT_EQ(all[2].kind, LiveMessageKind::kBgpOther);  // O
  EXPECT_EQ(all[4].kind, LiveMessageKind::kPeerState);
  EXPECT_TRUE(all[4].peer_up);
  EXPECT_EQ(all[5].kind, LiveMessageKind::kPeerState);
  EXPECT_FALSE(all[5].peer_up);
  EXPECT_EQ(all[6].kind, LiveMessageKind::kBgpOther);  // N
  EXPECT_EQ(all[7].withdrawals.size(), 1u);
  EXPECT_EQ(all[8].withdrawals.size(), 1u);
}

TEST(RisLive, CurrentFormatWithItsQuirks) {
  // The example of ACQUISITION.md, with an AS_SET, a string peer_asn and a domain in host.
  std::string frame =
      R"({"type":"ris_message","data":{"timestamp":1787141896.08,"peer":"37.49.237.143","peer_asn":"50628",)"
      R"("id":"x","host":"rrc21.ripe.net","type":"UPDATE","path":[50628,35280,[6453,174]],)"
      R"("community":[[6453,86]],"origin":"IGP","announcements":[{"next_hop":"37.49.237.143",)"
      R"("prefixes":["173.82.228.0/24","173.82.229.7/24"]}],"withdrawals":["2a01:6e00::/48"]}})";
  auto parsed = ParseRisLiveText(frame, "frame 1");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed->size(), 1u);
  const LiveMessage& m = (*parsed)[0];
  EXPECT_EQ(m.type, "UPDATE");
  EXPECT_EQ(m.collector, "rrc21");
  EXPECT_EQ(m.origin, "igp");
  ASSERT_EQ(m.path.size(), 2u);
  EXPECT_FALSE(m.path[0].as_set);
  EXPECT_TRUE(m.path[1].as_set);
  EXPECT_EQ(m.path[1].asns, (std::vector<uint32_t>{6453, 174}));
  ASSERT_EQ(m.announcements[0].prefixes.size(), 2u);
  // Host bits are cleared: 173.82.229.7/24 is 173.82.229.0/24.
  EXPECT_EQ(m.announcements[0].prefixes[1].address.bytes[3], 0);
  ASSERT_EQ(m.withdrawals.size(), 1u);
  EXPECT_EQ(m.withdrawals[0].address.family, 6);

  auto state = ParseRisLiveText(
      R"({"type":"ris_message","data":{"timestamp":1.5,"peer":"2001:db8::1","peer_asn":"1","host":"rrc00",)"
      R"("type":"RIS_PEER_STATE","state":"down"}})",
      "frame 2");
  ASSERT_TRUE(state.ok()) << state.message();
  EXPECT_EQ((*state)[0].kind, LiveMessageKind::kPeerState);
  EXPECT_FALSE((*state)[0].peer_up);

  auto error = ParseRisLiveText(R"({"type":"ris_error","data":{"message":"client too slow"}})", "frame 3");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ((*error)[0].kind, LiveMessageKind::kServerError);
  EXPECT_EQ((*error)[0].error, "client too slow");
  auto pong = ParseRisLiveText(R"({"type":"pong","data":null})", "frame 4");
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ((*pong)[0].kind, LiveMessageKind::kControl);
}

TEST(RisLive, MalformedFramesAreCorruptionNamingTheFrame) {
  const std::string head = R"({"type":"ris_message","data":{"timestamp":1,"peer":"192.0.2.1","peer_asn":"1",)";
  const std::vector<std::string> bad = {
      "",
      "[1,2]",
      R"({"type":"ris_message","data":{"timestamp":1)",  // cut short
      head + R"("host":"rrc00","type":"UPDATE","announcements":[{"prefixes":["10.0.0.0/33"]}]}})",
      head + R"("host":"rrc00","type":"UPDATE","withdrawals":["10.0.0.0"]}})",
      head + R"("host":"rrc00","type":"UPDATE","withdrawals":["zz::/8"]}})",
      head + R"("host":"rrc00","type":"UPDATE","path":[1,"x"]}})",
      head + R"("host":"rrc00","type":"UPDATE","path":[1,[2,-3]]}})",
      head + R"("type":"UPDATE"}})",  // no host
      R"({"type":"ris_message","data":{"timestamp":1,"peer":"not-an-ip","peer_asn":"1",)"
      R"("host":"rrc00","type":"UPDATE"}})",
      R"({"type":"ris_message","data":{"timestamp":1,"peer":"192.0.2.1","peer_asn":"99999999999",)"
      R"("host":"r","type":"UPDATE"}})",
      R"({"type":"ris_message","data":{"timestamp":"1","peer":"192.0.2.1","peer_asn":"1","host":"r","type":"UPDATE"}})",
      R"({"type":"surprise"})",
      R"({"type":"ris_message"})",
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    std::string where = "frame " + std::to_string(100 + i);
    auto parsed = ParseRisLiveText(bad[i], where);
    ASSERT_FALSE(parsed.ok()) << bad[i];
    EXPECT_TRUE(parsed.status().IsCorruption()) << parsed.message();
    EXPECT_EQ(parsed.message().rfind(where, 0), 0u) << parsed.message();
  }
}

// What the signals stage sees of an element or a message: kind, peer key, prefix.
using Fact = std::tuple<char, std::string, int, std::string, int>;

std::string PrefixBytes(const uint8_t* bytes, int family) {
  return std::string(reinterpret_cast<const char*>(bytes), family == 6 ? 16 : 4);
}

TEST(RisLive, FramesFromARealMrtFileCarryItsFacts) {
  // RouteViews updates of 2016-11-01 (IPv4 and IPv6, AS_SETs): every announce, withdraw and state change of
  // the file comes back from the frames with the same peer key bytes (as the signals stage builds them from
  // MRT) and the same prefix.
  const std::string file = std::string(VIGIL_SHARED_DIR) + "/data/mrt/ryu.updates.20161101.0000.bz2";
  std::vector<Fact> expected;
  auto read = mrt::ForEachElement(file, [&](const mrt::Element& e) {
    std::string key(1, char(e.peer_ip.family));
    key += PrefixBytes(e.peer_ip.bytes, e.peer_ip.family);
    char kind = e.kind == mrt::ElementKind::kAnnounce ? 'A' : e.kind == mrt::ElementKind::kWithdraw ? 'W' : 'S';
    if (kind == 'S') {
      expected.emplace_back(kind, key, 0, "", e.new_state == 6);
    } else {
      mrt::Prefix p = e.prefix.Masked();
      expected.emplace_back(kind, key, p.family, PrefixBytes(p.bytes, p.family), p.length);
    }
  });
  ASSERT_TRUE(read.ok()) << read.message();
  ASSERT_GT(expected.size(), 5000u);

  auto frames = RisLiveFramesFromMrt(file, "rrc99");
  ASSERT_TRUE(frames.ok()) << frames.message();
  std::vector<Fact> got;
  size_t as_sets = 0, v6 = 0;
  for (size_t i = 0; i < frames->size(); ++i) {
    auto parsed = ParseRisLiveText((*frames)[i], "frame " + std::to_string(i));
    ASSERT_TRUE(parsed.ok()) << parsed.message();
    for (const LiveMessage& m : *parsed) {
      EXPECT_EQ(m.collector, "rrc99");
      for (const LivePathSegment& s : m.path) as_sets += s.as_set;
      if (m.kind == LiveMessageKind::kPeerState) got.emplace_back('S', m.peer.Key(), 0, "", m.peer_up);
      // A frame lists announcements, then withdrawals; the file interleaves them only across records.
      for (const LiveAnnouncement& a : m.announcements) {
        for (const LivePrefix& p : a.prefixes) {
          v6 += p.address.family == 6;
          got.emplace_back('A', m.peer.Key(), p.address.family, PrefixBytes(p.address.bytes, p.address.family),
                           p.length);
        }
      }
      for (const LivePrefix& p : m.withdrawals) {
        got.emplace_back('W', m.peer.Key(), p.address.family, PrefixBytes(p.address.bytes, p.address.family), p.length);
      }
    }
  }
  EXPECT_GT(as_sets, 0u);
  EXPECT_GT(v6, 500u);
  EXPECT_LT(frames->size(), expected.size());  // grouped per UPDATE
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
}

TEST(RisLive, SubscribesToUpdatesAndPeerStatesOfOneCollector) {
  std::vector<std::string> frames = RisLiveSubscribeFrames("rrc21");
  ASSERT_EQ(frames.size(), 2u);
  auto j = nlohmann::json::parse(frames[0]);
  EXPECT_EQ(j["type"], "ris_subscribe");
  EXPECT_EQ(j["data"]["host"], "rrc21");
  EXPECT_EQ(j["data"]["type"], "UPDATE");
  EXPECT_EQ(nlohmann::json::parse(frames[1])["data"]["type"], "RIS_PEER_STATE");
}

}  // namespace
}  // namespace vigil::acquire
