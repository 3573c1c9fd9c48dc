// Node-local keys of the store (beside ledger/keys.h's state and chain keys): the node's own records,
// never part of a block's writes, of the state root or of a replay (node/replay skips them).
//
//   _/sign_state -> consensus::SignState JSON without its proposal (durable before the message it
//                   covers leaves)
//   _/sign_proposal -> consensus::Proposal JSON: the sign state's own proposal when of its (height, round)
//   _/sign_lock  -> {height, locked_round, locked_proposal, lock_proof}: the sign state's locked block and
//                   its proof, when of the sign state's (height, locked_round)
//   _/evidence/ + u64be(height) + u32be(round) + type(1: prevote, 2: precommit) + validator(20)
//                -> consensus::Evidence JSON
#pragma once

#include <string_view>

namespace onebill::node {

inline constexpr std::string_view local_prefix = "_/";
inline constexpr std::string_view sign_state_key = "_/sign_state";
// The own proposal of the sign state, kept apart so that the votes after it do not rewrite it (a block
// of up to 1 MiB): it belongs to the sign state of the same (height, round) only.
inline constexpr std::string_view sign_proposal_key = "_/sign_proposal";
// The locked proposal (up to a 1 MiB block) and its proof, kept apart likewise: written once when the
// validator locks, not again with each later vote of the height.
inline constexpr std::string_view sign_lock_key = "_/sign_lock";
inline constexpr std::string_view evidence_prefix = "_/evidence/";

}  // namespace onebill::node
