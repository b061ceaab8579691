// Fuzzes strict parsing of untrusted JSON and RFC 8785 canonicalization, with
// the round-trip property: canon(parse(canon(x))) == canon(x).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jcs/jcs.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = jcs::ParseUntrusted(text, {.max_bytes = 1 << 16, .max_depth = 32});
  if (!j) return 0;
  auto c1 = jcs::Canonicalize(*j);
  if (!c1) return 0;  // NaN cannot come from JSON text; nothing else fails
  auto j2 = jcs::ParseUntrusted(*c1, {.max_bytes = 1 << 20, .max_depth = 32});
  if (!j2) abort();
  auto c2 = jcs::Canonicalize(*j2);
  if (!c2 || *c2 != *c1) abort();
  if (!jcs::IsValidUtf8(*c1)) abort();
  return 0;
}
