#include "node/gossip.h"

#include "ledger/block.h"
#include "node/peer_link.h"

namespace onebill::node {

std::string gossip_text(const ledger::Transaction& transaction) {
  return json::canonical(json::Json{{"tx", ledger::wire_text(transaction)}});
}

std::string gossip_text(const consensus::Proposal& proposal) {
  return "{\"proposal\":" + consensus::proposal_jcs(proposal) + "}";
}

std::string gossip_text(const consensus::Vote& vote) {
  return json::canonical(json::Json{{"vote", consensus::to_json(vote)}});
}

std::string gossip_text(const GossipStatus& status) {
  return json::canonical(json::Json{{"status", {{"height", status.height}}}});
}

std::string gossip_text(const GossipGetBlocks& request) {
  return json::canonical(json::Json{{"get_blocks", {{"from", request.from}, {"count", request.count}}}});
}

std::string gossip_text(const GossipBlock& block) {
  // JCS member order: "block" < "commit"; the block's canonical text goes in as it is (ledger::block_jcs).
  return "{\"block\":{\"block\":" + ledger::block_jcs(block.block) +
         ",\"commit\":" + json::canonical(ledger::to_json(block.commit)) + "}}";
}

namespace {

// An object with exactly these unsigned-integer members.
Result<std::vector<std::uint64_t>> integers(const json::Json& value,
                                            std::initializer_list<const char*> names) {
  if (!value.is_object() || value.size() != names.size())
    return invalid("wrong-type", "expected an object with exactly the members of its kind");
  std::vector<std::uint64_t> out;
  for (const char* name : names) {
    const auto found = value.find(name);
    if (found == value.end() || !found->is_number_unsigned())
      return invalid("wrong-type", std::string("\"") + name + "\" must be a non-negative integer");
    out.push_back(found->get<std::uint64_t>());
  }
  return out;
}

}  // namespace

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
  if (kind == "status") {
    auto members = integers(value, {"height"});
    ONEBILL_TRY(members);
    return GossipMessage(GossipStatus{(*members)[0]});
  }
  if (kind == "get_blocks") {
    auto members = integers(value, {"from", "count"});
    ONEBILL_TRY(members);
    if ((*members)[1] == 0 || (*members)[1] > max_sync_batch)
      return invalid("wrong-type", "\"count\" must be 1-" + std::to_string(max_sync_batch));
    return GossipMessage(GossipGetBlocks{(*members)[0], (*members)[1]});
  }
  if (kind == "block") {
    if (!value.is_object() || value.size() != 2 || !value.contains("block") || !value.contains("commit"))
      return invalid("wrong-type", "\"block\" must be {block, commit}");
    auto block = ledger::block_from_json(value.at("block"));
    ONEBILL_TRY(block);
    auto commit = ledger::commit_from_json(value.at("commit"));
    ONEBILL_TRY(commit);
    return GossipMessage(GossipBlock{std::move(*block), std::move(*commit)});
  }
  return invalid("wrong-type", "unknown peer message kind \"" + kind + "\"");
}

}  // namespace onebill::node
