// Fuzzes offline receipt verification (`entente verify receipt`), which reads
// a receipt file from anyone: decoding must never crash, and nothing random
// may verify under a fixed key.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/crypto.h"
#include "jcs/jcs.h"
#include "transparency/log.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = crypto::Init().has_value();
  if (!init) abort();
  static const auto key = crypto::GenerateSigningKey();
  auto j = jcs::ParseUntrusted(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!j) return 0;
  if (transparency::VerifyReceipt(*j, key.public_key)) abort();
  if (j->is_object() && j->contains("sth"))
    (void)transparency::SignedTreeHead::FromJson((*j)["sth"]);
  return 0;
}
