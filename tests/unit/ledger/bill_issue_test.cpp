// bill.issue (DESIGN §4): who issues, what a new bill must satisfy, and what it looks like after.
#include <doctest/doctest.h>

#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::bill_id;
using onebill::test::Consortium;
namespace ledger = onebill::ledger;

TEST_CASE("a carrier issues a bill and becomes its issuer") {
  Consortium c;
  const std::string id = c.issue_order_bill("issue");
  const ledger::Bill bill = c.bill(id);
  CHECK(bill.issuer == c.carrier_rail.address);
  CHECK(bill.status == ledger::BillStatus::issued);
  CHECK(bill.holder == c.shipper.address);
  CHECK(bill.first_holder == c.shipper.address);
  CHECK(bill.beneficiary == c.shipper.address);
  CHECK(bill.kind == ledger::BillKind::bol);
  CHECK(bill.to_order);
  REQUIRE(bill.legs.size() == 2);
  CHECK(bill.legs[1].carrier == c.carrier_sea.address);
  CHECK(bill.issued_height == c.height());
  auto history = c.reader().history(bill.id).value();
  REQUIRE(history.size() == 1);
  CHECK(history[0].action == "bill.issue");
  CHECK(history[0].dcsa == "ISSUE");
  CHECK(history[0].signer == c.carrier_rail.address);
  CHECK(history[0].recipient == c.shipper.address);
  CHECK(history[0].height == c.height());
  CHECK(history[0].time_ms == c.time_ms);
}

TEST_CASE("only a carrier issues bills") {
  Consortium c;
  for (const auto* party : {&c.shipper, &c.bank, &c.admin, &c.customs}) {
    c.expect_refused(*party, "bill.issue", c.issue_body(bill_id("x"), "REF-x", c.shipper, c.shipper),
                     "not-permitted");
  }
}

TEST_CASE("a suspended carrier cannot issue") {
  Consortium c;
  c.govern("participant.suspend", Json{{"address", c.carrier_rail.text()}});
  c.expect_refused(c.carrier_rail, "bill.issue", c.issue_body(bill_id("x"), "REF-x", c.shipper, c.shipper),
                   "not-permitted");
}

TEST_CASE("a bill id can be issued only once") {
  Consortium c;
  const std::string id = c.issue_order_bill("dup");
  c.expect_refused(c.carrier_sea, "bill.issue", c.issue_body(id, "OTHER-REF", c.shipper, c.shipper),
                   "id-used");
}

TEST_CASE("an issuer cannot reuse a reference of a bill that is not voided") {
  Consortium c;
  c.issue_order_bill("ref");
  c.expect_refused(c.carrier_rail, "bill.issue",
                   c.issue_body(bill_id("ref2"), "REF-ref", c.shipper, c.shipper), "reference-used");
  // Another issuer may use the same reference.
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(bill_id("ref3"), "REF-ref", c.shipper, c.shipper));
}

TEST_CASE("the parties of a new bill must be admitted and not suspended") {
  Consortium c;
  c.expect_refused(c.carrier_rail, "bill.issue", c.issue_body(bill_id("p"), "REF-p", c.outsider, c.shipper),
                   "recipient-not-admitted");
  c.expect_refused(c.carrier_rail, "bill.issue", c.issue_body(bill_id("p"), "REF-p", c.shipper, c.outsider),
                   "recipient-not-admitted");
  c.govern("participant.suspend", Json{{"address", c.consignee.text()}});
  c.expect_refused(c.carrier_rail, "bill.issue",
                   c.issue_body(bill_id("p"), "REF-p", c.consignee, c.consignee), "not-permitted");
}

TEST_CASE("legs must be chained: each leg starts where the previous one ends") {
  Consortium c;
  Json body = c.issue_body(bill_id("l"), "REF-l", c.shipper, c.shipper);
  body["legs"] = Json::array({Consortium::leg("RAIL", c.carrier_rail, "CNCKG", "CNQZH"),
                              Consortium::leg("SEA", c.carrier_sea, "CNSHA", "SGSIN")});
  c.expect_refused(c.carrier_rail, "bill.issue", body, "leg-order");
}

