// The sighting and correlation routes through the real HTTP server, on both
// backends: two organisations of a community see each other's sightings and
// the correlations they may see; an outsider sees nothing (404 for the
// objects, no sighting reported on them); every bad input of POST
// /api/v1/intel/sightings is answered with a problem+json naming the field
// while nothing is stored.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/node_fixture.h"

namespace entente::testing {
namespace {

constexpr const char* kGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

std::string IndicatorId(int n) {
  return fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n);
}

Json Indicator(int n, const std::string& pattern) {
  return Json{{"type", "indicator"},
              {"spec_version", "2.1"},
              {"id", IndicatorId(n)},
              {"created", "2020-01-01T00:00:00.000Z"},
              {"modified", "2020-01-01T00:00:00.000Z"},
              {"name", fmt::format("indicator {}", n)},
              {"pattern", pattern},
              {"pattern_type", "stix"},
              {"valid_from", "2020-01-01T00:00:00Z"},
              {"object_marking_refs", {kGreen}}};
}

std::string Bundle(const std::vector<Json>& objects) {
  return Json{{"type", "bundle"},
              {"id", "bundle--11111111-2222-4333-8444-555555555555"},
              {"objects", objects}}
      .dump();
}

class SightingsApiTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    if (HasFatalFailure()) return;
    clock_.Set(1764669600000);  // 2025-12-02T10:00:00Z
    for (const char* n : {"A", "B", "O"}) {
      // User names are lower case: "off-a", "ana-a", ...
      std::string lower(1, static_cast<char>(n[0] - 'A' + 'a'));
      org_[n] = MakeOrg(std::string("CERT ") + n).id;
      officer_[n] = MakeToken(MakeUser(org_[n], "off-" + lower, auth::Role::kOfficer).id);
      analyst_[n] = MakeToken(MakeUser(org_[n], "ana-" + lower, auth::Role::kAnalyst).id);
    }
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
    // A and B each share an indicator on the same domain; O keeps one alone.
    for (auto [who, objects] :
         {std::pair{"A", std::vector<Json>{Indicator(1, "[domain-name:value = 'evil.example']")}},
          std::pair{"B",
                    std::vector<Json>{Indicator(2, "[domain-name:value = 'www.evil.example']")}}}) {
      auto up =
          Post("/api/v1/intel/bundles?community=" + community_, analyst_[who], Bundle(objects));
      ASSERT_EQ(up.status, 200) << up.body;
    }
    auto up = Post("/api/v1/intel/bundles", analyst_["O"],
                   Bundle({Indicator(3, "[domain-name:value = 'evil.example']")}));
    ASSERT_EQ(up.status, 200) << up.body;
  }
  http::ClientResponse Post(const std::string& path, const std::string& token,
                            const std::string& body, const std::string& type = "application/json") {
    return Call("POST", path, token, body, {{"Content-Type", type}});
  }
  Json GetJson(const std::string& path, const std::string& token, int want = 200) {
    auto r = Call("GET", path, token);
    EXPECT_EQ(r.status, want) << path << ": " << r.body;
    return Json::parse(r.body, nullptr, false);
  }
  std::int64_t Sightings() {
    return node_->db()
        .Query("SELECT COUNT(*) FROM intel_objects WHERE type = 'sighting'")
        ->at(0)
        .Int(0);
  }
  Json Sighting(int indicator, std::int64_t count) {
    return Json{{"indicator_id", IndicatorId(indicator)},
                {"count", count},
                {"first_seen", "2025-12-01T08:00:00Z"},
                {"last_seen", "2025-12-01T09:00:00Z"},
                {"where_location", "resolver, Lyon"},
                {"observed_by", "SOC night shift"},
                {"community_id", community_},
                {"tlp", "green"}};
  }
  std::map<std::string, std::string> org_, officer_, analyst_;
  std::string community_;
};

