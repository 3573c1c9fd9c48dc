// How the ledger's answers become DOCUMENT_STATUS and ISSUER_IDENTITY fragments (DESIGN §6), through a
// fake LedgerView: a unit test of the mapping, not of any node.
#include <doctest/doctest.h>

#include <map>

#include "crypto/hex.h"
#include "crypto/secp256k1.h"
#include "tests/unit/tradetrust/support.h"
#include "tradetrust/bill_template.h"
#include "tradetrust/document.h"
#include "tradetrust/verify.h"

using namespace onebill;
using namespace onebill::tradetrust;
using json::Json;

namespace {

class FakeLedger : public LedgerView {
 public:
  std::string chain_id = "onebill-demo";
  std::map<Hash32, BillFacts> bills;
  std::map<Address, IssuerFacts> participants;
  bool reachable = true;

  Result<std::string> chain() override {
    if (!reachable) return local_fault("not-synced", "connection refused");
    return chain_id;
  }
  Result<std::optional<BillFacts>> bill(const Hash32& id) override {
    if (!reachable) return local_fault("not-synced", "connection refused");
    auto found = bills.find(id);
    if (found == bills.end()) return std::optional<BillFacts>{};
    return std::optional<BillFacts>{found->second};
  }
  Result<std::optional<IssuerFacts>> participant(const Address& address) override {
    if (!reachable) return local_fault("not-synced", "connection refused");
    auto found = participants.find(address);
    if (found == participants.end()) return std::optional<IssuerFacts>{};
    return std::optional<IssuerFacts>{found->second};
  }
};

struct Issued {
  Json document;
  Hash32 id{};
  FakeLedger ledger;
  Address issuer;
};

// A OneBill bill made from the template and recorded on the fake ledger as bill.issue would.
Issued issued_bill() {
  Issued out;
  PrivateKey rail = PrivateKey::generate();
  PrivateKey sea = PrivateKey::generate();
  BillTemplate terms;
  terms.issuer = rail.address();
  terms.sea_carrier = sea.address();
  auto wrapped = wrap_document(bill_of_lading_template(terms));
  REQUIRE(wrapped.ok());
  out.document = *wrapped;
  out.id = *parse_bare_hex(wrapped->at("signature").at("merkleRoot").get<std::string>());
  out.issuer = rail.address();
  BillFacts bill;
  bill.issuer = rail.address();
  bill.reference = terms.reference;
  bill.kind = "BOL";
  bill.to_order = true;
  bill.legs = {Leg{"RAIL", rail.address(), "CNCKG", "CNQZH"}, Leg{"SEA", sea.address(), "CNQZH", "SGSIN"}};
  out.ledger.bills[out.id] = bill;
  out.ledger.participants[rail.address()] =
      IssuerFacts{terms.issuer_name, terms.issuer_domain, {"CARRIER"}, false};
  return out;
}

const Fragment& status_of(const Verification& result) {
  return result.fragments.at(2);
}
const Fragment& identity_of(const Verification& result) {
  return result.fragments.at(3);
}

}  // namespace

TEST_CASE("an issued bill verifies VALID on all three fragment types") {
  Issued bill = issued_bill();
  Verification result = verify_document(bill.document, &bill.ledger);
  CHECK(result.valid);
  CHECK(verdict_of(result.fragments) == Verdict::valid);
  CHECK(status_of(result).data->at("status") == "ISSUED");
  CHECK(identity_of(result).status == FragmentStatus::valid);
  Json shape = result.to_json();
  CHECK(shape.at("fragments").at(2).at("type") == "DOCUMENT_STATUS");
  CHECK(shape.at("merkleRoot") == bill.document.at("signature").at("merkleRoot"));
}

TEST_CASE("a bill pending surrender is still VALID, with its status in data") {
  Issued bill = issued_bill();
  bill.ledger.bills[bill.id].status = BillStatus::pending_surrender;
  Verification result = verify_document(bill.document, &bill.ledger);
  CHECK(status_of(result).status == FragmentStatus::valid);
  CHECK(status_of(result).data->at("status") == "PENDING_SURRENDER");
}

TEST_CASE("a surrendered bill is INVALID with BILL_SURRENDERED") {
  Issued bill = issued_bill();
  bill.ledger.bills[bill.id].status = BillStatus::surrendered;
  Verification result = verify_document(bill.document, &bill.ledger);
  CHECK(status_of(result).status == FragmentStatus::invalid);
  CHECK(status_of(result).reason->code == ReasonCode::bill_surrendered);
  CHECK(status_of(result).to_json().at("reason").at("codeString") == "BILL_SURRENDERED");
  CHECK(verdict_of(result.fragments) == Verdict::invalid);
}

TEST_CASE("a voided bill is INVALID with BILL_VOIDED and names its replacements") {
  Issued bill = issued_bill();
  Hash32 replacement{};
  replacement[0] = 0xAB;
  bill.ledger.bills[bill.id].status = BillStatus::voided;
  bill.ledger.bills[bill.id].replaced_by = {replacement};
  Verification result = verify_document(bill.document, &bill.ledger);
  CHECK(status_of(result).reason->code == ReasonCode::bill_voided);
  CHECK(status_of(result).data->at("replaced_by") == Json::array({hex::encode(replacement)}));
}

