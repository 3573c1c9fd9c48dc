// The Tendermint engine (node/consensus.h): Algorithm 1's rules, one TEST_CASE per rule.
#include <doctest/doctest.h>

#include <set>
#include <tuple>

#include "tests/unit/consensus/cluster.h"

namespace onebill::consensus::test {
namespace {

bool has_timeout(const NodeRecord& record, Step step, std::uint32_t round) {
  for (const auto& schedule : record.scheduled) {
    if (schedule.timeout.step == step && schedule.timeout.round == round) return true;
  }
  return false;
}

std::optional<Vote> last_vote(const NodeRecord& record, VoteType type) {
  for (auto it = record.sent.rbegin(); it != record.sent.rend(); ++it) {
    if (const auto* vote = std::get_if<Vote>(&*it); vote && vote->type == type) return *vote;
  }
  return std::nullopt;
}

// A proposal of validator i for (height, round) carrying `block`, signed.
Proposal signed_proposal(const Cluster& cluster, std::size_t i, std::uint64_t height, std::uint32_t round,
                         std::optional<std::uint32_t> pol_round, const ledger::Block& block) {
  Proposal proposal{cluster.genesis.chain, height, round, pol_round, block, cluster.keys[i].address(), {}};
  proposal.signature = cluster.keys[i].sign_digest(
      ledger::proposal_digest(proposal.chain, height, round, pol_round, ledger::block_hash(block.header)));
  return proposal;
}

std::size_t index_of(const Cluster& cluster, const Address& address) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.keys[i].address() == address) return i;
  }
  FAIL("not a validator");
  return 0;
}

}  // namespace

TEST_CASE("a single validator commits from its own messages without waiting for a timeout") {
  Cluster cluster({1});
  cluster.start_all(1);
  CHECK(cluster.records[0].sent.empty());  // idle: nothing to propose yet
  CHECK_FALSE(has_timeout(cluster.records[0], Step::propose, 0));
  cluster.apps[0]->pool.push_back(cluster.issue(0));
  cluster.run(0, cluster.engines[0]->on_candidates_available(cluster.now));
  REQUIRE(cluster.records[0].decided.size() == 1);
  const Decide& decide = cluster.records[0].decided[0];
  CHECK(decide.block.header.height == 1);
  CHECK(decide.block.transactions.size() == 1);
  CHECK(ledger::verify_commit(cluster.genesis.chain, decide.commit, cluster.set()).ok());
  CHECK(cluster.records[0].sent.size() == 3);  // proposal, prevote, precommit
  cluster.commit(0);
  CHECK(ledger::Ledger(cluster.apps[0]->store).head().value()->height == 1);
}

TEST_CASE("no empty block is proposed: the proposer waits for candidates") {
  Cluster cluster({1});
  cluster.start_all(1);
  cluster.run(0, cluster.engines[0]->on_candidates_available(cluster.now));
  CHECK(cluster.records[0].decided.empty());
  CHECK(cluster.records[0].sent.empty());
  cluster.apps[0]->pool.push_back(cluster.issue(0));
  cluster.run(0, cluster.engines[0]->on_candidates_available(cluster.now));
  CHECK(cluster.records[0].decided.size() == 1);
}

TEST_CASE("four validators decide the same block at each height when every message arrives") {
  Cluster cluster({1, 1, 1, 1});
  for (std::uint64_t height = 1; height <= 3; ++height) {
    for (auto& app : cluster.apps) app->pool.clear();  // the mempool drops what was committed
    cluster.give_all(cluster.issue(height - 1));
    cluster.start_all(height);
    for (std::size_t i = 0; i < cluster.size(); ++i)
      cluster.run(i, cluster.engines[i]->on_candidates_available(cluster.now));
    cluster.deliver_all();
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      REQUIRE(cluster.records[i].decided.size() == height);
      CHECK(cluster.records[i].decided.back().commit.block_hash ==
            cluster.records[0].decided.back().commit.block_hash);
      cluster.commit(i);
    }
  }
}

