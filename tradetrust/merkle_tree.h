// The batch tree of OpenAttestation (wrapDocuments): the target hashes of a batch, sorted bytewise, are
// paired level by level with keccak256(min(a,b) ‖ max(a,b)); an odd last node is promoted unchanged.
// A document carries its sibling path as signature.proof. (Not RFC 6962: see crypto/merkle.h.)
#pragma once

#include <vector>

#include "crypto/bytes.h"

namespace onebill::tradetrust {

// keccak256 of the two hashes concatenated in ascending byte order.
Hash32 combine_sorted_pair(const Hash32& first, const Hash32& second);

class BatchTree {
 public:
  // Precondition: at least one element.
  explicit BatchTree(std::vector<Hash32> elements);
  const Hash32& root() const;
  // Sibling hashes from the leaf to the root. Precondition: `element` is one of the elements.
  std::vector<Hash32> proof(const Hash32& element) const;

 private:
  std::vector<std::vector<Hash32>> layers_;  // layers_[0] = sorted elements, last = {root}
};

// Folds the proof into the target hash and compares with the root (library: checkProof).
bool check_batch_proof(const std::vector<Hash32>& proof, const Hash32& merkle_root,
                       const Hash32& target_hash);

}  // namespace onebill::tradetrust
