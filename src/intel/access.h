// Who may read which stored intelligence object: the one rule every read of
// `intel_objects` applies (API, export, TAXII, sightings, correlation).
//
//   auto reader = ENTENTE_TRY(LoadReader(db, principal.org_id));
//   ObjectFilter filter{.reader = &reader};          // applied in SQL
//   auto objects = ENTENTE_TRY(repo.List(filter));   // only what it may read
//
// The rule (MayRead, and the same predicate in SQL, see ReaderSql):
//   1. the owner organisation (the one that imported the object) always
//      reads it, whatever its TLP or community;
//   2. an object shared in a community is readable by the organisations
//      that are active members of that community when its TLP is clear,
//      green, amber or amber+strict (TLP 2.0: each member organisation is a
//      recipient; amber+strict limits sharing to the recipient organisation
//      itself, which is what a member organisation is), or when it is
//      unmarked (sharing it in the community is the owner's decision);
//   3. TLP:RED objects are read by the owner only (named recipients are not
//      modelled: an object carries no list of individual recipients);
//   4. an object without a community is read by its owner only;
//   5. nobody else: node operators get no special right on intelligence.
// Revoked objects follow the same rule (they stay listed, as revoked).
// Membership is the state of `community_members` when the reader is loaded:
// an organisation that left or was removed no longer reads what is shared
// in the community (including what it read before).
//
// Thread-safety: free functions over the Database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "intel/repository.h"
#include "store/store.h"

namespace entente::intel {

// Whose eyes a read is made with.
struct Reader {
  std::string org_id;                      // the principal's organisation
  std::vector<std::string> community_ids;  // communities it is an active member of
};

// The organisation's active memberships (sorted). An empty org_id gives a
// reader that reads nothing (owner "" never matches: stored owners are NULL
// when empty).
Result<Reader> LoadReader(store::Database& db, std::string_view org_id);

// The one rule (see above).
bool MayRead(const Reader& reader, const StoredObject& object);

// The same rule as an SQL condition over `intel_objects` columns (owner_org,
// community_id, tlp), with `?` placeholders appended to `params`. Used by
// IntelRepository::List so that pagination stays exact. `prefix` qualifies
// the columns ("o." for an alias, "" for none).
std::string ReaderSql(const Reader& reader, store::Params& params, std::string_view prefix = "");

}  // namespace entente::intel
