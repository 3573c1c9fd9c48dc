// A demo consortium for tests (DESIGN §7 names): admin, carrier-rail, carrier-sea, bank, customs, shipper,
// consignee, with fixed test keys (private key = keccak256("onebill-test-key/" + name)), on chain
// "onebill-test", one validator, over an in-memory store that holds the genesis. Transactions are built
// and signed with ledger::build_transaction + sign_transaction, parsed back from their wire text, and
// committed one block per submit() through BlockBuilder -> commit_batch, the path the node takes.
//
//   test::Consortium c;                                   // or Consortium({.extra_admins = 2})
//   auto status = c.submit(c.carrier_rail, "bill.issue", c.issue_body(...));
//   c.expect_refused(c.shipper, "bill.pledge", body, "not-permitted");   // also checks the store is
//   unchanged
#pragma once

#include <doctest/doctest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "crypto/secp256k1.h"
#include "ledger/block.h"
#include "ledger/execution.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/memory_store.h"
#include "ledger/state.h"
#include "ledger/transaction.h"

namespace onebill::test {

using json::Json;

struct Party {
  std::string name;
  PrivateKey key;
  Address address;
  std::string text() const { return address.to_string(); }
};

inline PrivateKey test_key(const std::string& name) {
  const Hash32 secret = keccak256("onebill-test-key/" + name);
  return PrivateKey::from_bytes(ByteView(secret.data(), secret.size())).value();
}

inline Party make_party(const std::string& name) {
  PrivateKey key = test_key(name);
  return Party{name, key, key.address()};
}

// "0x" + 66 hex: the compressed public key of `key`.
inline std::string compressed_public_key(const PrivateKey& key) {
  const auto full = key.public_key();
  Bytes compressed;
  compressed.push_back((full[64] & 1) ? 0x03 : 0x02);
  compressed.insert(compressed.end(), full.begin() + 1, full.begin() + 33);
  return hex::encode(compressed);
}

// A bill id for tests: keccak256 of a label (any 32 bytes will do for the ledger).
inline std::string bill_id(const std::string& label) {
  return hex::encode(keccak256("bill/" + label));
}

// A leg.record body (DESIGN §4) at a fixed time; `conveyance` (vessel voyage, train number) when given.
inline json::Json leg_event_body(const std::string& id, unsigned leg, const std::string& event,
                                 const std::string& location, const std::string& conveyance = "") {
  json::Json body{{"bill", id}, {"leg", leg}, {"event", event}, {"location", location},
                  {"time", "2026-03-01T08:00:00.000Z"}};
  if (!conveyance.empty()) body["conveyance"] = conveyance;
  return body;
}

struct ConsortiumOptions {
  int extra_admins = 0;  // admin-2, admin-3, ... (governance needs several)
  std::string chain = "onebill-test";
};

class Consortium {
 public:
  explicit Consortium(ConsortiumOptions options = {})
      : admin(make_party("admin")),
        carrier_rail(make_party("carrier-rail")),
        carrier_sea(make_party("carrier-sea")),
        bank(make_party("bank")),
        customs(make_party("customs")),
        shipper(make_party("shipper")),
        consignee(make_party("consignee")),
        trader(make_party("trader")),
        outsider(make_party("outsider")),
        validator_key(test_key("validator-0")) {
    genesis.chain = options.chain;
    genesis.genesis_time_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    using ledger::Role;
    add(admin, {Role::admin}, "admin.onebill.test");
    add(carrier_rail, {Role::carrier}, "rail.example.cn");
    add(carrier_sea, {Role::carrier}, "sea.example.sg");
    add(bank, {Role::bank}, "bank.example.sg");
    add(customs, {Role::customs}, "customs.example.sg");
    add(shipper, {Role::trader}, "shipper.example.cn");
    add(consignee, {Role::trader}, "consignee.example.sg");
    add(trader, {Role::trader}, "trader.example.sg");
    for (int i = 0; i < options.extra_admins; ++i) {
      extra_admins.push_back(make_party("admin-" + std::to_string(i + 2)));
      add(extra_admins.back(), {Role::admin}, "admin" + std::to_string(i + 2) + ".onebill.test");
    }
    genesis.validators.push_back(
        ledger::Validator{validator_key.address(), compressed_public_key(validator_key), 1});
    REQUIRE(store.write(ledger::genesis_batch(genesis), true).ok());
    time_ms = genesis.genesis_time_ms;
  }

  // A signed transaction of `from`, parsed and with its signer verified. nonce: the committed next one.
  ledger::Transaction transaction(const Party& from, const std::string& type, const Json& body,
                                  std::optional<std::uint64_t> nonce = std::nullopt,
                                  std::optional<std::uint64_t> expires_ms = std::nullopt) {
    const std::uint64_t use_nonce = nonce ? *nonce : reader().next_nonce(from.address).value();
    auto built = ledger::build_transaction(genesis.chain, type, use_nonce, from.address, body, expires_ms);
    if (!built) FAIL("build_transaction: " << built.problem().rule << ": " << built.problem().detail);
    auto wire = ledger::sign_transaction(*built, from.key);
    REQUIRE(wire.ok());
    auto parsed = ledger::parse_transaction(json::canonical(*wire), genesis.chain);
    if (!parsed) FAIL("parse_transaction: " << parsed.problem().rule << ": " << parsed.problem().detail);
    REQUIRE(ledger::verify_signer(*parsed).ok());
    return *parsed;
  }

