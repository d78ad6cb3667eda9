// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "base/sha256.h"

namespace vigil {
namespace {

TEST(Sha256Test, KnownVectorsAndFilesAgree) {
  std::string abc = "abc";
  EXPECT_EQ(Sha256OfBytes({reinterpret_cast<const uint8_t*>(abc.data()), abc.size()}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string path = testing::TempDir() + "/sha256_test.bin";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("abc", f);
  std::fclose(f);
  auto digest = Sha256OfFile(path);
  ASSERT_TRUE(digest.ok()) << digest.message();
  EXPECT_EQ(*digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, MissingFileNamesThePath) {
  auto digest = Sha256OfFile("/nonexistent/vigil.bin");
  ASSERT_FALSE(digest.ok());
  EXPECT_NE(digest.message().find("/nonexistent/vigil.bin"), std::string::npos);
}

}  // namespace
}  // namespace vigil
