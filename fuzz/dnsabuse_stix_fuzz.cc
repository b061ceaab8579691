// Fuzzes the STIX bundle reader of the DNS abuse observatory (STIX
// indicators as feeds): no crash; every indicator is accounted for once, and
// no line of a feed spans lines.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dnsabuse/stix_feed.h"

using namespace entente::dnsabuse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = StixBundleToFeeds(text, 19'783);  // 2024-03-01
  if (!r) return 0;
  const auto accounted = r->used + r->revoked + r->not_valid + r->uncategorised + r->benign +
                         r->other_pattern_type + r->bad_pattern;
  if (accounted > r->indicators || r->indicators > r->objects) abort();
  for (const auto& lines : r->lines)
    for (const auto& l : lines)
      if (l.empty() || l.find('\n') != std::string::npos) abort();
  return 0;
}
