// Reputation feeds and registration data for the DNS abuse observatory.
//
// A feed has a category (phishing, malware, botnet_cc, spam), a source name
// and a format:
//   domains  one name per line (first field; '#' and ';' start comments)
//   urls     one URL per line (scheme optional; credentials and port ignored)
//   hosts    hosts-file lines "0.0.0.0 name [name...]"
//   csv      RFC 4180 CSV; the column named domain/url/host/hostname/fqdn in
//            a header row, else the first; "csvN" takes column N (1-based)
//   rpz      a Response Policy Zone (RFC 1035 master file): QNAME triggers
//            "name.<apex>" and "*.name.<apex>"; IP / NSDNAME / NSIP /
//            CLIENT-IP triggers are not domains and are counted apart
// Every entry is reduced to its registrable domain with the Public Suffix
// List (libpsl, the system list): lower case, trailing dot removed, IDNs
// converted to A-labels (IDNA 2008, libidn2). Entries whose host is an IP
// address are counted as ip_only and not attributed to any TLD. Lines that
// are not domains or URLs are counted as invalid and reported with their
// line number; a registrable domain listed twice in one feed is counted once
// (duplicates reported as a number).
#pragma once

#include <libpsl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace entente::dnsabuse {

enum class Category : std::uint8_t { kPhishing = 0, kMalware = 1, kBotnetCc = 2, kSpam = 3 };
inline constexpr int kCategoryCount = 4;
std::string_view CategoryName(Category c);
Result<Category> ParseCategory(std::string_view s);

enum class FeedFormat { kDomains, kUrls, kHosts, kCsv, kRpz };
std::string_view FeedFormatName(FeedFormat f);

struct FeedSpec {
  Category category = Category::kPhishing;
  std::string source;  // [a-z0-9._-]+, 1-64 characters
  FeedFormat format = FeedFormat::kDomains;
  int csv_column = 0;  // 1-based; 0 = by header name or first column
  std::string path;
};
// "category:source:format:FILE" (FILE may contain ':').
Result<FeedSpec> ParseFeedSpec(std::string_view spec);

// Host / URL to registrable domain. One instance per thread (it memoises).
//
// The list: the system's Public Suffix List in text form
// (public_suffix_list.dat beside the distribution file) when present, else
// libpsl's newest (psl_latest), else its built-in copy. With the text list
// the registrable domain is memoised exactly: for a host, take the shortest
// suffix S of two or more labels below which no rule of the list goes
// deeper ("deep" suffixes are collected from the rules, wildcards and
// exceptions counted as labels). If S is an exception rule, S is the
// registrable domain; if S is a rule (or matches a wildcard; libpsl also
// counts the parent of a wildcard as a suffix), S is a public suffix and the
// registrable domain is S plus the host's next label; otherwise no rule of
// S's length or longer applies, so the host's public suffix is that of S
// without its first label, which libpsl gives once per such parent (few:
// mostly TLDs) and is kept. Tests compare it with libpsl on every kind of
// rule.
class DomainNormalizer {
 public:
  DomainNormalizer();
  ~DomainNormalizer();
  DomainNormalizer(const DomainNormalizer&) = delete;
  DomainNormalizer& operator=(const DomainNormalizer&) = delete;

  enum class Kind { kDomain, kIp, kInvalid };
  struct Result {
    Kind kind = Kind::kInvalid;
    std::string host;         // normalised host (A-labels, lower case)
    std::string registrable;  // registrable domain (kDomain)
    std::string error;        // why it is invalid
  };
  Result FromHost(std::string_view host) const;
  Result FromUrl(std::string_view url) const;
  // Which list is in use: "system" (publicsuffix package) or "builtin".
  std::string_view list_source() const { return source_; }
  // Whether registrable domains are memoised (the text list was read).
  bool memoised() const { return !rules_.empty(); }
  // The registrable domain of a normalised host (A-labels, lower case, two
  // labels or more); nullopt for a public suffix. `memo` false: libpsl
  // directly (the tests compare both).
  std::optional<std::string> Registrable(const std::string& host, bool memo = true) const;
  // The suffixes the memo knows (rules and the suffixes above them); empty
  // when not memoised. For tests.
  std::vector<std::string> KnownSuffixes() const;

 private:
  bool LoadRules(const std::string& path);
  std::uint8_t RuleFlags(std::string_view suffix) const;
  int PublicSuffixLabels(std::string_view suffix) const;

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr std::uint8_t kRuleExact = 1, kRuleWildcard = 2, kRuleException = 4,
                                kRuleDeep = 8;

