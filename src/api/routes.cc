// The HTTP routes of the node. Each route declares its permission; the
// dispatcher authenticates and calls auth::Decide before any handler runs.
#include <sodium.h>

#include <set>

#include "api/console.h"
#include "api/node.h"
#include "api/route_helpers.h"
#include "core/ids.h"
#include "crypto/crypto.h"
#include "directory/reference_tables.h"
#include "jcs/jcs.h"
#include "schema/reader.h"

namespace entente::api {

using auth::Permission;

namespace {

Result<int> Limit(const http::Request& req) {
  auto v = req.Query("limit");
  if (!v) return 50;
  int n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9' || n > 10000)
      return Invalid("must be an integer from 1 to 200", "limit");
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 200) return Invalid("must be an integer from 1 to 200", "limit");
  return n;
}

Result<std::string> Cursor(const http::Request& req) {
  auto v = req.Query("cursor");
  if (!v) return std::string();
  auto raw = crypto::Base64UrlDecode(*v);
  if (!raw || raw->size() > 64) return Invalid("is not a cursor returned by this API", "cursor");
  std::string s(raw->begin(), raw->end());
  if (!jcs::IsValidUtf8(s)) return Invalid("is not a cursor returned by this API", "cursor");
  return s;
}

std::string EncodeCursor(const std::string& s) {
  return s.empty() ? std::string() : crypto::Base64UrlEncode(crypto::AsBytes(s));
}

Json PageJson(Json items, const std::string& next) {
  return Json{{"items", std::move(items)},
              {"next", next.empty() ? Json() : Json(EncodeCursor(next))}};
}

directory::Actor ActorOf(const Context& ctx) {
  return {ctx.principal->user_id, ctx.principal->org_id};
}

Json UserJson(const auth::User& u) {
  return Json{{"id", u.id},
              {"org", u.org_id},
              {"username", u.username},
              {"display_name", u.display_name},
              {"role", auth::RoleName(u.role)},
              {"operator", u.is_operator},
              {"disabled", u.disabled},
              {"totp_enabled", u.totp_enabled},
              {"created", FormatRfc3339(u.created)}};
}

Json TokenJson(const auth::TokenInfo& t) {
  Json j = {{"id", t.id},
            {"user", t.user_id},
            {"name", t.name},
            {"scopes", t.scopes},
            {"created", FormatRfc3339(t.created)},
            {"expires", FormatRfc3339(t.expires)},
            {"revoked", t.revoked ? Json(FormatRfc3339(*t.revoked)) : Json()}};
  return j;
}

Json AuditJson(const directory::Page<directory::AuditItem>& page) {
  Json items = Json::array();
  for (const auto& a : page.items)
    items.push_back({{"seq", a.seq},
                     {"envelope_id", a.envelope_id},
                     {"type", a.type},
                     {"action", a.action},
                     {"author_org", a.author_org},
                     {"actor_user", a.actor_user.empty() ? Json() : Json(a.actor_user)},
                     {"at", FormatRfc3339(a.created)},
                     {"changed", a.changed}});
  return PageJson(items, page.next);
}

}  // namespace

void Node::RegisterRoutes() {
  RegisterConsoleRoutes();
  RegisterLogRoutes();
  RegisterNodeRoutes();
  RegisterAuthRoutes();
  RegisterDirectoryRoutes();
  RegisterCommsRoutes();
  RegisterFederationRoutes();
}

