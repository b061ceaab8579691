// Communities of trust on a whole node, on both backends: charter rules,
// admission by vouching (threshold, self-vouch, double vouch, wrong kind),
// leaving, removal by vote, visibility, the journal entries of every
// decision, rebuild from the journal, and the charter's highest TLP on
// import.
#include "intel/community.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/node_fixture.h"
#include "intel/access.h"

namespace entente::testing {
namespace {

using intel::CommunityActor;

Json Charter(int vouches = 2, std::vector<std::string> kinds = {"national_csirt"},
             const std::string& max_tlp = "amber") {
  Json c = {{"name", "Health CERTs"}, {"purpose", "Share what hits hospitals."},
            {"allowed_kinds", kinds}, {"max_tlp", max_tlp},
            {"default_pap", "green"}, {"vouches_required", vouches}};
  if (vouches == 1) c["single_sponsor"] = true;
  return c;
}

class CommunityTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* name : {"A", "B", "C", "D"})
      orgs_[name] = MakeOrg(std::string("CERT ") + name).id;
    auto r =
        node_->directory().CreateOrg(operator_actor_, OrgInput("Registrar R", "FR", "registrar"));
    ASSERT_TRUE(r) << r.error().ToString();
    orgs_["R"] = r->id;
  }
  intel::Communities& communities() { return node_->communities(); }
  CommunityActor Actor(const std::string& name) { return {"", orgs_.at(name)}; }
  std::string Status(const std::string& community, const std::string& name) {
    auto rows = node_->db().Query(
        "SELECT status FROM community_members WHERE community_id = ? AND org_id = ?",
        {community, orgs_.at(name)});
    return rows && !rows->empty() ? (*rows)[0].Text(0) : "";
  }
  // "type:action" of the journal entries about the community, oldest first.
  std::vector<std::string> Decisions(const std::string& community) {
    auto entries = node_->journal().ReadSubject(community, 0, 1000);
    EXPECT_TRUE(entries) << entries.error().ToString();
    std::vector<std::string> out;
    for (const auto& e : entries.value_or(std::vector<journal::Entry>{})) {
      const Json& b = *e.envelope.body;
      std::string who;
      for (const auto& [n, id] : orgs_)
        if (id == e.envelope.author_org) who = n;
      out.insert(out.begin(), e.envelope.type + ":" + b.value("action", "create") + ":" + who +
                                  (b.contains("org") ? ">" + NameOf(b["org"]) : ""));
    }
    return out;
  }
  std::string NameOf(const std::string& id) {
    for (const auto& [n, i] : orgs_)
      if (i == id) return n;
    return "?";
  }
  // A community created by A with B and C admitted (threshold 2).
  std::string ThreeMembers() {
    auto c = communities().Create(Actor("A"), Charter());
    EXPECT_TRUE(c) << c.error().ToString();
    EXPECT_TRUE(communities().Invite(Actor("A"), c->id, orgs_["B"]));  // 1 member: A alone admits
    EXPECT_TRUE(communities().Invite(Actor("A"), c->id, orgs_["C"]));
    EXPECT_TRUE(communities().Vouch(Actor("B"), c->id, orgs_["C"]));
    return c->id;
  }
  std::map<std::string, std::string> orgs_;
};

TEST_P(CommunityTest, CreatorIsTheFirstMemberAndTheCharterIsRecorded) {
  auto c = communities().Create(Actor("A"), Charter());
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->my_status, "active");
  ASSERT_EQ(c->members.size(), 1u);
  EXPECT_EQ(c->members[0].org_id, orgs_["A"]);
  EXPECT_EQ(c->charter.vouches_required, 2);
  EXPECT_EQ(c->charter.max_tlp, "amber");
  EXPECT_EQ(Decisions(c->id), std::vector<std::string>{"community.charter:create:A"});
  auto list = communities().ListFor(orgs_["A"]);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(communities().ListFor(orgs_["B"])->empty());
}

