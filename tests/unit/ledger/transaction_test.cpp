// The transaction format of DESIGN §3 and the body schema of DESIGN §4: known answers from ethers, then
// one test case per refusal.
#include <doctest/doctest.h>

#include <string>

#include "crypto/eip191.h"
#include "crypto/hash.h"
#include "crypto/hex.h"
#include "ledger/transaction.h"
#include "tests/unit/test_support.h"

using onebill::Address;
using onebill::PrivateKey;
using onebill::json::Json;
namespace ledger = onebill::ledger;
namespace hex = onebill::hex;

namespace {

const Json& vectors() {
  static const Json parsed =
      Json::parse(onebill::test::read_file(onebill::test::vectors_dir() / "transactions.json"));
  return parsed;
}

PrivateKey test_key() {
  return PrivateKey::from_hex(vectors().at("signer_private_key").get<std::string>()).value();
}

const std::string bill = "0x" + std::string(64, 'a');
const std::string carol = "0x00000000000000000000000000000000000000cc";
const std::string dave = "0x00000000000000000000000000000000000000dd";

// A well-formed unsigned object of `type` with `body`, from the test key, on onebill-demo.
Json unsigned_object(const std::string& type, const Json& body) {
  return Json{{"chain", "onebill-demo"},
              {"type", type},
              {"nonce", 0u},
              {"from", test_key().address().to_string()},
              {"body", body}};
}

// The signed wire object for `object` (which must be well-formed).
Json signed_object(const Json& object) {
  auto built = ledger::parse_unsigned_transaction(object);
  REQUIRE(built.ok());
  auto wire = ledger::sign_transaction(*built, test_key());
  REQUIRE(wire.ok());
  return *wire;
}

Json transfer_body() {
  return Json{{"bill", bill}, {"to", carol}};
}

std::string wire_text(const Json& object) {
  return onebill::json::canonical(object);
}

// The rule a wire text breaks, or "ok".
std::string rule_of_text(const std::string& text) {
  auto parsed = ledger::parse_transaction(text);
  return parsed ? "ok" : parsed.problem().rule;
}

// The rule a body of `type` breaks, or "ok" (checked through the unsigned form: no key needed).
std::string body_rule(const std::string& type, const Json& body) {
  auto parsed = ledger::parse_unsigned_transaction(unsigned_object(type, body));
  return parsed ? "ok" : parsed.problem().rule;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

Json valid_leg() {
  return Json{{"mode", "RAIL"}, {"carrier", carol}, {"from", "CNCKG"}, {"to", "CNQZH"}};
}

Json valid_issue() {
  return Json{{"id", bill},       {"reference", "CQSG0001"}, {"kind", "BOL"},
              {"to_order", true}, {"holder", dave},          {"legs", Json::array({valid_leg()})}};
}

}  // namespace

TEST_CASE("every known-answer vector: signing text, byte length, digest, signature and id match ethers") {
  const PrivateKey key = test_key();
  CHECK(key.address().to_string() == vectors().at("signer_address").get<std::string>());
  for (const Json& vector : vectors().at("cases")) {
    const std::string name = vector.at("name").get<std::string>();
    INFO(name);
    const Json& tx = vector.at("transaction");
    auto built = ledger::parse_unsigned_transaction(tx.dump());
    REQUIRE(built.ok());
    const std::string signing_text = vector.at("signing_text").get<std::string>();
    CHECK(built->signing_text == signing_text);
    CHECK(built->signing_text.size() == vector.at("signing_text_utf8_bytes").get<std::size_t>());
    CHECK(hex::encode(onebill::eip191::digest(signing_text)) ==
          vector.at("eip191_digest").get<std::string>());
    CHECK(hex::encode(built->id) == vector.at("id").get<std::string>());

    auto signed_wire = ledger::sign_transaction(*built, key);
    REQUIRE(signed_wire.ok());
    CHECK(signed_wire->at("sig").get<std::string>() == vector.at("signature").get<std::string>());

    Json wire = tx;
    wire["sig"] = vector.at("signature");
    auto parsed = ledger::parse_transaction(wire.dump(), std::string_view("onebill-demo"));
    REQUIRE(parsed.ok());
    CHECK(ledger::verify_signer(*parsed).ok());
    CHECK(parsed->signing_text == signing_text);
    CHECK(hex::encode(parsed->id) == vector.at("id").get<std::string>());
    CHECK(parsed->from == key.address());
  }
}

TEST_CASE("the high-s twin of a valid signature is refused as signature-encoding") {
  for (const Json& vector : vectors().at("cases")) {
    Json wire = vector.at("transaction");
    wire["sig"] = vector.at("refused_high_s_twin");
    auto parsed = ledger::parse_transaction(wire.dump());
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.problem().rule == "signature-encoding");
  }
}

