#include "node/node.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <deque>

#include <spdlog/spdlog.h>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/limits.h"
#include "crypto/random.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "node/gossip.h"

namespace onebill::node {
namespace {

// Thread priorities (Linux nice values are per thread). The consensus thread keeps the process's;
// admission runs below it. Raising a thread's nice needs no privilege; lowering it again (back to where
// it was) needs CAP_SYS_NICE or an RLIMIT_NICE that allows it. So an HTTP worker lowered for an admission
// is raised back when it next reads (Node::read), where the process may: otherwise a worker that once
// admitted would answer reads below the priority of everything else on the machine (the bench's own
// client, LevelDB's compaction). Where it may not, the worker stays lowered.
constexpr int admission_nice = 5;          // threads that admit submitted transactions
constexpr int gossip_admission_nice = 10;  // the thread that admits peers' gossiped transactions

struct LoweredPriority {
  bool lowered = false;  // by lower_this_thread_priority, from `base`
  int base = 0;
  int at_least = -100;  // this thread's nice value is known to be at least this (no system call needed)
};
thread_local LoweredPriority t_priority;
std::atomic<bool> g_may_raise{true};  // false once raising a thread back was refused

id_t this_thread_id() {
  return static_cast<id_t>(::gettid());
}

void lower_this_thread_priority(int nice) {
  if (t_priority.at_least >= nice) return;
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, this_thread_id());
  if (errno != 0) return;
  t_priority.at_least = std::max(current, nice);  // also when lowering fails: tried once, not per call
  if (current >= nice) return;
  if (::setpriority(PRIO_PROCESS, this_thread_id(), nice) != 0) {
    spdlog::debug("cannot lower this thread's priority: {}", std::strerror(errno));
    return;
  }
  if (!t_priority.lowered) t_priority.base = current;
  t_priority.lowered = true;
}

}  // namespace

void Node::restore_this_thread_priority() {
  if (!t_priority.lowered || !g_may_raise.load(std::memory_order_relaxed)) return;
  if (::setpriority(PRIO_PROCESS, this_thread_id(), t_priority.base) != 0) {
    g_may_raise.store(false, std::memory_order_relaxed);
    spdlog::debug("admission threads stay at lower priority: {}", std::strerror(errno));
    return;
  }
  t_priority.lowered = false;
  t_priority.at_least = t_priority.base;
}

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
  // What this validator signed before a crash: it never signs below it (DESIGN §5).
  consensus::SignState restored;
  auto saved = store->get(sign_state_key);
  ONEBILL_TRY(saved);
  if (saved->has_value()) {
    auto parsed = json::read(**saved);
    if (!parsed) return storage_problem("the saved sign state is damaged: " + parsed.problem().detail);
    // The lock is stored apart (sign_lock_key); it is this state's when of its (height, locked_round),
    // and then read through the sign state's own checks (the block's hash, the proof's votes).
    auto saved_lock = store->get(sign_lock_key);
    ONEBILL_TRY(saved_lock);
    if (saved_lock->has_value() && parsed->is_object() && !parsed->contains("locked_proposal")) {
      auto lock = json::read(**saved_lock);
      if (!lock || !lock->is_object() || !lock->contains("height") || !lock->contains("locked_round") ||
          !lock->contains("locked_proposal") || !lock->contains("lock_proof"))
        return storage_problem("the saved lock is damaged");
      if (parsed->contains("height") && parsed->contains("locked_round") &&
          (*lock)["height"] == (*parsed)["height"] && (*lock)["locked_round"] == (*parsed)["locked_round"]) {
        (*parsed)["locked_proposal"] = std::move((*lock)["locked_proposal"]);
        (*parsed)["lock_proof"] = std::move((*lock)["lock_proof"]);
      }
    }
    auto state = consensus::sign_state_from_json(*parsed);
    if (!state) return storage_problem("the saved sign state is damaged: " + state.problem().detail);
    restored = std::move(*state);
    // The proposal is stored apart (sign_proposal_key); it is this state's when of its (height, round).
    auto saved_proposal = store->get(sign_proposal_key);
    ONEBILL_TRY(saved_proposal);
    if (saved_proposal->has_value() && !restored.proposal) {
      auto proposal_json = json::read(**saved_proposal);
      if (!proposal_json)
        return storage_problem("the saved proposal is damaged: " + proposal_json.problem().detail);
      auto proposal = consensus::proposal_from_json(*proposal_json);
      if (!proposal) return storage_problem("the saved proposal is damaged: " + proposal.problem().detail);
      if (proposal->height == restored.height && proposal->round == restored.round)
        restored.proposal = std::move(*proposal);
    }
  }
  std::unique_ptr<Node> node(new Node(std::move(store), genesis, std::move(identity), **head, options));
  node->engine_ = std::make_unique<consensus::Engine>(genesis.chain, validator_key, *node->app_,
                                                      options.timeouts, std::move(restored));
  return node;
}

