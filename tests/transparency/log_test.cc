// The Merkle log over the journal, on both backends: syncing, stored nodes
// giving the RFC 9162 proofs, tree heads (on demand and in the background
// with a manual clock), receipts, concurrent writers, and `verify log`
// finding the first bad leaf after every kind of tampering.
#include "transparency/log.h"

#include <gtest/gtest.h>

#include <thread>

#include "api/node_fixture.h"
#include "transparency/issuer.h"

namespace entente::testing {
namespace {

using transparency::Hash;
using transparency::IssuePolicy;

class LogTest : public NodeTest {
 protected:
  transparency::Log& log() { return node_->log(); }

  std::string NewEnvelope() {
    auto o = MakeOrg("CERT " + std::to_string(++orgs_));
    clock_.Advance(1000);
    return o.envelope_id;
  }

  Status Sql(const std::string& sql, store::Params params = {}) {
    return node_->db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(sql, params));
      return Ok();
    });
  }
  std::string Text(const std::string& sql, store::Params params = {}) {
    auto rows = node_->db().Query(sql, params);
    EXPECT_TRUE(rows && !rows->empty()) << sql;
    return rows && !rows->empty() ? rows->at(0).Text(0) : std::string();
  }

  // Appends a journal row directly (the log reads bytes, not envelopes).
  void RawRow(const std::string& bytes) {
    ASSERT_TRUE(Sql(
        "INSERT INTO journal (seq, id, type, author_org, origin_node, created, subject, envelope) "
        "VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM journal), ?, 'test.raw', 'x', 'x', 0, "
        "'x', ?)",
        {"raw-" + bytes, bytes}));
  }

  // Leaf hashes recomputed from the journal table.
  std::vector<Hash> JournalLeaves() {
    std::vector<Hash> out;
    auto rows = node_->db().Query("SELECT envelope FROM journal ORDER BY seq");
    for (const auto& r : rows.value())
      out.push_back(transparency::LeafHash(crypto::AsBytes(r.Text(0))));
    return out;
  }

  transparency::LogReport Verify() {
    auto r = transparency::VerifyLog(node_->db(), node_->info());
    EXPECT_TRUE(r) << r.error().ToString();
    return r.value_or(transparency::LogReport{});
  }

  int orgs_ = 0;
};

TEST_P(LogTest, SyncLogsEveryEnvelopeInJournalOrder) {
  for (int i = 0; i < 5; ++i) NewEnvelope();
  auto size = log().Sync();
  ASSERT_TRUE(size) << size.error().ToString();
  EXPECT_EQ(*size, 6u);  // founding organisation + 5
  EXPECT_EQ(log().Size().value(), 6u);
  auto leaves = log().Leaves(0, 100).value();
  auto expected = JournalLeaves();
  ASSERT_EQ(leaves.size(), 6u);
  for (size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(leaves[i].leaf_index, i);
    EXPECT_EQ(leaves[i].leaf_hash, expected[i]);
    EXPECT_EQ(leaves[i].envelope_id,
              Text("SELECT id FROM journal WHERE seq = ?", {static_cast<std::int64_t>(i + 1)}));
  }
  // 6 leaves: 6 + 3 + 1 perfect subtrees, each stored once.
  EXPECT_EQ(Text("SELECT COUNT(*) FROM log_nodes"), "10");
  EXPECT_EQ(log().Sync().value(), 6u);  // nothing new: nothing written
  EXPECT_EQ(Text("SELECT COUNT(*) FROM log_nodes"), "10");
  EXPECT_EQ(log().RootAt(6).value(), transparency::reference::Root(expected));
}

