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
// An organisation's home node is what its creation claims, endorsed by that
// node's key (HomeEndorsementMessage): a node cannot home organisations on
// another. Reads no body beyond the `sealed` recipients list. Thread-safe if the
// Audience is.
#pragma once

#include <set>
#include <string>
#include <string_view>

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
  // The home node `env` claims for the organisation it creates or updates
  // (read by the module that owns the type; an empty `node` when the envelope
  // claims none). See Federation::IngestPage for how claims are checked.
  struct HomeClaim {
    std::string org;
    std::string node;
    bool creation = false;
  };
  virtual Result<HomeClaim> ClaimedHome(const journal::Envelope& /*env*/) { return HomeClaim{}; }
  // Whether a node that may not hold `env` may still carry it for others
  // (relay): only envelopes whose content is sealed for their recipients, or
  // that say no more than their headers. Default: sealed envelopes.
  virtual bool Relayable(const journal::Envelope& env) { return env.sealed.has_value(); }
};

// What a node signs (with its node key) to endorse that an organisation
// created by envelope `envelope_id` (canonical bytes hashing to
// `sha256_hex`) is homed on it. Relays forward the endorsement unchanged.
std::string HomeEndorsementMessage(std::string_view envelope_id, std::string_view sha256_hex);

// Organisations an envelope names: distribution orgs, sealed recipients, author.
std::set<std::string> NamedOrgs(const journal::Envelope& env);

enum class Verdict { kAllowed, kDenied, kUnknown };  // kUnknown: a named org's home is unknown

Result<Verdict> MayHold(const journal::Envelope& env, const std::string& node, Audience& audience);

}  // namespace entente::federation
