// Zone reader: the real root zone (counts computed independently with awk),
// hand-made tricky inputs and malformed ones.
#include "dnsabuse/zone.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace entente::dnsabuse {
namespace {

namespace fs = std::filesystem;

std::string DataDir() {
  const char* src = std::getenv("ENTENTE_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/dnsabuse/data";
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

struct Collected {
  std::vector<std::string> owners;
  std::vector<std::uint16_t> types;
  std::vector<std::uint32_t> ttls;
  std::vector<std::vector<std::string>> rdata;
  std::vector<std::uint64_t> lines;
  RecordFn Fn() {
    return [this](const ZoneRecord& r) {
      owners.emplace_back(r.owner);
      types.push_back(r.type);
      ttls.push_back(r.ttl);
      lines.push_back(r.line);
      std::vector<std::string> rd;
      for (auto v : *r.rdata) rd.emplace_back(v);
      rdata.push_back(rd);
    };
  }
};

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "entente-dns-XXXXXX").string();
    if (mkdtemp(t.data())) path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return (path_ / name).string();
  }
  fs::path path_;
};

TEST(ZoneReader, RootZoneMatchesAwk) {
  const std::string file = DataDir() + "/root.zone";
  // Independent counts: the root zone is written one record per line as
  // "owner TTL IN TYPE rdata".
  const long awk_records = std::stol(Shell("awk 'NF>0 && $1 !~ /^;/' '" + file + "' | wc -l"));
  const long awk_delegations = std::stol(
      Shell("awk '$4==\"NS\" && $1!=\".\" {print tolower($1)}' '" + file + "' | sort -u | wc -l"));
  const long awk_ds = std::stol(Shell("awk '$4==\"DS\"' '" + file + "' | wc -l"));
  const long awk_aaaa = std::stol(Shell("awk '$4==\"AAAA\"' '" + file + "' | wc -l"));
  ASSERT_GT(awk_records, 10000);
  ASSERT_GT(awk_delegations, 1000);

  DelegationCounter counter;
  std::set<std::string> delegated;
  ZoneStats stats = *ReadZoneFile(file, {}, [&](const ZoneRecord& r) {
    if (counter.Add(r, "")) delegated.emplace(r.owner);
  });
  EXPECT_EQ(stats.errors, 0u) << (stats.issues.empty() ? "" : stats.issues[0].message);
  EXPECT_EQ(static_cast<long>(stats.records), awk_records);
  EXPECT_EQ(static_cast<long>(counter.count()), awk_delegations);
  EXPECT_EQ(static_cast<long>(delegated.size()), awk_delegations);
  EXPECT_EQ(static_cast<long>(stats.by_type[rrtype::kDS]), awk_ds);
  EXPECT_EQ(static_cast<long>(stats.by_type[rrtype::kAAAA]), awk_aaaa);
  EXPECT_TRUE(stats.has_apex);
  EXPECT_EQ(stats.apex, "");
  EXPECT_TRUE(delegated.count("com"));
  EXPECT_TRUE(delegated.count("xn--p1ai"));
  EXPECT_FALSE(delegated.count("a.root-servers.net"));
  EXPECT_EQ(stats.bytes, fs::file_size(file));
}

TEST(ZoneReader, GzipGivesTheSameCounts) {
  const std::string file = DataDir() + "/root.zone";
  TempDir dir;
  const std::string gz = (dir.path_ / "root.zone.gz").string();
  {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gzFile g = gzopen(gz.c_str(), "wb");
    ASSERT_NE(g, nullptr);
    ASSERT_EQ(gzwrite(g, text.data(), static_cast<unsigned>(text.size())),
              static_cast<int>(text.size()));
    gzclose(g);
  }
  DelegationCounter a, b;
  auto plain = ReadZoneFile(file, {}, [&](const ZoneRecord& r) { a.Add(r, ""); });
  auto zipped = ReadZoneFile(gz, {}, [&](const ZoneRecord& r) { b.Add(r, ""); });
  ASSERT_TRUE(plain && zipped);
  EXPECT_EQ(plain->records, zipped->records);
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(plain->bytes, zipped->bytes);
  // A truncated gzip stream is an error, not a silently shorter zone.
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  const std::string cut = dir.Write("cut.zone.gz", bytes.substr(0, bytes.size() / 2));
  auto truncated = ReadZoneFile(cut, {}, [](const ZoneRecord&) {});
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("cut.zone.gz"), std::string::npos);
}

