#include "auth/auth.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "auth/totp.h"
#include "core/ids.h"
#include "crypto/crypto.h"

namespace entente::auth {

using Json = nlohmann::json;

const std::vector<std::string>& RoleNames() {
  static const std::vector<std::string> k = {"viewer", "analyst", "officer", "admin"};
  return k;
}

std::string_view RoleName(Role r) { return RoleNames().at(static_cast<int>(r)); }

Result<Role> ParseRole(std::string_view s) {
  const auto& n = RoleNames();
  for (size_t i = 0; i < n.size(); ++i)
    if (n[i] == s) return static_cast<Role>(i);
  return Invalid("must be viewer, analyst, officer or admin", "role");
}

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kPublic:
      return "public";
    case Permission::kAuthenticated:
      return "authenticated";
    case Permission::kDirectoryRead:
      return "directory.read";
    case Permission::kPocWrite:
      return "poc.write";
    case Permission::kOrgWrite:
      return "org.write";
    case Permission::kOrgAdmin:
      return "org.admin";
    case Permission::kOrgCreate:
      return "org.create";
    case Permission::kNodeAdmin:
      return "node.admin";
    case Permission::kTokenManage:
      return "token.manage";
    case Permission::kAccountSecurity:
      return "account.security";
    case Permission::kMessageRead:
      return "message.read";
    case Permission::kMessageWrite:
      return "message.write";
    case Permission::kCheckManage:
      return "check.manage";
    case Permission::kIntelRead:
      return "intel.read";
    case Permission::kIntelWrite:
      return "intel.write";
    case Permission::kCommunityManage:
      return "community.manage";
    case Permission::kMatch:
      return "match";
    case Permission::kDnsRead:
      return "dns.read";
    case Permission::kDnsWrite:
      return "dns.write";
    case Permission::kDnsIngest:
      return "dns.ingest";
  }
  return "unknown";
}

bool Principal::HasScope(Scope s) const {
  if (!via_token) return true;
  return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
}

bool Decide(const std::optional<Principal>& who, Permission need,
            const std::optional<std::string>& target_org) {
  if (need == Permission::kPublic) return true;
  if (!who) return false;
  const Principal& p = *who;
  bool own = !target_org || *target_org == p.org_id;
  switch (need) {
    case Permission::kPublic:
      return true;
    case Permission::kAuthenticated:
      return p.HasScope(Scope::kRead);
    case Permission::kDirectoryRead:
      return p.HasScope(Scope::kRead);
    case Permission::kPocWrite:
      return p.HasScope(Scope::kWrite) && ((own && p.role >= Role::kOfficer) || p.is_operator);
    case Permission::kOrgWrite:
      return p.HasScope(Scope::kWrite) && ((own && p.role >= Role::kAdmin) || p.is_operator);
    case Permission::kOrgAdmin:
      return p.HasScope(Scope::kAdmin) && ((own && p.role >= Role::kAdmin) || p.is_operator);
    case Permission::kOrgCreate:
    case Permission::kNodeAdmin:
      return p.HasScope(Scope::kAdmin) && p.is_operator;
    case Permission::kTokenManage:
      return p.HasScope(Scope::kAdmin);
    case Permission::kAccountSecurity:
      return !p.via_token;
    case Permission::kMessageRead:
      return p.HasScope(Scope::kRead) && p.role >= Role::kAnalyst;
    case Permission::kMessageWrite:
      return p.HasScope(Scope::kWrite) && p.role >= Role::kOfficer;
    case Permission::kCheckManage:
      return p.HasScope(Scope::kWrite) && (p.role >= Role::kAdmin || p.is_operator);
    case Permission::kIntelRead:
    case Permission::kMatch:
      return p.HasScope(Scope::kRead) && p.role >= Role::kAnalyst;
    case Permission::kIntelWrite:
      return p.HasScope(Scope::kWrite) && p.role >= Role::kAnalyst;
    case Permission::kCommunityManage:
      return p.HasScope(Scope::kWrite) && p.role >= Role::kOfficer;
    case Permission::kDnsRead:
      return p.HasScope(Scope::kRead);
    case Permission::kDnsWrite:
      return p.HasScope(Scope::kWrite) && (p.role >= Role::kOfficer || p.is_operator);
    case Permission::kDnsIngest:
      return p.HasScope(Scope::kAdmin) && p.is_operator;
  }
  return false;
}

