// A test-only byzantine validator (issue 8 item 5): `onebill node --byzantine equivocate` makes this
// validator lie, so that end-to-end tests can check on real processes that honest nodes never fork and
// keep the evidence (GET /v1/evidence).
//
// What it does: it sits between the node's outgoing gossip and the peer links. The peers of its config
// are split in two groups by their order there (even and odd positions).
//   - an own proposal goes to the first group; its twin (the same block with time_ms + 1, so another
//     block hash, signed again) goes to the second: the two groups see conflicting proposals;
//   - an own vote V gets a twin W for the same (height, round, type): the vote for the twin block when V
//     is for an own proposal, nil when V is for another block, a made-up block when V is nil. The first
//     group gets V then W, the second W then V: each group counts a different vote first, and every honest
//     peer receives both signed votes, so it records the equivocation as evidence;
//   - everything else (transactions, status, blocks, others' votes) passes unchanged.
//
// It can never be turned on by accident in production: the mode is refused unless the chain id starts
// with "test-" (`onebill init --chain test-...`); demo and production chains never do.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"

namespace onebill::node {

inline constexpr std::string_view test_chain_prefix = "test-";

enum class ByzantineMode { equivocate };

// The mode named on the command line, refused ("config") unless `chain` marks a test chain and the mode
// is known.
Result<ByzantineMode> byzantine_mode(std::string_view name, std::string_view chain);

class Equivocator {
 public:
  using Broadcast = std::function<void(const std::string&)>;
  using SendTo = std::function<void(const Address&, const std::string&)>;
  // consensus_key: this validator's; peers: the node addresses of the config's peers, in config order.
  Equivocator(std::string chain, PrivateKey consensus_key, std::vector<Address> peers, Broadcast broadcast,
              SendTo send_to);

  // Takes the place of the node's broadcast (Node::attach_network). Thread-safe.
  void broadcast(const std::string& message);

 private:
  void send_to_group(int group, const std::string& message) const;

  const std::string chain_;
  const PrivateKey key_;
  const Address key_address_;
  const std::vector<Address> peers_;
  const Broadcast broadcast_;
  const SendTo send_to_;
  std::mutex mutex_;
  std::map<Hash32, Hash32> twin_blocks_;  // own proposal's block hash -> its twin's; guarded by mutex_
};

}  // namespace onebill::node
