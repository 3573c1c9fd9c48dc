#include "crypto/address.h"

#include <algorithm>

#include "crypto/hash.h"
#include "crypto/hex.h"

namespace onebill {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// EIP-55: a letter is upper case when the matching nibble of keccak256(lowercase hex) is 8 or more.
std::string checksum_case(std::string_view lower_hex40) {
  ONEBILL_ASSERT(lower_hex40.size() == 40);
  const Hash32 hash = keccak256(lower_hex40);
  std::string out(lower_hex40);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t nibble = (i % 2 == 0) ? (hash[i / 2] >> 4) : (hash[i / 2] & 0x0f);
    if (nibble >= 8) out[i] = to_upper(out[i]);
  }
  return out;
}

// The EIP-55 text of an address, through a small direct-mapped cache per thread: block execution and
// state encoding print the same few addresses (issuer, holder, carriers) over and over, and each print
// costs a keccak. The bytes are hash output, so their last two bytes spread well over the slots.
const std::string& eip55_text(const std::array<std::uint8_t, 20>& bytes) {
  struct Slot {
    std::array<std::uint8_t, 20> bytes{};
    std::string text;  // empty: the slot is unused
  };
  constexpr std::size_t slots = 512;
  thread_local std::array<Slot, slots> cache;
  Slot& slot = cache[((std::size_t{bytes[18]} << 8) | bytes[19]) % slots];
  if (slot.text.empty() || slot.bytes != bytes) {
    slot.bytes = bytes;
    slot.text = "0x" + checksum_case(hex::encode_bare(bytes));
  }
  ONEBILL_ASSERT(slot.text.size() == 42);
  return slot.text;
}

}  // namespace

Result<Address> Address::parse(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || text[1] != 'x' ||
      !std::all_of(text.begin() + 2, text.end(), is_hex_digit)) {
    return invalid("wrong-type", "an address is 0x followed by 40 hex digits");
  }
  const std::string_view digits = text.substr(2);
  const bool has_lower =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  const bool has_upper =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  std::string lower(digits);
  std::transform(lower.begin(), lower.end(), lower.begin(), to_lower);
  auto bytes = hex::decode("0x" + lower);
  ONEBILL_ASSERT(bytes && bytes->size() == 20);
  Address address;
  std::copy(bytes->begin(), bytes->end(), address.bytes.begin());
  if (has_lower && has_upper && std::string_view(eip55_text(address.bytes)).substr(2) != digits) {
    return invalid("address-checksum",
                   "the address mixes upper and lower case but fails its EIP-55 checksum (a mistyped "
                   "address?); send it all lowercase only if you are sure of it");
  }
  return address;
}

std::string Address::to_string() const {
  return eip55_text(bytes);
}

bool Address::is_zero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace onebill
