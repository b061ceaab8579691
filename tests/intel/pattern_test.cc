#include "intel/pattern.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace entente::intel {
namespace {

// Parses, prints, parses again: the two trees must be equal and printing the
// second gives the same text.
void ExpectRoundTrip(const std::string& text) {
  SCOPED_TRACE(text);
  auto first = ParsePattern(text);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  std::string printed = PrintPattern(*first);
  auto second = ParsePattern(printed);
  ASSERT_TRUE(second.has_value()) << printed << ": " << second.error().message;
  EXPECT_EQ(*first, *second) << printed;
  EXPECT_EQ(printed, PrintPattern(*second));
}

TEST(PatternTest, ValidPatternsRoundTrip) {
  const std::vector<std::string> patterns = {
      // Patterns of the official examples (data/stix/examples, interop).
      "[ ipv4-addr:value = '10.0.0.0' ]",
      "[email-message:subject MATCHES '^[IMPORTANT] Please Review Before']",
      "[file:hashes.'SHA-256' = "
      "'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
      "[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
      // Examples of section 9 of the specification.
      "[file:hashes.'SHA-256' = "
      "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND "
      "email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
      "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' "
      "OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = "
      "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "[file:hashes.'SHA-256' = 'aec0'] WITHIN 300 SECONDS",
      "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
      "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
      "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
      "user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND "
      "user-account:user_id = '1008' AND user-account:account_login = 'Paul']",
      "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES "
      "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
      "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
      "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
      "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
      "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
      "'203.0.113.33/32']",
      "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
      "'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS",
      "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = "
      "'198.51.100.1/32']",
      "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
      "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
      "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
      "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR "
      "windows-registry-key:key = "
      "'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388']",
      "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = "
      "t'2014-01-13T07:03:17Z']",
      "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = "
      "'Conference Info']",
      "[x-usb-device:usbdrive.serial_number = '575833303334302e312e3135353531']",
      "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] "
      "FOLLOWEDBY [process:command_line MATCHES "
      "'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
      "[network-traffic:src_ref.value ISSUBSET '192.168.0.0/16']",
      "[network-traffic:dst_ref.value ISSUPERSET '10.1.0.0/24']",
      "[ipv4-addr:value NOT IN ('10.0.0.1', '10.0.0.2')]",
      "[file:size IN (1, -2, 3.5, -.5, true, h'00', b'AAE=', t'2020-02-29T00:00:00.123Z', 'x')]",
      "[file:size IN ()]",
      "[EXISTS file:hashes.'SHA-1']",
      "[file:name LIKE 'bad%.exe' AND NOT_A_KEYWORD:x != 'y']",
      "[file:name NOT LIKE 'a_c']",
      "[file:size >= 10 AND file:size <= 20 AND file:size < +30 AND file:size > -1]",
      "[file:size <> 5]",
      "[file:x = false] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
      "[a:b[0].c[-1].'quoted key' = 'v']",
      "[a:'first key'.'with \\'quote\\' and \\\\' = 'it\\'s']",
      "[a:b = 1] AND ([a:c = 2] OR [a:d = 3])",
      "([a:b = 1] AND [a:c = 2]) OR [a:d = 3]",
      "[a:b = 1] FOLLOWEDBY ([a:c = 2] FOLLOWEDBY [a:d = 3]) WITHIN 2.5 SECONDS",
      "(([a:b = 1] REPEATS 2 TIMES) WITHIN 10 SECONDS)",
      "[a:b = 1 AND (a:c = 2 OR a:d = 3)]",
      "[((a:b = 1))]",
      "/* comment */ [a:b = 1] // trailing comment",
      "[a:b = 'unicode: \xc3\xa9\xe6\x97\xa5']",
  };
  for (const auto& p : patterns) ExpectRoundTrip(p);
}

TEST(PatternTest, TreeShape) {
  auto p = ParsePattern("[a:b = 1 OR a:c = 2 AND a:d = 3] AND [x:y = 'z'] WITHIN 5 SECONDS");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->kind, Observation::Kind::kAnd);
  ASSERT_EQ(p->children.size(), 2u);
  const auto& left = p->children[0].comparison;
  ASSERT_EQ(left.kind, Comparison::Kind::kOr);  // AND binds tighter than OR
  ASSERT_EQ(left.children.size(), 2u);
  EXPECT_EQ(left.children[1].kind, Comparison::Kind::kAnd);
  ASSERT_EQ(p->children[1].qualifiers.size(), 1u);  // the qualifier binds to [x:y = 'z']
  EXPECT_EQ(p->children[1].qualifiers[0].number.integer, 5);
  EXPECT_TRUE(p->qualifiers.empty());