TEST_P(LogTest, StoredNodesGiveTheReferenceProofsForEveryShape) {
  constexpr std::uint64_t kMax = 40;
  // Grow one leaf at a time, syncing each time (appends across transactions).
  while (log().Size().value() < kMax) {
    RawRow("{\"n\":" + std::to_string(log().Size().value()) + "}");
    ASSERT_TRUE(log().Sync());
  }
  auto leaves = JournalLeaves();
  ASSERT_EQ(leaves.size(), kMax);
  for (std::uint64_t n = 1; n <= kMax; ++n) {
    auto tree = std::span(leaves).first(n);
    Hash root = transparency::reference::Root(tree);
    ASSERT_EQ(log().RootAt(n).value(), root) << n;
    for (std::uint64_t i = 0; i < n; ++i) {
      auto a = log().InclusionProof(i, n);
      ASSERT_TRUE(a) << a.error().ToString();
      EXPECT_EQ(a->leaf_hash, leaves[i]);
      EXPECT_EQ(a->proof, transparency::reference::InclusionProof(tree, i)) << i << "/" << n;
      EXPECT_TRUE(transparency::VerifyInclusion(a->leaf_hash, i, n, a->proof, root));
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      auto proof = log().ConsistencyProof(m, n);
      ASSERT_TRUE(proof) << proof.error().ToString();
      EXPECT_EQ(*proof, transparency::reference::ConsistencyProof(tree, m)) << m << "->" << n;
    }
  }
  EXPECT_FALSE(log().InclusionProof(0, kMax + 1));
  EXPECT_FALSE(log().InclusionProof(kMax, kMax));
  EXPECT_FALSE(log().ConsistencyProof(0, 3));
  EXPECT_FALSE(log().ConsistencyProof(4, 3));
  EXPECT_FALSE(log().ConsistencyProof(1, kMax + 1));
  EXPECT_TRUE(Verify().ok());
}

TEST_P(LogTest, LargeSyncsHashInParallelAcrossChunksAndTransactions) {
  // More rows than one Sync transaction takes (5,000) and than one hashing
  // chunk (1,024): the parallel and pipelined paths, and the batch boundary.
  constexpr int kRows = 5300;
  ASSERT_TRUE(node_->db().Transact([&](store::Tx& tx) -> Status {
    for (int start = 0; start < kRows; start += 100) {
      std::string sql =
          "INSERT INTO journal (seq, id, type, author_org, origin_node, created, subject, "
          "envelope) VALUES ";
      store::Params p;
      for (int i = start; i < start + 100; ++i) {
        sql +=
            i > start ? ", (?, ?, 't', 'a', 'o', 0, 's', ?)" : "(?, ?, 't', 'a', 'o', 0, 's', ?)";
        // emplace_back: g++ 12 warns (wrongly) about push_back of a variant here.
        p.emplace_back(std::in_place_type<std::int64_t>, i + 2);
        p.emplace_back(std::in_place_type<std::string>, "bulk-" + std::to_string(i));
        p.emplace_back(std::in_place_type<std::string>, 300 + i % 700,
                       static_cast<char>('a' + i % 26));
      }
      ENTENTE_TRY(tx.Exec(sql, p));
    }
    return Ok();
  }));
  ASSERT_EQ(log().Sync().value(), kRows + 1u);
  auto leaves = JournalLeaves();
  ASSERT_EQ(leaves.size(), kRows + 1u);
  for (std::uint64_t n :
       {std::uint64_t{1025}, std::uint64_t{5000}, std::uint64_t{5001}, std::uint64_t{kRows + 1}}) {
    auto tree = std::span(leaves).first(n);
    EXPECT_EQ(log().RootAt(n).value(), transparency::reference::Root(tree)) << n;
    for (std::uint64_t i : {std::uint64_t{0}, n / 3, n - 1})
      EXPECT_EQ(log().InclusionProof(i, n).value().proof,
                transparency::reference::InclusionProof(tree, i))
          << i << "/" << n;
  }
  auto r = Verify();
  EXPECT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.leaves, kRows + 1u);
}

TEST_P(LogTest, SyncStopsAtAGapInTheJournal) {
  for (int i = 0; i < 3; ++i) RawRow("row " + std::to_string(i));  // seq 2..4
  ASSERT_TRUE(Sql("DELETE FROM journal WHERE seq = 3"));
  RawRow("row 3");  // seq 5
  auto s = log().Sync();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(s.error().message.find("seq 3 is missing"), std::string::npos) << s.error().message;
  EXPECT_EQ(log().Size().value(), 2u);  // the leaves before the gap are logged
  auto r = Verify();
  EXPECT_EQ(r.first_bad_index, 2) << r.problem;
}

