#include "directory/directory.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/node_fixture.h"
#include "core/ids.h"
#include "directory/reference_tables.h"

namespace entente::testing {
namespace {

class DirectoryTest : public NodeTest {};

TEST_P(DirectoryTest, CreateOrgRecordsSignedEnvelopeAndProjection) {
  auto before = node_->journal().Size();
  ASSERT_TRUE(before);
  Json in = {{"kind", "tld_registry"},
             {"names", {{"en", ".arc Registry"}, {"fr", "Registre .arc"}, {"ar", "سجل"}}},
             {"country", "XA"},
             {"groupings", {"EU", "OSCE"}},
             {"sectors", {"nis2:digital-infrastructure", "dhs:it"}},
             {"website", "https://nic.arc.example/"}};
  auto o = node_->directory().CreateOrg(operator_actor_, in);
  ASSERT_TRUE(o) << o.error().ToString();
  EXPECT_EQ(o->names.at("fr"), "Registre .arc");
  EXPECT_EQ(o->groupings, (std::vector<std::string>{"EU", "OSCE"}));
  EXPECT_EQ(o->home_node, node_->info().id);
  EXPECT_EQ(*node_->journal().Size(), *before + 1);
  auto e = node_->journal().ReadById(o->envelope_id);
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->envelope.type, "directory.org");
  EXPECT_EQ((*e)->envelope.author_org, founding_org_);  // signed by the acting organisation
  EXPECT_EQ((*e)->subject, o->id);
  // The stored bytes are the canonical form and verify with the author's key.
  auto author = node_->directory().GetOrg(founding_org_);
  ASSERT_TRUE(author);
  auto pk = crypto::Base64UrlDecode(author->sign_public);
  ASSERT_TRUE(pk);
  EXPECT_TRUE(journal::VerifyEnvelope((*e)->envelope, *pk));
  EXPECT_EQ(*(*e)->envelope.Canonical(), (*e)->canonical);
}

TEST_P(DirectoryTest, RejectsBadOrgInputNamingTheFieldAndStoresNothing) {
  auto size = *node_->journal().Size();
  struct Case {
    Json in;
    std::string field;
  } cases[] = {
      {{{"kind", "spaceship"}, {"names", {{"en", "x"}}}}, "kind"},
      {{{"kind", "state"}, {"names", {{"xx", "x"}}}}, "names.xx"},
      {{{"kind", "state"}, {"names", {{"en", ""}}}}, "names.en"},
      {{{"kind", "state"}, {"names", Json::object()}}, "names"},
      {{{"kind", "state"}, {"names", {{"en", "x"}}}, {"country", "QQQ"}}, "country"},
      {{{"kind", "state"}, {"names", {{"en", "x"}}}, {"country", "UK"}}, "country"},
      {{{"kind", "state"}, {"names", {{"en", "x"}}}, {"sectors", {"nis2:teleportation"}}},
       "sectors[0]"},
      {{{"kind", "state"}, {"names", {{"en", "x"}}}, {"groupings", {"eu"}}}, "groupings[0]"},
      {{{"kind", "state"}, {"names", {{"en", "x"}}}, {"colour", "blue"}}, "colour"},
      {{{"kind", 3}, {"names", {{"en", "x"}}}}, "kind"},
      {{{"names", {{"en", "x"}}}}, "kind"},
      {{{"kind", "state"},
        {"names",
         {{"en",
           "a\x01"
           "b"}}}},
       "names.en"},
      {{{"kind", "state"}, {"names", {{"en", "x"}}}, {"website", "javascript:alert(1)"}},
       "website"},
  };
  for (const auto& c : cases) {
    auto o = node_->directory().CreateOrg(operator_actor_, c.in);
    ASSERT_FALSE(o) << c.in.dump();
    EXPECT_EQ(o.error().code, ErrorCode::kInvalidArgument) << c.in.dump();
    EXPECT_EQ(o.error().field, c.field) << c.in.dump() << " -> " << o.error().ToString();
  }
  EXPECT_EQ(*node_->journal().Size(), size);
  auto orgs = node_->directory().SearchOrgs({});
  ASSERT_TRUE(orgs);
  EXPECT_EQ(orgs->items.size(), 1u);  // only the founding organisation
}

TEST_P(DirectoryTest, SqlMetacharactersAreStoredVerbatim) {
  std::string evil = "Robert'); DROP TABLE orgs; -- \"%_\\";
  auto o = node_->directory().CreateOrg(operator_actor_, OrgInput(evil));
  ASSERT_TRUE(o) << o.error().ToString();
  auto back = node_->directory().GetOrg(o->id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->names.at("en"), evil);
  directory::OrgQuery q;
  q.q = evil;
  auto found = node_->directory().SearchOrgs(q);
  ASSERT_TRUE(found) << found.error().ToString();
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].id, o->id);
}

