// SPDX-License-Identifier: AGPL-3.0-or-later
#include "probe/token_bucket.h"

#include <gtest/gtest.h>

namespace vigil::probe {
namespace {

TEST(TokenBucket, StartsEmptyAndRefillsAtRate) {
  TokenBucket bucket(1000, 100, 0);
  EXPECT_EQ(bucket.Available(0), 0);
  EXPECT_EQ(bucket.Available(50'000'000), 50);    // 50 ms at 1000/s
  EXPECT_EQ(bucket.Available(500'000'000), 100);  // capped at the burst
  bucket.Take(100);
  EXPECT_EQ(bucket.Available(500'000'000), 0);
  EXPECT_EQ(bucket.TimeWhenAvailable(10, 500'000'000), 510'000'001);
}

// Whatever the wake-up pattern, a greedy sender never exceeds rate * t + burst.
TEST(TokenBucket, LongRunRateIsBounded) {
  TokenBucket bucket(10000, 100, 0);
  int64_t sent = 0;
  for (int64_t t = 0; t <= 2'000'000'000; t += 137'000) {
    int64_t n = bucket.Available(t);
    bucket.Take(n);
    sent += n;
    ASSERT_LE(sent, 10000 * t / 1'000'000'000 + 100);
  }
  EXPECT_GE(sent, 19900);
}

}  // namespace
}  // namespace vigil::probe
