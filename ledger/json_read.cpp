#include "ledger/json_read.h"

namespace onebill::ledger::read {

const json::Json& member(const json::Json& object, std::string_view key) {
  if (!object.is_object()) throw Error("not an object where " + std::string(key) + " was expected");
  auto found = object.find(key);
  if (found == object.end()) throw Error(std::string(key) + ": missing");
  return *found;
}

const std::string& string(const json::Json& object, std::string_view key) {
  const auto& value = member(object, key);
  if (!value.is_string()) throw Error(std::string(key) + ": not a string");
  return value.get_ref<const std::string&>();
}

std::uint64_t u64(const json::Json& object, std::string_view key) {
  const auto& value = member(object, key);
  if (!value.is_number_unsigned()) throw Error(std::string(key) + ": not an unsigned integer");
  return value.get<std::uint64_t>();
}

bool boolean(const json::Json& object, std::string_view key) {
  const auto& value = member(object, key);
  if (!value.is_boolean()) throw Error(std::string(key) + ": not a boolean");
  return value.get<bool>();
}

const json::Json& array(const json::Json& object, std::string_view key) {
  const auto& value = member(object, key);
  if (!value.is_array()) throw Error(std::string(key) + ": not an array");
  return value;
}

Address address(const json::Json& object, std::string_view key) {
  auto parsed = Address::parse(string(object, key));
  if (!parsed) throw Error(std::string(key) + ": " + parsed.problem().detail);
  return *parsed;
}

Hash32 hash(const json::Json& object, std::string_view key) {
  auto parsed = parse_hash(string(object, key));
  if (!parsed) throw Error(std::string(key) + ": not 0x + 64 lowercase hex");
  return *parsed;
}

}  // namespace onebill::ledger::read