namespace {

std::string HashSecret(std::string_view s) {
  return crypto::HexEncode(crypto::Sha256(crypto::AsBytes(s)));
}

User UserFromRow(const store::Row& r) {
  User u;
  u.id = r.Text(0);
  u.org_id = r.Text(1);
  u.username = r.Text(2);
  u.display_name = r.Text(3);
  u.role = static_cast<Role>(std::clamp<std::int64_t>(
      std::find(RoleNames().begin(), RoleNames().end(), r.Text(4)) - RoleNames().begin(), 0, 3));
  u.is_operator = r.Int(5) != 0;
  u.disabled = r.Int(6) != 0;
  u.created = r.Int(7);
  u.totp_enabled = r.Int(8) != 0;
  return u;
}

constexpr const char* kUserCols =
    "id, org_id, username, display_name, role, is_operator, disabled, created, totp_enabled";

Result<std::vector<Scope>> ParseScopes(const std::vector<std::string>& names) {
  std::vector<Scope> out;
  for (const auto& s : names) {
    if (s == "read")
      out.push_back(Scope::kRead);
    else if (s == "write")
      out.push_back(Scope::kWrite);
    else if (s == "admin")
      out.push_back(Scope::kAdmin);
    else
      return Invalid("unknown scope '" + s + "' (read, write, admin)", "scopes");
  }
  return out;
}

TokenInfo TokenFromRow(const store::Row& r) {
  TokenInfo t;
  t.id = r.Text(0);
  t.user_id = r.Text(1);
  t.name = r.Text(2);
  auto j = Json::parse(r.Text(3), nullptr, false);
  if (j.is_array())
    for (auto& s : j) t.scopes.push_back(s.get<std::string>());
  t.created = r.Int(4);
  t.expires = r.Int(5);
  if (!r.IsNull(6)) t.revoked = r.Int(6);
  return t;
}

}  // namespace

Result<User> Auth::CreateUser(const std::string& org_id, const std::string& username,
                              const std::string& display_name, const std::string& password,
                              Role role, bool is_operator) {
  static const std::regex kName("^[a-z0-9][a-z0-9._-]{1,63}$");
  if (!std::regex_match(username, kName))
    return Invalid("must be 2-64 lower-case letters, digits, '.', '_' or '-'", "username");
  if (display_name.empty() || display_name.size() > 200)
    return Invalid("must be 1-200 characters", "display_name");
  if (password.size() < 12) return Invalid("must be at least 12 characters", "password");
  std::string hash = ENTENTE_TRY(crypto::HashPassword(password));
  User u;
  u.id = NewUuidV7(clock_);
  u.org_id = org_id;
  u.username = username;
  u.display_name = display_name;
  u.role = role;
  u.is_operator = is_operator;
  u.created = clock_.NowMillis();
  auto st = db_.Transact([&](store::Tx& tx) -> Status {
    auto exists = ENTENTE_TRY(tx.Query("SELECT 1 FROM users WHERE username = ?", {username}));
    if (!exists.empty()) return Fail(ErrorCode::kAlreadyExists, "user name is taken", "username");
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO users (id, org_id, username, display_name, password_hash, role, is_operator, "
        "disabled, created) VALUES (?,?,?,?,?,?,?,0,?)",
        {u.id, org_id, username, display_name, hash, std::string(RoleName(role)),
         static_cast<std::int64_t>(is_operator), u.created}));
    return Ok();
  });
  if (!st) return std::unexpected(st.error());
  spdlog::info("user created: {} ({}) in org {}", username, RoleName(role), org_id);
  return u;
}

