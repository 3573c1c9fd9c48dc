// The typed state of the ledger (DESIGN §2, §4): participants, accounts, validators, bills with their legs
// and history, and governance proposals. Each type has ONE JSON mapping (STYLE 4), used both for the
// stored value (its JCS text, keys.h) and for the API. In JSON, addresses are EIP-55, hashes "0x" + 64
// lowercase hex, enums their upper-case names; optional fields are omitted when unset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/bytes.h"
#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::ledger {

// ---- Registry (DESIGN §2) ----

enum class Role { admin, carrier, bank, customs, trader };
std::string_view role_name(Role role);  // "ADMIN", "CARRIER", "BANK", "CUSTOMS", "TRADER"
std::optional<Role> parse_role(std::string_view name);

struct Identifiers {
  std::optional<std::string> lei;   // Legal Entity Identifier
  std::optional<std::string> uscc;  // unified social credit code (China)
  bool operator==(const Identifiers&) const = default;
};

// JSON: {address, name, roles[], domain, identifiers{lei?, uscc?}, suspended, admitted_height}
struct Participant {
  Address address;
  std::string name;
  std::vector<Role> roles;  // sorted by enum order, no duplicates
  std::string domain;       // DNS domain, unique in the registry (ASCII case-insensitive)
  Identifiers identifiers;
  bool suspended = false;
  std::uint64_t admitted_height = 0;  // 0 for genesis participants

  bool has_role(Role role) const;
  // Has the role and is not suspended: may act in it.
  bool active_in(Role role) const { return !suspended && has_role(role); }
};
json::Json to_json(const Participant& participant);
Result<Participant> participant_from_json(const json::Json& json);

// JSON: {address, next_nonce}. Every address has an account; next_nonce starts at 0.
struct Account {
  Address address;
  std::uint64_t next_nonce = 0;
};
json::Json to_json(const Account& account);

// A consensus validator. consensus_key = "0x" + 66 lowercase hex (compressed secp256k1 public key).
// JSON: {address, consensus_key, power}
struct Validator {
  Address address;
  std::string consensus_key;
  std::uint64_t power = 0;
  bool operator==(const Validator&) const = default;
};
json::Json to_json(const Validator& validator);
Result<Validator> validator_from_json(const json::Json& json);

// ---- Bills (DESIGN §4) ----

enum class BillKind { bol, swb };                                          // "BOL", "SWB"
enum class BillStatus { issued, pending_surrender, surrendered, voided };  // "ISSUED", ...
enum class SurrenderPurpose { delivery, amendment };                       // "DELIVERY", "AMENDMENT"
enum class SurrenderReason { swtp, cod, swi };                             // "SWTP", "COD", "SWI"
enum class LegMode { sea, rail, road, inland_waterway, air };              // "SEA", ..., "INLAND_WATERWAY"
enum class LegEventType { received, departed, arrived, handed_over };      // "RECEIVED", ..., "HANDED_OVER"

std::string_view name(BillKind value);
std::string_view name(BillStatus value);
std::string_view name(SurrenderPurpose value);
std::string_view name(SurrenderReason value);
std::string_view name(LegMode value);
std::string_view name(LegEventType value);
std::optional<BillKind> parse_bill_kind(std::string_view text);
std::optional<BillStatus> parse_bill_status(std::string_view text);
std::optional<SurrenderPurpose> parse_surrender_purpose(std::string_view text);
std::optional<SurrenderReason> parse_surrender_reason(std::string_view text);
std::optional<LegMode> parse_leg_mode(std::string_view text);
std::optional<LegEventType> parse_leg_event_type(std::string_view text);

// A surrender request. Present while PENDING_SURRENDER; after acceptance it stays recorded (status
// SURRENDERED or VOIDED); withdrawal and rejection clear it.
// JSON: {purpose, reason?, requester, height}
struct Surrender {
  SurrenderPurpose purpose = SurrenderPurpose::delivery;
  std::optional<SurrenderReason> reason;  // required with AMENDMENT
  Address requester;
  std::uint64_t height = 0;  // block of the request
};

// JSON: {bank, pledgor, reference}
struct Pledge {
  Address bank;     // the pledgee; holder while pledged
  Address pledgor;  // the holder who pledged; gets the bill back on release or rejection
  std::string reference;
};

// JSON: {event, location, time, conveyance?, remark?, tx, signer, height, time_ms, implied?}
// `implied` marks the HANDED_OVER of leg i recorded together with RECEIVED on leg i+1 (DESIGN §4).
struct LegEvent {
  LegEventType event = LegEventType::received;
  std::string location;  // UN/LOCODE
  std::string time;      // RFC 3339 UTC with milliseconds, as signed
  std::optional<std::string> conveyance;
  std::optional<std::string> remark;
  Hash32 tx{};
  Address signer;
  std::uint64_t height = 0;
  std::uint64_t time_ms = 0;  // block time
  bool implied = false;
};

