#include "crypto/hex.h"

#include <algorithm>

#include "crypto/assert.h"

namespace onebill::hex {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

// Value of one hex digit of either case, or -1.
int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool has_prefix(std::string_view text) {
  return text.size() >= 2 && text[0] == '0' && text[1] == 'x';
}

}  // namespace

std::string encode_bare(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

std::string encode(ByteView bytes) {
  return "0x" + encode_bare(bytes);
}

std::string encode(const Hash32& hash) {
  return encode(ByteView(hash));
}

std::optional<Bytes> decode(std::string_view text) {
  if (!has_prefix(text)) return std::nullopt;
  text.remove_prefix(2);
  if (text.size() % 2 != 0) return std::nullopt;
  Bytes out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = digit_value(text[i]);
    const int low = digit_value(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>((high << 4) | low));
  }
  return out;
}

std::optional<Hash32> decode_hash(std::string_view text) {
  if (text.size() != 2 + 64) return std::nullopt;
  auto bytes = decode(text);
  if (!bytes) return std::nullopt;
  ONEBILL_ASSERT(bytes->size() == 32);
  Hash32 out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

bool is_lower_hex(std::string_view text, std::size_t digits) {
  if (!has_prefix(text) || text.size() != 2 + digits) return false;
  for (char c : text.substr(2)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace onebill::hex
