#include "node/block_producer.h"

#include <set>

#include "crypto/hex.h"

namespace onebill::node {

std::string consensus_key_text(const PrivateKey& key) {
  const auto uncompressed = key.public_key();  // 0x04 ‖ x ‖ y
  Bytes compressed(33);
  compressed[0] = (uncompressed[64] & 1) != 0 ? 0x03 : 0x02;
  std::copy(uncompressed.begin() + 1, uncompressed.begin() + 33, compressed.begin() + 1);
  return hex::encode(compressed);
}

std::optional<ValidatorIdentity> find_validator(const PrivateKey& key,
                                                const std::vector<ledger::Validator>& set) {
  const std::string text = consensus_key_text(key);
  for (const auto& validator : set) {
    if (validator.consensus_key == text) return ValidatorIdentity{key, validator};
  }
  return std::nullopt;
}

Result<Proposal> propose(const ledger::Store& committed, const std::vector<ledger::Transaction>& candidates,
                         std::uint64_t time_ms, const Address& proposer) {
  auto builder = ledger::BlockBuilder::start(committed, time_ms);
  ONEBILL_TRY(builder);
  std::vector<RefusedCandidate> refused;
  std::set<Address> broken_senders;
  for (const auto& transaction : candidates) {
    if (builder->size() >= limits::max_batch_transactions) break;
    if (broken_senders.contains(transaction.from)) {
      refused.push_back({transaction.id, transaction.from,
                         invalid("evicted", "An earlier transaction of the sender no longer applies.")});
      continue;
    }
    const Status added = builder->add(transaction);
    if (!added) {
      // A local fault while reading the store is not the transaction's fault: stop proposing.
      if (added.problem().kind == ProblemKind::local_fault) return added.problem();
      broken_senders.insert(transaction.from);
      refused.push_back({transaction.id, transaction.from, added.problem()});
    }
  }
  Proposal proposal;
  proposal.refused = std::move(refused);
  if (builder->size() == 0) return proposal;
  auto finished = builder->finish(proposer);
  ONEBILL_TRY(finished);
  ProposedBlock proposed{std::move(finished->first), std::move(finished->second), Hash32{}};
  proposed.hash = ledger::block_hash(proposed.block.header);
  ONEBILL_ASSERT(!proposed.block.transactions.empty());
  ONEBILL_ASSERT(proposed.block.header.state_root == proposed.executed.state_root);
  proposal.block = std::move(proposed);
  return proposal;
}

Result<ledger::ExecutedBlock> execute(const ledger::Store& committed, const ledger::Block& block) {
  auto executed = ledger::execute_block(committed, block);
  ONEBILL_TRY(executed);
  ONEBILL_ASSERT(executed->state_root == block.header.state_root);
  return executed;
}

ledger::Precommit vote(const ValidatorIdentity& identity, std::string_view chain, std::uint64_t height,
                       std::uint32_t round, const Hash32& block_hash) {
  const Hash32 digest = ledger::vote_digest(chain, height, round, ledger::VoteType::precommit, block_hash);
  return ledger::Precommit{identity.validator.address, identity.consensus_key.sign_digest(digest)};
}

Status commit(ledger::Store& store, const ledger::Block& block, const ledger::ExecutedBlock& executed,
              const ledger::Commit& commit_record, const std::vector<ledger::Validator>& signing_set) {
  ONEBILL_ASSERT(commit_record.height == block.header.height);
  ONEBILL_ASSERT(commit_record.block_hash == ledger::block_hash(block.header));
  // Our own precommits must verify: a failure here is a bug (wrong key or set), never input.
  const Status verified = ledger::verify_commit(block.header.chain, commit_record, signing_set);
  ONEBILL_ASSERT(verified.ok());
  return store.write(ledger::commit_batch(executed, block, commit_record), true);
}

}  // namespace onebill::node
