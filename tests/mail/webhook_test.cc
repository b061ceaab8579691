// WebhookSender against a real local HTTP server (the project's http::Server
// on port 0), and the signature scheme.
#include "mail/webhook.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "core/ids.h"
#include "http/http.h"
#include "mail/smtp_test_server.h"

namespace entente::mail {
namespace {

constexpr std::string_view kSecret = "whsec_0123456789abcdef";
constexpr std::int64_t kNow = 1'700'000'000;

// ---- the signature scheme ---------------------------------------------------

TEST(WebhookSignature, KnownAnswer) {
  // python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_0123456789abcdef",
  //   b"1700000000.{\"event\":\"notice\",\"id\":42}", hashlib.sha256).hexdigest())'
  EXPECT_EQ(WebhookSignature(kSecret, kNow, R"({"event":"notice","id":42})"),
            "sha256=1e2d539ee9fc41968495f7fb30651ca09f917fad002c9cd1c7e719bdc6b49ac1");
}

TEST(WebhookSignature, VerifyAcceptsOnlyTheExactSignedBody) {
  std::string body = R"({"event":"notice","id":42})";
  std::string sig = WebhookSignature(kSecret, kNow, body);
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, "1700000000", body, sig, kNow));
  EXPECT_FALSE(
      VerifyWebhookSignature(kSecret, "1700000000", R"({"event":"notice","id":43})", sig, kNow));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "1700000000", body + " ", sig, kNow));
  EXPECT_FALSE(VerifyWebhookSignature("whsec_another_secret_", "1700000000", body, sig, kNow));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "1700000001", body, sig, kNow));
  EXPECT_FALSE(VerifyWebhookSignature("", "1700000000", body, sig, kNow));
}

TEST(WebhookSignature, VerifyEnforcesTheReplayWindow) {
  std::string body = "{}";
  std::string sig = WebhookSignature(kSecret, kNow, body);
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, "1700000000", body, sig, kNow + 300, 300));
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, "1700000000", body, sig, kNow - 300, 300));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "1700000000", body, sig, kNow + 301, 300));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "1700000000", body, sig, kNow - 301, 300));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "1700000000", body, sig, kNow, -1));
}

TEST(WebhookSignature, VerifyRefusesMalformedHeaders) {
  std::string body = "{}";
  std::string sig = WebhookSignature(kSecret, kNow, body);
  std::string hex = sig.substr(7);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, "1700000000", body, "sha256=" + upper, kNow));
  for (std::string bad : std::vector<std::string>{
           std::string(), hex, "sha1=" + hex, "sha256=" + hex.substr(2), "sha256=" + hex + "00",
           "sha256=zz" + hex.substr(2), " " + sig, sig + ",sha256=" + hex}) {
    EXPECT_FALSE(VerifyWebhookSignature(kSecret, "1700000000", body, bad, kNow)) << bad;
  }
  for (std::string ts : std::vector<std::string>{"", "-1700000000", "1700000000.0", " 1700000000",
                                                 "17e8", "99999999999999999999"})
    EXPECT_FALSE(VerifyWebhookSignature(kSecret, ts, body, sig, kNow)) << ts;
}

// ---- against a real HTTP server ---------------------------------------------

struct Received {
  std::string path;
  http::Headers headers;
  std::string body;
};

class WebhookServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http::Server>(http::ServerOptions{},
                                             [this](http::Request& req) { return Handle(req); });
    auto port = server_->Start();
    ASSERT_TRUE(port) << port.error().ToString();
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    // Ready when it answers: the listening socket queues this request until
    // the server's accept loop runs (and Stop() before that would hang).
    auto ready = http::Send(base_, "GET", "/ready");
    ASSERT_TRUE(ready) << ready.error().ToString();
  }

  void TearDown() override {
    {
      std::lock_guard lock(mu_);
      release_ = true;
    }
    cv_.notify_all();
    server_->Stop();
  }

  http::Response Handle(http::Request& req) {
    http::Response res;
    if (req.path == "/ready") return res;
    std::unique_lock lock(mu_);
    received_.push_back({req.path, req.headers, req.body});
    res.body = "{}";
    if (req.path == "/fail") {
      res.status = 500;
      res.body = R"({"error":"receiver broke"})";
    } else if (req.path == "/gone") {
      res.status = 410;
    } else if (req.path == "/busy") {
      res.status = 429;
    } else if (req.path == "/redirect") {
      res.status = 302;
      res.headers.emplace("Location", base_ + "/hook");
    } else if (req.path == "/slow") {
      // Holds the request until the test ends (no sleep; bounded).
      cv_.wait_for(lock, std::chrono::seconds(20), [this] { return release_; });
    }
    return res;
  }

  std::vector<Received> ReceivedOn(std::string_view path) {
    std::lock_guard lock(mu_);
    std::vector<Received> out;
    for (const Received& r : received_)
      if (r.path == path) out.push_back(r);
    return out;
  }

  size_t ReceivedCount() {
    std::lock_guard lock(mu_);
    return received_.size();
  }

  ManualClock clock_{kNow * 1000 + 250};
  std::unique_ptr<http::Server> server_;
  std::string base_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool release_ = false;
  std::vector<Received> received_;
};

