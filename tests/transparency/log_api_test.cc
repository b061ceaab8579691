// The log's HTTP routes, over real HTTP on both backends: what they return
// verifies with the offline verifiers, and bad queries are precise 422s.
#include <gtest/gtest.h>

#include "api/node_fixture.h"
#include "jcs/jcs.h"
#include "transparency/log.h"

namespace entente::testing {
namespace {

using transparency::Hash;

class LogApiTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    if (HasFatalFailure()) return;
    Serve();
    for (int i = 0; i < 6; ++i)
      envelopes_.push_back(MakeOrg("CERT " + std::to_string(i)).envelope_id);
    viewer_ = MakeToken(MakeUser(founding_org_, "viewer", auth::Role::kViewer).id, {"read"});
    operator_ = MakeToken(MakeUser(founding_org_, "op2", auth::Role::kAdmin, true).id);
  }

  Json Get(const std::string& path, const std::string& token, int status = 200) {
    auto r = Call("GET", path, token);
    EXPECT_EQ(r.status, status) << path << " " << r.body;
    auto j = jcs::ParseUntrusted(r.body, {.max_bytes = 16 << 20, .max_depth = 64});
    EXPECT_TRUE(j) << r.body;
    return j.value_or(Json());
  }
  void Rejects(const std::string& path, const std::string& field, int status = 422) {
    Json j = Get(path, viewer_, status);
    EXPECT_EQ(j.value("field", ""), field) << path << " " << j.dump();
  }
  static std::vector<Hash> Hashes(const Json& a) {
    std::vector<Hash> out;
    for (const auto& h : a)
      out.push_back(transparency::HashFromHex(h.get<std::string>(), "").value());
    return out;
  }
  static transparency::SignedTreeHead Sth(const Json& j) {
    return transparency::SignedTreeHead::FromJson(j).value();
  }

  std::vector<std::string> envelopes_;
  std::string viewer_, operator_;
};

TEST_P(LogApiTest, TreeHeadsProofsAndReceiptsVerify) {
  const auto& key = node_->info().public_key;
  // Public: the latest head, syncing first.
  auto a = Sth(Get("/api/v1/log/sth", ""));
  EXPECT_EQ(a.tree_size, 7u);
  EXPECT_TRUE(transparency::VerifyTreeHead(a, key));
  EXPECT_EQ(Sth(Get("/api/v1/log/sth", "")), a);  // unchanged tree: the same head

  for (int i = 6; i < 11; ++i)
    envelopes_.push_back(MakeOrg("CERT " + std::to_string(i)).envelope_id);
  auto created = Call("POST", "/api/v1/log/sth", operator_, "", {});
  ASSERT_EQ(created.status, 201) << created.body;
  auto b = Sth(jcs::ParseUntrusted(created.body).value());
  EXPECT_EQ(b.tree_size, 12u);
  EXPECT_TRUE(transparency::VerifyTreeHead(b, key));

  // Consistency between the two heads (public).
  Json c = Get("/api/v1/log/proof/consistency?first=7&second=12", "");
  EXPECT_TRUE(transparency::VerifyConsistency(7, 12, a.root_hash, b.root_hash, Hashes(c["proof"])));

  // Inclusion by envelope id against the latest head, and by index and size.
  Json byid = Get("/api/v1/log/proof/inclusion?envelope_id=" + envelopes_[2], viewer_);
  EXPECT_EQ(byid["leaf_index"], 3);
  EXPECT_EQ(byid["envelope_id"], envelopes_[2]);
  auto head = Sth(byid["sth"]);
  EXPECT_EQ(head, b);
  Hash leaf = transparency::HashFromHex(byid["leaf_hash"].get<std::string>(), "").value();
  EXPECT_TRUE(transparency::VerifyInclusion(leaf, 3, 12, Hashes(byid["proof"]), b.root_hash));
  Json byindex = Get("/api/v1/log/proof/inclusion?leaf_index=3&tree_size=7", viewer_);
  EXPECT_FALSE(byindex.contains("sth"));
  EXPECT_EQ(byindex["leaf_hash"], byid["leaf_hash"]);
  EXPECT_TRUE(transparency::VerifyInclusion(leaf, 3, 7, Hashes(byindex["proof"]), a.root_hash));

  // Leaves: hashes and envelope ids, clamped to the log.
  Json leaves = Get("/api/v1/log/leaves?start=2&end=500", viewer_);
  EXPECT_EQ(leaves["tree_size"], 12);
  EXPECT_EQ(leaves["end"], 12);
  ASSERT_EQ(leaves["leaves"].size(), 10u);
  EXPECT_EQ(leaves["leaves"][1]["envelope_id"], envelopes_[2]);
  EXPECT_EQ(leaves["leaves"][1]["leaf_hash"], byid["leaf_hash"]);
  EXPECT_EQ(Get("/api/v1/log/leaves?start=20&end=30", viewer_)["leaves"].size(), 0u);

  // A receipt, checked offline exactly as `entente verify receipt` does.
  auto r = Call("GET", "/api/v1/log/receipt/" + envelopes_[4], viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto receipt = transparency::ParseReceipt(r.body);
  ASSERT_TRUE(receipt) << receipt.error().ToString();
  auto v = transparency::VerifyReceipt(*receipt, key);
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->envelope_id, envelopes_[4]);
  EXPECT_EQ(receipt->leaf_index, 5u);
  EXPECT_EQ(Get("/api/v1/log/receipt/01890a5d-ac96-774b-bcce-b302099a8057", viewer_, 404)["status"],
            404);
  EXPECT_EQ(Get("/api/v1/log/receipt/not-a-uuid", viewer_, 404)["status"], 404);
}