// The engine's view of this node: its committed store and its mempool.
class Node::EngineApp final : public consensus::Application {
 public:
  explicit EngineApp(Node& node) : node_(node) {}
  // Only the consensus thread (holding engine_mutex_) writes the store, so it reads it unlocked.
  const ledger::Store& committed() const override { return *node_.store_; }
  std::vector<ledger::Transaction> candidates() override {
    return node_.mempool_.candidates(limits::max_batch_transactions);
  }
  void refused(const std::vector<RefusedCandidate>& refused) override {
    for (const auto& candidate : refused) {
      for (const auto& evicted : node_.mempool_.evict(candidate.id, candidate.problem)) {
        spdlog::info("evicted {}: {}: {}", hex::encode(evicted.id), evicted.problem.rule,
                     evicted.problem.detail);
      }
    }
    node_.notify_outcomes();
  }
  // A proposal from a peer: the transactions this node admitted had their signer recovered then, so
  // only the others are recovered now (DESIGN §5: recovered once per transaction).
  Result<ledger::ExecutedBlock> execute(const ledger::Block& block) override {
    const auto started = std::chrono::steady_clock::now();
    auto executed = ledger::execute_block(committed(), block, [this](const ledger::Transaction& transaction) {
      return node_.mempool_.holds_verified(transaction.id, transaction.sig);
    });
    node_.trace_.executing += std::chrono::steady_clock::now() - started;
    ++node_.trace_.executions;
    ONEBILL_TRY(executed);
    ONEBILL_ASSERT(executed->state_root == block.header.state_root);
    return executed;
  }

 private:
  Node& node_;
};

Node::Node(std::unique_ptr<ledger::Store> store, ledger::Genesis genesis,
           std::optional<ValidatorIdentity> identity, ledger::Head head, NodeOptions options)
    : store_(std::move(store)),
      genesis_(std::move(genesis)),
      identity_(std::move(identity)),
      options_(options),
      mempool_(options.mempool),
      head_(head),
      app_(std::make_unique<EngineApp>(*this)) {
  random_bytes(gossip_salt_);
}

Node::~Node() {
  stop();
}

void Node::attach_network(std::function<void(const std::string&)> broadcast,
                          std::function<void(const Address&, const std::string&)> send_to,
                          std::function<void(const Address&, const std::string&)> relay,
                          std::function<bool()> linked) {
  ONEBILL_ASSERT(!consensus_thread_.joinable());
  broadcast_ = std::move(broadcast);
  send_to_ = std::move(send_to);
  relay_ = std::move(relay);
  linked_ = std::move(linked);
}

Status Node::receive(const Address& from, std::string_view text) {
  // Every peer relays what it admits, so a transaction arrives once from each: the copies of one
  // admitted here cost a hash of their text, not a parse (the text is canonical, the same from every
  // peer).
  std::uint64_t fingerprint = 0;
  if (text.starts_with(R"({"tx":)")) {
    fingerprint = gossip_fingerprint(text);
    std::lock_guard lock(gossip_mutex_);
    if (gossip_seen_.contains(fingerprint)) {
      gossip_copies_dropped_.fetch_add(1, std::memory_order_relaxed);
      return {};
    }
  }
  auto message = parse_gossip(text);
  ONEBILL_TRY(message);
  if (auto* tx = std::get_if<GossipTx>(&*message)) {
    // A transaction that does not apply here is no fault of the peer's (states differ for a moment);
    // one that does not even parse is.
    auto parsed = ledger::parse_transaction(std::string_view(tx->wire_text), genesis_.chain);
    if (!parsed) return parsed.problem();
    {
      std::lock_guard lock(gossip_mutex_);
      if (gossip_thread_.joinable()) {
        if (gossip_backlog_.size() < max_gossip_backlog)
          gossip_backlog_.push_back(GossipArrival{from, std::move(*parsed), fingerprint});
        gossip_wake_.notify_one();
        return {};
      }
    }
    std::vector<GossipArrival> now;  // no admission thread (tests): at once
    now.push_back(GossipArrival{from, std::move(*parsed), fingerprint});
    admit_gossiped(std::move(now));
    return {};
  }
  if (auto* request = std::get_if<GossipGetBlocks>(&*message)) {
    answer_get_blocks(from, *request);
    return {};
  }
  const std::uint64_t own_height = head().height;
  {
    std::lock_guard lock(wake_mutex_);
    constexpr std::size_t max_inbox = 10'000;  // a flood drops the oldest; gossip repeats what matters
    if (auto* status = std::get_if<GossipStatus>(&*message)) {
      peer_heights_[from] = status->height;  // one entry per linked node key (config peers only)
      sync_wanted_ = status->height > own_height;
    } else {
      if (inbox_.size() >= max_inbox) inbox_.pop_front();
      if (auto* proposal = std::get_if<consensus::Proposal>(&*message)) {
        inbox_.emplace_back(from, std::move(*proposal));
      } else if (auto* vote = std::get_if<consensus::Vote>(&*message)) {
        inbox_.emplace_back(from, std::move(*vote));
      } else {
        inbox_.emplace_back(from, std::get<GossipBlock>(std::move(*message)));
      }
    }
  }
  wake_.notify_all();
  return {};
}

