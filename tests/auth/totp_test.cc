#include "auth/totp.h"

#include <gtest/gtest.h>

namespace entente::auth {
namespace {

// RFC 6238 Appendix B, SHA-1 rows (8 digits).
TEST(Totp, Rfc6238Sha1Vectors) {
  std::string key = "12345678901234567890";
  std::span<const std::uint8_t> k(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
  EXPECT_EQ(TotpCode(k, 59, 8), "94287082");
  EXPECT_EQ(TotpCode(k, 1111111109, 8), "07081804");
  EXPECT_EQ(TotpCode(k, 1111111111, 8), "14050471");
  EXPECT_EQ(TotpCode(k, 1234567890, 8), "89005924");
  EXPECT_EQ(TotpCode(k, 2000000000, 8), "69279037");
  EXPECT_EQ(TotpCode(k, 20000000000, 8), "65353130");
}

TEST(Totp, CheckAcceptsAdjacentStepsOnly) {
  std::vector<std::uint8_t> k(20, 7);
  std::int64_t t = 1'700'000'000;
  EXPECT_EQ(TotpCheck(k, TotpCode(k, t), t), t / 30);
  EXPECT_TRUE(TotpCheck(k, TotpCode(k, t - 30), t));
  EXPECT_TRUE(TotpCheck(k, TotpCode(k, t + 30), t));
  EXPECT_FALSE(TotpCheck(k, TotpCode(k, t + 90), t));
  EXPECT_FALSE(TotpCheck(k, "12345", t));
  EXPECT_FALSE(TotpCheck(k, "abcdef", t));
}

TEST(Totp, Base32RoundTripAndRfc4648Vector) {
  std::string foobar = "foobar";
  std::span<const std::uint8_t> b(reinterpret_cast<const std::uint8_t*>(foobar.data()),
                                  foobar.size());
  EXPECT_EQ(Base32Encode(b), "MZXW6YTBOI");
  auto back = Base32Decode("MZXW6YTBOI======");
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->begin(), back->end()), "foobar");
  EXPECT_FALSE(Base32Decode("MZXW1"));
}

}  // namespace
}  // namespace entente::auth
