// OpenAttestation v2 hashing, exactly as @tradetrust-tt/tradetrust 6.10.3 computes it (DESIGN §6).
//
// The data of a wrapped document is flattened (flatley): every leaf gets the path of its keys joined with
// '.', array elements by index ("issuers.0.name"); a non-empty object or array is descended into, an empty
// one is a leaf of its own ({} or []). One quirk is kept on purpose: a key under an empty prefix is not
// prefixed at all ({"": {"b": 1}} flattens to path "b"), because flatley tests the prefix for truthiness.
// Each leaf hashes as keccak256(JSON.stringify({path: value})); the targetHash is keccak256 of
// JSON.stringify of the sorted leaf hashes (hex) together with privacy.obfuscatedData.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::tradetrust {

struct Leaf {
  std::string path;         // flattened path, e.g. "issuers.0.name"
  json::Json value;         // the value at the path (a primitive, {} or [])
  std::string hashed_text;  // JSON.stringify({path: value}), the exact bytes that are hashed
  Hash32 hash{};
};

// Flattens `data` (an object) into its leaves, in no particular order. Refuses ("invalid-body") a key
// containing '.', which the library refuses too, and two leaves with one path (possible only through
// the empty-key quirk; the library would silently drop one of them, leaving a field unprotected);
// "wrong-type" when data is not an object or holds a number that is not finite.
// Precondition: depth of `data` ≤ limits::max_json_depth (true for anything json::read returned).
Result<std::vector<Leaf>> flatten_leaves(const json::Json& data);

// The leaves of the value found at `path` (its own leaf when it is a primitive or an empty container),
// with the same rules; what obfuscation hashes into privacy.obfuscatedData.
Result<std::vector<Leaf>> flatten_subtree(const json::Json& value, const std::string& path);

// JSON.stringify of one leaf value: strings escaped by json::quote, numbers by ECMAScript
// Number::toString, true/false/null, {} and [] for empty containers. Precondition: not a non-empty
// container; numbers finite.
std::string leaf_value_text(const json::Json& value);

// keccak256(JSON.stringify(sorted(leaf hashes ∪ obfuscated))), hashes as lowercase hex strings.
Hash32 target_hash_of(std::vector<Hash32> leaf_hashes, const std::vector<Hash32>& obfuscated);

// Convenience: flatten_leaves + target_hash_of.
Result<Hash32> compute_target_hash(const json::Json& data, const std::vector<Hash32>& obfuscated);

// The library's hex form of a hash: 64 lowercase hex digits, no 0x prefix.
std::string bare_hex(const Hash32& hash);
// Parses 64 hex digits (either case) without a prefix, as targetHash, merkleRoot and proof hold them.
std::optional<Hash32> parse_bare_hex(std::string_view text);

}  // namespace onebill::tradetrust
