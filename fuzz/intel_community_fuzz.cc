// Fuzzes the decoder of community charters (intel::DecodeCharter), which
// reads untrusted API bodies and the bodies of community.charter envelopes
// received from other nodes. Accepted charters must round-trip through
// ToJson unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "intel/community.h"
#include "jcs/jcs.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = jcs::ParseUntrusted(text);
  if (!j) return 0;
  auto c = intel::DecodeCharter(*j, "body.charter");
  if (!c) return 0;
  nlohmann::json out = c->ToJson();
  if (!jcs::Canonicalize(out)) abort();
  auto again = intel::DecodeCharter(out);
  if (!again || again->ToJson() != out) abort();
  return 0;
}
