// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time_format.h"

namespace vigil::probe {

// One /24 block of the hitlist: its ever-responsive addresses E(b) and their availability A(E(b)).
struct HitlistBlock {
  uint32_t base = 0;             // network address, host byte order, low 8 bits zero
  double availability = 0;       // A(E(b)), 0..1: chance that a probe to a random E(b) address is answered
  int censuses = 0;              // census rounds behind the histories (capped at 4); 0 = hand-made entry
  std::vector<uint8_t> hosts;    // last octets of E(b), ascending, unique
  std::vector<uint8_t> history;  // per host, bit i = answered in the i-th latest census; empty when unknown
};

struct Hitlist {
  UnixSeconds updated = 0;           // time of the latest census merged in (0 when unknown)
  std::vector<HitlistBlock> blocks;  // ascending by base, unique
};

// Text format (docs/probe.md): a header line `#vigil-hitlist v1 updated=<unix s>`, `#` comments, then one
// line per block: `198.18.1.0/24<TAB>0.875<TAB>4<TAB>1:f,2:7,9:8` (block, availability, censuses,
// hosts as `octet[:history hex digit]`). Errors name the file and line.
Result<Hitlist> ParseHitlist(std::string_view text, const std::string& name);
Result<Hitlist> ReadHitlist(const std::string& path);
std::string FormatHitlist(const Hitlist& hitlist);
// Writes to a temporary file beside path and renames it into place.
Status WriteHitlist(const Hitlist& hitlist, const std::string& path);

// Census rounds remember at most this many observations per address (as trinarkular does with the
// ISI census history, `history & 0xf`): availability follows recent behaviour, not the distant past.
inline constexpr int kCensusHistory = 4;

// Responders of one census round: per probed /24, a 256-bit set of answering last octets.
struct CensusBlock {
  uint32_t base = 0;
  uint64_t responders[4] = {0, 0, 0, 0};
  int probed = 0;  // addresses actually probed (opt-out and the rate limit may leave some out)
};

// Merges a census into a hitlist: each address's history shifts by one and records this census; new
// responders join E(b); an address whose history empties leaves E(b); A(E(b)) becomes the mean over E(b)
// of (answered censuses / censuses seen, at most 4). Blocks not in the census keep their entry unchanged.
Hitlist MergeCensus(const Hitlist& previous, const std::vector<CensusBlock>& census, UnixSeconds when);

// IPv4 prefix, host byte order.
struct Cidr {
  uint32_t address = 0;
  int length = 32;
  uint32_t First() const { return length == 0 ? 0 : address & (~uint32_t{0} << (32 - length)); }
  uint32_t Last() const { return First() | (length == 0 ? ~uint32_t{0} : ~(~uint32_t{0} << (32 - length))); }
};
// "198.18.0.0/15" or a bare address (a /32).
Result<Cidr> ParseCidr(std::string_view text);
Result<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t address);
// "198.18.1.0/24"
std::string FormatBlock(uint32_t base);

// Addresses never to probe. Always wins over the hitlist and over census block lists.
class OptOutList {
 public:
  // One CIDR or address per line; `#` starts a comment. Errors name the file and line.
  static Result<OptOutList> Parse(std::string_view text, const std::string& name);
  static Result<OptOutList> Read(const std::string& path);
  void Add(const Cidr& cidr);
  bool Contains(uint32_t address) const;
  size_t size() const { return ranges_.size(); }

 private:
  void Normalise();
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;  // inclusive, sorted, merged
};

// The /24 blocks covered by a list of CIDRs ("198.18.0.0/22" gives four), ascending and unique. Longer
// prefixes than /24 name the /24 that holds them. Refuses more than max_blocks.
Result<std::vector<uint32_t>> BlocksOf(const std::vector<Cidr>& cidrs, size_t max_blocks);

// What the prober measures: a hitlist block that passes Trinocular's eligibility rule, with opt-out
// addresses removed.
struct TargetBlock {
  uint32_t base = 0;
  double availability = 0;
  std::vector<uint8_t> hosts;
};

struct Eligibility {
  size_t min_addresses = 15;      // |E(b)| >= 15 (Trinocular, trinarkular gen-probelist)
  double min_availability = 0.1;  // A(E(b)) >= 0.1: below it a block's silence says too little
};

struct TargetSelection {
  std::vector<TargetBlock> targets;
  size_t too_few_addresses = 0;  // after opt-out
  size_t low_availability = 0;
  size_t opted_out_addresses = 0;
};

TargetSelection SelectTargets(const Hitlist& hitlist, const OptOutList& opt_out, const Eligibility& rule);

}  // namespace vigil::probe
