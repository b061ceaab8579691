#include "crypto/crypto.h"

#include <gtest/gtest.h>

namespace entente::crypto {
namespace {

class Crypto : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Init()); }
  static Bytes Hex(std::string_view h) { return HexDecode(h).value(); }
};

// RFC 8032 section 7.1, Ed25519 tests 1-3.
struct Rfc8032 {
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};
const Rfc8032 kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST_F(Crypto, Ed25519MatchesRfc8032Vectors) {
  for (const auto& v : kVectors) {
    auto kp = SigningKeyFromSeed(Hex(v.secret));
    ASSERT_TRUE(kp);
    EXPECT_EQ(HexEncode(kp->public_key), v.public_key);
    Bytes msg = Hex(v.message);
    auto sig = Sign(kp->secret_key, msg);
    ASSERT_TRUE(sig);
    EXPECT_EQ(HexEncode(*sig), v.signature);
    EXPECT_TRUE(Verify(kp->public_key, msg, Hex(v.signature)));
  }
}

TEST_F(Crypto, ChangedMessageSignatureOrKeyFailsVerification) {
  auto kp = GenerateSigningKey();
  Bytes msg = {1, 2, 3, 4, 5};
  auto sig = *Sign(kp.secret_key, msg);
  ASSERT_TRUE(Verify(kp.public_key, msg, sig));
  for (size_t i = 0; i < msg.size(); ++i) {
    Bytes m = msg;
    m[i] ^= 1;
    EXPECT_FALSE(Verify(kp.public_key, m, sig));
  }
  for (size_t i = 0; i < sig.size(); ++i) {
    auto s = sig;
    s[i] ^= 0x80;
    EXPECT_FALSE(Verify(kp.public_key, msg, s)) << i;
  }
  auto pk = kp.public_key;
  pk[0] ^= 1;
  EXPECT_FALSE(Verify(pk, msg, sig));
  EXPECT_FALSE(Verify(std::span(kp.public_key.data(), 31), msg, sig));
  EXPECT_FALSE(Verify(kp.public_key, msg, std::span(sig.data(), 63)));
  EXPECT_FALSE(SigningKeyFromSeed(Bytes(31)));
}

TEST_F(Crypto, SealOpensOnlyForRecipientsAndDetectsTampering) {
  auto a = GenerateBoxKey(), b = GenerateBoxKey(), c = GenerateBoxKey(),
       outsider = GenerateBoxKey();
  std::string text = "incident notification: grid control systems affected";
  std::string aad = "envelope-id";
  auto sealed = Seal(AsBytes(text), {{"a", a.public_key}, {"b", b.public_key}, {"c", c.public_key}},
                     AsBytes(aad));
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->recipients.size(), 3u);
  std::string ct(sealed->ciphertext.begin(), sealed->ciphertext.end());
  EXPECT_EQ(ct.find("grid"), std::string::npos);
  for (auto [id, kp] : {std::pair<const char*, BoxKeyPair*>{"a", &a}, {"b", &b}, {"c", &c}}) {
    auto opened = Open(*sealed, id, *kp, AsBytes(aad));
    ASSERT_TRUE(opened) << id;
    EXPECT_EQ(std::string(opened->data(), opened->data() + opened->size()), text);
  }
  auto not_recipient = Open(*sealed, "d", outsider, AsBytes(aad));
  ASSERT_FALSE(not_recipient);
  EXPECT_EQ(not_recipient.error().code, ErrorCode::kPermissionDenied);
  // Someone else's key under a recipient's name.
  EXPECT_EQ(Open(*sealed, "a", outsider, AsBytes(aad)).error().code, ErrorCode::kDataLoss);
  auto t1 = *sealed;
  t1.ciphertext[3] ^= 1;
  EXPECT_EQ(Open(t1, "a", a, AsBytes(aad)).error().code, ErrorCode::kDataLoss);
  auto t2 = *sealed;
  t2.recipients[0].wrapped[40] ^= 1;
  EXPECT_EQ(Open(t2, "a", a, AsBytes(aad)).error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(Open(*sealed, "a", a, AsBytes("other-id")).error().code, ErrorCode::kDataLoss);
  EXPECT_FALSE(Seal(AsBytes(text), {}));
  EXPECT_FALSE(Seal(AsBytes(text), {{"x", std::span<const std::uint8_t>()}}));
}

TEST_F(Crypto, AtRestEncryptionNeedsTheRightKeyAndContext) {
  auto k = GenerateSymmetricKey(), other = GenerateSymmetricKey();
  auto box = EncryptAtRest(k, AsBytes("private key bytes"), AsBytes("org-sign:1"));
  ASSERT_TRUE(box);
  auto back = DecryptAtRest(k, *box, AsBytes("org-sign:1"));
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->data(), back->data() + back->size()), "private key bytes");
  EXPECT_FALSE(DecryptAtRest(other, *box, AsBytes("org-sign:1")));
  EXPECT_FALSE(DecryptAtRest(k, *box, AsBytes("org-sign:2")));
  Bytes t = *box;
  t.back() ^= 1;
  EXPECT_EQ(DecryptAtRest(k, t, AsBytes("org-sign:1")).error().code, ErrorCode::kDataLoss);
  EXPECT_FALSE(DecryptAtRest(k, Bytes(10), {}));
  // Two encryptions of the same text differ (random nonce).
  EXPECT_NE(*EncryptAtRest(k, AsBytes("x")), *EncryptAtRest(k, AsBytes("x")));
}

TEST_F(Crypto, Argon2idPasswords) {
  auto h = HashPassword("correct horse battery staple");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(*h, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(*h, "correct horse battery stapl"));
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "x"));
  EXPECT_FALSE(HashPassword(""));
  EXPECT_FALSE(HashPassword(std::string(1025, 'a')));
}

TEST_F(Crypto, EncodingsRoundTripAndRejectGarbage) {
  for (size_t n = 0; n < 40; ++n) {
    Bytes b(n);
    RandomFill(b);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(b)), b);
    EXPECT_EQ(*HexDecode(HexEncode(b)), b);
  }
  EXPECT_EQ(Base64UrlEncode(AsBytes("foob")), "Zm9vYg");  // RFC 4648, unpadded
  EXPECT_EQ(Base64UrlEncode(AsBytes("\xfb\xff")), "-_8");
  EXPECT_FALSE(Base64UrlDecode("Zm9vYg=="));  // padding
  EXPECT_FALSE(Base64UrlDecode("Zm9v+g"));    // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Z"));         // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh"));        // non-canonical trailing bits
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
}

TEST_F(Crypto, HashesKnownAnswers) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Fingerprint(AsBytes("abc")), HexEncode(Sha256(AsBytes("abc"))));
  EXPECT_TRUE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abc")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abd")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abcd")));
  EXPECT_NE(RandomToken(), RandomToken());
  EXPECT_EQ(RandomToken(32).size(), 43u);
}

TEST_F(Crypto, SecretBytesAreWipedOnMove) {
  SecretBytes a(reinterpret_cast<const std::uint8_t*>("secret"), 6);
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.size(), 6u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
}

}  // namespace
}  // namespace entente::crypto
