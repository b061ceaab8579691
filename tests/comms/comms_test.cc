// Communications on a whole node, on both backends: templates and their
// catalogues, validation errors per field, sealing (nothing in clear at
// rest), the workflow and its signed timeline, deadlines, reminders and
// escalations through leased jobs, forged/altered/replayed envelopes, and
// communication checks with their report.
#include "comms/comms.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/node_fixture.h"
#include "crypto/crypto.h"
#include "journal/envelope.h"

namespace entente::testing {
namespace {

using comms::Communications;

constexpr Millis kMinute = 60 * 1000;
constexpr Millis kHour = 60 * kMinute;

// Records notices (the SMTP and webhook senders are tested in tests/mail and
// end to end in tests/api).
struct RecordingNotifier : comms::Notifier {
  struct Mail {
    std::vector<std::string> to;
    std::string subject, body;
  };
  std::vector<Mail> mails;
  std::vector<Json> hooks;
  Status Email(const std::vector<std::string>& to, const std::string& subject,
               const std::string& body) override {
    mails.push_back({to, subject, body});
    return Ok();
  }
  Status Webhook(const std::string&, const std::string&, const Json& body) override {
    hooks.push_back(body);
    return Ok();
  }
};

Json Notification(const std::string& to, const std::string& summary,
                  const std::string& urgency = "urgent") {
  return Json{{"kind", "incident_notification"},
              {"recipients", {to}},
              {"tlp", "amber"},
              {"pap", "green"},
              {"language", "fr"},
              {"fields",
               {{"urgency", urgency},
                {"classification", {{"class", "availability"}, {"type", "ddos"}}},
                {"sectors", {"nis2:health"}},
                {"countries", {"FR", "DE"}},
                {"window", {{"start", "2026-11-30T22:00:00Z"}, {"end", "2026-12-01T01:00:00Z"}}},
                {"summary", summary},
                {"description", "Les hôpitaux de la région sont visés par un DDoS."}}}};
}

class CommsTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    if (HasFatalFailure()) return;
    a_ = MakeOrg("CERT-FR test", "FR");
    b_ = MakeOrg("CERT-EG test", "EG");
    auto poc = node_->directory().CreatePoc(operator_actor_, b_.id, PocInput("Duty B"));
    ASSERT_TRUE(poc) << poc.error().ToString();
    b_poc_ = poc->id;
    alice_ = {MakeUser(a_.id, "alice", auth::Role::kOfficer).id, a_.id};
    bob_ = {MakeUser(b_.id, "bob", auth::Role::kOfficer).id, b_.id};
    node_->SetNotifier(&notices_);
  }
  Communications& comms() { return node_->comms(); }
  int RunJobs() {
    auto n = comms().RunJobs("test-worker", 1000);
    EXPECT_TRUE(n) << n.error().ToString();
    return n.value_or(-1);
  }
  std::int64_t JournalSize() { return node_->journal().Size().value_or(-1); }
  std::vector<std::string> Actions(const std::string& id, const directory::Actor& who) {
    auto t = comms().Timeline(who, id);
    EXPECT_TRUE(t) << t.error().ToString();
    std::vector<std::string> out;
    for (const auto& e : t.value_or(std::vector<comms::TimelineEvent>{}))
      out.push_back(e.action + (e.stage.empty() ? "" : ":" + e.stage));
    return out;
  }

  directory::Organisation a_, b_;
  std::string b_poc_;
  directory::Actor alice_, bob_;
  RecordingNotifier notices_;
};

TEST(Templates, EveryLabelExistsInTheSixLanguages) {
  const auto& t = comms::TemplateSet::Embedded();
  auto st = t.CheckCatalogues();
  EXPECT_TRUE(st) << st.error().ToString();
  EXPECT_EQ(t.Kinds().size(), 7u);
  for (const auto& lang : comms::UiLanguages()) {
    Json d = t.Describe(lang);
    EXPECT_EQ(d["language"], lang);
    EXPECT_EQ(d["templates"].size(), 8u);
  }
  EXPECT_EQ(t.Describe("fr")["templates"][0]["label"], "Notification d’incident");
}

