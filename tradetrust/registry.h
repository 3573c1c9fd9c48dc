// The chain registry address (DESIGN §3): the address that a chain's documents name as
// issuers[0].tokenRegistry, EIP-55 of the last 20 bytes of keccak256("OneBill/registry/v1/" + chain).
// For "onebill-demo" it is 0x3De00892812ADE5B1E32941a8AE9AF3b3B63E869.
#pragma once

#include <string_view>

#include "crypto/address.h"

namespace onebill::tradetrust {

inline constexpr std::string_view registry_address_prefix = "OneBill/registry/v1/";

Address registry_address(std::string_view chain);

}  // namespace onebill::tradetrust
