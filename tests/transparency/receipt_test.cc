// Signed tree heads and receipts, verified offline with the node key only.
#include "transparency/receipt.h"

#include <gtest/gtest.h>

#include "core/ids.h"
#include "jcs/jcs.h"
#include "journal/envelope.h"

namespace entente::transparency {
namespace {

class ReceiptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Init()); }

  void SetUp() override {
    // A log of 11 envelopes; the receipt is for leaf 6 under a head of 11.
    auto author = crypto::GenerateSigningKey();
    std::string org = NewUuidV7(clock_);
    for (int i = 0; i < 11; ++i) {
      journal::Envelope e;
      e.type = "directory.org";
      e.id = NewUuidV7(clock_);
      e.origin_node = std::string(64, 'a');
      e.author_org = org;
      e.created = clock_.NowMillis();
      e.distribution.kind = journal::DistributionKind::kFederation;
      e.body = Json{{"org", {{"names", {{"en", "CERT " + std::to_string(i)}}}}}};
      ASSERT_TRUE(journal::SignEnvelope(e, author.secret_key));
      std::string canonical = e.Canonical().value();
      leaves_.push_back(LeafHash(crypto::AsBytes(canonical)));
      envelopes_.push_back(e.ToJson());
    }
    receipt_.envelope = envelopes_[6];
    receipt_.leaf_index = 6;
    receipt_.leaf_hash = leaves_[6];
    receipt_.inclusion_proof = InclusionProof(InMemoryReader(leaves_), 6, 11).value();
    receipt_.sth = SignTreeHead(11, reference::Root(leaves_), clock_.NowMillis(), node_.public_key,
                                node_.secret_key)
                       .value();
    receipt_.node_public_key = node_.public_key;
  }

  ManualClock clock_{1'750'000'000'000};
  crypto::SigningKeyPair node_ = crypto::GenerateSigningKey();
  std::vector<Hash> leaves_;
  std::vector<Json> envelopes_;
  Receipt receipt_;
};

TEST_F(ReceiptTest, VerifiesOfflineAndSaysWhat) {
  auto v = VerifyReceipt(receipt_, node_.public_key);
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->envelope_id, envelopes_[6]["id"].get<std::string>());
  EXPECT_EQ(v->leaf_index, 6u);
  EXPECT_EQ(v->tree_size, 11u);
  EXPECT_EQ(v->node_id, crypto::Fingerprint(node_.public_key));
}

TEST_F(ReceiptTest, RoundTripsThroughJsonText) {
  std::string text = receipt_.ToJson().dump(2);
  auto back = ParseReceipt(text);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, receipt_);
  EXPECT_EQ(back->ToJson(), receipt_.ToJson());
  EXPECT_TRUE(VerifyReceipt(*back, node_.public_key));
  auto sth = SignedTreeHead::FromJson(jcs::ParseUntrusted(receipt_.sth.ToJson().dump()).value());
  ASSERT_TRUE(sth);
  EXPECT_EQ(*sth, receipt_.sth);
}

