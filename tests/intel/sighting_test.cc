// Sightings and correlation on both backends: who sees which sighting and
// which aggregate (author, member, reporter alone, outsider), idempotence per
// (indicator, reporter, day), every bad input refused with nothing stored;
// correlation across authors and communities as a visibility table, domain
// and CIDR containment, normalisation of the keys, superseded versions, and
// the bound on a value repeated many times. Also the large-bundle import
// path (bigger SQLite page cache, set back afterwards).
#include "intel/sighting.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/clock.h"
#include "intel/access.h"
#include "intel/correlation.h"
#include "intel/repository.h"
#include "store/test_databases.h"

namespace entente::intel {
namespace {

using store::testing::BackendTest;

constexpr const char* kGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
constexpr const char* kWhereOrg = "0b7e1c52-8d7f-4c51-9d1e-6f8a2b3c4d5e";

std::string IndicatorId(int n) {
  return fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n);
}

Json Indicator(int n, const std::string& pattern, const char* marking = kGreen,
               const std::string& modified = "2020-01-01T00:00:00.000Z") {
  Json j = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", IndicatorId(n)},
            {"name", fmt::format("indicator {}", n)},
            {"created", "2020-01-01T00:00:00.000Z"},
            {"modified", modified},
            {"pattern", pattern},
            {"pattern_type", "stix"},
            {"valid_from", "2020-01-01T00:00:00Z"}};
  if (marking) j["object_marking_refs"] = Json::array({marking});
  return j;
}

std::string Bundle(const std::vector<Json>& objects) {
  return Json{{"type", "bundle"},
              {"id", "bundle--11111111-2222-4333-8444-555555555555"},
              {"objects", objects}}
      .dump();
}

class SightingTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    ASSERT_TRUE(store::Migrate(db(), store::BuiltinMigrations(backend())));
    clock_.Set(1764669600000);  // 2025-12-02T10:00:00Z
    repo_.emplace(db(), clock_);
    sightings_.emplace(db(), clock_, *repo_);
    // c1: A, B (charter up to amber); c2: B, C (up to red).
    Community("c1", "amber");
    Community("c2", "red");
    Member("c1", "org-a");
    Member("c1", "org-b");
    Member("c2", "org-b");
    Member("c2", "org-c");
  }

  void Community(const std::string& id, const std::string& max_tlp) {
    ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO communities (id, name, purpose, allowed_kinds, max_tlp, default_pap, "
          "vouches_required, created_by_org, created, envelope_id) "
          "VALUES (?, ?, 'p', '[]', ?, 'green', 2, 'org-a', 0, 'e')",
          {id, id, max_tlp}));
      return {};
    }));
  }
  void Member(const std::string& community, const std::string& org) {
    ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO community_members (community_id, org_id, status, since, envelope_id) "
          "VALUES (?, ?, 'active', 0, 'e')",
          {community, org}));
      return {};
    }));
  }
  Reader R(const std::string& org) {
    auto r = LoadReader(db(), org);
    EXPECT_TRUE(r) << r.error().ToString();
    return r.value_or(Reader{});
  }
  void Import(const std::string& org, const std::string& community, const std::vector<Json>& objs) {
    ImportOptions o;
    o.owner_org = org;
    o.community_id = community;
    auto r = repo_->Import(Bundle(objs), o);
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_TRUE(r->stored) << (r->outcomes.empty() ? "" : r->outcomes[0].reason);
  }
  std::int64_t Count(const std::string& sql) { return db().Query(sql)->at(0).Int(0); }

  SightingInput In(int indicator, std::int64_t count, const std::string& community,
                   const std::string& tlp = "green") {
    SightingInput in;
    in.indicator_id = IndicatorId(indicator);
    in.count = count;
    in.first_seen = "2025-12-01T08:00:00Z";
    in.last_seen = "2025-12-01T09:30:00Z";
    in.community_id = community;
    in.tlp = tlp;
    return in;
  }

  ManualClock clock_;
  std::optional<IntelRepository> repo_;
  std::optional<Sightings> sightings_;
};