Result<User> Auth::GetUser(const std::string& id) {
  auto rows =
      ENTENTE_TRY(db_.Query(std::string("SELECT ") + kUserCols + " FROM users WHERE id = ?", {id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no user " + id);
  return UserFromRow(rows[0]);
}

Result<std::vector<User>> Auth::ListUsers(const std::string& org_id) {
  auto rows = ENTENTE_TRY(db_.Query(
      std::string("SELECT ") + kUserCols + " FROM users WHERE org_id = ? ORDER BY username",
      {org_id}));
  std::vector<User> out;
  for (const auto& r : rows) out.push_back(UserFromRow(r));
  return out;
}

Result<User> Auth::SetRole(const std::string& user_id, Role role) {
  auto st = db_.Transact([&](store::Tx& tx) -> Status {
    auto n = ENTENTE_TRY(
        tx.Exec("UPDATE users SET role = ? WHERE id = ?", {std::string(RoleName(role)), user_id}));
    if (n == 0) return Fail(ErrorCode::kNotFound, "no user " + user_id);
    return Ok();
  });
  if (!st) return std::unexpected(st.error());
  return GetUser(user_id);
}

Result<User> Auth::SetDisabled(const std::string& user_id, bool disabled) {
  auto st = db_.Transact([&](store::Tx& tx) -> Status {
    auto n = ENTENTE_TRY(tx.Exec("UPDATE users SET disabled = ? WHERE id = ?",
                                 {static_cast<std::int64_t>(disabled), user_id}));
    if (n == 0) return Fail(ErrorCode::kNotFound, "no user " + user_id);
    if (disabled) ENTENTE_TRY(tx.Exec("DELETE FROM sessions WHERE user_id = ?", {user_id}));
    return Ok();
  });
  if (!st) return std::unexpected(st.error());
  return GetUser(user_id);
}

Result<bool> Auth::Limited(const std::string& key) {
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT window_start, count FROM login_failures WHERE key = ?", {key}));
  if (rows.empty()) return false;
  if (clock_.NowMillis() - rows[0].Int(0) > opts_.failure_window) return false;
  return rows[0].Int(1) >= opts_.max_failures;
}

Status Auth::NoteFailure(store::Tx& tx, const std::string& key) {
  Millis now = clock_.NowMillis();
  auto rows = ENTENTE_TRY(tx.Query("SELECT window_start FROM login_failures WHERE key = ?", {key}));
  if (rows.empty()) {
    ENTENTE_TRY(tx.Exec("INSERT INTO login_failures (key, window_start, count) VALUES (?, ?, 1)",
                        {key, now}));
  } else if (now - rows[0].Int(0) > opts_.failure_window) {
    ENTENTE_TRY(
        tx.Exec("UPDATE login_failures SET window_start = ?, count = 1 WHERE key = ?", {now, key}));
  } else {
    ENTENTE_TRY(tx.Exec("UPDATE login_failures SET count = count + 1 WHERE key = ?", {key}));
  }
  return Ok();
}

Result<User> Auth::CheckPassword(const std::string& username, const std::string& password,
                                 const std::string& remote) {
  const std::string ukey = "user:" + username.substr(0, 64), akey = "addr:" + remote;
  if (ENTENTE_TRY(Limited(ukey)) || ENTENTE_TRY(Limited(akey))) {
    spdlog::warn("login rate-limited: user={} remote={}", username.substr(0, 64), remote);
    return Fail(ErrorCode::kResourceExhausted, "too many failed sign-ins; try again later");
  }
  auto rows = ENTENTE_TRY(db_.Query(
      std::string("SELECT ") + kUserCols + ", password_hash FROM users WHERE username = ?",
      {username}));
  bool ok = false;
  if (!rows.empty()) {
    ok = crypto::VerifyPassword(rows[0].Text(9), password) && rows[0].Int(6) == 0;
  } else {
    // Spend comparable time for unknown users.
    static const std::string dummy = crypto::HashPassword("entente-dummy-password").value_or("");
    crypto::VerifyPassword(dummy, password);
  }
  if (!ok) {
    ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
      ENTENTE_CHECK(NoteFailure(tx, ukey));
      return NoteFailure(tx, akey);
    }));
    spdlog::warn("login failed: user={} remote={}", username.substr(0, 64), remote);
    return Fail(ErrorCode::kUnauthenticated, "invalid user name or password");
  }
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM login_failures WHERE key = ?", {ukey}));
    return Ok();
  }));
  spdlog::info("login: user={} remote={}", username, remote);
  return UserFromRow(rows[0]);
}

Result<NewSession> Auth::CreateSession(const std::string& user_id) {
  NewSession s{crypto::RandomToken(32), crypto::RandomToken(32),
               clock_.NowMillis() + opts_.session_ttl};
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM sessions WHERE expires < ?", {clock_.NowMillis()}));
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO sessions (id_hash, user_id, csrf, created, expires) VALUES (?,?,?,?,?)",
        {HashSecret(s.session_id), user_id, s.csrf, clock_.NowMillis(), s.expires}));
    return Ok();
  }));
  return s;
}

Result<Principal> Auth::PrincipalFor(const std::string& user_id) {
  User u = ENTENTE_TRY(GetUser(user_id));
  if (u.disabled) return Fail(ErrorCode::kUnauthenticated, "account is disabled");
  Principal p;
  p.user_id = u.id;
  p.username = u.username;
  p.org_id = u.org_id;
  p.role = u.role;
  p.is_operator = u.is_operator;
  p.must_enrol_totp = !u.totp_enabled && ENTENTE_TRY(OrgRequiresTotp(u.org_id));
  return p;
}