TEST_CASE("every signature is persisted before it is broadcast") {
  Cluster cluster({1, 1, 1, 1});
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  std::vector<Action> actions = cluster.engines[0]->on_candidates_available(cluster.now);
  // Any round: wherever a Broadcast of an own message appears, a Persist of it comes just before.
  for (std::size_t k = 0; k < actions.size(); ++k) {
    const auto* broadcast = std::get_if<Broadcast>(&actions[k]);
    if (broadcast == nullptr) continue;
    REQUIRE(k > 0);
    const auto* persist = std::get_if<Persist>(&actions[k - 1]);
    REQUIRE(persist != nullptr);
    if (const auto* vote = std::get_if<Vote>(&broadcast->message)) {
      CHECK((persist->state.prevote == *vote || persist->state.precommit == *vote));
    }
  }
}

TEST_CASE("proposers rotate in proportion to voting power") {
  std::vector<ledger::Validator> set;
  const std::vector<std::uint64_t> powers = {1, 2, 3, 4};
  for (std::size_t i = 0; i < powers.size(); ++i) set.push_back({validator_key(i).address(), "", powers[i]});
  ProposerSchedule schedule(set);
  std::map<Address, std::uint64_t> count;
  for (std::uint64_t height = 1; height <= 100; ++height) ++count[schedule.proposer(height, 0).address];
  for (const auto& validator : set) CHECK(count[validator.address] == 10 * validator.power);
  // Rounds move along the same schedule, deterministically.
  ProposerSchedule again(set);
  CHECK(again.proposer(7, 3).address == schedule.proposer(7, 3).address);
  CHECK(schedule.proposer(7, 0).address == schedule.proposer(6, 1).address);
}

TEST_CASE("equal powers: each validator proposes once per n heights, ties broken by address") {
  std::vector<ledger::Validator> set;
  for (std::size_t i = 0; i < 5; ++i) set.push_back({validator_key(i).address(), "", 1});
  ProposerSchedule schedule(set);
  std::set<Address> seen;
  for (std::uint64_t height = 0; height < 5; ++height) seen.insert(schedule.proposer(height, 0).address);
  CHECK(seen.size() == 5);
  auto lowest = std::min_element(set.begin(), set.end(),
                                 [](const auto& a, const auto& b) { return a.address < b.address; });
  CHECK(schedule.proposer(0, 0).address == lowest->address);
}

TEST_CASE("timeouts grow with the round") {
  TimeoutConfig config;
  CHECK(config.delay_ms(Step::propose, 3) == config.propose_base_ms + 3 * config.propose_delta_ms);
  CHECK(config.delay_ms(Step::prevote, 2) > config.delay_ms(Step::prevote, 1));
  CHECK(config.delay_ms(Step::precommit, 5) > config.delay_ms(Step::precommit, 0));
}

TEST_CASE("a conflicting second vote is evidence and does not count") {
  Cluster cluster({1, 1, 1, 1});
  cluster.start_all(1);
  const Hash32 some_block = keccak256("some block");
  cluster.run(
      0, cluster.engines[0]->on_vote(cluster.vote(1, 1, 0, VoteType::prevote, std::nullopt), cluster.now));
  cluster.run(0,
              cluster.engines[0]->on_vote(cluster.vote(1, 1, 0, VoteType::prevote, some_block), cluster.now));
  REQUIRE(cluster.records[0].evidence.size() == 1);
  CHECK(cluster.records[0].evidence[0].first.block == std::nullopt);
  CHECK(cluster.records[0].evidence[0].second.block == some_block);
  // A third conflicting vote is not reported again; a repeated identical vote is no evidence.
  cluster.run(
      0, cluster.engines[0]->on_vote(cluster.vote(1, 1, 0, VoteType::prevote, keccak256("x")), cluster.now));
  cluster.run(
      0, cluster.engines[0]->on_vote(cluster.vote(1, 1, 0, VoteType::prevote, std::nullopt), cluster.now));
  CHECK(cluster.records[0].evidence.size() == 1);
  CHECK(to_json(cluster.records[0].evidence[0]).contains("second"));
}

