// The intelligence and community routes through the real HTTP server, on
// both backends: the done-means scenario (two organisations in a community,
// one imports, the other reads; an outsider and the node operator see
// nothing: not in the list, not by id, not in the export), search and
// pagination, relationships, and every bad upload answered with a precise
// problem+json while nothing is stored.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/node_fixture.h"
#include "crypto/crypto.h"
#include "journal/envelope.h"

namespace entente::testing {
namespace {

constexpr const char* kGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kAmber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
constexpr const char* kRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

Json Indicator(int n, const char* marking, const std::string& domain, const std::string& label) {
  Json j = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n)},
            {"created", "2020-01-01T00:00:00.000Z"},
            {"modified", "2020-01-01T00:00:00.000Z"},
            {"name", "Indicator " + domain},
            {"labels", {label}},
            {"pattern", fmt::format("[domain-name:value = '{}']", domain)},
            {"pattern_type", "stix"},
            {"valid_from", "2020-01-01T00:00:00Z"}};
  if (marking) j["object_marking_refs"] = {marking};
  return j;
}

Json Malware(int n) {
  return Json{{"type", "malware"},
              {"spec_version", "2.1"},
              {"id", fmt::format("malware--00000000-0000-4000-8000-{:012d}", n)},
              {"created", "2020-01-01T00:00:00.000Z"},
              {"modified", "2020-01-01T00:00:00.000Z"},
              {"name", "Badness"},
              {"is_family", true},
              {"object_marking_refs", {kGreen}}};
}

Json Relationship(int n, const Json& from, const Json& to) {
  return Json{{"type", "relationship"},
              {"spec_version", "2.1"},
              {"id", fmt::format("relationship--00000000-0000-4000-8000-{:012d}", n)},
              {"created", "2020-01-01T00:00:00.000Z"},
              {"modified", "2020-01-01T00:00:00.000Z"},
              {"relationship_type", "indicates"},
              {"source_ref", from["id"]},
              {"target_ref", to["id"]},
              {"object_marking_refs", {kGreen}}};
}

std::string Bundle(const std::vector<Json>& objects) {
  return Json{{"type", "bundle"},
              {"id", "bundle--11111111-2222-4333-8444-555555555555"},
              {"objects", objects}}
      .dump();
}

class IntelApiTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* n : {"A", "B", "O"}) {
      std::string lower(1, static_cast<char>(n[0] - 'A' + 'a'));
      org_[n] = MakeOrg(std::string("CERT ") + n).id;
      officer_[n] = MakeToken(MakeUser(org_[n], "officer-" + lower, auth::Role::kOfficer).id);
      analyst_[n] = MakeToken(MakeUser(org_[n], "analyst-" + lower, auth::Role::kAnalyst).id);
    }
    op_ = MakeToken(MakeUser(founding_org_, "op2", auth::Role::kAdmin, true).id);
    Serve();
    auto created = Post("/api/v1/communities", officer_["A"],
                        Json{{"name", "Health"},
                             {"purpose", "Hospitals"},
                             {"allowed_kinds", {"national_csirt"}},
                             {"max_tlp", "amber"}}
                            .dump());
    ASSERT_EQ(created.status, 201) << created.body;
    community_ = Json::parse(created.body)["id"];
    auto invited = Post("/api/v1/communities/" + community_ + "/invitations", officer_["A"],
                        Json{{"org", org_["B"]}}.dump());
    ASSERT_EQ(invited.status, 201) << invited.body;
  }
  http::ClientResponse Post(const std::string& path, const std::string& token,
                            const std::string& body, const std::string& type = "application/json") {
    return Call("POST", path, token, body, {{"Content-Type", type}});
  }
  Json GetJson(const std::string& path, const std::string& token, int want = 200) {
    auto r = Call("GET", path, token);
    EXPECT_EQ(r.status, want) << path << ": " << r.body;
    auto j = Json::parse(r.body, nullptr, false);
    return j;
  }
  std::int64_t Stored() {
    return node_->db().Query("SELECT COUNT(*) FROM intel_objects")->at(0).Int(0);
  }
  std::set<std::string> ListedIds(const std::string& token, const std::string& query = "") {
    std::set<std::string> out;
    Json j = GetJson("/api/v1/intel/objects" + query, token);
    for (const auto& i : j["items"]) out.insert(i["id"].get<std::string>());
    return out;
  }
  std::set<std::string> ExportedIds(const std::string& token) {
    auto r = Call("GET", "/api/v1/intel/export", token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    // Parsed into a variable first: a range-for over a member of a
    // temporary would read destroyed memory (before C++23's P2718, which g++ 12 lacks).
    Json bundle = Json::parse(r.body);
    for (const auto& o : bundle["objects"]) out.insert(o["id"].get<std::string>());
    return out;
  }
  // Uploads a bad bundle: the answer is a problem+json with `status`, and
  // nothing is stored.
  Json Rejected(const std::string& body, int status, const std::string& query = "") {
    std::int64_t before = Stored();
    auto r = Post("/api/v1/intel/bundles?community=" + community_ + query, analyst_["A"], body);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    EXPECT_EQ(Stored(), before);
    return Json::parse(r.body, nullptr, false);
  }
  std::map<std::string, std::string> org_, officer_, analyst_;
  std::string op_, community_;
};

