// What the tradetrust module refuses, and the documents it finds INVALID.
#include <doctest/doctest.h>

#include <set>

#include "crypto/secp256k1.h"
#include "tests/unit/tradetrust/support.h"
#include "tradetrust/did.h"
#include "tradetrust/document.h"
#include "tradetrust/obfuscate.h"
#include "tradetrust/verify.h"

using namespace onebill;
using namespace onebill::tradetrust;
using json::Json;

namespace {

Json raw_with(const std::string& key, Json value) {
  Json raw = test::read_vector("mini-raw.json");
  raw[key] = std::move(value);
  return raw;
}

const Fragment& integrity(const Verification& result) {
  return result.fragments.at(0);
}
const Fragment& did_signature(const Verification& result) {
  return result.fragments.at(1);
}

}  // namespace

TEST_CASE("a document with a duplicate key is refused before anything else") {
  std::string text = test::read_file(test::vectors_dir() / "oa" / "mini-wrapped.json");
  text.insert(text.find("\"data\""), "\"version\": \"x\",\n");
  auto document = read_wrapped(text);
  REQUIRE(!document.ok());
  CHECK(document.problem().rule == "duplicate-key");
}

TEST_CASE("a key containing a dot is refused when wrapping and INVALID when verifying") {
  auto wrapped = wrap_document(raw_with("a.b", 1));
  REQUIRE(!wrapped.ok());
  CHECK(wrapped.problem().rule == "invalid-body");
  Json document = test::read_vector("mini-wrapped.json");
  document["data"]["x.y"] = "4f2d6a1e-0c4b-4d7e-9a3b-2b7c1d9e8f00:string:v";
  Verification result = verify_document(document, nullptr);
  CHECK(integrity(result).status == FragmentStatus::invalid);
  CHECK(integrity(result).reason->code == ReasonCode::document_malformed);
}

TEST_CASE("a document nested deeper than the limit is refused") {
  std::string deep(limits::max_json_depth + 1, '[');
  deep += std::string(limits::max_json_depth + 1, ']');
  auto read = read_wrapped(deep);
  REQUIRE(!read.ok());
  CHECK(read.problem().rule == "too-deep");
  // A raw document at the limit would wrap one level deeper than anyone could read back.
  Json nested = Json::array();
  for (std::size_t i = 2; i < limits::max_json_depth; ++i) nested = Json::array({nested});
  auto wrapped = wrap_document(raw_with("deep", nested));
  REQUIRE(!wrapped.ok());
  CHECK(wrapped.problem().rule == "too-deep");
}

TEST_CASE("a document above the size limit is refused") {
  std::string text = "{\"data\":\"" + std::string(limits::max_document_bytes, 'a') + "\"}";
  auto read = read_wrapped(text);
  REQUIRE(!read.ok());
  CHECK(read.problem().rule == "too-large");
}

TEST_CASE("a raw document without issuers is refused") {
  auto wrapped = wrap_document(Json{{"a", 1}});
  REQUIRE(!wrapped.ok());
  CHECK(wrapped.problem().rule == "invalid-body");
}

TEST_CASE("two fields that flatten to one path are refused") {
  // flatley writes {"": {"n": 1}} as path "n", the same as the top-level "n".
  auto wrapped = wrap_document(raw_with("", Json{{"n", 2}}));
  REQUIRE(!wrapped.ok());
  CHECK(wrapped.problem().rule == "invalid-body");
}

TEST_CASE("a key under an empty prefix is not prefixed, as in the library") {
  auto leaves = flatten_leaves(Json{{"", Json{{"b", 1}}}, {"a", Json{{"", Json{{"c", 2}}}}}});
  REQUIRE(leaves.ok());
  std::set<std::string> paths;
  for (const Leaf& leaf : *leaves) paths.insert(leaf.path);
  CHECK(paths == std::set<std::string>{"b", "a..c"});
}