TEST(ZoneReader, TrickySyntax) {
  const std::string zone =
      "$ORIGIN Example.COM.\n"
      "$TTL 1h\n"
      "@ IN SOA ns1 hostmaster (\n"
      "    2024010101 ; serial\n"
      "    7200 3600 1209600 300 )\n"
      "  NS ns1\n"
      "\tNS ns2.example.net.\n"
      "ns1 300 A 192.0.2.1\n"
      "ns1 IN 600 AAAA 2001:db8::1\n"
      "; a comment line\n"
      "\n"
      "sub NS ns1.sub\n"
      "sub NS ns2.sub ; second\n"
      "txt TXT \"a;b (c)\" \"quote \\\" inside\"\n"
      "esc\\.dot A 192.0.2.2\n"
      "\\065\\066c A 192.0.2.3\n"
      "sub2.example.com. 7200 IN NS ns.other.\n"
      "$ORIGIN other.example.com.\n"
      "deep NS ns1.deep\n"
      "gen TYPE65280 \\# 2 abcd\n"
      "sig RRSIG A 8 3 300 20240101000000 20231201000000 12345 example.com. (\n"
      "  AbCd\n"
      "  EfGh )\n";
  Collected c;
  ZoneStats s = ParseZoneText(zone, {}, c.Fn());
  ASSERT_EQ(s.errors, 0u) << s.issues[0].line << ": " << s.issues[0].message;
  ASSERT_EQ(c.owners.size(), 14u);
  EXPECT_EQ(c.owners[0], "example.com");
  EXPECT_EQ(c.types[0], rrtype::kSOA);
  EXPECT_EQ(c.rdata[0].size(), 7u);
  EXPECT_EQ(c.ttls[0], 3600u);
  EXPECT_EQ(c.owners[1], "example.com");  // omitted owner
  EXPECT_EQ(c.owners[2], "example.com");
  EXPECT_EQ(c.lines[2], 7u);
  EXPECT_EQ(c.owners[3], "ns1.example.com");
  EXPECT_EQ(c.ttls[3], 300u);
  EXPECT_EQ(c.ttls[4], 600u);  // class before TTL
  EXPECT_EQ(c.types[4], rrtype::kAAAA);
  EXPECT_EQ(c.owners[5], "sub.example.com");
  EXPECT_EQ(c.ttls[5], 3600u);  // $TTL, not the last explicit TTL
  EXPECT_EQ(c.lines[5], 12u);
  EXPECT_EQ(c.rdata[7].size(), 2u);
  EXPECT_EQ(c.rdata[7][0], "\"a;b (c)\"");
  EXPECT_EQ(c.owners[8], "esc\\046dot.example.com");
  EXPECT_EQ(c.owners[9], "abc.example.com");
  EXPECT_EQ(c.owners[10], "sub2.example.com");
  EXPECT_EQ(c.owners[11], "deep.other.example.com");
  EXPECT_EQ(c.types[12], 65280);
  EXPECT_EQ(c.types[13], rrtype::kRRSIG);
  EXPECT_EQ(c.rdata[13].size(), 10u);
  EXPECT_EQ(c.lines[13], 21u);
  EXPECT_EQ(s.lines, 0u);  // not tracked separately from records

  // Delegations below the apex: sub (twice, counted once), sub2, deep.other;
  // not the apex's own NS, not the glue.
  DelegationCounter counter;
  std::vector<std::string> delegated;
  ParseZoneText(zone, {}, [&](const ZoneRecord& r) {
    if (counter.Add(r, "example.com")) delegated.emplace_back(r.owner);
  });
  EXPECT_EQ(delegated, (std::vector<std::string>{"sub.example.com", "sub2.example.com",
                                                 "deep.other.example.com"}));
}

TEST(ZoneReader, NonConsecutiveDuplicateOwnersCountedOnce) {
  const std::string zone =
      "$ORIGIN com.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n"
      "a NS ns.x.\nb NS ns.x.\nA NS ns.y.\nc NS ns.x.\nb.com. NS ns.z.\n";
  DelegationCounter counter;
  ParseZoneText(zone, {}, [&](const ZoneRecord& r) { counter.Add(r, "com"); });
  EXPECT_EQ(counter.count(), 3u);
}

