// Signed webhook notices: a JSON body POSTed to a receiver's URL.
//
// Each request carries
//   Content-Type: application/json
//   X-Entente-Timestamp: <unix seconds>
//   X-Entente-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//   X-Entente-Delivery: <id, the same on every retry of one delivery>
// so a receiver that shares the secret can check that the body came from
// this node and is recent (VerifyWebhookSignature), as with GitHub's and
// Stripe's webhooks. Only http:// and https:// URLs are used; redirects are
// never followed (a 3xx is an error); certificates are verified against the
// system store or `ca_file`; the whole request is bounded by `timeout`.
//
// Failure modes (Status): kInvalidArgument before any connection (URL not
// http/https, credentials in the URL, short secret, body not serialisable);
// kFailedPrecondition when the receiver's address is private (see
// WebhookOptions::allow_private_addresses);
// kUnavailable for transient failures (cannot connect, timeout, 408, 429,
// 5xx); kFailedPrecondition for answers retrying will not change (3xx,
// other 4xx, untrusted certificate). Error messages name the receiver by
// scheme, host and port only: webhook paths often embed tokens.
//
// Thread-safety: Post may be called concurrently on one WebhookSender;
// the signature functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace entente::mail {

inline constexpr size_t kMinWebhookSecretBytes = 16;
inline constexpr size_t kMaxWebhookBodyBytes = 1 << 20;

struct WebhookOptions {
  std::chrono::milliseconds timeout{10'000};  // whole request
  std::string ca_file;                        // PEM CA bundle; empty: the system store
  std::string user_agent = "Entente-Webhook/1";
  // Receivers on loopback, private, link-local, carrier-grade NAT, multicast
  // or reserved addresses are refused unless this is set: an organisation
  // admin sets the URL, and it must not become a way to reach services
  // inside the node's own network (server-side request forgery). The check
  // is made on the address actually connected to, after DNS resolution, so a
  // name that resolves (or re-resolves) to such an address is refused too.
  bool allow_private_addresses = false;
};

// True for the addresses WebhookOptions::allow_private_addresses governs
// (`address` is a numeric IPv4 or IPv6 address; anything unparsable is
// treated as private).
bool IsPrivateAddress(std::string_view address);

class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions options = {}, const Clock& clock = SystemClock::Instance());

  // POSTs `body` to `url` signed with `secret` (at least
  // kMinWebhookSecretBytes). `delivery_id` empty: a new UUIDv7; pass the
  // same id when retrying so the receiver can drop duplicates.
  Status Post(const std::string& url, const std::string& secret, const nlohmann::json& body,
              std::string_view delivery_id = {});

 private:
  const WebhookOptions options_;
  const Clock& clock_;
};

// "sha256=<hex>" over "<timestamp>.<body>".
std::string WebhookSignature(std::string_view secret, std::int64_t timestamp,
                             std::string_view body);

// True when `signature_header` is "sha256=<hex>" matching `secret`,
// `timestamp` (the X-Entente-Timestamp header, decimal digits) and the exact
// body bytes received, and the timestamp is within `tolerance_seconds` of
// `now_unix_seconds` (replay window). Constant-time comparison.
bool VerifyWebhookSignature(std::string_view secret, std::string_view timestamp,
                            std::string_view body, std::string_view signature_header,
                            std::int64_t now_unix_seconds, std::int64_t tolerance_seconds = 300);

}  // namespace entente::mail
