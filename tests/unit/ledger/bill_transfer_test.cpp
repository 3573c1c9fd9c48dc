// Possession and title (DESIGN §4): transfer_holder, nominate, endorse, transfer_owners, blank_endorse,
// reject_transfer, and the nominee / prev_* clearing rules.
#include <doctest/doctest.h>

#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::bill_id;
using onebill::test::Consortium;
namespace ledger = onebill::ledger;

// ---- bill.transfer_holder ----

TEST_CASE("the holder transfers possession to an admitted party") {
  Consortium c;
  const std::string id = c.issue_order_bill("th");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  const auto bill = c.bill(id);
  CHECK(bill.holder == c.consignee.address);
  CHECK(bill.prev_holder == c.shipper.address);
  CHECK(bill.beneficiary == c.shipper.address);  // title does not move
  auto history = c.reader().history(bill.id).value();
  REQUIRE(history.size() == 2);
  CHECK(history[1].dcsa == "TRANSFER");
  CHECK(history[1].recipient == c.consignee.address);
}

TEST_CASE("a non-holder cannot transfer the bill") {
  Consortium c;
  const std::string id = c.issue_order_bill("th");
  c.expect_refused(c.consignee, "bill.transfer_holder", Consortium::to_body(id, c.trader), "not-permitted");
  c.expect_refused(c.carrier_rail, "bill.transfer_holder", Consortium::to_body(id, c.trader),
                   "not-permitted");
}

TEST_CASE("a transfer of an unknown bill is refused as unknown-bill") {
  Consortium c;
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(bill_id("nope"), c.consignee),
                   "unknown-bill");
}

TEST_CASE("a transfer needs an admitted, unsuspended recipient other than the holder") {
  Consortium c;
  const std::string id = c.issue_order_bill("th");
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.outsider),
                   "recipient-not-admitted");
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.shipper), "same-party");
  c.govern("participant.suspend", Json{{"address", c.consignee.text()}});
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee), "not-permitted");
}

TEST_CASE("a suspended holder cannot transfer") {
  Consortium c;
  const std::string id = c.issue_order_bill("th");
  c.govern("participant.suspend", Json{{"address", c.shipper.text()}});
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee), "not-permitted");
}

TEST_CASE("a sea waybill never changes hands") {
  Consortium c;
  const std::string id = bill_id("swb");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(id, "SWB-1", c.consignee, c.consignee, "SWB", false));
  c.expect_refused(c.consignee, "bill.transfer_holder", Consortium::to_body(id, c.trader), "bill-kind");
}

TEST_CASE("a pledged bill cannot be transferred") {
  Consortium c;
  const std::string id = c.issue_order_bill("th");
  c.ok(c.shipper, "bill.pledge", Json{{"bill", id}, {"bank", c.bank.text()}, {"reference", "LOAN-1"}});
  c.expect_refused(c.bank, "bill.transfer_holder", Consortium::to_body(id, c.trader), "bill-pledged");
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader), "not-permitted");
}

TEST_CASE("a straight BOL passes only to its consignee or back to its shipper") {
  Consortium c;
  const std::string id = bill_id("straight");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(id, "ST-1", c.shipper, c.consignee, "BOL", false));
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader), "not-permitted");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.ok(c.consignee, "bill.transfer_holder", Consortium::to_body(id, c.shipper));
}

TEST_CASE("a bill that is not ISSUED cannot be transferred") {
  Consortium c;
  const std::string id = c.issue_order_bill("th");
  c.ok(c.shipper, "bill.surrender", Json{{"bill", id}, {"purpose", "DELIVERY"}});
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee), "bill-status");
}

// ---- bill.nominate ----

TEST_CASE("the beneficiary nominates and cancels a nominee") {
  Consortium c;
  const std::string id = c.issue_order_bill("nom");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader));
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.consignee.text()}});
  CHECK(c.bill(id).nominee == c.consignee.address);
  CHECK(c.reader().bills(ledger::BillIndex::nominee, c.consignee.address).value().bills.size() == 1);
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", nullptr}});
  CHECK_FALSE(c.bill(id).nominee.has_value());
  CHECK(c.reader().bills(ledger::BillIndex::nominee, c.consignee.address).value().bills.empty());
}