TEST_P(LogTest, ConcurrentWritersAppendEveryLeafOnce) {
  // Two more database handles: on PostgreSQL separate pools, as two
  // processes have; on SQLite separate connections to the file.
  auto db1 = store::Open(url());
  auto db2 = store::Open(url());
  ASSERT_TRUE(db1 && db2);
  auto master = identity::MasterKey::Load(opts_.master_key_file);
  ASSERT_TRUE(master);
  transparency::Log a(**db1, *master, node_->info(), clock_);
  transparency::Log b(**db2, *master, node_->info(), clock_);
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) RawRow("w" + std::to_string(i));
    done = true;
  });
  auto syncer = [&](transparency::Log& log) {
    while (!done) {
      auto s = log.Sync();
      EXPECT_TRUE(s) << s.error().ToString();
      auto h = log.Issue(IssuePolicy::kIfGrown);
      EXPECT_TRUE(h) << h.error().ToString();
    }
  };
  std::thread ta(syncer, std::ref(a)), tb(syncer, std::ref(b));
  writer.join();
  ta.join();
  tb.join();
  ASSERT_TRUE(a.Sync());
  EXPECT_EQ(log().Size().value(), 301u);
  EXPECT_EQ(log().RootAt(301).value(), transparency::reference::Root(JournalLeaves()));
  // One head per size at most from the "if grown" issuers.
  EXPECT_EQ(Text("SELECT COUNT(*) FROM (SELECT tree_size FROM log_tree_heads GROUP BY tree_size "
                 "HAVING COUNT(*) > 1) d"),
            "0");
  auto r = Verify();
  EXPECT_TRUE(r.ok()) << r.problem;
}

TEST_P(LogTest, TreeHeadsAreIssuedWhenTheTreeGrewOrOnDemand) {
  auto first = log().Issue(IssuePolicy::kIfGrown);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_TRUE(first->issued);
  EXPECT_EQ(first->sth.tree_size, 1u);
  EXPECT_TRUE(transparency::VerifyTreeHead(first->sth, node_->info().public_key));
  EXPECT_EQ(first->sth.node_id, node_->info().id);
  EXPECT_EQ(first->sth.timestamp, clock_.NowMillis());

  clock_.Advance(5000);
  auto same = log().Issue(IssuePolicy::kIfGrown).value();
  EXPECT_FALSE(same.issued);
  EXPECT_EQ(same.sth, first->sth);

  auto fresh = log().Issue(IssuePolicy::kAlways).value();
  EXPECT_TRUE(fresh.issued);
  EXPECT_EQ(fresh.sth.tree_size, 1u);
  EXPECT_EQ(fresh.sth.timestamp, clock_.NowMillis());
  EXPECT_EQ(fresh.sth.root_hash, first->sth.root_hash);

  for (int i = 0; i < 8; ++i) NewEnvelope();
  auto grown = log().Issue(IssuePolicy::kIfGrown).value();
  EXPECT_TRUE(grown.issued);
  EXPECT_EQ(grown.sth.tree_size, 9u);
  EXPECT_EQ(log().Latest().value(), grown.sth);
  auto proof = log().ConsistencyProof(1, 9).value();
  EXPECT_TRUE(
      transparency::VerifyConsistency(1, 9, first->sth.root_hash, grown.sth.root_hash, proof));
  EXPECT_EQ(Text("SELECT COUNT(*) FROM log_tree_heads"), "3");
  EXPECT_TRUE(Verify().ok());
}

TEST_P(LogTest, BackgroundIssuerFollowsTheClock) {
  constexpr Millis kInterval = 60'000;
  transparency::TreeHeadIssuer issuer(log(), clock_, kInterval);
  // Due at once: the founding envelope gets a head.
  EXPECT_TRUE(issuer.RunOnce().value());
  EXPECT_FALSE(issuer.RunOnce().value());  // not due
  NewEnvelope();                           // advances the clock 1 s
  EXPECT_FALSE(issuer.RunOnce().value());  // grew, but not due yet
  clock_.Advance(kInterval);
  EXPECT_TRUE(issuer.RunOnce().value());
  EXPECT_EQ(log().Latest().value()->tree_size, 2u);
  clock_.Advance(kInterval);
  EXPECT_FALSE(issuer.RunOnce().value());  // due, but the tree did not grow
  EXPECT_EQ(Text("SELECT COUNT(*) FROM log_tree_heads"), "2");
}

