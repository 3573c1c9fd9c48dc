// The `onebill` block of a OneBill document's data (DESIGN §6): what the ledger's bill.issue records,
// written into the document so that anyone holding it can compare it with the ledger:
//   onebill: {chain, issuer, reference, kind, toOrder, legs: [{mode, carrier, from, to}]}
// The DCSA eBL 3.0 fields transportDocumentReference, transportDocumentTypeCode and isToOrder must
// equal reference, kind and toOrder.
#pragma once

#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::tradetrust {

struct Leg {
  std::string mode;  // SEA, RAIL, ROAD, INLAND_WATERWAY, AIR
  Address carrier;
  std::string from;  // UN/LOCODE, e.g. "CNCKG"
  std::string to;
  bool operator==(const Leg&) const = default;
};

struct OneBillBlock {
  std::string chain;
  Address issuer;
  std::string reference;  // DCSA transportDocumentReference, ≤ limits::max_reference_chars
  std::string kind;       // "BOL" or "SWB" (DCSA transportDocumentTypeCode)
  bool to_order = false;
  std::vector<Leg> legs;  // 1..limits::max_legs, chained: legs[i].to == legs[i+1].from
};

// Reads data.onebill from UNSALTED data (tradetrust/salt.h unsalt_data). Checks the form: chain,
// addresses, reference length, kind, mode names, UN/LOCODEs (5 characters: 2 letters, 3 letters or
// digits 2-9), 1..16 legs chained. "invalid-body" (or "wrong-type", "address-checksum") otherwise.
Result<OneBillBlock> read_onebill_block(const json::Json& unsalted_data);

// The DCSA fields of the same data agree with the block; "invalid-body" naming the first that differs.
Status check_dcsa_agrees(const json::Json& unsalted_data, const OneBillBlock& block);

// The block as JSON, as written into a document.
json::Json to_json(const OneBillBlock& block);

}  // namespace onebill::tradetrust
