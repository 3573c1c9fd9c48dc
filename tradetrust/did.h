// DID proofs of foreign OpenAttestation v2 documents (DESIGN §6): proof[i].signature is EIP-191
// personal_sign over the 32 raw bytes of signature.merkleRoot, and recovers the did:ethr address named
// by proof[i].verificationMethod. Every issuer whose identityProof is DID or DNS-DID must be covered by
// a proof whose verificationMethod equals its identityProof.key (tt-verify's rule).
#pragma once

#include <string>
#include <string_view>

#include "crypto/address.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"
#include "tradetrust/document.h"

namespace onebill::tradetrust {

// "did:ethr:0x<40 hex>" with an optional network ("did:ethr:sepolia:0x...") and an optional
// "#controller" fragment (the key of the address itself). "invalid-body" for anything else,
// delegate keys ("#delegate-1") included, which need a DID registry to resolve.
Result<Address> parse_did_ethr(std::string_view did);

enum class DidCheck {
  not_signed,  // no proof[] and no issuer with a DID identity: nothing to check
  valid,       // every proof recovers its key and every DID issuer is covered
  invalid,     // a signature is wrong or missing
};

struct DidOutcome {
  DidCheck check = DidCheck::not_signed;
  std::string message;  // for people: what was checked or what broke
};

// `unsalted_data` is unsalt_data(document.data), where the issuers' identityProof are read.
DidOutcome check_did_proofs(const WrappedDocument& document, const json::Json& unsalted_data);

// The proof[] entry that signs `merkle_root` with `key` (tests and the conformance suite use it to
// make DID-signed documents): {type, created, proofPurpose, verificationMethod, signature}.
json::Json make_did_proof(const Hash32& merkle_root, const PrivateKey& key, std::string_view created);

}  // namespace onebill::tradetrust
