#include "crypto/merkle.h"

#include "crypto/assert.h"
#include "crypto/hash.h"

namespace onebill {
namespace {

Hash32 leaf_hash(const Hash32& item) {
  const std::uint8_t prefix = 0x00;
  return Keccak256().update(ByteView(&prefix, 1)).update(ByteView(item)).finish();
}

Hash32 node_hash(const Hash32& left, const Hash32& right) {
  const std::uint8_t prefix = 0x01;
  return Keccak256().update(ByteView(&prefix, 1)).update(ByteView(left)).update(ByteView(right)).finish();
}

}  // namespace

// Level by level, pairing neighbours and promoting an odd last node unchanged. This equals RFC 6962
// §2.1's recursive definition (split at the largest power of two below n) for every n.
Hash32 merkle_root_rfc6962(const std::vector<Hash32>& items) {
  if (items.empty()) return keccak256(ByteView());
  std::vector<Hash32> level;
  level.reserve(items.size());
  for (const Hash32& item : items) level.push_back(leaf_hash(item));
  while (level.size() > 1) {
    const std::size_t before = level.size();
    std::size_t out = 0;
    for (std::size_t i = 0; i < before; i += 2) {
      level[out++] = (i + 1 < before) ? node_hash(level[i], level[i + 1]) : level[i];
    }
    level.resize(out);
    ONEBILL_ASSERT(level.size() == (before + 1) / 2);  // the loop halves the level: it ends
  }
  return level.front();
}

}  // namespace onebill
