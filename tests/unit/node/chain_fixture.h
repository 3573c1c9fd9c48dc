// A small chain for node tests: four participants and one validator with fixed keys, a genesis, and
// signed transactions built the way clients build them (build_transaction + sign_transaction, then
// parsed back from the wire form).
#pragma once

#include <doctest/doctest.h>

#include <string>

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

}  // namespace onebill::node::test
