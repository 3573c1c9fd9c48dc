// The daemon's runtime (DESIGN §5): the committed store, the mempool and the Tendermint engine
// (node/consensus.h) that decides blocks, with what the API asks of them (submit, transaction status,
// consistent reads, waiting for a commit).
//
// Threads: HTTP workers call submit/reads concurrently; one consensus thread drives the engine
// (candidates, timeouts) and carries out its actions: persist the sign state (synced) before a message
// leaves, schedule timeouts, commit decided blocks, keep evidence. A shared mutex
// (writer-preferring, node/rw_lock.h) orders them: reads and admission hold it shared, the commit of a block
// holds it exclusively while it writes the block's one synced batch and drops the committed transactions from
// the mempool, so a read never sees half a block and admission never sees a transaction both committed and
// pending. Lock order: the store mutex, then the mempool's own.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <variant>

#include "crypto/json.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/store.h"
#include "node/block_producer.h"
#include "node/consensus.h"
#include "node/gossip.h"
#include "node/local_keys.h"
#include "node/mempool.h"
#include "node/rw_lock.h"

namespace onebill::node {

struct NodeOptions {
  // The least time between a commit and the next proposal: transactions arriving meanwhile join it.
  std::uint64_t block_interval_ms = 200;
  MempoolOptions mempool;
  // Backpressure on clients: while the pool holds this many transactions or more (or its limit, if
  // smaller), a client's submission waits up to admission_wait_ms for the re-check after a commit before
  // it is judged. Gossip never waits. 0: never waits.
  std::size_t admission_room = 2 * limits::max_batch_transactions;
  std::uint64_t admission_wait_ms = 1'000;
  consensus::TimeoutConfig timeouts;
};

// What became of a transaction. 404 only for `unknown` (never seen, or aged out of the refusal log).
struct TxStatus {
  enum class State { unknown, pending, committed, refused };
  State state = State::unknown;
  std::uint64_t height = 0;        // committed
  std::uint32_t index = 0;         // committed: position in its block
  Hash32 block_hash{};             // committed
  std::optional<Refusal> refusal;  // refused
  std::optional<Address> sender;   // the transaction's `from` (committed, pending, refused)
};

// The answer to a submission: the id when the transaction parsed; the problem when it was refused.
struct SubmitOutcome {
  std::optional<Hash32> id;
  std::optional<Problem> problem;
  bool already_pending = false;
};

class Node {
 public:
  // Opens the node on `store`: writes the genesis into an empty store, or checks the stored head (the
  // head block's hash and state root, its commit) and that the store was made from this genesis.
  // With a validator key, the key must be in the current validator set. Problems: local faults
  // ("storage", "config").
  static Result<std::unique_ptr<Node>> open(std::unique_ptr<ledger::Store> store,
                                            const ledger::Genesis& genesis,
                                            std::optional<PrivateKey> validator_key, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts and stops the consensus thread (a validator only): it runs the Tendermint engine
  // (node/consensus.h) on this node's messages and timeouts. Blocks are made while transactions are
  // pending, at most one per block_interval_ms, never when idle. A single validator runs the same
  // engine and commits from its own votes.
  void start();
  void stop();
  // Joins the node to its peers (call before start): `broadcast` queues a gossip message
  // (node/gossip.h) for every linked peer. Admitted transactions, own proposals and votes go out
  // through it, own messages again every 2 s (gossip is lossy). An observer (no validator key) then
  // runs the engine too: it follows the chain, committing blocks on +2/3 precommits it verifies.
  // `send_to(peer, message)` answers one peer (block sync). `relay(from, message)` queues a message for
  // every linked peer but `from`: a peer's vote or proposal that the engine stored for the first time
  // (consensus::Outcome::fresh) is relayed so, once, as CometBFT gossips votes onwards; without it
  // (tests) nothing is relayed. `linked()`, when given, answers whether any peer is linked now: an
  // admitted transaction's gossip is not even written while none is (a broadcast would reach nobody).
  void attach_network(std::function<void(const std::string&)> broadcast,
                      std::function<void(const Address&, const std::string&)> send_to,
                      std::function<void(const Address&, const std::string&)> relay = {},
                      std::function<bool()> linked = {});
  // A message from a peer. A problem means it was malformed (the caller scores the peer down);
  // messages that are well-formed but useless (old height, unknown validator) are dropped quietly.
  // Block sync: every node tells its height with its rebroadcast; a node behind asks a peer ahead for
  // the next blocks (node/gossip.h), verifies each commit against the validator set of its height,
  // re-executes the block and commits it, logging a progress line while it catches up.
  Status receive(const Address& from, std::string_view text);

  // Tells the engine, now, that candidates are pending, and carries out what it decides (tests, with
  // the consensus thread stopped). A single validator commits a block in this call. Returns the new
  // height, or nullopt when nothing was committed. A local fault (disk) stops consensus.
  Result<std::optional<std::uint64_t>> produce_block(std::uint64_t time_ms);

  // Conflicting votes seen by this node (GET /v1/evidence) in chain order, at most `limit`, after the
  // opaque cursor `after` that a previous page gave as `next`. Each item: consensus::Evidence's JSON.
  struct EvidencePage {
    std::vector<json::Json> items;
    std::optional<std::string> next;  // cursor for the next page
  };
  Result<EvidencePage> evidence(std::size_t limit, const std::optional<std::string>& after) const;

  // Parses (expecting this chain), recovers the signer once, and admits against the pending state.
  SubmitOutcome submit(std::string_view wire_text);
  SubmitOutcome submit(const json::Json& wire_object);
  // Each element of a JSON array (POST /v1/txs) as submit() would judge it, in order; the pool's lock
  // is taken once for the batch rather than once per transaction.
  std::vector<SubmitOutcome> submit_all(const json::Json& wire_array);

  Result<TxStatus> tx_status(const Hash32& id) const;
  // Waits until the transaction is committed or refused, or `timeout` passes (then: its status now).
  Result<TxStatus> wait_for_outcome(const Hash32& id, std::chrono::milliseconds timeout);
  // Waits until the committed height exceeds `height`, or `timeout` passes; returns the height then
  // (GET /v1/events long-polls on it).
  std::uint64_t wait_for_height_above(std::uint64_t height, std::chrono::milliseconds timeout);

  // Runs `read(store, head)` on the committed state, consistent with one head.
  template <typename Read>
  auto read(Read&& read) const {
    restore_this_thread_priority();  // a worker lowered by an admission reads at its former priority
    std::shared_lock lock(store_mutex_);
    return read(static_cast<const ledger::Store&>(*store_), head_);
  }
  ledger::Head head() const;
  // One of the last blocks this node committed (kept as committed, so a reader following the chain
  // needs no parse of the stored block); nullptr for any other height: read it from the store.
  std::shared_ptr<const ledger::Block> recent_block(std::uint64_t height) const;
  const ledger::Genesis& genesis() const { return genesis_; }
  // The nonce after the sender's last pending transaction, when it has any.
  std::optional<std::uint64_t> pending_nonce(const Address& sender) const;
  std::size_t mempool_size() const { return mempool_.size(); }
  // For /metrics: how often a sender's pending queue was applied again after a commit changed its reads.
  std::uint64_t mempool_reapplications() const { return mempool_.reapplications(); }
  // For /metrics: peers' copies of transactions pending here, dropped before parsing.
  std::uint64_t gossip_copies_dropped() const {
    return gossip_copies_dropped_.load(std::memory_order_relaxed);
  }
  // For /metrics: transactions committed since this process started; refusals by (stage, rule).
  std::uint64_t committed_transactions() const { return committed_transactions_.load(); }
  std::map<std::pair<std::string, std::string>, std::uint64_t> refusal_counts() const {
    return mempool_.refusal_counts();
  }
  bool is_validator() const { return identity_.has_value(); }
  bool is_networked() const { return static_cast<bool>(broadcast_); }
  // Networked and, as far as `linked()` (attach_network) tells, some peer is linked now: a message
  // written for broadcast would reach someone.
  bool peers_linked() const { return broadcast_ && (!linked_ || linked_()); }
  // False after a local fault stopped block production.
  bool healthy() const { return !failed_.load(); }

  static std::uint64_t now_ms();
  // Raises this thread back to the priority it had before an admission lowered it (where the process
  // may raise priorities; otherwise nothing). Cheap when the thread was not lowered.
  static void restore_this_thread_priority();

 private:
  Node(std::unique_ptr<ledger::Store> store, ledger::Genesis genesis,
       std::optional<ValidatorIdentity> identity, ledger::Head head, NodeOptions options);
  // `relayed_from`: the peer that gossiped the transaction (it is not sent back there).
  SubmitOutcome admit(Result<ledger::Transaction> parsed, const Address* relayed_from = nullptr);
  std::vector<SubmitOutcome> admit_all(std::vector<Result<ledger::Transaction>> parsed,
                                       const Address* relayed_from = nullptr);
  ledger::BlockContext next_context_locked() const;
  // Waits while the pool holds its room (NodeOptions::admission_room) or more, until a commit's re-check
  // leaves less or options_.admission_wait_ms passes.
  void wait_for_pool_room();
  void notify_outcomes();
  void run_consensus();
  class EngineApp;
  // With engine_mutex_ held: starts the engine at head + 1 if it is not there yet.
  void ensure_engine_started_locked(std::uint64_t now_ms);
  // With engine_mutex_ held: carries out the engine's actions in order (persist before broadcast).
  Status carry_out_locked(std::vector<consensus::Action> actions, std::uint64_t now_ms);
  // Commits a decided block in one synced batch, with the sign state not yet durable (if any).
  Status commit_decided_locked(const consensus::Decide& decide,
                               std::optional<consensus::SignState> sign_state);
  // The sign state's writes: the state without its proposal, and the proposal once per (height, round)
  // unless its height is `decided` in the same batch.
  void add_sign_state_locked(ledger::WriteBatch& batch, consensus::SignState state, bool decided);
  Status persist_sign_state_locked(consensus::SignState state);
  std::optional<std::pair<std::uint64_t, std::uint32_t>> persisted_proposal_;  // engine_mutex_'s
  std::optional<std::pair<std::uint64_t, std::uint32_t>> persisted_lock_;      // (height, locked_round)
  // What the current height has cost this node so far (engine_mutex_'s), logged with its commit: a
  // warning when it took more than one round, so an operator sees why heights are slow.
  struct HeightTrace {
    std::chrono::steady_clock::time_point started{};
    std::chrono::steady_clock::duration proposing{};  // building own proposals
    std::chrono::steady_clock::duration executing{};  // re-executing others' proposals
    std::uint32_t executions = 0;
    std::chrono::steady_clock::duration syncing{};     // synced sign-state writes before a send
    std::chrono::steady_clock::duration committing{};  // the block's synced write and the mempool's re-check
    std::uint32_t synced_writes = 0;
    std::uint64_t synced_bytes = 0;
    std::uint64_t proposal_lag_ms = 0;  // longest from a peer's proposal's block time to its handling
    std::uint32_t timeouts = 0;
  };
  HeightTrace trace_;
  void log_height_locked(const consensus::Decide& decide) const;
  void wake_for_candidates();
  // Transactions gossiped by peers wait here for the admission thread (run_gossip_admission), so a
  // peer link's reading thread only parses them and goes on to the proposals and votes behind them.
  // Bounded: when full, the newest are dropped (gossip is lossy; the sender keeps them pending, and a
  // proposal holding one is verified in full).
  static constexpr std::size_t max_gossip_backlog = 4096;
  std::mutex gossip_mutex_;
  std::condition_variable gossip_wake_;
  struct GossipArrival {
    Address from;
    ledger::Transaction transaction;
    std::uint64_t fingerprint = 0;  // of its gossip text
  };
  std::deque<GossipArrival> gossip_backlog_;  // guarded by gossip_mutex_
  // Admits peers' transactions, in order; once one is pending here, later copies of its text are
  // dropped unread. The admission thread takes up to max_gossip_admission_batch from the backlog at a
  // time, as a client's batch: the pool's lock is taken once for them, not once each.
  void admit_gossiped(std::vector<GossipArrival> arrivals);
  static constexpr std::size_t max_gossip_admission_batch = 64;
  // Fingerprints of the last gossip texts of transactions admitted here from a peer, so a copy from
  // another peer is dropped before parsing: 64 bits of
  // keccak256(salt ‖ text), the salt random per process, so a peer cannot make a text collide with
  // another's. A collision would only drop gossip, which is lossy anyway.
  static constexpr std::size_t max_gossip_seen = 65'536;
  std::array<std::uint8_t, 16> gossip_salt_{};
  std::uint64_t gossip_fingerprint(std::string_view text) const;
  std::unordered_set<std::uint64_t> gossip_seen_;  // guarded by gossip_mutex_
  std::deque<std::uint64_t> gossip_seen_order_;    // guarded by gossip_mutex_, oldest first
  std::atomic<std::uint64_t> gossip_copies_dropped_{0};
  void note_gossip_seen_locked(std::uint64_t fingerprint);
  bool gossip_stopping_ = false;  // guarded by gossip_mutex_
  std::thread gossip_thread_;
  void run_gossip_admission();

  std::unique_ptr<ledger::Store> store_;
  const ledger::Genesis genesis_;
  const std::optional<ValidatorIdentity> identity_;
  const NodeOptions options_;
  Mempool mempool_;

  mutable WriterPreferringSharedMutex store_mutex_;  // a commit waits only for the readers already in
  ledger::Head head_;                                // guarded by store_mutex_
  static constexpr std::size_t recent_blocks_kept = 16;
  mutable std::mutex recent_mutex_;
  std::deque<std::shared_ptr<const ledger::Block>> recent_blocks_;  // guarded by recent_mutex_, oldest first

  // The engine and what it decides; every call into it holds engine_mutex_.
  std::mutex engine_mutex_;
  std::unique_ptr<EngineApp> app_;
  std::unique_ptr<consensus::Engine> engine_;
  std::chrono::steady_clock::time_point last_decide_{};  // guarded by wake_mutex_

  // Consensus thread wake-ups: pending candidates, timeouts, peer messages; and outcome waiters.
  // Lock order: engine_mutex_, then wake_mutex_ (never the other way).
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool work_pending_ = false;        // guarded by wake_mutex_
  bool full_block_pending_ = false;  // guarded by wake_mutex_: a full block's worth is pending
  bool stopping_ = false;            // guarded by wake_mutex_
  std::multimap<std::chrono::steady_clock::time_point, consensus::Timeout> timers_;  // guarded by wake_mutex_
  using Inbound = std::variant<consensus::Proposal, consensus::Vote, GossipBlock>;
  std::deque<std::pair<Address, Inbound>> inbox_;      // guarded by wake_mutex_
  std::map<Address, std::uint64_t> peer_heights_;      // guarded by wake_mutex_: each peer's last told height
  bool sync_wanted_ = false;                           // guarded by wake_mutex_: a peer is ahead
  std::function<void(const std::string&)> broadcast_;  // set before start, then read-only
  std::function<bool()> linked_;                       // likewise (attach_network)
  std::function<void(const Address&, const std::string&)> send_to_;  // likewise
  std::function<void(const Address&, const std::string&)> relay_;    // likewise

  // Block sync, on the consensus thread (engine_mutex_).
  std::atomic<bool> syncing_{false};  // blocks are being fetched: no own rounds meanwhile
  struct Sync {
    Address requested_peer;
    std::map<Address, std::chrono::steady_clock::time_point> passed_over;  // peers that sent nothing
    std::uint64_t requested_to = 0;  // blocks asked for up to this height
    std::chrono::steady_clock::time_point requested_at{};
    std::chrono::steady_clock::time_point progress_at{};
    std::uint64_t progress_height = 0;
  };
  Sync sync_;
  Status apply_synced_locked(const Address& from, const GossipBlock& block, std::uint64_t now_ms);
  void request_blocks_locked();
  void answer_get_blocks(const Address& from, const GossipGetBlocks& request) const;
  std::mutex outcome_mutex_;
  std::condition_variable outcome_;
  std::uint64_t outcome_generation_ = 0;  // guarded by outcome_mutex_
  std::condition_variable room_;          // the re-check after a commit is done (wait_for_pool_room)
  std::uint64_t room_generation_ = 0;     // guarded by outcome_mutex_
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> committed_transactions_{0};
  std::thread consensus_thread_;
};

}  // namespace onebill::node
