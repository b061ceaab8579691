// Fuzzes strict parsing of untrusted JSON and RFC 8785 canonicalization.
// Properties checked on every accepted input (abort() when one fails):
//   - nlohmann's own DOM parser accepts the text too and builds the same
//     value (our SAX builder adds limits and refusals, never other values);
//   - canon(x) is valid UTF-8, parses again, and canon(parse(canon(x))) ==
//     canon(x);
//   - parse(canon(x)) has the value of x (numbers compared as the doubles
//     RFC 8785 makes of them).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jcs/jcs.h"

using namespace entente;
using jcs::Json;

namespace {

bool SameValue(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!SameValue(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameValue(*it, *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = jcs::ParseUntrusted(text, {.max_bytes = 1 << 16, .max_depth = 32});
  if (!j) return 0;

  Json reference = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (reference.is_discarded() || reference != *j) abort();

  auto c1 = jcs::Canonicalize(*j);
  if (!c1) abort();  // parsed text always has a canonical form
  if (!jcs::IsValidUtf8(*c1)) abort();
  auto j2 = jcs::ParseUntrusted(*c1, {.max_bytes = 1 << 20, .max_depth = 32});
  if (!j2) abort();
  if (!SameValue(*j, *j2)) abort();
  auto c2 = jcs::Canonicalize(*j2);
  if (!c2 || *c2 != *c1) abort();
  return 0;
}
