// The signed transaction of DESIGN §3 and the body schema of every type of DESIGN §4.
//
// Everything a transaction's form can break is checked here, once, before the ledger sees it; the ledger
// reads typed fields out of a body that already passed its schema. The schema of every type is ONE
// table (transaction_types below); the governance actions of gov.propose have a second table
// (governance_actions) for their `args`.
#include "ledger/transaction.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <set>
#include <span>

#include "crypto/eip191.h"
#include "crypto/hash.h"
#include "crypto/hex.h"

namespace onebill::ledger {
namespace {

using json::Json;

// ---------------------------------------------------------------------------------------------------
// The schema language: a field is a name, a value kind and whether it must be present.

enum class Value {
  address,          // Address::parse: lowercase, uppercase or valid EIP-55
  address_or_null,  // an address, or null (only where DESIGN §4 allows null)
  bill_id,          // "0x" + 64 lowercase hex (an OpenAttestation merkleRoot)
  transaction_id,   // "0x" + 64 lowercase hex (keccak256 of a signing text)
  boolean,
  bill_kind,          // BOL, SWB
  transport_mode,     // SEA, RAIL, ROAD, INLAND_WATERWAY, AIR
  surrender_purpose,  // DELIVERY, AMENDMENT
  surrender_reason,   // SWTP, COD, SWI
  leg_event,          // RECEIVED, DEPARTED, ARRIVED, HANDED_OVER
  bill_status,        // ISSUED, PENDING_SURRENDER, SURRENDERED, VOIDED
  governance_action,  // the names of governance_actions
  locode,             // UN/LOCODE: [A-Z]{2}[A-Z2-9]{3}
  time,               // RFC 3339 UTC with milliseconds: 2026-01-31T23:59:59.999Z
  reference,          // 1–20 characters, no control characters, no surrounding space (DCSA)
  conveyance,         // 1–64 characters, same character rules
  name,               // 1–128 characters, same character rules
  remark,             // ≤ 255 bytes of UTF-8
  required_remark,    // 1–255 bytes (bill.reject_surrender)
  domain,             // a DNS name: 2+ labels of [A-Za-z0-9-], ≤ 253 characters
  lei,                // ISO 17442: [A-Z0-9]{18}[0-9]{2}
  uscc,               // China's unified social credit code: [0-9A-Z]{18}
  consensus_key,      // secp256k1 public key, "0x" + 66 (compressed) or 130 (uncompressed) lowercase hex
  leg_index,          // integer 0..15
  height,             // canonical integer
  power,              // canonical integer ≥ 1
  roles,              // 1–5 distinct of ADMIN, CARRIER, BANK, CUSTOMS, TRADER
  identifiers,        // object identifier_fields, at least one member
  legs,               // 1–16 objects leg_fields
  bill_ids,           // 1–16 distinct bill ids
  reissued_bills,     // 1–16 objects reissued_bill_fields with distinct ids
  pledge_or_null,     // object pledge_fields, or null
  governance_args,    // an object; its schema depends on `action` (checked by check_gov_propose)
};

enum class Presence { required, optional };

struct Field {
  std::string_view name;
  Value value;
  Presence presence = Presence::required;
};

constexpr Presence optional = Presence::optional;

// Cross-field rules that a per-field check cannot express; `path` names the object ("body").
using CrossCheck = Status (*)(const Json& object, const std::string& path);

// ---------------------------------------------------------------------------------------------------
// Nested objects.

constexpr Field leg_fields[] = {
    {"mode", Value::transport_mode},
    {"carrier", Value::address},
    {"from", Value::locode},
    {"to", Value::locode},
};

constexpr Field reissued_bill_fields[] = {
    {"id", Value::bill_id},       {"reference", Value::reference}, {"kind", Value::bill_kind},
    {"to_order", Value::boolean}, {"legs", Value::legs},
};

constexpr Field pledge_fields[] = {
    {"bank", Value::address},
    {"pledgor", Value::address},
    {"reference", Value::reference},
};

constexpr Field identifier_fields[] = {
    {"lei", Value::lei, optional},
    {"uscc", Value::uscc, optional},
};

// ---------------------------------------------------------------------------------------------------
// Governance actions (DESIGN §2): the `args` of gov.propose for each `action`.
//
//   participant.admit      {address, name, roles, domain, identifiers?}
//                          identifiers = {lei?, uscc?} with at least one member
//   participant.update     {address, name?, roles?, domain?, identifiers?}, at least one besides address;
//                          a member given replaces the registered value
//   participant.suspend    {address}
//   participant.reinstate  {address}
//   validator.set          {address, consensus_key, power}: adds a validator or changes its key or power;
//                          consensus_key is the secp256k1 public key that signs its votes, power ≥ 1
//   validator.remove       {address}
//   bill.rectify           {bill, order_reference, holder?, beneficiary?, pledge?, status?}: the court or
//                          arbitral order (order_reference, 1–128 characters) and what it sets, at least one
//                          of holder, beneficiary (null: endorsed in blank), pledge (null: cleared;
//                          else {bank, pledgor, reference}), status

constexpr Field admit_args[] = {
    {"address", Value::address},
    {"name", Value::name},
    {"roles", Value::roles},
    {"domain", Value::domain},
    {"identifiers", Value::identifiers, optional},
};
constexpr Field update_args[] = {
    {"address", Value::address},
    {"name", Value::name, optional},
    {"roles", Value::roles, optional},
    {"domain", Value::domain, optional},
    {"identifiers", Value::identifiers, optional},
};
constexpr Field address_args[] = {
    {"address", Value::address},
};
constexpr Field validator_set_args[] = {
    {"address", Value::address},
    {"consensus_key", Value::consensus_key},
    {"power", Value::power},
};
constexpr Field rectify_args[] = {
    {"bill", Value::bill_id},
    {"order_reference", Value::name},
    {"holder", Value::address, optional},
    {"beneficiary", Value::address_or_null, optional},
    {"pledge", Value::pledge_or_null, optional},
    {"status", Value::bill_status, optional},
};

Status require_any_member(const Json& object, const std::string& path,
                          std::initializer_list<std::string_view> names);

Status check_update_args(const Json& args, const std::string& path) {
  return require_any_member(args, path, {"name", "roles", "domain", "identifiers"});
}
Status check_rectify_args(const Json& args, const std::string& path) {
  return require_any_member(args, path, {"holder", "beneficiary", "pledge", "status"});
}

struct ActionSchema {
  std::string_view action;
  std::span<const Field> args;
  CrossCheck cross_check;
};

constexpr ActionSchema governance_actions[] = {
    {"participant.admit", admit_args, nullptr},
    {"participant.update", update_args, check_update_args},
    {"participant.suspend", address_args, nullptr},
    {"participant.reinstate", address_args, nullptr},
    {"validator.set", validator_set_args, nullptr},
    {"validator.remove", address_args, nullptr},
    {"bill.rectify", rectify_args, check_rectify_args},
};

// ---------------------------------------------------------------------------------------------------
// THE TABLE: every transaction type and its body (DESIGN §4 "Transaction bodies"). Every type allows an
// optional remark (≤ 255 bytes); bill.reject_surrender requires one.

constexpr Field issue_body[] = {
    {"id", Value::bill_id},     {"reference", Value::reference},
    {"kind", Value::bill_kind}, {"to_order", Value::boolean},
    {"holder", Value::address}, {"beneficiary", Value::address, optional},  // absent: endorsed in blank
    {"legs", Value::legs},      {"remark", Value::remark, optional},
};
constexpr Field reissue_body[] = {
    {"replaces", Value::bill_ids},
    {"bills", Value::reissued_bills},
    {"remark", Value::remark, optional},
};
constexpr Field bill_to_body[] = {
    {"bill", Value::bill_id},
    {"to", Value::address},
    {"remark", Value::remark, optional},
};
constexpr Field nominate_body[] = {
    {"bill", Value::bill_id},
    {"nominee", Value::address_or_null},  // null cancels the nomination
    {"remark", Value::remark, optional},
};
constexpr Field transfer_owners_body[] = {
    {"bill", Value::bill_id},
    {"beneficiary", Value::address},
    {"holder", Value::address},
    {"remark", Value::remark, optional},
};
constexpr Field pledge_body[] = {
    {"bill", Value::bill_id},
    {"bank", Value::address},
    {"reference", Value::reference},
    {"remark", Value::remark, optional},
};
constexpr Field bill_only_body[] = {
    {"bill", Value::bill_id},
    {"remark", Value::remark, optional},
};
constexpr Field surrender_body[] = {
    {"bill", Value::bill_id},
    {"purpose", Value::surrender_purpose},
    {"reason", Value::surrender_reason, optional},  // required with AMENDMENT, absent with DELIVERY
    {"remark", Value::remark, optional},
};
constexpr Field reject_surrender_body[] = {
    {"bill", Value::bill_id},
    {"remark", Value::required_remark},
};
constexpr Field leg_record_body[] = {
    {"bill", Value::bill_id},
    {"leg", Value::leg_index},
    {"event", Value::leg_event},
    {"location", Value::locode},
    {"time", Value::time},
    {"conveyance", Value::conveyance, optional},  // vessel, voyage, train or truck
    {"remark", Value::remark, optional},
};
constexpr Field gov_propose_body[] = {
    {"action", Value::governance_action},
    {"args", Value::governance_args},
    {"expires_height", Value::height},
    {"remark", Value::remark, optional},
};
constexpr Field gov_approve_body[] = {
    {"proposal", Value::transaction_id},
    {"remark", Value::remark, optional},
};

Status check_reissue(const Json& body, const std::string& path);
Status check_surrender(const Json& body, const std::string& path);
Status check_gov_propose(const Json& body, const std::string& path);

struct TypeSchema {
  std::string_view type;
  std::span<const Field> body;
  CrossCheck cross_check;
};

constexpr TypeSchema transaction_types[] = {
    {"bill.issue", issue_body, nullptr},
    {"bill.reissue", reissue_body, check_reissue},
    {"bill.transfer_holder", bill_to_body, nullptr},
    {"bill.nominate", nominate_body, nullptr},
    {"bill.endorse", bill_to_body, nullptr},
    {"bill.transfer_owners", transfer_owners_body, nullptr},
    {"bill.blank_endorse", bill_only_body, nullptr},
    {"bill.reject_transfer", bill_only_body, nullptr},
    {"bill.pledge", pledge_body, nullptr},
    {"bill.release", bill_only_body, nullptr},
    {"bill.enforce", bill_only_body, nullptr},
    {"bill.surrender", surrender_body, check_surrender},
    {"bill.withdraw_surrender", bill_only_body, nullptr},
    {"bill.accept_surrender", bill_only_body, nullptr},
    {"bill.reject_surrender", reject_surrender_body, nullptr},
    {"leg.record", leg_record_body, nullptr},
    {"gov.propose", gov_propose_body, check_gov_propose},
    {"gov.approve", gov_approve_body, nullptr},
};

const TypeSchema* find_type(std::string_view type) {
  for (const TypeSchema& schema : transaction_types) {
    if (schema.type == type) return &schema;
  }
  return nullptr;
}

const ActionSchema* find_action(std::string_view action) {
  for (const ActionSchema& schema : governance_actions) {
    if (schema.action == action) return &schema;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------
// Value checks.

constexpr std::string_view bill_kinds[] = {"BOL", "SWB"};
constexpr std::string_view transport_modes[] = {"SEA", "RAIL", "ROAD", "INLAND_WATERWAY", "AIR"};
constexpr std::string_view surrender_purposes[] = {"DELIVERY", "AMENDMENT"};
constexpr std::string_view surrender_reasons[] = {"SWTP", "COD", "SWI"};
constexpr std::string_view leg_events[] = {"RECEIVED", "DEPARTED", "ARRIVED", "HANDED_OVER"};
constexpr std::string_view bill_statuses[] = {"ISSUED", "PENDING_SURRENDER", "SURRENDERED", "VOIDED"};
constexpr std::string_view participant_roles[] = {"ADMIN", "CARRIER", "BANK", "CUSTOMS", "TRADER"};

Problem bad_body(const std::string& path, const std::string& what) {
  return invalid("invalid-body", path + ": " + what);
}

std::string join(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

// Code points of valid UTF-8 (json::read guarantees validity): bytes that are not continuation bytes.
std::size_t count_characters(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(
      utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Result<std::uint64_t> canonical_integer(const Json& value, const std::string& path,
                                        const char* wrong_type_rule) {
  if (value.is_number_unsigned()) {
    const std::uint64_t number = value.get<std::uint64_t>();
    if (number > limits::max_canonical_integer) {
      return invalid("non-canonical-number", path + ": integers must be below 2^53");
    }
    return number;
  }
  if (value.is_number()) {
    return invalid("non-canonical-number",
                   path + ": must be an integer 0..2^53-1 written without sign, fraction or exponent");
  }
  return invalid(wrong_type_rule, path + ": must be an integer");
}

Status check_enum(const Json& value, const std::string& path, std::span<const std::string_view> allowed) {
  if (!value.is_string()) return bad_body(path, "must be one of " + join(allowed));
  const auto& text = value.get_ref<const std::string&>();
  if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    return bad_body(path, "\"" + text + "\" is not one of " + join(allowed));
  }
  return {};
}

Status check_address(const Json& value, const std::string& path) {
  if (!value.is_string()) return bad_body(path, "must be an address (0x + 40 hex digits)");
  auto address = Address::parse(value.get_ref<const std::string&>());
  if (!address) {
    if (address.problem().rule == "address-checksum") {
      return invalid("address-checksum", path + ": " + address.problem().detail);
    }
    return bad_body(path, "must be an address (0x + 40 hex digits, lowercase, uppercase or EIP-55)");
  }
  return {};
}

Status check_hash(const Json& value, const std::string& path, const char* what) {
  if (!value.is_string() || !hex::is_lower_hex(value.get_ref<const std::string&>(), 64)) {
    return bad_body(path, std::string("must be ") + what + ": 0x + 64 lowercase hex digits");
  }
  return {};
}

// Short human text: 1..max characters, no control characters, no leading or trailing space.
Status check_text(const Json& value, const std::string& path, std::size_t max_characters) {
  const std::string limit = "1-" + std::to_string(max_characters) + " characters";
  if (!value.is_string()) return bad_body(path, "must be a string of " + limit);
  const auto& text = value.get_ref<const std::string&>();
  const std::size_t characters = count_characters(text);
  if (characters == 0 || characters > max_characters) return bad_body(path, "must have " + limit);
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return bad_body(path, "must not contain control characters");
  }
  if (text.front() == ' ' || text.back() == ' ') return bad_body(path, "must not start or end with a space");
  return {};
}

Status check_remark(const Json& value, const std::string& path, bool required) {
  if (!value.is_string()) return bad_body(path, "must be a string");
  const std::size_t bytes = value.get_ref<const std::string&>().size();
  if (bytes > limits::max_remark_bytes) {
    return bad_body(path, "must be at most " + std::to_string(limits::max_remark_bytes) +
                              " bytes of UTF-8, not " + std::to_string(bytes));
  }
  if (required && bytes == 0) return bad_body(path, "is required and must not be empty");
  return {};
}

Status check_locode(const Json& value, const std::string& path) {
  const auto is_locode = [](const std::string& text) {
    if (text.size() != 5 || !is_upper(text[0]) || !is_upper(text[1])) return false;
    return std::all_of(text.begin() + 2, text.end(),
                       [](char c) { return is_upper(c) || (c >= '2' && c <= '9'); });
  };
  if (!value.is_string() || !is_locode(value.get_ref<const std::string&>())) {
    return bad_body(path, "must be a UN/LOCODE: 2 capital letters then 3 of A-Z and 2-9, like CNCKG");
  }
  return {};
}

bool is_rfc3339_utc_millis(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS.sssZ
  constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != shape.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd' ? !is_digit(text[i]) : text[i] != shape[i]) return false;
  }
  const auto number = [&](std::size_t at, std::size_t digits) {
    int value = 0;
    for (std::size_t i = at; i < at + digits; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  constexpr int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = days_in_month[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= days;
}

Status check_time(const Json& value, const std::string& path) {
  if (!value.is_string() || !is_rfc3339_utc_millis(value.get_ref<const std::string&>())) {
    return bad_body(path, "must be an RFC 3339 UTC time with milliseconds, like 2026-03-01T08:30:00.000Z");
  }
  return {};
}

Status check_domain(const Json& value, const std::string& path) {
  const auto is_domain = [](const std::string& text) {
    if (text.empty() || text.size() > 253) return false;
    std::size_t labels = 0, start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('.', start);
      if (end == std::string::npos) end = text.size();
      const std::string_view label(text.data() + start, end - start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
      for (char c : label) {
        if (!(is_upper(c) || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-')) return false;
      }
      ++labels;
      start = end + 1;
    }
    return labels >= 2;
  };
  if (!value.is_string() || !is_domain(value.get_ref<const std::string&>())) {
    return bad_body(path, "must be a DNS domain name like carrier.example.com");
  }
  return {};
}

Status check_pattern(const Json& value, const std::string& path, std::size_t length,
                     bool (*allowed)(std::size_t index, char c), const char* what) {
  bool ok = value.is_string() && value.get_ref<const std::string&>().size() == length;
  if (ok) {
    const auto& text = value.get_ref<const std::string&>();
    for (std::size_t i = 0; i < length && ok; ++i) ok = allowed(i, text[i]);
  }
  if (!ok) return bad_body(path, std::string("must be ") + what);
  return {};
}

Status check_consensus_key(const Json& value, const std::string& path) {
  const char* what =
      "a secp256k1 public key: 0x + 66 (compressed) or 130 (uncompressed) lowercase hex digits";
  if (!value.is_string()) return bad_body(path, std::string("must be ") + what);
  const auto& text = value.get_ref<const std::string&>();
  if (!hex::is_lower_hex(text, 66) && !hex::is_lower_hex(text, 130)) {
    return bad_body(path, std::string("must be ") + what);
  }
  const auto bytes = hex::decode(text);
  if (!bytes || !address_of_public_key(*bytes)) return bad_body(path, "is not a point on secp256k1");
  return {};
}

Status check_object(const Json& object, const std::string& path, std::span<const Field> fields);

Status check_array(const Json& value, const std::string& path, std::size_t max_items, const char* what,
                   const std::function<Status(const Json&, const std::string&)>& check_item) {
  if (!value.is_array()) return bad_body(path, std::string("must be an array of ") + what);
  if (value.empty() || value.size() > max_items) {
    return bad_body(path, "must hold 1-" + std::to_string(max_items) + " " + what + ", not " +
                              std::to_string(value.size()));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    ONEBILL_TRY(check_item(value[i], path + "[" + std::to_string(i) + "]"));
  }
  return {};
}

// Distinct string members `member` (or the strings themselves when member is empty) of an array.
Status require_distinct(const Json& array, const std::string& path, std::string_view member) {
  std::set<std::string> seen;
  for (const Json& item : array) {
    const Json& key = member.empty() ? item : item.at(std::string(member));
    if (!seen.insert(key.get<std::string>()).second) {
      return bad_body(path, "names " + key.get<std::string>() + " twice");
    }
  }
  return {};
}

Status check_value(const Json& value, const std::string& path, Value kind) {
  switch (kind) {
    case Value::address:
      return check_address(value, path);
    case Value::address_or_null:
      return value.is_null() ? Status{} : check_address(value, path);
    case Value::bill_id:
      return check_hash(value, path, "a bill id");
    case Value::transaction_id:
      return check_hash(value, path, "a transaction id");
    case Value::boolean:
      return value.is_boolean() ? Status{} : bad_body(path, "must be true or false");
    case Value::bill_kind:
      return check_enum(value, path, bill_kinds);
    case Value::transport_mode:
      return check_enum(value, path, transport_modes);
    case Value::surrender_purpose:
      return check_enum(value, path, surrender_purposes);
    case Value::surrender_reason:
      return check_enum(value, path, surrender_reasons);
    case Value::leg_event:
      return check_enum(value, path, leg_events);
    case Value::bill_status:
      return check_enum(value, path, bill_statuses);
    case Value::governance_action: {
      std::vector<std::string_view> names;
      for (const ActionSchema& action : governance_actions) names.push_back(action.action);
      return check_enum(value, path, names);
    }
    case Value::locode:
      return check_locode(value, path);
    case Value::time:
      return check_time(value, path);
    case Value::reference:
      return check_text(value, path, limits::max_reference_chars);
    case Value::conveyance:
      return check_text(value, path, limits::max_conveyance_chars);
    case Value::name:
      return check_text(value, path, 128);
    case Value::remark:
      return check_remark(value, path, false);
    case Value::required_remark:
      return check_remark(value, path, true);
    case Value::domain:
      return check_domain(value, path);
    case Value::lei:
      return check_pattern(
          value, path, 20,
          [](std::size_t i, char c) { return i < 18 ? (is_upper(c) || is_digit(c)) : is_digit(c); },
          "an LEI: 18 capital letters or digits, then 2 digits");
    case Value::uscc:
      return check_pattern(
          value, path, 18, [](std::size_t, char c) { return is_upper(c) || is_digit(c); },
          "a unified social credit code: 18 capital letters or digits");
    case Value::consensus_key:
      return check_consensus_key(value, path);
    case Value::leg_index: {
      auto index = canonical_integer(value, path, "invalid-body");
      if (!index) return index.problem();
      if (*index >= limits::max_legs)
        return bad_body(path, "a leg index is 0-" + std::to_string(limits::max_legs - 1));
      return {};
    }
    case Value::height: {
      auto height = canonical_integer(value, path, "invalid-body");
      if (!height) return height.problem();
      return {};
    }
    case Value::power: {
      auto power = canonical_integer(value, path, "invalid-body");
      if (!power) return power.problem();
      if (*power == 0) return bad_body(path, "must be at least 1 (validator.remove removes a validator)");
      return {};
    }
    case Value::roles: {
      ONEBILL_TRY(check_array(
          value, path, std::size(participant_roles), "roles",
          [](const Json& role, const std::string& at) { return check_enum(role, at, participant_roles); }));
      return require_distinct(value, path, "");
    }
    case Value::identifiers:
      if (value.is_object() && value.empty()) return bad_body(path, "must name at least one of lei, uscc");
      return check_object(value, path, identifier_fields);
    case Value::legs:
      return check_array(value, path, limits::max_legs, "legs", [](const Json& leg, const std::string& at) {
        return check_object(leg, at, leg_fields);
      });
    case Value::bill_ids:
      ONEBILL_TRY(
          check_array(value, path, limits::max_bills_per_reissue, "bill ids",
                      [](const Json& id, const std::string& at) { return check_hash(id, at, "a bill id"); }));
      return require_distinct(value, path, "");
    case Value::reissued_bills:
      ONEBILL_TRY(check_array(value, path, limits::max_bills_per_reissue, "bills",
                              [](const Json& bill, const std::string& at) {
                                return check_object(bill, at, reissued_bill_fields);
                              }));
      return require_distinct(value, path, "id");
    case Value::pledge_or_null:
      return value.is_null() ? Status{} : check_object(value, path, pledge_fields);
    case Value::governance_args:
      // The shape depends on `action`: check_gov_propose checks it against governance_actions.
      return value.is_object() ? Status{} : bad_body(path, "must be an object");
  }
  ONEBILL_ASSERT(false);
  return {};
}

// Exactly the fields of the schema: no unknown member ("unknown-field"), every required member present,
// every value of its kind. Fields are checked in schema order, so the first problem is deterministic.
Status check_object(const Json& object, const std::string& path, std::span<const Field> fields) {
  if (!object.is_object()) return bad_body(path, "must be an object");
  for (const auto& [key, value] : object.items()) {
    const bool known =
        std::any_of(fields.begin(), fields.end(), [&](const Field& field) { return field.name == key; });
    if (!known) return invalid("unknown-field", path + ": unknown field \"" + key + "\"");
  }
  for (const Field& field : fields) {
    const std::string field_path = path + "." + std::string(field.name);
    const auto member = object.find(std::string(field.name));
    if (member == object.end()) {
      if (field.presence == Presence::required) return bad_body(field_path, "is required");
      continue;
    }
    ONEBILL_TRY(check_value(*member, field_path, field.value));
  }
  return {};
}

Status require_any_member(const Json& object, const std::string& path,
                          std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (object.contains(std::string(name))) return {};
  }
  std::vector<std::string_view> list(names);
  return bad_body(path, "must set at least one of " + join(list));
}

Status check_reissue(const Json& body, const std::string& path) {
  // DESIGN §4 bill.reissue: a split (1 → n) or a merge (n → 1), never n → m.
  if (body.at("replaces").size() > 1 && body.at("bills").size() > 1) {
    return bad_body(path, "at most one of replaces and bills may list more than one bill");
  }
  return {};
}

Status check_surrender(const Json& body, const std::string& path) {
  const bool amendment = body.at("purpose") == "AMENDMENT";
  const bool has_reason = body.contains("reason");
  if (amendment && !has_reason) return bad_body(path + ".reason", "is required with purpose AMENDMENT");
  if (!amendment && has_reason) return bad_body(path + ".reason", "is only given with purpose AMENDMENT");
  return {};
}

Status check_gov_propose(const Json& body, const std::string& path) {
  const ActionSchema* action = find_action(body.at("action").get_ref<const std::string&>());
  ONEBILL_ASSERT(action != nullptr);  // check_value(governance_action) ran first
  const std::string args_path = path + ".args";
  ONEBILL_TRY(check_object(body.at("args"), args_path, action->args));
  if (action->cross_check != nullptr) ONEBILL_TRY(action->cross_check(body.at("args"), args_path));
  return {};
}

// ---------------------------------------------------------------------------------------------------
// The envelope.

constexpr std::string_view envelope_fields[] = {"chain", "type",       "nonce", "from",
                                                "body",  "expires_ms", "sig"};

bool is_chain_id(std::string_view chain) {
  // ^[a-z0-9][a-z0-9-]{2,62}$
  if (chain.size() < 3 || chain.size() > 63) return false;
  const auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; };
  return chain.front() != '-' && std::all_of(chain.begin(), chain.end(), allowed);
}

// secp256k1 group order n and n/2 (big-endian), for the EIP-2 low-s rule.
constexpr std::array<std::uint8_t, 32> curve_order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
constexpr std::array<std::uint8_t, 32> half_curve_order = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

// Compares the 32 big-endian bytes at `scalar` with `bound`: <0, 0, >0.
int compare_scalar(const std::uint8_t* scalar, const std::array<std::uint8_t, 32>& bound) {
  for (std::size_t i = 0; i < 32; ++i) {
    if (scalar[i] != bound[i]) return scalar[i] < bound[i] ? -1 : 1;
  }
  return 0;
}

bool is_zero_scalar(const std::uint8_t* scalar) {
  return std::all_of(scalar, scalar + 32, [](std::uint8_t byte) { return byte == 0; });
}

// DESIGN §3: r and s in [1, n), s ≤ n/2 (EIP-2), v 27 or 28; anything else is malformed, never normalised.
Status check_signature_form(const Signature& sig) {
  const std::uint8_t* r = sig.data();
  const std::uint8_t* s = sig.data() + 32;
  if (is_zero_scalar(r) || compare_scalar(r, curve_order) >= 0) {
    return invalid("signature-encoding", "sig: r must be between 1 and n-1");
  }
  if (is_zero_scalar(s) || compare_scalar(s, half_curve_order) > 0) {
    return invalid("signature-encoding",
                   "sig: s must be between 1 and n/2 (EIP-2 low-s); high-s is never accepted");
  }
  if (sig[64] != 27 && sig[64] != 28) return invalid("signature-encoding", "sig: v must be 27 or 28");
  return {};
}

struct Envelope {
  Transaction transaction;
  Json unsigned_object;
};

// Checks everything but the signature's presence, which `with_signature` decides.
Result<Envelope> check_envelope(const Json& object, bool with_signature,
                                std::optional<std::string_view> expected_chain) {
  if (!object.is_object()) return invalid("wrong-type", "a transaction is a JSON object");
  for (const auto& [key, value] : object.items()) {
    const bool known =
        std::find(std::begin(envelope_fields), std::end(envelope_fields), key) != std::end(envelope_fields);
    if (!known || (key == "sig" && !with_signature)) {
      return invalid("unknown-field",
                     "unknown field \"" + key + "\"" +
                         (key == "sig" ? " (this is already signed)" : " in the transaction"));
    }
  }
  for (std::string_view name : envelope_fields) {
    if (name == "expires_ms" || (name == "sig" && !with_signature)) continue;
    if (!object.contains(std::string(name))) {
      return invalid("wrong-type", "the transaction has no \"" + std::string(name) + "\"");
    }
  }

  Envelope envelope;
  Transaction& tx = envelope.transaction;

  const Json& chain = object.at("chain");
  if (!chain.is_string() || !is_chain_id(chain.get_ref<const std::string&>())) {
    return invalid("wrong-type", "chain: must be a string matching ^[a-z0-9][a-z0-9-]{2,62}$");
  }
  tx.chain = chain.get<std::string>();
  if (expected_chain && tx.chain != *expected_chain) {
    return invalid("wrong-chain", "chain: the transaction is for \"" + tx.chain + "\", this is \"" +
                                      std::string(*expected_chain) + "\"");
  }

  const Json& type = object.at("type");
  if (!type.is_string()) return invalid("wrong-type", "type: must be a string");
  tx.type = type.get<std::string>();
  const TypeSchema* schema = find_type(tx.type);
  if (schema == nullptr) return invalid("invalid-body", "type: unknown transaction type \"" + tx.type + "\"");

  auto nonce = canonical_integer(object.at("nonce"), "nonce", "wrong-type");
  if (!nonce) return nonce.problem();
  tx.nonce = *nonce;

  const Json& from = object.at("from");
  if (!from.is_string()) return invalid("wrong-type", "from: must be an address string");
  auto from_address = Address::parse(from.get_ref<const std::string&>());
  if (!from_address) return Problem{from_address.problem().rule, "from: " + from_address.problem().detail};
  tx.from = *from_address;

  if (object.contains("expires_ms")) {
    auto expires = canonical_integer(object.at("expires_ms"), "expires_ms", "wrong-type");
    if (!expires) return expires.problem();
    tx.expires_ms = *expires;
  }

  if (with_signature) {
    const Json& sig = object.at("sig");
    if (!sig.is_string()) return invalid("wrong-type", "sig: must be a string");
    auto signature = parse_signature(sig.get_ref<const std::string&>());
    if (!signature) return signature.problem();
    ONEBILL_TRY(check_signature_form(*signature));
    tx.sig = *signature;
  }

  const Json& body = object.at("body");
  if (!body.is_object()) return invalid("invalid-body", "body: must be an object");
  ONEBILL_TRY(check_object(body, "body", schema->body));
  if (schema->cross_check != nullptr) ONEBILL_TRY(schema->cross_check(body, "body"));
  tx.body = body;

  envelope.unsigned_object = object;
  envelope.unsigned_object.erase("sig");
  // JCS of the values as received (DESIGN §3): never rebuilt from re-printed values.
  tx.signing_text = std::string(transaction_prefix) + json::canonical(envelope.unsigned_object);
  tx.id = keccak256(tx.signing_text);
  ONEBILL_ASSERT(tx.signing_text.starts_with(transaction_prefix));
  return envelope;
}

json::ReadOptions transaction_read_options() {
  json::ReadOptions options;
  options.max_bytes = limits::max_transaction_bytes;
  return options;
}

}  // namespace

Result<Transaction> parse_transaction(const json::Json& object,
                                      std::optional<std::string_view> expected_chain) {
  auto envelope = check_envelope(object, true, expected_chain);
  if (!envelope) return envelope.problem();
  return std::move(envelope->transaction);
}

Result<Transaction> parse_transaction(std::string_view wire_text,
                                      std::optional<std::string_view> expected_chain) {
  auto object = json::read(wire_text, transaction_read_options());
  if (!object) return object.problem();
  return parse_transaction(*object, expected_chain);
}

Result<UnsignedTransaction> parse_unsigned_transaction(const json::Json& object) {
  auto envelope = check_envelope(object, false, std::nullopt);
  if (!envelope) return envelope.problem();
  return UnsignedTransaction{std::move(envelope->unsigned_object),
                             std::move(envelope->transaction.signing_text), envelope->transaction.id};
}

Result<UnsignedTransaction> parse_unsigned_transaction(std::string_view text) {
  auto object = json::read(text, transaction_read_options());
  if (!object) return object.problem();
  return parse_unsigned_transaction(*object);
}

Status verify_signer(const Transaction& transaction) {
  ONEBILL_ASSERT(transaction.signing_text.starts_with(transaction_prefix));
  auto signer = eip191::recover(transaction.signing_text, transaction.sig);
  if (!signer) return signer.problem();
  if (*signer != transaction.from) {
    return invalid("signer-mismatch", "the signature was made by " + signer->to_string() + ", but from is " +
                                          transaction.from.to_string());
  }
  return {};
}

bool is_known_transaction_type(std::string_view type) {
  return find_type(type) != nullptr;
}

std::vector<std::string_view> known_transaction_types() {
  std::vector<std::string_view> types;
  for (const TypeSchema& schema : transaction_types) types.push_back(schema.type);
  return types;
}

Status check_transaction_body(std::string_view type, const json::Json& body) {
  const TypeSchema* schema = find_type(type);
  if (schema == nullptr)
    return invalid("invalid-body", "type: unknown transaction type \"" + std::string(type) + "\"");
  ONEBILL_TRY(check_object(body, "body", schema->body));
  if (schema->cross_check != nullptr) ONEBILL_TRY(schema->cross_check(body, "body"));
  return {};
}

Result<UnsignedTransaction> build_transaction(std::string_view chain, std::string_view type,
                                              std::uint64_t nonce, const Address& from,
                                              const json::Json& body,
                                              std::optional<std::uint64_t> expires_ms) {
  Json object = Json::object();
  object["chain"] = std::string(chain);
  object["type"] = std::string(type);
  object["nonce"] = nonce;
  object["from"] = from.to_string();
  object["body"] = body;
  if (expires_ms) object["expires_ms"] = *expires_ms;
  return parse_unsigned_transaction(object);
}

Result<json::Json> attach_signature(const UnsignedTransaction& unsigned_tx, const Signature& sig) {
  Json wire = unsigned_tx.object;
  if (!wire.is_object()) return invalid("wrong-type", "a transaction is a JSON object");
  if (wire.contains("sig")) return invalid("unknown-field", "unknown field \"sig\" (this is already signed)");
  wire["sig"] = signature_to_string(sig);
  auto transaction = parse_transaction(wire);
  if (!transaction) return transaction.problem();
  ONEBILL_TRY(verify_signer(*transaction));
  return wire;
}

Result<json::Json> sign_transaction(const UnsignedTransaction& unsigned_tx, const PrivateKey& key) {
  auto checked = parse_unsigned_transaction(unsigned_tx.object);
  if (!checked) return checked.problem();
  auto from = Address::parse(checked->object.at("from").get_ref<const std::string&>());
  ONEBILL_ASSERT(from.ok());
  if (key.address() != *from) {
    return invalid("signer-mismatch", "the key is " + key.address().to_string() + ", but from is " +
                                          from->to_string() + "; sign with the key of from");
  }
  return attach_signature(*checked, eip191::sign(key, checked->signing_text));
}

}  // namespace onebill::ledger
