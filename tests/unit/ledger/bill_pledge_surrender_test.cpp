// Pledges and surrenders (DESIGN §4): pledge, release, enforce, surrender, withdraw_surrender,
// accept_surrender, reject_surrender.
#include <doctest/doctest.h>

#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::bill_id;
using onebill::test::Consortium;
namespace ledger = onebill::ledger;

namespace {
Json pledge_body(const std::string& id, const onebill::test::Party& bank) {
  return Json{{"bill", id}, {"bank", bank.text()}, {"reference", "LOAN-7"}};
}
Json surrender_body(const std::string& id, const std::string& purpose,
                    std::optional<std::string> reason = {}) {
  Json body = {{"bill", id}, {"purpose", purpose}};
  if (reason) body["reason"] = *reason;
  return body;
}
}  // namespace

// ---- bill.pledge ----

TEST_CASE("an entitled holder pledges the bill to a bank, which becomes holder") {
  Consortium c;
  const std::string id = c.issue_order_bill("pl");
  c.ok(c.shipper, "bill.pledge", pledge_body(id, c.bank));
  const auto bill = c.bill(id);
  CHECK(bill.holder == c.bank.address);
  REQUIRE(bill.pledge.has_value());
  CHECK(bill.pledge->bank == c.bank.address);
  CHECK(bill.pledge->pledgor == c.shipper.address);
  CHECK(bill.pledge->reference == "LOAN-7");
  CHECK_FALSE(bill.prev_holder.has_value());
  CHECK(c.reader().bills(ledger::BillIndex::pledgee, c.bank.address).value().bills.size() == 1);
  auto control = c.reader().control(bill.id).value();
  REQUIRE(control.has_value());
  CHECK(control->possessor == c.bank.address);
  CHECK(control->title_holder == c.shipper.address);
}

TEST_CASE("a bill is pledged once at a time") {
  Consortium c;
  const std::string id = c.issue_order_bill("pl");
  c.ok(c.shipper, "bill.pledge", pledge_body(id, c.bank));
  c.expect_refused(c.bank, "bill.pledge", pledge_body(id, c.bank), "bill-pledged");
  c.expect_refused(c.shipper, "bill.pledge", pledge_body(id, c.bank), "bill-pledged");
}

TEST_CASE("a pledge needs the entitled holder of a negotiable bill and a BANK other than the holder") {
  Consortium c;
  const std::string id = c.issue_order_bill("pl");
  c.expect_refused(c.consignee, "bill.pledge", pledge_body(id, c.bank), "not-permitted");
  c.expect_refused(c.shipper, "bill.pledge", pledge_body(id, c.trader), "not-permitted");
  c.expect_refused(c.shipper, "bill.pledge", pledge_body(id, c.shipper), "same-party");
  c.expect_refused(c.shipper, "bill.pledge", pledge_body(id, c.outsider), "recipient-not-admitted");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader));
  c.expect_refused(c.trader, "bill.pledge", pledge_body(id, c.bank), "not-entitled");
  const std::string swb = bill_id("swb");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(swb, "SWB-1", c.consignee, c.consignee, "SWB", false));
  c.expect_refused(c.consignee, "bill.pledge", pledge_body(swb, c.bank), "bill-kind");
}

TEST_CASE("a suspended bank cannot become pledgee, a suspended holder cannot pledge") {
  Consortium c;
  const std::string id = c.issue_order_bill("pl");
  c.govern("participant.suspend", Json{{"address", c.bank.text()}});
  c.expect_refused(c.shipper, "bill.pledge", pledge_body(id, c.bank), "not-permitted");
  c.govern("participant.reinstate", Json{{"address", c.bank.text()}});
  c.govern("participant.suspend", Json{{"address", c.shipper.text()}});
  c.expect_refused(c.shipper, "bill.pledge", pledge_body(id, c.bank), "not-permitted");
}

// ---- bill.release and bill.enforce ----

TEST_CASE("the pledgee releases the pledge and the pledgor holds again, nominee kept") {
  Consortium c;
  const std::string id = c.issue_order_bill("rel");
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}});
  c.ok(c.shipper, "bill.pledge", pledge_body(id, c.bank));
  c.ok(c.bank, "bill.release", Consortium::bill_body(id));
  const auto bill = c.bill(id);
  CHECK(bill.holder == c.shipper.address);
  CHECK_FALSE(bill.pledge.has_value());
  CHECK(bill.nominee == c.trader.address);
  CHECK(c.reader().bills(ledger::BillIndex::pledgee, c.bank.address).value().bills.empty());
}