void Node::answer_get_blocks(const Address& from, const GossipGetBlocks& request) const {
  if (!send_to_) return;
  const std::uint64_t head_height = head().height;
  for (std::uint64_t height = request.from; height < request.from + request.count && height <= head_height;
       ++height) {
    if (height == 0) continue;
    std::optional<GossipBlock> found;
    {
      std::shared_lock lock(store_mutex_);
      ledger::Ledger ledger(*store_);
      auto block = ledger.block(height);
      auto commit = ledger.commit(height);
      if (block.ok() && block->has_value() && commit.ok() && commit->has_value())
        found = GossipBlock{std::move(**block), std::move(**commit)};
    }
    if (!found) return;
    send_to_(from, gossip_text(*found));
  }
}

void Node::request_blocks_locked() {
  const std::uint64_t height = head().height;
  const auto now = std::chrono::steady_clock::now();
  if (!send_to_) return;
  // One batch in flight. A peer that sends nothing for 5 s (gone, or claiming a height it does not
  // have) is passed over for a minute and the next best asked, so no one peer can stall the sync.
  if (sync_.requested_to > height) {
    if (now - sync_.requested_at < std::chrono::seconds(5)) return;
    sync_.passed_over[sync_.requested_peer] = now + std::chrono::seconds(60);
    sync_.requested_to = 0;
  }
  std::uint64_t best = height;
  Address peer;
  {
    std::lock_guard lock(wake_mutex_);
    for (const auto& [node, told] : peer_heights_) {
      const auto passed = sync_.passed_over.find(node);
      if (passed != sync_.passed_over.end() && now < passed->second) continue;
      if (told > best) {
        best = told;
        peer = node;
      }
    }
  }
  if (best <= height) {
    if (syncing_.exchange(false) && !mempool_.empty()) wake_for_candidates();
    return;
  }
  syncing_.store(true);  // no rounds of our own while blocks we lack are on their way
  const std::uint64_t count = std::min<std::uint64_t>(max_sync_batch, best - height);
  sync_.requested_to = height + count;
  sync_.requested_at = now;
  sync_.requested_peer = peer;
  send_to_(peer, gossip_text(GossipGetBlocks{height + 1, count}));
  if (now - sync_.progress_at >= std::chrono::seconds(1)) {
    const double seconds = sync_.progress_at == std::chrono::steady_clock::time_point{}
                               ? 0.0
                               : std::chrono::duration<double>(now - sync_.progress_at).count();
    const double rate = seconds > 0 ? static_cast<double>(height - sync_.progress_height) / seconds : 0.0;
    if (best - height > 1) {
      spdlog::info("sync: height {} of {}, {:.0f} heights/s, {}", height, best, rate,
                   rate > 0 ? "about " +
                                  std::to_string(
                                      static_cast<std::uint64_t>(static_cast<double>(best - height) / rate)) +
                                  " s left"
                            : std::string("starting"));
    }
    sync_.progress_at = now;
    sync_.progress_height = height;
  }
}

Status Node::apply_synced_locked(const Address& from, const GossipBlock& synced, std::uint64_t now_ms) {
  (void)now_ms;
  const std::uint64_t height = synced.block.header.height;
  if (height != head().height + 1) return {};  // old, or not next: nothing to do
  if (synced.commit.height != height || synced.commit.block_hash != ledger::block_hash(synced.block.header)) {
    spdlog::info("sync: block {} from {}: its commit is for another block", height, from.to_string());
    return {};
  }
  auto set = ledger::Ledger(*store_).validator_set(height);
  ONEBILL_TRY(set);
  if (!set->has_value())
    return storage_problem("the validator set of height " + std::to_string(height) + " is missing");
  const Status verified = ledger::verify_commit(genesis_.chain, synced.commit, **set);
  if (!verified) {
    spdlog::info("sync: block {} from {}: {}", height, from.to_string(), verified.problem().detail);
    return {};
  }
  auto executed = execute(*store_, synced.block);
  if (!executed) {
    // +2/3 of the validators signed a block that does not execute here: a bug, or a byzantine
    // majority. Never apply it.
    spdlog::critical("sync: block {} has a valid commit but does not execute: {}: {}", height,
                     executed.problem().rule, executed.problem().detail);
    return {};
  }
  ONEBILL_TRY(commit_decided_locked(
      consensus::Decide{synced.block, std::make_shared<const ledger::ExecutedBlock>(std::move(*executed)),
                        synced.commit},
      std::nullopt));
  sync_.requested_at = std::chrono::steady_clock::now();  // progress: the peer is delivering
  return {};
}

std::uint64_t Node::gossip_fingerprint(std::string_view text) const {
  const Hash32 digest = Keccak256().update(ByteView(gossip_salt_)).update(text).finish();
  std::uint64_t out = 0;
  std::memcpy(&out, digest.data(), sizeof out);
  return out;
}

void Node::admit_gossiped(std::vector<GossipArrival> arrivals) {
  // Consecutive arrivals from one peer are admitted together (the pool's lock once for them).
  for (std::size_t start = 0; start < arrivals.size();) {
    std::size_t end = start + 1;
    while (end < arrivals.size() && arrivals[end].from == arrivals[start].from) ++end;
    std::vector<Result<ledger::Transaction>> parsed;
    parsed.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) parsed.push_back(std::move(arrivals[i].transaction));
    const auto outcomes = admit_all(std::move(parsed), &arrivals[start].from);
    // Only a transaction pending here makes later copies useless: one refused for a passing reason
    // (mempool full, a nonce gap) is judged again when another peer sends it.
    std::lock_guard lock(gossip_mutex_);
    for (std::size_t i = start; i < end; ++i) {
      const SubmitOutcome& outcome = outcomes[i - start];
      if (!outcome.problem && outcome.id) note_gossip_seen_locked(arrivals[i].fingerprint);
    }
    start = end;
  }
}

