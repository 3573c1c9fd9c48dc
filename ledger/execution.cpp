// The bill and registry state machine of DESIGN §2 and §4. Each action is one function that checks its
// rules with guard clauses (the first broken rule is the answer) and then writes. Every write goes to
// a child Overlay that is merged only when the whole transaction succeeded, so a refused transaction
// changes nothing.
#include "ledger/execution.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "crypto/assert.h"
#include "crypto/json.h"
#include "ledger/decoded_bills.h"
#include "ledger/json_read.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/state.h"

namespace onebill::ledger {

using json::Json;

// ---------------------------------------------------------------------------------------------------
// Overlay

const std::optional<std::string>& Overlay::Written::text() const {
  if (bill_ && !text_) {
    text_ = bill_jcs(*bill_);                        // = encode(to_json(bill)), without the DOM
    internal::remember_decoded_bill(*text_, bill_);  // a later load of this text (committed) needs no parse
  }
  return text_;
}

Result<std::optional<std::string>> Overlay::get(std::string_view key) const {
  auto found = writes_.find(key);
  if (found != writes_.end()) return found->second.text();
  return base_.get(key);
}

std::shared_ptr<const Bill> Overlay::held_bill(std::string_view key) const {
  auto found = writes_.find(key);
  if (found != writes_.end()) return found->second.bill();  // nullptr for a text or a delete: decode
  return base_.held_bill(key);
}

void Overlay::offer_bill(std::string_view key, const std::shared_ptr<const Bill>& bill) const {
  if (writes_.find(key) == writes_.end()) base_.offer_bill(key, bill);  // else the text came from here
}

Status Overlay::scan(std::string_view prefix, std::string_view from,
                     const std::function<bool(std::string_view, std::string_view)>& visit) const {
  // Merge the base's entries with the pending writes in key order; a pending write hides the base's
  // value for its key (a pending delete hides it entirely).
  std::string_view start = from < prefix ? prefix : from;
  auto pending = writes_.lower_bound(start);
  auto in_prefix = [&](std::string_view key) { return key.substr(0, prefix.size()) == prefix; };
  bool stopped = false;
  // Emits pending entries with key < limit (all of them when limit is nullopt); false once visit stops.
  auto drain_pending = [&](std::optional<std::string_view> limit) {
    while (pending != writes_.end() && in_prefix(pending->first) && (!limit || pending->first < *limit)) {
      const auto& entry = *pending;
      ++pending;
      if (entry.second.text() && !visit(entry.first, *entry.second.text())) return false;
    }
    return true;
  };
  Status base_status = base_.scan(prefix, from, [&](std::string_view key, std::string_view value) {
    if (!drain_pending(key)) {
      stopped = true;
      return false;
    }
    if (pending != writes_.end() && pending->first == key) {
      const auto& entry = *pending;
      ++pending;
      if (entry.second.text() && !visit(entry.first, *entry.second.text())) {
        stopped = true;
        return false;
      }
      return true;
    }
    if (!visit(key, value)) {
      stopped = true;
      return false;
    }
    return true;
  });
  ONEBILL_TRY(base_status);
  if (!stopped) drain_pending(std::nullopt);
  return {};
}

Status Overlay::write(const WriteBatch& batch, bool /*sync*/) {
  for (const auto& entry : batch.entries)
    writes_[entry.key] = entry.value ? Written(*entry.value) : Written();
  return {};
}

void Overlay::merge_into(Overlay& parent) {
  ONEBILL_ASSERT(&base_ == &parent);
  for (auto& [key, value] : writes_) parent.writes_[key] = std::move(value);
  writes_.clear();
}

WriteSet Overlay::writes() const {
  WriteSet out;
  for (const auto& [key, written] : writes_) out.emplace_hint(out.end(), key, written.text());
  return out;
}

WriteSet Overlay::take_writes() {
  WriteSet out;
  for (auto& [key, written] : writes_) out.emplace_hint(out.end(), key, written.take_text());
  writes_.clear();
  return out;
}

WriteBatch Overlay::to_batch() const {
  WriteBatch batch;
  for (const auto& [key, written] : writes_) batch.entries.push_back({key, written.text()});
  return batch;
}

// ---------------------------------------------------------------------------------------------------
// The state machine

namespace {

constexpr std::string_view governance_actions[] = {
    "participant.admit", "participant.update", "participant.suspend", "participant.reinstate",
    "validator.set",     "validator.remove",   "bill.rectify",
};

Problem not_permitted(std::string_view rule) {
  return invalid("not-permitted", std::string(rule));
}
Problem conflict(std::string_view name, std::string detail) {
  return invalid(std::string(name), std::move(detail));
}

std::string short_text(const Address& address) {
  return address.to_string();
}

// Stored values are JCS so that state_root does not depend on a library's formatting.
std::string encode(const Json& value) {
  return json::canonical(value);
}

Address body_address(const Json& value) {
  auto address = Address::parse(value.get_ref<const std::string&>());
  ONEBILL_ASSERT(address.ok());  // the body passed its schema (parse_transaction)
  return *address;
}

Hash32 body_hash(const Json& value) {
  auto hash = parse_hash(value.get_ref<const std::string&>());
  ONEBILL_ASSERT(hash.ok());
  return *hash;
}

// What a bill's secondary-index keys (keys.h x/) and its reference's reservation are made of: taken
// before a change instead of a copy of the whole bill (its legs' events included), which every action
// would otherwise make.
struct IndexedFields {
  explicit IndexedFields(const Bill& bill)
      : id(bill.id),
        issued_height(bill.issued_height),
        holder(bill.holder),
        beneficiary(bill.beneficiary),
        nominee(bill.nominee),
        pledgee(bill.pledge ? std::optional<Address>(bill.pledge->bank) : std::nullopt),
        issuer(bill.issuer),
        status(bill.status),
        destination(bill.legs.empty() ? std::nullopt : std::optional<std::string>(bill.legs.back().to)) {
    carriers.reserve(bill.legs.size());
    for (const auto& leg : bill.legs) carriers.push_back(leg.carrier);
  }
  bool operator==(const IndexedFields&) const = default;