void Node::RegisterConsoleRoutes() {
  auto serve = [](const std::string& path) -> Result<http::Response> {
    const ConsoleAsset* a = FindConsoleAsset(path);
    if (!a) {
      if (path == "/" && ConsoleAssets().empty())
        return Fail(ErrorCode::kNotFound,
                    "the web console is not built into this binary (scripts/build-console.sh); "
                    "the API is at /api/v1/openapi.json");
      return Fail(ErrorCode::kNotFound, "no such file");
    }
    http::Response r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->data);
    if (path.rfind("/assets/", 0) == 0)
      r.headers.emplace("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  };
  router_.Add({"GET", "/", Permission::kPublic, [serve](Context&) { return serve("/"); }});
  router_.Add({"GET", "/assets/{file}", Permission::kPublic, [serve](Context& ctx) {
                 return serve("/assets/" + ctx.req.path_params.at("file"));
               }});
}

void Node::RegisterNodeRoutes() {
  router_.Add({"GET", "/healthz", Permission::kPublic, [this](Context&) -> Result<http::Response> {
                 auto rows = db_->Query("SELECT 1");
                 if (!rows) return Fail(ErrorCode::kUnavailable, "database unavailable");
                 return JsonResponse(200, {{"status", "ok"}});
               }});
  router_.Add({"GET", "/metrics", Permission::kPublic, [this](Context&) -> Result<http::Response> {
                 http::Response r;
                 r.content_type = "text/plain; version=0.0.4";
                 r.body = metrics_.Render();
                 return r;
               }});
  router_.Add(
      {"GET", "/api/v1/openapi.json", Permission::kPublic, [](Context&) -> Result<http::Response> {
         http::Response r;
         r.body = OpenApiDocument();
         return r;
       }});
  router_.Add(
      {"GET", "/api/v1/node", Permission::kPublic, [this](Context&) -> Result<http::Response> {
         return JsonResponse(200, {{"id", info_.id},
                                   {"public_key", crypto::Base64UrlEncode(info_.public_key)},
                                   {"base_url", info_.base_url},
                                   {"version", "0.1.0"}});
       }});
  router_.Add({"GET", "/api/v1/node/health", Permission::kNodeAdmin,
               [this](Context&) -> Result<http::Response> {
                 auto version = ENTENTE_TRY(store::SchemaVersion(*db_));
                 auto size = ENTENTE_TRY(journal_->Size());
                 auto orgs = ENTENTE_TRY(
                     db_->Query("SELECT COUNT(*) FROM orgs WHERE home_node = ?", {info_.id}));
                 auto ps = db_->pool_stats();
                 return JsonResponse(200, {{"database", db_->description()},
                                           {"schema_version", version},
                                           {"journal_size", size},
                                           {"hosted_orgs", orgs.at(0).Int(0)},
                                           {"pool", {{"size", ps.size}, {"in_use", ps.in_use}}}});
               }});
  router_.Add({"POST", "/api/v1/node/rebuild", Permission::kNodeAdmin,
               [this](Context&) -> Result<http::Response> {
                 ENTENTE_CHECK(journal_->Rebuild());
                 return JsonResponse(
                     200, {{"rebuilt", true}, {"journal_size", ENTENTE_TRY(journal_->Size())}});
               }});
  router_.Add(
      {"GET", "/api/v1/reference", Permission::kPublic, [](Context&) -> Result<http::Response> {
         auto list = [](const std::vector<directory::CodeName>& v) {
           Json a = Json::array();
           for (const auto& c : v) a.push_back({{"code", c.code}, {"name", c.name}});
           return a;
         };
         return JsonResponse(200, {{"countries", list(directory::Countries())},
                                   {"languages", list(directory::Languages())},
                                   {"sectors", list(directory::Sectors())},
                                   {"org_kinds", directory::OrgKinds()},
                                   {"poc_roles", directory::PocRoles()},
                                   {"user_roles", auth::RoleNames()}});
       }});
}

void Node::RegisterAuthRoutes() {
  router_.Add({"POST", "/api/v1/auth/login", Permission::kPublic,
               [this](Context& ctx) -> Result<http::Response> {
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 std::string username = ENTENTE_TRY(r.String("username", {.max = 64}));
                 std::string password = ENTENTE_TRY(r.String("password", {.max = 1024}));
                 auto totp = ENTENTE_TRY(r.OptString("totp", {.max = 6}));
                 ENTENTE_CHECK(r.Finish());
                 auth::User u = ENTENTE_TRY(
                     auth_->SignIn(username, password, totp.value_or(""), ctx.req.remote_addr));
                 sodium_memzero(password.data(), password.size());
                 auto s = ENTENTE_TRY(auth_->CreateSession(u.id));
                 http::Response res = JsonResponse(200, {{"user", UserJson(u)}, {"csrf", s.csrf}});
                 std::string cookie = "entente_session=" + s.session_id +
                                      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                      std::to_string((s.expires - clock_->NowMillis()) / 1000);
                 if (opts_.secure_cookies) cookie += "; Secure";
                 res.headers.emplace("Set-Cookie", cookie);
                 return res;
               }});
  router_.Add({"POST", "/api/v1/auth/logout", Permission::kAuthenticated,
               [this](Context& ctx) -> Result<http::Response> {
                 std::string sid = ctx.req.Cookie("entente_session");
                 if (!sid.empty()) ENTENTE_CHECK(auth_->DeleteSession(sid));
                 http::Response res = JsonResponse(200, {{"signed_out", true}});
                 res.headers.emplace(
                     "Set-Cookie",
                     "entente_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
                 return res;
               }});
  router_.Add(
      {"GET", "/api/v1/auth/me", Permission::kAuthenticated,
       [this](Context& ctx) -> Result<http::Response> {
         auto u = ENTENTE_TRY(auth_->GetUser(ctx.principal->user_id));
         Json j = {{"user", UserJson(u)}, {"must_enrol_totp", ctx.principal->must_enrol_totp}};
         if (!ctx.principal->via_token) j["csrf"] = ctx.principal->csrf;
         return JsonResponse(200, j);
       }});
  // Second factor (browser sessions only).
  router_.Add({"POST", "/api/v1/auth/totp/setup", Permission::kAccountSecurity,
               [this](Context& ctx) -> Result<http::Response> {
                 auto e = ENTENTE_TRY(auth_->TotpSetup(ctx.principal->user_id));
                 return JsonResponse(200, {{"secret", e.secret}, {"uri", e.uri}});
               }});
  auto code_of = [](Context& ctx) -> Result<std::string> {
    Json body = ENTENTE_TRY(ParseBody(ctx.req));
    schema::ObjectReader r(body);
    std::string code = ENTENTE_TRY(r.String("code", {.min = 6, .max = 6}));
    ENTENTE_CHECK(r.Finish());
    return code;
  };
  router_.Add({"POST", "/api/v1/auth/totp/enable", Permission::kAccountSecurity,
               [this, code_of](Context& ctx) -> Result<http::Response> {
                 std::string code = ENTENTE_TRY(code_of(ctx));
                 ENTENTE_CHECK(auth_->TotpEnable(ctx.principal->user_id, code));
                 return JsonResponse(200, {{"totp_enabled", true}});
               }});
  router_.Add({"POST", "/api/v1/auth/totp/disable", Permission::kAccountSecurity,
               [this, code_of](Context& ctx) -> Result<http::Response> {
                 std::string code = ENTENTE_TRY(code_of(ctx));
                 ENTENTE_CHECK(auth_->TotpDisable(ctx.principal->user_id, code));
                 return JsonResponse(200, {{"totp_enabled", false}});
               }});
  // Users of an organisation (its admins, or operators).
  auto org_param = [](const http::Request& req) -> Result<std::optional<std::string>> {
    return std::optional<std::string>(req.path_params.at("id"));
  };
  router_.Add({"GET", "/api/v1/orgs/{id}/users", Permission::kOrgAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 auto users = ENTENTE_TRY(auth_->ListUsers(Param(ctx.req, "id")));
                 Json items = Json::array();
                 for (const auto& u : users) items.push_back(UserJson(u));
                 return JsonResponse(200, PageJson(items, ""));
               },
               org_param});
  router_.Add({"POST", "/api/v1/orgs/{id}/users", Permission::kOrgAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 std::string org = Param(ctx.req, "id");
                 ENTENTE_TRY(directory_->GetOrg(org));
                 if (!keys_->Holds(org))
                   return Fail(ErrorCode::kFailedPrecondition,
                               "organisation is not hosted on this node");
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 std::string username = ENTENTE_TRY(r.String("username", {.min = 2, .max = 64}));
                 std::string display = ENTENTE_TRY(r.String("display_name", {.max = 200}));
                 std::string password = ENTENTE_TRY(r.String("password", {.min = 12, .max = 1024}));
                 std::string role_s = ENTENTE_TRY(r.String("role", {.max = 16}));
                 auth::Role role = ENTENTE_TRY(auth::ParseRole(role_s));
                 auto op = ENTENTE_TRY(r.OptBool("operator"));
                 ENTENTE_CHECK(r.Finish());
                 if (op.value_or(false) && !ctx.principal->is_operator)
                   return Fail(ErrorCode::kPermissionDenied, "only operators can create operators",
                               "operator");
                 auto u = ENTENTE_TRY(
                     auth_->CreateUser(org, username, display, password, role, op.value_or(false)));
                 sodium_memzero(password.data(), password.size());
                 return JsonResponse(201, UserJson(u));
               },
               org_param});
  router_.Add(
      {"GET", "/api/v1/orgs/{id}/settings", Permission::kOrgAdmin,
       [this](Context& ctx) -> Result<http::Response> {
         std::string org = Param(ctx.req, "id");
         ENTENTE_TRY(directory_->GetOrg(org));
         return JsonResponse(200, {{"require_totp", ENTENTE_TRY(auth_->OrgRequiresTotp(org))}});
       },
       org_param});
  router_.Add({"PUT", "/api/v1/orgs/{id}/settings", Permission::kOrgAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 std::string org = Param(ctx.req, "id");
                 ENTENTE_TRY(directory_->GetOrg(org));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 auto require = ENTENTE_TRY(r.OptBool("require_totp"));
                 ENTENTE_CHECK(r.Finish());
                 if (!require) return Invalid("is required", "require_totp");
                 ENTENTE_CHECK(auth_->SetOrgRequiresTotp(org, *require));
                 return JsonResponse(200, {{"require_totp", *require}});
               },
               org_param});
  router_.Add({"PUT", "/api/v1/users/{id}", Permission::kOrgAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 std::string id = Param(ctx.req, "id");
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 auto role_s = ENTENTE_TRY(r.OptString("role", {.max = 16}));
                 auto disabled = ENTENTE_TRY(r.OptBool("disabled"));
                 ENTENTE_CHECK(r.Finish());
                 if (id == ctx.principal->user_id)
                   return Fail(ErrorCode::kFailedPrecondition,
                               "you cannot change your own role or disable yourself");
                 auth::User u = ENTENTE_TRY(auth_->GetUser(id));
                 if (role_s)
                   u = ENTENTE_TRY(auth_->SetRole(id, ENTENTE_TRY(auth::ParseRole(*role_s))));
                 if (disabled) u = ENTENTE_TRY(auth_->SetDisabled(id, *disabled));
                 return JsonResponse(200, UserJson(u));
               },
               [this](const http::Request& req) -> Result<std::optional<std::string>> {
                 if (!IsUuid(req.path_params.at("id")))
                   return Fail(ErrorCode::kNotFound, "no such user");
                 auto u = ENTENTE_TRY(auth_->GetUser(req.path_params.at("id")));
                 return std::optional<std::string>(u.org_id);
               }});
  // Own API tokens.
  router_.Add({"GET", "/api/v1/tokens", Permission::kAuthenticated,
               [this](Context& ctx) -> Result<http::Response> {
                 auto ts = ENTENTE_TRY(auth_->ListTokens(ctx.principal->user_id));
                 Json items = Json::array();
                 for (const auto& t : ts) items.push_back(TokenJson(t));
                 return JsonResponse(200, PageJson(items, ""));
               }});
  router_.Add({"POST", "/api/v1/tokens", Permission::kTokenManage,
               [this](Context& ctx) -> Result<http::Response> {
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 std::string name = ENTENTE_TRY(r.String("name", {.max = 100}));
                 auto scopes = ENTENTE_TRY(r.StringArray("scopes", 3, {.max = 8}));
                 auto days = ENTENTE_TRY(r.OptInt("expires_in_days", 1, 365));
                 ENTENTE_CHECK(r.Finish());
                 auto t = ENTENTE_TRY(auth_->CreateToken(ctx.principal->user_id, name, scopes,
                                                         days.value_or(90) * 24LL * 3600 * 1000));
                 Json j = TokenJson(t.info);
                 j["token"] = t.token;  // shown once
                 return JsonResponse(201, j);
               }});
  router_.Add({"DELETE", "/api/v1/tokens/{id}", Permission::kTokenManage,
               [this](Context& ctx) -> Result<http::Response> {
                 std::string id = Param(ctx.req, "id");
                 if (!IsUuid(id)) return Fail(ErrorCode::kNotFound, "no such token");
                 auto t = ENTENTE_TRY(auth_->GetToken(id));
                 if (t.user_id != ctx.principal->user_id) {
                   // Organisation admins may revoke tokens of their users.
                   auto owner = ENTENTE_TRY(auth_->GetUser(t.user_id));
                   if (!auth::Decide(ctx.principal, Permission::kOrgAdmin, owner.org_id))
                     return Fail(
                         ErrorCode::kPermissionDenied,
                         "only the token's owner or an admin of its organisation may revoke it");
                 }
                 ENTENTE_CHECK(auth_->RevokeToken(id));
                 return JsonResponse(200, {{"revoked", id}});
               }});
}

