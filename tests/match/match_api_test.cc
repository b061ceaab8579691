// POST /api/v1/match and GET /api/v1/feeds/* through the real HTTP server,
// on both backends: organisation A shares indicators in a community with B;
// O is an outsider. Who may use which indicators (A's TLP:RED and O's never
// match for B, not in B's feeds either), the answer value by value with
// errors per value (invalid IP/CIDR, invalid UTF-8, bad IDNA) that do not
// fail the batch, the oversize batch (413), sightings reported only when
// asked (and only with the write permission), ETag / If-None-Match / 304,
// and feeds that change when intelligence arrives or expires.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/node_fixture.h"

namespace entente::testing {
namespace {

constexpr const char* kGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

std::string Id(int n) { return fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n); }

Json Ind(int n, const std::string& pattern, const char* marking = kGreen) {
  Json j = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", Id(n)},
            {"created", "2020-01-01T00:00:00.000Z"},
            {"modified", "2020-01-01T00:00:00.000Z"},
            {"pattern", pattern},
            {"pattern_type", "stix"},
            {"valid_from", "2020-01-01T00:00:00Z"}};
  if (marking) j["object_marking_refs"] = {marking};
  return j;
}

std::string Bundle(const std::vector<Json>& objects) {
  return Json{{"type", "bundle"},
              {"id", "bundle--11111111-2222-4333-8444-555555555555"},
              {"objects", objects}}
      .dump();
}

class MatchApiTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* n : {"A", "B", "O"}) {
      org_[n] = MakeOrg(std::string("CERT ") + n).id;
      std::string user =
          MakeUser(org_[n], std::string("ana-") + static_cast<char>(n[0] - 'A' + 'a'),
                   auth::Role::kAnalyst)
              .id;
      analyst_[n] = MakeToken(user);
      reader_[n] = MakeToken(user, {"read"});
    }
    officer_ = MakeToken(MakeUser(org_["A"], "off-a", auth::Role::kOfficer).id);
    viewer_ = MakeToken(MakeUser(org_["B"], "view-b", auth::Role::kViewer).id);
    Serve();
    auto created = Post("/api/v1/communities", officer_,
                        Json{{"name", "Energy"},
                             {"purpose", "Grid operators"},
                             {"allowed_kinds", {"national_csirt"}},
                             {"max_tlp", "amber"}}
                            .dump());
    ASSERT_EQ(created.status, 201) << created.body;
    community_ = Json::parse(created.body)["id"];
    auto invited = Post("/api/v1/communities/" + community_ + "/invitations", officer_,
                        Json{{"org", org_["B"]}}.dump());
    ASSERT_EQ(invited.status, 201) << invited.body;
    Json expiring = Ind(3, "[ipv4-addr:value = '198.51.100.0/24']");
    expiring["valid_until"] = FormatRfc3339(clock_.NowMillis() + 3600 * 1000);
    Upload("A", community_,
           {Ind(1, "[domain-name:value = 'evil.example']"),
            Ind(2, "[url:value = 'http://phish.example/login']"), expiring});
    Upload("A", "", {Ind(4, "[domain-name:value = 'red.example']", kRed)});
    Upload("O", "", {Ind(5, "[domain-name:value = 'outsider.example']")});
  }
  void Upload(const char* org, const std::string& community, const std::vector<Json>& objects) {
    std::string q = community.empty() ? "" : "?community=" + community;
    auto r = Post("/api/v1/intel/bundles" + q, analyst_[org], Bundle(objects));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  http::ClientResponse Post(const std::string& path, const std::string& token,
                            const std::string& body, const std::string& type = "application/json") {
    return Call("POST", path, token, body, {{"Content-Type", type}});
  }
  Json Match(const char* org, const Json& values, int want = 200) {
    auto r = Post("/api/v1/match", analyst_[org], Json{{"values", values}}.dump());
    EXPECT_EQ(r.status, want) << r.body;
    return Json::parse(r.body, nullptr, false);
  }
  std::vector<std::string> HitIds(const Json& result) {
    std::vector<std::string> ids;
    for (const auto& h : result.value("hits", Json::array())) ids.push_back(h["id"]);
    return ids;
  }
  std::int64_t Sightings() {
    return node_->db().Query("SELECT COUNT(*) FROM intel_sightings")->at(0).Int(0);
  }
  std::map<std::string, std::string> org_, analyst_, reader_;
  std::string officer_, viewer_, community_;
};

