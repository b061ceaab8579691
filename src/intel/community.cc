#include "intel/community.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/ids.h"
#include "directory/directory.h"
#include "schema/reader.h"

namespace entente::intel {

namespace {

constexpr int kMaxVouches = 50;

const std::set<std::string>& Actions() {
  static const std::set<std::string> k = {"invite", "vouch",       "admit",
                                          "leave",  "remove_vote", "remove"};
  return k;
}

Json StringsJson(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

std::string JoinKinds(const std::vector<std::string>& kinds) {
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// ---- reads inside a transaction (the appliers') --------------------------

Result<std::optional<Charter>> CharterIn(store::Tx& tx, const std::string& id) {
  auto rows = ENTENTE_TRY(
      tx.Query("SELECT name, purpose, allowed_kinds, max_tlp, default_pap, vouches_required "
               "FROM communities WHERE id = ?",
               {id}));
  if (rows.empty()) return std::optional<Charter>();
  Charter c;
  c.name = rows[0].Text(0);
  c.purpose = rows[0].Text(1);
  for (const auto& k : Json::parse(rows[0].Text(2)))
    c.allowed_kinds.push_back(k.get<std::string>());
  c.max_tlp = rows[0].Text(3);
  c.default_pap = rows[0].Text(4);
  c.vouches_required = static_cast<int>(rows[0].Int(5));
  return std::optional<Charter>(std::move(c));
}

Result<std::string> StatusIn(store::Tx& tx, const std::string& community, const std::string& org) {
  auto rows = ENTENTE_TRY(
      tx.Query("SELECT status FROM community_members WHERE community_id = ? AND org_id = ?",
               {community, org}));
  return rows.empty() ? std::string() : rows[0].Text(0);
}

Result<std::int64_t> ActiveCount(store::Tx& tx, const std::string& community) {
  auto rows = ENTENTE_TRY(tx.Query(
      "SELECT COUNT(*) FROM community_members WHERE community_id = ? AND status = 'active'",
      {community}));
  return rows[0].Int(0);
}

// Votes of `kind` for `org` by organisations that are active members now.
Result<std::int64_t> VoteCount(store::Tx& tx, const std::string& community, const std::string& org,
                               const std::string& kind) {
  auto rows =
      ENTENTE_TRY(tx.Query("SELECT COUNT(*) FROM community_votes v JOIN community_members m "
                           "ON m.community_id = v.community_id AND m.org_id = v.voter_org "
                           "AND m.status = 'active' "
                           "WHERE v.community_id = ? AND v.org_id = ? AND v.kind = ?",
                           {community, org, kind}));
  return rows[0].Int(0);
}

Result<bool> HasVoted(store::Tx& tx, const std::string& community, const std::string& org,
                      const std::string& kind, const std::string& voter) {
  auto rows = ENTENTE_TRY(
      tx.Query("SELECT 1 FROM community_votes WHERE community_id = ? AND org_id = ? AND kind = ? "
               "AND voter_org = ?",
               {community, org, kind, voter}));
  return !rows.empty();
}

// Votes needed to admit (kind "admit") or remove ("remove") now.
Result<std::int64_t> Needed(store::Tx& tx, const std::string& community, const Charter& c,
                            const std::string& kind) {
  std::int64_t active = ENTENTE_TRY(ActiveCount(tx, community));
  std::int64_t eligible = kind == "admit" ? active : active - 1;
  return std::max<std::int64_t>(1, std::min<std::int64_t>(c.vouches_required, eligible));
}

struct ActorRef {
  std::string org;
  std::optional<std::string> user;
};

Result<ActorRef> ReadActor(schema::ObjectReader& r, const journal::Envelope& env) {
  const Json* actor = ENTENTE_TRY(r.Object("actor"));
  schema::ObjectReader ar(*actor, "body.actor");
  ENTENTE_CHECK(ar.valid());
  ActorRef a;
  a.org = ENTENTE_TRY(ar.String("org", {.max = 64}));
  a.user = ENTENTE_TRY(ar.OptString("user", {.max = 64}));
  ENTENTE_CHECK(ar.Finish());
  if (a.org != env.author_org) return Invalid("must be the signing organisation", "body.actor.org");
  return a;
}

Status CheckDistribution(const journal::Envelope& env, const std::string& community) {
  if (env.distribution.kind != journal::DistributionKind::kCommunity ||
      env.distribution.community != community)
    return Invalid("a community decision is distributed to the community", "distribution");
  return Ok();
}

}  // namespace

// ---- charter -----------------------------------------------------------------

Json Charter::ToJson() const {
  return Json{{"name", name},
              {"purpose", purpose},
              {"allowed_kinds", StringsJson(allowed_kinds)},
              {"max_tlp", max_tlp},
              {"default_pap", default_pap},
              {"vouches_required", vouches_required},
              {"single_sponsor", vouches_required == 1}};
}

Result<Charter> DecodeCharter(const Json& input, const std::string& path) {
  schema::ObjectReader r(input, path);
  ENTENTE_CHECK(r.valid());
  Charter c;
  c.name = ENTENTE_TRY(r.String("name", {.max = 200}));
  c.purpose = ENTENTE_TRY(r.String("purpose", {.max = 4000, .multiline = true}));
  c.allowed_kinds = ENTENTE_TRY(r.StringArray("allowed_kinds", 32, {.max = 64}));
  c.max_tlp = ENTENTE_TRY(r.String("max_tlp", {.max = 16}));
  c.default_pap = ENTENTE_TRY(r.OptString("default_pap", {.max = 16})).value_or("green");
  auto vouches = ENTENTE_TRY(r.OptInt("vouches_required", 1, kMaxVouches));
  auto single = ENTENTE_TRY(r.OptBool("single_sponsor")).value_or(false);
  ENTENTE_CHECK(r.Finish());
  if (c.allowed_kinds.empty())
    return Invalid("must name at least one organisation kind", r.PathOf("allowed_kinds"));
  for (size_t i = 0; i < c.allowed_kinds.size(); ++i) {
    const auto& kinds = directory::OrgKinds();
    if (std::find(kinds.begin(), kinds.end(), c.allowed_kinds[i]) == kinds.end())
      return Invalid("is not an organisation kind (" + JoinKinds(kinds) + ")",
                     r.PathOf("allowed_kinds") + "[" + std::to_string(i) + "]");
  }
  if (!journal::IsTlp(c.max_tlp))
    return Invalid("must be a TLP 2.0 label (clear, green, amber, amber+strict, red)",
                   r.PathOf("max_tlp"));
  if (!journal::IsPap(c.default_pap))
    return Invalid("must be a PAP label (clear, green, amber, red)", r.PathOf("default_pap"));
  c.vouches_required = static_cast<int>(vouches.value_or(single ? 1 : 2));
  if (c.vouches_required == 1 && !single)
    return Invalid(
        "1 (a single sponsor admits) only when the charter says so with single_sponsor: true",
        r.PathOf("vouches_required"));
  if (single && c.vouches_required != 1)
    return Invalid("a single-sponsor charter needs exactly 1 vouch", r.PathOf("vouches_required"));
  return c;
}

Json Membership::ToJson() const {
  Json j = {{"org", org_id}, {"status", status}, {"since", since}};
  if (!invited_by.empty()) j["invited_by"] = invited_by;
  if (status == "invited") j["vouches"] = StringsJson(vouches);
  if (status == "active") j["removal_votes"] = StringsJson(removal_votes);
  return j;
}

Json Community::ToJson() const {
  Json j = {{"id", id},
            {"charter", charter.ToJson()},
            {"created_by", created_by_org},
            {"created", created},
            {"my_status", my_status}};
  if (my_status == "active") {
    Json m = Json::array();
    for (const auto& x : members) m.push_back(x.ToJson());
    j["members"] = std::move(m);
  }
  return j;
}

// ---- appliers ----------------------------------------------------------------

class Communities::CharterApplier final : public journal::Applier {
 public:
  struct Body {
    std::string community;
    Charter charter;
    ActorRef actor;
  };

  static Result<Body> Read(const journal::Envelope& env) {
    if (!env.body) return Invalid("a community decision has a body", "body");
    schema::ObjectReader r(*env.body, "body");
    ENTENTE_CHECK(r.valid());
    Body b;
    b.community = ENTENTE_TRY(r.String("community", {.max = 64}));
    const Json* charter = ENTENTE_TRY(r.Object("charter"));
    b.charter = ENTENTE_TRY(DecodeCharter(*charter, "body.charter"));
    b.actor = ENTENTE_TRY(ReadActor(r, env));
    ENTENTE_CHECK(r.Finish());
    if (!IsUuid(b.community)) return Invalid("must be a UUID", "body.community");
    ENTENTE_CHECK(CheckDistribution(env, b.community));
    return b;
  }

  Status Validate(store::Tx& tx, const journal::Envelope& env) override {
    Body b = ENTENTE_TRY(Read(env));
    if (ENTENTE_TRY(CharterIn(tx, b.community)))
      return Fail(ErrorCode::kAlreadyExists, "community exists", "body.community");
    auto rows = ENTENTE_TRY(tx.Query("SELECT kind FROM orgs WHERE id = ?", {b.actor.org}));
    if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such organisation", "body.actor.org");
    const auto& kinds = b.charter.allowed_kinds;
    if (std::find(kinds.begin(), kinds.end(), rows[0].Text(0)) == kinds.end())
      return Invalid(fmt::format("the creating organisation is of kind {}, which the charter "
                                 "does not allow ({})",
                                 rows[0].Text(0), JoinKinds(kinds)),
                     "allowed_kinds");
    return Ok();
  }

  Status Apply(store::Tx& tx, const journal::Envelope& env) override {
    Body b = ENTENTE_TRY(Read(env));
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO communities (id, name, purpose, allowed_kinds, max_tlp, default_pap, "
        "vouches_required, created_by_org, created, envelope_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
        {b.community, b.charter.name, b.charter.purpose,
         StringsJson(b.charter.allowed_kinds).dump(), b.charter.max_tlp, b.charter.default_pap,
         std::int64_t{b.charter.vouches_required}, b.actor.org, env.created, env.id}));
    ENTENTE_TRY(
        tx.Exec("INSERT INTO community_members (community_id, org_id, status, invited_by, since, "
                "envelope_id) VALUES (?, ?, 'active', NULL, ?, ?)",
                {b.community, b.actor.org, env.created, env.id}));
    return Ok();
  }

  Status Reset(store::Tx& tx) override {
    ENTENTE_TRY(tx.Exec("DELETE FROM community_votes"));
    ENTENTE_TRY(tx.Exec("DELETE FROM community_members"));
    ENTENTE_TRY(tx.Exec("DELETE FROM communities"));
    return Ok();
  }
  std::vector<std::string> Tables() const override {
    return {"communities", "community_members", "community_votes"};
  }
};

class Communities::MemberApplier final : public journal::Applier {
 public:
  struct Body {
    std::string community, org, action;
    ActorRef actor;
  };