TEST_CASE("votes with a bad signature, from a non-validator, or for another chain or height are dropped") {
  Cluster cluster({1, 1, 1, 1});
  cluster.start_all(1);
  auto& engine = *cluster.engines[0];
  Vote forged = cluster.vote(1, 1, 0, VoteType::prevote, std::nullopt);
  forged.signature = cluster.vote(2, 1, 0, VoteType::prevote, std::nullopt).signature;
  CHECK(engine.on_vote(forged, cluster.now).dropped->rule == "invalid-signature");
  Vote outsider = cluster.vote(1, 1, 0, VoteType::prevote, std::nullopt);
  outsider.validator = cluster.consortium.outsider.address;
  CHECK(engine.on_vote(outsider, cluster.now).dropped->rule == "unknown-validator");
  Vote other_chain = cluster.vote(1, 1, 0, VoteType::prevote, std::nullopt);
  other_chain.chain = "another-chain";
  CHECK(engine.on_vote(other_chain, cluster.now).dropped->rule == "wrong-chain");
  CHECK(engine.on_vote(cluster.vote(1, 5, 0, VoteType::prevote, std::nullopt), cluster.now).dropped->rule ==
        "wrong-height");
  CHECK_FALSE(engine.started());  // nothing valid arrived, so the engine still idles
}

TEST_CASE("huge rounds are not stored, but +1/3 of the power in a higher round moves us there (L55)") {
  Cluster cluster({1, 1, 1, 1});
  cluster.start_all(1);
  auto& engine = *cluster.engines[0];
  const std::uint32_t huge = 4'000'000'000u;
  auto outcome = engine.on_vote(cluster.vote(1, 1, huge, VoteType::prevote, std::nullopt), cluster.now);
  CHECK(outcome.dropped->rule == "round-too-far");
  CHECK(engine.round() == 0);  // one validator (1/4) is not enough
  cluster.run(0, engine.on_vote(cluster.vote(2, 1, 5, VoteType::precommit, std::nullopt), cluster.now));
  CHECK(engine.round() == 5);  // validators 1 and 2 (1/2) are in round 5 or beyond
}

// Four validators at height 1: `me` (the one after round 0's proposer) receives the proposal and the
// other three's prevotes for it, so it precommits and locks in round 0.
struct LockedInRoundZero {
  std::size_t me;
  Hash32 first_hash;
  SignState saved;  // the last sign state `me` persisted
};

LockedInRoundZero lock_in_round_zero(Cluster& cluster) {
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  const std::size_t proposer0 = index_of(cluster, cluster.engines[0]->proposer_of(0));
  const std::size_t me = (proposer0 + 1) % 4;
  cluster.run(proposer0, cluster.engines[proposer0]->on_candidates_available(cluster.now));
  const Proposal first = std::get<Proposal>(cluster.records[proposer0].sent.front());
  const Hash32 first_hash = ledger::block_hash(first.block.header);
  cluster.run(me, cluster.engines[me]->on_proposal(first, cluster.now));
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != me)
      cluster.run(me, cluster.engines[me]->on_vote(cluster.vote(i, 1, 0, VoteType::prevote, first_hash),
                                                   cluster.now));
  }
  return {me, first_hash, cluster.records[me].persisted.back()};
}

TEST_CASE("a validator locked on a block prevotes nil on another block proposed without a proof of lock") {
  Cluster cluster({1, 1, 1, 1});
  // Deliver only the proposal to `me`, then three prevotes for it: `me` locks in round 0.
  const auto [me, first_hash, saved] = lock_in_round_zero(cluster);
  auto& engine = *cluster.engines[me];
  REQUIRE(last_vote(cluster.records[me], VoteType::precommit)->block == first_hash);
  CHECK(saved.locked_block == first_hash);
  // Round 1 (others precommitted nil): a different block, fresh (no pol_round), from round 1's proposer.
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != me)
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 0, VoteType::precommit, std::nullopt), cluster.now));
  }
  cluster.fire(me, Step::precommit);
  REQUIRE(engine.round() == 1);
  const std::size_t proposer1 = index_of(cluster, engine.proposer_of(1));
  auto other = node::propose(cluster.apps[me]->store, {cluster.issue(0)}, cluster.now + 1,
                             cluster.keys[proposer1].address());
  REQUIRE(other->block.has_value());
  REQUIRE(other->block->hash != first_hash);
  if (proposer1 != me) {
    cluster.run(
        me, engine.on_proposal(signed_proposal(cluster, proposer1, 1, 1, std::nullopt, other->block->block),
                               cluster.now));
    const auto prevote = last_vote(cluster.records[me], VoteType::prevote);
    CHECK(prevote->round == 1);
    CHECK(prevote->block == std::nullopt);  // L22-27: locked on another value
  }
}