TEST_CASE("a changed leaf makes the document INVALID") {
  Json document = test::read_vector("mini-wrapped.json");
  document["data"]["n"] = "164cea03-240f-4e0b-8a03-cb10b476c725:number:2";
  Verification result = verify_document(document, nullptr);
  CHECK(integrity(result).status == FragmentStatus::invalid);
  CHECK(integrity(result).reason->code == ReasonCode::document_tampered);
  CHECK(verdict_of(result.fragments) == Verdict::invalid);
}

TEST_CASE("an added or removed leaf makes the document INVALID") {
  Json added = test::read_vector("mini-wrapped.json");
  added["data"]["extra"] = Json::object();
  CHECK(verdict_of(verify_document(added, nullptr).fragments) == Verdict::invalid);
  Json removed = test::read_vector("mini-wrapped.json");
  removed["data"].erase("n");
  CHECK(verdict_of(verify_document(removed, nullptr).fragments) == Verdict::invalid);
}

TEST_CASE("a wrong merkleRoot makes the document INVALID") {
  Json document = test::read_vector("mini-wrapped.json");
  document["signature"]["merkleRoot"] = std::string(64, 'a');
  CHECK(integrity(verify_document(document, nullptr)).status == FragmentStatus::invalid);
  // A truncated root (the library reads 31 bytes and fails to match) is malformed.
  document["signature"]["merkleRoot"] = std::string(62, 'a');
  CHECK(integrity(verify_document(document, nullptr)).reason->code == ReasonCode::document_malformed);
}

TEST_CASE("a wrong batch proof makes the document INVALID") {
  Json document = test::read_vector("batch-wrapped-1.json");
  document["signature"]["proof"][0] = std::string(64, '0');
  CHECK(integrity(verify_document(document, nullptr)).status == FragmentStatus::invalid);
  document["signature"]["proof"] = Json::array();
  CHECK(integrity(verify_document(document, nullptr)).status == FragmentStatus::invalid);
  document["signature"]["proof"] = Json::array({"zz"});
  CHECK(integrity(verify_document(document, nullptr)).reason->code == ReasonCode::document_malformed);
}

TEST_CASE("an obfuscated hash that was never a leaf makes the document INVALID") {
  Json document = test::read_vector("bol-obfuscated.json");
  document["privacy"]["obfuscatedData"][0] = std::string(64, 'b');
  CHECK(integrity(verify_document(document, nullptr)).status == FragmentStatus::invalid);
}

TEST_CASE("a document that is not wrapped OpenAttestation v2 is INVALID, not a crash") {
  for (const Json& document :
       {Json(nullptr), Json::array(), Json{{"data", 1}}, test::read_vector("mini-raw.json"),
        Json{{"version", "https://schema.openattestation.com/3.0/schema.json"}}}) {
    Verification result = verify_document(document, nullptr);
    CHECK(integrity(result).status == FragmentStatus::invalid);
    CHECK(verdict_of(result.fragments) == Verdict::invalid);
  }
}

namespace {

Json did_raw(const PrivateKey& key) {
  std::string did = "did:ethr:" + key.address().to_string();
  return Json{
      {"issuers",
       Json::array({Json{{"id", did},
                         {"name", "DID issuer"},
                         {"revocation", {{"type", "NONE"}}},
                         {"identityProof",
                          {{"type", "DNS-DID"}, {"key", did + "#controller"}, {"location", "did.test"}}}}})},
      {"n", 1}};
}

Json did_signed(const PrivateKey& issuer, const PrivateKey& signer) {
  auto wrapped = wrap_document(did_raw(issuer));
  REQUIRE(wrapped.ok());
  Hash32 root = *parse_bare_hex(wrapped->at("signature").at("merkleRoot").get<std::string>());
  Json proof = make_did_proof(root, signer, "2026-01-01T00:00:00.000Z");
  proof["verificationMethod"] = "did:ethr:" + issuer.address().to_string() + "#controller";
  (*wrapped)["proof"] = Json::array({proof});
  return *wrapped;
}

}  // namespace

