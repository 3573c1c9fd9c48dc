// Verification of a OneBill (or any OpenAttestation v2) document, in tt-verify's shape (DESIGN §6):
// fragments {type, name, status, data?, reason?: {code, codeString, message}} and tt-verify's `valid`
// rule: each of DOCUMENT_INTEGRITY, DOCUMENT_STATUS and ISSUER_IDENTITY has a VALID fragment and
// nothing but VALID or SKIPPED.
//
// DOCUMENT_INTEGRITY comes from the document alone (hashes, batch proof, DID signatures).
// DOCUMENT_STATUS and ISSUER_IDENTITY come from a OneBill ledger through LedgerView, which the node
// implements; tradetrust/ does not know the ledger (DESIGN §1). Without a view (offline) they are SKIPPED.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/bytes.h"
#include "crypto/json.h"
#include "crypto/result.h"
#include "tradetrust/bill_block.h"

namespace onebill::tradetrust {

// ---- What the ledger tells the verifier -------------------------------------------------------

enum class BillStatus { issued, pending_surrender, surrendered, voided };
std::string_view to_string(BillStatus status);  // "ISSUED", "PENDING_SURRENDER", ...

struct BillFacts {
  Address issuer;
  std::string reference;
  std::string kind;  // "BOL" or "SWB"
  bool to_order = false;
  std::vector<Leg> legs;
  BillStatus status = BillStatus::issued;
  std::vector<Hash32> replaced_by;  // set when a VOIDED bill was reissued
};

struct IssuerFacts {
  std::string name;                // registered name
  std::string domain;              // registered DNS domain
  std::vector<std::string> roles;  // "ADMIN", "CARRIER", "BANK", "CUSTOMS", "TRADER"
  bool suspended = false;
};

// The node's ledger as the verifier sees it. A failed Result means the ledger could not answer
// (unreachable, not synced): the fragment is ERROR. nullopt means "no such bill / participant".
class LedgerView {
 public:
  virtual ~LedgerView() = default;
  virtual Result<std::string> chain() = 0;
  virtual Result<std::optional<BillFacts>> bill(const Hash32& id) = 0;  // id = merkleRoot
  virtual Result<std::optional<IssuerFacts>> participant(const Address& address) = 0;
};

// ---- Fragments ---------------------------------------------------------------------------------

enum class FragmentType { document_integrity, document_status, issuer_identity };
enum class FragmentStatus { valid, invalid, error, skipped };
std::string_view to_string(FragmentType type);      // "DOCUMENT_INTEGRITY", ...
std::string_view to_string(FragmentStatus status);  // "VALID", "INVALID", "ERROR", "SKIPPED"

// reason.code / reason.codeString of every fragment this verifier produces.
enum class ReasonCode {
  document_tampered = 0,      // targetHash or merkleRoot does not match
  document_malformed = 1,     // not a readable wrapped v2 document
  skipped = 2,                // not applicable, or offline
  did_signature_invalid = 3,  // a proof[] signature is wrong or missing
  bill_not_issued = 10,
  bill_surrendered = 11,
  bill_voided = 12,
  ledger_mismatch = 13,
  ledger_unreachable = 14,
  issuer_unknown = 20,  // neither the ledger nor the document names an issuer address
  issuer_not_admitted = 21,
  issuer_not_carrier = 22,
  identity_mismatch = 23,  // registered domain or name differ from the document's issuers[0]
};
std::string_view to_string(ReasonCode code);  // "DOCUMENT_TAMPERED", "BILL_SURRENDERED", ...

struct Reason {
  ReasonCode code = ReasonCode::skipped;
  std::string message;
};

struct Fragment {
  FragmentType type = FragmentType::document_integrity;
  std::string
      name;  // "OpenAttestationHash", "OneBillDidSignature", "OneBillLedgerStatus", "OneBillIssuerIdentity"
  FragmentStatus status = FragmentStatus::skipped;
  std::optional<json::Json> data;
  std::optional<Reason> reason;
  json::Json to_json() const;
};

// tt-verify's rule.
bool is_valid(const std::vector<Fragment>& fragments);

// The one-word verdict behind `onebill doc verify`'s exit code.
enum class Verdict {
  valid,           // is_valid
  invalid,         // some fragment INVALID
  error,           // some fragment ERROR and none INVALID
  intact_offline,  // integrity (and DID signatures) VALID, status and identity SKIPPED
};
Verdict verdict_of(const std::vector<Fragment>& fragments);

struct Verification {
  std::vector<Fragment> fragments;
  bool valid = false;
  std::optional<Hash32> target_hash;  // as computed from the data, when the document could be read
  std::optional<Hash32> merkle_root;  // as the document states it (= the bill id)
  json::Json to_json() const;         // {valid, targetHash, merkleRoot, fragments}
};

// The inverse of Verification::to_json, for a verification answered by a node (POST
// /v1/documents/verify). "wrong-type" when the answer does not have that shape.
Result<Verification> verification_from_json(const json::Json& json);

// Verifies an already-read document (json::read refused oversize, too-deep and duplicate keys).
// `ledger` null = offline.
Verification verify_document(const json::Json& document, LedgerView* ledger);

}  // namespace onebill::tradetrust