TEST_CASE("only the pledgee of a pledged bill releases or enforces") {
  Consortium c;
  const std::string id = c.issue_order_bill("rel");
  c.expect_refused(c.bank, "bill.release", Consortium::bill_body(id), "bill-not-pledged");
  c.expect_refused(c.bank, "bill.enforce", Consortium::bill_body(id), "bill-not-pledged");
  c.ok(c.shipper, "bill.pledge", pledge_body(id, c.bank));
  c.expect_refused(c.shipper, "bill.release", Consortium::bill_body(id), "not-permitted");
  c.expect_refused(c.shipper, "bill.enforce", Consortium::bill_body(id), "not-permitted");
}

TEST_CASE("a suspended pledgee may still release") {
  Consortium c;
  const std::string id = c.issue_order_bill("rel");
  c.ok(c.shipper, "bill.pledge", pledge_body(id, c.bank));
  c.govern("participant.suspend", Json{{"address", c.bank.text()}});
  c.expect_refused(c.bank, "bill.enforce", Consortium::bill_body(id), "not-permitted");
  c.ok(c.bank, "bill.release", Consortium::bill_body(id));
  CHECK(c.bill(id).holder == c.shipper.address);
}

TEST_CASE("the pledgee enforces: it becomes beneficiary and the pledge ends") {
  Consortium c;
  const std::string id = c.issue_order_bill("enf");
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}});
  c.ok(c.shipper, "bill.pledge", pledge_body(id, c.bank));
  c.ok(c.bank, "bill.enforce", Consortium::bill_body(id));
  const auto bill = c.bill(id);
  CHECK(bill.holder == c.bank.address);
  CHECK(bill.beneficiary == c.bank.address);
  CHECK_FALSE(bill.pledge.has_value());
  CHECK_FALSE(bill.nominee.has_value());
}

// ---- bill.surrender and its answers ----

TEST_CASE("an entitled holder surrenders for delivery and the issuer accepts") {
  Consortium c;
  const std::string id = c.issue_order_bill("sur");
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}});
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"));
  auto bill = c.bill(id);
  CHECK(bill.status == ledger::BillStatus::pending_surrender);
  REQUIRE(bill.pending.has_value());
  CHECK(bill.pending->requester == c.shipper.address);
  CHECK_FALSE(bill.nominee.has_value());  // every surrender clears the nominee
  CHECK(c.reader().history(bill.id).value().back().dcsa == "SURRENDER_FOR_DELIVERY");
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
  bill = c.bill(id);
  CHECK(bill.status == ledger::BillStatus::surrendered);
  REQUIRE(bill.pending.has_value());  // the accepted surrender stays recorded
  CHECK(bill.pending->purpose == ledger::SurrenderPurpose::delivery);
  CHECK(c.reader().history(bill.id).value().back().dcsa == "SACC");
  CHECK(c.reader().bills(ledger::BillIndex::status, std::string("SURRENDERED")).value().bills.size() == 1);
  CHECK(c.reader().bills(ledger::BillIndex::status, std::string("ISSUED")).value().bills.empty());
}

TEST_CASE("an accepted surrender is terminal for every bill action") {
  Consortium c;
  const std::string id = c.issue_order_bill("term");
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"));
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee), "bill-status");
  c.expect_refused(c.shipper, "bill.endorse", Consortium::to_body(id, c.consignee), "bill-status");
  c.expect_refused(c.shipper, "bill.pledge", pledge_body(id, c.bank), "bill-status");
  c.expect_refused(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"), "bill-status");
  c.expect_refused(c.shipper, "bill.withdraw_surrender", Consortium::bill_body(id), "bill-status");
  c.expect_refused(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id), "bill-status");
  c.expect_refused(c.carrier_rail, "bill.reject_surrender", Json{{"bill", id}, {"remark", "no"}},
                   "bill-status");
  c.expect_refused(c.shipper, "bill.blank_endorse", Consortium::bill_body(id), "bill-status");
}

