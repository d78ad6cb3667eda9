// SPDX-License-Identifier: AGPL-3.0-or-later
// Real MRT updates as RIS Live `ris_message` frames: replay material for tests and the demo, since no capture
// of the current format is kept (../shared/data/rislive/ holds only the older per-prefix format).
#include <nlohmann/json.hpp>

#include "acquire/acquire.h"
#include "mrt/mrt.h"

namespace vigil::acquire {
namespace {

using Json = nlohmann::json;

Json PathJson(const mrt::AsPath& path) {
  Json out = Json::array();
  path.ForEachSegment([&](mrt::AsSegmentType type, uint32_t count, auto&& asn_at) {
    bool set = type == mrt::AsSegmentType::kSet || type == mrt::AsSegmentType::kConfedSet;
    Json set_members = Json::array();
    for (uint32_t i = 0; i < count; ++i) (set ? set_members : out).push_back(asn_at(i));
    if (set) out.push_back(std::move(set_members));
    return true;
  });
  return out;
}

const char* OriginName(mrt::Origin origin) {
  switch (origin) {
    case mrt::Origin::kIgp:
      return "IGP";
    case mrt::Origin::kEgp:
      return "EGP";
    case mrt::Origin::kIncomplete:
      return "INCOMPLETE";
    case mrt::Origin::kAbsent:
      break;
  }
  return "";
}

// Consecutive elements of one peer at one time with the same attributes (one MRT record, usually) make one
// frame, as RIS Live sends one message per BGP UPDATE.
class FrameBuilder {
 public:
  explicit FrameBuilder(std::string collector) : collector_(std::move(collector)) {}

  void Add(const mrt::Element& e) {
    if (e.kind == mrt::ElementKind::kRib) return;
    if (e.kind == mrt::ElementKind::kState) {
      Flush();
      Json data = Header(e, "RIS_PEER_STATE");
      data["state"] = e.new_state == 6 ? "connected" : "down";
      frames_.push_back(Frame(std::move(data)));
      return;
    }
    std::string peer = e.peer_ip.ToString();
    bool same = open_ && time_ == e.time && peer_ == peer && asn_ == e.peer_asn;
    if (e.kind == mrt::ElementKind::kWithdraw) {
      if (!same) Begin(e, peer);
      data_["withdrawals"].push_back(e.prefix.ToString());
      return;
    }
    Json path = e.attributes ? PathJson(e.attributes->as_path()) : Json::array();
    std::string origin = e.attributes ? OriginName(e.attributes->origin()) : "";
    std::string next_hop = e.next_hop.family ? e.next_hop.ToString() : peer;
    if (!same || (data_.contains("path") && (data_["path"] != path || data_["origin"] != origin))) {
      Begin(e, peer);
    }
    data_["path"] = std::move(path);
    data_["origin"] = origin;
    Json& announcements = data_["announcements"];
    if (announcements.empty() || announcements.back()["next_hop"] != next_hop) {
      announcements.push_back({{"next_hop", next_hop}, {"prefixes", Json::array()}});
    }
    announcements.back()["prefixes"].push_back(e.prefix.ToString());
  }

  std::vector<std::string> Finish() {
    Flush();
    return std::move(frames_);
  }

 private:
  Json Header(const mrt::Element& e, const char* type) const {
    return {{"timestamp", double(e.time) + e.microseconds / 1e6},
            {"peer", e.peer_ip.ToString()},
            {"peer_asn", std::to_string(e.peer_asn)},  // a string, as RIS Live sends it
            {"id", collector_ + "-" + std::to_string(e.record_offset)},
            {"host", collector_ + ".ripe.net"},
            {"type", type}};
  }
  std::string Frame(Json data) const { return Json{{"type", "ris_message"}, {"data", std::move(data)}}.dump(); }

  void Begin(const mrt::Element& e, const std::string& peer) {
    Flush();
    data_ = Header(e, "UPDATE");
    data_["announcements"] = Json::array();
    data_["withdrawals"] = Json::array();
    open_ = true;
    time_ = e.time;
    peer_ = peer;
    asn_ = e.peer_asn;
  }
  void Flush() {
    if (open_) frames_.push_back(Frame(std::move(data_)));
    open_ = false;
  }

  std::string collector_;
  std::vector<std::string> frames_;
  Json data_;
  bool open_ = false;
  int64_t time_ = 0;
  std::string peer_;
  uint32_t asn_ = 0;
};

}  // namespace

Result<std::vector<std::string>> RisLiveFramesFromMrt(const std::string& path, const std::string& collector) {
  FrameBuilder builder(collector);
  auto read = mrt::ForEachElement(path, [&](const mrt::Element& e) { builder.Add(e); });
  if (!read.ok()) return read.status();
  if (read->records == 0 && !read->errors.empty()) return Status::Corruption(path + ": not an MRT file");
  return builder.Finish();
}

}  // namespace vigil::acquire
