#include "jcs/jcs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <vector>

namespace entente::jcs {
namespace {

std::string Canon(std::string_view text) {
  auto j = ParseUntrusted(text);
  EXPECT_TRUE(j) << j.error().message;
  auto c = Canonicalize(j.value_or(Json()));
  EXPECT_TRUE(c) << c.error().message;
  return c.value_or("");
}

// RFC 8785 section 3.2.2 (input) and 3.2.3 (its canonical form).
TEST(Jcs, Rfc8785Section322Example) {
  EXPECT_EQ(Canon(R"({
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})"),
            R"({"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],)"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 section 3.2.3: members sorted by UTF-16 code units, so the
// surrogate pair of U+1F600 (D83D DE00) comes before U+FB33, although its
// UTF-8 bytes (F0 ...) and its code point are greater.
TEST(Jcs, Rfc8785Section323SortingExample) {
  EXPECT_EQ(Canon(R"({
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
})"),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
            "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
            "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(Jcs, SortsNestedObjectsAndKeepsArrayOrder) {
  EXPECT_EQ(Canon(R"({"b":[3,{"z":1,"a":[]},1],"a":{"d":null,"c":true},"":0,"aa":1})"),
            R"({"":0,"a":{"c":true,"d":null},"aa":1,"b":[3,{"a":[],"z":1},1]})");
  // U+FF5E is one code unit; U+10000 is D800 DC00, which sorts first.
  Json o;
  o["\xEF\xBD\x9E"] = 1;
  o["\xF0\x90\x80\x80"] = 2;
  EXPECT_EQ(*Canonicalize(o), "{\"\xF0\x90\x80\x80\":2,\"\xEF\xBD\x9E\":1}");
}

TEST(Jcs, EscapesOnlyWhatRfc8785Escapes) {
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c) all_controls.push_back(static_cast<char>(c));
  EXPECT_EQ(*Canonicalize(Json(all_controls + "\"\\/\x7F\xC3\xA9")),
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f"
            "\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
            "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\\"\\\\/\x7F\xC3\xA9\"");
}

TEST(Jcs, CanonicalizeRefusesWhatHasNoCanonicalForm) {
  EXPECT_FALSE(Canonicalize(Json("\xC0\xAF")));             // overlong
  EXPECT_FALSE(Canonicalize(Json("\xED\xA0\x80")));         // surrogate
  EXPECT_FALSE(Canonicalize(Json::array({"ok", "\xFF"})));  // nested
  Json bad_key;
  bad_key["\xE2\x82"] = 1;  // truncated
  EXPECT_FALSE(Canonicalize(bad_key));
  EXPECT_FALSE(Canonicalize(Json::binary({1, 2, 3})));
  Json deep = 1;
  for (int i = 0; i < 1000; ++i) deep = Json::array({std::move(deep)});
  EXPECT_TRUE(Canonicalize(deep));
  deep = Json::array({std::move(deep)});
  auto too_deep = Canonicalize(deep);
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().code, ErrorCode::kInvalidArgument);
}

// Test data of the RFC 8785 reference implementation
// (cyberphone/json-canonicalization, testdata/input and testdata/output).
TEST(Jcs, ReferenceValuesExample) {
  EXPECT_EQ(Canon(R"({
  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],
  "escaping": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})"),
            "{\"escaping\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/"
            "\",\"literals\":[null,true,false],"
            "\"numbers\":[1e+30,4.5,333333333.3333333,0.002,1e-27]}");
}

