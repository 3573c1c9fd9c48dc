// node/byzantine.h: the test-only equivocating validator, and the rule that keeps it off real chains.
#include <doctest/doctest.h>

#include "crypto/hash.h"
#include "ledger/block.h"
#include "node/byzantine.h"
#include "node/consensus.h"
#include "node/gossip.h"

namespace onebill::node {
namespace {

PrivateKey key_of(std::uint8_t seed) {
  std::array<std::uint8_t, 32> secret{};
  secret[31] = seed;
  return *PrivateKey::from_bytes(secret);
}

}  // namespace

TEST_CASE("the byzantine mode is refused unless the chain id marks a test chain") {
  CHECK(byzantine_mode("equivocate", "test-faults-1").ok());
  CHECK(byzantine_mode("equivocate", "onebill-demo-3fa91c").problem().rule == "config");
  CHECK(byzantine_mode("equivocate", "corridor-main").problem().rule == "config");
  CHECK(byzantine_mode("equivocate", "xtest-chain").problem().rule == "config");
  CHECK(byzantine_mode("silence", "test-faults-1").problem().rule == "config");
}

TEST_CASE("an equivocator sends each peer group a different vote first and every peer both, both signed") {
  const PrivateKey key = key_of(7);
  const std::vector<Address> peers{key_of(1).address(), key_of(2).address(), key_of(3).address()};
  std::vector<std::pair<Address, std::string>> sent;
  std::vector<std::string> broadcast;
  Equivocator equivocator(
      "test-chain", key, peers, [&](const std::string& m) { broadcast.push_back(m); },
      [&](const Address& to, const std::string& m) { sent.emplace_back(to, m); });

  consensus::Vote vote{"test-chain", 5, 1, ledger::VoteType::prevote, keccak256("block"), key.address(), {}};
  vote.signature = key.sign_digest(ledger::vote_digest(vote.chain, vote.height, vote.round, vote.type, vote.block));
  equivocator.broadcast(gossip_text(vote));
  CHECK(broadcast.empty());
  REQUIRE(sent.size() == 6);
  auto vote_of = [&](std::size_t i) { return std::get<consensus::Vote>(*parse_gossip(sent[i].second)); };
  std::map<Address, std::vector<consensus::Vote>> by_peer;
  for (std::size_t i = 0; i < sent.size(); ++i) by_peer[sent[i].first].push_back(vote_of(i));
  for (const auto& peer : peers) {
    REQUIRE(by_peer[peer].size() == 2);
    const auto& first = by_peer[peer][0];
    const auto& second = by_peer[peer][1];
    CHECK(first.block != second.block);
    CHECK((first.height == 5 && second.height == 5 && first.round == 1 && second.round == 1));
    for (const auto& v : {first, second}) {
      CHECK(*recover_address(ledger::vote_digest(v.chain, v.height, v.round, v.type, v.block), v.signature) ==
            key.address());
    }
  }
  CHECK(by_peer[peers[0]][0] == vote);   // group 0 (even positions): the real vote first
  CHECK(by_peer[peers[1]][1] == vote);   // group 1: the twin first
  CHECK(by_peer[peers[2]][0] == vote);

  // Another validator's vote, and anything not signed by this key, passes unchanged to everyone.
  const PrivateKey other = key_of(9);
  vote.signature = other.sign_digest(ledger::vote_digest(vote.chain, vote.height, vote.round, vote.type, vote.block));
  equivocator.broadcast(gossip_text(vote));
  CHECK(broadcast.size() == 1);
  equivocator.broadcast(gossip_text(GossipStatus{3}));
  CHECK(broadcast.size() == 2);
}

}  // namespace onebill::node