TEST(ZoneReader, MalformedLinesAreReportedAndTheRestProcessed) {
  const std::string zone =
      "$TTL 300\n"
      "relative NS ns.example.\n"  // 2: no origin
      "$ORIGIN example.\n"
      "a NS ns.example.\n"     // 4 ok
      "b IN FOO bar\n"         // 5: unknown type
      "c A 300.1.1.1\n"        // 6: bad IPv4
      "d..x A 192.0.2.1\n"     // 7: empty label
      "e NS\n"                 // 8: NS without target
      "f CH A 192.0.2.1\n"     // 9: class CH
      "$INCLUDE other.zone\n"  // 10: refused
      "g ( NS ns.example.\n"   // 11: ( not closed -> swallows to end
      "h NS ns.example.\n"
      "\n";
  Collected c;
  ZoneOptions opt;
  opt.display_name = "bad.zone";
  ZoneStats s = ParseZoneText(zone, opt, c.Fn());
  std::map<std::uint64_t, std::string> by_line;
  for (const auto& i : s.issues) {
    EXPECT_EQ(i.file, "bad.zone");
    by_line[i.line] = i.message;
  }
  EXPECT_EQ(c.owners, (std::vector<std::string>{"a.example"}));
  EXPECT_EQ(s.errors, 8u);
  EXPECT_NE(by_line[2].find("no $ORIGIN"), std::string::npos) << by_line[2];
  EXPECT_NE(by_line[5].find("unknown record type 'FOO'"), std::string::npos) << by_line[5];
  EXPECT_NE(by_line[6].find("not an IPv4 address"), std::string::npos) << by_line[6];
  EXPECT_NE(by_line[7].find("empty label"), std::string::npos) << by_line[7];
  EXPECT_NE(by_line[8].find("at least 1 RDATA field"), std::string::npos) << by_line[8];
  EXPECT_NE(by_line[9].find("class CH"), std::string::npos) << by_line[9];
  EXPECT_NE(by_line[10].find("$INCLUDE is refused"), std::string::npos) << by_line[10];
  EXPECT_NE(by_line[11].find("not closed"), std::string::npos) << by_line[11];
}

TEST(ZoneReader, MoreMalformedInputs) {
  struct Case {
    std::string text;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"$ORIGIN x.\n$TTL 1\na \"unterminated\n", "unterminated quoted string"},
      {"$ORIGIN x.\n$TTL 1\na A 1.2.3.4 )\n", "')' without '('"},
      {"$ORIGIN x.\n$TTL 1\na ( ( A 1.2.3.4 ) )\n", "nested '('"},
      {"$ORIGIN x.\na A 1.2.3.4\n", "no TTL"},
      {"$ORIGIN x.\n$TTL 1\na\\300 A 1.2.3.4\n", "above 255"},
      {"$ORIGIN x.\n$TTL 1\na\\2 A 1.2.3.4\n", "three digits"},
      {"$ORIGIN x.\n$TTL 1\n" + std::string(64, 'a') + " A 1.2.3.4\n", "longer than 63"},
      {"$ORIGIN x.\n$TTL 1\na TYPE99999 \\# 0\n", "unknown record type"},
      {"$ORIGIN x.\n$TTL 1\na TYPE65280 \\# 2 ab\n", "announces 2 bytes"},
      {"$ORIGIN x.\n$TTL 1\na MX 10\n", "at least 2"},
      {"$TTL abc\n", "$TTL takes one TTL"},
      {"$GENERATE 1-10 a$ A 1.2.3.$\n", "$GENERATE is not supported"},
      {"$FOO bar\n", "unknown directive"},
      {"  A 1.2.3.4\n", "no valid previous owner"},
      {"$ORIGIN x.\n$TTL 1\na\n", "missing record type"},
      {"$ORIGIN x.\n$TTL 1\na AAAA 1.2.3.4\n", "not an IPv6 address"},
  };
  for (const auto& cs : cases) {
    ZoneStats s = ParseZoneText(cs.text, {}, [](const ZoneRecord&) {});
    ASSERT_EQ(s.errors, 1u) << cs.text;
    EXPECT_NE(s.issues[0].message.find(cs.expect), std::string::npos)
        << cs.text << " -> " << s.issues[0].message;
    EXPECT_EQ(s.records, 0u) << cs.text;
  }
  // A long name (more than 255 bytes on the wire) is refused.
  std::string longname;
  for (int i = 0; i < 5; ++i) longname += std::string(60, 'a') + ".";
  ZoneStats s = ParseZoneText("$TTL 1\n" + longname + " A 1.2.3.4\n", {}, [](const ZoneRecord&) {});
  ASSERT_EQ(s.errors, 1u);
  EXPECT_NE(s.issues[0].message.find("longer than 255"), std::string::npos);
}