TEST_CASE("the id does not depend on the signature and equals keccak256 of the signing text") {
  const Json wire = signed_object(unsigned_object("bill.transfer_holder", transfer_body()));
  auto parsed = ledger::parse_transaction(wire_text(wire));
  REQUIRE(parsed.ok());
  auto unsigned_tx =
      ledger::parse_unsigned_transaction(unsigned_object("bill.transfer_holder", transfer_body()));
  REQUIRE(unsigned_tx.ok());
  CHECK(parsed->id == unsigned_tx->id);
  CHECK(parsed->id == onebill::keccak256(parsed->signing_text));
}

TEST_CASE("strings keep the case the signer sent in the signing text") {
  Json object = unsigned_object("bill.transfer_holder", transfer_body());
  object["from"] = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";  // all lowercase: accepted, kept as sent
  auto parsed = ledger::parse_unsigned_transaction(object);
  REQUIRE(parsed.ok());
  CHECK(parsed->signing_text.find("\"from\":\"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23\"") !=
        std::string::npos);
  const Json wire = signed_object(object);
  auto verified = ledger::parse_transaction(wire_text(wire));
  REQUIRE(verified.ok());
  CHECK(ledger::verify_signer(*verified).ok());
}

TEST_CASE("a changed byte in a signed transaction makes the signer mismatch") {
  const Json wire = signed_object(unsigned_object("bill.transfer_holder", transfer_body()));
  const std::string tampered = replace_once(wire_text(wire), carol, dave);
  auto parsed = ledger::parse_transaction(tampered);
  REQUIRE(parsed.ok());
  auto verified = ledger::verify_signer(*parsed);
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.problem().rule == "signer-mismatch");
}

TEST_CASE("a transaction signed by another key than from is a signer mismatch") {
  Json object = unsigned_object("bill.transfer_holder", transfer_body());
  object["from"] = carol;
  auto built = ledger::parse_unsigned_transaction(object);
  REQUIRE(built.ok());
  auto refused = ledger::sign_transaction(*built, test_key());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.problem().rule == "signer-mismatch");
  auto attached = ledger::attach_signature(*built, onebill::eip191::sign(test_key(), built->signing_text));
  REQUIRE_FALSE(attached.ok());
  CHECK(attached.problem().rule == "signer-mismatch");
}

TEST_CASE("build then attach a signature made elsewhere gives the same wire form as signing locally") {
  auto built = ledger::build_transaction("onebill-demo", "bill.transfer_holder", 3, test_key().address(),
                                         transfer_body(), 1893456000000u);
  REQUIRE(built.ok());
  CHECK(built->object.at("expires_ms") == 1893456000000u);
  const onebill::Signature sig = onebill::eip191::sign(test_key(), built->signing_text);
  auto attached = ledger::attach_signature(*built, sig);
  auto signed_locally = ledger::sign_transaction(*built, test_key());
  REQUIRE(attached.ok());
  REQUIRE(signed_locally.ok());
  CHECK(*attached == *signed_locally);
}