TEST_P(CommunityTest, CharterIsCheckedField_by_field) {
  struct Case {
    Json charter;
    std::string field;
  } cases[] = {
      {Json{{"name", "x"}}, "purpose"},
      {[] {
         Json c = Charter();
         c["vouches_required"] = 1;
         return c;
       }(),
       "vouches_required"},
      {[] {
         Json c = Charter();
         c["single_sponsor"] = true;
         return c;
       }(),
       "vouches_required"},
      {[] {
         Json c = Charter();
         c["vouches_required"] = 0;
         return c;
       }(),
       "vouches_required"},
      {Charter(2, {"spies"}), "allowed_kinds[0]"},
      {Charter(2, {}), "allowed_kinds"},
      {Charter(2, {"national_csirt"}, "purple"), "max_tlp"},
      {[] {
         Json c = Charter();
         c["default_pap"] = "amber+strict";
         return c;
       }(),
       "default_pap"},
      {[] {
         Json c = Charter();
         c["extra"] = 1;
         return c;
       }(),
       "extra"},
  };
  for (const auto& k : cases) {
    auto c = communities().Create(Actor("A"), k.charter);
    ASSERT_FALSE(c) << k.charter.dump();
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << k.charter.dump();
    EXPECT_EQ(c.error().field, k.field) << k.charter.dump() << " " << c.error().ToString();
  }
  // The creator must be of an allowed kind.
  auto c = communities().Create(Actor("R"), Charter());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().field, "allowed_kinds");
  EXPECT_EQ(node_->db().Query("SELECT COUNT(*) FROM communities")->at(0).Int(0), 0);
}

TEST_P(CommunityTest, AdmissionNeedsTheThresholdOfDistinctMembers) {
  auto c = communities().Create(Actor("A"), Charter());
  ASSERT_TRUE(c);
  // One member: the threshold is capped at the number of members.
  ASSERT_TRUE(communities().Invite(Actor("A"), c->id, orgs_["B"]));
  EXPECT_EQ(Status(c->id, "B"), "active");
  // Two members: the inviter's vouch is not enough.
  ASSERT_TRUE(communities().Invite(Actor("A"), c->id, orgs_["C"]));
  EXPECT_EQ(Status(c->id, "C"), "invited");
  auto invited_view = communities().Get(orgs_["C"], c->id);
  ASSERT_TRUE(invited_view);
  EXPECT_EQ(invited_view->my_status, "invited");
  EXPECT_TRUE(invited_view->members.empty());  // invited: charter only
  EXPECT_FALSE(invited_view->ToJson().contains("members"));
  // Double vouch, self vouch, vouch by a non-member: refused, nothing changes.
  auto twice = communities().Vouch(Actor("A"), c->id, orgs_["C"]);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  auto self = communities().Vouch(Actor("A"), c->id, orgs_["A"]);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(self.error().message.find("itself"), std::string::npos);
  auto own = communities().Vouch(Actor("C"), c->id, orgs_["C"]);  // invited, not a member
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, ErrorCode::kNotFound);
  auto outsider = communities().Vouch(Actor("D"), c->id, orgs_["C"]);
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Status(c->id, "C"), "invited");
  auto view = communities().Get(orgs_["B"], c->id);
  ASSERT_TRUE(view);
  for (const auto& m : view->members)
    if (m.org_id == orgs_["C"]) {
      EXPECT_EQ(m.vouches, std::vector<std::string>{orgs_["A"]});
    }
  // A second distinct member admits.
  ASSERT_TRUE(communities().Vouch(Actor("B"), c->id, orgs_["C"]));
  EXPECT_EQ(Status(c->id, "C"), "active");
  EXPECT_EQ(Decisions(c->id),
            (std::vector<std::string>{"community.charter:create:A", "community.member:invite:A>B",
                                      "community.member:admit:A>B", "community.member:invite:A>C",
                                      "community.member:vouch:B>C", "community.member:admit:B>C"}));
  // Vouching for an active member: conflict.
  auto again = communities().Vouch(Actor("A"), c->id, orgs_["C"]);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_P(CommunityTest, SingleSponsorAdmitsAlone) {
  auto c = communities().Create(Actor("A"), Charter(1));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->charter.ToJson()["single_sponsor"]);
  ASSERT_TRUE(communities().Invite(Actor("A"), c->id, orgs_["B"]));
  ASSERT_TRUE(communities().Invite(Actor("B"), c->id, orgs_["C"]));
  EXPECT_EQ(Status(c->id, "C"), "active");
}

TEST_P(CommunityTest, WrongKindAndUnknownOrganisationAreRefused) {
  auto c = communities().Create(Actor("A"), Charter());
  ASSERT_TRUE(c);
  auto r = communities().Invite(Actor("A"), c->id, orgs_["R"]);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "org");
  EXPECT_NE(r.error().message.find("registrar"), std::string::npos);
  auto unknown = communities().Invite(Actor("A"), c->id, "01234567-89ab-7def-8123-456789abcdef");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Status(c->id, "R"), "");
  EXPECT_EQ(Decisions(c->id).size(), 1u);
  // Inviting twice: conflict.
  ASSERT_TRUE(communities().Invite(Actor("A"), c->id, orgs_["B"]));
  auto twice = communities().Invite(Actor("A"), c->id, orgs_["B"]);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
}

