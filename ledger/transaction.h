// The signed transaction of DESIGN §3: wire form, signing text, signature, id.
//
// Wire form: {"chain","type","nonce","from","body","sig"} plus optional "expires_ms".
// Signing text = "OneBill transaction v1\n" + JCS(object without "sig"), JCS of the values AS RECEIVED
// (strings keep the signer's case; the text is never rebuilt from re-printed values).
// sig = EIP-191 personal_sign over the signing text; id = keccak256(signing text).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/json.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"

namespace onebill::ledger {

inline constexpr std::string_view transaction_prefix = "OneBill transaction v1\n";

struct Transaction {
  std::string chain;
  std::string type;  // "bill.issue", ... (DESIGN §4 table); checked against the known types
  std::uint64_t nonce = 0;
  Address from;
  std::optional<std::uint64_t> expires_ms;
  json::Json body;  // the object as received; its schema per type is checked by parse_transaction
  Signature sig{};
  std::string signing_text;  // prefix + JCS of the object without sig
  Hash32 id{};               // keccak256(signing_text)
};

// Parses and checks the form of a signed transaction, its body against the schema of its type
// included, and computes signing text and id. Does NOT recover the signer (see verify_signer).
// Problems (DESIGN §7): too-large (over limits::max_transaction_bytes), malformed-json, duplicate-key,
// too-deep, unknown-field, wrong-type, non-canonical-number, address-checksum, signature-encoding
// (sig not 0x + 130 lowercase hex, high-s, v not 27/28), invalid-body (a body that breaks its type's
// schema: missing field, bad enum, over-long remark ...). `expected_chain`, when given: wrong-chain.
// Integers: a non-negative integer parsed from text is number_unsigned; "-0" and "-1" parse to signed
// integers and are refused. So a DOM built in C++ must hold integers as unsigned (Json(7u), not Json(7)).
Result<Transaction> parse_transaction(std::string_view wire_text,
                                      std::optional<std::string_view> expected_chain = std::nullopt);

// Text given as std::string or a literal is text, not a JSON string value (both convert to Json).
inline Result<Transaction> parse_transaction(const std::string& wire_text,
                                             std::optional<std::string_view> expected_chain = std::nullopt) {
  return parse_transaction(std::string_view(wire_text), expected_chain);
}
inline Result<Transaction> parse_transaction(const char* wire_text,
                                             std::optional<std::string_view> expected_chain = std::nullopt) {
  return parse_transaction(std::string_view(wire_text), expected_chain);
}

// Same checks on an already-parsed object (one element of a POST /v1/txs batch).
Result<Transaction> parse_transaction(const json::Json& object,
                                      std::optional<std::string_view> expected_chain = std::nullopt);

// Recovers the signer from sig over the signing text; "signer-mismatch" unless it equals `from`.
Status verify_signer(const Transaction& transaction);

// The unsigned object {"chain","type","nonce","from","body"[,"expires_ms"]} of the arguments, checked
// as parse_transaction checks a signed one; its signing text is what `onebill tx build` prints.
struct UnsignedTransaction {
  json::Json object;  // without "sig"
  std::string signing_text;
  Hash32 id{};
};
Result<UnsignedTransaction> build_transaction(std::string_view chain, std::string_view type,
                                              std::uint64_t nonce, const Address& from,
                                              const json::Json& body,
                                              std::optional<std::uint64_t> expires_ms = std::nullopt);

// Parses and checks an unsigned transaction object (what `onebill tx build --json` prints and
// `onebill tx attach` reads): the checks of parse_transaction, with "sig" refused as an unknown field.
Result<UnsignedTransaction> parse_unsigned_transaction(std::string_view text);
Result<UnsignedTransaction> parse_unsigned_transaction(const json::Json& object);
inline Result<UnsignedTransaction> parse_unsigned_transaction(const std::string& text) {
  return parse_unsigned_transaction(std::string_view(text));
}
inline Result<UnsignedTransaction> parse_unsigned_transaction(const char* text) {
  return parse_unsigned_transaction(std::string_view(text));
}

// The transaction types of DESIGN §4, in the order of the schema table in transaction.cpp.
bool is_known_transaction_type(std::string_view type);
std::vector<std::string_view> known_transaction_types();

// Checks a body against the schema of its type (parse_transaction does this already; for callers that
// hold a body alone). "invalid-body", "unknown-field", "address-checksum" or "non-canonical-number".
Status check_transaction_body(std::string_view type, const json::Json& body);

// Completes an unsigned transaction with a signature made elsewhere (HSM, hardware wallet); checks it
// recovers `from` ("signer-mismatch") and returns the wire JSON.
Result<json::Json> attach_signature(const UnsignedTransaction& unsigned_tx, const Signature& sig);

// Signs with a local key (from must be the key's address) and returns the wire JSON.
Result<json::Json> sign_transaction(const UnsignedTransaction& unsigned_tx, const PrivateKey& key);

}  // namespace onebill::ledger
