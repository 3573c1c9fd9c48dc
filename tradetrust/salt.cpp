#include "tradetrust/salt.h"

#include <array>
#include <cmath>
#include <cstdlib>

#include "crypto/hex.h"
#include "crypto/random.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

constexpr std::size_t uuid_chars = 36;

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// JavaScript WhiteSpace and LineTerminator code points (ECMA-262 String.prototype.trim), as UTF-8.
std::size_t whitespace_bytes_at(std::string_view text, std::size_t at) {
  static constexpr std::array<std::string_view, 25> spaces = {
      "\t",           "\n",           "\v",           "\f",           "\r",           " ",
      "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83",
      "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
      "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
      "\xEF\xBB\xBF"};
  for (std::string_view space : spaces) {
    if (text.substr(at, space.size()) == space) return space.size();
  }
  return 0;
}

std::size_t whitespace_bytes_before(std::string_view text, std::size_t end) {
  for (std::size_t width = 1; width <= 3 && width <= end; ++width) {
    std::size_t start = end - width;
    if (whitespace_bytes_at(text, start) == width) return width;
  }
  return 0;
}

std::string_view javascript_trim(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t width = whitespace_bytes_at(text, begin);
    if (width == 0) break;
    begin += width;
  }
  std::size_t end = text.size();
  while (end > begin) {
    std::size_t width = whitespace_bytes_before(text, end);
    if (width == 0) break;
    end -= width;
  }
  return text.substr(begin, end - begin);
}

// JavaScript Number(text) for the decimal forms the library writes; anything else is NaN, which
// JSON.stringify prints as null (so null stands for it here).
Json javascript_number(std::string_view raw) {
  std::string_view text = javascript_trim(raw);
  if (text.empty()) return Json(0);
  std::string_view digits = text;
  if (digits.front() == '+' || digits.front() == '-') digits.remove_prefix(1);
  if (digits == "Infinity") return Json(nullptr);
  for (char c : digits) {
    bool allowed = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    if (!allowed) return Json(nullptr);
  }
  std::string copy(text);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return Json(nullptr);
  return Json(value);
}

Result<Json> typed_value(std::string_view typed) {
  std::size_t colon = typed.find(':');
  std::string_view type = typed.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : typed.substr(colon + 1);
  if (type == "string") return Json(std::string(value));
  if (type == "number") return javascript_number(value);
  if (type == "boolean") return Json(value == "true");
  if (type == "null") return Json(nullptr);
  if (type == "undefined") return Json(Json::value_t::discarded);  // JSON has no undefined
  return invalid("invalid-body", "the salted value " + json::quote(std::string(typed.substr(0, 40))) +
                                     " has no known type annotation");
}

Result<Json> unsalt_value(const Json& value) {
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, member] : value.items()) {
      auto unsalted = unsalt_value(member);
      if (!unsalted) return unsalted.problem();
      if (!unsalted->is_discarded()) out[key] = std::move(*unsalted);
    }
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& member : value) {
      auto unsalted = unsalt_value(member);
      if (!unsalted) return unsalted.problem();
      // JSON.stringify writes undefined array elements as null.
      out.push_back(unsalted->is_discarded() ? Json(nullptr) : std::move(*unsalted));
    }
    return out;
  }
  if (!value.is_string()) return value;
  const std::string& text = value.get_ref<const std::string&>();
  std::size_t colon = text.find(':');
  if (colon == std::string::npos || !is_uuid_v4(std::string_view(text).substr(0, colon))) return value;
  // The library skips UUIDV4_LENGTH = 37 characters, then trims.
  std::string_view rest = std::string_view(text).substr(std::min(text.size(), uuid_chars + 1));
  auto typed = typed_value(javascript_trim(rest));
  return typed;
}

}  // namespace

std::string new_uuid_v4() {
  std::array<std::uint8_t, 16> bytes{};
  random_bytes(bytes);
  bytes[6] = static_cast<std::uint8_t>(0x40 | (bytes[6] & 0x0F));  // version 4
  bytes[8] = static_cast<std::uint8_t>(0x80 | (bytes[8] & 0x3F));  // RFC 4122 variant
  std::string digits = hex::encode_bare(ByteView(bytes.data(), bytes.size()));
  std::string uuid = digits.substr(0, 8) + "-" + digits.substr(8, 4) + "-" + digits.substr(12, 4) + "-" +
                     digits.substr(16, 4) + "-" + digits.substr(20, 12);
  ONEBILL_ASSERT(is_uuid_v4(uuid));
  return uuid;
}

bool is_uuid_v4(std::string_view text) {
  if (text.size() != uuid_chars) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!is_hex_digit(c)) {
      return false;
    }
  }
  if (text[14] != '4') return false;
  char variant = text[19];
  return variant == '8' || variant == '9' || variant == 'a' || variant == 'b' || variant == 'A' ||
         variant == 'B';
}

Result<std::string> salt_value(std::string_view uuid, const Json& primitive) {
  ONEBILL_ASSERT(is_uuid_v4(uuid));
  std::string prefix = std::string(uuid) + ":";
  switch (primitive.type()) {
    case Json::value_t::string:
      return prefix + "string:" + primitive.get_ref<const std::string&>();
    case Json::value_t::boolean:
      return prefix + (primitive.get<bool>() ? "boolean:true" : "boolean:false");
    case Json::value_t::null:
      return prefix + "null:null";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: {
      double number = primitive.is_number_unsigned()  ? static_cast<double>(primitive.get<std::uint64_t>())
                      : primitive.is_number_integer() ? static_cast<double>(primitive.get<std::int64_t>())
                                                      : primitive.get<double>();
      if (!std::isfinite(number)) return invalid("wrong-type", "a number in the document is not finite");
      return prefix + "number:" + json::ecmascript_number(number);
    }
    default:
      return invalid("wrong-type", "only strings, numbers, booleans and null can be salted");
  }
}

Result<Json> unsalt_data(const Json& data) {
  return unsalt_value(data);
}

}  // namespace onebill::tradetrust
