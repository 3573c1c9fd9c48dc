// Known answers of @tradetrust-tt/tradetrust 6.10.3 (tests/vectors/oa, copied from the reference set).
#include <doctest/doctest.h>

#include <set>

#include "tests/unit/tradetrust/support.h"
#include "tradetrust/document.h"
#include "tradetrust/merkle_tree.h"
#include "tradetrust/obfuscate.h"
#include "tradetrust/registry.h"
#include "tradetrust/salt.h"
#include "tradetrust/verify.h"

using namespace onebill;
using namespace onebill::tradetrust;
using json::Json;

namespace {

const char* const single_vectors[] = {"mini", "escapes", "numbers", "bol"};

void check_leaves_match_explain(const Json& wrapped, const Json& explain) {
  auto leaves = flatten_leaves(wrapped.at("data"));
  REQUIRE(leaves.ok());
  std::map<std::string, const Leaf*> by_path;
  for (const Leaf& leaf : *leaves) by_path[leaf.path] = &leaf;
  REQUIRE(by_path.size() == explain.at("leaves").size());
  for (const Json& expected : explain.at("leaves")) {
    const std::string path = expected.at("path").get<std::string>();
    INFO("leaf " << path);
    REQUIRE(by_path.count(path) == 1);
    CHECK(by_path[path]->hashed_text == expected.at("json").get<std::string>());
    CHECK(bare_hex(by_path[path]->hash) == expected.at("hash").get<std::string>());
  }
}

}  // namespace

TEST_CASE("each leaf hashes the exact string the library hashes") {
  for (const char* name : single_vectors) {
    INFO("vector " << name);
    check_leaves_match_explain(test::read_vector(std::string(name) + "-wrapped.json"),
                               test::read_vector(std::string(name) + "-explain.json"));
  }
  for (int i = 1; i <= 3; ++i) {
    check_leaves_match_explain(test::read_vector("batch-wrapped-" + std::to_string(i) + ".json"),
                               test::read_vector("batch-explain-" + std::to_string(i) + ".json"));
  }
}

TEST_CASE("the targetHash and merkleRoot of a wrapped document are recomputed exactly") {
  for (const char* name : single_vectors) {
    INFO("vector " << name);
    Json wrapped = test::read_vector(std::string(name) + "-wrapped.json");
    Json explain = test::read_vector(std::string(name) + "-explain.json");
    auto target = compute_target_hash(wrapped.at("data"), {});
    REQUIRE(target.ok());
    CHECK(bare_hex(*target) == explain.at("targetHash").get<std::string>());
    CHECK(bare_hex(*target) == wrapped.at("signature").at("merkleRoot").get<std::string>());
    Verification result = verify_document(wrapped, nullptr);
    CHECK(verdict_of(result.fragments) == Verdict::intact_offline);
  }
}

TEST_CASE("wrapping a raw document with the vector's salts reproduces the library's output") {
  for (const char* name : single_vectors) {
    INFO("vector " << name);
    Json expected = test::read_vector(std::string(name) + "-wrapped.json");
    auto wrapped = internal::wrap_document_with_salts(test::read_vector(std::string(name) + "-raw.json"),
                                                      test::salt_source(test::salts_of(expected)));
    REQUIRE(wrapped.ok());
    CHECK(*wrapped == expected);
  }
}

