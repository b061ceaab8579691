#include "intel/repository.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "jcs/jcs.h"
#include "store/test_databases.h"

namespace entente::intel {
namespace {

namespace fs = std::filesystem;
using store::testing::BackendTest;

fs::path StixDataDir() {
  const char* src = std::getenv("ENTENTE_SOURCE_DIR");
  return fs::path(src ? src : ".") / "data" / "stix";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr const char* kTlpRed2 = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
constexpr const char* kTlpGreen2 = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kTlpWhite1 = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";

// An indicator with a given id suffix, modified time and domain.
Json Indicator(int n, std::string_view modified = "2020-01-01T00:00:00.000Z",
               std::string_view domain = "evil.example.com") {
  Json j = {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n)},
            {"created", "2020-01-01T00:00:00.000Z"},
            {"modified", std::string(modified)},
            {"pattern", fmt::format("[domain-name:value = '{}']", domain)},
            {"pattern_type", "stix"},
            {"valid_from", "2020-01-01T00:00:00Z"}};
  return j;
}

std::string Bundle(const std::vector<Json>& objects) {
  Json b = {{"type", "bundle"},
            {"id", "bundle--11111111-2222-4333-8444-555555555555"},
            {"objects", objects}};
  return b.dump();
}

class IntelRepositoryTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    ASSERT_TRUE(store::Migrate(db(), store::BuiltinMigrations(backend())));
  }
  IntelRepository repo() { return IntelRepository(db(), clock_); }
  ImportReport MustImport(const std::string& text, ImportOptions options = {}) {
    auto r = repo().Import(text, options);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : ImportReport{};
  }
  size_t RowCount() {
    auto rows = db().Query("SELECT COUNT(*) FROM intel_objects");
    return rows ? static_cast<size_t>((*rows)[0].Int(0)) : 0;
  }
  ManualClock clock_;
};

TEST_P(IntelRepositoryTest, OfficialExamplesImportAndExportWithoutLoss) {
  std::map<std::string, std::string> originals;  // id -> canonical JSON
  for (const auto& e : fs::directory_iterator(StixDataDir() / "examples")) {
    SCOPED_TRACE(e.path().filename().string());
    std::string text = ReadFile(e.path());
    auto report = MustImport(text);
    EXPECT_TRUE(report.stored);
    EXPECT_EQ(report.rejected, 0u);
    for (const auto& o : report.outcomes) {
      // Files share some objects (an identity): seen again, they are unchanged.
      EXPECT_EQ(o.fate, originals.contains(o.id) ? Fate::kUnchanged : Fate::kAdded) << o.id;
    }
    Json doc = Json::parse(text);
    Json objects = doc.value("type", "") == "bundle" ? doc["objects"] : Json::array({doc});
    for (const auto& o : objects) originals[o["id"]] = *jcs::Canonicalize(o);
  }
  ASSERT_GE(originals.size(), 25u);
  auto exported = repo().ExportBundle({});
  ASSERT_TRUE(exported) << exported.error().ToString();
  Json bundle = Json::parse(*exported);
  EXPECT_EQ(bundle["type"], "bundle");
  EXPECT_TRUE(IsStixIdentifier(bundle["id"].get<std::string>()));
  std::map<std::string, std::string> back;
  for (const auto& o : bundle["objects"]) back[o["id"]] = *jcs::Canonicalize(o);
  EXPECT_EQ(back, originals);
  // The export is itself a valid bundle that imports as unchanged.
  auto again = MustImport(*exported);
  EXPECT_TRUE(again.stored);
  EXPECT_EQ(again.unchanged, originals.size());
  EXPECT_EQ(again.added, 0u);
}

TEST_P(IntelRepositoryTest, RejectedBundleStoresNothing) {
  Json bad = Indicator(2);
  bad["pattern"] = "[domain-name:value = 'x' AND]";
  Json bad2 = Indicator(3);
  bad2["modified"] = "2019-01-01T00:00:00.000Z";
  auto report = MustImport(Bundle({Indicator(1), bad, bad2}));
  EXPECT_FALSE(report.stored);
  EXPECT_EQ(report.rejected, 2u);
  EXPECT_EQ(RowCount(), 0u);
  std::vector<ObjectOutcome> rejected;
  for (const auto& o : report.outcomes)
    if (o.fate == Fate::kRejected) rejected.push_back(o);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].index, 1u);
  EXPECT_EQ(rejected[0].id, Indicator(2)["id"].get<std::string>());
  EXPECT_EQ(rejected[0].path, "/objects/1/pattern");
  EXPECT_NE(rejected[0].reason.find("offset 28: expected an object path"), std::string::npos)
      << rejected[0].reason;
  EXPECT_EQ(rejected[1].path, "/objects/2/modified");
  EXPECT_NE(rejected[1].reason.find("at or after created"), std::string::npos);
}

