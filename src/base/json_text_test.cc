// SPDX-License-Identifier: AGPL-3.0-or-later
#include "base/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vigil {
namespace {

// Whatever the text, the literal parses back to it (invalid UTF-8 becomes U+FFFD) and equals nlohmann's.
TEST(JsonText, QuotesLikeNlohmannAndParsesBack) {
  for (std::string text : {std::string("bgp"), std::string("say \"hi\"\\"), std::string("tab\there\nline\x01"),
                           std::string("Almaty \xc3\xa9t\xc3\xa9"), std::string("")}) {
    std::string literal = JsonString(text);
    EXPECT_EQ(literal, nlohmann::json(text).dump()) << text;
    EXPECT_EQ(nlohmann::json::parse(literal).get<std::string>(), text) << literal;
  }
  EXPECT_EQ(JsonString("bad \xff byte"), "\"bad \xef\xbf\xbd byte\"");
  std::string out = "[";
  AppendJsonString(out, "a");
  EXPECT_EQ(out, "[\"a\"");
}

}  // namespace
}  // namespace vigil
