// The one hex helper (STYLE 4). Output is lowercase with a 0x prefix; input accepts either case.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.h"

namespace onebill::hex {

// "0x" + lowercase hex of the bytes.
std::string encode(ByteView bytes);
std::string encode(const Hash32& hash);
// Lowercase hex without the prefix.
std::string encode_bare(ByteView bytes);

// Decodes "0x" + an even number of hex digits (either case). Nothing else is accepted.
std::optional<Bytes> decode(std::string_view text);
// Decodes "0x" + exactly 64 hex digits.
std::optional<Hash32> decode_hash(std::string_view text);
// True when text is "0x" followed by exactly `digits` lowercase hex digits.
bool is_lower_hex(std::string_view text, std::size_t digits);

}  // namespace onebill::hex
