#include "crypto/secp256k1.h"

#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/random.h"

namespace onebill {
namespace {

// The group order n and n/2, big-endian (SEC 2 §2.4.1).
constexpr std::array<std::uint8_t, 32> kOrder = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
constexpr std::array<std::uint8_t, 32> kHalfOrder = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

// One context for the process, created on first use and randomized once (blinding against side
// channels). After that it is only read, which libsecp256k1 allows from any number of threads.
const secp256k1_context* context() {
  static const secp256k1_context* const instance = [] {
    secp256k1_context* created = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    ONEBILL_ASSERT(created != nullptr);
    std::array<std::uint8_t, 32> seed;
    random_bytes(seed);
    ONEBILL_ASSERT(secp256k1_context_randomize(created, seed.data()) == 1);
    OPENSSL_cleanse(seed.data(), seed.size());
    return created;
  }();
  return instance;
}

// Compares two 32-byte big-endian numbers.
int compare_be(const std::uint8_t* a, const std::array<std::uint8_t, 32>& b) {
  return std::memcmp(a, b.data(), b.size());
}

bool is_zero(const std::uint8_t* bytes) {
  return std::all_of(bytes, bytes + 32, [](std::uint8_t b) { return b == 0; });
}

std::array<std::uint8_t, 65> serialize_uncompressed(const secp256k1_pubkey& pubkey) {
  std::array<std::uint8_t, 65> out{};
  std::size_t length = out.size();
  const int ok =
      secp256k1_ec_pubkey_serialize(context(), out.data(), &length, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  ONEBILL_ASSERT(ok == 1 && length == out.size() && out[0] == 0x04);
  return out;
}

Address address_of_uncompressed(const std::array<std::uint8_t, 65>& public_key) {
  const Hash32 hash = keccak256(ByteView(public_key).subspan(1));
  Address address;
  std::copy(hash.begin() + 12, hash.end(), address.bytes.begin());
  return address;
}

Problem signature_problem(std::string detail) {
  return invalid("signature-encoding", std::move(detail));
}

}  // namespace

PrivateKey PrivateKey::generate() {
  PrivateKey key;
  // A uniform 32-byte string is a valid key except with probability about 2^-128; draw again then.
  for (int attempt = 0; attempt < 64; ++attempt) {
    random_bytes(key.secret_);
    if (secp256k1_ec_seckey_verify(context(), key.secret_.data()) == 1) return key;
  }
  ONEBILL_ASSERT(false && "the random source keeps producing invalid secp256k1 keys");
  return key;
}

Result<PrivateKey> PrivateKey::from_bytes(ByteView secret) {
  if (secret.size() != 32) return invalid("invalid-key", "a private key is exactly 32 bytes");
  PrivateKey key;
  std::copy(secret.begin(), secret.end(), key.secret_.begin());
  if (secp256k1_ec_seckey_verify(context(), key.secret_.data()) != 1) {
    return invalid("invalid-key", "a private key must be nonzero and below the secp256k1 group order");
  }
  return key;
}

Result<PrivateKey> PrivateKey::from_hex(std::string_view text) {
  if (text.size() != 2 + 64) return invalid("invalid-key", "a private key is 0x followed by 64 hex digits");
  auto bytes = hex::decode(text);
  if (!bytes) return invalid("invalid-key", "a private key is 0x followed by 64 hex digits");
  auto key = from_bytes(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return key;
}

std::array<std::uint8_t, 65> PrivateKey::public_key() const {
  secp256k1_pubkey pubkey;
  // Every PrivateKey was verified on construction, so this cannot fail.
  ONEBILL_ASSERT(secp256k1_ec_pubkey_create(context(), &pubkey, secret_.data()) == 1);
  return serialize_uncompressed(pubkey);
}

Address PrivateKey::address() const {
  return address_of_uncompressed(public_key());
}

Signature PrivateKey::sign_digest(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature signature;
  // A null nonce function selects RFC 6979, so the same key and digest give the same signature.
  ONEBILL_ASSERT(secp256k1_ecdsa_sign_recoverable(context(), &signature, digest.data(), secret_.data(),
                                                  nullptr, nullptr) == 1);
  Signature out{};
  int recovery_id = -1;
  ONEBILL_ASSERT(secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recovery_id,
                                                                         &signature) == 1);
  ONEBILL_ASSERT(recovery_id == 0 || recovery_id == 1);
  out[64] = static_cast<std::uint8_t>(27 + recovery_id);
  // libsecp256k1 always signs with low s (EIP-2); recover_address depends on it.
  ONEBILL_ASSERT(compare_be(out.data() + 32, kHalfOrder) <= 0);
  return out;
}

PrivateKey::~PrivateKey() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
}

std::optional<Address> address_of_public_key(ByteView public_key) {
  // Validators' consensus keys are decoded again at every height and every commit check; this
  // thread's last few hundred answers are kept (a pure function of the bytes, so the same answer).
  thread_local std::unordered_map<std::string, std::optional<Address>> known;
  std::string key(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  if (auto found = known.find(key); found != known.end()) return found->second;
  if (known.size() >= 256) known.clear();
  auto address = address_of_public_key_uncached(public_key);
  known.emplace(std::move(key), address);
  return address;
}

std::optional<Address> address_of_public_key_uncached(ByteView public_key) {
  // Only the SEC 1 forms named in the header: 0x04 uncompressed or 0x02/0x03 compressed (libsecp256k1
  // would also take the obsolete "hybrid" 0x06/0x07 form).
  const bool uncompressed = public_key.size() == 65 && public_key[0] == 0x04;
  const bool compressed = public_key.size() == 33 && (public_key[0] == 0x02 || public_key[0] == 0x03);
  if (!uncompressed && !compressed) return std::nullopt;
  secp256k1_pubkey pubkey;
  if (secp256k1_ec_pubkey_parse(context(), &pubkey, public_key.data(), public_key.size()) != 1)
    return std::nullopt;
  return address_of_uncompressed(serialize_uncompressed(pubkey));
}

Result<Address> recover_address_uncached(const Hash32& digest, const Signature& signature) {
  const std::uint8_t* r = signature.data();
  const std::uint8_t* s = signature.data() + 32;
  const std::uint8_t v = signature[64];
  // DESIGN §3: anything but r ‖ s ‖ v with 0 < r, s < n, s ≤ n/2, v ∈ {27, 28} is malformed, never
  // normalised (a high-s twin is the same signature in another encoding: EIP-2).
  if (v != 27 && v != 28) return signature_problem("the signature's v must be 27 or 28");
  if (is_zero(r) || compare_be(r, kOrder) >= 0) return signature_problem("the signature's r is out of range");
  if (is_zero(s) || compare_be(s, kOrder) >= 0) return signature_problem("the signature's s is out of range");
  if (compare_be(s, kHalfOrder) > 0) {
    return signature_problem("the signature's s is above n/2 (EIP-2 requires the low-s form)");
  }
  secp256k1_ecdsa_recoverable_signature parsed;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &parsed, signature.data(), v - 27) !=
      1) {
    return signature_problem("the signature is not a valid secp256k1 signature");
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ecdsa_recover(context(), &pubkey, &parsed, digest.data()) != 1) {
    return signature_problem("the signature recovers no public key");
  }
  return address_of_uncompressed(serialize_uncompressed(pubkey));
}

