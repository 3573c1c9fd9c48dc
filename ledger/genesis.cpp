#include "ledger/genesis.h"

#include <algorithm>
#include <set>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/secp256k1.h"
#include "ledger/block.h"
#include "ledger/json_read.h"
#include "ledger/keys.h"

namespace onebill::ledger {

using json::Json;

namespace {

Problem bad(std::string detail) {
  return invalid("invalid-body", "genesis: " + std::move(detail));
}

Status only_fields(const Json& object, std::initializer_list<std::string_view> allowed,
                   std::string_view where) {
  if (!object.is_object())
    return invalid("wrong-type", "genesis: " + std::string(where) + " is not an object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return invalid("unknown-field", "genesis: " + std::string(where) + "." + key + " is not a known field");
    }
  }
  return {};
}

Result<std::string> text_field(const Json& object, std::string_view key, std::string_view where) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_string()) {
    return invalid("wrong-type",
                   "genesis: " + std::string(where) + "." + std::string(key) + " must be a string");
  }
  return found->get<std::string>();
}

Result<std::uint64_t> integer_field(const Json& object, std::string_view key, std::string_view where) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_number_unsigned() ||
      found->get<std::uint64_t>() > limits::max_canonical_integer) {
    return invalid("wrong-type", "genesis: " + std::string(where) + "." + std::string(key) +
                                     " must be an integer below 2^53");
  }
  return found->get<std::uint64_t>();
}

Result<Address> address_field(const Json& object, std::string_view where) {
  auto text = text_field(object, "address", where);
  ONEBILL_TRY(text);
  auto address = Address::parse(*text);
  if (!address)
    return Problem{address.problem().rule,
                   "genesis: " + std::string(where) + ".address: " + address.problem().detail};
  return *address;
}

Result<GenesisParticipant> participant_from(const Json& object, const std::string& where) {
  ONEBILL_TRY(only_fields(object, {"address", "name", "roles", "domain", "identifiers"}, where));
  GenesisParticipant out;
  auto address = address_field(object, where);
  ONEBILL_TRY(address);
  out.address = *address;
  auto name_text = text_field(object, "name", where);
  ONEBILL_TRY(name_text);
  if (name_text->empty()) return bad(where + ".name is empty");
  out.name = *name_text;
  auto domain = text_field(object, "domain", where);
  ONEBILL_TRY(domain);
  if (domain->empty() || domain->find('.') == std::string::npos)
    return bad(where + ".domain is not a DNS name");
  out.domain = *domain;
  if (!object.contains("roles") || !object["roles"].is_array() || object["roles"].empty()) {
    return bad(where + ".roles must list at least one role");
  }
  for (const auto& role_json : object["roles"]) {
    auto role = role_json.is_string() ? parse_role(role_json.get<std::string>()) : std::nullopt;
    if (!role) return bad(where + ".roles: unknown role");
    if (std::find(out.roles.begin(), out.roles.end(), *role) != out.roles.end())
      return bad(where + ".roles repeats a role");
    out.roles.push_back(*role);
  }
  std::sort(out.roles.begin(), out.roles.end());
  if (object.contains("identifiers")) {
    const Json& identifiers = object["identifiers"];
    ONEBILL_TRY(only_fields(identifiers, {"lei", "uscc"}, where + ".identifiers"));
    for (const auto& [key, value] : identifiers.items()) {
      if (!value.is_string())
        return invalid("wrong-type", "genesis: " + where + ".identifiers." + key + " must be a string");
    }
    out.identifiers = identifiers_from_json(identifiers);
  }
  return out;
}

Result<Validator> validator_from(const Json& object, const std::string& where) {
  ONEBILL_TRY(only_fields(object, {"address", "consensus_key", "power"}, where));
  Validator out;
  auto address = address_field(object, where);
  ONEBILL_TRY(address);
  out.address = *address;
  auto key = text_field(object, "consensus_key", where);
  ONEBILL_TRY(key);
  auto key_bytes = hex::is_lower_hex(*key, 66) ? hex::decode(*key) : std::nullopt;
  if (!key_bytes || !address_of_public_key(*key_bytes)) {
    return bad(where + ".consensus_key must be 0x + 66 lowercase hex: a compressed secp256k1 public key");
  }
  out.consensus_key = *key;
  auto power = integer_field(object, "power", where);
  ONEBILL_TRY(power);
  if (*power == 0) return bad(where + ".power must be at least 1");
  out.power = *power;
  return out;
}