  const psl_ctx_t* psl_;
  psl_ctx_t* owned_ = nullptr;
  std::string source_;
  // Suffix -> kRule* flags: a rule (exact, "*." + suffix, "!" + suffix), or
  // a suffix below which a longer rule exists (deep).
  std::unordered_map<std::string, std::uint8_t, Hash, std::equal_to<>> rules_;
  // The same rules as a flat table probed by fingerprint (RuleFlags runs
  // several times per host): slots of fingerprint, the suffix's place in
  // rule_names_ (compared on equal fingerprints) and its flags.
  struct RuleSlot {
    std::uint64_t fp = 0;
    std::uint32_t off = 0;
    std::uint32_t len = 0;
    std::uint8_t flags = 0;
  };
  void BuildRuleTable();
  std::vector<RuleSlot> rule_table_;
  std::string rule_names_;
  // Suffix -> labels of its public suffix (libpsl's answer, kept).
  mutable std::unordered_map<std::string, int, Hash, std::equal_to<>> memo_;
};

// The TLD (last label) of a canonical name.
std::string_view TldOf(std::string_view name);

struct FeedEntry {
  std::string registrable;
  std::string evidence;  // the first line's value (URL or host) listing it
  std::uint64_t line = 0;
};

struct LineIssue {
  std::uint64_t line = 0;
  std::string message;
};

struct FeedData {
  FeedSpec spec;
  std::string sha256;  // of the file's bytes as read (uncompressed)
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;
  std::uint64_t listed = 0;        // entries that named a domain, duplicates included
  std::uint64_t duplicates = 0;    // entries whose registrable domain was already listed
  std::uint64_t ip_only = 0;       // entries naming an IP address
  std::uint64_t skipped = 0;       // blank, comment, header lines, localhost and IP/NS triggers
  std::uint64_t invalid = 0;       // lines that are not domains or URLs
  std::vector<LineIssue> issues;   // the first 1000 invalid lines
  std::vector<FeedEntry> entries;  // one per distinct registrable domain
};

// Parses feed content (tests, fuzzing, ReadFeed).
FeedData ParseFeedText(std::string_view text, const FeedSpec& spec,
                       const DomainNormalizer& normalizer);
// Reads a feed file (plain or gzip) and parses it.
Result<FeedData> ReadFeed(const FeedSpec& spec, const DomainNormalizer& normalizer);

// Reads a whole file, gunzipping it if it starts with the gzip magic bytes;
// refuses files above `max_bytes` (uncompressed).
Result<std::string> ReadInputFile(const std::string& path, std::uint64_t max_bytes);
std::string Sha256Hex(std::string_view data);

// Splits one CSV record (RFC 4180 quoting) into fields; false with `error`
// set when a quote is not closed or stray text follows a closing quote.
bool SplitCsv(std::string_view line, std::vector<std::string>& fields, std::string& error);

// ---- registrations ----------------------------------------------------------

struct Registrar {
  std::int64_t iana_id = 0;
  std::string name;
  std::string abuse_email;
};

// "iana_id,name[,abuse_email]" with a header row.
struct RegistrarList {
  std::unordered_map<std::int64_t, Registrar> by_id;
  std::string sha256;
  std::vector<LineIssue> issues;
  std::uint64_t invalid = 0;
};
RegistrarList ParseRegistrars(std::string_view text);

struct Registration {
  std::int64_t registrar = 0;     // IANA id (0 = unknown)
  std::int32_t created_day = -1;  // days since 1970-01-01, -1 unknown
};

// "domain,registrar_id,created" with a header row naming the columns
// (domain / registrar_id or registrar or iana_id / created or creation_date);
// created is YYYY-MM-DD or an RFC 3339 time; empty means unknown. Domains are
// normalised like feed hosts (not reduced to the registrable domain: a
// registration is for the registered name). Map keyed by fingerprint.
struct RegistrationData {
  std::string sha256;
  std::uint64_t rows = 0;
  std::uint64_t invalid = 0;
  std::uint64_t unknown_registrar = 0;  // ids absent from the registrar list
  std::uint64_t duplicates = 0;         // later rows for an already seen domain (ignored)
  std::vector<LineIssue> issues;
  std::vector<std::int64_t> registrar_ids;  // distinct ids seen, sorted

  const Registration* Find(std::string_view domain) const;
  void Insert(std::uint64_t fingerprint, Registration r, bool& inserted);
  std::size_t size() const { return used_; }

 private:
  struct Slot {
    std::uint64_t fp = 0;
    Registration reg;
  };
  std::vector<Slot> table_;
  std::size_t used_ = 0;
};
// `registrars` may be null (then no id is unknown).
RegistrationData ParseRegistrations(std::string_view text, const RegistrarList* registrars,
                                    const DomainNormalizer& normalizer);

// Days since 1970-01-01 of "YYYY-MM-DD" (strict); nullopt when invalid.
std::optional<std::int32_t> ParseDay(std::string_view s);
std::string FormatDay(std::int32_t day);

}  // namespace entente::dnsabuse
