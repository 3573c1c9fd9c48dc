// node/block_producer and node/node: blocks from the mempool through propose -> execute -> vote ->
// commit, one synced batch per block, no empty blocks, resuming at the stored head, replay.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "ledger/keys.h"
#include "node/gossip.h"
#include "node/leveldb_store.h"
#include "node/node.h"
#include "node/replay.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using namespace onebill;
using node::Node;
using node::test::Chain;
namespace fs = std::filesystem;

constexpr std::uint64_t block_time_ms = 1'700'000'100'000;

std::unique_ptr<Node> open_node(const Chain& chain, std::unique_ptr<ledger::Store> store,
                                node::NodeOptions options = {}) {
  auto node = Node::open(std::move(store), chain.genesis, chain.validator, std::move(options));
  REQUIRE_MESSAGE(node.ok(), (node.ok() ? "" : node.problem().detail));
  return std::move(*node);
}

std::unique_ptr<Node> open_memory_node(const Chain& chain) {
  return open_node(chain, std::make_unique<ledger::MemoryStore>());
}

// A Store that forwards to a MemoryStore the test keeps, so a node can be closed and reopened on it.
class SharedStore final : public ledger::Store {
 public:
  explicit SharedStore(ledger::MemoryStore& target) : target_(target) {}
  Result<std::optional<std::string>> get(std::string_view key) const override { return target_.get(key); }
  Status scan(std::string_view prefix, std::string_view from,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    return target_.scan(prefix, from, visit);
  }
  Status write(const ledger::WriteBatch& batch, bool sync) override { return target_.write(batch, sync); }

 private:
  ledger::MemoryStore& target_;
};

// Submits the carrier's first bill.issue to `node` and commits it in block 1; returns its wire object.
json::Json commit_first_issue(const Chain& chain, Node& node) {
  auto wire = chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0);
  REQUIRE(!node.submit(wire).problem);
  REQUIRE(node.produce_block(block_time_ms).ok());
  return wire;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("onebill-node-test-" + std::to_string(::getpid()));
  TempDir() { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE(
    "a block holds the pending transactions, signed by the one validator and committed in one synced batch") {
  Chain chain;
  ledger::MemoryStore memory;
  auto node = open_node(chain, std::make_unique<SharedStore>(memory));
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    const auto outcome = node->submit(
        chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body(std::to_string(nonce)), nonce));
    REQUIRE(!outcome.problem.has_value());
  }
  CHECK(node->mempool_size() == 3);
  auto height = node->produce_block(block_time_ms);
  REQUIRE(height.ok());
  CHECK(*height == std::optional<std::uint64_t>(1));
  CHECK(node->mempool_size() == 0);
  CHECK(memory.unsynced_batches() == 0);

  const ledger::Ledger ledger(memory);
  auto block = ledger.block(1);
  REQUIRE(block.ok());
  REQUIRE(block->has_value());
  CHECK((*block)->transactions.size() == 3);
  CHECK((*block)->header.proposer == chain.validator.address());
  auto commit = ledger.commit(1);
  REQUIRE(commit.ok());
  REQUIRE(commit->has_value());
  CHECK((*commit)->block_hash == ledger::block_hash((*block)->header));
  CHECK(ledger::verify_commit(chain.genesis.chain, **commit, chain.genesis.validators).ok());
  CHECK(node->head().height == 1);
  CHECK(node->head().block_hash == (*commit)->block_hash);
}

TEST_CASE("no block is made when nothing is pending") {
  Chain chain;
  auto node = open_memory_node(chain);
  auto height = node->produce_block(block_time_ms);
  REQUIRE(height.ok());
  CHECK(!height->has_value());
  CHECK(node->head().height == 0);
}

TEST_CASE("a committed transaction reports its height, index and block hash") {
  Chain chain;
  auto node = open_memory_node(chain);
  const auto outcome = node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0));
  REQUIRE(outcome.id.has_value());
  auto pending = node->tx_status(*outcome.id);
  REQUIRE(pending.ok());
  CHECK(pending->state == node::TxStatus::State::pending);
  REQUIRE(node->produce_block(block_time_ms).ok());
  auto committed = node->tx_status(*outcome.id);
  REQUIRE(committed.ok());
  CHECK(committed->state == node::TxStatus::State::committed);
  CHECK(committed->height == 1);
  CHECK(committed->index == 0);
  CHECK(committed->block_hash == node->head().block_hash);
}

