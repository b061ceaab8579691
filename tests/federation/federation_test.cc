// Federation between real nodes in one process: each node has its own
// database and HTTP server; they talk over loopback with signed requests.
#include <gtest/gtest.h>

#include "federation/fed_fixture.h"
#include "federation/signed_request.h"
#include "identity/identity.h"
#include "transparency/merkle.h"
#include "transparency/receipt.h"

namespace entente::testing {
namespace {

Json Message(const std::string& to, const std::string& tlp, const std::string& summary) {
  return Json{{"kind", "incident_notification"},
              {"recipients", {to}},
              {"tlp", tlp},
              {"language", "en"},
              {"fields",
               {{"urgency", "urgent"},
                {"classification", {{"class", "availability"}, {"type", "ddos"}}},
                {"summary", summary},
                {"description", "Hospitals are under a DDoS."}}}};
}

std::int64_t Rejected(TestNode& n, const std::string& peer, const std::string& reason) {
  auto p = n.fed().GetPeer(peer);
  EXPECT_TRUE(p) << p.error().ToString();
  if (!p) return -1;
  auto it = p->rejected.find(reason);
  return it == p->rejected.end() ? 0 : it->second;
}

// A signed GET from `from` to `to` built by hand, so tests can alter it.
http::Headers SignedHeaders(TestNode& from, TestNode& to, const std::string& method,
                            const std::string& target, const std::string& body, Millis date) {
  auto mk = identity::MasterKey::Load(from.opts.master_key_file);
  EXPECT_TRUE(mk);
  auto secret = identity::NodeIdentity::LoadSecret(from.node->db(), *mk);
  EXPECT_TRUE(secret);
  auto h = federation::SignRequest(*secret, from.id(), to.id(), method, target, body, date);
  EXPECT_TRUE(h);
  return *h;
}

using FedTest = FederationTest;

TEST_P(FedTest, PeeringChecksTheFingerprintAndRequestsAreSignedByActivePeers) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  // A wrong fingerprint is refused, with what the node really is.
  std::string wrong(64, 'a');
  auto bad = a.fed().AddPeer(b.url, wrong);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(bad.error().message.find(b.id()), std::string::npos) << bad.error().message;
  EXPECT_EQ(a.fed().AddPeer(b.url, "12ab").error().field, "fingerprint");
  EXPECT_EQ(a.fed().AddPeer("ftp://x", b.id()).error().field, "url");
  EXPECT_EQ(a.fed().AddPeer("http://127.0.0.1:1", b.id()).error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(a.fed().ListPeers()->empty());

  // Not a peer yet: the feed refuses B.
  std::string target = "/federation/v1/feed?after=0&limit=10";
  auto r = http::Send(a.url, "GET", target, {},
                      SignedHeaders(b, a, "GET", target, "", clock_.NowMillis()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // Unsigned.
  r = http::Send(a.url, "GET", target);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("Entente-Node"), std::string::npos) << r->body;

  Pin(a, b);  // A accepts B's requests
  auto h = SignedHeaders(b, a, "GET", target, "", clock_.NowMillis());
  r = http::Send(a.url, "GET", target, {}, h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // The same request again is a replay.
  r = http::Send(a.url, "GET", target, {}, h);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Rejected(a, b.id(), "request_replayed"), 1);
  // Signed for another query: the signature does not cover this one.
  h = SignedHeaders(b, a, "GET", target, "", clock_.NowMillis());
  r = http::Send(a.url, "GET", "/federation/v1/feed?after=5&limit=10", {}, h);
  EXPECT_EQ(r->status, 401);
  // (A body other than the signed one: signed_request_test; GET has none here.)
  // Signed for another node (A's request to B replayed to A).
  h = SignedHeaders(b, b, "GET", target, "", clock_.NowMillis());
  r = http::Send(a.url, "GET", target, {}, h);
  EXPECT_EQ(r->status, 401);
  // Too old.
  h = SignedHeaders(b, a, "GET", target, "", clock_.NowMillis() - 2 * federation::kRequestWindowMs);
  r = http::Send(a.url, "GET", target, {}, h);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("window"), std::string::npos) << r->body;
  EXPECT_EQ(Rejected(a, b.id(), "request_signature"), 3);

  // Suspended: refused and counted; resumed: accepted again.
  ASSERT_TRUE(a.fed().SetState(b.id(), federation::PeerState::kSuspended));
  r = http::Send(a.url, "GET", target, {},
                 SignedHeaders(b, a, "GET", target, "", clock_.NowMillis()));
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Rejected(a, b.id(), "request_from_suspended_peer"), 1);
  ASSERT_TRUE(a.fed().SetState(b.id(), federation::PeerState::kActive));
  r = http::Send(a.url, "GET", target, {},
                 SignedHeaders(b, a, "GET", target, "", clock_.NowMillis()));
  EXPECT_EQ(r->status, 200);
  // Removed: refused.
  ASSERT_TRUE(a.fed().SetState(b.id(), federation::PeerState::kRemoved));
  r = http::Send(a.url, "GET", target, {},
                 SignedHeaders(b, a, "GET", target, "", clock_.NowMillis()));
  EXPECT_EQ(r->status, 401);
  // B cannot pull from A (B has not pinned A, and A removed B).
  Pin(b, a);
  auto pulled = b.fed().PullOnce(a.id());
  ASSERT_FALSE(pulled);
  EXPECT_EQ(b.fed().GetPeer(a.id())->failures, 1);
  EXPECT_NE(b.fed().GetPeer(a.id())->last_error.find("401"), std::string::npos);
}

TEST_P(FedTest, PeerAddIntroducesTheNodeWhichWaitsForTheOtherOperator) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  // A wrong fingerprint: nothing pinned, nothing introduced.
  ASSERT_FALSE(a.fed().AddPeer(b.url, std::string(64, 'a')));
  EXPECT_TRUE(b.fed().Introductions()->empty());
  auto p = a.fed().AddPeer(b.url, b.id());
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->introduction, "pending");
  auto xs = b.fed().Introductions();
  ASSERT_TRUE(xs);
  ASSERT_EQ(xs->size(), 1u);
  EXPECT_EQ((*xs)[0].node_id, a.id());
  EXPECT_EQ((*xs)[0].state, "pending");
  EXPECT_EQ((*xs)[0].name, "Alpha CERT");
  EXPECT_EQ((*xs)[0].public_key, a.fed().Self()["public_key"].get<std::string>());
  // A pending introduction grants nothing.
  EXPECT_TRUE(b.fed().ListPeers()->empty());
  EXPECT_FALSE(a.fed().PullOnce(b.id()));
  // The other operator peers back: accepted on both sides.
  auto q = b.fed().AddPeer(a.url, a.id());
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_EQ(q->introduction, "accepted");
  EXPECT_EQ((*b.fed().Introductions())[0].state, "accepted");
  EXPECT_EQ((*a.fed().Introductions())[0].state, "accepted");
  EXPECT_TRUE(a.fed().PullOnce(b.id()));

  // Bad introductions: each refused, nothing recorded.
  auto other = crypto::GenerateSigningKey();
  std::string other_id = crypto::Fingerprint(other.public_key);
  const std::string target = "/federation/v1/introduce";
  auto body_of = [&](const std::string& id) {
    return Json{{"node_id", id},
                {"public_key", crypto::Base64UrlEncode(other.public_key)},
                {"name", "Other"},
                {"base_url", "http://127.0.0.1:9"}}
        .dump();
  };
  auto send = [&](const std::string& signer, const std::string& body,
                  const std::string& signed_body) {
    auto h = federation::SignRequest(other.secret_key, signer, b.id(), "POST", target, signed_body,
                                     clock_.NowMillis());
    EXPECT_TRUE(h);
    h->emplace("Content-Type", "application/json");
    auto r = http::Send(b.url, "POST", target, body, *h);
    EXPECT_TRUE(r);
    return r ? r->status : 0;
  };
  std::string good = body_of(other_id);
  auto r = http::Send(b.url, "POST", target, good, {{"Content-Type", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "unsigned";
  EXPECT_EQ(send(a.id(), good, good), 401) << "signed as A, introducing another node";
  EXPECT_EQ(send(a.id(), body_of(a.id()), body_of(a.id())), 422) << "A's id with another key";
  EXPECT_EQ(send(other_id, good, body_of(other_id).replace(good.find("Other"), 5, "Forge")), 401)
      << "body altered after signing";
  std::string unknown = good;
  unknown.insert(1, "\"extra\":1,");
  EXPECT_EQ(send(other_id, unknown, unknown), 422) << "unknown member";
  std::string bad_url = Json{
      {"node_id", other_id},
      {"public_key", crypto::Base64UrlEncode(other.public_key)},
      {"name", "Other"},
      {"base_url",
       "ftp://x"}}.dump();
  EXPECT_EQ(send(other_id, bad_url, bad_url), 422) << "not an http(s) URL";
  EXPECT_EQ(b.fed().Introductions()->size(), 1u);
  // Replay: the same signed request twice.
  auto h = federation::SignRequest(other.secret_key, other_id, b.id(), "POST", target, good,
                                   clock_.NowMillis());
  ASSERT_TRUE(h);
  r = http::Send(b.url, "POST", target, good, *h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = http::Send(b.url, "POST", target, good, *h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "replayed";
  xs = b.fed().Introductions();
  ASSERT_EQ(xs->size(), 2u);
  EXPECT_EQ((*xs)[0].node_id, other_id);
  EXPECT_EQ((*xs)[0].state, "pending");
  EXPECT_EQ((*xs)[0].times, 1);
}

TEST_P(FedTest, PendingIntroductionsAreCappedAtOneThousand) {
  auto& b = AddNode("Beta CERT", "DE");
  const std::string target = "/federation/v1/introduce";
  // A node introducing itself, signed by its own key, as peer add does.
  auto introduce = [&](const crypto::SigningKeyPair& k, const std::string& name) {
    std::string id = crypto::Fingerprint(k.public_key);
    std::string body = Json{{"node_id", id},
                            {"public_key", crypto::Base64UrlEncode(k.public_key)},
                            {"name", name},
                            {"base_url", "http://127.0.0.1:9"}}
                           .dump();
    auto h =
        federation::SignRequest(k.secret_key, id, b.id(), "POST", target, body, clock_.NowMillis());
    EXPECT_TRUE(h);
    h->emplace("Content-Type", "application/json");
    auto r = http::Send(b.url, "POST", target, body, *h);
    EXPECT_TRUE(r);
    return r ? *r : http::ClientResponse{};
  };
  // 998 pending introductions written directly (each real one costs a key
  // pair and a request), then the 999th and 1,000th through the API.
  ASSERT_TRUE(b.node->db().Transact([&](store::Tx& tx) -> Status {
    for (int i = 0; i < federation::kMaxPendingIntroductions - 2; ++i) {
      std::string id = crypto::HexEncode(crypto::Sha256(crypto::AsBytes(std::to_string(i))));
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO federation_introductions (node_id, public_key, name, base_url, state, "
          "times, received, updated) VALUES (?, 'k', 'n', 'http://127.0.0.1:9', 'pending', 1, ?, "
          "?)",
          {id, clock_.NowMillis(), clock_.NowMillis()}));
    }
    return Ok();
  }));
  auto k999 = crypto::GenerateSigningKey();
  auto k1000 = crypto::GenerateSigningKey();
  auto k1001 = crypto::GenerateSigningKey();
  auto r = introduce(k999, "Node 999");
  EXPECT_EQ(r.status, 200) << r.body;
  r = introduce(k1000, "Node 1000");
  EXPECT_EQ(r.status, 200) << r.body;
  // The 1,001st is refused (429, a problem document), and nothing is recorded.
  r = introduce(k1001, "Node 1001");
  EXPECT_EQ(r.status, 429) << r.body;
  auto problem = Json::parse(r.body, nullptr, false);
  ASSERT_TRUE(problem.is_object()) << r.body;
  EXPECT_NE(problem.value("detail", "").find("too many pending introductions"), std::string::npos)
      << r.body;
  auto xs = b.fed().Introductions();
  ASSERT_TRUE(xs);
  EXPECT_EQ(xs->size(), static_cast<std::size_t>(federation::kMaxPendingIntroductions));
  for (const auto& x : *xs) EXPECT_NE(x.node_id, crypto::Fingerprint(k1001.public_key));
  // A node already pending may introduce itself again (counted, not a new row).
  r = introduce(k1000, "Node 1000 renamed");
  EXPECT_EQ(r.status, 200) << r.body;
  xs = b.fed().Introductions();
  ASSERT_TRUE(xs);
  EXPECT_EQ(xs->size(), static_cast<std::size_t>(federation::kMaxPendingIntroductions));
  // Accepting one (the operator peers with it) makes room for one more.
  ASSERT_TRUE(b.fed().AddPeerKnown("http://127.0.0.1:9", crypto::Fingerprint(k999.public_key),
                                   crypto::Base64UrlEncode(k999.public_key)));
  r = introduce(k1001, "Node 1001");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body).value("state", ""), "pending");
  auto k1002 = crypto::GenerateSigningKey();
  r = introduce(k1002, "Node 1002");
  EXPECT_EQ(r.status, 429) << r.body;
  int pending = 0;
  xs = b.fed().Introductions();
  ASSERT_TRUE(xs);
  for (const auto& x : *xs) pending += x.state == "pending";
  EXPECT_EQ(pending, federation::kMaxPendingIntroductions);
}

TEST_P(FedTest, DirectoryAndMessagesReplicateUnderDistributionAndTlp) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  auto& c = AddNode("Gamma CERT", "IT");
  PeerBoth(a, b);
  PeerBoth(b, c);
  PeerBoth(a, c);
  // A second organisation on B, and contacts.
  auto ob2 = b.node->directory().CreateOrg(
      {"", b.org},
      {{"kind", "ci_operator"}, {"names", {{"en", "Beta Health CERT"}}}, {"country", "DE"}});
  ASSERT_TRUE(ob2) << ob2.error().ToString();
  Converge();
  for (auto* n : {&a, &b, &c}) {
    for (const auto& org : {a.org, b.org, c.org, ob2->id}) {
      auto o = n->node->directory().GetOrg(org);
      ASSERT_TRUE(o) << n->name << " lacks " << org << ": " << o.error().ToString();
    }
    EXPECT_EQ(n->node->directory().GetOrg(ob2->id)->home_node, b.id());
  }

  // A point of contact of A writes to B (TLP:RED): B gets it, C never does.
  auto alice = a.node->auth().CreateUser(a.org, "alice", "Alice", "correct horse battery staple",
                                         auth::Role::kOfficer, false);
  ASSERT_TRUE(alice);
  auto bob = b.node->auth().CreateUser(b.org, "bob", "Bob", "correct horse battery staple",
                                       auth::Role::kOfficer, false);
  ASSERT_TRUE(bob);
  auto red = a.node->comms().Send({alice->id, a.org}, Message(b.org, "red", "red one"));
  ASSERT_TRUE(red) << red.error().ToString();
  auto green = a.node->comms().Send({alice->id, a.org}, Message(b.org, "green", "green one"));
  ASSERT_TRUE(green) << green.error().ToString();
  Converge();
  EXPECT_TRUE(HasEnvelope(b, red->id));
  EXPECT_TRUE(HasEnvelope(b, green->id));
  EXPECT_FALSE(HasEnvelope(c, red->id)) << "TLP:RED leaked to a node hosting no recipient";
  EXPECT_FALSE(HasEnvelope(c, green->id)) << "distribution orgs leaked";
  // B delivers (its job) and its officer reads and acknowledges.
  ASSERT_TRUE(b.node->comms().RunJobs("test"));
  auto opened = b.node->comms().Open({bob->id, b.org}, red->id);
  ASSERT_TRUE(opened) << opened.error().ToString();
  EXPECT_EQ(opened->fields["summary"], "red one");
  ASSERT_TRUE(b.node->comms().Acknowledge({bob->id, b.org}, red->id));
  Converge();
  auto seen = a.node->comms().Get({alice->id, a.org}, red->id);
  ASSERT_TRUE(seen);
  ASSERT_EQ(seen->recipients.size(), 1u);
  EXPECT_EQ(seen->recipients[0].state, "acknowledged");
  // The events flowed to A only, never to C; origin preserved on A.
  auto timeline = a.node->comms().Timeline({alice->id, a.org}, red->id);
  ASSERT_TRUE(timeline);
  bool ack = false;
  for (const auto& e : *timeline) {
    if (e.action != "acknowledged") continue;
    ack = true;
    auto env = a.node->journal().ReadById(e.id);
    ASSERT_TRUE(env && *env);
    EXPECT_EQ((*env)->envelope.origin_node, b.id());
    EXPECT_FALSE(HasEnvelope(c, e.id));
  }
  EXPECT_TRUE(ack);
  // Nothing was rejected on the way, and nothing is counted twice.
  for (auto* n : {&a, &b, &c}) {
    auto peers = n->fed().ListPeers();
    ASSERT_TRUE(peers);
    for (const auto& p : *peers) {
      for (const auto& [reason, count] : p.rejected)
        if (reason != "replayed")
          ADD_FAILURE() << n->name << " rejected " << count << " " << reason;
    }
    auto dup = n->node->db().Query("SELECT id FROM journal GROUP BY id HAVING COUNT(*) > 1");
    ASSERT_TRUE(dup);
    EXPECT_TRUE(dup->empty());
  }
  // A removed peer gets nothing new.
  ASSERT_TRUE(a.fed().SetState(c.id(), federation::PeerState::kRemoved));
  ASSERT_TRUE(b.fed().SetState(c.id(), federation::PeerState::kRemoved));
  auto late = a.node->directory().CreateOrg(
      {"", a.org},
      {{"kind", "national_csirt"}, {"names", {{"en", "Alpha Late"}}}, {"country", "FR"}});
  ASSERT_TRUE(late);
  Converge();
  EXPECT_TRUE(b.node->directory().GetOrg(late->id));
  EXPECT_FALSE(c.node->directory().GetOrg(late->id));
}

