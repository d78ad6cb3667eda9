// SPDX-License-Identifier: AGPL-3.0-or-later
// RIS Live messages to typed values. Formats and quirks: ../shared/ACQUISITION.md, "RIS Live"; docs/rislive.md.
#include <arpa/inet.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "acquire/acquire.h"

namespace vigil::acquire {
namespace {

using Json = nlohmann::json;

Status Malformed(const std::string& where, size_t offset, const std::string& what) {
  return Status::Corruption(where + ", byte " + std::to_string(offset) + ": " + what);
}

// The end of the JSON object that starts at `begin` (the offset after its closing brace), or npos when the
// text ends first. Strings are skipped with their escapes, so braces inside them do not count.
size_t ObjectEnd(std::string_view text, size_t begin) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = begin; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Field readers: each says which field was missing or of the wrong kind.
Result<std::string> StringField(const Json& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return Status::Corruption(std::string("\"") + name + "\" is not a string");
  return it->get<std::string>();
}

Result<double> TimestampField(const Json& o) {
  auto it = o.find("timestamp");
  if (it == o.end() || !it->is_number()) return Status::Corruption("\"timestamp\" is not a number");
  double t = it->get<double>();
  if (!std::isfinite(t) || t < 0 || t > 1e11) return Status::Corruption("\"timestamp\" is out of range");
  return t;
}

Result<uint32_t> AsnValue(const Json& v, const char* name) {
  if (v.is_number_unsigned()) {
    uint64_t n = v.get<uint64_t>();
    if (n <= UINT32_MAX) return uint32_t(n);
  } else if (v.is_string()) {  // peer_asn is a string in RIS Live
    const std::string& s = v.get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos) {
      uint64_t n = std::stoull(s);
      if (n <= UINT32_MAX) return uint32_t(n);
    }
  }
  return Status::Corruption(std::string("\"") + name + "\" is not an AS number");
}

std::string CollectorOf(std::string host) {
  // "rrc21.ripe.net" and "rrc21" are the same collector.
  size_t dot = host.find('.');
  if (dot != std::string::npos && host.compare(dot, std::string::npos, ".ripe.net") == 0) host.resize(dot);
  return host;
}

Status ReadPeer(const Json& o, LiveMessage& m) {
  auto host = StringField(o, "host");
  if (!host.ok()) return host.status();
  m.collector = CollectorOf(*host);
  if (m.collector.empty()) return Status::Corruption("\"host\" is empty");
  auto peer = StringField(o, "peer");
  if (!peer.ok()) return peer.status();
  auto address = ParseLiveAddress(*peer);
  if (!address.ok()) return address.status().WithContext("\"peer\"");
  m.peer = *address;
  auto asn_it = o.find("peer_asn");
  if (asn_it == o.end()) return Status::Corruption("\"peer_asn\" is missing");
  auto asn = AsnValue(*asn_it, "peer_asn");
  if (!asn.ok()) return asn.status();
  m.peer_asn = *asn;
  auto t = TimestampField(o);
  if (!t.ok()) return t.status();
  m.timestamp = *t;
  return Status::Ok();
}

Status ReadPath(const Json& o, LiveMessage& m) {
  auto it = o.find("path");
  if (it == o.end()) return Status::Ok();  // withdrawals only
  if (!it->is_array()) return Status::Corruption("\"path\" is not an array");
  for (const Json& hop : *it) {
    if (hop.is_array()) {  // an AS_SET
      LivePathSegment set{true, {}};
      for (const Json& member : hop) {
        auto asn = AsnValue(member, "path");
        if (!asn.ok()) return asn.status();
        set.asns.push_back(*asn);
      }
      m.path.push_back(std::move(set));
      continue;
    }
    auto asn = AsnValue(hop, "path");
    if (!asn.ok()) return asn.status();
    if (m.path.empty() || m.path.back().as_set) m.path.push_back(LivePathSegment{false, {}});
    m.path.back().asns.push_back(*asn);
  }
  return Status::Ok();
}

Status ReadOrigin(const Json& o, LiveMessage& m) {
  auto it = o.find("origin");
  if (it == o.end()) return Status::Ok();
  if (!it->is_string()) return Status::Corruption("\"origin\" is not a string");
  m.origin = it->get<std::string>();
  for (char& c : m.origin) c = char(std::tolower(static_cast<unsigned char>(c)));  // IGP (new) / igp (old)
  return Status::Ok();
}

Result<std::vector<LivePrefix>> PrefixList(const Json& list, const char* name) {
  if (!list.is_array()) return Status::Corruption(std::string("\"") + name + "\" is not an array");
  std::vector<LivePrefix> out;
  for (const Json& p : list) {
    if (!p.is_string()) return Status::Corruption(std::string("\"") + name + "\" holds a non-string");
    auto prefix = ParseLivePrefix(p.get_ref<const std::string&>());
    if (!prefix.ok()) return prefix.status().WithContext(std::string("\"") + name + "\"");
    out.push_back(*prefix);
  }
  return out;
}

// data of a current `ris_message` (type UPDATE, RIS_PEER_STATE, OPEN, ...).
Status ReadRisMessage(const Json& d, LiveMessage& m) {
  if (!d.is_object()) return Status::Corruption("\"data\" is not an object");
  auto type = StringField(d, "type");
  if (!type.ok()) return type.status();
  m.type = *type;
  VIGIL_RETURN_IF_ERROR(ReadPeer(d, m));
  if (m.type == "UPDATE") {
    m.kind = LiveMessageKind::kUpdate;
    VIGIL_RETURN_IF_ERROR(ReadPath(d, m));
    VIGIL_RETURN_IF_ERROR(ReadOrigin(d, m));
    if (auto it = d.find("announcements"); it != d.end()) {
      if (!it->is_array()) return Status::Corruption("\"announcements\" is not an array");
      for (const Json& a : *it) {
        if (!a.is_object()) return Status::Corruption("\"announcements\" holds a non-object");
        LiveAnnouncement ann;
        if (auto nh = a.find("next_hop"); nh != a.end() && nh->is_string()) ann.next_hop = nh->get<std::string>();
        auto prefixes = a.find("prefixes");
        if (prefixes == a.end()) return Status::Corruption("an announcement has no \"prefixes\"");
        auto list = PrefixList(*prefixes, "prefixes");
        if (!list.ok()) return list.status();
        ann.prefixes = std::move(*list);
        m.announcements.push_back(std::move(ann));
      }
    }
    if (auto it = d.find("withdrawals"); it != d.end()) {
      auto list = PrefixList(*it, "withdrawals");
      if (!list.ok()) return list.status();
      m.withdrawals = std::move(*list);
    }
    return Status::Ok();
  }
  if (m.type == "RIS_PEER_STATE") {
    auto state = StringField(d, "state");
    if (!state.ok()) return state.status();
    m.kind = LiveMessageKind::kPeerState;
    m.peer_up = *state == "connected";
    return Status::Ok();
  }
  m.kind = LiveMessageKind::kBgpOther;
  return Status::Ok();
}

// The older per-prefix format (one prefix per message): A announce, W withdraw, S state, O open, N notification.
Status ReadLegacy(const Json& o, const std::string& type, LiveMessage& m) {
  m.type = type;
  VIGIL_RETURN_IF_ERROR(ReadPeer(o, m));
  if (type == "A" || type == "W") {
    m.kind = LiveMessageKind::kUpdate;
    auto text = StringField(o, "prefix");
    if (!text.ok()) return text.status();
    auto prefix = ParseLivePrefix(*text);
    if (!prefix.ok()) return prefix.status().WithContext("\"prefix\"");
    if (type == "W") {
      m.withdrawals.push_back(*prefix);
      return Status::Ok();
    }
    VIGIL_RETURN_IF_ERROR(ReadPath(o, m));
    VIGIL_RETURN_IF_ERROR(ReadOrigin(o, m));
    LiveAnnouncement ann;
    if (auto nh = o.find("next_hop"); nh != o.end() && nh->is_string()) ann.next_hop = nh->get<std::string>();
    ann.prefixes.push_back(*prefix);
    m.announcements.push_back(std::move(ann));
    return Status::Ok();
  }
  if (type == "S") {
    auto state = StringField(o, "state");
    if (!state.ok()) return state.status();
    m.kind = LiveMessageKind::kPeerState;
    m.peer_up = *state == "connected";
    return Status::Ok();
  }
  if (type == "O" || type == "N" || type == "K") {
    m.kind = LiveMessageKind::kBgpOther;
    return Status::Ok();
  }
  return Status::Corruption("unknown message type \"" + type + "\"");
}

Status ReadMessage(const Json& o, LiveMessage& m) {
  if (!o.is_object()) return Status::Corruption("not a JSON object");
  auto type = StringField(o, "type");
  if (!type.ok()) return type.status();
  if (*type == "ris_message") {
    auto d = o.find("data");
    if (d == o.end()) return Status::Corruption("\"data\" is missing");
    return ReadRisMessage(*d, m);
  }
  m.type = *type;
  if (*type == "ris_error") {
    m.kind = LiveMessageKind::kServerError;
    auto d = o.find("data");
    if (d != o.end() && d->is_object() && d->contains("message") && (*d)["message"].is_string()) {
      m.error = (*d)["message"].get<std::string>();
    } else {
      m.error = d == o.end() ? "(no message)" : d->dump();
    }
    return Status::Ok();
  }
  if (*type == "ris_subscribe_ok" || *type == "pong" || *type == "ris_rrc_list") {
    m.kind = LiveMessageKind::kControl;
    return Status::Ok();
  }
  if (type->size() == 1) return ReadLegacy(o, *type, m);
  return Status::Corruption("unknown message type \"" + *type + "\"");
}

}  // namespace

