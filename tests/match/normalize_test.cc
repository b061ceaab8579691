#include "match/normalize.h"

#include <gtest/gtest.h>

namespace entente::match {
namespace {

TEST(Normalize, Domains) {
  EXPECT_EQ(NormalizeDomain("WWW.Example.COM.").value(), "www.example.com");
  EXPECT_EQ(NormalizeDomain("_dmarc.example.com").value(), "_dmarc.example.com");
  // IDNA: U-labels become A-labels; A-labels are kept (and validated).
  EXPECT_EQ(NormalizeDomain("bücher.example").value(), "xn--bcher-kva.example");
  EXPECT_EQ(NormalizeDomain("BÜCHER.example").value(), "xn--bcher-kva.example");
  EXPECT_EQ(NormalizeDomain("xn--bcher-kva.example").value(), "xn--bcher-kva.example");
  EXPECT_EQ(NormalizeDomain("пример.рф").value(), "xn--e1afmkfd.xn--p1ai");
}

TEST(Normalize, BadDomains) {
  EXPECT_FALSE(NormalizeDomain(""));
  EXPECT_FALSE(NormalizeDomain("."));
  EXPECT_FALSE(NormalizeDomain("a..b"));
  auto e = NormalizeDomain("exa mple.com");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("offset 3"), std::string::npos) << e.error().message;
  EXPECT_FALSE(NormalizeDomain(std::string(64, 'a') + ".com"));
  EXPECT_FALSE(NormalizeDomain(std::string(300, 'a')));
  auto bad_utf8 = NormalizeDomain("b\xc3(cher.example");
  ASSERT_FALSE(bad_utf8);
  EXPECT_NE(bad_utf8.error().message.find("UTF-8"), std::string::npos);
  EXPECT_FALSE(NormalizeDomain("xn--zz-.example"));  // invalid Punycode
  std::string out;
  EXPECT_FALSE(NormalizeDomainFast("xn--bcher-kva.example", out));  // slow path validates
  EXPECT_TRUE(NormalizeDomainFast("A.b.", out));
  EXPECT_EQ(out, "a.b");
}

TEST(Normalize, Ips) {
  auto p = ParseIp("192.0.2.77/24").value();
  EXPECT_FALSE(p.v6);
  EXPECT_EQ(p.prefix, 24);
  EXPECT_EQ(p.ToString(), "192.0.2.0/24");
  EXPECT_EQ(ParseIp("2001:DB8::1").value().ToString(), "2001:db8::1");
  EXPECT_EQ(ParseIp("[2001:db8::1]").value().ToString(), "2001:db8::1");
  EXPECT_EQ(ParseIp("2001:db8:ffff::/32").value().ToString(), "2001:db8::/32");
  EXPECT_EQ(ParseIp("10.0.0.1/0").value().ToString(), "0.0.0.0/0");
  for (const char* bad : {"", "1.2.3", "1.2.3.4/33", "1.2.3.256", "::1/129", "1.2.3.4/",
                          "1.2.3.4/-1", "1.2.3.4/2a", "01.2.3.4x", "1.2.3.4/0024"}) {
    EXPECT_FALSE(ParseIp(bad)) << bad;
  }
  EXPECT_NE(ParseIp("1.2.3.4/33").error().message.find("exceeds 32"), std::string::npos);
}

TEST(Normalize, Urls) {
  EXPECT_EQ(NormalizeUrl("HTTP://WWW.Example.com:80/a/B?x=1#frag").value(),
            "http://www.example.com/a/B?x=1");
  EXPECT_EQ(NormalizeUrl("https://example.com:8443").value(), "https://example.com:8443/");
  EXPECT_EQ(NormalizeUrl("https://user:pw@bücher.example/").value(),
            "https://xn--bcher-kva.example/");
  EXPECT_EQ(NormalizeUrl("example.com/x").value(), "http://example.com/x");
  EXPECT_EQ(NormalizeUrl("http://[2001:DB8::1]:8080/p").value(), "http://[2001:db8::1]:8080/p");
  EXPECT_EQ(UrlHost("http://[2001:db8::1]:8080/p"), "2001:db8::1");
  EXPECT_EQ(UrlHost("https://a.example:8443/"), "a.example");
  EXPECT_FALSE(NormalizeUrl("http://"));
  EXPECT_FALSE(NormalizeUrl("http://exa mple.com/"));
  EXPECT_FALSE(NormalizeUrl("http://example.com:8x/"));
  EXPECT_FALSE(NormalizeUrl("1http://example.com/"));
}

TEST(Normalize, EmailsAndHashes) {
  EXPECT_EQ(NormalizeEmail("Alice@Example.COM").value(), "alice@example.com");
  EXPECT_FALSE(NormalizeEmail("alice"));
  EXPECT_FALSE(NormalizeEmail("@example.com"));
  EXPECT_FALSE(NormalizeEmail("a b@example.com"));
  EXPECT_EQ(ParseHexHash("D41D8CD98F00B204E9800998ECF8427E").value().size(), 16u);
  EXPECT_EQ(ParseHexHash(std::string(64, 'a')).value().size(), 32u);
  EXPECT_FALSE(ParseHexHash("abc"));
  auto e = ParseHexHash("d41d8cd98f00b204e9800998ecf8427g");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("offset 31"), std::string::npos) << e.error().message;
}

TEST(Normalize, Utf8) {
  // The normalisers use jcs::IsValidUtf8: malformed UTF-8 in a name or a
  // local part is an error naming UTF-8, never passed to libidn2.
  EXPECT_TRUE(NormalizeDomain("h\xc3\xa9llo.example"));
  for (std::string_view bad : {"\xc0\xaf.example", "\xed\xa0\x80.example",
                               "\xf4\x90\x80\x80.example", "x\xe2\x82.example"}) {
    auto d = NormalizeDomain(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_NE(d.error().message.find("UTF-8"), std::string::npos) << d.error().message;
    auto e = NormalizeEmail(std::string(bad) + "@example.org");
    EXPECT_FALSE(e) << bad;
  }
  auto e = NormalizeEmail("\xed\xa0\x80@example.org");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("UTF-8"), std::string::npos) << e.error().message;
}

}  // namespace
}  // namespace entente::match