// ---- sightings ----------------------------------------------------------------

TEST_P(SightingTest, VisibilityOfSightingsAndAggregatesAsATable) {
  Import("org-a", "c1", {Indicator(1, "[domain-name:value = 'evil.example']")});
  // B reports three sightings of A's indicator, each of its own day and distribution.
  auto b = R("org-b");
  std::vector<SightingInput> in = {In(1, 5, "c1", "green"), In(1, 7, "", "green"),
                                   In(1, 11, "c1", "red")};
  in[1].first_seen = in[1].last_seen = "2025-11-20T00:00:00Z";
  in[2].first_seen = "2025-11-25T00:00:00Z";
  in[2].last_seen = "2025-11-25T23:00:00Z";
  // TLP:red is above c1's charter (amber): refused as a whole.
  auto refused = sightings_->ReportSightings(b, "org-b", in);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "sightings/2/tlp");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_sightings"), 0);
  in[2].community_id = "";  // red, reporter only
  auto r = sightings_->ReportSightings(b, "org-b", in);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->added, 3u);
  // The indicator's author (A), the reporter (B), a member of c2 only (C), outsider (X).
  struct Row {
    std::string org;
    bool found;
    std::int64_t sightings, total;
    std::string first, last;
  };
  const Row table[] = {
      {"org-a", true, 1, 5, "2025-12-01T08:00:00.000000000Z", "2025-12-01T09:30:00.000000000Z"},
      {"org-b", true, 3, 23, "2025-11-20T00:00:00.000000000Z", "2025-12-01T09:30:00.000000000Z"},
      {"org-c", false, 0, 0, "", ""},
      {"org-x", false, 0, 0, "", ""},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.org);
    auto list = sightings_->ListFor(R(row.org), IndicatorId(1));
    if (!row.found) {
      ASSERT_FALSE(list);
      EXPECT_EQ(list.error().code, ErrorCode::kNotFound);
      continue;
    }
    ASSERT_TRUE(list) << list.error().ToString();
    EXPECT_EQ(list->sightings, row.sightings);
    EXPECT_EQ(list->total_count, row.total);
    EXPECT_EQ(list->first_seen, row.first);
    EXPECT_EQ(list->last_seen, row.last);
    EXPECT_EQ(static_cast<std::int64_t>(list->items.size()), row.sightings);
    for (const auto& item : list->items) {
      EXPECT_EQ(item.reporter_org, "org-b");
      EXPECT_EQ(item.created_by_ref, OrgIdentityRef("org-b"));
    }
  }
  // The sighting objects are STIX objects of the reporter.
  auto stored = repo_->List({.types = {"sighting"}});
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 3u);
  for (const auto& o : *stored) EXPECT_EQ(o.owner_org, "org-b");
}

