// Registry and governance (DESIGN §2): proposals, approvals by more than 2/3 of the non-suspended ADMINs,
// the participant actions, validator changes and bill.rectify.
#include <doctest/doctest.h>

#include "crypto/hex.h"
#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::bill_id;
using onebill::test::Consortium;
using onebill::test::Party;
namespace ledger = onebill::ledger;
namespace hex = onebill::hex;

namespace {

Json propose_body(const std::string& action, const Json& args, std::uint64_t expires_height) {
  return Json{{"action", action}, {"args", args}, {"expires_height", expires_height}};
}

Json admit_args(const Party& party, const std::string& domain, const std::string& role = "CARRIER") {
  return Json{{"address", party.text()},
              {"name", party.name + " Ltd"},
              {"roles", Json::array({role})},
              {"domain", domain}};
}

ledger::Proposal proposal_of(const Consortium& c, const onebill::Hash32& id) {
  auto loaded = c.reader().proposal(id).value();
  REQUIRE(loaded.has_value());
  return *loaded;
}

}  // namespace

TEST_CASE("a proposal executes once more than 2/3 of the non-suspended admins approved") {
  Consortium c({.extra_admins = 3});  // 4 admins: 3 approvals needed
  const Party newcomer = onebill::test::make_party("newcomer");
  auto proposal =
      c.transaction(c.admin, "gov.propose",
                    propose_body("participant.admit", admit_args(newcomer, "new.example.com"), 100));
  REQUIRE(c.submit_transaction(proposal).ok());
  CHECK(proposal_of(c, proposal.id).status == ledger::ProposalStatus::open);
  const Json approve = {{"proposal", hex::encode(proposal.id)}};
  c.ok(c.extra_admins[0], "gov.approve", approve);
  CHECK(proposal_of(c, proposal.id).status == ledger::ProposalStatus::open);  // 2 of 4
  CHECK_FALSE(c.reader().participant(newcomer.address).value().has_value());
  c.ok(c.extra_admins[1], "gov.approve", approve);  // 3 of 4 > 2/3
  const auto executed = proposal_of(c, proposal.id);
  CHECK(executed.status == ledger::ProposalStatus::executed);
  CHECK(executed.executed_height == c.height());
  const auto admitted = c.reader().participant(newcomer.address).value();
  REQUIRE(admitted.has_value());
  CHECK(admitted->has_role(ledger::Role::carrier));
  CHECK(admitted->admitted_height == c.height());
  // Approving an executed proposal is refused.
  c.expect_refused(c.extra_admins[2], "gov.approve", approve, "already-approved");
}

TEST_CASE("with a single admin a proposal executes at once") {
  Consortium c;
  const Party newcomer = onebill::test::make_party("newcomer");
  c.ok(c.admin, "gov.propose",
       propose_body("participant.admit", admit_args(newcomer, "new.example.com"), 100));
  CHECK(c.reader().participant(newcomer.address).value().has_value());
}

TEST_CASE("suspended admins are not counted") {
  Consortium c({.extra_admins = 3});  // admins: admin, admin-2, admin-3, admin-4
  c.govern("participant.suspend", Json{{"address", c.extra_admins[2].text()}});
  c.govern("participant.suspend", Json{{"address", c.extra_admins[1].text()}});
  // 2 non-suspended admins: 2 approvals are more than 2/3.
  const Party newcomer = onebill::test::make_party("newcomer");
  auto proposal = c.transaction(
      c.admin, "gov.propose",
      propose_body("participant.admit", admit_args(newcomer, "new.example.com"), c.height() + 9));
  REQUIRE(c.submit_transaction(proposal).ok());
  c.expect_refused(c.extra_admins[1], "gov.approve", Json{{"proposal", hex::encode(proposal.id)}},
                   "not-permitted");
  c.ok(c.extra_admins[0], "gov.approve", Json{{"proposal", hex::encode(proposal.id)}});
  CHECK(proposal_of(c, proposal.id).status == ledger::ProposalStatus::executed);
}

