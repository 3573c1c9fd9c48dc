// node/mempool: the re-check after a commit re-applies a sender whose reads the block wrote, and only
// then (a pending transaction's outcome is a function of what it read and, for expiring and governance
// transactions, of the block's height and time).
#include <doctest/doctest.h>

#include "ledger/block.h"
#include "node/mempool.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using namespace onebill;
using json::Json;
using node::Mempool;
using node::test::bill_id;
using node::test::Chain;

// Applies `transaction` as the block of `context` would and writes it; returns the block's writes.
ledger::WriteSet commit_one(ledger::MemoryStore& store, const ledger::Transaction& transaction,
                            const ledger::BlockContext& context) {
  ledger::Overlay overlay(store);
  REQUIRE(ledger::apply(transaction, overlay, context).ok());
  ledger::WriteSet writes = overlay.writes();
  REQUIRE(store.write(overlay.to_batch(), true).ok());
  return writes;
}

}  // namespace

TEST_CASE("a commit that writes what a pending transaction read re-checks it and evicts it") {
  Chain chain;
  auto store = chain.genesis_store();
  commit_one(store, chain.issue("b1", 0), chain.next_block(store));
  Mempool pool;
  const auto transfer = chain.tx(chain.shipper, "bill.transfer_holder",
                                 Json{{"bill", bill_id("b1")}, {"to", chain.bank.address().to_string()}}, 0);
  REQUIRE(pool.admit(transfer, store, chain.next_block(store)).ok());

  // Another sender's block suspends the recipient: the pending transfer read the bank's record.
  const auto suspend =
      chain.tx(chain.admin, "gov.propose",
               Json{{"action", "participant.suspend"},
                    {"args", Json{{"address", chain.bank.address().to_string()}}},
                    {"expires_height", 100u}},
               0);
  const auto writes = commit_one(store, suspend, chain.next_block(store));
  const auto evicted = pool.recheck(store, chain.next_block(store, 1'700'000'200'000), &writes);
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0].id == transfer.id);
  CHECK(evicted[0].problem.rule == "not-permitted");
  CHECK(pool.empty());
}

TEST_CASE("a commit that writes nothing a pending transaction read leaves it pending") {
  Chain chain;
  auto store = chain.genesis_store();
  commit_one(store, chain.issue("b1", 0), chain.next_block(store));
  Mempool pool;
  const auto transfer = chain.tx(chain.shipper, "bill.transfer_holder",
                                 Json{{"bill", bill_id("b1")}, {"to", chain.bank.address().to_string()}}, 0);
  REQUIRE(pool.admit(transfer, store, chain.next_block(store)).ok());

  const auto writes = commit_one(store, chain.issue("b2", 1), chain.next_block(store));
  CHECK(pool.recheck(store, chain.next_block(store, 1'700'000'200'000), &writes).empty());
  CHECK(pool.contains(transfer.id));
}

TEST_CASE("a pending transaction with expires_ms is re-checked after every commit") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto expiring = chain.issue("b1", 0, 1'700'000'150'000);
  REQUIRE(pool.admit(expiring, store, chain.next_block(store)).ok());
  // A block that writes nothing the issue read still moves the time past its expires_ms.
  const ledger::WriteSet nothing;
  const auto evicted = pool.recheck(store, chain.next_block(store, 1'700'000'200'000), &nothing);
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0].problem.rule == "expired");
}

TEST_CASE("a block keeps each transaction's sender in its index entry and stores its JCS") {
  Chain chain;
  auto store = chain.genesis_store();
  auto builder = ledger::BlockBuilder::start(store, 1'700'000'100'000);
  REQUIRE(builder.ok());
  const auto issue = chain.issue("b1", 0);
  REQUIRE(builder->add(issue).ok());
  auto finished = builder->finish(chain.validator.address());
  REQUIRE(finished.ok());
  const auto& [block, executed] = *finished;
  CHECK(ledger::block_jcs(block) == json::canonical(ledger::to_json(block)));
  const ledger::Commit commit{1, 0, ledger::block_hash(block.header), {}};
  REQUIRE(store.write(ledger::commit_batch(executed, block, commit), true).ok());
  auto location = ledger::Ledger(store).tx_location(issue.id);
  REQUIRE(location.ok());
  REQUIRE(location->has_value());
  CHECK((*location)->height == 1);
  CHECK((*location)->index == 0);
  CHECK((*location)->sender == std::optional<Address>(chain.carrier.address()));
  auto stored = ledger::Ledger(store).block(1);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK((*stored)->transactions == block.transactions);
}
