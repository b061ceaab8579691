// Authentication and authorization.
//
// Users belong to one organisation with a role (viewer < analyst < officer <
// admin); node operators additionally administer the node. Credentials:
// - passwords hashed with Argon2id;
// - browser sessions: a random 256-bit id (only its SHA-256 is stored) in an
//   HttpOnly, Secure, SameSite=Strict cookie, plus a CSRF token that every
//   state-changing request must echo in the X-CSRF-Token header;
// - API tokens: random, shown once, stored hashed, scoped (read, write,
//   admin), expiring and revocable.
//
// Authorization is deny by default: every route declares a Permission and
// Decide() is the one function that allows or denies.
//
// Failed logins are rate-limited per user name and per remote address, in
// the database (so several processes share the limit). Secrets (passwords,
// tokens, session ids) are never logged or returned after creation.
// Thread-safe: state is in the database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "identity/identity.h"
#include "store/store.h"

namespace entente::auth {

enum class Role { kViewer = 0, kAnalyst = 1, kOfficer = 2, kAdmin = 3 };
std::string_view RoleName(Role r);
Result<Role> ParseRole(std::string_view s);
const std::vector<std::string>& RoleNames();

enum class Scope { kRead, kWrite, kAdmin };

struct Principal {
  std::string user_id;
  std::string username;
  std::string org_id;
  Role role = Role::kViewer;
  bool is_operator = false;
  bool via_token = false;
  std::vector<Scope> scopes;  // for tokens; sessions have every scope
  std::string csrf;           // for sessions
  // The organisation requires a second factor the user has not enrolled:
  // only sign-out and TOTP enrolment are allowed until they do.
  bool must_enrol_totp = false;
  bool HasScope(Scope s) const;
};

// What a route requires.
enum class Permission {
  kPublic,           // no login (health, metrics, OpenAPI, login)
  kAuthenticated,    // any user (own profile, sign-out, own tokens)
  kDirectoryRead,    // read the directory (personal data of contacts included)
  kPocWrite,         // create/edit/erase contacts of one's own organisation (officer+)
  kOrgWrite,         // edit one's own organisation (admin)
  kOrgAdmin,         // manage users and tokens of one's own organisation (admin)
  kOrgCreate,        // create organisations on this node (operator)
  kNodeAdmin,        // node identity, health, rebuild (operator)
  kTokenManage,      // create/revoke one's own API tokens (sessions, or tokens with admin scope)
  kAccountSecurity,  // one's own second factor (browser sessions only, never API tokens)
  kMessageRead,      // list messages of one's organisation and open them (analyst+)
  kMessageWrite,     // send, acknowledge, decline, respond, close (officer+)
  kCheckManage,      // start communication checks (admin, or operator)
  kIntelRead,        // read threat intelligence one's organisation may see (analyst+)
  kIntelWrite,       // import/share intelligence, report sightings (analyst+)
  kCommunityManage,  // create communities, invite, vouch, remove (officer+)
  kMatch,            // match values against the indicators one may use; feeds (analyst+)
  kDnsRead,          // DNS abuse observatory figures and reports (viewer+)
  kDnsWrite,         // file, route and answer DNS abuse reports (officer+)
  kDnsIngest,        // ingest zone, registration and feed data (operator)
};
std::string_view PermissionName(Permission p);

// The one decision. `target_org` is the organisation the request acts on,
// when it acts on one. Operators may act on any organisation of the node.
bool Decide(const std::optional<Principal>& who, Permission need,
            const std::optional<std::string>& target_org = std::nullopt);

struct User {
  std::string id, org_id, username, display_name;
  Role role = Role::kViewer;
  bool is_operator = false;
  bool disabled = false;
  bool totp_enabled = false;
  Millis created = 0;
};

struct TotpEnrolment {
  std::string secret;  // base32, for manual entry
  std::string uri;     // otpauth://totp/... for QR codes
};

struct NewSession {
  std::string session_id;  // secret: goes into the cookie only
  std::string csrf;
  Millis expires = 0;
};

struct TokenInfo {
  std::string id, user_id, name;
  std::vector<std::string> scopes;
  Millis created = 0, expires = 0;
  std::optional<Millis> revoked;
};

struct NewToken {
  TokenInfo info;
  std::string token;  // secret: shown once
};

struct AuthOptions {
  Millis session_ttl = 8 * 3600 * 1000;
  int max_failures = 5;  // per window, per user name and per address
  Millis failure_window = 15 * 60 * 1000;
  Millis max_token_ttl = 365LL * 24 * 3600 * 1000;
};

class Auth {
 public:
  Auth(store::Database& db, const identity::MasterKey& master, const Clock& clock,
       AuthOptions opts = {})
      : db_(db), master_(master), clock_(clock), opts_(opts) {}

  Result<User> CreateUser(const std::string& org_id, const std::string& username,
                          const std::string& display_name, const std::string& password, Role role,
                          bool is_operator);
  Result<User> GetUser(const std::string& id);
  Result<std::vector<User>> ListUsers(const std::string& org_id);
  Result<User> SetRole(const std::string& user_id, Role role);
  Result<User> SetDisabled(const std::string& user_id, bool disabled);

  // kUnauthenticated "invalid user name or password" for any mismatch;
  // kResourceExhausted when rate-limited (checked before the password).
  Result<User> CheckPassword(const std::string& username, const std::string& password,
                             const std::string& remote);
  // Password, then the second factor when the user has one: kUnauthenticated
  // with field "totp" when the code is missing or wrong (a wrong code counts
  // as a failed sign-in; a code is accepted once).
  Result<User> SignIn(const std::string& username, const std::string& password,
                      const std::string& totp, const std::string& remote);
  Result<NewSession> CreateSession(const std::string& user_id);
  Result<Principal> ResolveSession(const std::string& session_id);
  Status DeleteSession(const std::string& session_id);

  Result<NewToken> CreateToken(const std::string& user_id, const std::string& name,
                               const std::vector<std::string>& scopes, Millis ttl);
  Result<Principal> ResolveToken(const std::string& token);
  Result<std::vector<TokenInfo>> ListTokens(const std::string& user_id);
  Result<TokenInfo> GetToken(const std::string& token_id);
  Status RevokeToken(const std::string& token_id);

  // Second factor. Setup stores a new secret (not yet active); Enable
  // activates it with a valid code; Disable needs a valid code and is refused
  // while the organisation requires a second factor.
  Result<TotpEnrolment> TotpSetup(const std::string& user_id);
  Status TotpEnable(const std::string& user_id, const std::string& code);
  Status TotpDisable(const std::string& user_id, const std::string& code);

  // Node-local organisation settings.
  Result<bool> OrgRequiresTotp(const std::string& org_id);
  Status SetOrgRequiresTotp(const std::string& org_id, bool require);

 private:
  Result<Principal> PrincipalFor(const std::string& user_id);
  Status NoteFailure(store::Tx& tx, const std::string& key);
  Result<bool> Limited(const std::string& key);
  Result<std::int64_t> VerifyTotp(const std::string& user_id, const std::string& code,
                                  bool enabled_only);
  store::Database& db_;
  const identity::MasterKey& master_;
  const Clock& clock_;
  AuthOptions opts_;
};

}  // namespace entente::auth
