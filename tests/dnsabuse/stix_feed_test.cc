// STIX indicators as observatory feeds: the category mapping, which
// indicators count on a day, a bundle file, and the intelligence store read
// with an organisation's eyes (only what it may read), then ingested with
// known answers, on SQLite and PostgreSQL.
#include "dnsabuse/stix_feed.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dnsabuse/observatory.h"
#include "intel/repository.h"
#include "store/test_databases.h"

namespace entente::dnsabuse {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

Json Indicator(int n, const std::string& pattern, const Json& types, const Json& labels = nullptr) {
  Json j = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n)},
            {"created", "2024-01-01T00:00:00.000Z"},
            {"modified", "2024-01-01T00:00:00.000Z"},
            {"pattern", pattern},
            {"pattern_type", "stix"},
            {"valid_from", "2024-01-01T00:00:00Z"}};
  if (!types.is_null()) j["indicator_types"] = types;
  if (!labels.is_null()) j["labels"] = labels;
  return j;
}

std::string Bundle(const std::vector<Json>& objects) {
  return Json{{"type", "bundle"},
              {"id", "bundle--11111111-2222-4333-8444-555555555555"},
              {"objects", objects}}
      .dump();
}

// Eleven indicators, four of them usable on 2024-03-01.
std::vector<Json> Objects() {
  std::vector<Json> o;
  o.push_back(Indicator(1, "[url:value = 'http://login.evil.arc/bank']", {"phishing"}));
  o.push_back(Indicator(2, "[domain-name:value = 'drop.arc' OR domain-name:value = 'drop2.arc']",
                        {"malicious-activity"}, {"Malware"}));
  o.push_back(Indicator(3, "[domain-name:value = 'cc.arc']", {"malicious-activity"}, {"c2"}));
  o.push_back(Indicator(4, "[domain-name:value = 'spam.cam']", nullptr, {"spam", "phishing"}));
  o.push_back(Indicator(5, "[domain-name:value = 'vague.arc']", {"malicious-activity"}));
  o.push_back(Indicator(6, "[domain-name:value = 'ok.arc']", {"benign"}, {"phishing"}));
  Json revoked = Indicator(7, "[domain-name:value = 'old.arc']", {"phishing"});
  revoked["revoked"] = true;
  o.push_back(revoked);
  Json expired = Indicator(8, "[domain-name:value = 'gone.arc']", {"phishing"});
  expired["valid_until"] = "2024-02-01T00:00:00Z";
  o.push_back(expired);
  Json future = Indicator(9, "[domain-name:value = 'later.arc']", {"phishing"});
  future["valid_from"] = "2024-03-02T00:00:00Z";
  o.push_back(future);
  o.push_back(Indicator(10, "[ipv4-addr:value = '192.0.2.1']", {"c2"}));
  Json snort = Indicator(11, "alert tcp any any", {"malware"});
  snort["pattern_type"] = "snort";
  o.push_back(snort);
  o.push_back(Json{{"type", "malware"}, {"id", "malware--1"}});
  return o;
}

TEST(StixFeed, CategoryMapping) {
  auto cats = [](Json types, Json labels) {
    Json j = {{"indicator_types", types}, {"labels", labels}};
    std::string out;
    for (Category c : StixCategories(j)) out += std::string(CategoryName(c)) + " ";
    return out;
  };
  EXPECT_EQ(cats({"phishing"}, Json::array()), "phishing ");
  EXPECT_EQ(cats({"malicious-activity"}, {"C2"}), "botnet_cc ");
  EXPECT_EQ(cats(Json::array(), {"command-and-control", "botnet"}), "botnet_cc ");
  EXPECT_EQ(cats({"malicious-activity"}, {"ransomware", "spam"}), "malware spam ");
  EXPECT_EQ(cats({"malicious-activity", "anomalous-activity", "compromised"}, Json::array()), "");
  EXPECT_EQ(cats({7, nullptr}, "phishing"), "");  // wrong JSON types are ignored
}

TEST(StixFeed, WhichIndicatorsCountOnADay) {
  const auto day = ParseDay("2024-03-01");
  auto r = StixBundleToFeeds(Bundle(Objects()), *day);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->objects, 12u);
  EXPECT_EQ(r->indicators, 11u);
  EXPECT_EQ(r->used, 4u);
  EXPECT_EQ(r->revoked, 1u);
  EXPECT_EQ(r->not_valid, 2u);
  EXPECT_EQ(r->uncategorised, 1u);
  EXPECT_EQ(r->benign, 1u);
  EXPECT_EQ(r->other_pattern_type, 1u);
  EXPECT_EQ(r->other_observables, 1u);
  using V = std::vector<std::string>;
  EXPECT_EQ(r->lines[0], (V{"http://login.evil.arc/bank", "spam.cam"}));
  EXPECT_EQ(r->lines[1], (V{"drop.arc", "drop2.arc"}));
  EXPECT_EQ(r->lines[2], (V{"cc.arc"}));
  EXPECT_EQ(r->lines[3], (V{"spam.cam"}));
  // The next day indicator 9 is valid.
  auto next = StixBundleToFeeds(Bundle(Objects()), *day + 1);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->lines[0].back(), "later.arc");
}