TEST_CASE("an unknown field at the top level is refused") {
  Json wire = signed_object(unsigned_object("bill.transfer_holder", transfer_body()));
  wire["memo"] = "x";
  CHECK(rule_of_text(wire_text(wire)) == "unknown-field");
}

TEST_CASE("an unknown field in the body is refused") {
  Json body = transfer_body();
  body["amount"] = 1;
  CHECK(body_rule("bill.transfer_holder", body) == "unknown-field");
  Json issue = valid_issue();
  issue["legs"][0]["vessel"] = "EVER GIVEN";
  CHECK(body_rule("bill.issue", issue) == "unknown-field");
}

TEST_CASE("a field of the wrong type is refused") {
  const std::string text = wire_text(signed_object(unsigned_object("bill.transfer_holder", transfer_body())));
  CHECK(rule_of_text(replace_once(text, "\"nonce\":0", "\"nonce\":\"0\"")) == "wrong-type");
  CHECK(rule_of_text(replace_once(text, "\"chain\":\"onebill-demo\"", "\"chain\":7")) == "wrong-type");
  CHECK(rule_of_text(replace_once(text, "\"type\":\"bill.transfer_holder\"", "\"type\":null")) ==
        "wrong-type");
  CHECK(rule_of_text("[1,2]") == "wrong-type");
  Json missing = signed_object(unsigned_object("bill.transfer_holder", transfer_body()));
  missing.erase("from");
  CHECK(rule_of_text(wire_text(missing)) == "wrong-type");
}

TEST_CASE("a nonce written 1.0, -0, 1e3 or 2^53 is non-canonical") {
  const std::string text = wire_text(signed_object(unsigned_object("bill.transfer_holder", transfer_body())));
  for (const char* nonce : {"1.0", "-0", "1e3", "-1", "9007199254740992", "0.5", "1E3"}) {
    INFO(nonce);
    CHECK(rule_of_text(replace_once(text, "\"nonce\":0", std::string("\"nonce\":") + nonce)) ==
          "non-canonical-number");
  }
  CHECK(rule_of_text(replace_once(text, "\"nonce\":0", "\"nonce\":9007199254740991")) == "ok");
}

TEST_CASE("expires_ms follows the same integer rule as nonce") {
  const std::string text = wire_text(signed_object(unsigned_object("bill.transfer_holder", transfer_body())));
  CHECK(rule_of_text(replace_once(text, "\"nonce\":0", "\"expires_ms\":1.5e12,\"nonce\":0")) ==
        "non-canonical-number");
  CHECK(rule_of_text(replace_once(text, "\"nonce\":0", "\"expires_ms\":\"soon\",\"nonce\":0")) ==
        "wrong-type");
}

TEST_CASE("an uppercase signature is malformed") {
  Json wire = signed_object(unsigned_object("bill.transfer_holder", transfer_body()));
  std::string sig = wire.at("sig").get<std::string>();
  for (std::size_t i = 2; i < sig.size(); ++i)
    sig[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(sig[i])));
  wire["sig"] = sig;
  CHECK(rule_of_text(wire_text(wire)) == "signature-encoding");
}

TEST_CASE("a signature with v other than 27 or 28 is malformed") {
  Json wire = signed_object(unsigned_object("bill.transfer_holder", transfer_body()));
  std::string sig = wire.at("sig").get<std::string>();
  for (const char* v : {"1d", "00", "01"}) {
    wire["sig"] = sig.substr(0, 130) + v;
    CHECK(rule_of_text(wire_text(wire)) == "signature-encoding");
  }
  wire["sig"] = sig.substr(0, 128);  // 64 bytes: no v
  CHECK(rule_of_text(wire_text(wire)) == "signature-encoding");
}