TEST_P(LogTest, BackgroundIssuerThreadRunsWithoutSleeping) {
  constexpr Millis kInterval = 30'000;
  node_->StartTreeHeadIssuer(kInterval);
  auto* issuer = node_->tree_head_issuer();
  ASSERT_NE(issuer, nullptr);
  issuer->RunNow();
  EXPECT_GE(issuer->runs(), 1u);
  ASSERT_TRUE(log().Latest().value());
  EXPECT_EQ(log().Latest().value()->tree_size, 1u);
  NewEnvelope();
  NewEnvelope();
  issuer->RunNow();  // not due yet by the manual clock
  EXPECT_EQ(log().Latest().value()->tree_size, 1u);
  clock_.Advance(kInterval);
  issuer->RunNow();
  EXPECT_EQ(log().Latest().value()->tree_size, 3u);
  node_->StartTreeHeadIssuer(kInterval);  // again: nothing changes
  EXPECT_EQ(node_->tree_head_issuer(), issuer);
}

TEST_P(LogTest, ReceiptsVerifyOfflineWithTheNodeKeyOnly) {
  std::string first = NewEnvelope();
  for (int i = 0; i < 6; ++i) NewEnvelope();
  auto receipt = log().MakeReceipt(first);
  ASSERT_TRUE(receipt) << receipt.error().ToString();
  EXPECT_EQ(receipt->leaf_index, 1u);
  EXPECT_EQ(receipt->sth.tree_size, 8u);
  std::string text = receipt->ToJson().dump(2);
  auto parsed = transparency::ParseReceipt(text);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  auto v = transparency::VerifyReceipt(*parsed, node_->info().public_key);
  ASSERT_TRUE(v) << v.error().ToString();
  EXPECT_EQ(v->envelope_id, first);
  EXPECT_EQ(v->envelope_type, "directory.org");
  // A newer envelope: the receipt comes with a newer head covering it.
  std::string later = NewEnvelope();
  auto r2 = log().MakeReceipt(later).value();
  EXPECT_EQ(r2.sth.tree_size, 9u);
  EXPECT_EQ(r2.leaf_index, 8u);
  EXPECT_TRUE(transparency::VerifyReceipt(r2, node_->info().public_key));
  auto missing = log().MakeReceipt("01890a5d-ac96-774b-bcce-b302099a8057");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // A journal row edited after logging: no receipt is issued for it.
  std::string row = Text("SELECT envelope FROM journal WHERE id = ?", {first});
  std::string edited = row;
  edited.replace(edited.find("CERT 1"), 6, "CERT 9");
  ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE id = ?", {edited, first}));
  auto bad = log().MakeReceipt(first);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kDataLoss);
}

// ---- verify log: every kind of tampering, reported at the first bad leaf ----

class LogTamperTest : public LogTest {
 protected:
  void SetUp() override {
    LogTest::SetUp();
    if (HasFatalFailure()) return;
    for (int i = 0; i < 4; ++i) NewEnvelope();
    ASSERT_TRUE(log().Issue(IssuePolicy::kIfGrown));  // head of 5
    for (int i = 0; i < 8; ++i) NewEnvelope();
    ASSERT_TRUE(log().Issue(IssuePolicy::kIfGrown));  // head of 13
    auto r = Verify();
    ASSERT_TRUE(r.ok()) << r.problem;
    EXPECT_EQ(r.leaves, 13u);
    EXPECT_EQ(r.nodes, 6u + 3u + 1u);
    EXPECT_EQ(r.tree_heads, 2u);
  }

  std::string Envelope(int seq) {
    return Text("SELECT envelope FROM journal WHERE seq = ?", {std::int64_t{seq}});
  }
  std::string Node(int level, int idx) {
    return Text("SELECT hash FROM log_nodes WHERE level = ? AND idx = ?",
                {std::int64_t{level}, std::int64_t{idx}});
  }
  void SetEnvelope(int seq, const std::string& v) {
    ASSERT_TRUE(Sql("UPDATE journal SET envelope = ? WHERE seq = ?", {v, std::int64_t{seq}}));
  }
  void SetNode(int level, int idx, const std::string& v) {
    ASSERT_TRUE(Sql("UPDATE log_nodes SET hash = ? WHERE level = ? AND idx = ?",
                    {v, std::int64_t{level}, std::int64_t{idx}}));
  }
  void ExpectFirstBad(std::int64_t index, const std::string& words) {
    auto r = Verify();
    EXPECT_EQ(r.first_bad_index, index) << r.problem;
    EXPECT_NE(r.problem.find(words), std::string::npos) << r.problem;
  }
};

