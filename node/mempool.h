// The mempool (DESIGN §5): admitted transactions waiting for a block, and a bounded log of the ones it
// refused or evicted.
//
// Admission checks a transaction (parsed, signer recovered once by the caller) against the pending
// state: the committed state plus this sender's pending transactions applied in nonce order, so one
// sender can have many transactions in one block. Limits: limits::max_pending_per_sender per sender
// ("sender-pending-limit"), `max_transactions` in all ("mempool-full").
// After each commit (and for candidates a proposal refused) the pool is re-checked: a transaction that
// no longer applies is evicted with every later nonce of its sender, and its id and broken rule go to
// the refusal log. Thread-safe: one mutex serialises admission, so two transactions of one sender never
// both take the same nonce.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "crypto/limits.h"
#include "crypto/result.h"
#include "ledger/block.h"
#include "ledger/execution.h"
#include "ledger/store.h"
#include "ledger/transaction.h"
#include "node/rw_lock.h"

namespace onebill::node {

struct MempoolOptions {
  std::size_t max_transactions = 10'000;
  std::size_t max_per_sender = limits::max_pending_per_sender;
  std::size_t refusal_log_entries = 10'000;
};

// Where a refusal happened: "admission" (answered on arrival) or "execution" (evicted while waiting).
struct Refusal {
  Hash32 id{};
  std::string stage;
  Problem problem;
  Address sender{};  // the transaction's `from` (as claimed, when the signature did not match)
};

enum class Admission { admitted, already_pending };

class Mempool {
 public:
  explicit Mempool(MempoolOptions options = {});
  ~Mempool();
  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;

  // Admits `transaction` (parsed; verify_signer passed) if it applies on the pending state over
  // `committed`, in the next block's context. The committed store may change only between
  // remove_committed and recheck (a block's commit), and is the same store at every call. A transaction
  // already pending answers already_pending. A refusal is returned and also logged (stage "admission").
  Result<Admission> admit(const ledger::Transaction& transaction, const ledger::Store& committed,
                          const ledger::BlockContext& next_block);
  // Admits each transaction in order, as admit() would one after the other, under one hold of the
  // pool's lock (a batch: its workers would otherwise queue for the lock once per transaction).
  std::vector<Result<Admission>> admit_all(std::span<const ledger::Transaction* const> transactions,
                                           const ledger::Store& committed,
                                           const ledger::BlockContext& next_block);

  // Up to `max` transactions in proposal order: arrival order, which keeps each sender's nonce order.
  std::vector<ledger::Transaction> candidates(std::size_t max) const;

  // Removes committed transactions (called under the same lock as the commit's write).
  void remove_committed(const std::vector<Hash32>& committed_ids);
  // Re-checks every pending transaction on the committed state (each sender's in nonce order); evicts
  // what no longer applies with its sender's later nonces. Returns the evictions (also logged, stage
  // "execution"). With `written` (the state writes of the block just committed), a sender whose
  // transactions read none of those keys when last applied, and whose outcome depends on no block
  // height or time (no expires_ms, no governance), is not re-applied: its outcome cannot have changed,
  // since apply is a pure function of what it reads and of the block context.
  std::vector<Refusal> recheck(const ledger::Store& committed, const ledger::BlockContext& next_block,
                               const ledger::WriteSet* written = nullptr);
  // The re-check after committing `block` (its writes and who wrote each key). A sender keeps its
  // pending state without re-application when its committed next nonce is the first nonce it still
  // has pending and every key its pending state read (from its pending writes or the committed state)
  // that the block wrote was written by this sender alone: its block transactions then saw what they
  // saw on admission, so the rest of its queue still sees the same. The kept state then lets go of the
  // committed transactions' reads and writes (the store holds those writes now), so a later block
  // that writes what only they read re-applies nothing. (Only the block's height and time differ,
  // which no outcome but expires_ms and governance reads.)
  std::vector<Refusal> recheck(const ledger::Store& committed, const ledger::BlockContext& next_block,
                               const ledger::ExecutedBlock& block);

  // How many times a sender's whole queue was applied again (a re-check, or an admission after one),
  // since start: the work the pending states save.
  std::uint64_t reapplications() const;

  // Evicts a transaction a proposal refused, with its sender's later nonces. Returns the evictions.
  std::vector<Refusal> evict(const Hash32& id, const Problem& problem);

