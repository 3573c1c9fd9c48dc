// JSON for untrusted input, and the canonical encodings (RFC 8785 / JCS) that anything hashed or
// signed uses. nlohmann::json is the DOM; it is never used to format bytes that are hashed or signed.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto/limits.h"
#include "crypto/result.h"

namespace onebill::json {

using Json = nlohmann::json;

struct ReadOptions {
  std::size_t max_bytes = limits::max_document_bytes;
  std::size_t max_depth = limits::max_json_depth;
};

// Parses untrusted text. Refuses, before any DOM is built or recursion happens (a SAX pass):
// more than max_bytes ("too-large"), nesting deeper than max_depth ("too-deep"), a key that repeats
// within one object after unescaping ("duplicate-key"), anything that is not one JSON value
// ("malformed-json", the detail names the byte offset), invalid UTF-8 ("malformed-json").
Result<Json> read(std::string_view text, const ReadOptions& options = {});

// RFC 8785 canonical form: object members sorted by the UTF-16 code units of their keys, no
// whitespace, strings escaped as ECMAScript JSON.stringify does, numbers by ECMAScript Number::toString.
// Integers of magnitude above 2^53 print as JavaScript prints them (the nearest double, e.g.
// 18446744073709551615 → "18446744073709552000"), as RFC 8785 requires; OneBill's own canonical
// integers stay below 2^53, so this only matters for foreign JSON.
// Precondition: depth ≤ limits::max_json_depth (true for anything `read` returned).
std::string canonical(const Json& value);

// A string literal exactly as ECMAScript JSON.stringify writes it (quotes included): \" \\ \b \f \n
// \r \t, other code points below 0x20 as \u00xx (lowercase), everything else as UTF-8 unchanged.
std::string quote(std::string_view utf8);

// ECMAScript Number::toString(x) (ECMA-262 §6.1.6.1.20): shortest round-trip digits, exponent form
// from 1e21 and below 1e-6, "-0" printed "0". Precondition: finite.
std::string ecmascript_number(double value);

}  // namespace onebill::json
