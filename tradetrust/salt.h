// Salted leaf values of OpenAttestation v2: "<uuid v4>:<type>:<value>" with type string, number,
// boolean, null (and undefined, which JSON cannot carry). Library: uuidSalt, unsalt, getData.
#pragma once

#include <string>
#include <string_view>

#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::tradetrust {

// A random UUID version 4 (RFC 4122), lowercase, from the OS random source.
std::string new_uuid_v4();

// True when text is a UUID version 4 in either case (validator.js isUUID(text, 4)).
bool is_uuid_v4(std::string_view text);

// "<uuid>:<type>:<value>" for a JSON primitive, the value printed as JavaScript's String() does
// (numbers by ECMAScript Number::toString). "wrong-type" for containers and non-finite numbers.
Result<std::string> salt_value(std::string_view uuid, const json::Json& primitive);

// The data as the library's getData returns it: every string that starts with a UUID v4 and ':' is
// read back as its typed value (after JavaScript's trim() of "<type>:<value>", as the library does);
// other values are kept. "invalid-body" for an unknown type annotation.
Result<json::Json> unsalt_data(const json::Json& data);

}  // namespace onebill::tradetrust
