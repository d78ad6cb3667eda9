// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include "base/result.h"

namespace vigil {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::Error("x=" + std::to_string(x) + " is odd");
  return x / 2;
}

Status Chain(int x) {
  VIGIL_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(ResultTest, CarriesValueOrMessage) {
  EXPECT_TRUE(Half(4).ok());
  EXPECT_EQ(*Half(4), 2);
  EXPECT_FALSE(Half(3).ok());
  EXPECT_EQ(Half(3).message(), "x=3 is odd");
}

TEST(StatusTest, ReturnIfErrorPropagatesAndContextPrefixes) {
  EXPECT_TRUE(Chain(2).ok());
  Status failed = Chain(5);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.WithContext("file.gz").message(), "file.gz: x=5 is odd");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
}

}  // namespace
}  // namespace vigil
