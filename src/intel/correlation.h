// Correlation of STIX intelligence: the same observable value appearing in
// objects of different authors or communities, shown only to readers
// allowed to see both sides.
//
//   auto c = Correlate(db, reader, "indicator--...", {});
//   for (const auto& group : *c) ... group.key, group.matches, group.count
//
// Storage: postings (table intel_observables, migration 0012), one row per
// (observable key, object version), written by the importer
// (IntelRepository::Import) from each added version: indicators with a STIX
// pattern (the values of non-negated = and IN tests, pattern.h
// ExtractObservables) and cyber observables (domain-name, ipv4-addr,
// ipv6-addr, url, email-addr values; file and artifact hashes). There are
// no pairwise tables: correlations are computed per object at query time.
//
// Keys (ObservableKeyOf): domains lower-cased without a final dot; e-mail
// addresses lower-cased; hashes lower-case hex, kind md5/sha1/sha256 (other
// algorithms "hash:<name>"); IPv4/IPv6 as canonical networks ("10.0.0.0/8",
// a single address without /32 or /128, host bits cleared); URLs with the
// scheme and host lower-cased, the default port and the fragment dropped,
// an empty path written "/".
//
// Relations, for each key of the object:
//   same     the other object names the same key;
//   within   the other's value lies inside this one: a subdomain of a domain
//            (www.example.com under example.com), a network or address
//            inside a CIDR;
//   contains the other's value contains this one: a parent domain (up to
//            the registrable part's parents, any label count >= 2), a
//            network containing the address or network.
// Containment uses sorted ranges (range_lo, an index) for "within" and at
// most 128 exact lookups (the supernets, or the parent domains) for
// "contains".
//
// Linked objects: the newest version, not revoked, other than the object
// itself, that differ from it in author (created_by_ref, else the owner
// organisation) or in community; and readable by the reader (intel/access.h,
// in SQL). The object itself must be readable, or kNotFound.
//
// Bounds, whatever the number of postings of a value: at most
// `max_keys` keys of the object are looked at; for each key and relation at
// most `scan_limit` postings (the newest) are examined, so a value present
// millions of times costs the same as one present scan_limit times; `count`
// is exact within what was examined and `count_capped` says when the scan
// stopped at its limit (the count is then a lower bound); at most `limit`
// matches are returned per key.
//
// Thread-safety: free functions over the Database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "intel/access.h"
#include "intel/pattern.h"
#include "intel/stix.h"
#include "store/store.h"

namespace entente::intel {

struct ObservableKey {
  std::string kind;   // domain, ipv4, ipv6, url, email, md5, sha1, sha256, hash:<algorithm>
  std::string value;  // normalised
  std::optional<std::string> range_lo, range_hi;  // sortable range (domains: lo only)
  bool operator==(const ObservableKey&) const = default;
};

// The key of one extracted observable, or nullopt when the value does not
// normalise (an IPv4 text that is not an address, ...).
std::optional<ObservableKey> ObservableKeyOf(const Observable& observable);

// Keys of a STIX object (see above), without duplicates, at most 1,000.
std::vector<ObservableKey> ObservableKeysOf(const Json& object);

// The same for an already parsed pattern.
std::vector<ObservableKey> ObservableKeysOfPattern(const Pattern& pattern);

struct CorrelationOptions {
  size_t limit = 20;           // matches returned per key
  size_t scan_limit = 10'000;  // postings examined per key and relation
  size_t max_keys = 100;       // keys of the object looked at
};

struct CorrelatedObject {
  std::string id, type, name;  // name when the object has one
  std::string value;           // the other object's value for this key
  std::string relation;        // same, within, contains
  std::string owner_org, community_id, created_by_ref;
  std::optional<std::string> tlp;
};

struct CorrelationGroup {
  ObservableKey key;
  std::vector<CorrelatedObject> matches;  // at most options.limit, sorted by relation then id
  size_t count = 0;                       // matching objects examined (see count_capped)
  bool count_capped = false;
};

// Correlations of the newest version of `object_id` for `reader`; groups
// only for keys with at least one match. kNotFound when the reader may not
// read the object (or it does not exist).
Result<std::vector<CorrelationGroup>> Correlate(store::Database& db, const Reader& reader,
                                                std::string_view object_id,
                                                const CorrelationOptions& options = {});

Json CorrelationsJson(const std::vector<CorrelationGroup>& groups);

}  // namespace entente::intel
