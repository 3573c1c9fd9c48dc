#include "crypto/eip191.h"

#include <string>

#include "crypto/hash.h"

namespace onebill::eip191 {

namespace {
constexpr std::string_view kPrefix =
    "\x19"
    "Ethereum Signed Message:\n";
}  // namespace

Hash32 digest(ByteView message) {
  // The length is the message's byte count, not its character count (DESIGN §3).
  const std::string length = std::to_string(message.size());
  return Keccak256().update(kPrefix).update(length).update(message).finish();
}

Signature sign(const PrivateKey& key, ByteView message) {
  return key.sign_digest(digest(message));
}

Result<Address> recover(ByteView message, const Signature& signature) {
  return recover_address(digest(message), signature);
}

}  // namespace onebill::eip191
