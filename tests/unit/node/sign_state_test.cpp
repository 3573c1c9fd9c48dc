// node/node: where the sign state goes (DESIGN §5, persist before send): durable before a signed message
// leaves the process, the proposal apart from the votes and written once, and for a validator with no
// peers in the block's own synced batch.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "node/consensus.h"
#include "node/gossip.h"
#include "node/local_keys.h"
#include "node/node.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using namespace onebill;
using node::Node;
using node::test::Chain;
using node::test::eventually;
using node::test::FourValidators;

constexpr std::uint64_t block_time_ms = 1'700'000'100'000;

// Forwards to a MemoryStore the test keeps, and counts the synced writes and the proposal's writes.
class CountingStore final : public ledger::Store {
 public:
  explicit CountingStore(ledger::MemoryStore& target) : target_(target) {}
  Result<std::optional<std::string>> get(std::string_view key) const override { return target_.get(key); }
  Status scan(std::string_view prefix, std::string_view from,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    return target_.scan(prefix, from, visit);
  }
  Status write(const ledger::WriteBatch& batch, bool sync) override {
    if (sync) ++synced_writes;
    for (const auto& entry : batch.entries) {
      if (entry.key == node::sign_proposal_key) ++proposal_writes;
      if (entry.key == node::sign_lock_key) ++lock_writes;
    }
    return target_.write(batch, sync);
  }
  int synced_writes = 0;
  int proposal_writes = 0;
  int lock_writes = 0;

 private:
  ledger::MemoryStore& target_;
};

bool stored(const ledger::MemoryStore& memory, std::string_view key) {
  auto value = memory.get(key);
  REQUIRE(value.ok());
  return value->has_value();
}

}  // namespace