TEST_P(FedTest, ForgedAlteredReplayedAndOutOfPolicyEnvelopesAreRejectedAndCounted) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  auto& c = AddNode("Gamma CERT", "IT");
  PeerBoth(a, b);
  PeerBoth(a, c);
  PeerBoth(b, c);
  Converge();
  auto alice = a.node->auth().CreateUser(a.org, "alice", "Alice", "correct horse battery staple",
                                         auth::Role::kOfficer, false);
  auto red = a.node->comms().Send({alice->id, a.org}, Message(b.org, "red", "for B only"));
  ASSERT_TRUE(red) << red.error().ToString();
  auto upd = a.node->directory().UpdateOrg(
      {"", a.org}, a.org,
      {{"kind", "national_csirt"}, {"names", {{"en", "Alpha CERT (renamed)"}}}, {"country", "FR"}});
  ASSERT_TRUE(upd) << upd.error().ToString();
  auto red_env = a.node->journal().ReadById(red->id);
  auto upd_env = a.node->journal().ReadById(upd->envelope_id);
  ASSERT_TRUE(red_env && *red_env && upd_env && *upd_env);
  Json red_json = Json::parse((*red_env)->canonical);
  Json upd_json = Json::parse((*upd_env)->canonical);

  // A page "from A" to C, built by hand (what a compromised A or a
  // man-in-the-middle with A's key could send).
  federation::FeedPage page;
  page.node = a.id();
  page.after = 0;
  page.next = 10;
  // Another envelope C does not have (a later update), altered: its
  // signature no longer verifies.
  auto o2 = a.node->directory().UpdateOrg(
      {"", a.org}, a.org,
      {{"kind", "national_csirt"}, {"names", {{"en", "Alpha Two"}}}, {"country", "FR"}});
  ASSERT_TRUE(o2) << o2.error().ToString();
  auto o2_env = a.node->journal().ReadById(o2->envelope_id);
  ASSERT_TRUE(o2_env && *o2_env);
  Json altered = Json::parse((*o2_env)->canonical);
  altered["body"]["org"]["names"]["en"] = "Evil CERT";
  Json wrong_origin = upd_json;
  wrong_origin["origin_node"] = c.id();
  Json malformed = upd_json;
  malformed.erase("sig");
  page.entries = {{1, red_json}, {2, altered}, {3, wrong_origin}, {4, malformed}, {5, upd_json}};
  auto peer_a = c.fed().GetPeer(a.id());
  ASSERT_TRUE(peer_a);
  auto r = c.fed().IngestPage(*peer_a, page);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->applied, 1);  // only the genuine update
  // The TLP:RED message for B is sealed: C may not hold it but could carry it
  // (relay, docs/federation.md) if A were a relay link here: refused.
  EXPECT_EQ(r->rejected, 4);
  EXPECT_EQ(Rejected(c, a.id(), "out_of_policy"), 0);
  EXPECT_EQ(Rejected(c, a.id(), "relay_refused"), 1);
  auto relayed =
      c.node->db().Query("SELECT COUNT(*) FROM federation_relay WHERE id = ?", {red->id});
  ASSERT_TRUE(relayed);
  EXPECT_EQ((*relayed)[0].Int(0), 0);
  // A relay link: kept in federation_relay, never applied.
  ASSERT_TRUE(c.fed().SetRelay(a.id(), true));
  page.entries = {{1, red_json}};
  peer_a = c.fed().GetPeer(a.id());
  r = c.fed().IngestPage(*peer_a, page);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->rejected, 0);
  relayed = c.node->db().Query("SELECT COUNT(*) FROM federation_relay WHERE id = ?", {red->id});
  ASSERT_TRUE(relayed);
  EXPECT_EQ((*relayed)[0].Int(0), 1);
  EXPECT_EQ(Rejected(c, a.id(), "forged"), 1);
  EXPECT_EQ(Rejected(c, a.id(), "origin"), 1);
  EXPECT_EQ(Rejected(c, a.id(), "malformed"), 1);
  EXPECT_FALSE(HasEnvelope(c, red->id));
  EXPECT_FALSE(HasEnvelope(c, o2->envelope_id));
  EXPECT_EQ(c.node->directory().GetOrg(a.org)->names["en"], "Alpha CERT (renamed)");
  // The same page again: the genuine envelope is a replay (idempotent).
  // (Relays during the convergence above may have counted replays already.)
  std::int64_t replayed = Rejected(c, a.id(), "replayed");
  page.entries = {{5, upd_json}};
  r = c.fed().IngestPage(*peer_a, page);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->applied, 0);
  EXPECT_EQ(Rejected(c, a.id(), "replayed"), replayed + 1);
  // Same id, other bytes: altered.
  Json same_id = upd_json;
  same_id["created"] = upd_json["created"].get<std::int64_t>() + 1;
  page.entries = {{6, same_id}};
  ASSERT_TRUE(c.fed().IngestPage(*peer_a, page));
  EXPECT_EQ(Rejected(c, a.id(), "altered"), 1);
  auto n = c.node->db().Query("SELECT COUNT(*) FROM journal WHERE id = ?", {upd->envelope_id});
  EXPECT_EQ((*n)[0].Int(0), 1);

  // And B, a recipient's home node, accepts the TLP:RED message.
  auto peer_a_on_b = b.fed().GetPeer(a.id());
  page.entries = {{1, red_json}};
  r = b.fed().IngestPage(*peer_a_on_b, page);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->applied, 1);
  EXPECT_TRUE(HasEnvelope(b, red->id));
}

