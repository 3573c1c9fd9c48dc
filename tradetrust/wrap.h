// Wrapping raw OpenAttestation v2 documents, as the library's wrapDocument / wrapDocuments do:
// every primitive of the raw data becomes "<uuid v4>:<type>:<value>" with a fresh salt, empty
// containers stay as they are, and signature = {type: SHA3MerkleProof, targetHash, proof, merkleRoot}.
// A OneBill bill is wrapped singly (DESIGN §6); batches exist for conformance with other tools.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::tradetrust {

// Wraps one raw document. Refuses: data that is not an object or lacks a non-empty `issuers` array of
// objects each with a string `name` (the part of the v2 schema every tool relies on) ("invalid-body");
// keys containing '.' and flattened-path collisions ("invalid-body", see hashing.h); non-finite numbers
// ("wrong-type"); data nested so deep that the wrapped document would exceed limits::max_json_depth
// ("too-deep").
Result<json::Json> wrap_document(const json::Json& raw);

// Wraps 1..max_batch_transactions raw documents as one batch: each gets its own targetHash, the
// common merkleRoot and its sibling path as signature.proof.
Result<std::vector<json::Json>> wrap_documents(const std::vector<json::Json>& raws);

namespace internal {
// The salt for the leaf at a flattened path; the default draws a new UUID v4 for each. Tests inject
// the salts of known-answer vectors to reproduce the library's output exactly. Must return a UUID v4.
using SaltSource = std::function<std::string(std::string_view path)>;
Result<json::Json> wrap_document_with_salts(const json::Json& raw, const SaltSource& salts);
Result<std::vector<json::Json>> wrap_documents_with_salts(const std::vector<json::Json>& raws,
                                                          const SaltSource& salts);
}  // namespace internal

}  // namespace onebill::tradetrust
