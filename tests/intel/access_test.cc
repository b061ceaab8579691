// The read rule of intel/access.h as a table: for every reader (owner,
// active member, former member, member of another community, outsider,
// empty organisation) and every object (each TLP, unmarked, no community,
// revoked), MayRead and the SQL of IntelRepository::List agree with the
// expected answer, and pagination under the filter neither skips nor repeats.
#include "intel/access.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "intel/repository.h"
#include "store/test_databases.h"

namespace entente::intel {
namespace {

using store::testing::BackendTest;

constexpr const char* kTlp[] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",  // clear
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",  // green
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",  // amber
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",  // amber+strict
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",  // red
};

Json Indicator(int n, const char* marking, bool revoked = false) {
  Json j = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n)},
            {"created", "2020-01-01T00:00:00.000Z"},
            {"modified", "2020-01-01T00:00:00.000Z"},
            {"pattern", fmt::format("[domain-name:value = 'n{}.example']", n)},
            {"pattern_type", "stix"},
            {"valid_from", "2020-01-01T00:00:00Z"}};
  if (marking) j["object_marking_refs"] = Json::array({marking});
  if (revoked) j["revoked"] = true;
  return j;
}

std::string Bundle(const std::vector<Json>& objects) {
  return Json{{"type", "bundle"},
              {"id", "bundle--11111111-2222-4333-8444-555555555555"},
              {"objects", objects}}
      .dump();
}

class IntelAccessTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    ASSERT_TRUE(store::Migrate(db(), store::BuiltinMigrations(backend())));
    // Memberships as the communities module leaves them (its own tests cover
    // how they get there).
    for (const char* c : {"c1", "c2"})
      ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
        ENTENTE_TRY(tx.Exec(
            "INSERT INTO communities (id, name, purpose, allowed_kinds, max_tlp, default_pap, "
            "vouches_required, created_by_org, created, envelope_id) "
            "VALUES (?, ?, 'p', '[]', 'red', 'green', 2, 'org-a', 0, 'e')",
            {std::string(c), std::string(c)}));
        return {};
      }));
    Member("c1", "org-a", "active");
    Member("c1", "org-b", "active");
    Member("c1", "org-left", "left");
    Member("c1", "org-removed", "removed");
    Member("c1", "org-invited", "invited");
    Member("c2", "org-c", "active");
  }
  void Member(const char* community, const char* org, const char* status) {
    ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO community_members (community_id, org_id, status, since, envelope_id) "
          "VALUES (?, ?, ?, 0, 'e')",
          {std::string(community), std::string(org), std::string(status)}));
      return {};
    }));
  }
  void Import(const std::vector<Json>& objects, const char* owner, const char* community) {
    ImportOptions o;
    o.owner_org = owner;
    o.community_id = community ? community : "";
    auto r = IntelRepository(db(), clock_).Import(Bundle(objects), o);
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_TRUE(r->stored);
  }
  ManualClock clock_;
};

TEST_P(IntelAccessTest, RuleAsATable) {
  // Objects 1..5: TLP clear..red shared in c1 by org-a; 6: unmarked in c1;
  // 7: green without community; 8: green in c1, revoked; 9: red, no community.
  std::vector<Json> in_c1;
  for (int i = 0; i < 5; ++i) in_c1.push_back(Indicator(i + 1, kTlp[i]));
  in_c1.push_back(Indicator(6, nullptr));
  in_c1.push_back(Indicator(8, kTlp[1], true));
  Import(in_c1, "org-a", "c1");
  Import({Indicator(7, kTlp[1]), Indicator(9, kTlp[4])}, "org-a", nullptr);

  const std::set<int> kAll = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::set<int> kMember = {1, 2, 3, 4, 6, 8};  // not red, not community-less
  const std::map<std::string, std::set<int>> expected = {
      {"org-a", kAll},     {"org-b", kMember}, {"org-left", {}},     {"org-removed", {}},
      {"org-invited", {}}, {"org-c", {}},      {"org-outsider", {}}, {"", {}},
  };
  IntelRepository repo(db(), clock_);
  auto all = repo.List({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 9u);
  for (const auto& [org, want] : expected) {
    auto reader = LoadReader(db(), org);
    ASSERT_TRUE(reader) << reader.error().ToString();
    std::set<int> by_rule, by_sql;
    for (const auto& o : *all)
      if (MayRead(*reader, o)) by_rule.insert(std::stoi(o.id.substr(o.id.size() - 12)));
    ObjectFilter f;
    f.reader = &*reader;
    auto listed = repo.List(f);
    ASSERT_TRUE(listed) << listed.error().ToString();
    for (const auto& o : *listed) {
      by_sql.insert(std::stoi(o.id.substr(o.id.size() - 12)));
      if (o.id.ends_with("000000000008")) {
        EXPECT_TRUE(o.revoked);
      }
    }
    EXPECT_EQ(by_rule, want) << "MayRead, reader " << org;
    EXPECT_EQ(by_sql, want) << "List, reader " << org;
    // The export carries exactly the same objects.
    auto bundle = repo.ExportBundle(f);
    ASSERT_TRUE(bundle);
    EXPECT_EQ(Json::parse(*bundle)["objects"].size(), want.size()) << org;
  }
}

TEST_P(IntelAccessTest, ReaderListsActiveMembershipsOnly) {
  auto a = LoadReader(db(), "org-a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->community_ids, std::vector<std::string>{"c1"});
  EXPECT_TRUE(LoadReader(db(), "org-left")->community_ids.empty());
  EXPECT_TRUE(LoadReader(db(), "org-invited")->community_ids.empty());
  EXPECT_EQ(LoadReader(db(), "org-c")->community_ids, std::vector<std::string>{"c2"});
}

// Pagination with a reader: pages of 2 over objects interleaving readable and
// unreadable ones return every readable object once, in order.
TEST_P(IntelAccessTest, PaginationUnderTheFilterIsExact) {
  for (int i = 1; i <= 20; ++i)
    Import({Indicator(i, kTlp[i % 2 ? 1 : 4])}, i % 3 ? "org-a" : "org-b", "c1");
  auto reader = LoadReader(db(), "org-b");
  ASSERT_TRUE(reader);
  IntelRepository repo(db(), clock_);
  ObjectFilter f;
  f.reader = &*reader;
  auto everything = repo.List(f);
  ASSERT_TRUE(everything);
  std::vector<std::string> paged;
  f.limit = 2;
  for (;;) {
    auto page = repo.List(f);
    ASSERT_TRUE(page);
    for (const auto& o : *page) paged.push_back(o.id);
    if (page->size() < 2) break;
    f.after_seq = page->back().seq;
  }
  std::vector<std::string> ids;
  for (const auto& o : *everything) {
    ids.push_back(o.id);
    EXPECT_TRUE(o.owner_org == "org-b" || o.tlp != "red") << o.id;
  }
  EXPECT_EQ(paged, ids);
  // org-b owns 6 (every third), plus the green ones of org-a: 1,5,7,11,13,17,19.
  EXPECT_EQ(ids.size(), 6u + 7u);
}

ENTENTE_INSTANTIATE_BACKENDS(IntelAccessTest);

}  // namespace
}  // namespace entente::intel
