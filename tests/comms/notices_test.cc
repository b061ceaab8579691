// Notices of communications end to end with the real senders: email through
// a real SMTP server (aiosmtpd, tests/mail/smtp_test_server.h) and signed
// webhooks to a real HTTP server, driven by the node's leased jobs. A notice
// says a message is waiting and by when to acknowledge, never its content.
#include "api/notices.h"

#include <gtest/gtest.h>

#include <mutex>

#include "api/node_fixture.h"
#include "crypto/crypto.h"
#include "mail/smtp_test_server.h"

namespace entente::testing {
namespace {

struct Received {
  std::mutex mu;
  std::vector<http::Request> posts;
};

class NoticesTest : public NodeTest {};

TEST_P(NoticesTest, EmailAndWebhookNoticesArriveWithoutTheContent) {
  auto smtp = mail::testing::SmtpTestServer::Start(mail::testing::SinkMode::kPlain);
  ASSERT_TRUE(smtp) << smtp.error().ToString();
  Received received;
  http::Server hooks({}, [&](http::Request& r) {
    std::lock_guard lock(received.mu);
    received.posts.push_back(r);
    return http::Response{200, "application/json", "{}", {}};
  });
  auto hook_port = hooks.Start();
  ASSERT_TRUE(hook_port);

  mail::SmtpConfig config;
  config.host = "127.0.0.1";
  config.port = (*smtp)->port();
  config.from = "notices@node.example.org";
  config.helo_name = "node.example.org";
  // The test's webhook receiver is on loopback, which a node refuses unless
  // allowed.
  api::MailNotifier notifier(config, {.allow_private_addresses = true});
  node_->SetNotifier(&notifier);

  auto a = MakeOrg("CERT-FR test", "FR");
  auto b = MakeOrg("CERT-EG test", "EG");
  Json poc = PocInput("Duty B");
  poc["languages"] = {"ar", "en"};
  poc["channels"] = {{{"type", "email"}, {"value", "duty@cert-eg.example"}}};
  ASSERT_TRUE(node_->directory().CreatePoc(operator_actor_, b.id, poc));
  auto secret = node_->comms().SetWebhook(
      b.id, "http://127.0.0.1:" + std::to_string(*hook_port) + "/entente");
  ASSERT_TRUE(secret) << secret.error().ToString();

  std::string marker = "MARKER-" + crypto::RandomToken(8);
  directory::Actor alice{MakeUser(a.id, "alice", auth::Role::kOfficer).id, a.id};
  auto sent = node_->comms().Send(
      alice, Json{{"kind", "incident_notification"},
                  {"recipients", {b.id}},
                  {"tlp", "red"},
                  {"language", "fr"},
                  {"fields",
                   {{"urgency", "urgent"},
                    {"classification", {{"class", "fraud"}, {"type", "phishing"}}},
                    {"summary", "Hameçonnage " + marker}}}});
  ASSERT_TRUE(sent) << sent.error().ToString();
  auto ran = node_->comms().RunJobs("test", 10);
  ASSERT_TRUE(ran) << ran.error().ToString();
  EXPECT_EQ(*ran, 1);

  auto mails = (*smtp)->Messages();
  ASSERT_EQ(mails.size(), 1u) << (*smtp)->Log();
  EXPECT_EQ(mails[0]["rcpt_tos"], Json({"duty@cert-eg.example"}));
  std::string subject = mails[0]["subject"], body = mails[0]["body"];
  // In the contact's first language (Arabic), with the deadline and a link.
  const Json& ar = node_->comms().templates().Labels("ar");
  EXPECT_NE(subject.find(ar["urgency"]["urgent"].get<std::string>()), std::string::npos) << subject;
  EXPECT_NE(body.find(FormatRfc3339(sent->recipients[0].ack_due)), std::string::npos) << body;
  EXPECT_NE(body.find("#/messages/" + sent->id), std::string::npos);
  EXPECT_EQ(body.find(marker), std::string::npos);
  EXPECT_EQ(subject.find(marker), std::string::npos);

  ASSERT_EQ(received.posts.size(), 1u);
  const auto& post = received.posts[0];
  EXPECT_EQ(post.path, "/entente");
  EXPECT_TRUE(mail::VerifyWebhookSignature(*secret, post.Header("X-Entente-Timestamp"), post.body,
                                           post.Header("X-Entente-Signature"),
                                           std::stoll(post.Header("X-Entente-Timestamp")), 300));
  EXPECT_FALSE(mail::VerifyWebhookSignature(
      "whsec_wrong_secret_0123456789", post.Header("X-Entente-Timestamp"), post.body,
      post.Header("X-Entente-Signature"), std::stoll(post.Header("X-Entente-Timestamp")), 300));
  Json hook = Json::parse(post.body);
  EXPECT_EQ(hook["event"], "message.new");
  EXPECT_EQ(hook["message"], sent->id);
  EXPECT_EQ(hook["state"], "delivered");
  EXPECT_EQ(post.body.find(marker), std::string::npos);
  hooks.Stop();
}

TEST_P(NoticesTest, AnSmtpFailureRetriesTheDeliveryWithoutLosingIt) {
  mail::testing::TestSocket closed(/*listen=*/false);
  mail::SmtpConfig config;
  config.host = "127.0.0.1";
  config.port = closed.port();
  config.from = "notices@node.example.org";
  api::MailNotifier notifier(config);
  node_->SetNotifier(&notifier);
  auto a = MakeOrg("CERT-FR test", "FR");
  auto b = MakeOrg("CERT-EG test", "EG");
  ASSERT_TRUE(node_->directory().CreatePoc(operator_actor_, b.id, PocInput("Duty B")));
  directory::Actor alice{MakeUser(a.id, "alice", auth::Role::kOfficer).id, a.id};
  auto sent =
      node_->comms().Send(alice, Json{{"kind", "free_form"},
                                      {"recipients", {b.id}},
                                      {"tlp", "green"},
                                      {"language", "en"},
                                      {"fields", {{"urgency", "routine"}, {"summary", "hello"}}}});
  ASSERT_TRUE(sent);
  ASSERT_TRUE(node_->comms().RunJobs("test", 10));
  // Delivered (the signed event is recorded) but the notice failed: the job
  // is pending again with the SMTP error, for a later retry.
  EXPECT_EQ(node_->comms().Get(alice, sent->id)->recipients[0].state, "delivered");
  auto pending = node_->jobs().List(jobs::JobState::kPending, 100);
  ASSERT_TRUE(pending);
  bool found = false;
  for (const auto& j : *pending)
    if (j.kind == "comms.deliver") {
      found = true;
      EXPECT_EQ(j.attempts, 1);
      ASSERT_TRUE(j.last_error);
      EXPECT_NE(j.last_error->find("cannot connect to SMTP server"), std::string::npos)
          << *j.last_error;
    }
  EXPECT_TRUE(found);
}

ENTENTE_INSTANTIATE_BACKENDS(NoticesTest);

}  // namespace
}  // namespace entente::testing