TEST_CASE("a transaction over 8 KiB is too large") {
  Json wire = signed_object(unsigned_object("bill.transfer_holder", transfer_body()));
  std::string text = wire_text(wire);
  text.append(8 * 1024, ' ');
  CHECK(rule_of_text(text) == "too-large");
}

TEST_CASE("a duplicate key is refused") {
  const std::string text = wire_text(signed_object(unsigned_object("bill.transfer_holder", transfer_body())));
  CHECK(rule_of_text(replace_once(text, "\"nonce\":0", "\"nonce\":0,\"nonce\":0")) == "duplicate-key");
  CHECK(rule_of_text(replace_once(text, "\"nonce\":0", "\"nonce\":0,\"non\\u0063e\":0")) == "duplicate-key");
}

TEST_CASE("malformed JSON is refused") {
  CHECK(rule_of_text("{\"chain\":") == "malformed-json");
  CHECK(rule_of_text("") == "malformed-json");
}

TEST_CASE("a transaction for another chain is refused when the chain is known") {
  const std::string text = wire_text(signed_object(unsigned_object("bill.transfer_holder", transfer_body())));
  auto parsed = ledger::parse_transaction(text, std::string_view("onebill-other"));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.problem().rule == "wrong-chain");
  CHECK(ledger::parse_transaction(text, std::string_view("onebill-demo")).ok());
}

TEST_CASE("a chain id outside ^[a-z0-9][a-z0-9-]{2,62}$ is refused") {
  for (const char* chain : {"ab", "-abc", "Onebill", "one bill", "onebill_demo", ""}) {
    Json object = unsigned_object("bill.transfer_holder", transfer_body());
    object["chain"] = chain;
    auto parsed = ledger::parse_unsigned_transaction(object);
    INFO(chain);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.problem().rule == "wrong-type");
  }
  Json object = unsigned_object("bill.transfer_holder", transfer_body());
  object["chain"] = std::string(63, 'a');
  CHECK(ledger::parse_unsigned_transaction(object).ok());
  object["chain"] = std::string(64, 'a');
  CHECK_FALSE(ledger::parse_unsigned_transaction(object).ok());
}

TEST_CASE("from with a broken EIP-55 checksum is refused") {
  Json object = unsigned_object("bill.transfer_holder", transfer_body());
  object["from"] = "0x2c7536E3605D9C16a7a3D7b1898e529396a65C23";  // one letter's case flipped
  auto parsed = ledger::parse_unsigned_transaction(object);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.problem().rule == "address-checksum");
}

TEST_CASE("an unknown transaction type is an invalid body") {
  CHECK(body_rule("bill.burn", transfer_body()) == "invalid-body");
  CHECK(ledger::is_known_transaction_type("leg.record"));
  CHECK(ledger::known_transaction_types().size() == 18);
}

TEST_CASE("a body that is not an object is invalid") {
  CHECK(body_rule("bill.release", Json::array()) == "invalid-body");
  CHECK(body_rule("bill.release", "0xab") == "invalid-body");
}

