// The in-memory Store, the Overlay over a Store, and the genesis document.
#include <doctest/doctest.h>

#include "ledger/execution.h"
#include "ledger/genesis.h"
#include "ledger/memory_store.h"
#include "tests/unit/ledger/fixture.h"

using onebill::json::Json;
namespace ledger = onebill::ledger;

namespace {
std::vector<std::pair<std::string, std::string>> scan_all(const ledger::Store& store, std::string_view prefix,
                                                          std::string_view from = {}) {
  std::vector<std::pair<std::string, std::string>> out;
  REQUIRE(store
              .scan(prefix, from,
                    [&](std::string_view k, std::string_view v) {
                      out.emplace_back(std::string(k), std::string(v));
                      return true;
                    })
              .ok());
  return out;
}
}  // namespace

TEST_CASE("a crash of the memory store drops unsynced batches and keeps synced ones") {
  ledger::MemoryStore store;
  ledger::WriteBatch first;
  first.put("a", "1");
  REQUIRE(store.write(first, false).ok());
  ledger::WriteBatch second;
  second.put("b", "2");
  REQUIRE(store.write(second, true).ok());  // makes the earlier unsynced batch durable too
  ledger::WriteBatch third;
  third.put("c", "3");
  third.erase("a");
  REQUIRE(store.write(third, false).ok());
  CHECK(store.get("c").value() == "3");
  CHECK_FALSE(store.get("a").value().has_value());
  store.crash();
  CHECK(store.get("a").value() == "1");
  CHECK(store.get("b").value() == "2");
  CHECK_FALSE(store.get("c").value().has_value());
}

TEST_CASE("a failing memory store refuses writes as a local fault and changes nothing") {
  ledger::MemoryStore store;
  store.fail_writes(true);
  ledger::WriteBatch batch;
  batch.put("a", "1");
  auto status = store.write(batch, true);
  REQUIRE_FALSE(status.ok());
  CHECK(status.problem().kind == onebill::ProblemKind::local_fault);
  CHECK(store.contents().empty());
}

TEST_CASE("an overlay reads through to its base and sees its own writes and deletes in scans") {
  ledger::MemoryStore store;
  ledger::WriteBatch batch;
  for (const char* key : {"p/1", "p/3", "p/5", "q/1"}) batch.put(key, std::string("base") + key);
  REQUIRE(store.write(batch, true).ok());
  ledger::Overlay overlay(store);
  overlay.put("p/2", "new2");
  overlay.put("p/3", "new3");
  overlay.erase("p/5");
  overlay.put("p/6", "new6");
  CHECK(overlay.get("p/1").value() == "basep/1");
  CHECK(overlay.get("p/3").value() == "new3");
  CHECK_FALSE(overlay.get("p/5").value().has_value());
  const auto all = scan_all(overlay, "p/");
  REQUIRE(all.size() == 4);
  CHECK(all[0].first == "p/1");
  CHECK(all[1] == std::pair<std::string, std::string>{"p/2", "new2"});
  CHECK(all[2] == std::pair<std::string, std::string>{"p/3", "new3"});
  CHECK(all[3].first == "p/6");
  const auto from = scan_all(overlay, "p/", "p/3");
  REQUIRE(from.size() == 2);
  CHECK(from[0].first == "p/3");
  // The base is untouched.
  CHECK(store.get("p/3").value() == "basep/3");
  // Stopping early stops.
  int visited = 0;
  REQUIRE(overlay.scan("p/", {}, [&](std::string_view, std::string_view) { return ++visited < 2; }).ok());
  CHECK(visited == 2);
}

TEST_CASE("a child overlay merges into its parent only when asked") {
  ledger::MemoryStore store;
  ledger::Overlay parent(store);
  parent.put("k", "parent");
  {
    ledger::Overlay child(parent);  // layered over the parent, not a copy
    CHECK(child.get("k").value() == "parent");
    child.put("k", "child");
    CHECK(parent.get("k").value() == "parent");
  }
  CHECK(parent.get("k").value() == "parent");
  ledger::Overlay child(parent);
  child.put("k", "child");
  child.erase("gone");
  child.merge_into(parent);
  CHECK(parent.get("k").value() == "child");
  CHECK(parent.writes().size() == 2);
}

TEST_CASE("the genesis document round-trips and its state root ignores address case") {
  onebill::test::Consortium c;
  const std::string text = ledger::genesis_jcs(c.genesis);
  auto parsed = ledger::parse_genesis(text);
  REQUIRE(parsed.ok());
  CHECK(ledger::genesis_jcs(*parsed) == text);
  Json lower = Json::parse(text);
  for (auto& participant : lower["participants"]) {
    std::string address = participant["address"];
    for (char& ch : address) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    participant["address"] = address;
  }
  auto from_lower = ledger::parse_genesis(lower.dump());
  REQUIRE(from_lower.ok());
  CHECK(ledger::genesis_state_root(*from_lower) == ledger::genesis_state_root(c.genesis));
}

TEST_CASE("a malformed genesis is refused with the rule it breaks") {
  onebill::test::Consortium c;
  const Json good = ledger::to_json(c.genesis);
  auto rule_of = [](const Json& json) {
    auto parsed = ledger::genesis_from_json(json);
    return parsed.ok() ? std::string("ok") : parsed.problem().rule;
  };
  CHECK(rule_of(good) == "ok");
  Json bad = good;
  bad["chain"] = "Bad Chain";
  CHECK(rule_of(bad) == "wrong-chain");
  bad = good;
  bad["rules_version"] = 2u;
  CHECK(rule_of(bad) == "invalid-body");
  bad = good;
  bad["extra"] = true;
  CHECK(rule_of(bad) == "unknown-field");
  bad = good;
  bad["participants"][1]["domain"] = "ADMIN.onebill.test";
  CHECK(rule_of(bad) == "domain-used");
  bad = good;
  bad["validators"] = Json::array();
  CHECK(rule_of(bad) == "invalid-body");
  bad = good;
  bad["validators"][0]["consensus_key"] = "0x1234";
  CHECK(rule_of(bad) == "invalid-body");
  bad = good;
  for (auto& participant : bad["participants"]) participant["roles"] = Json::array({"TRADER"});
  CHECK(rule_of(bad) == "invalid-body");
  CHECK(ledger::parse_genesis("{\"chain\":1,").problem().rule == "malformed-json");
}
