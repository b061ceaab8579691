// Sightings: members report that they saw an indicator (how many times,
// first and last seen, where, by whom). A report is stored as a STIX 2.1
// `sighting` object of the reporter's organisation (created_by_ref its
// identity, owner_org the organisation), imported through
// IntelRepository::Import like any object, with its own distribution: a
// community the reporter is an active member of (or none: the reporter
// alone) and a TLP marking. Who reads it follows intel/access.h; the
// indicator's author reads a sighting when the reporter's distribution
// includes it (a community the author is in, TLP below red).
//
//   Sightings s(db, clock, repo);
//   auto r = s.ReportSightings(reader, org, inputs);   // also used by scans
//   auto list = s.ListFor(reader, "indicator--...", 50);
//
// Idempotence (the rule scans rely on): one sighting object per (indicator,
// reporter organisation, UTC day of first_seen); its id is derived from
// those three (UUIDv5). Reporting again for the same key merges: count is
// the larger of the stored and the reported one, first_seen the earlier,
// last_seen the later, where/observed_by are kept unless newly given. A
// report that changes nothing stores nothing ("unchanged"), so re-running a
// scan over the same logs changes nothing, and a scan that sees more raises
// the count. The distribution (community, TLP) of an existing sighting
// cannot change: a report with another one is refused (kFailedPrecondition).
//
// Lists and aggregates (ListFor) read only the sightings the reader may
// read; the totals (sightings, sum of counts, earliest first_seen, latest
// last_seen) are computed over those only. Sightings imported from bundles
// or TAXII are listed too (the importer keeps table intel_sightings).
//
// Errors: kInvalidArgument naming the input ("sightings/3/count") for bad
// values, kNotFound for an indicator the reader may not read (or that does
// not exist or is not an indicator), kFailedPrecondition for a community the
// reporter is not in, a TLP above the community charter's, or a changed
// distribution. A batch is checked whole before anything is stored; it is
// then stored in one transaction per community.
//
// Thread-safety: holds references only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "intel/access.h"
#include "intel/repository.h"
#include "store/store.h"

namespace entente::intel {

inline constexpr size_t kMaxSightingsPerReport = 10'000;
inline constexpr std::int64_t kMaxSightingCount = 999'999'999;  // STIX 2.1 sighting.count

struct SightingInput {
  std::string indicator_id;
  std::int64_t count = 1;             // 1 .. 999,999,999
  std::string first_seen, last_seen;  // RFC 3339 UTC; last_seen >= first_seen
  std::string where_org;              // organisation (UUID) where it was seen, optional
  std::string where_location;         // free text (a place, a network), optional, <= 200
  std::string observed_by;            // free text (a sensor, a team), optional, <= 200
  std::string community_id;           // distribution; empty: the reporter only
  std::string tlp = "amber";          // clear, green, amber, amber+strict, red
};

struct SightingReport {
  size_t added = 0;              // new sightings
  size_t updated = 0;            // merged into an existing one (new version)
  size_t unchanged = 0;          // nothing new
  std::vector<std::string> ids;  // the sighting id of each input, in order
};

struct SightingView {
  std::string id, reporter_org, created_by_ref, community_id;
  std::optional<std::string> tlp;
  std::int64_t count = 1;
  std::string first_seen, last_seen;  // as written in the object
  std::vector<std::string> where_sighted_refs;
  std::string where_location, observed_by;
  std::string modified;
};

struct SightingList {
  std::vector<SightingView> items;    // newest last_seen first, at most the limit
  std::int64_t sightings = 0;         // readable sightings of the indicator
  std::int64_t total_count = 0;       // sum of their counts
  std::string first_seen, last_seen;  // earliest / latest over them ("" when none)
};

// identity--UUIDv5 of an organisation (created_by_ref of what it reports).
std::string OrgIdentityRef(std::string_view org_id);

// The TLP 2.0 marking definition id of a label, or "" for an unknown label.
std::string_view TlpMarkingId(std::string_view tlp);

class Sightings {
 public:
  Sightings(store::Database& db, const Clock& clock, const IntelRepository& repo)
      : db_(db), clock_(clock), repo_(repo) {}

  // `reader` is the reporting organisation's (it must read each indicator);
  // `org` is that organisation.
  Result<SightingReport> ReportSightings(const Reader& reader, std::string_view org,
                                         std::span<const SightingInput> inputs) const;

  Result<SightingList> ListFor(const Reader& reader, std::string_view indicator_id,
                               size_t limit = 50) const;

 private:
  store::Database& db_;
  const Clock& clock_;
  const IntelRepository& repo_;
};

Json SightingListJson(const SightingList& list);

// Reads the members of one input of an API body ({"indicator_id", "count",
// "first_seen", "last_seen", "where_org", "where_location", "observed_by",
// "community_id", "tlp"}); `path` prefixes errors ("sightings/0").
Result<SightingInput> SightingInputFromJson(const Json& j, std::string_view path);

}  // namespace entente::intel