TEST_P(IntelRepositoryTest, PartialImportReportsEachFate) {
  ImportOptions partial;
  partial.partial = true;
  auto report = MustImport(
      Bundle({Indicator(1), Json::parse(R"({"type": "indicator"})"), Indicator(2)}), partial);
  EXPECT_TRUE(report.stored);
  EXPECT_EQ(report.added, 2u);
  EXPECT_EQ(report.rejected, 1u);
  ASSERT_EQ(report.outcomes.size(), 3u);
  EXPECT_EQ(report.outcomes[0].fate, Fate::kAdded);
  EXPECT_EQ(report.outcomes[1].fate, Fate::kRejected);
  EXPECT_EQ(report.outcomes[1].path, "/objects/1/id");
  EXPECT_EQ(report.outcomes[2].fate, Fate::kAdded);
  EXPECT_EQ(RowCount(), 2u);
}

TEST_P(IntelRepositoryTest, MalformedBundleIsAnErrorAndStoresNothing) {
  std::string text = Bundle({Indicator(1), Indicator(2)});
  text.resize(text.size() - 5);
  auto r = repo().Import(text, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("malformed bundle at byte"), std::string::npos);
  EXPECT_EQ(RowCount(), 0u);

  ImportOptions small;
  small.limits.max_objects = 1;
  small.partial = true;
  auto big = repo().Import(Bundle({Indicator(1), Indicator(2)}), small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(RowCount(), 0u);

  // Bad JSON inside one object: the object's path and the parser's reason.
  std::string broken = R"({"type": "bundle", "id": "bundle--11111111-2222-4333-8444-555555555555",
    "objects": [{"type": "indicator", "id": "a", "id": "b"}]})";
  auto dup = MustImport(broken);
  EXPECT_FALSE(dup.stored);
  ASSERT_EQ(dup.outcomes.size(), 1u);
  EXPECT_EQ(dup.outcomes[0].path, "/objects/0/id");
  EXPECT_NE(dup.outcomes[0].reason.find("duplicate"), std::string::npos) << dup.outcomes[0].reason;
}

TEST_P(IntelRepositoryTest, VersionsByModified) {
  const std::string v1 = "2020-01-01T00:00:00.000Z", v2 = "2020-02-01T00:00:00.000Z";
  EXPECT_EQ(MustImport(Bundle({Indicator(1, v1)})).added, 1u);
  EXPECT_EQ(MustImport(Bundle({Indicator(1, v2, "newer.example")})).added, 1u);
  auto older = MustImport(Bundle({Indicator(1, v1)}));
  EXPECT_TRUE(older.stored);
  EXPECT_EQ(older.ignored, 1u);
  EXPECT_EQ(older.outcomes[0].fate, Fate::kIgnoredOlder);
  EXPECT_EQ(MustImport(Bundle({Indicator(1, v2, "newer.example")})).unchanged, 1u);
  // Same id and modified, other content: a conflict, and nothing else of
  // that bundle is stored.
  auto conflict = MustImport(Bundle({Indicator(7), Indicator(1, v2, "other.example")}));
  EXPECT_FALSE(conflict.stored);
  ASSERT_EQ(conflict.rejected, 1u);
  EXPECT_NE(conflict.outcomes[1].reason.find("conflict"), std::string::npos);
  EXPECT_EQ(RowCount(), 2u);

  auto latest = repo().List({});
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].modified, v2);
  EXPECT_NE((*latest)[0].content.find("newer.example"), std::string::npos);
  ObjectFilter all;
  all.all_versions = true;
  EXPECT_EQ(repo().List(all)->size(), 2u);
  // Equal instants written differently are the same version.
  EXPECT_EQ(
      MustImport(Bundle({Indicator(1, "2020-02-01T00:00:00.000000Z", "newer.example")})).rejected,
      1u);  // same version, different text of modified: a conflict
}

