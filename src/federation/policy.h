// Who may hold an envelope: the distribution and TLP rules applied to every
// envelope before it leaves for a peer, and again on receipt.
//
// - distribution `org`: the author organisation's home node only;
//   `orgs`: the home nodes of the named organisations (and the author's);
//   `community`: nodes hosting members of the community (and the author's);
//   `federation` / `public`: every active peer.
// - TLP:RED and TLP:AMBER+STRICT narrow that to the home nodes of the named
//   recipients (distribution orgs, sealed recipients) and the author's, whatever
//   the distribution says.
// An organisation whose home node is unknown allows nothing (fail closed).
// Reads no body beyond the `sealed` recipients list. Thread-safe if the
// Audience is.
#pragma once

#include <set>
#include <string>

#include "core/error.h"
#include "journal/envelope.h"

namespace entente::federation {

// What the node knows about where organisations live (the directory, through
// the node's wiring; federation depends on no domain module).
class Audience {
 public:
  virtual ~Audience() = default;
  // The home node of `org`; "" when unknown.
  virtual Result<std::string> HomeNode(const std::string& org) = 0;
  // Home nodes of the members of `community`.
  virtual Result<std::set<std::string>> CommunityNodes(const std::string& community) = 0;
};

// Organisations an envelope names: distribution orgs, sealed recipients, author.
std::set<std::string> NamedOrgs(const journal::Envelope& env);

enum class Verdict { kAllowed, kDenied, kUnknown };  // kUnknown: a named org's home is unknown

Result<Verdict> MayHold(const journal::Envelope& env, const std::string& node, Audience& audience);

}  // namespace entente::federation
