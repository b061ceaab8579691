// The index built from stored intelligence (match/source.h) on both
// backends: who may use which indicators (own, community members', never an
// outsider's, never another organisation's TLP:RED), revocation and
// validity, the cache rule (a second call is a cache hit; an import, a
// membership change or an expiry rebuilds; an import rebuilds only the
// organisations that can read it), and the batch answer
// (match/batch.h): kinds, normalised forms, hits with context, errors per
// value, oversize batches.
#include "match/source.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include "intel/repository.h"
#include "match/batch.h"
#include "store/test_databases.h"

namespace entente::match {
namespace {

using Json = nlohmann::json;
using store::testing::BackendTest;

constexpr const char* kGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

Json Ind(int n, const std::string& pattern, const char* marking = kGreen) {
  Json j = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n)},
            {"created", "2026-01-01T00:00:00.000Z"},
            {"modified", "2026-01-01T00:00:00.000Z"},
            {"pattern", pattern},
            {"pattern_type", "stix"},
            {"valid_from", "2026-01-01T00:00:00Z"}};
  if (marking) j["object_marking_refs"] = Json::array({marking});
  return j;
}

std::string Id(int n) { return fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n); }

class MatchSourceTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    ASSERT_TRUE(store::Migrate(db(), store::BuiltinMigrations(backend())));
    clock_.Set(*ParseRfc3339("2026-06-01T00:00:00Z"));
    ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO communities (id, name, purpose, allowed_kinds, max_tlp, default_pap, "
          "vouches_required, created_by_org, created, envelope_id) "
          "VALUES ('c1', 'c1', 'p', '[]', 'red', 'green', 2, 'org-a', 0, 'e')"));
      return {};
    }));
    Member("org-a", "active");
    Member("org-b", "active");
  }
  void Member(const char* org, const char* status) {
    ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO community_members (community_id, org_id, status, since, envelope_id) "
          "VALUES ('c1', ?, ?, 0, 'e') ON CONFLICT (community_id, org_id) DO UPDATE SET "
          "status = excluded.status",
          {std::string(org), std::string(status)}));
      return {};
    }));
  }
  void Import(const std::vector<Json>& objects, const char* owner, const char* community) {
    intel::ImportOptions o;
    o.owner_org = owner;
    if (community) o.community_id = community;
    Json bundle = {{"type", "bundle"},
                   {"id", "bundle--11111111-2222-4333-8444-555555555555"},
                   {"objects", objects}};
    auto r = intel::IntelRepository(db(), clock_).Import(bundle.dump(), o);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->stored) << intel::ImportReportJson(*r).dump();
  }
  // Indicator ids hit by `value` for `org`.
  std::vector<std::string> Hits(IndicatorSource& source, const std::string& org,
                                const std::string& value) {
    auto snap = source.For(org);
    EXPECT_TRUE(snap) << snap.error().message;
    if (!snap) return {};
    BatchRequest req;
    req.items.push_back({value, std::nullopt});
    auto answer = AnswerBatch(req, (*snap)->index, clock_.NowMillis());
    std::vector<std::string> ids;
    for (const auto& h : answer["results"][0].value("hits", nlohmann::ordered_json::array()))
      ids.push_back(h["id"].get<std::string>());
    return ids;
  }
  ManualClock clock_;
};