  static Result<Body> Read(const journal::Envelope& env) {
    if (!env.body) return Invalid("a community decision has a body", "body");
    schema::ObjectReader r(*env.body, "body");
    ENTENTE_CHECK(r.valid());
    Body b;
    b.community = ENTENTE_TRY(r.String("community", {.max = 64}));
    b.org = ENTENTE_TRY(r.String("org", {.max = 64}));
    b.action = ENTENTE_TRY(r.String("action", {.max = 16}));
    b.actor = ENTENTE_TRY(ReadActor(r, env));
    ENTENTE_CHECK(r.Finish());
    if (!Actions().contains(b.action)) return Invalid("unknown action", "body.action");
    ENTENTE_CHECK(CheckDistribution(env, b.community));
    return b;
  }

  Status Validate(store::Tx& tx, const journal::Envelope& env) override {
    Body b = ENTENTE_TRY(Read(env));
    auto charter = ENTENTE_TRY(CharterIn(tx, b.community));
    std::string actor_status =
        charter ? ENTENTE_TRY(StatusIn(tx, b.community, b.actor.org)) : std::string();
    // Not a community the actor is in: the same answer as no community at all.
    if (!charter || actor_status != "active")
      return Fail(ErrorCode::kNotFound, "no such community", "community");
    std::string target = ENTENTE_TRY(StatusIn(tx, b.community, b.org));
    const std::string& a = b.action;
    if (a == "leave") {
      if (b.org != b.actor.org) return Invalid("an organisation leaves for itself", "org");
      return Ok();
    }
    if (a == "invite") {
      if (b.org == b.actor.org) return Fail(ErrorCode::kConflict, "already a member", "org");
      auto rows = ENTENTE_TRY(tx.Query("SELECT kind FROM orgs WHERE id = ?", {b.org}));
      if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such organisation", "org");
      const auto& kinds = charter->allowed_kinds;
      if (std::find(kinds.begin(), kinds.end(), rows[0].Text(0)) == kinds.end())
        return Invalid(fmt::format("the organisation is of kind {}, which the charter does not "
                                   "allow ({})",
                                   rows[0].Text(0), JoinKinds(kinds)),
                       "org");
      if (target == "invited" || target == "active")
        return Fail(ErrorCode::kConflict, "already " + target, "org");
      return Ok();
    }
    if (a == "vouch" || a == "remove_vote") {
      if (b.org == b.actor.org)
        return Invalid(a == "vouch" ? "an organisation cannot vouch for itself"
                                    : "an organisation cannot vote to remove itself (it leaves)",
                       "org");
      const std::string want = a == "vouch" ? "invited" : "active";
      if (target != want)
        return Fail(target.empty() ? ErrorCode::kNotFound : ErrorCode::kConflict,
                    target.empty() ? "not in this community" : "is " + target + ", not " + want,
                    "org");
      std::string kind = a == "vouch" ? "admit" : "remove";
      if (ENTENTE_TRY(HasVoted(tx, b.community, b.org, kind, b.actor.org)))
        return Fail(ErrorCode::kConflict,
                    a == "vouch" ? "your organisation has already vouched for it"
                                 : "your organisation has already voted to remove it",
                    "org");
      return Ok();
    }
    // admit, remove: the threshold must be reached.
    const std::string want = a == "admit" ? "invited" : "active";
    if (target != want)
      return Fail(ErrorCode::kConflict, "is " + (target.empty() ? "unknown" : target), "org");
    std::string kind = a == "admit" ? "admit" : "remove";
    auto have = ENTENTE_TRY(VoteCount(tx, b.community, b.org, kind));
    auto need = ENTENTE_TRY(Needed(tx, b.community, *charter, kind));
    if (have < need)
      return Fail(ErrorCode::kFailedPrecondition, fmt::format("{} of {} votes needed", have, need),
                  "org");
    return Ok();
  }

