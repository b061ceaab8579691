#include "transparency/merkle.h"

#include <sodium.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <map>
#include <string>

namespace entente::transparency {

namespace {

// Largest power of two strictly less than n (n >= 2): RFC 9162's k.
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

NodeId PerfectAt(std::uint64_t begin, std::uint64_t width) {
  int level = std::countr_zero(width);
  assert(std::has_single_bit(width) && begin % width == 0);
  return NodeId{level, begin >> level};
}

// The proof algorithms below only name subtrees D[begin:end] that occur in
// the MTH recursion, so `begin` is a multiple of the largest power of two
// not above end - begin, and the left part of every split is perfect.
// `get` returns the hash of one perfect subtree.

// MTH(D[begin:end]), end > begin.
template <class Get>
Hash RangeHash(Get& get, std::uint64_t begin, std::uint64_t end) {
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n)) return get(PerfectAt(begin, n));
  std::uint64_t k = Split(n);
  Hash left = get(PerfectAt(begin, k));
  return NodeHash(left, RangeHash(get, begin + k, end));
}

// PATH(m, D[begin:end]), RFC 9162 2.1.3.1; m is relative to begin.
template <class Get>
void Path(Get& get, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
          std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (n <= 1) return;
  std::uint64_t k = Split(n);
  if (m < k) {
    Path(get, m, begin, begin + k, out);
    out.push_back(RangeHash(get, begin + k, end));
  } else {
    Path(get, m - k, begin + k, end, out);
    out.push_back(RangeHash(get, begin, begin + k));
  }
}

// SUBPROOF(m, D[begin:end], b), RFC 9162 2.1.4.1.
template <class Get>
void SubProof(Get& get, std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool whole,
              std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(RangeHash(get, begin, end));
    return;
  }
  std::uint64_t k = Split(n);
  if (m <= k) {
    SubProof(get, m, begin, begin + k, whole, out);
    out.push_back(RangeHash(get, begin + k, end));
  } else {
    SubProof(get, m - k, begin + k, end, false, out);
    out.push_back(RangeHash(get, begin, begin + k));
  }
}

// Runs `compute(get)` twice: first to learn which nodes it needs (the
// control flow depends on sizes only, never on hash values), then with
// their hashes, read in one call.
template <class Compute>
auto WithNodes(const NodeReader& read, Compute&& compute)
    -> Result<decltype(compute(std::declval<std::function<Hash(NodeId)>&>()))> {
  std::vector<NodeId> ids;
  std::function<Hash(NodeId)> record = [&](NodeId id) {
    ids.push_back(id);
    return Hash{};
  };
  compute(record);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<Hash> hashes;
  if (!ids.empty()) hashes = ENTENTE_TRY(read(ids));
  if (hashes.size() != ids.size())
    return Fail(ErrorCode::kInternal, "the node reader returned " + std::to_string(hashes.size()) +
                                          " hashes for " + std::to_string(ids.size()) + " nodes");
  std::map<NodeId, Hash> known;
  for (size_t i = 0; i < ids.size(); ++i) known.emplace(ids[i], hashes[i]);
  std::function<Hash(NodeId)> lookup = [&](NodeId id) { return known.at(id); };
  return compute(lookup);
}

// Reference: MTH and PATH/SUBPROOF over leaves in memory.
Hash RefRoot(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot();
  if (leaves.size() == 1) return leaves[0];
  std::uint64_t k = Split(leaves.size());
  return NodeHash(RefRoot(leaves.subspan(0, k)), RefRoot(leaves.subspan(k)));
}

void RefPath(std::span<const Hash> leaves, std::uint64_t m, std::vector<Hash>& out) {
  std::uint64_t n = leaves.size();
  if (n <= 1) return;
  std::uint64_t k = Split(n);
  if (m < k) {
    RefPath(leaves.subspan(0, k), m, out);
    out.push_back(RefRoot(leaves.subspan(k)));
  } else {
    RefPath(leaves.subspan(k), m - k, out);
    out.push_back(RefRoot(leaves.subspan(0, k)));
  }
}

void RefSubProof(std::uint64_t m, std::span<const Hash> leaves, bool whole,
                 std::vector<Hash>& out) {
  std::uint64_t n = leaves.size();
  if (m == n) {
    if (!whole) out.push_back(RefRoot(leaves));
    return;
  }
  std::uint64_t k = Split(n);
  if (m <= k) {
    RefSubProof(m, leaves.subspan(0, k), whole, out);
    out.push_back(RefRoot(leaves.subspan(k)));
  } else {
    RefSubProof(m - k, leaves.subspan(k), false, out);
    out.push_back(RefRoot(leaves.subspan(0, k)));
  }
}

std::string Num(std::uint64_t n) { return std::to_string(n); }

}  // namespace

Hash LeafHash(std::span<const std::uint8_t> data) { return Sha(0x00, data); }

Hash NodeHash(const Hash& left, const Hash& right) { return Sha(0x01, left, right); }

Hash EmptyRoot() {
  Hash out;
  crypto_hash_sha256(out.data(), nullptr, 0);
  return out;
}