TEST_CASE("only a non-suspended admin proposes or approves") {
  Consortium c({.extra_admins = 2});
  const Party newcomer = onebill::test::make_party("newcomer");
  const Json body = propose_body("participant.admit", admit_args(newcomer, "new.example.com"), 100);
  c.expect_refused(c.carrier_rail, "gov.propose", body, "not-permitted");
  c.expect_refused(c.outsider, "gov.propose", body, "not-permitted");
  auto proposal = c.transaction(c.admin, "gov.propose", body);
  REQUIRE(c.submit_transaction(proposal).ok());
  c.expect_refused(c.bank, "gov.approve", Json{{"proposal", hex::encode(proposal.id)}}, "not-permitted");
}

TEST_CASE("an approval names a known proposal") {
  Consortium c({.extra_admins = 2});
  c.expect_refused(c.extra_admins[0], "gov.approve", Json{{"proposal", bill_id("no-such-proposal")}},
                   "unknown-proposal");
}

TEST_CASE("a proposal must be approved before its expires_height") {
  Consortium c({.extra_admins = 2});
  const Party newcomer = onebill::test::make_party("newcomer");
  c.expect_refused(c.admin, "gov.propose",
                   propose_body("participant.admit", admit_args(newcomer, "new.example.com"), c.height()),
                   "proposal-expired");
  auto proposal = c.transaction(
      c.admin, "gov.propose",
      propose_body("participant.admit", admit_args(newcomer, "new.example.com"), c.height() + 3));
  REQUIRE(c.submit_transaction(proposal).ok());  // at height h+1; expires at h+3
  c.issue_order_bill("tick");                    // h+2
  c.expect_refused(c.extra_admins[0], "gov.approve", Json{{"proposal", hex::encode(proposal.id)}},
                   "proposal-expired");
}

TEST_CASE("an admin approves a proposal once; proposing counts as approving") {
  Consortium c({.extra_admins = 2});
  const Party newcomer = onebill::test::make_party("newcomer");
  auto proposal =
      c.transaction(c.admin, "gov.propose",
                    propose_body("participant.admit", admit_args(newcomer, "new.example.com"), 100));
  REQUIRE(c.submit_transaction(proposal).ok());
  c.expect_refused(c.admin, "gov.approve", Json{{"proposal", hex::encode(proposal.id)}}, "already-approved");
  c.ok(c.extra_admins[0], "gov.approve", Json{{"proposal", hex::encode(proposal.id)}});
  c.expect_refused(c.extra_admins[0], "gov.approve", Json{{"proposal", hex::encode(proposal.id)}},
                   "already-approved");
}

TEST_CASE("no action may leave fewer than one non-suspended admin") {
  Consortium c;
  c.expect_refused(c.admin, "gov.propose",
                   propose_body("participant.suspend", Json{{"address", c.admin.text()}}, 100), "last-admin");
  c.expect_refused(c.admin, "gov.propose",
                   propose_body("participant.update",
                                Json{{"address", c.admin.text()}, {"roles", Json::array({"BANK"})}}, 100),
                   "last-admin");
}

TEST_CASE("a domain is registered to one participant only, whatever its case") {
  Consortium c;
  const Party newcomer = onebill::test::make_party("newcomer");
  c.expect_refused(c.admin, "gov.propose",
                   propose_body("participant.admit", admit_args(newcomer, "BANK.example.sg"), 100),
                   "domain-used");
  c.expect_refused(c.admin, "gov.propose",
                   propose_body("participant.update",
                                Json{{"address", c.shipper.text()}, {"domain", "rail.example.cn"}}, 100),
                   "domain-used");
}

TEST_CASE("an address is admitted once") {
  Consortium c;
  c.expect_refused(c.admin, "gov.propose",
                   propose_body("participant.admit", admit_args(c.shipper, "x.example.com"), 100), "id-used");
}

TEST_CASE("participant.update replaces the fields it names") {
  Consortium c;
  c.govern("participant.update", Json{{"address", c.shipper.text()},
                                      {"name", "Chongqing Exports"},
                                      {"domain", "cq-exports.example.cn"},
                                      {"roles", Json::array({"TRADER", "CARRIER"})}});
  const auto shipper = c.participant(c.shipper);
  CHECK(shipper.name == "Chongqing Exports");
  CHECK(shipper.domain == "cq-exports.example.cn");
  CHECK(shipper.has_role(ledger::Role::carrier));
  // The old domain is free again.
  const Party newcomer = onebill::test::make_party("newcomer");
  c.govern("participant.admit", admit_args(newcomer, "shipper.example.cn", "TRADER"));
}