  Status Apply(store::Tx& tx, const journal::Envelope& env) override {
    Body b = ENTENTE_TRY(Read(env));
    const std::string& a = b.action;
    auto set_status = [&](const char* status) -> Status {
      ENTENTE_TRY(
          tx.Exec("UPDATE community_members SET status = ?, since = ?, envelope_id = ? "
                  "WHERE community_id = ? AND org_id = ?",
                  {std::string(status), env.created, env.id, b.community, b.org}));
      return Ok();
    };
    auto clear_votes = [&](const char* kind) -> Status {
      ENTENTE_TRY(
          tx.Exec("DELETE FROM community_votes WHERE community_id = ? AND org_id = ? AND kind = ?",
                  {b.community, b.org, std::string(kind)}));
      return Ok();
    };
    auto vote = [&](const char* kind) -> Status {
      ENTENTE_TRY(
          tx.Exec("INSERT INTO community_votes (community_id, org_id, kind, voter_org, created, "
                  "envelope_id) VALUES (?, ?, ?, ?, ?, ?)",
                  {b.community, b.org, std::string(kind), b.actor.org, env.created, env.id}));
      return Ok();
    };
    if (a == "invite") {
      ENTENTE_TRY(
          tx.Exec("INSERT INTO community_members (community_id, org_id, status, invited_by, since, "
                  "envelope_id) VALUES (?, ?, 'invited', ?, ?, ?) "
                  "ON CONFLICT (community_id, org_id) DO UPDATE SET status = excluded.status, "
                  "invited_by = excluded.invited_by, since = excluded.since, "
                  "envelope_id = excluded.envelope_id",
                  {b.community, b.org, b.actor.org, env.created, env.id}));
      ENTENTE_TRY(clear_votes("admit"));
      ENTENTE_TRY(clear_votes("remove"));
      return vote("admit");  // the invitation is the inviter's vouch
    }
    if (a == "vouch") return vote("admit");
    if (a == "remove_vote") return vote("remove");
    if (a == "admit") {
      ENTENTE_TRY(set_status("active"));
      return clear_votes("admit");
    }
    if (a == "leave" || a == "remove") {
      ENTENTE_TRY(set_status(a == "leave" ? "left" : "removed"));
      return clear_votes("remove");
    }
    return Invalid("unknown action", "body.action");
  }