TEST_P(MatchApiTest, EachOrganisationMatchesWhatItMayUse) {
  Json values = {"EVIL.Example.", "red.example", "outsider.example", "198.51.100.9",
                 "http://PHISH.example:80/login#top"};
  Json b = Match("B", values)["results"];
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(HitIds(b[0]), std::vector<std::string>{Id(1)});
  EXPECT_EQ(b[0]["normalized"], "evil.example");
  EXPECT_EQ(b[0]["hits"][0]["match"], "exact") << b[0];
  EXPECT_EQ(b[0]["hits"][0]["tlp"], "green");
  EXPECT_EQ(b[0]["hits"][0]["community"], community_);
  EXPECT_TRUE(HitIds(Match("B", {"www.evil.example"})["results"][0]).empty());  // STIX: exact
  EXPECT_TRUE(HitIds(b[1]).empty());                                            // A's TLP:RED
  EXPECT_TRUE(HitIds(b[2]).empty());                                            // an outsider's
  EXPECT_EQ(HitIds(b[3]), std::vector<std::string>{Id(3)});
  EXPECT_EQ(HitIds(b[4]), std::vector<std::string>{Id(2)});
  Json a = Match("A", values)["results"];
  EXPECT_EQ(HitIds(a[1]), std::vector<std::string>{Id(4)});  // its own red
  EXPECT_TRUE(HitIds(a[2]).empty());
  Json o = Match("O", values)["results"];
  EXPECT_EQ(HitIds(o[2]), std::vector<std::string>{Id(5)});
  for (int i : {0, 1, 3, 4}) EXPECT_TRUE(HitIds(o[i]).empty()) << i;
  // A viewer may not match at all.
  EXPECT_EQ(Call("POST", "/api/v1/match", viewer_, Json{{"values", values}}.dump(),
                 {{"Content-Type", "application/json"}})
                .status,
            403);
}

