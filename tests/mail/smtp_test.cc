// SmtpSender against a real SMTP server (aiosmtpd, see smtp_sink.py), and
// SmtpConfig::FromUrl.
#include "mail/smtp.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mail/smtp_test_server.h"

namespace entente::mail {
namespace {

using testing::SinkMode;
using testing::SmtpTestServer;
using testing::TestSocket;

constexpr std::string_view kPassword = "Tr0ub4dor&3-never-shown";
constexpr std::string_view kArabic = "إشعار بحادث سيبراني يمس البنية التحتية الحيوية";
constexpr std::string_view kChinese = "关于影响关键基础设施的网络事件的通知";

std::unique_ptr<SmtpTestServer> StartServer(SinkMode mode, std::string auth = {}) {
  auto server = SmtpTestServer::Start(mode, std::move(auth));
  if (!server) ADD_FAILURE() << server.error().ToString();
  return server ? std::move(*server) : nullptr;
}

SmtpConfig ConfigFor(int port, SmtpSecurity security = SmtpSecurity::kNone) {
  SmtpConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.security = security;
  c.from = "notices@node.example.org";
  c.helo_name = "node.example.org";
  c.timeout = std::chrono::seconds(10);
  return c;
}

MailMessage SimpleMessage() {
  return MailMessage{.to = {"officer@cert.example.org"},
                     .subject = "Communication check",
                     .body = "Please acknowledge this check.\n"};
}

std::string Header(const nlohmann::json& msg, std::string_view name) {
  for (const auto& h : msg["headers"])
    if (h[0].get<std::string>() == name) return h[1].get<std::string>();
  return "<missing " + std::string(name) + ">";
}

void ExpectNoPassword(const Error& e) {
  EXPECT_EQ(e.message.find(kPassword), std::string::npos) << e.message;
  EXPECT_EQ(e.field.find(kPassword), std::string::npos) << e.field;
}

std::string Crlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// ---- real server ------------------------------------------------------------

TEST(SmtpSender, PlainSendArrivesIntact) {
  auto server = StartServer(SinkMode::kPlain);
  ASSERT_TRUE(server);
  ManualClock clock(1'700'000'000'000);
  SmtpConfig config = ConfigFor(server->port());
  config.from_name = "CERT Arcadia";
  SmtpSender sender(config, clock);
  MailMessage m = SimpleMessage();
  m.to.push_back("duty@cert.example.net");
  m.headers = {{"X-Entente-Notice", "check-0001"}, {"Reply-To", "desk@node.example.org"}};
  auto s = sender.Send(m);
  ASSERT_TRUE(s) << s.error().ToString();

  auto msgs = server->Messages();
  ASSERT_EQ(msgs.size(), 1u) << server->Log();
  const auto& got = msgs[0];
  EXPECT_EQ(got["mail_from"], "notices@node.example.org");
  EXPECT_EQ(got["rcpt_tos"], nlohmann::json({"officer@cert.example.org", "duty@cert.example.net"}));
  EXPECT_EQ(got["helo"], "node.example.org");
  EXPECT_EQ(got["tls"], false);
  EXPECT_EQ(got["defects"], nlohmann::json::array());
  EXPECT_EQ(got["subject"], "Communication check");
  EXPECT_EQ(got["body"], "Please acknowledge this check.\r\n");
  EXPECT_EQ(got["content_type"], "text/plain");
  EXPECT_EQ(got["charset"], "utf-8");
  EXPECT_EQ(Header(got, "From"), "CERT Arcadia <notices@node.example.org>");
  EXPECT_EQ(Header(got, "To"), "officer@cert.example.org, duty@cert.example.net");
  EXPECT_EQ(Header(got, "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(Header(got, "X-Entente-Notice"), "check-0001");
  EXPECT_EQ(Header(got, "Reply-To"), "desk@node.example.org");
  std::string id = Header(got, "Message-ID");
  EXPECT_TRUE(id.starts_with("<") && id.ends_with("@node.example.org>")) << id;
  EXPECT_EQ(id.size(), std::string("<@node.example.org>").size() + 36) << "UUIDv7 left part";
}

TEST(SmtpSender, Utf8ArabicAndChineseArriveIntact) {
  auto server = StartServer(SinkMode::kPlain);
  ASSERT_TRUE(server);
  SmtpSender sender(ConfigFor(server->port()));
  std::string subject = std::string(kArabic) + " / " + std::string(kChinese);
  std::string body = std::string(kArabic) + "\n\n" + std::string(kChinese) + "\n" +
                     "A long line: " + std::string(1200, 'x') + "\n.\n..\n.leading dot\n" +
                     "trailing space \nend=of=message";
  MailMessage m{.to = {"officer@cert.example.org"}, .subject = subject, .body = body};
  auto s = sender.Send(m);
  ASSERT_TRUE(s) << s.error().ToString();

  auto msgs = server->Messages();
  ASSERT_EQ(msgs.size(), 1u) << server->Log();
  const auto& got = msgs[0];
  EXPECT_EQ(got["defects"], nlohmann::json::array());
  EXPECT_EQ(got["subject"], subject);
  EXPECT_EQ(got["body"], Crlf(body) + "\r\n");
  EXPECT_EQ(got["transfer_encoding"], "quoted-printable");
  std::string raw = got["raw"];
  EXPECT_NE(raw.find("Subject: =?UTF-8?B?"), std::string::npos);
  for (char c : raw) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << "message is 7-bit clean";
}

TEST(SmtpSender, DotLinesSurviveSevenBitTransfer) {
  auto server = StartServer(SinkMode::kPlain);
  ASSERT_TRUE(server);
  SmtpSender sender(ConfigFor(server->port()));
  MailMessage m = SimpleMessage();
  m.body = "first\n.\n..\n.x\nlast";
  ASSERT_TRUE(sender.Send(m));
  auto msgs = server->Messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["transfer_encoding"], "7bit");
  EXPECT_EQ(msgs[0]["body"], "first\r\n.\r\n..\r\n.x\r\nlast\r\n");
}

TEST(SmtpSender, StartTlsSendIsEncrypted) {
  auto server = StartServer(SinkMode::kStartTls);
  ASSERT_TRUE(server);
  SmtpConfig config = ConfigFor(server->port(), SmtpSecurity::kStartTls);
  config.ca_file = server->ca_file();
  SmtpSender sender(config);
  MailMessage m = SimpleMessage();
  m.subject = std::string(kChinese);
  auto s = sender.Send(m);
  ASSERT_TRUE(s) << s.error().ToString() << "\n" << server->Log();
  auto msgs = server->Messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["tls"], true);
  EXPECT_EQ(msgs[0]["subject"], std::string(kChinese));
}

TEST(SmtpSender, StartTlsRefusesAnUntrustedCertificate) {
  auto server = StartServer(SinkMode::kStartTls);
  ASSERT_TRUE(server);
  SmtpSender sender(ConfigFor(server->port(), SmtpSecurity::kStartTls));  // system CAs only
  auto s = sender.Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition) << s.error().message;
  EXPECT_NE(s.error().message.find("certificate"), std::string::npos) << s.error().message;
  EXPECT_TRUE(server->Messages().empty());
}

TEST(SmtpSender, StartTlsWithLoginAuthenticates) {
  auto server = StartServer(SinkMode::kStartTls, "relay-user:" + std::string(kPassword));
  ASSERT_TRUE(server);
  SmtpConfig config = ConfigFor(server->port(), SmtpSecurity::kStartTls);
  config.ca_file = server->ca_file();
  config.username = "relay-user";
  config.password = std::string(kPassword);
  auto s = SmtpSender(config).Send(SimpleMessage());
  ASSERT_TRUE(s) << s.error().ToString() << "\n" << server->Log();
  auto msgs = server->Messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["authenticated"], true);
  EXPECT_EQ(msgs[0]["login"], "relay-user");
  EXPECT_EQ(msgs[0]["tls"], true);
}