void Node::note_gossip_seen_locked(std::uint64_t fingerprint) {
  if (!gossip_seen_.insert(fingerprint).second) return;
  gossip_seen_order_.push_back(fingerprint);
  if (gossip_seen_order_.size() > max_gossip_seen) {
    gossip_seen_.erase(gossip_seen_order_.front());
    gossip_seen_order_.pop_front();
  }
}

void Node::run_gossip_admission() {
  ::pthread_setname_np(::pthread_self(), "gossip-admit");  // as top -H and perf show it
  lower_this_thread_priority(gossip_admission_nice);
  std::unique_lock lock(gossip_mutex_);
  for (;;) {
    gossip_wake_.wait(lock, [&] { return gossip_stopping_ || !gossip_backlog_.empty(); });
    if (gossip_stopping_) return;
    std::vector<GossipArrival> arrivals;
    while (!gossip_backlog_.empty() && arrivals.size() < max_gossip_admission_batch) {
      arrivals.push_back(std::move(gossip_backlog_.front()));
      gossip_backlog_.pop_front();
    }
    lock.unlock();
    admit_gossiped(std::move(arrivals));
    lock.lock();
  }
}

void Node::start() {
  if (broadcast_ && !gossip_thread_.joinable()) {
    std::lock_guard lock(gossip_mutex_);
    gossip_stopping_ = false;
    gossip_thread_ = std::thread([this] { run_gossip_admission(); });
  }
  if ((!identity_ && !broadcast_) || consensus_thread_.joinable()) return;
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = false;
    work_pending_ = !mempool_.empty();
  }
  consensus_thread_ = std::thread([this] { run_consensus(); });
}

void Node::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (consensus_thread_.joinable()) consensus_thread_.join();
  {
    std::lock_guard lock(gossip_mutex_);
    gossip_stopping_ = true;
  }
  gossip_wake_.notify_all();
  if (gossip_thread_.joinable()) gossip_thread_.join();
  std::lock_guard lock(gossip_mutex_);
  gossip_backlog_.clear();
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

std::vector<SubmitOutcome> Node::submit_all(const json::Json& wire_array) {
  std::vector<Result<ledger::Transaction>> parsed;
  parsed.reserve(wire_array.size());
  for (const auto& element : wire_array) parsed.push_back(ledger::parse_transaction(element, genesis_.chain));
  return admit_all(std::move(parsed));
}

SubmitOutcome Node::admit(Result<ledger::Transaction> parsed, const Address* relayed_from) {
  std::vector<Result<ledger::Transaction>> one;
  one.push_back(std::move(parsed));
  return std::move(admit_all(std::move(one), relayed_from).front());
}

std::vector<SubmitOutcome> Node::admit_all(std::vector<Result<ledger::Transaction>> parsed,
                                           const Address* relayed_from) {
  std::vector<SubmitOutcome> outcomes(parsed.size());
  // The transactions still to judge, by index into `parsed`; each step below keeps those it did not
  // settle, and the pool's and the store's locks are taken once per step for all of them.
  std::vector<std::size_t> open;
  open.reserve(parsed.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    if (!parsed[i]) {
      outcomes[i].problem = parsed[i].problem();
      continue;
    }
    outcomes[i].id = parsed[i]->id;
    open.push_back(i);
  }
  auto transactions_of = [&] {
    std::vector<const ledger::Transaction*> out;
    out.reserve(open.size());
    for (const std::size_t i : open) out.push_back(&*parsed[i]);
    return out;
  };
  // A transaction already pending with this signature (gossip brings each one from several peers)
  // needs no second recovery (DESIGN §5: recovered once).
  {
    const std::vector<bool> held = mempool_.holds_verified_all(transactions_of());
    std::vector<std::size_t> not_held;
    for (std::size_t at = 0; at < open.size(); ++at) {
      if (held[at]) {
        outcomes[open[at]].already_pending = true;
      } else {
        not_held.push_back(open[at]);
      }
    }
    open = std::move(not_held);
  }
  // A peer's transaction that a committed block already holds (the proposal came before its gossip was
  // admitted) needs no recovery: its nonce is spent. Dropped quietly, as a copy already seen.
  if (relayed_from != nullptr && !open.empty()) {
    std::shared_lock lock(store_mutex_);
    const ledger::Ledger ledger(*store_);
    std::erase_if(open, [&](std::size_t i) {
      const auto next = ledger.next_nonce(parsed[i]->from);
      return next.ok() && parsed[i]->nonce < *next;
    });
  }
  if (open.empty()) return outcomes;
  if (relayed_from == nullptr) wait_for_pool_room();
  // Admission yields to consensus on a validator with peers: its threads run below the consensus
  // thread's priority, so a flood of submissions cannot delay proposals and votes (issue 9).
  if (identity_ && broadcast_) lower_this_thread_priority(admission_nice);
  // The one signature recovery of each transaction, on the caller's (worker) thread.
  std::erase_if(open, [&](std::size_t i) {
    const Status signer = ledger::verify_signer(*parsed[i]);
    if (signer) return false;
    mempool_.log_refusal(Refusal{parsed[i]->id, "admission", signer.problem(), parsed[i]->from});
    outcomes[i].problem = signer.problem();
    return true;
  });
  if (open.empty()) return outcomes;
  std::vector<Result<Admission>> admitted;
  {
    std::shared_lock lock(store_mutex_);
    admitted = mempool_.admit_all(transactions_of(), *store_, next_context_locked());
  }
  const bool linked = peers_linked();
  bool any_pending = false;
  for (std::size_t at = 0; at < open.size(); ++at) {
    const std::size_t i = open[at];
    if (!admitted[at]) {
      outcomes[i].problem = admitted[at].problem();
      continue;
    }
    any_pending = true;
    outcomes[i].already_pending = *admitted[at] == Admission::already_pending;
    if (outcomes[i].already_pending || !linked) continue;
    // A peer's transaction goes on to the others (peers that cannot reach each other directly still
    // see it), not back to the peer it came from.
    if (relayed_from != nullptr && relay_) {
      relay_(*relayed_from, gossip_text(*parsed[i]));
    } else {
      broadcast_(gossip_text(*parsed[i]));
    }
  }
  if (any_pending) wake_for_candidates();
  return outcomes;
}

