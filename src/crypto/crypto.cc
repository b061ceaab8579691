#include "crypto/crypto.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace entente::crypto {

// ---- SecretBytes -----------------------------------------------------------

SecretBytes::SecretBytes(size_t n) : bytes_(n) {}
SecretBytes::SecretBytes(const std::uint8_t* p, size_t n) : bytes_(p, p + n) {}
SecretBytes::~SecretBytes() { Wipe(); }
SecretBytes::SecretBytes(SecretBytes&& o) noexcept : bytes_(std::move(o.bytes_)) { o.Wipe(); }
SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    Wipe();
    bytes_ = std::move(o.bytes_);
    o.Wipe();
  }
  return *this;
}
void SecretBytes::Wipe() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
  bytes_.clear();
}

Status Init() {
  if (sodium_init() < 0) return Fail(ErrorCode::kInternal, "libsodium failed to initialise");
  return Ok();
}

// ---- encodings --------------------------------------------------------------

std::string HexEncode(std::span<const std::uint8_t> b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (auto c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

namespace {
int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2) return Invalid("hex string has an odd length");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexVal(hex[2 * i]), lo = HexVal(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Invalid("not a hexadecimal string");
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string Base64UrlEncode(std::span<const std::uint8_t> b) {
  static constexpr char kAlpha[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((b.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    std::uint32_t v = b[i] << 16 | b[i + 1] << 8 | b[i + 2];
    out.push_back(kAlpha[v >> 18 & 63]);
    out.push_back(kAlpha[v >> 12 & 63]);
    out.push_back(kAlpha[v >> 6 & 63]);
    out.push_back(kAlpha[v & 63]);
  }
  if (b.size() - i == 1) {
    std::uint32_t v = b[i] << 16;
    out.push_back(kAlpha[v >> 18 & 63]);
    out.push_back(kAlpha[v >> 12 & 63]);
  } else if (b.size() - i == 2) {
    std::uint32_t v = b[i] << 16 | b[i + 1] << 8;
    out.push_back(kAlpha[v >> 18 & 63]);
    out.push_back(kAlpha[v >> 12 & 63]);
    out.push_back(kAlpha[v >> 6 & 63]);
  }
  return out;
}

namespace {
// Value of each base64url character, or -1.
constexpr std::array<std::int8_t, 256> kBase64UrlValues = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<std::int8_t>(i);
    t['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<std::int8_t>(52 + i);
  t['-'] = 62;
  t['_'] = 63;
  return t;
}();
}  // namespace

Result<Bytes> Base64UrlDecode(std::string_view s) {
  if (s.size() % 4 == 1) return Invalid("not base64url: impossible length");
  const auto* in = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  Bytes out(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
  auto* o = out.data();
  size_t i = 0;
  // Whole quanta: four characters, three bytes.
  for (; i + 4 <= n; i += 4) {
    const int a = kBase64UrlValues[in[i]], b = kBase64UrlValues[in[i + 1]],
              c = kBase64UrlValues[in[i + 2]], d = kBase64UrlValues[in[i + 3]];
    if ((a | b | c | d) < 0) return Invalid("not base64url (unpadded, alphabet A-Z a-z 0-9 - _)");
    const std::uint32_t v = static_cast<std::uint32_t>(a) << 18 |
                            static_cast<std::uint32_t>(b) << 12 |
                            static_cast<std::uint32_t>(c) << 6 | static_cast<std::uint32_t>(d);
    *o++ = static_cast<std::uint8_t>(v >> 16);
    *o++ = static_cast<std::uint8_t>(v >> 8);
    *o++ = static_cast<std::uint8_t>(v);
  }
  // The tail: two or three characters, one or two bytes; the bits left over
  // must be zero (canonical encoding).
  if (const size_t rest = n - i; rest > 0) {
    std::uint32_t v = 0;
    for (size_t k = 0; k < rest; ++k) {
      const int x = kBase64UrlValues[in[i + k]];
      if (x < 0) return Invalid("not base64url (unpadded, alphabet A-Z a-z 0-9 - _)");
      v = v << 6 | static_cast<std::uint32_t>(x);
    }
    if (rest == 2) {
      if ((v & 0xF) != 0) return Invalid("not canonical base64url");
      *o++ = static_cast<std::uint8_t>(v >> 4);
    } else {
      if ((v & 0x3) != 0) return Invalid("not canonical base64url");
      *o++ = static_cast<std::uint8_t>(v >> 10);
      *o++ = static_cast<std::uint8_t>(v >> 2);
    }
  }
  return out;
}

// ---- hashing and randomness -------------------------------------------------

std::array<std::uint8_t, 32> Sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

std::array<std::uint8_t, 32> Blake2b256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out{};
  crypto_generichash(out.data(), out.size(), data.data(), data.size(), nullptr, 0);
  return out;
}

void RandomFill(std::span<std::uint8_t> out) {
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

std::string RandomToken(size_t nbytes) {
  Bytes b(nbytes);
  RandomFill(b);
  std::string s = Base64UrlEncode(b);
  if (!b.empty()) sodium_memzero(b.data(), b.size());
  return s;
}

bool ConstantTimeEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- Ed25519 ----------------------------------------------------------------

SigningKeyPair GenerateSigningKey() {
  SigningKeyPair kp;
  kp.secret_key = SecretBytes(kSignSecretKeyBytes);
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

Result<SigningKeyPair> SigningKeyFromSeed(std::span<const std::uint8_t> seed32) {
  if (seed32.size() != kSeedBytes) return Invalid("an Ed25519 seed is 32 bytes");
  SigningKeyPair kp;
  kp.secret_key = SecretBytes(kSignSecretKeyBytes);
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed32.data());
  return kp;
}

Result<std::array<std::uint8_t, kSignatureBytes>> Sign(const SecretBytes& secret_key,
                                                       std::span<const std::uint8_t> message) {
  if (secret_key.size() != kSignSecretKeyBytes) return Invalid("an Ed25519 secret key is 64 bytes");
  std::array<std::uint8_t, kSignatureBytes> sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key.data());
  return sig;
}

bool Verify(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
            std::span<const std::uint8_t> signature) {
  if (public_key.size() != kSignPublicKeyBytes || signature.size() != kSignatureBytes) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

std::string Fingerprint(std::span<const std::uint8_t> public_key) {
  return HexEncode(Sha256(public_key));
}

// ---- X25519 and sealing -----------------------------------------------------

BoxKeyPair GenerateBoxKey() {
  BoxKeyPair kp;
  kp.secret_key = SecretBytes(kBoxSecretKeyBytes);
  crypto_box_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

namespace {
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
}  // namespace

Result<Sealed> Seal(std::span<const std::uint8_t> plaintext,
                    const std::vector<Recipient>& recipients, std::span<const std::uint8_t> aad) {
  if (recipients.empty()) return Invalid("a sealed message needs at least one recipient");
  SecretBytes key = GenerateSymmetricKey();
  Sealed s;
  for (const auto& r : recipients) {
    // Open() finds a recipient by id, so an id listed twice could not open.
    if (std::any_of(s.recipients.begin(), s.recipients.end(),
                    [&](const WrappedKey& w) { return w.recipient == r.id; }))
      return Invalid("recipient " + r.id + " is listed twice");
    if (r.box_public_key.size() != kBoxPublicKeyBytes)
      return Invalid("recipient " + r.id + " has no valid X25519 public key");
    Bytes wrapped(crypto_box_SEALBYTES + key.size());
    if (crypto_box_seal(wrapped.data(), key.data(), key.size(), r.box_public_key.data()) != 0)
      return Invalid("cannot wrap the content key for recipient " + r.id);
    s.recipients.push_back({r.id, std::move(wrapped)});
  }
  s.nonce.resize(kNonce);
  RandomFill(s.nonce);
  s.ciphertext.resize(plaintext.size() + kTag);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(s.ciphertext.data(), &clen, plaintext.data(),
                                             plaintext.size(), aad.data(), aad.size(), nullptr,
                                             s.nonce.data(), key.data());
  s.ciphertext.resize(clen);
  return s;
}

Result<SecretBytes> Open(const Sealed& sealed, std::string_view id, const BoxKeyPair& keys,
                         std::span<const std::uint8_t> aad) {
  auto it = std::find_if(sealed.recipients.begin(), sealed.recipients.end(),
                         [&](const WrappedKey& w) { return w.recipient == id; });
  if (it == sealed.recipients.end())
    return Fail(ErrorCode::kPermissionDenied, "not a recipient of this message");
  if (it->wrapped.size() != crypto_box_SEALBYTES + kSymmetricKeyBytes ||
      keys.secret_key.size() != kBoxSecretKeyBytes)
    return Fail(ErrorCode::kDataLoss, "wrapped key is malformed");
  SecretBytes key(kSymmetricKeyBytes);
  if (crypto_box_seal_open(key.data(), it->wrapped.data(), it->wrapped.size(),
                           keys.public_key.data(), keys.secret_key.data()) != 0)
    return Fail(ErrorCode::kDataLoss, "cannot unwrap the content key");
  if (sealed.nonce.size() != kNonce || sealed.ciphertext.size() < kTag)
    return Fail(ErrorCode::kDataLoss, "sealed message is malformed");
  SecretBytes out(sealed.ciphertext.size() - kTag);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &mlen, nullptr, sealed.ciphertext.data(), sealed.ciphertext.size(),
          aad.data(), aad.size(), sealed.nonce.data(), key.data()) != 0)
    return Fail(ErrorCode::kDataLoss, "sealed message does not authenticate");
  return out;
}

// ---- symmetric at rest --------------------------------------------------------

SecretBytes GenerateSymmetricKey() {
  SecretBytes k(kSymmetricKeyBytes);
  crypto_aead_xchacha20poly1305_ietf_keygen(k.data());
  return k;
}

Result<Bytes> EncryptAtRest(const SecretBytes& key, std::span<const std::uint8_t> plaintext,
                            std::span<const std::uint8_t> aad) {
  if (key.size() != kSymmetricKeyBytes) return Invalid("a symmetric key is 32 bytes");
  Bytes out(kNonce + plaintext.size() + kTag);
  RandomFill(std::span(out.data(), kNonce));
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kNonce, &clen, plaintext.data(),
                                             plaintext.size(), aad.data(), aad.size(), nullptr,
                                             out.data(), key.data());
  out.resize(kNonce + clen);
  return out;
}

Result<SecretBytes> DecryptAtRest(const SecretBytes& key, std::span<const std::uint8_t> box,
                                  std::span<const std::uint8_t> aad) {
  if (key.size() != kSymmetricKeyBytes) return Invalid("a symmetric key is 32 bytes");
  if (box.size() < kNonce + kTag) return Fail(ErrorCode::kDataLoss, "ciphertext is too short");
  SecretBytes out(box.size() - kNonce - kTag);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &mlen, nullptr, box.data() + kNonce,
                                                 box.size() - kNonce, aad.data(), aad.size(),
                                                 box.data(), key.data()) != 0)
    return Fail(ErrorCode::kDataLoss, "ciphertext does not authenticate (wrong key or altered)");
  return out;
}

// ---- passwords --------------------------------------------------------------

Result<std::string> HashPassword(std::string_view password) {
  if (password.empty()) return Invalid("password must not be empty", "password");
  if (password.size() > 1024) return Invalid("password must be at most 1024 bytes", "password");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Fail(ErrorCode::kResourceExhausted, "out of memory while hashing a password");
  return std::string(out);
}

bool VerifyPassword(std::string_view encoded_hash, std::string_view password) {
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES ||
      password.size() > 1024)
    return false;
  std::string h(encoded_hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace entente::crypto
