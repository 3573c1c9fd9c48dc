#include "crypto/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "crypto/assert.h"

namespace onebill::json {
namespace {

// Printable ASCII only: a problem detail must never carry the input's bytes (they may be invalid
// UTF-8, which would break the problem+json answer that quotes the detail).
std::string printable_ascii(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back((c >= 0x20 && c < 0x7f) ? c : '?');
  return out;
}

// The lexer's reason, e.g. "syntax error while parsing value - invalid literal", without the
// "last read" excerpt of the input.
std::string parse_error_reason(const char* what) {
  std::string_view text(what);
  if (const auto colon = text.find(": "); colon != std::string_view::npos) text.remove_prefix(colon + 2);
  if (const auto last_read = text.find("; last read"); last_read != std::string_view::npos) {
    text = text.substr(0, last_read);
  }
  return printable_ascii(text.substr(0, 200));
}

// Builds the DOM from nlohmann's SAX events (its parser keeps an explicit stack, so nothing here
// recurses on the input's depth). Refuses as soon as an event breaks a limit, so no oversized
// structure is ever built.
class DomBuilder {
 public:
  using string_t = Json::string_t;
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using binary_t = Json::binary_t;

  explicit DomBuilder(std::size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return add_value(Json(nullptr)); }
  bool boolean(bool value) { return add_value(Json(value)); }
  bool number_integer(number_integer_t value) { return add_value(Json(value)); }
  bool number_unsigned(number_unsigned_t value) { return add_value(Json(value)); }
  bool number_float(number_float_t value, const string_t& /*text*/) { return add_value(Json(value)); }
  bool string(string_t& value) { return add_value(Json(std::move(value))); }
  bool binary(binary_t& /*value*/) {
    // Only the binary formats (CBOR, MessagePack) produce this; JSON text never does.
    return fail(invalid("malformed-json", "binary values are not JSON"));
  }

  bool start_object(std::size_t /*size*/) { return open(Json::object()); }
  bool start_array(std::size_t /*size*/) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& key) {
    ONEBILL_ASSERT(!open_.empty() && open_.back()->is_object() && !pending_key_);
    // The key arrives unescaped, so {"a":1,"\u0061":2} repeats "a". The object under construction
    // is the set of keys seen so far in it.
    if (open_.back()->contains(key)) {
      return fail(invalid("duplicate-key", "the key \"" + printable_ascii(key.substr(0, 64)) +
                                               "\" appears twice in one object"));
    }
    pending_key_ = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    // Byte offset of the lexer's position: the first byte that could not be read as JSON.
    return fail(invalid("malformed-json", "not valid JSON at byte " + std::to_string(position) + ": " +
                                              parse_error_reason(error.what())));
  }

  const std::optional<Problem>& problem() const { return problem_; }
  Json take_root() { return std::move(root_); }
  bool complete() const { return has_root_ && open_.empty(); }

 private:
  bool fail(Problem problem) {
    if (!problem_) problem_ = std::move(problem);
    return false;
  }

  // Places a value in the open container (or as the root) and returns where it now lives.
  Json* place(Json value) {
    if (open_.empty()) {
      ONEBILL_ASSERT(!has_root_);
      root_ = std::move(value);
      has_root_ = true;
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      // Safe to keep a pointer: a sibling is only appended after this child is closed.
      parent.push_back(std::move(value));
      return &parent.back();
    }
    ONEBILL_ASSERT(parent.is_object() && pending_key_);
    Json& slot = parent[*pending_key_];  // std::map nodes do not move when others are inserted
    slot = std::move(value);
    pending_key_.reset();
    return &slot;
  }

  bool add_value(Json value) {
    place(std::move(value));
    return true;
  }

  bool open(Json container) {
    if (open_.size() + 1 > max_depth_) {
      return fail(invalid("too-deep", "JSON nesting deeper than " + std::to_string(max_depth_) + " levels"));
    }
    open_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    ONEBILL_ASSERT(!open_.empty() && !pending_key_);
    open_.pop_back();
    return true;
  }

  std::size_t max_depth_;
  Json root_;
  bool has_root_ = false;
  std::vector<Json*> open_;  // the open containers, outermost first; size ≤ max_depth_
  std::optional<std::string> pending_key_;
  std::optional<Problem> problem_;
};

// A UTF-8 string as UTF-16 code units, for RFC 8785 §3.2.3's key order. A malformed sequence (only
// possible in a DOM built by code, never in one `read` returned) counts as U+FFFD.
std::u16string utf16_units(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<std::uint8_t>(utf8[i]);
    std::size_t length = 0;
    char32_t code_point = 0;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2;
      code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      code_point = lead & 0x07;
    }
    bool valid = length > 0 && i + length <= utf8.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<std::uint8_t>(utf8[i + k]);
      valid = (next & 0xc0) == 0x80;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    if (!valid || code_point > 0x10ffff) {
      out.push_back(u'\ufffd');
      i += 1;
      continue;
    }
    if (code_point >= 0x10000) {
      code_point -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (code_point >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (code_point & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(code_point));
    }
    i += length;
  }
  return out;
}

void write_canonical(const Json& value, std::string& out, std::size_t depth);