std::string LiveAddress::Key() const {
  std::string key(1, char(family));
  key.append(reinterpret_cast<const char*>(bytes), family == 6 ? 16 : 4);
  return key;
}

Result<LiveAddress> ParseLiveAddress(std::string_view text) {
  LiveAddress a;
  if (text.empty() || text.size() > 45) return Status::Corruption("not an IP address: \"" + std::string(text) + "\"");
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), a.bytes) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, s.c_str(), a.bytes) == 1) {
    a.family = 6;
  } else {
    return Status::Corruption("not an IP address: \"" + s + "\"");
  }
  return a;
}

Result<LivePrefix> ParseLivePrefix(std::string_view text) {
  size_t slash = text.find('/');
  auto bad = [&] { return Status::Corruption("not a prefix: \"" + std::string(text.substr(0, 64)) + "\""); };
  if (slash == std::string_view::npos || slash + 1 >= text.size() || text.size() - slash > 4) return bad();
  std::string_view length_text = text.substr(slash + 1);
  if (length_text.find_first_not_of("0123456789") != std::string_view::npos) return bad();
  int length = std::stoi(std::string(length_text));
  auto address = ParseLiveAddress(text.substr(0, slash));
  if (!address.ok()) return bad();
  if (length > (address->family == 4 ? 32 : 128)) return bad();
  LivePrefix p{*address, uint8_t(length)};
  for (int bit = length; bit < (p.address.family == 4 ? 32 : 128); ++bit) {
    p.address.bytes[bit / 8] &= uint8_t(~(0x80u >> (bit % 8)));
  }
  return p;
}