TEST_P(CommunityTest, LeavingEndsReadingAndMembershipIsHiddenFromOthers) {
  std::string id = ThreeMembers();
  EXPECT_EQ(intel::LoadReader(node_->db(), orgs_["B"])->community_ids,
            std::vector<std::string>{id});
  auto left = communities().Leave(Actor("B"), id);
  ASSERT_TRUE(left) << left.error().ToString();
  EXPECT_EQ(left->my_status, "left");
  EXPECT_EQ(Status(id, "B"), "left");
  EXPECT_TRUE(intel::LoadReader(node_->db(), orgs_["B"])->community_ids.empty());
  for (const char* who : {"B", "D"}) {
    auto g = communities().Get(orgs_[who], id);
    ASSERT_FALSE(g) << who;
    EXPECT_EQ(g.error().code, ErrorCode::kNotFound) << who;
  }
  auto twice = communities().Leave(Actor("B"), id);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Decisions(id).back(), "community.member:leave:B>B");
  // It may be invited again.
  ASSERT_TRUE(communities().Invite(Actor("A"), id, orgs_["B"]));
  EXPECT_EQ(Status(id, "B"), "invited");
}

TEST_P(CommunityTest, RemovalByVoteOfTheThreshold) {
  std::string id = ThreeMembers();
  auto self = communities().VoteRemove(Actor("C"), id, orgs_["C"]);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(communities().VoteRemove(Actor("A"), id, orgs_["C"]));
  EXPECT_EQ(Status(id, "C"), "active");
  auto twice = communities().VoteRemove(Actor("A"), id, orgs_["C"]);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  auto view = communities().Get(orgs_["A"], id);
  for (const auto& m : view->members)
    if (m.org_id == orgs_["C"]) {
      EXPECT_EQ(m.removal_votes, std::vector<std::string>{orgs_["A"]});
    }
  ASSERT_TRUE(communities().VoteRemove(Actor("B"), id, orgs_["C"]));
  EXPECT_EQ(Status(id, "C"), "removed");
  auto gone = communities().Get(orgs_["C"], id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  auto d = Decisions(id);
  ASSERT_GE(d.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(d.end() - 3, d.end()),
            (std::vector<std::string>{"community.member:remove_vote:A>C",
                                      "community.member:remove_vote:B>C",
                                      "community.member:remove:B>C"}));
}

TEST_P(CommunityTest, TablesRebuildFromTheJournal) {
  std::string id = ThreeMembers();
  ASSERT_TRUE(communities().Invite(Actor("B"), id, orgs_["D"]));
  ASSERT_TRUE(communities().VoteRemove(Actor("A"), id, orgs_["B"]));
  ASSERT_TRUE(communities().Leave(Actor("C"), id));
  const std::vector<std::string> tables = {"communities", "community_members", "community_votes"};
  std::string before = Snapshot(tables);
  ASSERT_TRUE(node_->journal().Rebuild());
  EXPECT_EQ(Snapshot(tables), before);
}

TEST_P(CommunityTest, ImportAboveTheCharterTlpIsRefusedAndNothingStored) {
  auto c = communities().Create(Actor("A"), Charter(2, {"national_csirt"}, "green"));
  ASSERT_TRUE(c);
  auto indicator = [](int n, const char* marking) {
    return Json{{"type", "indicator"},
                {"spec_version", "2.1"},
                {"id", fmt::format("indicator--00000000-0000-4000-8000-{:012d}", n)},
                {"created", "2020-01-01T00:00:00.000Z"},
                {"modified", "2020-01-01T00:00:00.000Z"},
                {"pattern", "[domain-name:value = 'a.example']"},
                {"pattern_type", "stix"},
                {"valid_from", "2020-01-01T00:00:00Z"},
                {"object_marking_refs", {marking}}};
  };
  Json bundle = {{"type", "bundle"},
                 {"id", "bundle--11111111-2222-4333-8444-555555555555"},
                 {"objects",
                  {indicator(1, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
                   indicator(2, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")}}};
  intel::ImportOptions o;
  o.owner_org = orgs_["A"];
  o.community_id = c->id;
  o.max_tlp = communities().CharterOf(c->id)->max_tlp;
  auto r = node_->intel().Import(bundle.dump(), o);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->stored);
  ASSERT_EQ(r->rejected, 1u);
  for (const auto& out : r->outcomes)
    if (out.fate == intel::Fate::kRejected) {
      EXPECT_EQ(out.index, 1u);
      EXPECT_EQ(out.path, "/objects/1/object_marking_refs");
      EXPECT_NE(out.reason.find("TLP:amber is above TLP:green"), std::string::npos) << out.reason;
    }
  EXPECT_EQ(node_->db().Query("SELECT COUNT(*) FROM intel_objects")->at(0).Int(0), 0);
}

ENTENTE_INSTANTIATE_BACKENDS(CommunityTest);

}  // namespace
}  // namespace entente::testing
