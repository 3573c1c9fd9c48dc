#include <doctest/doctest.h>

#include <string>

#include "crypto/json.h"

using namespace onebill;

namespace {

std::string refusal(std::string_view text, const json::ReadOptions& options = {}) {
  auto result = json::read(text, options);
  return result.ok() ? std::string("accepted") : result.problem().rule;
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string nested_objects(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  text += std::string(depth, '}');
  return text;
}

}  // namespace

TEST_CASE("json::read builds the DOM of one valid JSON value") {
  auto value = json::read(R"( {"a": [1, -2, 3.5, true, false, null, "x\u00e9\n"], "b": {}} )");
  REQUIRE(value.ok());
  CHECK((*value)["a"][6] == "x\xc3\xa9\n");
  CHECK((*value)["b"].is_object());
  CHECK(json::read("7")->get<int>() == 7);
  CHECK(json::read("\"s\"")->get<std::string>() == "s");
}

TEST_CASE("json::read keeps the number kinds: unsigned, negative integer, float") {
  auto value = json::read(R"([0, 7, -1, -0, 1.0, 1e3, 18446744073709551615, 18446744073709551616])");
  REQUIRE(value.ok());
  CHECK((*value)[0].is_number_unsigned());
  CHECK((*value)[1].is_number_unsigned());
  CHECK((*value)[2].is_number_integer());
  CHECK_FALSE((*value)[2].is_number_unsigned());
  CHECK_FALSE((*value)[3].is_number_unsigned());  // "-0" is not a canonical unsigned integer
  CHECK((*value)[4].is_number_float());
  CHECK((*value)[5].is_number_float());
  CHECK((*value)[6].is_number_unsigned());
  CHECK((*value)[7].is_number_float());  // beyond 64 bits
}

TEST_CASE("a key repeated in one object is refused as duplicate-key") {
  CHECK(refusal(R"({"a":1,"a":2})") == "duplicate-key");
  CHECK(refusal(R"({"a":1,"b":{"c":1,"c":1}})") == "duplicate-key");
  CHECK(refusal(R"([{"x":1},{"x":2,"x":3}])") == "duplicate-key");
  // The same key in different objects is fine.
  CHECK(refusal(R"({"a":{"a":1},"b":{"a":2}})") == "accepted");
}

TEST_CASE("keys that repeat only after unescaping are refused as duplicate-key") {
  CHECK(refusal(R"({"a":1,"\u0061":2})") == "duplicate-key");
  CHECK(refusal(R"({"\u00e9":1,"é":2})") == "duplicate-key");
  CHECK(refusal(R"({"\ud83d\ude02":1,"😂":2})") == "duplicate-key");
  CHECK(refusal(R"({"/":1,"\/":2})") == "duplicate-key");
}

TEST_CASE("nesting deeper than 64 is refused as too-deep; 64 is accepted") {
  CHECK(refusal(nested_arrays(64)) == "accepted");
  CHECK(refusal(nested_arrays(65)) == "too-deep");
  CHECK(refusal(nested_objects(64)) == "accepted");
  CHECK(refusal(nested_objects(65)) == "too-deep");
  json::ReadOptions shallow;
  shallow.max_depth = 2;
  CHECK(refusal("[[1]]", shallow) == "accepted");
  CHECK(refusal("[[[1]]]", shallow) == "too-deep");
  CHECK(refusal(R"({"a":[{}]})", shallow) == "too-deep");
}

TEST_CASE("a 100,000-deep array is refused as too-deep without crashing") {
  CHECK(refusal(nested_arrays(100000)) == "too-deep");
  CHECK(refusal(std::string(100000, '[')) == "too-deep");  // unterminated too
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  CHECK(refusal(objects) == "too-deep");
}

TEST_CASE("input longer than max_bytes is refused as too-large before parsing") {
  json::ReadOptions small;
  small.max_bytes = 10;
  CHECK(refusal("[1,2,3,4,5]", small) == "too-large");   // 11 bytes
  CHECK(refusal("[1,2,3,4 ]", small) == "accepted");     // 10 bytes
  CHECK(refusal("[[[[[[[[[[[[", small) == "too-large");  // size is checked first
}

TEST_CASE("anything but exactly one JSON value is refused as malformed-json naming the byte offset") {
  for (const char* text : {"",           " ",
                           "{",          "}",
                           "[1,]",       "{\"a\":1,}",
                           "{\"a\" 1}",  "{a:1}",
                           "'a'",        "[1] x",
                           "[1][2]",     "1 2",
                           "{\"a\":1}}", "nul",
                           "NaN",        "Infinity",
                           "-",          "01",
                           "1.",         ".5",
                           "+1",         "1e",
                           "0x10",       "[1] // comment",
                           "/* c */ 1",  "{\"a\":1e400}"}) {
    CAPTURE(text);
    auto result = json::read(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.problem().rule == "malformed-json");
  }
  auto trailing = json::read(R"({"a":1} garbage)");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.problem().detail.find("byte") != std::string::npos);
}

TEST_CASE("invalid UTF-8 is refused as malformed-json") {
  for (std::string_view text :
       {std::string_view("\"\xff\""), std::string_view("\"\xc0\xaf\""),  // overlong '/'
        std::string_view("\"\xe9\x87\""),                                // truncated
        std::string_view("\"\xed\xa0\x80\""),                            // a surrogate in UTF-8
        std::string_view("\"\xf4\x90\x80\x80\""),                        // above U+10FFFF
        std::string_view("{\"\x80\":1}"), std::string_view("\xff"), std::string_view("[\"a\0b\"]", 7)}) {
    auto result = json::read(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.problem().rule == "malformed-json");
    // The detail never echoes the input's bytes.
    for (char c : result.problem().detail) CHECK((c >= 0x20 && c < 0x7f));
  }
}

TEST_CASE("a lone surrogate escape is refused as malformed-json") {
  for (const char* text :
       {R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")", R"("\ud800x")", R"({"\udfff":1})"}) {
    CAPTURE(text);
    CHECK(refusal(text) == "malformed-json");
  }
  CHECK(refusal(R"("\ud83d\ude02")") == "accepted");
}

TEST_CASE("an unescaped control character in a string is refused as malformed-json") {
  CHECK(refusal("\"a\tb\"") == "malformed-json");
  CHECK(refusal("\"a\nb\"") == "malformed-json");
  CHECK(refusal(R"("a\tb")") == "accepted");
}

TEST_CASE("a UTF-8 byte order mark before the value is ignored, as RFC 8259 section 8.1 allows") {
  auto value = json::read("\xef\xbb\xbf{\"a\":1}");
  REQUIRE(value.ok());
  CHECK((*value)["a"] == 1);
  CHECK(refusal("{\"a\":1}\xef\xbb\xbf") == "malformed-json");  // only at the start
}
