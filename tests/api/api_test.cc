// The HTTP API end to end: sessions and CSRF, tokens, bad input of every
// kind (each a problem+json naming the field, nothing stored, the server
// keeps serving), rate-limited logins, health and metrics.
#include <gtest/gtest.h>

#include "api/console.h"
#include "api/node_fixture.h"
#include "auth/totp.h"
#include "jcs/jcs.h"

namespace entente::testing {
namespace {

class ApiTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    if (HasFatalFailure()) return;
    Serve();
    org_ = MakeOrg("CERT Api");
    admin_ = MakeUser(org_.id, "api-admin", auth::Role::kAdmin);
    token_ = MakeToken(admin_.id);
  }
  Json Body(const http::ClientResponse& r) {
    auto j = jcs::ParseUntrusted(r.body, {.max_bytes = 8 << 20});
    EXPECT_TRUE(j) << r.body;
    return j.value_or(Json());
  }
  http::ClientResponse PostJson(const std::string& path, const std::string& body) {
    return Call("POST", path, token_, body, {{"Content-Type", "application/json"}});
  }
  directory::Organisation org_;
  auth::User admin_;
  std::string token_;
};

TEST_P(ApiTest, SessionLoginRequiresCsrfForWrites) {
  auto res = Call("POST", "/api/v1/auth/login", "",
                  Json{{"username", "api-admin"}, {"password", kPassword}}.dump(),
                  {{"Content-Type", "application/json"}});
  ASSERT_EQ(res.status, 200) << res.body;
  std::string cookie = res.Header("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  std::string sid = cookie.substr(0, cookie.find(';'));
  std::string csrf = Body(res)["csrf"];
  ASSERT_FALSE(csrf.empty());
  // The session id is not in the body.
  EXPECT_EQ(res.body.find(sid.substr(sid.find('=') + 1)), std::string::npos);

  auto me = Call("GET", "/api/v1/auth/me", "", "", {{"Cookie", sid}});
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(Body(me)["user"]["username"], "api-admin");

  std::string poc = PocInput("Csrf Person").dump();
  auto no_csrf = Call("POST", "/api/v1/orgs/" + org_.id + "/pocs", "", poc,
                      {{"Cookie", sid}, {"Content-Type", "application/json"}});
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  auto bad_csrf =
      Call("POST", "/api/v1/orgs/" + org_.id + "/pocs", "", poc,
           {{"Cookie", sid}, {"Content-Type", "application/json"}, {"X-CSRF-Token", "x"}});
  EXPECT_EQ(bad_csrf.status, 403);
  EXPECT_TRUE(node_->directory().SearchPocs({})->items.empty());
  auto ok = Call("POST", "/api/v1/orgs/" + org_.id + "/pocs", "", poc,
                 {{"Cookie", sid}, {"Content-Type", "application/json"}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(ok.status, 201) << ok.body;

  auto out = Call("POST", "/api/v1/auth/logout", "", "{}",
                  {{"Cookie", sid}, {"Content-Type", "application/json"}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/auth/me", "", "", {{"Cookie", sid}}).status, 401);
}

TEST_P(ApiTest, SessionExpires) {
  auto res = Call("POST", "/api/v1/auth/login", "",
                  Json{{"username", "api-admin"}, {"password", kPassword}}.dump(),
                  {{"Content-Type", "application/json"}});
  ASSERT_EQ(res.status, 200);
  std::string cookie = res.Header("Set-Cookie");
  std::string sid = cookie.substr(0, cookie.find(';'));
  clock_.Advance(9LL * 3600 * 1000);
  auto me = Call("GET", "/api/v1/auth/me", "", "", {{"Cookie", sid}});
  EXPECT_EQ(me.status, 401);
  EXPECT_NE(me.body.find("expired"), std::string::npos);
}

TEST_P(ApiTest, FailedLoginsAreRateLimitedAndNeverLogTheSecret) {
  for (int i = 0; i < 5; ++i) {
    auto r = Call(
        "POST", "/api/v1/auth/login", "",
        Json{{"username", "api-admin"}, {"password", "wrong password " + std::to_string(i)}}.dump(),
        {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 401);
  }
  // Now even the right password is refused until the window passes.
  auto limited = Call("POST", "/api/v1/auth/login", "",
                      Json{{"username", "api-admin"}, {"password", kPassword}}.dump(),
                      {{"Content-Type", "application/json"}});
  EXPECT_EQ(limited.status, 429) << limited.body;
  clock_.Advance(16 * 60 * 1000);
  auto ok = Call("POST", "/api/v1/auth/login", "",
                 Json{{"username", "api-admin"}, {"password", kPassword}}.dump(),
                 {{"Content-Type", "application/json"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_P(ApiTest, TokensAreShownOnceScopedAndRevocable) {
  auto res = PostJson("/api/v1/tokens",
                      Json{{"name", "ci"}, {"scopes", {"read"}}, {"expires_in_days", 7}}.dump());
  ASSERT_EQ(res.status, 201) << res.body;
  Json t = Body(res);
  std::string secret = t["token"];
  ASSERT_EQ(secret.rfind("ent_", 0), 0u);
  // Stored hashed: the secret is nowhere in the database.
  auto rows = node_->db().Query("SELECT token_hash FROM api_tokens WHERE id = ?",
                                {t["id"].get<std::string>()});
  ASSERT_TRUE(rows && rows->size() == 1);
  EXPECT_NE(rows->at(0).Text(0), secret);
  auto list = Call("GET", "/api/v1/tokens", token_);
  EXPECT_EQ(list.body.find(secret), std::string::npos);
  // Read scope: can read, cannot write.
  EXPECT_EQ(Call("GET", "/api/v1/orgs", secret).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/orgs/" + org_.id + "/pocs", secret, PocInput("x").dump(),
                 {{"Content-Type", "application/json"}})
                .status,
            403);
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + t["id"].get<std::string>(), token_).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/orgs", secret).status, 401);
  // Expiry.
  auto res2 =
      PostJson("/api/v1/tokens",
               Json{{"name", "short"}, {"scopes", {"read"}}, {"expires_in_days", 1}}.dump());
  std::string s2 = Body(res2)["token"];
  clock_.Advance(25LL * 3600 * 1000);
  EXPECT_EQ(Call("GET", "/api/v1/orgs", s2).status, 401);
}

TEST_P(ApiTest, BadInputGetsProblemJsonNamingTheFieldAndStoresNothing) {
  std::string path = "/api/v1/orgs/" + org_.id + "/pocs";
  auto journal_before = *node_->journal().Size();
  struct Case {
    std::string body;
    int status;
    std::string field;
  } cases[] = {
      {"{", 400, "body"},  // malformed
      {"[1,2", 400, "body"},
      {"\"just a string\"", 400, "body"},                          // wrong top-level type
      {std::string("{\"name\":\"\xC0\xAF\"}"), 400, "body"},       // invalid UTF-8 (overlong)
      {std::string(40, '[') + std::string(40, ']'), 400, "body"},  // deep nesting
      {"{\"role\":\"technical\"}", 422, "function_title"},         // missing fields
      {R"({"role":7})", 422, "role"},                              // wrong type
      {R"({"role":"technical","function_title":"x","languages":["en"],"timezone":"UTC","hours":{"always":true},"shoe_size":44})",
       422, "shoe_size"},
      {R"({"role":"technical","function_title":"x","languages":["qq"],"timezone":"UTC","hours":{"always":true}})",
       422, "languages[0]"},
      {R"({"role":"technical","function_title":"x","languages":["en"],"timezone":"UTC","hours":{"always":true},"name":")" +
           std::string(300, 'a') + "\"}",
       422, "name"},
      {R"({"a":1,"a":2})", 400, "body"},  // duplicate keys
  };
  for (const auto& c : cases) {
    auto res = Call("POST", path, token_, c.body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(res.status, c.status) << c.body.substr(0, 80) << " -> " << res.body;
    EXPECT_EQ(res.Header("Content-Type"), "application/problem+json");
    Json p = Body(res);
    EXPECT_EQ(p["status"], c.status);
    EXPECT_EQ(p.value("field", ""), c.field) << res.body;
    EXPECT_TRUE(p["type"].get<std::string>().rfind("urn:entente:problem:", 0) == 0);
    EXPECT_EQ(p["title"].get<std::string>(),
              c.status == 400 ? "Bad Request" : "Unprocessable Content");
  }
  // Oversize body: refused by the transport limit.
  std::string big = "{\"name\":\"" + std::string(2 << 20, 'x') + "\"}";
  auto res = Call("POST", path, token_, big, {{"Content-Type", "application/json"}});
  EXPECT_EQ(res.status, 413);
  // Wrong content type.
  auto ct = Call("POST", path, token_, PocInput("x").dump(), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(ct.status, 400);
  // Unknown query parameters, bad codes in filters.
  EXPECT_EQ(Call("GET", "/api/v1/orgs?colour=red", token_).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/orgs?country=XYZ", token_).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/pocs?language=klingon", token_).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/orgs?limit=0", token_).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/orgs?cursor=!!!", token_).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/orgs?q=%27%3B%20DROP%20TABLE%20orgs%3B--", token_).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/orgs/not-a-uuid", token_).status, 404);
  EXPECT_EQ(Call("PATCH", "/api/v1/orgs", token_).status, 405);
  EXPECT_EQ(Call("GET", "/api/v1/nothing-here", token_).status, 404);
  // Nothing was stored, and the server still serves.
  EXPECT_EQ(*node_->journal().Size(), journal_before);
  EXPECT_TRUE(node_->directory().SearchPocs({})->items.empty());
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
}

TEST_P(ApiTest, DirectoryOverHttpWithPaginationAndAudit) {
  for (int i = 0; i < 5; ++i) {
    auto r = PostJson("/api/v1/orgs/" + org_.id + "/pocs",
                      PocInput("Person " + std::to_string(i)).dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::vector<std::string> seen;
  std::string next;
  do {
    auto r =
        Call("GET",
             "/api/v1/orgs/" + org_.id + "/pocs?limit=2" + (next.empty() ? "" : "&cursor=" + next),
             token_);
    ASSERT_EQ(r.status, 200) << r.body;
    Json j = Body(r);
    for (auto& p : j["items"]) seen.push_back(p["name"]);
    next = j["next"].is_null() ? "" : j["next"].get<std::string>();
  } while (!next.empty());
  EXPECT_EQ(seen.size(), 5u);
  Json upd = OrgInput("CERT Api renamed");
  auto put = Call("PUT", "/api/v1/orgs/" + org_.id, token_, upd.dump(),
                  {{"Content-Type", "application/json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  auto audit = Call("GET", "/api/v1/orgs/" + org_.id + "/audit", token_);
  ASSERT_EQ(audit.status, 200);
  Json a = Body(audit);
  ASSERT_EQ(a["items"].size(), 2u);
  EXPECT_EQ(a["items"][0]["action"], "update");
  EXPECT_EQ(a["items"][0]["actor_user"], admin_.id);
  EXPECT_EQ(a["items"][0]["author_org"], org_.id);  // signed by the acting organisation
  EXPECT_EQ(a["items"][0]["changed"], Json::array({"names"}));
}

TEST_P(ApiTest, PersonalDataExportAndErasure) {
  auto r = PostJson("/api/v1/orgs/" + org_.id + "/pocs", PocInput("Export Me").dump());
  ASSERT_EQ(r.status, 201);
  std::string id = Body(r)["id"];
  auto ex = Call("GET", "/api/v1/pocs/" + id + "/export", token_);
  ASSERT_EQ(ex.status, 200);
  EXPECT_EQ(Body(ex)["point_of_contact"]["name"], "Export Me");
  auto er = PostJson("/api/v1/pocs/" + id + "/erase", "{}");
  ASSERT_EQ(er.status, 200) << er.body;
  EXPECT_EQ(Body(er)["erased"], true);
  EXPECT_FALSE(Body(er).contains("name"));
  auto get = Call("GET", "/api/v1/pocs/" + id, token_);
  EXPECT_EQ(get.body.find("Export Me"), std::string::npos);
}

TEST_P(ApiTest, HealthMetricsAndSecurityHeaders) {
  auto h = Call("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_NE(h.Header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(h.Header("X-Content-Type-Options"), "nosniff");
  Call("GET", "/api/v1/orgs", token_);
  Call("GET", "/api/v1/orgs/" + org_.id, "");
  auto m = Call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(
      m.body.find(
          "entente_http_requests_total{method=\"GET\",route=\"/api/v1/orgs\",status=\"200\"} 1"),
      std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("entente_http_requests_total{method=\"GET\",route=\"/api/v1/orgs/"
                        "{id}\",status=\"401\"} 1"),
            std::string::npos);
  EXPECT_NE(
      m.body.find(
          "entente_http_request_duration_seconds_bucket{route=\"/api/v1/orgs\",le=\"+Inf\"} 1"),
      std::string::npos);
  EXPECT_NE(m.body.find("entente_db_pool_connections"), std::string::npos);
  // Secrets never appear in metrics.
  EXPECT_EQ(m.body.find(token_), std::string::npos);
}

TEST_P(ApiTest, TotpSecondFactorEnrolmentSignInAndOrgRequirement) {
  auto login = [&](const std::string& totp, std::string* csrf) -> std::pair<int, std::string> {
    Json in = {{"username", "api-admin"}, {"password", kPassword}};
    if (!totp.empty()) in["totp"] = totp;
    auto r =
        Call("POST", "/api/v1/auth/login", "", in.dump(), {{"Content-Type", "application/json"}});
    std::string cookie = r.Header("Set-Cookie");
    if (csrf && r.status == 200) *csrf = Body(r)["csrf"];
    EXPECT_EQ(r.status == 401 ? Body(r).value("field", "") : "totp", "totp") << r.body;
    return {r.status, cookie.substr(0, cookie.find(';'))};
  };
  auto post = [&](const std::string& path, const std::string& sid, const std::string& csrf,
                  Json body) {
    return Call("POST", path, "", body.dump(),
                {{"Cookie", sid}, {"X-CSRF-Token", csrf}, {"Content-Type", "application/json"}});
  };
  std::string csrf;
  auto [st, sid] = login("", &csrf);
  ASSERT_EQ(st, 200);
  // The organisation starts requiring a second factor: the session is
  // limited to enrolment until the user has one.
  auto req = Call("PUT", "/api/v1/orgs/" + org_.id + "/settings", token_,
                  Json{{"require_totp", true}}.dump(), {{"Content-Type", "application/json"}});
  ASSERT_EQ(req.status, 200) << req.body;
  auto blocked = Call("GET", "/api/v1/orgs", "", "", {{"Cookie", sid}});
  EXPECT_EQ(blocked.status, 403);
  auto me = Call("GET", "/api/v1/auth/me", "", "", {{"Cookie", sid}});
  EXPECT_EQ(Body(me)["must_enrol_totp"], true);
  // Tokens cannot manage second factors.
  EXPECT_EQ(
      Call("POST", "/api/v1/auth/totp/setup", token_, "{}", {{"Content-Type", "application/json"}})
          .status,
      403);
  auto setup = post("/api/v1/auth/totp/setup", sid, csrf, Json::object());
  ASSERT_EQ(setup.status, 200) << setup.body;
  auto secret = auth::Base32Decode(Body(setup)["secret"].get<std::string>());
  ASSERT_TRUE(secret && secret->size() == 20);
  EXPECT_NE(Body(setup)["uri"].get<std::string>().find("otpauth://totp/Entente:api-admin?secret="),
            std::string::npos);
  std::int64_t now = clock_.NowMillis() / 1000;
  EXPECT_EQ(post("/api/v1/auth/totp/enable", sid, csrf, {{"code", "000000"}}).status == 200,
            auth::TotpCode(*secret, now) == "000000");
  auto en = post("/api/v1/auth/totp/enable", sid, csrf, {{"code", auth::TotpCode(*secret, now)}});
  ASSERT_EQ(en.status, 200) << en.body;
  EXPECT_EQ(Call("GET", "/api/v1/orgs", "", "", {{"Cookie", sid}}).status, 200);
  // Sign-in now needs the code; the code used for enrolment cannot be replayed.
  EXPECT_EQ(login("", nullptr).first, 401);
  EXPECT_EQ(login(auth::TotpCode(*secret, now), nullptr).first, 401);
  clock_.Advance(30'000);
  now = clock_.NowMillis() / 1000;
  std::string wrong = auth::TotpCode(*secret, now + 3600);
  EXPECT_EQ(login(wrong, nullptr).first, 401);
  std::string csrf2;
  auto [ok, sid2] = login(auth::TotpCode(*secret, now), &csrf2);
  EXPECT_EQ(ok, 200);
  // Disabling is refused while the organisation requires it.
  clock_.Advance(30'000);
  now = clock_.NowMillis() / 1000;
  EXPECT_EQ(post("/api/v1/auth/totp/disable", sid2, csrf2, {{"code", auth::TotpCode(*secret, now)}})
                .status,
            409);
  // The secret is stored encrypted.
  auto rows = node_->db().Query("SELECT totp_secret_enc FROM users WHERE id = ?", {admin_.id});
  ASSERT_TRUE(rows && !rows->empty());
  EXPECT_EQ(rows->at(0).Text(0).find(Body(setup)["secret"].get<std::string>()), std::string::npos);
}

TEST_P(ApiTest, ConsoleIsServedWithStrictHeaders) {
  auto root = Call("GET", "/");
  if (api::ConsoleAssets().empty()) {
    EXPECT_EQ(root.status, 404);
    EXPECT_NE(root.body.find("not built"), std::string::npos);
  } else {
    EXPECT_EQ(root.status, 200);
    EXPECT_EQ(root.Header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(root.Header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
    for (const auto& a : api::ConsoleAssets()) {
      if (std::string(a.path).rfind("/assets/", 0) != 0) continue;
      auto r = Call("GET", std::string(a.path));
      EXPECT_EQ(r.status, 200) << a.path;
      EXPECT_EQ(r.body.size(), a.data.size());
      EXPECT_NE(r.Header("Cache-Control").find("immutable"), std::string::npos);
    }
  }
  EXPECT_EQ(Call("GET", "/assets/..%2f..%2fetc%2fpasswd").status, 404);
  EXPECT_EQ(Call("GET", "/assets/nothing.js").status, 404);
}

ENTENTE_INSTANTIATE_BACKENDS(ApiTest);

}  // namespace
}  // namespace entente::testing
