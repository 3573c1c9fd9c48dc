// bill.reissue (DESIGN §4): amend, split and merge bills voided by an accepted AMENDMENT (COD or SWI),
// with leg events carried over where the legs agree.
#include <doctest/doctest.h>

#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::bill_id;
using onebill::test::Consortium;
using onebill::test::leg_event_body;
namespace ledger = onebill::ledger;

namespace {

// Issues a to-order bill by carrier-rail to the shipper, records RECEIVED and DEPARTED on its rail leg,
// then has it surrendered for amendment with `reason` and accepted: a VOIDED bill ready for reissue.
std::string voided_bill(Consortium& c, const std::string& label, const std::string& reason = "COD") {
  const std::string id = c.issue_order_bill(label);
  c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, "RECEIVED", "CNCKG"));
  c.ok(c.carrier_rail, "leg.record", leg_event_body(id, 0, "DEPARTED", "CNCKG"));
  c.ok(c.shipper, "bill.surrender", Json{{"bill", id}, {"purpose", "AMENDMENT"}, {"reason", reason}});
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(id));
  return id;
}

Json new_bill(const Consortium& c, const std::string& label, const std::string& reference,
              Json legs = nullptr) {
  return Json{{"id", bill_id(label)},
              {"reference", reference},
              {"kind", "BOL"},
              {"to_order", true},
              {"legs", legs.is_null() ? c.corridor_legs() : legs}};
}

Json reissue_body(std::vector<std::string> replaces, Json bills) {
  Json ids = Json::array();
  for (const auto& id : replaces) ids.push_back(id);
  return Json{{"replaces", ids}, {"bills", bills}};
}

}  // namespace

TEST_CASE("the issuer amends a voided bill: the new one goes to the requester with the same beneficiary") {
  Consortium c;
  const std::string old_id = voided_bill(c, "amend");
  c.ok(c.carrier_rail, "bill.reissue",
       reissue_body({old_id}, Json::array({new_bill(c, "amended", "REF-amend")})));
  const auto fresh = c.bill(bill_id("amended"));
  CHECK(fresh.status == ledger::BillStatus::issued);
  CHECK(fresh.holder == c.shipper.address);
  CHECK(fresh.beneficiary == c.shipper.address);
  REQUIRE(fresh.replaces.size() == 1);
  CHECK(fresh.replaces[0] == ledger::parse_hash(old_id).value());
  // Leg events carry over to the leg with the same index, mode, carrier and from.
  CHECK(fresh.legs[0].events.size() == 2);
  const auto old = c.bill(old_id);
  REQUIRE(old.replaced_by.size() == 1);
  CHECK(old.replaced_by[0] == fresh.id);
}

TEST_CASE("leg events are not carried to a leg whose mode, carrier or start differ") {
  Consortium c;
  const std::string old_id = voided_bill(c, "diff");
  Json legs = Json::array({Consortium::leg("ROAD", c.carrier_rail, "CNCKG", "CNQZH"),
                           Consortium::leg("SEA", c.carrier_sea, "CNQZH", "SGSIN")});
  c.ok(c.carrier_rail, "bill.reissue",
       reissue_body({old_id}, Json::array({new_bill(c, "road", "REF-diff", legs)})));
  CHECK(c.bill(bill_id("road")).legs[0].events.empty());
}

TEST_CASE("a bill is split into several and replaced only once") {
  Consortium c;
  const std::string old_id = voided_bill(c, "split");
  c.ok(c.carrier_rail, "bill.reissue",
       reissue_body({old_id}, Json::array({new_bill(c, "part-a", "REF-A"), new_bill(c, "part-b", "REF-B")})));
  CHECK(c.bill(old_id).replaced_by.size() == 2);
  CHECK(c.bill(bill_id("part-b")).legs[0].events.size() == 2);
  c.expect_refused(c.carrier_rail, "bill.reissue",
                   reissue_body({old_id}, Json::array({new_bill(c, "again", "REF-C")})), "already-replaced");
}