void write_number(const Json& value, std::string& out) {
  // RFC 8785 §3.2.2.3 reads every number as an IEEE 754 double, as JavaScript does. Integers up to
  // 2^53 print the same either way; beyond it we print what JavaScript prints (the nearest double),
  // so the canonical bytes match other JCS implementations. Transactions refuse such integers.
  constexpr std::uint64_t exact_limit = std::uint64_t{1} << 53;
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    out += number <= exact_limit ? std::to_string(number) : ecmascript_number(static_cast<double>(number));
  } else if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    const std::uint64_t magnitude =
        number < 0 ? 0 - static_cast<std::uint64_t>(number) : static_cast<std::uint64_t>(number);
    out += magnitude <= exact_limit ? std::to_string(number) : ecmascript_number(static_cast<double>(number));
  } else {
    out += ecmascript_number(value.get<double>());
  }
}

void write_object(const Json& value, std::string& out, std::size_t depth) {
  std::vector<std::pair<std::u16string, Json::const_iterator>> members;
  members.reserve(value.size());
  for (auto it = value.begin(); it != value.end(); ++it) members.emplace_back(utf16_units(it.key()), it);
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out.push_back('{');
  bool first = true;
  for (const auto& [units, it] : members) {
    if (!first) out.push_back(',');
    first = false;
    out += quote(it.key());
    out.push_back(':');
    write_canonical(it.value(), out, depth + 1);
  }
  out.push_back('}');
}

// Recursion is bounded by the precondition (depth ≤ limits::max_json_depth), checked here.
void write_canonical(const Json& value, std::string& out, std::size_t depth) {
  switch (value.type()) {
    case Json::value_t::null:
      out += "null";
      return;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::string:
      out += quote(value.get_ref<const std::string&>());
      return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      write_number(value, out);
      return;
    case Json::value_t::object:
      ONEBILL_ASSERT(depth < limits::max_json_depth);
      write_object(value, out, depth);
      return;
    case Json::value_t::array: {
      ONEBILL_ASSERT(depth < limits::max_json_depth);
      out.push_back('[');
      bool first = true;
      for (const Json& element : value) {
        if (!first) out.push_back(',');
        first = false;
        write_canonical(element, out, depth + 1);
      }
      out.push_back(']');
      return;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  ONEBILL_ASSERT(false && "canonical() got a value JSON cannot hold");
}

}  // namespace

Result<Json> read(std::string_view text, const ReadOptions& options) {
  if (text.size() > options.max_bytes) {
    return invalid("too-large", "JSON input of " + std::to_string(text.size()) +
                                    " bytes exceeds the limit of " + std::to_string(options.max_bytes));
  }
  DomBuilder builder(options.max_depth);
  bool parsed = false;
  try {
    // strict: exactly one value and nothing after it but whitespace.
    parsed = Json::sax_parse(text.data(), text.data() + text.size(), &builder,
                             nlohmann::json::input_format_t::json,
                             /*strict=*/true);
  } catch (const nlohmann::json::exception& error) {
    // The SAX parser reports errors through parse_error; this is a second line of defence.
    return invalid("malformed-json", "not valid JSON: " + parse_error_reason(error.what()));
  }
  if (builder.problem()) return *builder.problem();
  if (!parsed || !builder.complete()) return invalid("malformed-json", "not valid JSON");
  return builder.take_root();
}

std::string canonical(const Json& value) {
  std::string out;
  write_canonical(value, out, 0);
  return out;
}

std::string quote(std::string_view utf8) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(utf8.size() + 2);
  out.push_back('"');
  for (char c : utf8) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
          out.push_back(kHex[static_cast<unsigned char>(c) & 0x0f]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

// ECMA-262 Number::toString(x), radix 10 (§6.1.6.1.20). With s the shortest digit string that
// round-trips (k digits) and n the position of the decimal point (x = s × 10^(n−k)).
std::string ecmascript_number(double value) {
  ONEBILL_ASSERT(std::isfinite(value));
  if (value == 0) return "0";  // step 2: +0 and -0
  if (value < 0) return "-" + ecmascript_number(-value);

  // Shortest round-trip digits in scientific form: "d[.ddd]e±XX" (std::to_chars without precision).
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  ONEBILL_ASSERT(result.ec == std::errc());
  const std::string_view scientific(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const std::size_t e_position = scientific.find('e');
  ONEBILL_ASSERT(e_position != std::string_view::npos);
  std::string digits;
  for (char c : scientific.substr(0, e_position)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  const std::string_view exponent_text = scientific.substr(e_position + 1);
  const char* exponent_begin = exponent_text.data() + (exponent_text.front() == '+' ? 1 : 0);
  const auto parsed = std::from_chars(exponent_begin, exponent_text.data() + exponent_text.size(), exponent);
  ONEBILL_ASSERT(parsed.ec == std::errc());
  ONEBILL_ASSERT(!digits.empty() && digits.front() != '0');

  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  if (k <= n && n <= 21) return digits + std::string(static_cast<std::size_t>(n - k), '0');  // step 6
  if (0 < n && n <= 21) {                                                                    // step 7
    return digits.substr(0, static_cast<std::size_t>(n)) + "." + digits.substr(static_cast<std::size_t>(n));
  }
  if (-6 < n && n <= 0) return "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;  // step 8
  // Steps 9 and 10: exponent form.
  const int e = n - 1;
  const std::string exponent_part = std::string("e") + (e >= 0 ? "+" : "-") + std::to_string(e >= 0 ? e : -e);
  if (k == 1) return digits + exponent_part;
  return digits.substr(0, 1) + "." + digits.substr(1) + exponent_part;
}

}  // namespace onebill::json