TEST_CASE("bill.issue bodies follow their schema") {
  CHECK(body_rule("bill.issue", valid_issue()) == "ok");
  Json blank = valid_issue();
  blank["beneficiary"] = dave;
  CHECK(body_rule("bill.issue", blank) == "ok");
  const auto broken = [](const char* field, const Json& value) {
    Json body = valid_issue();
    body[field] = value;
    return body_rule("bill.issue", body);
  };
  CHECK(broken("id", "0x" + std::string(64, 'A')) == "invalid-body");
  CHECK(broken("id", "0xabc") == "invalid-body");
  CHECK(broken("reference", "") == "invalid-body");
  CHECK(broken("reference", std::string(21, 'R')) == "invalid-body");
  CHECK(broken("reference", std::string(20, 'R')) == "ok");
  CHECK(broken("reference", " CQSG") == "invalid-body");
  CHECK(broken("kind", "bol") == "invalid-body");
  CHECK(broken("to_order", "true") == "invalid-body");
  CHECK(broken("holder", nullptr) == "invalid-body");
  CHECK(broken("beneficiary", nullptr) == "invalid-body");
  CHECK(broken("holder", "0x2c7536E3605D9C16a7a3D7b1898e529396a65C23") == "address-checksum");
  CHECK(broken("legs", Json::array()) == "invalid-body");
  CHECK(broken("legs", Json::array({valid_leg(), valid_leg(), valid_leg(), valid_leg(), valid_leg(),
                                    valid_leg(), valid_leg(), valid_leg(), valid_leg(), valid_leg(),
                                    valid_leg(), valid_leg(), valid_leg(), valid_leg(), valid_leg(),
                                    valid_leg(), valid_leg()})) == "invalid-body");
  Json missing = valid_issue();
  missing.erase("holder");
  CHECK(body_rule("bill.issue", missing) == "invalid-body");
  const auto broken_leg = [](const char* field, const Json& value) {
    Json body = valid_issue();
    body["legs"][0][field] = value;
    return body_rule("bill.issue", body);
  };
  CHECK(broken_leg("mode", "TRUCK") == "invalid-body");
  CHECK(broken_leg("mode", "INLAND_WATERWAY") == "ok");
  CHECK(broken_leg("from", "CNCK") == "invalid-body");
  CHECK(broken_leg("from", "cnckg") == "invalid-body");
  CHECK(broken_leg("from", "CNCK1") == "invalid-body");
  CHECK(broken_leg("from", "CN2K9") == "ok");
  CHECK(broken_leg("carrier", "carrier-rail") == "invalid-body");
}

TEST_CASE("bill.reissue bodies follow their schema") {
  const Json new_bill = {{"id", "0x" + std::string(64, 'b')},
                         {"reference", "CQSG0002"},
                         {"kind", "BOL"},
                         {"to_order", true},
                         {"legs", Json::array({valid_leg()})}};
  Json body = {{"replaces", Json::array({bill})}, {"bills", Json::array({new_bill})}};
  CHECK(body_rule("bill.reissue", body) == "ok");
  Json split = body;
  Json second = new_bill;
  second["id"] = "0x" + std::string(64, 'c');
  split["bills"].push_back(second);
  CHECK(body_rule("bill.reissue", split) == "ok");
  Json n_to_m = split;
  n_to_m["replaces"].push_back("0x" + std::string(64, 'd'));
  CHECK(body_rule("bill.reissue", n_to_m) == "invalid-body");
  Json twice = body;
  twice["bills"].push_back(new_bill);
  CHECK(body_rule("bill.reissue", twice) == "invalid-body");
  Json holder_given = body;
  holder_given["bills"][0]["holder"] = dave;  // the requester becomes holder: not a body field
  CHECK(body_rule("bill.reissue", holder_given) == "unknown-field");
  Json empty = body;
  empty["replaces"] = Json::array();
  CHECK(body_rule("bill.reissue", empty) == "invalid-body");
}

TEST_CASE("bill.transfer_holder and bill.endorse bodies need a bill and a recipient") {
  for (const char* type : {"bill.transfer_holder", "bill.endorse"}) {
    CHECK(body_rule(type, transfer_body()) == "ok");
    CHECK(body_rule(type, Json{{"bill", bill}}) == "invalid-body");
    CHECK(body_rule(type, Json{{"bill", bill}, {"to", nullptr}}) == "invalid-body");
    CHECK(body_rule(type, Json{{"bill", "0x" + std::string(63, 'a')}, {"to", carol}}) == "invalid-body");
  }
}

TEST_CASE("only bill.nominate accepts a null address") {
  CHECK(body_rule("bill.nominate", Json{{"bill", bill}, {"nominee", nullptr}}) == "ok");
  CHECK(body_rule("bill.nominate", Json{{"bill", bill}, {"nominee", carol}}) == "ok");
  CHECK(body_rule("bill.nominate", Json{{"bill", bill}}) == "invalid-body");
  CHECK(body_rule("bill.pledge", Json{{"bill", bill}, {"bank", nullptr}, {"reference", "L1"}}) ==
        "invalid-body");
}