TEST_CASE("only the beneficiary of a negotiable, unpledged bill nominates someone else") {
  Consortium c;
  const std::string id = c.issue_order_bill("nom");
  c.expect_refused(c.consignee, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}},
                   "not-permitted");
  c.expect_refused(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.shipper.text()}},
                   "same-party");
  c.expect_refused(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.outsider.text()}},
                   "recipient-not-admitted");
  const std::string straight = bill_id("straight");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(straight, "ST-1", c.shipper, c.consignee, "BOL", false));
  c.expect_refused(c.consignee, "bill.nominate", Json{{"bill", straight}, {"nominee", c.trader.text()}},
                   "bill-kind");
  c.ok(c.shipper, "bill.pledge", Json{{"bill", id}, {"bank", c.bank.text()}, {"reference", "L"}});
  c.expect_refused(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}},
                   "bill-pledged");
}

// ---- bill.endorse ----

TEST_CASE("an entitled holder endorses the bill to a new beneficiary") {
  Consortium c;
  const std::string id = c.issue_order_bill("end");
  c.ok(c.shipper, "bill.endorse", Consortium::to_body(id, c.consignee));
  const auto bill = c.bill(id);
  CHECK(bill.beneficiary == c.consignee.address);
  CHECK(bill.prev_beneficiary == std::optional<onebill::Address>(c.shipper.address));
  CHECK(bill.holder == c.shipper.address);
  CHECK(c.reader().history(bill.id).value().back().dcsa == "ENDORSE_TO_ORDER");
}

TEST_CASE("a holder that is not entitled endorses only to the nominee") {
  Consortium c;
  const std::string id = c.issue_order_bill("end");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader));  // holder trader, title shipper
  c.expect_refused(c.trader, "bill.endorse", Consortium::to_body(id, c.consignee), "not-entitled");
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}});
  c.ok(c.trader, "bill.endorse", Consortium::to_body(id, c.trader));
  const auto bill = c.bill(id);
  CHECK(bill.beneficiary == c.trader.address);
  CHECK_FALSE(bill.nominee.has_value());  // every change of beneficiary clears the nominee
}

TEST_CASE("endorsement needs the holder, a negotiable bill, no pledge and a new admitted beneficiary") {
  Consortium c;
  const std::string id = c.issue_order_bill("end");
  c.expect_refused(c.consignee, "bill.endorse", Consortium::to_body(id, c.consignee), "not-permitted");
  c.expect_refused(c.shipper, "bill.endorse", Consortium::to_body(id, c.shipper), "same-party");
  c.expect_refused(c.shipper, "bill.endorse", Consortium::to_body(id, c.outsider), "recipient-not-admitted");
  const std::string swb = bill_id("swb");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(swb, "SWB-1", c.consignee, c.consignee, "SWB", false));
  c.expect_refused(c.consignee, "bill.endorse", Consortium::to_body(swb, c.trader), "bill-kind");
  c.ok(c.shipper, "bill.pledge", Json{{"bill", id}, {"bank", c.bank.text()}, {"reference", "L"}});
  c.expect_refused(c.bank, "bill.endorse", Consortium::to_body(id, c.trader), "bill-pledged");
}

// ---- bill.transfer_owners ----

TEST_CASE("an entitled holder moves possession and title at once") {
  Consortium c;
  const std::string id = c.issue_order_bill("own");
  c.ok(c.shipper, "bill.transfer_owners",
       Json{{"bill", id}, {"holder", c.consignee.text()}, {"beneficiary", c.consignee.text()}});
  const auto bill = c.bill(id);
  CHECK(bill.holder == c.consignee.address);
  CHECK(bill.beneficiary == c.consignee.address);
  CHECK(bill.prev_holder == c.shipper.address);
  CHECK(bill.prev_beneficiary == std::optional<onebill::Address>(c.shipper.address));
}

TEST_CASE("transfer of both roles needs an entitled holder of a negotiable bill") {
  Consortium c;
  const std::string id = c.issue_order_bill("own");
  const Json body = {{"bill", id}, {"holder", c.consignee.text()}, {"beneficiary", c.consignee.text()}};
  c.expect_refused(c.consignee, "bill.transfer_owners", body, "not-permitted");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader));
  Json by_trader = body;
  c.expect_refused(c.trader, "bill.transfer_owners", by_trader, "not-entitled");
  Json to_self = {{"bill", id}, {"holder", c.trader.text()}, {"beneficiary", c.consignee.text()}};
  c.expect_refused(c.trader, "bill.transfer_owners", to_self, "not-entitled");
}

// ---- bill.blank_endorse ----