  Hash32 id{};
  std::uint64_t issued_height = 0;
  Address holder;
  std::optional<Address> beneficiary;
  std::optional<Address> nominee;
  std::optional<Address> pledgee;
  Address issuer;
  BillStatus status = BillStatus::issued;
  std::vector<Address> carriers;  // of each leg, in order
  std::optional<std::string> destination;
};

// The secondary-index keys that describe a bill; rewritten on every change of what they name.
std::set<std::string> index_keys(const IndexedFields& bill) {
  std::set<std::string> out;
  auto add = [&](BillIndex index, std::string_view value) {
    out.insert(keys::index_key(bill_index_name(index), value, bill.issued_height, bill.id));
  };
  add(BillIndex::holder, keys::raw(bill.holder));
  if (bill.beneficiary) add(BillIndex::beneficiary, keys::raw(*bill.beneficiary));
  if (bill.nominee) add(BillIndex::nominee, keys::raw(*bill.nominee));
  if (bill.pledgee) add(BillIndex::pledgee, keys::raw(*bill.pledgee));
  add(BillIndex::issuer, keys::raw(bill.issuer));
  for (const auto& carrier : bill.carriers) add(BillIndex::carrier, keys::raw(carrier));
  if (bill.destination) add(BillIndex::destination, *bill.destination);
  add(BillIndex::status, name(bill.status));
  return out;
}

struct NewBill {
  Hash32 id{};
  std::string reference;
  BillKind kind = BillKind::bol;
  bool to_order = false;
  std::vector<Leg> legs;
};

NewBill new_bill_from_body(const Json& object) {
  NewBill out;
  out.id = body_hash(object.at("id"));
  out.reference = object.at("reference").get<std::string>();
  auto kind = parse_bill_kind(object.at("kind").get<std::string>());
  ONEBILL_ASSERT(kind.has_value());
  out.kind = *kind;
  out.to_order = object.at("to_order").get<bool>();
  for (const auto& leg_json : object.at("legs")) {
    Leg leg;
    auto mode = parse_leg_mode(leg_json.at("mode").get<std::string>());
    ONEBILL_ASSERT(mode.has_value());
    leg.mode = *mode;
    leg.carrier = body_address(leg_json.at("carrier"));
    leg.from = leg_json.at("from").get<std::string>();
    leg.to = leg_json.at("to").get<std::string>();
    out.legs.push_back(std::move(leg));
  }
  return out;
}

bool same_event(const LegEvent& a, const LegEvent& b) {
  return a.event == b.event && a.location == b.location && a.time == b.time && a.conveyance == b.conveyance;
}

class Execution {
 public:
  Execution(const Transaction& tx, Overlay& state, const BlockContext& context)
      : tx_(tx), state_(state), context_(context), ledger_(state) {}

  Status run() {
    auto signer = ledger_.participant(tx_.from);
    ONEBILL_TRY(signer);
    if (!signer->has_value()) return not_permitted("the signer is not a participant of this consortium");
    signer_ = **signer;
    const std::string& type = tx_.type;
    if (type == "bill.issue") return issue();
    if (type == "bill.reissue") return reissue();
    if (type == "bill.transfer_holder") return transfer_holder();
    if (type == "bill.nominate") return nominate();
    if (type == "bill.endorse") return endorse();
    if (type == "bill.transfer_owners") return transfer_owners();
    if (type == "bill.blank_endorse") return blank_endorse();
    if (type == "bill.reject_transfer") return reject_transfer();
    if (type == "bill.pledge") return pledge();
    if (type == "bill.release") return release();
    if (type == "bill.enforce") return enforce();
    if (type == "bill.surrender") return surrender();
    if (type == "bill.withdraw_surrender") return withdraw_surrender();
    if (type == "bill.accept_surrender") return accept_surrender();
    if (type == "bill.reject_surrender") return reject_surrender();
    if (type == "leg.record") return leg_record();
    if (type == "gov.propose") return gov_propose();
    if (type == "gov.approve") return gov_approve();
    return invalid("invalid-body", "type: unknown transaction type \"" + type + "\"");
  }

 private:
  const Json& body() const { return tx_.body; }
  std::optional<std::string> remark() const {
    if (!body().contains("remark")) return std::nullopt;
    return body().at("remark").get<std::string>();
  }

  // ---- shared guards ----

  Result<Bill> load_bill(const Hash32& id) {
    auto bill = ledger_.bill(id);
    ONEBILL_TRY(bill);
    if (!bill->has_value()) return conflict("unknown-bill", "no bill with id " + hash_text(id));
    return std::move(**bill);
  }
  Result<Bill> body_bill() { return load_bill(body_hash(body().at("bill"))); }

  Status require_signer_active(std::string_view action) const {
    if (signer_.suspended) {
      return not_permitted(std::string(action) + ": a suspended participant cannot take or pass a position");
    }
    return {};
  }

  static Status require_live(const Bill& bill, std::string_view action) {
    if (bill.live()) return {};
    return conflict("bill-status", std::string(action) + ": the bill is " + std::string(name(bill.status)) +
                                       "; only an ISSUED bill allows this");
  }
  static Status require_negotiable(const Bill& bill, std::string_view action) {
    if (bill.negotiable()) return {};
    return conflict("bill-kind", std::string(action) + ": only a to-order BOL is negotiable");
  }
  static Status require_not_pledged(const Bill& bill, std::string_view action) {
    if (!bill.pledge) return {};
    return conflict("bill-pledged", std::string(action) + ": the bill is pledged to " +
                                        short_text(bill.pledge->bank) + "; it must be released first");
  }
  static Status require_entitled(const Bill& bill, std::string_view action) {
    if (bill.holder_entitled()) return {};
    return conflict("not-entitled",
                    std::string(action) + ": the holder is not the beneficiary and the bill is not in blank");
  }
  Status require_holder(const Bill& bill, std::string_view action) const {
    if (bill.holder == tx_.from) return {};
    return not_permitted(std::string(action) + ": only the holder may do this");
  }

  // A participant about to take a position (holder, beneficiary, nominee, pledgee): admitted and not
  // suspended (DESIGN §2 "suspension blocks new positions").
  Result<Participant> require_recipient(const Address& address, std::string_view action) {
    auto participant = ledger_.participant(address);
    ONEBILL_TRY(participant);
    if (!participant->has_value()) {
      return conflict("recipient-not-admitted",
                      std::string(action) + ": " + short_text(address) + " is not an admitted participant");
    }
    if ((*participant)->suspended) {
      return not_permitted(std::string(action) + ": " + short_text(address) +
                           " is suspended and cannot take a new position");
    }
    return **participant;
  }
  Status require_admitted(const Address& address, std::string_view action) {
    auto participant = ledger_.participant(address);
    ONEBILL_TRY(participant);
    if (participant->has_value()) return {};
    return conflict("recipient-not-admitted",
                    std::string(action) + ": " + short_text(address) + " is not an admitted participant");
  }

  // "Any action of a party on a bill clears the prev_* values that would let that party reject."
  void clear_rejection_rights_of_signer(Bill& bill) const {
    if (bill.holder == tx_.from) bill.prev_holder.reset();
    if (bill.beneficiary && *bill.beneficiary == tx_.from) bill.prev_beneficiary.reset();
  }

  // ---- writes ----

