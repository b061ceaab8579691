// Cryptography for Entente, behind one interface over libsodium.
//
// - Ed25519 signatures (organisation and node identities)
// - X25519 sealed wrapping of content keys for recipient organisations
// - XChaCha20-Poly1305 (IETF) for content and for private keys at rest
// - SHA-256, BLAKE2b, Argon2id password hashing, random tokens
//
// All functions are thread-safe once Init() has succeeded (call it once at
// start; calling it again is harmless). Secret material lives in SecretBytes,
// which is wiped with sodium_memzero when destroyed. Failures that depend on
// input (bad key length, failed decryption, bad signature) are Results, never
// exceptions or aborts.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace entente::crypto {

using Bytes = std::vector<std::uint8_t>;

// Owns secret bytes; wiped on destruction and on move-from. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n);
  SecretBytes(const std::uint8_t* p, size_t n);
  ~SecretBytes();
  SecretBytes(SecretBytes&& o) noexcept;
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  void Wipe();
  std::vector<std::uint8_t> bytes_;
};

Status Init();

// ---- encodings --------------------------------------------------------------
std::string HexEncode(std::span<const std::uint8_t> b);
Result<Bytes> HexDecode(std::string_view hex);
// RFC 4648 base64url without padding.
std::string Base64UrlEncode(std::span<const std::uint8_t> b);
Result<Bytes> Base64UrlDecode(std::string_view s);
inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ---- hashing and randomness -------------------------------------------------
std::array<std::uint8_t, 32> Sha256(std::span<const std::uint8_t> data);
std::array<std::uint8_t, 32> Blake2b256(std::span<const std::uint8_t> data);
void RandomFill(std::span<std::uint8_t> out);
// `nbytes` random bytes, base64url encoded (e.g. 32 -> 256-bit token).
std::string RandomToken(size_t nbytes = 32);
// Constant-time comparison; false when sizes differ.
bool ConstantTimeEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// ---- Ed25519 ----------------------------------------------------------------
constexpr size_t kSignPublicKeyBytes = 32;
constexpr size_t kSignSecretKeyBytes = 64;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kSeedBytes = 32;

struct SigningKeyPair {
  std::array<std::uint8_t, kSignPublicKeyBytes> public_key{};
  SecretBytes secret_key;  // 64 bytes (libsodium layout: seed || public key)
};

SigningKeyPair GenerateSigningKey();
Result<SigningKeyPair> SigningKeyFromSeed(std::span<const std::uint8_t> seed32);
// Detached signature over `message`. Fails only on a malformed secret key.
Result<std::array<std::uint8_t, kSignatureBytes>> Sign(const SecretBytes& secret_key,
                                                       std::span<const std::uint8_t> message);
// True only for a valid signature by `public_key` (wrong sizes are false).
bool Verify(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
            std::span<const std::uint8_t> signature);
// Fingerprint of a public key: lower-case hex SHA-256 of the raw key (64 chars).
std::string Fingerprint(std::span<const std::uint8_t> public_key);

// ---- X25519 and sealing -----------------------------------------------------
constexpr size_t kBoxPublicKeyBytes = 32;
constexpr size_t kBoxSecretKeyBytes = 32;

struct BoxKeyPair {
  std::array<std::uint8_t, kBoxPublicKeyBytes> public_key{};
  SecretBytes secret_key;  // 32 bytes
};
BoxKeyPair GenerateBoxKey();

struct WrappedKey {
  std::string recipient;  // recipient organisation id (opaque here)
  Bytes wrapped;          // crypto_box_seal of the content key
};
struct Sealed {
  std::vector<WrappedKey> recipients;
  Bytes nonce;       // 24 bytes
  Bytes ciphertext;  // XChaCha20-Poly1305 IETF, tag included
};
struct Recipient {
  std::string id;
  std::span<const std::uint8_t> box_public_key;
};
// Encrypts `plaintext` under a fresh random content key, wrapped for every
// recipient. `aad` is authenticated, not encrypted. kInvalidArgument on a bad
// public key (wrong size, or a low-order point), an id listed twice or an
// empty recipient list.
Result<Sealed> Seal(std::span<const std::uint8_t> plaintext,
                    const std::vector<Recipient>& recipients,
                    std::span<const std::uint8_t> aad = {});
// Opens `sealed` as recipient `id` with its key pair. kPermissionDenied when
// `id` is not a recipient, kDataLoss when anything fails to authenticate.
Result<SecretBytes> Open(const Sealed& sealed, std::string_view id, const BoxKeyPair& keys,
                         std::span<const std::uint8_t> aad = {});

// ---- symmetric encryption at rest ------------------------------------------
constexpr size_t kSymmetricKeyBytes = 32;
// Output: 24-byte nonce || ciphertext || 16-byte tag.
Result<Bytes> EncryptAtRest(const SecretBytes& key, std::span<const std::uint8_t> plaintext,
                            std::span<const std::uint8_t> aad = {});
// kDataLoss on a wrong key, changed byte or wrong aad.
Result<SecretBytes> DecryptAtRest(const SecretBytes& key, std::span<const std::uint8_t> box,
                                  std::span<const std::uint8_t> aad = {});
SecretBytes GenerateSymmetricKey();

// ---- passwords --------------------------------------------------------------
// Argon2id, libsodium's encoded string (includes salt and parameters).
// Uses interactive limits. kInvalidArgument for empty or over-long passwords.
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);

}  // namespace entente::crypto
