// Value normalisers: whatever they accept must be a fixed point (normalising
// the output again gives the same text), and matching must not crash.
#include <cstdint>
#include <string>
#include <string_view>

#include "match/index.h"
#include "match/normalize.h"

using namespace entente::match;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto d = NormalizeDomain(in)) {
    auto again = NormalizeDomain(*d);
    if (!again || *again != *d) __builtin_trap();
  }
  std::string fast;
  if (NormalizeDomainFast(in, fast)) {
    auto slow = NormalizeDomain(in);
    if (!slow || *slow != fast) __builtin_trap();
  }
  if (auto p = ParseIp(in)) {
    auto again = ParseIp(p->ToString());
    if (!again || !(*again == *p)) __builtin_trap();
  }
  if (auto u = NormalizeUrl(in)) {
    auto again = NormalizeUrl(*u);
    if (!again || *again != *u) __builtin_trap();
    (void)UrlHost(*u);
  }
  if (auto e = NormalizeEmail(in)) {
    auto again = NormalizeEmail(*e);
    if (!again || *again != *e) __builtin_trap();
  }
  (void)ParseHexHash(in);
  return 0;
}
