// Communities of trust: who shares intelligence with whom.
//
// A community has a charter (name, purpose, the organisation kinds that may
// join, the highest TLP its shared objects may carry, the default PAP, and
// the number of member organisations that must vouch to admit one). Every
// decision is a signed envelope of the journal, validated against the
// current tables and applied in the same transaction (so it is in the
// transparency log and the tables are rebuildable from the journal):
//
//   community.charter  {community, charter:{...}, actor:{org, user?}}   create
//   community.member   {community, org, action, actor:{org, user?}}
//       action: invite | vouch | admit | leave | remove_vote | remove
//
// Rules (checked by the appliers, so they hold for envelopes from any node):
// * The creator's organisation must be of an allowed kind; it is the first
//   active member.
// * An active member invites an organisation of an allowed kind that is not
//   already invited or active (one that left or was removed may be invited
//   again). The invitation counts as the inviter's vouch.
// * Admission when `vouches_required` distinct active member organisations
//   have vouched (capped at the number of active members, so a community of
//   one can grow). An organisation cannot vouch for itself nor twice for the
//   same candidate. vouches_required = 1 ("single sponsor": the inviter
//   alone admits) only when the charter says `single_sponsor: true`;
//   default 2.
// * An active member may leave at any time.
// * Removal by vote: `vouches_required` distinct active members other than
//   the one removed (capped at their number) vote `remove_vote`; the vote
//   that reaches the threshold removes. A member cannot vote against itself
//   (it leaves instead).
// * Vouches and votes count only while their author is an active member.
// The `admit` and `remove` envelopes are written, signed by the organisation
// whose vote reached the threshold, in the same transaction as that vote.
//
// Visibility: charter and members are shown to active members only; an
// invited organisation sees the charter and its own status; anyone else
// gets kNotFound (existence does not leak).
//
// Thread-safe: state is in the database. Concurrent votes are serialized by
// the journal's transaction (SQLite) or retried on conflict (PostgreSQL: the
// applier's checks run inside the transaction that appends).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "identity/identity.h"
#include "journal/journal.h"
#include "store/store.h"

namespace entente::intel {

using Json = nlohmann::json;

struct Charter {
  std::string name;
  std::string purpose;
  std::vector<std::string> allowed_kinds;  // organisation kinds (directory::OrgKinds)
  std::string max_tlp = "amber";           // clear, green, amber, amber+strict, red
  std::string default_pap = "green";       // clear, green, amber, red
  int vouches_required = 2;                // 1 only with single_sponsor

  Json ToJson() const;  // {name, purpose, allowed_kinds, max_tlp, default_pap, vouches_required,
                        // single_sponsor}
};

// Strict decoding of a charter (API input and envelope bodies): unknown
// members, bad kinds, labels and counts are kInvalidArgument naming the
// field (prefixed with `path`).
Result<Charter> DecodeCharter(const Json& input, const std::string& path = "");

struct Membership {
  std::string org_id;
  std::string status;  // invited | active | left | removed
  std::string invited_by;
  Millis since = 0;
  std::vector<std::string> vouches;        // pending: active members who vouched (invited)
  std::vector<std::string> removal_votes;  // pending: active members who voted to remove
  Json ToJson() const;
};

struct Community {
  std::string id;
  Charter charter;
  std::string created_by_org;
  Millis created = 0;
  std::string my_status;            // the asking organisation's status
  std::vector<Membership> members;  // empty unless the asker is an active member
  Json ToJson() const;
};

struct CommunityActor {
  std::string user_id;  // "" for the node itself
  std::string org_id;   // acting organisation: author and signer
};

class Communities {
 public:
  Communities(store::Database& db, journal::Journal& journal, identity::OrgKeyStore& keys,
              std::string node_id, const Clock& clock);
  ~Communities();

  // Registers the appliers of community.charter and community.member.
  Status RegisterAppliers(journal::ApplierRegistry& registry);

  // Creates a community; `charter` follows DecodeCharter.
  Result<Community> Create(const CommunityActor& actor, const Json& charter);
  // Communities where `org_id` is active or invited, by name.
  Result<std::vector<Community>> ListFor(const std::string& org_id);
  // As seen by `org_id` (see Visibility); kNotFound otherwise.
  Result<Community> Get(const std::string& org_id, const std::string& id);
  // The charter, without any visibility check (for imports into a community
  // whose membership the caller has checked).
  Result<Charter> CharterOf(const std::string& id);
  // Whether `org_id` is an active member.
  Result<bool> IsActiveMember(const std::string& id, const std::string& org_id);

  // Each returns the community as the actor sees it afterwards. Errors:
  // kNotFound (not a community the actor is an active member of, or no such
  // organisation), kInvalidArgument (kind not allowed, self-vouch, vote
  // against oneself), kConflict (already invited/active, already vouched or
  // voted, not invited).
  Result<Community> Invite(const CommunityActor& actor, const std::string& id,
                           const std::string& org_id);
  Result<Community> Vouch(const CommunityActor& actor, const std::string& id,
                          const std::string& org_id);
  Result<Community> Leave(const CommunityActor& actor, const std::string& id);
  Result<Community> VoteRemove(const CommunityActor& actor, const std::string& id,
                               const std::string& org_id);

  class CharterApplier;
  class MemberApplier;

 private:
  Result<journal::Envelope> Make(const CommunityActor& actor, const std::string& type,
                                 const std::string& community, Json body);
  // Records `action` on `org_id`, then `follow_up` ("admit"/"remove") when
  // the vote reached the threshold, in one transaction.
  Status Decide(const CommunityActor& actor, const std::string& id, const std::string& org_id,
                const std::string& action, const std::string& follow_up);

  store::Database& db_;
  journal::Journal& journal_;
  identity::OrgKeyStore& keys_;
  std::string node_id_;
  const Clock& clock_;
  std::unique_ptr<CharterApplier> charter_applier_;
  std::unique_ptr<MemberApplier> member_applier_;
};

}  // namespace entente::intel
