#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "signals/ipv4_prefix.h"

namespace vigil::signals {

// What the signal reports on: one country, region or ASN, indexed densely by EntityPartition.
struct EntityInfo {
  std::string type;         // "country", "region", "asn"
  std::string code;         // "KZ", "KZ-ALA", "9198"
  std::string name;
  std::string parent_code;  // a region's country code; empty otherwise
  int64_t slash24_count = 0;
  std::string tz;
};

// IPv4 space at /24 granularity cut into disjoint ranges, each naming the entities its /24s belong to
// (typically one country, one region, one ASN). Counting visible /24s per entity is then one sweep of the
// visible intervals against these ranges: sorted interval arithmetic instead of per-/24 sets.
class EntityPartition {
 public:
  struct Range {
    uint32_t begin = 0;  // /24 index, inclusive
    uint32_t end = 0;    // exclusive
    uint32_t first = 0;  // offset into the entity index list
    uint32_t count = 0;
  };

  // Collects ranges that may overlap (a country layer and an ASN layer, say) and cuts them into disjoint
  // pieces.
  class Builder {
   public:
    uint32_t AddEntity(EntityInfo info);  // returns its index
    void AddRange(uint32_t begin_slash24, uint32_t end_slash24, uint32_t entity);  // [begin, end)
    EntityPartition Build() &&;

   private:
    struct Span {
      uint32_t begin, end, entity;
    };
    std::vector<EntityInfo> entities_;
    std::vector<Span> spans_;
  };

  const std::vector<EntityInfo>& entities() const { return entities_; }
  const std::vector<Range>& ranges() const { return ranges_; }

  // Adds, for each entity, the number of /24s of `visible` (sorted, disjoint) that fall in its space.
  // `counts` must have one slot per entity.
  void CountSlash24s(std::span<const Slash24Interval> visible, std::vector<int64_t>& counts) const;
  // Entities of one /24 (empty when unmapped); a binary search, for the slow reference paths.
  std::span<const uint32_t> EntitiesOf(uint32_t slash24) const;

 private:
  std::vector<EntityInfo> entities_;
  std::vector<Range> ranges_;
  std::vector<uint32_t> entity_lists_;
};

// Merges /24 ranges given in ascending order of begin into sorted, disjoint intervals.
class Slash24IntervalMerger {
 public:
  explicit Slash24IntervalMerger(std::vector<Slash24Interval>& out) : out_(out) {}
  void Add(uint32_t begin, uint32_t end) {
    if (!out_.empty() && begin <= out_.back().end) {
      if (end > out_.back().end) out_.back().end = end;
    } else {
      out_.push_back({begin, end});
    }
  }

 private:
  std::vector<Slash24Interval>& out_;
};

}  // namespace vigil::signals
