#include "mail/webhook.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "core/ids.h"
#include "mail/curl_easy.h"

namespace entente::mail {

namespace {

using internal::CurlEasy;
using internal::CurlSlist;

using Digest = std::array<unsigned char, 32>;

Digest HmacSha256(std::string_view secret, std::string_view message) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

std::string SignedPayload(std::string_view timestamp, std::string_view body) {
  std::string s;
  s.reserve(timestamp.size() + 1 + body.size());
  s += timestamp;
  s += '.';
  s += body;
  return s;
}

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::string UrlPart(CURLU* u, CURLUPart part, unsigned int flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

// "https://host:port" of an http(s) URL without credentials, or an error
// that does not repeat the URL (its path may hold a token).
Result<std::string> ReceiverOrigin(const std::string& url) {
  if (url.size() > 2048) return Invalid("URL longer than 2048 characters", "url");
  for (char c : url)
    if (c <= 0x20 || c >= 0x7F)
      return Invalid(c == '\r' || c == '\n' ? "URL contains a line break"
                                            : "URL must be printable ASCII without spaces",
                     "url");
  std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
  if (!u) return Fail(ErrorCode::kInternal, "out of memory parsing a URL");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    return Invalid("not a valid URL", "url");
  std::string scheme = UrlPart(u.get(), CURLUPART_SCHEME);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https")
    return Invalid("webhook URLs must be http:// or https://", "url");
  if (!UrlPart(u.get(), CURLUPART_USER).empty() || !UrlPart(u.get(), CURLUPART_PASSWORD).empty())
    return Invalid("webhook URLs must not carry credentials (the signature authenticates)", "url");
  std::string host = UrlPart(u.get(), CURLUPART_HOST);
  if (host.empty()) return Invalid("URL has no host", "url");
  std::string port = UrlPart(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  return scheme + "://" + host + ":" + port;
}

bool IsDeliveryIdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == ':';
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<std::string*>(user);
  size_t n = size * count;
  if (sink->size() < 512) sink->append(data, std::min(n, 512 - sink->size()));
  return n;  // the rest is read and dropped
}

std::optional<int> HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::int64_t timestamp,
                             std::string_view body) {
  static constexpr char kHex[] = "0123456789abcdef";
  Digest mac = HmacSha256(secret, SignedPayload(std::to_string(timestamp), body));
  std::string out = "sha256=";
  for (unsigned char b : mac) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool VerifyWebhookSignature(std::string_view secret, std::string_view timestamp,
                            std::string_view body, std::string_view signature_header,
                            std::int64_t now_unix_seconds, std::int64_t tolerance_seconds) {
  if (secret.empty() || tolerance_seconds < 0) return false;
  if (timestamp.empty() || timestamp.size() > 15) return false;
  std::int64_t ts = 0;
  for (char c : timestamp) {
    if (c < '0' || c > '9') return false;
    ts = ts * 10 + (c - '0');
  }
  std::int64_t age = now_unix_seconds - ts;
  if (age > tolerance_seconds || -age > tolerance_seconds) return false;
  constexpr std::string_view kPrefix = "sha256=";
  if (!signature_header.starts_with(kPrefix)) return false;
  std::string_view hex = signature_header.substr(kPrefix.size());
  Digest given{};
  if (hex.size() != given.size() * 2) return false;
  for (size_t i = 0; i < given.size(); ++i) {
    auto hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (!hi || !lo) return false;
    given[i] = static_cast<unsigned char>(*hi << 4 | *lo);
  }
  Digest expected = HmacSha256(secret, SignedPayload(timestamp, body));
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

bool IsPrivateAddress(std::string_view address) {
  const std::string text(address);
  in_addr v4{};
  in6_addr v6{};
  std::array<std::uint8_t, 4> b{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    std::memcpy(b.data(), &v4, 4);
  } else if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    const std::uint8_t* a = v6.s6_addr;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static constexpr std::uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::memcmp(a, kMapped, 12) == 0 || std::memcmp(a, kNat64, 12) == 0) {
      std::memcpy(b.data(), a + 12, 4);  // an IPv4 address in IPv6 form
    } else {
      bool zero_prefix = std::all_of(a, a + 15, [](std::uint8_t x) { return x == 0; });
      if (zero_prefix && (a[15] == 0 || a[15] == 1)) return true;  // :: and ::1
      if ((a[0] & 0xfe) == 0xfc) return true;                      // fc00::/7 unique local
      if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return true;      // fe80::/10 link-local
      if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return true;      // fec0::/10 site-local
      if (a[0] == 0xff) return true;                               // multicast
      if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return true;  // doc
      return false;
    }
  } else {
    return true;
  }
  const auto in = [&](std::uint8_t first, std::uint8_t second_from, std::uint8_t second_to) {
    return b[0] == first && b[1] >= second_from && b[1] <= second_to;
  };
  return b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 ||  // this, private, loopback,
                                                                   // multicast, reserved
         in(100, 64, 127) ||                                       // carrier-grade NAT
         in(169, 254, 254) || in(172, 16, 31) || in(192, 168, 168) ||
         (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) ||  // IETF, TEST-NET-1
         in(198, 18, 19) ||                                         // benchmarking
         (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113);
}

namespace {

struct SocketGuard {
  bool allow_private = false;
  std::string refused;  // the address refused, if any
};

// libcurl asks for each socket it is about to connect, with the resolved
// address: the place to refuse private receivers.
curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<SocketGuard*>(clientp);
  if (purpose == CURLSOCKTYPE_IPCXN && !guard->allow_private) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address->family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr, text,
                sizeof text);
    } else if (address->family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr, text,
                sizeof text);
    }
    if (IsPrivateAddress(text)) {
      guard->refused = text[0] != '\0' ? text : "a non-IP address";
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

}  // namespace