void Node::wake_for_candidates() {
  // A full block waits for no interval: the transactions arriving meanwhile could not join it anyway.
  const bool full = mempool_.size() >= limits::max_batch_transactions;
  bool notify = false;
  {
    std::lock_guard lock(wake_mutex_);
    // Only news wakes the consensus thread: not one wake-up per admitted transaction.
    notify = !work_pending_ || (full && !full_block_pending_);
    work_pending_ = true;
    full_block_pending_ = full_block_pending_ || full;
  }
  if (notify) wake_.notify_all();
}

std::shared_ptr<const ledger::Block> Node::recent_block(std::uint64_t height) const {
  std::lock_guard lock(recent_mutex_);
  for (const auto& block : recent_blocks_) {
    if (block->header.height == height) return block;
  }
  return nullptr;
}

Result<TxStatus> Node::tx_status(const Hash32& id) const {
  restore_this_thread_priority();
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
    status.sender = (*location)->sender;
    if (!status.sender) {  // an index entry written before the sender was kept beside it
      auto block = ledger.block(status.height);
      ONEBILL_TRY(block);
      if (block->has_value() && status.index < (*block)->transactions.size()) {
        auto committed = ledger::parse_transaction((*block)->transactions[status.index], genesis_.chain);
        if (committed) status.sender = committed->from;
      }
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

void Node::wait_for_pool_room() {
  // A pool configured smaller than the room: its limit is the room (a full pool waits, then refuses).
  const std::size_t room = std::min(options_.admission_room, options_.mempool.max_transactions);
  if (room == 0) return;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.admission_wait_ms);
  for (;;) {
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(outcome_mutex_);
      generation = room_generation_;
    }
    // Read after the generation: a re-check in between bumps it, so the wait below returns at once.
    if (mempool_.size() < room) return;
    std::unique_lock lock(outcome_mutex_);
    if (!room_.wait_until(lock, deadline, [&] { return room_generation_ != generation; })) return;
  }
}

void Node::notify_outcomes() {
  {
    std::lock_guard lock(outcome_mutex_);
    ++outcome_generation_;
  }
  outcome_.notify_all();
}

void Node::ensure_engine_started_locked(std::uint64_t now_ms) {
  const ledger::Head now_head = head();
  if (engine_->height() == now_head.height + 1) return;
  auto set = ledger::Ledger(*store_).validator_set(now_head.height + 1);
  if (!set || !set->has_value()) {
    spdlog::critical("the validator set of height {} is missing", now_head.height + 1);
    failed_.store(true);
    return;
  }
  trace_ = HeightTrace{std::chrono::steady_clock::now()};
  const Status done = carry_out_locked(engine_->start(now_head.height + 1, **set, now_ms), now_ms);
  if (!done) spdlog::critical("consensus stopped: {}: {}", done.problem().rule, done.problem().detail);
}

Result<std::optional<std::uint64_t>> Node::produce_block(std::uint64_t time_ms) {
  if (!identity_ || failed_.load()) return std::optional<std::uint64_t>();
  std::lock_guard engine_lock(engine_mutex_);
  ensure_engine_started_locked(time_ms);
  const std::uint64_t before = head().height;
  if (!mempool_.empty() && !failed_.load()) {
    ONEBILL_TRY(carry_out_locked(engine_->on_candidates_available(time_ms), time_ms));
  }
  const std::uint64_t after = head().height;
  if (after == before) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(after);
}

