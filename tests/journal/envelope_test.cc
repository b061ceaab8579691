#include "journal/envelope.h"

#include <gtest/gtest.h>

#include "core/ids.h"
#include "jcs/jcs.h"

namespace entente::journal {
namespace {

Envelope Sample() {
  ManualClock clock;
  Envelope e;
  e.type = "directory.org";
  e.id = NewUuidV7(clock);
  e.origin_node = std::string(64, 'a');
  e.author_org = NewUuidV7(clock);
  e.created = clock.NowMillis();
  e.distribution.kind = DistributionKind::kOrgs;
  e.distribution.orgs = {NewUuidV7(clock)};
  e.tlp = "amber";
  e.pap = "green";
  e.body = Json{{"hello", "wörld"}, {"n", 42}};
  return e;
}

TEST(Envelope, SignVerifyAndEveryChangedByteFails) {
  ASSERT_TRUE(crypto::Init());
  auto key = crypto::GenerateSigningKey();
  Envelope e = Sample();
  ASSERT_TRUE(SignEnvelope(e, key.secret_key));
  EXPECT_TRUE(VerifyEnvelope(e, key.public_key));
  std::string canon = *e.Canonical();
  // Flip each byte of the canonical form in turn: either it no longer parses
  // as an envelope, or its signature fails.
  int verified = 0;
  for (size_t i = 0; i < canon.size(); ++i) {
    std::string t = canon;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    auto j = jcs::ParseUntrusted(t);
    if (!j) continue;
    auto e2 = Envelope::FromJson(*j);
    if (!e2) continue;
    if (VerifyEnvelope(*e2, key.public_key)) ++verified;
  }
  EXPECT_EQ(verified, 0);
  // Another key does not verify.
  auto other = crypto::GenerateSigningKey();
  auto st = VerifyEnvelope(e, other.public_key);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kDataLoss);
}

// An envelope this process signed skips the Ed25519 verification only while
// its content, signature and key are exactly those signed: any change made
// after signing is still caught.
TEST(Envelope, SignedHereIsVerifiedAgainAfterAnyChange) {
  ASSERT_TRUE(crypto::Init());
  auto key = crypto::GenerateSigningKey();
  auto other = crypto::GenerateSigningKey();
  Envelope e = Sample();
  ASSERT_TRUE(SignEnvelope(e, key.secret_key));
  ASSERT_FALSE(e.signed_here.empty());
  EXPECT_TRUE(VerifyEnvelope(e, key.public_key));
  EXPECT_FALSE(VerifyEnvelope(e, other.public_key));

  Envelope body = e;
  body.body = Json{{"hello", "world"}, {"n", 42}};
  EXPECT_FALSE(VerifyEnvelope(body, key.public_key));
  Envelope tlp = e;
  tlp.tlp = "clear";
  EXPECT_FALSE(VerifyEnvelope(tlp, key.public_key));
  // A signature swapped for another valid-looking one.
  Envelope sig = e;
  Envelope resigned = Sample();
  ASSERT_TRUE(SignEnvelope(resigned, key.secret_key));
  sig.sig = resigned.sig;
  EXPECT_FALSE(VerifyEnvelope(sig, key.public_key));
  // A digest made up (or copied from another envelope) does not verify.
  Envelope claimed = body;
  claimed.signed_here = std::string(32, 'x');
  EXPECT_FALSE(VerifyEnvelope(claimed, key.public_key));
  claimed.signed_here = resigned.signed_here;
  EXPECT_FALSE(VerifyEnvelope(claimed, key.public_key));
  // What travels (canonical JSON) carries none of it.
  auto parsed = Envelope::FromJson(*jcs::ParseUntrusted(*e.Canonical()));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->signed_here.empty());
  EXPECT_TRUE(VerifyEnvelope(*parsed, key.public_key));
}