TEST_CASE("bill.transfer_owners needs both beneficiary and holder") {
  CHECK(body_rule("bill.transfer_owners", Json{{"bill", bill}, {"beneficiary", carol}, {"holder", carol}}) ==
        "ok");
  CHECK(body_rule("bill.transfer_owners", Json{{"bill", bill}, {"beneficiary", carol}}) == "invalid-body");
}

TEST_CASE("bill.pledge needs a bank and a reference") {
  CHECK(body_rule("bill.pledge", Json{{"bill", bill}, {"bank", carol}, {"reference", "LOAN-1"}}) == "ok");
  CHECK(body_rule("bill.pledge", Json{{"bill", bill}, {"bank", carol}}) == "invalid-body");
  CHECK(body_rule("bill.pledge", Json{{"bill", bill}, {"bank", carol}, {"reference", 12}}) == "invalid-body");
}

TEST_CASE("bill-only actions take a bill and an optional remark") {
  for (const char* type : {"bill.blank_endorse", "bill.reject_transfer", "bill.release", "bill.enforce",
                           "bill.withdraw_surrender", "bill.accept_surrender"}) {
    INFO(type);
    CHECK(body_rule(type, Json{{"bill", bill}}) == "ok");
    CHECK(body_rule(type, Json{{"bill", bill}, {"remark", "ok"}}) == "ok");
    CHECK(body_rule(type, Json::object()) == "invalid-body");
    CHECK(body_rule(type, Json{{"bill", bill}, {"to", carol}}) == "unknown-field");
  }
}

TEST_CASE("a surrender for amendment needs a reason and one for delivery has none") {
  CHECK(body_rule("bill.surrender", Json{{"bill", bill}, {"purpose", "DELIVERY"}}) == "ok");
  CHECK(body_rule("bill.surrender", Json{{"bill", bill}, {"purpose", "AMENDMENT"}, {"reason", "COD"}}) ==
        "ok");
  CHECK(body_rule("bill.surrender", Json{{"bill", bill}, {"purpose", "AMENDMENT"}}) == "invalid-body");
  CHECK(body_rule("bill.surrender", Json{{"bill", bill}, {"purpose", "DELIVERY"}, {"reason", "SWI"}}) ==
        "invalid-body");
  CHECK(body_rule("bill.surrender", Json{{"bill", bill}, {"purpose", "AMENDMENT"}, {"reason", "LOST"}}) ==
        "invalid-body");
  CHECK(body_rule("bill.surrender", Json{{"bill", bill}, {"purpose", "RETURN"}}) == "invalid-body");
}

TEST_CASE("rejecting a surrender requires a remark") {
  CHECK(body_rule("bill.reject_surrender", Json{{"bill", bill}, {"remark", "wrong consignee"}}) == "ok");
  CHECK(body_rule("bill.reject_surrender", Json{{"bill", bill}}) == "invalid-body");
  CHECK(body_rule("bill.reject_surrender", Json{{"bill", bill}, {"remark", ""}}) == "invalid-body");
}

TEST_CASE("a remark is at most 255 bytes of UTF-8") {
  CHECK(body_rule("bill.release", Json{{"bill", bill}, {"remark", std::string(255, 'x')}}) == "ok");
  CHECK(body_rule("bill.release", Json{{"bill", bill}, {"remark", std::string(256, 'x')}}) == "invalid-body");
  std::string chinese;
  for (int i = 0; i < 86; ++i) chinese += "\xE9\x87\x8D";  // 86 characters, 258 bytes
  CHECK(body_rule("bill.release", Json{{"bill", bill}, {"remark", chinese}}) == "invalid-body");
  CHECK(body_rule("bill.release", Json{{"bill", bill}, {"remark", 5}}) == "invalid-body");
}