TEST_CASE("a replayed transaction is refused with nonce-used and changes nothing") {
  Chain chain;
  auto node = open_memory_node(chain);
  const auto wire = commit_first_issue(chain, *node);
  const auto replay = node->submit(wire);
  REQUIRE(replay.problem.has_value());
  CHECK(replay.problem->rule == "nonce-used");
  CHECK(node->mempool_size() == 0);
  auto status = node->tx_status(*replay.id);
  REQUIRE(status.ok());
  CHECK(status->state == node::TxStatus::State::committed);  // committed wins over the later refusal
}

TEST_CASE("a peer's copy of a transaction already committed is dropped without a refusal or a recovery") {
  Chain chain;
  auto node = open_memory_node(chain);
  const auto wire = commit_first_issue(chain, *node);
  // Linked after the commit, as a peer whose gossip arrives after the block that holds the transaction.
  node->attach_network([](const std::string&) {}, [](const Address&, const std::string&) {});
  auto parsed = ledger::parse_transaction(wire, chain.genesis.chain);
  REQUIRE(parsed.ok());
  REQUIRE(node->receive(node::test::key_of("peer").address(), node::gossip_text(*parsed)).ok());
  CHECK(node->refusal_counts().empty());  // a submission of it would be refused: nonce-used
  CHECK(node->mempool_size() == 0);
}

TEST_CASE("a worker lowered for an admission reads at its former priority again, where the process may") {
  Chain chain;
  auto node = open_memory_node(chain);
  // A validator with peers: admission runs below the consensus thread.
  node->attach_network([](const std::string&) {}, [](const Address&, const std::string&) {});
  const auto tid = [] { return static_cast<id_t>(::gettid()); };
  bool may_raise = false;  // whether this process may lower a thread's nice value again
  std::thread([&] {
    const int base = ::getpriority(PRIO_PROCESS, tid());
    may_raise =
        ::setpriority(PRIO_PROCESS, tid(), base + 1) == 0 && ::setpriority(PRIO_PROCESS, tid(), base) == 0;
  }).join();
  int base = 0, admitting = 0, reading = 0;
  std::optional<Problem> refused;
  std::thread worker([&] {
    base = ::getpriority(PRIO_PROCESS, tid());
    refused = node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem;
    admitting = ::getpriority(PRIO_PROCESS, tid());
    node->read([](const ledger::Store&, const ledger::Head&) { return 0; });
    reading = ::getpriority(PRIO_PROCESS, tid());
  });
  worker.join();
  CHECK(!refused);
  CHECK(admitting >= std::max(base, 5));
  CHECK(reading == (may_raise ? base : admitting));
}

TEST_CASE("a signature that does not recover the sender is refused with signer-mismatch") {
  Chain chain;
  auto node = open_memory_node(chain);
  auto wire = chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0);
  const auto other = chain.signed_wire(chain.shipper, "bill.issue", chain.issue_body("a"), 0);
  wire["sig"] = other["sig"];
  const auto outcome = node->submit(wire);
  REQUIRE(outcome.problem.has_value());
  CHECK(outcome.problem->rule == "signer-mismatch");
  auto status = node->tx_status(*outcome.id);
  REQUIRE(status.ok());
  CHECK(status->state == node::TxStatus::State::refused);
}