TEST_P(SightingTest, ReportingIsIdempotentPerIndicatorReporterAndDay) {
  Import("org-a", "c1", {Indicator(1, "[domain-name:value = 'evil.example']")});
  auto b = R("org-b");
  std::vector<SightingInput> in = {In(1, 5, "c1")};
  in[0].where_org = kWhereOrg;
  in[0].where_location = "Paris data centre";
  in[0].observed_by = "resolver logs";
  auto first = sightings_->ReportSightings(b, "org-b", in);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->added, 1u);
  clock_.Advance(60'000);
  auto again = sightings_->ReportSightings(b, "org-b", in);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->unchanged, 1u);
  EXPECT_EQ(again->ids, first->ids);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_objects WHERE type = 'sighting'"), 1);
  // A scan that saw more on the same day: one new version, count raised, range widened.
  in[0].count = 3;  // lower: kept at 5
  in[0].first_seen = "2025-12-01T06:00:00Z";
  in[0].last_seen = "2025-12-01T18:00:00Z";
  auto more = sightings_->ReportSightings(b, "org-b", in);
  ASSERT_TRUE(more) << more.error().ToString();
  EXPECT_EQ(more->updated, 1u);
  EXPECT_EQ(more->ids, first->ids);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_objects WHERE type = 'sighting'"), 2);
  auto list = sightings_->ListFor(R("org-a"), IndicatorId(1));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].count, 5);
  EXPECT_EQ(list->items[0].first_seen, "2025-12-01T06:00:00Z");
  EXPECT_EQ(list->items[0].last_seen, "2025-12-01T18:00:00Z");
  EXPECT_EQ(list->items[0].where_location, "Paris data centre");
  EXPECT_EQ(list->items[0].observed_by, "resolver logs");
  EXPECT_EQ(list->items[0].where_sighted_refs, std::vector<std::string>{OrgIdentityRef(kWhereOrg)});
  // Another day: another sighting. Two inputs of one batch for one key merge.
  std::vector<SightingInput> next = {In(1, 2, "c1"), In(1, 9, "c1")};
  for (auto& n : next) n.first_seen = n.last_seen = "2025-12-02T01:00:00Z";
  auto other = sightings_->ReportSightings(b, "org-b", next);
  ASSERT_TRUE(other) << other.error().ToString();
  EXPECT_EQ(other->added, 1u);
  EXPECT_NE(other->ids[0], first->ids[0]);
  EXPECT_EQ(other->ids[0], other->ids[1]);
  list = sightings_->ListFor(R("org-a"), IndicatorId(1));
  ASSERT_TRUE(list);
  EXPECT_EQ(list->sightings, 2);
  EXPECT_EQ(list->total_count, 14);
  // The distribution of a sighting does not change.
  std::vector<SightingInput> moved = {In(1, 5, "")};
  auto refused = sightings_->ReportSightings(b, "org-b", moved);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
}

TEST_P(SightingTest, BadInputIsRefusedAndNothingStored) {
  Import("org-a", "c1", {Indicator(1, "[domain-name:value = 'evil.example']")});
  Import("org-c", "c2", {Indicator(2, "[domain-name:value = 'other.example']")});
  Import("org-a", "c1",
         {Json{{"type", "malware"},
               {"spec_version", "2.1"},
               {"id", "malware--00000000-0000-4000-8000-000000000009"},
               {"created", "2020-01-01T00:00:00.000Z"},
               {"modified", "2020-01-01T00:00:00.000Z"},
               {"name", "x"},
               {"is_family", false}}});
  auto b = R("org-b");
  struct Case {
    std::string name;
    std::function<void(SightingInput&)> change;
    ErrorCode code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"unknown indicator", [](auto& i) { i.indicator_id = IndicatorId(77); }, ErrorCode::kNotFound,
       "sightings/1/indicator_id"},
      {"not an indicator id",
       [](auto& i) { i.indicator_id = "malware--00000000-0000-4000-8000-000000000009"; },
       ErrorCode::kInvalidArgument, "sightings/1/indicator_id"},
      {"malformed id", [](auto& i) { i.indicator_id = "indicator--nope"; },
       ErrorCode::kInvalidArgument, "sightings/1/indicator_id"},
      {"count zero", [](auto& i) { i.count = 0; }, ErrorCode::kInvalidArgument,
       "sightings/1/count"},
      {"count negative", [](auto& i) { i.count = -3; }, ErrorCode::kInvalidArgument,
       "sightings/1/count"},
      {"count too large", [](auto& i) { i.count = 1'000'000'000; }, ErrorCode::kInvalidArgument,
       "sightings/1/count"},
      {"last before first", [](auto& i) { i.last_seen = "2025-11-29T23:59:59Z"; },
       ErrorCode::kInvalidArgument, "sightings/1/last_seen"},
      {"no such date", [](auto& i) { i.first_seen = "2025-02-30T00:00:00Z"; },
       ErrorCode::kInvalidArgument, "sightings/1/first_seen"},
      {"not a timestamp", [](auto& i) { i.last_seen = "yesterday"; }, ErrorCode::kInvalidArgument,
       "sightings/1/last_seen"},
      {"local time", [](auto& i) { i.first_seen = "2025-12-01T08:00:00+01:00"; },
       ErrorCode::kInvalidArgument, "sightings/1/first_seen"},
      {"in the future", [](auto& i) { i.last_seen = "2030-01-01T00:00:00Z"; },
       ErrorCode::kInvalidArgument, "sightings/1/last_seen"},
      {"bad tlp", [](auto& i) { i.tlp = "white"; }, ErrorCode::kInvalidArgument, "sightings/1/tlp"},
      {"bad where_org", [](auto& i) { i.where_org = "CERT-FR"; }, ErrorCode::kInvalidArgument,
       "sightings/1/where_org"},
      {"long location", [](auto& i) { i.where_location = std::string(201, 'x'); },
       ErrorCode::kInvalidArgument, "sightings/1/where_location"},
      {"not a member", [](auto& i) { i.community_id = "c9"; }, ErrorCode::kFailedPrecondition,
       "sightings/1/community_id"},
      {"indicator not readable", [](auto& i) { i.indicator_id = IndicatorId(2); },
       ErrorCode::kNotFound, "sightings/1/indicator_id"},
  };
  // The indicator of org-c is readable by B (c2); make it unreadable: ask as A.
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<SightingInput> in = {In(1, 1, "c1"), In(1, 2, "c1")};
    in[1].first_seen = in[1].last_seen = "2025-11-30T00:00:00Z";
    c.change(in[1]);
    const bool as_a = c.name == "indicator not readable";
    auto r = as_a ? sightings_->ReportSightings(R("org-a"), "org-a", in)
                  : sightings_->ReportSightings(b, "org-b", in);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.code) << r.error().ToString();
    EXPECT_EQ(r.error().field, c.field) << r.error().ToString();
  }
  // A reader of another organisation, and too many inputs.
  std::vector<SightingInput> one = {In(1, 1, "c1")};
  EXPECT_EQ(sightings_->ReportSightings(R("org-a"), "org-b", one).error().code,
            ErrorCode::kFailedPrecondition);
  std::vector<SightingInput> many(kMaxSightingsPerReport + 1, In(1, 1, "c1"));
  EXPECT_EQ(sightings_->ReportSightings(b, "org-b", many).error().code,
            ErrorCode::kResourceExhausted);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_objects WHERE type = 'sighting'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_sightings"), 0);
}

