// Zone reader: DNS master files (RFC 1035 section 5, RFC 2308 $TTL), plain or
// gzip, streamed in large chunks.
//
//   ZoneOptions opt;  opt.origin = "com";
//   auto stats = ReadZoneFile("com.zone.gz", opt, [&](const ZoneRecord& r) {...});
//
// Supported: $ORIGIN, $TTL, $INCLUDE (refused unless allow_include), records
// spread over lines with parentheses, comments, quoted strings, \DDD and \X
// escapes in names, relative and absolute names, "@", omitted owner / TTL /
// class (in either order), every common type and TYPEnnn, the generic
// "\# len hex" RDATA form. Owner names are handed over canonical: absolute,
// lower case, without the trailing dot ("" is the root), bytes outside
// [printable ASCII minus . ; \ ( ) " @ $] written as \DDD.
//
// Bad records are not fatal: each one is reported as a ZoneIssue with the
// file and line number and skipped, and the rest of the file is processed.
// Only I/O failures (cannot open, corrupt gzip stream, read error) and
// over-long records (more than kMaxRecordBytes) are Results.
//
// The counting path makes no heap allocation per record: names are
// canonicalised into reused buffers and the record's fields are views into
// the read buffer, valid only during the callback.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace entente::dnsabuse {

inline constexpr std::size_t kMaxRecordBytes = 16u << 20;

// Record type codes the reader knows by name (others as TYPEnnn).
namespace rrtype {
inline constexpr std::uint16_t kA = 1, kNS = 2, kCNAME = 5, kSOA = 6, kPTR = 12, kMX = 15,
                               kTXT = 16, kAAAA = 28, kDS = 43, kRRSIG = 46, kNSEC = 47,
                               kDNSKEY = 48, kNSEC3 = 50, kNSEC3PARAM = 51, kCDS = 59,
                               kCDNSKEY = 60, kZONEMD = 63;
}

// The mnemonic of a type ("NS", "TYPE65280").
std::string TypeName(std::uint16_t type);
// True for the DNSSEC types (DS, RRSIG, NSEC, DNSKEY, NSEC3, NSEC3PARAM, CDS,
// CDNSKEY, KEY, SIG, NXT, DLV, ZONEMD): accepted, ignored for counting.
bool IsDnssecType(std::uint16_t type);

struct ZoneRecord {
  std::string_view owner;  // canonical, see above
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  // RDATA fields as written (quoted strings keep their quotes).
  const std::vector<std::string_view>* rdata = nullptr;
  std::string_view file;
  std::uint64_t line = 0;  // first line of the record
};

struct ZoneIssue {
  std::string file;
  std::uint64_t line = 0;
  std::string message;
};

struct ZoneOptions {
  // Initial origin, "" for none (then relative names are errors until
  // $ORIGIN); "." is the root. Absolute or not, it is taken as absolute.
  std::string origin;
  bool allow_include = false;
  // Issues kept in ZoneStats::issues; all are counted in `errors`.
  std::size_t max_issues = 1000;
  // Name used for the top file in issues (default: the path given).
  std::string display_name;
  // Called with every block of the top file's (uncompressed) bytes, in
  // order, e.g. to hash the input while it is parsed.
  std::function<void(std::string_view)> on_bytes;
};

struct ZoneStats {
  std::uint64_t bytes = 0;  // input bytes (uncompressed), includes $INCLUDEd files
  std::uint64_t lines = 0;
  std::uint64_t records = 0;  // records handed to the callback
  std::uint64_t errors = 0;   // records / directives skipped
  std::string apex;           // owner of the first SOA ("" = root); see has_apex
  bool has_apex = false;
  std::vector<ZoneIssue> issues;
  std::vector<std::pair<std::string, std::uint64_t>> RecordsByType() const;
  std::vector<std::uint64_t> by_type = std::vector<std::uint64_t>(65536);  // records per type code
};

using RecordFn = std::function<void(const ZoneRecord&)>;

// Reads a zone file (gzip detected by its magic bytes).
Result<ZoneStats> ReadZoneFile(const std::string& path, const ZoneOptions& options,
                               const RecordFn& on_record);
// Parses zone text held in memory (tests, fuzzing). $INCLUDE is resolved
// relative to the working directory when allowed.
ZoneStats ParseZoneText(std::string_view text, const ZoneOptions& options,
                        const RecordFn& on_record);

// Canonicalises one presentation-format name (see above) relative to
// `origin` (canonical, "" = root; has_origin false = relative names refused).
// Returns the error text, or "" with `out` set.
std::string CanonicalName(std::string_view text, std::string_view origin, bool has_origin,
                          std::string& out);

// Counts delegations: distinct owners of NS records strictly below the apex.
// Feed it every record; it returns true the first time a delegated owner is
// seen. Distinctness uses the order of the owners while the zone is sorted,
// then a set of 64-bit fingerprints
// (two different names colliding is possible but with probability about
// n^2 / 2^65: 10^-3 for 200 M names).
class DelegationCounter {
 public:
  bool Add(const ZoneRecord& record, std::string_view apex);
  std::uint64_t count() const { return count_; }
  static std::uint64_t Fingerprint(std::string_view name);

 private:
  bool Insert(std::uint64_t h);
  std::vector<std::uint64_t> table_;
  std::uint64_t used_ = 0;
  std::uint64_t count_ = 0;
  std::string last_;
  bool has_zero_ = false;
  bool sorted_ = true;
  std::vector<std::uint64_t> pending_;  // fingerprints while the owners are sorted
};

// True when `name` is strictly below `apex` (both canonical).
bool IsBelow(std::string_view name, std::string_view apex);

}  // namespace entente::dnsabuse
