// Indicator files (the first byte picks plain, CSV, JSON lines, STIX or
// auto) and the STIX pattern reading (StixPatternValues); whatever loads is indexed and
// exported.
#include <cstdint>
#include <string_view>

#include "match/export.h"
#include "match/index.h"
#include "match/indicator_io.h"

using namespace entente::match;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* kFormats[] = {"plain", "csv", "jsonl", "stix", "auto"};
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)StixPatternValues(text);
  auto r = LoadIndicators(text, kFormats[data[0] % 5], {}, "fuzz");
  if (!r) return 0;
  auto ix = Index::Build(r->indicators);
  if (!ix) return 0;
  ExportOptions o;
  ExportStats st;
  (void)ExportRpz(r->indicators, o, st);
  (void)ExportCsv(r->indicators, o, st);
  (void)ExportZeekIntel(r->indicators, o, st);
  return 0;
}