TEST_P(SightingTest, SightingsImportedFromBundlesAreListed) {
  Import("org-a", "c1", {Indicator(1, "[domain-name:value = 'evil.example']")});
  Json s = {{"type", "sighting"},
            {"spec_version", "2.1"},
            {"id", "sighting--00000000-0000-4000-8000-000000000001"},
            {"created", "2021-01-01T00:00:00.000Z"},
            {"modified", "2021-01-01T00:00:00.000Z"},
            {"sighting_of_ref", IndicatorId(1)},
            {"count", 4},
            {"first_seen", "2021-01-01T00:00:00Z"},
            {"last_seen", "2021-01-02T00:00:00Z"},
            {"object_marking_refs", {kGreen}}};
  Import("org-b", "c1", {s});
  Json newer = s;
  newer["modified"] = "2021-01-03T00:00:00.000Z";
  newer["count"] = 6;
  Import("org-b", "c1", {newer});
  auto list = sightings_->ListFor(R("org-a"), IndicatorId(1));
  ASSERT_TRUE(list) << list.error().ToString();
  EXPECT_EQ(list->sightings, 1);
  EXPECT_EQ(list->total_count, 6);  // the newest version only
}

// ---- correlation ----------------------------------------------------------------

// The ids of the objects correlated with `id` for `org`, with their relation.
std::set<std::string> Linked(store::Database& db, const Reader& reader, const std::string& id,
                             bool* found = nullptr) {
  std::set<std::string> out;
  auto c = Correlate(db, reader, id);
  if (found) *found = c.has_value();
  if (!c) return out;
  for (const auto& g : *c)
    for (const auto& m : g.matches) out.insert(m.relation + ":" + m.id);
  return out;
}

