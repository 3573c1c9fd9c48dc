// Execution of transactions against state (DESIGN §2, §4, §5): the Overlay that buffers writes over a
// Store, and `apply`, the whole bill and registry state machine. Pure: no clock, no randomness, no I/O
// beyond the Store reads; time comes only from the BlockContext (the header).
//
// Admission against the pending state (DESIGN §5): make an Overlay over the committed store, apply the
// sender's earlier mempool transactions in nonce order, then apply the new one; the Status is the
// answer. Block execution applies each transaction in order on one Overlay (see block.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/result.h"
#include "ledger/state.h"
#include "ledger/store.h"
#include "ledger/transaction.h"

namespace onebill::ledger {

// The writes of an overlay, sorted by key (nullopt: delete). This sorted map is W of DESIGN §5.
using WriteSet = std::map<std::string, std::optional<std::string>, std::less<>>;

// A Store that reads through to `base` and keeps every write in memory. Reads see the pending writes
// (scan merges them in key order). write(batch, sync) records the batch (sync is ignored). An Overlay
// may sit on another Overlay: apply on a child, merge_into(parent) on success, drop it on refusal.
// The base must outlive the overlay and must not change while the overlay is in use. One thread at a
// time uses an overlay, for reads too: a read of a bill's text makes it (Written::text).
class Overlay final : public Store {
 public:
  explicit Overlay(const Store& base) : base_(base) {}
  // Constructing an Overlay from another one makes a CHILD layered over it (never a copy), so that
  // `Overlay child(parent)` means what it says.
  explicit Overlay(const Overlay& parent) : base_(parent) {}
  Overlay(Overlay&&) = default;
  Overlay& operator=(const Overlay&) = delete;
  Overlay& operator=(Overlay&&) = delete;

  Result<std::optional<std::string>> get(std::string_view key) const override;
  std::shared_ptr<const Bill> held_bill(std::string_view key) const override;
  void offer_bill(std::string_view key, const std::shared_ptr<const Bill>& bill) const override;
  Status scan(std::string_view prefix, std::string_view from,
              const std::function<bool(std::string_view key, std::string_view value)>& visit) const override;
  Status write(const WriteBatch& batch, bool sync) override;

  // One key's write: a text, a bill kept decoded (its stored text, bill_jcs, is made only when a
  // reader asks for the text: most writes of a bill are read back decoded, by the next transaction
  // on it, and only a block's final writes need their text), or a delete (neither).
  class Written {
   public:
    Written() = default;  // a delete
    explicit Written(std::string text) : text_(std::move(text)) {}
    explicit Written(std::shared_ptr<const Bill> bill) : bill_(std::move(bill)) {}
    const std::optional<std::string>& text() const;
    const std::shared_ptr<const Bill>& bill() const { return bill_; }
    // The text, moved out (this write is spent afterwards).
    std::optional<std::string> take_text() {
      text();
      return std::move(text_);
    }

   private:
    mutable std::optional<std::string> text_;  // made from bill_ on first use
    std::shared_ptr<const Bill> bill_;
  };
  using Entries = std::map<std::string, Written, std::less<>>;

  void put(std::string key, std::string value) { writes_[std::move(key)] = Written(std::move(value)); }
  void put_bill(std::string key, std::shared_ptr<const Bill> bill) {
    writes_[std::move(key)] = Written(std::move(bill));
  }
  void put_written(std::string key, Written written) { writes_[std::move(key)] = std::move(written); }
  void erase(std::string key) { writes_[std::move(key)] = Written(); }
  // Drops this overlay's write of `key` (put or erase), so that the base's value shows through again.
  void forget(std::string_view key) {
    if (auto found = writes_.find(key); found != writes_.end()) writes_.erase(found);
  }

  // The written keys, in order, with their writes.
  const Entries& entries() const { return writes_; }
  // Hands the writes over, as they are (the overlay is empty afterwards).
  Entries take_entries() { return std::exchange(writes_, Entries{}); }
  // The writes with their texts (W of DESIGN §5).
  WriteSet writes() const;
  // Hands the writes over with their texts (the overlay is empty afterwards): a block's W.
  WriteSet take_writes();
  // Moves this overlay's writes into `parent` (which must be the base this overlay was made over).
  void merge_into(Overlay& parent);
  // The writes as a batch, in key order.
  WriteBatch to_batch() const;
  bool empty() const { return writes_.empty(); }

 private:
  const Store& base_;
  Entries writes_;
};

// What the rules read from the block being built or executed.
struct BlockContext {
  std::uint64_t height = 0;    // the block's height (≥ 1)
  std::uint64_t time_ms = 0;   // the header's time: the only clock the rules read (expires_ms)
  std::string chain;           // the chain id: a transaction for another chain is "wrong-chain"
  std::uint32_t tx_index = 0;  // position of the transaction in its block (orders party events)
};

// Which sender wrote each key of a block's writes W: its one writer, or nullopt when transactions of
// several senders wrote it. The mempool's re-check after a commit (node/mempool.h) keeps a sender's
// pending state when every key it read that the block wrote was written by that sender alone.
using KeyWriters = std::map<std::string, std::optional<Address>, std::less<>>;

// Applies one parsed transaction whose signer has been verified (verify_signer) to `state`.
// Checks, in order: chain (wrong-chain), nonce (nonce-used / nonce-gap), expires_ms < time_ms
// (expired), then the signer's rights and every rule of the action (DESIGN §7 names: not-permitted
// with the rule in the detail, or one of the 409 names). On success writes state, history, indexes and
// the signer's next nonce into `state`; on refusal `state` is left exactly as it was.
// With `writers`, a success also notes every key the transaction wrote as written by its sender.
Status apply(const Transaction& transaction, Overlay& state, const BlockContext& context,
             KeyWriters* writers = nullptr);

// The gov.propose actions (DESIGN §2).
bool is_governance_action(std::string_view action);

}  // namespace onebill::ledger
