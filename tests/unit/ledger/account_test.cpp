// Accounts and nonces (DESIGN §3, §5): every signer has a sequence number from 0; a transaction applies
// only at its signer's next nonce, before its expiry, on its chain; a refused one changes nothing.
#include <doctest/doctest.h>

#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
using onebill::test::Consortium;
namespace ledger = onebill::ledger;

TEST_CASE("a transaction at the signer's next nonce applies and advances the nonce") {
  Consortium c;
  CHECK(c.reader().next_nonce(c.carrier_rail.address).value() == 0);
  c.issue_order_bill("n1");
  CHECK(c.reader().next_nonce(c.carrier_rail.address).value() == 1);
  c.issue_order_bill("n2");
  CHECK(c.reader().next_nonce(c.carrier_rail.address).value() == 2);
}

TEST_CASE("a reused nonce is refused as nonce-used") {
  Consortium c;
  c.issue_order_bill("n1");
  auto again = c.transaction(c.carrier_rail, "bill.issue",
                             c.issue_body(onebill::test::bill_id("n2"), "REF-n2", c.shipper, c.shipper), 0);
  c.expect_refused_transaction(again, "nonce-used");
}

TEST_CASE("a replayed transaction is refused as nonce-used") {
  Consortium c;
  auto issue = c.transaction(c.carrier_rail, "bill.issue",
                             c.issue_body(onebill::test::bill_id("r"), "REF-r", c.shipper, c.shipper));
  REQUIRE(c.submit_transaction(issue).ok());
  c.expect_refused_transaction(issue, "nonce-used");
}

TEST_CASE("a skipped nonce is refused as nonce-gap") {
  Consortium c;
  auto ahead = c.transaction(c.carrier_rail, "bill.issue",
                             c.issue_body(onebill::test::bill_id("g"), "REF-g", c.shipper, c.shipper), 1);
  c.expect_refused_transaction(ahead, "nonce-gap");
}

TEST_CASE("a transaction past its expires_ms is refused as expired") {
  Consortium c;
  auto stale =
      c.transaction(c.carrier_rail, "bill.issue",
                    c.issue_body(onebill::test::bill_id("e"), "REF-e", c.shipper, c.shipper), std::nullopt,
                    c.time_ms + 10);  // the next block is 1000 ms later
  c.expect_refused_transaction(stale, "expired");
  auto fresh =
      c.transaction(c.carrier_rail, "bill.issue",
                    c.issue_body(onebill::test::bill_id("e"), "REF-e", c.shipper, c.shipper), std::nullopt,
                    c.time_ms + 1000);  // exactly at the block time still applies
  CHECK(c.submit_transaction(fresh).ok());
}

TEST_CASE("a transaction for another chain is refused as wrong-chain") {
  Consortium c;
  Consortium other({.extra_admins = 0, .chain = "onebill-other"});
  auto foreign =
      other.transaction(other.carrier_rail, "bill.issue",
                        other.issue_body(onebill::test::bill_id("w"), "REF-w", other.shipper, other.shipper));
  c.expect_refused_transaction(foreign, "wrong-chain");
}

TEST_CASE("a key that is not a participant is not permitted to act") {
  Consortium c;
  c.expect_refused(c.outsider, "bill.issue",
                   c.issue_body(onebill::test::bill_id("o"), "REF-o", c.shipper, c.shipper), "not-permitted");
}

TEST_CASE("admission against pending state lets one sender queue many transactions") {
  // DESIGN §5: the pending state is the committed state plus the sender's earlier mempool transactions.
  Consortium c;
  auto first = c.transaction(c.carrier_rail, "bill.issue",
                             c.issue_body(onebill::test::bill_id("p1"), "REF-p1", c.shipper, c.shipper), 0);
  auto second = c.transaction(c.carrier_rail, "bill.issue",
                              c.issue_body(onebill::test::bill_id("p2"), "REF-p2", c.shipper, c.shipper), 1);
  ledger::Overlay pending(c.store);
  const ledger::BlockContext context{1, c.time_ms + 1, c.genesis.chain, 0};
  REQUIRE(ledger::apply(first, pending, context).ok());
  CHECK(ledger::apply(second, pending, context).ok());
  // Against the committed state alone, the second is a gap.
  ledger::Overlay committed_only(c.store);
  CHECK(ledger::apply(second, committed_only, context).problem().rule == "nonce-gap");
  CHECK(committed_only.empty());
}
