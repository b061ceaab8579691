// STIX 2.1 indicators as reputation feeds of the DNS abuse observatory:
// from a bundle file, or from Entente's own intelligence store with the eyes
// of one organisation (intel/access.h: only what it may read).
//
//   auto stix = ENTENTE_TRY(StixStoreToFeeds(db, clock, org_id, day));
//   auto specs = ENTENTE_TRY(WriteStixFeeds(stix, dir, "stix-store"));
//   request.feeds.insert(request.feeds.end(), specs.begin(), specs.end());
//
// Which indicators count (the rules, also in docs/dns-abuse.md):
// - objects of type "indicator" with pattern_type "stix" (or none), not
//   revoked, valid on the day (valid_from on or before the end of the day,
//   valid_until, when present, after its start);
// - the domain-name and url observables of the pattern (intel/pattern.h
//   ExtractObservables; other observables, e.g. IP addresses or hashes, are
//   counted as `other_observables` and not used);
// - the category from indicator_types and labels (case-insensitive, a value
//   may map to several categories; an indicator listed under several
//   categories counts in each):
//     phishing                                   -> phishing
//     malware, malware-distribution, malicious-code, ransomware,
//       exploit-kit                              -> malware
//     c2, c&c, cc, botnet, botnet_cc, botnet-cc, command-and-control,
//       c2-server                                -> botnet_cc
//     spam                                       -> spam
//   "malicious-activity", "anomalous-activity", "compromised" and the other
//   values of the STIX open vocabulary say too little: such an indicator
//   without one of the values above is counted as `uncategorised` and not
//   used; "benign" indicators are never used.
// Each category becomes one feed of format `urls` (a URL or a bare domain
// per line), which the observatory reduces to registrable domains as every
// other feed; the feed files are written so that their SHA-256 is recorded
// with the day's inputs like any other feed's.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "dnsabuse/feeds.h"
#include "store/store.h"

namespace entente::dnsabuse {

struct StixFeedResult {
  // Per category (Category order): URLs and domains, in order of appearance.
  std::array<std::vector<std::string>, kCategoryCount> lines;
  std::uint64_t objects = 0;     // objects examined
  std::uint64_t indicators = 0;  // indicators examined
  std::uint64_t used = 0;        // indicators that gave at least one line
  std::uint64_t revoked = 0, not_valid = 0, uncategorised = 0, benign = 0, other_pattern_type = 0,
                bad_pattern = 0, other_observables = 0;
  std::vector<LineIssue> issues;  // line = index of the object (1-based), first 1000

  nlohmann::json Summary() const;
};

// The categories an indicator's indicator_types and labels name.
std::vector<Category> StixCategories(const nlohmann::json& indicator);

// Indicators (STIX objects, other types ignored) as of `day` (days since
// 1970-01-01).
StixFeedResult IndicatorsToFeeds(const std::vector<nlohmann::json>& objects, std::int32_t day);
// A bundle's text ({"type": "bundle", "objects": [...]}); errors name the
// problem (not JSON, not a bundle, too large or too deep).
Result<StixFeedResult> StixBundleToFeeds(std::string_view text, std::int32_t day);
// The newest, unrevoked indicators of the intelligence store that `org_id`
// may read.
Result<StixFeedResult> StixStoreToFeeds(store::Database& db, const Clock& clock,
                                        const std::string& org_id, std::int32_t day);

// Writes one `urls` feed file per category with lines into `dir`
// ("<source>-<category>.txt") and returns the feeds (source `source`).
Result<std::vector<FeedSpec>> WriteStixFeeds(const StixFeedResult& stix, const std::string& dir,
                                             const std::string& source);

}  // namespace entente::dnsabuse
