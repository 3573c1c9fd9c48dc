// A small chain for node tests: four participants and one validator with fixed keys, a genesis, and
// signed transactions built the way clients build them (build_transaction + sign_transaction, then
// parsed back from the wire form).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "crypto/secp256k1.h"
#include "ledger/execution.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/memory_store.h"
#include "ledger/transaction.h"
#include "node/block_producer.h"
#include "node/consensus.h"

namespace onebill::node::test {

using json::Json;

inline PrivateKey key_of(const std::string& name) {
  const Hash32 secret = keccak256("onebill-node-test/" + name);
  return PrivateKey::from_bytes(ByteView(secret.data(), secret.size())).value();
}

inline std::string bill_id(const std::string& label) {
  return hex::encode(keccak256("bill/" + label));
}

struct Chain {
  PrivateKey admin = key_of("admin");
  PrivateKey carrier = key_of("carrier");
  PrivateKey shipper = key_of("shipper");
  PrivateKey bank = key_of("bank");
  PrivateKey validator = key_of("validator");
  ledger::Genesis genesis;

  Chain() {
    genesis.chain = "onebill-node-test";
    genesis.genesis_time_ms = 1'700'000'000'000;
    auto add = [&](const PrivateKey& key, const char* name, const char* domain, ledger::Role role) {
      genesis.participants.push_back({key.address(), name, {role}, domain, {}});
    };
    add(admin, "Admin", "admin.example", ledger::Role::admin);
    add(carrier, "Carrier", "carrier.example", ledger::Role::carrier);
    add(shipper, "Shipper", "shipper.example", ledger::Role::trader);
    add(bank, "Bank", "bank.example", ledger::Role::bank);
    genesis.validators.push_back({validator.address(), consensus_key_text(validator), 1});
  }

  // A fresh store holding this chain's genesis.
  ledger::MemoryStore genesis_store() const {
    ledger::MemoryStore store;
    REQUIRE(store.write(ledger::genesis_batch(genesis), true).ok());
    return store;
  }

  Json signed_wire(const PrivateKey& key, const std::string& type, const Json& body, std::uint64_t nonce,
                   std::optional<std::uint64_t> expires_ms = std::nullopt) const {
    auto unsigned_tx = ledger::build_transaction(genesis.chain, type, nonce, key.address(), body, expires_ms);
    REQUIRE_MESSAGE(unsigned_tx.ok(), (unsigned_tx.ok() ? "" : unsigned_tx.problem().detail));
    auto wire = ledger::sign_transaction(*unsigned_tx, key);
    REQUIRE(wire.ok());
    return *wire;
  }

  ledger::Transaction tx(const PrivateKey& key, const std::string& type, const Json& body,
                         std::uint64_t nonce, std::optional<std::uint64_t> expires_ms = std::nullopt) const {
    auto parsed = ledger::parse_transaction(signed_wire(key, type, body, nonce, expires_ms), genesis.chain);
    REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.problem().detail));
    return *parsed;
  }

  // bill.issue by the carrier to the shipper, one sea leg.
  ledger::Transaction issue(const std::string& label, std::uint64_t nonce,
                            std::optional<std::uint64_t> expires_ms = std::nullopt) const {
    return tx(carrier, "bill.issue", issue_body(label), nonce, expires_ms);
  }
  Json issue_body(const std::string& label) const {
    return Json{{"id", bill_id(label)},
                {"reference", "REF-" + label},
                {"kind", "BOL"},
                {"to_order", true},
                {"holder", shipper.address().to_string()},
                {"beneficiary", shipper.address().to_string()},
                {"legs", Json::array({Json{{"mode", "SEA"},
                                           {"carrier", carrier.address().to_string()},
                                           {"from", "CNQZH"},
                                           {"to", "SGSIN"}}})}};
  }

  ledger::BlockContext next_block(const ledger::Store& store,
                                  std::uint64_t time_ms = 1'700'000'100'000) const {
    auto head = ledger::Ledger(store).head();
    REQUIRE(head.ok());
    REQUIRE(head->has_value());
    return ledger::BlockContext{(*head)->height + 1, time_ms, genesis.chain, 0};
  }
};

// Polls `condition` until it holds or `within` has passed (threads of a node under test).
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds within = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// The node test chain with three more validators of power 1: four, so one vote decides nothing.
struct FourValidators {
  Chain chain;
  std::vector<PrivateKey> others{key_of("validator-b"), key_of("validator-c"), key_of("validator-d")};
  FourValidators() {
    for (const auto& key : others)
      chain.genesis.validators.push_back({key.address(), consensus_key_text(key), 1});
  }

  consensus::Vote vote(const PrivateKey& key, std::uint64_t height, std::uint32_t round,
                       ledger::VoteType type, std::optional<Hash32> block = std::nullopt) const {
    consensus::Vote out{chain.genesis.chain, height, round, type, block, key.address(), {}};
    out.signature = key.sign_digest(ledger::vote_digest(out.chain, height, round, type, block));
    return out;
  }

  std::vector<ledger::Validator> set() const {
    std::vector<ledger::Validator> sorted = chain.genesis.validators;
    std::sort(sorted.begin(), sorted.end(),
              [](const ledger::Validator& a, const ledger::Validator& b) { return a.address < b.address; });
    return sorted;
  }

  // A proposal of height 1 by the proposer of `round`, signed by it or by `signer`; nullopt when that
  // proposer is the node's own validator.
  std::optional<consensus::Proposal> proposal(std::uint32_t round, const PrivateKey* signer = nullptr) const {
    consensus::ProposerSchedule schedule(set());
    const Address proposer = schedule.proposer(1, round).address;
    const PrivateKey* key = nullptr;
    for (const auto& other : others) {
      if (other.address() == proposer) key = &other;
    }
    if (key == nullptr) return std::nullopt;
    if (signer == nullptr) signer = key;
    ledger::MemoryStore store = chain.genesis_store();
    auto made = propose(store, {chain.issue("relayed", 0)}, chain.genesis.genesis_time_ms + 1000, proposer);
    REQUIRE(made.ok());
    REQUIRE(made->block.has_value());
    consensus::Proposal out{chain.genesis.chain, 1, round, std::nullopt, made->block->block, proposer, {}};
    out.signature =
        signer->sign_digest(ledger::proposal_digest(out.chain, 1, round, std::nullopt, made->block->hash));
    return out;
  }
};

}  // namespace onebill::node::test