std::string Get(const http::Headers& h, const std::string& name) {
  auto it = h.find(name);
  return it == h.end() ? std::string() : it->second;
}

// The test receivers listen on loopback, which a node refuses by default.
WebhookOptions Local() { return {.allow_private_addresses = true}; }

nlohmann::json Notice() {
  return {{"event", "notice.acknowledged"},
          {"notice", "0190f5b2-7c1e-7a4e-9b1a-1d2c3e4f5a6b"},
          {"title", "إشعار — 通知"}};
}

TEST_F(WebhookServerTest, PostDeliversSignedJsonThatTheReceiverVerifies) {
  WebhookSender sender(Local(), clock_);
  auto s = sender.Post(base_ + "/hook", std::string(kSecret), Notice());
  ASSERT_TRUE(s) << s.error().ToString();
  auto got = ReceivedOn("/hook");
  ASSERT_EQ(got.size(), 1u);
  const Received& r = got[0];
  EXPECT_EQ(Get(r.headers, "Content-Type"), "application/json");
  EXPECT_EQ(Get(r.headers, "X-Entente-Timestamp"), "1700000000");
  EXPECT_TRUE(IsUuid(Get(r.headers, "X-Entente-Delivery"))) << Get(r.headers, "X-Entente-Delivery");
  EXPECT_EQ(Get(r.headers, "User-Agent"), "Entente-Webhook/1");
  EXPECT_EQ(nlohmann::json::parse(r.body), Notice());
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, Get(r.headers, "X-Entente-Timestamp"), r.body,
                                     Get(r.headers, "X-Entente-Signature"), kNow + 5));
}

TEST_F(WebhookServerTest, TamperedBodyFailsVerification) {
  WebhookSender sender(Local(), clock_);
  ASSERT_TRUE(sender.Post(base_ + "/hook", std::string(kSecret), Notice()));
  auto got = ReceivedOn("/hook");
  ASSERT_EQ(got.size(), 1u);
  std::string tampered = got[0].body;
  tampered.replace(tampered.find("acknowledged"), 12, "withdrawn!!!");
  std::string ts = Get(got[0].headers, "X-Entente-Timestamp");
  std::string sig = Get(got[0].headers, "X-Entente-Signature");
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, ts, got[0].body, sig, kNow));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, ts, tampered, sig, kNow));
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, std::to_string(kNow + 1), got[0].body, sig, kNow));
}

TEST_F(WebhookServerTest, RetriesKeepTheDeliveryId) {
  WebhookSender sender(Local(), clock_);
  ASSERT_TRUE(sender.Post(base_ + "/hook", std::string(kSecret), Notice(), "delivery-7"));
  ASSERT_TRUE(sender.Post(base_ + "/hook", std::string(kSecret), Notice(), "delivery-7"));
  auto got = ReceivedOn("/hook");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Get(got[0].headers, "X-Entente-Delivery"), "delivery-7");
  EXPECT_EQ(Get(got[1].headers, "X-Entente-Delivery"), "delivery-7");
  auto bad = sender.Post(base_ + "/hook", std::string(kSecret), Notice(), "id\r\nX-Evil: 1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "delivery_id");
}

TEST_F(WebhookServerTest, ServerErrorIsATransientErrorWithTheStatus) {
  auto s = WebhookSender(Local(), clock_).Post(base_ + "/fail", std::string(kSecret), Notice());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find(" answered HTTP 500: {\"error\":\"receiver broke\"}"),
            std::string::npos)
      << s.error().message;
  auto busy = WebhookSender(Local(), clock_).Post(base_ + "/busy", std::string(kSecret), Notice());
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::kUnavailable);
}

TEST_F(WebhookServerTest, ClientErrorIsPermanent) {
  auto s = WebhookSender(Local(), clock_).Post(base_ + "/gone", std::string(kSecret), Notice());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("HTTP 410"), std::string::npos) << s.error().message;
}

