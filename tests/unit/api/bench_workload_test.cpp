// `onebill bench`'s workload (api/bench_workload.h) is what real parties may do: executed in order,
// block by block, by the ledger's own state machine, every transaction applies.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "api/bench_driver.h"
#include "api/bench_workload.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/memory_store.h"

namespace onebill::api::bench {
namespace {

struct Chain {
  ledger::Genesis genesis;
  ledger::MemoryStore store;
  PrivateKey validator = PrivateKey::generate();
  std::uint64_t time_ms = 1'767'225'600'000;

  explicit Chain(const std::vector<BenchAccount>& accounts) {
    genesis.chain = "onebill-bench-test";
    genesis.genesis_time_ms = time_ms;
    const PrivateKey admin = PrivateKey::generate();
    genesis.participants.push_back({admin.address(), "Admin", {ledger::Role::admin}, "admin.example", {}});
    for (const auto& account : accounts)
      genesis.participants.push_back({account.address, account.name, {account.role}, account.domain, {}});
    const auto full = validator.public_key();
    Bytes compressed{static_cast<std::uint8_t>((full[64] & 1) ? 0x03 : 0x02)};
    compressed.insert(compressed.end(), full.begin() + 1, full.begin() + 33);
    genesis.validators.push_back(ledger::Validator{validator.address(), hex::encode(compressed), 1});
    REQUIRE(store.write(ledger::genesis_batch(genesis), true).ok());
  }

  // Executes `txs` in order in blocks of at most `per_block`; the first refusal, if any.
  std::string execute(const std::vector<SignedTx>& txs, std::size_t per_block) {
    for (std::size_t start = 0; start < txs.size(); start += per_block) {
      time_ms += 1000;
      auto builder = ledger::BlockBuilder::start(store, time_ms);
      REQUIRE(builder.ok());
      for (std::size_t i = start; i < std::min(txs.size(), start + per_block); ++i) {
        auto parsed = ledger::parse_transaction(txs[i].wire, genesis.chain);
        if (!parsed) return txs[i].type + ": " + parsed.problem().rule + ": " + parsed.problem().detail;
        if (auto signer = ledger::verify_signer(*parsed); !signer)
          return txs[i].type + ": " + signer.problem().rule;
        if (auto added = builder->add(*parsed); !added)
          return txs[i].type + " #" + std::to_string(i) + ": " + added.problem().rule + ": " +
                 added.problem().detail;
      }
      auto finished = builder->finish(validator.address());
      REQUIRE(finished.ok());
      auto& [block, executed] = *finished;
      ledger::Commit commit{block.header.height, 0, ledger::block_hash(block.header), {}};
      const Hash32 digest = ledger::vote_digest(genesis.chain, commit.height, 0, ledger::VoteType::precommit,
                                                commit.block_hash);
      commit.precommits.push_back({validator.address(), validator.sign_digest(digest)});
      REQUIRE(store.write(ledger::commit_batch(executed, block, commit), true).ok());
    }
    return {};
  }
};

AccountCounts small_counts() {
  return AccountCounts{.carriers = 6, .traders = 5, .banks = 2, .customs = 1};
}

TEST_CASE("every transaction of the bench workload applies when executed in schedule order") {
  const auto accounts = make_accounts(small_counts());
  Chain chain(accounts);
  WorkloadGenerator generator(chain.genesis.chain, accounts, 7);
  auto workload = generator.generate(4, 9, 2);
  REQUIRE(workload.ok());
  CHECK(workload->bills.size() == 36);
  CHECK(chain.execute(workload->txs, 200) == "");
  // A second workload continues every signer's nonces.
  auto more = generator.generate(2, 5, 1);
  REQUIRE(more.ok());
  CHECK(chain.execute(more->txs, 1000) == "");
  // Every bill ends surrendered, with its last leg handed over.
  ledger::Ledger ledger(chain.store);
  for (const auto& id : workload->bills) {
    auto bill = ledger.bill(id);
    REQUIRE(bill.ok());
    REQUIRE(bill->has_value());
    CHECK((*bill)->status == ledger::BillStatus::surrendered);
  }
}

TEST_CASE("the bench workload mixes the kinds of transactions of a bill's life") {
  const auto accounts = make_accounts(small_counts());
  WorkloadGenerator generator("onebill-bench-test", accounts, 1);
  auto workload = generator.generate(3, 10, 1);
  REQUIRE(workload.ok());
  std::map<std::string, std::size_t> by_type;
  for (const auto& tx : workload->txs) ++by_type[tx.type];
  for (const char* type :
       {"bill.issue", "bill.pledge", "bill.release", "bill.endorse", "bill.transfer_holder",
        "bill.transfer_owners", "bill.surrender", "bill.accept_surrender", "leg.record"})
    CHECK_MESSAGE(by_type[type] > 0, type);
  const double per_bill = static_cast<double>(workload->txs.size()) / 30.0;
  CHECK(per_bill == doctest::Approx(WorkloadGenerator::transactions_per_bill).epsilon(0.1));
}

TEST_CASE("a bench transaction waits only for other signers' earlier transactions") {
  const auto accounts = make_accounts(small_counts());
  WorkloadGenerator generator("onebill-bench-test", accounts, 3);
  auto workload = generator.generate(3, 4, 1);
  REQUIRE(workload.ok());
  std::vector<std::uint64_t> last_nonce(accounts.size(), 0);
  std::vector<bool> seen(accounts.size(), false);
  for (std::size_t i = 0; i < workload->txs.size(); ++i) {
    const auto& tx = workload->txs[i];
    for (auto before : tx.after) {
      CHECK(before < i);
      CHECK(workload->txs[before].sender != tx.sender);
    }
    if (seen[tx.sender]) CHECK(tx.nonce == last_nonce[tx.sender] + 1);  // nonces in schedule order
    seen[tx.sender] = true;
    last_nonce[tx.sender] = tx.nonce;
  }
}

TEST_CASE("the bench reads only bills whose issue committed, each once") {
  const auto accounts = make_accounts(small_counts());
  WorkloadGenerator generator("onebill-bench-test", accounts, 5);
  auto workload = generator.generate(2, 5, 1);
  REQUIRE(workload.ok());
  // Every transaction of a bill names it; its bill.issue carries the bill's id.
  for (const auto& tx : workload->txs) {
    REQUIRE(tx.bill < workload->bills.size());
    if (tx.type == "bill.issue") {
      auto parsed = ledger::parse_transaction(tx.wire, "onebill-bench-test");
      REQUIRE(parsed.ok());
      CHECK(parsed->body.at("id").get<std::string>() == hex::encode(workload->bills[tx.bill]));
    }
  }
  // Committed: every transaction but the issues of bills 1 and 3 (committed out of order).
  SubmitResult submitted;
  submitted.committed_txs.assign(workload->txs.size(), true);
  for (std::size_t i = 0; i < workload->txs.size(); ++i) {
    const auto& tx = workload->txs[i];
    if (tx.type == "bill.issue" && (tx.bill == 1 || tx.bill == 3)) submitted.committed_txs[i] = false;
  }
  const auto bills = issued_bills(*workload, submitted);
  CHECK(bills.size() == workload->bills.size() - 2);
  CHECK(std::find(bills.begin(), bills.end(), workload->bills[1]) == bills.end());
  CHECK(std::find(bills.begin(), bills.end(), workload->bills[3]) == bills.end());
  CHECK(std::find(bills.begin(), bills.end(), workload->bills[4]) != bills.end());
  CHECK(issued_bills(*workload, SubmitResult{}).empty());
}

}  // namespace
}  // namespace onebill::api::bench