TEST_CASE("surrender for delivery needs an entitled, unpledged holder") {
  Consortium c;
  const std::string id = c.issue_order_bill("sur");
  c.expect_refused(c.consignee, "bill.surrender", surrender_body(id, "DELIVERY"), "not-permitted");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.trader));
  c.expect_refused(c.trader, "bill.surrender", surrender_body(id, "DELIVERY"), "not-entitled");
  c.ok(c.trader, "bill.transfer_holder", Consortium::to_body(id, c.shipper));
  c.ok(c.shipper, "bill.pledge", pledge_body(id, c.bank));
  c.expect_refused(c.bank, "bill.surrender", surrender_body(id, "DELIVERY"), "bill-pledged");
}

TEST_CASE("the shipper holding a straight BOL may surrender it for amendment but not for delivery") {
  Consortium c;
  const std::string id = bill_id("st");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(id, "ST-1", c.shipper, c.consignee, "BOL", false));
  c.expect_refused(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"), "not-entitled");
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "AMENDMENT", "COD"));
  CHECK(c.reader().history(ledger::parse_hash(id).value()).value().back().dcsa == "SURRENDER_FOR_AMENDMENT");
}

TEST_CASE("the consignee holding a straight BOL surrenders it for delivery") {
  Consortium c;
  const std::string id = bill_id("st");
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(id, "ST-1", c.shipper, c.consignee, "BOL", false));
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.ok(c.consignee, "bill.surrender", surrender_body(id, "DELIVERY"));
}

TEST_CASE("a suspended holder cannot surrender") {
  Consortium c;
  const std::string id = c.issue_order_bill("sur");
  c.govern("participant.suspend", Json{{"address", c.shipper.text()}});
  c.expect_refused(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"), "not-permitted");
}

TEST_CASE("the requester withdraws a pending surrender") {
  Consortium c;
  const std::string id = c.issue_order_bill("wd");
  c.expect_refused(c.shipper, "bill.withdraw_surrender", Consortium::bill_body(id), "bill-status");
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"));
  c.expect_refused(c.carrier_rail, "bill.withdraw_surrender", Consortium::bill_body(id), "not-permitted");
  c.ok(c.shipper, "bill.withdraw_surrender", Consortium::bill_body(id));
  const auto bill = c.bill(id);
  CHECK(bill.status == ledger::BillStatus::issued);
  CHECK_FALSE(bill.pending.has_value());
}

TEST_CASE("only the issuer answers a surrender") {
  Consortium c;
  const std::string id = c.issue_order_bill("ans");
  c.expect_refused(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id), "bill-status");
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"));
  c.expect_refused(c.carrier_sea, "bill.accept_surrender", Consortium::bill_body(id), "not-permitted");
  c.expect_refused(c.shipper, "bill.accept_surrender", Consortium::bill_body(id), "not-permitted");
  c.expect_refused(c.carrier_sea, "bill.reject_surrender", Json{{"bill", id}, {"remark", "no"}},
                   "not-permitted");
}

TEST_CASE("the issuer rejects a surrender and the bill is ISSUED with its parties as before") {
  Consortium c;
  const std::string id = c.issue_order_bill("srej");
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"));
  c.ok(c.carrier_rail, "bill.reject_surrender", Json{{"bill", id}, {"remark", "documents missing"}});
  const auto bill = c.bill(id);
  CHECK(bill.status == ledger::BillStatus::issued);
  CHECK(bill.holder == c.shipper.address);
  CHECK(bill.beneficiary == c.shipper.address);
  const auto last = c.reader().history(bill.id).value().back();
  CHECK(last.dcsa == "SREJ");
  CHECK(last.remark == "documents missing");
}

TEST_CASE("a suspended issuer still answers a surrender") {
  Consortium c;
  const std::string id = c.issue_order_bill("sus");
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "DELIVERY"));
  c.govern("participant.suspend", Json{{"address", c.carrier_rail.text()}});
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
}

TEST_CASE("an accepted amendment voids the bill and frees its reference") {
  Consortium c;
  const std::string id = c.issue_order_bill("amd");
  c.ok(c.shipper, "bill.surrender", surrender_body(id, "AMENDMENT", "SWTP"));
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
  CHECK(c.bill(id).status == ledger::BillStatus::voided);
  CHECK_FALSE(c.reader().bill_by_reference(c.carrier_rail.address, "REF-amd").value().has_value());
  c.ok(c.carrier_rail, "bill.issue", c.issue_body(bill_id("amd-new"), "REF-amd", c.shipper, c.shipper));
}
