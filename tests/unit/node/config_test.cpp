// node/config.h: a node's config.json (DESIGN §7).
#include <doctest/doctest.h>

#include "node/config.h"

namespace onebill::node {

TEST_CASE("consensus timeouts in a config are optional, bounded, and written back only when set") {
  auto plain = config_from_json(json::Json::object());
  REQUIRE(plain.ok());
  CHECK(!plain->timeout_propose_ms);
  CHECK(!to_json(*plain).contains("timeout_propose_ms"));

  auto shortened = config_from_json(
      json::Json{{"timeout_propose_ms", 400u}, {"timeout_vote_ms", 200u}, {"timeout_delta_ms", 100u}});
  REQUIRE(shortened.ok());
  CHECK(*shortened->timeout_propose_ms == 400);
  CHECK(*shortened->timeout_vote_ms == 200);
  CHECK(*shortened->timeout_delta_ms == 100);
  CHECK(to_json(*shortened)["timeout_vote_ms"] == 200u);

  for (const auto* name : {"timeout_propose_ms", "timeout_vote_ms", "timeout_delta_ms"}) {
    CHECK(config_from_json(json::Json{{name, 0u}}).problem().rule == "config");
    CHECK(config_from_json(json::Json{{name, max_timeout_ms + 1}}).problem().rule == "config");
    CHECK(config_from_json(json::Json{{name, "400"}}).problem().rule == "config");
  }
}

}  // namespace onebill::node
