#include "merkle/merkle.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "crypto/crypto.h"

namespace entente::merkle {
namespace {

Hash H(std::string_view hex) {
  auto b = crypto::HexDecode(hex).value();
  Hash h;
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

// The RFC 6962 reference leaves and tree heads, as published with the
// Certificate Transparency implementations (google/certificate-transparency
// and certificate-transparency-go, merkle tree test data).
const char* kLeaves[] = {"",
                         "00",
                         "10",
                         "2021",
                         "3031",
                         "40414243",
                         "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f"};
const char* kRoots[] = {
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

std::vector<Hash> ReferenceLeaves() {
  std::vector<Hash> out;
  for (const char* l : kLeaves) out.push_back(LeafHash(crypto::HexDecode(l).value()));
  return out;
}

TEST(Merkle, RootsMatchRfc6962ReferenceVectors) {
  ASSERT_GE(sodium_init(), 0);
  auto leaves = ReferenceLeaves();
  for (size_t n = 0; n <= leaves.size(); ++n)
    EXPECT_EQ(crypto::HexEncode(Root(std::span(leaves).first(n))), kRoots[n]) << n;
}

TEST(Merkle, InclusionProofsMatchReferenceVectors) {
  auto leaves = ReferenceLeaves();
  struct V {
    std::uint64_t index, size;
    std::vector<const char*> proof;
  } vectors[] = {
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
  };
  for (const auto& v : vectors) {
    auto proof = InclusionProof(std::span(leaves).first(v.size), v.index);
    ASSERT_TRUE(proof);
    ASSERT_EQ(proof->size(), v.proof.size());
    for (size_t i = 0; i < v.proof.size(); ++i)
      EXPECT_EQ(crypto::HexEncode((*proof)[i]), v.proof[i]);
    EXPECT_TRUE(VerifyInclusion(leaves[v.index], v.index, v.size, *proof, H(kRoots[v.size])));
  }
}

TEST(Merkle, ConsistencyProofsMatchReferenceVectors) {
  auto leaves = ReferenceLeaves();
  struct V {
    std::uint64_t m, n;
    std::vector<const char*> proof;
  } vectors[] = {
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const auto& v : vectors) {
    auto proof = ConsistencyProof(std::span(leaves).first(v.n), v.m);
    ASSERT_TRUE(proof);
    ASSERT_EQ(proof->size(), v.proof.size()) << v.m << "->" << v.n;
    for (size_t i = 0; i < v.proof.size(); ++i)
      EXPECT_EQ(crypto::HexEncode((*proof)[i]), v.proof[i]) << v.m << "->" << v.n << " #" << i;
    EXPECT_TRUE(VerifyConsistency(v.m, v.n, H(kRoots[v.m]), H(kRoots[v.n]), *proof));
  }
}

// Every leaf of every tree size up to 40, every pair of sizes: proofs verify,
// and any flipped bit, wrong index, wrong size or wrong root fails.
TEST(Merkle, ProofsVerifyAndTamperingFailsForAllShapes) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 40; ++i) {
    std::string s = "envelope-" + std::to_string(i);
    leaves.push_back(LeafHash(crypto::AsBytes(s)));
  }
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    auto tree = std::span(leaves).first(n);
    Hash root = Root(tree);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto proof = *InclusionProof(tree, i);
      ASSERT_TRUE(VerifyInclusion(tree[i], i, n, proof, root)) << i << "/" << n;
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(tree[i], (i + 1) % n, n, proof, root));
        auto bad = proof;
        bad[0][0] ^= 1;
        EXPECT_FALSE(VerifyInclusion(tree[i], i, n, bad, root));
        EXPECT_FALSE(VerifyInclusion(tree[(i + 1) % n], i, n, proof, root));
      }
      // (A proof for size n can also verify for another size with the same
      // root; the signed tree head binds size and root together.)
      EXPECT_FALSE(
          VerifyInclusion(tree[i], i, n + 1, proof,
                          Root(std::span(leaves).first(std::min<std::uint64_t>(n + 1, 40)))) &&
          n < 40);
    }
    for (std::uint64_t m = 0; m <= n; ++m) {
      Hash old_root = Root(tree.first(m));
      auto proof = *ConsistencyProof(tree, m);
      ASSERT_TRUE(VerifyConsistency(m, n, old_root, root, proof)) << m << "->" << n;
      if (m > 0 && m < n) {
        auto bad = proof;
        bad.back()[31] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, root, bad));
        Hash other = old_root;
        other[0] ^= 1;
        EXPECT_FALSE(VerifyConsistency(m, n, other, root, proof));
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, other, proof));
      }
    }
  }
  EXPECT_FALSE(InclusionProof(leaves, 40));
  EXPECT_FALSE(ConsistencyProof(std::span(leaves).first(3), 4));
}

}  // namespace
}  // namespace entente::merkle
