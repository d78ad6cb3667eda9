// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "signals/ipv4_prefix.h"

namespace vigil::signals {

// What the signal reports on: one country, region or ASN, indexed densely by EntityPartition.
struct EntityInfo {
  std::string type;  // "country", "region", "asn"
  std::string code;  // "KZ", "KZ-ALA", "9198"
  std::string name;
  std::string parent_code;  // a region's country code, a network's main country; empty otherwise
  int64_t slash24_count = 0;
  std::string tz;
  int64_t slash48_count = 0;  // IPv6
};

// Counts, per entity, the /24s that visible address space covers. The signal stage uses the geo module's
// interval query; EntityPartition is a self-contained one for tests and small worlds.
class Slash24Counter {
 public:
  virtual ~Slash24Counter() = default;
  virtual size_t entity_count() const = 0;
  // `visible` is sorted, disjoint and non-adjacent (AddressIntervalMerger output). A /24 counts when it
  // lies wholly inside one interval. Adds to counts[entity] (one slot per entity).
  virtual void CountSlash24s(std::span<const AddressInterval> visible, std::vector<int64_t>& counts) const = 0;
  // The entities one /24 is counted under, looked up on its own (for the slow reference paths).
  virtual void EntitiesOfSlash24(uint32_t slash24, std::vector<uint32_t>& out) const = 0;
};

// IPv4 space at /24 granularity cut into disjoint ranges, each naming the entities its /24s belong to
// (typically one country, one region, one ASN). Counting visible /24s per entity is then one sweep of the
// visible intervals against these ranges: sorted interval arithmetic instead of per-/24 sets.
class EntityPartition final : public Slash24Counter {
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
    uint32_t AddEntity(EntityInfo info);                                           // returns its index
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

  size_t entity_count() const override { return entities_.size(); }
  void CountSlash24s(std::span<const AddressInterval> visible, std::vector<int64_t>& counts) const override;
  void EntitiesOfSlash24(uint32_t slash24, std::vector<uint32_t>& out) const override;
  // Entities of one /24 (empty when unmapped); a binary search.
  std::span<const uint32_t> EntitiesOf(uint32_t slash24) const;

 private:
  std::vector<EntityInfo> entities_;
  std::vector<Range> ranges_;
  std::vector<uint32_t> entity_lists_;
};

}  // namespace vigil::signals
