// leg.record (DESIGN §4): per leg RECEIVED -> DEPARTED -> ARRIVED -> HANDED_OVER at the right places, the
// chaining of legs, and delivery only after surrender.
#include <doctest/doctest.h>

#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::bill_id;
using onebill::test::Consortium;
using onebill::test::leg_event_body;
namespace ledger = onebill::ledger;

namespace {
// Records the whole rail leg 0 (CNCKG -> CNQZH) up to `last` included.
void rail_leg_to(Consortium& c, const std::string& id, const std::string& last) {
  const std::pair<std::string, std::string> steps[] = {
      {"RECEIVED", "CNCKG"}, {"DEPARTED", "CNCKG"}, {"ARRIVED", "CNQZH"}, {"HANDED_OVER", "CNQZH"}};
  for (const auto& [event, place] : steps) {
    c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, event, place));
    if (event == last) return;
  }
}
}  // namespace

TEST_CASE("the leg's carrier records its events in order at the leg's places") {
  Consortium c;
  const std::string id = c.issue_order_bill("leg");
  rail_leg_to(c, id, "HANDED_OVER");
  const auto legs = c.reader().legs(ledger::parse_hash(id).value()).value();
  REQUIRE(legs.has_value());
  REQUIRE((*legs)[0].events.size() == 4);
  CHECK((*legs)[0].events[3].event == ledger::LegEventType::handed_over);
  CHECK((*legs)[0].events[3].signer == c.carrier_rail.address);
  CHECK((*legs)[1].events.empty());
}

TEST_CASE("the issuer may record events of any leg; nobody else may") {
  Consortium c;
  const std::string id = c.issue_order_bill("leg");  // issuer: carrier-rail; sea leg by carrier-sea
  c.expect_refused(c.carrier_sea, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"), "not-permitted");
  c.expect_refused(c.shipper, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"), "not-permitted");
  c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"));
}

TEST_CASE("leg events out of order are refused as leg-order") {
  Consortium c;
  const std::string id = c.issue_order_bill("leg");
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 0, "DEPARTED", "CNCKG"), "leg-order");
  c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"));
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"), "leg-order");
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 0, "ARRIVED", "CNQZH"), "leg-order");
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 5, "RECEIVED", "CNCKG"), "leg-order");
}

TEST_CASE("leg events at the wrong place are refused as leg-place") {
  Consortium c;
  const std::string id = c.issue_order_bill("leg");
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNQZH"), "leg-place");
  c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"));
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 0, "DEPARTED", "SGSIN"), "leg-place");
  c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, "DEPARTED", "CNCKG"));
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 0, "ARRIVED", "CNCKG"), "leg-place");
}

TEST_CASE("RECEIVED on the next leg needs ARRIVED on the previous one and records its missing HANDED_OVER") {
  Consortium c;
  const std::string id = c.issue_order_bill("chain");
  c.expect_refused(c.carrier_sea, "leg.record", leg_event_body(id, 1, "RECEIVED", "CNQZH"), "leg-order");
  rail_leg_to(c, id, "DEPARTED");
  c.expect_refused(c.carrier_sea, "leg.record", leg_event_body(id, 1, "RECEIVED", "CNQZH"), "leg-order");
  c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, "ARRIVED", "CNQZH"));
  c.ok(c.carrier_sea, "leg.record", leg_event_body(id, 1, "RECEIVED", "CNQZH"));
  const auto bill = c.bill(id);
  REQUIRE(bill.legs[0].events.size() == 4);
  CHECK(bill.legs[0].events[3].event == ledger::LegEventType::handed_over);
  CHECK(bill.legs[0].events[3].implied);
  CHECK(bill.legs[0].events[3].location == "CNQZH");
  CHECK(bill.legs[1].events.size() == 1);
}

TEST_CASE("delivery on the last leg of a BOL needs the bill surrendered for delivery") {
  Consortium c;
  const std::string id = c.issue_order_bill("dlv");
  rail_leg_to(c, id, "HANDED_OVER");
  c.ok(c.carrier_sea, "leg.record", leg_event_body(id, 1, "RECEIVED", "CNQZH"));
  c.ok(c.carrier_sea, "leg.record", leg_event_body(id, 1, "DEPARTED", "CNQZH"));
  c.ok(c.carrier_sea, "leg.record", leg_event_body(id, 1, "ARRIVED", "SGSIN"));
  c.expect_refused(c.carrier_sea, "leg.record", leg_event_body(id, 1, "HANDED_OVER", "SGSIN"), "not-surrendered");
  c.ok(c.shipper, "bill.surrender", Json{{"bill", id}, {"purpose", "DELIVERY"}});
  c.expect_refused(c.carrier_sea, "leg.record", leg_event_body(id, 1, "HANDED_OVER", "SGSIN"), "not-surrendered");
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
  c.ok(c.carrier_sea, "leg.record",
       leg_event_body(id, 1, "HANDED_OVER", "SGSIN"));  // leg.record goes on after SACC
}

TEST_CASE("a sea waybill is delivered without surrender") {
  Consortium c;
  const std::string id = bill_id("swb");
  Json body = c.issue_body(id, "SWB-1", c.consignee, c.consignee, "SWB", false);
  body["legs"] = Json::array({Consortium::leg("SEA", c.carrier_sea, "CNQZH", "SGSIN")});
  c.ok(c.carrier_sea, "bill.issue", body);
  for (const auto& [event, place] : std::vector<std::pair<std::string, std::string>>{
           {"RECEIVED", "CNQZH"}, {"DEPARTED", "CNQZH"}, {"ARRIVED", "SGSIN"}, {"HANDED_OVER", "SGSIN"}}) {
    c.ok(c.carrier_sea, "leg.record", leg_event_body(id, 0, event, place));
  }
}

TEST_CASE("no leg events on a voided bill") {
  Consortium c;
  const std::string id = c.issue_order_bill("void");
  c.ok(c.shipper, "bill.surrender", Json{{"bill", id}, {"purpose", "AMENDMENT"}, {"reason", "SWTP"}});
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
  c.expect_refused(c.carrier_rail, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"), "bill-status");
}

TEST_CASE("a suspended carrier still records its legs") {
  Consortium c;
  const std::string id = c.issue_order_bill("susleg");
  c.govern("participant.suspend", Json{{"address", c.carrier_sea.text()}});
  rail_leg_to(c, id, "ARRIVED");
  c.ok(c.carrier_sea, "leg.record", leg_event_body(id, 1, "RECEIVED", "CNQZH"));
}
