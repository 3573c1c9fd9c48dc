#include "tradetrust/hashing.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "crypto/hash.h"
#include "crypto/hex.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

double number_of(const Json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    return static_cast<double>(value.get<std::int64_t>());
  }
  if (value.is_number_unsigned()) return static_cast<double>(value.get<std::uint64_t>());
  return value.get<double>();
}

bool is_descended(const Json& value) {
  return (value.is_object() || value.is_array()) && !value.empty();
}

class Flattener {
 public:
  Status visit(const Json& node, const std::string& prefix, std::size_t depth) {
    ONEBILL_ASSERT(depth <= limits::max_json_depth + 1);
    if (node.is_object()) {
      for (const auto& [key, value] : node.items()) ONEBILL_TRY(visit_member(key, value, prefix, depth));
    } else {
      ONEBILL_ASSERT(node.is_array());
      for (std::size_t index = 0; index < node.size(); ++index) {
        ONEBILL_TRY(visit_member(std::to_string(index), node[index], prefix, depth));
      }
    }
    return {};
  }

  std::vector<Leaf> take() { return std::move(leaves_); }

 private:
  Status visit_member(const std::string& key, const Json& value, const std::string& prefix,
                      std::size_t depth) {
    if (key.find('.') != std::string::npos) {
      return invalid("invalid-body", "the key " + json::quote(key) +
                                         " contains '.', which OpenAttestation paths cannot hold; rename it");
    }
    // flatley: `prev ? prev + "." + key : key` — an empty prefix is falsy in JavaScript.
    std::string path = prefix.empty() ? key : prefix + "." + key;
    return visit_value(std::move(path), value, depth);
  }

 public:
  Status visit_value(std::string path, const Json& value, std::size_t depth) {
    if (is_descended(value)) return visit(value, path, depth + 1);
    if (value.is_number() && !std::isfinite(number_of(value))) {
      return invalid("wrong-type", "the number at " + json::quote(path) + " is not finite");
    }
    if (!paths_.insert(path).second) {
      return invalid("invalid-body",
                     "two fields flatten to the same path " + json::quote(path) +
                         " (an empty key at the top level); the library would leave one unprotected");
    }
    Leaf leaf;
    leaf.hashed_text = "{" + json::quote(path) + ":" + leaf_value_text(value) + "}";
    leaf.hash = keccak256(leaf.hashed_text);
    leaf.path = std::move(path);
    leaf.value = value;
    leaves_.push_back(std::move(leaf));
    return {};
  }

 private:
  std::set<std::string> paths_;
  std::vector<Leaf> leaves_;
};

}  // namespace

std::string leaf_value_text(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return json::quote(value.get_ref<const std::string&>());
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::null:
      return "null";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return json::ecmascript_number(number_of(value));
    case Json::value_t::object:
      ONEBILL_ASSERT(value.empty());
      return "{}";
    case Json::value_t::array:
      ONEBILL_ASSERT(value.empty());
      return "[]";
    default:
      ONEBILL_ASSERT(false && "binary or discarded JSON values never come from json::read");
  }
  return {};
}

Result<std::vector<Leaf>> flatten_leaves(const Json& data) {
  if (!data.is_object()) return invalid("wrong-type", "the document's data is not a JSON object");
  Flattener flattener;
  ONEBILL_TRY(flattener.visit(data, "", 1));
  return flattener.take();
}

Result<std::vector<Leaf>> flatten_subtree(const Json& value, const std::string& path) {
  Flattener flattener;
  ONEBILL_TRY(flattener.visit_value(path, value, 1));
  return flattener.take();
}

Hash32 target_hash_of(std::vector<Hash32> leaf_hashes, const std::vector<Hash32>& obfuscated) {
  leaf_hashes.insert(leaf_hashes.end(), obfuscated.begin(), obfuscated.end());
  // lodash sortBy over lowercase hex strings: the same order as the bytes.
  std::sort(leaf_hashes.begin(), leaf_hashes.end());
  Keccak256 hasher;
  hasher.update("[");
  for (std::size_t i = 0; i < leaf_hashes.size(); ++i) {
    if (i > 0) hasher.update(",");
    hasher.update("\"").update(bare_hex(leaf_hashes[i])).update("\"");
  }
  hasher.update("]");
  return hasher.finish();
}

Result<Hash32> compute_target_hash(const Json& data, const std::vector<Hash32>& obfuscated) {
  auto leaves = flatten_leaves(data);
  if (!leaves) return leaves.problem();
  std::vector<Hash32> hashes;
  hashes.reserve(leaves->size());
  for (const Leaf& leaf : *leaves) hashes.push_back(leaf.hash);
  return target_hash_of(std::move(hashes), obfuscated);
}

std::string bare_hex(const Hash32& hash) {
  return hex::encode_bare(ByteView(hash.data(), hash.size()));
}

std::optional<Hash32> parse_bare_hex(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  return hex::decode_hash("0x" + std::string(text));
}

}  // namespace onebill::tradetrust