TEST_P(MatchSourceTest, WhoMayUseWhich) {
  Import({Ind(1, "[domain-name:value = 'a-own.example']"),
          Ind(2, "[domain-name:value = 'a-red.example']", kRed),
          Ind(3, "[ipv4-addr:value = '198.51.100.0/24']", nullptr)},
         "org-a", "c1");
  Import({Ind(4, "[domain-name:value = 'a-private.example']")}, "org-a", nullptr);
  Import({Ind(5, "[domain-name:value = 'outsider.example']")}, "org-x", nullptr);
  Import({Ind(6, "[domain-name:value = 'x-shared.example']")}, "org-x", "c2");
  IndicatorSource source(db(), clock_);
  // The owner uses all of its own, whatever the TLP or community.
  EXPECT_EQ(Hits(source, "org-a", "a-own.example"), std::vector<std::string>{Id(1)});
  EXPECT_EQ(Hits(source, "org-a", "a-red.example"), std::vector<std::string>{Id(2)});
  EXPECT_EQ(Hits(source, "org-a", "a-private.example"), std::vector<std::string>{Id(4)});
  // A member of c1: the shared non-red ones only.
  EXPECT_EQ(Hits(source, "org-b", "a-own.example"), std::vector<std::string>{Id(1)});
  EXPECT_EQ(Hits(source, "org-b", "198.51.100.7"), std::vector<std::string>{Id(3)});
  EXPECT_TRUE(Hits(source, "org-b", "a-red.example").empty());
  EXPECT_TRUE(Hits(source, "org-b", "a-private.example").empty());
  // Nobody else's outsider or other-community indicators.
  for (const char* org : {"org-a", "org-b", "org-nobody"}) {
    EXPECT_TRUE(Hits(source, org, "outsider.example").empty()) << org;
    EXPECT_TRUE(Hits(source, org, "x-shared.example").empty()) << org;
  }
  EXPECT_EQ(Hits(source, "org-x", "outsider.example"), std::vector<std::string>{Id(5)});
  // Context carried by the hit: stored TLP (unmarked: amber), community.
  auto snap = source.For("org-b").value();
  BatchRequest req;
  req.items = {{"198.51.100.7", std::nullopt}};
  auto a = AnswerBatch(req, snap->index, clock_.NowMillis());
  const auto& h = a["results"][0]["hits"][0];
  EXPECT_EQ(h["tlp"], "amber");
  EXPECT_EQ(h["pap"], "green");  // the charter's default_pap
  EXPECT_EQ(h["community"], "c1");
  EXPECT_EQ(h["match"], "cidr");
  EXPECT_EQ(h["prefix"], 24);
  EXPECT_EQ(h["valid_from"], "2026-01-01T00:00:00.000Z");
  // Leaving the community takes the shared indicators away at once.
  Member("org-b", "left");
  EXPECT_TRUE(Hits(source, "org-b", "a-own.example").empty());
}

TEST_P(MatchSourceTest, CacheRebuildsOnImportRevocationAndExpiry) {
  Json expiring = Ind(1, "[domain-name:value = 'soon.example']");
  expiring["valid_until"] = "2026-06-01T01:00:00Z";
  Import({expiring, Ind(2, "[url:value = 'http://Phish.example/login']")}, "org-a", "c1");
  IndicatorSource source(db(), clock_);
  EXPECT_EQ(Hits(source, "org-a", "soon.example").size(), 1u);
  EXPECT_EQ(source.builds(), 1u);
  auto first = source.For("org-a").value();
  EXPECT_EQ(source.builds(), 1u);  // cache hit
  EXPECT_EQ(first->next_change, *ParseRfc3339("2026-06-01T01:00:00Z"));
  EXPECT_EQ(Hits(source, "org-a", "http://phish.example:80/login#x").size(), 1u);
  // A new indicator: rebuilt.
  Import({Ind(3, "[email-addr:value = 'Boss@Example.org']")}, "org-a", nullptr);
  EXPECT_EQ(Hits(source, "org-a", "boss@example.ORG").size(), 1u);
  EXPECT_EQ(source.builds(), 2u);
  EXPECT_EQ(first->index->size(), 2u);  // the old snapshot is untouched
  // Revocation (a new version): rebuilt, gone.
  Json revoked = Ind(2, "[url:value = 'http://Phish.example/login']");
  revoked["modified"] = "2026-02-01T00:00:00.000Z";
  revoked["revoked"] = true;
  Import({revoked}, "org-a", "c1");
  EXPECT_TRUE(Hits(source, "org-a", "http://phish.example/login").empty());
  EXPECT_EQ(source.builds(), 3u);
  // Expiry: nothing changed in the store, but next_change has passed.
  clock_.Set(*ParseRfc3339("2026-06-01T01:00:00Z"));
  EXPECT_TRUE(Hits(source, "org-a", "soon.example").empty());
  EXPECT_EQ(source.builds(), 4u);
  EXPECT_EQ(source.For("org-a").value()->next_change, 0);
}

