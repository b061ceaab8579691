#include "core/ids.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <mutex>

namespace entente {

namespace {
std::mutex g_mu;
Millis g_last_ms = 0;
std::uint16_t g_seq = 0;  // 12-bit counter in rand_a, reseeded each new millisecond
}  // namespace

std::string NewUuidV7(const Clock& clock) {
  std::array<std::uint8_t, 16> b{};
  randombytes_buf(b.data(), b.size());
  Millis ms = clock.NowMillis();
  std::uint16_t seq;
  {
    std::lock_guard lock(g_mu);
    if (ms <= g_last_ms) {
      // Same or earlier millisecond (clock went back): keep monotonic.
      ms = g_last_ms;
      if (++g_seq > 0x0FFF) {
        ++ms;
        g_seq = 0;
      }
    } else {
      g_seq = static_cast<std::uint16_t>(randombytes_uniform(0x0800));  // leave headroom
    }
    g_last_ms = ms;
    seq = g_seq;
  }
  std::uint64_t t = static_cast<std::uint64_t>(ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(t >> (8 * (5 - i)));
  b[6] = static_cast<std::uint8_t>(0x70 | ((seq >> 8) & 0x0F));
  b[7] = static_cast<std::uint8_t>(seq & 0xFF);
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xF]);
  }
  return out;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace entente
