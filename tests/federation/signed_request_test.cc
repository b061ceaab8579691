// Parsing and verification of signed node-to-node request headers, the feed
// page reader and the distribution/TLP policy, without a network.
#include "federation/signed_request.h"

#include <gtest/gtest.h>

#include "federation/feed.h"
#include "federation/policy.h"

namespace entente::federation {
namespace {

struct Keys {
  crypto::SigningKeyPair kp = crypto::GenerateSigningKey();
  std::string id = crypto::Fingerprint(kp.public_key);
};

TEST(SignedRequest, RoundTripAndEveryAlterationFails) {
  ASSERT_TRUE(crypto::Init());
  Keys from, to;
  const Millis now = 1'750'000'000'000;
  std::string target = CanonicalTarget("/federation/v1/feed", {{"limit", "5"}, {"after", "0"}});
  EXPECT_EQ(target, "/federation/v1/feed?after=0&limit=5");
  auto h = SignRequest(from.kp.secret_key, from.id, to.id, "GET", target, "body", now);
  ASSERT_TRUE(h);
  auto parsed = ParseSignedHeaders(*h);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->node, from.id);
  EXPECT_TRUE(VerifySignedRequest(*parsed, from.kp.public_key, to.id, "GET", target, "body", now));
  EXPECT_TRUE(VerifySignedRequest(*parsed, from.kp.public_key, to.id, "GET", target, "body",
                                  now + kRequestWindowMs));
  auto fails = [&](std::string_view to_node, std::string_view method, std::string_view tgt,
                   std::string_view body, Millis at) {
    auto st = VerifySignedRequest(*parsed, from.kp.public_key, to_node, method, tgt, body, at);
    return !st && st.error().code == ErrorCode::kUnauthenticated;
  };
  EXPECT_TRUE(fails(from.id, "GET", target, "body", now));
  EXPECT_TRUE(fails(to.id, "POST", target, "body", now));
  EXPECT_TRUE(fails(to.id, "GET", target + "0", "body", now));
  EXPECT_TRUE(fails(to.id, "GET", target, "bodY", now));
  EXPECT_TRUE(fails(to.id, "GET", target, "body", now + kRequestWindowMs + 1));
  EXPECT_TRUE(fails(to.id, "GET", target, "body", now - kRequestWindowMs - 1));
  Keys other;
  EXPECT_FALSE(
      VerifySignedRequest(*parsed, other.kp.public_key, to.id, "GET", target, "body", now));
}

TEST(SignedRequest, HeadersAreParsedStrictlyAndErrorsNameTheHeader) {
  ASSERT_TRUE(crypto::Init());
  Keys from, to;
  auto good = *SignRequest(from.kp.secret_key, from.id, to.id, "GET", "/x", "", 1000);
  auto with = [&](const std::string& name, const std::string& value) {
    http::Headers h = good;
    h.erase(name);
    if (!value.empty()) h.emplace(name, value);
    return ParseSignedHeaders(h);
  };
  for (const char* name :
       {"Entente-Node", "Entente-Date", "Entente-Nonce", "Entente-Digest", "Entente-Signature"}) {
    auto r = with(name, "");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().field, name);
    EXPECT_EQ(r.error().message, "missing header");
    r = with(name, "zz");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().field, name);
  }
  EXPECT_EQ(with("Entente-Date", "-5").error().field, "Entente-Date");
  EXPECT_EQ(with("Entente-Date", "1234567890123456").error().field, "Entente-Date");
  EXPECT_EQ(with("Entente-Digest", "sha-512=" + std::string(64, 'a')).error().field,
            "Entente-Digest");
  EXPECT_EQ(with("Entente-Node", std::string(64, 'A')).error().field, "Entente-Node");
  http::Headers twice = good;
  twice.emplace("entente-nonce", "AAAAAAAAAAAAAAAAAAAAAA");
  auto r = ParseSignedHeaders(twice);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "header given more than once");
}

