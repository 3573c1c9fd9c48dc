// The whole life of a multimodal bill (issue 3, item 6) at the ledger level, and a replay check: executing
// the stored blocks again on a fresh store from the genesis gives the same state, byte for byte.
#include <doctest/doctest.h>

#include "ledger/keys.h"
#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::bill_id;
using onebill::test::Consortium;
namespace ledger = onebill::ledger;

namespace {
Json event_body(const std::string& id, unsigned leg, const std::string& event, const std::string& location) {
  return onebill::test::leg_event_body(id, leg, event, location, leg == 0 ? "X8012" : "MV LION CITY 042E");
}
}  // namespace

TEST_CASE("a rail-sea bill goes from issue to delivery, refusing every step out of turn") {
  Consortium c;
  const std::string id = bill_id("life");
  // Rail Chongqing -> Qinzhou by carrier-rail, sea Qinzhou -> Singapore by carrier-sea; issued by
  // carrier-rail.
  c.ok(c.carrier_rail, "bill.issue", c.issue_body(id, "CQSG-0001", c.shipper, c.shipper));
  c.ok(c.carrier_rail, "leg.record", event_body(id, 0, "RECEIVED", "CNCKG"));
  c.ok(c.carrier_rail, "leg.record", event_body(id, 0, "DEPARTED", "CNCKG"));
  c.ok(c.carrier_rail, "leg.record", event_body(id, 0, "ARRIVED", "CNQZH"));
  c.ok(c.carrier_rail, "leg.record", event_body(id, 0, "HANDED_OVER", "CNQZH"));
  c.ok(c.carrier_sea, "leg.record", event_body(id, 1, "RECEIVED", "CNQZH"));
  c.ok(c.carrier_sea, "leg.record", event_body(id, 1, "DEPARTED", "CNQZH"));
  c.ok(c.carrier_sea, "leg.record", event_body(id, 1, "ARRIVED", "SGSIN"));

  const Json pledge = {{"bill", id}, {"bank", c.bank.text()}, {"reference", "LC-2026-88"}};
  c.ok(c.shipper, "bill.pledge", pledge);
  c.expect_refused(c.bank, "bill.pledge", pledge, "bill-pledged");  // a second pledge
  c.expect_refused(c.consignee, "bill.transfer_holder", Consortium::to_body(id, c.consignee),
                   "not-permitted");  // non-holder
  c.expect_refused(c.bank, "bill.transfer_holder", Consortium::to_body(id, c.consignee),
                   "bill-pledged");  // while pledged
  c.ok(c.bank, "bill.release", Consortium::bill_body(id));

  c.ok(c.shipper, "bill.transfer_owners",
       Json{{"bill", id}, {"holder", c.consignee.text()}, {"beneficiary", c.consignee.text()}});
  c.expect_refused(c.carrier_sea, "leg.record", event_body(id, 1, "HANDED_OVER", "SGSIN"), "not-surrendered");
  c.ok(c.consignee, "bill.surrender", Json{{"bill", id}, {"purpose", "DELIVERY"}});
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
  c.expect_refused(c.consignee, "bill.transfer_holder", Consortium::to_body(id, c.shipper), "bill-status");
  c.ok(c.carrier_sea, "leg.record", event_body(id, 1, "HANDED_OVER", "SGSIN"));

  const auto bill = c.bill(id);
  CHECK(bill.status == ledger::BillStatus::surrendered);
  CHECK(bill.holder == c.consignee.address);
  CHECK(bill.legs[1].events.size() == 4);
  std::vector<std::string> dcsa;
  const auto history = c.reader().history(bill.id).value();
  for (const auto& entry : history) {
    if (entry.dcsa) dcsa.push_back(*entry.dcsa);
  }
  CHECK(dcsa == std::vector<std::string>{"ISSUE", "ENDORSE_TO_ORDER", "SURRENDER_FOR_DELIVERY", "SACC"});
  CHECK(history.size() == 14);
}

TEST_CASE("replaying the stored blocks on a fresh store reproduces the state byte for byte") {
  Consortium c;
  const std::string a = c.issue_order_bill("replay-a");
  c.ok(c.shipper, "bill.pledge", Json{{"bill", a}, {"bank", c.bank.text()}, {"reference", "L"}});
  c.ok(c.bank, "bill.release", Consortium::bill_body(a));
  c.ok(c.shipper, "bill.endorse", Consortium::to_body(a, c.consignee));
  c.govern("participant.suspend", Json{{"address", c.trader.text()}});
  c.expect_refused(c.shipper, "bill.transfer_holder", Consortium::to_body(a, c.trader), "not-permitted");
  const std::uint64_t height = c.height();

  ledger::MemoryStore fresh;
  REQUIRE(fresh.write(ledger::genesis_batch(c.genesis), true).ok());
  for (std::uint64_t h = 1; h <= height; ++h) {
    auto block = c.reader().block(h).value();
    REQUIRE(block.has_value());
    auto commit = c.reader().commit(h).value();
    REQUIRE(commit.has_value());
    auto executed = ledger::execute_block(fresh, *block);
    REQUIRE_MESSAGE(executed.ok(), executed.problem().detail);
    REQUIRE(fresh.write(ledger::commit_batch(*executed, *block, *commit), true).ok());
  }
  CHECK(fresh.contents() == c.store.contents());
}
