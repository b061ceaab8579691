// Storage side of the TAXII 2.1 server: which collections a reader sees,
// pages of stored objects (Get Objects, Get an Object, manifest, versions),
// deleting an object, and the status resources of Add Objects (table
// `taxii_status`, migration 0013).
//
// Collections (docs/intel.md, "TAXII 2.1"):
//   * one per community of trust the reader's organisation is an active
//     member of (id = the community id): the objects shared in it;
//   * the organisation's private collection (id = the organisation id): the
//     objects it imported without a community.
// Every read applies the access rule of intel/access.h in SQL (ReaderSql),
// so TLP and distribution are enforced on every object and `limit` stays
// exact; an organisation that is no member sees no collection (not found).
//
// Pagination: rows in `seq` order, "seq > cursor", `limit + 1` rows read to
// know whether more follow. On SQLite writers are serialised, so a reader's
// snapshot always holds a gap-free prefix of seq. On PostgreSQL a sequence
// value is taken before its transaction commits, so a transaction with a
// lower seq can commit after a higher one was read: page reads there take
// `LOCK TABLE intel_objects IN SHARE MODE` (waits for the imports in flight,
// blocks new ones for the duration of one SELECT, never blocks readers), so
// every page is read from a gap-free prefix and a cursor can never jump
// over a row that appears later.
//
// match[version]: `last` = no newer version of the id readable in the same
// collection, `first` = no older one, `all`, or exact versions; the default
// is `last` (section 3.4.1). All stored objects are STIX 2.1 (2.0 bundles
// are refused at import), so match[spec_version] selects all or nothing.
//
// Delete an Object is a signed journal envelope of type "taxii.delete"
// (kDeleteEnvelopeType) like the node's other writes: the caller signs it
// with the deleting organisation's key (RecordDelete) and the journal
// applies it with DeleteApplier in the same transaction, so the deletion is
// verifiable in the journal and its transparency log. Its body:
//   {"collection": ID, "community": ID|null, "object_id": ID,
//    "versions": [version keys of the rows deleted], "actor": {"org", "user"?}}
//
// Thread-safety: holds references only; as safe as the Database.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "intel/access.h"
#include "journal/journal.h"
#include "store/store.h"
#include "taxii/query.h"

namespace entente::taxii {

using intel::Reader;
using Json = nlohmann::json;

struct Collection {
  std::string id;
  std::string title, description;
  // The community the collection is; empty for the organisation's private one.
  std::string community_id;
  std::string owner_org;  // the private collection's organisation
  bool IsPrivate() const { return community_id.empty(); }
};

// One stored version as a page row.
struct Entry {
  std::int64_t seq = 0;
  std::string id, type;
  std::string version;  // modified (created for marking definitions) as written; "" for observables
  Millis added_at = 0;
  std::string owner_org;
  std::string content;  // canonical JSON; empty when not asked for
};

struct Page {
  std::vector<Entry> entries;
  bool more = false;  // more rows match after the last entry
};

// What Delete did.
enum class DeleteResult { kDeleted, kNotFound, kNotOwner };

inline constexpr std::string_view kDeleteEnvelopeType = "taxii.delete";

// Signs the envelope of a deletion with `body` (see above) and records it in
// the journal inside `tx` (journal::Journal::Record), which applies it.
using RecordDelete = std::function<Status(store::Tx& tx, const Json& body)>;

// The applier of "taxii.delete": Validate checks that the author
// organisation owns every listed row that still exists in the collection;
// Apply deletes those rows (and their correlation postings and sighting
// rows) and makes the newest remaining version of the id the latest. Rows
// already gone are skipped, so replaying the journal is idempotent. It owns
// no table (intel_objects is written by imports), so Reset does nothing.
class DeleteApplier final : public journal::Applier {
 public:
  Status Validate(store::Tx& tx, const journal::Envelope& env) override;
  Status Apply(store::Tx& tx, const journal::Envelope& env) override;
  Status Reset(store::Tx&) override { return Ok(); }
  std::vector<std::string> Tables() const override { return {}; }
};

class TaxiiStore {
 public:
  TaxiiStore(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The reader's collections in a stable order: private first, then the
  // communities by name. `org_title` names the private collection.
  Result<std::vector<Collection>> Collections(const Reader& reader,
                                              const std::string& org_title) const;
  // One of them, or nullopt (unknown, or not the reader's).
  Result<std::optional<Collection>> FindCollection(const Reader& reader, const std::string& id,
                                                   const std::string& org_title) const;

  // A page of the collection's objects the reader may read, filtered by
  // `query`; only `object_id` when given. `with_content` false leaves
  // Entry::content empty (manifest, versions).
  Result<Page> Read(const Collection& collection, const Reader& reader, const Query& query,
                    const std::optional<std::string>& object_id, bool with_content) const;

  // Whether the reader sees any version of `object_id` in the collection.
  Result<bool> Exists(const Collection& collection, const Reader& reader,
                      const std::string& object_id) const;

  // Deletes the versions of `object_id` that `query.version` selects (all of
  // them when match[version] is absent) from the collection, if every one
  // is owned by the reader's organisation, through `record` (the signed
  // envelope, applied by DeleteApplier) in one transaction. The newest
  // remaining version of the id becomes the latest again. `user_id` (may be
  // empty) is the acting user, named in the envelope.
  Result<DeleteResult> Delete(const Collection& collection, const Reader& reader,
                              const std::string& object_id, const Query& query,
                              const std::string& user_id, const RecordDelete& record) const;

  // Status resources (section 4.3), readable by the organisation that posted.
  Status SaveStatus(const std::string& id, const std::string& org_id,
                    const std::string& collection_id, const std::string& body) const;
  Result<std::optional<std::string>> LoadStatus(const std::string& id,
                                                const std::string& org_id) const;

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace entente::taxii
