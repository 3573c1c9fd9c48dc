// What nodes say to each other over their peer links (node/peers.h): one JSON object per message,
// with exactly one member naming its kind.
//
//   {"tx": "<wire text>"}       a transaction admitted by the sender (DESIGN §5: gossiped to peers)
//   {"proposal": Proposal}      consensus::to_json(Proposal), signed by its proposer
//   {"vote": Vote}              consensus::to_json(Vote), signed by its validator
//   {"status": {"height": h}}   the sender's committed height (every 2 s): a peer behind asks for blocks
//   {"get_blocks": {"from": h, "count": n}}   block sync: n ≤ max_sync_batch blocks from height h
//   {"block": {"block": Block, "commit": Commit}}   one committed block with its commit, verified by
//                               the receiver against the validator set of its height before it applies
//
// Only proposals and votes carry signatures of their own (the link authenticates the rest); a
// transaction carries its sender's signature, checked on admission like one from the API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "crypto/result.h"
#include "ledger/transaction.h"
#include "node/consensus.h"

namespace onebill::node {

struct GossipTx {
  std::string wire_text;
};
struct GossipStatus {
  std::uint64_t height = 0;
};
struct GossipGetBlocks {
  std::uint64_t from = 0;
  std::uint64_t count = 0;
};
struct GossipBlock {
  ledger::Block block;
  ledger::Commit commit;
};
inline constexpr std::uint64_t max_sync_batch = 32;
using GossipMessage =
    std::variant<GossipTx, consensus::Proposal, consensus::Vote, GossipStatus, GossipGetBlocks, GossipBlock>;

std::string gossip_text(const ledger::Transaction& transaction);
std::string gossip_text(const consensus::Proposal& proposal);
std::string gossip_text(const consensus::Vote& vote);
std::string gossip_text(const GossipStatus& status);
std::string gossip_text(const GossipGetBlocks& request);
std::string gossip_text(const GossipBlock& block);

// Untrusted input from a peer: too-large, malformed-json, duplicate-key, too-deep, wrong-type (not
// one known member), or the message's own parse problem.
Result<GossipMessage> parse_gossip(std::string_view text);

}  // namespace onebill::node
