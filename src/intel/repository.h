// Storage of STIX 2.1 objects: import of bundles (all or nothing, or
// partial with each object's fate), versioning by `modified`, revocation,
// TLP of every object, and export as bundles.
//
//   IntelRepository repo(db, clock);
//   auto report = repo.Import(text, {.partial = false, .owner_org = org});
//   if (!report) ...                 // the bundle itself is unreadable
//   else if (!report->stored) ...    // objects rejected: report->outcomes says why
//
// Versions: an object is identified by id and version (modified; created
// for marking definitions; none for cyber observables). A version older than
// the newest stored is ignored; the same version with identical content is
// "unchanged"; the same version with different content is rejected as a
// conflict; a newer version of a revoked object is rejected (revocation is
// final). The same rules apply between objects of one bundle.
//
// TLP: from object_marking_refs naming the TLP 2.0 or TLP 1.0 marking
// definitions of the specification (TLP:WHITE is stored as "clear"), or a
// marking definition of type "tlp" earlier in the same bundle; the most
// restrictive wins; NULL when unmarked.
//
// Import runs in one transaction: nothing of a rejected bundle is stored
// unless `partial` is set, in which case valid objects are stored and
// rejected ones reported. Memory stays bounded by the largest object, a
// batch of 500 rows and the objects prepared ahead of the writer (at most
// 16 chunks of 256; the outcomes list aside, see record_stored).
//
// Large bundles are read, parsed, validated and canonicalised on worker
// threads (ImportOptions::prepare_threads) while the calling thread, the
// only one that touches the database, resolves TLP and versions in bundle
// order and writes; outcomes do not depend on the number of threads.
//
// Thread-safety: an IntelRepository holds references only; concurrent use
// is as safe as the Database's (each Import is one transaction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "intel/stix.h"
#include "store/store.h"

namespace entente::intel {

enum class Fate { kAdded, kUnchanged, kIgnoredOlder, kRejected };
std::string_view FateName(Fate fate);  // "added", "unchanged", "ignored_older", "rejected"

struct ObjectOutcome {
  size_t index = 0;     // position in the bundle's objects
  std::string id;       // empty when the object had no readable id
  std::string version;  // modified/created as written, "" for observables
  Fate fate = Fate::kAdded;
  std::string path;  // JSON pointer in the bundle ("/objects/3/pattern") for rejections
  std::string reason;
};

struct ImportReport {
  std::string bundle_id;
  bool stored = false;  // false: the transaction was rolled back, nothing kept
  size_t total = 0, added = 0, unchanged = 0, ignored = 0, rejected = 0;
  std::vector<ObjectOutcome> outcomes;  // in bundle order
};

struct ImportOptions {
  bool partial = false;
  std::string owner_org;     // organisation importing
  std::string community_id;  // community the objects are shared in
  // Highest TLP allowed (the community's charter): an object marked above
  // it is rejected on /objects/N/object_marking_refs. nullopt: no limit.
  std::optional<std::string> max_tlp;
  ValidationOptions validation;
  BundleLimits limits;
  // Record outcomes of stored/unchanged/ignored objects too (rejections are
  // always recorded). Off for very large imports that need only counts.
  bool record_stored = true;
  // Threads that parse, validate and canonicalise objects while the calling
  // thread writes to the database (the outcome is the same either way).
  // nullopt: automatic (none below 1 MiB of bundle, else one per core, at
  // most 8); 0: everything on the calling thread.
  std::optional<size_t> prepare_threads;
};

struct StoredObject {
  std::int64_t seq = 0;
  std::string id, type, version, modified, created_by_ref;
  bool revoked = false;
  bool latest = true;
  std::optional<std::string> tlp;
  std::string owner_org, community_id;
  Millis added_at = 0;
  std::string content;  // canonical JSON
};

struct Reader;  // intel/access.h

struct ObjectFilter {
  // Whose eyes: when set, only the objects the reader may read (the rule of
  // intel/access.h, applied in SQL so that limit/after_seq stay exact).
  // nullptr: no access filter (internal use, the CLI of the operator).
  const Reader* reader = nullptr;
  std::vector<std::string> types;  // any of; empty = all
  std::vector<std::string> ids;    // any of; empty = all
  std::optional<std::string> community_id;
  // TLP labels, any of ("none" = unmarked); empty = all.
  std::vector<std::string> tlps;
  // Substrings the canonical JSON must all contain (ASCII case-insensitive):
  // a coarse pre-filter for searches that the caller refines.
  std::vector<std::string> contains;
  bool include_revoked = true;
  bool all_versions = false;   // false: the newest version of each id only
  std::int64_t after_seq = 0;  // rows with seq > after_seq (pagination)
  size_t limit = 0;            // 0 = no limit
};

class IntelRepository {
 public:
  IntelRepository(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Errors (nothing stored): the bundle cannot be read (malformed JSON, bad
  // envelope, limits: kInvalidArgument / kResourceExhausted with the byte
  // offset or member), or the database fails.
  Result<ImportReport> Import(std::string_view bundle_text, const ImportOptions& options) const;

  // Stored objects in order of arrival (seq).
  Result<std::vector<StoredObject>> List(const ObjectFilter& filter) const;

  // A bundle (new random id) of the objects `filter` selects, as JSON text;
  // each object is its stored canonical JSON, byte for byte.
  Result<std::string> ExportBundle(const ObjectFilter& filter) const;

 private:
  store::Database& db_;
  const Clock& clock_;
};

// The report as JSON: {"bundle_id", "stored", "total", "added", "unchanged",
// "ignored_older", "rejected", "objects": [{"index", "id", "version", "fate",
// "path"?, "reason"?}]} (the status an API returns).
Json ImportReportJson(const ImportReport& report);

// TLP label of a marking definition id of the specification (TLP 2.0 and
// TLP 1.0), or nullopt.
std::optional<std::string_view> TlpOfMarking(std::string_view marking_definition_id);

// A random RFC 4122 version 4 UUID.
std::string NewUuidV4();

}  // namespace entente::intel
