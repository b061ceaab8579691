// Fuzzes the STIX pattern parser. On every accepted input (abort() when a
// property fails): print(parse(x)) parses again to an equal tree, printing
// that tree gives the same text, and observable extraction runs.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "intel/pattern.h"

using namespace entente::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = ParsePattern(text);
  if (!p) {
    if (p.error().message.empty()) std::abort();
    return 0;
  }
  std::string printed = PrintPattern(*p);
  auto again = ParsePattern(printed);
  if (!again) std::abort();
  if (!(*again == *p)) std::abort();
  if (PrintPattern(*again) != printed) std::abort();
  (void)ExtractObservables(*p);
  return 0;
}
