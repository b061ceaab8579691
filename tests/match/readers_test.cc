#include "match/readers.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "match/indicator_io.h"
#include "match/scan.h"

namespace entente::match {
namespace {

std::vector<std::string> Values(LineReader& r, std::string_view line,
                                LineStatus want = LineStatus::kValues) {
  std::vector<LogValue> out;
  std::string err;
  EXPECT_EQ(r.Read(line, out, err), want) << line << " -> " << err;
  std::vector<std::string> v;
  for (const auto& x : out) v.push_back(std::string(x.field) + "=" + std::string(x.value));
  return v;
}

using V = std::vector<std::string>;

TEST(Readers, Bind) {
  LineReader r({LogFormat::kBind});
  EXPECT_EQ(Values(r,
                   "02-Dec-2026 10:00:00.123 queries: info: client @0x7f1c2c0 192.0.2.1#53211 "
                   "(www.Example.com): query: www.Example.com IN A +E(0)K (192.0.2.53)"),
            (V{"query=www.Example.com"}));
  Values(r,
         "02-Dec-2026 10:00:00.123 queries: info: client @0x7f1c2c0 192.0.2.1#53211 (x): query: x",
         LineStatus::kMalformed);
  Values(r, "02-Dec-2026 10:00:00.123 general: info: zone example/IN: loaded",
         LineStatus::kIgnored);
}

TEST(Readers, Unbound) {
  LineReader r({LogFormat::kUnbound});
  EXPECT_EQ(Values(r, "[1764669600] unbound[4242:0] info: 192.0.2.1 bad.example. A IN"),
            (V{"query=bad.example."}));
  EXPECT_EQ(Values(r, "Dec  2 10:00:00 host unbound: [4242:0] info: ::1 bad.example. AAAA IN"),
            (V{"query=bad.example."}));
  Values(r, "[1764669600] unbound[4242:0] info: start of service (unbound 1.17.1).",
         LineStatus::kIgnored);
  Values(r, "[1764669600] unbound[4242:0] info: 192.0.2.1 bad.example.", LineStatus::kMalformed);
}

TEST(Readers, ZeekTsvAndJson) {
  LineReader r({LogFormat::kZeek});
  Values(r, "1764669600.1\tC1\t192.0.2.1\t53\tbad.example",
         LineStatus::kMalformed);  // no header yet
  Values(r, "#separator \\x09", LineStatus::kIgnored);
  Values(r, "#fields\tts\tuid\tid.orig_h\tquery\tanswers", LineStatus::kIgnored);
  EXPECT_EQ(
      Values(r, "1764669600.1\tC1\t192.0.2.1\tbad.example\t203.0.113.7,cname.example,TXT 5 hello"),
      (V{"query=bad.example", "answer=203.0.113.7", "answer=cname.example", "answer=TXT 5 hello"}));
  EXPECT_EQ(Values(r, "1764669600.1\tC1\t192.0.2.1\t-\t-", LineStatus::kIgnored), V{});
  Values(r, "1764669600.1\tC1\t192.0.2.1\tbad.example",
         LineStatus::kMalformed);  // missing a column

  LineReader j({LogFormat::kZeekJson});
  EXPECT_EQ(Values(j, R"({"ts":1.0,"query":"bad.example","answers":["203.0.113.7"]})"),
            (V{"query=bad.example", "answer=203.0.113.7"}));
  Values(j, R"({"ts":1.0,"query":"bad.exa)", LineStatus::kMalformed);
  Values(j, R"({"ts":1.0,"query":5})", LineStatus::kMalformed);
}

TEST(Readers, SquidCsvPlain) {
  LineReader s({LogFormat::kSquid});
  EXPECT_EQ(Values(s,
                   "1764669600.123    456 192.0.2.1 TCP_MISS/200 1234 GET http://bad.example/x - "
                   "HIER_DIRECT/203.0.113.5 text/html"),
            (V{"url=http://bad.example/x", "server=203.0.113.5"}));
  EXPECT_EQ(Values(s,
                   "1764669600.123 10 192.0.2.1 TCP_TUNNEL/200 0 CONNECT bad.example:443 - "
                   "HIER_DIRECT/203.0.113.5 -"),
            (V{"host=bad.example", "server=203.0.113.5"}));
  Values(s, "garbage line", LineStatus::kMalformed);

  LineReader c({LogFormat::kCsv, 2});
  EXPECT_EQ(Values(c, "1,\"bad.example\",x"), (V{"value=bad.example"}));
  EXPECT_EQ(Values(c, "1,\"a \"\"q\"\" b\",x"), (V{"value=a \"q\" b"}));
  Values(c, "1", LineStatus::kMalformed);
  Values(c, "1,\"unterminated", LineStatus::kMalformed);

  LineReader p({LogFormat::kPlain});
  EXPECT_EQ(Values(p, "  bad.example \r"), (V{"value=bad.example"}));
  Values(p, "# comment", LineStatus::kIgnored);
}

TEST(Readers, FormatSpecAndDetection) {
  EXPECT_EQ(ParseFormatSpec("csv:3").value().csv_column, 3);
  EXPECT_FALSE(ParseFormatSpec("csv:0"));
  EXPECT_FALSE(ParseFormatSpec("csv:x"));
  EXPECT_FALSE(ParseFormatSpec("nginx"));
  EXPECT_EQ(DetectFormat("#separator \\x09\n#fields\tts\n").format, LogFormat::kZeek);
  EXPECT_EQ(DetectFormat("{\"ts\":1,\"query\":\"a\"}\n").format, LogFormat::kZeekJson);
  EXPECT_EQ(
      DetectFormat("02-Dec-2026 queries: info: client 1.2.3.4#5 (a): query: a IN A +\n").format,
      LogFormat::kBind);
  EXPECT_EQ(DetectFormat("[1] unbound[1:0] info: 1.2.3.4 a. A IN\n").format, LogFormat::kUnbound);
  EXPECT_EQ(
      DetectFormat("1764669600.123 456 192.0.2.1 TCP_MISS/200 1234 GET http://a/ - HIER_NONE/- -\n")
          .format,
      LogFormat::kSquid);
  EXPECT_EQ(DetectFormat("bad.example\n").format, LogFormat::kPlain);
}

std::shared_ptr<const Index> SmallIndex() {
  std::vector<Indicator> in(3);
  in[0].id = "dom";
  in[0].kind = Kind::kDomain;
  in[0].value = "bad.example";
  in[0].subdomains = true;
  in[0].tlp = Tlp::kGreen;
  in[0].community = "energy";
  in[0].confidence = 80;
  in[1].id = "net";
  in[1].kind = Kind::kIp;
  in[1].value = "203.0.113.0/24";
  in[2].id = "url";
  in[2].kind = Kind::kUrl;
  in[2].value = "http://bad.example/x";
  return Index::Build(in).value();
}

std::string Scan(std::string_view data, const ScanOptions& o, ScanStats& st) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  st = ScanBuffer(data, "log", SmallIndex(), o, f);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

TEST(Scan, HitsInOrderWithLineNumbersAcrossChunksAndThreads) {
  std::string log;
  for (int i = 1; i <= 3000; ++i) {
    if (i % 100 == 0)
      log += fmt::format("[1] unbound[1:0] info: 192.0.2.1 h{}.BAD.example. A IN\n", i);
    else if (i % 250 == 7)
      log += "[1] unbound[1:0] info: 192.0.2.1 broken\n";
    else
      log += fmt::format("[1] unbound[1:0] info: 192.0.2.1 h{}.good.example. A IN\n", i);
  }
  log += "[1] unbound[1:0] info: 192.0.2.1 bad.example. A IN";  // no final newline
  ScanOptions o;
  o.chunk_bytes = 1000;  // many chunks
  o.threads = 3;
  ScanStats st;
  std::string out = Scan(log, o, st);
  EXPECT_EQ(st.format, "unbound");
  EXPECT_EQ(st.lines, 3001u);
  EXPECT_EQ(st.hits, 31u);
  EXPECT_EQ(st.malformed, 12u);
  EXPECT_TRUE(st.truncated);
  ASSERT_FALSE(st.first_malformed.empty());
  EXPECT_EQ(st.first_malformed[0].line, 7u);
  EXPECT_EQ(st.first_malformed[1].line, 257u);
  std::vector<std::uint64_t> lines;
  std::size_t pos = 0;
  while (pos < out.size()) {
    std::size_t nl = out.find('\n', pos);
    auto j = nlohmann::json::parse(out.substr(pos, nl - pos));
    lines.push_back(j["line"]);
    if (lines.size() == 1) {
      EXPECT_EQ(j["value"], "h100.bad.example");
      EXPECT_EQ(j["field"], "query");
      EXPECT_EQ(j["indicators"][0]["id"], "dom");
      EXPECT_EQ(j["indicators"][0]["match"], "subdomain");
      EXPECT_EQ(j["indicators"][0]["tlp"], "green");
      EXPECT_EQ(j["indicators"][0]["community"], "energy");
      EXPECT_EQ(j["indicators"][0]["confidence"], 80);
    }
    pos = nl + 1;
  }
  ASSERT_EQ(lines.size(), 31u);
  for (std::size_t k = 0; k < 30; ++k) EXPECT_EQ(lines[k], (k + 1) * 100);
  EXPECT_EQ(lines[30], 3001u);

  // The same on one thread, one chunk: identical output.
  o.threads = 1;
  o.chunk_bytes = 1 << 20;
  ScanStats st1;
  EXPECT_EQ(Scan(log, o, st1), out);
}

TEST(Scan, SquidUrlHostAndServerCsv) {
  std::string log =
      "1764669600.123 456 192.0.2.1 TCP_MISS/200 1234 GET http://BAD.example:80/x - "
      "HIER_DIRECT/203.0.113.5 text/html\n"
      "1764669600.200 456 192.0.2.1 TCP_MISS/200 1234 GET http://fine.example/ - "
      "HIER_DIRECT/198.51.100.1 text/html\n";
  ScanOptions o;
  o.out = OutFormat::kCsv;
  ScanStats st;
  std::string out = Scan(log, o, st);
  EXPECT_EQ(st.format, "squid");
  EXPECT_EQ(st.hits, 3u);  // url, host, server on line 1
  EXPECT_NE(out.find("log,1,url,url,http://bad.example/x,url,url,exact"), std::string::npos) << out;
  EXPECT_NE(out.find("log,1,host,domain,bad.example,dom,domain,exact,green,amber,energy,80"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("log,1,server,ip,203.0.113.5,net,ip,cidr"), std::string::npos) << out;
  EXPECT_EQ(out.find(",2,"), std::string::npos);
}

TEST(Scan, FileErrors) {
  ScanOptions o;
  auto r = ScanFile("/nonexistent/entente.log", SmallIndex(), o, stdout);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/nonexistent/entente.log"), std::string::npos);
  EXPECT_FALSE(ScanFile("/", SmallIndex(), o, stdout));
}

TEST(IndicatorIo, PlainCsvJsonLines) {
  IndicatorDefaults d;
  d.tlp = Tlp::kGreen;
  d.community = "energy";
  auto p =
      LoadIndicators(
          "# list\nbad.example\n*.tree.example\n1.2.3.0/24\nd41d8cd98f00b204e9800998ecf8427e\n",
          "auto", d, "list.txt")
          .value();
  EXPECT_EQ(p.format, "plain");
  ASSERT_EQ(p.indicators.size(), 4u);
  EXPECT_EQ(p.indicators[0].id, "list.txt:2");
  EXPECT_TRUE(p.indicators[0].subdomains);
  EXPECT_EQ(p.indicators[1].value, "tree.example");
  EXPECT_EQ(p.indicators[2].kind, Kind::kIp);
  EXPECT_EQ(p.indicators[3].kind, Kind::kMd5);
  EXPECT_EQ(p.indicators[0].tlp, Tlp::kGreen);

  auto c = LoadIndicators(
               "id,kind,value,tlp,confidence,subdomains\n"
               "a,domain,x.example,red,90,false\n"
               "b,,2001:db8::/32,,,\n"
               "c,domain,y.example,purple,,\n"
               "d,domain\n",
               "auto", d, "f.csv")
               .value();
  EXPECT_EQ(c.format, "csv");
  ASSERT_EQ(c.indicators.size(), 2u);
  EXPECT_EQ(c.indicators[0].tlp, Tlp::kRed);
  EXPECT_EQ(c.indicators[0].confidence, 90);
  EXPECT_FALSE(c.indicators[0].subdomains);
  EXPECT_EQ(c.indicators[1].kind, Kind::kIp);
  ASSERT_EQ(c.skipped, 2u);
  EXPECT_EQ(c.issues[0].line, 4u);
  EXPECT_NE(c.issues[0].message.find("purple"), std::string::npos);
  EXPECT_EQ(c.issues[1].line, 5u);

  auto j = LoadIndicators(
               "{\"id\":\"x\",\"value\":\"evil.example\",\"revoked\":true,\"valid_until\":\"2030-"
               "01-01T00:00:00Z\"}\n"
               "{\"value\":\"^a+$\",\"kind\":\"regex\",\"target\":\"url\"}\n"
               "{\"value\":5}\n"
               "not json\n",
               "auto", d, "f.jsonl")
               .value();
  EXPECT_EQ(j.format, "jsonl");
  ASSERT_EQ(j.indicators.size(), 2u);
  EXPECT_TRUE(j.indicators[0].revoked);
  EXPECT_EQ(j.indicators[0].valid_until, 1893456000000);
  EXPECT_EQ(j.indicators[1].target, Kind::kUrl);
  EXPECT_EQ(j.skipped, 2u);
  EXPECT_FALSE(LoadIndicators("x", "xml", d, "f"));
}

// Members of the wrong JSON type are issues, never exceptions (found by the
// match_indicators fuzz target: "type" as an array aborted the process).
TEST(IndicatorIo, StixMembersOfTheWrongTypeAreReportedNotThrown) {
  auto wrong_type =
      LoadIndicators(R"({"type":[{"type":"indicator"}],"objects":[]})", "stix", {}, "b.json");
  ASSERT_TRUE(wrong_type);
  EXPECT_TRUE(wrong_type->indicators.empty());
  ASSERT_EQ(wrong_type->issues.size(), 1u);
  EXPECT_NE(wrong_type->issues[0].message.find("not a STIX bundle"), std::string::npos);

  auto members = LoadIndicators(R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":5,"id":"indicator--a","pattern":"[domain-name:value = 'a.example']"},
    {"type":"indicator","id":7,"pattern":"[domain-name:value = 'b.example']"},
    {"type":"indicator","id":"indicator--c","pattern":"[domain-name:value = 'c.example']","pattern_type":["stix"]},
    {"type":"indicator","id":"indicator--d","pattern":"[domain-name:value = 'd.example']"}
  ]})",
                                "stix", {}, "b.json");
  ASSERT_TRUE(members);
  ASSERT_EQ(members->indicators.size(), 1u);
  EXPECT_EQ(members->indicators[0].value, "d.example");
  EXPECT_EQ(members->issues.size(), 2u);  // the id that is not a string, the pattern_type
}

