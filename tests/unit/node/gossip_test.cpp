// node/gossip: what peers say to each other, parsed as the untrusted input it is.
#include <doctest/doctest.h>

#include "node/gossip.h"
#include "node/peer_link.h"

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