WebhookSender::WebhookSender(WebhookOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Status WebhookSender::Post(const std::string& url, const std::string& secret,
                           const nlohmann::json& body, std::string_view delivery_id) {
  std::string origin = ENTENTE_TRY(ReceiverOrigin(url));
  if (secret.size() < kMinWebhookSecretBytes)
    return Invalid("must be at least " + std::to_string(kMinWebhookSecretBytes) + " bytes",
                   "secret");
  if (delivery_id.size() > 128 ||
      !std::all_of(delivery_id.begin(), delivery_id.end(), IsDeliveryIdChar))
    return Invalid("must be at most 128 letters, digits or -_.:", "delivery_id");
  if (options_.timeout.count() <= 0 || options_.timeout > std::chrono::minutes(10))
    return Invalid("must be between 1 ms and 10 minutes", "timeout");
  if (options_.ca_file.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    return Invalid("must be a file path", "ca_file");
  std::string payload;
  try {
    payload = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    return Invalid(std::string("cannot be serialised as JSON: ") + e.what(), "body");
  }
  if (payload.size() > kMaxWebhookBodyBytes)
    return Invalid("larger than " + std::to_string(kMaxWebhookBodyBytes) + " bytes", "body");

  std::int64_t timestamp = clock_.NowMillis() / 1000;
  std::string id = delivery_id.empty() ? NewUuidV7(clock_) : std::string(delivery_id);
  CurlSlist headers;
  ENTENTE_CHECK(internal::AppendTo(headers, "Content-Type: application/json"));
  ENTENTE_CHECK(internal::AppendTo(headers, "X-Entente-Timestamp: " + std::to_string(timestamp)));
  ENTENTE_CHECK(internal::AppendTo(
      headers, "X-Entente-Signature: " + WebhookSignature(secret, timestamp, payload)));
  ENTENTE_CHECK(internal::AppendTo(headers, "X-Entente-Delivery: " + id));
  ENTENTE_CHECK(internal::AppendTo(headers, "Expect:"));  // no 100-continue round trip

  CurlEasy easy = ENTENTE_TRY(internal::NewCurlEasy());
  CURL* h = easy.get();
  std::string response;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  SocketGuard guard{options_.allow_private_addresses, {}};
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK && !guard.refused.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                "webhook receiver " + origin + " is at a private, loopback or reserved address (" +
                    guard.refused +
                    "); the node refuses those unless its operator allows them "
                    "(serve --allow-private-webhooks)",
                "url");
  }
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return Fail(ErrorCode::kUnavailable, "webhook receiver " + origin +
                                                 " did not answer within " +
                                                 std::to_string(options_.timeout.count()) + " ms");
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
        return Fail(ErrorCode::kFailedPrecondition,
                    "TLS certificate of webhook receiver " + origin + " is not trusted: " + detail);
      default:
        return Fail(ErrorCode::kUnavailable, "cannot deliver webhook to " + origin + ": " + detail);
    }
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return Ok();
  std::string message = "webhook receiver " + origin + " answered HTTP " + std::to_string(status);
  if (status >= 300 && status < 400) {
    return Fail(ErrorCode::kFailedPrecondition,
                message + " (a redirect; redirects are not followed)");
  }
  if (!response.empty()) message += ": " + internal::Printable(response, 200, ' ');
  bool transient = status >= 500 || status == 408 || status == 429;
  return Fail(transient ? ErrorCode::kUnavailable : ErrorCode::kFailedPrecondition, message);
}

}  // namespace entente::mail