// An organisation homed on a node must have been written on that node and be
// endorsed by that node's key: relays pass the endorsement on; a node that
// claims another's home for its organisations is refused and counted.
std::int64_t RelayRows(TestNode& n) {
  auto r = n.node->db().Query("SELECT COUNT(*) FROM federation_relay");
  EXPECT_TRUE(r) << r.error().ToString();
  return r ? (*r)[0].Int(0) : -1;
}

// A - B - C: B relays sealed messages between A and C only over peerings
// marked as relay links, and prunes them once every active peer pulled past
// them (after an hour), or after 30 days in any case.
TEST_P(FedTest, RelayOnlyOverRelayLinksAndRelayedEnvelopesArePruned) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Hub CERT", "DE");
  auto& c = AddNode("Gamma CERT", "IT");
  PeerBoth(a, b);
  PeerBoth(b, c);
  ASSERT_TRUE(a.fed().SetRelay(b.id(), true));
  ASSERT_TRUE(c.fed().SetRelay(b.id(), true));
  ASSERT_TRUE(b.fed().SetRelay(c.id(), true));
  EXPECT_TRUE(b.fed().GetPeer(c.id())->relay);
  EXPECT_FALSE(b.fed().GetPeer(a.id())->relay);
  Converge();
  ASSERT_TRUE(a.node->directory().GetOrg(c.org)) << "the directory crosses B";
  auto alice = a.node->auth().CreateUser(a.org, "alice", "Alice", "correct horse battery staple",
                                         auth::Role::kOfficer, false);
  ASSERT_TRUE(alice);
  // B does not mark A as a relay link: A's offer is refused, counted, not kept.
  auto m1 = a.node->comms().Send({alice->id, a.org}, Message(c.org, "amber", "first"));
  ASSERT_TRUE(m1) << m1.error().ToString();
  Converge();
  EXPECT_EQ(Rejected(b, a.id(), "relay_refused"), 1);
  EXPECT_EQ(RelayRows(b), 0);
  EXPECT_FALSE(HasEnvelope(c, m1->id));
  // Marked: the next message crosses B to C; B keeps it, never records it.
  ASSERT_TRUE(b.fed().SetRelay(a.id(), true));
  auto m2 = a.node->comms().Send({alice->id, a.org}, Message(c.org, "red", "second"));
  ASSERT_TRUE(m2) << m2.error().ToString();
  Converge();
  EXPECT_TRUE(HasEnvelope(c, m2->id));
  EXPECT_FALSE(HasEnvelope(b, m2->id));
  EXPECT_EQ(RelayRows(b), 1);
  // A's and C's next requests tell B they hold it (their relay cursors are
  // past it); it is still kept an hour.
  ASSERT_TRUE(a.fed().Sync(b.id()));
  ASSERT_TRUE(c.fed().Sync(b.id()));
  EXPECT_GE(b.fed().GetPeer(c.id())->relay_acked, 1);
  EXPECT_GE(b.fed().GetPeer(a.id())->relay_acked, 1);
  EXPECT_EQ(b.fed().PruneRelay().value_or(-1), 0);
  clock_.Advance(3600 * 1000 + 1);
  EXPECT_EQ(b.fed().PruneRelay().value_or(-1), 1);
  EXPECT_EQ(RelayRows(b), 0);
  // Not delivered (C does not pull): kept past the hour, deleted at 30 days.
  auto m3 = a.node->comms().Send({alice->id, a.org}, Message(c.org, "amber", "third"));
  ASSERT_TRUE(m3) << m3.error().ToString();
  ASSERT_TRUE(b.fed().Sync(a.id()));
  ASSERT_TRUE(a.fed().Sync(b.id()));
  EXPECT_EQ(RelayRows(b), 1);
  clock_.Advance(2 * 3600 * 1000);
  EXPECT_EQ(b.fed().PruneRelay().value_or(-1), 0);
  EXPECT_EQ(RelayRows(b), 1);
  clock_.Advance(30LL * 24 * 3600 * 1000);
  EXPECT_EQ(b.fed().PruneRelay().value_or(-1), 1);
  EXPECT_EQ(RelayRows(b), 0);
  EXPECT_FALSE(HasEnvelope(c, m3->id));
  // No rejection but the refused offer.
  for (auto* n : {&a, &b, &c}) {
    auto peers = n->fed().ListPeers();
    ASSERT_TRUE(peers) << peers.error().ToString();
    for (const auto& p : *peers) {
      for (const auto& [reason, count] : p.rejected) {
        if (reason == "replayed") continue;
        EXPECT_TRUE(n == &b && reason == "relay_refused")
            << n->name << " rejected from " << p.node_id << ": " << reason << " x" << count;
      }
    }
  }
}