TEST_P(IntelApiTest, MembersReadWhatIsSharedAndOutsidersSeeNothing) {
  Json green = Indicator(1, kGreen, "evil.example", "phishing");
  Json amber = Indicator(2, kAmber, "worse.example", "c2");
  Json red = Indicator(3, kRed, "secret.example", "c2");
  Json malware = Malware(4);
  Json rel = Relationship(5, green, malware);
  // Red is above the charter (amber): shared without community instead.
  auto up = Post("/api/v1/intel/bundles?community=" + community_, analyst_["A"],
                 Bundle({green, amber, malware, rel}));
  ASSERT_EQ(up.status, 200) << up.body;
  Json report = Json::parse(up.body);
  EXPECT_TRUE(report["stored"]);
  EXPECT_EQ(report["added"], 4);
  ASSERT_EQ(Post("/api/v1/intel/bundles", analyst_["A"], Bundle({red})).status, 200);

  const std::set<std::string> shared = {green["id"], amber["id"], malware["id"], rel["id"]};
  std::set<std::string> all = shared;
  all.insert(red["id"].get<std::string>());
  EXPECT_EQ(ListedIds(analyst_["A"]), all);
  EXPECT_EQ(ListedIds(analyst_["B"]), shared);
  EXPECT_EQ(ExportedIds(analyst_["B"]), shared);
  for (const std::string* who : {&analyst_["O"], &op_}) {
    EXPECT_TRUE(ListedIds(*who).empty());
    EXPECT_TRUE(ExportedIds(*who).empty());
    for (const auto& id : all) GetJson("/api/v1/intel/objects/" + id, *who, 404);
    GetJson("/api/v1/communities/" + community_, *who, 404);
    GetJson("/api/v1/intel/objects?community=" + community_, *who, 404);
    EXPECT_TRUE(GetJson("/api/v1/communities", *who)["items"].empty());
  }
  GetJson("/api/v1/intel/objects/" + red["id"].get<std::string>(), analyst_["B"], 404);

  // B's view of one object: content, versions, relationships both ways.
  Json g = GetJson("/api/v1/intel/objects/" + green["id"].get<std::string>(), analyst_["B"]);
  EXPECT_EQ(g["object"], Json::parse(green.dump()));
  EXPECT_EQ(g["tlp"], "green");
  EXPECT_EQ(g["community"], community_);
  EXPECT_EQ(g["owner_org"], org_["A"]);
  ASSERT_EQ(g["versions"].size(), 1u);
  ASSERT_EQ(g["relationships"]["outgoing"].size(), 1u);
  EXPECT_EQ(g["relationships"]["outgoing"][0]["other"]["name"], "Badness");
  Json m = GetJson("/api/v1/intel/objects/" + malware["id"].get<std::string>(), analyst_["B"]);
  ASSERT_EQ(m["relationships"]["incoming"].size(), 1u);
  EXPECT_EQ(m["relationships"]["incoming"][0]["id"], rel["id"]);

  // Membership: B sees the members, the outsider gets 404 (above).
  Json c = GetJson("/api/v1/communities/" + community_, analyst_["B"]);
  EXPECT_EQ(c["members"].size(), 2u);

  // B leaves: it reads nothing of the community any more.
  ASSERT_EQ(Post("/api/v1/communities/" + community_ + "/leave", officer_["B"], "").status, 200);
  EXPECT_TRUE(ListedIds(analyst_["B"]).empty());
  EXPECT_TRUE(ExportedIds(analyst_["B"]).empty());
}

