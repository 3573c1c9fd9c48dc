// node/mempool: the re-check after a commit re-applies a sender whose reads the block wrote, and only
// then (a pending transaction's outcome is a function of what it read and, for expiring and governance
// transactions, of the block's height and time).
#include <doctest/doctest.h>

#include "ledger/block.h"
#include "ledger/keys.h"
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

// Builds the next block from `transactions` (all must apply) and commits it; returns its execution.
ledger::ExecutedBlock commit_block(ledger::MemoryStore& store, const Chain& chain,
                                   const std::vector<ledger::Transaction>& transactions) {
  auto builder = ledger::BlockBuilder::start(store, 1'700'000'100'000);
  REQUIRE(builder.ok());
  for (const auto& transaction : transactions) REQUIRE(builder->add(transaction).ok());
  auto finished = builder->finish(chain.validator.address());
  REQUIRE(finished.ok());
  auto& [block, executed] = *finished;
  const ledger::Commit commit{block.header.height, 0, ledger::block_hash(block.header), {}};
  REQUIRE(store.write(ledger::commit_batch(executed, block, commit), true).ok());
  return std::move(executed);
}

// The admin's proposal (nonce 0) to suspend the bank: it writes the bank's participant record.
ledger::Transaction suspend_bank(const Chain& chain) {
  return chain.tx(chain.admin, "gov.propose",
                  Json{{"action", "participant.suspend"},
                       {"args", Json{{"address", chain.bank.address().to_string()}}},
                       {"expires_height", 100u}},
                  0);
}

// Commits a block of `transactions` and re-checks the pool after it, as the node does: the evictions.
std::vector<node::Refusal> commit_and_recheck(Mempool& pool, ledger::MemoryStore& store, const Chain& chain,
                                              const std::vector<ledger::Transaction>& transactions) {
  const auto executed = commit_block(store, chain, transactions);
  pool.remove_committed(executed.transaction_ids);
  return pool.recheck(store, chain.next_block(store), executed);
}

// Admits each transaction on the pool's pending state over `store`; all must be admitted.
void admit_all(Mempool& pool, const ledger::MemoryStore& store, const Chain& chain,
               const std::vector<ledger::Transaction>& transactions) {
  for (const auto& transaction : transactions)
    REQUIRE(pool.admit(transaction, store, chain.next_block(store)).ok());
}

// `from` hands the bill of reference `bill` to `to` (bill.transfer_holder).
ledger::Transaction hand_over(const Chain& chain, const PrivateKey& from, const char* bill,
                              const PrivateKey& to, std::uint64_t nonce) {
  return chain.tx(from, "bill.transfer_holder",
                  Json{{"bill", bill_id(bill)}, {"to", to.address().to_string()}}, nonce);
}

// Two committed bills the shipper holds, b1 and b2, and an empty pool.
struct TwoBills {
  Chain chain;
  ledger::MemoryStore store = chain.genesis_store();
  Mempool pool;
  TwoBills() { commit_block(store, chain, {chain.issue("b1", 0), chain.issue("b2", 1)}); }
};

}  // namespace

TEST_CASE("a block names the one sender that wrote each key, or none when several did") {
  Chain chain;
  auto store = chain.genesis_store();
  const auto issue = chain.issue("b1", 0);
  const auto transfer = hand_over(chain, chain.shipper, "b1", chain.bank, 0);
  const auto executed = commit_block(store, chain, {issue, transfer});
  CHECK(executed.writers.size() == executed.writes.size());
  const auto carrier_nonce = executed.writers.find(ledger::keys::account_key(chain.carrier.address()));
  REQUIRE(carrier_nonce != executed.writers.end());
  CHECK(carrier_nonce->second == std::optional<Address>(chain.carrier.address()));
  const auto bill = executed.writers.find(ledger::keys::bill_key(*ledger::parse_hash(bill_id("b1"))));
  REQUIRE(bill != executed.writers.end());
  CHECK(!bill->second.has_value());  // the carrier issued it, the shipper transferred it
}