TEST_F(WebhookServerTest, RedirectIsNotFollowed) {
  auto s = WebhookSender(Local(), clock_).Post(base_ + "/redirect", std::string(kSecret), Notice());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("HTTP 302 (a redirect; redirects are not followed)"),
            std::string::npos)
      << s.error().message;
  EXPECT_EQ(ReceivedOn("/redirect").size(), 1u);
  EXPECT_TRUE(ReceivedOn("/hook").empty());
}

TEST_F(WebhookServerTest, SlowReceiverTimesOut) {
  WebhookSender sender({.timeout = std::chrono::milliseconds(300), .allow_private_addresses = true},
                       clock_);
  auto s = sender.Post(base_ + "/slow", std::string(kSecret), Notice());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find("did not answer within 300 ms"), std::string::npos)
      << s.error().message;
}

TEST_F(WebhookServerTest, ErrorsNameTheReceiverButNotItsPath) {
  auto s = WebhookSender(Local(), clock_)
               .Post(base_ + "/fail?token=T0KEN-IN-QUERY", std::string(kSecret), Notice());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find(base_), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("T0KEN"), std::string::npos) << s.error().message;
}

TEST_F(WebhookServerTest, OnlyHttpAndHttpsUrlsAreUsed) {
  WebhookSender sender(Local(), clock_);
  std::string port = base_.substr(base_.rfind(':') + 1);
  for (std::string url : std::vector<std::string>{
           "ftp://127.0.0.1:" + port + "/hook", "file:///etc/passwd",
           "gopher://127.0.0.1:" + port + "/", "dict://127.0.0.1:" + port + "/",
           "127.0.0.1:" + port + "/hook", "javascript:alert(1)", base_ + "/hook\r\nX-Evil: 1",
           base_ + "/ho ok", "http://user:pw@127.0.0.1:" + port + "/hook", ""}) {
    auto s = sender.Post(url, std::string(kSecret), Notice());
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << url;
    EXPECT_EQ(s.error().field, "url") << url << ": " << s.error().ToString();
  }
  EXPECT_EQ(ReceivedCount(), 0u);
}

TEST_F(WebhookServerTest, RefusesWeakSecretsAndUnserialisableBodies) {
  WebhookSender sender(Local(), clock_);
  auto weak = sender.Post(base_ + "/hook", "short", Notice());
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().field, "secret");
  EXPECT_EQ(weak.error().message.find("short"), std::string::npos);
  auto bad = sender.Post(base_ + "/hook", std::string(kSecret), nlohmann::json("\xFF\xFE"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "body");
  EXPECT_EQ(ReceivedCount(), 0u);
}

TEST(WebhookSender, ConnectionRefusedIsUnavailable) {
  testing::TestSocket closed(/*listen=*/false);
  auto s =
      WebhookSender(Local()).Post("http://127.0.0.1:" + std::to_string(closed.port()) + "/hook",
                                  std::string(kSecret), Notice());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find("cannot deliver webhook to http://127.0.0.1:" +
                                   std::to_string(closed.port())),
            std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace entente::mail

namespace entente::mail {
namespace {

TEST_F(WebhookServerTest, ALoopbackReceiverIsRefusedByDefaultAndGetsNothing) {
  auto s = WebhookSender({}, clock_).Post(base_ + "/hook", std::string(kSecret), Notice());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("127.0.0.1"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("--allow-private-webhooks"), std::string::npos);
  // A name that resolves to loopback is refused the same way.
  std::string by_name = base_;
  by_name.replace(by_name.find("127.0.0.1"), 9, "localhost");
  auto n = WebhookSender({}, clock_).Post(by_name + "/hook", std::string(kSecret), Notice());
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ErrorCode::kFailedPrecondition) << n.error().ToString();
  EXPECT_EQ(ReceivedCount(), 0u);
}

TEST(WebhookAddresses, PrivateLoopbackAndReservedAreRecognised) {
  for (const char* a : {"127.0.0.1",
                        "10.1.2.3",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "0.0.0.0",
                        "224.0.0.1",
                        "255.255.255.255",
                        "198.18.0.1",
                        "192.0.2.7",
                        "::1",
                        "::",
                        "fc00::1",
                        "fd12:3456::1",
                        "fe80::1",
                        "ff02::1",
                        "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1",
                        "64:ff9b::a9fe:a9fe",
                        "2001:db8::1",
                        "not an address",
                        ""}) {
    EXPECT_TRUE(IsPrivateAddress(a)) << a;
  }
  for (const char* a :
       {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
        "193.0.6.139", "2001:67c:2e8::1", "2606:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(IsPrivateAddress(a)) << a;
  }
}

}  // namespace
}  // namespace entente::mail