TEST_P(IntelRepositoryTest, VersionsWithinOneBundleAcrossBatches) {
  std::vector<Json> objects;
  for (int i = 0; i < 1200; ++i)
    objects.push_back(Indicator(i % 400, fmt::format("2020-01-01T00:00:{:02d}.000Z", i / 400)));
  objects.push_back(Indicator(5, "2020-01-01T00:00:00.000Z"));  // older than stored: ignored
  auto report = MustImport(Bundle(objects));
  EXPECT_TRUE(report.stored);
  EXPECT_EQ(report.added, 1200u);
  EXPECT_EQ(report.ignored, 1u);
  ObjectFilter all;
  all.all_versions = true;
  EXPECT_EQ(repo().List(all)->size(), 1200u);
  auto latest = repo().List({});
  ASSERT_EQ(latest->size(), 400u);
  for (const auto& o : *latest) EXPECT_EQ(o.modified, "2020-01-01T00:00:02.000Z");

  // Duplicate id+modified with different content inside one bundle.
  auto dup = MustImport(
      Bundle({Indicator(9000), Indicator(9000, "2020-01-01T00:00:00.000Z", "x.example")}));
  EXPECT_FALSE(dup.stored);
  EXPECT_EQ(dup.rejected, 1u);
}

TEST_P(IntelRepositoryTest, RevocationIsFinal) {
  Json revoked = Indicator(1, "2020-02-01T00:00:00.000Z");
  revoked["revoked"] = true;
  EXPECT_EQ(MustImport(Bundle({Indicator(1), revoked})).added, 2u);
  auto later = MustImport(Bundle({Indicator(1, "2020-03-01T00:00:00.000Z")}));
  EXPECT_FALSE(later.stored);
  ASSERT_EQ(later.rejected, 1u);
  EXPECT_NE(later.outcomes[0].reason.find("revoked"), std::string::npos);
  ObjectFilter live;
  live.include_revoked = false;
  EXPECT_TRUE(repo().List(live)->empty());
  EXPECT_TRUE(repo().List({})->at(0).revoked);
}

// Only the organisation that first stored an id adds versions of it or
// revokes it; another one gets a rejection naming the object, and nothing of
// its bundle is stored unless partial acceptance was asked for.
TEST_P(IntelRepositoryTest, OnlyTheOwningOrganisationAddsVersionsOrRevokes) {
  ImportOptions a{.owner_org = "org-a"};
  ImportOptions b{.owner_org = "org-b"};
  ASSERT_EQ(MustImport(Bundle({Indicator(1)}), a).added, 1u);
  const std::string id = Indicator(1)["id"];
  Json newer = Indicator(1, "2020-02-01T00:00:00.000Z", "hijacked.example");
  Json revoked = Indicator(1, "2020-03-01T00:00:00.000Z");
  revoked["revoked"] = true;

  // All or nothing: B's own new object is not stored either.
  auto report = MustImport(Bundle({Indicator(2), newer, revoked}), b);
  EXPECT_FALSE(report.stored);
  EXPECT_EQ(report.rejected, 2u);
  std::vector<ObjectOutcome> rejected;
  for (const auto& o : report.outcomes)
    if (o.fate == Fate::kRejected) rejected.push_back(o);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].index, 1u);
  EXPECT_EQ(rejected[0].id, id);
  EXPECT_EQ(rejected[0].version, "2020-02-01T00:00:00.000Z");
  EXPECT_EQ(rejected[0].path, "/objects/1/id");
  EXPECT_NE(rejected[0].reason.find("belongs to another organisation"), std::string::npos)
      << rejected[0].reason;
  EXPECT_EQ(rejected[1].index, 2u);
  EXPECT_EQ(rejected[1].path, "/objects/2/id");
  EXPECT_EQ(RowCount(), 1u);

  // Partial: B's own object is stored, A's object keeps its one version.
  ImportOptions bp = b;
  bp.partial = true;
  report = MustImport(Bundle({Indicator(2), newer, revoked}), bp);
  EXPECT_TRUE(report.stored);
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(report.rejected, 2u);
  EXPECT_EQ(RowCount(), 2u);

  // Identical or older copies store nothing and are not errors.
  report = MustImport(Bundle({Indicator(1)}), b);
  EXPECT_TRUE(report.stored);
  EXPECT_EQ(report.unchanged, 1u);

  // B's object is B's: A cannot version it either.
  report = MustImport(Bundle({Indicator(2, "2020-05-01T00:00:00.000Z")}), a);
  EXPECT_FALSE(report.stored);
  EXPECT_EQ(report.rejected, 1u);

  // The owner adds versions and revokes.
  report = MustImport(Bundle({newer, revoked}), a);
  EXPECT_TRUE(report.stored);
  EXPECT_EQ(report.added, 2u);
  ObjectFilter f;
  f.ids = {id};
  f.all_versions = true;
  auto listed = repo().List(f);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3u);
  for (const auto& o : *listed) EXPECT_EQ(o.owner_org, "org-a");
  EXPECT_TRUE(listed->back().revoked);
}

