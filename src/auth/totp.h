// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30-second steps,
// 6 digits), as authenticator apps implement them, and RFC 4648 base32 for
// the shared secret. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace entente::auth {

// The code for `unix_seconds` (step = floor(t / 30)) with `digits` digits.
std::string TotpCode(std::span<const std::uint8_t> secret, std::int64_t unix_seconds,
                     int digits = 6);
// Checks `code` at the current step and one step either side. Returns the
// matched step (callers store it to refuse replays), or nullopt.
std::optional<std::int64_t> TotpCheck(std::span<const std::uint8_t> secret, std::string_view code,
                                      std::int64_t unix_seconds);

std::string Base32Encode(std::span<const std::uint8_t> b);
Result<std::vector<std::uint8_t>> Base32Decode(std::string_view s);

}  // namespace entente::auth