TEST(Jcs, ReferenceSortingByUtf16CodeUnits) {
  EXPECT_EQ(
      Canon(R"({
  "\u20ac": "Euro Sign",
  "1": "One",
  "\u0080": "Control\u007f",
  "\ud83d\ude02": "Smiley",
  "\u00f6": "Latin Small Letter O With Diaeresis",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "</script>": "Browser Challenge"
})"),
      "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\xC2\x80\":\"Control\x7F\","
      "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
      "\"\xF0\x9F\x98\x82\":\"Smiley\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

// RFC 8785 Appendix B: IEEE-754 bit patterns and their serialization.
TEST(Jcs, Rfc8785AppendixBNumbers) {
  struct Row {
    std::uint64_t bits;
    const char* expected;
  } rows[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& r : rows) {
    double d = std::bit_cast<double>(r.bits);
    auto c = Canonicalize(Json(d));
    ASSERT_TRUE(c) << std::hex << r.bits;
    EXPECT_EQ(*c, r.expected) << std::hex << r.bits;
  }
  // Further ECMAScript layouts around the switch points.
  const std::pair<double, const char*> kMore[] = {{1e21, "1e+21"},
                                                  {1e20, "100000000000000000000"},
                                                  {1e-7, "1e-7"},
                                                  {1.5e-7, "1.5e-7"},
                                                  {0.1 + 0.2, "0.30000000000000004"},
                                                  {-1.5, "-1.5"},
                                                  {123e-20, "1.23e-18"},
                                                  {1e300 * 10, "1e+301"},
                                                  {2.5e25, "2.5e+25"},
                                                  {4.35, "4.35"},
                                                  {0.5, "0.5"},
                                                  {100, "100"}};
  for (auto [d, expected] : kMore) EXPECT_EQ(*Canonicalize(Json(d)), expected) << expected;
  // NaN and infinities must be rejected.
  EXPECT_FALSE(Canonicalize(Json(std::bit_cast<double>(std::uint64_t{0x7fffffffffffffff}))));
  EXPECT_FALSE(Canonicalize(Json(std::bit_cast<double>(std::uint64_t{0x7ff0000000000000}))));
  // Integers are doubles: beyond 2^53 they take the nearest double's value.
  EXPECT_EQ(*Canonicalize(Json(std::int64_t{9007199254740993})), "9007199254740992");
  EXPECT_EQ(*Canonicalize(Json(std::uint64_t{18446744073709551615u})), "18446744073709552000");
  EXPECT_EQ(*Canonicalize(Json(std::int64_t{-9007199254740992})), "-9007199254740992");
}

void AppendUtf8(std::string& s, char32_t cp) {
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | cp >> 6));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | cp >> 12));
    s.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | cp >> 18));
    s.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Any Unicode scalar value, weighted towards the interesting ranges (ASCII
// and controls, the top of the BMP, the supplementary planes).
std::string RandomString(std::mt19937_64& rng) {
  std::string s;
  for (int i = static_cast<int>(rng() % 6); i > 0; --i) {
    char32_t cp;
    switch (rng() % 4) {
      case 0:
        cp = static_cast<char32_t>(rng() % 0x80);
        break;
      case 1:
        cp = static_cast<char32_t>(0xE000 + rng() % 0x2000);
        break;
      case 2:
        cp = static_cast<char32_t>(0x10000 + rng() % 0x100000);
        break;
      default:
        cp = static_cast<char32_t>(rng() % 0xD800);
    }
    AppendUtf8(s, cp);
  }
  return s;
}

Json RandomJson(std::mt19937_64& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 4 ? 4 : 6);
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:  // exact integers, within +-2^53
      return static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 54)) - (std::int64_t{1} << 53);
    case 3: {
      double d = std::bit_cast<double>(rng());
      if (!std::isfinite(d)) d = 1.5;
      return d;
    }
    case 4:
      return RandomString(rng);
    case 5: {
      Json a = Json::array();
      for (int i = static_cast<int>(rng() % 4); i > 0; --i) a.push_back(RandomJson(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = static_cast<int>(rng() % 5); i > 0; --i)
        o[RandomString(rng)] = RandomJson(rng, depth + 1);
      return o;
    }
  }
}

// canon(parse(canon(v))) == canon(v), and parse(canon(v)) is v again (numbers
// compared by value: 4.0 comes back as the integer 4).
TEST(Jcs, RoundTripProperty) {
  std::mt19937_64 rng(8785);
  for (int i = 0; i < 5000; ++i) {
    Json v = RandomJson(rng, 0);
    auto c1 = Canonicalize(v);
    ASSERT_TRUE(c1) << v.dump();
    auto parsed = ParseUntrusted(*c1);
    ASSERT_TRUE(parsed) << *c1 << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, v) << *c1;
    auto c2 = Canonicalize(*parsed);
    ASSERT_TRUE(c2) << *c1 << ": " << c2.error().message;
    EXPECT_EQ(*c1, *c2);
  }
}