  // Writes the changed bill (moved into the overlay, kept decoded) and the index keys whose fields
  // changed; `before` is what the bill named before the change (nullopt for a new bill).
  Status save_bill(const std::optional<IndexedFields>& before, Bill&& after) {
    ONEBILL_ASSERT(!before || before->id == after.id);
    after.changed_height = context_.height;
    const IndexedFields now(after);
    if (!before || !(*before == now)) {
      std::set<std::string> old_keys = before ? index_keys(*before) : std::set<std::string>{};
      std::set<std::string> new_keys = index_keys(now);
      for (const auto& key : old_keys) {
        if (!new_keys.contains(key)) state_.erase(key);
      }
      for (const auto& key : new_keys) {
        if (!old_keys.contains(key)) state_.put(key, "");
      }
    }
    // (issuer, reference) stays reserved while the bill is not VOIDED.
    const bool was_reserved = before && before->status != BillStatus::voided;
    const bool reserved = after.status != BillStatus::voided;
    if (was_reserved && !reserved) state_.erase(keys::reference_key(after.issuer, after.reference));
    if (reserved && !was_reserved)
      state_.put(keys::reference_key(after.issuer, after.reference), keys::raw(after.id));
    // Kept decoded: the next transaction on this bill reads it back without a parse, and its text is
    // made once, when the block's writes are (Overlay::Written).
    std::string key = keys::bill_key(after.id);  // before `after` is moved from
    state_.put_bill(std::move(key), std::make_shared<const Bill>(std::move(after)));
    return {};
  }

  // Appends one history entry (DESIGN §4: append-only, with tx, signer, recipient, height, time, remark)
  // and indexes it under every party it names.
  void append_history(Bill& bill, std::string_view action, std::optional<std::string_view> dcsa,
                      std::optional<Address> recipient, Json details = nullptr,
                      std::vector<Address> also_naming = {}) {
    HistoryEntry entry;
    entry.bill = bill.id;
    entry.seq = bill.history_length++;
    entry.action = std::string(action);
    if (dcsa) entry.dcsa = std::string(*dcsa);
    entry.tx = tx_.id;
    entry.signer = tx_.from;
    entry.recipient = recipient;
    entry.height = context_.height;
    entry.time_ms = context_.time_ms;
    entry.remark = remark();
    entry.details = std::move(details);
    const std::string key = keys::history_key(bill.id, entry.seq);
    state_.put(key, history_entry_jcs(entry));
    std::set<Address> parties{tx_.from};
    if (recipient) parties.insert(*recipient);
    for (const auto& party : also_naming) parties.insert(party);
    for (const auto& party : parties) {
      state_.put(keys::party_event_key(party, context_.height, context_.tx_index, event_counter_++), key);
    }
  }

  // ---- bill.issue and bill.reissue ----

  // The requirements of bill.issue for one new bill (DESIGN §4), holder and beneficiary already known.
  Status check_new_bill(const NewBill& bill, const Address& holder, const std::optional<Address>& beneficiary,
                        std::string_view action) {
    auto existing = ledger_.bill(bill.id);
    ONEBILL_TRY(existing);
    if (existing->has_value())
      return conflict("id-used", std::string(action) + ": bill " + hash_text(bill.id) + " exists");
    auto reserved = ledger_.bill_by_reference(tx_.from, bill.reference);
    ONEBILL_TRY(reserved);
    if (reserved->has_value()) {
      return conflict("reference-used", std::string(action) + ": reference \"" + bill.reference +
                                            "\" is used by bill " + hash_text(**reserved) +
                                            " of this issuer");
    }
    if (bill.kind == BillKind::swb) {
      if (bill.to_order)
        return conflict("bill-kind", std::string(action) + ": a sea waybill is never to order");
      if (!beneficiary || *beneficiary != holder) {
        return conflict("bill-kind",
                        std::string(action) + ": a sea waybill has holder = beneficiary (the consignee)");
      }
    } else if (!bill.to_order && !beneficiary) {
      return conflict("bill-kind",
                      std::string(action) + ": a straight BOL names its consignee as beneficiary");
    }
    ONEBILL_ASSERT(!bill.legs.empty() && bill.legs.size() <= limits::max_legs);  // schema
    for (std::size_t i = 0; i < bill.legs.size(); ++i) {
      if (i + 1 < bill.legs.size() && bill.legs[i].to != bill.legs[i + 1].from) {
        return conflict("leg-order", std::string(action) + ": leg " + std::to_string(i) + " ends at " +
                                         bill.legs[i].to + " but leg " + std::to_string(i + 1) +
                                         " starts at " + bill.legs[i + 1].from);
      }
      auto carrier = ledger_.participant(bill.legs[i].carrier);
      ONEBILL_TRY(carrier);
      if (!carrier->has_value() || !(*carrier)->has_role(Role::carrier)) {
        return not_permitted(std::string(action) + ": the carrier of leg " + std::to_string(i) +
                             " is not a registered CARRIER");
      }
    }
    return {};
  }

  Bill make_bill(const NewBill& fields, const Address& holder,
                 const std::optional<Address>& beneficiary) const {
    Bill bill;
    bill.id = fields.id;
    bill.reference = fields.reference;
    bill.issuer = tx_.from;
    bill.kind = fields.kind;
    bill.to_order = fields.to_order;
    bill.first_holder = holder;
    bill.holder = holder;
    bill.beneficiary = beneficiary;
    bill.status = BillStatus::issued;
    bill.legs = fields.legs;
    bill.issued_height = context_.height;
    return bill;
  }

  Status issue() {
    constexpr std::string_view action = "bill.issue";
    if (!signer_.has_role(Role::carrier)) return not_permitted("bill.issue: only a CARRIER issues bills");
    ONEBILL_TRY(require_signer_active(action));
    const NewBill fields = new_bill_from_body(body());
    const Address holder = body_address(body().at("holder"));
    std::optional<Address> beneficiary;
    if (body().contains("beneficiary")) beneficiary = body_address(body().at("beneficiary"));
    ONEBILL_TRY(check_new_bill(fields, holder, beneficiary, action));
    ONEBILL_TRY(require_recipient(holder, action));
    if (beneficiary) ONEBILL_TRY(require_recipient(*beneficiary, action));
    Bill bill = make_bill(fields, holder, beneficiary);
    Json details = Json::object();
    details["beneficiary"] = beneficiary ? Json(address_text(*beneficiary)) : Json(nullptr);
    std::vector<Address> named;
    if (beneficiary) named.push_back(*beneficiary);
    append_history(bill, action, "ISSUE", holder, std::move(details), named);
    return save_bill(std::nullopt, std::move(bill));
  }