namespace {

// A direct-mapped table of this thread's recent successful recoveries. Keyed on the whole digest and
// signature (compared in full on lookup); the slot comes from signature bytes, so a sender who picks
// signatures can only evict entries, never make one answer for another.
class RecoveryMemo {
 public:
  std::optional<Address> find(const Hash32& digest, const Signature& signature) const {
    const Slot& slot = slots_[index(signature)];
    if (slot.used && slot.digest == digest && slot.signature == signature) return slot.address;
    return std::nullopt;
  }
  void remember(const Hash32& digest, const Signature& signature, const Address& address) {
    slots_[index(signature)] = Slot{digest, signature, address, true};
  }

 private:
  static constexpr std::size_t kSlots = 1024;
  struct Slot {
    Hash32 digest{};
    Signature signature{};
    Address address{};
    bool used = false;
  };
  static std::size_t index(const Signature& signature) {
    // r's low bytes: uniformly spread for honest signatures.
    return (std::size_t{signature[30]} << 8 | signature[31]) % kSlots;
  }
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
};

}  // namespace

Result<Address> recover_address(const Hash32& digest, const Signature& signature) {
  thread_local RecoveryMemo memo;
  if (auto known = memo.find(digest, signature)) return *known;
  auto address = recover_address_uncached(digest, signature);
  if (address.ok()) memo.remember(digest, signature, *address);
  return address;
}

Result<Signature> parse_signature(std::string_view text) {
  if (!hex::is_lower_hex(text, 130)) {
    return signature_problem("a signature is 0x followed by 130 lowercase hex digits (r ‖ s ‖ v)");
  }
  auto bytes = hex::decode(text);
  ONEBILL_ASSERT(bytes && bytes->size() == 65);
  Signature out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string signature_to_string(const Signature& signature) {
  return hex::encode(ByteView(signature));
}

}  // namespace onebill
