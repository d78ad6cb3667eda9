// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

// A CSV geo world covering most of IPv4 (with range boundaries that cut /24s, and unmapped space) for the
// signal tests, and a temporary folder to hold it.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace vigil::signals::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "vigil-signals-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string Dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." + std::to_string(a >> 8 & 255) + "." +
         std::to_string(a & 255);
}

// Writes geo-ipv4.csv and asn-ipv4.csv into dir: per /8, four location ranges (two boundaries inside a /24)
// in one of eight countries with two regions each; ASNs per /10 (one boundary inside a /24); 100/8-109/8
// unmapped.
inline void WriteTestWorld(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::ofstream geo(dir + "/geo-ipv4.csv");
  std::ofstream asn(dir + "/asn-ipv4.csv");
  static const char* kCountries[] = {"KZ", "DE", "US", "FR", "BR", "NL", "JP", "RU"};
  static const char* kZones[] = {"Asia/Almaty",       "Europe/Berlin",    "America/New_York", "Europe/Paris",
                                 "America/Sao_Paulo", "Europe/Amsterdam", "Asia/Tokyo",       "Europe/Moscow"};
  for (uint32_t o = 1; o <= 223; ++o) {
    if (o >= 100 && o <= 109) continue;
    uint32_t base = o << 24;
    uint32_t cuts[5] = {base, base | 0x400064, base | 0x800000, base | 0xC80307, base | 0xFFFFFF};
    for (int k = 0; k < 4; ++k) {
      int c = int((o * 3 + uint32_t(k)) % 8);
      uint32_t first = cuts[k], last = k == 3 ? cuts[4] : cuts[k + 1] - 1;
      geo << Dotted(first) << "," << Dotted(last) << "," << kCountries[c] << "," << kCountries[c] << "-R" << (k % 2)
          << ",,,,0,0," << kZones[c] << "\n";
    }
    for (uint32_t q = 0; q < 4; ++q) {
      uint32_t first = base | q << 22 | (q ? 0x81 : 0),
               last = q == 3 ? (base | 0xFFFFFF) : ((base | (q + 1) << 22 | 0x81) - 1);
      asn << Dotted(first) << "," << Dotted(last) << "," << (64000 + o * 4 + q) << ",Test AS " << (o * 4 + q) << "\n";
    }
  }
}

// One BGP4MP STATE_CHANGE_AS4 record (RFC 6396 4.4.4), IPv4 peer.
inline std::string StateChangeRecord(uint32_t t, uint32_t peer_as, uint32_t peer_ip, uint16_t from, uint16_t to) {
  std::string r;
  auto u16 = [&](uint32_t v) { r.push_back(char(v >> 8)), r.push_back(char(v)); };
  auto u32 = [&](uint32_t v) { u16(v >> 16), u16(v & 0xffff); };
  u32(t), u16(16), u16(5), u32(24);
  u32(peer_as), u32(6447), u16(0), u16(1);
  u32(peer_ip), u32(0x80DF3366);
  u16(from), u16(to);
  return r;
}

// The `--full-feed-min N [--full-feed-min-v6 M]` flags for a simulated world, from the sim-config.json that
// `vigil sim` wrote into `sim_out` (ingest takes thresholds only from its flags).
inline std::string SimFullFeedFlags(const std::string& sim_out) {
  std::ifstream in(sim_out + "/sim-config.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto value = [&](const std::string& key) -> std::string {
    size_t at = text.find("\"" + key + "\"");
    if (at == std::string::npos) return "";
    at = text.find_first_of("0123456789", text.find(':', at));
    return text.substr(at, text.find_first_not_of("0123456789", at) - at);
  };
  std::string flags, v4 = value("full_feed_min_prefixes"), v6 = value("full_feed_min_prefixes_v6");
  if (!v4.empty()) flags += " --full-feed-min " + v4;
  if (!v6.empty()) flags += " --full-feed-min-v6 " + v6;
  return flags;
}

}  // namespace vigil::signals::testing
