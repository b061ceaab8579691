// Feed readers, registrable domains (Public Suffix List) and registration data.
#include "dnsabuse/feeds.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace entente::dnsabuse {
namespace {

std::vector<std::string> Domains(const FeedData& d) {
  std::vector<std::string> out;
  for (const auto& e : d.entries) out.push_back(e.registrable);
  return out;
}

std::map<std::uint64_t, std::string> IssuesByLine(const std::vector<LineIssue>& v) {
  std::map<std::uint64_t, std::string> m;
  for (const auto& i : v) m[i.line] = i.message;
  return m;
}

FeedSpec Spec(FeedFormat f, int column = 0) {
  FeedSpec s;
  s.format = f;
  s.source = "test";
  s.csv_column = column;
  return s;
}

TEST(Normalizer, RegistrableDomains) {
  DomainNormalizer n;
  auto r = n.FromHost("WWW.Example.CO.UK.");
  ASSERT_EQ(r.kind, DomainNormalizer::Kind::kDomain) << r.error;
  EXPECT_EQ(r.host, "www.example.co.uk");
  EXPECT_EQ(r.registrable, "example.co.uk");
  EXPECT_EQ(n.FromHost("a.b.example.com").registrable, "example.com");
  // Private-section suffixes count as public suffixes too.
  EXPECT_EQ(n.FromHost("evil.github.io").registrable, "evil.github.io");
  // IDN in UTF-8 becomes A-labels; a U-label TLD too.
  EXPECT_EQ(n.FromHost("Bücher.example").registrable, "xn--bcher-kva.example");
  EXPECT_EQ(n.FromHost("пример.рф").registrable, "xn--e1afmkfd.xn--p1ai");
  EXPECT_EQ(n.FromHost("xn--e1afmkfd.xn--p1ai").registrable, "xn--e1afmkfd.xn--p1ai");
  EXPECT_EQ(n.FromHost("*.wild.example.net").registrable, "example.net");
  EXPECT_EQ(n.FromHost("192.0.2.1").kind, DomainNormalizer::Kind::kIp);
  EXPECT_EQ(n.FromHost("[2001:db8::1]").kind, DomainNormalizer::Kind::kIp);
  EXPECT_EQ(n.FromHost("co.uk").kind, DomainNormalizer::Kind::kInvalid);
  EXPECT_NE(n.FromHost("co.uk").error.find("public suffix"), std::string::npos);
  EXPECT_NE(n.FromHost("localhost").error.find("single label"), std::string::npos);
  EXPECT_NE(n.FromHost("a..b.com").error.find("empty label"), std::string::npos);
  EXPECT_NE(n.FromHost("exa mple.com").error.find("not allowed"), std::string::npos);
  EXPECT_NE(n.FromHost("\xff\xfe.com").error.find("UTF-8"), std::string::npos);
  EXPECT_FALSE(n.list_source().empty());
}

// The memoised registrable domain equals libpsl's on every kind of rule:
// plain, two-level (co.uk), wildcard (*.ck) with its exception (!www.ck),
// wildcard and exception below a second level (*.kawasaki.jp,
// !city.kawasaki.jp), private suffixes, deep private rules, IDN TLDs, a TLD
// unknown to the list, and public suffixes themselves; asked twice (the second
// answer from the memo) and in both orders.
TEST(Normalizer, MemoisedRegistrableDomainEqualsLibpsl) {
  DomainNormalizer n;
  EXPECT_TRUE(n.memoised()) << n.list_source();
  const std::vector<std::string> hosts = {"evil.com",
                                          "a.b.evil.com",
                                          "evil.co.uk",
                                          "x.evil.co.uk",
                                          "co.uk",
                                          "uk",
                                          "x.y.ck",
                                          "y.ck",
                                          "a.www.ck",
                                          "www.ck",
                                          "ck",
                                          "a.b.kawasaki.jp",
                                          "b.kawasaki.jp",
                                          "kawasaki.jp",
                                          "city.kawasaki.jp",
                                          "x.city.kawasaki.jp",
                                          "evil.github.io",
                                          "github.io",
                                          "a.evil.github.io",
                                          "a.b.c.compute.amazonaws.com",
                                          "compute.amazonaws.com",
                                          "x.s3.amazonaws.com",
                                          "shop.blogspot.com",
                                          "blogspot.com",
                                          "xn--e1afmkfd.xn--p1ai",
                                          "a.xn--e1afmkfd.xn--p1ai",
                                          "foo.example",
                                          "a.b.c.d.e.unknowntld",
                                          "evil.kawasaki.miyagi.jp",
                                          "a.b.c.d.e.f.co.uk"};
  for (int round = 0; round < 2; ++round)
    for (size_t k = 0; k < hosts.size(); ++k) {
      const std::string& h = round == 0 ? hosts[k] : hosts[hosts.size() - 1 - k];
      EXPECT_EQ(n.Registrable(h), n.Registrable(h, false)) << h;
      EXPECT_EQ(n.Registrable(h), n.Registrable(h)) << h;
    }
  EXPECT_EQ(n.Registrable("x.y.ck"), "x.y.ck");
  EXPECT_EQ(n.Registrable("a.www.ck"), "www.ck");
  EXPECT_EQ(n.Registrable("x.city.kawasaki.jp"), "city.kawasaki.jp");
  EXPECT_EQ(n.Registrable("a.b.kawasaki.jp"), "a.b.kawasaki.jp");
  EXPECT_EQ(n.Registrable("x.evil.co.uk"), "evil.co.uk");
  EXPECT_EQ(n.Registrable("co.uk"), std::nullopt);
  EXPECT_EQ(n.Registrable("y.ck"), std::nullopt);

  // Every suffix of the list, with one, two and three labels in front (and
  // "www", "city" that exceptions use), against libpsl.
  const auto suffixes = n.KnownSuffixes();
  EXPECT_GT(suffixes.size(), 5000u);
  size_t compared = 0, differ = 0;
  for (const std::string& s : suffixes)
    for (const std::string& host : {s, "x." + s, "y.x." + s, "z.y.x." + s, "www." + s, "a.www." + s,
                                    "city." + s, "a.city." + s}) {
      ++compared;
      if (n.Registrable(host) != n.Registrable(host, false) && ++differ <= 10)
        ADD_FAILURE() << host << ": memo " << n.Registrable(host).value_or("(none)") << ", libpsl "
                      << n.Registrable(host, false).value_or("(none)");
    }
  EXPECT_EQ(differ, 0u) << "of " << compared;
}

TEST(Normalizer, Urls) {
  DomainNormalizer n;
  EXPECT_EQ(n.FromUrl("https://user:pw@Login.Bank.example.com:8443/path?q=1#f").registrable,
            "example.com");
  EXPECT_EQ(n.FromUrl("http://login.example.org./").registrable, "example.org");
  EXPECT_EQ(n.FromUrl("example.net/path/x.exe").registrable, "example.net");
  EXPECT_EQ(n.FromUrl("http://198.51.100.7:8080/bot").kind, DomainNormalizer::Kind::kIp);
  EXPECT_EQ(n.FromUrl("http://[2001:db8::2]:80/").kind, DomainNormalizer::Kind::kIp);
  EXPECT_EQ(n.FromUrl("http://b%C3%BCcher.example/").registrable, "xn--bcher-kva.example");
  EXPECT_NE(n.FromUrl("http:///nohost").error.find("without a host"), std::string::npos);
  EXPECT_NE(n.FromUrl("http://example.com:80x/").error.find("port"), std::string::npos);
  EXPECT_NE(n.FromUrl("ht tp://example.com/").error.find("scheme"), std::string::npos);
}

TEST(Feeds, DomainListWithDuplicatesCommentsAndBadLines) {
  DomainNormalizer n;
  const std::string text =
      "# phishing domains\n"             // 1
      "paypal-login.example.com\n"       // 2
      "WWW.PAYPAL-LOGIN.example.com.\n"  // 3 duplicate (same registrable)
      "\n"                               // 4
      "evil.co.uk ; note\n"              // 5
      "not a domain!\n"                  // 6 -> 'not' single label
      "http://x.example.org/a\n"         // 7 URL in a domain list
      "203.0.113.9\n"                    // 8 IP
      "bad_\xff.com\n";                  // 9 encoding
  FeedData d = ParseFeedText(text, Spec(FeedFormat::kDomains), n);
  EXPECT_EQ(Domains(d), (std::vector<std::string>{"example.com", "evil.co.uk"}));
  EXPECT_EQ(d.lines, 9u);
  EXPECT_EQ(d.listed, 3u);
  EXPECT_EQ(d.duplicates, 1u);
  EXPECT_EQ(d.ip_only, 1u);
  EXPECT_EQ(d.invalid, 3u);
  EXPECT_EQ(d.skipped, 2u);
  auto issues = IssuesByLine(d.issues);
  EXPECT_NE(issues[6].find("single label"), std::string::npos) << issues[6];
  EXPECT_NE(issues[7].find("URL or path"), std::string::npos);
  EXPECT_NE(issues[9].find("UTF-8"), std::string::npos);
  EXPECT_EQ(d.entries[1].line, 5u);
}

TEST(Feeds, UrlList) {
  DomainNormalizer n;
  const std::string text =
      "https://a.phish.example.com/login\n"
      "http://user@b.phish.example.com:8080/x\n"
      "http://192.0.2.55/x.exe\n"
      "https://xn--80ak6aa92e.com/\n"
      "http://:80/\n";
  FeedData d = ParseFeedText(text, Spec(FeedFormat::kUrls), n);
  EXPECT_EQ(Domains(d), (std::vector<std::string>{"example.com", "xn--80ak6aa92e.com"}));
  EXPECT_EQ(d.duplicates, 1u);
  EXPECT_EQ(d.ip_only, 1u);
  EXPECT_EQ(d.invalid, 1u);
  EXPECT_EQ(d.issues[0].line, 5u);
  EXPECT_EQ(d.entries[0].evidence, "https://a.phish.example.com/login");
}

TEST(Feeds, HostsFile) {
  DomainNormalizer n;
  const std::string text =
      "127.0.0.1 localhost\n"
      "::1 ip6-localhost ip6-loopback\n"
      "0.0.0.0 ads.tracker.example.net  malware.example.org # comment\n"
      "0.0.0.0\n"
      "tracker.example.com\n";
  FeedData d = ParseFeedText(text, Spec(FeedFormat::kHosts), n);
  EXPECT_EQ(Domains(d), (std::vector<std::string>{"example.net", "example.org"}));
  EXPECT_EQ(d.skipped, 3u);
  EXPECT_EQ(d.invalid, 2u);
  auto issues = IssuesByLine(d.issues);
  EXPECT_NE(issues[4].find("without a name"), std::string::npos);
  EXPECT_NE(issues[5].find("IP address"), std::string::npos);
}

TEST(Feeds, CsvByHeaderAndByColumn) {
  DomainNormalizer n;
  const std::string text =
      "id,first_seen,url,threat\n"
      "1,2024-01-01,\"http://c2.example.com/gate.php\",botnet_cc\n"
      "2,2024-01-01,\"http://x,y.example.net/\",botnet_cc\n"
      "3,2024-01-02,\"unterminated,botnet_cc\n"
      "4,2024-01-02\n";
  FeedData d = ParseFeedText(text, Spec(FeedFormat::kCsv), n);
  EXPECT_EQ(Domains(d), (std::vector<std::string>{"example.com"}));
  EXPECT_EQ(d.invalid, 3u);
  auto issues = IssuesByLine(d.issues);
  EXPECT_NE(issues[3].find("not allowed"), std::string::npos) << issues[3];
  EXPECT_NE(issues[4].find("not closed"), std::string::npos) << issues[4];
  EXPECT_NE(issues[5].find("reads column 3"), std::string::npos) << issues[5];
  FeedData d2 = ParseFeedText("a.example.com,x\nb.example.org,y\n", Spec(FeedFormat::kCsv, 1), n);
  EXPECT_EQ(Domains(d2), (std::vector<std::string>{"example.com", "example.org"}));
  FeedData d3 = ParseFeedText("x,a.example.com\n", Spec(FeedFormat::kCsv, 2), n);
  EXPECT_EQ(Domains(d3), (std::vector<std::string>{"example.com"}));
}

TEST(Feeds, ResponsePolicyZone) {
  DomainNormalizer n;
  const std::string text =
      "$TTL 300\n"
      "@ SOA localhost. root.localhost. 1 3600 600 86400 300\n"
      "  NS localhost.\n"
      "$ORIGIN rpz.example.\n"
      "bad.example.com CNAME .\n"
      "*.bad.example.com CNAME .\n"
      "worse.example.org CNAME rpz-passthru.\n"
      "worse.example.org TXT \"second record, same trigger\"\n"
      "32.1.2.0.192.rpz-ip CNAME .\n"
      "ns.evil.rpz-nsdname CNAME .\n"
      "broken A 999.1.1.1\n";
  FeedSpec spec = Spec(FeedFormat::kRpz);
  // The SOA owner ("@") needs an origin: RPZ files name it with $ORIGIN
  // first, so put it there.
  FeedData d = ParseFeedText("$ORIGIN rpz.example.\n" + text, spec, n);
  EXPECT_EQ(Domains(d), (std::vector<std::string>{"example.com", "example.org"}));
  EXPECT_EQ(d.duplicates, 1u);  // *.bad.example.com
  EXPECT_EQ(d.skipped, 3u);     // the NS of the apex and the IP / NSDNAME triggers
  EXPECT_EQ(d.invalid, 1u);
  EXPECT_EQ(d.issues[0].line, 12u);
}

TEST(Feeds, FeedSpecs) {
  auto s = ParseFeedSpec("botnet_cc:abuse.ch:csv3:/tmp/a:b.csv");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->category, Category::kBotnetCc);
  EXPECT_EQ(s->source, "abuse.ch");
  EXPECT_EQ(s->format, FeedFormat::kCsv);
  EXPECT_EQ(s->csv_column, 3);
  EXPECT_EQ(s->path, "/tmp/a:b.csv");
  EXPECT_NE(ParseFeedSpec("scam:x:domains:f").error().message.find("unknown category"),
            std::string::npos);
  EXPECT_NE(ParseFeedSpec("spam:X Y:domains:f").error().message.find("source"), std::string::npos);
  EXPECT_NE(ParseFeedSpec("spam:x:json:f").error().message.find("unknown feed format"),
            std::string::npos);
  EXPECT_NE(ParseFeedSpec("spam:x:domains").error().message.find("category:source:format:FILE"),
            std::string::npos);
  EXPECT_FALSE(ParseFeedSpec("spam:x:csv0:f"));
}