TEST_CASE("a locked validator prevotes a re-proposal whose proof of lock is at or after its lock (L28)") {
  Cluster cluster({1, 1, 1, 1});
  // `me` locks on the first block in round 0.
  [[maybe_unused]] const auto [me, first_hash, saved] = lock_in_round_zero(cluster);
  auto& engine = *cluster.engines[me];
  const std::size_t proposer0 = index_of(cluster, engine.proposer_of(0));
  // Round 1 and 2 pass with nil precommits; a different block B gets a polka in round 1.
  auto other = node::propose(cluster.apps[me]->store, {cluster.issue(0)}, cluster.now + 5,
                             cluster.keys[proposer0].address());
  const Hash32 other_hash = other->block->hash;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != me)
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 0, VoteType::precommit, std::nullopt), cluster.now));
  }
  cluster.fire(me, Step::precommit);
  REQUIRE(engine.round() == 1);
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != me) {
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 1, VoteType::prevote, other_hash), cluster.now));
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 1, VoteType::precommit, std::nullopt), cluster.now));
    }
  }
  cluster.fire(me, Step::precommit);
  REQUIRE(engine.round() == 2);
  const std::size_t proposer2 = index_of(cluster, engine.proposer_of(2));
  if (proposer2 == me) return;  // the schedule made `me` the proposer: nothing to check here
  // B re-proposed in round 2 with pol_round 1 > locked round 0: prevote B despite the lock.
  cluster.run(
      me, engine.on_proposal(signed_proposal(cluster, proposer2, 1, 2, 1, other->block->block), cluster.now));
  auto prevote = last_vote(cluster.records[me], VoteType::prevote);
  CHECK(prevote->round == 2);
  CHECK(prevote->block == other_hash);
}

TEST_CASE("a re-proposal whose proof of lock is older than the lock gets a nil prevote (L28)") {
  Cluster cluster({1, 1, 1, 1});
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  const std::size_t proposer0 = index_of(cluster, cluster.engines[0]->proposer_of(0));
  const std::size_t me = (proposer0 + 1) % 4;
  auto& engine = *cluster.engines[me];
  // Round 0: block B gets a polka that `me` sees only later; `me` prevotes nil (no proposal) and moves on.
  auto block_b = node::propose(cluster.apps[me]->store, {cluster.issue(0)}, cluster.now + 5,
                               cluster.keys[proposer0].address());
  const Hash32 b_hash = block_b->block->hash;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != me) {
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 0, VoteType::prevote, b_hash), cluster.now));
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 0, VoteType::precommit, std::nullopt), cluster.now));
    }
  }
  cluster.fire(me, Step::precommit);
  REQUIRE(engine.round() == 1);
  // Round 1: `me` locks on block A.
  const std::size_t proposer1 = index_of(cluster, engine.proposer_of(1));
  if (proposer1 == me) return;
  auto block_a = node::propose(cluster.apps[me]->store, {cluster.issue(0)}, cluster.now + 9,
                               cluster.keys[proposer1].address());
  const Hash32 a_hash = block_a->block->hash;
  cluster.run(
      me, engine.on_proposal(signed_proposal(cluster, proposer1, 1, 1, std::nullopt, block_a->block->block),
                             cluster.now));
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != me) {
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 1, VoteType::prevote, a_hash), cluster.now));
      cluster.run(me, engine.on_vote(cluster.vote(i, 1, 1, VoteType::precommit, std::nullopt), cluster.now));
    }
  }
  REQUIRE(cluster.records[me].persisted.back().locked_round == 1u);
  cluster.fire(me, Step::precommit);
  REQUIRE(engine.round() == 2);
  const std::size_t proposer2 = index_of(cluster, engine.proposer_of(2));
  if (proposer2 == me) return;
  // B re-proposed with pol_round 0 < locked round 1: nil.
  cluster.run(me, engine.on_proposal(signed_proposal(cluster, proposer2, 1, 2, 0, block_b->block->block),
                                     cluster.now));
  auto prevote = last_vote(cluster.records[me], VoteType::prevote);
  CHECK(prevote->round == 2);
  CHECK(prevote->block == std::nullopt);
}

