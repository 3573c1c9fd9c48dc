// Read queries over a Store (committed state, or an Overlay for pending state): bills, participants,
// accounts, history, legs, control, proposals, the secondary indexes, party events and the chain
// (head, blocks, commits, the transaction index). Reads never write. A value that does not decode is
// a local fault ("storage"): the store is corrupt, not the caller's input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/address.h"
#include "crypto/result.h"
#include "ledger/block.h"
#include "ledger/state.h"
#include "ledger/store.h"

namespace onebill::ledger {

// The secondary indexes of DESIGN §5. Each lists bills newest issue first.
enum class BillIndex {
  holder,       // value: Address
  beneficiary,  // value: Address
  nominee,      // value: Address
  pledgee,      // value: Address (the bank of a current pledge)
  issuer,       // value: Address
  carrier,      // value: Address (a carrier of any leg)
  destination,  // value: UN/LOCODE text, the `to` of the last leg
  status,       // value: status name text ("ISSUED", ...)
};
std::string_view bill_index_name(BillIndex index);  // "holder", ..., "destination", "status"
using IndexValue = std::variant<Address, std::string>;

struct BillPage {
  std::vector<Bill> bills;
  std::optional<std::string> next;  // opaque cursor (lowercase hex) for `after`; nullopt at the end
};
// The cursor that continues any bills() listing just after `bill` (for a caller that filters a page
// and stops inside it).
std::string bill_cursor(const Bill& bill);

// A history entry that names a party (signer or recipient), for GET /v1/events, in chain order.
struct PartyEvent {
  std::string cursor;  // opaque (lowercase hex); pass as `after` to continue
  HistoryEntry entry;
};

// Where a committed transaction is.
struct TxLocation {
  std::uint64_t height = 0;
  std::uint32_t index = 0;
  std::optional<Address> sender;  // the transaction's `from` (absent in entries written before it was kept)
};

class Ledger {
 public:
  explicit Ledger(const Store& store) : store_(store) {}

  // ---- state ----
  Result<std::optional<Bill>> bill(const Hash32& id) const;
  Result<std::optional<Participant>> participant(const Address& address) const;
  Result<std::vector<Participant>> participants() const;           // all, by address
  Result<std::uint64_t> next_nonce(const Address& address) const;  // 0 when never used
  Result<std::optional<Proposal>> proposal(const Hash32& id) const;
  Result<std::vector<Validator>> validators() const;  // the current set, sorted by address
  // The live (not VOIDED) bill with this issuer and reference, if any.
  Result<std::optional<Hash32>> bill_by_reference(const Address& issuer, std::string_view reference) const;

  // History of one bill in order, from seq `from`, at most `limit` entries (limit ≤ limits::max_page_limit).
  Result<std::vector<HistoryEntry>> history(const Hash32& bill, std::uint32_t from = 0,
                                            std::size_t limit = 1000) const;
  // Legs with their events (nullopt for an unknown bill).
  Result<std::optional<std::vector<Leg>>> legs(const Hash32& bill) const;
  Result<std::optional<Control>> control(const Hash32& bill) const;

  // Bills under one index value, newest issue first, after the cursor `after` (empty: from the start).
  // A malformed cursor is "wrong-type". limit is clamped to [1, limits::max_page_limit].
  Result<BillPage> bills(BillIndex index, const IndexValue& value, std::string_view after = {},
                         std::size_t limit = 100) const;

  // History entries naming `party`, in chain order, after the cursor `after` (empty: from the start).
  Result<std::vector<PartyEvent>> events(const Address& party, std::string_view after = {},
                                         std::size_t limit = 100) const;

  // ---- chain ----
  Result<std::optional<Head>> head() const;  // nullopt: the store holds no genesis yet
  Result<std::optional<Block>> block(std::uint64_t height) const;
  Result<std::optional<Commit>> commit(std::uint64_t height) const;
  Result<std::optional<TxLocation>> tx_location(const Hash32& id) const;
  Result<std::optional<std::string>> genesis_text() const;  // JCS of the genesis document
  // The validator set that signs block `height` (stored by commit_batch and genesis_batch).
  Result<std::optional<std::vector<Validator>>> validator_set(std::uint64_t height) const;

 private:
  const Store& store_;
};

}  // namespace onebill::ledger