  auto f = ParsePattern("[a:b = 1] OR [a:c = 1] FOLLOWEDBY [a:d = 1]");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->kind, Observation::Kind::kFollowedBy);  // FOLLOWEDBY binds loosest
  EXPECT_EQ(f->children[0].kind, Observation::Kind::kOr);

  auto path = ParsePattern("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]");
  ASSERT_TRUE(path);
  const auto& test = path->comparison;
  EXPECT_EQ(test.op, Operator::kGreater);
  EXPECT_EQ(test.path.object_type, "file");
  ASSERT_EQ(test.path.steps.size(), 5u);
  EXPECT_EQ(test.path.steps[1].key, "windows-pebinary-ext");
  EXPECT_EQ(test.path.steps[3].kind, PathStep::Kind::kAnyIndex);
  EXPECT_EQ(test.values[0].kind, Literal::Kind::kFloat);
  EXPECT_EQ(test.values[0].text, "7.0");

  auto esc = ParsePattern("[a:b = 'it\\'s a \\\\ path']");
  ASSERT_TRUE(esc);
  EXPECT_EQ(esc->comparison.values[0].text, "it's a \\ path");
}

TEST(PatternTest, DifferentPatternsGiveDifferentTrees) {
  auto a = ParsePattern("[a:b = 1] AND ([a:c = 2] OR [a:d = 3])");
  auto b = ParsePattern("([a:b = 1] AND [a:c = 2]) OR [a:d = 3]");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  auto c = ParsePattern("[a:b = 1] WITHIN 5 SECONDS AND [a:c = 2]");
  auto d = ParsePattern("([a:b = 1] AND [a:c = 2]) WITHIN 5 SECONDS");
  ASSERT_TRUE(c && d);
  EXPECT_NE(*c, *d);
  EXPECT_EQ(PrintPattern(*d), "([a:b = 1] AND [a:c = 2]) WITHIN 5 SECONDS");
}

struct Bad {
  std::string pattern;
  std::string message;  // expected substring of the error
};