TEST_P(IntelRepositoryTest, TlpOwnerAndCommunity) {
  Json red = Indicator(1);
  red["object_marking_refs"] = Json::array({kTlpGreen2, kTlpRed2});
  Json white = Indicator(2);
  white["object_marking_refs"] = Json::array({kTlpWhite1});
  Json unmarked = Indicator(3);
  Json md = Json::parse(R"({"type": "marking-definition", "spec_version": "2.1",
    "id": "marking-definition--11111111-2222-4333-8444-555555555555",
    "created": "2020-01-01T00:00:00.000Z", "name": "TLP:AMBER",
    "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
      "extension_type": "property-extension", "tlp_2_0": "amber"}}})");
  Json custom = Indicator(4);
  custom["object_marking_refs"] = Json::array({md["id"]});
  ImportOptions options;
  options.owner_org = "org-a";
  options.community_id = "community-1";
  auto report = MustImport(Bundle({red, white, unmarked, md, custom}), options);
  for (const auto& o : report.outcomes)
    EXPECT_NE(o.fate, Fate::kRejected) << o.path << ": " << o.reason;
  ASSERT_TRUE(report.stored);
  std::map<std::string, std::optional<std::string>> tlp;
  ObjectFilter f;
  f.community_id = "community-1";
  auto listed = repo().List(f);
  ASSERT_TRUE(listed);
  for (const auto& o : *listed) {
    tlp[o.id] = o.tlp;
    EXPECT_EQ(o.owner_org, "org-a");
    EXPECT_EQ(o.added_at, clock_.NowMillis());
  }
  EXPECT_EQ(tlp[red["id"]], "red");
  EXPECT_EQ(tlp[white["id"]], "clear");
  EXPECT_EQ(tlp[unmarked["id"]], std::nullopt);
  EXPECT_EQ(tlp[custom["id"]], "amber");
  ObjectFilter other;
  other.community_id = "community-2";
  EXPECT_TRUE(repo().List(other)->empty());
}

TEST_P(IntelRepositoryTest, ExportFiltersByType) {
  Json identity = Json::parse(R"({"type": "identity", "spec_version": "2.1",
    "id": "identity--11111111-2222-4333-8444-555555555555", "created": "2020-01-01T00:00:00.000Z",
    "modified": "2020-01-01T00:00:00.000Z", "name": "ACME", "identity_class": "organization"})");
  MustImport(Bundle({Indicator(1), identity, Indicator(2)}));
  ObjectFilter f;
  f.types = {"identity"};
  Json b = Json::parse(*repo().ExportBundle(f));
  ASSERT_EQ(b["objects"].size(), 1u);
  EXPECT_EQ(b["objects"][0], identity);
  f.types = {"indicator"};
  f.limit = 1;
  EXPECT_EQ(Json::parse(*repo().ExportBundle(f))["objects"].size(), 1u);
}

// Custom types get only the generic schemas: odd kinds of the properties the
// importer reads must not throw (regression: revoked "yes" on an x- observable).
TEST_P(IntelRepositoryTest, CustomObservableWithOddPropertiesImports) {
  Json odd = Json::parse(R"({"type": "x-acme-thing", "spec_version": "2.1",
    "id": "x-acme-thing--11111111-2222-4333-8444-555555555555",
    "revoked": "yes", "x_value": [1]})");
  auto report = repo().Import(Bundle({odd}), {});
  ASSERT_TRUE(report) << report.error().ToString();
  for (const auto& o : report->outcomes)
    EXPECT_NE(o.fate, Fate::kRejected) << o.path << ": " << o.reason;
}

