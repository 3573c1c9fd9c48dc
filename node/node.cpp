#include "node/node.h"

#include <spdlog/spdlog.h>

#include "crypto/hex.h"
#include "crypto/limits.h"
#include "ledger/ledger.h"

namespace onebill::node {
namespace {

Problem storage_problem(std::string detail) {
  return local_fault("storage", std::move(detail));
}

// Checks the stored head against its block and commit: a crash leaves the last committed block whole
// (one synced batch), so any mismatch means the database is damaged, not merely behind.
Status check_head(const ledger::Ledger& ledger, const ledger::Genesis& genesis, const ledger::Head& head) {
  auto genesis_text = ledger.genesis_text();
  ONEBILL_TRY(genesis_text);
  if (!genesis_text->has_value() || **genesis_text != ledger::genesis_jcs(genesis)) {
    return local_fault("config", "the database was made from another genesis than this home's genesis.json");
  }
  if (head.height == 0) {
    if (head.block_hash != ledger::genesis_state_root(genesis))
      return storage_problem("the genesis head is damaged");
    return {};
  }
  auto block = ledger.block(head.height);
  ONEBILL_TRY(block);
  if (!block->has_value())
    return storage_problem("the head block " + std::to_string(head.height) + " is missing");
  const auto& header = (*block)->header;
  if (header.height != head.height || ledger::block_hash(header) != head.block_hash ||
      header.state_root != head.state_root) {
    return storage_problem("the head block " + std::to_string(head.height) +
                           " does not match the stored head");
  }
  auto commit = ledger.commit(head.height);
  ONEBILL_TRY(commit);
  if (!commit->has_value() || (*commit)->block_hash != head.block_hash) {
    return storage_problem("the commit of the head block " + std::to_string(head.height) +
                           " is missing or wrong");
  }
  auto set = ledger.validator_set(head.height);
  ONEBILL_TRY(set);
  if (!set->has_value()) return storage_problem("the validator set of the head block is missing");
  const Status verified = ledger::verify_commit(genesis.chain, **commit, **set);
  if (!verified)
    return storage_problem("the head block's commit does not verify: " + verified.problem().detail);
  return {};
}

}  // namespace

std::uint64_t Node::now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

Result<std::unique_ptr<Node>> Node::open(std::unique_ptr<ledger::Store> store, const ledger::Genesis& genesis,
                                         std::optional<PrivateKey> validator_key, NodeOptions options) {
  ONEBILL_ASSERT(store != nullptr);
  ledger::Ledger ledger(*store);
  auto head = ledger.head();
  ONEBILL_TRY(head);
  if (!head->has_value()) {
    ONEBILL_TRY(store->write(ledger::genesis_batch(genesis), true));
    head = ledger.head();
    ONEBILL_TRY(head);
    if (!head->has_value()) return storage_problem("the genesis batch did not write a head");
    spdlog::info("new database: genesis of chain {} written", genesis.chain);
  } else {
    ONEBILL_TRY(check_head(ledger, genesis, **head));
    spdlog::info("resuming chain {} at height {} (block {})", genesis.chain, (*head)->height,
                 hex::encode((*head)->block_hash));
  }
  std::optional<ValidatorIdentity> identity;
  if (validator_key) {
    auto validators = ledger.validators();
    ONEBILL_TRY(validators);
    identity = find_validator(*validator_key, *validators);
    if (!identity) {
      return local_fault("config", "the validator key " + consensus_key_text(*validator_key) +
                                       " is not in the chain's current validator set");
    }
  }
  return std::unique_ptr<Node>(new Node(std::move(store), genesis, std::move(identity), **head, options));
}

Node::Node(std::unique_ptr<ledger::Store> store, ledger::Genesis genesis,
           std::optional<ValidatorIdentity> identity, ledger::Head head, NodeOptions options)
    : store_(std::move(store)),
      genesis_(std::move(genesis)),
      identity_(std::move(identity)),
      options_(options),
      mempool_(options.mempool),
      head_(head) {}

Node::~Node() {
  stop();
}

void Node::start() {
  if (!identity_ || producer_.joinable()) return;
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = false;
    work_pending_ = !mempool_.empty();
  }
  producer_ = std::thread([this] { run_producer(); });
}

