// The storage side of TAXII on both backends: collections by membership,
// access rule on every row, match[version] semantics, deletion, status
// resources, and pagination that neither skips nor repeats a row while
// other threads import (the property `next` promises).
#include "taxii/store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "intel/repository.h"
#include "store/test_databases.h"

namespace entente::taxii {
namespace {

using intel::Json;
using store::testing::BackendTest;

constexpr const char* kTlpRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

Json Indicator(int n, std::string_view modified = "2020-01-01T00:00:00.000Z") {
  return {{"type", "indicator"},
          {"spec_version", "2.1"},
          {"id", fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n)},
          {"created", "2020-01-01T00:00:00.000Z"},
          {"modified", std::string(modified)},
          {"pattern", fmt::format("[domain-name:value = 'h{}.example.org']", n)},
          {"pattern_type", "stix"},
          {"valid_from", "2020-01-01T00:00:00Z"}};
}

std::string Bundle(const std::vector<Json>& objects) {
  return Json{{"type", "bundle"}, {"id", "bundle--" + intel::NewUuidV4()}, {"objects", objects}}
      .dump();
}

class TaxiiStoreTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    ASSERT_TRUE(store::Migrate(db(), store::BuiltinMigrations(backend())));
    for (const auto& [org, status] :
         {std::pair{"org-a", "active"}, {"org-b", "active"}, {"org-c", "invited"}}) {
      ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
        if (std::string(org) == "org-a")
          ENTENTE_TRY(tx.Exec(
              "INSERT INTO communities (id, name, purpose, allowed_kinds, max_tlp, default_pap, "
              "vouches_required, created_by_org, created, envelope_id) VALUES "
              "('comm-1','Community','test','[]','amber','green',1,'org-a',0,'e')"));
        ENTENTE_TRY(tx.Exec(
            "INSERT INTO community_members (community_id, org_id, status, invited_by, since, "
            "envelope_id) VALUES ('comm-1', ?, ?, NULL, 0, 'e')",
            {std::string(org), std::string(status)}));
        return Ok();
      }));
    }
  }
  intel::Reader ReaderOf(const std::string& org) {
    auto r = intel::LoadReader(db(), org);
    EXPECT_TRUE(r);
    return r ? *r : intel::Reader{};
  }
  void Import(const std::vector<Json>& objects, const std::string& org = "org-a",
              const std::string& community = "comm-1") {
    intel::IntelRepository repo(db(), clock_);
    auto r = repo.Import(Bundle(objects), {.owner_org = org, .community_id = community});
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_TRUE(r->stored);
  }
  Collection Community() {
    auto c = TaxiiStore(db(), clock_).FindCollection(ReaderOf("org-a"), "comm-1", "x");
    EXPECT_TRUE(c && *c);
    return c && *c ? **c : Collection{};
  }
  std::vector<std::string> Versions(const Query& q, const std::string& org = "org-b") {
    auto page = TaxiiStore(db(), clock_).Read(Community(), ReaderOf(org), q, std::nullopt, false);
    EXPECT_TRUE(page) << page.error().ToString();
    std::vector<std::string> out;
    if (page)
      for (const auto& e : page->entries)
        out.push_back(e.id.substr(e.id.size() - 2) + "@" + e.version);
    return out;
  }
  ManualClock clock_;
};

TEST_P(TaxiiStoreTest, CollectionsFollowMembership) {
  TaxiiStore s(db(), clock_);
  auto a = s.Collections(ReaderOf("org-a"), "Private A");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].id, "org-a");
  EXPECT_TRUE((*a)[0].IsPrivate());
  EXPECT_EQ((*a)[1].id, "comm-1");
  auto c = s.Collections(ReaderOf("org-c"), "Private C");  // invited, not active
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].id, "org-c");
  auto none = s.FindCollection(ReaderOf("org-c"), "comm-1", "x");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto other = s.FindCollection(ReaderOf("org-b"), "org-a", "x");  // A's private collection
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
}

