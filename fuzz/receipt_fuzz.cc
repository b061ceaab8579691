// Fuzzes the receipt decoder and offline verifier behind `entente verify
// receipt`, which reads receipt files from anyone: decoding must never crash,
// nothing random may verify under a fixed key, and a decoded receipt
// round-trips (decode, encode, decode gives the same receipt).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/crypto.h"
#include "transparency/receipt.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = crypto::Init().has_value();
  if (!init) abort();
  static const auto key = crypto::GenerateSigningKey();
  auto receipt =
      transparency::ParseReceipt(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!receipt) return 0;
  if (transparency::VerifyReceipt(*receipt, key.public_key)) abort();
  // Verify against the key the receipt names: exercises every later check.
  (void)transparency::VerifyReceipt(*receipt, receipt->node_public_key);
  auto again = transparency::Receipt::FromJson(receipt->ToJson());
  if (!again || !(*again == *receipt)) abort();
  return 0;
}