TEST_P(LogTamperTest, EditedJournalRow) {
  std::string e = Envelope(8);
  std::string edited = e;
  edited.replace(edited.find("CERT 7"), 6, "CERT X");
  SetEnvelope(8, edited);
  ExpectFirstBad(7, "journal row (seq 8) and the stored leaf hash differ");
  SetEnvelope(8, e);
  EXPECT_TRUE(Verify().ok());
}

TEST_P(LogTamperTest, DeletedJournalRows) {
  ASSERT_TRUE(Sql("DELETE FROM journal WHERE seq IN (6, 11)"));
  ExpectFirstBad(5, "seq 6 (leaf 5) is missing");
  EXPECT_GE(Verify().problems, 2u);
}

TEST_P(LogTamperTest, DeletedLastJournalRow) {
  ASSERT_TRUE(Sql("DELETE FROM journal WHERE seq = 13"));
  ExpectFirstBad(12, "seq 13 (leaf 12) is missing");
}

TEST_P(LogTamperTest, ReorderedJournalRows) {
  std::string e4 = Envelope(4), e5 = Envelope(5);
  SetEnvelope(4, e5);
  SetEnvelope(5, e4);
  ExpectFirstBad(3, "differ");
}

TEST_P(LogTamperTest, EditedLeafRow) {
  SetNode(0, 9, std::string(64, 'e'));
  ExpectFirstBad(9, "leaf 9");
  EXPECT_EQ(Verify().problems, 1u);  // its ancestors are consequences, not new problems
}

TEST_P(LogTamperTest, DeletedLeafRow) {
  ASSERT_TRUE(Sql("DELETE FROM log_nodes WHERE level = 0 AND idx = 2"));
  ExpectFirstBad(2, "stored leaf hash 2 is missing");
}

TEST_P(LogTamperTest, ReorderedLeafRows) {
  std::string a = Node(0, 10), b = Node(0, 11);
  SetNode(0, 10, b);
  SetNode(0, 11, a);
  ExpectFirstBad(10, "leaf 10");
}

TEST_P(LogTamperTest, EditedAndDeletedInteriorNodes) {
  std::string n = Node(2, 1);  // leaves 4..7
  SetNode(2, 1, std::string(64, '0'));
  ExpectFirstBad(4, "level 2, index 1) over leaves 4 to 7 was changed");
  SetNode(2, 1, n);
  ASSERT_TRUE(Sql("DELETE FROM log_nodes WHERE level = 1 AND idx = 3"));  // leaves 6, 7
  ExpectFirstBad(6, "is missing");
}

TEST_P(LogTamperTest, DeletedTrailingLogRows) {
  ASSERT_TRUE(Sql("DELETE FROM log_nodes WHERE level = 0 AND idx = 12"));
  ExpectFirstBad(12, "tree head of size 13 covers more than the 12 logged leaves");
  ASSERT_TRUE(Sql("DELETE FROM log_nodes WHERE level = 0 AND idx = 11"));  // under node (1, 5)
  ExpectFirstBad(11, "beyond the 11 logged leaves");
}

TEST_P(LogTamperTest, AlteredTreeHead) {
  ASSERT_TRUE(
      Sql("UPDATE log_tree_heads SET root_hash = ? WHERE tree_size = 13", {std::string(64, '1')}));
  ExpectFirstBad(12, "was altered after signing");
}

TEST_P(LogTamperTest, JournalAndLogRewrittenConsistently) {
  // The attacker edits a journal row and recomputes the whole log: only the
  // signed heads remember. Leaves up to the last head that still matches
  // (5) are vouched for; the first that may be bad is reported.
  std::string edited = Envelope(8);
  edited.replace(edited.find("CERT 7"), 6, "CERT X");
  SetEnvelope(8, edited);
  ASSERT_TRUE(Sql("DELETE FROM log_nodes"));
  ASSERT_TRUE(log().Sync());
  ExpectFirstBad(5, "tree head of size 13");
}

TEST_P(LogTamperTest, UnloggedRowsAreCountedAndGapsFound) {
  NewEnvelope();
  NewEnvelope();
  auto r = Verify();
  EXPECT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.unlogged, 2u);
  ASSERT_TRUE(Sql("DELETE FROM journal WHERE seq = 14"));
  ExpectFirstBad(13, "not logged yet");
}

ENTENTE_INSTANTIATE_BACKENDS(LogTest);
ENTENTE_INSTANTIATE_BACKENDS(LogTamperTest);

}  // namespace
}  // namespace entente::testing