void Node::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (producer_.joinable()) producer_.join();
}

ledger::Head Node::head() const {
  std::shared_lock lock(store_mutex_);
  return head_;
}

ledger::BlockContext Node::next_context_locked() const {
  return ledger::BlockContext{head_.height + 1, std::max(now_ms(), head_.time_ms + 1), genesis_.chain, 0};
}

SubmitOutcome Node::submit(std::string_view wire_text) {
  return admit(ledger::parse_transaction(wire_text, genesis_.chain));
}

SubmitOutcome Node::submit(const json::Json& wire_object) {
  return admit(ledger::parse_transaction(wire_object, genesis_.chain));
}

SubmitOutcome Node::admit(Result<ledger::Transaction> parsed) {
  SubmitOutcome outcome;
  if (!parsed) {
    outcome.problem = parsed.problem();
    return outcome;
  }
  const ledger::Transaction& transaction = *parsed;
  outcome.id = transaction.id;
  // The one signature recovery of this transaction, on the caller's (worker) thread.
  const Status signer = ledger::verify_signer(transaction);
  if (!signer) {
    mempool_.log_refusal(Refusal{transaction.id, "admission", signer.problem(), transaction.from});
    outcome.problem = signer.problem();
    return outcome;
  }
  {
    std::shared_lock lock(store_mutex_);
    auto admitted = mempool_.admit(transaction, *store_, next_context_locked());
    if (!admitted) {
      outcome.problem = admitted.problem();
      return outcome;
    }
    outcome.already_pending = *admitted == Admission::already_pending;
  }
  {
    std::lock_guard lock(wake_mutex_);
    work_pending_ = true;
  }
  wake_.notify_all();
  return outcome;
}

Result<TxStatus> Node::tx_status(const Hash32& id) const {
  std::shared_lock lock(store_mutex_);
  ledger::Ledger ledger(*store_);
  auto location = ledger.tx_location(id);
  ONEBILL_TRY(location);
  TxStatus status;
  if (location->has_value()) {
    auto commit = ledger.commit((*location)->height);
    ONEBILL_TRY(commit);
    if (!commit->has_value()) return storage_problem("the commit of a block with a transaction is missing");
    status.state = TxStatus::State::committed;
    status.height = (*location)->height;
    status.index = (*location)->index;
    status.block_hash = (*commit)->block_hash;
    auto block = ledger.block(status.height);
    ONEBILL_TRY(block);
    if (block->has_value() && status.index < (*block)->transactions.size()) {
      auto committed = ledger::parse_transaction((*block)->transactions[status.index], genesis_.chain);
      if (committed) status.sender = committed->from;
    }
    return status;
  }
  if (auto sender = mempool_.pending_sender(id)) {
    status.state = TxStatus::State::pending;
    status.sender = sender;
    return status;
  }
  if (auto refusal = mempool_.refusal(id)) {
    status.state = TxStatus::State::refused;
    status.sender = refusal->sender;
    status.refusal = std::move(refusal);
  }
  return status;
}

Result<TxStatus> Node::wait_for_outcome(const Hash32& id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(outcome_mutex_);
      generation = outcome_generation_;
    }
    auto status = tx_status(id);
    ONEBILL_TRY(status);
    if (status->state != TxStatus::State::pending) return status;
    std::unique_lock lock(outcome_mutex_);
    if (!outcome_.wait_until(lock, deadline, [&] { return outcome_generation_ != generation; }))
      return status;
  }
}

std::uint64_t Node::wait_for_height_above(std::uint64_t height, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(outcome_mutex_);
      generation = outcome_generation_;
    }
    // Read after the generation: a commit in between bumps it, so the wait below returns at once.
    const std::uint64_t now = head().height;
    if (now > height) return now;
    std::unique_lock lock(outcome_mutex_);
    if (!outcome_.wait_until(lock, deadline, [&] { return outcome_generation_ != generation; }))
      return head().height;
  }
}

std::optional<std::uint64_t> Node::pending_nonce(const Address& sender) const {
  return mempool_.next_pending_nonce(sender);
}

void Node::notify_outcomes() {
  {
    std::lock_guard lock(outcome_mutex_);
    ++outcome_generation_;
  }
  outcome_.notify_all();
}