TEST_CASE("a batch's transactions are judged as if submitted one by one, in order") {
  Chain chain;
  auto bad_sig = chain.signed_wire(chain.shipper, "bill.issue", chain.issue_body("s"), 0);
  bad_sig["sig"] = chain.signed_wire(chain.bank, "bill.issue", chain.issue_body("s"), 0)["sig"];
  const json::Json batch = json::Json::array({
      chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0),
      chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("b"), 1),
      chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0),           // again: pending
      json::Json::object(),                                                               // not a transaction
      bad_sig, chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("c"), 3),  // skips nonce 2
      chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("d"), 2),
      chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 3),  // bill a exists
  });
  auto batched = open_memory_node(chain);
  const auto outcomes = batched->submit_all(batch);
  auto one_by_one = open_memory_node(chain);
  REQUIRE(outcomes.size() == batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    CAPTURE(i);
    const auto single = one_by_one->submit(batch[i]);
    CHECK(outcomes[i].id == single.id);
    CHECK(outcomes[i].already_pending == single.already_pending);
    REQUIRE(outcomes[i].problem.has_value() == single.problem.has_value());
    if (single.problem) CHECK(outcomes[i].problem->rule == single.problem->rule);
  }
  auto rule = [&](std::size_t i) {
    return outcomes[i].problem ? outcomes[i].problem->rule : std::string("-");
  };
  CHECK(rule(0) == "-");
  CHECK(rule(1) == "-");
  CHECK(outcomes[2].already_pending);
  CHECK(!outcomes[3].id.has_value());
  CHECK(rule(4) == "signer-mismatch");
  CHECK(rule(5) == "nonce-gap");
  CHECK(rule(6) == "-");
  CHECK(rule(7) != "-");
  CHECK(batched->mempool_size() == 3);
  CHECK(one_by_one->mempool_size() == 3);
  REQUIRE(batched->produce_block(block_time_ms).ok());
  CHECK(batched->head().height == 1);
  CHECK(batched->mempool_size() == 0);
}

TEST_CASE("a client's submission waits while the pool is full to its room, until a commit's re-check") {
  Chain chain;
  node::NodeOptions options;
  options.admission_room = 1;
  options.admission_wait_ms = 60'000;
  auto node = open_node(chain, std::make_unique<ledger::MemoryStore>(), options);
  REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
  std::atomic<bool> answered{false};
  node::SubmitOutcome second;
  std::thread client([&] {
    second = node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("b"), 1));
    answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(answered.load());  // the pool holds its room: the second waits, unjudged
  CHECK(node->mempool_size() == 1);
  REQUIRE(node->produce_block(block_time_ms).ok());  // commits the first, re-checks: room again
  client.join();
  CHECK(!second.problem);
  CHECK(node->mempool_size() == 1);
}

TEST_CASE("a client's submission waits for room at most admission_wait_ms, then is judged") {
  Chain chain;
  node::NodeOptions options;
  options.admission_room = 1;
  options.admission_wait_ms = 10;
  auto node = open_node(chain, std::make_unique<ledger::MemoryStore>(), options);
  REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
  CHECK(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("b"), 1)).problem);
  CHECK(node->mempool_size() == 2);
}

TEST_CASE("a proposal leaves out a transaction that does not apply and its sender's later ones") {
  Chain chain;
  auto store = chain.genesis_store();
  const std::vector<ledger::Transaction> candidates = {
      chain.issue("gap", 1), chain.issue("after", 2),
      chain.tx(chain.shipper, "bill.issue", chain.issue_body("s"), 0), chain.issue("x", 0)};
  auto proposal = node::propose(store, candidates, block_time_ms, chain.validator.address());
  REQUIRE(proposal.ok());
  REQUIRE(proposal->refused.size() == 4);
  CHECK(proposal->refused[0].problem.rule == "nonce-gap");
  CHECK(proposal->refused[1].problem.rule == "evicted");
  CHECK(proposal->refused[2].problem.rule == "not-permitted");
  // The carrier's nonce 0 comes after its refused ones: its sender is already broken in this proposal.
  CHECK(proposal->refused[3].problem.rule == "evicted");
  CHECK(!proposal->block.has_value());
}

TEST_CASE("a proposed block re-executes to the same state root, and the commit verifies") {
  Chain chain;
  auto store = chain.genesis_store();
  auto proposal = node::propose(store, {chain.issue("a", 0), chain.issue("b", 1)}, block_time_ms,
                                chain.validator.address());
  REQUIRE(proposal.ok());
  REQUIRE(proposal->block.has_value());
  const auto& proposed = *proposal->block;
  auto executed = node::execute(store, proposed.block);
  REQUIRE(executed.ok());
  CHECK(executed->state_root == proposed.block.header.state_root);
  auto identity = node::find_validator(chain.validator, chain.genesis.validators);
  REQUIRE(identity.has_value());
  const ledger::Commit commit{
      1, 0, proposed.hash, {node::vote(*identity, chain.genesis.chain, 1, 0, proposed.hash)}};
  REQUIRE(node::commit(store, proposed.block, *executed, commit, chain.genesis.validators).ok());
  CHECK(store.unsynced_batches() == 0);
  auto head = ledger::Ledger(store).head();
  REQUIRE(head.ok());
  CHECK((*head)->height == 1);
  CHECK((*head)->state_root == proposed.block.header.state_root);
}

