// Node-local keys of the store (beside ledger/keys.h's state and chain keys): the node's own records,
// never part of a block's writes, of the state root or of a replay (node/replay skips them).
//
//   _/sign_state -> consensus::SignState JSON (written with sync before the message it covers leaves)
//   _/evidence/ + u64be(height) + u32be(round) + type(1: prevote, 2: precommit) + validator(20)
//                -> consensus::Evidence JSON
#pragma once

#include <string_view>

namespace onebill::node {

inline constexpr std::string_view local_prefix = "_/";
inline constexpr std::string_view sign_state_key = "_/sign_state";
inline constexpr std::string_view evidence_prefix = "_/evidence/";

}  // namespace onebill::node
