#include "auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace entente::auth {

std::string TotpCode(std::span<const std::uint8_t> secret, std::int64_t unix_seconds, int digits) {
  std::uint64_t step = static_cast<std::uint64_t>(unix_seconds / 30);
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(step & 0xFF);
    step >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg, mac, &len);
  int offset = mac[len - 1] & 0x0F;
  std::uint32_t bin =
      (mac[offset] & 0x7F) << 24 | mac[offset + 1] << 16 | mac[offset + 2] << 8 | mac[offset + 3];
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string code = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::optional<std::int64_t> TotpCheck(std::span<const std::uint8_t> secret, std::string_view code,
                                      std::int64_t unix_seconds) {
  if (code.size() != 6) return std::nullopt;
  for (char c : code)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  for (int delta : {0, -1, 1}) {
    std::int64_t t = unix_seconds + delta * 30;
    std::string expected = TotpCode(secret, t);
    // Constant-time comparison of equal-length strings.
    unsigned char diff = 0;
    for (size_t i = 0; i < 6; ++i) diff |= static_cast<unsigned char>(expected[i] ^ code[i]);
    if (diff == 0) return t / 30;
  }
  return std::nullopt;
}

std::string Base32Encode(std::span<const std::uint8_t> b) {
  static constexpr char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto c : b) {
    acc = acc << 8 | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlpha[(acc >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlpha[(acc << (5 - bits)) & 31]);
  return out;
}

Result<std::vector<std::uint8_t>> Base32Decode(std::string_view s) {
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : s) {
    if (ch == '=' || ch == ' ') continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else
      return Invalid("not base32");
    acc = acc << 5 | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>((acc >> (bits - 8)) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace entente::auth