TEST_CASE("a block further than 10 s ahead of the validator's clock gets a nil prevote") {
  Cluster cluster({1, 1, 1, 1});
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  const std::size_t proposer0 = index_of(cluster, cluster.engines[0]->proposer_of(0));
  const std::size_t me = (proposer0 + 1) % 4;
  auto future = node::propose(cluster.apps[me]->store, {cluster.issue(0)}, cluster.now + 60'000,
                              cluster.keys[proposer0].address());
  cluster.run(
      me, cluster.engines[me]->on_proposal(
              signed_proposal(cluster, proposer0, 1, 0, std::nullopt, future->block->block), cluster.now));
  CHECK(last_vote(cluster.records[me], VoteType::prevote)->block == std::nullopt);
}

TEST_CASE("a block with a forged header field gets a nil prevote") {
  Cluster cluster({1, 1, 1, 1});
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  const std::size_t proposer0 = index_of(cluster, cluster.engines[0]->proposer_of(0));
  const std::size_t me = (proposer0 + 1) % 4;
  auto made = node::propose(cluster.apps[me]->store, {cluster.issue(0)}, cluster.now,
                            cluster.keys[proposer0].address());
  ledger::Block forged = made->block->block;
  forged.header.state_root = keccak256("not the state root");
  cluster.run(me, cluster.engines[me]->on_proposal(
                      signed_proposal(cluster, proposer0, 1, 0, std::nullopt, forged), cluster.now));
  CHECK(last_vote(cluster.records[me], VoteType::prevote)->block == std::nullopt);
}

TEST_CASE("a proposal from a validator that is not the round's proposer is dropped") {
  Cluster cluster({1, 1, 1, 1});
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  const std::size_t proposer0 = index_of(cluster, cluster.engines[0]->proposer_of(0));
  const std::size_t other = (proposer0 + 1) % 4;
  const std::size_t me = (proposer0 + 2) % 4;
  auto made =
      node::propose(cluster.apps[me]->store, {cluster.issue(0)}, cluster.now, cluster.keys[other].address());
  auto outcome = cluster.engines[me]->on_proposal(
      signed_proposal(cluster, other, 1, 0, std::nullopt, made->block->block), cluster.now);
  CHECK(outcome.dropped->rule == "not-proposer");
}

TEST_CASE(
    "a validator re-sends the others' votes of its round and the round before, so a peer left behind can "
    "follow") {
  // Simulator seed 6102: a byzantine validator sent its round-0 precommit to one node only; that node
  // went on to round 1, the rest stayed in round 0 one precommit short. Re-sent votes close the gap.
  Cluster cluster({1, 1, 1, 1});
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  const std::size_t me = 0;
  auto& engine = *cluster.engines[me];
  for (std::size_t i = 1; i < 4; ++i) {
    cluster.run(me, engine.on_vote(cluster.vote(i, 1, 0, VoteType::precommit, std::nullopt), cluster.now));
  }
  cluster.fire(me, Step::precommit);
  REQUIRE(engine.round() == 1);
  cluster.run(me, engine.on_vote(cluster.vote(2, 1, 1, VoteType::prevote, std::nullopt), cluster.now));
  std::set<std::tuple<Address, std::uint32_t, int>> resent;
  for (const auto& action : engine.rebroadcast()) {
    const auto* broadcast = std::get_if<Broadcast>(&action);
    const auto* vote = broadcast ? std::get_if<Vote>(&broadcast->message) : nullptr;
    if (vote && vote->validator != cluster.keys[me].address())
      resent.emplace(vote->validator, vote->round, static_cast<int>(vote->type));
  }
  for (std::size_t i = 1; i < 4; ++i)
    CHECK(resent.count({cluster.keys[i].address(), 0u, static_cast<int>(VoteType::precommit)}) == 1);
  CHECK(resent.count({cluster.keys[2].address(), 1u, static_cast<int>(VoteType::prevote)}) == 1);
  CHECK(resent.size() == 4);
}

