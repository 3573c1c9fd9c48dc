#include "node/mempool.h"

#include "ledger/keys.h"

namespace onebill::node {

// The pending state seen through a recorder: the keys an application of transactions read and the
// prefixes it scanned, each with the nonce of the transaction being applied, so that a later commit
// can tell whether it could change the outcome of a transaction still pending.
class Mempool::RecordingStore final : public ledger::Store {
 public:
  RecordingStore(const ledger::Store& base, ReadSet& reads, const std::uint64_t& nonce)
      : base_(base), reads_(reads), nonce_(nonce) {}
  Result<std::optional<std::string>> get(std::string_view key) const override {
    note(key);
    return base_.get(key);
  }
  std::shared_ptr<const ledger::Bill> held_bill(std::string_view key) const override {
    note(key);
    return base_.held_bill(key);
  }
  void offer_bill(std::string_view key, const std::shared_ptr<const ledger::Bill>& bill) const override {
    base_.offer_bill(key, bill);
  }
  Status scan(std::string_view prefix, std::string_view from,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    if (!ledger::keys::is_state_key(prefix)) reads_.context_dependent = true;
    reads_.scans.push_back(Scan{std::string(prefix), std::string(from), nonce_});
    return base_.scan(prefix, from, visit);
  }
  Status write(const ledger::WriteBatch&, bool) override {
    ONEBILL_ASSERT(false && "the mempool never writes the committed store");
    return {};
  }