TEST_CASE("a validator without peers makes its sign state durable with the block: one synced write") {
  Chain chain;
  ledger::MemoryStore memory;
  auto store = std::make_unique<CountingStore>(memory);
  CountingStore& counting = *store;
  auto node = Node::open(std::move(store), chain.genesis, chain.validator, node::NodeOptions{});
  REQUIRE(node.ok());
  REQUIRE(!(*node)->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
  const int before = counting.synced_writes;
  auto height = (*node)->produce_block(block_time_ms);
  REQUIRE(height.ok());
  REQUIRE(*height == std::optional<std::uint64_t>(1));
  CHECK(counting.synced_writes - before == 1);
  CHECK(counting.proposal_writes == 0);  // its height is decided in the same batch
  auto state = memory.get(node::sign_state_key);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((**state).find("\"locked_proposal\"") == std::string::npos);  // nor is its lock kept
}

// Whether the sign state stored in `memory` covers the signed message `text` (a gossip text): its
// (height, round, step) is at or above the message's, so a restart would never sign there again.
bool covered(const ledger::MemoryStore& memory, const std::string& text) {
  auto message = node::parse_gossip(text);
  REQUIRE(message.ok());
  std::uint64_t height = 0;
  std::uint32_t round = 0;
  consensus::Step step = consensus::Step::propose;
  if (const auto* proposal = std::get_if<consensus::Proposal>(&*message)) {
    height = proposal->height;
    round = proposal->round;
  } else if (const auto* vote = std::get_if<consensus::Vote>(&*message)) {
    height = vote->height;
    round = vote->round;
    step = vote->type == ledger::VoteType::prevote ? consensus::Step::prevote : consensus::Step::precommit;
  } else {
    return true;  // not a signed consensus message
  }
  auto saved = memory.get(node::sign_state_key);
  REQUIRE(saved.ok());
  if (!saved->has_value()) return false;
  auto state = consensus::sign_state_from_json(json::read(**saved).value());
  REQUIRE(state.ok());
  return std::make_tuple(state->height, state->round, static_cast<int>(state->step)) >=
         std::make_tuple(height, round, static_cast<int>(step));
}

// Records what a node sends, from its consensus thread, with whether the sign state covered it then.
struct SentLog {
  explicit SentLog(const ledger::MemoryStore& store) : memory(store) {}
  const ledger::MemoryStore& memory;
  std::mutex mutex;
  std::vector<std::string> sent;
  std::vector<bool> covered_when_sent;
  void record(const std::string& text) {
    const bool is_signed = text.starts_with("{\"proposal\"") || text.starts_with("{\"vote\"");
    if (!is_signed) return;
    const bool durable = covered(memory, text);
    std::lock_guard lock(mutex);
    sent.push_back(text);
    covered_when_sent.push_back(durable);
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return sent.size();
  }
};

TEST_CASE(
    "a validator with peers that decides in one go syncs once: the block's write carries its sign state") {
  Chain chain;
  ledger::MemoryStore memory;
  auto store = std::make_unique<CountingStore>(memory);
  CountingStore& counting = *store;
  auto node = Node::open(std::move(store), chain.genesis, chain.validator, node::NodeOptions{});
  REQUIRE(node.ok());
  SentLog log(memory);
  (*node)->attach_network([&](const std::string& message) { log.record(message); },
                          [](const Address&, const std::string&) {});
  REQUIRE(!(*node)->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
  const int before = counting.synced_writes;
  auto height = (*node)->produce_block(block_time_ms);
  REQUIRE(height.ok());
  REQUIRE(*height == std::optional<std::uint64_t>(1));
  CHECK(counting.synced_writes - before == 1);  // not one per proposal, prevote and precommit
  REQUIRE(log.count() == 3);                    // proposal, prevote, precommit: after the block's write
  for (bool durable : log.covered_when_sent) CHECK(durable);
  CHECK(counting.proposal_writes == 0);  // a decided height's proposal matters to no restart
  auto state = memory.get(node::sign_state_key);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((**state).find("\"proposal\"") == std::string::npos);
}

TEST_CASE("a proposer among four makes its proposal durable once, apart from its votes, before sending") {
  FourValidators four;
  std::uint32_t own_round = 0;  // the first round the node's own validator proposes
  while (four.proposal(own_round).has_value()) ++own_round;
  REQUIRE(own_round < 8);
  ledger::MemoryStore memory;
  auto store = std::make_unique<CountingStore>(memory);
  CountingStore& counting = *store;
  node::NodeOptions options;
  options.timeouts.propose_base_ms = 50;
  auto node = Node::open(std::move(store), four.chain.genesis, four.chain.validator, options);
  REQUIRE(node.ok());
  SentLog log(memory);
  (*node)->attach_network([&](const std::string& message) { log.record(message); },
                          [](const Address&, const std::string&) {});
  REQUIRE(
      !(*node)
           ->submit(four.chain.signed_wire(four.chain.carrier, "bill.issue", four.chain.issue_body("a"), 0))
           .problem);
  (*node)->start();
  const Address peer = node::test::key_of("peer").address();
  // Two others in the node's round (+1/3): it skips there (L55), proposes and prevotes its block.
  if (own_round > 0) {
    for (int i = 0; i < 2; ++i) {
      const auto prevote = four.vote(four.others[static_cast<std::size_t>(i)], 1, own_round,
                                     ledger::VoteType::prevote, std::nullopt);
      REQUIRE((*node)->receive(peer, node::gossip_text(prevote)).ok());
    }
  }
  REQUIRE(eventually([&] { return stored(memory, node::sign_proposal_key); }));
  REQUIRE(eventually([&] {
    std::lock_guard lock(log.mutex);
    for (const auto& text : log.sent) {
      if (text.starts_with("{\"vote\"") && text.find("\"prevote\"") != std::string::npos &&
          text.find("\"round\":" + std::to_string(own_round)) != std::string::npos)
        return true;
    }
    return false;
  }));
  (*node)->stop();
  for (bool durable : log.covered_when_sent) CHECK(durable);
  CHECK(counting.proposal_writes == 1);
  auto state = memory.get(node::sign_state_key);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((**state).find("\"proposal\"") == std::string::npos);  // the votes' writes leave it out
}

TEST_CASE("a locked validator stores its locked block once, apart from the votes after it, and keeps it") {
  FourValidators four;
  const auto proposal = four.proposal(0);
  REQUIRE(proposal.has_value());  // the fixed keys make another validator the proposer of round 0
  const Hash32 hash = ledger::block_hash(proposal->block.header);
  ledger::MemoryStore memory;
  node::NodeOptions options;
  options.timeouts.propose_base_ms = 50;  // short rounds: the votes after the lock come quickly
  options.timeouts.prevote_base_ms = 50;
  options.timeouts.precommit_base_ms = 50;
  {
    auto store = std::make_unique<CountingStore>(memory);
    CountingStore& counting = *store;
    auto node = Node::open(std::move(store), four.chain.genesis, four.chain.validator, options);
    REQUIRE(node.ok());
    (*node)->start();
    const Address peer = node::test::key_of("peer").address();
    REQUIRE((*node)->receive(peer, node::gossip_text(*proposal)).ok());
    // Two others prevote the block: with this validator's own prevote, +2/3: it locks and precommits.
    for (int i = 0; i < 2; ++i) {
      const auto prevote =
          four.vote(four.others[static_cast<std::size_t>(i)], 1, 0, ledger::VoteType::prevote, hash);
      REQUIRE((*node)->receive(peer, node::gossip_text(prevote)).ok());
    }
    REQUIRE(eventually([&] { return stored(memory, node::sign_lock_key); }));
    // Two others precommit nil: no decision; round 0 times out and the validator signs in round 1.
    for (int i = 0; i < 2; ++i) {
      const auto precommit = four.vote(four.others[static_cast<std::size_t>(i)], 1, 0,
                                       ledger::VoteType::precommit, std::nullopt);
      REQUIRE((*node)->receive(peer, node::gossip_text(precommit)).ok());
    }
    REQUIRE(eventually([&] {
      auto state = memory.get(node::sign_state_key);
      return state.ok() && state->has_value() && (**state).find("\"round\":1") != std::string::npos;
    }));
    (*node)->stop();
    CHECK(counting.lock_writes == 1);
    auto state = memory.get(node::sign_state_key);
    REQUIRE(state.ok());
    REQUIRE(state->has_value());
    CHECK((**state).find("\"locked_proposal\"") == std::string::npos);
    CHECK((**state).find("\"locked_round\":0") != std::string::npos);
  }
  // A restart takes the lock back (the node opens); a damaged lock refuses to start.
  auto reopened =
      Node::open(std::make_unique<CountingStore>(memory), four.chain.genesis, four.chain.validator, options);
  CHECK(reopened.ok());
  if (reopened.ok()) reopened->reset();
  ledger::WriteBatch damage;
  damage.put(std::string(node::sign_lock_key), "{\"height\":1}");
  REQUIRE(memory.write(damage, true).ok());
  CHECK(
      !Node::open(std::make_unique<CountingStore>(memory), four.chain.genesis, four.chain.validator, options)
           .ok());
}