TEST_CASE("a restarted node resumes at its stored head") {
  Chain chain;
  TempDir dir;
  {
    auto store = node::LevelDbStore::open(dir.path.string());
    REQUIRE(store.ok());
    auto node = open_node(chain, std::move(*store));
    REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
    REQUIRE(node->produce_block(block_time_ms).ok());
    REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("b"), 1)).problem);
    REQUIRE(node->produce_block(block_time_ms + 1000).ok());
    CHECK(node->head().height == 2);
  }
  auto store = node::LevelDbStore::open(dir.path.string());
  REQUIRE(store.ok());
  auto node = open_node(chain, std::move(*store));
  CHECK(node->head().height == 2);
  REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("c"), 2)).problem);
  auto height = node->produce_block(block_time_ms + 2000);
  REQUIRE(height.ok());
  CHECK(*height == std::optional<std::uint64_t>(3));
}

TEST_CASE("a stored head that does not match its block is refused at start") {
  Chain chain;
  ledger::MemoryStore memory;
  {
    auto node = open_node(chain, std::make_unique<SharedStore>(memory));
    REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
    REQUIRE(node->produce_block(block_time_ms).ok());
  }
  auto head = ledger::Ledger(memory).head();
  REQUIRE(head.ok());
  ledger::Head damaged = **head;
  damaged.state_root[0] ^= 1;
  ledger::WriteBatch batch;
  batch.put(std::string(ledger::keys::head), json::canonical(ledger::to_json(damaged)));
  REQUIRE(memory.write(batch, true).ok());
  auto reopened = Node::open(std::make_unique<SharedStore>(memory), chain.genesis, chain.validator, {});
  REQUIRE(!reopened.ok());
  CHECK(reopened.problem().rule == "storage");
  CHECK(reopened.problem().kind == ProblemKind::local_fault);
}

TEST_CASE("a store made from another genesis is refused at start") {
  Chain chain;
  ledger::MemoryStore memory;
  { open_node(chain, std::make_unique<SharedStore>(memory)); }
  Chain other;
  other.genesis.chain = "onebill-other";
  auto reopened = Node::open(std::make_unique<SharedStore>(memory), other.genesis, other.validator, {});
  REQUIRE(!reopened.ok());
  CHECK(reopened.problem().rule == "config");
}

TEST_CASE("a validator key outside the validator set is refused") {
  Chain chain;
  auto node = Node::open(std::make_unique<ledger::MemoryStore>(), chain.genesis, chain.admin, {});
  REQUIRE(!node.ok());
  CHECK(node.problem().rule == "config");
}

TEST_CASE("the stored database equals a replay of its blocks, and a changed key is found") {
  Chain chain;
  ledger::MemoryStore memory;
  {
    auto node = open_node(chain, std::make_unique<SharedStore>(memory));
    for (std::uint64_t nonce = 0; nonce < 4; ++nonce) {
      REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue",
                                              chain.issue_body(std::to_string(nonce)), nonce))
                   .problem);
      REQUIRE(node->produce_block(block_time_ms + nonce * 1000).ok());
    }
  }
  auto report = node::verify_replay(memory, chain.genesis);
  REQUIRE(report.ok());
  CHECK(report->equal);
  CHECK(report->height == 4);
  CHECK(report->transactions == 4);
  CHECK(report->first_difference.empty());

  ledger::WriteBatch tamper;
  tamper.put(ledger::keys::account_key(chain.shipper.address()), "7");
  REQUIRE(memory.write(tamper, true).ok());
  auto tampered = node::verify_replay(memory, chain.genesis);
  REQUIRE(tampered.ok());
  CHECK(!tampered->equal);
  CHECK(!tampered->first_difference.empty());
}