// A bundle of 1,300 objects crossing chunk (256) and batch (500) boundaries:
// a marking definition declaring TLP:AMBER that later objects use, invalid
// patterns, conflicting duplicates, newer and older versions of earlier
// objects. Ids start with `prefix` (8 hex digits) so two copies do not meet.
std::string MixedBundle(std::string_view prefix) {
  auto id = [&](int n) { return fmt::format("indicator--{}-0000-4000-8000-{:012d}", prefix, n); };
  const std::string md_id =
      fmt::format("marking-definition--{}-2222-4333-8444-555555555555", prefix);
  std::vector<Json> objects;
  objects.push_back(
      Json::parse(fmt::format(R"({{"type": "marking-definition", "spec_version": "2.1",
    "id": "{}", "created": "2020-01-01T00:00:00.000Z", "name": "TLP:AMBER",
    "extensions": {{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {{
      "extension_type": "property-extension", "tlp_2_0": "amber"}}}}}})",
                              md_id)));
  for (int i = 1; i < 1300; ++i) {
    Json o = Indicator(i, "2020-01-01T00:00:00.000Z", fmt::format("d{}.example", i));
    if (i % 101 == 7 && i > 300) {  // same version as an earlier one, other content
      o = Indicator(i - 300, "2020-01-01T00:00:00.000Z", "conflict.example");
    } else if (i % 103 == 9 && i > 260) {  // newer version of an earlier one
      o = Indicator(i - 260, "2021-01-01T00:00:00.000Z", fmt::format("n{}.example", i));
    } else if (i % 89 == 3 && i > 200) {  // older version of an earlier one
      o = Indicator(i - 200, "2019-01-01T00:00:00.000Z", "old.example");
      o["created"] = "2019-01-01T00:00:00.000Z";
    }
    o["id"] =
        id(std::stoi(o["id"].get<std::string>().substr(o["id"].get<std::string>().size() - 12)));
    if (i % 97 == 5) o["pattern"] = "[domain-name:value = ";
    if (i % 7 == 0) o["object_marking_refs"] = Json::array({kTlpGreen2});
    if (i % 50 == 0) o["object_marking_refs"] = Json::array({md_id});
    if (i % 211 == 17) o["indicator_types"] = Json::array();  // schema violation
    objects.push_back(std::move(o));
  }
  return Bundle(objects);
}

std::string Replaced(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// Preparing objects on worker threads changes nothing: same report (fates,
// paths, reasons), same rows, same errors, nothing stored on a rejection.
TEST_P(IntelRepositoryTest, ThreadedImportMatchesTheInlineImport) {
  auto stored = [&](std::string_view prefix) {
    ObjectFilter f;
    f.all_versions = true;
    std::string out;
    auto listed = repo().List(f);
    EXPECT_TRUE(listed);
    for (const auto& o : *listed) {
      if (o.id.find(prefix) == std::string::npos) continue;
      out += fmt::format("{} {} {} {} {} {}\n", o.id, o.version, o.latest, o.revoked,
                         o.tlp.value_or("-"), o.content);
    }
    return out;
  };
  for (bool partial : {false, true}) {
    ImportOptions inline_options;
    inline_options.partial = partial;
    inline_options.owner_org = "org-a";
    inline_options.max_tlp = "amber";
    inline_options.prepare_threads = 0;
    ImportOptions threaded = inline_options;
    threaded.prepare_threads = 3;
    const std::string a = partial ? "aaaaaaaa" : "cccccccc";
    const std::string b = partial ? "bbbbbbbb" : "dddddddd";
    auto ra = MustImport(MixedBundle(a), inline_options);
    auto rb = MustImport(MixedBundle(b), threaded);
    EXPECT_EQ(ra.stored, partial);
    EXPECT_GT(ra.rejected, 20u);
    EXPECT_GT(ra.ignored, 3u);
    EXPECT_EQ(Replaced(ImportReportJson(ra).dump(), a, b), ImportReportJson(rb).dump());
    EXPECT_EQ(Replaced(stored(a), a, b), stored(b));
    EXPECT_EQ(stored(b).empty(), !partial);
  }
  // With a limit on TLP below the marking definition's, a rejected bundle.
  ImportOptions strict;
  strict.max_tlp = "green";
  strict.prepare_threads = 2;
  auto r = MustImport(MixedBundle("eeeeeeee"), strict);
  EXPECT_FALSE(r.stored);
  EXPECT_TRUE(stored("eeeeeeee").empty());
  // A bundle cut short after many objects: the same error, nothing stored.
  std::string cut = MixedBundle("ffffffff");
  cut.resize(cut.size() - 40);
  for (size_t threads : {0, 1, 2}) {
    ImportOptions o;
    o.prepare_threads = threads;
    o.partial = true;
    auto e = repo().Import(cut, o);
    ASSERT_FALSE(e) << threads;
    EXPECT_NE(e.error().message.find("malformed bundle"), std::string::npos) << e.error().message;
  }
  EXPECT_TRUE(stored("ffffffff").empty());
}

ENTENTE_INSTANTIATE_BACKENDS(IntelRepositoryTest);

}  // namespace
}  // namespace entente::intel
