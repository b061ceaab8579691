// Communications over real HTTP with API tokens: send, inbox, open, the
// workflow, the timeline with receipts, errors as problem+json naming the
// field, checks with their CSV, and what each side may not do.
#include <gtest/gtest.h>

#include "api/node_fixture.h"

namespace entente::testing {
namespace {

class CommsApiTest : public NodeTest {
 protected:
  Json Body(const http::ClientResponse& r) { return Json::parse(r.body); }
  http::ClientResponse Post(const std::string& path, const std::string& token, const Json& body) {
    return Call("POST", path, token, body.dump(), {{"Content-Type", "application/json"}});
  }
};

TEST_P(CommsApiTest, SendReadAcknowledgeAndVerifyOverHttp) {
  Serve();
  auto a = MakeOrg("CERT-FR test", "FR");
  auto b = MakeOrg("CERT-EG test", "EG");
  std::string alice = MakeToken(MakeUser(a.id, "alice", auth::Role::kOfficer).id);
  std::string bob = MakeToken(MakeUser(b.id, "bob", auth::Role::kOfficer).id);
  std::string bob_viewer = MakeToken(MakeUser(b.id, "bobv", auth::Role::kViewer).id);
  std::string bob_reader = MakeToken(MakeUser(b.id, "bobr", auth::Role::kAnalyst).id);

  Json msg = {{"kind", "request_for_information"},
              {"recipients", {b.id}},
              {"tlp", "amber"},
              {"language", "fr"},
              {"fields",
               {{"urgency", "priority"},
                {"summary", "Adresses sources <b>du</b> DDoS"},
                {"requested_action", "Merci de partager les journaux."}}}};
  // A field error: 422, problem+json, the field named; nothing sent.
  Json bad = msg;
  bad["fields"]["urgency"] = "soon";
  auto r = Post("/api/v1/messages", alice, bad);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(Body(r)["field"], "fields.urgency");

  r = Post("/api/v1/messages", alice, msg);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = Body(r)["id"];
  EXPECT_EQ(Body(r)["needs_response"], true);
  ASSERT_TRUE(node_->comms().RunJobs("test", 10));

  auto inbox = Call("GET", "/api/v1/messages?box=inbox", bob_reader);
  ASSERT_EQ(inbox.status, 200);
  ASSERT_EQ(Body(inbox)["items"].size(), 1u);
  EXPECT_EQ(Body(inbox)["items"][0]["recipients"][0]["state"], "delivered");
  EXPECT_EQ(Call("GET", "/api/v1/messages?box=inbox", bob_viewer).status, 403);
  auto opened = Call("GET", "/api/v1/messages/" + id, bob_reader);
  ASSERT_EQ(opened.status, 200);
  EXPECT_EQ(Body(opened)["fields"]["summary"], "Adresses sources <b>du</b> DDoS");
  EXPECT_EQ(Body(opened)["language"], "fr");
  // An analyst reads but does not act; the sender does not acknowledge.
  EXPECT_EQ(Post("/api/v1/messages/" + id + "/ack", bob_reader, Json::object()).status, 403);
  EXPECT_EQ(Post("/api/v1/messages/" + id + "/ack", alice, Json::object()).status, 403);
  r = Call("POST", "/api/v1/messages/" + id + "/ack", bob);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["recipients"][0]["state"], "acknowledged");
  EXPECT_EQ(Call("POST", "/api/v1/messages/" + id + "/ack", bob).status, 409);
  EXPECT_EQ(Post("/api/v1/messages/" + id + "/ack", bob, Json{{"note", "x"}}).status, 400);

  r = Post("/api/v1/messages/" + id + "/respond", bob,
           Json{{"language", "ar"},
                {"fields", {{"urgency", "priority"}, {"summary", "السجلات مرفقة"}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["kind"], "response");
  EXPECT_EQ(Body(r)["thread"], id);

  auto timeline = Call("GET", "/api/v1/messages/" + id + "/timeline", alice);
  ASSERT_EQ(timeline.status, 200) << timeline.body;
  std::vector<std::string> actions;
  Json events = Body(timeline);
  for (const auto& e : events["items"]) actions.push_back(e["action"]);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"sent", "delivered", "acknowledged", "sent", "responded"}));
  // Every event has a receipt from the log, for the sender and the recipient.
  std::string ack_envelope = events["items"][2]["id"];
  auto receipt = Call("GET", "/api/v1/log/receipt/" + ack_envelope, alice);
  ASSERT_EQ(receipt.status, 200) << receipt.body;
  EXPECT_EQ(Body(receipt)["envelope"]["type"], "comms.event");

