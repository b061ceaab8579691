// Fuzzes the base64url and hex decoders (keys, signatures and cursors arrive
// in these encodings): anything accepted must re-encode to the same text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/crypto.h"

using namespace entente;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto b = crypto::Base64UrlDecode(text); b && crypto::Base64UrlEncode(*b) != text) abort();
  if (auto h = crypto::HexDecode(text)) {
    std::string lower(text);
    for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
    if (crypto::HexEncode(*h) != lower) abort();
  }
  // Round trip of arbitrary bytes.
  std::span<const uint8_t> bytes(data, size);
  auto back = crypto::Base64UrlDecode(crypto::Base64UrlEncode(bytes));
  if (!back || !std::equal(back->begin(), back->end(), bytes.begin(), bytes.end())) abort();
  return 0;
}
