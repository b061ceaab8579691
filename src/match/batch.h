// A batch of values to match (POST /api/v1/match): parsing the request body
// and answering value by value.
//
// Bodies (untrusted; fuzz target match_batch):
//   application/json: {"values": ["www.bad.example", {"value": "...",
//                      "kind": "domain"}, ...], "report_sightings": false}
//   text/plain:       one value per line (raw bytes, so invalid UTF-8 can be
//                     sent and is reported for that value); blank lines and
//                     a trailing CR are ignored.
// More values than `limit`: kResourceExhausted on field "body" (HTTP 413)
// naming the limit. A malformed body or member: kInvalidArgument naming the
// member. A bad value is never an error of the batch: it is answered with
// its own error.
//
// Answer: {"results": [{"index", "value", "kind", "normalized", "hits":
// [HitJson...]} or {"index", "value", "kind"?, "error"}], "summary":
// {"values", "matched", "errors", "hits"}}. A value that is not valid UTF-8
// is shown with U+FFFD in place of the bad bytes. Kind detection: like
// DetectKind, except that a value made only of digits, dots and a slash, or
// of hex digits, colons, dots and a slash with a colon, is an IP address or
// range (so "192.0.2.300" is reported as an invalid IP, not matched as a
// name). Hits of one indicator (several values of one pattern) are
// reported once, the most specific first.
//
// Pure functions over an immutable snapshot; thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "match/index.h"
#include "match/indicator.h"

namespace entente::match {

inline constexpr std::size_t kDefaultBatchLimit = 10000;
inline constexpr std::size_t kMaxBatchValueBytes = 4096;

struct BatchItem {
  std::string value;
  std::optional<Kind> kind;  // given by the caller; detected otherwise
};

struct BatchRequest {
  std::vector<BatchItem> items;
  bool report_sightings = false;
};

Result<BatchRequest> ParseBatchJson(std::string_view body, std::size_t limit);
Result<BatchRequest> ParseBatchText(std::string_view body, std::size_t limit);

// The kind used for a value (see above); `value` may lose a "*." prefix.
Kind DetectValueKind(std::string& value);

// Hits per indicator id over the batch (for sightings).
using HitCounts = std::map<std::string, std::uint64_t>;

nlohmann::ordered_json AnswerBatch(const BatchRequest& request,
                                   const std::shared_ptr<const Index>& index, Millis now,
                                   HitCounts* counts = nullptr);

}  // namespace entente::match
