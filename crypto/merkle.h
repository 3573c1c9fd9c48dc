// RFC 6962 merkle tree hash over an ordered list, with keccak256: leaf H(0x00 ‖ item), node
// H(0x01 ‖ left ‖ right), an odd last node promoted unchanged, the empty tree H(""). DESIGN §5 tx_root.
// (OpenAttestation's sorted-pair tree is a different thing and lives in tradetrust/.)
#pragma once

#include <vector>

#include "crypto/bytes.h"

namespace onebill {

Hash32 merkle_root_rfc6962(const std::vector<Hash32>& items);

}  // namespace onebill