  // Leg events of the replaced bills that carry over to leg `index` of a new bill (DESIGN §4): only where
  // index, mode, carrier and from equal a replaced leg's, and in a merge only what all replaced bills
  // agree on. Events at the old destination carry over only if the destination is unchanged.
  static std::vector<LegEvent> carried_events(const std::vector<Bill>& replaced, std::size_t index,
                                              const Leg& leg) {
    std::optional<std::vector<LegEvent>> common;
    for (const auto& old : replaced) {
      if (index >= old.legs.size()) return {};
      const Leg& old_leg = old.legs[index];
      if (old_leg.mode != leg.mode || old_leg.carrier != leg.carrier || old_leg.from != leg.from) return {};
      std::vector<LegEvent> events;
      for (const auto& event : old_leg.events) {
        const bool at_from = event.event == LegEventType::received || event.event == LegEventType::departed;
        if (!at_from && old_leg.to != leg.to) break;
        events.push_back(event);
      }
      if (!common) {
        common = std::move(events);
        continue;
      }
      std::size_t agree = 0;
      while (agree < common->size() && agree < events.size() && same_event((*common)[agree], events[agree]))
        ++agree;
      common->resize(agree);
    }
    return common ? *common : std::vector<LegEvent>{};
  }

  Status reissue() {
    constexpr std::string_view action = "bill.reissue";
    if (!signer_.has_role(Role::carrier)) return not_permitted("bill.reissue: only a CARRIER issues bills");
    ONEBILL_TRY(require_signer_active(action));
    std::vector<Bill> replaced;
    for (const auto& id_json : body().at("replaces")) {
      auto bill = load_bill(body_hash(id_json));
      ONEBILL_TRY(bill);
      if (bill->issuer != tx_.from) return not_permitted("bill.reissue: only the issuer replaces its bills");
      if (!bill->replaced_by.empty()) {
        return conflict("already-replaced",
                        "bill.reissue: bill " + hash_text(bill->id) + " was already replaced");
      }
      const bool amended = bill->status == BillStatus::voided && bill->pending &&
                           bill->pending->purpose == SurrenderPurpose::amendment && bill->pending->reason &&
                           *bill->pending->reason != SurrenderReason::swtp;
      if (!amended) {
        return conflict("not-replaceable", "bill.reissue: bill " + hash_text(bill->id) +
                                               " was not voided by an accepted amendment for COD or SWI");
      }
      if (!replaced.empty()) {
        if (bill->pending->requester != replaced.front().pending->requester) {
          return conflict("not-replaceable", "bill.reissue: the replaced bills have different requesters");
        }
        if (bill->beneficiary != replaced.front().beneficiary) {
          return conflict("not-replaceable", "bill.reissue: the replaced bills have different beneficiaries");
        }
      }
      replaced.push_back(std::move(*bill));
    }
    ONEBILL_ASSERT(!replaced.empty());
    const Address requester = replaced.front().pending->requester;
    const std::optional<Address> beneficiary = replaced.front().beneficiary;
    ONEBILL_TRY(require_recipient(requester, action));
    if (beneficiary) ONEBILL_TRY(require_admitted(*beneficiary, action));

    std::vector<Hash32> new_ids;
    for (const auto& bill_json : body().at("bills")) {
      NewBill fields = new_bill_from_body(bill_json);
      ONEBILL_TRY(check_new_bill(fields, requester, beneficiary, action));
      Bill bill = make_bill(fields, requester, beneficiary);
      for (std::size_t i = 0; i < bill.legs.size(); ++i)
        bill.legs[i].events = carried_events(replaced, i, bill.legs[i]);
      for (const auto& old : replaced) bill.replaces.push_back(old.id);
      Json details = {{"replaces", Json::array()}};
      for (const auto& old : replaced) details["replaces"].push_back(hash_text(old.id));
      append_history(bill, action, "ISSUE", requester, std::move(details));
      new_ids.push_back(bill.id);
      // Written now: a later bill of this list sees it.
      ONEBILL_TRY(save_bill(std::nullopt, std::move(bill)));
    }
    for (auto& old : replaced) {
      const IndexedFields before(old);
      old.replaced_by = new_ids;
      Json details = {{"replaced_by", Json::array()}};
      for (const auto& id : new_ids) details["replaced_by"].push_back(hash_text(id));
      append_history(old, action, std::nullopt, requester, std::move(details));
      ONEBILL_TRY(save_bill(before, std::move(old)));
    }
    return {};
  }

  // ---- possession and title ----

  Status transfer_holder() {
    constexpr std::string_view action = "bill.transfer_holder";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    const Address to = body_address(body().at("to"));
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_holder(bill, action));
    ONEBILL_TRY(require_signer_active(action));
    if (bill.kind == BillKind::swb)
      return conflict("bill-kind", "bill.transfer_holder: a sea waybill never changes hands");
    ONEBILL_TRY(require_not_pledged(bill, action));
    if (to == bill.holder)
      return conflict("same-party", "bill.transfer_holder: the recipient already holds the bill");
    ONEBILL_TRY(require_recipient(to, action));
    if (bill.straight() && to != *bill.beneficiary && to != bill.first_holder) {
      return not_permitted(
          "bill.transfer_holder: a straight BOL passes only to its consignee or back to its shipper");
    }
    clear_rejection_rights_of_signer(bill);
    bill.prev_holder = bill.holder;
    bill.holder = to;
    append_history(bill, action, "TRANSFER", to);
    return save_bill(before, std::move(bill));
  }

  Status nominate() {
    constexpr std::string_view action = "bill.nominate";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_live(bill, action));
    if (!bill.beneficiary || *bill.beneficiary != tx_.from) {
      return not_permitted("bill.nominate: only the beneficiary nominates");
    }
    ONEBILL_TRY(require_signer_active(action));
    ONEBILL_TRY(require_negotiable(bill, action));
    ONEBILL_TRY(require_not_pledged(bill, action));
    std::optional<Address> nominee;
    if (!body().at("nominee").is_null()) {
      nominee = body_address(body().at("nominee"));
      if (*nominee == *bill.beneficiary)
        return conflict("same-party", "bill.nominate: the nominee is the beneficiary");
      ONEBILL_TRY(require_recipient(*nominee, action));
    }
    clear_rejection_rights_of_signer(bill);
    bill.nominee = nominee;
    append_history(bill, action, std::nullopt, nominee);
    return save_bill(before, std::move(bill));
  }

