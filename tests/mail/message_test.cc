#include "mail/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace entente::mail {
namespace {

constexpr std::string_view kArabic = "إشعار بحادث سيبراني يمس البنية التحتية الحيوية";
constexpr std::string_view kChinese = "关于影响关键基础设施的网络事件的通知";

std::vector<std::string> Lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t eol = s.find("\r\n");
    out.emplace_back(s.substr(0, eol));
    s.remove_prefix(eol == std::string_view::npos ? s.size() : eol + 2);
  }
  return out;
}

std::string DecodeBase64(std::string_view s) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      continue;
    acc = acc << 6 | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Decodes a header value made of "=?UTF-8?B?...?=" words separated by folding.
std::vector<std::string> DecodeWords(std::string_view value) {
  std::vector<std::string> words;
  while (true) {
    size_t start = value.find("=?UTF-8?B?");
    if (start == std::string_view::npos) break;
    size_t end = value.find("?=", start + 10);
    words.push_back(DecodeBase64(value.substr(start + 10, end - start - 10)));
    value.remove_prefix(end + 2);
  }
  return words;
}

std::string DecodeQuotedPrintable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out += s[i];
    } else if (s.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

bool ValidUtf8(std::string_view s) {
  MailMessage m{.to = {"a@example.org"}, .subject = std::string(s)};
  return ComposeMessage(m, {.from = "n@example.org"}, "<x@example.org>").has_value();
}

Origin TestOrigin() { return {.from = "notices@node.example.org", .date = 1'700'000'000'000}; }

TEST(Address, AcceptsDotAtoms) {
  for (std::string_view a : {"alice@example.org", "first.last+tag@sub.example.co.uk",
                             "o'brien@example.org", "root@localhost", "x_y-z@a-b.example"})
    EXPECT_TRUE(ValidateAddress(a, "to")) << a;
}

TEST(Address, RefusesMalformed) {
  for (std::string_view a :
       {"", "no-at-sign", "@example.org", "alice@", "a@b@example.org", "a..b@example.org",
        ".a@example.org", "a.@example.org", "a b@example.org", "\"quoted\"@example.org",
        "alice@-example.org", "alice@example..org", "alice@exa_mple.org", "alice@[127.0.0.1]",
        "<alice@example.org>", "Alice <alice@example.org>", "ali,ce@example.org",
        "ålice@example.org", "alice@例え.jp"}) {
    auto s = ValidateAddress(a, "to[0]");
    ASSERT_FALSE(s) << a;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.error().field, "to[0]");
  }
  std::string long_local(65, 'a');
  EXPECT_FALSE(ValidateAddress(long_local + "@example.org", "to"));
}

TEST(Address, LineBreakIsHeaderInjection) {
  for (std::string_view a : {"alice@example.org\r\nBcc: eve@example.org", "alice@example.org\n",
                             "alice@example.org\r"}) {
    auto s = ValidateAddress(a, "to[1]");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().field, "to[1]");
    EXPECT_NE(s.error().message.find("header injection"), std::string::npos);
  }
}

TEST(HeaderText, ShortAsciiStaysReadable) {
  EXPECT_EQ(EncodeHeaderText("Subject", "Incident report 2026-11"), "Incident report 2026-11");
}

TEST(HeaderText, EncodedWordLookalikeIsEncoded) {
  std::string v = EncodeHeaderText("Subject", "not =?UTF-8?B?YQ==?= a word");
  EXPECT_TRUE(v.starts_with("=?UTF-8?B?"));
  std::string joined;
  for (auto& w : DecodeWords(v)) joined += w;
  EXPECT_EQ(joined, "not =?UTF-8?B?YQ==?= a word");
}

TEST(HeaderText, NonAsciiIsFoldedIntoWholeCharacterWords) {
  std::string text = std::string(kArabic) + " — " + std::string(kChinese);
  std::string v = EncodeHeaderText("Subject", text);
  std::vector<std::string> lines = Lines(v);
  ASSERT_GT(lines.size(), 2u);
  EXPECT_LE(("Subject: " + lines[0]).size(), 78u);
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i][0], ' ');
    EXPECT_LE(lines[i].size(), 78u);
  }
  std::string joined;
  for (const std::string& word : DecodeWords(v)) {
    EXPECT_TRUE(ValidUtf8(word)) << "a word splits a character";
    joined += word;
  }
  EXPECT_EQ(joined, text);
  for (char c : v) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
}