TEST_CASE("every leg's carrier must be a registered carrier") {
  Consortium c;
  Json body = c.issue_body(bill_id("l"), "REF-l", c.shipper, c.shipper);
  body["legs"] = Json::array({Consortium::leg("RAIL", c.bank, "CNCKG", "CNQZH")});
  c.expect_refused(c.carrier_rail, "bill.issue", body, "not-permitted");
  body["legs"] = Json::array({Consortium::leg("RAIL", c.outsider, "CNCKG", "CNQZH")});
  c.expect_refused(c.carrier_rail, "bill.issue", body, "not-permitted");
}

TEST_CASE("a sea waybill is straight and has holder = beneficiary") {
  Consortium c;
  c.expect_refused(c.carrier_sea, "bill.issue",
                   c.issue_body(bill_id("s"), "SWB-1", c.consignee, c.consignee, "SWB", true), "bill-kind");
  c.expect_refused(c.carrier_sea, "bill.issue",
                   c.issue_body(bill_id("s"), "SWB-1", c.shipper, c.consignee, "SWB", false), "bill-kind");
  c.expect_refused(c.carrier_sea, "bill.issue",
                   c.issue_body(bill_id("s"), "SWB-1", c.consignee, std::nullopt, "SWB", false), "bill-kind");
  c.ok(c.carrier_sea, "bill.issue",
       c.issue_body(bill_id("s"), "SWB-1", c.consignee, c.consignee, "SWB", false));
}

TEST_CASE("a straight BOL names its consignee as beneficiary") {
  Consortium c;
  c.expect_refused(c.carrier_sea, "bill.issue",
                   c.issue_body(bill_id("st"), "ST-1", c.shipper, std::nullopt, "BOL", false), "bill-kind");
  c.ok(c.carrier_sea, "bill.issue",
       c.issue_body(bill_id("st"), "ST-1", c.shipper, c.consignee, "BOL", false));
}

TEST_CASE("a to-order BOL may be issued in blank") {
  Consortium c;
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(bill_id("blank"), "B-1", c.shipper, std::nullopt));
  CHECK_FALSE(c.bill(bill_id("blank")).beneficiary.has_value());
}

TEST_CASE("an issued bill is listed under every secondary index") {
  Consortium c;
  const std::string id = c.issue_order_bill("idx");
  const auto hash = ledger::parse_hash(id).value();
  auto listed = [&](ledger::BillIndex index, const ledger::IndexValue& value) {
    auto page = c.reader().bills(index, value).value();
    return page.bills.size() == 1 && page.bills[0].id == hash;
  };
  CHECK(listed(ledger::BillIndex::holder, c.shipper.address));
  CHECK(listed(ledger::BillIndex::beneficiary, c.shipper.address));
  CHECK(listed(ledger::BillIndex::issuer, c.carrier_rail.address));
  CHECK(listed(ledger::BillIndex::carrier, c.carrier_sea.address));
  CHECK(listed(ledger::BillIndex::carrier, c.carrier_rail.address));
  CHECK(listed(ledger::BillIndex::destination, std::string("SGSIN")));
  CHECK(listed(ledger::BillIndex::status, std::string("ISSUED")));
  CHECK(c.reader().bills(ledger::BillIndex::holder, c.consignee.address).value().bills.empty());
  CHECK(c.reader().bill_by_reference(c.carrier_rail.address, "REF-idx").value() == hash);
}

TEST_CASE("index scans list newest first and page with the cursor") {
  Consortium c;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(c.issue_order_bill("page" + std::to_string(i)));
  auto first = c.reader().bills(ledger::BillIndex::holder, c.shipper.address, {}, 2).value();
  REQUIRE(first.bills.size() == 2);
  CHECK(first.bills[0].id == ledger::parse_hash(ids[4]).value());
  CHECK(first.bills[1].id == ledger::parse_hash(ids[3]).value());
  REQUIRE(first.next.has_value());
  auto second = c.reader().bills(ledger::BillIndex::holder, c.shipper.address, *first.next, 2).value();
  REQUIRE(second.bills.size() == 2);
  CHECK(second.bills[0].id == ledger::parse_hash(ids[2]).value());
  auto third = c.reader().bills(ledger::BillIndex::holder, c.shipper.address, *second.next, 2).value();
  REQUIRE(third.bills.size() == 1);
  CHECK(third.bills[0].id == ledger::parse_hash(ids[0]).value());
  CHECK_FALSE(third.next.has_value());
  CHECK(c.reader().bills(ledger::BillIndex::holder, c.shipper.address, "0xzz").problem().rule ==
        "wrong-type");
}
