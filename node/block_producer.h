// One height of block production, as the explicit steps consensus drives (DESIGN §5):
//
//   propose  -> the proposer builds a block from mempool candidates on an overlay of the committed state
//   execute  -> every validator re-executes the proposal and checks it (header, roots)
//   vote     -> a validator signs its precommit over the vote encoding with its consensus key
//   commit   -> with precommits of more than 2/3 of the power, the block, its commit, the transaction
//               index, the state and indexes go to the store in ONE synced write batch
//
// The Tendermint engine (node/consensus.h) calls them from its state machine: propose on its turn,
// execute before prevoting, vote, and the node commits on +2/3 precommits; one validator alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/result.h"
#include "crypto/secp256k1.h"
#include "ledger/block.h"
#include "ledger/state.h"
#include "ledger/store.h"
#include "ledger/transaction.h"

namespace onebill::node {

// A validator's signing identity: its consensus key and its entry in the validator set.
struct ValidatorIdentity {
  PrivateKey consensus_key;
  ledger::Validator validator;  // address, consensus_key text, power
};

// "0x" + 66 lowercase hex: the compressed public key, the form genesis and validator.set use.
std::string consensus_key_text(const PrivateKey& key);

// Finds this key's entry in the set (by consensus key); nullopt when the key is not a validator.
std::optional<ValidatorIdentity> find_validator(const PrivateKey& key,
                                                const std::vector<ledger::Validator>& set);

// A candidate refused while proposing: it no longer applies on the state the block builds.
struct RefusedCandidate {
  Hash32 id{};
  Address sender;
  Problem problem;
};

struct ProposedBlock {
  ledger::Block block;
  ledger::ExecutedBlock executed;
  Hash32 hash{};
};

struct Proposal {
  std::optional<ProposedBlock> block;  // nullopt when no candidate applies: no empty blocks
  std::vector<RefusedCandidate> refused;
};

// Builds the next block from `candidates` (in proposal order) at `time_ms` (raised above the head's
// time). A candidate that does not apply is left out and listed in `refused`, and so are the sender's
// later candidates (their nonces would gap).
Result<Proposal> propose(const ledger::Store& committed, const std::vector<ledger::Transaction>& candidates,
                         std::uint64_t time_ms, const Address& proposer);

// Re-executes a proposed block on the committed state, as every validator does before it votes.
Result<ledger::ExecutedBlock> execute(const ledger::Store& committed, const ledger::Block& block);

// The validator's precommit for `block_hash` at (height, round): its signature over the vote encoding.
ledger::Precommit vote(const ValidatorIdentity& identity, std::string_view chain, std::uint64_t height,
                       std::uint32_t round, const Hash32& block_hash);

// Checks the commit against the set that signs the block, then writes the block's one synced batch.
// A storage failure is a local fault; nothing else may fail here.
Status commit(ledger::Store& store, const ledger::Block& block, const ledger::ExecutedBlock& executed,
              const ledger::Commit& commit, const std::vector<ledger::Validator>& signing_set);

}  // namespace onebill::node