// An import rebuilds the snapshots of the organisations that can read it
// (owner and members of its community) and no other.
TEST_P(MatchSourceTest, ImportRebuildsOnlyWhoCanReadIt) {
  ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO communities (id, name, purpose, allowed_kinds, max_tlp, default_pap, "
                "vouches_required, created_by_org, created, envelope_id) "
                "VALUES ('c2', 'c2', 'p', '[]', 'red', 'green', 2, 'org-x', 0, 'e')"));
    ENTENTE_TRY(
        tx.Exec("INSERT INTO community_members (community_id, org_id, status, since, envelope_id) "
                "VALUES ('c2', 'org-x', 'active', 0, 'e')"));
    return {};
  }));
  Import({Ind(1, "[domain-name:value = 'first.example']")}, "org-a", "c1");
  Import({Ind(2, "[domain-name:value = 'x-first.example']")}, "org-x", "c2");
  IndicatorSource source(db(), clock_);
  std::map<std::string, std::shared_ptr<const SourceSnapshot>> snaps;
  for (const char* org : {"org-a", "org-b", "org-x"}) snaps[org] = source.For(org).value();
  EXPECT_EQ(source.builds(), 3u);
  // Is `org`'s snapshot the same object as before (no rebuild)?
  auto kept = [&](const char* org) {
    auto now = source.For(org).value();
    bool same = now == snaps[org];
    snaps[org] = now;
    return same;
  };

  // Shared in c1 by org-a: org-a and org-b (members) rebuild, org-x keeps.
  Import({Ind(3, "[domain-name:value = 'c1-new.example']")}, "org-a", "c1");
  EXPECT_TRUE(kept("org-x"));
  EXPECT_FALSE(kept("org-a"));
  EXPECT_FALSE(kept("org-b"));
  EXPECT_EQ(source.builds(), 5u);
  EXPECT_EQ(Hits(source, "org-b", "c1-new.example"), std::vector<std::string>{Id(3)});
  EXPECT_TRUE(Hits(source, "org-x", "c1-new.example").empty());

  // Shared in c2 by org-x: only org-x rebuilds.
  Import({Ind(4, "[domain-name:value = 'c2-new.example']")}, "org-x", "c2");
  EXPECT_TRUE(kept("org-a"));
  EXPECT_TRUE(kept("org-b"));
  EXPECT_FALSE(kept("org-x"));
  EXPECT_EQ(source.builds(), 6u);

  // Kept unshared by org-b: only org-b rebuilds.
  Import({Ind(5, "[domain-name:value = 'b-own.example']")}, "org-b", nullptr);
  EXPECT_TRUE(kept("org-a"));
  EXPECT_TRUE(kept("org-x"));
  EXPECT_FALSE(kept("org-b"));
  EXPECT_EQ(source.builds(), 7u);

  // org-a takes indicator 3 back from c1: a newer version it keeps
  // unshared demotes the version org-b read, with no new row in c1 (only
  // the owner may add versions): org-b rebuilds too and no longer uses it.
  Json taken_back = Ind(3, "[domain-name:value = 'c1-new.example']");
  taken_back["modified"] = "2026-02-01T00:00:00.000Z";
  Import({taken_back}, "org-a", nullptr);
  EXPECT_TRUE(kept("org-x"));
  EXPECT_FALSE(kept("org-a"));
  EXPECT_FALSE(kept("org-b"));
  EXPECT_TRUE(Hits(source, "org-b", "c1-new.example").empty());
  EXPECT_EQ(Hits(source, "org-a", "c1-new.example"), std::vector<std::string>{Id(3)});
  std::uint64_t builds = source.builds();
  // Nothing changed: all cached.
  for (const char* org : {"org-a", "org-b", "org-x"}) EXPECT_TRUE(kept(org)) << org;
  EXPECT_EQ(source.builds(), builds);

  // Joining c2 rebuilds org-b at once; it now reads c2's indicators.
  ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO community_members (community_id, org_id, status, since, envelope_id) "
                "VALUES ('c2', 'org-b', 'active', 0, 'e')"));
    return {};
  }));
  EXPECT_FALSE(kept("org-b"));
  EXPECT_EQ(Hits(source, "org-b", "c2-new.example"), std::vector<std::string>{Id(4)});
}

TEST_P(MatchSourceTest, UnusablePatternsAreCountedNotFatal) {
  Import({Ind(1, "[domain-name:value = 'a.example'] AND [url:value = 'http://b/']"),
          Ind(2, "[domain-name:value = 'c.example' OR domain-name:value = 'd.example']")},
         "org-a", nullptr);
  IndicatorSource source(db(), clock_);
  auto snap = source.For("org-a").value();
  EXPECT_EQ(snap->stored, 2u);
  EXPECT_EQ(snap->unusable, 1u);
  ASSERT_EQ(snap->problems.size(), 1u);
  EXPECT_NE(snap->problems[0].find(Id(1)), std::string::npos);
  EXPECT_NE(snap->problems[0].find("AND"), std::string::npos);
  EXPECT_EQ(Hits(source, "org-a", "d.example"), std::vector<std::string>{Id(2)});
}

ENTENTE_INSTANTIATE_BACKENDS(MatchSourceTest);

// ---- the batch (no database)

std::shared_ptr<const Index> SmallIndex() {
  std::vector<Indicator> in(3);
  in[0].id = "i-dom";
  in[0].value = "bad.example";
  in[0].subdomains = true;
  in[1].id = "i-net";
  in[1].kind = Kind::kIp;
  in[1].value = "2001:db8::/32";
  in[2].id = "i-md5";
  in[2].kind = Kind::kMd5;
  in[2].value = "D41D8CD98F00B204E9800998ECF8427E";
  return Index::Build(in).value();
}