TEST_CASE("an entitled holder endorses the bill in blank") {
  Consortium c;
  const std::string id = c.issue_order_bill("blank");
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}});
  c.ok(c.shipper, "bill.blank_endorse", Consortium::bill_body(id));
  const auto bill = c.bill(id);
  CHECK_FALSE(bill.beneficiary.has_value());
  CHECK_FALSE(bill.nominee.has_value());
  CHECK(bill.holder_entitled());
  CHECK(c.reader().history(bill.id).value().back().dcsa == "BLANK_ENDORSE");
  // Whoever holds a bill in blank is entitled: the next holder can endorse it.
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.ok(c.consignee, "bill.endorse", Consortium::to_body(id, c.consignee));
  CHECK(c.bill(id).beneficiary == c.consignee.address);
}

TEST_CASE("blank endorsement needs an entitled holder and a bill not already in blank") {
  Consortium c;
  const std::string id = c.issue_order_bill("blank");
  c.expect_refused(c.consignee, "bill.blank_endorse", Consortium::bill_body(id), "not-permitted");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader));
  c.expect_refused(c.trader, "bill.blank_endorse", Consortium::bill_body(id), "not-entitled");
  const std::string in_blank = bill_id("inblank");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(in_blank, "B-1", c.shipper, std::nullopt));
  c.expect_refused(c.shipper, "bill.blank_endorse", Consortium::bill_body(in_blank), "same-party");
}

// ---- bill.reject_transfer ----

TEST_CASE("a new holder rejects a transfer it has not acted on") {
  Consortium c;
  const std::string id = c.issue_order_bill("rej");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.ok(c.consignee, "bill.reject_transfer", Consortium::bill_body(id));
  const auto bill = c.bill(id);
  CHECK(bill.holder == c.shipper.address);
  CHECK_FALSE(bill.prev_holder.has_value());
}

TEST_CASE("a new beneficiary rejects an endorsement, restoring the previous one and clearing the nominee") {
  Consortium c;
  const std::string id = c.issue_order_bill("rej");
  c.ok(c.shipper, "bill.endorse", Consortium::to_body(id, c.consignee));
  c.ok(c.consignee, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}});
  // Nominating is an action of the beneficiary: it can no longer reject.
  c.expect_refused(c.consignee, "bill.reject_transfer", Consortium::bill_body(id), "not-permitted");

  const std::string second = c.issue_order_bill("rej2");
  c.ok(c.shipper, "bill.endorse", Consortium::to_body(second, c.consignee));
  c.ok(c.consignee, "bill.reject_transfer", Consortium::bill_body(second));
  const auto bill = c.bill(second);
  CHECK(bill.beneficiary == c.shipper.address);
  CHECK_FALSE(bill.prev_beneficiary.has_value());
}

TEST_CASE("rejecting an endorsement from blank restores the blank") {
  Consortium c;
  const std::string id = bill_id("rb");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(id, "B-1", c.shipper, std::nullopt));
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.ok(c.consignee, "bill.endorse", Consortium::to_body(id, c.trader));  // holder acted: prev_holder cleared
  c.expect_refused(c.consignee, "bill.reject_transfer", Consortium::bill_body(id), "not-permitted");
  c.ok(c.trader, "bill.reject_transfer", Consortium::bill_body(id));
  CHECK_FALSE(c.bill(id).beneficiary.has_value());
}

TEST_CASE("the pledgee rejects a pledge and the pledgor holds again") {
  Consortium c;
  const std::string id = c.issue_order_bill("rp");
  c.ok(c.shipper, "bill.pledge", Json{{"bill", id}, {"bank", c.bank.text()}, {"reference", "L"}});
  c.ok(c.bank, "bill.reject_transfer", Consortium::bill_body(id));
  const auto bill = c.bill(id);
  CHECK(bill.holder == c.shipper.address);
  CHECK_FALSE(bill.pledge.has_value());
}

TEST_CASE("a party that has acted since receiving the bill, or never received it, cannot reject") {
  Consortium c;
  const std::string id = c.issue_order_bill("rej");
  c.expect_refused(c.shipper, "bill.reject_transfer", Consortium::bill_body(id),
                   "not-permitted");  // the issue
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.expect_refused(c.trader, "bill.reject_transfer", Consortium::bill_body(id), "not-permitted");
  c.ok(c.consignee, "bill.transfer_holder", Consortium::to_body(id, c.trader));
  c.expect_refused(c.consignee, "bill.reject_transfer", Consortium::bill_body(id), "not-permitted");
  c.ok(c.trader, "bill.reject_transfer", Consortium::bill_body(id));
  CHECK(c.bill(id).holder == c.consignee.address);
}

TEST_CASE("a suspended party may still reject a transfer to it") {
  Consortium c;
  const std::string id = c.issue_order_bill("rej");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.govern("participant.suspend", Json{{"address", c.consignee.text()}});
  c.ok(c.consignee, "bill.reject_transfer", Consortium::bill_body(id));
}