TEST(PatternTest, InvalidPatternsAreRejectedPrecisely) {
  const std::vector<Bad> bad = {
      {"", "offset 0: expected '[' or '('"},
      {"a:b = 1", "offset 0: expected '[' or '('"},
      {"[a:b = 1", "offset 8: expected ']', AND or OR, found end of pattern"},
      {"[a:b = 1]]", "offset 9: expected AND, OR, FOLLOWEDBY"},
      {"[a:b = 1] AND", "offset 13: expected '[' or '('"},
      {"[a:b = 1] and [a:c = 2]", "offset 10"},
      {"[a = 1]", "offset 3: expected ':' after the object type"},
      {"[a: = 1]", "offset 4: expected a property name after ':'"},
      {"[a:b 1]", "offset 5: expected a comparison operator"},
      {"[a:b = ]", "offset 7: expected a literal"},
      {"[a:b == 1]", "offset 6: expected a literal"},
      {"[a:b = 'x]", "offset 7: unterminated quoted literal"},
      {"[a:b = 'x\\n']", "offset 9: invalid escape"},
      {"[a:b = h'abc']", "hex literal needs an even number of digits"},
      {"[a:b = h'zz']", "offset 9: hex literal holds a non-hex character"},
      {"[a:b = b'abc']", "base64 literal length is not a multiple of 4"},
      {"[a:b = b'ab!=']", "base64 literal holds an invalid character"},
      {"[a:b = t'2020-02-30T00:00:00Z']", "day 30 out of range for 2020-02"},
      {"[a:b = t'2019-02-29T00:00:00Z']", "day 29 out of range"},
      {"[a:b = t'2020-01-01 00:00:00Z']", "invalid timestamp"},
      {"[a:b = t'2020-01-01T00:00:00']", "must end with 'Z'"},
      {"[a:b = t'2020-01-01T24:00:00Z']", "hour 24 out of range"},
      {"[a:b = t'2020-01-01T00:00:00.Z']", "fraction digits"},
      {"[a:b = 01]", "leading zero"},
      {"[a:b = 1.]", "digits after '.'"},
      {"[a:b = 99999999999999999999]", "integer out of the 64-bit range"},
      {"[a:b LIKE 5]", "LIKE needs a string literal"},
      {"[a:b MATCHES true]", "MATCHES needs a string literal"},
      {"[a:b > true]", "cannot compare with a boolean"},
      {"[a:b IN 'x']", "'(' starting the set after IN"},
      {"[a:b IN ('x' 'y')]", "',' or ')' in the set"},
      {"[a:b NOT EXISTS]", "a comparison operator after NOT"},
      {"[EXISTS = 1]", "an object path"},
      {"[a:hashes.SHA-256 = 'x']", "contains '-' and must be quoted"},
      {"[a:b[x] = 1]", "a list index"},
      {"[a:b['k'] = 1]", "a list index"},
      {"[a:b[1 = 1]", "']' closing the list index"},
      {"[a:b = 1] WITHIN SECONDS", "a number of seconds after WITHIN"},
      {"[a:b = 1] WITHIN 5", "SECONDS"},
      {"[a:b = 1] WITHIN 0 SECONDS", "positive"},
      {"[a:b = 1] REPEATS 1.5 TIMES", "an integer after REPEATS"},
      {"[a:b = 1] REPEATS 0 TIMES", "positive"},
      {"[a:b = 1] REPEATS 2", "TIMES"},
      {"[a:b = 1] START '2016' STOP t'2016-01-01T00:00:00Z'", "a timestamp t'...' after START"},
      {"[a:b = 1] START t'2016-01-01T00:00:00Z'", "STOP"},
      {"[a:b = 1] /* open", "unterminated comment"},
      {"[a:b = 1] $", "a pattern element, found '$'"},
      {"[a:b ! 1]", "expected '!='"},
      {"([a:b = 1]", "')', AND, OR, FOLLOWEDBY or a qualifier"},
      {"[(a:b = 1]", "')', AND or OR"},
      {"[a:b = 1] FOLLOWEDBY", "'[' or '('"},
      {"[AND:b = 1]", "an object path"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.pattern);
    auto r = ParsePattern(b.pattern);
    ASSERT_FALSE(r.has_value()) << PrintPattern(*r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, "pattern");
    EXPECT_NE(r.error().message.find(b.message), std::string::npos) << r.error().message;
  }
}

TEST(PatternTest, LimitsDepthAndSize) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += '(';
  auto r = ParsePattern(deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nested deeper than"), std::string::npos);

  std::string ok;
  for (int i = 0; i < 50; ++i) ok += '(';
  ok += "[a:b = 1]";
  for (int i = 0; i < 50; ++i) ok += ')';
  EXPECT_TRUE(ParsePattern(ok));

  std::string huge = "[a:b = '" + std::string(kMaxPatternBytes, 'x') + "']";
  auto h = ParsePattern(huge);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::kResourceExhausted);
}

TEST(PatternTest, ExtractsObservables) {
  auto p = ParsePattern(
      "[domain-name:value = 'Evil.EXAMPLE.com.' OR ipv4-addr:value IN ('198.51.100.0/24', "
      "'203.0.113.7')] AND [file:hashes.'SHA-256' = 'ABCDEF' AND file:hashes.md5 = 'AA' AND "
      "file:name = 'x.exe'] FOLLOWEDBY [url:value = 'http://Example.com/A' AND "
      "email-message:from_ref.value = 'Bad@Example.com' AND ipv6-addr:value = '2001:db8::/32' "
      "AND domain-name:value != 'good.example' AND NOT_EXTRACTED:value = 'x' AND "
      "domain-name:value NOT = 'neg.example'] OR [email-addr:value = 'bad@example.com']");
  ASSERT_TRUE(p) << p.error().message;
  std::vector<Observable> want = {
      {"domain-name", "evil.example.com", ""},
      {"ipv4-addr", "198.51.100.0/24", ""},
      {"ipv4-addr", "203.0.113.7", ""},
      {"file-hash", "abcdef", "SHA-256"},
      {"file-hash", "aa", "MD5"},
      {"url", "http://Example.com/A", ""},
      {"email-addr", "bad@example.com", ""},
      {"ipv6-addr", "2001:db8::/32", ""},
  };
  EXPECT_EQ(ExtractObservables(*p), want);
}

}  // namespace
}  // namespace entente::intel