TEST_P(SightingTest, CorrelationAcrossAuthorsAndCommunitiesAsATable) {
  const std::string p = "[domain-name:value = 'evil.example']";
  Import("org-a", "c1", {Indicator(1, p)});        // A in c1
  Import("org-b", "c1", {Indicator(2, p)});        // B in c1
  Import("org-c", "c2", {Indicator(3, p)});        // C in c2
  Import("org-c", "c2", {Indicator(4, p, kRed)});  // C in c2, red: C alone
  Import("org-a", "c1", {Indicator(5, p)});        // A again, same community: not linked to 1
  Import("org-a", "", {Indicator(6, p)});          // A alone
  Import("org-b", "c1", {Indicator(7, "[domain-name:value = 'fine.example']")});
  struct Row {
    std::string org;
    int object;
    bool found;
    std::set<std::string> linked;
  };
  auto id = [](int n) { return "same:" + IndicatorId(n); };
  const Row table[] = {
      // A sees 1, 2, 5, 6: 1 links to B's 2 (other author) and A's own 6 (no community);
      // not to 5 (same author, same community); not to 3 and 4 (c2, A not in it).
      {"org-a", 1, true, {id(2), id(6)}},
      {"org-a", 6, true, {id(1), id(2), id(5)}},
      // B (c1 and c2) sees 1, 2, 3, 5 (not 4: red, not 6: A alone).
      {"org-b", 2, true, {id(1), id(3), id(5)}},
      {"org-b", 1, true, {id(2), id(3)}},
      // C (c2) reads 3 and 4: the same author and community, not linked to each other.
      {"org-c", 3, true, {}},
      {"org-c", 1, false, {}},
      // An outsider reads nothing.
      {"org-x", 1, false, {}},
      {"org-x", 3, false, {}},
      {"org-b", 7, true, {}},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(fmt::format("{} object {}", row.org, row.object));
    bool found = false;
    auto linked = Linked(db(), R(row.org), IndicatorId(row.object), &found);
    EXPECT_EQ(found, row.found);
    EXPECT_EQ(linked, row.linked);
  }
}

TEST_P(SightingTest, ContainmentOfDomainsAndNetworksAndNormalisedValues) {
  Import("org-a", "c1",
         {Indicator(1, "[domain-name:value = 'Example.COM.']"),
          Indicator(2, "[ipv4-addr:value = '10.0.0.0/8']"),
          Indicator(3, "[ipv6-addr:value = '2001:db8::/32']"),
          Indicator(4, "[url:value = 'HTTP://Example.COM:80/path?q=1#frag']"),
          Indicator(5, "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']"),
          Indicator(6, "[email-addr:value = 'Boss@Example.com']")});
  Import("org-b", "c1",
         {Indicator(11, "[domain-name:value = 'www.example.com']"),
          Indicator(12, "[domain-name:value = 'notexample.com']"),
          Indicator(13, "[ipv4-addr:value = '10.1.2.3'] OR [ipv4-addr:value = '11.0.0.1']"),
          Indicator(14, "[ipv4-addr:value = '10.1.0.0/16']"),
          Indicator(15, "[ipv4-addr:value = '0.0.0.0/0']"),
          Indicator(16, "[ipv6-addr:value = '2001:0db8:0000::1']"),
          Indicator(17, "[url:value = 'http://example.com/path?q=1']"),
          Indicator(18, "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"),
          Indicator(19, "[email-message:from_ref.value = 'boss@example.com']")});
  auto a = R("org-a");
  auto id = [](const char* rel, int n) { return std::string(rel) + ":" + IndicatorId(n); };
  EXPECT_EQ(Linked(db(), a, IndicatorId(1)), (std::set<std::string>{id("within", 11)}));
  EXPECT_EQ(Linked(db(), a, IndicatorId(2)),
            (std::set<std::string>{id("within", 13), id("within", 14), id("contains", 15)}));
  EXPECT_EQ(Linked(db(), a, IndicatorId(3)), (std::set<std::string>{id("within", 16)}));
  EXPECT_EQ(Linked(db(), a, IndicatorId(4)), (std::set<std::string>{id("same", 17)}));
  EXPECT_EQ(Linked(db(), a, IndicatorId(5)), (std::set<std::string>{id("same", 18)}));
  EXPECT_EQ(Linked(db(), a, IndicatorId(6)), (std::set<std::string>{id("same", 19)}));
  // From the other side: the subdomain sees its parent, the address its networks.
  auto b = R("org-b");
  EXPECT_EQ(Linked(db(), b, IndicatorId(11)), (std::set<std::string>{id("contains", 1)}));
  EXPECT_EQ(Linked(db(), b, IndicatorId(13)),
            (std::set<std::string>{id("contains", 2)}));  // 14 and 15 are B's own in c1
  EXPECT_EQ(Linked(db(), b, IndicatorId(16)), (std::set<std::string>{id("contains", 3)}));
  // The keys and their values as shown.
  auto c = Correlate(db(), a, IndicatorId(2));
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].key.value, "10.0.0.0/8");
  EXPECT_EQ((*c)[0].count, 3u);
  std::set<std::string> values;
  for (const auto& m : (*c)[0].matches) values.insert(m.value);
  EXPECT_EQ(values, (std::set<std::string>{"10.1.2.3", "10.1.0.0/16", "0.0.0.0/0"}));
}