TEST(HeaderText, LongAsciiIsEncodedRatherThanOverlong) {
  std::string text(200, 'x');
  std::string v = EncodeHeaderText("Subject", text);
  for (const std::string& line : Lines(v)) EXPECT_LE(line.size(), 78u);
  std::string joined;
  for (auto& w : DecodeWords(v)) joined += w;
  EXPECT_EQ(joined, text);
}

TEST(QuotedPrintable, EncodesWhatMustBeEncoded) {
  EXPECT_EQ(EncodeQuotedPrintable("a=b\r\n"), "a=3Db\r\n");
  EXPECT_EQ(EncodeQuotedPrintable("trailing \r\ntab\t\r\n"), "trailing=20\r\ntab=09\r\n");
  EXPECT_EQ(EncodeQuotedPrintable("caf\xC3\xA9\r\n"), "caf=C3=A9\r\n");
  EXPECT_EQ(EncodeQuotedPrintable("in side\r\n"), "in side\r\n");
}

TEST(QuotedPrintable, SoftBreaksKeepLinesShortAndRoundTrip) {
  std::string text = std::string(kChinese) + std::string(300, 'z') + " " + std::string(kArabic) +
                     "\r\n\r\nsecond = line\r\n";
  std::string qp = EncodeQuotedPrintable(text);
  for (const std::string& line : Lines(qp)) EXPECT_LE(line.size(), 76u) << line;
  EXPECT_EQ(DecodeQuotedPrintable(qp), text);
}

TEST(Date, Rfc5322) {
  EXPECT_EQ(FormatRfc5322Date(1'700'000'000'000), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(FormatRfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(Compose, AsciiMessage) {
  MailMessage m{.to = {"a@example.org", "b@example.net"},
                .subject = "Ping test",
                .body = "Please acknowledge.\nThank you.",
                .headers = {{"X-Entente-Notice", "ping-42"}}};
  auto r = ComposeMessage(m, TestOrigin(), "<id-1@node.example.org>");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r,
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            "From: notices@node.example.org\r\n"
            "To: a@example.org, b@example.net\r\n"
            "Subject: Ping test\r\n"
            "Message-ID: <id-1@node.example.org>\r\n"
            "X-Entente-Notice: ping-42\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "Please acknowledge.\r\n"
            "Thank you.\r\n");
}

TEST(Compose, DisplayNameAndCallerMessageId) {
  Origin o = TestOrigin();
  o.from_name = "CERT Arcadia";
  MailMessage m{.to = {"a@example.org"}, .subject = "s", .message_id = "thread-7@example.org"};
  auto r = ComposeMessage(m, o, "<unused@example.org>");
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("From: CERT Arcadia <notices@node.example.org>\r\n"), std::string::npos);
  EXPECT_NE(r->find("Message-ID: <thread-7@example.org>\r\n"), std::string::npos);
  o.from_name = "فريق الاستجابة";
  r = ComposeMessage(m, o, "<unused@example.org>");
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("From: =?UTF-8?B?"), std::string::npos);
}

TEST(Compose, ManyRecipientsFoldTheToHeader) {
  MailMessage m{.subject = "s"};
  for (int i = 0; i < 20; ++i) m.to.push_back("recipient" + std::to_string(i) + "@example.org");
  auto r = ComposeMessage(m, TestOrigin(), "<x@example.org>");
  ASSERT_TRUE(r);
  for (const std::string& line : Lines(r->substr(0, r->find("\r\n\r\n"))))
    EXPECT_LE(line.size(), 78u) << line;
}

TEST(Compose, Utf8BodyIsQuotedPrintableAndSevenBitClean) {
  MailMessage m{.to = {"a@example.org"},
                .subject = std::string(kArabic),
                .body = std::string(kArabic) + "\n" + std::string(kChinese) + "\n"};
  auto r = ComposeMessage(m, TestOrigin(), "<x@example.org>");
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
  for (char c : *r) ASSERT_LT(static_cast<unsigned char>(c), 0x80);
  size_t body_at = r->find("\r\n\r\n") + 4;
  EXPECT_EQ(DecodeQuotedPrintable(r->substr(body_at)),
            std::string(kArabic) + "\r\n" + std::string(kChinese) + "\r\n");
}

