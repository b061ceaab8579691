// The observatory's counting rules on small hand-made inputs with known
// answers, stored and reported on SQLite and PostgreSQL.
#include "dnsabuse/observatory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "comms/templates.h"
#include "store/test_databases.h"

namespace entente::dnsabuse {
namespace {

namespace fs = std::filesystem;

class ObservatoryTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(store::Migrate(db(), store::BuiltinMigrations(backend())));
    std::string t = (fs::temp_directory_path() / "entente-obs-XXXXXX").string();
    ASSERT_NE(mkdtemp(t.data()), nullptr);
    dir_ = t;
    Write("registrars.csv",
          "iana_id,name,abuse_email\n1001,Registrar One,abuse@one.example\n1002,Registrar "
          "Two,abuse@two.example\n");
    Write("registrations.csv",
          "domain,registrar_id,created\n"
          "a.com,1001,2024-02-20\n"
          "b.com,1001,2020-01-01\n"
          "c.com,1002,2024-02-25\n"
          "x.net,1002,2019-01-01\n"
          "z.com,9999,2024-01-01\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    BackendTest::TearDown();
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  std::string ComZone(const std::string& name, bool with_b) {
    std::string z =
        "$ORIGIN com.\n$TTL 86400\n"
        "@ SOA a.gtld-servers.net. nstld.verisign-grs.com. ( 1 1800 900 604800 86400 )\n"
        "@ NS a.gtld-servers.net.\n"
        "a NS ns1.a\n  NS ns2.a\nns1.a A 192.0.2.1\nns2.a A 192.0.2.2\n"
        "a DS 12345 8 2 ABCDEF\n";
    if (with_b) z += "b NS ns.example.net.\n";
    for (char c = 'c'; c <= 'j'; ++c) z += std::string(1, c) + " NS ns.example.net.\n";
    z += "a RRSIG DS 8 2 86400 20240101000000 20231201000000 1 com. AAAA\n";
    return Write(name, z);
  }
  IngestRequest Request(const std::string& day, const std::vector<std::string>& zones,
                        const std::vector<std::string>& feeds) {
    IngestRequest r;
    r.day = day;
    r.zones = zones;
    r.registrations = (dir_ / "registrations.csv").string();
    r.registrars = (dir_ / "registrars.csv").string();
    for (const auto& f : feeds) {
      auto spec = ParseFeedSpec(f);
      EXPECT_TRUE(spec) << spec.error().message;
      r.feeds.push_back(*spec);
    }
    return r;
  }
  static std::map<std::string, ScopeFigures> ByKey(const std::vector<ScopeFigures>& v) {
    std::map<std::string, ScopeFigures> m;
    for (const auto& f : v) m[f.scope + ":" + f.key] = f;
    return m;
  }
  fs::path dir_;
};

TEST_P(ObservatoryTest, CountingRulesOverThreeDays) {
  const std::string net = Write(
      "net.zone", "$ORIGIN net.\n$TTL 3600\n@ SOA a b 1 2 3 4 5\n@ NS a.\nx NS ns.x\ny NS ns.y\n");
  const std::string com1 = ComZone("com1.zone", true);
  const std::string com2 = ComZone("com2.zone", false);
  const std::string feed_a1 =
      Write("a1.txt",
            "http://login.a.com/x\nhttps://b.com:443/\nhttp://a.com/other\n"
            "http://192.0.2.1/\nnot a url line??\nhttp://notinzone.com/\nhttp://foo.org/\n");
  const std::string feed_b1 = Write("b1.txt", "a.com\nx.net\n");
  ManualClock clock(1'709'251'200'000);
  Observatory obs(db(), clock);

  auto d1 =
      obs.Ingest(Request("2024-03-01", {com1, net},
                         {"phishing:feeda:urls:" + feed_a1, "malware:feedb:domains:" + feed_b1}));
  ASSERT_TRUE(d1) << d1.error().message;
  EXPECT_EQ(d1->totals["domains"], 12);
  EXPECT_EQ(d1->totals["abused"], 3);
  EXPECT_EQ(d1->totals["not_in_zone"], 1);
  EXPECT_EQ(d1->totals["out_of_scope"], 1);
  EXPECT_EQ(d1->totals["ip_only"], 1);
  EXPECT_EQ(d1->totals["invalid_feed_lines"], 1);
  EXPECT_EQ(d1->inputs["feeds"][0]["issues"][0]["line"], 5);
  EXPECT_EQ(d1->inputs["feeds"][0]["duplicates"], 1);
  EXPECT_EQ(d1->inputs["zones"][0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(d1->inputs["registrations"]["unknown_registrar"], 1);

  auto f1 = ByKey(*obs.Day("2024-03-01"));
  EXPECT_EQ(f1.size(), 1u + 2u + 3u);
  EXPECT_EQ(f1["all:"].domains, 12);
  EXPECT_EQ(f1["all:"].abused, 3);
  EXPECT_DOUBLE_EQ(f1["all:"].per10k, 2500);
  EXPECT_DOUBLE_EQ(f1["all:"].share, 1);
  EXPECT_EQ(f1["all:"].by_feed["phishing:feeda"], 2);
  EXPECT_EQ(f1["all:"].by_feed["malware:feedb"], 2);
  EXPECT_EQ(f1["tld:com"].domains, 10);
  EXPECT_EQ(f1["tld:com"].abused, 2);
  EXPECT_EQ(f1["tld:com"].by_category[0], 2);  // phishing
  EXPECT_EQ(f1["tld:com"].by_category[1], 1);  // malware
  EXPECT_DOUBLE_EQ(f1["tld:com"].per10k, 2000);
  EXPECT_DOUBLE_EQ(f1["tld:com"].share, 0.6667);
  EXPECT_DOUBLE_EQ(f1["tld:net"].per10k, 5000);
  EXPECT_DOUBLE_EQ(f1["tld:net"].share, 0.3333);
  EXPECT_EQ(f1["registrar:1001"].label, "Registrar One");
  EXPECT_EQ(f1["registrar:1001"].domains, 2);
  EXPECT_EQ(f1["registrar:1001"].abused, 2);
  EXPECT_EQ(f1["registrar:1001"].new_abused, 1);  // a.com, 10 days old
  EXPECT_EQ(f1["registrar:1001"].known_age, 2);
  EXPECT_DOUBLE_EQ(*f1["registrar:1001"].new_share, 0.5);
  EXPECT_EQ(f1["registrar:1002"].domains, 2);
  EXPECT_DOUBLE_EQ(*f1["registrar:1002"].new_share, 0);
  EXPECT_EQ(f1["registrar:0"].domains, 8);
  EXPECT_EQ(f1["registrar:0"].abused, 0);
  EXPECT_FALSE(f1["registrar:0"].new_share);
  EXPECT_EQ(f1["all:"].mitigated, 0);

  // Day 2: b.com left the zone, x.net was delisted, c.com is new.
  const std::string feed_a2 = Write("a2.txt", "http://a.com/login\n");
  const std::string feed_b2 = Write("b2.txt", "c.com\n");
  auto d2 =
      obs.Ingest(Request("2024-03-03", {com2, net},
                         {"phishing:feeda:urls:" + feed_a2, "malware:feedb:domains:" + feed_b2}));
  ASSERT_TRUE(d2) << d2.error().message;
  auto f2 = ByKey(*obs.Day("2024-03-03"));
  EXPECT_EQ(f2["all:"].domains, 11);
  EXPECT_EQ(f2["all:"].abused, 2);
  EXPECT_DOUBLE_EQ(f2["all:"].per10k, 1818.1818);
  EXPECT_EQ(f2["all:"].mitigated, 2);
  EXPECT_DOUBLE_EQ(*f2["all:"].median_ttm, 2);
  EXPECT_EQ(f2["registrar:1001"].mitigated, 1);
  EXPECT_DOUBLE_EQ(*f2["registrar:1001"].new_share, 1);  // a.com: age at FIRST listing
  EXPECT_EQ(f2["registrar:1002"].new_abused, 1);         // c.com, 7 days old
  EXPECT_EQ(f2["tld:net"].abused, 0);
  EXPECT_EQ(f2["tld:net"].mitigated, 1);
  std::map<std::string, std::string> how;
  for (const auto& m : d2->mitigations) how[m.domain] = m.how + "/" + std::to_string(m.ttm_days);
  EXPECT_EQ(
      how, (std::map<std::string, std::string>{{"b.com", "left_zone/2"}, {"x.net", "delisted/2"}}));

  // Day 3: a.com delisted after 3 days.
  const std::string feed_a3 = Write("a3.txt", "# nothing today\n");
  auto d3 =
      obs.Ingest(Request("2024-03-04", {com2, net},
                         {"phishing:feeda:urls:" + feed_a3, "malware:feedb:domains:" + feed_b2}));
  ASSERT_TRUE(d3) << d3.error().message;
  auto open = *obs.OpenListings();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].domain, "c.com");

  auto month = obs.Month("2024-03");
  ASSERT_TRUE(month) << month.error().message;
  EXPECT_EQ(month->days, (std::vector<std::string>{"2024-03-01", "2024-03-03", "2024-03-04"}));
  std::map<std::string, MonthRow> rows;
  for (const auto& r : month->rows) rows[r.scope + ":" + r.key] = r;
  EXPECT_EQ(month->rows[0].scope, "all");
  EXPECT_EQ(rows["all:"].days, 3);
  EXPECT_DOUBLE_EQ(rows["all:"].per10k, 1818.1818);  // median of 2500, 1818.1818, 909.0909
  EXPECT_DOUBLE_EQ(rows["all:"].abused, 2);
  EXPECT_DOUBLE_EQ(rows["all:"].domains, 11);
  EXPECT_EQ(rows["all:"].mitigated, 3);
  EXPECT_DOUBLE_EQ(*rows["all:"].median_ttm, 2);
  EXPECT_EQ(rows["tld:com"].mitigated, 2);
  EXPECT_DOUBLE_EQ(*rows["tld:com"].median_ttm, 2.5);
  EXPECT_EQ(rows["registrar:1001"].mitigated, 2);

  // The three formats carry the same figures.
  const auto json = MonthToJson(*month);
  const std::string csv = MonthToCsv(*month);
  const std::string html = MonthToHtml(*month);
  EXPECT_EQ(json["rows"][0]["per10k"].dump(), "1818.1818");
  EXPECT_NE(csv.find("all,,all,3,11,2,1818.1818,"), std::string::npos) << csv;
  EXPECT_NE(html.find("<td class=\"n\">1818.1818</td>"), std::string::npos);
  EXPECT_NE(html.find("Registrar One"), std::string::npos);
  EXPECT_EQ(json["rules"]["new_days"], 30);
  EXPECT_EQ(json["inputs"].size(), 3u);
}

TEST_P(ObservatoryTest, OrderDuplicatesAndAtomicity) {
  const std::string com = ComZone("com.zone", true);
  const std::string feed = Write("f.txt", "a.com\n");
  const std::string same = Write("same.txt", "a.com\n");
  Observatory obs(db());
  // Identical content under two names is refused (it would double count).
  auto dup = obs.Ingest(
      Request("2024-03-01", {com}, {"phishing:one:domains:" + feed, "spam:two:domains:" + same}));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("identical content"), std::string::npos);
  auto twice = obs.Ingest(
      Request("2024-03-01", {com}, {"phishing:one:domains:" + feed, "phishing:one:urls:" + feed}));
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("given twice"), std::string::npos);
  // A missing file fails the day and writes nothing.
  auto missing = obs.Ingest(
      Request("2024-03-01", {com}, {"phishing:one:domains:" + (dir_ / "nope.txt").string()}));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.txt"), std::string::npos);
  EXPECT_TRUE(db().Query("SELECT day FROM dns_snapshots")->empty());

