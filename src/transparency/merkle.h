// RFC 9162 (RFC 6962) Merkle trees: hashing, the compact right edge of a
// growing tree, inclusion and consistency proofs, and their verification.
//
// Leaf hash = SHA-256(0x00 || data); interior = SHA-256(0x01 || left ||
// right); the tree over n leaves splits at the largest power of two below n.
//
// Proofs are built from the hashes of *perfect subtrees* (2^level leaves
// starting at a multiple of 2^level), read through a NodeReader: every
// subtree a proof names is either perfect or the right edge of the tree,
// which is at most one perfect subtree per bit of the size. So a proof at
// 10 M leaves reads about 2 log2(n) stored hashes, in one call.
// The `reference` functions transcribe the RFC over all leaves (O(n)); they
// are the oracle of the tests and the naive baseline of the benchmark.
//
// The verifiers need only the proof, the sizes and the roots, so anyone can
// check a receipt offline. Pure functions and value types; thread-safe.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/error.h"

namespace entente::transparency {

using Hash = std::array<std::uint8_t, 32>;

Hash LeafHash(std::span<const std::uint8_t> data);
Hash NodeHash(const Hash& left, const Hash& right);
// Merkle Tree Hash of the empty tree: SHA-256 of nothing.
Hash EmptyRoot();

// A perfect subtree: the 2^level leaves starting at leaf index << level.
struct NodeId {
  int level = 0;
  std::uint64_t index = 0;
  std::uint64_t first_leaf() const { return index << level; }
  auto operator<=>(const NodeId&) const = default;
};

// The perfect subtrees that make up the tree of `size` leaves, left to right
// (one per set bit of `size`, largest first).
std::vector<NodeId> EdgeNodes(std::uint64_t size);

// Reads the hashes of perfect subtrees, in the order asked. Fails (e.g.
// kDataLoss) when one is missing.
using NodeReader = std::function<Result<std::vector<Hash>>(std::span<const NodeId> ids)>;

// Perfect-subtree hashes computed from leaf hashes held in memory (tests,
// tools). Reading a node costs O(2^level).
NodeReader InMemoryReader(std::span<const Hash> leaves);

Result<Hash> Root(const NodeReader& read, std::uint64_t size);
// Audit path of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1).
Result<std::vector<Hash>> InclusionProof(const NodeReader& read, std::uint64_t index,
                                         std::uint64_t size);
// Proof that the tree of `old_size` leaves is a prefix of the tree of
// `new_size` leaves (RFC 9162 2.1.4.1). Empty when old_size is 0 or equal.
Result<std::vector<Hash>> ConsistencyProof(const NodeReader& read, std::uint64_t old_size,
                                           std::uint64_t new_size);

// RFC 9162 2.1.3.2. kDataLoss naming what failed.
Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       std::span<const Hash> proof, const Hash& root);
// RFC 9162 2.1.4.2.
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof);

// The right edge of a growing tree: one hash per set bit of its size. Appends
// are O(1) amortized and report every perfect subtree they complete, which is
// how the log stores its nodes and how `verify log` recomputes them.
class CompactRange {
 public:
  CompactRange() = default;
  // From the hashes of EdgeNodes(size), in that order.
  static Result<CompactRange> FromEdge(std::uint64_t size, std::vector<Hash> edge);

  // Appends a leaf hash. `completed(NodeId, const Hash&)` is called for the
  // leaf (level 0) and then for every perfect subtree it completes, upward.
  template <class F>
  void Append(const Hash& leaf, F&& completed) {
    Hash h = leaf;
    NodeId id{0, size_};
    completed(id, h);
    while (id.index & 1) {
      h = NodeHash(edge_.back(), h);
      edge_.pop_back();
      id = NodeId{id.level + 1, id.index >> 1};
      completed(id, h);
    }
    edge_.push_back(h);
    ++size_;
  }
  void Append(const Hash& leaf) {
    Append(leaf, [](NodeId, const Hash&) {});
  }

  Hash Root() const;
  std::uint64_t size() const { return size_; }
  const std::vector<Hash>& edge() const { return edge_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> edge_;  // hashes of EdgeNodes(size_)
};

namespace reference {
// RFC 9162 section 2.1.1 MTH over all leaves.
Hash Root(std::span<const Hash> leaves);
// PATH(m, D[n]); `index` must be < leaves.size().
std::vector<Hash> InclusionProof(std::span<const Hash> leaves, std::uint64_t index);
// PROOF(m, D[n]); `old_size` must be <= leaves.size().
std::vector<Hash> ConsistencyProof(std::span<const Hash> leaves, std::uint64_t old_size);
}  // namespace reference

}  // namespace entente::transparency
