#include "node/gossip.h"

#include "ledger/block.h"
#include "node/peer_link.h"

namespace onebill::node {

std::string gossip_text(const ledger::Transaction& transaction) {
  return json::canonical(json::Json{{"tx", ledger::wire_text(transaction)}});
}

std::string gossip_text(const consensus::Proposal& proposal) {
  return json::canonical(json::Json{{"proposal", consensus::to_json(proposal)}});
}

std::string gossip_text(const consensus::Vote& vote) {
  return json::canonical(json::Json{{"vote", consensus::to_json(vote)}});
}

Result<GossipMessage> parse_gossip(std::string_view text) {
  auto parsed = json::read(text, {PeerLink::max_frame_bytes, limits::max_json_depth});
  ONEBILL_TRY(parsed);
  if (!parsed->is_object() || parsed->size() != 1)
    return invalid("wrong-type", "a peer message is an object with one member: tx, proposal or vote");
  const auto member = parsed->begin();
  const std::string kind = member.key();
  const json::Json& value = member.value();
  if (kind == "tx") {
    if (!value.is_string()) return invalid("wrong-type", "\"tx\" must be the transaction's wire text");
    return GossipMessage(GossipTx{value.get<std::string>()});
  }
  if (kind == "proposal") {
    auto proposal = consensus::proposal_from_json(value);
    ONEBILL_TRY(proposal);
    return GossipMessage(std::move(*proposal));
  }
  if (kind == "vote") {
    auto vote = consensus::vote_from_json(value);
    ONEBILL_TRY(vote);
    return GossipMessage(std::move(*vote));
  }
  return invalid("wrong-type", "unknown peer message kind \"" + kind + "\"");
}

}  // namespace onebill::node
