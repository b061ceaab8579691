#include "federation/signed_request.h"

#include <algorithm>
#include <vector>

namespace entente::federation {

namespace {

std::string Digest(std::string_view body) {
  return crypto::HexEncode(crypto::Sha256(crypto::AsBytes(body)));
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsBase64Url(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

Result<std::string> One(const http::Headers& headers, const std::string& name) {
  auto n = headers.count(name);
  if (n == 0) return Fail(ErrorCode::kUnauthenticated, "missing header", name);
  if (n > 1) return Fail(ErrorCode::kUnauthenticated, "header given more than once", name);
  std::string v = headers.find(name)->second;
  if (v.size() > 256) return Fail(ErrorCode::kUnauthenticated, "header too long", name);
  return v;
}

}  // namespace

std::string CanonicalTarget(std::string_view path,
                            const std::multimap<std::string, std::string>& query) {
  std::vector<std::pair<std::string, std::string>> q(query.begin(), query.end());
  std::sort(q.begin(), q.end());
  std::string out(path);
  char sep = '?';
  for (const auto& [k, v] : q) {
    out += sep;
    out += http::UrlEncode(k);
    out += '=';
    out += http::UrlEncode(v);
    sep = '&';
  }
  return out;
}

std::string SigningString(std::string_view method, std::string_view target,
                          std::string_view from_node, std::string_view to_node, Millis date,
                          std::string_view nonce, std::string_view digest) {
  std::string s = "entente-federation-request-v1\n";
  s.append(method).append("\n");
  s.append(target).append("\n");
  s.append(from_node).append("\n");
  s.append(to_node).append("\n");
  s.append(std::to_string(date)).append("\n");
  s.append(nonce).append("\n");
  s.append(digest);
  return s;
}

Result<http::Headers> SignRequest(const crypto::SecretBytes& secret, std::string_view from_node,
                                  std::string_view to_node, std::string_view method,
                                  std::string_view target, std::string_view body, Millis now) {
  std::array<std::uint8_t, 16> raw{};
  crypto::RandomFill(raw);
  std::string nonce = crypto::Base64UrlEncode(raw);
  std::string digest = Digest(body);
  auto sig = ENTENTE_TRY(crypto::Sign(
      secret,
      crypto::AsBytes(SigningString(method, target, from_node, to_node, now, nonce, digest))));
  http::Headers h;
  h.emplace("Entente-Node", std::string(from_node));
  h.emplace("Entente-Date", std::to_string(now));
  h.emplace("Entente-Nonce", nonce);
  h.emplace("Entente-Digest", "sha-256=" + digest);
  h.emplace("Entente-Signature", crypto::Base64UrlEncode(sig));
  return h;
}

Result<SignedHeaders> ParseSignedHeaders(const http::Headers& headers) {
  SignedHeaders h;
  h.node = ENTENTE_TRY(One(headers, "Entente-Node"));
  if (h.node.size() != 64 || !IsLowerHex(h.node))
    return Fail(ErrorCode::kUnauthenticated, "must be a node id (64 lower-case hex digits)",
                "Entente-Node");
  std::string date = ENTENTE_TRY(One(headers, "Entente-Date"));
  if (date.empty() || date.size() > 15 ||
      !std::all_of(date.begin(), date.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return Fail(ErrorCode::kUnauthenticated, "must be milliseconds since the epoch (digits)",
                "Entente-Date");
  h.date = std::stoll(date);
  h.nonce = ENTENTE_TRY(One(headers, "Entente-Nonce"));
  if (h.nonce.size() != 22 || !IsBase64Url(h.nonce))
    return Fail(ErrorCode::kUnauthenticated, "must be 16 bytes in base64url (22 characters)",
                "Entente-Nonce");
  std::string digest = ENTENTE_TRY(One(headers, "Entente-Digest"));
  if (digest.size() != 8 + 64 || digest.rfind("sha-256=", 0) != 0 ||
      !IsLowerHex(std::string_view(digest).substr(8)))
    return Fail(ErrorCode::kUnauthenticated, "must be sha-256=<64 lower-case hex digits>",
                "Entente-Digest");
  h.digest = digest.substr(8);
  h.signature = ENTENTE_TRY(One(headers, "Entente-Signature"));
  if (h.signature.size() != 86 || !IsBase64Url(h.signature))
    return Fail(ErrorCode::kUnauthenticated, "must be an Ed25519 signature in base64url",
                "Entente-Signature");
  return h;
}

Status VerifySignedRequest(const SignedHeaders& h, std::span<const std::uint8_t> public_key,
                           std::string_view to_node, std::string_view method,
                           std::string_view target, std::string_view body, Millis now) {
  if (Digest(body) != h.digest)
    return Fail(ErrorCode::kUnauthenticated, "body does not match its digest", "Entente-Digest");
  if (h.date < now - kRequestWindowMs || h.date > now + kRequestWindowMs)
    return Fail(ErrorCode::kUnauthenticated,
                "date is outside the accepted window of " +
                    std::to_string(kRequestWindowMs / 1000) + " s (check the clocks)",
                "Entente-Date");
  auto sig = crypto::Base64UrlDecode(h.signature);
  if (!sig || sig->size() != 64)
    return Fail(ErrorCode::kUnauthenticated, "malformed signature", "Entente-Signature");
  std::string msg = SigningString(method, target, h.node, to_node, h.date, h.nonce, h.digest);
  if (!crypto::Verify(public_key, crypto::AsBytes(msg), *sig))
    return Fail(ErrorCode::kUnauthenticated, "signature does not verify with the pinned key",
                "Entente-Signature");
  return Ok();
}

}  // namespace entente::federation
