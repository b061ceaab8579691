// Loading indicators for the engine from files: plain lists, CSV with a
// header, JSON lines, and STIX 2.1 bundles of indicators with simple
// patterns.
//
// The STIX support here is a small extractor for patterns made of a single
// comparison, `[domain-name:value = 'x']`, `[ipv4-addr:value = '1.2.3.0/24']`,
// `[ipv6-addr:value = ...]`, `[url:value = ...]`, `[email-addr:value = ...]`,
// `[file:hashes.'SHA-256' = ...]` (also MD5, SHA-1) and `MATCHES` with a
// regex. It will be replaced by the intel module's full STIX pattern parser.
#pragma once

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

// One STIX pattern of the supported subset -> kind, value (and regex target).
struct SimplePattern {
  Kind kind;
  std::string value;
  Kind target = Kind::kDomain;  // for regexes
};
Result<SimplePattern> ParseSimpleStixPattern(std::string_view pattern);

}  // namespace entente::match
