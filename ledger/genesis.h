// The genesis document (DESIGN §2, §5): the chain id, the rules version, the founding participants and
// the first validator set. `onebill init` writes it as genesis.json; every node of a chain starts from it.
//
// JSON: {"chain", "rules_version": 1, "genesis_time_ms",
//        "participants": [{"address", "name", "roles": [...], "domain", "identifiers": {"lei"?, "uscc"?}}],
//        "validators": [{"address", "consensus_key", "power"}]}
// state_root(0) = keccak256(JCS(genesis_to_json(genesis))): addresses EIP-55, so the root does not
// depend on the case the file used.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/json.h"
#include "crypto/result.h"
#include "ledger/state.h"
#include "ledger/store.h"

namespace onebill::ledger {

inline constexpr std::uint64_t rules_version = 1;

struct GenesisParticipant {
  Address address;
  std::string name;
  std::vector<Role> roles;  // sorted, no duplicates, at least one
  std::string domain;
  Identifiers identifiers;
};

struct Genesis {
  std::string chain;  // ^[a-z0-9][a-z0-9-]{2,62}$
  std::uint64_t rules_version = ledger::rules_version;
  std::uint64_t genesis_time_ms = 0;
  std::vector<GenesisParticipant> participants;  // at least one ADMIN; addresses and domains unique
  std::vector<Validator> validators;             // at least one; addresses unique; power ≥ 1
};

// Parses and checks a genesis document (untrusted file). Problems: malformed-json, duplicate-key,
// too-deep, unknown-field, wrong-type, address-checksum, wrong-chain (bad chain id), invalid-body (a
// rule above broken, or rules_version not 1), domain-used (a domain twice).
Result<Genesis> parse_genesis(std::string_view text);
Result<Genesis> genesis_from_json(const json::Json& json);
json::Json to_json(const Genesis& genesis);
std::string genesis_jcs(const Genesis& genesis);
Hash32 genesis_state_root(const Genesis& genesis);  // state_root(0)

// True when `chain` matches ^[a-z0-9][a-z0-9-]{2,62}$ (DESIGN §3).
bool valid_chain_id(std::string_view chain);

// The first write batch of a new store: the participants (p/, d/), the validators (v/, V/1), the
// genesis text (G) and the head at height 0 (block_hash = state_root = state_root(0), time_ms =
// genesis_time_ms). Write it synced, once, to an empty store.
WriteBatch genesis_batch(const Genesis& genesis);

}  // namespace onebill::ledger