TEST_P(FedTest, HomeClaimsAreEndorsedByTheHomeNode) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  auto& c = AddNode("Gamma CERT", "IT");
  // A chain: C hears of A only through B.
  PeerBoth(a, b);
  PeerBoth(b, c);
  auto oa2 = a.node->directory().CreateOrg(
      {"", a.org},
      {{"kind", "ci_operator"}, {"names", {{"en", "Alpha Water CERT"}}}, {"country", "FR"}});
  ASSERT_TRUE(oa2) << oa2.error().ToString();
  Converge();
  for (const auto& org : {a.org, oa2->id}) {
    auto o = c.node->directory().GetOrg(org);
    ASSERT_TRUE(o) << "C did not get " << org << " relayed by B: " << o.error().ToString();
    EXPECT_EQ(o->home_node, a.id());
  }
  EXPECT_EQ(Rejected(c, b.id(), "home_claim"), 0);

  // B, compromised, makes an organisation of its own and claims it is homed
  // on A: a self-signed creation (its author is the new organisation, whose
  // home C does not know yet), so the envelope itself verifies.
  auto ob = b.node->directory().CreateOrg(
      {"", b.org}, {{"kind", "ci_operator"}, {"names", {{"en", "Fake"}}}, {"country", "DE"}});
  ASSERT_TRUE(ob) << ob.error().ToString();
  auto ob_env = b.node->journal().ReadById(ob->envelope_id);
  ASSERT_TRUE(ob_env && *ob_env);
  auto fake_key = crypto::GenerateSigningKey();
  auto forge = [&](const std::string& home, const std::string& origin) {
    Json j = Json::parse((*ob_env)->canonical);
    j["author_org"] = ob->id;
    j["body"]["org"]["sign_public"] = crypto::Base64UrlEncode(fake_key.public_key);
    j["body"]["org"]["home_node"] = home;
    j["origin_node"] = origin;
    auto env = journal::Envelope::FromJson(j);
    EXPECT_TRUE(env) << env.error().ToString();
    EXPECT_TRUE(journal::SignEnvelope(*env, fake_key.secret_key));
    return *env;
  };
  journal::Envelope claims_a = forge(a.id(), a.id());
  journal::Envelope written_on_b = forge(a.id(), b.id());
  auto mk = identity::MasterKey::Load(b.opts.master_key_file);
  ASSERT_TRUE(mk);
  auto b_node_secret = identity::NodeIdentity::LoadSecret(b.node->db(), *mk);
  ASSERT_TRUE(b_node_secret);
  auto endorse = [&](const journal::Envelope& env, const std::string& key_b64) {
    auto msg = federation::HomeEndorsementMessage(
        env.id, crypto::HexEncode(crypto::Sha256(crypto::AsBytes(*env.Canonical()))));
    auto sig = crypto::Sign(*b_node_secret, crypto::AsBytes(msg));
    EXPECT_TRUE(sig);
    return federation::HomeEndorsement{key_b64, crypto::Base64UrlEncode(*sig)};
  };
  std::string a_key = crypto::Base64UrlEncode(a.node->info().public_key);
  std::string b_key = crypto::Base64UrlEncode(b.node->info().public_key);
  federation::FeedPage page;
  page.node = b.id();
  page.after = 0;
  page.next = 4;
  page.entries = {
      {1, claims_a.ToJson(), std::nullopt},                       // no endorsement
      {2, claims_a.ToJson(), endorse(claims_a, b_key)},           // endorsed by B, not A
      {3, claims_a.ToJson(), endorse(claims_a, a_key)},           // A's key, B's signature
      {4, written_on_b.ToJson(), endorse(written_on_b, b_key)}};  // home A, written on B
  auto peer_b = c.fed().GetPeer(b.id());
  ASSERT_TRUE(peer_b);
  auto r = c.fed().IngestPage(*peer_b, page);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->applied, 0);
  EXPECT_EQ(r->rejected, 4);
  EXPECT_EQ(Rejected(c, b.id(), "home_claim"), 4);
  EXPECT_FALSE(HasEnvelope(c, ob->envelope_id));
  EXPECT_FALSE(c.node->directory().GetOrg(ob->id));
  // The same organisation as B really wrote it (homed on B, endorsed by B)
  // is accepted.
  page.entries = {{1, Json::parse((*ob_env)->canonical), endorse((*ob_env)->envelope, b_key)}};
  r = c.fed().IngestPage(*peer_b, page);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->applied, 1);
  auto got = c.node->directory().GetOrg(ob->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->home_node, b.id());
  // An update that moves an organisation's home elsewhere is refused too.
  auto upd = a.node->directory().UpdateOrg(
      {"", a.org}, oa2->id,
      {{"kind", "ci_operator"}, {"names", {{"en", "Alpha Water CERT 2"}}}, {"country", "FR"}});
  ASSERT_TRUE(upd) << upd.error().ToString();
  auto upd_env = a.node->journal().ReadById(upd->envelope_id);
  ASSERT_TRUE(upd_env && *upd_env);
  Json moved = Json::parse((*upd_env)->canonical);
  moved["body"]["org"]["home_node"] = b.id();
  page.entries = {{1, moved, std::nullopt}};
  r = c.fed().IngestPage(*peer_b, page);
  ASSERT_TRUE(r);
  EXPECT_EQ(Rejected(c, b.id(), "home_claim"), 5);
}