TEST_P(TaxiiStoreTest, VersionMatching) {
  Import({Indicator(1, "2020-01-01T00:00:00.000Z"), Indicator(1, "2020-02-01T00:00:00.000Z"),
          Indicator(2, "2020-01-01T00:00:00.000Z")});
  Import({Indicator(1, "2020-03-01T00:00:00.000Z")});
  Query q;
  EXPECT_EQ(Versions(q), (std::vector<std::string>{"02@2020-01-01T00:00:00.000Z",
                                                   "01@2020-03-01T00:00:00.000Z"}));
  q.version.first = true;
  EXPECT_EQ(Versions(q), (std::vector<std::string>{"01@2020-01-01T00:00:00.000Z",
                                                   "02@2020-01-01T00:00:00.000Z"}));
  q.version.last = true;
  EXPECT_EQ(Versions(q).size(), 3u);
  q.version = {};
  q.version.all = true;
  EXPECT_EQ(Versions(q).size(), 4u);
  q.version = {};
  q.version.keys = {intel::VersionKey("2020-02-01T00:00:00Z")};
  EXPECT_EQ(Versions(q), (std::vector<std::string>{"01@2020-02-01T00:00:00.000Z"}));
  q.version = {};
  q.spec_versions = {"2.0"};
  EXPECT_TRUE(Versions(q).empty());
  q.spec_versions = {"2.0", "2.1"};
  EXPECT_EQ(Versions(q).size(), 2u);
}

TEST_P(TaxiiStoreTest, AccessRuleOnEveryRowAndLastIsPerReader) {
  // A's newest version of 1 is TLP:RED: B's "last" version of 1 is the one
  // it may read, never the red one, and the limit stays exact.
  Import({Indicator(1, "2020-01-01T00:00:00.000Z")});
  Json red = Indicator(1, "2020-02-01T00:00:00.000Z");
  red["object_marking_refs"] = {kTlpRed};
  Import({red, Indicator(2)});
  Query q;
  EXPECT_EQ(Versions(q, "org-a"), (std::vector<std::string>{"01@2020-02-01T00:00:00.000Z",
                                                            "02@2020-01-01T00:00:00.000Z"}));
  EXPECT_EQ(Versions(q, "org-b"), (std::vector<std::string>{"01@2020-01-01T00:00:00.000Z",
                                                            "02@2020-01-01T00:00:00.000Z"}));
  q.limit = 1;
  EXPECT_EQ(Versions(q, "org-b").size(), 1u);
  EXPECT_TRUE(Versions(Query{}, "org-c").empty());  // not a member
}

// The journal envelope a deletion records, applied as the journal would
// (signature checks are the journal's, tested with the node in
// tests/intel/intel_api_test.cc): the applier's own checks and effect.
RecordDelete ApplyAs(const std::string& org, std::vector<Json>* bodies = nullptr) {
  return [org, bodies](store::Tx& tx, const Json& body) -> Status {
    if (bodies) bodies->push_back(body);
    journal::Envelope env;
    env.type = std::string(kDeleteEnvelopeType);
    env.author_org = org;
    env.body = body;
    DeleteApplier applier;
    ENTENTE_TRY(applier.Validate(tx, env));
    return applier.Apply(tx, env);
  };
}