TEST(Registrations, RowsUnknownRegistrarsAndBadRows) {
  DomainNormalizer n;
  RegistrarList regs = ParseRegistrars(
      "iana_id,name,abuse_email\n1001,Registrar One,abuse@one.example\n1002,Two,\nx,Bad\n");
  EXPECT_EQ(regs.by_id.size(), 2u);
  EXPECT_EQ(regs.invalid, 1u);
  EXPECT_EQ(regs.by_id.at(1001).abuse_email, "abuse@one.example");
  const std::string csv =
      "domain,registrar_id,created\n"            // 1
      "example.com,1001,2024-01-01\n"            // 2
      "EXAMPLE.NET.,1002,2024-02-30\n"           // 3 bad date
      "example.org,9999,2024-03-01T10:00:00Z\n"  // 4 unknown registrar
      "example.com,1002,2024-01-05\n"            // 5 duplicate
      "example.info,abc,2024-01-01\n"            // 6 bad id
      "new.example,1001,\n"                      // 7 no date
      "short\n";                                 // 8 missing columns
  RegistrationData d = ParseRegistrations(csv, &regs, n);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.invalid, 3u);
  EXPECT_EQ(d.unknown_registrar, 1u);
  EXPECT_EQ(d.duplicates, 1u);
  auto issues = IssuesByLine(d.issues);
  EXPECT_NE(issues[3].find("creation date"), std::string::npos);
  EXPECT_NE(issues[4].find("not in the registrar list"), std::string::npos);
  EXPECT_NE(issues[5].find("registered twice"), std::string::npos);
  EXPECT_NE(issues[6].find("not a number"), std::string::npos);
  EXPECT_NE(issues[8].find("columns"), std::string::npos);
  ASSERT_NE(d.Find("example.com"), nullptr);
  EXPECT_EQ(d.Find("example.com")->registrar, 1001);
  EXPECT_EQ(FormatDay(d.Find("example.com")->created_day), "2024-01-01");
  EXPECT_EQ(FormatDay(d.Find("example.org")->created_day), "2024-03-01");
  EXPECT_EQ(d.Find("new.example")->created_day, -1);
  EXPECT_EQ(d.Find("example.net"), nullptr);
  EXPECT_EQ(d.registrar_ids, (std::vector<std::int64_t>{1001, 9999}));
  RegistrationData noheader = ParseRegistrations("example.com,1\n", nullptr, n);
  EXPECT_EQ(noheader.invalid, 1u);
  EXPECT_NE(noheader.issues[0].message.find("header"), std::string::npos);
}

TEST(Days, ParseAndFormat) {
  EXPECT_EQ(ParseDay("1970-01-01"), 0);
  EXPECT_EQ(ParseDay("2024-03-01"), 19783);
  EXPECT_EQ(FormatDay(19783), "2024-03-01");
  EXPECT_FALSE(ParseDay("2024-02-30"));
  EXPECT_FALSE(ParseDay("2024-1-01"));
  EXPECT_FALSE(ParseDay("24-01-01xx"));
}

}  // namespace
}  // namespace entente::dnsabuse
