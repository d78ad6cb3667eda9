// SPDX-License-Identifier: AGPL-3.0-or-later
// Writes a full-size synthetic BGP world for the signal benchmark: one collector with N IPv4 prefixes x P
// peers in a TABLE_DUMP_V2 RIB, then update files (BGP4MP_MESSAGE_AS4, 5 minutes each) with U updates in all,
// and a CSV geo world covering the space. A minimal MRT encoder (RFC 6396, RFC 4271 UPDATE), gzip-compressed.
//
//   signals_bench_gen OUTDIR [--prefixes 900000] [--peers 24] [--updates 1000000] [--files 12] [--family 4|6]
//
// --family 6 writes the IPv6 world instead: RIB_IPV6_UNICAST entries, updates with MP_REACH_NLRI /
// MP_UNREACH_NLRI (RFC 4760), prefixes /29../64 (mostly /32 and /48) in 2000::/3, geo-ipv6.csv regions per
// /12 (one ASN per /16), and sim-config.json's full_feed_min_prefixes_v6 (the IPv4 side of that world is empty).
// Worlds of both families with the same --prefixes, --peers, --updates and --files hold the same number of
// records of each kind (RIB entries per peer, announcements, withdrawals, state changes).
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kStart = 1641340800;  // 2022-01-05T00:00:00Z

struct Out {
  gzFile gz;
  std::string buf;
  void Flush() {
    if (!buf.empty()) gzwrite(gz, buf.data(), unsigned(buf.size()));
    buf.clear();
  }
};

void U8(std::string& b, uint32_t v) { b.push_back(char(v)); }
void U16(std::string& b, uint32_t v) { U8(b, v >> 8), U8(b, v); }
void U32(std::string& b, uint32_t v) { U16(b, v >> 16), U16(b, v); }

void Record(Out& out, uint32_t t, uint16_t type, uint16_t subtype, const std::string& body) {
  U32(out.buf, t);
  U16(out.buf, type);
  U16(out.buf, subtype);
  U32(out.buf, uint32_t(body.size()));
  out.buf += body;
  if (out.buf.size() > (1 << 20)) out.Flush();
}

void PrefixBytes(std::string& b, uint32_t net, uint8_t len) {
  U8(b, len);
  for (int i = 0; i < (len + 7) / 8; ++i) U8(b, net >> (24 - 8 * i));
}

// ORIGIN IGP, AS_PATH (one AS_SEQUENCE of 4-byte ASNs), NEXT_HOP.
std::string Attributes(uint32_t peer_as, uint32_t origin_as, uint32_t next_hop) {
  std::string a;
  U8(a, 0x40), U8(a, 1), U8(a, 1), U8(a, 0);
  U8(a, 0x40), U8(a, 2), U8(a, 2 + 4 * 3), U8(a, 2), U8(a, 3);
  U32(a, peer_as), U32(a, 3356), U32(a, origin_as);
  U8(a, 0x40), U8(a, 3), U8(a, 4), U32(a, next_hop);
  return a;
}

// IPv4: net holds the address; IPv6: net holds the upper 64 bits (prefixes here are at most /64).
struct Prefix {
  uint64_t net;
  uint8_t len;
  bool operator<(const Prefix& o) const { return net != o.net ? net < o.net : len < o.len; }
  bool operator==(const Prefix& o) const { return net == o.net && len == o.len; }
};

void Prefix6Bytes(std::string& b, uint64_t net, uint8_t len) {
  U8(b, len);
  for (int i = 0; i < (len + 7) / 8; ++i) U8(b, uint32_t(net >> (56 - 8 * i)));
}