void Node::RegisterDirectoryRoutes() {
  router_.Add({"GET", "/api/v1/orgs", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"q", "country", "grouping", "kind", "sector",
                                                   "iana_id", "limit", "cursor"}));
                 directory::OrgQuery q;
                 q.q = ctx.req.Query("q").value_or("");
                 q.country = ctx.req.Query("country").value_or("");
                 if (!q.country.empty() && !directory::IsCountry(q.country))
                   return Invalid("is not an ISO 3166-1 alpha-2 country code", "country");
                 q.grouping = ctx.req.Query("grouping").value_or("");
                 q.kind = ctx.req.Query("kind").value_or("");
                 if (!q.kind.empty() &&
                     std::find(directory::OrgKinds().begin(), directory::OrgKinds().end(),
                               q.kind) == directory::OrgKinds().end())
                   return Invalid("is not a known organisation kind", "kind");
                 if (auto iana = ENTENTE_TRY(QueryUint(ctx.req, "iana_id", 1, 99'999'999)))
                   q.iana_id = static_cast<std::int64_t>(*iana);
                 q.sector = ctx.req.Query("sector").value_or("");
                 if (!q.sector.empty() && !directory::IsSector(q.sector))
                   return Invalid("is not a known sector", "sector");
                 q.limit = ENTENTE_TRY(Limit(ctx.req));
                 q.after = ENTENTE_TRY(Cursor(ctx.req));
                 auto page = ENTENTE_TRY(directory_->SearchOrgs(q));
                 Json items = Json::array();
                 for (const auto& o : page.items) items.push_back(o.ToJson());
                 return JsonResponse(200, PageJson(items, page.next));
               }});
  router_.Add({"POST", "/api/v1/orgs", Permission::kOrgCreate,
               [this](Context& ctx) -> Result<http::Response> {
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 auto o = ENTENTE_TRY(directory_->CreateOrg(ActorOf(ctx), body));
                 return JsonResponse(201, o.ToJson());
               }});
  auto org_param = [](const http::Request& req) -> Result<std::optional<std::string>> {
    if (!IsUuid(req.path_params.at("id")))
      return Fail(ErrorCode::kNotFound, "no such organisation");
    return std::optional<std::string>(req.path_params.at("id"));
  };
  router_.Add({"GET", "/api/v1/orgs/{id}", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 auto o = ENTENTE_TRY(directory_->GetOrg(Param(ctx.req, "id")));
                 return JsonResponse(200, o.ToJson());
               }});
  router_.Add({"PUT", "/api/v1/orgs/{id}", Permission::kOrgWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 auto o =
                     ENTENTE_TRY(directory_->UpdateOrg(ActorOf(ctx), Param(ctx.req, "id"), body));
                 return JsonResponse(200, o.ToJson());
               },
               org_param});
  router_.Add({"GET", "/api/v1/orgs/{id}/audit", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"limit", "cursor"}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 ENTENTE_TRY(directory_->GetOrg(Param(ctx.req, "id")));
                 auto page = ENTENTE_TRY(directory_->AuditTrail(Param(ctx.req, "id"),
                                                                ENTENTE_TRY(Cursor(ctx.req)),
                                                                ENTENTE_TRY(Limit(ctx.req))));
                 return JsonResponse(200, AuditJson(page));
               }});
  router_.Add({"GET", "/api/v1/orgs/{id}/pocs", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"limit", "cursor"}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 ENTENTE_TRY(directory_->GetOrg(Param(ctx.req, "id")));
                 directory::PocQuery q;
                 q.org = Param(ctx.req, "id");
                 q.limit = ENTENTE_TRY(Limit(ctx.req));
                 q.after = ENTENTE_TRY(Cursor(ctx.req));
                 auto page = ENTENTE_TRY(directory_->SearchPocs(q));
                 Json items = Json::array();
                 for (const auto& p : page.items) items.push_back(p.ToJson(true));
                 return JsonResponse(200, PageJson(items, page.next));
               }});
  router_.Add({"POST", "/api/v1/orgs/{id}/pocs", Permission::kPocWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 auto p =
                     ENTENTE_TRY(directory_->CreatePoc(ActorOf(ctx), Param(ctx.req, "id"), body));
                 return JsonResponse(201, p.ToJson(true));
               },
               org_param});
  router_.Add({"GET", "/api/v1/pocs", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(
                     ctx.req, {"q", "org", "country", "role", "language", "limit", "cursor"}));
                 directory::PocQuery q;
                 q.q = ctx.req.Query("q").value_or("");
                 q.org = ctx.req.Query("org").value_or("");
                 q.country = ctx.req.Query("country").value_or("");
                 if (!q.country.empty() && !directory::IsCountry(q.country))
                   return Invalid("is not an ISO 3166-1 alpha-2 country code", "country");
                 q.role = ctx.req.Query("role").value_or("");
                 if (!q.role.empty() &&
                     std::find(directory::PocRoles().begin(), directory::PocRoles().end(),
                               q.role) == directory::PocRoles().end())
                   return Invalid("must be diplomatic, technical or law_enforcement", "role");
                 q.language = ctx.req.Query("language").value_or("");
                 if (!q.language.empty() && !directory::IsLanguageTag(q.language))
                   return Invalid("is not a known BCP 47 language tag", "language");
                 q.limit = ENTENTE_TRY(Limit(ctx.req));
                 q.after = ENTENTE_TRY(Cursor(ctx.req));
                 auto page = ENTENTE_TRY(directory_->SearchPocs(q));
                 Json items = Json::array();
                 for (const auto& p : page.items) items.push_back(p.ToJson(true));
                 return JsonResponse(200, PageJson(items, page.next));
               }});
  auto poc_org = [this](const http::Request& req) -> Result<std::optional<std::string>> {
    if (!IsUuid(req.path_params.at("id")))
      return Fail(ErrorCode::kNotFound, "no such point of contact");
    auto p = ENTENTE_TRY(directory_->GetPoc(req.path_params.at("id")));
    return std::optional<std::string>(p.org_id);
  };
  router_.Add({"GET", "/api/v1/pocs/{id}", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 auto p = ENTENTE_TRY(directory_->GetPoc(Param(ctx.req, "id")));
                 return JsonResponse(200, p.ToJson(true));
               }});
  router_.Add({"PUT", "/api/v1/pocs/{id}", Permission::kPocWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 auto p =
                     ENTENTE_TRY(directory_->UpdatePoc(ActorOf(ctx), Param(ctx.req, "id"), body));
                 return JsonResponse(200, p.ToJson(true));
               },
               poc_org});
  router_.Add({"GET", "/api/v1/pocs/{id}/audit", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"limit", "cursor"}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 ENTENTE_TRY(directory_->GetPoc(Param(ctx.req, "id")));
                 auto page = ENTENTE_TRY(directory_->AuditTrail(Param(ctx.req, "id"),
                                                                ENTENTE_TRY(Cursor(ctx.req)),
                                                                ENTENTE_TRY(Limit(ctx.req))));
                 return JsonResponse(200, AuditJson(page));
               }});
  router_.Add({"GET", "/api/v1/pocs/{id}/export", Permission::kPocWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 auto j = ENTENTE_TRY(directory_->ExportPoc(Param(ctx.req, "id")));
                 http::Response r = JsonResponse(200, j);
                 r.headers.emplace("Content-Disposition", "attachment; filename=\"poc-" +
                                                              Param(ctx.req, "id") + ".json\"");
                 return r;
               },
               poc_org});
  router_.Add({"POST", "/api/v1/pocs/{id}/erase", Permission::kPocWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(directory_->ErasePoc(ActorOf(ctx), Param(ctx.req, "id")));
                 auto p = ENTENTE_TRY(directory_->GetPoc(Param(ctx.req, "id")));
                 return JsonResponse(200, p.ToJson(true));
               },
               poc_org});
}

}  // namespace entente::api