 private:
  void note(std::string_view key) const {
    if (!ledger::keys::is_state_key(key))
      reads_.context_dependent = true;  // chain records change every block
    auto found = reads_.keys.find(key);
    if (found == reads_.keys.end()) {
      reads_.keys.emplace(key, nonce_);
    } else {
      found->second = std::max(found->second, nonce_);
    }
  }
  const ledger::Store& base_;
  ReadSet& reads_;
  const std::uint64_t& nonce_;
};

namespace {

// Whether a transaction's outcome may change with the block's height or time alone.
bool depends_on_context(const ledger::Transaction& transaction) {
  return transaction.expires_ms.has_value() || transaction.type.starts_with("gov.");
}

}  // namespace

struct Mempool::PendingState {
  PendingState(const ledger::Store& committed_store, std::uint64_t built_at)
      : committed(&committed_store),
        overlay(committed_store),
        recording(overlay, reads, applying),
        generation(built_at) {}
  // Applies the sender's next transaction: on success its writes join the overlay, each noted with its
  // nonce; on refusal nothing changes (but what it read stays noted: a sound superset).
  Status apply(const ledger::Transaction& transaction, const ledger::BlockContext& next_block) {
    applying = transaction.nonce;
    ledger::Overlay attempt(static_cast<const ledger::Store&>(recording));
    ONEBILL_TRY(ledger::apply(transaction, attempt, next_block));
    for (auto& [key, value] : attempt.take_entries()) {
      written[key] = transaction.nonce;
      overlay.put_written(key, std::move(value));
    }
    reads.context_dependent = reads.context_dependent || depends_on_context(transaction);
    return {};
  }
  const ledger::Store* committed;
  ReadSet reads;
  ledger::Overlay overlay;  // over the committed store: the queue's writes
  std::map<std::string, std::uint64_t, std::less<>>
      written;                 // key of `overlay` -> highest nonce that wrote it
  std::uint64_t applying = 0;  // the nonce being applied
  RecordingStore recording;    // over `overlay`, noting into `reads` with `applying`
  std::uint64_t generation = 0;
};

bool Mempool::touches(const ReadSet& reads, const ledger::WriteSet& written) {
  for (const auto& [key, nonce] : reads.keys) {
    if (written.find(key) != written.end()) return true;
  }
  for (const auto& scan : reads.scans) {
    const auto next = written.lower_bound(std::max(scan.prefix, scan.from));
    if (next != written.end() && next->first.starts_with(scan.prefix)) return true;
  }
  return false;
}

Mempool::Mempool(MempoolOptions options) : options_(options) {
  ONEBILL_ASSERT(options_.max_transactions > 0);
  ONEBILL_ASSERT(options_.max_per_sender > 0);
}

Mempool::~Mempool() = default;

Result<Admission> Mempool::admit(const ledger::Transaction& transaction, const ledger::Store& committed,
                                 const ledger::BlockContext& next_block) {
  std::lock_guard lock(mutex_);
  return admit_locked(transaction, committed, next_block);
}

std::vector<Result<Admission>> Mempool::admit_all(std::span<const ledger::Transaction* const> transactions,
                                                  const ledger::Store& committed,
                                                  const ledger::BlockContext& next_block) {
  std::vector<Result<Admission>> out;
  out.reserve(transactions.size());
  std::lock_guard lock(mutex_);
  for (const ledger::Transaction* transaction : transactions) {
    out.push_back(admit_locked(*transaction, committed, next_block));
  }
  return out;
}

Result<Admission> Mempool::admit_locked(const ledger::Transaction& transaction,
                                        const ledger::Store& committed,
                                        const ledger::BlockContext& next_block) {
  if (by_id_.contains(transaction.id)) return Admission::already_pending;
  auto refuse = [&](Problem problem) -> Result<Admission> {
    log_locked(Refusal{transaction.id, "admission", problem, transaction.from});
    return problem;
  };
  const auto sender = senders_.find(transaction.from);
  const std::size_t pending_of_sender = sender == senders_.end() ? 0 : sender->second.size();
  if (pending_of_sender >= options_.max_per_sender) {
    return refuse(invalid("sender-pending-limit", "The sender has " + std::to_string(pending_of_sender) +
                                                      " transactions pending; wait for some to commit."));
  }
  if (by_id_.size() >= options_.max_transactions) {
    return refuse(invalid("mempool-full", "The mempool holds " + std::to_string(by_id_.size()) +
                                              " transactions; retry later."));
  }
  // The pending state: committed state plus this sender's pending transactions in nonce order, kept
  // between admissions while no commit changed what it read.
  auto cached = pending_.find(transaction.from);
  if (cached != pending_.end() && (cached->second->generation != generation_ || sender == senders_.end() ||
                                   cached->second->committed != &committed)) {
    pending_.erase(cached);
    cached = pending_.end();
  }
  if (cached == pending_.end()) {
    std::unique_ptr<PendingState> state;
    if (sender != senders_.end()) {
      std::optional<std::pair<std::uint64_t, Problem>> broken;
      state = replay_locked(sender->second, committed, next_block, broken);
      // A pending transaction that no longer applies is evicted after the next commit; until then
      // the new one cannot be judged on a consistent state.
      if (broken) {
        return refuse(invalid("nonce-gap", "An earlier pending transaction of the sender (nonce " +
                                               std::to_string(broken->first) +
                                               ") no longer applies: " + broken->second.rule + "."));
      }
    } else {
      state = std::make_unique<PendingState>(committed, generation_);
    }
    cached = pending_.emplace(transaction.from, std::move(state)).first;
  }
  PendingState& state = *cached->second;
  const Status applied = state.apply(transaction, next_block);
  if (!applied) {
    if (sender == senders_.end()) pending_.erase(cached);  // no queue: no pending state to keep
    return refuse(applied.problem());
  }

  const std::uint64_t arrival = next_arrival_++;
  senders_[transaction.from].emplace(transaction.nonce, Entry{transaction, arrival});
  by_id_.emplace(transaction.id, std::make_pair(transaction.from, transaction.nonce));
  size_.store(by_id_.size(), std::memory_order_relaxed);
  by_arrival_.emplace(arrival, transaction.id);
  ONEBILL_ASSERT(by_id_.size() == by_arrival_.size());
  return Admission::admitted;
}

std::vector<ledger::Transaction> Mempool::candidates(std::size_t max) const {
  auto urgent = mutex_.urgent();  // the consensus thread
  std::lock_guard lock(urgent);
  std::vector<ledger::Transaction> out;
  out.reserve(std::min(max, by_arrival_.size()));
  for (const auto& [arrival, id] : by_arrival_) {
    if (out.size() >= max) break;
    const auto& [sender, nonce] = by_id_.at(id);
    out.push_back(senders_.at(sender).at(nonce).transaction);
  }
  return out;
}

void Mempool::remove_committed(const std::vector<Hash32>& committed_ids) {
  auto urgent = mutex_.urgent();  // the consensus thread
  std::lock_guard lock(urgent);
  ++generation_;  // the committed store changed: every pending state waits for the re-check
  for (const Hash32& id : committed_ids) {
    const auto found = by_id_.find(id);
    if (found == by_id_.end()) continue;
    const auto [sender, nonce] = found->second;
    // The sender's pending state is kept: it holds the committed transaction's writes over a store
    // that now has them too, and recheck decides whether it still holds (holds_after_locked).
    remove_locked(sender, nonce);
  }
  ONEBILL_ASSERT(by_id_.size() == by_arrival_.size());
}

std::unique_ptr<Mempool::PendingState> Mempool::replay_locked(
    const SenderQueue& queue, const ledger::Store& committed, const ledger::BlockContext& next_block,
    std::optional<std::pair<std::uint64_t, Problem>>& broken) {
  auto state = std::make_unique<PendingState>(committed, generation_);
  if (!queue.empty()) ++reapplications_;
  for (const auto& [nonce, entry] : queue) {
    // A transaction whose outcome depends on the block context keeps the state context-dependent even
    // when it no longer applies.
    state->reads.context_dependent = state->reads.context_dependent || depends_on_context(entry.transaction);
    const Status applied = state->apply(entry.transaction, next_block);
    if (!applied) {  // apply leaves the state as it was: the state of the queue before `nonce`
      broken.emplace(nonce, applied.problem());
      break;
    }
  }
  return state;
}

template <typename Keep>
std::vector<Refusal> Mempool::recheck_locked(const ledger::Store& committed,
                                             const ledger::BlockContext& next_block, Keep keep) {
  std::vector<Refusal> evicted;
  std::vector<Address> senders;
  senders.reserve(senders_.size());
  for (const auto& [sender, queue] : senders_) {
    const auto cached = pending_.find(sender);
    if (cached != pending_.end() && keep(sender, *cached->second)) {
      cached->second->generation = generation_;  // still this sender's state on the new committed state
    } else {
      senders.push_back(sender);
    }
  }
  for (const Address& sender : senders) {
    std::optional<std::pair<std::uint64_t, Problem>> broken;
    auto state = replay_locked(senders_.at(sender), committed, next_block, broken);
    if (broken) {
      auto more = evict_from_locked(sender, broken->first, broken->second);
      evicted.insert(evicted.end(), more.begin(), more.end());
    }
    // The state of what is left of the queue (its reads a superset when some were evicted: still a
    // sound trigger for the next re-check).
    if (senders_.contains(sender)) pending_[sender] = std::move(state);
  }
  ONEBILL_ASSERT(pending_.size() <= senders_.size());
  ONEBILL_ASSERT(by_id_.size() == by_arrival_.size());
  return evicted;
}

std::vector<Refusal> Mempool::recheck(const ledger::Store& committed, const ledger::BlockContext& next_block,
                                      const ledger::WriteSet* written) {
  auto urgent = mutex_.urgent();  // the consensus thread
  std::lock_guard lock(urgent);
  return recheck_locked(committed, next_block, [&](const Address&, const PendingState& state) {
    // Without the writers of the block, a state built on the old committed state holds only when the
    // commit wrote nothing it read (its own nonce key included).
    return written != nullptr && state.committed == &committed && !state.reads.context_dependent &&
           !touches(state.reads, *written);
  });
}

std::vector<Refusal> Mempool::recheck(const ledger::Store& committed, const ledger::BlockContext& next_block,
                                      const ledger::ExecutedBlock& block) {
  auto urgent = mutex_.urgent();  // the consensus thread
  std::lock_guard lock(urgent);
  return recheck_locked(committed, next_block, [&](const Address& sender, PendingState& state) {
    if (state.committed != &committed || state.reads.context_dependent) return false;
    // Rebuilt since the commit (an admission in between): it was applied on the new committed state.
    if (state.generation == generation_) return true;
    if (state.generation + 1 != generation_) return false;
    return holds_after_locked(sender, state, block);
  });
}

bool Mempool::holds_after_locked(const Address& sender, PendingState& state,
                                 const ledger::ExecutedBlock& block) const {
  const auto queue = senders_.find(sender);
  if (queue == senders_.end() || queue->second.empty()) return false;
  // Nonces below the first still pending are of transactions now committed.
  const std::uint64_t first_pending = queue->second.begin()->first;
  // The block committed exactly this sender's earliest pending transactions (not others of the same
  // nonces that a peer proposed): its next nonce is the first one still pending.
  const auto nonce = block.writes.find(ledger::keys::account_key(sender));
  if (nonce != block.writes.end()) {
    if (!nonce->second || *nonce->second != std::to_string(first_pending)) return false;
  }
  auto only_this_sender = [&](std::string_view key) {
    const auto writer = block.writers.find(key);
    return writer != block.writers.end() && writer->second == std::optional<Address>(sender);
  };
  // Every read noted so far counts, those of the transactions the block just committed included: they
  // must have seen in the block what they saw here for the writes they left in the pending state to be
  // the committed ones.
  for (const auto& [key, reader] : state.reads.keys) {
    (void)reader;
    if (block.writes.find(key) != block.writes.end() && !only_this_sender(key)) return false;
  }
  for (const auto& scan : state.reads.scans) {
    for (auto it = block.writes.lower_bound(std::max(scan.prefix, scan.from));
         it != block.writes.end() && it->first.starts_with(scan.prefix); ++it) {
      if (!only_this_sender(it->first)) return false;
    }
  }
  // It holds. The committed transactions' reads no longer matter to later blocks, and their writes are
  // now the committed values (or older than another sender's later ones): both leave the pending
  // state, which so holds only what the still-pending transactions read and wrote.
  std::erase_if(state.reads.keys, [&](const auto& entry) { return entry.second < first_pending; });
  std::erase_if(state.reads.scans, [&](const Scan& scan) { return scan.nonce < first_pending; });
  for (auto it = state.written.begin(); it != state.written.end();) {
    if (it->second < first_pending) {
      state.overlay.forget(it->first);
      it = state.written.erase(it);
    } else {
      ++it;
    }
  }
  return true;
}

std::uint64_t Mempool::reapplications() const {
  std::lock_guard lock(mutex_);
  return reapplications_;
}

std::vector<Refusal> Mempool::evict(const Hash32& id, const Problem& problem) {
  auto urgent = mutex_.urgent();  // the consensus thread
  std::lock_guard lock(urgent);
  const auto found = by_id_.find(id);
  if (found == by_id_.end()) return {};
  const auto [sender, nonce] = found->second;
  return evict_from_locked(sender, nonce, problem);
}

std::vector<Refusal> Mempool::evict_from_locked(const Address& sender, std::uint64_t from_nonce,
                                                const Problem& problem) {
  std::vector<Refusal> evicted;
  const auto queue = senders_.find(sender);
  if (queue == senders_.end()) return evicted;
  std::vector<std::pair<std::uint64_t, Hash32>> doomed;
  for (auto it = queue->second.lower_bound(from_nonce); it != queue->second.end(); ++it) {
    doomed.emplace_back(it->first, it->second.transaction.id);
  }
  pending_.erase(sender);  // it holds the evicted transactions' writes
  for (const auto& [nonce, id] : doomed) {
    Problem cause = nonce == from_nonce ? problem
                                        : invalid("evicted", "An earlier transaction of the sender (nonce " +
                                                                 std::to_string(from_nonce) +
                                                                 ") was evicted: " + problem.rule + ".");
    remove_locked(sender, nonce);
    Refusal refusal{id, "execution", std::move(cause), sender};
    log_locked(refusal);
    evicted.push_back(std::move(refusal));
  }
  return evicted;
}

void Mempool::remove_locked(const Address& sender, std::uint64_t nonce) {
  auto queue = senders_.find(sender);
  ONEBILL_ASSERT(queue != senders_.end());
  auto entry = queue->second.find(nonce);
  ONEBILL_ASSERT(entry != queue->second.end());
  by_arrival_.erase(entry->second.arrival);
  by_id_.erase(entry->second.transaction.id);
  size_.store(by_id_.size(), std::memory_order_relaxed);
  queue->second.erase(entry);
  if (queue->second.empty()) {
    senders_.erase(queue);
    pending_.erase(sender);
  }
}

void Mempool::log_locked(Refusal refusal) {
  ++refusal_counts_[{refusal.stage, refusal.problem.rule}];
  const Hash32 id = refusal.id;
  const auto [it, inserted] = refusals_.insert_or_assign(id, std::move(refusal));
  (void)it;
  if (inserted) refusal_order_.push_back(id);
  while (refusal_order_.size() > options_.refusal_log_entries) {
    refusals_.erase(refusal_order_.front());
    refusal_order_.pop_front();
  }
}

bool Mempool::contains(const Hash32& id) const {
  std::lock_guard lock(mutex_);
  return by_id_.contains(id);
}

bool Mempool::holds_verified(const Hash32& id, const Signature& sig) const {
  auto urgent = mutex_.urgent();  // the consensus thread, executing a peer's proposal
  std::lock_guard lock(urgent);
  return holds_verified_locked(id, sig);
}

std::vector<bool> Mempool::holds_verified_all(
    std::span<const ledger::Transaction* const> transactions) const {
  std::vector<bool> out;
  out.reserve(transactions.size());
  std::lock_guard lock(mutex_);
  for (const ledger::Transaction* transaction : transactions) {
    out.push_back(holds_verified_locked(transaction->id, transaction->sig));
  }
  return out;
}

bool Mempool::holds_verified_locked(const Hash32& id, const Signature& sig) const {
  const auto found = by_id_.find(id);
  if (found == by_id_.end()) return false;
  const Entry& entry = senders_.at(found->second.first).at(found->second.second);
  return entry.transaction.sig == sig;
}

std::size_t Mempool::size() const {
  return size_.load(std::memory_order_relaxed);
}

std::optional<std::uint64_t> Mempool::next_pending_nonce(const Address& sender) const {
  std::lock_guard lock(mutex_);
  const auto queue = senders_.find(sender);
  if (queue == senders_.end() || queue->second.empty()) return std::nullopt;
  return queue->second.rbegin()->first + 1;
}

std::optional<Refusal> Mempool::refusal(const Hash32& id) const {
  std::lock_guard lock(mutex_);
  const auto found = refusals_.find(id);
  if (found == refusals_.end()) return std::nullopt;
  return found->second;
}

void Mempool::log_refusal(Refusal refusal) {
  std::lock_guard lock(mutex_);
  log_locked(std::move(refusal));
}

std::optional<Address> Mempool::pending_sender(const Hash32& id) const {
  std::lock_guard lock(mutex_);
  const auto found = by_id_.find(id);
  if (found == by_id_.end()) return std::nullopt;
  return found->second.first;
}

std::map<std::pair<std::string, std::string>, std::uint64_t> Mempool::refusal_counts() const {
  std::lock_guard lock(mutex_);
  return refusal_counts_;
}

}  // namespace onebill::node
