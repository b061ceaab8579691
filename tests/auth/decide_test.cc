#include <gtest/gtest.h>

#include "auth/auth.h"

namespace entente::auth {
namespace {

Principal Make(Role r, bool op = false, std::vector<Scope> scopes = {}) {
  Principal p;
  p.user_id = "u";
  p.org_id = "org-a";
  p.role = r;
  p.is_operator = op;
  if (!scopes.empty()) {
    p.via_token = true;
    p.scopes = scopes;
  }
  return p;
}

TEST(Decide, DenyByDefaultWithoutPrincipal) {
  for (auto perm : {Permission::kAuthenticated, Permission::kDirectoryRead, Permission::kPocWrite,
                    Permission::kOrgWrite, Permission::kOrgAdmin, Permission::kOrgCreate,
                    Permission::kNodeAdmin, Permission::kTokenManage, Permission::kIntelRead,
                    Permission::kIntelWrite, Permission::kCommunityManage, Permission::kMatch,
                    Permission::kDnsRead, Permission::kDnsWrite, Permission::kDnsIngest})
    EXPECT_FALSE(Decide(std::nullopt, perm)) << PermissionName(perm);
  EXPECT_TRUE(Decide(std::nullopt, Permission::kPublic));
}

TEST(Decide, OwnOrganisationRules) {
  EXPECT_TRUE(Decide(Make(Role::kOfficer), Permission::kPocWrite, "org-a"));
  EXPECT_FALSE(Decide(Make(Role::kOfficer), Permission::kPocWrite, "org-b"));
  EXPECT_FALSE(Decide(Make(Role::kAnalyst), Permission::kPocWrite, "org-a"));
  EXPECT_TRUE(Decide(Make(Role::kAdmin), Permission::kOrgAdmin, "org-a"));
  EXPECT_FALSE(Decide(Make(Role::kAdmin), Permission::kOrgAdmin, "org-b"));
  EXPECT_FALSE(Decide(Make(Role::kOfficer), Permission::kOrgWrite, "org-a"));
  EXPECT_TRUE(Decide(Make(Role::kViewer, true), Permission::kOrgAdmin, "org-b"));  // operator
  EXPECT_FALSE(Decide(Make(Role::kAdmin), Permission::kNodeAdmin));
  EXPECT_TRUE(Decide(Make(Role::kAdmin, true), Permission::kNodeAdmin));
}

TEST(Decide, TokenScopesLimitEvenAdmins) {
  auto ro = Make(Role::kAdmin, true, {Scope::kRead});
  EXPECT_TRUE(Decide(ro, Permission::kDirectoryRead));
  EXPECT_FALSE(Decide(ro, Permission::kPocWrite, "org-a"));
  EXPECT_FALSE(Decide(ro, Permission::kOrgAdmin, "org-a"));
  EXPECT_FALSE(Decide(ro, Permission::kNodeAdmin));
  EXPECT_FALSE(Decide(ro, Permission::kTokenManage));
  auto rw = Make(Role::kAdmin, false, {Scope::kRead, Scope::kWrite});
  EXPECT_TRUE(Decide(rw, Permission::kPocWrite, "org-a"));
  EXPECT_FALSE(Decide(rw, Permission::kOrgAdmin, "org-a"));
  auto none = Make(Role::kAdmin, false, {Scope::kWrite});
  EXPECT_FALSE(Decide(none, Permission::kDirectoryRead));
}

TEST(Decide, IntelligenceMatchingAndDnsAbuseRoles) {
  // Intelligence and matching: analysts and above; viewers see neither.
  EXPECT_FALSE(Decide(Make(Role::kViewer), Permission::kIntelRead));
  EXPECT_TRUE(Decide(Make(Role::kAnalyst), Permission::kIntelRead));
  EXPECT_TRUE(Decide(Make(Role::kAnalyst), Permission::kIntelWrite));
  EXPECT_FALSE(Decide(Make(Role::kViewer), Permission::kMatch));
  EXPECT_TRUE(Decide(Make(Role::kAnalyst), Permission::kMatch));
  // Community decisions: officers and above.
  EXPECT_FALSE(Decide(Make(Role::kAnalyst), Permission::kCommunityManage));
  EXPECT_TRUE(Decide(Make(Role::kOfficer), Permission::kCommunityManage));
  // DNS abuse: everyone reads the figures; officers act on reports; only
  // operators ingest the node's measurement data.
  EXPECT_TRUE(Decide(Make(Role::kViewer), Permission::kDnsRead));
  EXPECT_FALSE(Decide(Make(Role::kAnalyst), Permission::kDnsWrite));
  EXPECT_TRUE(Decide(Make(Role::kOfficer), Permission::kDnsWrite));
  EXPECT_FALSE(Decide(Make(Role::kAdmin), Permission::kDnsIngest));
  EXPECT_TRUE(Decide(Make(Role::kViewer, true), Permission::kDnsIngest));
  // A read-only token reads but never writes.
  auto ro = Make(Role::kAdmin, false, {Scope::kRead});
  EXPECT_TRUE(Decide(ro, Permission::kIntelRead));
  EXPECT_FALSE(Decide(ro, Permission::kIntelWrite));
  EXPECT_FALSE(Decide(ro, Permission::kCommunityManage));
  EXPECT_FALSE(Decide(ro, Permission::kDnsWrite));
}

}  // namespace
}  // namespace entente::auth
