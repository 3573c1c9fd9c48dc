// Helpers of the tradetrust unit tests: reading the oa-vectors and taking their salts.
#pragma once

#include <map>
#include <string>

#include "crypto/json.h"
#include "tests/unit/test_support.h"
#include "tradetrust/hashing.h"
#include "tradetrust/wrap.h"

namespace onebill::test {

inline json::Json read_vector(const std::string& name) {
  auto parsed = json::read(read_file(vectors_dir() / "oa" / name));
  if (!parsed) throw std::runtime_error("cannot parse vector " + name + ": " + parsed.problem().detail);
  return *parsed;
}

// path -> salt of every leaf of a wrapped document, so wrapping its raw form can reproduce it.
inline std::map<std::string, std::string> salts_of(const json::Json& wrapped) {
  std::map<std::string, std::string> salts;
  auto leaves = tradetrust::flatten_leaves(wrapped.at("data"));
  if (!leaves) throw std::runtime_error(leaves.problem().detail);
  for (const auto& leaf : *leaves) {
    if (leaf.value.is_string()) salts[leaf.path] = leaf.value.get<std::string>().substr(0, 36);
  }
  return salts;
}

inline tradetrust::internal::SaltSource salt_source(std::map<std::string, std::string> salts) {
  return [salts = std::move(salts)](std::string_view path) {
    auto found = salts.find(std::string(path));
    if (found == salts.end()) throw std::runtime_error("no salt for path " + std::string(path));
    return found->second;
  };
}

}  // namespace onebill::test
