// node/node, node/consensus and node/peers: relay of consensus messages (gossip onwards, as CometBFT
// does). A vote or proposal that the engine stores for the first time (Outcome::fresh) goes once to every
// peer but the one it came from; duplicates, refused messages and messages of other heights never do,
// so a node relays each message at most once and the traffic is bounded by peers x messages.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/block.h"
#include "ledger/memory_store.h"
#include "node/consensus.h"
#include "node/gossip.h"
#include "node/node.h"
#include "node/peers.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using namespace onebill;
using namespace std::chrono_literals;
using consensus::Proposal;
using consensus::Vote;
using node::Node;
using node::test::Chain;
using node::test::eventually;
using node::test::FourValidators;
using node::test::key_of;

struct Relayed {
  Address except;
  std::string message;
};

// A validator node of FourValidators with its consensus thread running; what it relays is recorded.
class RelayingNode {
 public:
  RelayingNode() {
    auto opened = Node::open(std::make_unique<ledger::MemoryStore>(), four.chain.genesis,
                             four.chain.validator, node::NodeOptions{});
    REQUIRE(opened.ok());
    node = std::move(*opened);
    node->attach_network([](const std::string&) {}, [](const Address&, const std::string&) {},
                         [this](const Address& except, const std::string& message) {
                           std::lock_guard lock(mutex_);
                           relayed_.push_back({except, message});
                         });
    node->start();
  }
  ~RelayingNode() { node->stop(); }
  RelayingNode(const RelayingNode&) = delete;
  RelayingNode& operator=(const RelayingNode&) = delete;

  void receive(const Address& from, const std::string& text) { REQUIRE(node->receive(from, text).ok()); }
  // Everything relayed once `marker` (a fresh vote received after the messages under test) was: the
  // inbox is handled in order, so the messages before it have been handled by then.
  std::vector<Relayed> relayed_through(const Vote& marker) {
    const std::string text = node::gossip_text(marker);
    receive(peer_c, text);
    REQUIRE(eventually([&] { return count(text) == 1; }));
    std::lock_guard lock(mutex_);
    return relayed_;
  }
  std::size_t count(const std::string& message) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(relayed_.begin(), relayed_.end(),
                                                  [&](const Relayed& r) { return r.message == message; }));
  }

  FourValidators four;
  std::unique_ptr<Node> node;
  const Address peer_a = key_of("peer-a").address();
  const Address peer_b = key_of("peer-b").address();
  const Address peer_c = key_of("peer-c").address();

 private:
  std::mutex mutex_;
  std::vector<Relayed> relayed_;
};

std::size_t count_in(const std::vector<Relayed>& relayed, const std::string& message) {
  return static_cast<std::size_t>(
      std::count_if(relayed.begin(), relayed.end(), [&](const Relayed& r) { return r.message == message; }));
}

}  // namespace

TEST_CASE("a node relays a vote it stored for the first time to every other peer") {
  RelayingNode relaying;
  const Vote vote = relaying.four.vote(relaying.four.others[0], 1, 0, ledger::VoteType::prevote);
  const std::string text = node::gossip_text(vote);
  relaying.receive(relaying.peer_a, text);
  REQUIRE(eventually([&] { return relaying.count(text) == 1; }));
  const auto relayed =
      relaying.relayed_through(relaying.four.vote(relaying.four.others[1], 1, 0, ledger::VoteType::prevote));
  REQUIRE(relayed.size() == 2);
  CHECK(relayed[0].message == text);
  CHECK(relayed[0].except == relaying.peer_a);  // every peer but the one it came from
}

TEST_CASE("a node never relays a vote twice") {
  RelayingNode relaying;
  const Vote vote = relaying.four.vote(relaying.four.others[0], 1, 0, ledger::VoteType::precommit);
  const std::string text = node::gossip_text(vote);
  for (int copy = 0; copy < 3; ++copy) {
    relaying.receive(relaying.peer_a, text);
    relaying.receive(relaying.peer_b, text);  // the same vote relayed back by another peer
  }
  const auto relayed =
      relaying.relayed_through(relaying.four.vote(relaying.four.others[1], 1, 0, ledger::VoteType::prevote));
  CHECK(count_in(relayed, text) == 1);
  CHECK(relayed.size() == 2);
}

