// node/node: where the sign state goes (DESIGN §5, persist before send): durable before a signed message
// leaves the process, the proposal apart from the votes and written once, and for a validator with no
// peers in the block's own synced batch.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node/local_keys.h"
#include "node/node.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using namespace onebill;
using node::Node;
using node::test::Chain;

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
    }
    return target_.write(batch, sync);
  }
  int synced_writes = 0;
  int proposal_writes = 0;

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

TEST_CASE("a validator with peers makes its proposal durable once, apart from its votes, before sending") {
  Chain chain;
  ledger::MemoryStore memory;
  auto store = std::make_unique<CountingStore>(memory);
  CountingStore& counting = *store;
  auto node = Node::open(std::move(store), chain.genesis, chain.validator, node::NodeOptions{});
  REQUIRE(node.ok());
  std::vector<bool> durable_when_sent;  // per signed message sent: was its proposal stored by then
  (*node)->attach_network(
      [&](const std::string& message) {
        if (message.starts_with("{\"proposal\"") || message.starts_with("{\"vote\""))
          durable_when_sent.push_back(stored(memory, node::sign_proposal_key));
      },
      [](const Address&, const std::string&) {});
  REQUIRE(!(*node)->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
  auto height = (*node)->produce_block(block_time_ms);
  REQUIRE(height.ok());
  REQUIRE(*height == std::optional<std::uint64_t>(1));
  REQUIRE(durable_when_sent.size() >= 3);  // proposal, prevote, precommit
  for (bool durable : durable_when_sent) CHECK(durable);
  CHECK(counting.proposal_writes == 1);
  auto state = memory.get(node::sign_state_key);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((**state).find("\"proposal\"") == std::string::npos);  // the votes' writes leave it out
}