TEST(MatchBatch, AnswersEachValueWithoutFailingTheBatch) {
  auto req = ParseBatchJson(
                 R"({"values": ["WWW.Bad.Example.", "192.0.2.300", "10.0.0.0/33",
                     "2001:DB8::1", "d41d8cd98f00b204e9800998ecf8427e", "xn--zz.example",
                     "b\u00fccher.example", {"value": "abc", "kind": "md5"}, "good.example",
                     "a..b"], "report_sightings": true})",
                 100)
                 .value();
  EXPECT_TRUE(req.report_sightings);
  HitCounts counts;
  auto a = AnswerBatch(req, SmallIndex(), 0, &counts);
  const auto& r = a["results"];
  ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(r[0]["kind"], "domain");
  EXPECT_EQ(r[0]["normalized"], "www.bad.example");
  EXPECT_EQ(r[0]["hits"][0]["id"], "i-dom");
  EXPECT_EQ(r[0]["hits"][0]["match"], "subdomain");
  EXPECT_EQ(r[1]["kind"], "ip");
  EXPECT_TRUE(r[1].contains("error"));
  EXPECT_TRUE(r[2].contains("error"));
  EXPECT_EQ(r[3]["normalized"], "2001:db8::1");
  EXPECT_EQ(r[3]["hits"][0]["id"], "i-net");
  EXPECT_EQ(r[4]["kind"], "md5");
  EXPECT_EQ(r[4]["hits"][0]["id"], "i-md5");
  EXPECT_TRUE(r[5].contains("error"));  // bad Punycode
  EXPECT_EQ(r[6]["normalized"], "xn--bcher-kva.example");
  EXPECT_TRUE(r[7].contains("error"));
  EXPECT_EQ(r[8]["hits"].size(), 0u);
  EXPECT_TRUE(r[9].contains("error"));
  EXPECT_EQ(a["summary"]["values"], 10);
  EXPECT_EQ(a["summary"]["matched"], 3);
  EXPECT_EQ(a["summary"]["errors"], 5);
  EXPECT_EQ(counts, (HitCounts{{"i-dom", 1}, {"i-md5", 1}, {"i-net", 1}}));
}

TEST(MatchBatch, TextBodiesCarryInvalidUtf8PerValue) {
  auto req = ParseBatchText("sub.bad.example\r\n\nb\xc3\x28.example\n\xff\n", 10).value();
  ASSERT_EQ(req.items.size(), 3u);
  auto a = AnswerBatch(req, SmallIndex(), 0);
  EXPECT_EQ(a["results"][0]["hits"][0]["id"], "i-dom");
  EXPECT_EQ(a["results"][1]["error"], "value is not valid UTF-8");
  EXPECT_EQ(a["results"][1]["value"], "b\xEF\xBF\xBD(.example");
  EXPECT_EQ(a["results"][2]["value"], "\xEF\xBF\xBD");
  EXPECT_NO_THROW((void)a.dump());
}

TEST(MatchBatch, OversizeAndMalformedBatches) {
  std::string values;
  for (int i = 0; i < 11; ++i) values += fmt::format("{}\"v{}.example\"", i ? "," : "", i);
  auto big = ParseBatchJson("{\"values\":[" + values + "]}", 10);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(big.error().field, "body");
  EXPECT_NE(big.error().message.find("at most 10 values"), std::string::npos);
  // Far more elements than the limit stops the JSON parser itself.
  std::string huge = "{\"values\":[" + std::string(2000, '1') + "]}";
  for (int i = 0; i < 200; ++i) huge.insert(11, "1,");
  auto h = ParseBatchJson(huge, 10);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::kResourceExhausted);
  EXPECT_TRUE(ParseBatchJson("{\"values\":[" + values + "]}", 11));
  auto text = ParseBatchText("a\nb\nc\n", 2);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kResourceExhausted);
  for (auto [body, field] : std::vector<std::pair<std::string, std::string>>{
           {"[]", "body"},
           {"{}", "values"},
           {"{\"values\": 3}", "values"},
           {"{\"values\": [3]}", "values/0"},
           {"{\"values\": [{\"value\": \"a\", \"kind\": \"regex\"}]}", "values/0/kind"},
           {"{\"values\": [{\"kind\": \"ip\"}]}", "values/0/value"},
           {"{\"values\": [], \"x\": 1}", "x"},
           {"{\"values\": [], \"report_sightings\": 1}", "report_sightings"},
           {"{\"values\": [", "body"}}) {
    auto e = ParseBatchJson(body, 10);
    ASSERT_FALSE(e) << body;
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument) << body;
    EXPECT_EQ(e.error().field, field) << body << ": " << e.error().message;
  }
}

}  // namespace
}  // namespace entente::match