TEST_CASE("a bill the ledger never issued is INVALID with BILL_NOT_ISSUED") {
  Issued bill = issued_bill();
  bill.ledger.bills.clear();
  Verification result = verify_document(bill.document, &bill.ledger);
  CHECK(status_of(result).reason->code == ReasonCode::bill_not_issued);
  // The identity is still checked, from the document's onebill.issuer.
  CHECK(identity_of(result).status == FragmentStatus::valid);
}

TEST_CASE("a document that disagrees with the ledger is INVALID with LEDGER_MISMATCH") {
  auto mismatch_after = [](auto change) {
    Issued bill = issued_bill();
    change(bill.ledger.bills[bill.id], bill.ledger);
    Verification result = verify_document(bill.document, &bill.ledger);
    REQUIRE(status_of(result).reason.has_value());
    return status_of(result).reason->code;
  };
  CHECK(mismatch_after([](BillFacts& b, FakeLedger&) { b.reference = "OTHER-1"; }) ==
        ReasonCode::ledger_mismatch);
  CHECK(mismatch_after([](BillFacts& b, FakeLedger&) { b.kind = "SWB"; }) == ReasonCode::ledger_mismatch);
  CHECK(mismatch_after([](BillFacts& b, FakeLedger&) { b.to_order = false; }) == ReasonCode::ledger_mismatch);
  CHECK(mismatch_after([](BillFacts& b, FakeLedger&) { b.legs.pop_back(); }) == ReasonCode::ledger_mismatch);
  CHECK(mismatch_after([](BillFacts& b, FakeLedger&) { b.legs[1].to = "SGSGP"; }) ==
        ReasonCode::ledger_mismatch);
  CHECK(mismatch_after([](BillFacts& b, FakeLedger&) { b.issuer = PrivateKey::generate().address(); }) ==
        ReasonCode::ledger_mismatch);
  CHECK(mismatch_after([](BillFacts&, FakeLedger& l) { l.chain_id = "onebill-other"; }) ==
        ReasonCode::ledger_mismatch);
}

TEST_CASE("a foreign document the ledger knows by its root but without a onebill block is LEDGER_MISMATCH") {
  Issued bill = issued_bill();
  Json foreign = test::read_vector("bol-wrapped.json");
  Hash32 id = *parse_bare_hex(foreign.at("signature").at("merkleRoot").get<std::string>());
  bill.ledger.bills[id] = bill.ledger.bills[bill.id];
  Verification result = verify_document(foreign, &bill.ledger);
  CHECK(status_of(result).reason->code == ReasonCode::ledger_mismatch);
}

TEST_CASE("an unreachable ledger gives ERROR, not INVALID") {
  Issued bill = issued_bill();
  bill.ledger.reachable = false;
  Verification result = verify_document(bill.document, &bill.ledger);
  CHECK(status_of(result).status == FragmentStatus::error);
  CHECK(identity_of(result).status == FragmentStatus::error);
  CHECK(verdict_of(result.fragments) == Verdict::error);
  CHECK(!result.valid);
}

TEST_CASE("offline, status and identity are SKIPPED and the verdict says so") {
  Issued bill = issued_bill();
  Verification result = verify_document(bill.document, nullptr);
  CHECK(status_of(result).status == FragmentStatus::skipped);
  CHECK(identity_of(result).status == FragmentStatus::skipped);
  CHECK(!result.valid);
  CHECK(verdict_of(result.fragments) == Verdict::intact_offline);
}

TEST_CASE("the issuer's registered domain matches ASCII case-insensitively") {
  Issued bill = issued_bill();
  bill.ledger.participants[bill.issuer].domain = "CARRIER-Rail.Example";
  CHECK(identity_of(verify_document(bill.document, &bill.ledger)).status == FragmentStatus::valid);
}

TEST_CASE("an issuer whose registered domain or name differs is INVALID with IDENTITY_MISMATCH") {
  Issued bill = issued_bill();
  bill.ledger.participants[bill.issuer].domain = "carrier-sea.example";
  CHECK(identity_of(verify_document(bill.document, &bill.ledger)).reason->code ==
        ReasonCode::identity_mismatch);
  bill = issued_bill();
  bill.ledger.participants[bill.issuer].name = "Someone Else Ltd";
  CHECK(identity_of(verify_document(bill.document, &bill.ledger)).reason->code ==
        ReasonCode::identity_mismatch);
}

TEST_CASE("an issuer that is not an admitted CARRIER is INVALID") {
  Issued bill = issued_bill();
  bill.ledger.participants[bill.issuer].roles = {"BANK"};
  CHECK(identity_of(verify_document(bill.document, &bill.ledger)).reason->code ==
        ReasonCode::issuer_not_carrier);
  bill.ledger.participants.clear();
  CHECK(identity_of(verify_document(bill.document, &bill.ledger)).reason->code ==
        ReasonCode::issuer_not_admitted);
}

TEST_CASE("the template's DCSA fields agree with its onebill block") {
  BillTemplate terms;
  Json raw = bill_of_lading_template(terms);
  auto block = read_onebill_block(raw);
  REQUIRE(block.ok());
  CHECK(check_dcsa_agrees(raw, *block).ok());
  CHECK(block->legs.size() == 2);
  CHECK(raw.at("issuers").at(0).at("tokenRegistry") == "0x3De00892812ADE5B1E32941a8AE9AF3b3B63E869");
}