// Key order must not depend on the order members were written in.
TEST(Jcs, MemberOrderOfTheInputDoesNotMatter) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    std::vector<std::string> keys;
    for (int k = 0; k < 8; ++k) keys.push_back(RandomString(rng));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::string first, second;
    for (int round = 0; round < 2; ++round) {
      std::shuffle(keys.begin(), keys.end(), rng);
      std::string text = "{";
      for (size_t k = 0; k < keys.size(); ++k)
        text += (k ? "," : "") + Json(keys[k]).dump() + ":" + std::to_string(k);
      text += "}";
      auto parsed = ParseUntrusted(text);
      ASSERT_TRUE(parsed) << parsed.error().message;
      Json keys_only = Json::object();
      for (auto& [key, value] : parsed->items()) keys_only[key] = nullptr;
      (round == 0 ? first : second) = *Canonicalize(keys_only);
    }
    EXPECT_EQ(first, second);
  }
}

TEST(Jcs, ParseUntrustedRejectsBadInput) {
  EXPECT_FALSE(ParseUntrusted("{\"a\":\"\xC0\xAF\"}"));          // overlong
  EXPECT_FALSE(ParseUntrusted("{\"a\":\"\xED\xA0\x80\"}"));      // UTF-8 encoded surrogate
  EXPECT_FALSE(ParseUntrusted("{\"a\":\"\xE2\x82\"}"));          // truncated
  EXPECT_FALSE(ParseUntrusted("{\"a\":\"\xF4\x90\x80\x80\"}"));  // beyond U+10FFFF
  EXPECT_FALSE(ParseUntrusted(R"({"a":"\ud800"})"));             // lone surrogate escape
  EXPECT_FALSE(ParseUntrusted(R"({"a":1,"a":2})"));              // duplicate member
  EXPECT_FALSE(ParseUntrusted(R"({"a":{"b":1,"b":1}})"));
  EXPECT_TRUE(ParseUntrusted(R"({"a":{"b":1},"c":{"b":1}})"));  // same key, different objects
  EXPECT_FALSE(ParseUntrusted("{} trailing"));
  EXPECT_FALSE(ParseUntrusted("/* comment */ {}"));
  EXPECT_FALSE(ParseUntrusted(""));
  std::string deep32 = std::string(32, '[') + std::string(32, ']');
  std::string deep33 = std::string(33, '[') + std::string(33, ']');
  EXPECT_TRUE(ParseUntrusted(deep32));
  auto d = ParseUntrusted(deep33);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("deeper"), std::string::npos);
  EXPECT_FALSE(ParseUntrusted("\"" + std::string(100, 'x') + "\"", {.max_string_bytes = 99}));
  EXPECT_FALSE(ParseUntrusted("[1,2,3,4]", {.max_elements = 4}));
  EXPECT_TRUE(ParseUntrusted("[1,2,3]", {.max_elements = 4}));
  auto big = ParseUntrusted(std::string(2000, ' ') + "1", {.max_bytes = 1000});
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kResourceExhausted);
  auto bad = ParseUntrusted("{\"a\": tru}");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("byte"), std::string::npos);
}

TEST(Jcs, ParseUntrustedRejectsBrokenSurrogateEscapes) {
  EXPECT_FALSE(ParseUntrusted(R"("\udc00")"));        // lone low surrogate
  EXPECT_FALSE(ParseUntrusted(R"("\ud800\u0041")"));  // high surrogate, then not a low one
  EXPECT_FALSE(ParseUntrusted(R"("\ud800x")"));
  EXPECT_FALSE(ParseUntrusted(R"("\ude00\ud83d")"));  // pair in the wrong order
  EXPECT_FALSE(ParseUntrusted(R"({"\ud800":1})"));    // in a member name
  auto pair = ParseUntrusted(R"("\ud83d\ude00")");
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->get<std::string>(), "\xF0\x9F\x98\x80");
}

TEST(Jcs, ParseUntrustedRejectsOtherMalformedText) {
  for (const char* text : {"[1,]", "{\"a\":1,}", "{'a':1}", "[01]", "[1.]", "[.5]", "[+1]", "[NaN]",
                           "[Infinity]", "[1e400]", "[-1e400]", "\"\t\"", "[\"a\"\"b\"]",
                           "{\"a\" 1}", "[1] [2]", "nul", "[", "{\"a\":", "\"\\x41\""}) {
    auto r = ParseUntrusted(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << text;
    }
  }
  EXPECT_TRUE(ParseUntrusted("\xEF\xBB\xBF{}"));  // a byte order mark may be ignored
  EXPECT_FALSE(ParseUntrusted("\xEF\xBB\xBF"));
  EXPECT_FALSE(ParseUntrusted(std::string_view("\"a\0b\"", 5)));  // raw control character
}

