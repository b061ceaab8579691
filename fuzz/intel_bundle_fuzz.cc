// Fuzzes the bundle importer's validation path: the streaming envelope
// reader, the per-object strict JSON parser and the STIX validator (schemas
// and specification rules), with small limits. Every rejection must carry a
// message; nothing may crash, hang or leak. Differential: the validator
// gives the same answer with and without the hand-written checks of the
// common shapes (fast_shape.h), and whatever those accept the interpreted
// schema accepts.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "intel/stix.h"

using namespace entente;
using namespace entente::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  BundleLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_objects = 1000;
  limits.max_object_bytes = 1 << 18;
  limits.max_depth = 16;
  const auto& validator = StixValidator::Default();
  auto env = ReadBundle(text, limits, [&](size_t, std::string_view object) -> Status {
    auto j = ParseObject(object, limits);
    if (!j) {
      if (j.error().message.empty()) std::abort();
      return Ok();
    }
    auto problem = validator.Validate(*j);
    if (problem && problem->reason.empty()) std::abort();
    ValidationOptions interpreted;
    interpreted.fast_shapes = false;
    auto reference = validator.Validate(*j, interpreted);
    if (problem.has_value() != reference.has_value()) std::abort();
    if (problem && (problem->path != reference->path || problem->reason != reference->reason))
      std::abort();
    ValidationOptions interop;
    interop.interop_profile = true;
    (void)validator.Validate(*j, interop);
    return Ok();
  });
  if (!env && env.error().message.empty()) std::abort();
  return 0;
}