TEST_P(SightingTest, ObservableKeysAreNormalised) {
  struct Row {
    Observable in;
    std::optional<std::string> kind, value, lo, hi;
  };
  const Row table[] = {
      {{"domain-name", "WWW.Example.com.", ""},
       "domain",
       "www.example.com",
       "com.example.www.",
       std::nullopt},
      {{"ipv4-addr", "10.1.2.3/8", ""}, "ipv4", "10.0.0.0/8", "0a000000", "0affffff"},
      {{"ipv4-addr", "192.0.2.1", ""}, "ipv4", "192.0.2.1", "c0000201", "c0000201"},
      {{"ipv4-addr", "192.0.2.1/33", ""}, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      {{"ipv4-addr", "999.0.2.1", ""}, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      {{"ipv6-addr", "2001:DB8::1/128", ""},
       "ipv6",
       "2001:db8::1",
       "20010db8000000000000000000000001",
       "20010db8000000000000000000000001"},
      {{"url", "HTTPS://Host.Example:443", ""},
       "url",
       "https://host.example/",
       std::nullopt,
       std::nullopt},
      {{"url", "https://host.example:8443/A?b#c", ""},
       "url",
       "https://host.example:8443/A?b",
       std::nullopt,
       std::nullopt},
      {{"file-hash", "ABCDEF", "SHA-256"}, "sha256", "abcdef", std::nullopt, std::nullopt},
      {{"file-hash", "abc", "SHA-512"}, "hash:sha-512", "abc", std::nullopt, std::nullopt},
      {{"file-hash", "xyz", "MD5"}, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      {{"email-addr", "A@B.example", ""}, "email", "a@b.example", std::nullopt, std::nullopt},
      // Normalising a normalised value changes nothing (found by the fuzz target's property).
      {{"domain-name", "a.example..", ""}, "domain", "a.example", "example.a.", std::nullopt},
      {{"url", "http://Host.Example.:80/x", ""},
       "url",
       "http://host.example/x",
       std::nullopt,
       std::nullopt},
      {{"url", "http://host.example:80./x", ""},
       "url",
       "http://host.example/x",
       std::nullopt,
       std::nullopt},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.in.type + " " + row.in.value);
    auto k = ObservableKeyOf(row.in);
    ASSERT_EQ(k.has_value(), row.kind.has_value());
    if (!k) continue;
    EXPECT_EQ(k->kind, *row.kind);
    EXPECT_EQ(k->value, *row.value);
    EXPECT_EQ(k->range_lo, row.lo);
    EXPECT_EQ(k->range_hi, row.hi);
    auto again = ObservableKeyOf(Observable{row.in.type, k->value, row.in.hash_algorithm});
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *k);
  }
}

TEST_P(SightingTest, SupersededVersionsNoLongerCorrelate) {
  Import("org-a", "c1", {Indicator(1, "[domain-name:value = 'old.example']")});
  Import("org-b", "c1", {Indicator(2, "[domain-name:value = 'old.example']")});
  EXPECT_EQ(Linked(db(), R("org-b"), IndicatorId(2)).size(), 1u);
  Import("org-a", "c1",
         {Indicator(1, "[domain-name:value = 'new.example']", kGreen, "2021-01-01T00:00:00.000Z")});
  EXPECT_TRUE(Linked(db(), R("org-b"), IndicatorId(2)).empty());
}

TEST_P(SightingTest, ARepeatedValueCostsAtMostTheScanLimit) {
  // 1,500 objects of B name the value A's indicator names.
  std::vector<Json> objects;
  for (int i = 0; i < 1500; ++i)
    objects.push_back(Indicator(100 + i, "[ipv4-addr:value = '198.51.100.7']"));
  Import("org-b", "c1", objects);
  Import("org-a", "c1",
         {Indicator(1, "[ipv4-addr:value = '198.51.100.0/24']"),
          Indicator(2, "[ipv4-addr:value = '198.51.100.7']")});
  CorrelationOptions o;
  o.limit = 5;
  o.scan_limit = 400;
  for (int object : {1, 2}) {
    SCOPED_TRACE(object);
    auto c = Correlate(db(), R("org-a"), IndicatorId(object), o);
    ASSERT_TRUE(c) << c.error().ToString();
    ASSERT_EQ(c->size(), 1u);
    EXPECT_EQ((*c)[0].matches.size(), 5u);
    // What the scan examined (less the subject itself or A's other object),
    // not all 1,500.
    EXPECT_LE((*c)[0].count, 400u);
    EXPECT_GE((*c)[0].count, 399u);
    EXPECT_TRUE((*c)[0].count_capped);
  }
  // With a scan limit above the repetition the count is exact.
  o.scan_limit = 5000;
  auto c = Correlate(db(), R("org-a"), IndicatorId(2), o);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)[0].count, 1500u);
  EXPECT_FALSE((*c)[0].count_capped);
  // An outsider of c1 reading... nothing: not even the subject.
  EXPECT_EQ(Correlate(db(), R("org-c"), IndicatorId(2), o).error().code, ErrorCode::kNotFound);
}