  bool contains(const Hash32& id) const;
  // True when the transaction `id` is pending with exactly this signature: its signer was recovered on
  // admission (the id covers the signing text, `from` included), so a block holding it need not again.
  // (Takes the lock as the consensus thread: urgent.)
  bool holds_verified(const Hash32& id, const Signature& sig) const;
  // holds_verified of each transaction, under one hold of the lock (as an admission: ordinary).
  std::vector<bool> holds_verified_all(std::span<const ledger::Transaction* const> transactions) const;
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // The nonce after this sender's last pending transaction; nullopt when it has none pending.
  std::optional<std::uint64_t> next_pending_nonce(const Address& sender) const;
  // The latest refusal logged for this id, if still in the bounded log.
  std::optional<Refusal> refusal(const Hash32& id) const;
  // Logs a refusal decided elsewhere (a transaction whose signature did not match its sender).
  void log_refusal(Refusal refusal);
  // The sender of a pending transaction (for the API's "a participant reads its own transactions").
  std::optional<Address> pending_sender(const Hash32& id) const;
  // Every refusal logged since start, counted by (stage, rule), for /metrics.
  std::map<std::pair<std::string, std::string>, std::uint64_t> refusal_counts() const;

 private:
  struct Entry {
    ledger::Transaction transaction;
    std::uint64_t arrival = 0;
  };
  using SenderQueue = std::map<std::uint64_t, Entry>;  // nonce -> entry
  // What a sender's queue read when applied (admission, recheck), from its pending writes or the
  // committed state, each with the highest nonce that read it.
  struct Scan {
    std::string prefix;
    std::string from;
    std::uint64_t nonce = 0;
  };
  struct ReadSet {
    std::map<std::string, std::uint64_t, std::less<>> keys;  // key -> highest nonce that read it
    std::vector<Scan> scans;
    bool context_dependent = false;  // expires_ms, governance, or a read outside the state keys
  };
  class RecordingStore;
  Result<Admission> admit_locked(const ledger::Transaction& transaction, const ledger::Store& committed,
                                 const ledger::BlockContext& next_block);
  bool holds_verified_locked(const Hash32& id, const Signature& sig) const;
  // A sender's pending state: its queue applied in nonce order on the committed state, and what that
  // read. Admission applies a new transaction on it instead of re-applying the whole queue. Valid while
  // `generation` is the pool's: set when built or when a re-check found the last commit wrote nothing
  // it read; a commit, an eviction or a removal of the sender's transactions drops it.
  struct PendingState;
  static bool touches(const ReadSet& reads, const ledger::WriteSet& written);
  // Whether `sender`'s pending state, built before `block` was committed, still holds (see recheck).
  // When it holds, drops what the state holds of the transactions now committed.
  bool holds_after_locked(const Address& sender, PendingState& state,
                          const ledger::ExecutedBlock& block) const;
  // Re-applies every sender for whom `keep` answers false, keeps the others' pending states.
  template <typename Keep>
  std::vector<Refusal> recheck_locked(const ledger::Store& committed, const ledger::BlockContext& next_block,
                                      Keep keep);
  // Applies the sender's queue on a fresh pending state; on the first refusal, returns its nonce and
  // problem with the state of the queue before it.
  std::unique_ptr<PendingState> replay_locked(const SenderQueue& queue, const ledger::Store& committed,
                                              const ledger::BlockContext& next_block,
                                              std::optional<std::pair<std::uint64_t, Problem>>& broken);

  // Removes nonces >= from_nonce of one sender; the first gets `problem`, the later "evicted".
  std::vector<Refusal> evict_from_locked(const Address& sender, std::uint64_t from_nonce,
                                         const Problem& problem);
  void remove_locked(const Address& sender, std::uint64_t nonce);
  void log_locked(Refusal refusal);

  MempoolOptions options_;
  // Ordinary for admission and reads, urgent for the consensus thread (candidates, removal, re-check,
  // eviction), which at saturation would otherwise queue behind workers admitting batches.
  mutable PriorityMutex mutex_;
  std::atomic<std::size_t> size_{0};  // by_id_.size(), read without the lock
  std::map<Address, SenderQueue> senders_;
  std::map<Address, std::unique_ptr<PendingState>> pending_;  // at most one per sender in senders_
  std::uint64_t generation_ = 0;                              // bumped by every remove_committed
  std::uint64_t reapplications_ = 0;
  std::map<Hash32, std::pair<Address, std::uint64_t>> by_id_;
  std::map<std::uint64_t, Hash32> by_arrival_;
  std::uint64_t next_arrival_ = 0;
  // Bounded refusal log: id -> refusal, oldest dropped first.
  std::map<Hash32, Refusal> refusals_;
  std::deque<Hash32> refusal_order_;
  // (stage, rule) -> count; bounded by the fixed set of stages and rules.
  std::map<std::pair<std::string, std::string>, std::uint64_t> refusal_counts_;
};

}  // namespace onebill::node
