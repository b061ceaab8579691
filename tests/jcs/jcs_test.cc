#include "jcs/jcs.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>

namespace entente::jcs {
namespace {

std::string Canon(std::string_view text) {
  auto j = ParseUntrusted(text);
  EXPECT_TRUE(j) << j.error().message;
  auto c = Canonicalize(j.value_or(Json()));
  EXPECT_TRUE(c) << c.error().message;
  return c.value_or("");
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
  // NaN and infinities must be rejected.
  EXPECT_FALSE(Canonicalize(Json(std::bit_cast<double>(std::uint64_t{0x7fffffffffffffff}))));
  EXPECT_FALSE(Canonicalize(Json(std::bit_cast<double>(std::uint64_t{0x7ff0000000000000}))));
  // Integers are doubles: beyond 2^53 they take the nearest double's value.
  EXPECT_EQ(*Canonicalize(Json(std::int64_t{9007199254740993})), "9007199254740992");
  EXPECT_EQ(*Canonicalize(Json(std::uint64_t{18446744073709551615u})), "18446744073709552000");
  EXPECT_EQ(*Canonicalize(Json(std::int64_t{-9007199254740992})), "-9007199254740992");
}

Json RandomJson(std::mt19937_64& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 4 : 6);
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<std::int64_t>(rng() % 2000000) - 1000000;
    case 3: {
      double d = std::bit_cast<double>(rng());
      if (!std::isfinite(d)) d = 1.5;
      return d;
    }
    case 4: {
      static const char* pieces[] = {"a", "é", "€", "😂", "\n", "\"", "\\", "\x01", "z", "דּ", "</"};
      std::string s;
      for (int i = rng() % 6; i > 0; --i) s += pieces[rng() % 11];
      return s;
    }
    case 5: {
      Json a = Json::array();
      for (int i = rng() % 4; i > 0; --i) a.push_back(RandomJson(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = rng() % 4; i > 0; --i) o[RandomJson(rng, 4).dump()] = RandomJson(rng, depth + 1);
      return o;
    }
  }
}

TEST(Jcs, RoundTripProperty) {
  std::mt19937_64 rng(8785);
  for (int i = 0; i < 3000; ++i) {
    Json v = RandomJson(rng, 0);
    auto c1 = Canonicalize(v);
    ASSERT_TRUE(c1) << v.dump();
    auto parsed = ParseUntrusted(*c1);
    ASSERT_TRUE(parsed) << *c1 << ": " << parsed.error().message;
    auto c2 = Canonicalize(*parsed);
    ASSERT_TRUE(c2) << *c1 << ": " << c2.error().message;
    EXPECT_EQ(*c1, *c2);
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