TEST_CASE("leg.record bodies follow their schema") {
  const Json good = {{"bill", bill},
                     {"leg", 1u},
                     {"event", "DEPARTED"},
                     {"location", "CNQZH"},
                     {"time", "2026-03-01T08:30:00.000Z"},
                     {"conveyance", "X8011 Chongqing-Qinzhou"}};
  CHECK(body_rule("leg.record", good) == "ok");
  const auto broken = [&](const char* field, const Json& value) {
    Json body = good;
    body[field] = value;
    return body_rule("leg.record", body);
  };
  CHECK(broken("leg", 16u) == "invalid-body");
  CHECK(broken("leg", -1) == "non-canonical-number");
  CHECK(broken("leg", 1.0) == "non-canonical-number");
  CHECK(broken("leg", "1") == "invalid-body");
  CHECK(broken("event", "LOADED") == "invalid-body");
  CHECK(broken("location", "Qinzhou") == "invalid-body");
  CHECK(broken("time", "2026-03-01T08:30:00Z") == "invalid-body");
  CHECK(broken("time", "2026-03-01T08:30:00.000+08:00") == "invalid-body");
  CHECK(broken("time", "2026-02-30T08:30:00.000Z") == "invalid-body");
  CHECK(broken("time", "2028-02-29T23:59:59.999Z") == "ok");
  CHECK(broken("time", "2026-03-01 08:30:00.000Z") == "invalid-body");
  CHECK(broken("conveyance", std::string(65, 'v')) == "invalid-body");
  CHECK(broken("conveyance", std::string(64, 'v')) == "ok");
  Json no_conveyance = good;
  no_conveyance.erase("conveyance");
  CHECK(body_rule("leg.record", no_conveyance) == "ok");
  Json no_time = good;
  no_time.erase("time");
  CHECK(body_rule("leg.record", no_time) == "invalid-body");
}