TEST_P(DirectoryTest, SearchFiltersAndPaginates) {
  auto a = node_->directory().CreateOrg(
      operator_actor_, Json{{"kind", "national_csirt"},
                            {"names", {{"en", "CERT Arcadia"}, {"fr", "CERT Arcadie"}}},
                            {"country", "FR"},
                            {"groupings", {"EU"}},
                            {"sectors", {"nis2:energy"}}});
  auto b = node_->directory().CreateOrg(operator_actor_,
                                        Json{{"kind", "state"},
                                             {"names", {{"en", "Ministry of Foreign Affairs"}}},
                                             {"country", "DE"},
                                             {"groupings", {"EU", "OSCE"}}});
  auto c = node_->directory().CreateOrg(
      operator_actor_, Json{{"kind", "registrar"},
                            {"names", {{"zh", "北方域名"}, {"en", "Northern Names"}}},
                            {"country", "SG"},
                            {"groupings", {"ASEAN"}}});
  ASSERT_TRUE(a && b && c);
  auto ids = [&](directory::OrgQuery q) {
    std::vector<std::string> out;
    auto page = node_->directory().SearchOrgs(q);
    EXPECT_TRUE(page) << page.error().ToString();
    for (const auto& o : page.value_or(directory::Page<directory::Organisation>{}).items)
      out.push_back(o.id);
    return out;
  };
  EXPECT_EQ(ids({.q = "arcadie"}), std::vector<std::string>{a->id});
  EXPECT_EQ(ids({.q = "arc"}), std::vector<std::string>{a->id});  // prefix
  EXPECT_EQ(ids({.q = "ministry foreign"}), std::vector<std::string>{b->id});
  EXPECT_EQ(ids({.q = "北方域名"}), std::vector<std::string>{c->id});
  EXPECT_EQ(ids({.country = "DE"}), std::vector<std::string>{b->id});
  EXPECT_EQ(ids({.grouping = "EU"}), (std::vector<std::string>{a->id, b->id}));
  EXPECT_EQ(ids({.kind = "registrar"}), std::vector<std::string>{c->id});
  EXPECT_EQ(ids({.sector = "nis2:energy"}), std::vector<std::string>{a->id});
  EXPECT_TRUE(ids({.q = "nothing-like-this"}).empty());
  // Pagination: 4 organisations (with the founding one), pages of 3.
  auto p1 = node_->directory().SearchOrgs({.limit = 3});
  ASSERT_TRUE(p1);
  EXPECT_EQ(p1->items.size(), 3u);
  ASSERT_FALSE(p1->next.empty());
  auto p2 = node_->directory().SearchOrgs({.after = p1->next, .limit = 3});
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->items.size(), 1u);
  EXPECT_TRUE(p2->next.empty());
}

TEST_P(DirectoryTest, PocCrudSearchAndAuditTrail) {
  auto org = MakeOrg("CERT Borealia", "SG");
  auto p = node_->directory().CreatePoc(operator_actor_, org.id, PocInput("Tan Mei Ling"));
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->name, "Tan Mei Ling");
  ASSERT_EQ(p->channels.size(), 1u);
  clock_.Advance(1000);
  Json upd = PocInput("Tan Mei Ling");
  upd["function_title"] = "Head of incident response";
  upd["languages"] = {"en", "zh-Hans"};
  auto p2 = node_->directory().UpdatePoc(operator_actor_, p->id, upd);
  ASSERT_TRUE(p2) << p2.error().ToString();
  EXPECT_EQ(p2->function_title, "Head of incident response");

  auto found = node_->directory().SearchPocs({.q = "mei", .language = "zh"});
  ASSERT_TRUE(found) << found.error().ToString();
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_TRUE(node_->directory().SearchPocs({.role = "diplomatic"})->items.empty());
  EXPECT_EQ(node_->directory().SearchPocs({.country = "SG"})->items.size(), 1u);

  auto trail = node_->directory().AuditTrail(p->id, "", 10);
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->items.size(), 2u);
  EXPECT_EQ(trail->items[0].action, "update");
  EXPECT_EQ(trail->items[0].changed, (std::vector<std::string>{"function_title", "languages"}));
  EXPECT_EQ(trail->items[1].action, "create");
}