TEST_CASE("a refused vote is not relayed") {
  RelayingNode relaying;
  const auto& four = relaying.four;
  Vote forged = four.vote(four.others[0], 1, 0, ledger::VoteType::prevote);
  forged.signature =
      four.others[1].sign_digest(ledger::vote_digest(forged.chain, 1, 0, forged.type, forged.block));
  const PrivateKey stranger = key_of("not-a-validator");
  const Vote unknown = four.vote(stranger, 1, 0, ledger::VoteType::prevote);
  Vote other_chain = four.vote(four.others[0], 1, 0, ledger::VoteType::prevote);
  other_chain.chain = "another-chain";
  other_chain.signature =
      four.others[0].sign_digest(ledger::vote_digest("another-chain", 1, 0, other_chain.type, {}));
  for (const auto& refused : {forged, unknown, other_chain})
    relaying.receive(relaying.peer_a, node::gossip_text(refused));
  const auto relayed = relaying.relayed_through(four.vote(four.others[1], 1, 0, ledger::VoteType::prevote));
  CHECK(relayed.size() == 1);  // the marker only
}

TEST_CASE("a vote for another height is not relayed") {
  RelayingNode relaying;
  const auto& four = relaying.four;
  relaying.receive(relaying.peer_a,
                   node::gossip_text(four.vote(four.others[0], 2, 0, ledger::VoteType::prevote)));
  relaying.receive(relaying.peer_a,
                   node::gossip_text(four.vote(four.others[0], 7, 0, ledger::VoteType::prevote)));
  const auto relayed = relaying.relayed_through(four.vote(four.others[1], 1, 0, ledger::VoteType::prevote));
  CHECK(relayed.size() == 1);
}

TEST_CASE("a vote of a round too far ahead to keep is not relayed") {
  RelayingNode relaying;
  const auto& four = relaying.four;
  const std::uint32_t too_far = consensus::TimeoutConfig{}.max_future_rounds + 1;
  relaying.receive(relaying.peer_a,
                   node::gossip_text(four.vote(four.others[0], 1, too_far, ledger::VoteType::prevote)));
  const auto relayed = relaying.relayed_through(four.vote(four.others[1], 1, 0, ledger::VoteType::prevote));
  CHECK(relayed.size() == 1);
}

TEST_CASE("an equivocator's conflicting votes are relayed, at most four per validator, round and type") {
  RelayingNode relaying;
  const auto& four = relaying.four;
  for (std::uint8_t b = 0; b < 6; ++b) {
    Hash32 block{};
    block[0] = b;
    relaying.receive(relaying.peer_a,
                     node::gossip_text(four.vote(four.others[0], 1, 0, ledger::VoteType::prevote, block)));
  }
  const auto relayed = relaying.relayed_through(four.vote(four.others[1], 1, 0, ledger::VoteType::prevote));
  CHECK(relayed.size() == 4 + 1);  // the engine keeps four of them (node/consensus.h RoundState)
}

TEST_CASE("a node relays a proposal it stored for the first time to every other peer, once") {
  RelayingNode relaying;
  const auto& four = relaying.four;
  std::optional<Proposal> proposal;
  for (std::uint32_t round = 0; !proposal; ++round) proposal = four.proposal(round);
  const std::string text = node::gossip_text(*proposal);
  relaying.receive(relaying.peer_a, text);
  relaying.receive(relaying.peer_b, text);
  const auto relayed = relaying.relayed_through(four.vote(four.others[1], 1, 0, ledger::VoteType::precommit));
  REQUIRE(count_in(relayed, text) == 1);
  CHECK(relayed.front().message == text);
  CHECK(relayed.front().except == relaying.peer_a);
}

TEST_CASE("a proposal the engine refuses is not relayed") {
  RelayingNode relaying;
  const auto& four = relaying.four;
  std::optional<Proposal> proposal;
  std::uint32_t round = 0;
  for (; !proposal; ++round) proposal = four.proposal(round);
  // Signed by a validator that is not the round's proposer; then by the proposer for another round.
  const PrivateKey* impostor = &four.others[0];
  if (impostor->address() == proposal->validator) impostor = &four.others[1];
  const auto forged = four.proposal(round - 1, impostor);
  REQUIRE(forged.has_value());
  Proposal misplaced = *proposal;
  misplaced.round += 1;
  relaying.receive(relaying.peer_a, node::gossip_text(*forged));
  relaying.receive(relaying.peer_a, node::gossip_text(misplaced));
  const auto relayed = relaying.relayed_through(four.vote(four.others[1], 1, 0, ledger::VoteType::precommit));
  CHECK(relayed.size() == 1);
}

