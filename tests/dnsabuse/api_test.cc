// The DNS abuse observatory over HTTP on a real node, on SQLite and
// PostgreSQL: figures equal to the monthly report the CLI prints
// (MonthToJson / MonthToCsv / MonthToHtml of the same database), sorting and
// paging, trends, bad input; and a report routed to a registrar of the demo
// directory (found by its IANA id) whose officer answers through the comms
// API, the report following the workflow to "mitigated" with the measured
// time, and a decline with its reason.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/node_fixture.h"
#include "dnsabuse/observatory.h"
#include "jcs/jcs.h"

namespace entente::testing {
namespace {

namespace fs = std::filesystem;
constexpr Millis kDay = 86'400'000;
constexpr Millis k20240301 = 1'709'251'200'000;  // 2024-03-01T00:00:00Z

class DnsApiTest : public NodeTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  Json Demo(const std::string& key) {
    const char* src = std::getenv("ENTENTE_SOURCE_DIR");
    EXPECT_NE(src, nullptr);
    std::ifstream in(std::string(src ? src : ".") + "/data/demo/directory.json");
    std::stringstream ss;
    ss << in.rdbuf();
    Json demo = Json::parse(ss.str());
    for (const auto& e : demo["orgs"])
      if (e["key"] == key) return e["org"];
    ADD_FAILURE() << "no demo org " << key;
    return Json();
  }
  Json Get(const std::string& path, const std::string& token, int status = 200) {
    auto r = Call("GET", path, token);
    EXPECT_EQ(r.status, status) << path << " " << r.body;
    return Json::parse(r.body, nullptr, false);
  }
  Json Post(const std::string& path, const std::string& token, const Json& body, int status = 200) {
    auto r = Call("POST", path, token, body.dump(), {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, status) << path << " " << r.body;
    return Json::parse(r.body, nullptr, false);
  }

  // Tokens valid for 30 days: the clock moves on by days in these tests.
  std::string LongToken(const std::string& user_id) {
    auto t = node_->auth().CreateToken(user_id, "test", {"read", "write", "admin"}, 30 * kDay);
    EXPECT_TRUE(t) << t.error().ToString();
    return t ? t->token : std::string();
  }

  void SetUpData() {
    clock_.Set(k20240301 + 10 * 3'600'000);
    Serve();
    cert_ = MakeOrg("Arcadia CERT", "XA");
    auto reg = node_->directory().CreateOrg(operator_actor_, Demo("registrar-one"));
    ASSERT_TRUE(reg) << reg.error().ToString();
    registrar_ = *reg;
    ASSERT_EQ(registrar_.iana_id, 1001);
    officer_ = LongToken(MakeUser(cert_.id, "cert.officer", auth::Role::kOfficer).id);
    cert_viewer_ = LongToken(MakeUser(cert_.id, "cert.viewer", auth::Role::kViewer).id);
    registrar_officer_ =
        LongToken(MakeUser(registrar_.id, "registrar.officer", auth::Role::kOfficer).id);
    auto other = MakeOrg("Elsewhere CERT", "DE");
    other_ = LongToken(MakeUser(other.id, "other.admin", auth::Role::kAdmin).id);
    operator_ = LongToken(MakeUser(founding_org_, "op2", auth::Role::kAdmin, true).id);

    Write("registrars.csv", "iana_id,name\n1001,Northwind Names Ltd\n1002,Southern Domains\n");
    Write("regs.csv",
          "domain,registrar_id,created\nevil.arc,1001,2024-02-28\nbad.arc,1001,2023-01-01\n"
          "good.arc,1002,2020-01-01\nshop.cam,1002,2020-01-01\nweird.arc,4242,2020-01-01\n");
    const std::string arc = Write("arc.zone",
                                  "$ORIGIN arc.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n@ NS a.\n"
                                  "evil NS ns.x.\nbad NS ns.x.\ngood NS ns.x.\nweird NS ns.x.\n");
    const std::string cam = Write(
        "cam.zone", "$ORIGIN cam.\n$TTL 60\n@ SOA a b 1 2 3 4 5\nshop NS ns.x.\nz NS ns.x.\n");
    const std::string feed1 =
        Write("p1.txt", "https://login.evil.arc/bank\nhttp://bad.arc/x\nhttp://shop.cam/\n");
    const std::string feed2 = Write("p2.txt", "https://login.evil.arc/bank\nhttp://shop.cam/\n");
    dnsabuse::Observatory obs(node_->db(), clock_);
    for (auto [day, feed] : {std::pair{"2024-03-01", feed1}, std::pair{"2024-03-02", feed2}}) {
      dnsabuse::IngestRequest r;
      r.day = day;
      r.zones = {arc, cam};
      r.registrations = (dir_ / "regs.csv").string();
      r.registrars = (dir_ / "registrars.csv").string();
      r.feeds = {*dnsabuse::ParseFeedSpec(std::string("phishing:cert:urls:") + feed)};
      auto d = obs.Ingest(r);
      ASSERT_TRUE(d) << d.error().ToString();
    }
  }

  directory::Organisation cert_, registrar_;
  std::string officer_, cert_viewer_, registrar_officer_, other_, operator_;
};

TEST_P(DnsApiTest, FiguresEqualTheMonthlyReportSortedAndPaged) {
  SetUpData();
  if (HasFatalFailure()) return;
  dnsabuse::Observatory obs(node_->db(), clock_);
  auto month = obs.Month("2024-03");
  ASSERT_TRUE(month);
  const Json cli = dnsabuse::MonthToJson(*month);

  // Every TLD and registrar row of the month, equal to the report's.
  for (const std::string scope : {"tld", "registrar", "all"}) {
    Json api =
        Get("/api/v1/dns/months/2024-03/figures?scope=" + scope + "&limit=1000", cert_viewer_);
    std::vector<Json> expected;
    for (const auto& r : cli["rows"])
      if (r["scope"] == scope) expected.push_back(r);
    ASSERT_EQ(api["total"], expected.size()) << scope;
    for (const auto& row : api["items"]) {
      Json r = row;
      r.erase("org");
      bool found = false;
      for (const auto& e : expected) found = found || e == r;
      EXPECT_TRUE(found) << r.dump();
    }
  }
  // The registrar row names the directory organisation with its IANA id.
  Json regs =
      Get("/api/v1/dns/months/2024-03/figures?scope=registrar&sort=key&order=asc", cert_viewer_);
  ASSERT_EQ(regs["items"].size(), 4u);
  // z.cam has no registration row: registrar 0.
  EXPECT_EQ(regs["items"][0]["key"], "0");
  EXPECT_EQ(regs["items"][0]["domains"], 1);
  EXPECT_EQ(regs["items"][1]["key"], "1001");
  EXPECT_EQ(regs["items"][1]["label"], "Northwind Names Ltd");
  EXPECT_EQ(regs["items"][1]["org"], registrar_.id);
  EXPECT_EQ(regs["items"][2]["key"], "1002");
  EXPECT_TRUE(regs["items"][2]["org"].is_null());
  // Unknown registrar ids (absent from the registrar list) keep their id,
  // labelled "unknown", counted apart from the known ones.
  EXPECT_EQ(regs["items"][3]["key"], "4242");
  EXPECT_EQ(regs["items"][3]["label"], "unknown");
  EXPECT_EQ(regs["items"][3]["domains"], 1);

  // Day figures equal `entente dns day`; sorted by domains ascending, paged.
  auto day = obs.Day("2024-03-01", "tld");
  ASSERT_TRUE(day);
  ASSERT_EQ(day->size(), 2u);
  Json d = Get("/api/v1/dns/days/2024-03-01/figures?scope=tld&sort=domains&order=asc&limit=1",
               cert_viewer_);
  EXPECT_EQ(d["total"], 2);
  ASSERT_EQ(d["items"].size(), 1u);
  EXPECT_EQ(d["items"][0]["key"], "cam");  // 2 domains < 4
  Json cam = d["items"][0];
  cam.erase("org");
  for (const auto& f : *day)
    if (f.key == "cam") {
      EXPECT_EQ(cam, dnsabuse::FiguresToJson(f));
    }
  Json d2 = Get("/api/v1/dns/days/2024-03-01/figures?scope=tld&sort=domains&order=asc&offset=1",
                cert_viewer_);
  EXPECT_EQ(d2["items"][0]["key"], "arc");
  // per10k descending by default.
  Json d3 = Get("/api/v1/dns/days/2024-03-02/figures?scope=tld", cert_viewer_);
  EXPECT_EQ(d3["items"][0]["key"], "cam");  // 1 of 2 = 5000 > arc 1 of 4 = 2500
  EXPECT_EQ(d3["items"][0]["per10k"], 5000);
  EXPECT_EQ(d3["items"][1]["per10k"], 2500);

  // The report in each format, by ?format= and by Accept.
  auto csv = Call("GET", "/api/v1/dns/months/2024-03/report?format=csv", cert_viewer_);
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body, dnsabuse::MonthToCsv(*month));
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  auto html =
      Call("GET", "/api/v1/dns/months/2024-03/report", cert_viewer_, "", {{"Accept", "text/html"}});
  EXPECT_EQ(html.body, dnsabuse::MonthToHtml(*month));
  EXPECT_EQ(Get("/api/v1/dns/months/2024-03/report", cert_viewer_), cli);