TEST_CASE("a restarted validator re-sends its signed messages and never signs below them") {
  Cluster cluster({1, 1, 1, 1});
  const auto [me, first_hash, saved] = lock_in_round_zero(cluster);
  REQUIRE(saved.step == Step::precommit);
  // Through JSON, as the node stores it.
  auto restored = sign_state_from_json(json::read(json::canonical(to_json(saved))).value());
  REQUIRE(restored.ok());
  CHECK(restored->precommit == saved.precommit);
  CHECK(restored->locked_block == first_hash);
  Engine restarted(cluster.genesis.chain, cluster.keys[me], *cluster.apps[me], cluster.timeouts, *restored);
  const auto actions = restarted.start(1, cluster.set(), cluster.now);
  std::vector<Vote> resent;
  for (const auto& action : actions) {
    CHECK_FALSE(std::holds_alternative<Persist>(action));  // nothing new signed
    if (const auto* broadcast = std::get_if<Broadcast>(&action))
      resent.push_back(std::get<Vote>(broadcast->message));
  }
  REQUIRE(resent.size() == 2);
  CHECK(resent[0] == *saved.prevote);
  CHECK(resent[1] == *saved.precommit);
  // A timeout of the same round cannot make it sign a nil precommit now.
  CHECK(restarted.on_timeout(Timeout{1, 0, Step::prevote}, cluster.now).empty());
  CHECK(restarted.step() == Step::precommit);
}

// Height 1 with one transaction at every validator; the validator after round 0's proposer (returned)
// has entered round 0 and waits for the proposal.
std::size_t start_beside_proposer(Cluster& cluster) {
  cluster.give_all(cluster.issue(0));
  cluster.start_all(1);
  const std::size_t me = (index_of(cluster, cluster.engines[0]->proposer_of(0)) + 1) % 4;
  cluster.run(me, cluster.engines[me]->on_candidates_available(cluster.now));
  return me;
}

// Every validator but `me` and `silent` sends `me` a nil vote of `type` in `round` of height 1.
void others_vote_nil(Cluster& cluster, std::size_t me, std::uint32_t round, VoteType type,
                     std::optional<std::size_t> silent = std::nullopt) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i != me && i != silent)
      cluster.run(me,
                  cluster.engines[me]->on_vote(cluster.vote(i, 1, round, type, std::nullopt), cluster.now));
  }
}

TEST_CASE("a validator restarted in round r+1 re-sends its precommit of round r") {
  // Simulator seed 16411: a validator precommitted nil in round 0 (the message lost), moved to round 1,
  // crashed; its peers stayed in round 0 one precommit short, forever.
  Cluster cluster({1, 1, 1, 1});
  const std::size_t me = start_beside_proposer(cluster);
  auto& engine = *cluster.engines[me];
  cluster.fire(me, Step::propose);  // no proposal: prevote nil
  others_vote_nil(cluster, me, 0, VoteType::prevote);
  const auto precommit0 = last_vote(cluster.records[me], VoteType::precommit);
  REQUIRE(precommit0.has_value());
  REQUIRE(precommit0->round == 0);
  others_vote_nil(cluster, me, 0, VoteType::precommit, (me + 1) % 4);  // +2/3 with its own, no decision
  cluster.fire(me, Step::precommit);
  REQUIRE(engine.round() == 1);
  cluster.fire(me, Step::propose);  // prevote nil in round 1
  const SignState saved = cluster.records[me].persisted.back();
  REQUIRE(saved.round == 1);
  REQUIRE(saved.earlier_votes.size() == 2);  // round 0's prevote and precommit
  CHECK(saved.earlier_votes.back() == *precommit0);
  auto restored = sign_state_from_json(json::read(json::canonical(to_json(saved))).value());
  REQUIRE(restored.ok());
  CHECK(restored->earlier_votes == saved.earlier_votes);
  Engine restarted(cluster.genesis.chain, cluster.keys[me], *cluster.apps[me], cluster.timeouts, *restored);
  auto sends_precommit0 = [&](const std::vector<Action>& actions) {
    for (const auto& action : actions) {
      const auto* broadcast = std::get_if<Broadcast>(&action);
      const auto* vote = broadcast ? std::get_if<Vote>(&broadcast->message) : nullptr;
      if (vote && *vote == *precommit0) return true;
    }
    return false;
  };
  CHECK(sends_precommit0(restarted.start(1, cluster.set(), cluster.now)));
  CHECK(sends_precommit0(restarted.rebroadcast()));
  CHECK(restarted.round() == 1);
}

