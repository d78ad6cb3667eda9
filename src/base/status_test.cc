// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <cerrno>

#include "base/result.h"

namespace vigil {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("x=" + std::to_string(x) + " is odd");
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
  EXPECT_EQ(Half(3).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Half(4).code(), StatusCode::kOk);
}

TEST(StatusTest, ReturnIfErrorPropagatesAndContextPrefixes) {
  EXPECT_TRUE(Chain(2).ok());
  Status failed = Chain(5);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.WithContext("file.gz").message(), "file.gz: x=5 is odd");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
}

TEST(StatusTest, ContextKeepsTheCode) {
  Status missing = Status::NotFound("no event 7").WithContext("report").WithContext("GET /api/v1/report");
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_FALSE(missing.IsInternal());
  EXPECT_EQ(missing.message(), "GET /api/v1/report: report: no event 7");
  EXPECT_EQ(missing.ToString(), "NotFound: GET /api/v1/report: report: no event 7");
}

TEST(StatusTest, EachFactorySetsItsCodeAndOnlyItsPredicate) {
  struct Case {
    Status status;
    StatusCode code;
    const char* name;
    bool (Status::*predicate)() const;
  };
  const Case cases[] = {
      {Status::InvalidArgument("m"), StatusCode::kInvalidArgument, "InvalidArgument", &Status::IsInvalidArgument},
      {Status::NotFound("m"), StatusCode::kNotFound, "NotFound", &Status::IsNotFound},
      {Status::AlreadyExists("m"), StatusCode::kAlreadyExists, "AlreadyExists", &Status::IsAlreadyExists},
      {Status::Corruption("m"), StatusCode::kCorruption, "Corruption", &Status::IsCorruption},
      {Status::IOError("m"), StatusCode::kIOError, "IOError", &Status::IsIOError},
      {Status::Unavailable("m"), StatusCode::kUnavailable, "Unavailable", &Status::IsUnavailable},
      {Status::ResourceExhausted("m"), StatusCode::kResourceExhausted, "ResourceExhausted",
       &Status::IsResourceExhausted},
      {Status::NotSupported("m"), StatusCode::kNotSupported, "NotSupported", &Status::IsNotSupported},
      {Status::Cancelled("m"), StatusCode::kCancelled, "Cancelled", &Status::IsCancelled},
      {Status::Internal("m"), StatusCode::kInternal, "Internal", &Status::IsInternal},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.name;
    EXPECT_EQ(c.status.code(), c.code) << c.name;
    EXPECT_STREQ(StatusCodeName(c.status.code()), c.name);
    EXPECT_EQ(c.status.message(), "m");
    for (const Case& other : cases) EXPECT_EQ((c.status.*other.predicate)(), &c == &other) << c.name;
  }
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().code(), StatusCode::kOk);
  EXPECT_EQ(Status::Ok().ToString(), "Ok");
}

TEST(StatusTest, FromErrnoNamesTheKindOfSystemFailure) {
  EXPECT_TRUE(Status::FromErrno(ENOENT, "a: cannot open").IsNotFound());
  EXPECT_TRUE(Status::FromErrno(ENOSPC, "a: write failed").IsResourceExhausted());
  EXPECT_TRUE(Status::FromErrno(EACCES, "a: cannot open").IsIOError());
  EXPECT_EQ(Status::FromErrno(EIO, "a: read failed").message(), "a: read failed");
}

TEST(StatusTest, ExplicitCodeKeepsTheCodeWithANewMessage) {
  Status original = Status::Corruption("bad magic");
  Status rewritten(original.code(), "zone.tzif: " + original.message() + " (reinstall tzdata)");
  EXPECT_TRUE(rewritten.IsCorruption());
  EXPECT_EQ(rewritten.message(), "zone.tzif: bad magic (reinstall tzdata)");
}

}  // namespace
}  // namespace vigil