  // Trends: one point per day.
  Json t = Get("/api/v1/dns/trends?scope=tld&key=arc&key=cam&from=2024-03-01&to=2024-03-31",
               cert_viewer_);
  ASSERT_EQ(t["series"].size(), 2u);
  ASSERT_EQ(t["series"][0]["points"].size(), 2u);
  EXPECT_EQ(t["series"][0]["points"][0]["per10k"], 5000);
  EXPECT_EQ(t["series"][0]["points"][1]["per10k"], 2500);
  Json days = Get("/api/v1/dns/days", cert_viewer_);
  ASSERT_EQ(days["items"].size(), 2u);
  EXPECT_EQ(days["items"][0]["day"], "2024-03-02");

  // Bad input: clear errors naming the field.
  auto field = [&](const std::string& path, int status) {
    auto r = Call("GET", path, cert_viewer_);
    EXPECT_EQ(r.status, status) << path << " " << r.body;
    return Json::parse(r.body, nullptr, false).value("field", "");
  };
  EXPECT_EQ(field("/api/v1/dns/trends?scope=tld&key=nope&from=2024-03-01&to=2024-03-31", 404),
            "key");
  EXPECT_EQ(field("/api/v1/dns/trends?scope=tld&key=arc&from=2024-3-1&to=2024-03-31", 422), "from");
  EXPECT_EQ(field("/api/v1/dns/trends?scope=tld&key=arc&from=2024-03-31&to=2024-03-01", 422), "to");
  EXPECT_EQ(field("/api/v1/dns/trends?scope=tld&key=arc&from=2023-01-01&to=2024-03-01", 422), "to");
  EXPECT_EQ(field("/api/v1/dns/months/2024-3/figures", 422), "month");
  EXPECT_EQ(field("/api/v1/dns/months/2024-13/report", 422), "month");
  EXPECT_EQ(field("/api/v1/dns/months/2024-04/figures", 404), "month");
  EXPECT_EQ(field("/api/v1/dns/days/2024-02-30/figures", 422), "day");
  EXPECT_EQ(field("/api/v1/dns/days/2024-03-05/figures", 404), "date");
  EXPECT_EQ(field("/api/v1/dns/days/2024-03-01/figures?sort=evil", 422), "sort");
  EXPECT_EQ(field("/api/v1/dns/days/2024-03-01/figures?scope=country", 422), "scope");
  EXPECT_EQ(field("/api/v1/dns/months/2024-03/report?format=pdf", 422), "format");
  EXPECT_EQ(field("/api/v1/dns/days/2024-03-01/figures?limit=0", 422), "limit");
}

TEST_P(DnsApiTest, ReportRoutedToTheDemoRegistrarFollowsItsAnswers) {
  SetUpData();
  if (HasFatalFailure()) return;
  // Filed from the observatory's open listing of evil.arc (IANA id 1001).
  Json filed = Post("/api/v1/dns/reports", officer_,
                    {{"from_observatory", true}, {"domain", "evil.arc"}}, 201);
  EXPECT_EQ(filed["status"], "filed");
  EXPECT_EQ(filed["registrar"], 1001);
  EXPECT_EQ(filed["first_day"], "2024-03-01");
  const std::string id = filed["id"];
  // A viewer may not route; another organisation does not see it.
  Post("/api/v1/dns/reports/" + id + "/route", cert_viewer_, Json::object(), 403);
  Get("/api/v1/dns/reports/" + id, other_, 404);
  Post("/api/v1/dns/reports/" + id + "/route", other_, Json::object(), 404);

  // Routed through the directory: the registrar with IANA id 1001.
  Json sent = Post("/api/v1/dns/reports/" + id + "/route", officer_, Json::object());
  EXPECT_EQ(sent["status"], "sent");
  EXPECT_EQ(sent["recipient_org"], registrar_.id);
  EXPECT_EQ(sent["routed_to"], "registrar");
  EXPECT_FALSE(sent["ack_due"].is_null());
  EXPECT_FALSE(sent["response_due"].is_null());
  const std::string message = sent["message_id"];
  Post("/api/v1/dns/reports/" + id + "/route", officer_, Json::object(), 409);

  // The registrar sees the report addressed to it, with its deadlines.
  Json inbox = Get("/api/v1/dns/reports?box=received", registrar_officer_);
  ASSERT_EQ(inbox["items"].size(), 1u);
  EXPECT_EQ(inbox["items"][0]["id"], id);
  EXPECT_EQ(inbox["items"][0]["ack_due"], sent["ack_due"]);
  EXPECT_EQ(Get("/api/v1/dns/reports", other_)["items"].size(), 0u);
  EXPECT_EQ(Get("/api/v1/dns/reports", operator_)["items"].size(), 1u);

  // It acknowledges through the comms API...
  clock_.Advance(3'600'000);
  Post("/api/v1/messages/" + message + "/ack", registrar_officer_, Json::object());
  Json acked = Get("/api/v1/dns/reports/" + id, officer_);
  EXPECT_EQ(acked["status"], "acknowledged");
  EXPECT_EQ(acked["workflow_state"], "acknowledged");

  // ...and answers two days after the first listing: suspended.
  clock_.Set(k20240301 + 2 * kDay + 9 * 3'600'000);
  Post("/api/v1/messages/" + message + "/respond", registrar_officer_,
       {{"language", "en"},
        {"fields",
         {{"urgency", "priority"},
          {"summary", "Suspended: evil.arc is on clientHold"},
          {"description", "Suspended after review."}}}},
       201);
  Json done = Get("/api/v1/dns/reports/" + id, officer_);
  EXPECT_EQ(done["status"], "mitigated");
  EXPECT_EQ(done["action"], "suspended");
  EXPECT_EQ(done["reason"], "evil.arc is on clientHold");
  EXPECT_EQ(done["responded_day"], "2024-03-03");
  EXPECT_EQ(done["ttm_days"], 2);
  EXPECT_EQ(done["answer_after_ms"], 2 * kDay + 9 * 3'600'000 - 10 * 3'600'000);
  bool responded = false;
  for (const auto& e : done["timeline"]) responded = responded || e["action"] == "responded";
  EXPECT_TRUE(responded) << done["timeline"].dump();
  // The listing episode is closed by the confirmation: the month counts it
  // beside bad.arc, delisted on 2024-03-02 (1 day): median 1.5 days.
  dnsabuse::Observatory obs(node_->db(), clock_);
  auto month = obs.Month("2024-03");
  ASSERT_TRUE(month);
  bool seen = false;
  for (const auto& r : month->rows)
    if (r.scope == "registrar" && r.key == "1001") {
      seen = true;
      EXPECT_EQ(r.mitigated, 2);
      EXPECT_EQ(r.median_ttm, 1.5);
    }
  EXPECT_TRUE(seen);
  auto episode =
      node_->db().Query("SELECT mitigation, ttm_days FROM dns_listings WHERE domain = 'evil.arc'");
  ASSERT_TRUE(episode);
  ASSERT_EQ(episode->size(), 1u);
  EXPECT_EQ((*episode)[0].Text(0), "confirmed");
  EXPECT_EQ((*episode)[0].Int(1), 2);

  // A report filed by hand, declined with a reason.
  Json manual = Post("/api/v1/dns/reports", officer_,
                     {{"domain", "Bad.ARC."},
                      {"categories", {"malware"}},
                      {"registrar_iana_id", 1001},
                      {"evidence",
                       {{"urls", {"http://bad.arc/payload.exe"}},
                        {"first_seen", "2024-03-01"},
                        {"screenshot_sha256", std::string(64, 'a')}}}},
                     201);
  EXPECT_EQ(manual["domain"], "bad.arc");
  EXPECT_EQ(manual["source"], "manual");
  const std::string mid = manual["id"];
  Json msent = Post("/api/v1/dns/reports/" + mid + "/route", officer_, {{"urgency", "urgent"}});
  EXPECT_EQ(msent["recipient_org"], registrar_.id);
  Post("/api/v1/messages/" + msent["message_id"].get<std::string>() + "/respond",
       registrar_officer_,
       {{"language", "en"},
        {"fields", {{"urgency", "urgent"}, {"summary", "Declined: the file is not malware"}}}},
       201);
  Json declined = Get("/api/v1/dns/reports/" + mid, registrar_officer_);
  EXPECT_EQ(declined["status"], "declined");
  EXPECT_EQ(declined["reason"], "the file is not malware");
  EXPECT_TRUE(declined["ttm_days"].is_null());

  // A response that states no outcome leaves the report open, shown.
  Json third =
      Post("/api/v1/dns/reports", officer_,
           {{"domain", "shop.cam"},
            {"categories", {"phishing"}},
            {"registrar_iana_id", 1001},
            {"evidence", {{"feed_entries", {"phishing:cert"}}, {"first_seen", "2024-03-02"}}}},
           201);
  Json tsent = Post("/api/v1/dns/reports/" + third["id"].get<std::string>() + "/route", officer_,
                    Json::object());
  Post("/api/v1/messages/" + tsent["message_id"].get<std::string>() + "/respond",
       registrar_officer_,
       {{"language", "en"}, {"fields", {{"urgency", "priority"}, {"summary", "Looking into it"}}}},
       201);
  Json open = Get("/api/v1/dns/reports/" + third["id"].get<std::string>(), officer_);
  // A response acknowledges too: open, acknowledged, the answer shown.
  EXPECT_EQ(open["status"], "acknowledged");
  EXPECT_EQ(open["workflow_state"], "responded");
  EXPECT_FALSE(open["answered_at"].is_null());
}

// The registrar's answer as structured fields (comms "response" template
// version 2): an unknown outcome or a decline without a reason is refused
// with 422 and nothing is written (no message, the report still open); a
// "deleted" outcome with the action taken mitigates the observatory report
// with its time to mitigate; a decline states its reason in its own field; an
// answer of template version 1 is still read from its summary line.
TEST_P(DnsApiTest, StructuredOutcomeOfTheRegistrarsAnswer) {
  SetUpData();
  if (HasFatalFailure()) return;
  Json filed = Post("/api/v1/dns/reports", officer_,
                    {{"from_observatory", true}, {"domain", "evil.arc"}}, 201);
  const std::string id = filed["id"];
  Json sent = Post("/api/v1/dns/reports/" + id + "/route", officer_, Json::object());
  ASSERT_EQ(sent["status"], "sent");
  const std::string message = sent["message_id"];

  auto count = [&](const std::string& sql) {
    auto rows = node_->db().Query(sql);
    EXPECT_TRUE(rows) << rows.error().ToString();
    return rows && !rows->empty() ? (*rows)[0].Int(0) : -1;
  };
  const std::int64_t messages = count("SELECT COUNT(*) FROM messages");
  const std::int64_t sealed = count("SELECT COUNT(*) FROM journal WHERE type = 'comms.message'");
  auto refused = [&](const Json& fields, int version = 0) {
    Json body = {{"language", "en"}, {"fields", fields}};
    if (version) body["version"] = version;
    auto r = Call("POST", "/api/v1/messages/" + message + "/respond", registrar_officer_,
                  body.dump(), {{"Content-Type", "application/json"}});
    Json j = Json::parse(r.body, nullptr, false);
    return std::to_string(r.status) + " " + (j.is_object() ? j.value("field", "") : r.body);
  };
  const Json base = {{"urgency", "priority"}, {"summary", "Our answer"}};
  Json bad = base;
  bad["outcome"] = "gone";
  EXPECT_EQ(refused(bad), "422 fields.outcome");
  bad["outcome"] = "Suspended";
  EXPECT_EQ(refused(bad), "422 fields.outcome");
  bad["outcome"] = 3;
  EXPECT_EQ(refused(bad), "422 fields.outcome");
  bad["outcome"] = "declined";  // a decline needs its reason
  EXPECT_EQ(refused(bad), "422 fields.reason");
  bad["reason"] = "";
  EXPECT_EQ(refused(bad), "422 fields.reason");
  Json v1 = base;  // version 1 has no outcome field
  v1["outcome"] = "suspended";
  EXPECT_EQ(refused(v1, 1), "422 fields.outcome");
  Json longer = base;
  longer["outcome"] = "suspended";
  longer["action_taken"] = std::string(5001, 'x');
  EXPECT_EQ(refused(longer), "422 fields.action_taken");
  // Nothing written: no message, no sealed envelope, the report still open.
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages"), messages);
  EXPECT_EQ(count("SELECT COUNT(*) FROM journal WHERE type = 'comms.message'"), sealed);
  Json still = Get("/api/v1/dns/reports/" + id, officer_);
  EXPECT_EQ(still["status"], "sent");
  EXPECT_TRUE(still["answered_at"].is_null());

  // Deleted, two days after the first listing; the summary says nothing the
  // old reading would understand: the field decides.
  clock_.Set(k20240301 + 2 * kDay + 9 * 3'600'000);
  Json good = {{"urgency", "priority"},
               {"summary", "Our answer"},
               {"outcome", "deleted"},
               {"action_taken", "Registration deleted; the registrant's account is closed."},
               {"description", "Fraudulent registration."}};
  Post("/api/v1/messages/" + message + "/respond", registrar_officer_,
       {{"language", "en"}, {"fields", good}}, 201);
  Json done = Get("/api/v1/dns/reports/" + id, officer_);
  EXPECT_EQ(done["status"], "mitigated");
  EXPECT_EQ(done["action"], "deleted");
  EXPECT_EQ(done["action_taken"], "Registration deleted; the registrant's account is closed.");
  EXPECT_EQ(done["outcome_source"], "field");
  EXPECT_TRUE(done["reason"].is_null());
  EXPECT_EQ(done["responded_day"], "2024-03-03");
  EXPECT_EQ(done["ttm_days"], 2);
  auto episode = node_->db().Query(
      "SELECT mitigation, ttm_days FROM dns_listings WHERE domain = 'evil.arc' AND mitigated_day "
      "= '2024-03-03'");
  ASSERT_TRUE(episode);
  ASSERT_EQ(episode->size(), 1u);
  EXPECT_EQ((*episode)[0].Text(0), "confirmed");
  EXPECT_EQ((*episode)[0].Int(1), 2);

  // A report filed by hand, declined in the outcome field with its reason.
  Json manual = Post("/api/v1/dns/reports", officer_,
                     {{"domain", "bad.arc"},
                      {"categories", {"malware"}},
                      {"registrar_iana_id", 1001},
                      {"evidence", {{"urls", {"http://bad.arc/x"}}, {"first_seen", "2024-03-01"}}}},
                     201);
  Json msent = Post("/api/v1/dns/reports/" + manual["id"].get<std::string>() + "/route", officer_,
                    Json::object());
  Post("/api/v1/messages/" + msent["message_id"].get<std::string>() + "/respond",
       registrar_officer_,
       {{"language", "en"},
        {"fields",
         {{"urgency", "priority"},
          {"summary", "Suspended? No."},
          {"outcome", "declined"},
          {"reason", "The file is a signed installer, not malware."}}}},
       201);
  Json declined = Get("/api/v1/dns/reports/" + manual["id"].get<std::string>(), officer_);
  EXPECT_EQ(declined["status"], "declined");
  EXPECT_EQ(declined["reason"], "The file is a signed installer, not malware.");
  EXPECT_EQ(declined["outcome_source"], "field");
  EXPECT_TRUE(declined["action"].is_null());
  EXPECT_TRUE(declined["ttm_days"].is_null());

  // An answer of template version 1 is read from its summary line.
  Json third =
      Post("/api/v1/dns/reports", officer_,
           {{"domain", "shop.cam"},
            {"categories", {"phishing"}},
            {"registrar_iana_id", 1001},
            {"evidence", {{"feed_entries", {"phishing:cert"}}, {"first_seen", "2024-03-01"}}}},
           201);
  Json tsent = Post("/api/v1/dns/reports/" + third["id"].get<std::string>() + "/route", officer_,
                    Json::object());
  Post("/api/v1/messages/" + tsent["message_id"].get<std::string>() + "/respond",
       registrar_officer_,
       {{"language", "en"},
        {"version", 1},
        {"fields", {{"urgency", "priority"}, {"summary", "Deleted: the domain is gone"}}}},
       201);
  Json old = Get("/api/v1/dns/reports/" + third["id"].get<std::string>(), officer_);
  EXPECT_EQ(old["status"], "mitigated");
  EXPECT_EQ(old["action"], "deleted");
  EXPECT_EQ(old["reason"], "the domain is gone");
  EXPECT_EQ(old["outcome_source"], "summary");
  EXPECT_EQ(old["ttm_days"], 2);
}

TEST_P(DnsApiTest, BadReportsAreRefusedAndNothingIsStored) {
  SetUpData();
  if (HasFatalFailure()) return;
  auto status_field = [&](const Json& body) {
    auto r = Call("POST", "/api/v1/dns/reports", officer_, body.dump(),
                  {{"Content-Type", "application/json"}});
    Json j = Json::parse(r.body, nullptr, false);
    return std::to_string(r.status) + " " + j.value("field", "");
  };
  const Json ev = {{"urls", {"http://x.arc/"}}, {"first_seen", "2024-03-01"}};
  EXPECT_EQ(status_field({{"domain", "x.arc"}, {"categories", {"scam"}}, {"evidence", ev}}),
            "422 categories[0]");
  EXPECT_EQ(status_field({{"domain", "192.0.2.1"}, {"categories", {"spam"}}, {"evidence", ev}}),
            "422 domain");
  EXPECT_EQ(status_field({{"domain", "arc"}, {"categories", {"spam"}}, {"evidence", ev}}),
            "422 domain");
  EXPECT_EQ(status_field({{"domain", "x.arc"},
                          {"categories", {"spam"}},
                          {"evidence", {{"first_seen", "2024-03-01"}}}}),
            "422 evidence");
  EXPECT_EQ(status_field({{"domain", "x.arc"},
                          {"categories", {"spam"}},
                          {"evidence", {{"urls", {"x"}}, {"first_seen", "2099-01-01"}}}}),
            "422 evidence.first_seen");
  EXPECT_EQ(status_field({{"domain", "x.arc"},
                          {"categories", {"spam"}},
                          {"evidence",
                           {{"urls", {"http://x.arc/"}},
                            {"first_seen", "2024-03-01"},
                            {"screenshot_sha256", "ABC"}}}}),
            "422 evidence.screenshot_sha256");
  EXPECT_EQ(
      status_field({{"domain", "x.arc"}, {"categories", {"spam"}}, {"evidence", ev}, {"extra", 1}}),
      "422 extra");
  EXPECT_EQ(status_field({{"from_observatory", true}, {"domain", "good.arc"}}), "404 domain");
  // Oversized body.
  std::string big = "{\"domain\":\"" + std::string(2 << 20, 'a') + "\"}";
  auto r =
      Call("POST", "/api/v1/dns/reports", officer_, big, {{"Content-Type", "application/json"}});
  EXPECT_TRUE(r.status == 413) << r.status << " " << r.body;
  auto n = node_->db().Query("SELECT COUNT(*) FROM dns_reports");
  ASSERT_TRUE(n);
  EXPECT_EQ((*n)[0].Int(0), 0);
  // Unknown report ids and bad route input.
  Get("/api/v1/dns/reports/0190a000-0000-7000-8000-000000000000", officer_, 404);
  Get("/api/v1/dns/reports/not-a-uuid", officer_, 404);
  Json f = Post("/api/v1/dns/reports", officer_,
                {{"domain", "x.arc"}, {"categories", {"spam"}}, {"evidence", ev}}, 201);
  auto bad = Call("POST", "/api/v1/dns/reports/" + f["id"].get<std::string>() + "/route", officer_,
                  Json{{"urgency", "now"}}.dump(), {{"Content-Type", "application/json"}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  // x.arc has no registrar id and no registry was named: nobody to send to.
  auto nobody = Call("POST", "/api/v1/dns/reports/" + f["id"].get<std::string>() + "/route",
                     officer_, "", {});
  EXPECT_EQ(nobody.status, 404) << nobody.body;
  EXPECT_EQ(Get("/api/v1/dns/reports/" + f["id"].get<std::string>(), officer_)["status"], "filed");
}

TEST_P(DnsApiTest, RegistrarsCarryTheirIanaId) {
  SetUpData();
  if (HasFatalFailure()) return;
  Json found = Get("/api/v1/orgs?iana_id=1001", cert_viewer_);
  ASSERT_EQ(found["items"].size(), 1u);
  EXPECT_EQ(found["items"][0]["id"], registrar_.id);
  EXPECT_EQ(found["items"][0]["iana_id"], 1001);
  EXPECT_EQ(Get("/api/v1/orgs?iana_id=1002", cert_viewer_)["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/orgs?iana_id=abc", cert_viewer_).status, 422);
  auto post = [&](const Json& body) {
    auto r = Call("POST", "/api/v1/orgs", operator_, body.dump(),
                  {{"Content-Type", "application/json"}});
    return std::to_string(r.status) + " " + Json::parse(r.body, nullptr, false).value("field", "");
  };
  Json csirt = OrgInput("A CSIRT", "FR");
  csirt["iana_id"] = 77;
  EXPECT_EQ(post(csirt), "422 iana_id");
  Json reg = OrgInput("Another registrar", "FR", "registrar");
  reg["iana_id"] = 1001;  // registrar-one's
  EXPECT_EQ(post(reg), "409 iana_id");
  reg["iana_id"] = 0;
  EXPECT_EQ(post(reg), "422 iana_id");
  reg["iana_id"] = "1003";
  EXPECT_EQ(post(reg), "422 iana_id");
  reg["iana_id"] = 1003;
  EXPECT_EQ(post(reg), "201 ");
  // An update replaces the editable fields: leaving the id out removes it,
  // as for the website.
  Json again = Get("/api/v1/orgs?iana_id=1003", cert_viewer_);
  ASSERT_EQ(again["items"].size(), 1u);
  reg.erase("iana_id");
  auto put = Call("PUT", "/api/v1/orgs/" + again["items"][0]["id"].get<std::string>(), operator_,
                  reg.dump(), {{"Content-Type", "application/json"}});
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Get("/api/v1/orgs?iana_id=1003", cert_viewer_)["items"].size(), 0u);
}

ENTENTE_INSTANTIATE_BACKENDS(DnsApiTest);

}  // namespace
}  // namespace entente::testing