TEST_CASE("the producer thread makes blocks while transactions wait, and none when idle") {
  Chain chain;
  auto node = Node::open(std::make_unique<ledger::MemoryStore>(), chain.genesis, chain.validator,
                         node::NodeOptions{.block_interval_ms = 10, .mempool = {}, .timeouts = {}});
  REQUIRE(node.ok());
  (*node)->start();
  const auto outcome =
      (*node)->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0));
  REQUIRE(outcome.id.has_value());
  auto status = (*node)->wait_for_outcome(*outcome.id, std::chrono::milliseconds(5000));
  REQUIRE(status.ok());
  CHECK(status->state == node::TxStatus::State::committed);
  const auto height = (*node)->head().height;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK((*node)->head().height == height);
  (*node)->stop();
}

TEST_CASE(
    "the single validator runs the consensus engine: its sign state is stored, and a restart signs above "
    "it") {
  Chain chain;
  ledger::MemoryStore memory;
  auto sign_state_height = [&] {
    auto saved = memory.get(node::sign_state_key);
    REQUIRE(saved.ok());
    REQUIRE(saved->has_value());
    auto parsed = json::read(**saved);
    REQUIRE(parsed.ok());
    auto state = consensus::sign_state_from_json(*parsed);
    REQUIRE(state.ok());
    CHECK(state->step == consensus::Step::precommit);
    return state->height;
  };
  {
    auto node = open_node(chain, std::make_unique<SharedStore>(memory));
    REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("a"), 0)).problem);
    REQUIRE(node->produce_block(block_time_ms).ok());
    CHECK(sign_state_height() == 1);
  }
  auto node = open_node(chain, std::make_unique<SharedStore>(memory));
  REQUIRE(!node->submit(chain.signed_wire(chain.carrier, "bill.issue", chain.issue_body("b"), 1)).problem);
  auto height = node->produce_block(block_time_ms + 1000);
  REQUIRE(height.ok());
  CHECK(*height == std::optional<std::uint64_t>(2));
  CHECK(sign_state_height() == 2);
  // The node's own records are not state: a replay of the blocks still equals the store.
  auto report = node::verify_replay(memory, chain.genesis);
  REQUIRE(report.ok());
  CHECK(report->equal);
}

TEST_CASE("a damaged sign state is refused at start rather than risking a second signature") {
  Chain chain;
  ledger::MemoryStore memory;
  { open_node(chain, std::make_unique<SharedStore>(memory)); }
  ledger::WriteBatch batch;
  batch.put(std::string(node::sign_state_key), "{\"height\":");
  REQUIRE(memory.write(batch, true).ok());
  auto reopened = Node::open(std::make_unique<SharedStore>(memory), chain.genesis, chain.validator, {});
  REQUIRE(!reopened.ok());
  CHECK(reopened.problem().rule == "storage");
}

TEST_CASE(
    "evidence kept by the node pages in chain order with an opaque cursor; a foreign cursor is refused") {
  Chain chain;
  ledger::MemoryStore memory;
  auto node = open_node(chain, std::make_unique<SharedStore>(memory));
  ledger::WriteBatch batch;
  for (std::uint64_t height = 3; height >= 1; --height) {
    batch.put(std::string(node::evidence_prefix) + ledger::keys::u64be(height) + ledger::keys::u32be(0) +
                  "\x01" + std::string(20, 'v'),
              json::canonical(json::Json{{"height", height}}));
  }
  REQUIRE(memory.write(batch, true).ok());
  auto first = node->evidence(2, std::nullopt);
  REQUIRE(first.ok());
  REQUIRE(first->items.size() == 2);
  CHECK(first->items[0]["height"] == 1);
  CHECK(first->items[1]["height"] == 2);
  REQUIRE(first->next.has_value());
  auto second = node->evidence(2, first->next);
  REQUIRE(second.ok());
  REQUIRE(second->items.size() == 1);
  CHECK(second->items[0]["height"] == 3);
  CHECK(!second->next.has_value());
  CHECK(node->evidence(2, std::string("not hex")).problem().rule == "invalid-body");
}
