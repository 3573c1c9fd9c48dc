// node/mempool: admission against the pending state, bounds, re-check and eviction, the refusal log.
#include <doctest/doctest.h>

#include "node/mempool.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using namespace onebill;
using node::Admission;
using node::Mempool;
using node::MempoolOptions;
using node::test::Chain;

}  // namespace

TEST_CASE("one sender's transactions are admitted in nonce order against the pending state") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto context = chain.next_block(store);
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    auto admitted = pool.admit(chain.issue("b" + std::to_string(nonce), nonce), store, context);
    REQUIRE(admitted.ok());
    CHECK(*admitted == Admission::admitted);
  }
  CHECK(pool.size() == 3);
  CHECK(pool.next_pending_nonce(chain.carrier.address()) == 3);
  CHECK(!pool.next_pending_nonce(chain.shipper.address()).has_value());
  // Candidates come in arrival order, which is each sender's nonce order.
  const auto candidates = pool.candidates(10);
  REQUIRE(candidates.size() == 3);
  CHECK(candidates[0].nonce == 0);
  CHECK(candidates[2].nonce == 2);
}

TEST_CASE("a nonce that skips or repeats one is refused at admission") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto context = chain.next_block(store);
  REQUIRE(pool.admit(chain.issue("a", 0), store, context).ok());
  auto gap = pool.admit(chain.issue("b", 2), store, context);
  REQUIRE(!gap.ok());
  CHECK(gap.problem().rule == "nonce-gap");
  auto used = pool.admit(chain.issue("c", 0), store, context);
  REQUIRE(!used.ok());
  CHECK(used.problem().rule == "nonce-used");
  CHECK(pool.size() == 1);
}

TEST_CASE("a transaction already pending is answered as already pending") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto context = chain.next_block(store);
  const auto transaction = chain.issue("a", 0);
  REQUIRE(pool.admit(transaction, store, context).ok());
  auto again = pool.admit(transaction, store, context);
  REQUIRE(again.ok());
  CHECK(*again == Admission::already_pending);
  CHECK(pool.size() == 1);
}

TEST_CASE("a transaction that breaks a rule is refused at admission and its rule is logged") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto by_shipper = chain.tx(chain.shipper, "bill.issue", chain.issue_body("x"), 0);
  auto refused = pool.admit(by_shipper, store, chain.next_block(store));
  REQUIRE(!refused.ok());
  CHECK(refused.problem().rule == "not-permitted");
  auto logged = pool.refusal(by_shipper.id);
  REQUIRE(logged.has_value());
  CHECK(logged->stage == "admission");
  CHECK(logged->problem.rule == "not-permitted");
  CHECK(pool.empty());
}

TEST_CASE("a sender over its pending limit is refused with sender-pending-limit") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool(MempoolOptions{.max_transactions = 100, .max_per_sender = 2, .refusal_log_entries = 10});
  const auto context = chain.next_block(store);
  REQUIRE(pool.admit(chain.issue("a", 0), store, context).ok());
  REQUIRE(pool.admit(chain.issue("b", 1), store, context).ok());
  auto third = pool.admit(chain.issue("c", 2), store, context);
  REQUIRE(!third.ok());
  CHECK(third.problem().rule == "sender-pending-limit");
}

TEST_CASE("a full mempool refuses with mempool-full") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool(MempoolOptions{.max_transactions = 1, .max_per_sender = 64, .refusal_log_entries = 10});
  const auto context = chain.next_block(store);
  REQUIRE(pool.admit(chain.issue("a", 0), store, context).ok());
  auto second = pool.admit(chain.issue("b", 1), store, context);
  REQUIRE(!second.ok());
  CHECK(second.problem().rule == "mempool-full");
}

TEST_CASE(
    "committed transactions leave the pool and ones that no longer apply are evicted with later nonces") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool;
  const auto context = chain.next_block(store, 1'700'000'100'000);
  const auto first = chain.issue("a", 0);
  const auto expiring = chain.issue("b", 1, 1'700'000'150'000);
  const auto later = chain.issue("c", 2);
  for (const auto& transaction : {first, expiring, later})
    REQUIRE(pool.admit(transaction, store, context).ok());

  // `first` commits; the next block's time is past `expiring`'s expires_ms.
  ledger::Overlay overlay(store);
  REQUIRE(ledger::apply(first, overlay, context).ok());
  REQUIRE(store.write(overlay.to_batch(), true).ok());
  pool.remove_committed({first.id});
  CHECK(!pool.contains(first.id));
  const auto evicted =
      pool.recheck(store, ledger::BlockContext{2, 1'700'000'200'000, chain.genesis.chain, 0});
  REQUIRE(evicted.size() == 2);
  CHECK(evicted[0].id == expiring.id);
  CHECK(evicted[0].problem.rule == "expired");
  CHECK(evicted[0].stage == "execution");
  CHECK(evicted[1].id == later.id);
  CHECK(evicted[1].problem.rule == "evicted");
  CHECK(pool.empty());
  CHECK(pool.refusal(later.id).has_value());
}

TEST_CASE("the refusal log keeps only the latest entries") {
  Chain chain;
  auto store = chain.genesis_store();
  Mempool pool(MempoolOptions{.max_transactions = 10, .max_per_sender = 10, .refusal_log_entries = 2});
  const auto context = chain.next_block(store);
  std::vector<onebill::Hash32> ids;
  for (int i = 0; i < 3; ++i) {
    const auto transaction =
        chain.tx(chain.shipper, "bill.issue", chain.issue_body("r" + std::to_string(i)), 0);
    ids.push_back(transaction.id);
    REQUIRE(!pool.admit(transaction, store, context).ok());
  }
  CHECK(!pool.refusal(ids[0]).has_value());
  CHECK(pool.refusal(ids[1]).has_value());
  CHECK(pool.refusal(ids[2]).has_value());
}