TEST(Templates, AMissingOrExtraLabelIsReported) {
  std::map<std::string, std::string> labels;
  const char* env_src = std::getenv("ENTENTE_SOURCE_DIR");
  ASSERT_NE(env_src, nullptr);
  std::string src = env_src;
  auto read = [&](const std::string& p) {
    std::ifstream f(src + "/data/" + p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  for (const auto& lang : comms::UiLanguages())
    labels[lang] = read("comms/labels/" + lang + ".json");
  Json fr = Json::parse(labels["fr"]);
  fr["rsit_type"].erase("ddos");
  labels["fr"] = fr.dump();
  auto t =
      comms::TemplateSet::Load(read("comms/templates.json"), read("taxonomies/rsit.json"), labels);
  ASSERT_TRUE(t) << t.error().ToString();
  auto st = t->CheckCatalogues();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().field, "labels/fr.json: rsit_type/ddos");
  fr["rsit_type"]["ddos"] = "DDoS";
  fr["urgency"]["extreme"] = "Extrême";
  labels["fr"] = fr.dump();
  st = comms::TemplateSet::Load(read("comms/templates.json"), read("taxonomies/rsit.json"), labels)
           ->CheckCatalogues();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().field, "labels/fr.json: urgency/extreme");
}

TEST_P(CommsTest, EachBadFieldGetsAPreciseErrorAndNothingIsStored) {
  auto before = JournalSize();
  struct Case {
    std::function<void(Json&)> edit;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](Json& j) { j["fields"].erase("summary"); }, "fields.summary"},
      {[](Json& j) { j["fields"]["urgency"] = "whenever"; }, "fields.urgency"},
      {[](Json& j) { j["fields"]["classification"]["class"] = "weather"; },
       "fields.classification.class"},
      {[](Json& j) { j["fields"]["classification"]["type"] = "phishing"; },
       "fields.classification.type"},
      {[](Json& j) {
         j["fields"]["sectors"] = {"nis2:health", "sports"};
       },
       "fields.sectors[1]"},
      {[](Json& j) {
         j["fields"]["countries"] = {"FR", "FR"};
       },
       "fields.countries[1]"},
      {[](Json& j) { j["fields"]["countries"] = {"XX1"}; }, "fields.countries[0]"},
      {[](Json& j) { j["fields"]["window"]["end"] = "2026-11-01T00:00:00Z"; }, "fields.window.end"},
      {[](Json& j) { j["fields"]["window"]["start"] = "yesterday"; }, "fields.window.start"},
      {[](Json& j) { j["fields"]["colour"] = "red"; }, "fields.colour"},
      {[](Json& j) { j["fields"]["description"] = nullptr; }, "fields.description"},
      {[](Json& j) { j["fields"]["summary"] = std::string(301, 'x'); }, "fields.summary"},
      {[](Json& j) { j["fields"]["summary"] = "two\nlines"; }, "fields.summary"},
      {[](Json& j) {
         j["fields"]["annex"] = {{"type", "bundle"}, {"objects", Json::array()}};
       },
       "fields.annex.id"},
      {[&](Json& j) { j["fields"]["reply_to"] = b_poc_; }, "fields.reply_to"},
      {[](Json& j) { j["tlp"] = "purple"; }, "tlp"},
      {[](Json& j) { j["pap"] = "white"; }, "pap"},
      {[](Json& j) { j["language"] = "klingon"; }, "language"},
      {[](Json& j) { j["kind"] = "gossip"; }, "kind"},
      {[](Json& j) { j["version"] = 99; }, "version"},
      {[](Json& j) { j["recipients"] = Json::array(); }, "recipients"},
      {[&](Json& j) {
         j["recipients"] = {b_.id, b_.id};
       },
       "recipients[1]"},
      {[&](Json& j) { j["recipients"] = {a_.id}; }, "recipients[0]"},
      {[](Json& j) { j["recipients"] = {"0190a0a0-0000-7000-8000-000000000000"}; },
       "recipients[0]"},
      {[](Json& j) { j["to_pocs"] = {"0190a0a0-0000-7000-8000-000000000000"}; }, "to_pocs[0]"},
      {[](Json& j) { j["in_reply_to"] = "0190a0a0-0000-7000-8000-000000000000"; }, "in_reply_to"},
      {[](Json& j) { j["check"] = true; }, "check"},
      {[](Json& j) { j["surprise"] = 1; }, "surprise"},
  };
  for (const auto& c : cases) {
    Json j = Notification(b_.id, "x");
    c.edit(j);
    auto r = comms().Send(alice_, j);
    ASSERT_FALSE(r) << j.dump();
    EXPECT_EQ(r.error().field, c.field) << r.error().ToString();
  }
  EXPECT_EQ(JournalSize(), before);
  auto page = comms().List(alice_, {.box = comms::Box::kSent});
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
}

