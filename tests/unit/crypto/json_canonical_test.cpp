#include <doctest/doctest.h>

#include <bit>
#include <cstdint>

#include "crypto/hex.h"
#include "crypto/json.h"
#include "tests/unit/test_support.h"

using namespace onebill;

TEST_CASE("canonical JSON matches every RFC 8785 known answer") {
  const auto vectors = nlohmann::json::parse(test::read_file(test::vectors_dir() / "rfc8785.json"));
  REQUIRE(vectors["cases"].size() >= 6);
  for (const auto& vector : vectors["cases"]) {
    const std::string name = vector["name"];
    CAPTURE(name);
    auto value = json::read(vector["input_text"].get<std::string>());
    REQUIRE(value.ok());
    const auto expected = hex::decode("0x" + vector["expected_canonical_utf8_hex"].get<std::string>());
    REQUIRE(expected);
    CHECK(json::canonical(*value) == std::string(expected->begin(), expected->end()));
  }
}

TEST_CASE("object keys sort by UTF-16 code units, so an emoji sorts before U+FB33") {
  // UTF-8 byte order would put U+FB33 (EF AC B3) before U+1F602 (F0 9F 98 82); UTF-16 has D83D DE02 < FB33.
  auto value = json::read(R"({"\ufb33":2,"\ud83d\ude02":1,"\u20ac":0,"a":3})");
  REQUIRE(value.ok());
  CHECK(json::canonical(*value) == "{\"a\":3,\"\xe2\x82\xac\":0,\"\xf0\x9f\x98\x82\":1,\"\xef\xac\xb3\":2}");
}

TEST_CASE("canonical JSON has no whitespace and keeps array order") {
  auto value = json::read(" { \"b\" : [ 3 , 1 , 2 ] , \"a\" : { } } ");
  REQUIRE(value.ok());
  CHECK(json::canonical(*value) == R"({"a":{},"b":[3,1,2]})");
}

TEST_CASE("canonical integers beyond 2^53 print as JavaScript prints the nearest double") {
  auto value = json::read("[9007199254740992, 9007199254740993, 18446744073709551615, -9223372036854775808]");
  REQUIRE(value.ok());
  CHECK(json::canonical(*value) ==
        "[9007199254740992,9007199254740992,18446744073709552000,-9223372036854776000]");
  CHECK(json::canonical(nlohmann::json(std::uint64_t{42})) == "42");
  CHECK(json::canonical(nlohmann::json(std::int64_t{-42})) == "-42");
}

TEST_CASE("quote escapes exactly as JSON.stringify does") {
  CHECK(json::quote("") == "\"\"");
  CHECK(json::quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json::quote("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(json::quote(std::string_view("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\x7f\"");
  CHECK(json::quote("/ </script> \xc3\xa9 \xf0\x9f\x9a\xa2") == "\"/ </script> \xc3\xa9 \xf0\x9f\x9a\xa2\"");
  CHECK(json::quote("\x0b") == R"("\u000b")");
}

TEST_CASE("ecmascript_number follows Number::toString (RFC 8785 Appendix B and more, checked with node)") {
  const std::pair<std::uint64_t, const char*> appendix_b[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& [bits, expected] : appendix_b) {
    CAPTURE(expected);
    CHECK(json::ecmascript_number(std::bit_cast<double>(bits)) == expected);
  }
  const std::pair<double, const char*> known[] = {
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {1e-7, "1e-7"},
      {1e-6, "0.000001"},
      {123e-20, "1.23e-18"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {-0.0000001, "-1e-7"},
      {0.000001234, "0.000001234"},
      {1.234e-7, "1.234e-7"},
      {4.35, "4.35"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.5e300, "1.5e+300"},
      {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {123.456, "123.456"},
      {1e-5, "0.00001"},
      {100.0, "100"},
      {1.5, "1.5"},
      {0.1, "0.1"},
      {-1.5e-10, "-1.5e-10"},
      {-0.0, "0"},
      {1.0, "1"},
      {-1.0, "-1"},
      {56.0, "56"},
  };
  for (const auto& [value, expected] : known) {
    CAPTURE(expected);
    CHECK(json::ecmascript_number(value) == expected);
  }
}

TEST_CASE("canonical JSON writes the deepest nesting json::read accepts") {
  const std::string deepest =
      std::string(limits::max_json_depth, '[') + std::string(limits::max_json_depth, ']');
  auto value = json::read(deepest);
  REQUIRE(value.ok());
  CHECK(json::canonical(*value) == deepest);
}