TEST_CASE("bills are merged when they share requester and beneficiary; events carried where all agree") {
  Consortium c;
  const std::string a = voided_bill(c, "merge-a");
  const std::string b = c.issue_order_bill("merge-b");  // no leg events recorded on b
  c.ok(c.shipper, "bill.surrender", Json{{"bill", b}, {"purpose", "AMENDMENT"}, {"reason", "SWI"}});
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(b));
  c.ok(c.carrier_rail, "bill.reissue", reissue_body({a, b}, Json::array({new_bill(c, "merged", "REF-M")})));
  const auto merged = c.bill(bill_id("merged"));
  CHECK(merged.replaces.size() == 2);
  CHECK(merged.legs[0].events.empty());  // a has two events, b none: they agree on nothing
}

TEST_CASE("only bills voided by an accepted amendment for COD or SWI can be replaced") {
  Consortium c;
  const std::string live = c.issue_order_bill("live");
  c.expect_refused(c.carrier_rail, "bill.reissue",
                   reissue_body({live}, Json::array({new_bill(c, "n1", "REF-N1")})), "not-replaceable");
  const std::string paper = voided_bill(c, "paper", "SWTP");
  c.expect_refused(c.carrier_rail, "bill.reissue",
                   reissue_body({paper}, Json::array({new_bill(c, "n2", "REF-N2")})), "not-replaceable");
  c.expect_refused(c.carrier_rail, "bill.reissue",
                   reissue_body({bill_id("ghost")}, Json::array({new_bill(c, "n3", "REF-N3")})),
                   "unknown-bill");
}

TEST_CASE("only the issuer reissues its bills") {
  Consortium c;
  const std::string old_id = voided_bill(c, "who");
  c.expect_refused(c.carrier_sea, "bill.reissue",
                   reissue_body({old_id}, Json::array({new_bill(c, "x", "REF-X")})), "not-permitted");
  c.expect_refused(c.shipper, "bill.reissue",
                   reissue_body({old_id}, Json::array({new_bill(c, "x", "REF-X")})), "not-permitted");
}

TEST_CASE("merged bills must share requester and beneficiary") {
  Consortium c;
  const std::string a = voided_bill(c, "ma");
  const std::string b = c.issue_order_bill("mb");
  c.ok(c.shipper, "bill.endorse", Consortium::to_body(b, c.consignee));
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(b, c.consignee));
  c.ok(c.consignee, "bill.surrender", Json{{"bill", b}, {"purpose", "AMENDMENT"}, {"reason", "COD"}});
  c.ok(c.carrier_rail, "bill.accept_surrender", Consortium::bill_body(b));
  c.expect_refused(c.carrier_rail, "bill.reissue",
                   reissue_body({a, b}, Json::array({new_bill(c, "m", "REF-M")})), "not-replaceable");
}

TEST_CASE("each reissued bill meets the requirements of bill.issue") {
  Consortium c;
  const std::string old_id = voided_bill(c, "req");
  const std::string other = c.issue_order_bill("taken");
  Json taken_id = new_bill(c, "taken", "REF-new");
  c.expect_refused(c.carrier_rail, "bill.reissue", reissue_body({old_id}, Json::array({taken_id})),
                   "id-used");
  c.expect_refused(c.carrier_rail, "bill.reissue",
                   reissue_body({old_id}, Json::array({new_bill(c, "r1", "REF-taken")})), "reference-used");
  c.expect_refused(
      c.carrier_rail, "bill.reissue",
      reissue_body({old_id}, Json::array({new_bill(c, "r2", "REF-R2"), new_bill(c, "r3", "REF-R2")})),
      "reference-used");
  Json unchained = Json::array({Consortium::leg("RAIL", c.carrier_rail, "CNCKG", "CNQZH"),
                                Consortium::leg("SEA", c.carrier_sea, "CNSHA", "SGSIN")});
  c.expect_refused(c.carrier_rail, "bill.reissue",
                   reissue_body({old_id}, Json::array({new_bill(c, "r4", "REF-R4", unchained)})),
                   "leg-order");
  CHECK(other.size() > 0);
}
