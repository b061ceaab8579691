// Loading indicators for the engine from files: plain lists, CSV with a
// header, JSON lines, and STIX 2.1 bundles of indicators with simple
// patterns.
//
// STIX patterns are read by the intel module's parser (StixPatternValues);
// an indicator whose pattern names several values (OR, IN) gives one record
// per value, all with the indicator's id.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "match/indicator.h"

namespace entente::match {

// Metadata given to indicators whose file does not carry it (plain lists,
// missing CSV/JSON columns).
struct IndicatorDefaults {
  Tlp tlp = Tlp::kAmber;
  Pap pap = Pap::kAmber;
  std::string community;
  int confidence = -1;
  Action action = Action::kDefault;
  bool subdomains = true;  // plain list and CSV domains cover their subdomains
};

struct LoadIssue {
  std::uint64_t line = 0;  // or 1-based object index for STIX bundles
  std::string message;
};

struct LoadResult {
  std::vector<Indicator> indicators;
  std::string format;             // "plain", "csv", "jsonl", "stix"
  std::size_t skipped = 0;        // bad lines/objects (counted, reported below)
  std::vector<LoadIssue> issues;  // the first 100
};

// Format: "auto" (by content: '{"type": "bundle"' -> stix, '{' -> jsonl,
// a header line starting with "id," or containing ",value" -> csv, else
// plain), "plain", "csv", "jsonl" or "stix". Bad entries are skipped and
// reported, never fatal; a STIX bundle that is not JSON is an error.
Result<LoadResult> LoadIndicators(std::string_view text, std::string_view format,
                                  const IndicatorDefaults& defaults, std::string_view source_name);
Result<LoadResult> LoadIndicatorFile(const std::string& path, std::string_view format,
                                     const IndicatorDefaults& defaults);

// The values a STIX pattern names, for the engine: parsed by the intel
// module's pattern parser (intel/pattern.h, the one STIX pattern
// implementation). Accepted: comparisons `=`, `IN` (each value) and
// `MATCHES` (a regex, kind kRegex with the target kind) on domain-name,
// ipv4-addr, ipv6-addr, url, email-addr values (and email-message
// from_ref/sender_ref), and `=`/`IN` on file or artifact hashes MD5, SHA-1
// and SHA-256, joined by OR inside and between observations. Anything that
// would make one value's presence insufficient (AND, FOLLOWEDBY, NOT,
// qualifiers, other operators or paths) makes the pattern unsupported:
// InvalidArgument saying what.
struct PatternValue {
  Kind kind;
  std::string value;
  Kind target = Kind::kDomain;  // for regexes
};
Result<std::vector<PatternValue>> StixPatternValues(std::string_view pattern);

// The records of one STIX `indicator` object, as LoadIndicators reads them
// from a bundle (TLP from the standard markings, validity, confidence,
// revocation, x_entente_* fields, `defaults` for the rest). An error says
// why the object cannot be used.
Result<std::vector<Indicator>> IndicatorsOfStixObject(const nlohmann::json& object,
                                                      const IndicatorDefaults& defaults);

}  // namespace entente::match
