// TAXII 2.1 (OASIS, "TAXII Version 2.1"), the protocol part that needs no
// HTTP server: the URL query parameters of the collection endpoints
// (section 3.4: added_after, limit, next, match[id|type|version|
// spec_version]), the opaque pagination cursor, TAXII timestamps (section 2:
// microsecond precision, UTC, "Z") and content negotiation (section 1.6.8).
// The routes (src/api/routes_taxii.cc) and the storage (taxii/store.h) use
// them. Every function is pure and takes untrusted input: a malformed value
// is kInvalidArgument naming the parameter (HTTP 400, section 3.4); nothing
// throws. Fuzzed by fuzz/taxii_query_fuzz.cc.
//
// The `next` cursor is the repository's `seq` (order of arrival, monotonic,
// never reused) of the last row of the page, encoded opaquely; a page is
// "rows with seq > cursor", so pages never skip or repeat a row however
// other writers interleave (see taxii/store.h for the PostgreSQL side).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace entente::taxii {

inline constexpr std::string_view kTaxiiMediaType = "application/taxii+json;version=2.1";
inline constexpr std::string_view kStixMediaType = "application/stix+json;version=2.1";

// Pages: the default and the largest number of objects a response holds.
inline constexpr size_t kDefaultLimit = 1000;
inline constexpr size_t kMaxLimit = 10000;
// At most this many values in one match[...] list.
inline constexpr size_t kMaxMatchValues = 100;

// Which endpoint a query is for: each accepts its own parameters (sections
// 5.3, 5.4, 5.6, 5.7, 5.8); any other parameter is an error.
enum class Endpoint { kObjects, kManifest, kObject, kVersions, kDelete };

// match[version] (section 3.4.1). Nothing set means "last".
struct VersionMatch {
  bool last = false, first = false, all = false;
  std::vector<std::string> keys;  // specific versions as intel::VersionKey
  bool Default() const { return !last && !first && !all && keys.empty(); }
};

struct Query {
  // added_after as milliseconds: rows with date_added (ms) > this value
  // (a timestamp with sub-millisecond digits is rounded down: the objects
  // added in that same millisecond came after it only if it names the
  // millisecond itself, and a TAXII date_added is a whole millisecond).
  std::optional<std::int64_t> added_after_ms;
  size_t limit = kDefaultLimit;  // clamped to kMaxLimit
  std::int64_t after_seq = 0;    // from `next`
  std::vector<std::string> ids, types;
  std::vector<std::string> spec_versions;  // empty: the latest (all stored objects are 2.1)
  VersionMatch version;
};

// The query string of a request (already percent-decoded by the HTTP layer).
Result<Query> ParseQuery(const std::multimap<std::string, std::string>& params, Endpoint endpoint);

// Opaque `next` value for a page that ended at row `seq`, and back.
std::string EncodeCursor(std::int64_t seq);
Result<std::int64_t> DecodeCursor(std::string_view next);

// A TAXII/STIX timestamp "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" (real calendar
// date, UTC) as microseconds since the epoch (fraction beyond microseconds
// is cut).
Result<std::int64_t> ParseTimestampMicros(std::string_view text);
// "YYYY-MM-DDTHH:MM:SS.ssssssZ" (section 2: microsecond precision).
std::string FormatTimestamp(std::int64_t millis);

// Content negotiation (section 1.6.8, 3.1). `Accept` may be absent (any
// type), list several media ranges with parameters and q-values; a TAXII
// 2.1 response is acceptable for application/taxii+json (no version or
// 2.1), */*, application/* and, where `stix_ok`, application/stix+json (no
// version or 2.1). A range with q=0 is refused.
bool AcceptsTaxii(std::string_view accept_header, bool stix_ok);
// A request body's Content-Type is application/taxii+json with no version
// or version 2.1 (parameters and case as RFC 7231 allows).
bool IsTaxiiContentType(std::string_view content_type);

// HTTP Basic credentials (RFC 7617, section 1.6.9): the user-id and the
// password of "Basic base64(user-id:password)", or nullopt when malformed.
struct BasicCredentials {
  std::string user, password;
};
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

}  // namespace entente::taxii