TEST(ZoneReader, IncludeWhenAllowed) {
  TempDir dir;
  dir.Write("child.zone", "www A 192.0.2.7\n");
  const std::string parent =
      dir.Write("parent.zone",
                "$ORIGIN example.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n$INCLUDE child.zone sub.example.\n"
                "after A 192.0.2.8\n");
  Collected c;
  ZoneOptions opt;
  opt.allow_include = true;
  auto s = ReadZoneFile(parent, opt, c.Fn());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->errors, 0u) << s->issues[0].message;
  EXPECT_EQ(c.owners, (std::vector<std::string>{"example", "www.sub.example", "after.example"}));
  // Refused by default, and a missing include is reported, not fatal.
  Collected d;
  auto refused = ReadZoneFile(parent, {}, d.Fn());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->errors, 1u);
  EXPECT_EQ(d.owners.size(), 2u);
  dir.Write("parent2.zone", "$ORIGIN example.\n$TTL 60\n$INCLUDE missing.zone\n");
  auto missing = ReadZoneFile((dir.path_ / "parent2.zone").string(), opt, d.Fn());
  ASSERT_TRUE(missing);
  ASSERT_EQ(missing->errors, 1u);
  EXPECT_EQ(missing->issues[0].line, 3u);
  EXPECT_NE(missing->issues[0].message.find("cannot open"), std::string::npos);
}

