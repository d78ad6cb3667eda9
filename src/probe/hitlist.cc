// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/hitlist.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <map>

#include "probe/text_file.h"

namespace vigil::probe {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename T>
bool ParseNumber(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

Status LineError(const std::string& name, size_t line, const std::string& what) {
  return Status::Corruption(name + ":" + std::to_string(line) + ": " + what);
}

double AvailabilityOf(const HitlistBlock& block) {
  if (block.hosts.empty()) return 0;
  int seen = std::clamp(block.censuses, 1, kCensusHistory);
  double sum = 0;
  for (uint8_t h : block.history) sum += std::popcount(static_cast<unsigned>(h & 0xf)) / double(seen);
  return std::min(1.0, sum / double(block.hosts.size()));
}

}  // namespace

Result<uint32_t> ParseIpv4(std::string_view text) {
  auto parts = Split(text, '.');
  if (parts.size() != 4) return Status::InvalidArgument("not an IPv4 address: '" + std::string(text) + "'");
  uint32_t address = 0;
  for (auto part : parts) {
    unsigned octet = 0;
    if (part.size() > 3 || !ParseNumber(part, octet) || octet > 255) {
      return Status::InvalidArgument("not an IPv4 address: '" + std::string(text) + "'");
    }
    address = (address << 8) | octet;
  }
  return address;
}

Result<Cidr> ParseCidr(std::string_view text) {
  text = Trim(text);
  Cidr cidr;
  size_t slash = text.find('/');
  auto address = ParseIpv4(text.substr(0, slash));
  if (!address.ok()) return address.status();
  cidr.address = *address;
  if (slash != std::string_view::npos) {
    int length = -1;
    if (!ParseNumber(text.substr(slash + 1), length) || length < 0 || length > 32) {
      return Status::InvalidArgument("bad prefix length in '" + std::string(text) + "'");
    }
    cidr.length = length;
  }
  return cidr;
}

std::string FormatIpv4(uint32_t a) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buffer;
}

std::string FormatBlock(uint32_t base) { return FormatIpv4(base & 0xffffff00u) + "/24"; }

Result<Hitlist> ParseHitlist(std::string_view text, const std::string& name) {
  Hitlist hitlist;
  auto lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.starts_with("#vigil-hitlist")) {
      for (auto field : Split(line, ' ')) {
        if (field.starts_with("updated=") && !ParseNumber(field.substr(8), hitlist.updated)) {
          return LineError(name, i + 1, "bad updated= value");
        }
      }
      if (line.find(" v1") == std::string_view::npos) return LineError(name, i + 1, "unsupported hitlist version");
      continue;
    }
    if (Trim(line).empty() || line.front() == '#') continue;
    auto columns = Split(line, '\t');
    if (columns.size() != 4) return LineError(name, i + 1, "expected 4 tab-separated columns");
    auto cidr = ParseCidr(columns[0]);
    if (!cidr.ok()) return LineError(name, i + 1, cidr.message());
    if (cidr->length != 24 || (cidr->address & 0xff) != 0) return LineError(name, i + 1, "block must be a /24");
    HitlistBlock block;
    block.base = cidr->address;
    if (!ParseDouble(columns[1], block.availability) || !(block.availability >= 0 && block.availability <= 1)) {
      return LineError(name, i + 1, "availability must be a number in 0..1");
    }
    if (!ParseNumber(columns[2], block.censuses) || block.censuses < 0) {
      return LineError(name, i + 1, "censuses must be a non-negative integer");
    }
    block.censuses = std::min(block.censuses, kCensusHistory);
    bool with_history = false, without_history = false;
    if (!columns[3].empty() && columns[3] != "-") {
      for (auto entry : Split(columns[3], ',')) {
        size_t colon = entry.find(':');
        unsigned octet = 0, history = 0;
        if (!ParseNumber(entry.substr(0, colon), octet) || octet > 255) {
          return LineError(name, i + 1, "bad host octet '" + std::string(entry) + "'");
        }
        if (colon != std::string_view::npos) {
          if (!ParseNumber(entry.substr(colon + 1), history, 16) || history > 0xf) {
            return LineError(name, i + 1, "bad history digit in '" + std::string(entry) + "'");
          }
          with_history = true;
        } else {
          without_history = true;
        }
        if (!block.hosts.empty() && octet <= block.hosts.back()) {
          return LineError(name, i + 1, "host octets must be ascending and unique");
        }
        block.hosts.push_back(static_cast<uint8_t>(octet));
        block.history.push_back(static_cast<uint8_t>(history));
      }
    }
    if (with_history && without_history) return LineError(name, i + 1, "either every host has a history or none");
    if (!with_history) block.history.clear();
    if (!hitlist.blocks.empty() && block.base <= hitlist.blocks.back().base) {
      return LineError(name, i + 1, "blocks must be ascending and unique");
    }
    hitlist.blocks.push_back(std::move(block));
  }
  return hitlist;
}

Result<Hitlist> ReadHitlist(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseHitlist(*text, path);
}

