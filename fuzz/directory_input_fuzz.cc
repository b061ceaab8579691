// Fuzzes the JSON request decoders of the directory (organisation and point
// of contact input), as the API applies them to untrusted bodies.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "directory/directory.h"
#include "jcs/jcs.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = jcs::ParseUntrusted(text);
  if (!j) return 0;
  auto o = directory::DecodeOrgInput(*j, nullptr);
  if (o) {
    // Accepted input must serialise and canonicalise.
    if (!jcs::Canonicalize(o->ToJson())) abort();
    // Re-decoding the editable fields of the result must succeed.
    nlohmann::json again = {{"kind", o->kind},
                            {"names", o->names},
                            {"groupings", o->groupings},
                            {"sectors", o->sectors}};
    if (o->country) again["country"] = *o->country;
    if (o->website) again["website"] = *o->website;
    auto o2 = directory::DecodeOrgInput(again, nullptr);
    if (!o2 || o2->names != o->names || o2->sectors != o->sectors) abort();
  }
  auto p = directory::DecodePocInput(*j, nullptr);
  if (p && !jcs::Canonicalize(p->ToJson(true))) abort();
  return 0;
}
