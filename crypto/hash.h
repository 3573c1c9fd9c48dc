// Hash functions: Keccak-256 as Ethereum uses it (the original padding 0x01, not NIST SHA3's 0x06),
// and SHA-256 through OpenSSL.
#pragma once

#include <string_view>

#include "crypto/bytes.h"

namespace onebill {

Hash32 keccak256(ByteView data);
inline Hash32 keccak256(std::string_view text) { return keccak256(as_bytes(text)); }

// Incremental Keccak-256, for hashing a long concatenation without building it.
class Keccak256 {
 public:
  Keccak256();
  Keccak256& update(ByteView data);
  Keccak256& update(std::string_view text) { return update(as_bytes(text)); }
  Hash32 finish();

 private:
  std::uint64_t state_[25];
  std::uint8_t buffer_[136];
  std::size_t buffered_ = 0;
};

Hash32 sha256(ByteView data);
inline Hash32 sha256(std::string_view text) { return sha256(as_bytes(text)); }

}  // namespace onebill
