#include "tradetrust/obfuscate.h"

#include <map>

#include "tradetrust/document.h"
#include "tradetrust/hashing.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    segments.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return segments;
    start = dot + 1;
  }
}

// A canonical array index ("0", "17"; not "01" or "-1") below `size`.
std::optional<std::size_t> array_index(const std::string& segment, std::size_t size) {
  if (segment.empty() || segment.size() > 9 || (segment.size() > 1 && segment[0] == '0')) return std::nullopt;
  std::size_t index = 0;
  for (char c : segment) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  if (index >= size) return std::nullopt;
  return index;
}

// Where a path points: its parent container as a JSON pointer, and the last segment.
struct Location {
  Json::json_pointer parent;
  std::string last;
};

Result<Location> locate(const Json& data, const std::string& path) {
  if (path.empty()) return invalid("invalid-body", "an empty path names nothing to obfuscate");
  std::vector<std::string> segments = split_path(path);
  Json::json_pointer pointer;
  const Json* node = &data;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    if (segment.empty())
      return invalid("invalid-body", "the path " + json::quote(path) + " has an empty segment");
    bool last = i + 1 == segments.size();
    if (node->is_object() && node->contains(segment)) {
      if (last) return Location{pointer, segment};
      pointer /= segment;
      node = &node->at(segment);
      continue;
    }
    if (node->is_array()) {
      if (auto index = array_index(segment, node->size())) {
        if (last) {
          return invalid("invalid-body", "removing the array element " + json::quote(path) +
                                             " would leave a hole that JSON writes as null and break the "
                                             "document; obfuscate the whole array instead");
        }
        pointer /= *index;
        node = &(*node)[*index];
        continue;
      }
    }
    return invalid("invalid-body", "the path " + json::quote(path) + " names no field of the document");
  }
  ONEBILL_ASSERT(false && "the loop returns at the last segment");
  return invalid("invalid-body", "unreachable");
}

}  // namespace

Result<Json> obfuscate_document(const Json& wrapped, const std::vector<std::string>& paths) {
  auto document = parse_wrapped(wrapped);
  if (!document) return document.problem();
  if (paths.empty()) return invalid("invalid-body", "name at least one path to obfuscate");
  const Json& data = document->data;

  std::vector<Location> locations;
  std::map<std::string, Hash32> hidden;  // by flattened path, so overlapping paths count once
  for (const std::string& path : paths) {
    auto location = locate(data, path);
    if (!location) return location.problem();
    const Json& value = data.at(location->parent).at(location->last);
    auto leaves = flatten_subtree(value, path);
    if (!leaves) return leaves.problem();
    for (const Leaf& leaf : *leaves) hidden.emplace(leaf.path, leaf.hash);
    locations.push_back(std::move(*location));
  }

  Json remaining = data;
  for (const Location& location : locations) {
    if (!remaining.contains(location.parent)) continue;  // an enclosing path already removed it
    Json& parent = remaining.at(location.parent);
    ONEBILL_ASSERT(parent.is_object());
    parent.erase(location.last);
  }
  for (std::size_t i = 0; i < locations.size(); ++i) {
    const Json::json_pointer& parent = locations[i].parent;
    if (parent.empty() || !remaining.contains(parent)) continue;  // the top level may become empty
    if (remaining.at(parent).empty()) {
      return invalid("invalid-body", "obfuscating " + json::quote(paths[i]) +
                                         " would leave an empty object behind, which breaks the document; "
                                         "obfuscate the enclosing object instead");
    }
  }

  Json out = wrapped;
  out["data"] = std::move(remaining);
  Json obfuscated = Json::array();
  for (const Hash32& hash : document->obfuscated) obfuscated.push_back(bare_hex(hash));
  for (const auto& [path, hash] : hidden) obfuscated.push_back(bare_hex(hash));
  if (!out.contains("privacy") || !out["privacy"].is_object()) out["privacy"] = Json::object();
  out["privacy"]["obfuscatedData"] = std::move(obfuscated);
  return out;
}

}  // namespace onebill::tradetrust
