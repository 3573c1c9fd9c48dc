// Blocks and their encodings (DESIGN §5), each checked against bytes built by hand in the test from the
// definition: tx_root, state_root, validators_hash, header JCS and block hash, vote and proposal digests;
// then execution (re-execution reproduces the header, a tampered header is refused) and the one batch
// per block.
#include <doctest/doctest.h>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "ledger/keys.h"
#include "tests/unit/ledger/fixture.h"

using onebill::Bytes;
using onebill::Hash32;
using onebill::json::Json;
using onebill::test::Consortium;
namespace ledger = onebill::ledger;
namespace hex = onebill::hex;

namespace {

Hash32 h(const std::string& bytes) {
  return onebill::keccak256(bytes);
}
std::string raw(const Hash32& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), 32);
}
Hash32 id_of(int i) {
  return onebill::keccak256("tx" + std::to_string(i));
}

}  // namespace

TEST_CASE("tx_root is the RFC 6962 tree over the transaction ids in block order") {
  CHECK(ledger::tx_root({}) == h(""));
  const Hash32 leaf0 = h(std::string(1, '\x00') + raw(id_of(0)));
  const Hash32 leaf1 = h(std::string(1, '\x00') + raw(id_of(1)));
  const Hash32 leaf2 = h(std::string(1, '\x00') + raw(id_of(2)));
  CHECK(ledger::tx_root({id_of(0)}) == leaf0);
  const Hash32 node01 = h(std::string(1, '\x01') + raw(leaf0) + raw(leaf1));
  CHECK(ledger::tx_root({id_of(0), id_of(1)}) == node01);
  // Three leaves: the odd last leaf is promoted unchanged.
  CHECK(ledger::tx_root({id_of(0), id_of(1), id_of(2)}) ==
        h(std::string(1, '\x01') + raw(node01) + raw(leaf2)));
  CHECK(ledger::tx_root({id_of(1), id_of(0)}) != node01);  // order matters
}

TEST_CASE("state_root chains the hash of the sorted writes onto the previous root") {
  ledger::WriteSet writes;
  writes["b/zz"] = std::string("value-2");
  writes["a/1"] = std::string("value-1");
  writes["c"] = std::nullopt;  // a delete
  // By hand: sorted by key; put = u32be(len k) ‖ k ‖ 0x01 ‖ H(v); delete = u32be(len k) ‖ k ‖ 0x00.
  std::string w;
  w += std::string("\x00\x00\x00\x03", 4) + "a/1" + '\x01' + raw(h("value-1"));
  w += std::string("\x00\x00\x00\x04", 4) + "b/zz" + '\x01' + raw(h("value-2"));
  w += std::string("\x00\x00\x00\x01", 4) + "c" + std::string(1, '\x00');
  CHECK(ledger::encode_writes(writes) == w);
  const Hash32 previous = h("previous root");
  CHECK(ledger::next_state_root(previous, writes) == h(std::string(1, '\x02') + raw(previous) + raw(h(w))));
  CHECK(ledger::next_state_root(previous, {}) == h(std::string(1, '\x02') + raw(previous) + raw(h(""))));
}

TEST_CASE("validators_hash is the hash of the JCS of the set sorted by address") {
  ledger::Validator a{onebill::Address::parse("0x00000000000000000000000000000000000000aa").value(),
                      "0x02" + std::string(64, '1'), 1};
  ledger::Validator b{onebill::Address::parse("0x00000000000000000000000000000000000000bb").value(),
                      "0x03" + std::string(64, '2'), 7};
  const std::string jcs = "[{\"address\":\"" + a.address.to_string() + "\",\"consensus_key\":\"0x02" +
                          std::string(64, '1') + "\",\"power\":1},{\"address\":\"" + b.address.to_string() +
                          "\",\"consensus_key\":\"0x03" + std::string(64, '2') + "\",\"power\":7}]";
  CHECK(ledger::validators_hash({b, a}) == h(jcs));
  CHECK(ledger::validators_hash({a, b}) == h(jcs));
}

TEST_CASE("the block hash is keccak256 of the prefix and the JCS of the header") {
  ledger::Header header;
  header.chain = "onebill-demo";
  header.height = 7;
  header.time_ms = 1767225600123;
  header.prev_hash = h("p");
  header.tx_root = h("t");
  header.state_root = h("s");
  header.validators_hash = h("v");
  header.next_validators_hash = h("n");
  header.proposer = onebill::Address::parse("0x3de00892812ade5b1e32941a8ae9af3b3b63e869").value();
  // JCS by hand: keys in code-unit order, no whitespace, hashes lowercase, the address EIP-55.
  const std::string jcs = "{\"chain\":\"onebill-demo\",\"height\":7,\"next_validators_hash\":\"" +
                          hex::encode(h("n")) + "\",\"prev_hash\":\"" + hex::encode(h("p")) +
                          "\",\"proposer\":\"0x3De00892812ADE5B1E32941a8AE9AF3b3B63E869\",\"state_root\":\"" +
                          hex::encode(h("s")) + "\",\"time_ms\":1767225600123,\"tx_root\":\"" +
                          hex::encode(h("t")) + "\",\"validators_hash\":\"" + hex::encode(h("v")) + "\"}";
  CHECK(ledger::header_jcs(header) == jcs);
  CHECK(ledger::block_hash(header) == h("OneBill block v1\n" + jcs));
  auto round_trip = ledger::header_from_json(ledger::to_json(header));
  REQUIRE(round_trip.ok());
  CHECK(*round_trip == header);
}