TEST_P(IntelApiTest, SearchFiltersAndPaginates) {
  std::vector<Json> objects;
  for (int i = 1; i <= 7; ++i)
    objects.push_back(Indicator(i, i % 2 ? kGreen : kAmber, fmt::format("host{}.Example", i),
                                i <= 3 ? "phishing" : "c2"));
  objects.push_back(Malware(8));
  ASSERT_EQ(
      Post("/api/v1/intel/bundles?community=" + community_, analyst_["A"], Bundle(objects)).status,
      200);
  const std::string& b = analyst_["B"];
  EXPECT_EQ(ListedIds(b, "?type=malware").size(), 1u);
  EXPECT_EQ(ListedIds(b, "?type=indicator").size(), 7u);
  EXPECT_EQ(ListedIds(b, "?tlp=amber").size(), 3u);
  EXPECT_EQ(ListedIds(b, "?tlp=amber&tlp=green").size(), 8u);
  EXPECT_EQ(ListedIds(b, "?label=phishing").size(), 3u);
  EXPECT_EQ(ListedIds(b, "?label=phish").size(), 0u);      // labels match whole
  EXPECT_EQ(ListedIds(b, "?q=HOST5.example").size(), 1u);  // case-insensitive
  EXPECT_EQ(ListedIds(b, "?q=badness").size(), 1u);
  EXPECT_EQ(ListedIds(b, "?q=host&label=c2&tlp=green").size(), 2u);  // 5, 7
  // Pages of 3 with the cursor: every object once, in order.
  std::vector<std::string> seen;
  std::string next;
  for (int page = 0; page < 10; ++page) {
    Json j = GetJson(
        "/api/v1/intel/objects?type=indicator&limit=3" + (next.empty() ? "" : "&after=" + next), b);
    for (const auto& i : j["items"]) seen.push_back(i["id"]);
    if (j["next"].is_null()) break;
    next = j["next"];
  }
  ASSERT_EQ(seen.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(seen[i], objects[i]["id"].get<std::string>());
  // Bad queries.
  for (const char* q : {"?tlp=purple", "?type=Bad_Type", "?limit=0", "?limit=201", "?after=x",
                        "?revoked=maybe", "?colour=red", "?q="})
    GetJson(std::string("/api/v1/intel/objects") + q, b, 422);
  GetJson("/api/v1/intel/objects/not-an-id", b, 404);
}

TEST_P(IntelApiTest, BadUploadsArePreciseAndStoreNothing) {
  Json good = Indicator(1, kGreen, "a.example", "x");
  // Malformed JSON: 400 with the byte offset.
  Json p = Rejected(
      R"({"type": "bundle", "id": "bundle--11111111-2222-4333-8444-555555555555", "objects": [{"type": )",
      400);
  EXPECT_EQ(p["field"], "body");
  EXPECT_NE(p["detail"].get<std::string>().find("byte"), std::string::npos) << p.dump();
  // Not a bundle and not an object.
  Rejected("[1, 2]", 400);
  // Unknown type, wrong timestamp, pattern that does not parse, TLP above
  // the charter, duplicate id with conflicting content: 422 with each
  // object's path, id and reason; the good object beside them is not kept.
  Json unknown = good;
  unknown["type"] = "indikator";
  Json stamp = Indicator(2, kGreen, "b.example", "x");
  stamp["created"] = "2020-13-01T00:00:00.000Z";
  Json pattern = Indicator(3, kGreen, "c.example", "x");
  pattern["pattern"] = "[domain-name:value = 'x'";
  Json red = Indicator(4, kRed, "d.example", "x");
  Json dup = Indicator(5, kGreen, "e.example", "x");
  Json dup2 = Indicator(5, kGreen, "other.example", "x");
  p = Rejected(Bundle({good, unknown, stamp, pattern, red, dup, dup2}), 422);
  EXPECT_EQ(p["type"], "urn:entente:problem:bundle_rejected");
  EXPECT_EQ(p["status"], 422);
  EXPECT_FALSE(p["report"]["stored"]);
  std::map<std::string, std::string> reasons;
  for (const auto& e : p["errors"]) reasons[e["path"]] = e["reason"];
  ASSERT_EQ(reasons.size(), 5u) << p.dump(2);
  EXPECT_NE(reasons["/objects/1/type"].find("unknown object type"), std::string::npos);
  EXPECT_TRUE(reasons.contains("/objects/2/created")) << p.dump(2);
  EXPECT_NE(reasons["/objects/3/pattern"].find("invalid STIX pattern"), std::string::npos);
  EXPECT_NE(reasons["/objects/4/object_marking_refs"].find("TLP:red is above TLP:amber"),
            std::string::npos);
  EXPECT_NE(reasons["/objects/6"].find("conflict"), std::string::npos) << p.dump(2);
  // Deeply nested object: refused with the limit named (413: beyond limits).
  std::string deep = good.dump();
  deep.insert(deep.size() - 1, R"(,"x_deep":)" + std::string(100, '[') + std::string(100, ']'));
  p = Rejected(
      "{\"type\":\"bundle\",\"id\":\"bundle--11111111-2222-4333-8444-555555555555\","
      "\"objects\":[" +
          deep + "]}",
      413);
  EXPECT_NE(p["detail"].get<std::string>().find("nested deeper than 32 levels"), std::string::npos)
      << p.dump();
  // Too many objects for an upload (10,000): 413.
  std::string huge =
      R"({"type":"bundle","id":"bundle--11111111-2222-4333-8444-555555555555","objects":[)";
  for (int i = 0; i < 10'001; ++i) huge += i ? ",{}" : "{}";
  huge += "]}";
  p = Rejected(huge, 413);
  EXPECT_EQ(p["field"], "body");
  // Wrong media type; a community the organisation is not in.
  Rejected(Bundle({good}), 422, "&x=1");  // unknown query parameter, named in `field`
  auto outsider =
      Post("/api/v1/intel/bundles?community=" + community_, analyst_["O"], Bundle({good}));
  EXPECT_EQ(outsider.status, 404) << outsider.body;
  auto text = Post("/api/v1/intel/bundles", analyst_["A"], Bundle({good}), "text/plain");
  EXPECT_EQ(text.status, 400) << text.body;
  EXPECT_EQ(Stored(), 0);
  // Partial: the valid objects are kept and each fate reported.
  auto partial = Post("/api/v1/intel/bundles?partial=true&community=" + community_, analyst_["A"],
                      Bundle({good, pattern}));
  ASSERT_EQ(partial.status, 200) << partial.body;
  Json r = Json::parse(partial.body);
  EXPECT_TRUE(r["stored"]);
  EXPECT_EQ(r["objects"][0]["fate"], "added");
  EXPECT_EQ(r["objects"][1]["fate"], "rejected");
  EXPECT_EQ(Stored(), 1);
}

TEST_P(IntelApiTest, CommunityRoutes) {
  // Invitation of an unknown organisation, a bad body, vouch and removal
  // through the API; the members list is for members only.
  auto bad = Post("/api/v1/communities/" + community_ + "/invitations", officer_["A"],
                  Json{{"org", "nope"}}.dump());
  EXPECT_EQ(bad.status, 422) << bad.body;
  auto c = Post("/api/v1/communities/" + community_ + "/invitations", officer_["B"],
                Json{{"org", org_["O"]}}.dump());
  ASSERT_EQ(c.status, 201) << c.body;
  Json invited = GetJson("/api/v1/communities/" + community_, analyst_["O"]);
  EXPECT_EQ(invited["my_status"], "invited");
  EXPECT_FALSE(invited.contains("members"));
  auto self = Post("/api/v1/communities/" + community_ + "/invitations/" + org_["O"] + "/vouch",
                   officer_["O"], "");
  EXPECT_EQ(self.status, 404) << self.body;
  auto twice = Post("/api/v1/communities/" + community_ + "/invitations/" + org_["O"] + "/vouch",
                    officer_["B"], "");
  EXPECT_EQ(twice.status, 409) << twice.body;
  auto vouch = Post("/api/v1/communities/" + community_ + "/invitations/" + org_["O"] + "/vouch",
                    officer_["A"], "");
  ASSERT_EQ(vouch.status, 200) << vouch.body;
  Json members = GetJson("/api/v1/communities/" + community_, analyst_["O"]);
  EXPECT_EQ(members["members"].size(), 3u);
  auto vote = Post("/api/v1/communities/" + community_ + "/members/" + org_["O"] + "/remove",
                   officer_["A"], "");
  ASSERT_EQ(vote.status, 200) << vote.body;
  vote = Post("/api/v1/communities/" + community_ + "/members/" + org_["O"] + "/remove",
              officer_["B"], "");
  ASSERT_EQ(vote.status, 200) << vote.body;
  GetJson("/api/v1/communities/" + community_, analyst_["O"], 404);
  // Analysts read communities but do not manage them.
  auto analyst = Post("/api/v1/communities", analyst_["A"], Json{{"name", "x"}}.dump());
  EXPECT_EQ(analyst.status, 403);
  GetJson("/api/v1/communities/not-a-uuid", analyst_["A"], 404);
}

// Only the organisation that first stored an id adds versions or revokes
// it: through the bundle API (422 naming the object, nothing stored) and
// TAXII Add Objects (a failure in the status); TAXII Delete an Object is the
// owner's only, and is a journal envelope signed by the owner's key.
TEST_P(IntelApiTest, OwnershipOnImportAndTaxiiAndSignedTaxiiDelete) {
  const std::string q = "?community=" + community_;
  Json mine = Indicator(1, kGreen, "owned.example", "phishing");
  auto r = Post("/api/v1/intel/bundles" + q, analyst_["A"], Bundle({mine}));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id = mine["id"];
  Json newer = mine;
  newer["modified"] = "2021-01-01T00:00:00.000Z";
  newer["name"] = "hijacked";
  ASSERT_EQ(Stored(), 1);

  // The bundle API: the whole bundle refused, the object named.
  r = Post("/api/v1/intel/bundles" + q, analyst_["B"],
           Bundle({Indicator(2, kGreen, "b.example", "x"), newer}));
  EXPECT_EQ(r.status, 422) << r.body;
  Json problem = Json::parse(r.body, nullptr, false);
  ASSERT_EQ(problem["errors"].size(), 1u) << problem.dump();
  EXPECT_EQ(problem["errors"][0]["id"].get<std::string>(), id);
  EXPECT_EQ(problem["errors"][0]["path"].get<std::string>(), "/objects/1/id");
  EXPECT_NE(problem["errors"][0]["reason"].get<std::string>().find("another organisation"),
            std::string::npos);
  EXPECT_EQ(Stored(), 1);

  // TAXII Add Objects: the newer version fails, B's own object is added.
  const std::string taxii = "application/taxii+json;version=2.1";
  const std::string col = "/taxii2/api1/collections/" + community_ + "/objects/";
  http::Headers h = {{"Accept", taxii}, {"Content-Type", taxii}};
  Json b_own = Indicator(3, kGreen, "b-own.example", "x");
  r = Call("POST", col, analyst_["B"], Json{{"objects", {newer, b_own}}}.dump(), h);
  ASSERT_EQ(r.status, 202) << r.body;
  Json status = Json::parse(r.body);
  EXPECT_EQ(status["success_count"].get<int>(), 1);
  ASSERT_EQ(status["failure_count"].get<int>(), 1);
  EXPECT_EQ(status["failures"][0]["id"].get<std::string>(), id);
  EXPECT_NE(status["failures"][0]["message"].get<std::string>().find("another organisation"),
            std::string::npos);
  EXPECT_EQ(Stored(), 2);
  auto names = node_->db().Query("SELECT content FROM intel_objects WHERE stix_id = ?", {id});
  ASSERT_TRUE(names);
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ(Json::parse((*names)[0].Text(0))["name"], mine["name"]);

  // TAXII Delete: B may not; nothing journaled. A may: one signed envelope.
  auto journaled = [&] {
    auto rows =
        node_->db().Query("SELECT envelope FROM journal WHERE type = 'taxii.delete' ORDER BY seq");
    EXPECT_TRUE(rows);
    std::vector<journal::Envelope> out;
    if (!rows) return out;
    for (const auto& row : *rows) {
      auto env = journal::Envelope::FromJson(Json::parse(row.Text(0)));
      EXPECT_TRUE(env) << env.error().ToString();
      if (env) out.push_back(*env);
    }
    return out;
  };
  r = Call("DELETE", col + id + "/", analyst_["B"], "", {{"Accept", taxii}});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_TRUE(journaled().empty());
  r = Call("DELETE", col + id + "/", analyst_["A"], "", {{"Accept", taxii}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Stored(), 1);
  auto envs = journaled();
  ASSERT_EQ(envs.size(), 1u);
  const journal::Envelope& env = envs[0];
  EXPECT_EQ(env.author_org, org_["A"]);
  EXPECT_EQ(env.distribution.kind, journal::DistributionKind::kCommunity);
  EXPECT_EQ(env.distribution.community, community_);
  ASSERT_TRUE(env.body);
  EXPECT_EQ((*env.body)["object_id"].get<std::string>(), id);
  EXPECT_EQ((*env.body)["versions"].size(), 1u);
  EXPECT_EQ((*env.body)["actor"]["org"].get<std::string>(), org_["A"]);
  auto key = node_->db().Query("SELECT sign_public FROM org_keys WHERE org_id = ?", {org_["A"]});
  ASSERT_TRUE(key);
  ASSERT_EQ(key->size(), 1u);
  auto pub = crypto::Base64UrlDecode((*key)[0].Text(0));
  ASSERT_TRUE(pub);
  EXPECT_TRUE(journal::VerifyEnvelope(env, *pub));
  journal::Envelope forged = env;
  (*forged.body)["versions"] = Json::array({"2099-01-01T00:00:00.000Z"});
  forged.signed_here.clear();
  EXPECT_FALSE(journal::VerifyEnvelope(forged, *pub));
  // Deleting again: nothing left, nothing journaled.
  r = Call("DELETE", col + id + "/", analyst_["A"], "", {{"Accept", taxii}});
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(journaled().size(), 1u);
}

ENTENTE_INSTANTIATE_BACKENDS(IntelApiTest);

}  // namespace
}  // namespace entente::testing