TEST_CASE("a sender whose earliest pending transactions commit keeps the rest pending and admits more") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto first = chain.issue("b1", 0);
  const auto second = chain.issue("b2", 1);
  admit_all(pool, store, chain, {first, second});
  CHECK(commit_and_recheck(pool, store, chain, {first}).empty());
  CHECK(pool.contains(second.id));
  CHECK(pool.next_pending_nonce(chain.carrier.address()) == std::optional<std::uint64_t>(2));
  // The kept pending state holds b2: a third issue of b2's reference is refused, a new one admitted.
  const auto again = chain.tx(chain.carrier, "bill.issue", chain.issue_body("b2"), 2);
  CHECK(pool.admit(again, store, chain.next_block(store)).problem().rule == "id-used");
  REQUIRE(pool.admit(chain.issue("b3", 2), store, chain.next_block(store)).ok());
}

TEST_CASE_FIXTURE(
    TwoBills,
    "a sender's pending transaction is re-checked when another sender in the block wrote what it read") {
  const auto own = hand_over(chain, chain.shipper, "b2", chain.carrier, 0);
  const auto transfer = hand_over(chain, chain.shipper, "b1", chain.bank, 1);
  admit_all(pool, store, chain, {own, transfer});
  // The block commits the shipper's first transfer and the admin's suspension of the bank.
  const auto suspend = suspend_bank(chain);
  const auto evicted = commit_and_recheck(pool, store, chain, {own, suspend});
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0].id == transfer.id);
}

TEST_CASE_FIXTURE(
    TwoBills,
    "what a committed transaction read no longer re-checks its sender when another sender writes it") {
  // The shipper hands b1 to the bank (nonce 0), then b2 to the carrier (nonce 1).
  const auto to_bank = hand_over(chain, chain.shipper, "b1", chain.bank, 0);
  const auto to_carrier = hand_over(chain, chain.shipper, "b2", chain.carrier, 1);
  admit_all(pool, store, chain, {to_bank, to_carrier});
  REQUIRE(commit_and_recheck(pool, store, chain, {to_bank}).empty());
  const auto reapplied = pool.reapplications();
  // The bank hands b1 back: it writes b1, which only the committed transfer read.
  const auto back = hand_over(chain, chain.bank, "b1", chain.shipper, 0);
  CHECK(commit_and_recheck(pool, store, chain, {back}).empty());
  CHECK(pool.reapplications() == reapplied);  // the shipper's pending state was kept as it was
  CHECK(pool.contains(to_carrier.id));
  // ... without the committed transfer's write of b1, which the bank's overwrote: the shipper holds b1
  // again, so a new transfer of it is admitted on the pending state.
  const auto again = hand_over(chain, chain.shipper, "b1", chain.carrier, 2);
  CHECK(pool.admit(again, store, chain.next_block(store)).ok());
  CHECK(pool.reapplications() == reapplied);
}

TEST_CASE("a sender whose nonce a transaction the pool never held took is re-checked") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto pending = chain.issue("b1", 0);
  REQUIRE(pool.admit(pending, store, chain.next_block(store)).ok());
  // A peer's block holds another transaction of the same sender with the same nonce.
  const auto evicted = commit_and_recheck(pool, store, chain, {chain.issue("b9", 0)});
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0].id == pending.id);
  CHECK(evicted[0].problem.rule == "nonce-used");
}

TEST_CASE("a commit that writes what a pending transaction read re-checks it and evicts it") {
  Chain chain;
  auto store = chain.genesis_store();
  commit_one(store, chain.issue("b1", 0), chain.next_block(store));
  Mempool pool;
  const auto transfer = hand_over(chain, chain.shipper, "b1", chain.bank, 0);
  REQUIRE(pool.admit(transfer, store, chain.next_block(store)).ok());

  // Another sender's block suspends the recipient: the pending transfer read the bank's record.
  const auto suspend = suspend_bank(chain);
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
  const auto transfer = hand_over(chain, chain.shipper, "b1", chain.bank, 0);
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
