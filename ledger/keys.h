// The key layout of the Store, in one place (DESIGN §5). Keys are byte strings that sort bytewise;
// numbers inside keys are big-endian so that key order is numeric order.
//
// State keys (lowercase prefix): written by transactions, so they are part of W and of state_root.
// Values are the JCS (RFC 8785) text of the type's one JSON mapping (state.h), except where noted.
//
//   p/ + address(20)                          -> Participant
//   d/ + lowercase domain                     -> address(20 raw bytes)   (domain unique in the registry)
//   n/ + address(20)                          -> decimal next_nonce      (absent = 0)
//   v/ + address(20)                          -> Validator              (the current validator set)
//   b/ + bill id(32)                          -> Bill
//   h/ + bill id(32) + u32be(seq)             -> HistoryEntry           (append-only, seq from 0)
//   r/ + issuer(20) + reference               -> bill id(32)            (bills not VOIDED: reference-used)
//   g/ + proposal id(32)                      -> Proposal
//   x/ + index name + "/" + value + 0x00 + u64be(max - issued_height) + bill id(32) -> ""  (secondary
//        indexes, newest issue first; value = address(20) or UTF-8 text; names in bill_index_name)
//   e/ + address(20) + u64be(height) + u32be(tx index) + u32be(n) -> history key   (events naming a party)
//
// Chain keys (uppercase prefix): written by commit_batch only, never part of W (they depend on the header).
//
//   B/ + u64be(height)   -> Block JSON {header, transactions}
//   C/ + u64be(height)   -> Commit JSON
//   T/ + tx id(32)       -> {"height","index"} JSON (the transaction index)
//   H                    -> Head JSON {"height","block_hash","state_root","time_ms"}; height 0 = genesis
//   G                    -> the genesis document (JCS)
//   V/ + u64be(height)   -> the validator set that signs block `height` (JCS array)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/address.h"
#include "crypto/bytes.h"

namespace onebill::ledger::keys {

inline constexpr std::string_view participant_prefix = "p/";
inline constexpr std::string_view domain_prefix = "d/";
inline constexpr std::string_view account_prefix = "n/";
inline constexpr std::string_view validator_prefix = "v/";
inline constexpr std::string_view bill_prefix = "b/";
inline constexpr std::string_view history_prefix = "h/";
inline constexpr std::string_view reference_prefix = "r/";
inline constexpr std::string_view proposal_prefix = "g/";
inline constexpr std::string_view index_prefix = "x/";
inline constexpr std::string_view party_event_prefix = "e/";

inline constexpr std::string_view block_prefix = "B/";
inline constexpr std::string_view commit_prefix = "C/";
inline constexpr std::string_view tx_prefix = "T/";
inline constexpr std::string_view head = "H";
inline constexpr std::string_view genesis = "G";
inline constexpr std::string_view validator_set_prefix = "V/";

std::string u64be(std::uint64_t value);
std::string u32be(std::uint32_t value);
std::uint64_t read_u64be(std::string_view eight_bytes);
std::uint32_t read_u32be(std::string_view four_bytes);

std::string raw(const Address& address);
std::string raw(const Hash32& hash);

std::string participant_key(const Address& address);
std::string domain_key(std::string_view domain);  // lowercased here (ASCII)
std::string account_key(const Address& address);
std::string validator_key(const Address& address);
std::string bill_key(const Hash32& id);
std::string history_key(const Hash32& bill, std::uint32_t seq);
std::string history_prefix_of(const Hash32& bill);
std::string reference_key(const Address& issuer, std::string_view reference);
std::string proposal_key(const Hash32& id);
// x/<name>/<value>\0 : the prefix under which one index value's bills are listed.
std::string index_value_prefix(std::string_view index_name, std::string_view value_bytes);
std::string index_key(std::string_view index_name, std::string_view value_bytes, std::uint64_t issued_height,
                      const Hash32& bill);
std::string party_event_prefix_of(const Address& party);
std::string party_event_key(const Address& party, std::uint64_t height, std::uint32_t tx_index,
                            std::uint32_t n);

std::string block_key(std::uint64_t height);
std::string commit_key(std::uint64_t height);
std::string tx_key(const Hash32& id);
std::string validator_set_key(std::uint64_t height);

// True for keys that transactions write (state, history, indexes): the keys that make up W.
bool is_state_key(std::string_view key);

}  // namespace onebill::ledger::keys