TEST_P(CommsTest, ANotificationInFrenchIsReadInEveryLanguageAndItsWorkflowIsSigned) {
  auto sent = comms().Send(alice_, Notification(b_.id, "DDoS contre les hôpitaux"));
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->recipients.at(0).state, "sent");
  EXPECT_EQ(sent->recipients.at(0).ack_due, sent->created + 2 * kHour);
  EXPECT_EQ(sent->recipients.at(0).response_due, std::nullopt);

  // Delivery runs as a job: delivered, and the contact gets a notice
  // without the content.
  EXPECT_EQ(RunJobs(), 1);
  EXPECT_EQ(RunJobs(), 0);  // reminder and escalation are not due yet
  auto got = comms().Get(bob_, sent->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->recipients[0].state, "delivered");
  ASSERT_EQ(notices_.mails.size(), 1u);
  EXPECT_EQ(notices_.mails[0].to, std::vector<std::string>{"duty@cert.example"});
  EXPECT_EQ(notices_.mails[0].body.find("hôpitaux"), std::string::npos);
  EXPECT_NE(notices_.mails[0].body.find("#/messages/" + sent->id), std::string::npos);

  auto opened = comms().Open(bob_, sent->id);
  ASSERT_TRUE(opened) << opened.error().ToString();
  EXPECT_EQ(opened->language, "fr");
  EXPECT_EQ(opened->fields["summary"], "DDoS contre les hôpitaux");
  EXPECT_EQ(opened->fields["classification"]["type"], "ddos");
  // The structured part has labels in Arabic for the recipient.
  const Json& ar = comms().templates().Labels("ar");
  EXPECT_FALSE(ar["rsit_type"]["ddos"].get<std::string>().empty());
  EXPECT_NE(ar["urgency"]["urgent"], "Urgent");

  // The sender opens what it sent; a third organisation cannot see it.
  EXPECT_TRUE(comms().Open(alice_, sent->id));
  auto c = MakeOrg("CERT-C test", "DE");
  auto carol = directory::Actor{MakeUser(c.id, "carol", auth::Role::kAdmin).id, c.id};
  auto denied = comms().Open(carol, sent->id);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(comms().Acknowledge(carol, sent->id));

  // Only the recipient acknowledges; twice is a conflict.
  EXPECT_EQ(comms().Acknowledge(alice_, sent->id).error().code, ErrorCode::kPermissionDenied);
  clock_.Advance(30 * kMinute);
  ASSERT_TRUE(comms().Acknowledge(bob_, sent->id));
  auto again = comms().Acknowledge(bob_, sent->id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  clock_.Advance(kHour);
  auto resp =
      comms().Respond(bob_, sent->id,
                      Json{{"language", "ar"},
                           {"fields", {{"urgency", "urgent"}, {"summary", "تم حظر حركة المرور"}}}});
  ASSERT_TRUE(resp) << resp.error().ToString();
  EXPECT_EQ(resp->thread_id, sent->id);
  EXPECT_EQ(resp->recipients[0].org_id, a_.id);
  ASSERT_TRUE(comms().Close(alice_, sent->id, ""));
  auto closed = comms().Get(alice_, sent->id);
  EXPECT_EQ(closed->recipients[0].state, "closed");
  EXPECT_TRUE(closed->recipients[0].acknowledged);
  EXPECT_TRUE(closed->recipients[0].responded);
  EXPECT_EQ(comms().Acknowledge(bob_, sent->id).error().code, ErrorCode::kConflict);

  // The response is sent, and marks the notification responded.
  std::vector<std::string> expected = {"sent", "delivered", "acknowledged",
                                       "sent", "responded", "closed"};
  EXPECT_EQ(Actions(sent->id, alice_), expected);
  EXPECT_EQ(Actions(sent->id, bob_), expected);  // both sides see the same timeline

  // Every transition is a signed journal envelope; the projections rebuild
  // identically from the journal.
  auto tables = std::vector<std::string>{"messages", "message_recipients", "message_events"};
  std::string snap = Snapshot(tables);
  ASSERT_TRUE(node_->journal().Rebuild());
  EXPECT_EQ(Snapshot(tables), snap);
}