TEST(ZoneReader, RecordsSpanningReadChunks) {
  // More than one 8 MiB read buffer, with parenthesised records throughout,
  // so that records cross the chunk boundaries.
  TempDir dir;
  std::string text = "$ORIGIN test.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n";
  const int n = 200000;
  for (int i = 0; i < n; ++i)
    text +=
        "d" + std::to_string(i) + " NS ( ns1.example.\n ) ; delegation " + std::to_string(i) + "\n";
  ASSERT_GT(text.size(), std::size_t{9} << 20);
  const std::string path = dir.Write("big.zone", text);
  DelegationCounter counter;
  std::uint64_t last_line = 0;
  auto s = ReadZoneFile(path, {}, [&](const ZoneRecord& r) {
    counter.Add(r, "test");
    last_line = r.line;
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->errors, 0u);
  EXPECT_EQ(counter.count(), static_cast<std::uint64_t>(n));
  EXPECT_EQ(last_line, 3u + 2u * (n - 1) + 1u);
}

// The common record (one line without ; ( ) " \) is tokenised 16 bytes at a
// time; every other line by the general tokenizer. A comment at the end of
// a line sends it to the general path without changing its meaning, so both
// paths must give the same records and the same issues: hand-picked lines
// (good and bad, tabs, CR, control bytes, tokens of 15-17 bytes across the
// 16-byte blocks, directives, indented and blank lines) and 3,000 random
// lines from a pool of tokens and blanks.
std::string Digest(const std::string& text) {
  std::string out;
  ZoneOptions o;
  o.origin = "test.";
  ZoneStats s = ParseZoneText(text, o, [&](const ZoneRecord& r) {
    out += std::to_string(r.line) + " " + std::string(r.owner) + " " + std::to_string(r.type) +
           " " + std::to_string(r.ttl);
    for (std::string_view v : *r.rdata) out += "|" + std::string(v);
    out += "\n";
  });
  for (const auto& i : s.issues) out += "issue " + std::to_string(i.line) + " " + i.message + "\n";
  out += "records " + std::to_string(s.records) + " errors " + std::to_string(s.errors);
  return out;
}

std::string WithComments(const std::vector<std::string>& lines) {
  std::string t;
  for (const auto& l : lines) t += l + " ;c\n";
  return t;
}

std::string Plain(const std::vector<std::string>& lines) {
  std::string t;
  for (const auto& l : lines) t += l + "\n";
  return t;
}

TEST(ZoneReader, FastLinePathMatchesTheGeneralTokenizer) {
  const std::vector<std::string> lines = {
      "$TTL 3600",
      "@ IN SOA a.test. b.test. 1 2 3 4 5",
      "example 172800 IN NS ns1.example.net.",
      "\t172800\tIN\tNS\tns2.example.net.",
      "Example.TEST. 60 in ns NS3.Example.Net.\r",
      "fifteen-bytes-x 60 IN NS a.b.",
      "sixteen-bytes-xy 60 IN NS a.b.",
      "seventeen-bytes-x 60 IN NS a.b.",
      "",
      "   \t  \r",
      "ns1.example 172800 IN A 192.0.2.1",
      "ns1.example 172800 IN AAAA 2001:db8::1",
      "bad-a 60 IN A 300.1.2.3",
      "bad-aaaa 60 IN AAAA 2001:zz::1",
      "x 60 CH TXT hello",
      "x 60 IN BOGUS data",
      "x IN 60 MX 10 mail.x",
      "x 1h30m IN MX 10",
      "x 60 IN NS",
      "x 60 IN NS a b",
      "x 60 IN TYPE65280 \\# 2 abcd",
      "x 60 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
      "x 86400 IN RRSIG DS 8 2 86400 20240315000000 20240301000000 12345 test. "
      "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=",
      "@ 60 IN NS a.test.",
      "a..b 60 IN NS x.",
      "ctl\x01name 60 IN NS x.",
      std::string("nul") + '\0' + "name 60 IN NS x.",
      "$ORIGIN sub.test.",
      "rel 60 IN NS rel2",
      "$UNKNOWN x",
      "$GENERATE 1-2 a NS b",
      "$TTL",
      "label-that-is-exactly-sixty-three-bytes-long-abcdefghijklmnopq 60 IN NS x.",
      "label-that-is-longer-than-sixty-three-bytes-long-abcdefghijklmnopqrstu 60 IN NS x.",
      "tail 60 IN NS x.",
  };
  const std::string fast = Digest(Plain(lines) + std::string(64, '\n'));
  const std::string general = Digest(WithComments(lines) + std::string(64, '\n'));
  EXPECT_EQ(fast, general);
  EXPECT_NE(fast.find("records "), std::string::npos);
  EXPECT_NE(fast.find("issue 13 A record"), std::string::npos) << fast;

  // Random lines from a pool of tokens and blanks.
  const std::vector<std::string> pool = {"a",
                                         "ns",
                                         "NS",
                                         "IN",
                                         "in",
                                         "A",
                                         "AAAA",
                                         "DS",
                                         "RRSIG",
                                         "60",
                                         "1h",
                                         "172800",
                                         "1.2.3.4",
                                         "::1",
                                         "@",
                                         "x.y.",
                                         "x.y",
                                         "CH",
                                         "TXT",
                                         "MX",
                                         "10",
                                         "$TTL",
                                         "$ORIGIN",
                                         "\\#",
                                         "0",
                                         "ab",
                                         "TYPE1",
                                         "CLASS1",
                                         "0123456789abcdef",
                                         "0123456789abcdefg",
                                         "n.test.",
                                         "-",
                                         "*.w",
                                         "\x7f"};
  const std::vector<std::string> blanks = {" ", "\t", "  ", " \t", "\r "};
  std::uint64_t seed = 42;
  auto next = [&seed]() {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>(seed >> 33);
  };
  std::vector<std::string> random;
  for (int i = 0; i < 3000; ++i) {
    std::string l = next() % 4 == 0 ? blanks[next() % blanks.size()] : "";
    const size_t n = next() % 9;
    for (size_t k = 0; k < n; ++k) {
      if (k) l += blanks[next() % blanks.size()];
      l += pool[next() % pool.size()];
    }
    random.push_back(l);
  }
  EXPECT_EQ(Digest(Plain(random) + std::string(64, '\n')),
            Digest(WithComments(random) + std::string(64, '\n')));
}

TEST(ZoneReader, CanonicalNames) {
  std::string out;
  EXPECT_EQ(CanonicalName("WWW.Example.", "", true, out), "");
  EXPECT_EQ(out, "www.example");
  EXPECT_EQ(CanonicalName(".", "", false, out), "");
  EXPECT_EQ(out, "");
  EXPECT_EQ(CanonicalName("a\\ b", "x", true, out), "");
  EXPECT_EQ(out, "a\\032b.x");
  EXPECT_EQ(CanonicalName("rel", "", false, out), "relative name but no $ORIGIN is set");
  EXPECT_TRUE(IsBelow("a.com", "com"));
  EXPECT_FALSE(IsBelow("com", "com"));
  EXPECT_FALSE(IsBelow("acom", "com"));
  EXPECT_TRUE(IsBelow("com", ""));
  EXPECT_FALSE(IsBelow("", ""));
}

}  // namespace
}  // namespace entente::dnsabuse
