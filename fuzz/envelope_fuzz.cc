// Fuzzes the strict envelope decoder (what every node applies to envelopes
// from peers) and the signature check: a decoded envelope must round-trip
// through its canonical form, and must never verify under a random key.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/crypto.h"
#include "jcs/jcs.h"
#include "journal/envelope.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = crypto::Init().has_value();
  if (!init) abort();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = jcs::ParseUntrusted(text);
  if (!j) return 0;
  auto env = journal::Envelope::FromJson(*j);
  if (!env) return 0;
  auto canon = env->Canonical();
  if (!canon) return 0;  // e.g. a number beyond 2^53 inside the body
  auto j2 = jcs::ParseUntrusted(*canon, {.max_bytes = 8u << 20, .max_depth = 64});
  if (!j2) abort();
  auto env2 = journal::Envelope::FromJson(*j2);
  if (!env2) abort();
  if (env2->Canonical().value_or("") != *canon) abort();
  static const auto key = crypto::GenerateSigningKey();
  if (journal::VerifyEnvelope(*env, key.public_key)) abort();
  return 0;
}