  Status Reset(store::Tx&) override { return Ok(); }  // tables owned by CharterApplier
  std::vector<std::string> Tables() const override { return {}; }
};

// ---- Communities -----------------------------------------------------------

Communities::Communities(store::Database& db, journal::Journal& journal,
                         identity::OrgKeyStore& keys, std::string node_id, const Clock& clock)
    : db_(db), journal_(journal), keys_(keys), node_id_(std::move(node_id)), clock_(clock) {}

Communities::~Communities() = default;

Status Communities::RegisterAppliers(journal::ApplierRegistry& registry) {
  charter_applier_ = std::make_unique<CharterApplier>();
  member_applier_ = std::make_unique<MemberApplier>();
  ENTENTE_CHECK(registry.Register("community.charter", charter_applier_.get()));
  ENTENTE_CHECK(registry.Register("community.member", member_applier_.get()));
  return Ok();
}

Result<journal::Envelope> Communities::Make(const CommunityActor& actor, const std::string& type,
                                            const std::string& community, Json body) {
  Json a = {{"org", actor.org_id}};
  if (!actor.user_id.empty()) a["user"] = actor.user_id;
  body["actor"] = std::move(a);
  journal::Envelope env;
  env.type = type;
  env.id = NewUuidV7(clock_);
  env.origin_node = node_id_;
  env.author_org = actor.org_id;
  env.created = clock_.NowMillis();
  env.tlp = "amber";  // membership is for the members' eyes
  env.distribution.kind = journal::DistributionKind::kCommunity;
  env.distribution.community = community;
  env.body = std::move(body);
  auto secret = ENTENTE_TRY(keys_.SigningSecret(actor.org_id));
  ENTENTE_CHECK(journal::SignEnvelope(env, secret));
  return env;
}

Result<Community> Communities::Create(const CommunityActor& actor, const Json& input) {
  Charter charter = ENTENTE_TRY(DecodeCharter(input));
  std::string id = NewUuidV7(clock_);
  auto env = ENTENTE_TRY(
      Make(actor, "community.charter", id, Json{{"community", id}, {"charter", charter.ToJson()}}));
  // The envelope carries the charter as decoded (single_sponsor included).
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(journal_.Record(tx, env, id));
    return Ok();
  }));
  return Get(actor.org_id, id);
}