TEST_P(CommsTest, NothingConfidentialIsStoredInClear) {
  std::string marker = "MARKER-" + crypto::RandomToken(12);
  auto sent = comms().Send(alice_, Notification(b_.id, "summary " + marker));
  ASSERT_TRUE(sent) << sent.error().ToString();
  auto resp = comms().Respond(
      bob_, sent->id,
      Json{{"language", "en"},
           {"fields",
            {{"urgency", "urgent"}, {"summary", "reply " + marker}, {"description", marker}}}});
  ASSERT_TRUE(resp);
  EXPECT_EQ(RunJobs(), 2);
  ASSERT_TRUE(comms().Open(bob_, sent->id));
  // Every cell of every table.
  std::vector<std::string> tables;
  std::string list_sql = backend() == store::Backend::kSqlite
                             ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                             : "SELECT table_name FROM information_schema.tables WHERE "
                               "table_schema = current_schema()";
  auto listed = node_->db().Query(list_sql);
  ASSERT_TRUE(listed);
  for (const auto& r : *listed) tables.push_back(r.Text(0));
  ASSERT_GT(tables.size(), 10u);
  for (const auto& t : tables) {
    auto rows = node_->db().Query("SELECT * FROM " + t);
    ASSERT_TRUE(rows) << t;
    for (const auto& r : *rows)
      for (size_t i = 0; i < r.size(); ++i)
        ASSERT_EQ(r.Text(i).find(marker), std::string::npos) << "in clear in table " << t;
  }
  if (backend() == store::Backend::kSqlite) {
    // The database files themselves, WAL included.
    for (const auto& suffix : {"", "-wal"}) {
      std::ifstream f(url() + suffix, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      EXPECT_EQ(ss.str().find(marker), std::string::npos) << url() << suffix;
    }
  }
  if (backend() == store::Backend::kPostgres) {
    // A dump of the whole database, as an operator would take for backup.
    std::string bin = std::getenv("PG_BIN") ? std::getenv("PG_BIN") : "/usr/lib/postgresql/15/bin";
    std::string out = dir_ / "dump.sql";
    std::string cmd = bin + "/pg_dump --dbname='" + url() + "' --file='" + out + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream f(out, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_GT(ss.str().size(), 10000u);
    EXPECT_NE(ss.str().find("comms.message"), std::string::npos);
    EXPECT_EQ(ss.str().find(marker), std::string::npos) << "in clear in pg_dump";
  }
  for (const auto& m : notices_.mails) EXPECT_EQ(m.body.find(marker), std::string::npos);
}

TEST_P(CommsTest, ARecipientWithoutAnEncryptionKeyIsRefusedBeforeAnythingIsStored) {
  ASSERT_TRUE(node_->db().Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("UPDATE orgs SET box_public = '' WHERE id = ?", {b_.id}));
    return Ok();
  }));
  auto before = JournalSize();
  auto r = comms().Send(alice_, Notification(b_.id, "x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().field, "recipients[0]");
  EXPECT_EQ(JournalSize(), before);
  EXPECT_EQ(node_->jobs().Counts().value().pending, 0);
}

TEST_P(CommsTest, ForgedAlteredAndReplayedEnvelopesAreRefused) {
  auto sent = comms().Send(alice_, Notification(b_.id, "original"));
  ASSERT_TRUE(sent);
  auto entry = node_->journal().ReadById(sent->id);
  ASSERT_TRUE(entry && *entry);
  Json env = (*entry)->envelope.ToJson();
  auto before = JournalSize();

  // Replayed: the same envelope again.
  auto replay = comms().Receive(env);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, ErrorCode::kAlreadyExists) << replay.error().ToString();

  // Altered: one character of the ciphertext, the urgency in the header.
  Json altered = env;
  std::string ct = altered["sealed"]["ciphertext"];
  ct[10] = ct[10] == 'A' ? 'B' : 'A';
  altered["sealed"]["ciphertext"] = ct;
  altered["id"] = "0190a0a0-0000-7000-8000-000000000001";
  auto r1 = comms().Receive(altered);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, ErrorCode::kDataLoss) << r1.error().ToString();
  Json altered2 = env;
  altered2["sealed"]["header"]["urgency"] = "routine";
  altered2["id"] = "0190a0a0-0000-7000-8000-000000000004";
  auto r2 = comms().Receive(altered2);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kDataLoss);

  // Forged: a well-formed envelope signed by a key that is not the author's.
  auto e = journal::Envelope::FromJson(env).value();
  e.id = "0190a0a0-0000-7000-8000-000000000002";
  e.sealed.value()["header"]["thread"] = e.id;
  auto fake = crypto::GenerateSigningKey();
  ASSERT_TRUE(journal::SignEnvelope(e, fake.secret_key));
  auto r3 = comms().Receive(e.ToJson());
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(r3.error().message.find("signature"), std::string::npos) << r3.error().message;

  // A correctly signed event that replays a transition already made.
  ASSERT_TRUE(comms().Acknowledge(bob_, sent->id));
  auto ack = node_->journal().ReadSubject(sent->id, 0, 1);
  ASSERT_TRUE(ack && !ack->empty());
  auto ev = (*ack)[0].envelope;
  ASSERT_EQ(ev.type, "comms.event");
  ev.id = "0190a0a0-0000-7000-8000-000000000003";
  ev.sig.clear();
  ASSERT_TRUE(journal::SignEnvelope(ev, node_->keys().SigningSecret(b_.id).value()));
  auto r4 = comms().Receive(ev.ToJson());
  ASSERT_FALSE(r4);
  EXPECT_EQ(r4.error().code, ErrorCode::kConflict) << r4.error().ToString();
  EXPECT_EQ(JournalSize(), before + 1);  // only the genuine acknowledgement
}