std::vector<NodeId> EdgeNodes(std::uint64_t size) {
  std::vector<NodeId> out;
  std::uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    std::uint64_t width = std::uint64_t{1} << level;
    if (size & width) {
      out.push_back(NodeId{level, begin >> level});
      begin += width;
    }
  }
  return out;
}

NodeReader InMemoryReader(std::span<const Hash> leaves) {
  return [leaves](std::span<const NodeId> ids) -> Result<std::vector<Hash>> {
    std::vector<Hash> out;
    out.reserve(ids.size());
    for (const NodeId& id : ids) {
      std::uint64_t width = std::uint64_t{1} << id.level;
      if (id.level >= 63 || id.first_leaf() + width > leaves.size())
        return Fail(ErrorCode::kNotFound, "node beyond the leaves");
      out.push_back(RefRoot(leaves.subspan(id.first_leaf(), width)));
    }
    return out;
  };
}

Result<Hash> Root(const NodeReader& read, std::uint64_t size) {
  if (size == 0) return EmptyRoot();
  return WithNodes(read, [&](auto& get) { return RangeHash(get, 0, size); });
}

Result<std::vector<Hash>> InclusionProof(const NodeReader& read, std::uint64_t index,
                                         std::uint64_t size) {
  if (index >= size)
    return Invalid("leaf index " + Num(index) + " is outside a tree of " + Num(size) + " leaves",
                   "leaf_index");
  return WithNodes(read, [&](auto& get) {
    std::vector<Hash> out;
    Path(get, index, 0, size, out);
    return out;
  });
}

Result<std::vector<Hash>> ConsistencyProof(const NodeReader& read, std::uint64_t old_size,
                                           std::uint64_t new_size) {
  if (old_size > new_size)
    return Invalid("the first tree size (" + Num(old_size) + ") is larger than the second (" +
                       Num(new_size) + ")",
                   "first");
  if (old_size == 0 || old_size == new_size) return std::vector<Hash>{};
  return WithNodes(read, [&](auto& get) {
    std::vector<Hash> out;
    SubProof(get, old_size, 0, new_size, true, out);
    return out;
  });
}

Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  if (index >= size)
    return Fail(ErrorCode::kDataLoss,
                "leaf index " + Num(index) + " is outside a tree of " + Num(size) + " leaves");
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Fail(ErrorCode::kDataLoss, "the inclusion proof is too long");
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
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
  if (sn != 0) return Fail(ErrorCode::kDataLoss, "the inclusion proof is too short");
  if (r != root)
    return Fail(ErrorCode::kDataLoss, "the inclusion proof does not lead to the root hash");
  return Ok();
}

Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size)
    return Fail(ErrorCode::kDataLoss, "the first tree is larger than the second");
  if (old_size == new_size) {
    if (!proof.empty())
      return Fail(ErrorCode::kDataLoss, "the proof must be empty for equal tree sizes");
    if (old_root != new_root)
      return Fail(ErrorCode::kDataLoss, "equal tree sizes but different root hashes");
    return Ok();
  }
  if (old_size == 0) {
    if (!proof.empty())
      return Fail(ErrorCode::kDataLoss, "the proof must be empty from the empty tree");
    return Ok();
  }
  if (proof.empty()) return Fail(ErrorCode::kDataLoss, "the consistency proof is empty");
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  // When the first size is a power of two, its root is the first node.
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return Fail(ErrorCode::kDataLoss, "the consistency proof is too long");
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
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
  if (sn != 0) return Fail(ErrorCode::kDataLoss, "the consistency proof is too short");
  if (fr != old_root)
    return Fail(ErrorCode::kDataLoss, "the consistency proof does not lead to the first root");
  if (sr != new_root)
    return Fail(ErrorCode::kDataLoss, "the consistency proof does not lead to the second root");
  return Ok();
}

Result<CompactRange> CompactRange::FromEdge(std::uint64_t size, std::vector<Hash> edge) {
  if (edge.size() != static_cast<size_t>(std::popcount(size)))
    return Fail(ErrorCode::kInternal, "a compact range of " + Num(size) + " leaves needs " +
                                          Num(std::popcount(size)) + " hashes");
  CompactRange r;
  r.size_ = size;
  r.edge_ = std::move(edge);
  return r;
}

Hash CompactRange::Root() const {
  if (edge_.empty()) return EmptyRoot();
  Hash r = edge_.back();
  for (size_t i = edge_.size() - 1; i-- > 0;) r = NodeHash(edge_[i], r);
  return r;
}

namespace reference {

Hash Root(std::span<const Hash> leaves) { return RefRoot(leaves); }

std::vector<Hash> InclusionProof(std::span<const Hash> leaves, std::uint64_t index) {
  std::vector<Hash> out;
  if (index < leaves.size()) RefPath(leaves, index, out);
  return out;
}

std::vector<Hash> ConsistencyProof(std::span<const Hash> leaves, std::uint64_t old_size) {
  std::vector<Hash> out;
  if (old_size == 0 || old_size >= leaves.size()) return out;
  RefSubProof(old_size, leaves, true, out);
  return out;
}

}  // namespace reference

}  // namespace entente::transparency
