// Value normalisers shared by the index, the log readers and the exports.
//
// Every function takes untrusted text and either returns the canonical form
// or an InvalidArgument error saying what is wrong and where (byte offset).
// UTF-8 is checked with jcs::IsValidUtf8 (the one validator of the project).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace entente::match {

// Domain names: trailing dot removed, ASCII lowercased, internationalised
// names (UTF-8) converted to their A-label form (IDNA2008 / UTS #46
// non-transitional, via libidn2). Labels 1..63 bytes of [a-z0-9_-] (a
// leading "*." wildcard is not accepted here), whole name at most 253 bytes,
// at least one label. "xn--" labels are checked by decoding them.
Result<std::string> NormalizeDomain(std::string_view in);

// Quick ASCII-only path used on hot loops: lowercases and strips the trailing
// dot into `out` when `in` is plain ASCII hostname syntax; returns false when
// the slow path (NormalizeDomain) is needed or the name is invalid.
bool NormalizeDomainFast(std::string_view in, std::string& out);

// An IPv4 or IPv6 address or CIDR range. Host bits beyond the prefix are
// cleared. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are kept as IPv6.
struct IpPrefix {
  bool v6 = false;
  std::uint8_t prefix = 32;             // 0..32 or 0..128
  std::array<std::uint8_t, 16> addr{};  // network byte order; IPv4 in the first 4 bytes
  int Bytes() const { return v6 ? 16 : 4; }
  int MaxPrefix() const { return v6 ? 128 : 32; }
  std::string ToString() const;  // "1.2.3.0/24", "2001:db8::/32", bare address when full length
  bool operator==(const IpPrefix&) const = default;
};
// "1.2.3.4", "1.2.3.0/24", "2001:db8::1", "2001:db8::/32", "[2001:db8::1]".
Result<IpPrefix> ParseIp(std::string_view in);
// The prefix with the host bits beyond `len` cleared.
IpPrefix Masked(const IpPrefix& p, int len);

// URLs: scheme and host lowercased, host normalised as a domain (or an IP
// literal), default port (80 for http, 443 for https) removed, fragment
// removed, empty path written as "/". Path and query are kept byte for byte.
// A URL without "scheme://" is taken as http.
Result<std::string> NormalizeUrl(std::string_view in);
// The host of a normalised URL (domain or IP literal without brackets).
std::string_view UrlHost(std::string_view normalized_url);

// Email addresses: local@domain, lowercased, the domain normalised.
Result<std::string> NormalizeEmail(std::string_view in);

// Hex hashes: 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits, any case.
// Returns the raw bytes.
Result<std::string> ParseHexHash(std::string_view in);

}  // namespace entente::match
