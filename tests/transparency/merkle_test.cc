// RFC 9162 hashing and proofs against the published RFC 6962 reference
// vectors, and exhaustively for every tree shape up to 64 leaves.
#include "transparency/merkle.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/crypto.h"

namespace entente::transparency {
namespace {

Hash H(std::string_view hex) {
  auto b = crypto::HexDecode(hex).value();
  Hash h{};
  EXPECT_EQ(b.size(), h.size()) << hex;
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

std::string HashHex(const Hash& h) { return crypto::HexEncode(h); }

std::vector<Hash> Hs(std::initializer_list<const char*> hex) {
  std::vector<Hash> out;
  for (const char* h : hex) out.push_back(H(h));
  return out;
}

// ---- Reference vectors --------------------------------------------------------
// From transparency-dev/merkle (the Go implementation of RFC 6962/9162 used by
// Certificate Transparency and Trillian), files:
//   testonly/constants.go  LeafInputs(), NodeHashes(), RootHashes(), CompactTrees()
//   proof/verify_test.go   inclusionProofs, consistencyProofs, roots
// (the same data as google/certificate-transparency's merkle_tree_test.cc).
const char* kLeafInputs[] = {"",
                             "00",
                             "10",
                             "2021",
                             "3031",
                             "40414243",
                             "5051525354555657",
                             "606162636465666768696a6b6c6d6e6f"};

// RootHashes(): index = tree size, 0 (empty) to 8.
const char* kRootHashes[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// NodeHashes(): [level][index] of every perfect subtree of the 8-leaf tree.
const std::vector<std::vector<const char*>> kNodeHashes = {
    {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
    {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
    {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
    {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

// proof/verify_test.go inclusionProofs: {leaf (1-based there), size, proof}.
struct InclusionVector {
  std::uint64_t index, size;  // index 0-based here
  std::vector<Hash> proof;
};
std::vector<InclusionVector> InclusionVectors() {
  return {
      {0, 1, {}},
      {0, 8,
       Hs({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {5, 8,
       Hs({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 3, Hs({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
      {1, 5,
       Hs({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
  };
}

// proof/verify_test.go consistencyProofs: {size1, size2, proof}.
struct ConsistencyVector {
  std::uint64_t first, second;
  std::vector<Hash> proof;
};
std::vector<ConsistencyVector> ConsistencyVectors() {
  return {
      {1, 1, {}},
      {1, 8,
       Hs({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
           "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {6, 8,
       Hs({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 5,
       Hs({"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
      {6, 7,
       Hs({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
           "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
  };
}

std::vector<Hash> VectorLeaves() {
  std::vector<Hash> out;
  for (const char* l : kLeafInputs) out.push_back(LeafHash(crypto::HexDecode(l).value()));
  return out;
}

std::vector<Hash> Leaves(int n) {
  std::vector<Hash> out;
  for (int i = 0; i < n; ++i) {
    std::string s = "{\"envelope\":" + std::to_string(i) + "}";
    out.push_back(LeafHash(crypto::AsBytes(s)));
  }
  return out;
}

class Merkle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Init()); }
};

TEST_F(Merkle, RootsMatchReferenceVectors) {
  auto leaves = VectorLeaves();
  EXPECT_EQ(HashHex(EmptyRoot()), kRootHashes[0]);
  for (size_t n = 0; n <= leaves.size(); ++n) {
    auto tree = std::span(leaves).first(n);
    EXPECT_EQ(HashHex(reference::Root(tree)), kRootHashes[n]) << n;
    EXPECT_EQ(HashHex(Root(InMemoryReader(tree), n).value()), kRootHashes[n]) << n;
  }
}

TEST_F(Merkle, CompactRangeCompletesEveryReferenceNode) {
  auto leaves = VectorLeaves();
  CompactRange range;
  int completed = 0;
  for (size_t i = 0; i < leaves.size(); ++i) {
    range.Append(leaves[i], [&](NodeId id, const Hash& h) {
      ++completed;
      ASSERT_LT(static_cast<size_t>(id.level), kNodeHashes.size());
      ASSERT_LT(id.index, kNodeHashes[id.level].size());
      EXPECT_EQ(HashHex(h), kNodeHashes[id.level][id.index]) << id.level << "/" << id.index;
    });
    EXPECT_EQ(range.size(), i + 1);
    EXPECT_EQ(HashHex(range.Root()), kRootHashes[i + 1]) << i + 1;
    // The edge is the stored nodes EdgeNodes() names (testonly CompactTrees()).
    auto ids = EdgeNodes(i + 1);
    ASSERT_EQ(ids.size(), range.edge().size());
    for (size_t k = 0; k < ids.size(); ++k)
      EXPECT_EQ(HashHex(range.edge()[k]), kNodeHashes[ids[k].level][ids[k].index]);
  }
  EXPECT_EQ(completed, 8 + 4 + 2 + 1);
  EXPECT_EQ(HashHex(CompactRange().Root()), kRootHashes[0]);
}

TEST_F(Merkle, InclusionProofsMatchReferenceVectors) {
  auto leaves = VectorLeaves();
  for (const auto& v : InclusionVectors()) {
    auto tree = std::span(leaves).first(v.size);
    auto proof = InclusionProof(InMemoryReader(tree), v.index, v.size);
    ASSERT_TRUE(proof) << proof.error().ToString();
    EXPECT_EQ(*proof, v.proof) << v.index << "/" << v.size;
    EXPECT_EQ(reference::InclusionProof(tree, v.index), v.proof);
    EXPECT_TRUE(VerifyInclusion(leaves[v.index], v.index, v.size, v.proof, H(kRootHashes[v.size])));
  }
}

TEST_F(Merkle, ConsistencyProofsMatchReferenceVectors) {
  auto leaves = VectorLeaves();
  for (const auto& v : ConsistencyVectors()) {
    auto tree = std::span(leaves).first(v.second);
    auto proof = ConsistencyProof(InMemoryReader(tree), v.first, v.second);
    ASSERT_TRUE(proof) << proof.error().ToString();
    EXPECT_EQ(*proof, v.proof) << v.first << "->" << v.second;
    EXPECT_EQ(reference::ConsistencyProof(tree, v.first), v.proof);
    EXPECT_TRUE(VerifyConsistency(v.first, v.second, H(kRootHashes[v.first]),
                                  H(kRootHashes[v.second]), v.proof));
  }
}

// The corruptions the reference implementation probes its verifier with
// (proof/verify_test.go corruptInclusionProof): none may verify.
TEST_F(Merkle, CorruptedInclusionProofsFail) {
  auto leaves = VectorLeaves();
  Hash some = H("abacaba000000000000000000000000000000000000000000060061e00123456");
  for (const auto& v : InclusionVectors()) {
    if (v.size < 2) continue;
    Hash root = H(kRootHashes[v.size]);
    Hash leaf = leaves[v.index];
    auto fails = [&](std::uint64_t i, std::uint64_t n, const Hash& l, const std::vector<Hash>& p,
                     const Hash& r, const char* what) {
      EXPECT_FALSE(VerifyInclusion(l, i, n, p, r)) << what << " " << v.index << "/" << v.size;
    };
    fails(v.index - 1, v.size, leaf, v.proof, root, "index - 1");
    fails(v.index + 1, v.size, leaf, v.proof, root, "index + 1");
    fails(v.index ^ 2, v.size, leaf, v.proof, root, "index ^ 2");
    fails(v.index, v.size * 2, leaf, v.proof, root, "size * 2");
    fails(v.index, v.size / 2, leaf, v.proof, root, "size / 2");
    fails(v.index, v.size, LeafHash(crypto::AsBytes("WrongLeaf")), v.proof, root, "wrong leaf");
    fails(v.index, v.size, leaf, v.proof, EmptyRoot(), "empty root");
    fails(v.index, v.size, leaf, v.proof, some, "random root");
    auto with = [&](std::vector<Hash> p, size_t at, const Hash& h) {
      p.insert(p.begin() + static_cast<std::ptrdiff_t>(at), h);
      return p;
    };
    fails(v.index, v.size, leaf, with(v.proof, v.proof.size(), Hash{}), root, "trailing garbage");
    fails(v.index, v.size, leaf, with(v.proof, v.proof.size(), root), root, "trailing root");
    fails(v.index, v.size, leaf, with(v.proof, 0, Hash{}), root, "preceding garbage");
    fails(v.index, v.size, leaf, with(v.proof, 0, root), root, "preceding root");
    for (size_t i = 0; i < v.proof.size(); ++i) {
      auto p = v.proof;
      p[i][0] ^= 8;
      fails(v.index, v.size, leaf, p, root, "flipped bit");
    }
    fails(v.index, v.size, leaf, std::vector<Hash>(v.proof.begin(), v.proof.end() - 1), root,
          "removed component");
    if (v.proof.size() > 1) fails(v.index, v.size, leaf, with(v.proof, 1, some), root, "inserted");
  }
}

// proof/verify_test.go corruptConsistencyProof.
TEST_F(Merkle, CorruptedConsistencyProofsFail) {
  for (const auto& v : ConsistencyVectors()) {
    if (v.proof.empty()) continue;
    Hash r1 = H(kRootHashes[v.first]), r2 = H(kRootHashes[v.second]);
    auto fails = [&](std::uint64_t m, std::uint64_t n, const Hash& a, const Hash& b,
                     const std::vector<Hash>& p, const char* what) {
      EXPECT_FALSE(VerifyConsistency(m, n, a, b, p)) << what << " " << v.first << "->" << v.second;
    };
    Hash wrong = LeafHash(crypto::AsBytes("WrongRoot"));
    fails(v.first - 1, v.second, r1, r2, v.proof, "size1 - 1");
    fails(v.first + 1, v.second, r1, r2, v.proof, "size1 + 1");
    fails(v.first ^ 2, v.second, r1, r2, v.proof, "size1 ^ 2");
    fails(v.first, v.second * 2, r1, r2, v.proof, "size2 * 2");
    fails(v.first, v.second / 2, r1, r2, v.proof, "size2 / 2");
    fails(v.first, v.second, wrong, r2, v.proof, "wrong root1");
    fails(v.first, v.second, r1, wrong, v.proof, "wrong root2");
    fails(v.first, v.second, r2, r1, v.proof, "swapped roots");
    fails(v.first, v.second, r1, r2, {}, "empty proof");
    auto with = [&](std::vector<Hash> p, size_t at, const Hash& h) {
      p.insert(p.begin() + static_cast<std::ptrdiff_t>(at), h);
      return p;
    };
    fails(v.first, v.second, r1, r2, with(v.proof, v.proof.size(), Hash{}), "trailing garbage");
    fails(v.first, v.second, r1, r2, with(v.proof, v.proof.size(), r1), "trailing root1");
    fails(v.first, v.second, r1, r2, with(v.proof, v.proof.size(), r2), "trailing root2");
    fails(v.first, v.second, r1, r2, with(v.proof, 0, Hash{}), "preceding garbage");
    fails(v.first, v.second, r1, r2, with(v.proof, 0, r1), "preceding root1");
    fails(v.first, v.second, r1, r2, with(v.proof, 0, r2), "preceding root2");
    fails(v.first, v.second, r1, r2, with(v.proof, 0, v.proof[0]), "preceding proof[0]");
    fails(v.first, v.second, r1, r2, std::vector<Hash>(v.proof.begin(), v.proof.end() - 1),
          "truncated");
    for (size_t i = 0; i < v.proof.size(); ++i) {
      auto p = v.proof;
      p[i][0] ^= 16;
      fails(v.first, v.second, r1, r2, p, "flipped bit");
    }
  }
}

TEST_F(Merkle, TrivialConsistencyCases) {
  Hash a = LeafHash(crypto::AsBytes("a")), b = LeafHash(crypto::AsBytes("b"));
  EXPECT_TRUE(VerifyConsistency(0, 0, a, a, {}));
  EXPECT_TRUE(VerifyConsistency(0, 1, a, b, {}));
  EXPECT_TRUE(VerifyConsistency(1, 1, b, b, {}));
  EXPECT_FALSE(VerifyConsistency(1, 1, a, b, {}));
  EXPECT_FALSE(VerifyConsistency(1, 0, a, b, {}));
  EXPECT_FALSE(VerifyConsistency(2, 1, a, b, {}));
  EXPECT_FALSE(VerifyConsistency(1, 2, a, b, {}));
  EXPECT_FALSE(VerifyConsistency(0, 1, EmptyRoot(), EmptyRoot(), std::vector<Hash>{EmptyRoot()}));
  EXPECT_FALSE(VerifyConsistency(1, 1, EmptyRoot(), EmptyRoot(), std::vector<Hash>{EmptyRoot()}));
  EXPECT_FALSE(VerifyInclusion(a, 0, 0, {}, a));
  EXPECT_FALSE(VerifyInclusion(a, 1, 1, {}, a));
  EXPECT_TRUE(VerifyInclusion(a, 0, 1, {}, a));
  EXPECT_FALSE(VerifyInclusion(a, 0, 1, {}, b));
}

// For every size 1..64: every leaf's proof equals the RFC transcription,
// verifies, and fails with any changed byte, a neighbour's index or leaf, or
// one hash fewer or more. Every pair of sizes: the consistency proof equals
// the transcription, verifies, and fails with a changed byte or root.
TEST_F(Merkle, ProofsVerifyAndAnyChangeFailsForAllShapesUpTo64) {
  constexpr int kMax = 64;
  auto leaves = Leaves(kMax);
  std::vector<Hash> roots;
  for (int n = 0; n <= kMax; ++n) roots.push_back(reference::Root(std::span(leaves).first(n)));
  for (std::uint64_t n = 1; n <= kMax; ++n) {
    auto tree = std::span(leaves).first(n);
    NodeReader read = InMemoryReader(tree);
    ASSERT_EQ(Root(read, n).value(), roots[n]);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto proof = InclusionProof(read, i, n).value();
      ASSERT_EQ(proof, reference::InclusionProof(tree, i)) << i << "/" << n;
      ASSERT_TRUE(VerifyInclusion(tree[i], i, n, proof, roots[n])) << i << "/" << n;
      for (size_t k = 0; k < proof.size(); ++k)
        for (size_t byte : {size_t{0}, size_t{17}, size_t{31}}) {
          auto bad = proof;
          bad[k][byte] ^= 0x01;
          EXPECT_FALSE(VerifyInclusion(tree[i], i, n, bad, roots[n])) << i << "/" << n;
        }
      Hash leaf = tree[i];
      leaf[5] ^= 0x40;
      EXPECT_FALSE(VerifyInclusion(leaf, i, n, proof, roots[n]));
      Hash root = roots[n];
      root[30] ^= 0x02;
      EXPECT_FALSE(VerifyInclusion(tree[i], i, n, proof, root));
      if (n > 1) {
        std::uint64_t other = (i + 1) % n;
        EXPECT_FALSE(VerifyInclusion(tree[i], other, n, proof, roots[n])) << i << "/" << n;
        EXPECT_FALSE(VerifyInclusion(tree[other], i, n, proof, roots[n])) << i << "/" << n;
        auto shorter = proof;
        shorter.pop_back();
        EXPECT_FALSE(VerifyInclusion(tree[i], i, n, shorter, roots[n]));
      }
      auto longer = proof;
      longer.push_back(roots[n]);
      EXPECT_FALSE(VerifyInclusion(tree[i], i, n, longer, roots[n]));
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      auto proof = ConsistencyProof(read, m, n).value();
      ASSERT_EQ(proof, reference::ConsistencyProof(tree, m)) << m << "->" << n;
      ASSERT_TRUE(VerifyConsistency(m, n, roots[m], roots[n], proof)) << m << "->" << n;
      if (m == n) continue;
      for (size_t k = 0; k < proof.size(); ++k) {
        auto bad = proof;
        bad[k][31] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(m, n, roots[m], roots[n], bad)) << m << "->" << n;
      }
      Hash other = roots[m];
      other[0] ^= 1;
      EXPECT_FALSE(VerifyConsistency(m, n, other, roots[n], proof));
      other = roots[n];
      other[0] ^= 1;
      EXPECT_FALSE(VerifyConsistency(m, n, roots[m], other, proof));
      EXPECT_FALSE(VerifyConsistency(m, n, roots[n], roots[m], proof));
    }
  }
}

TEST_F(Merkle, ProofsReadFewNodes) {
  // At 10 M leaves a proof reads O(log n) perfect subtrees, never leaves in bulk.
  constexpr std::uint64_t kSize = 10'000'000;
  size_t asked = 0;
  NodeReader count = [&](std::span<const NodeId> ids) -> Result<std::vector<Hash>> {
    asked += ids.size();
    return std::vector<Hash>(ids.size());
  };
  for (std::uint64_t i : {std::uint64_t{0}, std::uint64_t{4'999'999}, kSize - 1}) {
    asked = 0;
    ASSERT_TRUE(InclusionProof(count, i, kSize));
    EXPECT_LE(asked, 2u * 24u) << i;
  }
  asked = 0;
  ASSERT_TRUE(ConsistencyProof(count, 3'333'333, kSize));
  EXPECT_LE(asked, 3u * 24u);
  asked = 0;
  ASSERT_TRUE(Root(count, kSize));
  EXPECT_EQ(asked, EdgeNodes(kSize).size());
}

TEST_F(Merkle, BadArgumentsAreErrorsNotCrashes) {
  auto leaves = Leaves(5);
  auto read = InMemoryReader(leaves);
  EXPECT_FALSE(InclusionProof(read, 5, 5));
  EXPECT_FALSE(InclusionProof(read, 0, 0));
  EXPECT_FALSE(ConsistencyProof(read, 4, 3));
  EXPECT_FALSE(InclusionProof(read, 0, 6));  // the reader has only 5 leaves
  EXPECT_TRUE(ConsistencyProof(read, 0, 5).value().empty());
  EXPECT_FALSE(CompactRange::FromEdge(5, {}));
  EXPECT_TRUE(CompactRange::FromEdge(0, {}));
}

TEST_F(Merkle, EdgeNodesDecomposeTheSize) {
  EXPECT_TRUE(EdgeNodes(0).empty());
  auto e = EdgeNodes(13);  // 8 + 4 + 1
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0], (NodeId{3, 0}));
  EXPECT_EQ(e[1], (NodeId{2, 2}));
  EXPECT_EQ(e[2], (NodeId{0, 12}));
}

}  // namespace
}  // namespace entente::transparency