TEST_P(FedTest, OrderOfArrivalDoesNotMatter) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  PeerBoth(a, b);
  auto o = a.node->directory().CreateOrg(
      {"", a.org},
      {{"kind", "national_csirt"}, {"names", {{"en", "Alpha Two"}}}, {"country", "FR"}});
  ASSERT_TRUE(o);
  Json poc_in = {{"role", "technical"},
                 {"function_title", "Duty officer"},
                 {"name", "Ada"},
                 {"languages", {"en"}},
                 {"timezone", "Europe/Paris"},
                 {"hours", {{"always", true}}},
                 {"channels", {{{"type", "email"}, {"value", "duty@alpha.example"}}}}};
  auto p = a.node->directory().CreatePoc({"", o->id}, o->id, poc_in);
  ASSERT_TRUE(p) << p.error().ToString();
  // Everything A serves to B (with the endorsements of its organisations'
  // creations), newest first: dependents arrive before what they need.
  auto all = a.node->journal().ReadAfter(0, 100);
  ASSERT_TRUE(all);
  auto served = a.fed().Feed(b.id(), 0, 100);
  ASSERT_TRUE(served) << served.error().ToString();
  auto in_order = federation::ParseFeedPage(*served);
  ASSERT_TRUE(in_order) << in_order.error().ToString();
  ASSERT_EQ(in_order->entries.size(), all->size());
  federation::FeedPage page;
  page.node = a.id();
  page.next = static_cast<std::int64_t>(all->size());
  std::int64_t seq = 1;
  for (auto it = in_order->entries.rbegin(); it != in_order->entries.rend(); ++it)
    page.entries.push_back({seq++, it->envelope, it->home});
  auto peer = b.fed().GetPeer(a.id());
  auto r = b.fed().IngestPage(*peer, page);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(b.node->directory().GetPoc(p->id)) << "the contact waited for its organisation";
  EXPECT_TRUE(b.node->directory().GetOrg(o->id));
  auto pending = b.node->db().Query("SELECT COUNT(*) FROM federation_pending");
  EXPECT_EQ((*pending)[0].Int(0), 0);
  for (const auto& e : *all) EXPECT_TRUE(HasEnvelope(b, e.envelope.id));
}