// ---- import of a large bundle (the page-cache path) -----------------------------

TEST_P(SightingTest, LargeBundleImportsAndLeavesThePageCacheAsItWas) {
  std::vector<Json> objects;
  for (int i = 0; i < 10; ++i) {
    Json j = Indicator(i + 1, fmt::format("[domain-name:value = 'big{}.example']", i));
    j["description"] = std::string(900'000, static_cast<char>('a' + i));
    objects.push_back(std::move(j));
  }
  auto text = Bundle(objects);
  ASSERT_GT(text.size(), size_t{8} << 20);
  auto cache = [&] {
    std::int64_t v = 0;
    EXPECT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
      if (backend() == store::Backend::kSqlite)
        v = ENTENTE_TRY(tx.Query("PRAGMA cache_size"))[0].Int(0);
      return Ok();
    }));
    return v;
  };
  const auto before = cache();
  ImportOptions o;
  o.owner_org = "org-a";
  o.community_id = "c1";
  auto r = repo_->Import(text, o);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->stored);
  EXPECT_EQ(r->added, 10u);
  EXPECT_EQ(cache(), before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_observables"), 10);
  // A rejected large bundle stores nothing and also restores the cache.
  objects[9]["modified"] = "2019-01-01T00:00:00.000Z";  // before created: invalid
  objects[9]["id"] = IndicatorId(99);
  for (int i = 0; i < 9; ++i) objects[i]["id"] = IndicatorId(200 + i);
  auto bad = repo_->Import(Bundle(objects), o);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->stored);
  EXPECT_EQ(cache(), before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_objects"), 10);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM intel_observables"), 10);
}

ENTENTE_INSTANTIATE_BACKENDS(SightingTest);

}  // namespace
}  // namespace entente::intel