  // A third organisation sees nothing: 404 as for a message that does not exist.
  auto c = MakeOrg("CERT-C test", "DE");
  std::string carol = MakeToken(MakeUser(c.id, "carol", auth::Role::kAdmin).id);
  EXPECT_EQ(Call("GET", "/api/v1/messages/" + id, carol).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/messages/" + id + "/timeline", carol).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/messages/not-a-uuid", carol).status, 404);
  EXPECT_EQ(Body(Call("GET", "/api/v1/messages?box=sent", carol))["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/messages?box=outbox", alice).status, 422);

  // Server-sent events: the parties get the thread's events, resumable;
  // another organisation gets none.
  auto stream = Call("GET", "/api/v1/events?timeout=0", alice, "", {{"Last-Event-ID", "0:"}});
  ASSERT_EQ(stream.status, 200) << stream.body;
  EXPECT_EQ(stream.Header("Content-Type").rfind("text/event-stream", 0), 0u);
  EXPECT_EQ(std::count(stream.body.begin(), stream.body.end(), '\n') > 10, true);
  EXPECT_NE(stream.body.find("event: message\ndata: {\"action\":\"acknowledged\""),
            std::string::npos)
      << stream.body;
  auto last_id = stream.body.substr(stream.body.rfind("id: ") + 4);
  last_id = last_id.substr(0, last_id.find('\n'));
  auto resumed = Call("GET", "/api/v1/events?timeout=0", alice, "", {{"Last-Event-ID", last_id}});
  EXPECT_EQ(resumed.body.find("event: message"), std::string::npos) << resumed.body;
  auto others = Call("GET", "/api/v1/events?timeout=0", carol, "", {{"Last-Event-ID", "0:"}});
  EXPECT_EQ(others.status, 200);
  EXPECT_EQ(others.body.find("event: message"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/events?timeout=99", alice).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/events?timeout=0", alice, "", {{"Last-Event-ID", "x"}}).status,
            422);

  // Templates in Arabic; the overdue list; a check and its CSV.
  auto t = Call("GET", "/api/v1/comms/templates?lang=ar", bob);
  ASSERT_EQ(t.status, 200);
  EXPECT_EQ(Body(t)["language"], "ar");
  EXPECT_EQ(Body(t)["templates"].size(), 8u);
  EXPECT_EQ(Body(Call("GET", "/api/v1/overdue", alice))["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/overdue?scope=node", alice).status, 403);
  std::string admin = MakeToken(MakeUser(a.id, "admin-a", auth::Role::kAdmin).id);
  EXPECT_EQ(Post("/api/v1/checks", alice, Json{{"orgs", {b.id}}, {"window_minutes", 30}}).status,
            403);
  r = Post("/api/v1/checks", admin, Json{{"orgs", {b.id, c.id}}, {"window_minutes", 30}});
  ASSERT_EQ(r.status, 201) << r.body;
  std::string check = Body(r)["id"];
  auto csv = Call("GET", "/api/v1/checks/" + check + "?format=csv", alice);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 3);
  EXPECT_EQ(Body(Call("GET", "/api/v1/checks", alice))["items"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/checks/" + id, alice).status, 404);  // not a check

  // Webhooks: the secret is shown once.
  r = Call("PUT", "/api/v1/orgs/" + b.id + "/webhook",
           MakeToken(MakeUser(b.id, "badmin", auth::Role::kAdmin).id),
           Json{{"url", "https://tickets.cert-eg.example/hook"}}.dump(),
           {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["secret"].get<std::string>().rfind("whsec_", 0), 0u);
}

ENTENTE_INSTANTIATE_BACKENDS(CommsApiTest);

}  // namespace
}  // namespace entente::testing
