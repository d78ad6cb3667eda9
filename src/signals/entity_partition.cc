// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/entity_partition.h"

#include <algorithm>

namespace vigil::signals {

uint32_t EntityPartition::Builder::AddEntity(EntityInfo info) {
  entities_.push_back(std::move(info));
  return uint32_t(entities_.size() - 1);
}

void EntityPartition::Builder::AddRange(uint32_t begin_slash24, uint32_t end_slash24, uint32_t entity) {
  if (begin_slash24 < end_slash24) spans_.push_back({begin_slash24, end_slash24, entity});
}

EntityPartition EntityPartition::Builder::Build() && {
  EntityPartition partition;
  partition.entities_ = std::move(entities_);
  // Sweep over span boundaries keeping the set of spans open at each point; every stretch between two
  // consecutive boundaries becomes one range with that set.
  struct Boundary {
    uint32_t at;
    bool opens;
    uint32_t entity;
  };
  std::vector<Boundary> boundaries;
  boundaries.reserve(spans_.size() * 2);
  for (const Span& s : spans_) {
    boundaries.push_back({s.begin, true, s.entity});
    boundaries.push_back({s.end, false, s.entity});
  }
  spans_.clear();
  spans_.shrink_to_fit();
  std::sort(boundaries.begin(), boundaries.end(), [](const Boundary& a, const Boundary& b) { return a.at < b.at; });
  std::vector<uint32_t> open;  // multiset of entities (overlaps within a layer count once)
  std::vector<uint32_t> unique;
  size_t i = 0;
  while (i < boundaries.size()) {
    uint32_t at = boundaries[i].at;
    for (; i < boundaries.size() && boundaries[i].at == at; ++i) {
      if (boundaries[i].opens) {
        open.push_back(boundaries[i].entity);
      } else {
        auto it = std::find(open.begin(), open.end(), boundaries[i].entity);
        if (it != open.end()) open.erase(it);
      }
    }
    if (open.empty() || i == boundaries.size()) continue;
    uint32_t next = boundaries[i].at;
    unique = open;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    auto& ranges = partition.ranges_;
    auto& lists = partition.entity_lists_;
    // Adjacent stretches with the same entities become one range.
    if (!ranges.empty() && ranges.back().end == at && ranges.back().count == unique.size() &&
        std::equal(unique.begin(), unique.end(), lists.begin() + ranges.back().first)) {
      ranges.back().end = next;
      continue;
    }
    Range r{at, next, uint32_t(lists.size()), uint32_t(unique.size())};
    lists.insert(lists.end(), unique.begin(), unique.end());
    ranges.push_back(r);
  }
  return partition;
}

void EntityPartition::EntitiesOfSlash24(uint32_t slash24, std::vector<uint32_t>& out) const {
  std::span<const uint32_t> e = EntitiesOf(slash24);
  out.assign(e.begin(), e.end());
}

void EntityPartition::CountSlash24s(std::span<const AddressInterval> visible, std::vector<int64_t>& counts) const {
  size_t r = 0;
  for (const AddressInterval& a : visible) {
    struct {
      uint32_t begin, end;
    } v{FirstWholeSlash24(a), EndWholeSlash24(a)};
    if (v.begin >= v.end) continue;
    // Skip ranges wholly before v: gallop, since visible space may jump far ahead.
    if (r < ranges_.size() && ranges_[r].end <= v.begin) {
      r = std::partition_point(ranges_.begin() + r, ranges_.end(), [&](const Range& x) { return x.end <= v.begin; }) -
          ranges_.begin();
    }
    for (size_t k = r; k < ranges_.size() && ranges_[k].begin < v.end; ++k) {
      const Range& range = ranges_[k];
      uint32_t overlap = std::min(range.end, v.end) - std::max(range.begin, v.begin);
      const uint32_t* e = entity_lists_.data() + range.first;
      for (uint32_t j = 0; j < range.count; ++j) counts[e[j]] += overlap;
    }
  }
}

std::span<const uint32_t> EntityPartition::EntitiesOf(uint32_t slash24) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), slash24,
                             [](uint32_t x, const Range& range) { return x < range.end; });
  if (it == ranges_.end() || it->begin > slash24) return {};
  return {entity_lists_.data() + it->first, it->count};
}

}  // namespace vigil::signals