TEST_P(FedTest, GossipDetectsAForkedHistory) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  PeerBoth(a, b);
  ASSERT_TRUE(a.node->log().Issue(transparency::IssuePolicy::kAlways));
  Converge();  // B sees A's head in A's feed
  auto heads =
      b.node->db().Query("SELECT COUNT(*) FROM federation_heads WHERE log_node = ?", {a.id()});
  EXPECT_GE((*heads)[0].Int(0), 1);
  EXPECT_TRUE(b.fed().Alerts()->empty());
  // A genuine growth: consistent.
  ASSERT_TRUE(a.node->directory().CreateOrg(
      {"", a.org},
      {{"kind", "national_csirt"}, {"names", {{"en", "Alpha Two"}}}, {"country", "FR"}}));
  ASSERT_TRUE(a.node->log().Issue(transparency::IssuePolicy::kAlways));
  Converge();
  EXPECT_TRUE(b.fed().Alerts()->empty());

  // A signs a different history of the same size (as it would show another peer).
  auto latest = a.node->log().Latest();
  ASSERT_TRUE(latest && *latest);
  auto mk = identity::MasterKey::Load(a.opts.master_key_file);
  auto secret = identity::NodeIdentity::LoadSecret(a.node->db(), *mk);
  ASSERT_TRUE(secret);
  transparency::Hash other = (*latest)->root_hash;
  other[0] ^= 1;
  auto fork = transparency::SignTreeHead((*latest)->tree_size, other, clock_.NowMillis(),
                                         a.node->info().public_key, *secret);
  ASSERT_TRUE(fork);
  ASSERT_TRUE(b.fed().ObserveHead(fork->ToJson(), std::string(64, 'c')));
  // Against the genuine head of the same size, and against the earlier head
  // (no consistency proof from A leads from it to the forged root).
  auto alerts = b.fed().Alerts();
  ASSERT_TRUE(alerts);
  ASSERT_GE(alerts->size(), 1u);
  bool same_size = false;
  for (const auto& al : *alerts) {
    EXPECT_EQ(al.kind, "inconsistent_history");
    EXPECT_EQ(al.log_node, a.id());
    same_size = same_size || al.detail.find("different roots") != std::string::npos;
  }
  EXPECT_TRUE(same_size);
  size_t after_fork = alerts->size();

  // A larger head whose root is not an extension: the consistency proof A
  // serves between the two sizes does not verify.
  transparency::Hash bogus{};
  bogus.fill(7);
  auto bigger = transparency::SignTreeHead((*latest)->tree_size + 3, bogus, clock_.NowMillis(),
                                           a.node->info().public_key, *secret);
  ASSERT_TRUE(bigger);
  ASSERT_TRUE(b.fed().ObserveHead(bigger->ToJson(), ""));
  EXPECT_GT(b.fed().Alerts()->size(), after_fork);
  // A head with a bad signature is refused outright.
  Json tampered = (*latest)->ToJson();
  tampered["tree_size"] = (*latest)->tree_size + 1;
  EXPECT_FALSE(b.fed().ObserveHead(tampered, ""));
}