  ASSERT_TRUE(obs.Ingest(Request("2024-03-02", {com}, {"phishing:one:domains:" + feed})));
  auto again = obs.Ingest(Request("2024-03-02", {com}, {"phishing:one:domains:" + feed}));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  auto earlier = obs.Ingest(Request("2024-03-01", {com}, {"phishing:one:domains:" + feed}));
  ASSERT_FALSE(earlier);
  EXPECT_EQ(earlier.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(obs.Ingest(Request("2024-02-30", {com}, {"phishing:one:domains:" + feed})));
  EXPECT_EQ(obs.Month("2024-04").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(obs.Month("2024-4").error().code, ErrorCode::kInvalidArgument);
}

TEST_P(ObservatoryTest, ReportsRoutedAndMitigationConfirmed) {
  const std::string com = ComZone("com.zone", true);
  const std::string feed = Write("f.txt", "http://login.a.com/x\nhttp://b.com/\nhttp://c.com/\n");
  ManualClock clock(1'709'251'200'000);
  Observatory obs(db(), clock);
  ASSERT_TRUE(obs.Ingest(Request("2024-03-01", {com}, {"phishing:feeda:urls:" + feed})));
  auto report = obs.ReportFor("a.com");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->first_day, "2024-03-01");
  EXPECT_EQ(report->registrar, 1001);
  EXPECT_EQ(report->categories, (std::vector<std::string>{"phishing"}));
  EXPECT_EQ(report->evidence, (std::vector<std::string>{"http://login.a.com/x"}));
  EXPECT_EQ(obs.ReportFor("zzz.com").error().code, ErrorCode::kNotFound);

  Routing routing;
  routing.registrar_orgs[1001] = "org-registrar-one";
  routing.registry_orgs["com"] = "org-registry-com";
  auto to = ChooseRecipient(*report, routing, false);
  ASSERT_TRUE(to);
  EXPECT_EQ(to->org_id, "org-registrar-one");
  EXPECT_EQ(ChooseRecipient(*report, routing, true)->to, RoutedTo::kRegistry);  // escalated
  AbuseReport unknown = *report;
  unknown.registrar = 0;
  EXPECT_EQ(ChooseRecipient(unknown, routing, false)->org_id, "org-registry-com");
  unknown.tld = "net";
  EXPECT_FALSE(ChooseRecipient(unknown, routing, false));

  // The message is valid input for the communications module's template.
  report->screenshot_sha256 = std::string(64, 'a');
  auto msg = ReportMessage(*report, to->org_id);
  ASSERT_TRUE(msg) << msg.error().message;
  const auto& templates = comms::TemplateSet::Embedded();
  const auto* tpl = templates.Latest((*msg)["kind"].get<std::string>());
  ASSERT_NE(tpl, nullptr);
  auto valid =
      templates.Validate(*tpl, (*msg)["fields"], {[](const std::string&) { return false; }});
  ASSERT_TRUE(valid) << valid.error().ToString();
  EXPECT_EQ((*msg)["recipients"][0], "org-registrar-one");
  EXPECT_NE((*msg)["fields"]["description"].get<std::string>().find("http://login.a.com/x"),
            std::string::npos);
  EXPECT_NE((*msg)["fields"]["description"].get<std::string>().find(std::string(64, 'a')),
            std::string::npos);
  for (const char* c : {"phishing", "malware", "botnet_cc", "spam"}) {
    AbuseReport r = *report;
    r.categories = {c};
    auto m = ReportMessage(r, "org");
    ASSERT_TRUE(m);
    EXPECT_TRUE(templates.Validate(*tpl, (*m)["fields"], {[](const std::string&) {
      return false;
    }})) << c;
  }
  report->screenshot_sha256 = "xyz";
  EXPECT_FALSE(ReportMessage(*report, "org"));

  // Registrar One confirms a suspension two days later: the episode ends
  // with time to mitigation 2; b.com's registrar declines (with a reason).
  ASSERT_TRUE(obs.RecordSent(*obs.ReportFor("a.com"), "msg-1", *to));
  auto b = obs.ReportFor("b.com");
  ASSERT_TRUE(b);
  ASSERT_TRUE(obs.RecordSent(*b, "msg-2", {"org-registrar-one", RoutedTo::kRegistrar}));
  EXPECT_EQ(obs.RecordResponse("msg-2", "2024-03-02", Response::kDeclined, "").error().field,
            "reason");
  ASSERT_TRUE(obs.RecordResponse("msg-2", "2024-03-02", Response::kDeclined, "not our customer"));
  ASSERT_TRUE(obs.RecordResponse("msg-1", "2024-03-03", Response::kSuspended, ""));
  EXPECT_EQ(obs.RecordResponse("msg-1", "2024-03-03", Response::kSuspended, "").error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(obs.RecordResponse("msg-9", "2024-03-03", Response::kSuspended, "").error().code,
            ErrorCode::kNotFound);
  auto rows = *db().Query("SELECT mitigation, ttm_days FROM dns_listings WHERE domain = 'a.com'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0), "confirmed");
  EXPECT_EQ(rows[0].Int(1), 2);
  EXPECT_EQ(obs.ReportFor("b.com")->domain, "b.com");  // declined: still open
  auto month = obs.Month("2024-03");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->rows[0].mitigated, 1);
  EXPECT_DOUBLE_EQ(*month->rows[0].median_ttm, 2);
}

ENTENTE_INSTANTIATE_BACKENDS(ObservatoryTest);

TEST(Median, EvenAndOdd) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({}), 0);
  EXPECT_DOUBLE_EQ(Round4(1.23456), 1.2346);
}

}  // namespace
}  // namespace entente::dnsabuse