TEST_P(DirectoryTest, RejectsBadPocInput) {
  auto org = MakeOrg("CERT X");
  struct Case {
    std::string key;
    Json value;
    std::string field;
  } cases[] = {
      {"role", "spy", "role"},
      {"languages", Json::array({"klingon"}), "languages[0]"},
      {"languages", Json::array({"en-ZZZ"}), "languages[0]"},
      {"timezone", "Mars/Olympus_Mons", "timezone"},
      {"timezone", "../../etc/passwd", "timezone"},
      {"hours", Json{{"days", {"monday"}}, {"start", "09:00"}, {"end", "17:00"}}, "hours.days[0]"},
      {"hours", Json{{"days", {"mon"}}, {"start", "25:00"}, {"end", "17:00"}}, "hours.start"},
      {"channels", Json::array({{{"type", "email"}, {"value", "not-an-email"}}}),
       "channels[0].value"},
      {"channels", Json::array({{{"type", "pigeon"}, {"value", "x"}}}), "channels[0].type"},
      {"nickname", "x", "nickname"},
  };
  for (const auto& c : cases) {
    Json in = PocInput("A Person");
    in[c.key] = c.value;
    auto p = node_->directory().CreatePoc(operator_actor_, org.id, in);
    ASSERT_FALSE(p) << c.key;
    EXPECT_EQ(p.error().field, c.field) << p.error().ToString();
  }
  EXPECT_TRUE(node_->directory().SearchPocs({})->items.empty());
}

TEST_P(DirectoryTest, EraseCryptoShredsPersonalDataButKeepsJournalVerifiable) {
  auto org = MakeOrg("CERT Y");
  const std::string marker = "Zyxwvut Erasable-Person";
  auto p = node_->directory().CreatePoc(operator_actor_, org.id, PocInput(marker));
  ASSERT_TRUE(p);
  // The journal never holds the personal data in clear.
  auto entries = node_->journal().ReadAfter(0, 1000);
  ASSERT_TRUE(entries);
  for (const auto& e : *entries) EXPECT_EQ(e.canonical.find(marker), std::string::npos);
  auto exported = node_->directory().ExportPoc(p->id);
  ASSERT_TRUE(exported);
  EXPECT_EQ((*exported)["point_of_contact"]["name"], marker);

  ASSERT_TRUE(node_->directory().ErasePoc(operator_actor_, p->id));
  auto after = node_->directory().GetPoc(p->id);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->erased);
  EXPECT_FALSE(after->name);
  EXPECT_TRUE(after->channels.empty());
  EXPECT_FALSE(node_->directory().SearchPocs({.q = "Zyxwvut"})->items.size());
  auto keys = node_->db().Query("SELECT COUNT(*) FROM poc_keys WHERE poc_id = ?", {p->id});
  EXPECT_EQ(keys->at(0).Int(0), 0);
  // Erasing twice or updating an erased contact is refused.
  EXPECT_EQ(node_->directory().ErasePoc(operator_actor_, p->id).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(node_->directory().UpdatePoc(operator_actor_, p->id, PocInput("x")));
  // The tombstone is in the audit trail; the rebuild still works.
  auto trail = node_->directory().AuditTrail(p->id, "", 10);
  ASSERT_TRUE(trail);
  EXPECT_EQ(trail->items[0].action, "erase");
  ASSERT_TRUE(node_->journal().Rebuild());
  EXPECT_TRUE(node_->directory().GetPoc(p->id)->erased);
}

TEST_P(DirectoryTest, RebuildFromJournalGivesIdenticalTables) {
  auto org = MakeOrg("CERT Z", "DE");
  for (int i = 0; i < 5; ++i) {
    auto p = node_->directory().CreatePoc(operator_actor_, org.id,
                                          PocInput("Person " + std::to_string(i)));
    ASSERT_TRUE(p);
    clock_.Advance(10);
    if (i == 2) {
      ASSERT_TRUE(node_->directory().ErasePoc(operator_actor_, p->id));
    }
    if (i == 3) {
      Json u = PocInput("Person 3 renamed");
      ASSERT_TRUE(node_->directory().UpdatePoc(operator_actor_, p->id, u));
    }
  }
  Json upd = OrgInput("CERT Z renamed", "AT");
  ASSERT_TRUE(node_->directory().UpdateOrg(operator_actor_, org.id, upd));
  std::vector<std::string> tables = {"orgs", "org_groupings", "org_sectors", "pocs",
                                     "poc_languages"};
  std::string before = Snapshot(tables);
  ASSERT_TRUE(node_->journal().Rebuild());
  EXPECT_EQ(Snapshot(tables), before);
  EXPECT_NE(before.find("CERT Z renamed"), std::string::npos);
}

