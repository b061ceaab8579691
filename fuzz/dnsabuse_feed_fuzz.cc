// Fuzzes every feed reader (domain lists, URL lists, hosts files, CSV, RPZ;
// the first byte picks the format and the CSV column): no crash, and the
// accounting adds up: every listed entry is either a distinct registrable
// domain or a duplicate, and every registrable domain is a lower-case
// A-label name.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dnsabuse/feeds.h"

using namespace entente::dnsabuse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const DomainNormalizer normalizer;
  if (size == 0) return 0;
  FeedSpec spec;
  spec.source = "fuzz";
  spec.format = static_cast<FeedFormat>(data[0] % 5);
  spec.csv_column = (data[0] >> 3) % 4;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  FeedData d = ParseFeedText(text, spec, normalizer);
  if (d.listed != d.entries.size() + d.duplicates) abort();
  if (d.issues.size() > d.invalid) abort();
  for (const auto& e : d.entries) {
    if (e.registrable.empty() || e.registrable.find('.') == std::string::npos) abort();
    for (char c : e.registrable)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
        abort();
  }
  return 0;
}
