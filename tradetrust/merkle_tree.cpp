#include "tradetrust/merkle_tree.h"

#include <algorithm>

#include "crypto/assert.h"
#include "crypto/hash.h"

namespace onebill::tradetrust {

Hash32 combine_sorted_pair(const Hash32& first, const Hash32& second) {
  const Hash32& low = std::min(first, second);
  const Hash32& high = std::max(first, second);
  Keccak256 hasher;
  hasher.update(ByteView(low.data(), low.size()));
  hasher.update(ByteView(high.data(), high.size()));
  return hasher.finish();
}

BatchTree::BatchTree(std::vector<Hash32> elements) {
  ONEBILL_ASSERT(!elements.empty());
  std::sort(elements.begin(), elements.end());
  layers_.push_back(std::move(elements));
  // Each layer halves (rounded up), so the loop ends after about log2(n) rounds.
  while (layers_.back().size() > 1) {
    const std::vector<Hash32>& below = layers_.back();
    std::vector<Hash32> above;
    above.reserve((below.size() + 1) / 2);
    for (std::size_t i = 0; i < below.size(); i += 2) {
      above.push_back(i + 1 < below.size() ? combine_sorted_pair(below[i], below[i + 1]) : below[i]);
    }
    layers_.push_back(std::move(above));
  }
  ONEBILL_ASSERT(layers_.back().size() == 1);
}

const Hash32& BatchTree::root() const {
  return layers_.back().front();
}

std::vector<Hash32> BatchTree::proof(const Hash32& element) const {
  const std::vector<Hash32>& leaves = layers_.front();
  auto found = std::find(leaves.begin(), leaves.end(), element);
  ONEBILL_ASSERT(found != leaves.end());
  std::size_t index = static_cast<std::size_t>(found - leaves.begin());
  std::vector<Hash32> siblings;
  for (const std::vector<Hash32>& layer : layers_) {
    std::size_t pair = index % 2 == 1 ? index - 1 : index + 1;
    if (pair < layer.size()) siblings.push_back(layer[pair]);
    index /= 2;
  }
  return siblings;
}

bool check_batch_proof(const std::vector<Hash32>& proof, const Hash32& merkle_root,
                       const Hash32& target_hash) {
  Hash32 node = target_hash;
  for (const Hash32& sibling : proof) node = combine_sorted_pair(node, sibling);
  return node == merkle_root;
}

}  // namespace onebill::tradetrust