Json genesis_participant_json(const GenesisParticipant& participant) {
  return {{"address", address_text(participant.address)},
          {"name", participant.name},
          {"roles", roles_json(participant.roles)},
          {"domain", participant.domain},
          {"identifiers", identifiers_to_json(participant.identifiers)}};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

bool valid_chain_id(std::string_view chain) {
  if (chain.size() < 3 || chain.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(chain[0])) return false;
  return std::all_of(chain.begin() + 1, chain.end(), [&](char c) { return alnum(c) || c == '-'; });
}

Result<Genesis> parse_genesis(std::string_view text) {
  auto parsed = json::read(text);
  ONEBILL_TRY(parsed);
  return genesis_from_json(*parsed);
}

Result<Genesis> genesis_from_json(const Json& json) {
  ONEBILL_TRY(only_fields(json, {"chain", "rules_version", "genesis_time_ms", "participants", "validators"},
                          "genesis"));
  Genesis out;
  auto chain = text_field(json, "chain", "genesis");
  ONEBILL_TRY(chain);
  if (!valid_chain_id(*chain))
    return invalid("wrong-chain", "genesis: chain must match ^[a-z0-9][a-z0-9-]{2,62}$");
  out.chain = *chain;
  auto version = integer_field(json, "rules_version", "genesis");
  ONEBILL_TRY(version);
  if (*version != rules_version)
    return bad("rules_version " + std::to_string(*version) + " is not supported (only 1)");
  out.rules_version = *version;
  auto time = integer_field(json, "genesis_time_ms", "genesis");
  ONEBILL_TRY(time);
  out.genesis_time_ms = *time;

  if (!json.contains("participants") || !json["participants"].is_array() || json["participants"].empty()) {
    return bad("participants must list at least one participant");
  }
  std::set<Address> addresses;
  std::set<std::string> domains;
  bool has_admin = false;
  for (std::size_t i = 0; i < json["participants"].size(); ++i) {
    auto participant = participant_from(json["participants"][i], "participants[" + std::to_string(i) + "]");
    ONEBILL_TRY(participant);
    if (!addresses.insert(participant->address).second) return bad("a participant address appears twice");
    if (!domains.insert(lowercase(participant->domain)).second) {
      return invalid("domain-used", "genesis: the domain " + participant->domain + " appears twice");
    }
    has_admin = has_admin || std::find(participant->roles.begin(), participant->roles.end(), Role::admin) !=
                                 participant->roles.end();
    out.participants.push_back(std::move(*participant));
  }
  if (!has_admin) return bad("at least one participant must be an ADMIN");

  if (!json.contains("validators") || !json["validators"].is_array() || json["validators"].empty()) {
    return bad("validators must list at least one validator");
  }
  std::set<Address> validator_addresses;
  for (std::size_t i = 0; i < json["validators"].size(); ++i) {
    auto validator = validator_from(json["validators"][i], "validators[" + std::to_string(i) + "]");
    ONEBILL_TRY(validator);
    if (!validator_addresses.insert(validator->address).second)
      return bad("a validator address appears twice");
    out.validators.push_back(std::move(*validator));
  }
  return out;
}

Json to_json(const Genesis& genesis) {
  Json participants = Json::array();
  for (const auto& participant : genesis.participants)
    participants.push_back(genesis_participant_json(participant));
  Json validators = Json::array();
  for (const auto& validator : genesis.validators) validators.push_back(to_json(validator));
  return {{"chain", genesis.chain},
          {"rules_version", genesis.rules_version},
          {"genesis_time_ms", genesis.genesis_time_ms},
          {"participants", std::move(participants)},
          {"validators", std::move(validators)}};
}

std::string genesis_jcs(const Genesis& genesis) {
  return json::canonical(to_json(genesis));
}

Hash32 genesis_state_root(const Genesis& genesis) {
  return keccak256(genesis_jcs(genesis));
}

WriteBatch genesis_batch(const Genesis& genesis) {
  WriteBatch batch;
  for (const auto& founder : genesis.participants) {
    Participant participant;
    participant.address = founder.address;
    participant.name = founder.name;
    participant.roles = founder.roles;
    participant.domain = founder.domain;
    participant.identifiers = founder.identifiers;
    batch.put(keys::participant_key(participant.address), json::canonical(to_json(participant)));
    batch.put(keys::domain_key(participant.domain), keys::raw(participant.address));
  }
  Json set = Json::array();
  std::vector<Validator> sorted = genesis.validators;
  std::sort(sorted.begin(), sorted.end(),
            [](const Validator& a, const Validator& b) { return a.address < b.address; });
  for (const auto& validator : sorted) {
    batch.put(keys::validator_key(validator.address), json::canonical(to_json(validator)));
    set.push_back(to_json(validator));
  }
  batch.put(keys::validator_set_key(1), json::canonical(set));
  batch.put(std::string(keys::genesis), genesis_jcs(genesis));
  const Hash32 root = genesis_state_root(genesis);
  batch.put(std::string(keys::head), json::canonical(to_json(Head{0, root, root, genesis.genesis_time_ms})));
  return batch;
}

}  // namespace onebill::ledger