TEST(SmtpSender, WrongPasswordIsRefusedWithoutRevealingIt) {
  auto server = StartServer(SinkMode::kStartTls, "relay-user:correct-horse-battery");
  ASSERT_TRUE(server);
  SmtpConfig config = ConfigFor(server->port(), SmtpSecurity::kStartTls);
  config.ca_file = server->ca_file();
  config.username = "relay-user";
  config.password = std::string(kPassword);
  auto s = SmtpSender(config).Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated) << s.error().message;
  EXPECT_NE(s.error().message.find("refused the login of user relay-user: 535"), std::string::npos)
      << s.error().message;
  ExpectNoPassword(s.error());
  EXPECT_TRUE(server->Messages().empty());
}

TEST(SmtpSender, LoginRequiredButNotConfiguredIsReported) {
  auto server = StartServer(SinkMode::kStartTls, "relay-user:correct-horse-battery");
  ASSERT_TRUE(server);
  SmtpConfig config = ConfigFor(server->port(), SmtpSecurity::kStartTls);
  config.ca_file = server->ca_file();
  auto s = SmtpSender(config).Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("refused sender notices@node.example.org: 530"),
            std::string::npos)
      << s.error().message;
}

TEST(SmtpSender, ImplicitTlsSendIsEncrypted) {
  auto server = StartServer(SinkMode::kTls, "relay-user:" + std::string(kPassword));
  ASSERT_TRUE(server);
  SmtpConfig config = ConfigFor(server->port(), SmtpSecurity::kTls);
  config.ca_file = server->ca_file();
  config.username = "relay-user";
  config.password = std::string(kPassword);
  auto s = SmtpSender(config).Send(SimpleMessage());
  ASSERT_TRUE(s) << s.error().ToString() << "\n" << server->Log();
  auto msgs = server->Messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["tls"], true);
  EXPECT_EQ(msgs[0]["login"], "relay-user");
}

