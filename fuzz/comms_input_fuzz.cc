// Fuzzes what communications read from untrusted sources: the sealed member
// of comms.message envelopes and comms.event bodies from peers (read as the
// appliers read them), and message fields from API clients (validated
// against every template). None may crash; a field object a template
// accepts must be accepted again in its normalised form, unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "comms/comms.h"
#include "comms/templates.h"
#include "jcs/jcs.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = jcs::ParseUntrusted(text);
  if (!j) return 0;
  (void)comms::ReadSealedMessage(*j);
  (void)comms::ReadEventBody(*j);
  const auto& templates = comms::TemplateSet::Embedded();
  comms::FieldContext ctx;
  ctx.is_own_poc = [](const std::string& id) { return id.size() == 36 && id[14] == '7'; };
  for (const auto& kind : templates.Kinds()) {
    const comms::Template* t = templates.Latest(kind);
    auto normal = templates.Validate(*t, *j, ctx);
    if (!normal) continue;
    auto again = templates.Validate(*t, *normal, ctx);
    if (!again || *again != *normal) abort();
  }
  return 0;
}
