#include "merkle/merkle.h"

#include <sodium.h>

#include <bit>

namespace entente::merkle {

namespace {

// Largest power of two strictly less than n (n >= 2).
std::uint64_t Split(std::uint64_t n) { return std::bit_floor(n - 1); }

Hash Sha(std::uint8_t prefix, std::span<const std::uint8_t> a,
         std::span<const std::uint8_t> b = {}) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, &prefix, 1);
  if (!a.empty()) crypto_hash_sha256_update(&st, a.data(), a.size());
  if (!b.empty()) crypto_hash_sha256_update(&st, b.data(), b.size());
  Hash out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

void Path(std::span<const Hash> leaves, std::uint64_t m, std::vector<Hash>& out) {
  std::uint64_t n = leaves.size();
  if (n <= 1) return;
  std::uint64_t k = Split(n);
  if (m < k) {
    Path(leaves.subspan(0, k), m, out);
    out.push_back(Root(leaves.subspan(k)));
  } else {
    Path(leaves.subspan(k), m - k, out);
    out.push_back(Root(leaves.subspan(0, k)));
  }
}

// SUBPROOF(m, D[n], b) of RFC 9162 section 2.1.4.1.
void SubProof(std::uint64_t m, std::span<const Hash> leaves, bool whole, std::vector<Hash>& out) {
  std::uint64_t n = leaves.size();
  if (m == n) {
    if (!whole) out.push_back(Root(leaves));
    return;
  }
  std::uint64_t k = Split(n);
  if (m <= k) {
    SubProof(m, leaves.subspan(0, k), whole, out);
    out.push_back(Root(leaves.subspan(k)));
  } else {
    SubProof(m - k, leaves.subspan(k), false, out);
    out.push_back(Root(leaves.subspan(0, k)));
  }
}

}  // namespace

Hash LeafHash(std::span<const std::uint8_t> data) { return Sha(0x00, data); }

Hash NodeHash(const Hash& left, const Hash& right) { return Sha(0x01, left, right); }

Hash Root(std::span<const Hash> leaves) {
  if (leaves.empty()) {
    Hash out;
    crypto_hash_sha256(out.data(), nullptr, 0);
    return out;
  }
  if (leaves.size() == 1) return leaves[0];
  std::uint64_t k = Split(leaves.size());
  return NodeHash(Root(leaves.subspan(0, k)), Root(leaves.subspan(k)));
}

Result<std::vector<Hash>> InclusionProof(std::span<const Hash> leaves, std::uint64_t index) {
  if (index >= leaves.size())
    return Invalid("leaf index " + std::to_string(index) + " is outside a tree of " +
                       std::to_string(leaves.size()) + " leaves",
                   "leaf_index");
  std::vector<Hash> out;
  Path(leaves, index, out);
  return out;
}

Result<std::vector<Hash>> ConsistencyProof(std::span<const Hash> leaves, std::uint64_t old_size) {
  if (old_size > leaves.size())
    return Invalid("the first tree size is larger than the second", "first");
  std::vector<Hash> out;
  if (old_size == 0 || old_size == leaves.size()) return out;
  SubProof(old_size, leaves, true, out);
  return out;
}

Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  if (index >= size) return Fail(ErrorCode::kDataLoss, "leaf index is outside the tree");
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Fail(ErrorCode::kDataLoss, "inclusion proof is too long");
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0)
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail(ErrorCode::kDataLoss, "inclusion proof is too short");
  if (r != root) return Fail(ErrorCode::kDataLoss, "inclusion proof does not lead to the root");
  return Ok();
}

Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) return Fail(ErrorCode::kDataLoss, "the first tree is larger");
  if (old_size == new_size) {
    if (!proof.empty()) return Fail(ErrorCode::kDataLoss, "proof must be empty for equal sizes");
    if (old_root != new_root) return Fail(ErrorCode::kDataLoss, "equal sizes but different roots");
    return Ok();
  }
  if (old_size == 0) {
    if (!proof.empty()) return Fail(ErrorCode::kDataLoss, "proof must be empty from an empty tree");
    return Ok();
  }
  if (proof.empty()) return Fail(ErrorCode::kDataLoss, "consistency proof is empty");
  std::vector<Hash> path(proof.begin(), proof.end());
  // If the old size is a power of two, the old root is the first node.
  if (std::has_single_bit(old_size)) path.insert(path.begin(), old_root);
  std::uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return Fail(ErrorCode::kDataLoss, "consistency proof is too long");
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0)
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail(ErrorCode::kDataLoss, "consistency proof is too short");
  if (fr != old_root)
    return Fail(ErrorCode::kDataLoss, "consistency proof does not lead to the first root");
  if (sr != new_root)
    return Fail(ErrorCode::kDataLoss, "consistency proof does not lead to the second root");
  return Ok();
}

}  // namespace entente::merkle