TEST_P(CommsTest, DeadlinesRemindEscalateAndListOverdue) {
  // A request for assistance needs a response: priority = 24 h / 72 h.
  Json j = Notification(b_.id, "help", "priority");
  j["kind"] = "request_for_assistance";
  j["fields"]["requested_action"] = "Block the listed addresses";
  j["to_pocs"] = {b_poc_};
  auto sent = comms().Send(alice_, j);
  ASSERT_TRUE(sent) << sent.error().ToString();
  const auto& r = sent->recipients[0];
  EXPECT_EQ(r.ack_due, sent->created + 24 * kHour);
  EXPECT_EQ(r.response_due, sent->created + 72 * kHour);
  EXPECT_EQ(RunJobs(), 1);  // delivery

  clock_.Advance(18 * kHour);  // the reminder at 3/4 of the window
  EXPECT_EQ(RunJobs(), 1);
  EXPECT_TRUE(comms().Overdue(alice_, false)->empty());
  clock_.Advance(6 * kHour + 1);
  EXPECT_EQ(RunJobs(), 1);  // escalation
  auto over = comms().Overdue(alice_, false);
  ASSERT_TRUE(over);
  ASSERT_EQ(over->size(), 1u);
  EXPECT_EQ((*over)[0].stage, "ack");
  EXPECT_EQ((*over)[0].org_id, b_.id);
  EXPECT_EQ(comms().Overdue(bob_, false)->size(), 1u);
  EXPECT_EQ(comms().Get(bob_, sent->id)->recipients[0].state, "escalated");
  // Notices: delivery, reminder, escalation (to every contact).
  ASSERT_EQ(notices_.mails.size(), 3u);
  EXPECT_NE(notices_.mails[2].subject.find("Deadline"), std::string::npos);

  // Acknowledged late: the response deadline is what is now awaited.
  ASSERT_TRUE(comms().Acknowledge(bob_, sent->id));
  EXPECT_TRUE(comms().Overdue(alice_, false)->empty());
  clock_.Advance(48 * kHour);
  EXPECT_EQ(RunJobs(), 2);  // response reminder and escalation
  over = comms().Overdue(alice_, false);
  ASSERT_EQ(over->size(), 1u);
  EXPECT_EQ((*over)[0].stage, "response");
  std::vector<std::string> expected = {
      "sent",         "delivered",         "reminded:ack",      "escalated:ack",
      "acknowledged", "reminded:response", "escalated:response"};
  EXPECT_EQ(Actions(sent->id, alice_), expected);
  EXPECT_EQ(RunJobs(), 0);  // nothing runs twice
}

