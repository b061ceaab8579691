// Fuzzes the TAXII 2.1 parsers of untrusted input (taxii/query.h): the
// query string of the collection endpoints (added_after, limit, next,
// match[...]) for each endpoint, the `next` cursor, timestamps, Accept and
// Content-Type headers and Basic credentials. Properties (abort() when one
// fails): an accepted query has a limit in [1, kMaxLimit] and its cursor
// re-encodes; a cursor that decodes re-encodes to the same text (one
// spelling per value); a parsed timestamp formats and parses back to the
// same millisecond.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "taxii/query.h"

using namespace entente::taxii;

namespace {

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto endpoint = static_cast<Endpoint>(data[0] % 5);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  // "name=value&name=value" as the HTTP layer hands it over (decoded).
  std::multimap<std::string, std::string> params;
  size_t start = 0;
  while (start <= text.size()) {
    size_t amp = text.find('&', start);
    std::string_view part = text.substr(start, amp == std::string_view::npos ? amp : amp - start);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      params.emplace(std::string(part), "");
    else
      params.emplace(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  auto q = ParseQuery(params, endpoint);
  if (q) {
    if (q->limit < 1 || q->limit > kMaxLimit) std::abort();
    if (q->after_seq != 0) {
      auto back = DecodeCursor(EncodeCursor(q->after_seq));
      if (!back || *back != q->after_seq) std::abort();
    }
    if (q->version.all && (q->version.first || q->version.last || !q->version.keys.empty()))
      std::abort();
  } else if (q.error().message.empty()) {
    std::abort();
  }

  if (auto c = DecodeCursor(text)) {
    if (EncodeCursor(*c) != text) std::abort();
  }
  if (auto us = ParseTimestampMicros(text)) {
    std::int64_t ms = FloorDiv(*us, 1000);
    auto again = ParseTimestampMicros(FormatTimestamp(ms));
    if (!again || *again != ms * 1000) std::abort();
  }
  (void)AcceptsTaxii(text, endpoint == Endpoint::kObjects);
  (void)IsTaxiiContentType(text);
  (void)ParseBasicAuthorization(text);
  return 0;
}
