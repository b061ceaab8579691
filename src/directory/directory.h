// The points-of-contact directory: organisations and their points of contact.
//
// Every change is a signed envelope recorded in the journal and applied to
// the directory's tables (`orgs`, `org_groupings`, `org_sectors`,
// `org_search`, `pocs`, `poc_languages`, `poc_search`), which are projections
// rebuildable from the journal. Envelopes are signed by the acting user's
// organisation (see Actor).
//
// Envelope types:
//   directory.org        {action, actor, org:{...full state...}}
//   directory.poc        {action, actor, poc:{..., personal: sealed}}
//   directory.poc.erase  {actor, poc: id}
//
// Personal data of a point of contact (name, channels) is encrypted in the
// envelope under a per-contact key held in `poc_keys` (itself encrypted under
// the master key). Erasure deletes that key and records a tombstone, so the
// journal keeps only ciphertext nobody can open ("crypto-shredding") while
// its signatures and hashes stay intact.
//
// Thread-safe: all state is in the database.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "identity/identity.h"
#include "journal/journal.h"
#include "store/store.h"

namespace entente::directory {

using Json = nlohmann::json;

// Organisation kinds of the design.
const std::vector<std::string>& OrgKinds();
// Point-of-contact roles.
const std::vector<std::string>& PocRoles();

struct Actor {
  std::string user_id;  // "" for the node itself (init, demo data)
  std::string org_id;   // the acting organisation: author and signer
};

struct Organisation {
  std::string id;
  std::string kind;
  std::map<std::string, std::string> names;  // BCP 47 tag -> name
  std::optional<std::string> country;        // ISO 3166-1 alpha-2
  std::vector<std::string> groupings;
  std::vector<std::string> sectors;
  std::string sign_public;
  std::string box_public;
  std::string home_node;
  std::optional<std::string> website;
  // IANA Registrar ID (kind registrar only): registration data names
  // registrars by it, and the DNS abuse observatory routes reports through it.
  std::optional<std::int64_t> iana_id;
  std::string envelope_id;  // latest version
  Millis created = 0;
  Millis updated = 0;

  Json ToJson() const;
};

struct Channel {
  std::string type;  // platform | email | phone
  std::string value;
};

struct Hours {
  bool always = false;            // 24x7
  std::vector<std::string> days;  // mon..sun
  std::string start;              // HH:MM
  std::string end;                // HH:MM
};

struct PointOfContact {
  std::string id;
  std::string org_id;
  std::string role;            // diplomatic | technical | law_enforcement
  std::string function_title;  // e.g. "Duty officer" (not personal data)
  std::vector<std::string> languages;
  std::string timezone;  // IANA
  Hours hours;
  bool erased = false;
  std::optional<std::string> name;  // personal data
  std::vector<Channel> channels;    // personal data
  std::string envelope_id;
  Millis created = 0;
  Millis updated = 0;

  // `personal` = include name and channels.
  Json ToJson(bool personal) const;
};

struct OrgQuery {
  std::string q;  // full text over names
  std::string country, grouping, kind, sector;
  std::optional<std::int64_t> iana_id;  // registrars with this IANA id
  std::string after;                    // cursor: id of the last item seen
  int limit = 50;
};

struct PocQuery {
  std::string q;  // full text over name and function
  std::string org, country, role, language;
  std::string after;
  int limit = 50;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::string next;  // cursor for the next page, "" at the end
};

struct AuditItem {
  std::int64_t seq;
  std::string envelope_id;
  std::string type;
  std::string action;
  std::string author_org;
  std::string actor_user;
  Millis created;
  std::vector<std::string> changed;  // top-level fields that changed
};

// Valid IANA time zone name (present in the system zoneinfo database).
bool IsTimeZone(std::string_view tz);

class Directory final : public journal::KeyResolver {
 public:
  Directory(store::Database& db, journal::Journal& journal, identity::OrgKeyStore& keys,
            const identity::MasterKey& master, std::string node_id, const Clock& clock);
  ~Directory() override;

  // Registers the directory's appliers. Call once before any write.
  Status RegisterAppliers(journal::ApplierRegistry& registry);

  // The node's first organisation (the operator's): self-signed creation.
  Result<Organisation> CreateFoundingOrg(const Json& input);
  // Create (`input` follows the API schema; keys are generated on this node).
  Result<Organisation> CreateOrg(const Actor& actor, const Json& input);
  // Replace the editable fields (same schema; `kind` may not change).
  Result<Organisation> UpdateOrg(const Actor& actor, const std::string& id, const Json& input);
  Result<Organisation> GetOrg(const std::string& id);
  Result<Page<Organisation>> SearchOrgs(const OrgQuery& q);

  Result<PointOfContact> CreatePoc(const Actor& actor, const std::string& org_id,
                                   const Json& input);
  Result<PointOfContact> UpdatePoc(const Actor& actor, const std::string& id, const Json& input);
  Result<PointOfContact> GetPoc(const std::string& id);
  Result<Page<PointOfContact>> SearchPocs(const PocQuery& q);
  // Erases the person's data: deletes the per-contact key, records a tombstone.
  Status ErasePoc(const Actor& actor, const std::string& id);
  // Everything stored about the person, for a data-subject request.
  Result<Json> ExportPoc(const std::string& id);

  // Changes to an organisation or contact, newest first.
  Result<Page<AuditItem>> AuditTrail(const std::string& subject, const std::string& before,
                                     int limit);

  // journal::KeyResolver
  Result<std::vector<std::uint8_t>> SigningKey(store::Tx& tx,
                                               const journal::Envelope& env) override;

  class OrgApplier;
  class PocApplier;

 private:
  Result<journal::Envelope> MakeEnvelope(const Actor& actor, const std::string& type, Json body,
                                         std::optional<std::string> supersedes);
  Result<Organisation> WriteOrg(const Actor& actor, const std::string& action, Organisation org,
                                std::optional<std::string> supersedes, bool generate_keys);
  Result<PointOfContact> WritePoc(const Actor& actor, const std::string& action, PointOfContact poc,
                                  std::optional<std::string> supersedes, bool new_key);

  store::Database& db_;
  journal::Journal& journal_;
  identity::OrgKeyStore& keys_;
  const identity::MasterKey& master_;
  std::string node_id_;
  const Clock& clock_;
  std::unique_ptr<OrgApplier> org_applier_;
  std::unique_ptr<PocApplier> poc_applier_;
};

// Strict decoding of API input (exposed for tests and fuzzing). `existing`
// is the current state for updates.
Result<Organisation> DecodeOrgInput(const Json& input, const Organisation* existing);
Result<PointOfContact> DecodePocInput(const Json& input, const PointOfContact* existing);

}  // namespace entente::directory