TEST_P(CommsTest, DeadlinePolicyPerGroupingIsTheStrictest) {
  ASSERT_TRUE(comms().SetPolicy("", "routine", 10 * kHour, 20 * kHour));
  EXPECT_EQ(comms().DeadlinesFor(b_.id, "routine")->ack_ms, 10 * kHour);
  auto org = node_->directory().UpdateOrg(operator_actor_, b_.id,
                                          Json{{"kind", "national_csirt"},
                                               {"names", {{"en", "CERT-EG test"}}},
                                               {"country", "EG"},
                                               {"groupings", {"AU", "LAS"}}});
  ASSERT_TRUE(org) << org.error().ToString();
  ASSERT_TRUE(comms().SetPolicy("AU", "routine", 4 * kHour, 8 * kHour));
  ASSERT_TRUE(comms().SetPolicy("LAS", "routine", 6 * kHour, 7 * kHour));
  auto d = comms().DeadlinesFor(b_.id, "routine");
  EXPECT_EQ(d->ack_ms, 4 * kHour);
  EXPECT_EQ(d->response_ms, 7 * kHour);
  EXPECT_EQ(comms().DeadlinesFor(a_.id, "routine")->ack_ms, 10 * kHour);
  EXPECT_EQ(comms().SetPolicy("AU", "routine", 4 * kHour, kHour).error().field, "response_ms");
  EXPECT_EQ(comms().SetPolicy("AU", "someday", kHour, kHour).error().field, "urgency");
  EXPECT_EQ(comms().SetPolicy("A U", "routine", kHour, kHour).error().field, "grouping");
}

TEST_P(CommsTest, ACommunicationCheckAcrossAGroupingProducesItsReport) {
  std::vector<directory::Actor> members;
  int n = 0;
  for (auto [name, country] : std::vector<std::pair<std::string, std::string>>{
           {"Member 1", "KE"}, {"Member 2", "KE"}, {"Member 3", "GH"}}) {
    auto o = node_->directory().CreateOrg(operator_actor_, Json{{"kind", "national_csirt"},
                                                                {"names", {{"en", name}}},
                                                                {"country", country},
                                                                {"groupings", {"AU"}}});
    ASSERT_TRUE(o) << o.error().ToString();
    members.push_back(
        {MakeUser(o->id, "member" + std::to_string(++n), auth::Role::kOfficer).id, o->id});
  }
  comms::CheckTarget t;
  t.grouping = "AU";
  t.window_ms = 4 * kHour;
  auto check = comms().StartCheck(alice_, t);
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_EQ(check->recipients.size(), 3u);
  EXPECT_EQ(RunJobs(), 3);
  clock_.Advance(10 * kMinute);
  ASSERT_TRUE(comms().Acknowledge(members[0], check->id));
  clock_.Advance(50 * kMinute);
  ASSERT_TRUE(comms().Acknowledge(members[2], check->id));
  clock_.Advance(5 * kHour);
  auto rep = comms().Report(alice_, check->id);
  ASSERT_TRUE(rep) << rep.error().ToString();
  EXPECT_EQ(rep->overall.targets, 3);
  EXPECT_EQ(rep->overall.in_time, 2);
  EXPECT_NEAR(rep->overall.response_rate, 2.0 / 3, 1e-9);
  EXPECT_EQ(rep->overall.median_ms, 10 * kMinute);
  EXPECT_EQ(rep->overall.p95_ms, 60 * kMinute);
  EXPECT_EQ(rep->by_country.at("KE").in_time, 1);
  EXPECT_EQ(rep->by_country.at("GH").response_rate, 1.0);
  EXPECT_EQ(rep->by_grouping.at("AU").targets, 3);
  std::string csv = rep->ToCsv();
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_NE(csv.find("Member 3,GH,AU,yes,yes,3600"), std::string::npos) << csv;
  auto history = comms().CheckHistory(alice_, 10);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 1u);
  // Checks are started as checks, not as messages.
  Json j = {{"kind", "communication_check"},
            {"recipients", {b_.id}},
            {"tlp", "green"},
            {"language", "en"},
            {"fields", {{"urgency", "routine"}, {"summary", "ping"}}}};
  EXPECT_EQ(comms().Send(alice_, j).error().field, "kind");
  EXPECT_EQ(comms().StartCheck(alice_, {.grouping = "NOPE", .window_ms = kHour}).error().field,
            "grouping");
}

ENTENTE_INSTANTIATE_BACKENDS(CommsTest);

}  // namespace
}  // namespace entente::testing
