// SPDX-License-Identifier: AGPL-3.0-or-later
#include "signals/routing_model.h"

#include <cmath>

namespace vigil::signals {

bool VisibilityOptions::IsFullFeed(int64_t prefixes, int64_t largest_table) const {
  if (prefixes <= 0) return false;
  if (full_feed_fraction > 0) return double(prefixes) >= full_feed_fraction * double(largest_table);
  return prefixes > full_feed_min_prefixes;
}

int64_t VisibilityOptions::MinCarriers(int64_t full_feed_peers) const {
  // "More than visibility × n": the next integer above it. The epsilon keeps 0.3 × 10 from landing at
  // 2.9999… and admitting exactly 30 %.
  return int64_t(std::floor(visibility * double(full_feed_peers) + 1e-9)) + 1;
}

}  // namespace vigil::signals