TEST_CASE("the engine calls a message fresh only when it stores it for the first time") {
  FourValidators four;
  ledger::MemoryStore store = four.chain.genesis_store();
  struct App final : consensus::Application {
    explicit App(const ledger::Store& committed_store) : store_(committed_store) {}
    const ledger::Store& committed() const override { return store_; }
    std::vector<ledger::Transaction> candidates() override { return {}; }
    const ledger::Store& store_;
  } app(store);
  consensus::Engine engine(four.chain.genesis.chain, std::nullopt, app, consensus::TimeoutConfig{});
  engine.start(1, four.set(), four.chain.genesis.genesis_time_ms + 1000);
  const std::uint64_t now = four.chain.genesis.genesis_time_ms + 1000;
  const Vote vote = four.vote(four.others[0], 1, 0, ledger::VoteType::prevote);
  CHECK(engine.on_vote(vote, now).fresh);
  CHECK_FALSE(engine.on_vote(vote, now).fresh);
  CHECK_FALSE(engine.on_vote(four.vote(four.others[0], 2, 0, ledger::VoteType::prevote), now).fresh);
  std::optional<Proposal> proposal;
  for (std::uint32_t round = 0; !proposal; ++round) proposal = four.proposal(round);
  CHECK(engine.on_proposal(*proposal, now).fresh);
  CHECK_FALSE(engine.on_proposal(*proposal, now).fresh);
}

TEST_CASE("peers relay a message to every linked peer but the one named") {
  std::vector<std::unique_ptr<node::Peers>> peers;
  std::mutex mutex;
  std::vector<std::pair<std::size_t, std::string>> received;  // (receiver, message)
  const PrivateKey keys[3] = {key_of("relay-peer-0"), key_of("relay-peer-1"), key_of("relay-peer-2")};
  for (std::size_t i = 0; i < 3; ++i) {
    node::PeersOptions options;
    options.chain = "relay-test";
    options.listen = node::HostPort{"127.0.0.1", 0};
    if (i > 0) options.dial.push_back(node::HostPort{"127.0.0.1", peers[0]->port()});
    peers.push_back(
        std::make_unique<node::Peers>(options, keys[i], [&, i](const Address&, std::string message) {
          std::lock_guard lock(mutex);
          received.emplace_back(i, std::move(message));
        }));
    REQUIRE(peers.back()->start().ok());
  }
  REQUIRE(eventually([&] { return peers[0]->linked().size() == 2; }));
  peers[0]->broadcast_except(keys[1].address(), "onwards");
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return !received.empty();
  }));
  std::this_thread::sleep_for(100ms);  // what else might arrive
  std::lock_guard lock(mutex);
  REQUIRE(received.size() == 1);
  CHECK(received[0].first == 2);
  CHECK(received[0].second == "onwards");
  for (auto& p : peers) p->stop();
}

TEST_CASE("a gossiped transaction goes on to every peer but the one it came from, once") {
  RelayingNode relaying;
  const auto transaction = relaying.four.chain.issue("relayed", 0);
  const std::string text = node::gossip_text(transaction);
  relaying.receive(relaying.peer_a, text);
  REQUIRE(eventually([&] { return relaying.count(text) == 1; }));
  relaying.receive(relaying.peer_b, text);  // the copy every other peer relays
  const auto relayed =
      relaying.relayed_through(relaying.four.vote(relaying.four.others[1], 1, 0, ledger::VoteType::prevote));
  CHECK(count_in(relayed, text) == 1);
  for (const auto& r : relayed) {
    if (r.message == text) CHECK(r.except == relaying.peer_a);
  }
}

TEST_CASE("a peer's copy of a transaction pending here is dropped unread") {
  RelayingNode relaying;
  const auto transaction = relaying.four.chain.issue("copied", 0);
  const std::string text = node::gossip_text(transaction);
  relaying.receive(relaying.peer_a, text);
  REQUIRE(eventually([&] { return relaying.node->mempool_size() == 1; }));
  // The fingerprint is noted once admission returns: copies sent until then are parsed and found pending.
  REQUIRE(eventually([&] {
    relaying.receive(relaying.peer_b, text);
    return relaying.node->gossip_copies_dropped() >= 1;
  }));
  const std::uint64_t dropped = relaying.node->gossip_copies_dropped();
  relaying.receive(relaying.peer_c, text);
  CHECK(relaying.node->gossip_copies_dropped() == dropped + 1);  // at once, on the receiving thread
  CHECK(relaying.node->mempool_size() == 1);
}

TEST_CASE("a peer's copy of a transaction refused on arrival is judged again") {
  RelayingNode relaying;
  const auto early = relaying.four.chain.issue("too-early", 5);  // nonce 5 of a sender at 0: refused for now
  const std::string text = node::gossip_text(early);
  auto refused = [&] {
    std::uint64_t total = 0;
    for (const auto& [key, count] : relaying.node->refusal_counts())
      total += key.first == "admission" ? count : 0;
    return total;
  };
  relaying.receive(relaying.peer_a, text);
  REQUIRE(eventually([&] { return refused() == 1; }));
  relaying.receive(relaying.peer_b, text);
  CHECK(eventually([&] { return refused() == 2; }));
  CHECK(relaying.node->gossip_copies_dropped() == 0);
  CHECK(relaying.count(text) == 0);  // a refused transaction is not relayed
}