TEST_CASE("updates and suspensions name a participant") {
  Consortium c;
  c.expect_refused(c.admin, "gov.propose",
                   propose_body("participant.suspend", Json{{"address", c.outsider.text()}}, 100),
                   "recipient-not-admitted");
}

TEST_CASE("suspension and reinstatement toggle what a participant may do") {
  Consortium c;
  c.govern("participant.suspend", Json{{"address", c.carrier_sea.text()}});
  CHECK(c.participant(c.carrier_sea).suspended);
  c.expect_refused(c.carrier_sea, "bill.issue", c.issue_body(bill_id("s"), "S-1", c.shipper, c.shipper),
                   "not-permitted");
  c.govern("participant.reinstate", Json{{"address", c.carrier_sea.text()}});
  CHECK_FALSE(c.participant(c.carrier_sea).suspended);
  c.ok(c.carrier_sea, "bill.issue", c.issue_body(bill_id("s"), "S-1", c.shipper, c.shipper));
}

TEST_CASE("validator.set and validator.remove change the set that signs the next height") {
  Consortium c;
  const auto key = onebill::test::test_key("validator-1");
  const auto before = c.reader().validators().value();
  REQUIRE(before.size() == 1);
  c.govern("validator.set", Json{{"address", key.address().to_string()},
                                 {"consensus_key", onebill::test::compressed_public_key(key)},
                                 {"power", 2u}});
  const auto h = c.height();
  CHECK(c.reader().validators().value().size() == 2);
  const auto block = c.reader().block(h).value();
  REQUIRE(block.has_value());
  CHECK(block->header.validators_hash == ledger::validators_hash(before));
  CHECK(block->header.next_validators_hash == ledger::validators_hash(c.reader().validators().value()));
  CHECK(c.reader().validator_set(h + 1).value()->size() == 2);
  c.govern("validator.remove", Json{{"address", key.address().to_string()}});
  CHECK(c.reader().validators().value().size() == 1);
  c.expect_refused(
      c.admin, "gov.propose",
      propose_body("validator.remove", Json{{"address", c.validator_key.address().to_string()}}, 1000),
      "not-permitted");
}

TEST_CASE("bill.rectify sets holder, beneficiary, pledge and status as a court ordered") {
  Consortium c;
  const std::string id = c.issue_order_bill("court");
  c.ok(c.shipper, "bill.nominate", Json{{"bill", id}, {"nominee", c.trader.text()}});
  c.govern(
      "bill.rectify",
      Json{{"bill", id},
           {"order_reference", "SICC 2026/17"},
           {"holder", c.consignee.text()},
           {"beneficiary", c.consignee.text()},
           {"pledge", Json{{"bank", c.bank.text()}, {"pledgor", c.consignee.text()}, {"reference", "L-9"}}}});
  auto bill = c.bill(id);
  CHECK(bill.holder == c.consignee.address);
  CHECK(bill.beneficiary == c.consignee.address);
  CHECK_FALSE(bill.nominee.has_value());
  REQUIRE(bill.pledge.has_value());
  CHECK(bill.pledge->bank == c.bank.address);
  const auto last = c.reader().history(bill.id).value().back();
  CHECK(last.action == "bill.rectify");
  CHECK(last.details.at("order_reference") == "SICC 2026/17");
  c.govern(
      "bill.rectify",
      Json{{"bill", id}, {"order_reference", "SICC 2026/18"}, {"pledge", nullptr}, {"status", "VOIDED"}});
  bill = c.bill(id);
  CHECK_FALSE(bill.pledge.has_value());
  CHECK(bill.status == ledger::BillStatus::voided);
}

TEST_CASE("bill.rectify names a known bill and admitted parties") {
  Consortium c;
  c.expect_refused(
      c.admin, "gov.propose",
      propose_body("bill.rectify",
                   Json{{"bill", bill_id("none")}, {"order_reference", "X"}, {"status", "ISSUED"}}, 100),
      "unknown-bill");
  const std::string id = c.issue_order_bill("court");
  c.expect_refused(
      c.admin, "gov.propose",
      propose_body("bill.rectify",
                   Json{{"bill", id}, {"order_reference", "X"}, {"holder", c.outsider.text()}}, 100),
      "recipient-not-admitted");
}