TEST(SmtpSender, PlainToAServerRequiringStartTlsIsRefusedClearly) {
  auto server = StartServer(SinkMode::kStartTls);
  ASSERT_TRUE(server);
  auto s = SmtpSender(ConfigFor(server->port())).Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("SMTP server 127.0.0.1:" + std::to_string(server->port()) +
                                   " refused sender notices@node.example.org: 530"),
            std::string::npos)
      << s.error().message;
}

TEST(SmtpSender, RefusedRecipientIsReportedAndNothingIsSent) {
  auto server = StartServer(SinkMode::kPlain);
  ASSERT_TRUE(server);
  MailMessage m = SimpleMessage();
  m.to = {"officer@cert.example.org", "refused-desk@cert.example.org"};
  SmtpConfig config = ConfigFor(server->port());
  config.username = "relay-user";  // loopback: credentials allowed without TLS
  config.password = std::string(kPassword);
  auto s = SmtpSender(config).Send(m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("refused recipient refused-desk@cert.example.org: 550 5.1.1 "
                                   "<refused-desk@cert.example.org>: Recipient address rejected"),
            std::string::npos)
      << s.error().message;
  ExpectNoPassword(s.error());
  EXPECT_TRUE(server->Messages().empty());
}

TEST(SmtpSender, RefusedMessageIsReported) {
  auto server = StartServer(SinkMode::kPlain);
  ASSERT_TRUE(server);
  MailMessage m = SimpleMessage();
  m.body = "REFUSE-THIS-MESSAGE";
  auto s = SmtpSender(ConfigFor(server->port())).Send(m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("refused the message: 554 5.7.1"), std::string::npos)
      << s.error().message;
}

TEST(SmtpSender, WrongPortFailsAtOnceWithAClearError) {
  TestSocket closed(/*listen=*/false);
  SmtpConfig config = ConfigFor(closed.port());
  config.username = "relay-user";
  config.password = std::string(kPassword);
  auto s = SmtpSender(config).Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find("cannot connect to SMTP server 127.0.0.1:" +
                                   std::to_string(closed.port())),
            std::string::npos)
      << s.error().message;
  ExpectNoPassword(s.error());
}

