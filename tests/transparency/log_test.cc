#include "transparency/log.h"

#include <gtest/gtest.h>

#include "api/node_fixture.h"

namespace entente::testing {
namespace {

class LogTest : public NodeTest {
 protected:
  std::string EnvelopeOf(int n) {
    auto o = MakeOrg("CERT " + std::to_string(n));
    clock_.Advance(1000);
    return o.envelope_id;
  }
  Status Sql(const std::string& sql, store::Params params = {}) {
    return node_->db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(sql, params));
      return Ok();
    });
  }
};

TEST_P(LogTest, ReceiptsVerifyOfflineAndTamperingFails) {
  std::string first = EnvelopeOf(1);
  for (int i = 2; i <= 6; ++i) EnvelopeOf(i);
  auto receipt = node_->log().Receipt(first);
  ASSERT_TRUE(receipt) << receipt.error().ToString();
  const auto& key = node_->info().public_key;
  ASSERT_TRUE(transparency::VerifyReceipt(*receipt, key));
  EXPECT_EQ((*receipt)["sth"]["tree_size"], 7u);  // founding org + 6
  EXPECT_EQ((*receipt)["leaf_index"], 1u);

  auto tampered = *receipt;
  tampered["envelope"]["body"]["org"]["names"]["en"] = "CERT 666";
  EXPECT_FALSE(transparency::VerifyReceipt(tampered, key));
  tampered = *receipt;
  tampered["leaf_index"] = 2;
  EXPECT_FALSE(transparency::VerifyReceipt(tampered, key));
  tampered = *receipt;
  std::string p0 = tampered["proof"][0];
  p0[0] = p0[0] == 'a' ? 'b' : 'a';
  tampered["proof"][0] = p0;
  EXPECT_FALSE(transparency::VerifyReceipt(tampered, key));
  tampered = *receipt;
  tampered["sth"]["timestamp"] = tampered["sth"]["timestamp"].get<std::int64_t>() + 1;
  EXPECT_FALSE(transparency::VerifyReceipt(tampered, key));
  auto other = crypto::GenerateSigningKey();
  EXPECT_FALSE(transparency::VerifyReceipt(*receipt, other.public_key));
  EXPECT_FALSE(transparency::VerifyReceipt(Json::array(), key));
}

TEST_P(LogTest, TreeHeadsAreConsistentAsTheLogGrows) {
  EnvelopeOf(1);
  auto a = node_->log().Issue();
  ASSERT_TRUE(a);
  for (int i = 2; i <= 9; ++i) EnvelopeOf(i);
  auto b = node_->log().Issue();
  ASSERT_TRUE(b);
  EXPECT_GT(b->tree_size, a->tree_size);
  auto proof = node_->log().ConsistencyProof(a->tree_size, b->tree_size);
  ASSERT_TRUE(proof);
  EXPECT_TRUE(merkle::VerifyConsistency(a->tree_size, b->tree_size, a->root, b->root, *proof));
  // Issuing again without new envelopes returns the same head.
  auto c = node_->log().Issue();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->tree_size, b->tree_size);
  EXPECT_EQ(c->sig, b->sig);
  EXPECT_TRUE(transparency::VerifySth(*c, node_->info().public_key));
}

TEST_P(LogTest, VerifyDetectsEditedDeletedAndReorderedHistory) {
  for (int i = 1; i <= 5; ++i) EnvelopeOf(i);
  ASSERT_TRUE(node_->log().Issue());
  auto ok = node_->log().Verify();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->first_bad_index, -1) << ok->what;

  // Edit the envelope at leaf 3 (journal seq 4).
  auto rows = node_->db().Query("SELECT envelope FROM journal WHERE seq = 4");
  ASSERT_TRUE(rows && rows->size() == 1);
  std::string original = rows->at(0).Text(0);
  std::string edited = original;
  edited.replace(edited.find("CERT 3"), 6, "CERT 9");
  ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE seq = 4", {edited}));
  auto p = node_->log().Verify();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first_bad_index, 3);
  EXPECT_NE(p->what.find("altered"), std::string::npos);
  ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE seq = 4", {original}));
  EXPECT_EQ(node_->log().Verify()->first_bad_index, -1);

  // Swap the envelopes of seq 2 and 3 (reorder).
  auto r2 = node_->db().Query("SELECT envelope FROM journal WHERE seq = 2")->at(0).Text(0);
  auto r3 = node_->db().Query("SELECT envelope FROM journal WHERE seq = 3")->at(0).Text(0);
  ASSERT_TRUE(Sql("UPDATE journal SET id = id || 'x' WHERE seq = 2"));
  ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE seq = 2", {r3}));
  ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE seq = 3", {r2}));
  EXPECT_EQ(node_->log().Verify()->first_bad_index, 1);
  ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE seq = 2", {r2}));
  ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE seq = 3", {r3}));
  EXPECT_EQ(node_->log().Verify()->first_bad_index, -1);

  // Delete a row in the middle.
  ASSERT_TRUE(Sql("DELETE FROM journal WHERE seq = 5"));
  auto d = node_->log().Verify();
  EXPECT_EQ(d->first_bad_index, 4) << d->what;

  // A forged tree head.
  ASSERT_TRUE(Sql("UPDATE log_sths SET root = ?", {std::string(64, '0')}));
  ASSERT_TRUE(Sql(
      "INSERT INTO journal (seq, id, type, author_org, origin_node, created, subject, envelope) "
      "SELECT 5, id || 'y', type, author_org, origin_node, created, subject, envelope FROM journal "
      "WHERE seq = 4"));
  EXPECT_GE(node_->log().Verify()->first_bad_index, 0);
}

ENTENTE_INSTANTIATE_BACKENDS(LogTest);

}  // namespace
}  // namespace entente::testing