TEST_CASE("a batch of three reproduces the library's proofs and common merkleRoot") {
  std::vector<Json> raws;
  std::vector<Json> expected;
  for (int i = 1; i <= 3; ++i) {
    raws.push_back(test::read_vector("batch-raw-" + std::to_string(i) + ".json"));
    expected.push_back(test::read_vector("batch-wrapped-" + std::to_string(i) + ".json"));
  }
  CHECK(Json(expected) == test::read_vector("batch-wrapped.json"));
  // The three documents share paths, so each is wrapped with its own salts and the tree built after.
  std::vector<Hash32> targets;
  for (int i = 0; i < 3; ++i) {
    auto one = internal::wrap_document_with_salts(raws[i], test::salt_source(test::salts_of(expected[i])));
    REQUIRE(one.ok());
    CHECK(one->at("data") == expected[i].at("data"));
    targets.push_back(*parse_bare_hex(one->at("signature").at("targetHash").get<std::string>()));
  }
  BatchTree tree(targets);
  for (int i = 0; i < 3; ++i) {
    INFO("document " << i + 1);
    const Json& signature = expected[i].at("signature");
    CHECK(bare_hex(tree.root()) == signature.at("merkleRoot").get<std::string>());
    Json proof = Json::array();
    for (const Hash32& sibling : tree.proof(targets[i])) proof.push_back(bare_hex(sibling));
    CHECK(proof == signature.at("proof"));
    Json explain = test::read_vector("batch-explain-" + std::to_string(i + 1) + ".json");
    Hash32 node = targets[i];
    for (const Json& step : explain.at("merkleSteps")) {
      node = combine_sorted_pair(node, *parse_bare_hex(step.at("sibling").get<std::string>()));
      CHECK(bare_hex(node) == step.at("combined").get<std::string>());
    }
    CHECK(verdict_of(verify_document(expected[i], nullptr).fragments) == Verdict::intact_offline);
  }
}

TEST_CASE("wrap_documents gives every document a proof to the common root") {
  std::vector<Json> raws;
  for (int i = 1; i <= 3; ++i) raws.push_back(test::read_vector("batch-raw-" + std::to_string(i) + ".json"));
  raws.push_back(test::read_vector("mini-raw.json"));
  raws.push_back(test::read_vector("bol-raw.json"));
  auto wrapped = wrap_documents(raws);
  REQUIRE(wrapped.ok());
  REQUIRE(wrapped->size() == 5);
  std::set<std::string> roots;
  for (const Json& document : *wrapped) {
    roots.insert(document.at("signature").at("merkleRoot").get<std::string>());
    CHECK(!document.at("signature").at("proof").empty());
    CHECK(verdict_of(verify_document(document, nullptr).fragments) == Verdict::intact_offline);
  }
  CHECK(roots.size() == 1);
}

TEST_CASE("the library's obfuscated document verifies, and obfuscating the same paths reproduces it") {
  Json expected = test::read_vector("bol-obfuscated.json");
  CHECK(verdict_of(verify_document(expected, nullptr).fragments) == Verdict::intact_offline);
  auto ours =
      obfuscate_document(test::read_vector("bol-wrapped.json"), {"consignee", "shipper.address.street"});
  REQUIRE(ours.ok());
  CHECK(ours->at("data") == expected.at("data"));
  std::set<std::string> ours_hidden(ours->at("privacy").at("obfuscatedData").begin(),
                                    ours->at("privacy").at("obfuscatedData").end());
  std::set<std::string> expected_hidden(expected.at("privacy").at("obfuscatedData").begin(),
                                        expected.at("privacy").at("obfuscatedData").end());
  CHECK(ours_hidden == expected_hidden);
  CHECK(ours->at("signature") == expected.at("signature"));
}

TEST_CASE("unwrapping returns the raw data") {
  for (const char* name : {"mini", "escapes", "bol"}) {
    INFO("vector " << name);
    auto data = unsalt_data(test::read_vector(std::string(name) + "-wrapped.json").at("data"));
    REQUIRE(data.ok());
    CHECK(*data == test::read_vector(std::string(name) + "-raw.json"));
  }
  // Numbers come back as JavaScript reads what the library printed: equal as doubles.
  auto numbers = unsalt_data(test::read_vector("numbers-wrapped.json").at("data"));
  REQUIRE(numbers.ok());
  Json raw = test::read_vector("numbers-raw.json");
  for (const char* key : {"a", "b", "c", "d", "e", "f", "g", "h", "i"}) {
    INFO("key " << key);
    CHECK(numbers->at(key).get<double>() == raw.at(key).get<double>());
  }
}

TEST_CASE("the chain registry address is EIP-55 of keccak256(OneBill/registry/v1/ + chain)") {
  CHECK(registry_address("onebill-demo").to_string() == "0x3De00892812ADE5B1E32941a8AE9AF3b3B63E869");
}
