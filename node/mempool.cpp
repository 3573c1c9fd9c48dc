#include "node/mempool.h"

namespace onebill::node {

Mempool::Mempool(MempoolOptions options) : options_(options) {
  ONEBILL_ASSERT(options_.max_transactions > 0);
  ONEBILL_ASSERT(options_.max_per_sender > 0);
}

Result<Admission> Mempool::admit(const ledger::Transaction& transaction, const ledger::Store& committed,
                                 const ledger::BlockContext& next_block) {
  std::lock_guard lock(mutex_);
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
  // The pending state: committed state plus this sender's pending transactions in nonce order.
  ledger::Overlay pending(committed);
  if (sender != senders_.end()) {
    for (const auto& [nonce, entry] : sender->second) {
      const Status applied = ledger::apply(entry.transaction, pending, next_block);
      // A pending transaction that no longer applies is evicted after the next commit; until then
      // the new one cannot be judged on a consistent state.
      if (!applied) {
        return refuse(invalid("nonce-gap", "An earlier pending transaction of the sender (nonce " +
                                               std::to_string(nonce) +
                                               ") no longer applies: " + applied.problem().rule + "."));
      }
    }
  }
  const Status applied = ledger::apply(transaction, pending, next_block);
  if (!applied) return refuse(applied.problem());

  const std::uint64_t arrival = next_arrival_++;
  senders_[transaction.from].emplace(transaction.nonce, Entry{transaction, arrival});
  by_id_.emplace(transaction.id, std::make_pair(transaction.from, transaction.nonce));
  by_arrival_.emplace(arrival, transaction.id);
  ONEBILL_ASSERT(by_id_.size() == by_arrival_.size());
  return Admission::admitted;
}

std::vector<ledger::Transaction> Mempool::candidates(std::size_t max) const {
  std::lock_guard lock(mutex_);
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
  std::lock_guard lock(mutex_);
  for (const Hash32& id : committed_ids) {
    const auto found = by_id_.find(id);
    if (found == by_id_.end()) continue;
    const auto [sender, nonce] = found->second;
    remove_locked(sender, nonce);
  }
  ONEBILL_ASSERT(by_id_.size() == by_arrival_.size());
}

std::vector<Refusal> Mempool::recheck(const ledger::Store& committed,
                                      const ledger::BlockContext& next_block) {
  std::lock_guard lock(mutex_);
  std::vector<Refusal> evicted;
  std::vector<Address> senders;
  senders.reserve(senders_.size());
  for (const auto& [sender, queue] : senders_) senders.push_back(sender);
  for (const Address& sender : senders) {
    ledger::Overlay pending(committed);
    std::optional<std::pair<std::uint64_t, Problem>> broken;
    for (const auto& [nonce, entry] : senders_.at(sender)) {
      const Status applied = ledger::apply(entry.transaction, pending, next_block);
      if (!applied) {
        broken.emplace(nonce, applied.problem());
        break;
      }
    }
    if (broken) {
      auto more = evict_from_locked(sender, broken->first, broken->second);
      evicted.insert(evicted.end(), more.begin(), more.end());
    }
  }
  ONEBILL_ASSERT(by_id_.size() == by_arrival_.size());
  return evicted;
}

std::vector<Refusal> Mempool::evict(const Hash32& id, const Problem& problem) {
  std::lock_guard lock(mutex_);
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
  queue->second.erase(entry);
  if (queue->second.empty()) senders_.erase(queue);
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

std::size_t Mempool::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
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