TEST(SmtpSender, SilentServerTimesOut) {
  TestSocket silent(/*listen=*/true);  // accepts the TCP handshake, never greets
  SmtpConfig config = ConfigFor(silent.port());
  config.timeout = std::chrono::milliseconds(400);
  config.username = "relay-user";
  config.password = std::string(kPassword);
  auto s = SmtpSender(config).Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find("did not answer within 400 ms (waiting for its greeting)"),
            std::string::npos)
      << s.error().message;
  ExpectNoPassword(s.error());
}

TEST(SmtpSender, HeaderInjectionIsRefusedBeforeConnecting) {
  TestSocket listener(/*listen=*/true);
  SmtpConfig config = ConfigFor(listener.port());
  config.password = std::string(kPassword);
  config.username = "relay-user";
  SmtpSender sender(config);
  struct Case {
    MailMessage message;
    std::string field;
  };
  MailMessage subject = SimpleMessage(), to = SimpleMessage(), header = SimpleMessage(),
              name = SimpleMessage(), malformed = SimpleMessage();
  subject.subject = "Check\r\nBcc: eve@example.org";
  to.to.push_back("duty@example.org\nBcc: eve@example.org");
  header.headers = {{"X-Entente-Notice", "1\r\nBcc: eve@example.org"}};
  name.headers = {{"X-Entente\r\nBcc", "eve@example.org"}};
  malformed.to = {"officer at cert.example.org"};
  for (const Case& c :
       {Case{subject, "subject"}, Case{to, "to[1]"}, Case{header, "headers[0].value"},
        Case{name, "headers[0].name"}, Case{malformed, "to[0]"}}) {
    auto s = sender.Send(c.message);
    ASSERT_FALSE(s) << c.field;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.error().field, c.field) << s.error().ToString();
    ExpectNoPassword(s.error());
  }
  SmtpConfig bad = config;
  bad.from_name = "Node\r\nBcc: eve@example.org";
  auto s = SmtpSender(bad).Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().field, "from_name");
  bad = config;
  bad.from = "notices@node.example.org\r\nRCPT TO:<eve@example.org>";
  s = SmtpSender(bad).Send(SimpleMessage());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().field, "from");
  EXPECT_FALSE(listener.HasPendingConnection()) << "no connection was attempted";
}

// ---- configuration -----------------------------------------------------------

TEST(SmtpConfig, FromUrlReadsEveryOption) {
  auto c = SmtpConfig::FromUrl(
      "smtp://relay%40cert:Tr0ub4dor%263-never-shown@mail.cert.example.org:2525"
      "?starttls=1&from=notices%2Bentente@cert.example.org&from_name=CERT%20%D8%A3"
      "&helo=node.cert.example.org&timeout_ms=1500&ca_file=/etc/entente/ca.pem");
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->host, "mail.cert.example.org");
  EXPECT_EQ(c->port, 2525);
  EXPECT_EQ(c->security, SmtpSecurity::kStartTls);
  EXPECT_EQ(c->username, "relay@cert");
  EXPECT_EQ(c->password, std::string(kPassword));
  EXPECT_EQ(c->from, "notices+entente@cert.example.org");
  EXPECT_EQ(c->from_name, "CERT أ");
  EXPECT_EQ(c->helo_name, "node.cert.example.org");
  EXPECT_EQ(c->timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(c->ca_file, "/etc/entente/ca.pem");
  EXPECT_EQ(c->Describe(), "smtp://relay@cert@mail.cert.example.org:2525 (starttls)");
}

TEST(SmtpConfig, FromUrlDefaults) {
  auto plain = SmtpConfig::FromUrl("smtp://relay.example.org?from=n@example.org");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 25);
  EXPECT_EQ(plain->security, SmtpSecurity::kNone);
  EXPECT_FALSE(plain->password);
  EXPECT_TRUE(plain->username.empty());
  auto starttls = SmtpConfig::FromUrl("smtp://relay.example.org/?starttls=true&from=n@example.org");
  ASSERT_TRUE(starttls);
  EXPECT_EQ(starttls->port, 587);
  EXPECT_EQ(starttls->security, SmtpSecurity::kStartTls);
  auto tls = SmtpConfig::FromUrl("SMTPS://user@relay.example.org?from=n@example.org");
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->port, 465);
  EXPECT_EQ(tls->security, SmtpSecurity::kTls);
  EXPECT_EQ(tls->username, "user");
  auto v6 = SmtpConfig::FromUrl("smtp://[::1]:2525?from=n@example.org");
  ASSERT_TRUE(v6) << v6.error().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 2525);
  EXPECT_EQ(v6->Describe(), "smtp://[::1]:2525");
}

