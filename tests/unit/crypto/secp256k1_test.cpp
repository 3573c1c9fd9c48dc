#include <doctest/doctest.h>

#include <set>

#include "crypto/eip191.h"
#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/secp256k1.h"

using namespace onebill;

namespace {

// The well-known test key of the transaction vectors (DESIGN §3 known answers, computed with ethers 6).
constexpr const char* kPrivateKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
constexpr const char* kAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

struct SignedVector {
  const char* name;
  std::string signing_text;
  const char* sig;
  const char* high_s_twin;
};

std::vector<SignedVector> signed_vectors() {
  return {
      {"transfer-ascii",
       "OneBill transaction v1\n"
       R"({"body":{"bill":"0xabababababababababababababababababababababababababababababababab","to":"0x00000000000000000000000000000000000000aa"},"chain":"onebill-demo","from":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","nonce":0,"type":"bill.transfer_holder"})",
       "0xa6f13da718ca177f4405eb01c3d848e5a9a0887891dc4c37f7baa6645443b1053c4a1a3abec60cd2f6640bd6b4d1c6829ba"
       "b453f3decc4cda3a5c7c6e0dd45ce1b",
       "0xa6f13da718ca177f4405eb01c3d848e5a9a0887891dc4c37f7baa6645443b105c3b5e5c54139f32d099bf4294b2e397c1f0"
       "397a7715bdb6e1c2c96c5ef58fb731c"},
      {"transfer-unicode-remark",
       "OneBill transaction v1\n"
       R"({"body":{"bill":"0xabababababababababababababababababababababababababababababababab","remark":"重庆 → Singapore 🚢","to":"0x00000000000000000000000000000000000000aa"},"chain":"onebill-demo","from":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","nonce":7,"type":"bill.transfer_holder"})",
       "0xaf744103b8065a46a1c7e799f29ddbb1a23e1c75310234b7614b72e804c63e87793d513b5626a51971439cdfcbc1ac2c76d"
       "84ac1addeef96c8c6cf697d1bcd251b",
       "0xaf744103b8065a46a1c7e799f29ddbb1a23e1c75310234b7614b72e804c63e8786c2aec4a9d95ae68ebc6320343e53d243d"
       "692250169b0a4f70b8f23531a741c1c"},
  };
}

PrivateKey test_key() {
  auto key = PrivateKey::from_hex(kPrivateKey);
  REQUIRE(key.ok());
  return *key;
}

}  // namespace

TEST_CASE("a private key's address is keccak256 of its public key, printed EIP-55") {
  const PrivateKey key = test_key();
  CHECK(key.address().to_string() == kAddress);
  const auto public_key = key.public_key();
  CHECK(public_key[0] == 0x04);
  CHECK(address_of_public_key(public_key) == key.address());
}

TEST_CASE("signing the EIP-191 digest reproduces the reference signature exactly (RFC 6979)") {
  const PrivateKey key = test_key();
  for (const auto& vector : signed_vectors()) {
    CAPTURE(vector.name);
    CHECK(signature_to_string(eip191::sign(key, vector.signing_text)) == vector.sig);
    auto signature = parse_signature(vector.sig);
    REQUIRE(signature.ok());
    auto signer = eip191::recover(vector.signing_text, *signature);
    REQUIRE(signer.ok());
    CHECK(signer->to_string() == kAddress);
  }
}

TEST_CASE("a high-s signature is refused as signature-encoding, never normalised") {
  for (const auto& vector : signed_vectors()) {
    CAPTURE(vector.name);
    auto twin = parse_signature(vector.high_s_twin);
    REQUIRE(twin.ok());  // well-formed text; refused by the s ≤ n/2 rule
    auto signer = eip191::recover(vector.signing_text, *twin);
    REQUIRE_FALSE(signer.ok());
    CHECK(signer.problem().rule == "signature-encoding");
  }
}