TEST_P(TaxiiStoreTest, DeleteOwnerOnlyAndLatestRestored) {
  Import({Indicator(1, "2020-01-01T00:00:00.000Z"), Indicator(1, "2020-02-01T00:00:00.000Z")});
  TaxiiStore s(db(), clock_);
  std::string id = Indicator(1)["id"];
  std::vector<Json> bodies;
  Query last;
  auto r = s.Delete(Community(), ReaderOf("org-b"), id, last, "", ApplyAs("org-b", &bodies));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, DeleteResult::kNotOwner);
  EXPECT_TRUE(bodies.empty());  // nothing recorded
  last.version.last = true;
  r = s.Delete(Community(), ReaderOf("org-a"), id, last, "user-1", ApplyAs("org-a", &bodies));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, DeleteResult::kDeleted);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["object_id"].get<std::string>(), id);
  EXPECT_EQ(bodies[0]["community"].get<std::string>(), "comm-1");
  EXPECT_EQ(bodies[0]["versions"].size(), 1u);
  EXPECT_EQ(bodies[0]["actor"], (Json{{"org", "org-a"}, {"user", "user-1"}}));
  EXPECT_EQ(Versions(Query{}), (std::vector<std::string>{"01@2020-01-01T00:00:00.000Z"}));
  auto latest = db().Query("SELECT COUNT(*) FROM intel_objects WHERE is_latest = 1");
  ASSERT_TRUE(latest);
  EXPECT_EQ((*latest)[0].Int(0), 1);
  // The applier checks ownership itself: an envelope of org-b naming
  // org-a's rows is refused and changes nothing.
  auto remaining = db().Query("SELECT version FROM intel_objects WHERE stix_id = ?", {id});
  ASSERT_TRUE(remaining);
  ASSERT_EQ(remaining->size(), 1u);
  const std::string kept = (*remaining)[0].Text(0);
  auto forged = db().Transact([&](store::Tx& tx) -> Status {
    return ApplyAs("org-b")(tx, Json{{"collection", "comm-1"},
                                     {"community", "comm-1"},
                                     {"object_id", id},
                                     {"versions", Json::array({kept})},
                                     {"actor", {{"org", "org-b"}}}});
  });
  EXPECT_FALSE(forged);
  EXPECT_EQ(Versions(Query{}), (std::vector<std::string>{"01@2020-01-01T00:00:00.000Z"}));
  r = s.Delete(Community(), ReaderOf("org-a"), id, Query{}, "", ApplyAs("org-a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, DeleteResult::kDeleted);
  r = s.Delete(Community(), ReaderOf("org-a"), id, Query{}, "", ApplyAs("org-a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, DeleteResult::kNotFound);
  // A replay of the first deletion (rows already gone) changes nothing.
  auto replay =
      db().Transact([&](store::Tx& tx) -> Status { return ApplyAs("org-a")(tx, bodies[0]); });
  EXPECT_TRUE(replay) << replay.error().ToString();
}

TEST_P(TaxiiStoreTest, StatusIsForThePostingOrganisation) {
  TaxiiStore s(db(), clock_);
  ASSERT_TRUE(s.SaveStatus("s-1", "org-a", "comm-1", R"({"id":"s-1"})"));
  auto mine = s.LoadStatus("s-1", "org-a");
  ASSERT_TRUE(mine && *mine);
  EXPECT_EQ(**mine, R"({"id":"s-1"})");
  auto theirs = s.LoadStatus("s-1", "org-b");
  ASSERT_TRUE(theirs);
  EXPECT_FALSE(*theirs);
}

// Pages of one row read while two threads import: every row exactly once.
TEST_P(TaxiiStoreTest, PaginationNeverSkipsOrRepeatsWhileOthersWrite) {
  constexpr int kWriters = 2, kBatches = 15, kPerBatch = 7;
  Import({Indicator(1), Indicator(2), Indicator(3)});
  std::atomic<int> writers_done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto db2 = store::Open(url());  // as another process would
      ASSERT_TRUE(db2);
      intel::IntelRepository repo(**db2, clock_);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Json> objs;
        for (int i = 0; i < kPerBatch; ++i) objs.push_back(Indicator(1000 * (w + 1) + b * 10 + i));
        auto r = repo.Import(Bundle(objs), {.owner_org = "org-a", .community_id = "comm-1"});
        ASSERT_TRUE(r && r->stored);
      }
      ++writers_done;
    });
  }
  TaxiiStore s(db(), clock_);
  Collection c = Community();
  intel::Reader reader = ReaderOf("org-b");
  Query q;
  q.limit = 1;
  q.version.all = true;
  std::vector<std::string> seen;
  for (;;) {
    bool finished = writers_done.load() == kWriters;
    auto page = s.Read(c, reader, q, std::nullopt, false);
    ASSERT_TRUE(page) << page.error().ToString();
    ASSERT_LE(page->entries.size(), 1u);
    for (const auto& e : page->entries) {
      seen.push_back(e.id);
      q.after_seq = e.seq;
    }
    if (!page->more && finished) break;
  }
  for (auto& t : writers) t.join();
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a row was served twice";
  EXPECT_EQ(seen.size(), size_t{3 + kWriters * kBatches * kPerBatch}) << "a row was skipped";
}

ENTENTE_INSTANTIATE_BACKENDS(TaxiiStoreTest);

}  // namespace
}  // namespace entente::taxii