TEST_P(LogApiTest, QueriesAreValidatedStrictly) {
  Get("/api/v1/log/sth", "");
  Rejects("/api/v1/log/sth?x=1", "x");
  Rejects("/api/v1/log/proof/consistency?first=1", "second");
  Rejects("/api/v1/log/proof/consistency?first=0&second=3", "first");
  Rejects("/api/v1/log/proof/consistency?first=4&second=3", "first");
  Rejects("/api/v1/log/proof/consistency?first=1&second=99", "second");
  Rejects("/api/v1/log/proof/consistency?first=-1&second=3", "first");
  Rejects("/api/v1/log/proof/consistency?first=1&second=3&second=4", "second");
  Rejects("/api/v1/log/proof/consistency?first=1&second=3&extra=1", "extra");
  Rejects("/api/v1/log/proof/consistency?first=1&second=99999999999999999999", "second");
  Rejects("/api/v1/log/proof/inclusion", "envelope_id");
  Rejects("/api/v1/log/proof/inclusion?leaf_index=1&envelope_id=" + envelopes_[0], "envelope_id");
  Rejects("/api/v1/log/proof/inclusion?envelope_id=nope", "envelope_id");
  Rejects("/api/v1/log/proof/inclusion?leaf_index=1x", "leaf_index");
  Rejects("/api/v1/log/proof/inclusion?leaf_index=7&tree_size=7", "leaf_index");
  Rejects("/api/v1/log/proof/inclusion?leaf_index=1&tree_size=0", "tree_size");
  Rejects("/api/v1/log/proof/inclusion?leaf_index=1&tree_size=8", "tree_size");
  Rejects("/api/v1/log/proof/inclusion?envelope_id=01890a5d-ac96-774b-bcce-b302099a8057",
          "envelope_id", 404);
  Rejects("/api/v1/log/leaves?start=0", "end");
  Rejects("/api/v1/log/leaves?start=5&end=5", "end");
  Rejects("/api/v1/log/leaves?start=0&end=1001", "end");
  Rejects("/api/v1/log/leaves?start=a&end=2", "start");
  auto r = Call("POST", "/api/v1/log/sth", operator_, "{\"tree_size\":3}",
                {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call("POST", "/api/v1/log/sth", operator_, "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 201) << r.body;
}

ENTENTE_INSTANTIATE_BACKENDS(LogApiTest);

}  // namespace
}  // namespace entente::testing
