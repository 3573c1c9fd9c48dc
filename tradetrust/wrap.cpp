#include "tradetrust/wrap.h"

#include "crypto/limits.h"
#include "tradetrust/document.h"
#include "tradetrust/hashing.h"
#include "tradetrust/merkle_tree.h"
#include "tradetrust/salt.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

std::size_t depth_of(const Json& value) {
  if (!value.is_object() && !value.is_array()) return 0;
  std::size_t deepest = 0;
  for (const Json& member : value) deepest = std::max(deepest, depth_of(member));
  return deepest + 1;
}

Status check_issuers(const Json& raw) {
  auto issuers = raw.find("issuers");
  if (issuers == raw.end() || !issuers->is_array() || issuers->empty()) {
    return invalid("invalid-body",
                   "the document needs a non-empty `issuers` array (OpenAttestation v2 schema)");
  }
  for (const Json& issuer : *issuers) {
    if (!issuer.is_object() || !issuer.contains("name") || !issuer.at("name").is_string()) {
      return invalid("invalid-body", "every issuer needs a string `name` (OpenAttestation v2 schema)");
    }
  }
  return {};
}

// deepMap(data, uuidSalt): the same shape with every primitive salted; paths follow hashing.h's rules.
Result<Json> salt_tree(const Json& node, const std::string& prefix, const internal::SaltSource& salts) {
  auto member_path = [&prefix](const std::string& key) { return prefix.empty() ? key : prefix + "." + key; };
  auto salt_member = [&](const std::string& path, const Json& value) -> Result<Json> {
    if (value.is_object() || value.is_array()) return salt_tree(value, path, salts);
    auto salted = salt_value(salts(path), value);
    if (!salted) return salted.problem();
    return Json(std::move(*salted));
  };
  if (node.is_object()) {
    Json out = Json::object();
    for (const auto& [key, value] : node.items()) {
      auto salted = salt_member(member_path(key), value);
      if (!salted) return salted.problem();
      out[key] = std::move(*salted);
    }
    return out;
  }
  ONEBILL_ASSERT(node.is_array());
  Json out = Json::array();
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto salted = salt_member(member_path(std::to_string(i)), node[i]);
    if (!salted) return salted.problem();
    out.push_back(std::move(*salted));
  }
  return out;
}

}  // namespace

namespace internal {

Result<Json> wrap_document_with_salts(const Json& raw, const SaltSource& salts) {
  if (!raw.is_object()) return invalid("invalid-body", "a raw document is a JSON object");
  // The wrapped form nests the data one level deeper, and it must stay readable (DESIGN §1).
  if (depth_of(raw) + 1 > limits::max_json_depth) {
    return invalid("too-deep", "the document is nested too deeply to be wrapped within the depth limit of " +
                                   std::to_string(limits::max_json_depth));
  }
  ONEBILL_TRY(check_issuers(raw));
  auto salted = salt_tree(raw, "", salts);
  if (!salted) return salted.problem();
  auto target = compute_target_hash(*salted, {});
  if (!target) return target.problem();
  std::string target_hex = bare_hex(*target);
  Json wrapped = Json::object();
  wrapped["version"] = std::string(schema_v2);
  wrapped["data"] = std::move(*salted);
  wrapped["signature"] = Json{{"type", std::string(merkle_proof_type)},
                              {"targetHash", target_hex},
                              {"proof", Json::array()},
                              {"merkleRoot", target_hex}};
  return wrapped;
}

Result<std::vector<Json>> wrap_documents_with_salts(const std::vector<Json>& raws, const SaltSource& salts) {
  if (raws.empty()) return invalid("invalid-body", "a batch needs at least one document");
  if (raws.size() > limits::max_batch_transactions) {
    return invalid("too-large",
                   "a batch holds at most " + std::to_string(limits::max_batch_transactions) + " documents");
  }
  std::vector<Json> wrapped;
  std::vector<Hash32> targets;
  for (std::size_t i = 0; i < raws.size(); ++i) {
    auto one = wrap_document_with_salts(raws[i], salts);
    if (!one) {
      Problem problem = one.problem();
      problem.detail = "document " + std::to_string(i + 1) + ": " + problem.detail;
      return problem;
    }
    auto target = parse_bare_hex(one->at("signature").at("targetHash").get<std::string>());
    ONEBILL_ASSERT(target.has_value());
    targets.push_back(*target);
    wrapped.push_back(std::move(*one));
  }
  BatchTree tree(targets);
  std::string root = bare_hex(tree.root());
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    Json proof = Json::array();
    for (const Hash32& sibling : tree.proof(targets[i])) proof.push_back(bare_hex(sibling));
    ONEBILL_ASSERT(check_batch_proof(tree.proof(targets[i]), tree.root(), targets[i]));
    wrapped[i]["signature"]["proof"] = std::move(proof);
    wrapped[i]["signature"]["merkleRoot"] = root;
  }
  return wrapped;
}

}  // namespace internal

Result<Json> wrap_document(const Json& raw) {
  return internal::wrap_document_with_salts(raw, [](std::string_view) { return new_uuid_v4(); });
}

Result<std::vector<Json>> wrap_documents(const std::vector<Json>& raws) {
  return internal::wrap_documents_with_salts(raws, [](std::string_view) { return new_uuid_v4(); });
}

}  // namespace onebill::tradetrust
