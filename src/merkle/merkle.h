// RFC 9162 (RFC 6962) Merkle tree hashing, inclusion and consistency proofs,
// and their verification.
//
// Leaf hash = SHA-256(0x00 || data); interior = SHA-256(0x01 || left || right);
// the tree over n leaves splits at the largest power of two below n. The
// proof builders take all leaf hashes (O(n)); the verifiers need only the
// proof, the sizes and the roots, so anyone can check a receipt offline.
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"

namespace entente::merkle {

using Hash = std::array<std::uint8_t, 32>;

Hash LeafHash(std::span<const std::uint8_t> data);
Hash NodeHash(const Hash& left, const Hash& right);
// Merkle Tree Hash of the leaves (SHA-256 of nothing for an empty tree).
Hash Root(std::span<const Hash> leaves);

// Audit path of leaf `index` in the tree of all `leaves`.
Result<std::vector<Hash>> InclusionProof(std::span<const Hash> leaves, std::uint64_t index);
// Proof that the tree of the first `old_size` leaves is a prefix of the tree
// of all `leaves` (RFC 9162 section 2.1.4).
Result<std::vector<Hash>> ConsistencyProof(std::span<const Hash> leaves, std::uint64_t old_size);

// RFC 9162 section 2.1.3.2. kDataLoss with the reason when the proof fails.
Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       std::span<const Hash> proof, const Hash& root);
// RFC 9162 section 2.1.4.2.
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof);

}  // namespace entente::merkle
