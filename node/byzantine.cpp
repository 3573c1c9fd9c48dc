#include "node/byzantine.h"

#include <spdlog/spdlog.h>

#include "crypto/hash.h"
#include "ledger/block.h"
#include "node/consensus.h"
#include "node/gossip.h"

namespace onebill::node {

Result<ByzantineMode> byzantine_mode(std::string_view name, std::string_view chain) {
  if (!chain.starts_with(test_chain_prefix)) {
    return local_fault("config", "--byzantine is for test chains only: the chain id must start with \"" +
                                     std::string(test_chain_prefix) + "\", and " + std::string(chain) +
                                     " does not");
  }
  if (name == "equivocate") return ByzantineMode::equivocate;
  return local_fault("config", "--byzantine knows one mode: equivocate");
}

Equivocator::Equivocator(std::string chain, PrivateKey consensus_key, std::vector<Address> peers,
                         Broadcast broadcast, SendTo send_to)
    : chain_(std::move(chain)),
      key_(std::move(consensus_key)),
      key_address_(key_.address()),
      peers_(std::move(peers)),
      broadcast_(std::move(broadcast)),
      send_to_(std::move(send_to)) {
  ONEBILL_ASSERT(chain_.starts_with(test_chain_prefix));
}

void Equivocator::send_to_group(int group, const std::string& message) const {
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    if (static_cast<int>(i % 2) == group) send_to_(peers_[i], message);
  }
}

void Equivocator::broadcast(const std::string& message) {
  auto parsed = parse_gossip(message);
  if (!parsed) {
    broadcast_(message);
    return;
  }
  if (auto* proposal = std::get_if<consensus::Proposal>(&*parsed)) {
    const Hash32 hash = ledger::block_hash(proposal->block.header);
    const Hash32 digest =
        ledger::proposal_digest(proposal->chain, proposal->height, proposal->round, proposal->pol_round, hash);
    auto signer = recover_address(digest, proposal->signature);
    if (!signer || *signer != key_address_) {  // not ours (never the case today): pass it on
      broadcast_(message);
      return;
    }
    consensus::Proposal twin = *proposal;
    twin.block.header.time_ms += 1;
    const Hash32 twin_hash = ledger::block_hash(twin.block.header);
    twin.signature = key_.sign_digest(
        ledger::proposal_digest(twin.chain, twin.height, twin.round, twin.pol_round, twin_hash));
    {
      std::lock_guard lock(mutex_);
      constexpr std::size_t max_twins = 1024;  // bounded: old heights are forgotten
      if (twin_blocks_.size() >= max_twins) twin_blocks_.clear();
      twin_blocks_[hash] = twin_hash;
    }
    spdlog::warn("byzantine: conflicting proposals at height {} round {}", proposal->height, proposal->round);
    send_to_group(0, message);
    send_to_group(1, gossip_text(twin));
    return;
  }
  auto* vote = std::get_if<consensus::Vote>(&*parsed);
  if (vote == nullptr) {
    broadcast_(message);
    return;
  }
  auto signer = recover_address(
      ledger::vote_digest(vote->chain, vote->height, vote->round, vote->type, vote->block), vote->signature);
  if (!signer || *signer != key_address_) {  // another validator's vote, re-sent: pass it on
    broadcast_(message);
    return;
  }
  consensus::Vote twin = *vote;
  if (vote->block) {
    std::lock_guard lock(mutex_);
    const auto found = twin_blocks_.find(*vote->block);
    if (found != twin_blocks_.end()) {
      twin.block = found->second;
    } else {
      twin.block.reset();
    }
  } else {
    twin.block = keccak256("OneBill byzantine twin\n" + std::to_string(vote->height) + "/" +
                           std::to_string(vote->round));
  }
  twin.signature = key_.sign_digest(ledger::vote_digest(twin.chain, twin.height, twin.round, twin.type, twin.block));
  const std::string twin_text = gossip_text(twin);
  send_to_group(0, message);
  send_to_group(0, twin_text);
  send_to_group(1, twin_text);
  send_to_group(1, message);
}

}  // namespace onebill::node