TEST_P(DirectoryTest, RebuildDetectsAlteredEnvelope) {
  auto org = MakeOrg("CERT Tamper");
  auto rows = node_->db().Query("SELECT seq, envelope FROM journal WHERE subject = ?", {org.id});
  ASSERT_TRUE(rows && rows->size() == 1);
  std::string env = rows->at(0).Text(1);
  auto pos = env.find("CERT Tamper");
  ASSERT_NE(pos, std::string::npos);
  env.replace(pos, 11, "CERT Tamped");
  ASSERT_TRUE(node_->db().Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("UPDATE journal SET envelope = ? WHERE seq = ?", {env, rows->at(0).Int(0)}));
    return Ok();
  }));
  auto st = node_->journal().Rebuild();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(st.error().message.find("signature does not verify"), std::string::npos)
      << st.error().message;
  // The failed rebuild rolled back: the projection is intact.
  EXPECT_EQ(node_->directory().GetOrg(org.id)->names.at("en"), "CERT Tamper");
}

TEST_P(DirectoryTest, ForgedEnvelopeIsRejected) {
  auto org = MakeOrg("CERT Forge");
  // An envelope claiming to be by `org` but signed with another key.
  journal::Envelope env;
  env.type = "directory.org";
  env.id = NewUuidV7(clock_);
  env.origin_node = node_->info().id;
  env.author_org = org.id;
  env.created = clock_.NowMillis();
  env.distribution.kind = journal::DistributionKind::kFederation;
  Json state = org.ToJson();
  state.erase("fingerprint");
  state.erase("envelope_id");
  state.erase("created");
  state.erase("updated");
  state["names"]["en"] = "Forged";
  env.supersedes = org.envelope_id;
  env.body = Json{{"action", "update"}, {"actor", {{"org", org.id}}}, {"org", state}};
  auto other = crypto::GenerateSigningKey();
  ASSERT_TRUE(journal::SignEnvelope(env, other.secret_key));
  auto r = node_->journal().RecordOne(env, org.id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(node_->directory().GetOrg(org.id)->names.at("en"), "CERT Forge");
}

ENTENTE_INSTANTIATE_BACKENDS(DirectoryTest);

TEST(ReferenceTables, LanguageTagsAndCountries) {
  for (const char* ok : {"en", "fr-CA", "zh-Hans", "zh-Hant-TW", "es-419", "ar", "ru", "sl-rozaj"})
    EXPECT_TRUE(directory::IsLanguageTag(ok)) << ok;
  for (const char* bad : {"", "EN", "eng", "xx", "en-", "en-ZZZ", "en-XY1", "zh-hans", "en--US"})
    EXPECT_FALSE(directory::IsLanguageTag(bad)) << bad;
  EXPECT_TRUE(directory::IsCountry("FR"));
  EXPECT_TRUE(directory::IsCountry("XA"));  // user-assigned
  EXPECT_FALSE(directory::IsCountry("UK"));
  EXPECT_FALSE(directory::IsCountry("fr"));
  EXPECT_TRUE(directory::IsTimeZone("Europe/Paris"));
  EXPECT_TRUE(directory::IsTimeZone("UTC"));
  EXPECT_FALSE(directory::IsTimeZone("Europe/../../etc/passwd"));
}

// The generated sector table matches the project's copies of the official
// MISP taxonomies (data/taxonomies, from the shared standards' data), which
// scripts/gen-reference-tables.py reads.
TEST(ReferenceTables, SectorsMatchSharedTaxonomies) {
  const char* src = std::getenv("ENTENTE_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  auto shared = std::filesystem::path(src) / "data" / "taxonomies";
  ASSERT_TRUE(std::filesystem::exists(shared / "nis2.json")) << shared;
  std::set<std::string> expected;
  auto load = [&](const char* file, const char* predicate, const char* prefix) {
    std::ifstream in(shared / file);
    std::stringstream ss;
    ss << in.rdbuf();
    Json j = Json::parse(ss.str());
    for (const auto& v : j["values"])
      if (v["predicate"] == predicate)
        for (const auto& e : v["entry"]) expected.insert(prefix + e["value"].get<std::string>());
  };
  load("nis2.json", "impact-sectors-impacted", "nis2:");
  load("dhs-ciip-sectors.json", "DHS-critical-sectors", "dhs:");
  std::set<std::string> actual;
  for (const auto& s : directory::Sectors()) actual.insert(s.code);
  EXPECT_EQ(actual, expected);
}

}  // namespace
}  // namespace entente::testing
