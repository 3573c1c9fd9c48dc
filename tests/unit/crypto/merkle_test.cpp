#include <doctest/doctest.h>

#include "crypto/hash.h"
#include "crypto/merkle.h"

using namespace onebill;

namespace {

// The definitions of DESIGN §5 / RFC 6962 §2.1, written out by hand for each size below.
Hash32 leaf(const Hash32& item) {
  Bytes input{0x00};
  input.insert(input.end(), item.begin(), item.end());
  return keccak256(input);
}

Hash32 node(const Hash32& left, const Hash32& right) {
  Bytes input{0x01};
  input.insert(input.end(), left.begin(), left.end());
  input.insert(input.end(), right.begin(), right.end());
  return keccak256(input);
}

std::vector<Hash32> items(std::size_t count) {
  std::vector<Hash32> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(keccak256("item " + std::to_string(i)));
  return out;
}

}  // namespace

TEST_CASE("the merkle root of no items is keccak256 of the empty string") {
  CHECK(merkle_root_rfc6962({}) == keccak256(""));
}

TEST_CASE("the merkle root of one item is its leaf hash H(0x00 || item)") {
  const auto d = items(1);
  CHECK(merkle_root_rfc6962(d) == leaf(d[0]));
  CHECK(merkle_root_rfc6962(d) != d[0]);  // the domain separation is there
}

TEST_CASE("the merkle root of two items is H(0x01 || leaf0 || leaf1)") {
  const auto d = items(2);
  CHECK(merkle_root_rfc6962(d) == node(leaf(d[0]), leaf(d[1])));
}

TEST_CASE("an odd last node is promoted unchanged (three items)") {
  const auto d = items(3);
  CHECK(merkle_root_rfc6962(d) == node(node(leaf(d[0]), leaf(d[1])), leaf(d[2])));
}

TEST_CASE("five items split at the largest power of two below five, as RFC 6962 defines") {
  const auto d = items(5);
  const Hash32 first_four = node(node(leaf(d[0]), leaf(d[1])), node(leaf(d[2]), leaf(d[3])));
  CHECK(merkle_root_rfc6962(d) == node(first_four, leaf(d[4])));
}

TEST_CASE("the merkle root depends on the order of the items") {
  auto d = items(4);
  const Hash32 root = merkle_root_rfc6962(d);
  std::swap(d[1], d[2]);
  CHECK(merkle_root_rfc6962(d) != root);
}
