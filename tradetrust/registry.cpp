#include "tradetrust/registry.h"

#include <algorithm>
#include <string>

#include "crypto/hash.h"

namespace onebill::tradetrust {

Address registry_address(std::string_view chain) {
  Hash32 digest = keccak256(std::string(registry_address_prefix) + std::string(chain));
  Address address;
  std::copy(digest.end() - 20, digest.end(), address.bytes.begin());
  return address;
}

}  // namespace onebill::tradetrust
