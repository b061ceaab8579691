// Node-to-node request authentication.
//
// Every federation request carries five headers:
//
//   Entente-Node       the sender's node id (fingerprint of its Ed25519 key)
//   Entente-Date       milliseconds since the Unix epoch, decimal
//   Entente-Nonce      16 random bytes, base64url (22 characters)
//   Entente-Digest     sha-256=<64 lower-case hex> of the body
//   Entente-Signature  base64url Ed25519 signature over SigningString()
//
// The signature covers the method, the canonical target (path and sorted,
// percent-encoded query), the sender and the receiving node ids, the date,
// the nonce and the body digest, so a request cannot be replayed to another
// node, on another path or with another body. The receiver checks it against
// the key it pinned for an ACTIVE peer, refuses dates outside a short window
// and remembers nonces for twice that window. The network address is never
// trusted. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "http/http.h"

namespace entente::federation {

inline constexpr Millis kRequestWindowMs = 60'000;

struct SignedHeaders {
  std::string node;
  Millis date = 0;
  std::string nonce;
  std::string digest;  // hex SHA-256 of the body
  std::string signature;
};

// "/federation/v1/feed?after=3&limit=10": the path, then the query sorted by
// name then value, each percent-encoded.
std::string CanonicalTarget(std::string_view path,
                            const std::multimap<std::string, std::string>& query);

std::string SigningString(std::string_view method, std::string_view target,
                          std::string_view from_node, std::string_view to_node, Millis date,
                          std::string_view nonce, std::string_view digest);

// Headers for a request from `from_node` (secret key `secret`) to `to_node`.
Result<http::Headers> SignRequest(const crypto::SecretBytes& secret, std::string_view from_node,
                                  std::string_view to_node, std::string_view method,
                                  std::string_view target, std::string_view body, Millis now);

// Strict parsing of the five headers (each exactly once, exact formats);
// errors name the header. Untrusted input: fuzzed.
Result<SignedHeaders> ParseSignedHeaders(const http::Headers& headers);

// Checks the body digest, the date window and the signature with
// `public_key`. kUnauthenticated with the reason.
Status VerifySignedRequest(const SignedHeaders& h, std::span<const std::uint8_t> public_key,
                           std::string_view to_node, std::string_view method,
                           std::string_view target, std::string_view body, Millis now);

}  // namespace entente::federation