std::string FormatHitlist(const Hitlist& hitlist) {
  std::string out = "#vigil-hitlist v1 updated=" + std::to_string(hitlist.updated) + "\n";
  out += "# block\tavailability\tcensuses\thosts (last octet[:census history, bit 0 = latest])\n";
  char number[32];
  for (const auto& block : hitlist.blocks) {
    out += FormatBlock(block.base);
    std::snprintf(number, sizeof number, "\t%.3f\t%d\t", block.availability, block.censuses);
    out += number;
    if (block.hosts.empty()) out += '-';
    for (size_t i = 0; i < block.hosts.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(block.hosts[i]);
      if (!block.history.empty()) {
        std::snprintf(number, sizeof number, ":%x", block.history[i] & 0xf);
        out += number;
      }
    }
    out += '\n';
  }
  return out;
}

Status WriteHitlist(const Hitlist& hitlist, const std::string& path) {
  return WriteFileAtomically(path, FormatHitlist(hitlist));
}

Hitlist MergeCensus(const Hitlist& previous, const std::vector<CensusBlock>& census, UnixSeconds when) {
  std::map<uint32_t, HitlistBlock> blocks;
  for (const auto& block : previous.blocks) blocks[block.base] = block;
  for (const auto& observed : census) {
    HitlistBlock& block = blocks[observed.base & 0xffffff00u];
    block.base = observed.base & 0xffffff00u;
    // Hand-made entries (no history) count as answering once, so a census can refine them.
    uint8_t history[256] = {};
    bool member[256] = {};
    for (size_t i = 0; i < block.hosts.size(); ++i) {
      member[block.hosts[i]] = true;
      history[block.hosts[i]] = block.history.empty() ? 1 : block.history[i];
    }
    HitlistBlock merged;
    merged.base = block.base;
    int seen_before = block.censuses;
    if (block.history.empty() && !block.hosts.empty()) seen_before = std::max(seen_before, 1);
    merged.censuses = std::min(kCensusHistory, seen_before + 1);
    for (int octet = 0; octet < 256; ++octet) {
      bool answered = (observed.responders[octet / 64] >> (octet % 64)) & 1;
      uint8_t h = static_cast<uint8_t>(((history[octet] << 1) | (answered ? 1 : 0)) & 0xf);
      if ((member[octet] || answered) && h != 0) {
        merged.hosts.push_back(static_cast<uint8_t>(octet));
        merged.history.push_back(h);
      }
    }
    merged.availability = AvailabilityOf(merged);
    if (merged.hosts.empty()) {
      blocks.erase(block.base);
    } else {
      block = std::move(merged);
    }
  }
  Hitlist out;
  out.updated = when;
  for (auto& [base, block] : blocks) out.blocks.push_back(std::move(block));
  return out;
}

Result<OptOutList> OptOutList::Parse(std::string_view text, const std::string& name) {
  OptOutList list;
  auto lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i].substr(0, lines[i].find('#'));
    line = Trim(line);
    if (line.empty()) continue;
    auto cidr = ParseCidr(line);
    if (!cidr.ok()) return LineError(name, i + 1, cidr.message());
    list.ranges_.emplace_back(cidr->First(), cidr->Last());
  }
  list.Normalise();
  return list;
}

Result<OptOutList> OptOutList::Read(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

void OptOutList::Add(const Cidr& cidr) {
  ranges_.emplace_back(cidr.First(), cidr.Last());
  Normalise();
}

void OptOutList::Normalise() {
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& range : ranges_) {
    if (!merged.empty() && (merged.back().second == ~uint32_t{0} || range.first <= merged.back().second + 1)) {
      merged.back().second = std::max(merged.back().second, range.second);
    } else {
      merged.push_back(range);
    }
  }
  ranges_ = std::move(merged);
}

bool OptOutList::Contains(uint32_t address) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(address, ~uint32_t{0}));
  if (it == ranges_.begin()) return false;
  --it;
  return address >= it->first && address <= it->second;
}

Result<std::vector<uint32_t>> BlocksOf(const std::vector<Cidr>& cidrs, size_t max_blocks) {
  std::vector<uint32_t> blocks;
  for (const auto& cidr : cidrs) {
    uint64_t first = cidr.First() >> 8, last = cidr.Last() >> 8;
    if (last - first + 1 > max_blocks || blocks.size() + (last - first + 1) > max_blocks) {
      return Status::InvalidArgument("more than " + std::to_string(max_blocks) + " /24 blocks requested");
    }
    for (uint64_t b = first; b <= last; ++b) blocks.push_back(static_cast<uint32_t>(b << 8));
  }
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  return blocks;
}

TargetSelection SelectTargets(const Hitlist& hitlist, const OptOutList& opt_out, const Eligibility& rule) {
  TargetSelection selection;
  for (const auto& block : hitlist.blocks) {
    TargetBlock target;
    target.base = block.base;
    target.availability = block.availability;
    for (uint8_t host : block.hosts) {
      if (opt_out.Contains(block.base | host)) {
        ++selection.opted_out_addresses;
      } else {
        target.hosts.push_back(host);
      }
    }
    if (target.hosts.size() < rule.min_addresses) {
      ++selection.too_few_addresses;
    } else if (target.availability < rule.min_availability) {
      ++selection.low_availability;
    } else {
      selection.targets.push_back(std::move(target));
    }
  }
  return selection;
}

}  // namespace vigil::probe
