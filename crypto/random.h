// Randomness from the operating system (getrandom). Never used in anything hashed, signed or decided
// by consensus (DESIGN §8); only for keys, salts, nonces of encryption and chain-id suffixes.
#pragma once

#include "crypto/bytes.h"

namespace onebill {

// Fills `out` from the OS random source; aborts if the OS cannot supply randomness (a key made
// from anything weaker would be a silent disaster).
void random_bytes(std::span<std::uint8_t> out);

}  // namespace onebill