TEST_CASE("the sign state keeps the own votes of the last rounds only, and refuses a forged list") {
  Cluster cluster({1, 1, 1, 1});
  const std::size_t me = start_beside_proposer(cluster);
  auto& engine = *cluster.engines[me];
  // Rounds pass by timeouts with nil votes of the others until round 6.
  while (engine.round() < 6) {
    const std::uint32_t round = engine.round();
    if (engine.proposer_of(round) != cluster.keys[me].address()) cluster.fire(me, Step::propose);
    others_vote_nil(cluster, me, round, VoteType::prevote);
    others_vote_nil(cluster, me, round, VoteType::precommit);
    if (engine.round() == round) cluster.fire(me, Step::precommit);
    REQUIRE(engine.round() == round + 1);
  }
  const SignState saved = engine.sign_state();
  std::set<std::uint32_t> rounds;
  for (const auto& vote : saved.earlier_votes) {
    CHECK(vote.validator == cluster.keys[me].address());
    rounds.insert(vote.round);
  }
  CHECK(rounds == std::set<std::uint32_t>{2, 3, 4});  // kept_rounds - 1 rounds before round 5
  CHECK(saved.round == 5);
  const Json good = to_json(saved);
  REQUIRE(sign_state_from_json(good).ok());
  auto refused = [&](auto&& change) {
    Json forged = good;
    change(forged["earlier_votes"]);
    return sign_state_from_json(forged).problem().rule == "wrong-type";
  };
  CHECK(refused(
      [&](Json& list) { list.push_back(to_json(cluster.vote(me, 1, 5, VoteType::prevote, std::nullopt))); }));
  CHECK(refused(
      [&](Json& list) { list[0] = to_json(cluster.vote(me, 2, 2, VoteType::prevote, std::nullopt)); }));
  CHECK(refused([&](Json& list) {
    list[1] = to_json(cluster.vote((me + 1) % 4, 1, 2, VoteType::precommit, std::nullopt));
  }));
  CHECK(refused([&](Json& list) { std::swap(list[0], list[2]); }));
  CHECK(refused([&](Json& list) { list.push_back(list.back()); }));
  CHECK(refused([&](Json& list) { list = Json::object(); }));
  CHECK(refused([&](Json& list) {
    list.erase(list.begin());
    list.insert(list.begin(), to_json(cluster.vote(me, 1, 1, VoteType::precommit, std::nullopt)));
  }));
}