Status Node::carry_out_locked(std::vector<consensus::Action> actions, std::uint64_t now_ms) {
  std::deque<consensus::Action> queue(std::make_move_iterator(actions.begin()),
                                      std::make_move_iterator(actions.end()));
  // Persist before send (DESIGN §5): a signed message must be durable before it LEAVES this process.
  // So the signed messages of these actions are held, and the latest sign state (which covers every
  // message signed before it: same round, or earlier rounds of its height below it) is written with one
  // sync at the block's commit (whose synced batch carries it) or at the end of the actions; the held
  // messages leave after that write. A validator that proposes, prevotes, precommits and decides in one
  // go (alone, or with observers only) syncs once per block, not four times; a validator without peers
  // sends nothing at all.
  std::optional<consensus::SignState> unsynced;
  std::vector<std::string> held;  // gossip texts of signed messages, sent once their sign state is durable
  auto send_held = [&] {
    for (const auto& text : held) broadcast_(text);
    held.clear();
  };
  while (!queue.empty()) {
    consensus::Action action = std::move(queue.front());
    queue.pop_front();
    if (auto* persist = std::get_if<consensus::Persist>(&action)) {
      unsynced = std::move(persist->state);
    } else if (auto* broadcast = std::get_if<consensus::Broadcast>(&action)) {
      // The engine counts its own messages itself; peers get them by gossip.
      // With no peer linked now, nothing is written: the rebroadcast re-sends own messages later.
      if (peers_linked()) {
        std::visit([&](const auto& message) { held.push_back(gossip_text(message)); }, broadcast->message);
      }
    } else if (auto* schedule = std::get_if<consensus::Schedule>(&action)) {
      std::lock_guard lock(wake_mutex_);
      timers_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(schedule->delay_ms),
                      schedule->timeout);
    } else if (auto* decide = std::get_if<consensus::Decide>(&action)) {
      const auto committing = std::chrono::steady_clock::now();
      ONEBILL_TRY(commit_decided_locked(*decide, std::move(unsynced)));
      trace_.committing += std::chrono::steady_clock::now() - committing;
      unsynced.reset();
      send_held();
      log_height_locked(*decide);
      {
        std::lock_guard lock(wake_mutex_);  // lock order: engine_mutex_, then wake_mutex_
        last_decide_ = std::chrono::steady_clock::now();
      }
      const std::uint64_t next = decide->block.header.height + 1;
      auto set = ledger::Ledger(*store_).validator_set(next);
      ONEBILL_TRY(set);
      if (!set->has_value()) {
        failed_.store(true);
        return storage_problem("the validator set of height " + std::to_string(next) + " is missing");
      }
      trace_ = HeightTrace{std::chrono::steady_clock::now()};
      for (auto& more : engine_->start(next, **set, now_ms)) queue.push_back(std::move(more));
      if (!mempool_.empty()) wake_for_candidates();
    } else if (auto* found = std::get_if<consensus::EvidenceFound>(&action)) {
      const consensus::Vote& vote = found->evidence.first;
      spdlog::warn("evidence: validator {} signed two {}s at height {} round {}", vote.validator.to_string(),
                   vote.type == ledger::VoteType::prevote ? "prevote" : "precommit", vote.height, vote.round);
      ledger::WriteBatch batch;
      batch.put(std::string(evidence_prefix) + ledger::keys::u64be(vote.height) +
                    ledger::keys::u32be(vote.round) +
                    std::string(1, vote.type == ledger::VoteType::prevote ? '\x01' : '\x02') +
                    std::string(vote.validator.bytes.begin(), vote.validator.bytes.end()),
                json::canonical(consensus::to_json(found->evidence)));
      ONEBILL_TRY(store_->write(batch, false));
    }
  }
  if (unsynced) ONEBILL_TRY(persist_sign_state_locked(std::move(*unsynced)));
  send_held();
  return {};
}

void Node::add_sign_state_locked(ledger::WriteBatch& batch, consensus::SignState state, bool decided) {
  std::optional<consensus::Proposal> proposal = std::move(state.proposal);
  state.proposal.reset();
  std::optional<consensus::Proposal> locked = std::move(state.locked_proposal);
  std::vector<consensus::Vote> lock_proof = std::move(state.lock_proof);
  state.locked_proposal.reset();
  state.lock_proof.clear();
  batch.put(std::string(sign_state_key), json::canonical(consensus::to_json(state)));
  // The locked block and its proof (up to 1 MiB) once per (height, locked_round), apart from the votes
  // that follow the lock; a decided height's lock matters to no restart (the engine starts above it).
  if (locked && state.locked_round && !decided) {
    const auto locked_at = std::make_pair(state.height, *state.locked_round);
    if (persisted_lock_ != locked_at) {
      ONEBILL_ASSERT(locked->height == state.height);
      json::Json proof = json::Json::array();
      for (const auto& vote : lock_proof) proof.push_back(consensus::to_json(vote));
      batch.put(std::string(sign_lock_key),
                json::canonical(json::Json{{"height", state.height},
                                           {"locked_round", *state.locked_round},
                                           {"locked_proposal", consensus::to_json(*locked)},
                                           {"lock_proof", std::move(proof)}}));
      persisted_lock_ = locked_at;
    }
  }
  // The proposal (up to a 1 MiB block) is written once per (height, round), not again with each vote;
  // and not at all with the commit of its own height: a restarted engine re-sends nothing of a decided
  // height.
  if (!proposal || decided) return;
  const auto signed_at = std::make_pair(state.height, state.round);
  if (persisted_proposal_ == signed_at) return;
  ONEBILL_ASSERT(proposal->height == state.height && proposal->round == state.round);
  batch.put(std::string(sign_proposal_key), consensus::proposal_jcs(*proposal));
  persisted_proposal_ = signed_at;
}