TEST_CASE("votes and proposals sign the hash of their prefix and JCS") {
  const Hash32 block = h("block");
  CHECK(ledger::vote_digest("onebill-demo", 3, 1, ledger::VoteType::prevote, block) ==
        h("OneBill vote v1\n{\"block\":\"" + hex::encode(block) +
          "\",\"chain\":\"onebill-demo\",\"height\":3,\"round\":1,\"type\":\"prevote\"}"));
  CHECK(ledger::vote_digest("onebill-demo", 3, 0, ledger::VoteType::precommit, std::nullopt) ==
        h("OneBill vote "
          "v1\n{\"block\":null,\"chain\":\"onebill-demo\",\"height\":3,\"round\":0,\"type\":\"precommit\"}"));
  CHECK(ledger::proposal_digest("onebill-demo", 3, 2, std::nullopt, block) ==
        h("OneBill proposal v1\n{\"block\":\"" + hex::encode(block) +
          "\",\"chain\":\"onebill-demo\",\"height\":3,\"pol_round\":null,\"round\":2}"));
  CHECK(ledger::proposal_digest("onebill-demo", 3, 2, 1u, block) ==
        h("OneBill proposal v1\n{\"block\":\"" + hex::encode(block) +
          "\",\"chain\":\"onebill-demo\",\"height\":3,\"pol_round\":1,\"round\":2}"));
}

TEST_CASE("state_root(0) is the hash of the genesis JCS and prev_hash of height 1") {
  Consortium c;
  const Hash32 root0 = onebill::keccak256(onebill::json::canonical(ledger::to_json(c.genesis)));
  CHECK(ledger::genesis_state_root(c.genesis) == root0);
  const auto head = c.reader().head().value();
  REQUIRE(head.has_value());
  CHECK(head->height == 0);
  CHECK(head->state_root == root0);
  c.issue_order_bill("first");
  const auto block = c.reader().block(1).value();
  REQUIRE(block.has_value());
  CHECK(block->header.prev_hash == root0);
}

TEST_CASE("a committed block's header roots are those of its transactions and writes") {
  Consortium c;
  c.issue_order_bill("first");
  const Hash32 root1 = c.reader().head().value()->state_root;
  // Block 2 with two transactions of one sender (pending state: nonce 1 then 2).
  Consortium& cc = c;
  auto t1 = cc.transaction(c.carrier_rail, "bill.issue",
                           c.issue_body(onebill::test::bill_id("b"), "REF-b", c.shipper, c.shipper), 1);
  auto t2 = cc.transaction(c.carrier_rail, "bill.issue",
                           c.issue_body(onebill::test::bill_id("c"), "REF-c", c.shipper, c.shipper), 2);
  auto builder = ledger::BlockBuilder::start(c.store, c.time_ms + 1000);
  REQUIRE(builder.ok());
  REQUIRE(builder->add(t1).ok());
  REQUIRE(builder->add(t2).ok());
  auto finished = builder->finish(c.validator_key.address());
  REQUIRE(finished.ok());
  const auto& [block, executed] = *finished;
  CHECK(block.header.height == 2);
  CHECK(block.header.tx_root == ledger::tx_root({t1.id, t2.id}));
  CHECK(block.header.state_root == ledger::next_state_root(root1, executed.writes));
  for (const auto& [key, value] : executed.writes) CHECK(ledger::keys::is_state_key(key));
  // Every validator re-executes the proposal and gets the same result.
  auto again = ledger::execute_block(c.store, block);
  REQUIRE(again.ok());
  CHECK(again->state_root == block.header.state_root);
  CHECK(again->writes == executed.writes);
}

TEST_CASE("re-execution refuses a block whose header does not match") {
  Consortium c;
  auto t1 = c.transaction(c.carrier_rail, "bill.issue",
                          c.issue_body(onebill::test::bill_id("b"), "REF-b", c.shipper, c.shipper));
  auto builder = ledger::BlockBuilder::start(c.store, c.time_ms + 1000);
  REQUIRE(builder.ok());
  REQUIRE(builder->add(t1).ok());
  auto finished = builder->finish(c.validator_key.address());
  REQUIRE(finished.ok());
  const ledger::Block good = finished->first;
  auto tampered = [&](auto change) {
    ledger::Block block = good;
    change(block);
    auto result = ledger::execute_block(c.store, block);
    REQUIRE_FALSE(result.ok());
    return result.problem().rule;
  };
  CHECK(tampered([&](ledger::Block& b) { b.header.state_root = h("x"); }) == "invalid-block");
  CHECK(tampered([&](ledger::Block& b) { b.header.tx_root = h("x"); }) == "invalid-block");
  CHECK(tampered([&](ledger::Block& b) { b.header.prev_hash = h("x"); }) == "invalid-block");
  CHECK(tampered([&](ledger::Block& b) { b.header.height = 5; }) == "invalid-block");
  CHECK(tampered([&](ledger::Block& b) { b.header.time_ms = c.genesis.genesis_time_ms; }) == "invalid-block");
  CHECK(tampered([&](ledger::Block& b) { b.header.validators_hash = h("x"); }) == "invalid-block");
  CHECK(tampered([&](ledger::Block& b) { b.transactions.push_back(b.transactions[0]); }) == "nonce-used");
  CHECK(ledger::execute_block(c.store, good).ok());
}