TEST_P(MatchApiTest, BadValuesAreAnsweredOneByOne) {
  Json r = Match("B", {"192.0.2.300", "10.0.0.0/33", "2001:db8::g", "xn--zz.example",
                       "b\u00fccher.example", "evil.example"});
  const Json& res = r["results"];
  for (int i : {0, 1, 2, 3}) {
    EXPECT_TRUE(res[i].contains("error")) << res[i];
    EXPECT_FALSE(res[i].contains("hits")) << res[i];
  }
  EXPECT_EQ(res[0]["kind"], "ip");
  EXPECT_EQ(res[4]["normalized"], "xn--bcher-kva.example");
  EXPECT_EQ(HitIds(res[5]), std::vector<std::string>{Id(1)});
  EXPECT_EQ(r["summary"]["errors"], 4);
  EXPECT_EQ(r["summary"]["matched"], 1);
  // Invalid UTF-8 can only come in a text body: answered for that value.
  auto t = Post("/api/v1/match", analyst_["B"], "evil.example\nb\xc3\x28.example\n", "text/plain");
  ASSERT_EQ(t.status, 200) << t.body;
  Json tj = Json::parse(t.body);
  EXPECT_EQ(HitIds(tj["results"][0]), std::vector<std::string>{Id(1)});
  EXPECT_EQ(tj["results"][1]["error"], "value is not valid UTF-8");
  // Malformed bodies are the batch's error, precise.
  auto bad = Post("/api/v1/match", analyst_["B"], R"({"values": [1]})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("values/0"), std::string::npos) << bad.body;
  EXPECT_EQ(Post("/api/v1/match", analyst_["B"], "x", "application/xml").status, 400);
}

TEST_P(MatchApiTest, OversizeBatchIs413) {
  Json values = Json::array();
  for (int i = 0; i <= 10000; ++i) values.push_back(fmt::format("h{}.example", i));
  auto r = Post("/api/v1/match", analyst_["B"], Json{{"values", values}}.dump());
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_NE(r.body.find("at most 10000 values"), std::string::npos) << r.body;
  values.erase(values.size() - 1);
  Json ok = Match("B", values);
  EXPECT_EQ(ok["summary"]["values"], 10000);
}

TEST_P(MatchApiTest, SightingsOnlyWhenAsked) {
  Json values = {"evil.example", "EVIL.EXAMPLE.", "nothing.example"};
  Match("B", values);
  EXPECT_EQ(Sightings(), 0);
  // Asking needs the write permission (intel.write).
  auto denied = Post("/api/v1/match", reader_["B"],
                     Json{{"values", values}, {"report_sightings", true}}.dump());
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(Sightings(), 0);
  auto r = Post("/api/v1/match", analyst_["B"],
                Json{{"values", values}, {"report_sightings", true}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["sightings"]["added"], 1) << j["sightings"];
  EXPECT_EQ(Sightings(), 1);
  // Two values hit the indicator: one sighting counting 2, in the community.
  auto s = node_->db().Query(
      "SELECT content, community_id FROM intel_objects WHERE type = 'sighting' AND is_latest = 1");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->size(), 1u);
  Json sighting = Json::parse(s->at(0).Text(0));
  EXPECT_EQ(sighting["count"], 2);
  EXPECT_EQ(sighting["sighting_of_ref"], Id(1));
  EXPECT_EQ(s->at(0).Text(1), community_);
}

TEST_P(MatchApiTest, FeedsWithETagsChangeWithIntelligence) {
  auto rpz = Call("GET", "/api/v1/feeds/rpz", reader_["B"]);
  ASSERT_EQ(rpz.status, 200) << rpz.body;
  EXPECT_NE(rpz.body.find("evil.example"), std::string::npos) << rpz.body;
  EXPECT_NE(rpz.body.find("24.0.100.51.198.rpz-ip"), std::string::npos) << rpz.body;
  EXPECT_EQ(rpz.body.find("red.example"), std::string::npos);
  EXPECT_EQ(rpz.body.find("outsider.example"), std::string::npos);
  std::string etag = rpz.Header("ETag");
  ASSERT_TRUE(etag.starts_with("\"sha256-")) << etag;
  EXPECT_EQ(rpz.Header("Cache-Control"), "private, no-cache");
  // Not modified: 304 without a body; the same ETag for the same content.
  auto again = Call("GET", "/api/v1/feeds/rpz", reader_["B"], "", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.Header("ETag"), etag);
  EXPECT_EQ(Call("GET", "/api/v1/feeds/rpz", reader_["B"], "",
                 {{"If-None-Match", "\"other\", W/" + etag}})
                .status,
            304);
  // Another organisation's import changes the store but not B's feed.
  Upload("O", "", {Ind(6, "[domain-name:value = 'o2.example']")});
  EXPECT_EQ(Call("GET", "/api/v1/feeds/rpz", reader_["B"], "", {{"If-None-Match", etag}}).status,
            304);
  // New intelligence shared with B: 200, new content, new ETag.
  Upload("A", community_, {Ind(7, "[domain-name:value = 'new.example']")});
  auto changed = Call("GET", "/api/v1/feeds/rpz", reader_["B"], "", {{"If-None-Match", etag}});
  ASSERT_EQ(changed.status, 200);
  EXPECT_NE(changed.body.find("new.example"), std::string::npos);
  EXPECT_NE(changed.Header("ETag"), etag);
  // Expiry of the /24 an hour later: regenerated without it.
  std::string etag2 = changed.Header("ETag");
  clock_.Advance(3600 * 1000);
  auto expired = Call("GET", "/api/v1/feeds/rpz", reader_["B"], "", {{"If-None-Match", etag2}});
  ASSERT_EQ(expired.status, 200);
  EXPECT_EQ(expired.body.find("rpz-ip"), std::string::npos) << expired.body;
  // Zeek and CSV: single files.
  auto zeek = Call("GET", "/api/v1/feeds/zeek", reader_["B"]);
  ASSERT_EQ(zeek.status, 200);
  EXPECT_NE(zeek.body.find("evil.example\tIntel::DOMAIN"), std::string::npos) << zeek.body;
  auto csv = Call("GET", "/api/v1/feeds/csv", reader_["B"]);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(Call("GET", "/api/v1/feeds/nope", reader_["B"]).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/feeds/rpz").status, 401);
}

TEST_P(MatchApiTest, MispFeedAsAMispInstanceFetchesIt) {
  // MISP fetches <url>/manifest.json, then <url>/<uuid>.json per event.
  auto manifest = Call("GET", "/api/v1/feeds/misp/manifest.json", reader_["B"]);
  ASSERT_EQ(manifest.status, 200) << manifest.body;
  EXPECT_EQ(manifest.Header("Content-Type"), "application/json");
  Json m = Json::parse(manifest.body);
  ASSERT_FALSE(m.empty());
  std::set<std::string> values;
  for (const auto& [uuid, info] : m.items()) {
    EXPECT_TRUE(info.contains("timestamp"));
    auto ev = Call("GET", "/api/v1/feeds/misp/" + uuid + ".json", reader_["B"]);
    ASSERT_EQ(ev.status, 200) << uuid;
    Json e = Json::parse(ev.body)["Event"];
    EXPECT_EQ(e["uuid"], uuid);
    for (const auto& a : e["Attribute"]) values.insert(a["value"].get<std::string>());
    auto not_modified = Call("GET", "/api/v1/feeds/misp/" + uuid + ".json", reader_["B"], "",
                             {{"If-None-Match", ev.Header("ETag")}});
    EXPECT_EQ(not_modified.status, 304);
  }
  EXPECT_TRUE(values.contains("evil.example"));
  EXPECT_FALSE(values.contains("red.example"));
  EXPECT_FALSE(values.contains("outsider.example"));
  auto hashes = Call("GET", "/api/v1/feeds/misp/hashes.csv", reader_["B"]);
  EXPECT_EQ(hashes.status, 200);
  Json listing = Json::parse(Call("GET", "/api/v1/feeds/misp", reader_["B"]).body);
  EXPECT_EQ(listing["files"].size(), m.size() + 2);
  EXPECT_EQ(Call("GET", "/api/v1/feeds/misp/none.json", reader_["B"]).status, 404);
  // Suricata files.
  Json sur = Json::parse(Call("GET", "/api/v1/feeds/suricata", reader_["B"]).body);
  bool rules = false;
  for (const auto& f : sur["files"]) {
    auto r = Call("GET", f["url"].get<std::string>(), reader_["B"]);
    EXPECT_EQ(r.status, 200) << f;
    if (f["name"] == "entente.rules") rules = r.body.find("alert dns") != std::string::npos;
  }
  EXPECT_TRUE(rules);
}

ENTENTE_INSTANTIATE_BACKENDS(MatchApiTest);

}  // namespace
}  // namespace entente::testing