TEST_CASE("gov.propose names a known action with the args of that action") {
  const auto propose = [](const char* action, const Json& args) {
    return body_rule("gov.propose", Json{{"action", action}, {"args", args}, {"expires_height", 100u}});
  };
  const Json admit = {{"address", carol},
                      {"name", "Chongqing Rail Logistics"},
                      {"roles", {"CARRIER"}},
                      {"domain", "rail.example.com"},
                      {"identifiers", {{"lei", "5493001KJTIIGC8Y1R12"}, {"uscc", "91500000MA5U7XXX1Y"}}}};
  CHECK(propose("participant.admit", admit) == "ok");
  Json no_domain = admit;
  no_domain.erase("domain");
  CHECK(propose("participant.admit", no_domain) == "invalid-body");
  Json bad_role = admit;
  bad_role["roles"] = {"CARRIER", "PIRATE"};
  CHECK(propose("participant.admit", bad_role) == "invalid-body");
  Json twice = admit;
  twice["roles"] = {"BANK", "BANK"};
  CHECK(propose("participant.admit", twice) == "invalid-body");
  Json bad_lei = admit;
  bad_lei["identifiers"] = {{"lei", "12"}};
  CHECK(propose("participant.admit", bad_lei) == "invalid-body");
  Json bad_domain = admit;
  bad_domain["domain"] = "localhost";
  CHECK(propose("participant.admit", bad_domain) == "invalid-body");

  CHECK(propose("participant.update", Json{{"address", carol}, {"roles", {"CARRIER", "TRADER"}}}) == "ok");
  CHECK(propose("participant.update", Json{{"address", carol}}) == "invalid-body");
  for (const char* action : {"participant.suspend", "participant.reinstate", "validator.remove"}) {
    CHECK(propose(action, Json{{"address", carol}}) == "ok");
    CHECK(propose(action, Json{{"address", carol}, {"power", 1u}}) == "unknown-field");
  }

  const std::string key = onebill::hex::encode(onebill::ByteView(test_key().public_key()));
  CHECK(propose("validator.set", Json{{"address", carol}, {"consensus_key", key}, {"power", 10u}}) == "ok");
  CHECK(propose("validator.set", Json{{"address", carol}, {"consensus_key", key}, {"power", 0u}}) ==
        "invalid-body");
  CHECK(propose("validator.set",
                Json{{"address", carol}, {"consensus_key", "0x04" + std::string(128, '1')}, {"power", 1u}}) ==
        "invalid-body");

  CHECK(propose("bill.rectify", Json{{"bill", bill},
                                     {"order_reference", "SGHC 2026/123"},
                                     {"holder", carol},
                                     {"beneficiary", nullptr},
                                     {"pledge", nullptr},
                                     {"status", "ISSUED"}}) == "ok");
  CHECK(propose("bill.rectify",
                Json{{"bill", bill},
                     {"order_reference", "SGHC 2026/123"},
                     {"pledge", {{"bank", carol}, {"pledgor", dave}, {"reference", "L-9"}}}}) == "ok");
  CHECK(propose("bill.rectify", Json{{"bill", bill}, {"order_reference", "SGHC 2026/123"}}) ==
        "invalid-body");
  CHECK(propose("bill.rectify", Json{{"bill", bill}, {"holder", carol}}) == "invalid-body");
  CHECK(propose("bill.rectify", Json{{"bill", bill}, {"order_reference", "x"}, {"status", "LOST"}}) ==
        "invalid-body");

  CHECK(propose("bill.burn", Json{{"bill", bill}}) == "invalid-body");
  CHECK(body_rule("gov.propose", Json{{"action", "validator.remove"}, {"args", {{"address", carol}}}}) ==
        "invalid-body");
  CHECK(body_rule("gov.propose", Json{{"action", "validator.remove"},
                                      {"args", {{"address", carol}}},
                                      {"expires_height", 1e3}}) == "non-canonical-number");
}

TEST_CASE("gov.approve names a proposal by its transaction id") {
  CHECK(body_rule("gov.approve", Json{{"proposal", "0x" + std::string(64, '0')}}) == "ok");
  CHECK(body_rule("gov.approve", Json{{"proposal", "0x" + std::string(64, 'F')}}) == "invalid-body");
  CHECK(body_rule("gov.approve", Json{{"proposal", 7}}) == "invalid-body");
}

TEST_CASE("check_transaction_body checks a body alone") {
  CHECK(ledger::check_transaction_body("bill.release", Json{{"bill", bill}}).ok());
  CHECK(ledger::check_transaction_body("bill.release", Json::object()).problem().rule == "invalid-body");
}

TEST_CASE("the problem detail names the broken field") {
  Json body = valid_issue();
  body["legs"][0]["to"] = "Qinzhou";
  auto parsed = ledger::parse_unsigned_transaction(unsigned_object("bill.issue", body));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.problem().detail.find("body.legs[0].to") != std::string::npos);
}

TEST_CASE("no single changed byte of a signed transaction verifies, and none crashes the parser") {
  Json body = valid_issue();
  body["remark"] = "重庆 → Singapore 🚢 \"quoted\" back\\slash";
  const std::string text = wire_text(signed_object(unsigned_object("bill.issue", body)));
  std::uint64_t state = 0x9E3779B97F4A7C15u;  // fixed seed: a failure replays
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string changed = text;
    const std::size_t at = next() % changed.size();
    char replacement;
    do {
      replacement = static_cast<char>(next() & 0xFF);
    } while (replacement == changed[at]);
    changed[at] = replacement;
    auto parsed = ledger::parse_transaction(changed);
    if (parsed.ok()) {
      INFO(changed);
      CHECK_FALSE(ledger::verify_signer(*parsed).ok());
    }
  }
}