  // Executes one transaction in a block of its own and commits the block (one synced batch).
  Status submit_transaction(const ledger::Transaction& transaction) {
    time_ms += 1000;
    auto builder = ledger::BlockBuilder::start(store, time_ms);
    REQUIRE(builder.ok());
    ONEBILL_TRY(builder->add(transaction));
    commit(*builder);
    return {};
  }

  Status submit(const Party& from, const std::string& type, const Json& body) {
    return submit_transaction(transaction(from, type, body));
  }

  // Submits and requires success.
  void ok(const Party& from, const std::string& type, const Json& body) {
    Status status = submit(from, type, body);
    if (!status)
      FAIL(type << " by " << from.name << " refused: " << status.problem().rule << ": "
                << status.problem().detail);
  }

  // Submits a transaction that must be refused with `rule`; checks that the store did not change.
  void expect_refused_transaction(const ledger::Transaction& transaction, const std::string& rule) {
    const auto before = store.contents();
    Status status = submit_transaction(transaction);
    REQUIRE_FALSE(status.ok());
    CHECK_MESSAGE(status.problem().rule == rule, "detail: " << status.problem().detail);
    CHECK(store.contents() == before);
  }
  void expect_refused(const Party& from, const std::string& type, const Json& body, const std::string& rule) {
    expect_refused_transaction(transaction(from, type, body), rule);
  }

  void commit(ledger::BlockBuilder& builder) {
    auto finished = builder.finish(validator_key.address());
    REQUIRE(finished.ok());
    auto& [block, executed] = *finished;
    ledger::Commit commit{block.header.height, 0, ledger::block_hash(block.header), {}};
    const Hash32 digest =
        ledger::vote_digest(genesis.chain, commit.height, 0, ledger::VoteType::precommit, commit.block_hash);
    commit.precommits.push_back({validator_key.address(), validator_key.sign_digest(digest)});
    REQUIRE(store.write(ledger::commit_batch(executed, block, commit), true).ok());
  }

  ledger::Ledger reader() const { return ledger::Ledger(store); }

  ledger::Bill bill(const std::string& id) const {
    auto loaded = reader().bill(ledger::parse_hash(id).value());
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    return **loaded;
  }
  ledger::Participant participant(const Party& party) const {
    auto loaded = reader().participant(party.address);
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    return **loaded;
  }

  // ---- bodies ----

  static Json leg(const std::string& mode, const Party& carrier, const std::string& from,
                  const std::string& to) {
    return Json{{"mode", mode}, {"carrier", carrier.text()}, {"from", from}, {"to", to}};
  }
  // The corridor of the issue: rail Chongqing -> Qinzhou by carrier-rail, sea Qinzhou -> Singapore.
  Json corridor_legs() const {
    return Json::array(
        {leg("RAIL", carrier_rail, "CNCKG", "CNQZH"), leg("SEA", carrier_sea, "CNQZH", "SGSIN")});
  }
  // A to-order BOL to `holder`, to the order of `beneficiary` (nullopt: in blank).
  Json issue_body(const std::string& id, const std::string& reference, const Party& holder,
                  const std::optional<Party>& beneficiary, const std::string& kind = "BOL",
                  bool to_order = true) const {
    Json body = {{"id", id},
                 {"reference", reference},
                 {"kind", kind},
                 {"to_order", to_order},
                 {"holder", holder.text()},
                 {"legs", corridor_legs()}};
    if (beneficiary) body["beneficiary"] = beneficiary->text();
    return body;
  }
  static Json bill_body(const std::string& id) { return Json{{"bill", id}}; }
  static Json to_body(const std::string& id, const Party& to) {
    return Json{{"bill", id}, {"to", to.text()}};
  }

  // Issues a to-order BOL by carrier-rail to the shipper, to the shipper's order; returns its id.
  std::string issue_order_bill(const std::string& label) {
    const std::string id = bill_id(label);
    ok(carrier_rail, "bill.issue", issue_body(id, "REF-" + label, shipper, shipper));
    return id;
  }

  // Governance: proposes `action` by admin and has every extra admin approve until it executes.
  void govern(const std::string& action, const Json& args) {
    auto proposal = transaction(admin, "gov.propose",
                                Json{{"action", action}, {"args", args}, {"expires_height", height() + 100}});
    Status status = submit_transaction(proposal);
    if (!status) FAIL("gov.propose refused: " << status.problem().rule << ": " << status.problem().detail);
    for (const auto& other : extra_admins) {
      auto loaded = reader().proposal(proposal.id).value();
      REQUIRE(loaded.has_value());
      if (loaded->status == ledger::ProposalStatus::executed) return;
      ok(other, "gov.approve", Json{{"proposal", hex::encode(proposal.id)}});
    }
    auto loaded = reader().proposal(proposal.id).value();
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->status == ledger::ProposalStatus::executed);
  }

  std::uint64_t height() const { return reader().head().value()->height; }

  ledger::Genesis genesis;
  ledger::MemoryStore store;
  Party admin, carrier_rail, carrier_sea, bank, customs, shipper, consignee;
  Party trader;    // a third trader (an endorsee)
  Party outsider;  // a key that is not a participant
  std::deque<Party> extra_admins;
  PrivateKey validator_key;
  std::uint64_t time_ms = 0;

 private:
  void add(const Party& party, std::vector<ledger::Role> roles, const std::string& domain) {
    genesis.participants.push_back(
        ledger::GenesisParticipant{party.address, party.name, std::move(roles), domain, {}});
  }
};

}  // namespace onebill::test