void Node::log_height_locked(const consensus::Decide& decide) const {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  auto ms = [](std::chrono::steady_clock::duration d) { return duration_cast<milliseconds>(d).count(); };
  const auto level = decide.commit.round > 0 ? spdlog::level::warn : spdlog::level::debug;
  spdlog::log(
      level,
      "height {} decided in round {} after {} ms, {} transactions: proposing {} ms, {} executions {} ms, "
      "{} synced sign-state writes {} ms ({} KiB), commit {} ms, {} timeouts, proposal lag {} ms",
      decide.block.header.height, decide.commit.round, ms(std::chrono::steady_clock::now() - trace_.started),
      decide.block.transactions.size(), ms(trace_.proposing), trace_.executions, ms(trace_.executing),
      trace_.synced_writes, ms(trace_.syncing), trace_.synced_bytes / 1024, ms(trace_.committing),
      trace_.timeouts, trace_.proposal_lag_ms);
}

Status Node::persist_sign_state_locked(consensus::SignState state) {
  ledger::WriteBatch batch;
  add_sign_state_locked(batch, std::move(state), false);
  const auto started = std::chrono::steady_clock::now();
  const Status written = store_->write(batch, true);
  trace_.syncing += std::chrono::steady_clock::now() - started;
  ++trace_.synced_writes;
  for (const auto& entry : batch.entries)
    trace_.synced_bytes += entry.key.size() + (entry.value ? entry.value->size() : 0);
  if (!written) failed_.store(true);
  return written;
}

Status Node::commit_decided_locked(const consensus::Decide& decide,
                                   std::optional<consensus::SignState> sign_state) {
  const std::uint64_t height = decide.block.header.height;
  auto signing_set = ledger::Ledger(*store_).validator_set(height);
  if (!signing_set || !signing_set->has_value()) {
    failed_.store(true);
    return storage_problem("the validator set of height " + std::to_string(height) + " is missing");
  }
  // What node::commit checks and writes, with the sign state not yet durable in the same batch. The
  // batch is encoded before the lock: readers wait only for the write.
  ONEBILL_ASSERT(decide.commit.height == height);
  ONEBILL_ASSERT(decide.commit.block_hash == ledger::block_hash(decide.block.header));
  const Status own_commit = ledger::verify_commit(genesis_.chain, decide.commit, **signing_set);
  ONEBILL_ASSERT(own_commit.ok());  // precommits the engine counted (or a synced block's, verified)
  ledger::WriteBatch batch = ledger::commit_batch(*decide.executed, decide.block, decide.commit);
  if (sign_state) {
    ONEBILL_ASSERT(sign_state->height <= height);
    add_sign_state_locked(batch, std::move(*sign_state), true);
  }
  // Commit: one synced batch; the committed transactions leave the mempool under the same lock.
  {
    std::unique_lock lock(store_mutex_);
    const Status written = store_->write(batch, true);
    if (!written) {
      spdlog::critical("cannot commit block {}: {}", height, written.problem().detail);
      failed_.store(true);
      return written;
    }
    head_ = ledger::Head{height, decide.commit.block_hash, decide.executed->state_root,
                         decide.block.header.time_ms};
    mempool_.remove_committed(decide.executed->transaction_ids);
    committed_transactions_.fetch_add(decide.executed->transaction_ids.size());
  }
  {
    std::lock_guard lock(recent_mutex_);
    recent_blocks_.push_back(std::make_shared<const ledger::Block>(decide.block));
    if (recent_blocks_.size() > recent_blocks_kept) recent_blocks_.pop_front();
  }
  spdlog::debug("block {} committed: {} transactions", height, decide.block.transactions.size());
  notify_outcomes();

  // Re-check what is left against the new state; evict what no longer applies.
  {
    std::shared_lock lock(store_mutex_);
    for (const auto& evicted : mempool_.recheck(*store_, next_context_locked(), *decide.executed)) {
      spdlog::info("evicted {}: {}: {}", hex::encode(evicted.id), evicted.problem.rule,
                   evicted.problem.detail);
    }
  }
  // Waiting admissions go on only now: woken at the commit, they would hold the pool's lock through
  // the re-check's turn.
  {
    std::lock_guard lock(outcome_mutex_);
    ++room_generation_;
  }
  room_.notify_all();
  notify_outcomes();
  return {};
}