Status Communities::Decide(const CommunityActor& actor, const std::string& id,
                           const std::string& org_id, const std::string& action,
                           const std::string& follow_up) {
  auto body = [&](const std::string& a) {
    return Json{{"community", id}, {"org", org_id}, {"action", a}};
  };
  auto env = ENTENTE_TRY(Make(actor, "community.member", id, body(action)));
  std::optional<journal::Envelope> then;
  if (!follow_up.empty()) then = ENTENTE_TRY(Make(actor, "community.member", id, body(follow_up)));
  return db_.Transact([&](store::Tx& tx) -> Status {
    // Decisions on one community are serialized (SQLite serializes every
    // writer; PostgreSQL at READ COMMITTED needs the row lock), so that two
    // concurrent vouches cannot both miss the threshold.
    if (db_.backend() == store::Backend::kPostgres)
      ENTENTE_TRY(tx.Query("SELECT id FROM communities WHERE id = ? FOR UPDATE", {id}));
    ENTENTE_TRY(journal_.Record(tx, env, id));
    if (!then) return Ok();
    auto charter = ENTENTE_TRY(CharterIn(tx, id));
    if (!charter) return Ok();
    std::string kind = follow_up == "admit" ? "admit" : "remove";
    auto have = ENTENTE_TRY(VoteCount(tx, id, org_id, kind));
    auto need = ENTENTE_TRY(Needed(tx, id, *charter, kind));
    if (have >= need) ENTENTE_TRY(journal_.Record(tx, *then, id));
    return Ok();
  });
}

Result<Community> Communities::Invite(const CommunityActor& actor, const std::string& id,
                                      const std::string& org_id) {
  ENTENTE_CHECK(Decide(actor, id, org_id, "invite", "admit"));
  return Get(actor.org_id, id);
}

