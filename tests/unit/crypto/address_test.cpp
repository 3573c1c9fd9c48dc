#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>

#include "crypto/address.h"

using namespace onebill;

namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin() + 2, text.end(), text.begin() + 2,
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}
std::string uppercase(std::string text) {
  std::transform(text.begin() + 2, text.end(), text.begin() + 2,
                 [](char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// The four examples of EIP-55 itself.
const char* const kEip55Examples[] = {
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

}  // namespace

TEST_CASE("an address prints in EIP-55 mixed case (the EIP's examples)") {
  for (const char* example : kEip55Examples) {
    auto parsed = Address::parse(example);
    REQUIRE(parsed.ok());
    CHECK(parsed->to_string() == example);
    auto from_lower = Address::parse(lowercase(example));
    REQUIRE(from_lower.ok());
    CHECK(from_lower->to_string() == example);
  }
}

TEST_CASE("an address is accepted in all-lowercase or all-uppercase and parses to the same bytes") {
  for (const char* example : kEip55Examples) {
    auto mixed = Address::parse(example);
    auto lower = Address::parse(lowercase(example));
    auto upper = Address::parse(uppercase(example));
    REQUIRE(mixed.ok());
    REQUIRE(lower.ok());
    REQUIRE(upper.ok());
    CHECK(*mixed == *lower);
    CHECK(*mixed == *upper);
  }
}

TEST_CASE("a mixed-case address with a wrong checksum is refused as address-checksum") {
  for (const char* example : kEip55Examples) {
    std::string text = example;
    // Flip the case of the first letter: still mixed case, now a wrong checksum.
    auto letter = std::find_if(text.begin() + 2, text.end(),
                               [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
    REQUIRE(letter != text.end());
    *letter = std::isupper(static_cast<unsigned char>(*letter)) ? static_cast<char>(std::tolower(*letter))
                                                                : static_cast<char>(std::toupper(*letter));
    auto parsed = Address::parse(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.problem().rule == "address-checksum");
  }
}

TEST_CASE("an address that is not 0x plus 40 hex digits is refused as wrong-type") {
  for (const char* text :
       {"", "0x", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}) {
    auto parsed = Address::parse(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.problem().rule == "wrong-type");
  }
}

TEST_CASE("the zero address is recognised") {
  CHECK(Address{}.is_zero());
  CHECK(Address::parse("0x0000000000000000000000000000000000000000")->is_zero());
  CHECK_FALSE(Address::parse("0x00000000000000000000000000000000000000aa")->is_zero());
  // Addresses order by bytes.
  CHECK(*Address::parse("0x00000000000000000000000000000000000000aa") <
        *Address::parse("0x00000000000000000000000000000000000000bb"));
}
