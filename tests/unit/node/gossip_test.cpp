// node/gossip: what peers say to each other, parsed as the untrusted input it is.
#include <doctest/doctest.h>

#include "node/gossip.h"
#include "node/peer_link.h"
#include "tests/unit/node/chain_fixture.h"

using namespace onebill;
using node::parse_gossip;

TEST_CASE("peer messages round-trip through their wire text") {
  auto status = parse_gossip(node::gossip_text(node::GossipStatus{42}));
  REQUIRE(status.ok());
  CHECK(std::get<node::GossipStatus>(*status).height == 42);
  auto request = parse_gossip(node::gossip_text(node::GossipGetBlocks{7, 32}));
  REQUIRE(request.ok());
  CHECK(std::get<node::GossipGetBlocks>(*request).from == 7);
  CHECK(std::get<node::GossipGetBlocks>(*request).count == 32);
}

TEST_CASE("a malformed peer message is refused with its rule, never half-read") {
  const std::pair<const char*, const char*> cases[] = {
      {"", "malformed-json"},
      {"[1]", "wrong-type"},
      {"{}", "wrong-type"},
      {R"({"status":{"height":1},"vote":{}})", "wrong-type"},
      {R"({"hello":1})", "wrong-type"},
      {R"({"tx":1})", "wrong-type"},
      {R"({"status":{"height":-1}})", "wrong-type"},
      {R"({"status":{"height":1,"extra":2}})", "wrong-type"},
      {R"({"get_blocks":{"from":1,"count":0}})", "wrong-type"},
      {R"({"get_blocks":{"from":1,"count":33}})", "wrong-type"},
      {R"({"status":{"height":1},"status":{"height":2}})", "duplicate-key"},
      {R"({"block":{"block":{},"commit":{}}})", nullptr},
      {R"({"vote":{"chain":"c"}})", nullptr},
  };
  for (const auto& [text, rule] : cases) {
    auto parsed = parse_gossip(text);
    CHECK_MESSAGE(!parsed.ok(), text);
    if (!parsed.ok() && rule != nullptr) CHECK_MESSAGE(parsed.problem().rule == rule, text);
  }
  std::string deep(100, '[');
  CHECK(parse_gossip(deep).problem().rule == "too-deep");
  std::string huge = R"({"tx":")" + std::string(node::PeerLink::max_frame_bytes, 'a') + R"("})";
  CHECK(parse_gossip(huge).problem().rule == "too-large");
}

TEST_CASE(
    "a proposal's and a synced block's gossip text is the canonical JSON, the block's texts spliced in") {
  node::test::Chain chain;
  auto store = chain.genesis_store();
  auto builder = ledger::BlockBuilder::start(store, 1'700'000'100'000);
  REQUIRE(builder.ok());
  REQUIRE(builder->add(chain.issue("b1", 0)).ok());
  REQUIRE(builder->add(chain.issue("b2", 1)).ok());
  auto finished = builder->finish(chain.validator.address());
  REQUIRE(finished.ok());
  const ledger::Block& block = finished->first;
  for (const std::optional<std::uint32_t> pol_round :
       {std::optional<std::uint32_t>{}, std::optional<std::uint32_t>{0}}) {
    consensus::Proposal proposal{block.header.chain, 1, 2, pol_round, block, chain.validator.address(), {}};
    proposal.signature[0] = 7;
    CHECK(consensus::proposal_jcs(proposal) == json::canonical(consensus::to_json(proposal)));
    const std::string text = node::gossip_text(proposal);
    CHECK(text == json::canonical(json::Json{{"proposal", consensus::to_json(proposal)}}));
    auto parsed = parse_gossip(text);
    REQUIRE(parsed.ok());
    const auto& back = std::get<consensus::Proposal>(*parsed);
    CHECK(back.block.transactions == block.transactions);
    CHECK(back.pol_round == pol_round);
    CHECK(back.signature == proposal.signature);
  }
  const ledger::Commit commit{1, 0, ledger::block_hash(block.header), {}};
  const std::string synced = node::gossip_text(node::GossipBlock{block, commit});
  CHECK(synced == json::canonical(json::Json{
                      {"block", {{"block", ledger::to_json(block)}, {"commit", ledger::to_json(commit)}}}}));
  auto parsed = parse_gossip(synced);
  REQUIRE(parsed.ok());
  CHECK(std::get<node::GossipBlock>(*parsed).block.transactions == block.transactions);
}
