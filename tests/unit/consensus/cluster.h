// A small in-process cluster for consensus tests: n validators (keys "consensus-test/i"), each with its
// own in-memory store holding the same genesis, an Application over that store, and an Engine. The
// test decides which messages are delivered; deliver_all() floods every broadcast to every other node
// until nothing is left, recording persisted states, scheduled timeouts, decisions and evidence.
#pragma once

#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ledger/genesis.h"
#include "ledger/memory_store.h"
#include "node/block_producer.h"
#include "node/consensus.h"
#include "tests/unit/ledger/fixture.h"

namespace onebill::consensus::test {

using json::Json;

struct TestApp final : Application {
  ledger::MemoryStore store;
  std::vector<ledger::Transaction> pool;
  const ledger::Store& committed() const override { return store; }
  std::vector<ledger::Transaction> candidates() override { return pool; }
};

struct NodeRecord {
  std::vector<SignState> persisted;
  std::vector<Schedule> scheduled;
  std::vector<Decide> decided;
  std::vector<Evidence> evidence;
  std::vector<std::variant<Proposal, Vote>> sent;
};

inline PrivateKey validator_key(std::size_t i) {
  return onebill::test::test_key("consensus-test/" + std::to_string(i));
}

class Cluster {
 public:
  explicit Cluster(std::vector<std::uint64_t> powers, TimeoutConfig config = {}) : timeouts(config) {
    genesis = consortium.genesis;
    genesis.validators.clear();
    for (std::size_t i = 0; i < powers.size(); ++i) {
      keys.push_back(validator_key(i));
      genesis.validators.push_back(
          {keys[i].address(), onebill::test::compressed_public_key(keys[i]), powers[i]});
    }
    for (std::size_t i = 0; i < powers.size(); ++i) {
      apps.push_back(std::make_unique<TestApp>());
      REQUIRE(apps[i]->store.write(ledger::genesis_batch(genesis), true).ok());
      engines.push_back(std::make_unique<Engine>(genesis.chain, keys[i], *apps[i], timeouts));
      records.emplace_back();
    }
  }

  std::size_t size() const { return engines.size(); }
  const std::vector<ledger::Validator>& set() const { return genesis.validators; }

  // A bill issue by carrier-rail (nonce n), to give proposers something to propose.
  ledger::Transaction issue(std::uint64_t nonce) {
    const std::string id = onebill::test::bill_id("consensus-" + std::to_string(nonce));
    return consortium.transaction(
        consortium.carrier_rail, "bill.issue",
        consortium.issue_body(id, "C-" + std::to_string(nonce), consortium.shipper, consortium.shipper),
        nonce);
  }
  void give_all(const ledger::Transaction& transaction) {
    for (auto& app : apps) app->pool.push_back(transaction);
  }

  void start_all(std::uint64_t height) {
    for (std::size_t i = 0; i < size(); ++i) run(i, engines[i]->start(height, set(), now));
  }

  // Records the actions of node i; broadcasts go to the queue (delivered by deliver_all).
  void run(std::size_t i, const std::vector<Action>& actions) {
    for (const auto& action : actions) {
      if (const auto* persist = std::get_if<Persist>(&action)) {
        records[i].persisted.push_back(persist->state);
      } else if (const auto* broadcast = std::get_if<Broadcast>(&action)) {
        // Persist must come first for every own signature.
        records[i].sent.push_back(broadcast->message);
        for (std::size_t j = 0; j < size(); ++j) {
          if (j != i && !muted[i]) queue.push_back({j, broadcast->message});
        }
      } else if (const auto* schedule = std::get_if<Schedule>(&action)) {
        records[i].scheduled.push_back(*schedule);
      } else if (const auto* decide = std::get_if<Decide>(&action)) {
        records[i].decided.push_back(*decide);
      } else if (const auto* found = std::get_if<EvidenceFound>(&action)) {
        records[i].evidence.push_back(found->evidence);
      }
    }
  }
  void run(std::size_t i, const Outcome& outcome) { run(i, outcome.actions); }

  void deliver(std::size_t to, const std::variant<Proposal, Vote>& message) {
    if (const auto* proposal = std::get_if<Proposal>(&message)) {
      run(to, engines[to]->on_proposal(*proposal, now));
    } else {
      run(to, engines[to]->on_vote(std::get<Vote>(message), now));
    }
  }

  void deliver_all() {
    for (int bound = 0; bound < 100000 && !queue.empty(); ++bound) {
      auto [to, message] = queue.front();
      queue.pop_front();
      deliver(to, message);
    }
    REQUIRE(queue.empty());
  }

  // Fires the last scheduled timeout of `step` on node i.
  void fire(std::size_t i, Step step) {
    for (auto it = records[i].scheduled.rbegin(); it != records[i].scheduled.rend(); ++it) {
      if (it->timeout.step == step) {
        run(i, engines[i]->on_timeout(it->timeout, now));
        return;
      }
    }
    FAIL("no timeout of that step was scheduled");
  }

  // Commits node i's decision into its store, as the node does.
  void commit(std::size_t i) {
    REQUIRE(!records[i].decided.empty());
    const Decide& decide = records[i].decided.back();
    REQUIRE(node::commit(apps[i]->store, decide.block, *decide.executed, decide.commit, set()).ok());
  }

  // A signed vote of validator i (for tests that play a byzantine validator).
  Vote vote(std::size_t i, std::uint64_t height, std::uint32_t round, VoteType type,
            std::optional<Hash32> block) const {
    Vote out{genesis.chain, height, round, type, block, keys[i].address(), {}};
    out.signature = keys[i].sign_digest(ledger::vote_digest(out.chain, height, round, type, block));
    return out;
  }

  onebill::test::Consortium consortium;
  ledger::Genesis genesis;
  TimeoutConfig timeouts;
  std::vector<PrivateKey> keys;
  std::vector<std::unique_ptr<TestApp>> apps;
  std::vector<std::unique_ptr<Engine>> engines;
  std::vector<NodeRecord> records;
  std::deque<std::pair<std::size_t, std::variant<Proposal, Vote>>> queue;
  std::map<std::size_t, bool> muted;
  std::uint64_t now = 1'767'225'700'000;
};

}  // namespace onebill::consensus::test
