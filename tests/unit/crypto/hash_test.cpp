#include <doctest/doctest.h>

#include <string>

#include "crypto/hash.h"
#include "crypto/hex.h"

using namespace onebill;

TEST_CASE("keccak256 is Ethereum's Keccak-256 (original padding), known answers for \"\" and \"abc\"") {
  CHECK(hex::encode(keccak256("")) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(hex::encode(keccak256("abc")) ==
        "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // Not NIST SHA3-256, whose "abc" answer is 3a985da7...
  CHECK(hex::encode(keccak256("abc")) !=
        "0x3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
}

TEST_CASE("keccak256 of input spanning several 136-byte blocks matches the known answer") {
  // 200 bytes of 'a', the exact rate (136 bytes) and one byte short of it; answers computed with ethers'
  // keccak256.
  CHECK(hex::encode(keccak256(std::string(200, 'a'))) ==
        "0x96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d");
  CHECK(hex::encode(keccak256(std::string(136, 'a'))) ==
        "0xa6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
  // 135 bytes: both padding bits land in the same last byte (0x81).
  CHECK(hex::encode(keccak256(std::string(135, 'a'))) ==
        "0x34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
}

TEST_CASE("incremental keccak256 equals one-shot for every split of the input") {
  std::string input;
  for (int i = 0; i < 700; ++i) input.push_back(static_cast<char>(i * 7 + 3));
  const Hash32 expected = keccak256(input);
  for (std::size_t split = 0; split <= input.size(); split += 13) {
    Keccak256 hasher;
    hasher.update(std::string_view(input).substr(0, split));
    hasher.update(std::string_view(input).substr(split));
    CHECK(hasher.finish() == expected);
  }
  Keccak256 bytewise;
  for (char c : input) bytewise.update(std::string_view(&c, 1));
  CHECK(bytewise.finish() == expected);
}

TEST_CASE("sha256 known answers for \"\" and \"abc\"") {
  CHECK(hex::encode(sha256("")) == "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex::encode(sha256("abc")) == "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