// Regression: nlohmann's lexer stops at a NUL byte, so "[1]\0garbage" was
// accepted as [1] with the rest of the text ignored.
TEST(Jcs, ParseUntrustedRejectsTextAfterANulByte) {
  EXPECT_FALSE(ParseUntrusted(std::string_view("[1]\0", 4)));
  EXPECT_FALSE(ParseUntrusted(std::string_view("{\"a\":1}\0{\"a\":2}", 15)));
  auto r = ParseUntrusted(std::string_view("\0", 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Jcs, ParseUntrustedAcceptsGoodInput) {
  auto doc = ParseUntrusted(
      " {\"name\": \"\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\", \"n\": [0, -0, 1.5e3, -12, "
      "18446744073709551615, "
      "18446744073709551616], \"ok\": true, \"none\": null, \"e\": {}, \"esc\": \"\\u0000\\/\"}\n");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ((*doc)["name"], "\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A");
  EXPECT_EQ((*doc)["n"][2], 1500.0);
  EXPECT_EQ((*doc)["n"][4].get<std::uint64_t>(), 18446744073709551615u);
  EXPECT_TRUE((*doc)["n"][5].is_number_float());  // beyond uint64: a double
  EXPECT_EQ((*doc)["esc"].get<std::string>(), std::string("\0/", 2));
  EXPECT_EQ(*Canonicalize(*doc),
            "{\"e\":{},\"esc\":\"\\u0000/\",\"n\":[0,0,1500,-12,18446744073709552000,"
            "18446744073709552000],\"name\":\"\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\",\"none\":null,"
            "\"ok\":true}");
  // Any JSON value may be the whole document.
  for (const char* text : {"1", "-0.5", "\"x\"", "null", "true", "false", "[]", "{}", " 7 "})
    EXPECT_TRUE(ParseUntrusted(text)) << text;
  // Limits are inclusive.
  EXPECT_TRUE(ParseUntrusted("\"" + std::string(99, 'x') + "\"", {.max_string_bytes = 99}));
  EXPECT_TRUE(ParseUntrusted(std::string(1000, ' '), {.max_bytes = 1000}).error().code ==
              ErrorCode::kInvalidArgument);  // within size, but no value
  EXPECT_TRUE(ParseUntrusted(std::string(999, ' ') + "1", {.max_bytes = 1000}));
  EXPECT_TRUE(ParseUntrusted("[[1]]", {.max_depth = 2}));
  EXPECT_FALSE(ParseUntrusted("[[1]]", {.max_depth = 1}));
  EXPECT_TRUE(ParseUntrusted("1", {.max_depth = 0}));
}

// Errors name the value at fault with a JSON pointer.
TEST(Jcs, ParseUntrustedErrorsSayWhere) {
  auto dup = ParseUntrusted(R"({"a":[{"x":1},{"b":1,"b":2}]})");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(dup.error().field, "/a/1/b");
  EXPECT_NE(dup.error().message.find("duplicate"), std::string::npos);

  auto escaped = ParseUntrusted(R"({"a/b":{"c~d":"long string"}})", {.max_string_bytes = 5});
  ASSERT_FALSE(escaped);
  EXPECT_EQ(escaped.error().field, "/a~1b/c~0d");

  auto deep = ParseUntrusted(R"({"k":[[1,[2]]]})", {.max_depth = 3});
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().field, "/k/0/1");

  auto many = ParseUntrusted("[1,2,[3,4]]", {.max_elements = 4});
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().field, "/2/0");

  auto long_key = ParseUntrusted(R"({"ok":{"toolong":1}})", {.max_string_bytes = 5});
  ASSERT_FALSE(long_key);
  EXPECT_EQ(long_key.error().field, "/ok/toolong");

  auto syntax = ParseUntrusted("[1,2,}");
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().message.find("at byte 6"), std::string::npos) << syntax.error().message;
}

TEST(Jcs, IsValidUtf8) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(
      IsValidUtf8("\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x82"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

}  // namespace
}  // namespace entente::jcs
