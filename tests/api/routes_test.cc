// Walks every route of the API with every role (and no login) over real
// HTTP, and checks the expected allow/deny. A route without an expectation
// here fails the suite, so a new route cannot ship without a rule.
#include <gtest/gtest.h>

#include <map>

#include "api/node_fixture.h"
#include "jcs/jcs.h"

namespace entente::testing {
namespace {

// Principals, in the order of the expectation strings below.
enum P { kAnon, kViewer, kAnalyst, kOfficer, kAdmin, kOtherAdmin, kOperator, kReadToken, kCount };
const char* kNames[] = {"anonymous", "viewer",          "analyst",  "officer",
                        "admin",     "other-org admin", "operator", "read-only token"};

// A = allowed, D = denied (401 without login, 403 otherwise).
const std::map<std::string, std::string> kExpected = {
    {"GET /", "AAAAAAAA"},
    {"GET /assets/{file}", "AAAAAAAA"},
    {"GET /healthz", "AAAAAAAA"},
    {"GET /metrics", "AAAAAAAA"},
    {"GET /api/v1/openapi.json", "AAAAAAAA"},
    {"GET /api/v1/node", "AAAAAAAA"},
    {"GET /api/v1/reference", "AAAAAAAA"},
    // The verifiable record: tree heads and consistency proofs are public
    // (anyone may audit the log); leaves, inclusion proofs and receipts are
    // for members; signing a head on demand is for operators.
    {"GET /api/v1/log/sth", "AAAAAAAA"},
    {"POST /api/v1/log/sth", "DDDDDDAD"},
    {"GET /api/v1/log/proof/inclusion", "DAAAAAAA"},
    {"GET /api/v1/log/proof/consistency", "AAAAAAAA"},
    {"GET /api/v1/log/leaves", "DAAAAAAA"},
    {"GET /api/v1/log/receipt/{envelope_id}", "DAAAAAAA"},
    {"GET /api/v1/node/health", "DDDDDDAD"},
    {"POST /api/v1/node/rebuild", "DDDDDDAD"},
    {"POST /api/v1/auth/login", "AAAAAAAA"},
    {"POST /api/v1/auth/logout", "DAAAAAAA"},
    {"GET /api/v1/auth/me", "DAAAAAAA"},
    // Second-factor management is for browser sessions only: every token is denied.
    {"POST /api/v1/auth/totp/setup", "DDDDDDDD"},
    {"POST /api/v1/auth/totp/enable", "DDDDDDDD"},
    {"POST /api/v1/auth/totp/disable", "DDDDDDDD"},
    {"GET /api/v1/orgs/{id}/settings", "DDDDADAD"},
    {"PUT /api/v1/orgs/{id}/settings", "DDDDADAD"},
    {"GET /api/v1/orgs/{id}/users", "DDDDADAD"},
    {"POST /api/v1/orgs/{id}/users", "DDDDADAD"},
    {"PUT /api/v1/users/{id}", "DDDDADAD"},
    {"GET /api/v1/tokens", "DAAAAAAA"},
    {"POST /api/v1/tokens", "DAAAAAAD"},
    {"DELETE /api/v1/tokens/{id}", "DDDDADAD"},
    {"GET /api/v1/orgs", "DAAAAAAA"},
    {"POST /api/v1/orgs", "DDDDDDAD"},
    {"GET /api/v1/orgs/{id}", "DAAAAAAA"},
    {"PUT /api/v1/orgs/{id}", "DDDDADAD"},
    {"GET /api/v1/orgs/{id}/audit", "DAAAAAAA"},
    {"GET /api/v1/orgs/{id}/pocs", "DAAAAAAA"},
    {"POST /api/v1/orgs/{id}/pocs", "DDDAADAD"},
    {"GET /api/v1/pocs", "DAAAAAAA"},
    {"GET /api/v1/pocs/{id}", "DAAAAAAA"},
    {"PUT /api/v1/pocs/{id}", "DDDAADAD"},
    {"GET /api/v1/pocs/{id}/audit", "DAAAAAAA"},
    {"GET /api/v1/pocs/{id}/export", "DDDAADAD"},
    {"POST /api/v1/pocs/{id}/erase", "DDDAADAD"},
    // Communications: analysts and above read their organisation's messages,
    // officers and above act on them, admins (and operators) start checks;
    // a read-only token reads but never acts.
    {"GET /api/v1/comms/templates", "DAAAAAAA"},
    {"GET /api/v1/comms/policy", "DAAAAAAA"},
    {"PUT /api/v1/comms/policy", "DDDDDDAD"},
    {"GET /api/v1/messages", "DDAAAAAA"},
    {"POST /api/v1/messages", "DDDAAAAD"},
    {"GET /api/v1/messages/{id}", "DDAAAAAA"},
    {"GET /api/v1/messages/{id}/timeline", "DDAAAAAA"},
    {"POST /api/v1/messages/{id}/ack", "DDDAAAAD"},
    {"POST /api/v1/messages/{id}/decline", "DDDAAAAD"},
    {"POST /api/v1/messages/{id}/close", "DDDAAAAD"},
    {"POST /api/v1/messages/{id}/respond", "DDDAAAAD"},
    {"GET /api/v1/overdue", "DDAAAAAA"},
    {"GET /api/v1/events", "DDAAAAAA"},
    {"POST /api/v1/checks", "DDDDAAAD"},
    {"GET /api/v1/checks", "DDAAAAAA"},
    {"GET /api/v1/checks/{id}", "DDAAAAAA"},
    {"GET /api/v1/orgs/{id}/webhook", "DDDDADAD"},
    {"PUT /api/v1/orgs/{id}/webhook", "DDDDADAD"},
    {"DELETE /api/v1/orgs/{id}/webhook", "DDDDADAD"},
    // Node to node: signed by a peer's node key, never a user's credentials.
    {"GET /federation/v1/feed", "DDDDDDDD"},
    {"GET /federation/v1/consistency", "DDDDDDDD"},
    {"POST /federation/v1/introduce", "DDDDDDDD"},
    {"GET /api/v1/federation/introductions", "DDDDDDAD"},
    {"GET /api/v1/federation/self", "DDDDDDAD"},
    {"GET /api/v1/federation/peers", "DDDDDDAD"},
    {"POST /api/v1/federation/peers", "DDDDDDAD"},
    {"GET /api/v1/federation/peers/{id}", "DDDDDDAD"},
    {"POST /api/v1/federation/peers/{id}/suspend", "DDDDDDAD"},
    {"POST /api/v1/federation/peers/{id}/resume", "DDDDDDAD"},
    {"DELETE /api/v1/federation/peers/{id}", "DDDDDDAD"},
    {"POST /api/v1/federation/peers/{id}/sync", "DDDDDDAD"},
    {"GET /api/v1/federation/alerts", "DDDDDDAD"},
    // TAXII 2.1: intel.read to read (analysts and above, read scope),
    // intel.write to add and delete. Which collections a user sees is the
    // access rule's business (the other organisation's admin passes the
    // route and then finds no such collection: 404).
    {"GET /taxii2/", "DDAAAAAA"},
    {"GET /taxii2/api1/", "DDAAAAAA"},
    {"GET /taxii2/api1/status/{status_id}/", "DDAAAAAA"},
    {"GET /taxii2/api1/collections/", "DDAAAAAA"},
    {"GET /taxii2/api1/collections/{id}/", "DDAAAAAA"},
    {"GET /taxii2/api1/collections/{id}/manifest/", "DDAAAAAA"},
    {"GET /taxii2/api1/collections/{id}/objects/", "DDAAAAAA"},
    {"POST /taxii2/api1/collections/{id}/objects/", "DDAAAAAD"},
    {"GET /taxii2/api1/collections/{id}/objects/{object_id}/", "DDAAAAAA"},
    {"DELETE /taxii2/api1/collections/{id}/objects/{object_id}/", "DDAAAAAD"},
    {"GET /taxii2/api1/collections/{id}/objects/{object_id}/versions/", "DDAAAAAA"},
    // DNS abuse observatory: everyone signed in reads figures and the reports
    // of their organisation, officers (and operators) file and route reports.
    {"GET /api/v1/dns/days", "DAAAAAAA"},
    {"GET /api/v1/dns/days/{day}/figures", "DAAAAAAA"},
    {"GET /api/v1/dns/months/{month}/figures", "DAAAAAAA"},
    {"GET /api/v1/dns/months/{month}/report", "DAAAAAAA"},
    {"GET /api/v1/dns/trends", "DAAAAAAA"},
    {"GET /api/v1/dns/reports", "DAAAAAAA"},
    {"POST /api/v1/dns/reports", "DDDAAAAD"},
    {"GET /api/v1/dns/reports/{id}", "DAAAAAAA"},
    {"POST /api/v1/dns/reports/{id}/route", "DDDAAAAD"},
    // Intelligence and communities of trust: analysts and above read and
    // import what their organisation may see (operators as members of their
    // own organisation, no more); officers manage communities.
    {"GET /api/v1/communities", "DDAAAAAA"},
    {"POST /api/v1/communities", "DDDAAAAD"},
    {"GET /api/v1/communities/{id}", "DDAAAAAA"},
    {"POST /api/v1/communities/{id}/invitations", "DDDAAAAD"},
    {"POST /api/v1/communities/{id}/invitations/{org}/vouch", "DDDAAAAD"},
    {"POST /api/v1/communities/{id}/leave", "DDDAAAAD"},
    {"POST /api/v1/communities/{id}/members/{org}/remove", "DDDAAAAD"},
    {"POST /api/v1/intel/bundles", "DDAAAAAD"},
    {"GET /api/v1/intel/objects", "DDAAAAAA"},
    {"GET /api/v1/intel/objects/{id}", "DDAAAAAA"},
    {"GET /api/v1/intel/export", "DDAAAAAA"},
    // Sightings and correlation: analysts report sightings; readers list
    // the sightings and correlations they may read.
    {"POST /api/v1/intel/sightings", "DDAAAAAD"},
    {"GET /api/v1/intel/objects/{id}/sightings", "DDAAAAAA"},
    {"GET /api/v1/intel/objects/{id}/correlations", "DDAAAAAA"},
    // Matching and feeds: analysts and above, with the indicators their
    // organisation may use (read tokens too: machines fetch feeds).
    {"POST /api/v1/match", "DDAAAAAA"},
    {"GET /api/v1/feeds/{format}", "DDAAAAAA"},
    {"GET /api/v1/feeds/{format}/{file}", "DDAAAAAA"},
};

class RoutesTest : public NodeTest {};

TEST_P(RoutesTest, EveryRouteTimesEveryRole) {
  Serve();
  auto org = MakeOrg("CERT A");
  auto other = MakeOrg("CERT B", "DE");
  auto poc = node_->directory().CreatePoc(operator_actor_, org.id, PocInput("Contact A"));
  ASSERT_TRUE(poc);
  std::string tokens[kCount];
  auto viewer = MakeUser(org.id, "viewer", auth::Role::kViewer);
  tokens[kViewer] = MakeToken(viewer.id);
  tokens[kAnalyst] = MakeToken(MakeUser(org.id, "analyst", auth::Role::kAnalyst).id);
  tokens[kOfficer] = MakeToken(MakeUser(org.id, "officer", auth::Role::kOfficer).id);
  auto admin = MakeUser(org.id, "admin", auth::Role::kAdmin);
  tokens[kAdmin] = MakeToken(admin.id);
  tokens[kOtherAdmin] = MakeToken(MakeUser(other.id, "other-admin", auth::Role::kAdmin).id);
  tokens[kOperator] = MakeToken(MakeUser(founding_org_, "op2", auth::Role::kAdmin, true).id);
  tokens[kReadToken] = MakeToken(admin.id, {"read"});
  auto victim = node_->auth().CreateToken(admin.id, "to revoke", {"read"}, 3600000);
  ASSERT_TRUE(victim);

  auto concrete = [&](const std::string& method, const std::string& pattern) {
    std::string p = pattern;
    auto put = [&](const std::string& value) {
      auto pos = p.find("{id}");
      if (pos != std::string::npos) p.replace(pos, 4, value);
    };
    if (pattern == "/assets/{file}")
      p = "/assets/missing.js";
    else if (pattern.rfind("/api/v1/orgs/{id}", 0) == 0)
      put(org.id);
    else if (pattern.rfind("/api/v1/pocs/{id}", 0) == 0)
      put(poc->id);
    else if (pattern.rfind("/api/v1/users/{id}", 0) == 0)
      put(viewer.id);
    else if (pattern.rfind("/api/v1/tokens/{id}", 0) == 0)
      put(victim->info.id);
    else if (pattern == "/api/v1/log/receipt/{envelope_id}")
      p = "/api/v1/log/receipt/" + org.envelope_id;
    else if (pattern == "/api/v1/log/proof/inclusion")
      p += "?leaf_index=0";
    else if (pattern == "/api/v1/log/proof/consistency")
      p += "?first=1&second=2";
    else if (pattern == "/api/v1/events")
      p += "?timeout=0";
    else if (pattern == "/api/v1/log/leaves")
      p += "?start=0&end=10";
    else if (pattern.rfind("/api/v1/communities/{id}", 0) == 0) {
      put("01234567-89ab-7def-8123-456789abcdef");
      if (auto pos = p.find("{org}"); pos != std::string::npos) p.replace(pos, 5, other.id);
    } else if (pattern.rfind("/api/v1/intel/objects/{id}", 0) == 0)
      put("indicator--01234567-89ab-4def-8123-456789abcdef");
    else if (pattern.rfind("/api/v1/federation/peers/{id}", 0) == 0)
      put(std::string(64, 'a'));
    else if (pattern == "/federation/v1/consistency")
      p += "?first=1&second=2";
    else if (pattern.rfind("/taxii2/", 0) == 0) {
      put(org.id);  // the organisation's private collection
      auto obj = p.find("{object_id}");
      if (obj != std::string::npos)
        p.replace(obj, 11, "indicator--00000000-0000-4000-8000-000000000001");
      auto st = p.find("{status_id}");
      if (st != std::string::npos) p.replace(st, 11, "0190a000-0000-4000-8000-000000000000");
    } else if (pattern == "/api/v1/dns/days/{day}/figures")
      p = "/api/v1/dns/days/2024-03-01/figures";
    else if (pattern.rfind("/api/v1/dns/months/{month}", 0) == 0)
      p.replace(p.find("{month}"), 7, "2024-03");
    else if (pattern.rfind("/api/v1/dns/reports/{id}", 0) == 0)
      put("0190a000-0000-7000-8000-000000000000");
    (void)method;
    return p;
  };

  std::set<std::string> covered;
  for (const auto& route : node_->router().routes()) {
    std::string key = route.method + " " + route.pattern;
    auto it = kExpected.find(key);
    ASSERT_NE(it, kExpected.end())
        << "route " << key << " has no authorization expectation in this test";
    covered.insert(key);
    for (int who = 0; who < kCount; ++who) {
      std::string path = concrete(route.method, route.pattern);
      std::string body = route.method == "GET" || route.method == "DELETE" ? "" : "{}";
      auto res =
          Call(route.method, path, tokens[who], body, {{"Content-Type", "application/json"}});
      bool denied = res.status == 401 || res.status == 403;
      bool expect_denied = it->second[who] == 'D';
      EXPECT_EQ(denied, expect_denied)
          << key << " as " << kNames[who] << " -> " << res.status << " " << res.body;
      if (expect_denied) {
        // User credentials are never node credentials: 401 on node-to-node routes.
        bool node_route = route.pattern.rfind("/federation/", 0) == 0;
        EXPECT_EQ(res.status, who == kAnon || node_route ? 401 : 403)
            << key << " as " << kNames[who];
        // TAXII routes answer TAXII error messages (TAXII 2.1, 3.6.1).
        EXPECT_EQ(res.Header("Content-Type"), route.pattern.rfind("/taxii2/", 0) == 0
                                                  ? "application/taxii+json;version=2.1"
                                                  : "application/problem+json");
      }
    }
  }
  for (const auto& [key, _] : kExpected)
    EXPECT_TRUE(covered.contains(key)) << "expectation for a route that does not exist: " << key;
}

TEST_P(RoutesTest, EveryRouteIsInTheOpenApiDocumentAndBack) {
  auto doc = jcs::ParseUntrusted(api::OpenApiDocument(), {.max_bytes = 4 << 20, .max_depth = 64});
  ASSERT_TRUE(doc) << doc.error().ToString();
  EXPECT_EQ((*doc)["openapi"], "3.1.0");
  std::set<std::string> documented;
  for (auto& [path, item] : (*doc)["paths"].items())
    for (auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(ch));
      documented.insert(m + " " + path);
      EXPECT_TRUE(op.contains("x-entente-permission")) << m << " " << path;
    }
  std::set<std::string> routed;
  for (const auto& r : node_->router().routes()) {
    std::string key = r.method + " " + r.pattern;
    routed.insert(key);
    EXPECT_TRUE(documented.contains(key)) << "route missing from openapi.json: " << key;
    // The documented permission is the one the route enforces.
    std::string m = r.method;
    for (auto& ch : m) ch = static_cast<char>(std::tolower(ch));
    if (documented.contains(key)) {
      EXPECT_EQ((*doc)["paths"][r.pattern][m]["x-entente-permission"],
                std::string(auth::PermissionName(r.permission)))
          << key;
    }
  }
  for (const auto& d : documented)
    EXPECT_TRUE(routed.contains(d)) << "documented but not routed: " << d;
}

ENTENTE_INSTANTIATE_BACKENDS(RoutesTest);

}  // namespace
}  // namespace entente::testing
