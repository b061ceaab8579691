#include "crypto/crypto.h"

#include <gtest/gtest.h>

namespace entente::crypto {
namespace {

class Crypto : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Init()); }
  static Bytes Hex(std::string_view h) { return HexDecode(h).value(); }
};

// RFC 8032 section 7.1: Ed25519 TEST 1, 2, 3 and SHA(abc).
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
    // TEST SHA(abc): the message is SHA-512("abc").
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e"
     "0303dca179c138ac17ad9bef1177331a704"},
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
  EXPECT_FALSE(Sign(SecretBytes(32), msg));  // a seed is not a secret key
  // The public key of another seed does not verify.
  EXPECT_FALSE(Verify(GenerateSigningKey().public_key, msg, sig));
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
  auto t3 = *sealed;
  t3.nonce[0] ^= 1;
  EXPECT_EQ(Open(t3, "a", a, AsBytes(aad)).error().code, ErrorCode::kDataLoss);
  auto t4 = *sealed;
  t4.ciphertext.resize(10);  // shorter than the tag
  EXPECT_EQ(Open(t4, "a", a, AsBytes(aad)).error().code, ErrorCode::kDataLoss);
  auto t5 = *sealed;
  t5.recipients[0].wrapped.pop_back();
  EXPECT_EQ(Open(t5, "a", a, AsBytes(aad)).error().code, ErrorCode::kDataLoss);
  // Each recipient's wrapped key is its own (fresh ephemeral key per wrap).
  EXPECT_NE(sealed->recipients[0].wrapped, sealed->recipients[1].wrapped);
  EXPECT_FALSE(Seal(AsBytes(text), {}));
  EXPECT_FALSE(Seal(AsBytes(text), {{"x", std::span<const std::uint8_t>()}}));
  const std::array<std::uint8_t, 32> low_order{};  // the all-zero point
  EXPECT_FALSE(Seal(AsBytes(text), {{"x", low_order}}));
  EXPECT_FALSE(Seal(AsBytes(text), {{"a", a.public_key}, {"a", b.public_key}}));
}

TEST_F(Crypto, SealRoundTripsEmptyAndLargeBodies) {
  auto a = GenerateBoxKey();
  for (size_t n : {size_t{0}, size_t{1}, size_t{100000}}) {
    Bytes body(n);
    RandomFill(body);
    auto sealed = Seal(body, {{"a", a.public_key}});
    ASSERT_TRUE(sealed) << n;
    EXPECT_EQ(sealed->ciphertext.size(), n + 16);
    auto opened = Open(*sealed, "a", a);
    ASSERT_TRUE(opened) << n;
    EXPECT_EQ(Bytes(opened->data(), opened->data() + opened->size()), body);
  }
}

TEST_F(Crypto, AtRestEncryptionNeedsTheRightKeyAndContext) {
  auto k = GenerateSymmetricKey(), other = GenerateSymmetricKey();
  auto box = EncryptAtRest(k, AsBytes("private key bytes"), AsBytes("org-sign:1"));
  ASSERT_TRUE(box);
  auto back = DecryptAtRest(k, *box, AsBytes("org-sign:1"));
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->data(), back->data() + back->size()), "private key bytes");
  EXPECT_EQ(DecryptAtRest(other, *box, AsBytes("org-sign:1")).error().code, ErrorCode::kDataLoss);
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
  auto longest = HashPassword(std::string(1024, 'a'));
  ASSERT_TRUE(longest);
  EXPECT_TRUE(VerifyPassword(*longest, std::string(1024, 'a')));
  EXPECT_FALSE(VerifyPassword(*longest, std::string(1025, 'a')));
  // Salted: the same password hashes differently each time.
  EXPECT_NE(*HashPassword("x"), *HashPassword("x"));
}

TEST_F(Crypto, EncodingsRoundTripAndRejectGarbage) {
  for (size_t n = 0; n < 40; ++n) {
    Bytes b(n);
    RandomFill(b);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(b)), b);
    EXPECT_EQ(*HexDecode(HexEncode(b)), b);
  }
  // RFC 4648 section 10, without padding.
  const std::pair<const char*, const char*> kRfc4648[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (auto [text, encoded] : kRfc4648) {
    EXPECT_EQ(Base64UrlEncode(AsBytes(text)), encoded);
    auto back = Base64UrlDecode(encoded);
    ASSERT_TRUE(back) << encoded;
    EXPECT_EQ(std::string(back->begin(), back->end()), text);
  }
  EXPECT_EQ(Base64UrlEncode(AsBytes("\xfb\xff")), "-_8");
  EXPECT_FALSE(Base64UrlDecode("Zm9vYg=="));  // padding
  EXPECT_FALSE(Base64UrlDecode("Zm9v+g"));    // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Z"));         // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh"));        // non-canonical trailing bits
  EXPECT_FALSE(Base64UrlDecode("Zm9v/g"));
  EXPECT_FALSE(Base64UrlDecode("Zm 9v"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\xc3\xa9"));
  EXPECT_FALSE(Base64UrlDecode(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(Base64UrlDecode("Zm9="));
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_FALSE(HexDecode("0g"));
  EXPECT_FALSE(HexDecode("0x00"));
  EXPECT_EQ(*HexDecode("00fFA0"), (Bytes{0x00, 0xff, 0xa0}));
  EXPECT_EQ(HexEncode(Bytes{0x00, 0xff, 0xa0}), "00ffa0");
  EXPECT_EQ(*HexDecode(""), Bytes{});
}

TEST_F(Crypto, HashesKnownAnswers) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Blake2b256(AsBytes("abc"))),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  EXPECT_EQ(HexEncode(Blake2b256({})),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(Fingerprint(AsBytes("abc")), HexEncode(Sha256(AsBytes("abc"))));
  EXPECT_TRUE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abc")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abd")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abcd")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes("abcd"), AsBytes("abc")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes(""), AsBytes("a")));
  EXPECT_TRUE(ConstantTimeEqual(AsBytes(""), AsBytes("")));
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
