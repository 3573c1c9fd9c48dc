#include <doctest/doctest.h>

#include "crypto/hex.h"

using namespace onebill;

TEST_CASE("hex encodes lowercase with a 0x prefix") {
  const Bytes bytes = {0x00, 0xab, 0xcd, 0xef, 0x10};
  CHECK(hex::encode(bytes) == "0x00abcdef10");
  CHECK(hex::encode_bare(bytes) == "00abcdef10");
  CHECK(hex::encode(Bytes{}) == "0x");
}

TEST_CASE("hex decodes 0x plus an even number of digits in either case") {
  CHECK(hex::decode("0x") == Bytes{});
  CHECK(hex::decode("0x00aBcD") == Bytes{0x00, 0xab, 0xcd});
  auto hash = hex::decode_hash("0x" + std::string(62, '0') + "FF");
  REQUIRE(hash);
  CHECK((*hash)[31] == 0xff);
}

TEST_CASE("hex decoding refuses anything else") {
  CHECK_FALSE(hex::decode(""));
  CHECK_FALSE(hex::decode("abcd"));     // no prefix
  CHECK_FALSE(hex::decode("0X abcd"));  // wrong prefix
  CHECK_FALSE(hex::decode("0Xabcd"));   // uppercase X
  CHECK_FALSE(hex::decode("0xabc"));    // odd length
  CHECK_FALSE(hex::decode("0xzz"));     // not hex
  CHECK_FALSE(hex::decode("0x ab"));    // whitespace
  CHECK_FALSE(hex::decode("0xab "));
  CHECK_FALSE(hex::decode("0x-1"));
  CHECK_FALSE(hex::decode(std::string_view("0xa\0", 4)));
  CHECK_FALSE(hex::decode_hash("0x" + std::string(63, '0')));
  CHECK_FALSE(hex::decode_hash("0x" + std::string(66, '0')));
}

TEST_CASE("is_lower_hex accepts exactly the given number of lowercase digits") {
  CHECK(hex::is_lower_hex("0xabcdef0123", 10));
  CHECK_FALSE(hex::is_lower_hex("0xABCDEF0123", 10));
  CHECK_FALSE(hex::is_lower_hex("0xabcdef012", 10));
  CHECK_FALSE(hex::is_lower_hex("abcdef012345", 10));
  CHECK_FALSE(hex::is_lower_hex("0xabcdefg123", 10));
}