TEST_P(FedTest, PullersReplicateAndADeadPeerBlocksNoOne) {
  auto& a = AddNode("Alpha CERT", "FR");
  auto& b = AddNode("Beta CERT", "DE");
  PeerBoth(a, b);
  // A also pins a peer that never answers.
  auto mute = crypto::GenerateSigningKey();
  ASSERT_TRUE(a.fed().AddPeerKnown("http://127.0.0.1:9", crypto::Fingerprint(mute.public_key),
                                   crypto::Base64UrlEncode(mute.public_key)));
  a.node->StartFederation();
  b.node->StartFederation();
  auto o = b.node->directory().CreateOrg(
      {"", b.org},
      {{"kind", "national_csirt"}, {"names", {{"en", "Beta Two"}}}, {"country", "DE"}});
  ASSERT_TRUE(o);
  EXPECT_TRUE(Eventually([&] { return static_cast<bool>(a.node->directory().GetOrg(o->id)); }));
  EXPECT_TRUE(Eventually([&] {
    auto p = a.fed().GetPeer(crypto::Fingerprint(mute.public_key));
    return p && p->failures >= 1 && !p->last_error.empty() && p->next_retry > 0;
  }));
  EXPECT_TRUE(Eventually([&] { return static_cast<bool>(b.node->directory().GetOrg(a.org)); }));
}

INSTANTIATE_TEST_SUITE_P(Store, FedTest,
                         ::testing::Values(store::Backend::kSqlite, store::Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace entente::testing