// ORIGIN IGP, AS_PATH, MP_REACH_NLRI (AFI 2, SAFI 1, a 16-byte next hop) for one IPv6 prefix.
std::string Attributes6(uint32_t peer_as, uint32_t origin_as, uint32_t peer, const Prefix& x) {
  std::string a;
  U8(a, 0x40), U8(a, 1), U8(a, 1), U8(a, 0);
  U8(a, 0x40), U8(a, 2), U8(a, 2 + 4 * 3), U8(a, 2), U8(a, 3);
  U32(a, peer_as), U32(a, 3356), U32(a, origin_as);
  std::string mp;
  U16(mp, 2), U8(mp, 1), U8(mp, 16);
  U32(mp, 0x20010db8), U32(mp, 0), U32(mp, 0), U32(mp, peer);
  U8(mp, 0);
  Prefix6Bytes(mp, x.net, x.len);
  U8(a, 0x80), U8(a, 14), U8(a, uint32_t(mp.size()));
  a += mp;
  return a;
}

// MP_UNREACH_NLRI for one IPv6 prefix.
std::string Unreach6(const Prefix& x) {
  std::string mp;
  U16(mp, 2), U8(mp, 1);
  Prefix6Bytes(mp, x.net, x.len);
  std::string a;
  U8(a, 0x80), U8(a, 15), U8(a, uint32_t(mp.size()));
  return a + mp;
}

