// Fuzzes what correlation and sightings read from outside: observable
// values (from patterns and cyber observables of imported bundles) through
// ObservableKeyOf, and sighting inputs of API bodies through
// SightingInputFromJson. Properties (abort() when one fails): a key's value
// normalises to itself (idempotence, so postings written at import and keys
// looked up at query time agree); ranges are present exactly for domains
// and addresses and lo <= hi.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "intel/correlation.h"
#include "intel/sighting.h"
#include "jcs/jcs.h"

using namespace entente::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const char* kTypes[] = {"domain-name", "ipv4-addr", "ipv6-addr", "url",
                                 "email-addr",  "file-hash", "file-hash"};
  static const char* kAlgorithms[] = {"", "", "", "", "", "SHA-256", "SHA3-512"};
  for (size_t t = 0; t < std::size(kTypes); ++t) {
    Observable o{kTypes[t], std::string(text), kAlgorithms[t]};
    auto k = ObservableKeyOf(o);
    if (!k) continue;
    if (k->value.empty()) std::abort();
    auto again = ObservableKeyOf(Observable{kTypes[t], k->value, kAlgorithms[t]});
    if (!again || !(*again == *k)) std::abort();
    const bool ranged = k->kind == "domain" || k->kind == "ipv4" || k->kind == "ipv6";
    if (ranged != k->range_lo.has_value()) std::abort();
    if (k->range_hi && (!k->range_lo || *k->range_hi < *k->range_lo)) std::abort();
  }
  // The same bytes as a sighting input of an API body.
  auto j = entente::jcs::ParseUntrusted(text);
  if (j) {
    auto in = SightingInputFromJson(*j, "sightings/0");
    if (!in && in.error().field.empty()) std::abort();
  }
  return 0;
}