TEST(FeedPage, ReaderChecksStructureAndOrder) {
  std::string node(64, 'a');
  auto page = [&](const std::string& entries, const std::string& extra = "") {
    return "{\"node\":\"" + node + "\",\"after\":2,\"next\":9,\"more\":false,\"entries\":[" +
           entries + "]" + extra + "}";
  };
  auto ok = ParseFeedPage(page("{\"seq\":3,\"envelope\":{}},{\"seq\":9,\"envelope\":{}}",
                               ",\"sth\":null,\"heads\":[]"));
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->entries.size(), 2u);
  EXPECT_EQ(ParseFeedPage(page("{\"seq\":2,\"envelope\":{}}")).error().field, "entries[0].seq");
  EXPECT_EQ(
      ParseFeedPage(page("{\"seq\":4,\"envelope\":{}},{\"seq\":4,\"envelope\":{}}")).error().field,
      "entries[1].seq");
  EXPECT_EQ(ParseFeedPage(page("{\"seq\":10,\"envelope\":{}}")).error().field, "entries[0].seq");
  EXPECT_EQ(ParseFeedPage(page("{\"seq\":4,\"envelope\":[]}")).error().field,
            "entries[0].envelope");
  EXPECT_EQ(ParseFeedPage(page("", ",\"x\":1")).error().field, "x");
  EXPECT_EQ(ParseFeedPage(page("", ",\"heads\":[1]")).error().field, "heads[0]");
  EXPECT_EQ(ParseFeedPage("{\"node\":\"" + node +
                          "\",\"after\":5,\"next\":4,\"more\":false,"
                          "\"entries\":[]}")
                .error()
                .field,
            "next");
  EXPECT_EQ(ParseFeedPage("[").error().field, "page");
  EXPECT_EQ(ParseFeedPage("{}").error().message, "missing member");
}

class FakeAudience : public Audience {
 public:
  std::map<std::string, std::string> homes;
  std::map<std::string, std::set<std::string>> communities;
  Result<std::string> HomeNode(const std::string& org) override {
    auto it = homes.find(org);
    return it == homes.end() ? std::string() : it->second;
  }
  Result<std::set<std::string>> CommunityNodes(const std::string& c) override {
    return communities[c];
  }
};

TEST(Policy, DistributionAndTlpDecideWhichNodesMayHold) {
  FakeAudience aud;
  aud.homes = {{"oa", "A"}, {"ob", "B"}, {"oc", "C"}};
  aud.communities["health"] = {"B"};
  journal::Envelope e;
  e.author_org = "oa";
  e.origin_node = "A";
  auto may = [&](const std::string& node) { return *MayHold(e, node, aud); };
  e.distribution.kind = journal::DistributionKind::kFederation;
  e.tlp = "green";
  EXPECT_EQ(may("C"), Verdict::kAllowed);
  e.tlp = "amber";
  EXPECT_EQ(may("C"), Verdict::kAllowed);
  e.tlp = "red";  // red narrows to named recipients (here only the author)
  EXPECT_EQ(may("C"), Verdict::kDenied);
  EXPECT_EQ(may("A"), Verdict::kAllowed);
  e.distribution.kind = journal::DistributionKind::kOrgs;
  e.distribution.orgs = {"oa", "ob"};
  EXPECT_EQ(may("B"), Verdict::kAllowed);
  EXPECT_EQ(may("C"), Verdict::kDenied);
  e.tlp = "amber+strict";
  EXPECT_EQ(may("B"), Verdict::kAllowed);
  EXPECT_EQ(may("C"), Verdict::kDenied);
  e.tlp = "green";
  e.distribution.kind = journal::DistributionKind::kCommunity;
  e.distribution.community = "health";
  EXPECT_EQ(may("B"), Verdict::kAllowed);
  EXPECT_EQ(may("C"), Verdict::kDenied);
  e.distribution.kind = journal::DistributionKind::kOrg;
  EXPECT_EQ(may("A"), Verdict::kAllowed);
  EXPECT_EQ(may("B"), Verdict::kDenied);
  // Sealed recipients count as named; an unknown home is kUnknown, not allowed.
  e.distribution.kind = journal::DistributionKind::kOrgs;
  e.distribution.orgs = {"oa"};
  e.tlp = "red";
  e.sealed = Json{{"recipients", {{{"org", "ox"}, {"key", "k"}}}}};
  EXPECT_EQ(may("B"), Verdict::kUnknown);
  e.sealed = Json{{"recipients", {{{"org", "oc"}, {"key", "k"}}}}};
  EXPECT_EQ(may("C"), Verdict::kAllowed);
  EXPECT_EQ(may("B"), Verdict::kDenied);
}

}  // namespace
}  // namespace entente::federation
