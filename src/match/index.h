// The matching engine: an immutable in-memory index over indicators.
//
// Build once from the indicators a user may use (Index::Build), share it
// read-only between threads, and rebuild and swap (std::shared_ptr) when
// indicators arrive, are revoked or expire. Each thread queries through its
// own Matcher (which holds the Vectorscan scratch space and the hit buffer).
//
// Storage is contiguous: one byte arena holds a record per indicator
// ([varint key length][key][id]); an open-addressing table (load 0.8) of u32
// metadata indices with a parallel byte array of hash tags finds a key; the
// indicators sharing a key are consecutive 24-byte metadata records, each
// pointing at its arena record. There is no heap allocation per entry.
//
// Keys: domains as normalised names (a lookup probes the name and each of its
// parent names, the parents only for "and subdomains" indicators), URLs and
// emails normalised, hashes as raw bytes, IP prefixes as [length][masked
// address] probed once per prefix length present in the index (so every
// covering range is reported, longest first). MATCHES regexes are compiled
// together into one Vectorscan database per kind of value they apply to.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "match/indicator.h"
#include "match/normalize.h"

struct hs_database;
struct hs_scratch;

namespace entente::match {

struct Meta {
  std::uint32_t record;  // arena offset of [varint key length][key][id]
  std::uint16_t id_length;
  std::uint16_t community;  // index into Index::communities()
  Kind kind;
  Tlp tlp;
  Pap pap;
  std::uint8_t flags;           // kSubdomains | kLastOfKey
  std::int8_t confidence;       // -1 unknown
  std::uint32_t valid_from_s;   // seconds since the epoch, 0 none
  std::uint32_t valid_until_s;  // 0 none
  static constexpr std::uint8_t kSubdomains = 1, kLastOfKey = 2;
};

struct BuildIssue {
  std::string indicator_id;
  std::string message;
};

struct BuildStats {
  std::size_t input = 0, indexed = 0, revoked = 0, expired = 0, not_allowed = 0, invalid = 0;
  std::size_t keys = 0, regexes = 0;
  std::size_t raw_value_bytes = 0;  // sum of the indexed values as given
  std::size_t key_bytes = 0;        // arena bytes of key records
  std::size_t table_bytes = 0;      // slots + tags
  std::size_t filter_bytes = 0;     // the domain pre-filter's bits
  std::size_t meta_bytes = 0;       // metadata records
  std::size_t id_bytes = 0;         // indicator ids and community names
  std::size_t regex_bytes = 0;      // Vectorscan databases
  std::vector<BuildIssue> issues;   // the first 100 invalid indicators
  // Lookup structure (keys + table) per raw value byte; metadata excluded.
  double LookupBytesPerValueByte() const;
  std::size_t TotalBytes() const {
    return key_bytes + table_bytes + filter_bytes + meta_bytes + id_bytes + regex_bytes;
  }
};

enum class MatchType : std::uint8_t { kExact, kSubdomain, kCidr, kRegex };
std::string_view MatchTypeName(MatchType t);

struct Hit {
  std::uint32_t meta;  // index into Index::meta()
  MatchType type;
  std::uint8_t prefix;  // for kCidr: the matching prefix length
};

class Matcher;

class Index {
 public:
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  static Result<std::shared_ptr<const Index>> Build(std::span<const Indicator> indicators,
                                                    const Policy& policy = {});

  const BuildStats& stats() const { return stats_; }
  std::span<const Meta> meta() const { return meta_; }
  std::string_view Id(std::uint32_t m) const;
  const std::string& Community(std::uint32_t m) const { return communities_[meta_[m].community]; }
  std::size_t size() const { return meta_.size(); }

 private:
  friend class Matcher;
  Index() = default;

  // Key classes share one table; a key's class is checked on its metadata.
  enum class KeyClass : std::uint8_t { kDomain, kUrl, kEmail, kHash, kIp };
  static KeyClass ClassOf(Kind k);
  std::uint32_t Find(KeyClass c, std::string_view key) const;  // first meta index or UINT32_MAX
  void Prefetch(KeyClass c, std::string_view key) const;
  std::string_view Key(std::uint32_t m) const;

  std::string arena_;
  std::vector<std::uint32_t> slots_;  // first metadata index of the key + 1, 0 empty
  std::vector<std::uint8_t> tags_;
  std::vector<Meta> meta_;
  std::vector<std::string> communities_;
  // Bit L set: some domain key has L labels (L >= 63 share bit 63); a
  // lookup skips the parent names of lengths no key has.
  std::uint64_t domain_labels_ = 0;
  // A pre-filter of the domain keys (one bit per hash, about 8 bits per
  // key): the hash of each key's last two labels (the key itself if it has
  // one label). A name can only match a key whose last two labels are its
  // own (or a one-label key equal to its last label), so a name whose bits
  // are clear skips every table probe of its suffixes.
  std::vector<std::uint64_t> domain_filter_;
  std::uint64_t domain_filter_mask_ = 0;  // bits - 1
  bool DomainFilterHas(std::string_view s) const;
  std::uint64_t v4_lengths_ = 0;      // bit L set: some IPv4 prefix of length L (0..32)
  std::uint64_t v6_lengths_[3] = {};  // bits 0..128
  // Regex databases by target class (domain, url, email, ip); ids are meta indices.
  hs_database* regex_db_[5] = {};
  hs_scratch* scratch_proto_ = nullptr;
  BuildStats stats_;
};

// Per-thread query state. Results are valid until the next call.
class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Index> index, Millis now = 0);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  const Index& index() const { return *index_; }
  // Validity is checked against this time (0: not checked).
  void SetNow(Millis now) { now_s_ = static_cast<std::uint32_t>(now / 1000); }

  // Normalised inputs (hot paths).
  std::span<const Hit> MatchDomain(std::string_view normalized);
  std::span<const Hit> MatchIp(const IpPrefix& address);
  std::span<const Hit> MatchUrl(std::string_view normalized);
  std::span<const Hit> MatchEmail(std::string_view normalized);
  std::span<const Hit> MatchHash(std::string_view raw_bytes);
  // Issues the memory prefetches of the table probes MatchDomain(normalized)
  // will make: a scanner prefetches a batch of names, then matches them, so
  // that the cache misses of the batch overlap. False when MatchDomain would
  // certainly find nothing (the pre-filter rejects the name and there is no
  // domain regex), so the scanner may skip it.
  bool PrefetchDomain(std::string_view normalized) const;
  // Any value given as text: normalised for `kind` (or detected when
  // std::nullopt), then matched. Errors say why the value is invalid.
  Result<std::span<const Hit>> Match(std::string_view value,
                                     std::optional<Kind> kind = std::nullopt);

 private:
  void AddKey(Index::KeyClass c, std::string_view key, MatchType type, bool subdomains_only,
              std::uint8_t prefix = 0);
  void AddRegex(int cls, std::string_view text);
  bool Valid(const Meta& m) const;
  static bool MayHaveDomainKey(const Index& ix, std::string_view name, const std::uint16_t* starts,
                               std::size_t n);

  std::shared_ptr<const Index> index_;
  hs_scratch* scratch_ = nullptr;
  std::uint32_t now_s_ = 0;
  std::vector<Hit> hits_;
  std::string key_;
};

}  // namespace entente::match