TEST(IndicatorIo, StixBundle) {
  std::string bundle = R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"indicator","id":"indicator--a","pattern":"[domain-name:value = 'bad.example']","pattern_type":"stix",
     "valid_from":"2026-01-01T00:00:00Z","confidence":70,
     "object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]},
    {"type":"indicator","id":"indicator--b","pattern":"[ipv4-addr:value = '198.51.100.0/24']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
    {"type":"indicator","id":"indicator--c","pattern":"[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
    {"type":"indicator","id":"indicator--d","pattern":"[url:value MATCHES '^https?://[^/]+/wp-admin/']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
    {"type":"indicator","id":"indicator--e","pattern":"[email-addr:value = 'o\\'brien@example.com']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","revoked":true},
    {"type":"indicator","id":"indicator--f","pattern":"[domain-name:value = 'a'] AND [domain-name:value = 'b']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
    {"type":"indicator","id":"indicator--g","pattern":"[x-foo:value = 'a']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
    {"type":"malware","id":"malware--1","name":"x","is_family":false}
  ]})";
  auto r = LoadIndicators(bundle, "auto", {}, "b.json").value();
  EXPECT_EQ(r.format, "stix");
  ASSERT_EQ(r.indicators.size(), 5u);
  EXPECT_EQ(r.indicators[0].kind, Kind::kDomain);
  EXPECT_FALSE(r.indicators[0].subdomains);
  EXPECT_EQ(r.indicators[0].tlp, Tlp::kGreen);
  EXPECT_EQ(r.indicators[0].confidence, 70);
  EXPECT_EQ(r.indicators[1].kind, Kind::kIp);
  EXPECT_EQ(r.indicators[2].kind, Kind::kSha256);
  EXPECT_EQ(r.indicators[3].kind, Kind::kRegex);
  EXPECT_EQ(r.indicators[3].target, Kind::kUrl);
  EXPECT_EQ(r.indicators[4].value, "o'brien@example.com");
  EXPECT_TRUE(r.indicators[4].revoked);
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_NE(r.issues[0].message.find("indicator--f"), std::string::npos);
  EXPECT_FALSE(LoadIndicators("{\"type\":\"bundle\",\"objects\":[", "stix", {}, "b.json"));
  EXPECT_FALSE(StixPatternValues("[ipv4-addr:value = '2001:db8::1']"));
  EXPECT_FALSE(StixPatternValues("[domain-name:value = 'unterminated]"));
  EXPECT_FALSE(StixPatternValues("[file:hashes.MD5 MATCHES 'a']"));
}

// Patterns are read by the intel module's parser: ORs and IN sets give one
// value each; anything where one value is not enough is refused, saying why.
TEST(IndicatorIo, StixPatternValues) {
  auto v = StixPatternValues(
               "[domain-name:value = 'A.Example' OR domain-name:value IN ('b.example', "
               "'c.example')] OR [file:hashes.'SHA-256' = "
               "'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'] OR "
               "[url:value MATCHES '^http://x/']")
               .value();
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].kind, Kind::kDomain);
  EXPECT_EQ(v[0].value, "a.example");
  EXPECT_EQ(v[2].value, "c.example");
  EXPECT_EQ(v[3].kind, Kind::kSha256);
  EXPECT_EQ(v[3].value, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(v[4].kind, Kind::kRegex);
  EXPECT_EQ(v[4].target, Kind::kUrl);
  EXPECT_EQ(StixPatternValues("[email-message:from_ref.value = 'x@example.org']").value()[0].kind,
            Kind::kEmail);
  for (auto [pattern, why] : std::vector<std::pair<std::string, std::string>>{
           {"[domain-name:value = 'a'] AND [domain-name:value = 'b']", "AND"},
           {"[domain-name:value = 'a' AND url:value = 'http://a/']", "AND"},
           {"[domain-name:value = 'a'] FOLLOWEDBY [domain-name:value = 'b']", "FOLLOWEDBY"},
           {"[domain-name:value = 'a'] WITHIN 60 SECONDS", "qualifiers"},
           {"[domain-name:value NOT = 'a']", "NOT"},
           {"[domain-name:value != 'a']", "operator"},
           {"[x-foo:value = 'a']", "object path x-foo"},
           {"[file:hashes.'SHA-512' = 'ab']", "object path file"},
           {"[file:size = 10]", "object path"},
           {"[domain-name:value IN ()]", "names no value"},
           {"[domain-name:value = ", "offset"}}) {
    auto e = StixPatternValues(pattern);
    ASSERT_FALSE(e) << pattern;
    EXPECT_NE(e.error().message.find(why), std::string::npos)
        << pattern << ": " << e.error().message;
  }
}

}  // namespace
}  // namespace entente::match
