// Participant addresses: the last 20 bytes of keccak256 of the uncompressed public key (DESIGN §2).
// Accepted as "0x" + 40 hex digits in all-lowercase, all-uppercase or valid EIP-55 mixed case; held
// and compared as bytes; printed EIP-55.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/result.h"

namespace onebill {

struct Address {
  std::array<std::uint8_t, 20> bytes{};

  // Rules: "wrong-type" when not 0x + 40 hex; "address-checksum" when mixed case fails EIP-55.
  static Result<Address> parse(std::string_view text);
  std::string to_string() const;  // EIP-55
  bool is_zero() const;

  auto operator<=>(const Address&) const = default;
  bool operator==(const Address&) const = default;
};

}  // namespace onebill