Result<std::optional<std::uint64_t>> Node::produce_block(std::uint64_t time_ms) {
  if (!identity_ || failed_.load()) return std::optional<std::uint64_t>();
  std::lock_guard produce_lock(produce_mutex_);
  const auto candidates = mempool_.candidates(limits::max_batch_transactions);
  if (candidates.empty()) return std::optional<std::uint64_t>();

  // Propose. Only this thread writes the store, so reading it here without the store mutex is safe.
  auto proposal = propose(*store_, candidates, time_ms, identity_->validator.address);
  if (!proposal) {
    failed_.store(true);
    return proposal.problem();
  }
  for (const auto& refused : proposal->refused) {
    for (const auto& evicted : mempool_.evict(refused.id, refused.problem)) {
      spdlog::info("evicted {}: {}: {}", hex::encode(evicted.id), evicted.problem.rule,
                   evicted.problem.detail);
    }
  }
  if (!proposal->block) {
    notify_outcomes();
    return std::optional<std::uint64_t>();
  }
  const ProposedBlock& proposed = *proposal->block;
  const std::uint64_t height = proposed.block.header.height;

  // Execute: every validator re-executes the proposal before it votes (DESIGN §5).
  auto executed = execute(*store_, proposed.block);
  if (!executed) {
    // Our own proposal does not re-execute: nondeterminism in the rules, a bug. Stop making blocks.
    spdlog::critical("block {} does not re-execute: {}: {}", height, executed.problem().rule,
                     executed.problem().detail);
    failed_.store(true);
    return local_fault("internal", "the proposed block does not re-execute: " + executed.problem().detail);
  }
  auto signing_set = ledger::Ledger(*store_).validator_set(height);
  if (!signing_set || !signing_set->has_value()) {
    failed_.store(true);
    return storage_problem("the validator set of height " + std::to_string(height) + " is missing");
  }

  // Vote: the one validator's precommit; with it, more than 2/3 of the power (DESIGN §5).
  ledger::Commit commit_record{
      height, 0, proposed.hash, {vote(*identity_, genesis_.chain, height, 0, proposed.hash)}};

  // Commit: one synced batch; the committed transactions leave the mempool under the same lock.
  {
    std::unique_lock lock(store_mutex_);
    const Status written = commit(*store_, proposed.block, *executed, commit_record, **signing_set);
    if (!written) {
      spdlog::critical("cannot commit block {}: {}", height, written.problem().detail);
      failed_.store(true);
      return written.problem();
    }
    head_ = ledger::Head{height, proposed.hash, executed->state_root, proposed.block.header.time_ms};
    mempool_.remove_committed(executed->transaction_ids);
    committed_transactions_.fetch_add(executed->transaction_ids.size());
  }
  spdlog::debug("block {} committed: {} transactions", height, proposed.block.transactions.size());
  notify_outcomes();

  // Re-check what is left against the new state; evict what no longer applies.
  {
    std::shared_lock lock(store_mutex_);
    for (const auto& evicted : mempool_.recheck(*store_, next_context_locked())) {
      spdlog::info("evicted {}: {}: {}", hex::encode(evicted.id), evicted.problem.rule,
                   evicted.problem.detail);
    }
  }
  notify_outcomes();
  return std::optional<std::uint64_t>(height);
}

void Node::run_producer() {
  const auto interval = std::chrono::milliseconds(options_.block_interval_ms);
  auto last_block = std::chrono::steady_clock::now() - interval;
  std::unique_lock lock(wake_mutex_);
  while (!stopping_) {
    wake_.wait(lock, [&] { return stopping_ || work_pending_; });
    if (stopping_) break;
    // At most one block per interval; transactions arriving meanwhile join it.
    if (wake_.wait_until(lock, last_block + interval, [&] { return stopping_; })) break;
    work_pending_ = false;
    lock.unlock();
    last_block = std::chrono::steady_clock::now();
    auto produced = produce_block(now_ms());
    if (!produced)
      spdlog::critical("block production stopped: {}: {}", produced.problem().rule,
                       produced.problem().detail);
    const bool more = !mempool_.empty() && healthy();
    lock.lock();
    if (!healthy()) break;
    if (more) work_pending_ = true;
  }
}

}  // namespace onebill::node