Result<std::vector<LiveMessage>> ParseRisLiveText(std::string_view text, const std::string& where) {
  std::vector<LiveMessage> out;
  size_t i = 0;
  while (true) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i == text.size()) break;
    if (text[i] != '{') return Malformed(where, i, "expected a JSON object");
    size_t end = ObjectEnd(text, i);
    if (end == std::string_view::npos) return Malformed(where, i, "the JSON object is not closed");
    Json j = Json::parse(text.substr(i, end - i), nullptr, false);
    if (j.is_discarded()) return Malformed(where, i, "not valid JSON");
    LiveMessage m;
    if (Status read = ReadMessage(j, m); !read.ok()) return Malformed(where, i, read.message());
    out.push_back(std::move(m));
    i = end;
  }
  if (out.empty()) return Status::Corruption(where + ": empty");
  return out;
}

std::vector<std::string> RisLiveSubscribeFrames(const std::string& collector) {
  std::vector<std::string> frames;
  for (const char* type : {"UPDATE", "RIS_PEER_STATE"}) {
    Json j = {
        {"type", "ris_subscribe"},
        {"data",
         {{"host", collector}, {"type", type}, {"socketOptions", {{"includeRaw", false}, {"acknowledge", true}}}}}};
    frames.push_back(j.dump());
  }
  return frames;
}

}  // namespace vigil::acquire