TEST_CASE("a refused transaction is left out of the block and leaves the pending state unchanged") {
  Consortium c;
  auto good = c.transaction(c.carrier_rail, "bill.issue",
                            c.issue_body(onebill::test::bill_id("b"), "REF-b", c.shipper, c.shipper));
  auto bad = c.transaction(c.shipper, "bill.issue",
                           c.issue_body(onebill::test::bill_id("c"), "REF-c", c.shipper, c.shipper));
  auto builder = ledger::BlockBuilder::start(c.store, c.time_ms + 1000);
  REQUIRE(builder.ok());
  REQUIRE(builder->add(good).ok());
  const ledger::WriteSet before = builder->state().writes();
  CHECK(builder->add(bad).problem().rule == "not-permitted");
  CHECK(builder->state().writes() == before);
  CHECK(builder->size() == 1);
}

TEST_CASE("one batch per block holds the block, commit, transaction index, head and state") {
  Consortium c;
  auto t = c.transaction(c.carrier_rail, "bill.issue",
                         c.issue_body(onebill::test::bill_id("b"), "REF-b", c.shipper, c.shipper));
  REQUIRE(c.submit_transaction(t).ok());
  const auto reader = c.reader();
  const auto head = reader.head().value();
  REQUIRE(head.has_value());
  CHECK(head->height == 1);
  const auto block = reader.block(1).value();
  REQUIRE(block.has_value());
  CHECK(head->block_hash == ledger::block_hash(block->header));
  CHECK(head->state_root == block->header.state_root);
  REQUIRE(block->transactions.size() == 1);
  auto reparsed = ledger::parse_transaction(block->transactions[0], c.genesis.chain);
  REQUIRE(reparsed.ok());
  CHECK(reparsed->id == t.id);
  const auto location = reader.tx_location(t.id).value();
  REQUIRE(location.has_value());
  CHECK(location->height == 1);
  CHECK(location->index == 0);
  const auto commit = reader.commit(1).value();
  REQUIRE(commit.has_value());
  CHECK(commit->block_hash == head->block_hash);
  CHECK(ledger::verify_commit(c.genesis.chain, *commit, reader.validator_set(1).value().value()).ok());
  ledger::Commit unsigned_commit = *commit;
  unsigned_commit.precommits.clear();
  CHECK(ledger::verify_commit(c.genesis.chain, unsigned_commit, c.genesis.validators).problem().rule ==
        "invalid-commit");
  CHECK(c.store.unsynced_batches() == 0);
}

TEST_CASE("history entries are listed by party in chain order with a cursor") {
  Consortium c;
  const std::string id = c.issue_order_bill("ev");
  c.ok(c.shipper, "bill.transfer_holder", Consortium::to_body(id, c.consignee));
  c.ok(c.consignee, "bill.transfer_holder", Consortium::to_body(id, c.trader));
  auto events = c.reader().events(c.consignee.address).value();
  REQUIRE(events.size() == 2);
  CHECK(events[0].entry.action == "bill.transfer_holder");
  CHECK(events[0].entry.recipient == c.consignee.address);
  CHECK(events[1].entry.signer == c.consignee.address);
  auto rest = c.reader().events(c.consignee.address, events[0].cursor).value();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].entry.seq == events[1].entry.seq);
  CHECK(c.reader().events(c.shipper.address).value().size() == 2);  // issued to it, then its transfer
}

TEST_CASE("a transaction's wire text is the canonical JSON of the object it was signed as, with its sig") {
  Consortium c;
  const Json remark_body = {{"bill", "0x" + std::string(64, 'a')},
                            {"leg", 0u},
                            {"event", "RECEIVED"},
                            {"location", "CNCKG"},
                            {"time", "2026-11-27T10:00:00.000Z"},
                            {"remark", "\"type\":\"x\"} a remark that looks like the end of an object"}};
  for (const auto& transaction :
       {c.transaction(c.carrier_rail, "leg.record", remark_body),
        c.transaction(c.carrier_rail, "leg.record", remark_body, 5u, 1'900'000'000'000u)}) {
    Json object = *onebill::json::read(
        std::string_view(transaction.signing_text).substr(ledger::transaction_prefix.size()));
    object["sig"] = onebill::signature_to_string(transaction.sig);
    const std::string wire = ledger::wire_text(transaction);
    CHECK(wire == onebill::json::canonical(object));
    auto parsed = ledger::parse_transaction(wire, c.genesis.chain);
    REQUIRE(parsed.ok());
    CHECK(parsed->id == transaction.id);
  }
}
