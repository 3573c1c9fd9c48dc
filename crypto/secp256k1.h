// secp256k1 keys and signatures through libsecp256k1. Signatures are 65 bytes r ‖ s ‖ v with s ≤ n/2
// (EIP-2) and v 27 or 28; recovery refuses anything else, never normalising it (DESIGN §3).
#pragma once

#include <array>
#include <optional>
#include <string>

#include "crypto/address.h"
#include "crypto/bytes.h"
#include "crypto/result.h"

namespace onebill {

using Signature = std::array<std::uint8_t, 65>;

class PrivateKey {
 public:
  // A new key from the OS random source.
  static PrivateKey generate();
  // 32 bytes that are a valid secret key (nonzero, below n); "invalid-key" otherwise.
  static Result<PrivateKey> from_bytes(ByteView secret);
  // "0x" + 64 hex digits.
  static Result<PrivateKey> from_hex(std::string_view text);

  const std::array<std::uint8_t, 32>& secret() const { return secret_; }
  // 65-byte uncompressed public key (0x04 ‖ x ‖ y).
  std::array<std::uint8_t, 65> public_key() const;
  Address address() const;

  // Deterministic (RFC 6979) low-s recoverable signature of a 32-byte digest, v in {27, 28}.
  Signature sign_digest(const Hash32& digest) const;

  ~PrivateKey();
  PrivateKey(const PrivateKey&) = default;
  PrivateKey& operator=(const PrivateKey&) = default;

 private:
  PrivateKey() = default;
  std::array<std::uint8_t, 32> secret_{};
};

// Address of an uncompressed (65-byte) or compressed (33-byte) public key; nullopt if not a point.
// Answers are remembered per thread (the last 256 keys), like recover_address's.
std::optional<Address> address_of_public_key(ByteView public_key);
std::optional<Address> address_of_public_key_uncached(ByteView public_key);

// Recovers the signer's address from a digest and a 65-byte signature. Refuses ("signature-encoding")
// high-s, v other than 27/28, r or s zero or not below n, and signatures that recover no key.
// Successful recoveries are remembered in a small per-thread table (1,024 slots, direct-mapped), so a
// signature checked again on the same thread (a vote on receipt and again in the commit it ends up in;
// in the simulator, the same vote at every simulated node) costs a table lookup. The answer is the same
// either way: the table only holds results of recover_address_uncached.
Result<Address> recover_address(const Hash32& digest, const Signature& signature);
// The same without the table: what one recovery costs (onebill bench's recover_per_s).
Result<Address> recover_address_uncached(const Hash32& digest, const Signature& signature);

// Parses "0x" + exactly 130 lowercase hex digits; "signature-encoding" otherwise (uppercase included).
Result<Signature> parse_signature(std::string_view text);
std::string signature_to_string(const Signature& signature);

}  // namespace onebill