TEST(StixFeed, BadBundles) {
  EXPECT_EQ(StixBundleToFeeds("{", 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(StixBundleToFeeds("[]", 0).error().field, "stix");
  EXPECT_EQ(StixBundleToFeeds(R"({"type":"indicator"})", 0).error().field, "stix");
  EXPECT_EQ(StixBundleToFeeds(R"({"type":"bundle","objects":{}})", 0).error().field, "stix");
  auto empty = StixBundleToFeeds(R"({"type":"bundle","id":"bundle--x"})", 0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->indicators, 0u);
  // A bad pattern is reported with the object's position, the rest used.
  auto bad = StixBundleToFeeds(Bundle({Indicator(1, "[domain-name:value = ", {"spam"}),
                                       Indicator(2, "[domain-name:value = 'a.arc']", {"spam"})}),
                               *ParseDay("2024-03-01"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->bad_pattern, 1u);
  ASSERT_EQ(bad->issues.size(), 1u);
  EXPECT_EQ(bad->issues[0].line, 1u);
  EXPECT_EQ(bad->lines[3], std::vector<std::string>{"a.arc"});
}

class StixStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(store::Migrate(db(), store::BuiltinMigrations(backend())));
    std::string t = (fs::temp_directory_path() / "entente-stix-XXXXXX").string();
    ASSERT_NE(mkdtemp(t.data()), nullptr);
    dir_ = t;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    BackendTest::TearDown();
  }
  void Import(std::vector<Json> objects, const char* owner, const char* marking) {
    std::vector<Json> indicators;  // valid STIX only (Objects() ends with a stub)
    for (auto& o : objects)
      if (o["type"] == "indicator") {
        o["object_marking_refs"] = Json::array({marking});
        indicators.push_back(o);
      }
    objects = indicators;
    intel::ImportOptions opt;
    opt.owner_org = owner;
    auto r = intel::IntelRepository(db(), clock_).Import(Bundle(objects), opt);
    ASSERT_TRUE(r) << r.error().ToString();
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  ManualClock clock_{1'709'280'000'000};
  fs::path dir_;
};

TEST_P(StixStoreTest, TheStoreWithAReadersEyesAsFeeds) {
  Import(Objects(), "org-a", kGreen);
  // org-b's own TLP:RED indicator: org-a may not read it.
  Import({Indicator(20, "[domain-name:value = 'secret.arc']", {"phishing"})}, "org-b", kRed);
  const auto day = *ParseDay("2024-03-01");
  auto a = StixStoreToFeeds(db(), clock_, "org-a", day);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->indicators, 10u);  // the store leaves the revoked one out
  EXPECT_EQ(a->revoked, 0u);
  EXPECT_EQ(a->used, 4u);
  auto b = StixStoreToFeeds(db(), clock_, "org-b", day);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->indicators, 1u);
  EXPECT_EQ(b->lines[0], std::vector<std::string>{"secret.arc"});
  auto nobody = StixStoreToFeeds(db(), clock_, "org-z", day);
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->indicators, 0u);
  EXPECT_EQ(StixStoreToFeeds(db(), clock_, "", day).error().field, "org");

  // Ingested: the zone delegates evil, drop, cc (arc) and spam (cam).
  auto specs = WriteStixFeeds(*a, (dir_ / "stix").string(), "stix-store");
  ASSERT_TRUE(specs) << specs.error().ToString();
  ASSERT_EQ(specs->size(), 4u);
  IngestRequest req;
  req.day = "2024-03-01";
  req.zones = {Write("arc.zone",
                     "$ORIGIN arc.\n$TTL 60\n@ SOA a b 1 2 3 4 5\nevil NS x.\ndrop NS x.\ncc NS "
                     "x.\nquiet NS x.\n"),
               Write("cam.zone", "$ORIGIN cam.\n$TTL 60\n@ SOA a b 1 2 3 4 5\nspam NS x.\n")};
  req.feeds = *specs;
  Observatory obs(db(), clock_);
  auto d = obs.Ingest(req);
  ASSERT_TRUE(d) << d.error().ToString();
  const ScopeFigures& all = d->figures[0];
  EXPECT_EQ(all.domains, 5);
  EXPECT_EQ(all.abused, 4);          // evil, drop, cc, spam (drop2.arc is not delegated)
  EXPECT_EQ(all.by_category[0], 2);  // phishing: evil, spam
  EXPECT_EQ(all.by_category[1], 1);  // malware: drop
  EXPECT_EQ(all.by_category[2], 1);  // botnet_cc: cc
  EXPECT_EQ(all.by_category[3], 1);  // spam: spam
  EXPECT_EQ(d->totals["not_in_zone"], 1);
  EXPECT_EQ(all.by_feed.at("phishing:stix-store"), 2);
}

ENTENTE_INSTANTIATE_BACKENDS(StixStoreTest);

}  // namespace
}  // namespace entente::dnsabuse