TEST(Envelope, RoundTripsThroughCanonicalJson) {
  ASSERT_TRUE(crypto::Init());
  auto key = crypto::GenerateSigningKey();
  Envelope e = Sample();
  e.supersedes = e.author_org;
  ASSERT_TRUE(SignEnvelope(e, key.secret_key));
  auto j = jcs::ParseUntrusted(*e.Canonical());
  ASSERT_TRUE(j);
  auto back = Envelope::FromJson(*j);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back->Canonical(), *e.Canonical());
  EXPECT_TRUE(VerifyEnvelope(*back, key.public_key));
}

// CanonicalFormsOf splices `sig` into the signed form: both forms must be
// exactly what the two canonicalizations give, whatever members are present.
TEST(Envelope, CanonicalFormsAreTheSignedAndStoredForms) {
  ASSERT_TRUE(crypto::Init());
  auto key = crypto::GenerateSigningKey();
  std::vector<Envelope> cases;
  cases.push_back(Sample());
  cases.push_back(Sample());
  cases.back().supersedes = cases.back().author_org;
  cases.back().pap.reset();
  cases.push_back(Sample());
  cases.back().body.reset();
  cases.back().sealed = Json{{"sig", "x"}, {"tlp", "red"}, {"v", 1}};  // decoy member names
  cases.back().type = "comms.\"odd\\type\u00e9,\"sig\":";
  cases.push_back(Sample());
  cases.back().distribution.kind = DistributionKind::kPublic;
  cases.back().distribution.orgs.clear();
  cases.back().tlp = "clear";
  for (auto& e : cases) {
    ASSERT_TRUE(SignEnvelope(e, key.secret_key));
    auto f = CanonicalFormsOf(e);
    ASSERT_TRUE(f) << f.error().ToString();
    EXPECT_EQ(f->stored, *e.Canonical());
    EXPECT_EQ(f->signed_bytes, *jcs::Canonicalize(e.UnsignedJson()));
    e.signed_here.clear();  // verify with Ed25519, not the digest of this process
    EXPECT_TRUE(VerifyEnvelope(e, f->signed_bytes, key.public_key));
    std::string other = f->signed_bytes;
    other[other.size() / 2] ^= 1;
    EXPECT_FALSE(VerifyEnvelope(e, other, key.public_key));
  }
}

TEST(Envelope, StrictDecodingNamesTheMember) {
  Envelope e = Sample();
  e.sig = "AAAA";
  Json good = e.ToJson();
  ASSERT_TRUE(Envelope::FromJson(good));
  struct Case {
    std::function<void(Json&)> change;
    std::string field;
  } cases[] = {
      {[](Json& j) { j["extra"] = 1; }, "extra"},
      {[](Json& j) { j.erase("type"); }, "type"},
      {[](Json& j) { j["v"] = 2; }, "v"},
      {[](Json& j) { j["id"] = "nope"; }, "id"},
      {[](Json& j) { j["created"] = "yesterday"; }, "created"},
      {[](Json& j) { j["tlp"] = "white"; }, "tlp"},
      {[](Json& j) { j["pap"] = "purple"; }, "pap"},
      {[](Json& j) { j["distribution"]["kind"] = "everyone"; }, "distribution.kind"},
      {[](Json& j) { j["distribution"]["orgs"] = Json::array(); }, "distribution.orgs"},
      {[](Json& j) { j["distribution"]["x"] = 1; }, "distribution.x"},
      {[](Json& j) { j["sealed"] = Json::object(); }, "body"},
      {[](Json& j) { j.erase("body"); }, "body"},
      {[](Json& j) { j.erase("sig"); }, "sig"},
  };
  for (const auto& c : cases) {
    Json j = good;
    c.change(j);
    auto r = Envelope::FromJson(j);
    ASSERT_FALSE(r) << j.dump();
    EXPECT_EQ(r.error().field, c.field) << r.error().ToString();
  }
}

}  // namespace
}  // namespace entente::journal