Result<Community> Communities::Vouch(const CommunityActor& actor, const std::string& id,
                                     const std::string& org_id) {
  ENTENTE_CHECK(Decide(actor, id, org_id, "vouch", "admit"));
  return Get(actor.org_id, id);
}

Result<Community> Communities::VoteRemove(const CommunityActor& actor, const std::string& id,
                                          const std::string& org_id) {
  ENTENTE_CHECK(Decide(actor, id, org_id, "remove_vote", "remove"));
  return Get(actor.org_id, id);
}

Result<Community> Communities::Leave(const CommunityActor& actor, const std::string& id) {
  ENTENTE_CHECK(Decide(actor, id, actor.org_id, "leave", ""));
  Community c;
  c.id = id;
  c.charter = ENTENTE_TRY(CharterOf(id));
  c.my_status = "left";
  return c;
}

Result<Charter> Communities::CharterOf(const std::string& id) {
  std::optional<Charter> out;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    out = ENTENTE_TRY(CharterIn(tx, id));
    return Ok();
  }));
  if (!out) return Fail(ErrorCode::kNotFound, "no such community", "community");
  return *out;
}

Result<bool> Communities::IsActiveMember(const std::string& id, const std::string& org_id) {
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT 1 FROM community_members WHERE community_id = ? AND org_id = ? AND status = 'active'",
      {id, org_id}));
  return !rows.empty();
}

namespace {

Community FromRow(const store::Row& r) {
  // id, name, purpose, allowed_kinds, max_tlp, default_pap, vouches_required,
  // created_by_org, created, status
  Community c;
  c.id = r.Text(0);
  c.charter.name = r.Text(1);
  c.charter.purpose = r.Text(2);
  for (const auto& k : Json::parse(r.Text(3)))
    c.charter.allowed_kinds.push_back(k.get<std::string>());
  c.charter.max_tlp = r.Text(4);
  c.charter.default_pap = r.Text(5);
  c.charter.vouches_required = static_cast<int>(r.Int(6));
  c.created_by_org = r.Text(7);
  c.created = r.Int(8);
  c.my_status = r.Text(9);
  return c;
}

constexpr const char* kSelect =
    "SELECT c.id, c.name, c.purpose, c.allowed_kinds, c.max_tlp, c.default_pap, "
    "c.vouches_required, c.created_by_org, c.created, m.status FROM communities c "
    "JOIN community_members m ON m.community_id = c.id ";

}  // namespace

Result<std::vector<Community>> Communities::ListFor(const std::string& org_id) {
  auto rows = ENTENTE_TRY(db_.Query(
      std::string(kSelect) +
          "WHERE m.org_id = ? AND m.status IN ('active', 'invited') ORDER BY c.name, c.id",
      {org_id}));
  std::vector<Community> out;
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

Result<Community> Communities::Get(const std::string& org_id, const std::string& id) {
  auto rows = ENTENTE_TRY(
      db_.Query(std::string(kSelect) +
                    "WHERE c.id = ? AND m.org_id = ? AND m.status IN ('active', 'invited')",
                {id, org_id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such community", "community");
  Community c = FromRow(rows[0]);
  if (c.my_status != "active") return c;
  auto members = ENTENTE_TRY(db_.Query(
      "SELECT org_id, status, invited_by, since FROM community_members WHERE community_id = ? "
      "ORDER BY since, org_id",
      {id}));
  std::map<std::string, size_t> at;
  for (const auto& r : members) {
    at[r.Text(0)] = c.members.size();
    c.members.push_back(Membership{r.Text(0), r.Text(1), r.Text(2), r.Int(3), {}, {}});
  }
  auto votes =
      ENTENTE_TRY(db_.Query("SELECT v.org_id, v.kind, v.voter_org FROM community_votes v "
                            "JOIN community_members m ON m.community_id = v.community_id "
                            "AND m.org_id = v.voter_org AND m.status = 'active' "
                            "WHERE v.community_id = ? ORDER BY v.created, v.voter_org",
                            {id}));
  for (const auto& r : votes) {
    auto it = at.find(r.Text(0));
    if (it == at.end()) continue;
    auto& m = c.members[it->second];
    (r.Text(1) == "admit" ? m.vouches : m.removal_votes).push_back(r.Text(2));
  }
  return c;
}

}  // namespace entente::intel
