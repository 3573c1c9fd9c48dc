// Selective disclosure of a wrapped v2 document (library: obfuscateDocument): the fields at the given
// paths leave `data` and their leaf hashes join privacy.obfuscatedData, so the targetHash is unchanged.
//
// Two removals would break the document once it is written as JSON, and are refused ("invalid-body")
// where the library lets them through: removing an array element (JavaScript's `delete` leaves a hole,
// which JSON writes as null, a leaf that was never hashed) and a removal that leaves an empty object
// behind (an empty object is a leaf of its own, {"path":{}}, that was never hashed). Obfuscate the
// whole array or the whole object instead.
#pragma once

#include <string>
#include <vector>

#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::tradetrust {

// Paths are flattened paths ("shipper.address.street", "packages.0.weight"): keys joined by '.', array
// elements by their index. "invalid-body" for an empty path, a path that names nothing, or one of the
// two removals above; plus anything parse_wrapped refuses.
Result<json::Json> obfuscate_document(const json::Json& wrapped, const std::vector<std::string>& paths);

}  // namespace onebill::tradetrust