TEST_CASE("a validator restarted while locked re-proposes its locked block with the proof of lock (L14)") {
  Cluster cluster({1, 1, 1, 1});
  const auto [me, first_hash, saved] = lock_in_round_zero(cluster);
  // Locked in round 0; the sign state keeps the block and its +2/3 prevotes, through JSON.
  REQUIRE(saved.locked_proposal.has_value());
  CHECK(ledger::block_hash(saved.locked_proposal->block.header) == first_hash);
  CHECK(saved.lock_proof.size() == 3);  // the +2/3 seen when it locked
  auto restored = sign_state_from_json(json::read(json::canonical(to_json(saved))).value());
  REQUIRE(restored.ok());
  REQUIRE(restored->locked_proposal.has_value());
  CHECK(restored->lock_proof.size() == 3);
  Json tampered = to_json(saved);
  tampered["lock_proof"][0] = to_json(cluster.vote((me + 1) % 4, 1, 0, VoteType::prevote, std::nullopt));
  CHECK(sign_state_from_json(tampered).problem().rule == "wrong-type");  // a proof for another value
  // A crash: the engine's memory is gone; only the sign state is left.
  cluster.engines[me] = std::make_unique<Engine>(cluster.genesis.chain, cluster.keys[me], *cluster.apps[me],
                                                 cluster.timeouts, *restored);
  cluster.records[me] = NodeRecord{};
  cluster.run(me, cluster.engines[me]->start(1, cluster.set(), cluster.now));
  // Rounds end with nil precommits from the others until it is `me`'s turn to propose.
  auto& engine = *cluster.engines[me];
  while (engine.proposer_of(engine.round()) != cluster.keys[me].address()) {
    const std::uint32_t round = engine.round();
    REQUIRE(round < 8);
    for (std::size_t i = 0; i < 4; ++i) {
      if (i != me)
        cluster.run(
            me, engine.on_vote(cluster.vote(i, 1, round, VoteType::precommit, std::nullopt), cluster.now));
    }
    if (engine.round() == round) cluster.fire(me, Step::precommit);
    REQUIRE(engine.round() == round + 1);
  }
  std::optional<Proposal> proposed;
  for (const auto& message : cluster.records[me].sent) {
    if (const auto* proposal = std::get_if<Proposal>(&message); proposal && proposal->round == engine.round())
      proposed = *proposal;
  }
  REQUIRE(proposed.has_value());
  CHECK(ledger::block_hash(proposed->block.header) == first_hash);  // validValue, not a fresh block
  CHECK(proposed->pol_round == 0u);
  // And the proof goes out with it, for peers that never saw round 0's prevotes.
  std::size_t proof_sent = 0;
  for (const auto& action : engine.rebroadcast()) {
    const auto* broadcast = std::get_if<Broadcast>(&action);
    const auto* vote = broadcast ? std::get_if<Vote>(&broadcast->message) : nullptr;
    if (vote && vote->round == 0 && vote->type == VoteType::prevote && vote->block == first_hash)
      ++proof_sent;
  }
  CHECK(proof_sent >= 3);
}

TEST_CASE("votes, proposals and the sign state round-trip through JSON; hostile input is refused") {
  Cluster cluster({1});
  cluster.apps[0]->pool.push_back(cluster.issue(0));
  cluster.start_all(1);
  cluster.run(0, cluster.engines[0]->on_candidates_available(cluster.now));
  const Proposal proposal = std::get<Proposal>(cluster.records[0].sent[0]);
  const Vote vote = std::get<Vote>(cluster.records[0].sent[1]);
  auto vote_back = parse_vote(json::canonical(to_json(vote)));
  REQUIRE(vote_back.ok());
  CHECK(*vote_back == vote);
  auto proposal_back = parse_proposal(json::canonical(to_json(proposal)));
  REQUIRE(proposal_back.ok());
  CHECK(ledger::block_hash(proposal_back->block.header) == ledger::block_hash(proposal.block.header));
  CHECK(proposal_back->block.transactions == proposal.block.transactions);
  CHECK(proposal_back->signature == proposal.signature);

  Json extra = to_json(vote);
  extra["extra"] = 1u;
  CHECK(vote_from_json(extra).problem().rule == "wrong-type");
  Json negative = to_json(vote);
  negative["round"] = -1;
  CHECK(vote_from_json(negative).problem().rule == "wrong-type");
  Json huge_round = to_json(vote);
  huge_round["round"] = std::uint64_t{1} << 40;
  CHECK(vote_from_json(huge_round).problem().rule == "wrong-type");
  Json bad_type = to_json(vote);
  bad_type["type"] = "commit";
  CHECK(vote_from_json(bad_type).problem().rule == "wrong-type");
  CHECK(parse_vote("{\"chain\":").problem().rule == "malformed-json");
  CHECK(parse_vote(std::string(200, '[') + std::string(200, ']')).problem().rule == "too-deep");
  CHECK(parse_proposal("[]").problem().rule == "wrong-type");
  Json no_block = to_json(proposal);
  no_block.erase("block");
  CHECK(proposal_from_json(no_block).problem().rule == "wrong-type");
  CHECK(sign_state_from_json(Json{{"height", 1u}, {"round", 0u}, {"step", "sideways"}}).problem().rule ==
        "wrong-type");
}

}  // namespace onebill::consensus::test