  Status endorse() {
    constexpr std::string_view action = "bill.endorse";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    const Address to = body_address(body().at("to"));
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_holder(bill, action));
    ONEBILL_TRY(require_signer_active(action));
    ONEBILL_TRY(require_negotiable(bill, action));
    ONEBILL_TRY(require_not_pledged(bill, action));
    if (bill.beneficiary && *bill.beneficiary == to) {
      return conflict("same-party", "bill.endorse: the bill is already to the order of that party");
    }
    const bool to_nominee = bill.nominee && *bill.nominee == to;
    if (!bill.holder_entitled() && !to_nominee) {
      return conflict(
          "not-entitled",
          "bill.endorse: the holder is not the beneficiary, and the new beneficiary is not the nominee");
    }
    ONEBILL_TRY(require_recipient(to, action));
    clear_rejection_rights_of_signer(bill);
    bill.prev_beneficiary = bill.beneficiary;
    bill.beneficiary = to;
    bill.nominee.reset();
    append_history(bill, action, "ENDORSE_TO_ORDER", to);
    return save_bill(before, std::move(bill));
  }

  Status transfer_owners() {
    constexpr std::string_view action = "bill.transfer_owners";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    const Address new_holder = body_address(body().at("holder"));
    const Address new_beneficiary = body_address(body().at("beneficiary"));
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_holder(bill, action));
    ONEBILL_TRY(require_signer_active(action));
    ONEBILL_TRY(require_negotiable(bill, action));
    ONEBILL_TRY(require_not_pledged(bill, action));
    ONEBILL_TRY(require_entitled(bill, action));
    if (new_holder == bill.holder) {
      return conflict("same-party", "bill.transfer_owners: the new holder already holds the bill");
    }
    ONEBILL_TRY(require_recipient(new_holder, action));
    ONEBILL_TRY(require_recipient(new_beneficiary, action));
    clear_rejection_rights_of_signer(bill);
    bill.prev_holder = bill.holder;
    bill.prev_beneficiary = bill.beneficiary;
    bill.holder = new_holder;
    bill.beneficiary = new_beneficiary;
    bill.nominee.reset();
    append_history(bill, action, "ENDORSE_TO_ORDER", new_holder,
                   Json{{"beneficiary", address_text(new_beneficiary)}}, {new_beneficiary});
    return save_bill(before, std::move(bill));
  }

  Status blank_endorse() {
    constexpr std::string_view action = "bill.blank_endorse";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_holder(bill, action));
    ONEBILL_TRY(require_signer_active(action));
    ONEBILL_TRY(require_negotiable(bill, action));
    ONEBILL_TRY(require_not_pledged(bill, action));
    ONEBILL_TRY(require_entitled(bill, action));
    if (!bill.beneficiary)
      return conflict("same-party", "bill.blank_endorse: the bill is already endorsed in blank");
    clear_rejection_rights_of_signer(bill);
    bill.beneficiary.reset();
    bill.prev_beneficiary.reset();
    bill.nominee.reset();
    append_history(bill, action, "BLANK_ENDORSE", std::nullopt);
    return save_bill(before, std::move(bill));
  }

  Status reject_transfer() {
    constexpr std::string_view action = "bill.reject_transfer";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_live(bill, action));
    const bool as_pledgee = bill.pledge && bill.pledge->bank == tx_.from;
    const bool as_holder = bill.holder == tx_.from && bill.prev_holder.has_value();
    const bool as_beneficiary = bill.beneficiary && *bill.beneficiary == tx_.from && bill.prev_beneficiary;
    if (!as_pledgee && !as_holder && !as_beneficiary) {
      return not_permitted(
          "bill.reject_transfer: only a holder or beneficiary that has not acted since receiving the bill, "
          "or "
          "the pledgee, rejects");
    }
    // Suspension does not block a rejection: it gives a position back (DESIGN §2).
    std::optional<Address> recipient;
    Json details = Json::object();
    if (as_pledgee) {
      bill.holder = bill.pledge->pledgor;
      recipient = bill.holder;
      details["pledge"] = "undone";
      bill.pledge.reset();
      bill.prev_holder.reset();
    }
    if (as_holder) {
      bill.holder = *bill.prev_holder;
      recipient = bill.holder;
      details["holder"] = address_text(bill.holder);
      bill.prev_holder.reset();
    }
    if (as_beneficiary) {
      bill.beneficiary = *bill.prev_beneficiary;
      if (!recipient && bill.beneficiary) recipient = bill.beneficiary;
      details["beneficiary"] = bill.beneficiary ? Json(address_text(*bill.beneficiary)) : Json(nullptr);
      bill.prev_beneficiary.reset();
      bill.nominee.reset();
    }
    std::vector<Address> named;
    if (bill.beneficiary) named.push_back(*bill.beneficiary);
    append_history(bill, action, std::nullopt, recipient, std::move(details), named);
    return save_bill(before, std::move(bill));
  }

  // ---- pledges ----

  Status pledge() {
    constexpr std::string_view action = "bill.pledge";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    const Address bank = body_address(body().at("bank"));
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_not_pledged(bill, action));
    ONEBILL_TRY(require_holder(bill, action));
    ONEBILL_TRY(require_signer_active(action));
    ONEBILL_TRY(require_negotiable(bill, action));
    ONEBILL_TRY(require_entitled(bill, action));
    if (bank == bill.holder) return conflict("same-party", "bill.pledge: the holder cannot pledge to itself");
    auto participant = require_recipient(bank, action);
    ONEBILL_TRY(participant);
    if (!participant->has_role(Role::bank))
      return not_permitted("bill.pledge: the pledgee must have the role BANK");
    clear_rejection_rights_of_signer(bill);
    bill.pledge = Pledge{bank, bill.holder, body().at("reference").get<std::string>()};
    bill.holder = bank;
    bill.prev_holder.reset();
    append_history(bill, action, std::nullopt, bank, Json{{"reference", bill.pledge->reference}});
    return save_bill(before, std::move(bill));
  }

  Status require_pledgee(const Bill& bill, std::string_view action) const {
    if (!bill.pledge) return conflict("bill-not-pledged", std::string(action) + ": the bill is not pledged");
    if (bill.pledge->bank != tx_.from)
      return not_permitted(std::string(action) + ": only the pledgee may do this");
    return {};
  }

  Status release() {
    constexpr std::string_view action = "bill.release";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_pledgee(bill, action));
    // A suspended bank may still release (DESIGN §2: answers are not blocked).
    clear_rejection_rights_of_signer(bill);
    bill.holder = bill.pledge->pledgor;
    bill.pledge.reset();
    bill.prev_holder.reset();
    append_history(bill, action, std::nullopt, bill.holder);
    return save_bill(before, std::move(bill));
  }

  Status enforce() {
    constexpr std::string_view action = "bill.enforce";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_pledgee(bill, action));
    ONEBILL_TRY(require_signer_active(action));  // the bank becomes beneficiary: a new position
    clear_rejection_rights_of_signer(bill);
    bill.beneficiary = tx_.from;
    bill.pledge.reset();
    bill.prev_holder.reset();
    bill.prev_beneficiary.reset();
    bill.nominee.reset();
    append_history(bill, action, std::nullopt, tx_.from);
    return save_bill(before, std::move(bill));
  }

  // ---- surrender ----

  Status surrender() {
    constexpr std::string_view action = "bill.surrender";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_live(bill, action));
    ONEBILL_TRY(require_holder(bill, action));
    ONEBILL_TRY(require_signer_active(action));
    ONEBILL_TRY(require_not_pledged(bill, action));
    auto purpose = parse_surrender_purpose(body().at("purpose").get<std::string>());
    ONEBILL_ASSERT(purpose.has_value());
    std::optional<SurrenderReason> reason;
    if (body().contains("reason")) reason = parse_surrender_reason(body().at("reason").get<std::string>());
    const bool shipper_amending =
        *purpose == SurrenderPurpose::amendment && bill.straight() && bill.holder == bill.first_holder;
    if (!bill.holder_entitled() && !shipper_amending) {
      return conflict("not-entitled",
                      "bill.surrender: the holder is not entitled (not the beneficiary, not in blank)");
    }
    bill.status = BillStatus::pending_surrender;
    bill.pending = Surrender{*purpose, reason, tx_.from, context_.height};
    bill.nominee.reset();
    bill.prev_holder.reset();
    bill.prev_beneficiary.reset();
    Json details = {{"purpose", name(*purpose)}};
    if (reason) details["reason"] = name(*reason);
    append_history(
        bill, action,
        *purpose == SurrenderPurpose::delivery ? "SURRENDER_FOR_DELIVERY" : "SURRENDER_FOR_AMENDMENT",
        bill.issuer, std::move(details));
    return save_bill(before, std::move(bill));
  }

  static Status require_pending_surrender(const Bill& bill, std::string_view action) {
    if (bill.status == BillStatus::pending_surrender && bill.pending) return {};
    return conflict("bill-status", std::string(action) + ": the bill is " + std::string(name(bill.status)) +
                                       ", not PENDING_SURRENDER");
  }

  Status withdraw_surrender() {
    constexpr std::string_view action = "bill.withdraw_surrender";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_pending_surrender(bill, action));
    if (bill.pending->requester != tx_.from) {
      return not_permitted("bill.withdraw_surrender: only the requester withdraws its surrender");
    }
    bill.status = BillStatus::issued;
    bill.pending.reset();
    bill.prev_holder.reset();
    bill.prev_beneficiary.reset();
    append_history(bill, action, std::nullopt, bill.issuer);
    return save_bill(before, std::move(bill));
  }

  Status accept_surrender() {
    constexpr std::string_view action = "bill.accept_surrender";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_pending_surrender(bill, action));
    if (bill.issuer != tx_.from)
      return not_permitted("bill.accept_surrender: only the issuer answers a surrender");
    // DELIVERY → SURRENDERED; AMENDMENT → VOIDED. The accepted surrender stays recorded in `pending`.
    bill.status =
        bill.pending->purpose == SurrenderPurpose::delivery ? BillStatus::surrendered : BillStatus::voided;
    bill.prev_holder.reset();
    bill.prev_beneficiary.reset();
    append_history(bill, action, "SACC", bill.pending->requester, Json{{"status", name(bill.status)}});
    return save_bill(before, std::move(bill));
  }

  Status reject_surrender() {
    constexpr std::string_view action = "bill.reject_surrender";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    ONEBILL_TRY(require_pending_surrender(bill, action));
    if (bill.issuer != tx_.from)
      return not_permitted("bill.reject_surrender: only the issuer answers a surrender");
    const Address requester = bill.pending->requester;
    bill.status = BillStatus::issued;
    bill.pending.reset();
    bill.prev_holder.reset();
    bill.prev_beneficiary.reset();
    append_history(bill, action, "SREJ", requester);
    return save_bill(before, std::move(bill));
  }

  // ---- legs ----

  Status leg_record() {
    constexpr std::string_view action = "leg.record";
    auto loaded = body_bill();
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    if (bill.status == BillStatus::voided) return conflict("bill-status", "leg.record: the bill is VOIDED");
    const std::uint64_t index = body().at("leg").get<std::uint64_t>();
    if (index >= bill.legs.size()) {
      return conflict("leg-order", "leg.record: the bill has " + std::to_string(bill.legs.size()) + " legs");
    }
    Leg& leg = bill.legs[index];
    if (leg.carrier != tx_.from && bill.issuer != tx_.from) {
      return not_permitted("leg.record: only the leg's carrier or the bill's issuer records its events");
    }
    // Suspended carriers still record their legs (DESIGN §2).
    auto type = parse_leg_event_type(body().at("event").get<std::string>());
    ONEBILL_ASSERT(type.has_value());
    const std::size_t expected = leg.events.size();
    if (expected >= 4 || static_cast<std::size_t>(*type) != expected) {
      const std::string next = expected >= 4 ? "nothing (the leg is handed over)"
                                             : std::string(name(static_cast<LegEventType>(expected)));
      return conflict("leg-order", "leg.record: leg " + std::to_string(index) + " expects " + next +
                                       " next, not " + std::string(name(*type)));
    }
    const std::string location = body().at("location").get<std::string>();
    const bool at_from = *type == LegEventType::received || *type == LegEventType::departed;
    const std::string& place = at_from ? leg.from : leg.to;
    if (location != place) {
      return conflict("leg-place", "leg.record: " + std::string(name(*type)) + " of leg " +
                                       std::to_string(index) + " happens at " + place + ", not " + location);
    }
    LegEvent event;
    event.event = *type;
    event.location = location;
    event.time = body().at("time").get<std::string>();
    if (body().contains("conveyance")) event.conveyance = body().at("conveyance").get<std::string>();
    event.remark = remark();
    event.tx = tx_.id;
    event.signer = tx_.from;
    event.height = context_.height;
    event.time_ms = context_.time_ms;
    Json details = {{"leg", index}, {"event", name(*type)}, {"location", location}, {"time", event.time}};
    if (event.conveyance) details["conveyance"] = *event.conveyance;
    if (*type == LegEventType::received && index > 0) {
      Leg& previous = bill.legs[index - 1];
      if (previous.events.size() < 3) {
        return conflict("leg-order", "leg.record: RECEIVED on leg " + std::to_string(index) +
                                         " needs ARRIVED on leg " + std::to_string(index - 1));
      }
      if (previous.events.size() == 3) {  // the missing HANDED_OVER of the previous leg goes with it
        LegEvent handed_over = event;
        handed_over.event = LegEventType::handed_over;
        handed_over.location = previous.to;
        handed_over.conveyance.reset();
        handed_over.implied = true;
        previous.events.push_back(std::move(handed_over));
        details["implied_handed_over"] = index - 1;
      }
    }
    const bool delivery =
        *type == LegEventType::handed_over && index + 1 == bill.legs.size() && bill.kind == BillKind::bol;
    if (delivery && bill.status != BillStatus::surrendered) {
      return conflict("not-surrendered",
                      "leg.record: delivery (HANDED_OVER on the last leg of a BOL) needs the bill "
                      "SURRENDERED for DELIVERY");
    }
    leg.events.push_back(std::move(event));
    append_history(bill, action, std::nullopt, std::nullopt, std::move(details));
    return save_bill(before, std::move(bill));
  }

  // ---- governance (DESIGN §2) ----

  Status require_active_admin(std::string_view action) const {
    if (!signer_.has_role(Role::admin))
      return not_permitted(std::string(action) + ": only an ADMIN may do this");
    if (signer_.suspended)
      return not_permitted(std::string(action) + ": a suspended ADMIN takes no part in governance");
    return {};
  }

  Status gov_propose() {
    constexpr std::string_view action = "gov.propose";
    ONEBILL_TRY(require_active_admin(action));
    Proposal proposal;
    proposal.id = tx_.id;
    proposal.proposer = tx_.from;
    proposal.action = body().at("action").get<std::string>();
    proposal.args = body().at("args");
    proposal.expires_height = body().at("expires_height").get<std::uint64_t>();
    proposal.proposed_height = context_.height;
    proposal.approvals.push_back(tx_.from);  // proposing counts as approving
    if (proposal.expires_height <= context_.height) {
      return conflict("proposal-expired", "gov.propose: expires_height must be above the current height " +
                                              std::to_string(context_.height));
    }
    auto existing = ledger_.proposal(proposal.id);
    ONEBILL_TRY(existing);
    ONEBILL_ASSERT(!existing->has_value());  // the id is this transaction's, and nonces never repeat
    return decide(proposal, /*check_now=*/true);
  }

  Status gov_approve() {
    constexpr std::string_view action = "gov.approve";
    ONEBILL_TRY(require_active_admin(action));
    const Hash32 id = body_hash(body().at("proposal"));
    auto loaded = ledger_.proposal(id);
    ONEBILL_TRY(loaded);
    if (!loaded->has_value())
      return conflict("unknown-proposal", "gov.approve: no proposal " + hash_text(id));
    Proposal proposal = std::move(**loaded);
    if (proposal.status == ProposalStatus::executed) {
      return conflict("already-approved", "gov.approve: the proposal has already executed");
    }
    if (context_.height >= proposal.expires_height) {
      return conflict("proposal-expired", "gov.approve: the proposal expired at height " +
                                              std::to_string(proposal.expires_height));
    }
    if (std::find(proposal.approvals.begin(), proposal.approvals.end(), tx_.from) !=
        proposal.approvals.end()) {
      return conflict("already-approved", "gov.approve: this ADMIN has already approved the proposal");
    }
    proposal.approvals.push_back(tx_.from);
    return decide(proposal, /*check_now=*/false);
  }

  // Executes the proposal when more than 2/3 of the non-suspended ADMINs approve; otherwise records it
  // (after a dry run on a scratch overlay when check_now, so that a proposal that cannot execute is
  // refused at once with the rule it breaks).
  Status decide(Proposal& proposal, bool check_now) {
    auto participants = ledger_.participants();
    ONEBILL_TRY(participants);
    std::size_t admins = 0;
    std::size_t approving = 0;
    for (const auto& participant : *participants) {
      if (!participant.active_in(Role::admin)) continue;
      ++admins;
      if (std::find(proposal.approvals.begin(), proposal.approvals.end(), participant.address) !=
          proposal.approvals.end()) {
        ++approving;
      }
    }
    ONEBILL_ASSERT(admins >= 1);  // no action may leave fewer than one non-suspended ADMIN
    if (3 * approving > 2 * admins) {
      ONEBILL_TRY(execute_action(proposal, state_));
      proposal.status = ProposalStatus::executed;
      proposal.executed_height = context_.height;
    } else if (check_now) {
      Overlay scratch(state_);
      const std::uint32_t counter = event_counter_;
      Status dry_run = execute_action(proposal, scratch);
      event_counter_ = counter;
      ONEBILL_TRY(dry_run);
    }
    state_.put(keys::proposal_key(proposal.id), encode(to_json(proposal)));
    return {};
  }

  // The number of non-suspended ADMINs if `changed` replaced the registered record of its address.
  Result<std::size_t> active_admins_with(const Participant& changed) {
    auto participants = ledger_.participants();
    ONEBILL_TRY(participants);
    std::size_t count = 0;
    for (const auto& participant : *participants) {
      const Participant& p = participant.address == changed.address ? changed : participant;
      if (p.active_in(Role::admin)) ++count;
    }
    return count;
  }

  Status check_last_admin(const Participant& changed, std::string_view what) {
    auto admins = active_admins_with(changed);
    ONEBILL_TRY(admins);
    if (*admins == 0)
      return conflict("last-admin", std::string(what) + ": would leave no non-suspended ADMIN");
    return {};
  }

  Result<Participant> registered(const Address& address, std::string_view what) {
    auto participant = ledger_.participant(address);
    ONEBILL_TRY(participant);
    if (!participant->has_value()) {
      return conflict("recipient-not-admitted",
                      std::string(what) + ": " + short_text(address) + " is not a participant");
    }
    return **participant;
  }

  Status check_domain_free(std::string_view domain, const Address& owner, std::string_view what) {
    auto used = state_.get(keys::domain_key(domain));
    ONEBILL_TRY(used);
    if (used->has_value() && **used != keys::raw(owner)) {
      return conflict("domain-used",
                      std::string(what) + ": the domain " + std::string(domain) + " is registered already");
    }
    return {};
  }

  Status execute_action(const Proposal& proposal, Overlay& target) {
    // Actions write through `target` (the state, or a scratch overlay for a dry run).
    Execution inner(tx_, target, context_);
    inner.signer_ = signer_;
    inner.event_counter_ = event_counter_;
    Status status = inner.execute_action_here(proposal);
    event_counter_ = inner.event_counter_;
    return status;
  }

  Status execute_action_here(const Proposal& proposal) {
    const std::string& what = proposal.action;
    const Json& args = proposal.args;
    if (what == "participant.admit") {
      Participant participant;
      participant.address = body_address(args.at("address"));
      auto existing = ledger_.participant(participant.address);
      ONEBILL_TRY(existing);
      if (existing->has_value())
        return conflict("id-used", "participant.admit: the address is a participant already");
      participant.name = args.at("name").get<std::string>();
      participant.roles = read_roles(args, "roles");
      participant.domain = args.at("domain").get<std::string>();
      if (args.contains("identifiers"))
        participant.identifiers = identifiers_from_json(args.at("identifiers"));
      participant.admitted_height = context_.height;
      ONEBILL_TRY(check_domain_free(participant.domain, participant.address, what));
      state_.put(keys::domain_key(participant.domain), keys::raw(participant.address));
      state_.put(keys::participant_key(participant.address), encode(to_json(participant)));
      return {};
    }
    if (what == "participant.update") {
      auto loaded = registered(body_address(args.at("address")), what);
      ONEBILL_TRY(loaded);
      Participant participant = *loaded;
      if (args.contains("name")) participant.name = args.at("name").get<std::string>();
      if (args.contains("roles")) participant.roles = read_roles(args, "roles");
      if (args.contains("identifiers"))
        participant.identifiers = identifiers_from_json(args.at("identifiers"));
      if (args.contains("domain")) {
        participant.domain = args.at("domain").get<std::string>();
        ONEBILL_TRY(check_domain_free(participant.domain, participant.address, what));
        state_.erase(keys::domain_key(loaded->domain));
        state_.put(keys::domain_key(participant.domain), keys::raw(participant.address));
      }
      ONEBILL_TRY(check_last_admin(participant, what));
      state_.put(keys::participant_key(participant.address), encode(to_json(participant)));
      return {};
    }
    if (what == "participant.suspend" || what == "participant.reinstate") {
      auto loaded = registered(body_address(args.at("address")), what);
      ONEBILL_TRY(loaded);
      Participant participant = *loaded;
      participant.suspended = what == "participant.suspend";
      ONEBILL_TRY(check_last_admin(participant, what));
      state_.put(keys::participant_key(participant.address), encode(to_json(participant)));
      return {};
    }
    if (what == "validator.set") {
      Validator validator{body_address(args.at("address")), args.at("consensus_key").get<std::string>(),
                          args.at("power").get<std::uint64_t>()};
      state_.put(keys::validator_key(validator.address), encode(to_json(validator)));
      return {};
    }
    if (what == "validator.remove") {
      const Address address = body_address(args.at("address"));
      auto validators = ledger_.validators();
      ONEBILL_TRY(validators);
      const bool present = std::any_of(validators->begin(), validators->end(),
                                       [&](const Validator& v) { return v.address == address; });
      if (!present) return not_permitted("validator.remove: the address is not a validator");
      if (validators->size() == 1)
        return not_permitted("validator.remove: the last validator cannot be removed");
      state_.erase(keys::validator_key(address));
      return {};
    }
    if (what == "bill.rectify") return rectify(proposal);
    return invalid("invalid-body", "gov.propose: unknown action " + what);
  }

  // bill.rectify (DESIGN §4): the one action that overrides the rules, by governance, on a court or
  // arbitral order. Parties it names must be participants; everything else is as ordered.
  Status rectify(const Proposal& proposal) {
    constexpr std::string_view action = "bill.rectify";
    const Json& args = proposal.args;
    auto loaded = load_bill(body_hash(args.at("bill")));
    ONEBILL_TRY(loaded);
    Bill bill = std::move(*loaded);
    const IndexedFields before(bill);
    Json details = {{"order_reference", args.at("order_reference")}, {"proposal", hash_text(proposal.id)}};
    std::vector<Address> named;
    if (args.contains("holder")) {
      bill.holder = body_address(args.at("holder"));
      ONEBILL_TRY(require_admitted(bill.holder, action));
      details["holder"] = address_text(bill.holder);
    }
    if (args.contains("beneficiary")) {
      if (args.at("beneficiary").is_null()) {
        bill.beneficiary.reset();
      } else {
        bill.beneficiary = body_address(args.at("beneficiary"));
        ONEBILL_TRY(require_admitted(*bill.beneficiary, action));
        named.push_back(*bill.beneficiary);
      }
      details["beneficiary"] = args.at("beneficiary");
      bill.nominee.reset();
    }
    if (args.contains("pledge")) {
      if (args.at("pledge").is_null()) {
        bill.pledge.reset();
      } else {
        const Json& p = args.at("pledge");
        bill.pledge = Pledge{body_address(p.at("bank")), body_address(p.at("pledgor")),
                             p.at("reference").get<std::string>()};
        ONEBILL_TRY(require_admitted(bill.pledge->bank, action));
        ONEBILL_TRY(require_admitted(bill.pledge->pledgor, action));
      }
      details["pledge"] = args.at("pledge");
    }
    if (args.contains("status")) {
      auto status = parse_bill_status(args.at("status").get<std::string>());
      ONEBILL_ASSERT(status.has_value());
      if (*status == BillStatus::pending_surrender && !bill.pending) {
        return conflict("bill-status",
                        "bill.rectify: PENDING_SURRENDER needs a surrender request on the bill");
      }
      if (*status == BillStatus::issued) bill.pending.reset();
      if (before.status == BillStatus::voided && *status != BillStatus::voided) {
        auto reserved = ledger_.bill_by_reference(bill.issuer, bill.reference);
        ONEBILL_TRY(reserved);
        if (reserved->has_value()) {
          return conflict("reference-used",
                          "bill.rectify: the reference is used by a live bill of the same issuer");
        }
      }
      bill.status = *status;
      details["status"] = args.at("status");
    }
    bill.prev_holder.reset();
    bill.prev_beneficiary.reset();
    append_history(bill, action, std::nullopt, bill.holder, std::move(details), named);
    return save_bill(before, std::move(bill));
  }

  const Transaction& tx_;
  Overlay& state_;
  const BlockContext& context_;
  Ledger ledger_;
  Participant signer_;
  std::uint32_t event_counter_ = 0;
};

}  // namespace