TEST_P(SightingsApiTest, MembersSeeEachOthersSightingsAndCorrelationsOutsidersNothing) {
  auto r =
      Post("/api/v1/intel/sightings", analyst_["B"], Json{{"sightings", {Sighting(1, 12)}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  Json report = Json::parse(r.body);
  EXPECT_EQ(report["added"], 1);
  // The same report again changes nothing.
  r = Post("/api/v1/intel/sightings", analyst_["B"], Json{{"sightings", {Sighting(1, 12)}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["unchanged"], 1);
  EXPECT_EQ(Sightings(), 1);
  // The author (A) and the reporter (B) see it; the outsider (O) cannot read the indicator.
  for (const char* who : {"A", "B"}) {
    SCOPED_TRACE(who);
    Json list = GetJson("/api/v1/intel/objects/" + IndicatorId(1) + "/sightings", analyst_[who]);
    EXPECT_EQ(list["sightings"], 1);
    EXPECT_EQ(list["total_count"], 12);
    ASSERT_EQ(list["items"].size(), 1u);
    EXPECT_EQ(list["items"][0]["reporter_org"], org_["B"]);
    EXPECT_EQ(list["items"][0]["where_location"], "resolver, Lyon");
    EXPECT_EQ(list["items"][0]["observed_by"], "SOC night shift");
  }
  GetJson("/api/v1/intel/objects/" + IndicatorId(1) + "/sightings", analyst_["O"], 404);
  // Correlations: A's evil.example and B's www.evil.example are linked for both;
  // O's own evil.example (no community) is visible to O alone, which cannot read 1 or 2.
  Json a = GetJson("/api/v1/intel/objects/" + IndicatorId(1) + "/correlations", analyst_["A"]);
  ASSERT_EQ(a["items"].size(), 1u);
  ASSERT_EQ(a["items"][0]["matches"].size(), 1u);
  EXPECT_EQ(a["items"][0]["matches"][0]["id"], IndicatorId(2));
  EXPECT_EQ(a["items"][0]["matches"][0]["relation"], "within");
  Json b = GetJson("/api/v1/intel/objects/" + IndicatorId(2) + "/correlations", analyst_["B"]);
  ASSERT_EQ(b["items"].size(), 1u);
  EXPECT_EQ(b["items"][0]["matches"][0]["id"], IndicatorId(1));
  EXPECT_EQ(b["items"][0]["matches"][0]["relation"], "contains");
  Json o = GetJson("/api/v1/intel/objects/" + IndicatorId(3) + "/correlations", analyst_["O"]);
  EXPECT_TRUE(o["items"].empty());
  GetJson("/api/v1/intel/objects/" + IndicatorId(1) + "/correlations", analyst_["O"], 404);
  GetJson("/api/v1/intel/objects/not-an-id/correlations", analyst_["A"], 404);
  // O cannot report a sighting of an indicator it may not read.
  Json from_o = Sighting(1, 1);
  from_o.erase("community_id");
  auto refused =
      Post("/api/v1/intel/sightings", analyst_["O"], Json{{"sightings", {from_o}}}.dump());
  EXPECT_EQ(refused.status, 404) << refused.body;
  EXPECT_EQ(Sightings(), 1);
}

TEST_P(SightingsApiTest, BadInputIsAnsweredPreciselyAndNothingStored) {
  auto one = [&](std::function<void(Json&)> change) {
    Json s = Sighting(1, 3);
    change(s);
    return Json{{"sightings", {s}}}.dump();
  };
  struct Case {
    std::string name, body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"unknown indicator", one([](Json& s) { s["indicator_id"] = IndicatorId(99); }), 404,
       "sightings/0/indicator_id"},
      {"count zero", one([](Json& s) { s["count"] = 0; }), 422, "sightings/0/count"},
      {"count negative", one([](Json& s) { s["count"] = -1; }), 422, "sightings/0/count"},
      {"count not an integer", one([](Json& s) { s["count"] = "3"; }), 422, "sightings/0/count"},
      {"last before first", one([](Json& s) { s["last_seen"] = "2025-12-01T07:00:00Z"; }), 422,
       "sightings/0/last_seen"},
      {"wrong timestamp", one([](Json& s) { s["first_seen"] = "2025-13-01T00:00:00Z"; }), 422,
       "sightings/0/first_seen"},
      {"timestamp not UTC", one([](Json& s) { s["last_seen"] = "2025-12-01T09:00:00+02:00"; }), 422,
       "sightings/0/last_seen"},
      {"missing first_seen", one([](Json& s) { s.erase("first_seen"); }), 422,
       "sightings/0/first_seen"},
      {"unknown member", one([](Json& s) { s["colour"] = "red"; }), 422, "sightings/0/colour"},
      {"bad tlp", one([](Json& s) { s["tlp"] = "TLP:GREEN"; }), 422, "sightings/0/tlp"},
      {"tlp above the charter", one([](Json& s) { s["tlp"] = "red"; }), 409, "sightings/0/tlp"},
      {"empty list", R"({"sightings":[]})", 422, "sightings"},
      {"not an object", R"([1])", 400, "body"},
      {"not JSON", "{", 400, "body"},
      {"body too big", std::string(2 << 20, ' ') + "{}", 413, "body"},
  };
  // 400: the body is not JSON or not an object; 409: above the charter;
  // 422: a field is invalid (`field` names it),
  // as everywhere in the API.
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Post("/api/v1/intel/sightings", analyst_["B"], c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    Json p = Json::parse(r.body, nullptr, false);
    if (r.status != 413) {
      ASSERT_TRUE(p.is_object()) << r.body;
      std::string body = p.dump();
      EXPECT_NE(body.find(c.field), std::string::npos) << body;
    }
  }
  auto wrong_type = Post("/api/v1/intel/sightings", analyst_["B"],
                         Json{{"sightings", {Sighting(1, 1)}}}.dump(), "text/plain");
  EXPECT_EQ(wrong_type.status, 400) << wrong_type.body;
  EXPECT_EQ(Sightings(), 0);
}

ENTENTE_INSTANTIATE_BACKENDS(SightingsApiTest);

}  // namespace
}  // namespace entente::testing