TEST_F(ReceiptTest, EveryTamperingFails) {
  auto fails = [&](const Receipt& r, const char* field) {
    auto v = VerifyReceipt(r, node_.public_key);
    ASSERT_FALSE(v) << field;
    EXPECT_EQ(v.error().code, ErrorCode::kDataLoss) << field << ": " << v.error().ToString();
    EXPECT_EQ(v.error().field.substr(0, std::string(field).size()), field) << v.error().ToString();
  };
  Receipt r = receipt_;
  r.envelope["body"]["org"]["names"]["en"] = "CERT 666";
  fails(r, "leaf_hash");
  r = receipt_;
  r.envelope["unexpected"] = 1;
  fails(r, "envelope");
  r = receipt_;
  r.envelope = envelopes_[5];  // another envelope of the same log
  fails(r, "leaf_hash");
  r = receipt_;
  r.envelope = envelopes_[5];
  r.leaf_hash = leaves_[5];  // consistent leaf, but not at index 6
  fails(r, "inclusion_proof");
  r = receipt_;
  r.leaf_index = 7;
  fails(r, "inclusion_proof");
  r = receipt_;
  r.inclusion_proof[1][9] ^= 4;
  fails(r, "inclusion_proof");
  r = receipt_;
  r.inclusion_proof.pop_back();
  fails(r, "inclusion_proof");
  r = receipt_;
  r.sth.timestamp += 1;
  fails(r, "sth.signature");
  r = receipt_;
  r.sth.tree_size = 12;
  fails(r, "sth.signature");
  r = receipt_;
  r.sth.root_hash[0] ^= 1;
  fails(r, "sth.signature");
  r = receipt_;
  r.sth.signature[3] = r.sth.signature[3] == 'A' ? 'B' : 'A';
  fails(r, "sth.signature");
  // Signed by another node key, named as such: refused for this node's key.
  auto other = crypto::GenerateSigningKey();
  r = receipt_;
  r.sth = SignTreeHead(11, receipt_.sth.root_hash, receipt_.sth.timestamp, other.public_key,
                       other.secret_key)
              .value();
  r.node_public_key = other.public_key;
  fails(r, "node_public_key");
  // ... and with this node's key named, the tree head does not match.
  r.node_public_key = node_.public_key;
  fails(r, "sth.node_id");
  // A head signed by the node over a different tree.
  r = receipt_;
  Hash bogus = reference::Root(std::span(leaves_).first(10));
  r.sth = SignTreeHead(11, bogus, 1, node_.public_key, node_.secret_key).value();
  fails(r, "inclusion_proof");
}

TEST_F(ReceiptTest, DecodingIsStrict) {
  Json good = receipt_.ToJson();
  auto bad = [&](Json j, const std::string& field) {
    auto r = Receipt::FromJson(j);
    ASSERT_FALSE(r) << field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, field) << r.error().ToString();
  };
  Json j = good;
  j["extra"] = true;
  bad(j, "extra");
  j = good;
  j.erase("leaf_hash");
  bad(j, "leaf_hash");
  j = good;
  j["leaf_index"] = -1;
  bad(j, "leaf_index");
  j = good;
  j["leaf_index"] = 9007199254740992ull;  // 2^53
  bad(j, "leaf_index");
  j = good;
  j["leaf_index"] = 1.5;
  bad(j, "leaf_index");
  j = good;
  j["leaf_hash"] = "zz";
  bad(j, "leaf_hash");
  j = good;
  j["inclusion_proof"][0] = std::string(63, 'a') + "g";
  bad(j, "inclusion_proof[0]");
  j = good;
  j["inclusion_proof"] = Json::array();
  for (int i = 0; i < 65; ++i) j["inclusion_proof"].push_back(std::string(64, '0'));
  bad(j, "inclusion_proof");
  j = good;
  j["sth"]["extra"] = 1;
  bad(j, "sth.extra");
  j = good;
  j["sth"].erase("signature");
  bad(j, "sth.signature");
  j = good;
  j["sth"]["root_hash"] = 5;
  bad(j, "sth.root_hash");
  j = good;
  j["node_public_key"] = "AAAA";
  bad(j, "node_public_key");
  j = good;
  j["envelope"] = "{}";
  bad(j, "envelope");
  bad(Json::array(), "receipt");
  EXPECT_FALSE(ParseReceipt("not json"));
  EXPECT_FALSE(ParseReceipt("{\"envelope\":{},\"envelope\":{}}"));  // duplicate key
}

TEST_F(ReceiptTest, TreeHeadSignatureCoversExactlyTheFourMembers) {
  const SignedTreeHead& s = receipt_.sth;
  EXPECT_TRUE(VerifyTreeHead(s, node_.public_key));
  std::string msg = jcs::Canonicalize(s.SignedPart()).value();
  EXPECT_EQ(msg, "{\"node_id\":\"" + s.node_id + "\",\"root_hash\":\"" + HashHex(s.root_hash) +
                     "\",\"timestamp\":" + std::to_string(s.timestamp) + ",\"tree_size\":11}");
  auto sig = crypto::Base64UrlDecode(s.signature).value();
  EXPECT_TRUE(crypto::Verify(node_.public_key, crypto::AsBytes(msg), sig));
}

}  // namespace
}  // namespace entente::transparency