bool is_governance_action(std::string_view action) {
  return std::find(std::begin(governance_actions), std::end(governance_actions), action) !=
         std::end(governance_actions);
}

Status apply(const Transaction& transaction, Overlay& state, const BlockContext& context,
             KeyWriters* writers) {
  ONEBILL_ASSERT(context.height >= 1);
  if (transaction.chain != context.chain) {
    return invalid("wrong-chain",
                   "the transaction is for chain " + transaction.chain + ", this is " + context.chain);
  }
  Ledger ledger(state);
  auto next_nonce = ledger.next_nonce(transaction.from);
  ONEBILL_TRY(next_nonce);
  if (transaction.nonce < *next_nonce) {
    return invalid("nonce-used", "nonce " + std::to_string(transaction.nonce) +
                                     " is used; the next nonce is " + std::to_string(*next_nonce));
  }
  if (transaction.nonce > *next_nonce) {
    return invalid("nonce-gap", "nonce " + std::to_string(transaction.nonce) +
                                    " skips ahead; the next nonce is " + std::to_string(*next_nonce));
  }
  if (transaction.expires_ms && context.time_ms > *transaction.expires_ms) {
    return invalid("expired", "the transaction expired at " + std::to_string(*transaction.expires_ms) +
                                  " ms; the block time is " + std::to_string(context.time_ms) + " ms");
  }
  Overlay child(state);
  Execution execution(transaction, child, context);
  ONEBILL_TRY(execution.run());
  child.put(keys::account_key(transaction.from), std::to_string(*next_nonce + 1));
  if (writers != nullptr) {
    for (const auto& [key, written] : child.entries()) {
      const auto [entry, inserted] = writers->try_emplace(key, transaction.from);
      if (!inserted && entry->second != transaction.from) entry->second = std::nullopt;  // several
    }
  }
  child.merge_into(state);
  return {};
}

}  // namespace onebill::ledger
