#include "federation/policy.h"

namespace entente::federation {

std::set<std::string> NamedOrgs(const journal::Envelope& env) {
  std::set<std::string> out;
  out.insert(env.author_org);
  if (env.distribution.kind == journal::DistributionKind::kOrgs)
    out.insert(env.distribution.orgs.begin(), env.distribution.orgs.end());
  if (env.sealed && env.sealed->is_object()) {
    auto it = env.sealed->find("recipients");
    if (it != env.sealed->end() && it->is_array()) {
      for (const auto& r : *it) {
        if (r.is_object() && r.contains("org") && r["org"].is_string())
          out.insert(r["org"].get<std::string>());
      }
    }
  }
  return out;
}

namespace {

// Is `node` the home of one of `orgs`? kUnknown when not and some home is unknown.
Result<Verdict> HomeOfOne(const std::set<std::string>& orgs, const std::string& node,
                          Audience& audience) {
  bool unknown = false;
  for (const auto& o : orgs) {
    std::string home = ENTENTE_TRY(audience.HomeNode(o));
    if (home.empty()) unknown = true;
    if (home == node) return Verdict::kAllowed;
  }
  return unknown ? Verdict::kUnknown : Verdict::kDenied;
}

}  // namespace

Result<Verdict> MayHold(const journal::Envelope& env, const std::string& node, Audience& audience) {
  std::set<std::string> named = NamedOrgs(env);
  if (env.tlp == "red" || env.tlp == "amber+strict") return HomeOfOne(named, node, audience);
  switch (env.distribution.kind) {
    case journal::DistributionKind::kOrg:
      return HomeOfOne({env.author_org}, node, audience);
    case journal::DistributionKind::kOrgs:
      return HomeOfOne(named, node, audience);
    case journal::DistributionKind::kCommunity: {
      auto nodes = ENTENTE_TRY(audience.CommunityNodes(env.distribution.community));
      if (nodes.contains(node)) return Verdict::kAllowed;
      return HomeOfOne({env.author_org}, node, audience);
    }
    case journal::DistributionKind::kFederation:
    case journal::DistributionKind::kPublic:
      return Verdict::kAllowed;
  }
  return Verdict::kDenied;
}

std::string HomeEndorsementMessage(std::string_view envelope_id, std::string_view sha256_hex) {
  std::string m = "entente-home-endorsement-v1\n";
  m += envelope_id;
  m += '\n';
  m += sha256_hex;
  return m;
}

}  // namespace entente::federation