TEST_CASE("a signature with v other than 27 or 28, or r or s zero or not below n, is refused") {
  const PrivateKey key = test_key();
  const Hash32 digest = keccak256("message");
  const Signature good = key.sign_digest(digest);
  REQUIRE(recover_address(digest, good).ok());

  auto refused = [&](Signature signature) {
    auto result = recover_address(digest, signature);
    return !result.ok() && result.problem().rule == "signature-encoding";
  };
  for (int v : {0, 1, 2, 26, 29, 35, 36, 255}) {
    Signature bad = good;
    bad[64] = static_cast<std::uint8_t>(v);
    CHECK(refused(bad));
  }
  Signature zero_r = good;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  CHECK(refused(zero_r));
  Signature zero_s = good;
  std::fill(zero_s.begin() + 32, zero_s.begin() + 64, 0);
  CHECK(refused(zero_s));
  Signature r_max = good;
  std::fill(r_max.begin(), r_max.begin() + 32, 0xff);
  CHECK(refused(r_max));
  // r = n exactly.
  auto order = hex::decode("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  Signature r_order = good;
  std::copy(order->begin(), order->end(), r_order.begin());
  CHECK(refused(r_order));
  // s = n/2 + 1 (the smallest high s).
  auto half_plus_one = hex::decode("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a1");
  Signature s_high = good;
  std::copy(half_plus_one->begin(), half_plus_one->end(), s_high.begin() + 32);
  CHECK(refused(s_high));
}

TEST_CASE("a signature's text is 0x plus 130 lowercase hex digits and nothing else") {
  const std::string sig = signed_vectors()[0].sig;
  CHECK(parse_signature(sig).ok());
  std::string upper = sig;
  for (std::size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  for (const std::string& text : {upper, sig.substr(2), sig.substr(0, 130), sig + "00", sig + " ",
                                  std::string("0x"), "0X" + sig.substr(2)}) {
    auto parsed = parse_signature(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.problem().rule == "signature-encoding");
  }
  CHECK(signature_to_string(*parse_signature(sig)) == sig);
}

TEST_CASE("a private key must be 32 bytes, nonzero and below n") {
  CHECK(PrivateKey::from_bytes(Bytes(31, 1)).problem().rule == "invalid-key");
  CHECK(PrivateKey::from_bytes(Bytes(32, 0)).problem().rule == "invalid-key");
  CHECK(PrivateKey::from_hex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
            .problem()
            .rule == "invalid-key");
  CHECK(PrivateKey::from_hex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140").ok());
  CHECK_FALSE(PrivateKey::from_hex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").ok());
  CHECK_FALSE(PrivateKey::from_hex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f3623").ok());
}

TEST_CASE("a public key that is not a curve point has no address") {
  CHECK_FALSE(address_of_public_key(Bytes(65, 0)));
  CHECK_FALSE(address_of_public_key(Bytes(64, 4)));
  // The obsolete hybrid form (0x06/0x07) of a real point is not accepted either.
  auto hybrid = test_key().public_key();
  hybrid[0] = (hybrid[64] & 1) ? 0x07 : 0x06;
  CHECK_FALSE(address_of_public_key(hybrid));
  const auto compressed_and_uncompressed_agree = [] {
    const PrivateKey key = test_key();
    auto full = key.public_key();
    Bytes compressed(full.begin(), full.begin() + 33);
    compressed[0] = (full[64] & 1) ? 0x03 : 0x02;
    return address_of_public_key(compressed) == key.address();
  };
  CHECK(compressed_and_uncompressed_agree());
}

TEST_CASE("random keys sign and recover round-trip with low s and v 27 or 28") {
  std::set<Address> seen;
  for (int i = 0; i < 300; ++i) {
    const PrivateKey key = PrivateKey::generate();
    seen.insert(key.address());
    const Hash32 digest = keccak256("round trip " + std::to_string(i));
    const Signature signature = key.sign_digest(digest);
    CHECK((signature[64] == 27 || signature[64] == 28));
    CHECK(signature[32] < 0x80);  // s ≤ n/2 implies the top bit is clear
    auto signer = recover_address(digest, signature);
    REQUIRE(signer.ok());
    CHECK(*signer == key.address());
    // Any other digest recovers someone else.
    Hash32 other = digest;
    other[0] ^= 1;
    auto other_signer = recover_address(other, signature);
    CHECK((!other_signer.ok() || *other_signer != key.address()));
  }
  CHECK(seen.size() == 300);
}

TEST_CASE("a recovery answered from the per-thread table is the recovery itself") {
  // Many signatures, more than the table has slots, each recovered twice and under a changed digest or
  // signature: the table never answers for a key it was not given.
  std::vector<std::pair<Hash32, Signature>> signed_digests;
  std::vector<Address> signers;
  for (int i = 0; i < 1500; ++i) {
    const PrivateKey key = PrivateKey::generate();
    const Hash32 digest = keccak256("memo " + std::to_string(i));
    signed_digests.emplace_back(digest, key.sign_digest(digest));
    signers.push_back(key.address());
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < signed_digests.size(); ++i) {
      const auto& [digest, signature] = signed_digests[i];
      auto signer = recover_address(digest, signature);
      REQUIRE(signer.ok());
      CHECK(*signer == signers[i]);
      CHECK(*signer == *recover_address_uncached(digest, signature));
      Hash32 other = digest;
      other[31] ^= 1;
      auto other_signer = recover_address(other, signature);
      CHECK((!other_signer.ok() || *other_signer != signers[i]));
      Signature flipped = signature;
      flipped[64] = signature[64] == 27 ? 28 : 27;
      auto flipped_signer = recover_address(digest, flipped);
      CHECK((!flipped_signer.ok() || *flipped_signer != signers[i]));
    }
  }
}