Result<Principal> Auth::ResolveSession(const std::string& session_id) {
  if (session_id.empty() || session_id.size() > 128)
    return Fail(ErrorCode::kUnauthenticated, "no session");
  auto rows = ENTENTE_TRY(db_.Query("SELECT user_id, csrf, expires FROM sessions WHERE id_hash = ?",
                                    {HashSecret(session_id)}));
  if (rows.empty()) return Fail(ErrorCode::kUnauthenticated, "session is unknown or has ended");
  if (rows[0].Int(2) < clock_.NowMillis())
    return Fail(ErrorCode::kUnauthenticated, "session expired");
  Principal p = ENTENTE_TRY(PrincipalFor(rows[0].Text(0)));
  p.csrf = rows[0].Text(1);
  return p;
}

Status Auth::DeleteSession(const std::string& session_id) {
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM sessions WHERE id_hash = ?", {HashSecret(session_id)}));
    return Ok();
  });
}

Result<NewToken> Auth::CreateToken(const std::string& user_id, const std::string& name,
                                   const std::vector<std::string>& scopes, Millis ttl) {
  if (name.empty() || name.size() > 100) return Invalid("must be 1-100 characters", "name");
  if (scopes.empty()) return Invalid("at least one scope is required", "scopes");
  ENTENTE_TRY(ParseScopes(scopes));
  if (ttl <= 0 || ttl > opts_.max_token_ttl)
    return Invalid("must be between 1 second and 365 days", "expires_in");
  ENTENTE_TRY(GetUser(user_id));
  NewToken t;
  t.token = "ent_" + crypto::RandomToken(32);
  t.info = {NewUuidV7(clock_),        user_id,     name, scopes, clock_.NowMillis(),
            clock_.NowMillis() + ttl, std::nullopt};
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created, expires) "
                "VALUES (?,?,?,?,?,?,?)",
                {t.info.id, user_id, name, HashSecret(t.token), Json(scopes).dump(), t.info.created,
                 t.info.expires}));
    return Ok();
  }));
  spdlog::info("api token created: id={} user={} scopes={}", t.info.id, user_id,
               Json(scopes).dump());
  return t;
}

Result<Principal> Auth::ResolveToken(const std::string& token) {
  if (token.size() < 8 || token.size() > 128)
    return Fail(ErrorCode::kUnauthenticated, "invalid token");
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT id, user_id, name, scopes, created, expires, revoked FROM "
                            "api_tokens WHERE token_hash = ?",
                            {HashSecret(token)}));
  if (rows.empty()) return Fail(ErrorCode::kUnauthenticated, "invalid token");
  TokenInfo t = TokenFromRow(rows[0]);
  if (t.revoked) return Fail(ErrorCode::kUnauthenticated, "token was revoked");
  if (t.expires < clock_.NowMillis()) return Fail(ErrorCode::kUnauthenticated, "token expired");
  Principal p = ENTENTE_TRY(PrincipalFor(t.user_id));
  p.via_token = true;
  p.scopes = ENTENTE_TRY(ParseScopes(t.scopes));
  return p;
}

Result<std::vector<TokenInfo>> Auth::ListTokens(const std::string& user_id) {
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT id, user_id, name, scopes, created, expires, revoked FROM "
                            "api_tokens WHERE user_id = ? "
                            "ORDER BY created",
                            {user_id}));
  std::vector<TokenInfo> out;
  for (const auto& r : rows) out.push_back(TokenFromRow(r));
  return out;
}

