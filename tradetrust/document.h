// A wrapped OpenAttestation v2 document (the form TradeTrust reads and DESIGN §6 issues):
//   {version, data, signature: {type: "SHA3MerkleProof", targetHash, proof[], merkleRoot},
//    privacy?: {obfuscatedData[]}, proof?: [{type, verificationMethod, signature, ...}]}
// Hashes are 64 hex digits without 0x, as the library writes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::tradetrust {

inline constexpr std::string_view schema_v2 = "https://schema.openattestation.com/2.0/schema.json";
inline constexpr std::string_view merkle_proof_type = "SHA3MerkleProof";

// One entry of a DID-signed document's proof[] (OpenAttestationSignature2018).
struct DidProof {
  std::string type;
  std::string verification_method;  // e.g. "did:ethr:0xE712...9a89#controller"
  std::string signature;            // "0x" + 130 hex digits, EIP-191 over the 32 bytes of merkleRoot
};

struct WrappedDocument {
  json::Json document;  // the whole document as read
  json::Json data;      // document.data, still salted
  Hash32 target_hash{};
  Hash32 merkle_root{};
  std::vector<Hash32> batch_proof;   // signature.proof
  std::vector<Hash32> obfuscated;    // privacy.obfuscatedData
  std::vector<DidProof> did_proofs;  // proof[], empty when the document is not DID-signed
  bool is_batched() const { return !batch_proof.empty(); }
};

// Reads the structure of a wrapped v2 document (does not check its hashes: see verify.h).
// "wrong-type"/"invalid-body" with a detail for a missing or malformed part; an OpenAttestation v3 or
// W3C document is refused as "invalid-body" (only v2 is supported).
Result<WrappedDocument> parse_wrapped(const json::Json& document);

// json::read (size, depth, duplicate keys) followed by parse_wrapped.
Result<WrappedDocument> read_wrapped(std::string_view text);

}  // namespace onebill::tradetrust