TEST(Compose, LineEndingsBecomeCrlf) {
  MailMessage m{.to = {"a@example.org"}, .subject = "s", .body = "a\nb\r\nc\rd"};
  auto r = ComposeMessage(m, TestOrigin(), "<x@example.org>");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ends_with("\r\n\r\na\r\nb\r\nc\r\nd\r\n"));
}

struct Refusal {
  std::string name;
  MailMessage message;
  std::string field;
};

TEST(Compose, RefusesHeaderInjectionAndBadInputNamingTheField) {
  auto base = [] { return MailMessage{.to = {"a@example.org"}, .subject = "s", .body = "b"}; };
  std::vector<Refusal> cases;
  auto add = [&](std::string name, auto edit, std::string field) {
    MailMessage m = base();
    edit(m);
    cases.push_back({std::move(name), std::move(m), std::move(field)});
  };
  add(
      "crlf in subject", [](MailMessage& m) { m.subject = "hi\r\nBcc: eve@example.org"; },
      "subject");
  add(
      "lf in subject", [](MailMessage& m) { m.subject = "hi\nX: y"; }, "subject");
  add(
      "crlf in second recipient",
      [](MailMessage& m) { m.to.push_back("b@example.org\r\nBcc: eve@example.org"); }, "to[1]");
  add(
      "malformed recipient", [](MailMessage& m) { m.to = {"not an address"}; }, "to[0]");
  add(
      "no recipient", [](MailMessage& m) { m.to.clear(); }, "to");
  add(
      "crlf in header value",
      [](MailMessage& m) {
        m.headers = {{"X-Ok", "v\r\nBcc: eve@example.org"}};
      },
      "headers[0].value");
  add(
      "crlf in header name",
      [](MailMessage& m) {
        m.headers = {{"X-A\r\nBcc", "v"}};
      },
      "headers[0].name");
  add(
      "colon in header name",
      [](MailMessage& m) {
        m.headers = {{"Bcc: eve@example.org", "v"}};
      },
      "headers[0].name");
  add(
      "reserved header",
      [](MailMessage& m) {
        m.headers = {{"X-Ok", "1"}, {"bcc", "eve@example.org"}};
      },
      "headers[1].name");
  add(
      "non-ascii header value",
      [](MailMessage& m) {
        m.headers = {{"X-Ok", "é"}};
      },
      "headers[0].value");
  add(
      "invalid utf-8 subject", [](MailMessage& m) { m.subject = "\xC3("; }, "subject");
  add(
      "overlong utf-8", [](MailMessage& m) { m.subject = "\xC0\xAF"; }, "subject");
  add(
      "surrogate in utf-8", [](MailMessage& m) { m.body = "\xED\xA0\x80"; }, "body");
  add(
      "invalid utf-8 body", [](MailMessage& m) { m.body = "ok \xFF"; }, "body");
  add(
      "control in subject", [](MailMessage& m) { m.subject = std::string("a\0b", 3); }, "subject");
  add(
      "control in body", [](MailMessage& m) { m.body = "bell\x07"; }, "body");
  add(
      "crlf in message id", [](MailMessage& m) { m.message_id = "<a@b>\r\nBcc: eve@example.org"; },
      "message_id");
  add(
      "malformed message id", [](MailMessage& m) { m.message_id = "no-at-sign"; }, "message_id");
  add(
      "huge subject", [](MailMessage& m) { m.subject = std::string(kMaxSubjectBytes + 1, 'x'); },
      "subject");
  add(
      "too many recipients",
      [](MailMessage& m) { m.to.assign(kMaxRecipients + 1, "a@example.org"); }, "to");
  for (const Refusal& c : cases) {
    auto r = ComposeMessage(c.message, TestOrigin(), "<x@example.org>");
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(r.error().field, c.field) << c.name << ": " << r.error().ToString();
  }
  Origin o = TestOrigin();
  o.from_name = "Node\r\nBcc: eve@example.org";
  auto r = ComposeMessage(base(), o, "<x@example.org>");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "from_name");
}

}  // namespace
}  // namespace entente::mail