Result<TokenInfo> Auth::GetToken(const std::string& token_id) {
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT id, user_id, name, scopes, created, expires, revoked FROM api_tokens WHERE id = ?",
      {token_id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no token " + token_id);
  return TokenFromRow(rows[0]);
}

Status Auth::RevokeToken(const std::string& token_id) {
  return db_.Transact([&](store::Tx& tx) -> Status {
    auto n =
        ENTENTE_TRY(tx.Exec("UPDATE api_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                            {clock_.NowMillis(), token_id}));
    if (n == 0) return Fail(ErrorCode::kNotFound, "no active token " + token_id);
    spdlog::info("api token revoked: id={}", token_id);
    return Ok();
  });
}

}  // namespace entente::auth

namespace entente::auth {

Result<std::int64_t> Auth::VerifyTotp(const std::string& user_id, const std::string& code,
                                      bool enabled_only) {
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT totp_secret_enc, totp_enabled, totp_last_step FROM users WHERE id = ?", {user_id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no user " + user_id);
  if (rows[0].IsNull(0) || (enabled_only && rows[0].Int(1) == 0))
    return Fail(ErrorCode::kFailedPrecondition, "no second factor is set up", "totp");
  crypto::SecretBytes secret = ENTENTE_TRY(master_.Decrypt(rows[0].Text(0), "totp:" + user_id));
  auto step = TotpCheck({secret.data(), secret.size()}, code, clock_.NowMillis() / 1000);
  if (!step) return Fail(ErrorCode::kUnauthenticated, "the second-factor code is wrong", "totp");
  if (*step <= rows[0].Int(2))
    return Fail(ErrorCode::kUnauthenticated, "this second-factor code was already used", "totp");
  return *step;
}

Result<User> Auth::SignIn(const std::string& username, const std::string& password,
                          const std::string& totp, const std::string& remote) {
  User u = ENTENTE_TRY(CheckPassword(username, password, remote));
  if (!u.totp_enabled) return u;
  if (totp.empty())
    return Fail(ErrorCode::kUnauthenticated, "a second-factor code is required", "totp");
  auto step = VerifyTotp(u.id, totp, true);
  if (!step) {
    ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
      ENTENTE_CHECK(NoteFailure(tx, "user:" + username.substr(0, 64)));
      return NoteFailure(tx, "addr:" + remote);
    }));
    spdlog::warn("second factor failed: user={} remote={}", username, remote);
    return std::unexpected(step.error());
  }
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("UPDATE users SET totp_last_step = ? WHERE id = ?", {*step, u.id}));
    return Ok();
  }));
  return u;
}

Result<TotpEnrolment> Auth::TotpSetup(const std::string& user_id) {
  User u = ENTENTE_TRY(GetUser(user_id));
  if (u.totp_enabled)
    return Fail(ErrorCode::kFailedPrecondition,
                "a second factor is already enabled; disable it first");
  crypto::Bytes secret(20);
  crypto::RandomFill(secret);
  std::string enc = ENTENTE_TRY(master_.Encrypt(secret, "totp:" + user_id));
  TotpEnrolment e;
  e.secret = Base32Encode(secret);
  sodium_memzero(secret.data(), secret.size());
  e.uri = "otpauth://totp/Entente:" + u.username + "?secret=" + e.secret +
          "&issuer=Entente&algorithm=SHA1&digits=6&period=30";
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("UPDATE users SET totp_secret_enc = ?, totp_enabled = 0, totp_last_step = 0 "
                "WHERE id = ?",
                {enc, user_id}));
    return Ok();
  }));
  return e;
}

Status Auth::TotpEnable(const std::string& user_id, const std::string& code) {
  auto step = ENTENTE_TRY(VerifyTotp(user_id, code, false));
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("UPDATE users SET totp_enabled = 1, totp_last_step = ? WHERE id = ?",
                        {step, user_id}));
    return Ok();
  }));
  spdlog::info("second factor enabled: user={}", user_id);
  return Ok();
}

Status Auth::TotpDisable(const std::string& user_id, const std::string& code) {
  User u = ENTENTE_TRY(GetUser(user_id));
  if (ENTENTE_TRY(OrgRequiresTotp(u.org_id)))
    return Fail(ErrorCode::kFailedPrecondition, "your organisation requires a second factor");
  ENTENTE_TRY(VerifyTotp(user_id, code, true));
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("UPDATE users SET totp_enabled = 0, totp_secret_enc = NULL WHERE id = ?",
                        {user_id}));
    return Ok();
  }));
  spdlog::info("second factor disabled: user={}", user_id);
  return Ok();
}

Result<bool> Auth::OrgRequiresTotp(const std::string& org_id) {
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT require_totp FROM org_settings WHERE org_id = ?", {org_id}));
  return !rows.empty() && rows[0].Int(0) != 0;
}

Status Auth::SetOrgRequiresTotp(const std::string& org_id, bool require) {
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO org_settings (org_id, require_totp, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (org_id) DO UPDATE SET require_totp = excluded.require_totp, updated "
                "= excluded.updated",
                {org_id, static_cast<std::int64_t>(require), clock_.NowMillis()}));
    return Ok();
  });
}

}  // namespace entente::auth