void Node::run_consensus() {
  ::pthread_setname_np(::pthread_self(), "consensus");
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(options_.block_interval_ms);
  constexpr auto rebroadcast_interval = std::chrono::seconds(2);
  Clock::time_point last_rebroadcast = Clock::now();
  {
    std::lock_guard engine_lock(engine_mutex_);
    ensure_engine_started_locked(now_ms());
  }
  std::unique_lock lock(wake_mutex_);
  while (!stopping_ && healthy()) {
    // Wake for: stop, a due timeout, or pending candidates once block_interval_ms has passed since
    // the last commit (transactions arriving meanwhile join the block).
    Clock::time_point candidates_at = Clock::time_point::max();
    // While syncing, the pending work waits: the engine would start rounds at a height long decided.
    if (work_pending_ && !syncing_.load())
      candidates_at = last_decide_ + (full_block_pending_ ? Clock::duration{} : interval);
    const Clock::time_point timer_at = timers_.empty() ? Clock::time_point::max() : timers_.begin()->first;
    const Clock::time_point rebroadcast_at =
        broadcast_ ? last_rebroadcast + rebroadcast_interval : Clock::time_point::max();
    const Clock::time_point until =
        inbox_.empty() && !sync_wanted_ ? std::min({candidates_at, timer_at, rebroadcast_at}) : Clock::now();
    if (until == Clock::time_point::max()) {
      wake_.wait(lock, [&] {
        return stopping_ || work_pending_ || !timers_.empty() || !inbox_.empty() || sync_wanted_;
      });
      continue;
    }
    if (Clock::now() < until) {
      // Woken early by new work or a new timer: loop to recompute the deadline.
      wake_.wait_until(lock, until);
      continue;
    }
    std::vector<consensus::Timeout> due;
    while (!timers_.empty() && timers_.begin()->first <= Clock::now()) {
      due.push_back(timers_.begin()->second);
      timers_.erase(timers_.begin());
    }
    const bool candidates = work_pending_ && candidates_at <= Clock::now();
    if (candidates) {
      work_pending_ = false;
      full_block_pending_ = false;
    }
    std::deque<std::pair<Address, Inbound>> messages;
    messages.swap(inbox_);
    sync_wanted_ = false;
    const bool rebroadcast = broadcast_ && last_rebroadcast + rebroadcast_interval <= Clock::now();
    if (rebroadcast) last_rebroadcast = Clock::now();
    lock.unlock();
    {
      std::lock_guard engine_lock(engine_mutex_);
      const std::uint64_t now = now_ms();
      Status done;
      for (auto& [from, message] : messages) {
        if (!done) break;
        if (auto* synced = std::get_if<GossipBlock>(&message)) {
          done = apply_synced_locked(from, *synced, now);
          continue;
        }
        ensure_engine_started_locked(now);
        if (const auto* proposal = std::get_if<consensus::Proposal>(&message)) {
          const std::uint64_t made = proposal->block.header.time_ms;
          if (proposal->height == engine_->height() && now > made)
            trace_.proposal_lag_ms = std::max(trace_.proposal_lag_ms, now - made);
        }
        consensus::Outcome outcome = std::holds_alternative<consensus::Proposal>(message)
                                         ? engine_->on_proposal(std::get<consensus::Proposal>(message), now)
                                         : engine_->on_vote(std::get<consensus::Vote>(message), now);
        // Gossip onwards: what the engine stored for the first time goes once to the other peers, so
        // validators that cannot reach each other directly still see each other's votes and proposals.
        if (outcome.fresh && relay_) {
          relay_(from, std::holds_alternative<consensus::Proposal>(message)
                           ? gossip_text(std::get<consensus::Proposal>(message))
                           : gossip_text(std::get<consensus::Vote>(message)));
        }
        done = carry_out_locked(std::move(outcome.actions), now);
      }
      if (done && broadcast_) {
        ensure_engine_started_locked(now);  // after synced blocks: consensus at the new height
        request_blocks_locked();
      }
      for (const auto& timeout : due) {
        if (!done) break;
        if (timeout.height == engine_->height() && timeout.round == engine_->round()) ++trace_.timeouts;
        done = carry_out_locked(engine_->on_timeout(timeout, now), now);
      }
      if (done && rebroadcast) {
        broadcast_(gossip_text(GossipStatus{head().height}));
        done = carry_out_locked(engine_->rebroadcast(), now);
      }
      if (done && candidates && !mempool_.empty()) {
        const auto proposing = std::chrono::steady_clock::now();
        auto actions = engine_->on_candidates_available(now);
        trace_.proposing += std::chrono::steady_clock::now() - proposing;
        done = carry_out_locked(std::move(actions), now);
      }
      if (!done) spdlog::critical("consensus stopped: {}: {}", done.problem().rule, done.problem().detail);
    }
    lock.lock();
  }
}

Result<Node::EvidencePage> Node::evidence(std::size_t limit, const std::optional<std::string>& after) const {
  EvidencePage page;
  std::string from(evidence_prefix);
  if (after) {
    auto suffix = hex::decode(*after);
    if (!suffix) return invalid("invalid-body", "the cursor `after` is not one this node gave");
    from += std::string(suffix->begin(), suffix->end());
  }
  std::shared_lock lock(store_mutex_);
  Status failure;
  ONEBILL_TRY(store_->scan(evidence_prefix, from, [&](std::string_view key, std::string_view value) {
    if (page.items.size() == limit) {  // the cursor names the first record of the next page
      page.next = hex::encode(as_bytes(key.substr(evidence_prefix.size())));
      return false;
    }
    auto parsed = json::read(value);
    if (!parsed) {
      failure = storage_problem("a stored evidence record is damaged");
      return false;
    }
    page.items.push_back(std::move(*parsed));
    return true;
  }));
  ONEBILL_TRY(failure);
  return page;
}

}  // namespace onebill::node