std::string Name(const char* kind, uint32_t t) {
  time_t tt = t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s.%04d%02d%02d.%02d%02d.gz", kind, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUTDIR [--prefixes N] [--peers P] [--updates U] [--files F]\n", argv[0]);
    return 2;
  }
  std::string outdir = argv[1];
  long prefixes = 900000, peers = 24, updates = 1000000, files = 12, family = 4;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long v = std::atol(argv[i + 1]);
    if (k == "--prefixes")
      prefixes = v;
    else if (k == "--peers")
      peers = v;
    else if (k == "--updates")
      updates = v;
    else if (k == "--files")
      files = v;
    else if (k == "--family")
      family = v;
  }
  namespace fs = std::filesystem;
  fs::create_directories(outdir + "/mrt/rrc00");
  fs::create_directories(outdir + "/geo");
  std::mt19937_64 rng(20220105);

  // Prefixes: mostly /24s, some /16../23, spread over 1.0.0.0 - 223.255.255.255.
  std::vector<Prefix> pool;
  pool.reserve(size_t(prefixes) * 11 / 10);
  const bool v6 = family == 6;
  while (long(pool.size()) < prefixes * 11 / 10) {
    int r = int(rng() % 100);
    if (v6) {  // /48 50 %, /32 15 %, /44 10 %, /40 10 %, /29../36 10 %, /56 and /64 5 %
      uint8_t len = r < 50   ? 48
                    : r < 65 ? 32
                    : r < 75 ? 44
                    : r < 85 ? 40
                    : r < 95 ? uint8_t(29 + rng() % 8)
                             : (r % 2 ? 56 : 64);
      uint64_t addr = uint64_t{1} << 61 | (rng() & ((uint64_t{1} << 61) - 1));  // 2000::/3
      pool.push_back({addr & (~uint64_t{0} << (64 - len)), len});
      continue;
    }
    uint8_t len = r < 60 ? 24 : r < 75 ? 23 : r < 85 ? 22 : uint8_t(16 + rng() % 6);
    uint32_t addr = uint32_t(1 + rng() % 223) << 24 | uint32_t(rng() & 0xffffff);
    pool.push_back({addr & (~0u << (32 - len)), len});
  }
  std::sort(pool.begin(), pool.end());
  pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
  if (long(pool.size()) > prefixes) {
    std::shuffle(pool.begin(), pool.end(), rng);
    pool.resize(size_t(prefixes));
    std::sort(pool.begin(), pool.end());
  }

  // From here on (tables, updates) both families draw the same random sequence: an IPv4 and an IPv6 world of
  // the same size have the same RIB entries per peer and the same updates, record for record, so
  // bench/signals.sh can compare their cost per record on equal work.
  rng.seed(20220106);
  // Each peer carries 97-99 % of the table.
  std::vector<std::vector<bool>> carries(size_t(peers), std::vector<bool>(pool.size()));
  for (long p = 0; p < peers; ++p) {
    for (size_t i = 0; i < pool.size(); ++i) carries[size_t(p)][i] = rng() % 1000 >= 10 + uint64_t(p % 3) * 10;
  }
  auto peer_ip = [](long p) { return uint32_t(0xC0000200u + uint32_t(p) + 1); };  // 192.0.2.x
  auto peer_as = [](long p) { return uint32_t(64500 + p); };
  auto origin_as = [v6](const Prefix& x) { return uint32_t(1000 + (v6 ? x.net >> 44 : x.net >> 20) % 3000); };

  uint64_t rib_entries = 0;
  {
    Out out{gzopen((outdir + "/mrt/rrc00/" + Name("bview", kStart)).c_str(), "wb1"), {}};
    std::string pit;
    U32(pit, 0xC1000401);  // collector BGP id
    U16(pit, 0);           // view name length
    U16(pit, uint16_t(peers));
    for (long p = 0; p < peers; ++p) {
      U8(pit, 0x02);  // IPv4 address, 4-byte AS
      U32(pit, peer_ip(p));
      U32(pit, peer_ip(p));
      U32(pit, peer_as(p));
    }
    Record(out, kStart, 13, 1, pit);
    std::string body;
    for (size_t i = 0; i < pool.size(); ++i) {
      body.clear();
      U32(body, uint32_t(i));
      if (v6) {
        Prefix6Bytes(body, pool[i].net, pool[i].len);
      } else {
        PrefixBytes(body, uint32_t(pool[i].net), pool[i].len);
      }
      size_t count_at = body.size();
      U16(body, 0);
      uint16_t count = 0;
      for (long p = 0; p < peers; ++p) {
        if (!carries[size_t(p)][i]) continue;
        std::string attrs = v6 ? Attributes6(peer_as(p), origin_as(pool[i]), peer_ip(p), pool[i])
                               : Attributes(peer_as(p), origin_as(pool[i]), peer_ip(p));
        U16(body, uint16_t(p));
        U32(body, kStart - 86400);
        U16(body, uint16_t(attrs.size()));
        body += attrs;
        ++count;
      }
      body[count_at] = char(count >> 8);
      body[count_at + 1] = char(count);
      rib_entries += count;
      Record(out, kStart, 13, v6 ? 4 : 2, body);
    }
    out.Flush();
    gzclose(out.gz);
  }

  // Updates: withdraw or (re-)announce a random prefix from a random peer; every few files a peer session
  // resets (state change out of ESTABLISHED and back) and re-announces its table slowly.
  long per_file = (updates + files - 1) / files;
  uint64_t written = 0;
  for (long f = 0; f < files; ++f) {
    uint32_t t0 = kStart + uint32_t(f) * 300;
    Out out{gzopen((outdir + "/mrt/rrc00/" + Name("updates", t0)).c_str(), "wb1"), {}};
    for (long k = 0; k < per_file && long(written) < updates; ++k, ++written) {
      uint32_t t = t0 + uint32_t(k * 300 / per_file);
      long p = long(rng() % uint64_t(peers));
      size_t i = size_t(rng() % pool.size());
      std::string body;
      U32(body, peer_as(p));
      U32(body, 65000);  // local AS
      U16(body, 0);      // interface index
      U16(body, 1);      // AFI IPv4
      U32(body, peer_ip(p));
      U32(body, 0xC1000401);
      if (k == per_file / 2 && f % 4 == 1) {
        std::string state = body;
        U16(state, 6), U16(state, 1);  // ESTABLISHED -> IDLE
        Record(out, t, 16, 5, state);
        std::string back = body;
        U16(back, 1), U16(back, 6);
        Record(out, t, 16, 5, back);
        carries[size_t(p)].assign(pool.size(), false);
      }
      std::string msg(16, char(0xff));
      U16(msg, 0);  // length, patched below
      U8(msg, 2);   // UPDATE
      bool withdraw = carries[size_t(p)][i] && rng() % 2 == 0;
      if (v6) {
        U16(msg, 0);
        std::string attrs =
            withdraw ? Unreach6(pool[i]) : Attributes6(peer_as(p), origin_as(pool[i]), peer_ip(p), pool[i]);
        U16(msg, uint16_t(attrs.size()));
        msg += attrs;
        carries[size_t(p)][i] = !withdraw;
      } else if (withdraw) {
        std::string w;
        PrefixBytes(w, uint32_t(pool[i].net), pool[i].len);
        U16(msg, uint16_t(w.size()));
        msg += w;
        U16(msg, 0);
        carries[size_t(p)][i] = false;
      } else {
        U16(msg, 0);
        std::string attrs = Attributes(peer_as(p), origin_as(pool[i]), peer_ip(p));
        U16(msg, uint16_t(attrs.size()));
        msg += attrs;
        PrefixBytes(msg, uint32_t(pool[i].net), pool[i].len);
        carries[size_t(p)][i] = true;
      }
      msg[16] = char(msg.size() >> 8);
      msg[17] = char(msg.size());
      body += msg;
      Record(out, t, 16, 4, body);
    }
    out.Flush();
    gzclose(out.gz);
  }

  if (v6) {  // Geo world: each 2000::/3 /12 is one region of a country, ASN ranges per /20.
    FILE* g4 = std::fopen((outdir + "/geo/geo-ipv4.csv").c_str(), "w");
    std::fclose(g4);
    FILE* g = std::fopen((outdir + "/geo/geo-ipv6.csv").c_str(), "w");
    FILE* a = std::fopen((outdir + "/geo/asn-ipv6.csv").c_str(), "w");
    static const char* kCountries[] = {"KZ", "DE", "US", "FR", "BR", "IN", "JP", "NG"};
    for (uint32_t r = 0x200; r < 0x400; ++r) {  // top 12 bits
      const char* cc = kCountries[r % 8];
      std::fprintf(g, "%x::,%x:ffff:ffff:ffff:ffff:ffff:ffff:ffff,%s,%s-R%02u,,,,0,0,UTC\n", r << 4, r << 4 | 0xf, cc,
                   cc, r % 97);
      for (uint32_t h = 0; h < 16; ++h) {  // one ASN per /16
        uint32_t asn = 1000 + (r * 16 + h) % 3000;
        std::fprintf(a, "%x::,%x:ffff:ffff:ffff:ffff:ffff:ffff:ffff,%u,Bench AS %u\n", r << 4 | h, r << 4 | h, asn,
                     asn);
      }
    }
    std::fclose(g);
    std::fclose(a);
  } else {
    FILE* g = std::fopen((outdir + "/geo/geo-ipv4.csv").c_str(), "w");
    FILE* a = std::fopen((outdir + "/geo/asn-ipv4.csv").c_str(), "w");
    static const char* kCountries[] = {"KZ", "DE", "US", "FR", "BR", "IN", "JP", "NG",
                                       "AU", "CA", "AR", "EG", "ID", "TR", "UA", "PL"};
    for (uint32_t o = 1; o <= 223; ++o) {
      const char* cc = kCountries[o % 16];
      for (uint32_t r = 0; r < 16; ++r) {
        uint32_t first = o << 24 | r << 20, last = first | 0xfffff;
        std::fprintf(g, "%u.%u.0.0,%u.%u.255.255,%s,%s-R%02u,,,,0,0,UTC\n", o, r << 4, o, (r << 4) | 15, cc, cc,
                     (o * 16 + r) % 97);
        (void)last;
      }
      for (uint32_t s = 0; s < 256; s += 4) {
        std::fprintf(a, "%u.%u.0.0,%u.%u.255.255,%u,Bench AS %u\n", o, s, o, s + 3, 1000 + (o * 64 + s / 4) % 3000,
                     1000 + (o * 64 + s / 4) % 3000);
      }
    }
    std::fclose(g);
    std::fclose(a);
  }
  std::FILE* cfg = std::fopen((outdir + "/sim-config.json").c_str(), "w");
  if (v6) {
    std::fprintf(cfg, "{\"full_feed_min_prefixes_v6\": 100000}\n");
  } else {
    std::fprintf(cfg, "{\"full_feed_min_prefixes\": 400000}\n");
  }
  std::fclose(cfg);
  std::printf("prefixes %zu peers %ld rib_entries %llu updates %llu files %ld\n", pool.size(), peers,
              (unsigned long long)rib_entries, (unsigned long long)written, files);
  return 0;
}
