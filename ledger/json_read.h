// Internal to ledger/: reading typed fields out of JSON that this ledger wrote itself (stored values,
// blocks, the genesis after its schema check). A missing or mistyped field throws read::Error, which
// the decoding entry point turns into a Problem at once; nothing outside ledger/*.cpp sees it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/bytes.h"
#include "crypto/json.h"
#include "ledger/state.h"

namespace onebill::ledger::read {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json::Json& member(const json::Json& object, std::string_view key);
const std::string& string(const json::Json& object, std::string_view key);
std::uint64_t u64(const json::Json& object, std::string_view key);
bool boolean(const json::Json& object, std::string_view key);
const json::Json& array(const json::Json& object, std::string_view key);
Address address(const json::Json& object, std::string_view key);
Hash32 hash(const json::Json& object, std::string_view key);

}  // namespace onebill::ledger::read

namespace onebill::ledger {

json::Json roles_json(const std::vector<Role>& roles);
std::vector<Role> read_roles(const json::Json& object, std::string_view key);  // sorted, deduplicated
Identifiers identifiers_from_json(const json::Json& json);
json::Json identifiers_to_json(const Identifiers& identifiers);

}  // namespace onebill::ledger