TEST(SmtpConfig, FromUrlErrorsNeverRepeatThePassword) {
  std::string secret = "pw-" + std::string("Tr0ub4dor");
  const std::string prefix = "smtp://u:" + secret + "@";
  for (const std::string& url : std::vector<std::string>{
           "http://u:" + secret + "@relay.example.org?from=n@example.org",
           prefix + "relay.example.org",                           // no from
           prefix + "relay.example.org?from=n@example.org&frm=x",  // unknown key
           prefix + "relay.example.org:0?from=n@example.org",      // port
           prefix + "relay.example.org:70000?from=n@example.org",  // port
           prefix + "relay.example.org:25x?from=n@example.org",    // port
           prefix + "relay.example.org:?from=n@example.org",       // empty port
           "smtps://u:" + secret + "@relay.example.org?starttls=1&from=n@example.org",
           prefix + "relay.example.org/helo?from=n@example.org",  // path
           prefix + "relay.example.org?from=n@example.org&from=m@example.org",
           prefix + "relay.example.org?from=n%4@example.org",  // bad escape
           "smtp://u:" + secret + "%zz@relay.example.org?from=n@example.org",
           prefix + "relay.example.org?from=not-an-address",
           prefix + "?from=n@example.org",                   // no host
           prefix + "relay example.org?from=n@example.org",  // bad host
           prefix + "[::1?from=n@example.org",
           prefix + "relay.example.org?from=n@example.org&starttls=maybe",
           prefix + "relay.example.org?from=n@example.org&timeout_ms=-5",
           prefix + "relay.example.org?from=n@example.org%0D%0ABcc:e@example.org",
           prefix + "relay.example.org?from=n@example.org&helo=bad%0D%0Ahelo",
           // credentials in clear to a remote server
           prefix + "relay.example.org?from=n@example.org",
       }) {
    auto c = SmtpConfig::FromUrl(url);
    ASSERT_FALSE(c) << url;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(c.error().ToString().find(secret), std::string::npos) << c.error().ToString();
    EXPECT_EQ(c.error().ToString().find("relay.example.org"), std::string::npos)
        << "the URL is not echoed: " << c.error().ToString();
  }
}

TEST(SmtpConfig, CredentialsNeedTlsUnlessTheServerIsLocal) {
  auto remote = SmtpConfig::FromUrl("smtp://u:p@relay.example.org?from=n@example.org");
  ASSERT_FALSE(remote);
  EXPECT_EQ(remote.error().field, "security");
  EXPECT_TRUE(SmtpConfig::FromUrl("smtp://u:p@relay.example.org?starttls=1&from=n@example.org"));
  EXPECT_TRUE(SmtpConfig::FromUrl("smtps://u:p@relay.example.org?from=n@example.org"));
  EXPECT_TRUE(SmtpConfig::FromUrl("smtp://u:p@127.0.0.1:2525?from=n@example.org"));
  EXPECT_TRUE(SmtpConfig::FromUrl("smtp://u:p@localhost?from=n@example.org"));
  EXPECT_TRUE(SmtpConfig::FromUrl("smtp://u:p@[::1]?from=n@example.org"));
  EXPECT_FALSE(SmtpConfig::FromUrl("smtp://u:p@127.attacker.example?from=n@example.org"));
  EXPECT_FALSE(SmtpConfig::FromUrl("smtp://u:p@127.0.0.1.nip.io?from=n@example.org"));
}

TEST(SmtpConfig, DescribeNeverShowsThePassword) {
  SmtpConfig c = ConfigFor(587, SmtpSecurity::kStartTls);
  c.username = "relay-user";
  c.password = std::string(kPassword);
  EXPECT_EQ(c.Describe(), "smtp://relay-user@127.0.0.1:587 (starttls)");
}

}  // namespace
}  // namespace entente::mail