// JSON: {mode, carrier, from, to, events[]}
struct Leg {
  LegMode mode = LegMode::sea;
  Address carrier;
  std::string from;  // UN/LOCODE
  std::string to;    // UN/LOCODE
  std::vector<LegEvent> events;
};

// Every field of DESIGN §4. JSON: {id, reference, issuer, kind, to_order, first_holder, holder,
// beneficiary (null = endorsed in blank), nominee?, prev_holder?, prev_beneficiary? (null = was in
// blank), status, pending?, pledge?, legs[], replaces[], replaced_by[], issued_height, changed_height,
// history_length}
struct Bill {
  Hash32 id{};
  std::string reference;
  Address issuer;
  BillKind kind = BillKind::bol;
  bool to_order = false;
  Address first_holder;
  Address holder;
  std::optional<Address> beneficiary;  // nullopt: endorsed in blank
  std::optional<Address> nominee;
  std::optional<Address> prev_holder;
  // Outer optional: whether a rejection can restore it; inner: the restored value (nullopt = blank).
  std::optional<std::optional<Address>> prev_beneficiary;
  BillStatus status = BillStatus::issued;
  std::optional<Surrender> pending;
  std::optional<Pledge> pledge;
  std::vector<Leg> legs;
  std::vector<Hash32> replaces;
  std::vector<Hash32> replaced_by;
  std::uint64_t issued_height = 0;
  std::uint64_t changed_height = 0;
  std::uint32_t history_length = 0;  // number of HistoryEntry records (next seq)

  bool live() const { return status == BillStatus::issued; }
  bool negotiable() const { return kind == BillKind::bol && to_order; }
  bool straight() const { return kind == BillKind::bol && !to_order; }
  // Not pledged, and the holder is the beneficiary or the bill is in blank.
  bool holder_entitled() const { return !pledge && (!beneficiary || *beneficiary == holder); }
};
json::Json to_json(const Bill& bill);
Result<Bill> bill_from_json(const json::Json& json);
// json::canonical(to_json(bill)), written directly without a DOM: the stored text of a bill, which
// every transaction on a bill writes.
std::string bill_jcs(const Bill& bill);

// The possession/title answer of GET /v1/bills/{id}/control (the API adds height and block hash).
// JSON: {bill, possessor, title_holder (null = blank), pledge?, status}
struct Control {
  Hash32 bill{};
  Address possessor;
  std::optional<Address> title_holder;
  std::optional<Pledge> pledge;
  BillStatus status = BillStatus::issued;
};
Control control_of(const Bill& bill);
json::Json to_json(const Control& control);

// One accepted action on a bill (append-only). JSON: {bill, seq, action, dcsa?, tx, signer, recipient?,
// height, time_ms, remark?, details?}. `action` is the transaction type ("bill.endorse", "leg.record",
// "bill.rectify", ...; on a bill that a reissue replaced, "bill.reissue" with details.replaced_by); `dcsa`
// the DCSA action code (ISSUE, TRANSFER, ENDORSE_TO_ORDER, BLANK_ENDORSE, SURRENDER_FOR_DELIVERY,
// SURRENDER_FOR_AMENDMENT, SACC, SREJ) where one applies; `details` what else the action set (leg event,
// pledge, new parties).
struct HistoryEntry {
  Hash32 bill{};
  std::uint32_t seq = 0;
  std::string action;
  std::optional<std::string> dcsa;
  Hash32 tx{};
  Address signer;
  std::optional<Address> recipient;
  std::uint64_t height = 0;
  std::uint64_t time_ms = 0;
  std::optional<std::string> remark;
  json::Json details;  // an object, or null when there is nothing more
};
json::Json to_json(const HistoryEntry& entry);
Result<HistoryEntry> history_entry_from_json(const json::Json& json);
// json::canonical(to_json(entry)), written directly without a DOM (but for `details`): the stored text
// of a history entry, which every transaction on a bill writes.
std::string history_entry_jcs(const HistoryEntry& entry);

// ---- Governance (DESIGN §2) ----

enum class ProposalStatus { open, executed };  // "OPEN", "EXECUTED"
std::string_view name(ProposalStatus value);

// JSON: {id, proposer, action, args, expires_height, approvals[], status, proposed_height,
// executed_height?}. id = the proposing transaction's id; approvals in order of approval.
struct Proposal {
  Hash32 id{};
  Address proposer;
  std::string action;  // participant.admit | participant.update | participant.suspend |
                       // participant.reinstate | validator.set | validator.remove | bill.rectify
  json::Json args;
  std::uint64_t expires_height = 0;
  std::vector<Address> approvals;
  ProposalStatus status = ProposalStatus::open;
  std::uint64_t proposed_height = 0;
  std::optional<std::uint64_t> executed_height;
};
json::Json to_json(const Proposal& proposal);
Result<Proposal> proposal_from_json(const json::Json& json);

// Text forms shared by the mappings: EIP-55 address / 0x-lowercase hash; parse failures are "wrong-type".
std::string address_text(const Address& address);
std::string hash_text(const Hash32& hash);
Result<Hash32> parse_hash(std::string_view text);

}  // namespace onebill::ledger