TEST_CASE("a DID proof over the merkleRoot by the issuer's key is VALID") {
  PrivateKey issuer = PrivateKey::generate();
  Verification result = verify_document(did_signed(issuer, issuer), nullptr);
  CHECK(did_signature(result).status == FragmentStatus::valid);
  CHECK(verdict_of(result.fragments) == Verdict::intact_offline);
}

TEST_CASE("a DID proof made by another key is INVALID") {
  PrivateKey issuer = PrivateKey::generate();
  PrivateKey other = PrivateKey::generate();
  Verification result = verify_document(did_signed(issuer, other), nullptr);
  CHECK(integrity(result).status == FragmentStatus::valid);
  CHECK(did_signature(result).status == FragmentStatus::invalid);
  CHECK(did_signature(result).reason->code == ReasonCode::did_signature_invalid);
  CHECK(verdict_of(result.fragments) == Verdict::invalid);
}

TEST_CASE("a DID issuer without a proof, or a malformed signature, is INVALID") {
  PrivateKey issuer = PrivateKey::generate();
  Json unsigned_document = did_signed(issuer, issuer);
  unsigned_document.erase("proof");
  CHECK(did_signature(verify_document(unsigned_document, nullptr)).status == FragmentStatus::invalid);
  Json bad = did_signed(issuer, issuer);
  bad["proof"][0]["signature"] = "0x1234";
  CHECK(did_signature(verify_document(bad, nullptr)).status == FragmentStatus::invalid);
}

TEST_CASE("a document without DID proofs skips the signature fragment") {
  Verification result = verify_document(test::read_vector("mini-wrapped.json"), nullptr);
  CHECK(did_signature(result).status == FragmentStatus::skipped);
}

TEST_CASE("obfuscating one array element is refused") {
  auto out = obfuscate_document(test::read_vector("bol-wrapped.json"), {"packages.0"});
  REQUIRE(!out.ok());
  CHECK(out.problem().rule == "invalid-body");
  CHECK(out.problem().detail.find("array") != std::string::npos);
}

TEST_CASE("obfuscating the last field of an object is refused") {
  auto out = obfuscate_document(test::read_vector("bol-wrapped.json"), {"consignee.name"});
  REQUIRE(!out.ok());
  CHECK(out.problem().detail.find("empty object") != std::string::npos);
  auto both = obfuscate_document(test::read_vector("bol-wrapped.json"), {"shipper.name", "shipper.address"});
  REQUIRE(!both.ok());
}

TEST_CASE("obfuscating a path that names nothing is refused") {
  CHECK(!obfuscate_document(test::read_vector("bol-wrapped.json"), {"nothing.here"}).ok());
  CHECK(!obfuscate_document(test::read_vector("bol-wrapped.json"), {""}).ok());
  CHECK(!obfuscate_document(test::read_vector("bol-wrapped.json"), {}).ok());
}

TEST_CASE("obfuscation keeps the document valid, twice over and for whole containers") {
  auto once =
      obfuscate_document(test::read_vector("bol-wrapped.json"), {"packages.1.weight", "tags", "extra"});
  REQUIRE(once.ok());
  CHECK(verdict_of(verify_document(*once, nullptr).fragments) == Verdict::intact_offline);
  auto twice = obfuscate_document(*once, {"shipper", "packages"});
  REQUIRE(twice.ok());
  CHECK(twice->at("privacy").at("obfuscatedData").size() == 3 + 3 + 5);
  CHECK(verdict_of(verify_document(*twice, nullptr).fragments) == Verdict::intact_offline);
}

TEST_CASE("obfuscating a field and a field inside it hides each leaf once") {
  auto out = obfuscate_document(test::read_vector("bol-wrapped.json"),
                                {"shipper.address", "shipper.address.street"});
  REQUIRE(out.ok());
  CHECK(out->at("privacy").at("obfuscatedData").size() == 2);
  CHECK(verdict_of(verify_document(*out, nullptr).fragments) == Verdict::intact_offline);
  auto reversed = obfuscate_document(test::read_vector("bol-wrapped.json"),
                                     {"shipper.address.street", "shipper.address"});
  REQUIRE(reversed.ok());
  CHECK(reversed->at("data") == out->at("data"));
}
