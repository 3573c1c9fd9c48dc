// Replays every stored block into a fresh in-memory store and compares the result with the stored
// database, key by key (`onebill node --verify-replay`): the crash test's proof that what survived a
// kill -9 is exactly the state its blocks produce.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/json.h"
#include "crypto/result.h"
#include "ledger/genesis.h"
#include "ledger/store.h"

namespace onebill::node {

struct ReplayReport {
  std::uint64_t height = 0;
  std::uint64_t transactions = 0;
  Hash32 stored_state_root{};
  Hash32 replayed_state_root{};
  std::uint64_t keys_compared = 0;
  bool equal = false;
  std::string first_difference;  // empty when equal
};
json::Json to_json(const ReplayReport& report);

// Problems: local faults ("storage") when the store cannot be read; a block that does not re-execute
// is reported as a difference, not a problem.
Result<ReplayReport> verify_replay(const ledger::Store& stored, const ledger::Genesis& genesis);

}  // namespace onebill::node
