// What nodes say to each other over their peer links (node/peers.h): one JSON object per message,
// with exactly one member naming its kind.
//
//   {"tx": "<wire text>"}       a transaction admitted by the sender (DESIGN §5: gossiped to peers)
//   {"proposal": Proposal}      consensus::to_json(Proposal), signed by its proposer
//   {"vote": Vote}              consensus::to_json(Vote), signed by its validator
//
// Only proposals and votes carry signatures of their own (the link authenticates the rest); a
// transaction carries its sender's signature, checked on admission like one from the API.
#pragma once

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
using GossipMessage = std::variant<GossipTx, consensus::Proposal, consensus::Vote>;

std::string gossip_text(const ledger::Transaction& transaction);
std::string gossip_text(const consensus::Proposal& proposal);
std::string gossip_text(const consensus::Vote& vote);

// Untrusted input from a peer: too-large, malformed-json, duplicate-key, too-deep, wrong-type (not
// one known member), or the message's own parse problem.
Result<GossipMessage> parse_gossip(std::string_view text);

}  // namespace onebill::node
