// EIP-191 version 0x45 ("personal_sign"): keccak256("\x19Ethereum Signed Message:\n" + decimal BYTE
// length of the message + message). What ethers' wallet.signMessage signs.
#pragma once

#include <string_view>

#include "crypto/secp256k1.h"

namespace onebill::eip191 {

Hash32 digest(ByteView message);
inline Hash32 digest(std::string_view message) { return digest(as_bytes(message)); }

Signature sign(const PrivateKey& key, ByteView message);
inline Signature sign(const PrivateKey& key, std::string_view message) { return sign(key, as_bytes(message)); }

Result<Address> recover(ByteView message, const Signature& signature);
inline Result<Address> recover(std::string_view message, const Signature& signature) {
  return recover(as_bytes(message), signature);
}

}  // namespace onebill::eip191
