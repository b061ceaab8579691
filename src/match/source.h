// The matching index built from the node's stored intelligence, per
// organisation, cached and rebuilt when what it is made of changes.
//
//   IndicatorSource source(db, clock);
//   auto snap = ENTENTE_TRY(source.For(org_id));     // shared, immutable
//   Matcher m(snap->index, clock.NowMillis());        // one per thread
//   auto hits = m.Match("www.bad.example");
//   const IndicatorContext& c = snap->Context(hits[0].meta);  // TLP, PAP, ...
//
// What an organisation may use: the latest version of every STIX
// `indicator` it may read (intel/access.h: its own, and those shared in a
// community it is an active member of unless TLP:RED), read through
// IntelRepository::List with the reader filter (applied in SQL). Revoked
// indicators and those outside [valid_from, valid_until) are left out of
// the index (and checked again at lookup time by the Matcher). TLP is the
// stored one (unmarked indicators count as amber); PAP is the object's
// `x_entente_pap` (clear, green, amber, red), else the default PAP of the
// community it was shared in (its charter; amber if the community is
// unknown), else PAP:CLEAR (the organisation's own, unshared); the
// community is the one the object was shared in. Patterns are read by
// StixPatternValues; indicators whose pattern cannot be looked up (AND,
// FOLLOWEDBY, qualifiers...) are counted and left out.
//
// Cache rule: one snapshot per organisation, keyed by what the
// organisation can read, so that an import elsewhere does not rebuild it:
//   - its scopes: its own objects (owner_org) and each active community it
//     is a member of (LoadReader); per scope, the highest `seq` of
//     intel_objects and the number of rows in the scope's last 10,000 seqs
//     (every import, new version and revocation adds a row; the count
//     catches a PostgreSQL transaction that committed a lower seq after a
//     higher one). Both are read through the (owner_org, seq) and
//     (community_id, seq) indexes;
//   - foreign versions: rows in the store's last 10,000 seqs that are
//     outside its scopes but are a version of an object that has a version
//     inside them (a newer version imported elsewhere demotes the one it
//     read: is_latest is an UPDATE, not a new row in its scope);
//   - its active communities themselves (joining or leaving rebuilds);
// and valid until `next_change`, the first time after the build at which
// an indicator of the snapshot becomes valid or expires. For() first reads
// the store's generation (its highest seq and recent row count, two small
// queries): unchanged since the last check, the snapshot is returned at
// once; changed, it reads the organisation's scoped key and rebuilds only
// when that differs (an import in a community the organisation is not in,
// or another organisation's unshared import, leaves it cached). TLP:RED
// objects shared in a community count in the community's scope although
// only their owner reads them (a rebuild that finds nothing new, not a
// missed change). Snapshots are immutable and shared (std::shared_ptr): a
// rebuild swaps the pointer, and callers holding the old one keep using it
// safely.
//
// Thread-safety: For() may be called from many threads; builds happen
// outside the lock (two concurrent rebuilds of one organisation both
// complete and the last one is kept).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "intel/repository.h"
#include "match/index.h"
#include "match/indicator.h"
#include "store/store.h"

namespace entente::match {

// The store's generation: any change anywhere changes it.
struct StoreGeneration {
  std::int64_t max_seq = 0;
  std::int64_t recent_rows = 0;
  bool operator==(const StoreGeneration&) const = default;
};

// The generation of one scope an organisation reads: "org:<id>" (its own
// objects) or "community:<id>".
struct ScopeGeneration {
  std::string scope;
  std::int64_t max_seq = 0;
  std::int64_t recent_rows = 0;
  bool operator==(const ScopeGeneration&) const = default;
};

struct SourceKey {
  StoreGeneration store;                 // when the key was read
  std::vector<std::string> communities;  // active memberships (sorted)
  std::vector<ScopeGeneration> scopes;   // own objects, then each community
  std::int64_t foreign_versions = 0;     // see the cache rule
  // Same content for the organisation (the store generation aside).
  bool SameFor(const SourceKey& o) const {
    return communities == o.communities && scopes == o.scopes &&
           foreign_versions == o.foreign_versions;
  }
};

Result<StoreGeneration> CurrentStoreGeneration(store::Database& db);
// The organisation's key (see the cache rule), `store` included.
Result<SourceKey> CurrentSourceKey(store::Database& db, const std::string& org_id);

// The engine records of one stored STIX indicator (one per value its
// pattern names), with the stored TLP, community and revocation. An error
// says why it cannot be used (unsupported pattern, bad fields).
Result<std::vector<Indicator>> IndicatorsOfStored(const intel::StoredObject& object,
                                                  Pap default_pap);

struct SourceSnapshot {
  std::string org_id;
  SourceKey key;
  Millis built_at = 0;
  Millis next_change = 0;  // 0: no indicator starts or ends later
  // The indicators the organisation may use (revoked and expired ones
  // included: exports filter them again with their own policy).
  std::vector<Indicator> indicators;
  std::shared_ptr<const Index> index;  // revoked and out-of-validity left out
  std::size_t stored = 0;              // STIX indicators read
  std::size_t unusable = 0;            // of which left out (pattern, fields)
  std::vector<std::string> problems;   // the first 20: "id: reason"
};

class IndicatorSource {
 public:
  IndicatorSource(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The organisation's snapshot (see the cache rule above).
  Result<std::shared_ptr<const SourceSnapshot>> For(const std::string& org_id);
  // Builds a snapshot without the cache (the CLI).
  Result<std::shared_ptr<const SourceSnapshot>> Build(const std::string& org_id,
                                                      const SourceKey& key);
  // Snapshots built so far (tests and metrics: a cache hit does not build).
  std::uint64_t builds() const;

 private:
  struct Entry {
    std::shared_ptr<const SourceSnapshot> snapshot;
    StoreGeneration checked;  // the store's generation when last found current
  };
  store::Database& db_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> cache_;
  std::uint64_t builds_ = 0;
};

}  // namespace entente::match
