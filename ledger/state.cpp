// The one JSON mapping of every state type (state.h). Decoding reads values this ledger wrote, so a
// value that does not decode means a corrupt store: the caller turns the problem into a local fault.
#include "ledger/state.h"

#include <algorithm>
#include <array>
#include <utility>

#include "crypto/hex.h"
#include "ledger/json_read.h"

namespace onebill::ledger {

using json::Json;

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_enum(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 5> role_names = {"ADMIN", "CARRIER", "BANK", "CUSTOMS", "TRADER"};
constexpr std::array<std::string_view, 2> kind_names = {"BOL", "SWB"};
constexpr std::array<std::string_view, 4> status_names = {"ISSUED", "PENDING_SURRENDER", "SURRENDERED",
                                                          "VOIDED"};
constexpr std::array<std::string_view, 2> purpose_names = {"DELIVERY", "AMENDMENT"};
constexpr std::array<std::string_view, 3> reason_names = {"SWTP", "COD", "SWI"};
constexpr std::array<std::string_view, 5> mode_names = {"SEA", "RAIL", "ROAD", "INLAND_WATERWAY", "AIR"};
constexpr std::array<std::string_view, 4> event_names = {"RECEIVED", "DEPARTED", "ARRIVED", "HANDED_OVER"};
constexpr std::array<std::string_view, 2> proposal_status_names = {"OPEN", "EXECUTED"};

template <typename Enum, std::size_t N>
Enum read_enum(const Json& object, std::string_view key, const std::array<std::string_view, N>& names) {
  auto value = parse_enum<Enum>(names, read::string(object, key));
  if (!value) throw read::Error(std::string(key) + ": unknown value");
  return *value;
}

Json address_or_null(const std::optional<Address>& address) {
  return address ? Json(address_text(*address)) : Json(nullptr);
}

std::optional<Address> read_address_or_null(const Json& object, std::string_view key) {
  if (read::member(object, key).is_null()) return std::nullopt;
  return read::address(object, key);
}

Json to_json(const Surrender& surrender) {
  Json out = {{"purpose", name(surrender.purpose)},
              {"requester", address_text(surrender.requester)},
              {"height", surrender.height}};
  if (surrender.reason) out["reason"] = name(*surrender.reason);
  return out;
}

Surrender surrender_from(const Json& json) {
  Surrender out;
  out.purpose = read_enum<SurrenderPurpose>(json, "purpose", purpose_names);
  if (json.contains("reason")) out.reason = read_enum<SurrenderReason>(json, "reason", reason_names);
  out.requester = read::address(json, "requester");
  out.height = read::u64(json, "height");
  return out;
}

Json to_json(const Pledge& pledge) {
  return {{"bank", address_text(pledge.bank)},
          {"pledgor", address_text(pledge.pledgor)},
          {"reference", pledge.reference}};
}

Pledge pledge_from(const Json& json) {
  return Pledge{read::address(json, "bank"), read::address(json, "pledgor"), read::string(json, "reference")};
}

Json to_json(const LegEvent& event) {
  Json out = {{"event", name(event.event)}, {"location", event.location},           {"time", event.time},
              {"tx", hash_text(event.tx)},  {"signer", address_text(event.signer)}, {"height", event.height},
              {"time_ms", event.time_ms}};
  if (event.conveyance) out["conveyance"] = *event.conveyance;
  if (event.remark) out["remark"] = *event.remark;
  if (event.implied) out["implied"] = true;
  return out;
}

LegEvent leg_event_from(const Json& json) {
  LegEvent out;
  out.event = read_enum<LegEventType>(json, "event", event_names);
  out.location = read::string(json, "location");
  out.time = read::string(json, "time");
  if (json.contains("conveyance")) out.conveyance = read::string(json, "conveyance");
  if (json.contains("remark")) out.remark = read::string(json, "remark");
  out.tx = read::hash(json, "tx");
  out.signer = read::address(json, "signer");
  out.height = read::u64(json, "height");
  out.time_ms = read::u64(json, "time_ms");
  out.implied = json.contains("implied") && read::boolean(json, "implied");
  return out;
}

Json to_json(const Leg& leg) {
  Json events = Json::array();
  for (const auto& event : leg.events) events.push_back(to_json(event));
  return {{"mode", name(leg.mode)},
          {"carrier", address_text(leg.carrier)},
          {"from", leg.from},
          {"to", leg.to},
          {"events", std::move(events)}};
}

Leg leg_from(const Json& json) {
  Leg out;
  out.mode = read_enum<LegMode>(json, "mode", mode_names);
  out.carrier = read::address(json, "carrier");
  out.from = read::string(json, "from");
  out.to = read::string(json, "to");
  for (const auto& event : read::array(json, "events")) out.events.push_back(leg_event_from(event));
  return out;
}

Json hashes_json(const std::vector<Hash32>& hashes) {
  Json out = Json::array();
  for (const auto& hash : hashes) out.push_back(hash_text(hash));
  return out;
}

std::vector<Hash32> read_hashes(const Json& object, std::string_view key) {
  std::vector<Hash32> out;
  for (const auto& item : read::array(object, key)) {
    if (!item.is_string()) throw read::Error(std::string(key) + ": not a hash");
    auto hash = parse_hash(item.get_ref<const std::string&>());
    if (!hash) throw read::Error(std::string(key) + ": not a hash");
    out.push_back(*hash);
  }
  return out;
}

Json identifiers_json(const Identifiers& identifiers) {
  Json out = Json::object();
  if (identifiers.lei) out["lei"] = *identifiers.lei;
  if (identifiers.uscc) out["uscc"] = *identifiers.uscc;
  return out;
}

template <typename T, typename Decode>
Result<T> decode(const Json& json, Decode decode_fn) {
  try {
    if (!json.is_object()) throw read::Error("not an object");
    return decode_fn(json);
  } catch (const read::Error& error) {
    return local_fault("storage", std::string("stored value does not decode: ") + error.what());
  }
}

}  // namespace

Identifiers identifiers_from_json(const Json& json) {
  Identifiers out;
  if (json.contains("lei")) out.lei = read::string(json, "lei");
  if (json.contains("uscc")) out.uscc = read::string(json, "uscc");
  return out;
}

Json identifiers_to_json(const Identifiers& identifiers) {
  return identifiers_json(identifiers);
}

std::string_view role_name(Role role) {
  return role_names[static_cast<std::size_t>(role)];
}
std::optional<Role> parse_role(std::string_view text) {
  return parse_enum<Role>(role_names, text);
}

std::string_view name(BillKind value) {
  return kind_names[static_cast<std::size_t>(value)];
}
std::string_view name(BillStatus value) {
  return status_names[static_cast<std::size_t>(value)];
}
std::string_view name(SurrenderPurpose value) {
  return purpose_names[static_cast<std::size_t>(value)];
}
std::string_view name(SurrenderReason value) {
  return reason_names[static_cast<std::size_t>(value)];
}
std::string_view name(LegMode value) {
  return mode_names[static_cast<std::size_t>(value)];
}
std::string_view name(LegEventType value) {
  return event_names[static_cast<std::size_t>(value)];
}
std::string_view name(ProposalStatus value) {
  return proposal_status_names[static_cast<std::size_t>(value)];
}

std::optional<BillKind> parse_bill_kind(std::string_view text) {
  return parse_enum<BillKind>(kind_names, text);
}
std::optional<BillStatus> parse_bill_status(std::string_view text) {
  return parse_enum<BillStatus>(status_names, text);
}
std::optional<SurrenderPurpose> parse_surrender_purpose(std::string_view text) {
  return parse_enum<SurrenderPurpose>(purpose_names, text);
}
std::optional<SurrenderReason> parse_surrender_reason(std::string_view text) {
  return parse_enum<SurrenderReason>(reason_names, text);
}
std::optional<LegMode> parse_leg_mode(std::string_view text) {
  return parse_enum<LegMode>(mode_names, text);
}
std::optional<LegEventType> parse_leg_event_type(std::string_view text) {
  return parse_enum<LegEventType>(event_names, text);
}

std::string address_text(const Address& address) {
  return address.to_string();
}
std::string hash_text(const Hash32& hash) {
  return hex::encode(hash);
}

Result<Hash32> parse_hash(std::string_view text) {
  if (!hex::is_lower_hex(text, 64)) return invalid("wrong-type", "expected 0x + 64 lowercase hex digits");
  auto hash = hex::decode_hash(text);
  if (!hash) return invalid("wrong-type", "expected 0x + 64 lowercase hex digits");
  return *hash;
}

// ---- Participant, Account, Validator ----

bool Participant::has_role(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

Json roles_json(const std::vector<Role>& roles) {
  Json out = Json::array();
  for (Role role : roles) out.push_back(role_name(role));
  return out;
}

std::vector<Role> read_roles(const Json& object, std::string_view key) {
  std::vector<Role> out;
  for (const auto& item : read::array(object, key)) {
    if (!item.is_string()) throw read::Error("roles: not a string");
    auto role = parse_role(item.get_ref<const std::string&>());
    if (!role) throw read::Error("roles: unknown role");
    out.push_back(*role);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Json to_json(const Participant& participant) {
  return {{"address", address_text(participant.address)},
          {"name", participant.name},
          {"roles", roles_json(participant.roles)},
          {"domain", participant.domain},
          {"identifiers", identifiers_json(participant.identifiers)},
          {"suspended", participant.suspended},
          {"admitted_height", participant.admitted_height}};
}

Result<Participant> participant_from_json(const Json& json) {
  return decode<Participant>(json, [](const Json& j) {
    Participant out;
    out.address = read::address(j, "address");
    out.name = read::string(j, "name");
    out.roles = read_roles(j, "roles");
    out.domain = read::string(j, "domain");
    out.identifiers = identifiers_from_json(read::member(j, "identifiers"));
    out.suspended = read::boolean(j, "suspended");
    out.admitted_height = read::u64(j, "admitted_height");
    return out;
  });
}

Json to_json(const Account& account) {
  return {{"address", address_text(account.address)}, {"next_nonce", account.next_nonce}};
}

Json to_json(const Validator& validator) {
  return {{"address", address_text(validator.address)},
          {"consensus_key", validator.consensus_key},
          {"power", validator.power}};
}

Result<Validator> validator_from_json(const Json& json) {
  return decode<Validator>(json, [](const Json& j) {
    return Validator{read::address(j, "address"), read::string(j, "consensus_key"), read::u64(j, "power")};
  });
}

// ---- Bill ----

Json to_json(const Bill& bill) {
  Json legs = Json::array();
  for (const auto& leg : bill.legs) legs.push_back(to_json(leg));
  Json out = {{"id", hash_text(bill.id)},
              {"reference", bill.reference},
              {"issuer", address_text(bill.issuer)},
              {"kind", name(bill.kind)},
              {"to_order", bill.to_order},
              {"first_holder", address_text(bill.first_holder)},
              {"holder", address_text(bill.holder)},
              {"beneficiary", address_or_null(bill.beneficiary)},
              {"status", name(bill.status)},
              {"legs", std::move(legs)},
              {"replaces", hashes_json(bill.replaces)},
              {"replaced_by", hashes_json(bill.replaced_by)},
              {"issued_height", bill.issued_height},
              {"changed_height", bill.changed_height},
              {"history_length", bill.history_length}};
  if (bill.nominee) out["nominee"] = address_text(*bill.nominee);
  if (bill.prev_holder) out["prev_holder"] = address_text(*bill.prev_holder);
  if (bill.prev_beneficiary) out["prev_beneficiary"] = address_or_null(*bill.prev_beneficiary);
  if (bill.pending) out["pending"] = to_json(*bill.pending);
  if (bill.pledge) out["pledge"] = to_json(*bill.pledge);
  return out;
}

Result<Bill> bill_from_json(const Json& json) {
  return decode<Bill>(json, [](const Json& j) {
    Bill out;
    out.id = read::hash(j, "id");
    out.reference = read::string(j, "reference");
    out.issuer = read::address(j, "issuer");
    out.kind = read_enum<BillKind>(j, "kind", kind_names);
    out.to_order = read::boolean(j, "to_order");
    out.first_holder = read::address(j, "first_holder");
    out.holder = read::address(j, "holder");
    out.beneficiary = read_address_or_null(j, "beneficiary");
    if (j.contains("nominee")) out.nominee = read::address(j, "nominee");
    if (j.contains("prev_holder")) out.prev_holder = read::address(j, "prev_holder");
    if (j.contains("prev_beneficiary")) out.prev_beneficiary = read_address_or_null(j, "prev_beneficiary");
    out.status = read_enum<BillStatus>(j, "status", status_names);
    if (j.contains("pending")) out.pending = surrender_from(read::member(j, "pending"));
    if (j.contains("pledge")) out.pledge = pledge_from(read::member(j, "pledge"));
    for (const auto& leg : read::array(j, "legs")) out.legs.push_back(leg_from(leg));
    out.replaces = read_hashes(j, "replaces");
    out.replaced_by = read_hashes(j, "replaced_by");
    out.issued_height = read::u64(j, "issued_height");
    out.changed_height = read::u64(j, "changed_height");
    out.history_length = static_cast<std::uint32_t>(read::u64(j, "history_length"));
    return out;
  });
}

namespace {

// The JCS writer of bill_jcs: members are written in RFC 8785 order by hand (every key is ASCII, so
// UTF-16 order is byte order); the unit tests compare the text with canonical(to_json(bill)).
class JcsWriter {
 public:
  explicit JcsWriter(std::string& out) : out_(out) {}
  // A member's key (ASCII letters and '_': nothing to escape); its value is written next.
  void key(std::string_view name) {
    if (need_comma_) out_.push_back(',');
    out_.push_back('"');
    out_.append(name);
    out_ += "\":";
    after_key_ = true;
  }
  void string(std::string_view text) {
    begin_value();
    out_ += json::quote(text);
    need_comma_ = true;
  }
  void raw(std::string_view jcs) {  // a value already in canonical form
    begin_value();
    out_.append(jcs);
    need_comma_ = true;
  }
  void plain_string(std::string_view ascii) {  // hex, EIP-55, enum names: nothing to escape
    begin_value();
    out_.push_back('"');
    out_.append(ascii);
    out_.push_back('"');
    need_comma_ = true;
  }
  void address(const Address& address) { plain_string(address_text(address)); }
  void hash(const Hash32& hash) { plain_string(hash_text(hash)); }
  void number(std::uint64_t value) {
    begin_value();
    constexpr std::uint64_t exact_limit = std::uint64_t{1} << 53;
    out_ +=
        value <= exact_limit ? std::to_string(value) : json::ecmascript_number(static_cast<double>(value));
    need_comma_ = true;
  }
  void boolean(bool value) {
    begin_value();
    out_ += value ? "true" : "false";
    need_comma_ = true;
  }
  void null() {
    begin_value();
    out_ += "null";
    need_comma_ = true;
  }
  void begin_object() { begin_container('{'); }
  void end_object() { end_container('}'); }
  void begin_array() { begin_container('['); }
  void end_array() { end_container(']'); }

 private:
  // A value after a key takes no comma; an array element after another one does.
  void begin_value() {
    if (!after_key_ && need_comma_) out_.push_back(',');
    after_key_ = false;
  }
  void begin_container(char open) {
    begin_value();
    out_.push_back(open);
    need_comma_ = false;
  }
  void end_container(char close) {
    out_.push_back(close);
    need_comma_ = true;
  }
  std::string& out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

void write_address_or_null(JcsWriter& w, const std::optional<Address>& address) {
  if (address) {
    w.address(*address);
  } else {
    w.null();
  }
}

void write_hashes(JcsWriter& w, const std::vector<Hash32>& hashes) {
  w.begin_array();
  for (const auto& hash : hashes) w.hash(hash);
  w.end_array();
}

void write_leg(JcsWriter& w, const Leg& leg) {
  w.begin_object();
  w.key("carrier");
  w.address(leg.carrier);
  w.key("events");
  w.begin_array();
  for (const auto& event : leg.events) {
    w.begin_object();
    if (event.conveyance) {
      w.key("conveyance");
      w.string(*event.conveyance);
    }
    w.key("event");
    w.plain_string(name(event.event));
    w.key("height");
    w.number(event.height);
    if (event.implied) {
      w.key("implied");
      w.boolean(true);
    }
    w.key("location");
    w.string(event.location);
    if (event.remark) {
      w.key("remark");
      w.string(*event.remark);
    }
    w.key("signer");
    w.address(event.signer);
    w.key("time");
    w.string(event.time);
    w.key("time_ms");
    w.number(event.time_ms);
    w.key("tx");
    w.hash(event.tx);
    w.end_object();
  }
  w.end_array();
  w.key("from");
  w.string(leg.from);
  w.key("mode");
  w.plain_string(name(leg.mode));
  w.key("to");
  w.string(leg.to);
  w.end_object();
}

}  // namespace

std::string bill_jcs(const Bill& bill) {
  std::string out;
  out.reserve(1024);
  JcsWriter w(out);
  w.begin_object();
  w.key("beneficiary");
  write_address_or_null(w, bill.beneficiary);
  w.key("changed_height");
  w.number(bill.changed_height);
  w.key("first_holder");
  w.address(bill.first_holder);
  w.key("history_length");
  w.number(bill.history_length);
  w.key("holder");
  w.address(bill.holder);
  w.key("id");
  w.hash(bill.id);
  w.key("issued_height");
  w.number(bill.issued_height);
  w.key("issuer");
  w.address(bill.issuer);
  w.key("kind");
  w.plain_string(name(bill.kind));
  w.key("legs");
  w.begin_array();
  for (const auto& leg : bill.legs) write_leg(w, leg);
  w.end_array();
  if (bill.nominee) {
    w.key("nominee");
    w.address(*bill.nominee);
  }
  if (bill.pending) {
    w.key("pending");
    w.begin_object();
    w.key("height");
    w.number(bill.pending->height);
    w.key("purpose");
    w.plain_string(name(bill.pending->purpose));
    if (bill.pending->reason) {
      w.key("reason");
      w.plain_string(name(*bill.pending->reason));
    }
    w.key("requester");
    w.address(bill.pending->requester);
    w.end_object();
  }
  if (bill.pledge) {
    w.key("pledge");
    w.begin_object();
    w.key("bank");
    w.address(bill.pledge->bank);
    w.key("pledgor");
    w.address(bill.pledge->pledgor);
    w.key("reference");
    w.string(bill.pledge->reference);
    w.end_object();
  }
  if (bill.prev_beneficiary) {
    w.key("prev_beneficiary");
    write_address_or_null(w, *bill.prev_beneficiary);
  }
  if (bill.prev_holder) {
    w.key("prev_holder");
    w.address(*bill.prev_holder);
  }
  w.key("reference");
  w.string(bill.reference);
  w.key("replaced_by");
  write_hashes(w, bill.replaced_by);
  w.key("replaces");
  write_hashes(w, bill.replaces);
  w.key("status");
  w.plain_string(name(bill.status));
  w.key("to_order");
  w.boolean(bill.to_order);
  w.end_object();
  return out;
}

Control control_of(const Bill& bill) {
  return Control{bill.id, bill.holder, bill.beneficiary, bill.pledge, bill.status};
}

Json to_json(const Control& control) {
  Json out = {{"bill", hash_text(control.bill)},
              {"possessor", address_text(control.possessor)},
              {"title_holder", address_or_null(control.title_holder)},
              {"status", name(control.status)}};
  if (control.pledge) out["pledge"] = to_json(*control.pledge);
  return out;
}

// ---- History ----

Json to_json(const HistoryEntry& entry) {
  Json out = {{"bill", hash_text(entry.bill)},
              {"seq", entry.seq},
              {"action", entry.action},
              {"tx", hash_text(entry.tx)},
              {"signer", address_text(entry.signer)},
              {"height", entry.height},
              {"time_ms", entry.time_ms}};
  if (entry.dcsa) out["dcsa"] = *entry.dcsa;
  if (entry.recipient) out["recipient"] = address_text(*entry.recipient);
  if (entry.remark) out["remark"] = *entry.remark;
  if (!entry.details.is_null()) out["details"] = entry.details;
  return out;
}

std::string history_entry_jcs(const HistoryEntry& entry) {
  std::string out;
  out.reserve(512);
  JcsWriter w(out);
  w.begin_object();  // members in JCS order
  w.key("action");
  w.string(entry.action);
  w.key("bill");
  w.hash(entry.bill);
  if (entry.dcsa) {
    w.key("dcsa");
    w.string(*entry.dcsa);
  }
  if (!entry.details.is_null()) {
    w.key("details");
    w.raw(json::canonical(entry.details));
  }
  w.key("height");
  w.number(entry.height);
  if (entry.recipient) {
    w.key("recipient");
    w.address(*entry.recipient);
  }
  if (entry.remark) {
    w.key("remark");
    w.string(*entry.remark);
  }
  w.key("seq");
  w.number(entry.seq);
  w.key("signer");
  w.address(entry.signer);
  w.key("time_ms");
  w.number(entry.time_ms);
  w.key("tx");
  w.hash(entry.tx);
  w.end_object();
  return out;
}

Result<HistoryEntry> history_entry_from_json(const Json& json) {
  return decode<HistoryEntry>(json, [](const Json& j) {
    HistoryEntry out;
    out.bill = read::hash(j, "bill");
    out.seq = static_cast<std::uint32_t>(read::u64(j, "seq"));
    out.action = read::string(j, "action");
    if (j.contains("dcsa")) out.dcsa = read::string(j, "dcsa");
    out.tx = read::hash(j, "tx");
    out.signer = read::address(j, "signer");
    if (j.contains("recipient")) out.recipient = read::address(j, "recipient");
    out.height = read::u64(j, "height");
    out.time_ms = read::u64(j, "time_ms");
    if (j.contains("remark")) out.remark = read::string(j, "remark");
    if (j.contains("details")) out.details = read::member(j, "details");
    return out;
  });
}

// ---- Proposal ----

Json to_json(const Proposal& proposal) {
  Json approvals = Json::array();
  for (const auto& address : proposal.approvals) approvals.push_back(address_text(address));
  Json out = {{"id", hash_text(proposal.id)},
              {"proposer", address_text(proposal.proposer)},
              {"action", proposal.action},
              {"args", proposal.args},
              {"expires_height", proposal.expires_height},
              {"approvals", std::move(approvals)},
              {"status", name(proposal.status)},
              {"proposed_height", proposal.proposed_height}};
  if (proposal.executed_height) out["executed_height"] = *proposal.executed_height;
  return out;
}

Result<Proposal> proposal_from_json(const Json& json) {
  return decode<Proposal>(json, [](const Json& j) {
    Proposal out;
    out.id = read::hash(j, "id");
    out.proposer = read::address(j, "proposer");
    out.action = read::string(j, "action");
    out.args = read::member(j, "args");
    out.expires_height = read::u64(j, "expires_height");
    for (const auto& item : read::array(j, "approvals")) {
      if (!item.is_string()) throw read::Error("approvals: not an address");
      auto address = Address::parse(item.get_ref<const std::string&>());
      if (!address) throw read::Error("approvals: not an address");
      out.approvals.push_back(*address);
    }
    out.status = read_enum<ProposalStatus>(j, "status", proposal_status_names);
    out.proposed_height = read::u64(j, "proposed_height");
    if (j.contains("executed_height")) out.executed_height = read::u64(j, "executed_height");
    return out;
  });
}

}  // namespace onebill::ledger
