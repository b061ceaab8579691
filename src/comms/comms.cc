#include "comms/comms.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/ids.h"
#include "crypto/crypto.h"
#include "directory/reference_tables.h"
#include "jcs/jcs.h"
#include "schema/reader.h"

namespace entente::comms {

namespace {

constexpr Millis kHour = 3600 * 1000;
constexpr size_t kMaxRecipients = 500;
constexpr const char* kAadDomain = "entente.comms.message.v1";
const std::set<std::string> kClosedStates = {"closed", "declined"};

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::optional<Millis> OptMillis(const store::Row& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Int(i);
}

Json OptTime(const std::optional<Millis>& t) { return t ? Json(FormatRfc3339(*t)) : Json(); }

// Associated data binding the ciphertext to its envelope and header.
Result<std::string> Aad(const std::string& envelope_id, const Json& header) {
  auto canon = ENTENTE_TRY(jcs::Canonicalize(header));
  return std::string(kAadDomain) + '\0' + envelope_id + '\0' + canon;
}

std::unexpected<Error> DataLoss(const std::string& what, const std::string& field) {
  return Fail(ErrorCode::kDataLoss, what, field);
}

}  // namespace

const std::map<std::string, Deadlines>& DefaultDeadlines() {
  static const std::map<std::string, Deadlines> k = {
      {"urgent", {2 * kHour, 24 * kHour}},
      {"priority", {24 * kHour, 72 * kHour}},
      {"routine", {72 * kHour, 240 * kHour}},
  };
  return k;
}

Json RecipientStatus::ToJson() const {
  Json j = {{"org", org_id},
            {"state", state},
            {"escalated", escalated},
            {"ack_due", FormatRfc3339(ack_due)},
            {"response_due", OptTime(response_due)},
            {"delivered", OptTime(delivered)},
            {"acknowledged", OptTime(acknowledged)},
            {"responded", OptTime(responded)},
            {"closed", OptTime(closed)},
            {"declined", OptTime(declined)}};
  return j;
}

Json MessageSummary::ToJson() const {
  Json r = Json::array();
  for (const auto& x : recipients) r.push_back(x.ToJson());
  return {{"id", id},
          {"thread", thread_id},
          {"in_reply_to", in_reply_to ? Json(*in_reply_to) : Json()},
          {"kind", kind},
          {"version", version},
          {"author_org", author_org},
          {"sender_user", sender_user ? Json(*sender_user) : Json()},
          {"urgency", urgency},
          {"tlp", tlp},
          {"pap", pap ? Json(*pap) : Json()},
          {"check", check},
          {"needs_response", needs_response},
          {"created", FormatRfc3339(created)},
          {"recipients", r}};
}

Json OpenedMessage::ToJson() const {
  Json j = meta.ToJson();
  j["language"] = language;
  j["fields"] = fields;
  j["to_pocs"] = to_pocs;
  return j;
}

Json TimelineEvent::ToJson() const {
  return {{"id", id},
          {"message", message_id},
          {"org", org_id.empty() ? Json() : Json(org_id)},
          {"actor_org", actor_org},
          {"actor_user", actor_user ? Json(*actor_user) : Json()},
          {"action", action},
          {"stage", stage.empty() ? Json() : Json(stage)},
          {"at", FormatRfc3339(at)}};
}

Json OverdueItem::ToJson() const {
  return {{"message", message_id},    {"kind", kind},  {"urgency", urgency},
          {"author_org", author_org}, {"org", org_id}, {"stage", stage},
          {"due", FormatRfc3339(due)}};
}

// ---- header ------------------------------------------------------------------

namespace {

struct Header {
  std::string kind;
  int version = 0;
  std::string thread;
  std::optional<std::string> in_reply_to;
  bool check = false;
  std::string urgency;
  std::vector<std::string> to_pocs;
  std::optional<std::string> sender_user;
  struct Rcpt {
    std::string org;
    Millis ack_due = 0;
    std::optional<Millis> response_due;
  };
  std::vector<Rcpt> recipients;

  Json ToJson() const {
    Json r = Json::array();
    for (const auto& x : recipients) {
      Json j = {{"org", x.org}, {"ack_due", x.ack_due}};
      if (x.response_due) j["response_due"] = *x.response_due;
      r.push_back(j);
    }
    Json h = {{"kind", kind},       {"version", version}, {"thread", thread},
              {"urgency", urgency}, {"to_pocs", to_pocs}, {"recipients", r}};
    if (in_reply_to) h["in_reply_to"] = *in_reply_to;
    if (check) h["check"] = true;
    if (sender_user) h["sender_user"] = *sender_user;
    return h;
  }
};

Result<Header> ReadHeader(const Json& j) {
  schema::ObjectReader r(j, "sealed.header");
  ENTENTE_CHECK(r.valid());
  Header h;
  h.kind = ENTENTE_TRY(r.String("kind", {.max = 64}));
  h.version = static_cast<int>(ENTENTE_TRY(r.Int("version", 1, 1000)));
  h.thread = ENTENTE_TRY(r.String("thread", {.max = 64}));
  h.in_reply_to = ENTENTE_TRY(r.OptString("in_reply_to", {.max = 64}));
  h.check = ENTENTE_TRY(r.OptBool("check")).value_or(false);
  h.urgency = ENTENTE_TRY(r.String("urgency", {.max = 16}));
  h.to_pocs = ENTENTE_TRY(r.StringArray("to_pocs", 50, {.max = 64}));
  h.sender_user = ENTENTE_TRY(r.OptString("sender_user", {.max = 64}));
  const Json* rs = ENTENTE_TRY(r.Array("recipients", kMaxRecipients));
  if (rs->empty()) return Invalid("must name at least one recipient", r.PathOf("recipients"));
  for (size_t i = 0; i < rs->size(); ++i) {
    schema::ObjectReader rr((*rs)[i], r.PathOf("recipients") + "[" + std::to_string(i) + "]");
    ENTENTE_CHECK(rr.valid());
    Header::Rcpt x;
    x.org = ENTENTE_TRY(rr.String("org", {.max = 64}));
    x.ack_due = ENTENTE_TRY(rr.Int("ack_due", 0, std::int64_t{1} << 50));
    x.response_due = ENTENTE_TRY(rr.OptInt("response_due", 0, std::int64_t{1} << 50));
    ENTENTE_CHECK(rr.Finish());
    h.recipients.push_back(std::move(x));
  }
  ENTENTE_CHECK(r.Finish());
  if (!IsUuid(h.thread)) return Invalid("must be a UUID", "sealed.header.thread");
  for (const auto& p : h.to_pocs)
    if (!IsUuid(p)) return Invalid("must list UUIDs", "sealed.header.to_pocs");
  return h;
}

crypto::Sealed SealedFromJson(const Json& s, const std::vector<crypto::WrappedKey>& keys) {
  crypto::Sealed out;
  out.recipients = keys;
  out.nonce = crypto::Base64UrlDecode(s.value("nonce", "")).value_or(crypto::Bytes{});
  out.ciphertext = crypto::Base64UrlDecode(s.value("ciphertext", "")).value_or(crypto::Bytes{});
  return out;
}

// The sealed member's shape: header, wrapped keys (one per header
// recipient, same set), nonce and ciphertext in base64url.
Result<std::pair<Header, std::vector<crypto::WrappedKey>>> ReadSealed(const Json& s) {
  schema::ObjectReader r(s, "sealed");
  ENTENTE_CHECK(r.valid());
  const Json* hj = ENTENTE_TRY(r.Object("header"));
  Header h = ENTENTE_TRY(ReadHeader(*hj));
  const Json* ks = ENTENTE_TRY(r.Array("recipients", kMaxRecipients));
  auto nonce = ENTENTE_TRY(r.String("nonce", {.max = 64}));
  auto ct = ENTENTE_TRY(r.String("ciphertext", {.max = 8 << 20}));
  ENTENTE_CHECK(r.Finish());
  std::vector<crypto::WrappedKey> keys;
  std::set<std::string> orgs;
  for (size_t i = 0; i < ks->size(); ++i) {
    schema::ObjectReader kr((*ks)[i], "sealed.recipients[" + std::to_string(i) + "]");
    ENTENTE_CHECK(kr.valid());
    crypto::WrappedKey k;
    k.recipient = ENTENTE_TRY(kr.String("org", {.max = 64}));
    auto wrapped = ENTENTE_TRY(kr.String("key", {.max = 256}));
    ENTENTE_CHECK(kr.Finish());
    auto b = crypto::Base64UrlDecode(wrapped);
    if (!b) return Invalid("must be base64url", kr.PathOf("key"));
    k.wrapped = std::move(*b);
    if (!orgs.insert(k.recipient).second) return Invalid("lists an organisation twice", "sealed");
    keys.push_back(std::move(k));
  }
  std::set<std::string> header_orgs;
  for (const auto& x : h.recipients)
    if (!header_orgs.insert(x.org).second)
      return Invalid("lists an organisation twice", "sealed.header.recipients");
  if (header_orgs != orgs)
    return Invalid("the wrapped keys must match the header's recipients", "sealed.recipients");
  if (!crypto::Base64UrlDecode(nonce) || !crypto::Base64UrlDecode(ct))
    return Invalid("nonce and ciphertext must be base64url", "sealed");
  return std::pair{std::move(h), std::move(keys)};
}

Result<RecipientStatus> RecipientFromRow(const store::Row& r, size_t o) {
  RecipientStatus s;
  s.org_id = r.Text(o);
  s.state = r.Text(o + 1);
  s.escalated = r.Int(o + 2) != 0;
  s.ack_due = r.Int(o + 3);
  s.response_due = OptMillis(r, o + 4);
  s.delivered = OptMillis(r, o + 5);
  s.acknowledged = OptMillis(r, o + 6);
  s.responded = OptMillis(r, o + 7);
  s.closed = OptMillis(r, o + 8);
  s.declined = OptMillis(r, o + 9);
  return s;
}

constexpr const char* kRecipientCols =
    "org_id, state, escalated, ack_due, response_due, delivered, acknowledged, responded, "
    "closed, declined";
constexpr const char* kMessageCols =
    "id, thread_id, in_reply_to, kind, template_version, author_org, sender_user, urgency, tlp, "
    "pap, is_check, needs_response, created";

MessageSummary SummaryFromRow(const store::Row& r) {
  MessageSummary m;
  m.id = r.Text(0);
  m.thread_id = r.Text(1);
  m.in_reply_to = r.OptText(2);
  m.kind = r.Text(3);
  m.version = static_cast<int>(r.Int(4));
  m.author_org = r.Text(5);
  m.sender_user = r.OptText(6);
  m.urgency = r.Text(7);
  m.tlp = r.Text(8);
  m.pap = r.OptText(9);
  m.check = r.Int(10) != 0;
  m.needs_response = r.Int(11) != 0;
  m.created = r.Int(12);
  return m;
}

// `q` is a store::Tx or the store::Database (the rows of one message change
// only by whole-row updates, so one read needs no transaction).
template <class Queryable>
Result<std::vector<RecipientStatus>> LoadRecipients(Queryable& q, const std::string& id) {
  auto rows = ENTENTE_TRY(q.Query(std::string("SELECT ") + kRecipientCols +
                                      " FROM message_recipients WHERE message_id = ? "
                                      "ORDER BY org_id",
                                  {id}));
  std::vector<RecipientStatus> out;
  for (const auto& r : rows) out.push_back(ENTENTE_TRY(RecipientFromRow(r, 0)));
  return out;
}

}  // namespace

// ---- appliers ------------------------------------------------------------------

class Communications::MessageApplier final : public journal::Applier {
 public:
  explicit MessageApplier(Communications& c) : c_(c) {}

  Status Validate(store::Tx& tx, const journal::Envelope& env) override {
    if (!env.sealed) return Invalid("a message must be sealed", "sealed");
    auto [h, keys] = ENTENTE_TRY(ReadSealed(*env.sealed));
    const Template* t = c_.templates_.Find(h.kind, h.version);
    if (!t)
      return Invalid("no template " + h.kind + " version " + std::to_string(h.version),
                     "sealed.header.kind");
    if (!Contains(c_.templates_.Vocabulary("urgency"), h.urgency))
      return Invalid("unknown urgency", "sealed.header.urgency");
    if (env.distribution.kind != journal::DistributionKind::kOrgs)
      return Invalid("a message is distributed to named organisations", "distribution");
    std::set<std::string> dist(env.distribution.orgs.begin(), env.distribution.orgs.end());
    std::set<std::string> expect{env.author_org};
    for (const auto& x : h.recipients) {
      expect.insert(x.org);
      if (x.org == env.author_org)
        return Invalid("an organisation cannot write to itself", "sealed.header.recipients");
      if (x.ack_due <= env.created)
        return Invalid("must be after the message was created", "sealed.header.recipients");
      if (t->needs_response && (!x.response_due || *x.response_due < x.ack_due))
        return Invalid("needs a response deadline after the acknowledgement deadline",
                       "sealed.header.recipients");
      auto org = ENTENTE_TRY(tx.Query("SELECT 1 FROM orgs WHERE id = ?", {x.org}));
      if (org.empty()) return Invalid("unknown organisation " + x.org, "sealed.header.recipients");
    }
    if (dist != expect)
      return Invalid("must name the author and every recipient", "distribution.orgs");
    auto dup = ENTENTE_TRY(tx.Query("SELECT 1 FROM messages WHERE id = ?", {env.id}));
    if (!dup.empty()) return Fail(ErrorCode::kAlreadyExists, "message already recorded", "id");
    if (h.in_reply_to) {
      auto orig = ENTENTE_TRY(
          tx.Query("SELECT thread_id, author_org FROM messages WHERE id = ?", {*h.in_reply_to}));
      if (orig.empty()) return Invalid("no such message", "sealed.header.in_reply_to");
      if (orig[0].Text(0) != h.thread)
        return Invalid("must be the thread of the message replied to", "sealed.header.thread");
      auto party = ENTENTE_TRY(
          tx.Query("SELECT 1 FROM message_recipients WHERE message_id = ? AND org_id = ?",
                   {*h.in_reply_to, env.author_org}));
      if (party.empty() && orig[0].Text(1) != env.author_org)
        return Fail(ErrorCode::kPermissionDenied, "only the parties of a message may reply to it",
                    "sealed.header.in_reply_to");
    } else if (h.thread != env.id) {
      return Invalid("a new thread's id is the message id", "sealed.header.thread");
    }
    return Ok();
  }

  Status Apply(store::Tx& tx, const journal::Envelope& env) override {
    auto [h, keys] = ENTENTE_TRY(ReadSealed(*env.sealed));
    const Template* t = c_.templates_.Find(h.kind, h.version);
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO messages (id, thread_id, in_reply_to, kind, template_version, author_org, "
        "sender_user, urgency, tlp, pap, is_check, needs_response, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {env.id, h.thread,
         h.in_reply_to ? store::Value(*h.in_reply_to) : store::Value(store::Null{}), h.kind,
         std::int64_t{h.version}, env.author_org,
         h.sender_user ? store::Value(*h.sender_user) : store::Value(store::Null{}), h.urgency,
         env.tlp, env.pap ? store::Value(*env.pap) : store::Value(store::Null{}),
         std::int64_t{h.check ? 1 : 0}, std::int64_t{t && t->needs_response ? 1 : 0},
         env.created}));
    for (const auto& x : h.recipients)
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO message_recipients (message_id, org_id, state, ack_due, response_due) "
          "VALUES (?, ?, 'sent', ?, ?)",
          {env.id, x.org, x.ack_due,
           x.response_due ? store::Value(*x.response_due) : store::Value(store::Null{})}));
    ENTENTE_TRY(InsertEvent(tx, env.id, env.id, "", env.author_org, h.sender_user, "sent", "",
                            env.created));
    if (h.in_reply_to) {
      // A reply from a recipient answers the message for that recipient.
      auto rows = ENTENTE_TRY(
          tx.Query("SELECT state FROM message_recipients WHERE message_id = ? AND org_id = ?",
                   {*h.in_reply_to, env.author_org}));
      if (!rows.empty() && !kClosedStates.contains(rows[0].Text(0)) &&
          rows[0].Text(0) != "responded") {
        ENTENTE_TRY(
            tx.Exec("UPDATE message_recipients SET state = 'responded', responded = ?, "
                    "acknowledged = COALESCE(acknowledged, ?) WHERE message_id = ? AND org_id = ?",
                    {env.created, env.created, *h.in_reply_to, env.author_org}));
        ENTENTE_TRY(InsertEvent(tx, env.id + "/responded", *h.in_reply_to, env.author_org,
                                env.author_org, h.sender_user, "responded", "", env.created));
      }
    }
    return Ok();
  }

  Status Reset(store::Tx& tx) override {
    for (const auto& t : Tables()) ENTENTE_TRY(tx.Exec("DELETE FROM " + t));
    return Ok();
  }
  std::vector<std::string> Tables() const override {
    return {"messages", "message_recipients", "message_events"};
  }

  static Status InsertEvent(store::Tx& tx, const std::string& id, const std::string& message,
                            const std::string& org, const std::string& actor_org,
                            const std::optional<std::string>& actor_user, const std::string& action,
                            const std::string& stage, Millis at) {
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO message_events (id, message_id, org_id, actor_org, actor_user, action, "
        "stage, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {id, message, org, actor_org,
         actor_user ? store::Value(*actor_user) : store::Value(store::Null{}), action, stage, at}));
    return Ok();
  }

 private:
  Communications& c_;
};

class Communications::EventApplier final : public journal::Applier {
 public:
  EventApplier() = default;

  struct Body {
    std::string message, org, action, stage;
    std::optional<std::string> actor_user;
  };

  static Result<Body> Read(const journal::Envelope& env) {
    if (!env.body) return Invalid("an event has a body", "body");
    schema::ObjectReader r(*env.body, "body");
    ENTENTE_CHECK(r.valid());
    Body b;
    b.message = ENTENTE_TRY(r.String("message", {.max = 64}));
    b.org = ENTENTE_TRY(r.String("org", {.max = 64}));
    b.action = ENTENTE_TRY(r.String("action", {.max = 32}));
    b.stage = ENTENTE_TRY(r.OptString("stage", {.max = 16})).value_or("");
    const Json* actor = ENTENTE_TRY(r.Object("actor"));
    schema::ObjectReader ar(*actor, "body.actor");
    ENTENTE_CHECK(ar.valid());
    auto actor_org = ENTENTE_TRY(ar.String("org", {.max = 64}));
    b.actor_user = ENTENTE_TRY(ar.OptString("user", {.max = 64}));
    ENTENTE_CHECK(ar.Finish());
    ENTENTE_CHECK(r.Finish());
    if (actor_org != env.author_org)
      return Invalid("must be the signing organisation", "body.actor.org");
    static const std::set<std::string> kActions = {"delivered", "acknowledged", "declined",
                                                   "closed",    "escalated",    "reminded"};
    if (!kActions.contains(b.action)) return Invalid("unknown action", "body.action");
    bool staged = b.action == "escalated" || b.action == "reminded";
    if (staged != (b.stage == "ack" || b.stage == "response"))
      return Invalid(staged ? "must be ack or response" : "only for reminders and escalations",
                     "body.stage");
    return b;
  }

  Status Validate(store::Tx& tx, const journal::Envelope& env) override {
    Body b = ENTENTE_TRY(Read(env));
    auto m = ENTENTE_TRY(
        tx.Query("SELECT m.author_org, m.needs_response, r.state, r.acknowledged, r.responded, "
                 "r.escalated FROM messages m JOIN message_recipients r ON r.message_id = m.id "
                 "WHERE m.id = ? AND r.org_id = ?",
                 {b.message, b.org}));
    if (m.empty()) return Fail(ErrorCode::kNotFound, "no such message for that recipient", "body");
    std::string author = m[0].Text(0), state = m[0].Text(2);
    bool needs_response = m[0].Int(1) != 0, acked = !m[0].IsNull(3), responded = !m[0].IsNull(4);
    auto conflict = [&](const std::string& why) {
      return Fail(ErrorCode::kConflict, why + " (state " + state + ")", "body.action");
    };
    bool by_recipient = env.author_org == b.org, by_sender = env.author_org == author;
    if (env.distribution.kind != journal::DistributionKind::kOrgs ||
        std::set<std::string>(env.distribution.orgs.begin(), env.distribution.orgs.end()) !=
            std::set<std::string>{author, b.org})
      return Invalid("an event goes to the sender and the recipient concerned",
                     "distribution.orgs");
    if (kClosedStates.contains(state)) return conflict("the exchange is over");
    if (b.action == "delivered") {
      if (!by_recipient)
        return Fail(ErrorCode::kPermissionDenied,
                    "only the recipient's node "
                    "records delivery");
      if (state != "sent") return conflict("already delivered");
    } else if (b.action == "acknowledged" || b.action == "declined") {
      if (!by_recipient)
        return Fail(ErrorCode::kPermissionDenied,
                    "only the recipient may " +
                        std::string(b.action == "declined" ? "decline" : "acknowledge"));
      if (b.action == "acknowledged" && acked) return conflict("already acknowledged");
      if (responded) return conflict("already responded");
    } else if (b.action == "closed") {
      if (!by_sender && !by_recipient)
        return Fail(ErrorCode::kPermissionDenied, "only the parties may close an exchange");
    } else {  // escalated, reminded
      if (!by_sender && !by_recipient)
        return Fail(ErrorCode::kPermissionDenied, "only the parties' nodes escalate");
      if (b.stage == "ack" && acked) return conflict("already acknowledged");
      if (b.stage == "response" && (!needs_response || !acked || responded))
        return conflict("no response is awaited");
    }
    return Ok();
  }

  Status Apply(store::Tx& tx, const journal::Envelope& env) override {
    Body b = ENTENTE_TRY(Read(env));
    std::string sql;
    if (b.action == "delivered") {
      sql = "UPDATE message_recipients SET state = 'delivered', delivered = ?";
    } else if (b.action == "acknowledged") {
      sql = "UPDATE message_recipients SET state = 'acknowledged', acknowledged = ?";
    } else if (b.action == "declined") {
      sql = "UPDATE message_recipients SET state = 'declined', declined = ?";
    } else if (b.action == "closed") {
      sql = "UPDATE message_recipients SET state = 'closed', closed = ?";
    } else if (b.action == "escalated") {
      sql =
          "UPDATE message_recipients SET state = 'escalated', escalated = 1, "
          "delivered = COALESCE(delivered, ?)";
    }
    if (!sql.empty())
      ENTENTE_TRY(
          tx.Exec(sql + " WHERE message_id = ? AND org_id = ?", {env.created, b.message, b.org}));
    return MessageApplier::InsertEvent(tx, env.id, b.message, b.org, env.author_org, b.actor_user,
                                       b.action, b.stage, env.created);
  }

  Status Reset(store::Tx&) override { return Ok(); }  // tables owned by MessageApplier
  std::vector<std::string> Tables() const override { return {}; }
};

Status Communications::EventBodyReader(const journal::Envelope& env) {
  ENTENTE_TRY(EventApplier::Read(env));
  return Ok();
}

Result<std::vector<std::string>> ReadSealedMessage(const Json& sealed) {
  auto [h, keys] = ENTENTE_TRY(ReadSealed(sealed));
  std::vector<std::string> out;
  for (const auto& r : h.recipients) out.push_back(r.org);
  return out;
}

Status ReadEventBody(const Json& body) {
  journal::Envelope env;
  env.body = body;
  if (body.is_object() && body.contains("actor") && body["actor"].is_object() &&
      body["actor"].contains("org") && body["actor"]["org"].is_string())
    env.author_org = body["actor"]["org"].get<std::string>();
  ENTENTE_TRY(Communications::EventBodyReader(env));
  return Ok();
}

// ---- Communications ----------------------------------------------------------

Communications::Communications(store::Database& db, journal::Journal& journal,
                               identity::OrgKeyStore& keys, const identity::MasterKey& master,
                               directory::Directory& directory, jobs::JobQueue& jobs,
                               const Clock& clock, std::string node_id, std::string base_url)
    : db_(db),
      journal_(journal),
      keys_(keys),
      master_(master),
      directory_(directory),
      jobs_(jobs),
      clock_(clock),
      node_id_(std::move(node_id)),
      base_url_(std::move(base_url)),
      templates_(TemplateSet::Embedded()) {}

Communications::~Communications() = default;

Status Communications::RegisterAppliers(journal::ApplierRegistry& registry) {
  message_applier_ = std::make_unique<MessageApplier>(*this);
  event_applier_ = std::make_unique<EventApplier>();
  ENTENTE_CHECK(registry.Register("comms.message", message_applier_.get()));
  ENTENTE_CHECK(registry.Register("comms.event", event_applier_.get()));
  return Ok();
}

Result<journal::Envelope> Communications::Sign(const Actor& actor, journal::Envelope env) {
  auto secret = ENTENTE_TRY(keys_.SigningSecret(actor.org_id));
  ENTENTE_CHECK(journal::SignEnvelope(env, secret));
  return env;
}

Result<Deadlines> Communications::DeadlinesFor(const std::string& org_id,
                                               const std::string& urgency) {
  auto d = DefaultDeadlines().find(urgency);
  if (d == DefaultDeadlines().end()) return Invalid("unknown urgency", "urgency");
  Deadlines out = d->second;
  auto node = ENTENTE_TRY(
      db_.Query("SELECT ack_ms, response_ms FROM comms_policy WHERE grouping = '' AND urgency = ?",
                {urgency}));
  if (!node.empty()) out = {node[0].Int(0), node[0].Int(1)};
  // The strictest policy among the recipient's groupings, where any is set.
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT MIN(p.ack_ms), MIN(p.response_ms) FROM comms_policy p "
      "JOIN org_groupings g ON g.grouping = p.grouping WHERE g.org_id = ? AND p.urgency = ?",
      {org_id, urgency}));
  if (!rows.empty() && !rows[0].IsNull(0)) out = {rows[0].Int(0), rows[0].Int(1)};
  return out;
}

Result<MessageSummary> Communications::Send(const Actor& actor, const Json& input) {
  if (input.is_object() && (input.contains("check") || input.contains("ack_window_ms")))
    return Invalid("communication checks are started as checks",
                   input.contains("check") ? "check" : "ack_window_ms");
  return Compose(actor, input);
}

Result<MessageSummary> Communications::Compose(const Actor& actor, const Json& input) {
  schema::ObjectReader r(input);
  ENTENTE_CHECK(r.valid());
  auto kind = ENTENTE_TRY(r.String("kind", {.max = 64}));
  auto version = ENTENTE_TRY(r.OptInt("version", 1, 1000));
  auto recipients = ENTENTE_TRY(r.StringArray("recipients", kMaxRecipients, {.max = 64}));
  auto to_pocs = ENTENTE_TRY(r.StringArray("to_pocs", 50, {.max = 64}, false));
  auto tlp = ENTENTE_TRY(r.String("tlp", {.max = 16}));
  auto pap = ENTENTE_TRY(r.OptString("pap", {.max = 16}));
  auto language = ENTENTE_TRY(r.String("language", {.max = 35}));
  auto in_reply_to = ENTENTE_TRY(r.OptString("in_reply_to", {.max = 64}));
  auto check = ENTENTE_TRY(r.OptBool("check")).value_or(false);
  auto window = ENTENTE_TRY(r.OptInt("ack_window_ms", 60'000, 30LL * 24 * kHour));
  const Json* fields = ENTENTE_TRY(r.Object("fields"));
  ENTENTE_CHECK(r.Finish());

  const Template* t =
      version ? templates_.Find(kind, static_cast<int>(*version)) : templates_.Latest(kind);
  if (!t) {
    if (!templates_.Latest(kind))
      return Invalid("must be one of " + Json(templates_.Kinds()).dump(), "kind");
    return Invalid("no such version of template " + kind, "version");
  }
  if ((kind == "response") != in_reply_to.has_value())
    return Invalid(kind == "response" ? "a response names the message it answers"
                                      : "only a response answers a message",
                   "in_reply_to");
  if (check != (kind == "communication_check"))
    return Invalid("communication checks are started as checks", "kind");
  if (!journal::IsTlp(tlp)) return Invalid("must be a TLP 2.0 label", "tlp");
  if (pap && !journal::IsPap(*pap)) return Invalid("must be a PAP label", "pap");
  if (!directory::IsLanguageTag(language))
    return Invalid("must be a BCP 47 language tag", "language");
  if (recipients.empty()) return Invalid("must name at least one organisation", "recipients");
  std::set<std::string> seen;
  for (size_t i = 0; i < recipients.size(); ++i) {
    std::string at = "recipients[" + std::to_string(i) + "]";
    if (!seen.insert(recipients[i]).second) return Invalid("is listed twice", at);
    if (recipients[i] == actor.org_id) return Invalid("is your own organisation", at);
  }
  FieldContext ctx;
  ctx.is_own_poc = [&](const std::string& poc) {
    auto rows = db_.Query("SELECT 1 FROM pocs WHERE id = ? AND org_id = ?", {poc, actor.org_id});
    return rows && !rows->empty();
  };
  Json normal = ENTENTE_TRY(templates_.Validate(*t, *fields, ctx));
  std::string urgency = normal.at("urgency").get<std::string>();

  // Recipients: known, with an encryption key; addressed contacts theirs.
  std::vector<std::string> box_keys;
  std::vector<crypto::Bytes> raw_keys;
  for (size_t i = 0; i < recipients.size(); ++i) {
    std::string at = "recipients[" + std::to_string(i) + "]";
    if (!IsUuid(recipients[i])) return Invalid("is not an organisation id", at);
    auto rows = ENTENTE_TRY(db_.Query("SELECT box_public FROM orgs WHERE id = ?", {recipients[i]}));
    if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such organisation", at);
    auto key = crypto::Base64UrlDecode(rows[0].Text(0));
    if (!key || key->size() != crypto::kBoxPublicKeyBytes)
      return Fail(ErrorCode::kFailedPrecondition,
                  "this organisation has no encryption key: nothing can be sealed for it", at);
    raw_keys.push_back(std::move(*key));
  }
  for (size_t i = 0; i < to_pocs.size(); ++i) {
    std::string at = "to_pocs[" + std::to_string(i) + "]";
    if (!IsUuid(to_pocs[i])) return Invalid("is not a point of contact id", at);
    auto rows = ENTENTE_TRY(db_.Query("SELECT org_id FROM pocs WHERE id = ?", {to_pocs[i]}));
    if (rows.empty() || !Contains(recipients, rows[0].Text(0)))
      return Invalid("is not a point of contact of a recipient", at);
  }

  Header h;
  h.kind = t->kind;
  h.version = t->version;
  h.urgency = urgency;
  h.to_pocs = to_pocs;
  h.check = check;
  if (!actor.user_id.empty()) h.sender_user = actor.user_id;
  journal::Envelope env;
  env.type = "comms.message";
  env.id = NewUuidV7(clock_);
  env.origin_node = node_id_;
  env.author_org = actor.org_id;
  env.created = clock_.NowMillis();
  env.tlp = tlp;
  env.pap = pap;
  env.distribution.kind = journal::DistributionKind::kOrgs;
  env.distribution.orgs = recipients;
  env.distribution.orgs.push_back(actor.org_id);
  std::sort(env.distribution.orgs.begin(), env.distribution.orgs.end());
  h.thread = env.id;
  if (in_reply_to) {
    auto orig = ENTENTE_TRY(Get(actor, *in_reply_to));
    h.thread = orig.thread_id;
    h.in_reply_to = *in_reply_to;
  }
  for (const auto& org : recipients) {
    Header::Rcpt x{org, 0, std::nullopt};
    Deadlines d = ENTENTE_TRY(DeadlinesFor(org, urgency));
    if (window) d.ack_ms = *window;
    x.ack_due = env.created + d.ack_ms;
    if (t->needs_response) x.response_due = env.created + std::max(d.response_ms, d.ack_ms);
    h.recipients.push_back(x);
  }
  Json header = h.ToJson();
  auto plaintext = ENTENTE_TRY(jcs::Canonicalize(Json{{"language", language}, {"fields", normal}}));
  auto aad = ENTENTE_TRY(Aad(env.id, header));
  std::vector<crypto::Recipient> rcpts;
  for (size_t i = 0; i < recipients.size(); ++i) rcpts.push_back({recipients[i], raw_keys[i]});
  auto sealed = ENTENTE_TRY(crypto::Seal(crypto::AsBytes(plaintext), rcpts, crypto::AsBytes(aad)));
  Json wrapped = Json::array();
  for (const auto& w : sealed.recipients)
    wrapped.push_back({{"org", w.recipient}, {"key", crypto::Base64UrlEncode(w.wrapped)}});
  env.sealed = Json{{"header", header},
                    {"recipients", wrapped},
                    {"nonce", crypto::Base64UrlEncode(sealed.nonce)},
                    {"ciphertext", crypto::Base64UrlEncode(sealed.ciphertext)}};
  env = ENTENTE_TRY(Sign(actor, std::move(env)));
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(journal_.Record(tx, env, env.id));
    return EnqueueFollowUps(tx, env);
  }));
  return Load(env.id);
}

Status Communications::EnqueueFollowUps(store::Tx& tx, const journal::Envelope& env) {
  if (env.type != "comms.message") return Ok();
  auto [h, keys] = ENTENTE_TRY(ReadSealed(*env.sealed));
  for (const auto& x : h.recipients) {
    if (!keys_.Holds(x.org)) continue;  // another node delivers to it
    auto add = [&](const std::string& kind, const std::string& stage, Millis at) -> Status {
      jobs::NewJob j;
      j.kind = kind;
      j.payload = {{"message", env.id}, {"org", x.org}, {"stage", stage}};
      j.dedupe_key = kind + ":" + stage + ":" + env.id + ":" + x.org;
      j.run_at = at;
      ENTENTE_TRY(jobs_.Enqueue(tx, j));
      return Ok();
    };
    ENTENTE_CHECK(add("comms.deliver", "", env.created));
    ENTENTE_CHECK(add("comms.remind", "ack", x.ack_due - (x.ack_due - env.created) / 4));
    ENTENTE_CHECK(add("comms.escalate", "ack", x.ack_due));
    if (x.response_due) {
      ENTENTE_CHECK(
          add("comms.remind", "response", *x.response_due - (*x.response_due - x.ack_due) / 4));
      ENTENTE_CHECK(add("comms.escalate", "response", *x.response_due));
    }
  }
  return Ok();
}

Result<MessageSummary> Communications::Load(const std::string& id) {
  // Plain reads, no write transaction: a message row never changes, and
  // its recipients' rows are read in one statement.
  auto rows = ENTENTE_TRY(
      db_.Query(std::string("SELECT ") + kMessageCols + " FROM messages WHERE id = ?", {id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such message");
  MessageSummary m = SummaryFromRow(rows[0]);
  m.recipients = ENTENTE_TRY(LoadRecipients(db_, id));
  return m;
}

Status Communications::CheckParty(const Actor& actor, const MessageSummary& m) {
  if (actor.org_id == m.author_org) return Ok();
  for (const auto& r : m.recipients)
    if (r.org_id == actor.org_id) return Ok();
  // Same answer as a missing message: existence is not disclosed.
  return Fail(ErrorCode::kNotFound, "no such message");
}

Result<MessageSummary> Communications::Get(const Actor& actor, const std::string& id) {
  if (!IsUuid(id)) return Fail(ErrorCode::kNotFound, "no such message");
  auto m = ENTENTE_TRY(Load(id));
  ENTENTE_CHECK(CheckParty(actor, m));
  return m;
}

Result<OpenedMessage> Communications::Open(const Actor& actor, const std::string& id) {
  auto m = ENTENTE_TRY(Get(actor, id));
  auto entry = ENTENTE_TRY(journal_.ReadById(id));
  if (!entry || !entry->envelope.sealed)
    return DataLoss("the message's envelope is missing from the journal", "id");
  const journal::Envelope& env = entry->envelope;
  auto [h, keys] = ENTENTE_TRY(ReadSealed(*env.sealed));
  // The sender opens with a recipient's key when it hosts one; otherwise its
  // own copy: the sender's organisation is always able to read what it sent
  // because the node re-wraps for it (below).
  std::string as = actor.org_id;
  bool is_recipient = false;
  for (const auto& k : keys) is_recipient = is_recipient || k.recipient == as;
  if (!is_recipient) {
    as.clear();
    for (const auto& k : keys)
      if (keys_.Holds(k.recipient)) {
        as = k.recipient;
        break;
      }
    if (as.empty())
      return Fail(ErrorCode::kFailedPrecondition,
                  "this node holds no key that opens the message (its recipients are homed "
                  "elsewhere)");
  }
  auto box = ENTENTE_TRY(keys_.BoxKeys(as));
  auto aad = ENTENTE_TRY(Aad(env.id, *(*env.sealed).find("header")));
  auto plain = crypto::Open(SealedFromJson(*env.sealed, keys), as, box, crypto::AsBytes(aad));
  if (!plain) return DataLoss("the message does not open: " + plain.error().message, "sealed");
  auto body = ENTENTE_TRY(jcs::ParseUntrusted(
      std::string_view(reinterpret_cast<const char*>(plain->data()), plain->size())));
  OpenedMessage out;
  out.meta = std::move(m);
  out.language = body.value("language", "");
  out.fields = body.value("fields", Json::object());
  out.to_pocs = h.to_pocs;
  return out;
}

Result<MessagePage> Communications::List(const Actor& actor, const ListQuery& q) {
  if (q.limit < 1 || q.limit > 200) return Invalid("must be from 1 to 200", "limit");
  if (!q.state.empty() && !Contains(templates_.Vocabulary("state"), q.state))
    return Invalid("unknown state", "state");
  if (!q.kind.empty() && !templates_.Latest(q.kind)) return Invalid("unknown kind", "kind");
  if (!q.before.empty() && !IsUuid(q.before)) return Invalid("must be a message id", "before");
  std::string sql = std::string("SELECT ") + kMessageCols + " FROM messages m WHERE ";
  store::Params p;
  if (q.box == Box::kSent) {
    sql += "m.author_org = ?";
    p.push_back(actor.org_id);
    if (!q.state.empty()) {
      sql +=
          " AND EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND "
          "r.state = ?)";
      p.push_back(q.state);
    }
  } else {
    sql +=
        "EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND "
        "r.org_id = ?";
    p.push_back(actor.org_id);
    if (!q.state.empty()) {
      sql += " AND r.state = ?";
      p.push_back(q.state);
    }
    sql += ")";
  }
  if (!q.kind.empty()) {
    sql += " AND m.kind = ?";
    p.push_back(q.kind);
  }
  if (q.check) sql += " AND m.is_check = 1";
  if (!q.before.empty()) {
    sql += " AND m.id < ?";
    p.push_back(q.before);
  }
  sql += " ORDER BY m.id DESC LIMIT ?";
  p.push_back(std::int64_t{q.limit + 1});
  MessagePage page;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    auto rows = ENTENTE_TRY(tx.Query(sql, p));
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(q.limit); ++i) {
      auto m = SummaryFromRow(rows[i]);
      m.recipients = ENTENTE_TRY(LoadRecipients(tx, m.id));
      page.items.push_back(std::move(m));
    }
    if (rows.size() > static_cast<size_t>(q.limit)) page.next = page.items.back().id;
    return Ok();
  }));
  return page;
}

Result<std::vector<TimelineEvent>> Communications::Timeline(const Actor& actor,
                                                            const std::string& id) {
  auto m = ENTENTE_TRY(Get(actor, id));
  // The whole thread: the message, its replies and every transition.
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT e.id, e.message_id, e.org_id, e.actor_org, e.actor_user, e.action, e.stage, e.at "
      "FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.thread_id = ? "
      "ORDER BY e.at, e.id",
      {m.thread_id}));
  std::vector<TimelineEvent> out;
  for (const auto& r : rows) {
    TimelineEvent e;
    e.id = r.Text(0);
    e.message_id = r.Text(1);
    e.org_id = r.Text(2);
    e.actor_org = r.Text(3);
    e.actor_user = r.OptText(4);
    e.action = r.Text(5);
    e.stage = r.Text(6);
    e.at = r.Int(7);
    out.push_back(std::move(e));
  }
  return out;
}

Status Communications::RecordEvent(const Actor& actor, const std::string& message_id,
                                   const std::string& org, const std::string& action,
                                   const std::string& stage) {
  auto m = ENTENTE_TRY(Load(message_id));
  journal::Envelope env;
  env.type = "comms.event";
  env.id = NewUuidV7(clock_);
  env.origin_node = node_id_;
  env.author_org = actor.org_id;
  env.created = clock_.NowMillis();
  env.tlp = m.tlp == "clear" ? "clear" : (m.tlp == "green" ? "green" : "amber");
  if (m.tlp == "red" || m.tlp == "amber+strict") env.tlp = m.tlp;
  env.distribution.kind = journal::DistributionKind::kOrgs;
  env.distribution.orgs = {m.author_org, org};
  std::sort(env.distribution.orgs.begin(), env.distribution.orgs.end());
  Json actor_json = {{"org", actor.org_id}};
  if (!actor.user_id.empty()) actor_json["user"] = actor.user_id;
  Json body = {{"message", message_id}, {"org", org}, {"action", action}, {"actor", actor_json}};
  if (!stage.empty()) body["stage"] = stage;
  env.body = body;
  env = ENTENTE_TRY(Sign(actor, std::move(env)));
  ENTENTE_TRY(journal_.RecordOne(env, message_id));
  return Ok();
}

Status Communications::Acknowledge(const Actor& actor, const std::string& id) {
  auto m = ENTENTE_TRY(Get(actor, id));
  if (m.author_org == actor.org_id)
    return Fail(ErrorCode::kPermissionDenied, "only a recipient acknowledges a message");
  return RecordEvent(actor, id, actor.org_id, "acknowledged", "");
}

Status Communications::Decline(const Actor& actor, const std::string& id) {
  auto m = ENTENTE_TRY(Get(actor, id));
  if (m.author_org == actor.org_id)
    return Fail(ErrorCode::kPermissionDenied, "only a recipient declines a message");
  return RecordEvent(actor, id, actor.org_id, "declined", "");
}

Result<MessageSummary> Communications::Respond(const Actor& actor, const std::string& id,
                                               const Json& input) {
  auto m = ENTENTE_TRY(Get(actor, id));
  if (!input.is_object()) return Invalid("must be an object", "body");
  Json j = input;
  if (j.contains("kind") || j.contains("in_reply_to") || j.contains("recipients"))
    return Invalid("a response's kind, thread and recipients are implied", "body");
  j["kind"] = "response";
  j["in_reply_to"] = id;
  // To the other party: the sender answers the recipients; a recipient the sender.
  Json to = Json::array();
  if (m.author_org == actor.org_id) {
    for (const auto& r : m.recipients) to.push_back(r.org_id);
  } else {
    to.push_back(m.author_org);
  }
  j["recipients"] = to;
  if (!j.contains("tlp")) j["tlp"] = m.tlp;
  return Send(actor, j);
}

Status Communications::Close(const Actor& actor, const std::string& id, const std::string& org) {
  auto m = ENTENTE_TRY(Get(actor, id));
  if (m.author_org != actor.org_id) {
    if (!org.empty() && org != actor.org_id)
      return Fail(ErrorCode::kPermissionDenied, "a recipient closes only its own exchange", "org");
    return RecordEvent(actor, id, actor.org_id, "closed", "");
  }
  bool any = false;
  for (const auto& r : m.recipients) {
    if (!org.empty() && r.org_id != org) continue;
    any = true;
    if (kClosedStates.contains(r.state)) {
      if (!org.empty()) return Fail(ErrorCode::kConflict, "the exchange is over", "org");
      continue;
    }
    ENTENTE_CHECK(RecordEvent(actor, id, r.org_id, "closed", ""));
  }
  if (!any) return Invalid("is not a recipient of the message", "org");
  return Ok();
}

Result<std::vector<OverdueItem>> Communications::Overdue(const Actor& actor, bool all) {
  Millis now = clock_.NowMillis();
  std::string sql =
      "SELECT m.id, m.kind, m.urgency, m.author_org, r.org_id, r.ack_due, r.response_due, "
      "r.acknowledged FROM message_recipients r JOIN messages m ON m.id = r.message_id "
      "WHERE r.state NOT IN ('closed', 'declined', 'responded') AND "
      "((r.acknowledged IS NULL AND r.ack_due < ?) OR "
      "(m.needs_response = 1 AND r.acknowledged IS NOT NULL AND r.response_due < ?))";
  store::Params p{now, now};
  if (!all) {
    sql += " AND (m.author_org = ? OR r.org_id = ?)";
    p.push_back(actor.org_id);
    p.push_back(actor.org_id);
  }
  sql += " ORDER BY r.ack_due LIMIT 1000";
  auto rows = ENTENTE_TRY(db_.Query(sql, p));
  std::vector<OverdueItem> out;
  for (const auto& r : rows) {
    OverdueItem o;
    o.message_id = r.Text(0);
    o.kind = r.Text(1);
    o.urgency = r.Text(2);
    o.author_org = r.Text(3);
    o.org_id = r.Text(4);
    bool acked = !r.IsNull(7);
    o.stage = acked ? "response" : "ack";
    o.due = acked ? r.Int(6) : r.Int(5);
    out.push_back(std::move(o));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.due < b.due; });
  return out;
}

// ---- policy and webhooks -------------------------------------------------------

Result<Json> Communications::Policy() {
  Json out = {
      {"defaults", Json::object()}, {"node", Json::object()}, {"groupings", Json::object()}};
  for (const auto& [u, d] : DefaultDeadlines())
    out["defaults"][u] = {{"ack_ms", d.ack_ms}, {"response_ms", d.response_ms}};
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT grouping, urgency, ack_ms, response_ms FROM comms_policy ORDER BY grouping, "
      "urgency"));
  for (const auto& r : rows) {
    Json d = {{"ack_ms", r.Int(2)}, {"response_ms", r.Int(3)}};
    if (r.Text(0).empty())
      out["node"][r.Text(1)] = d;
    else
      out["groupings"][r.Text(0)][r.Text(1)] = d;
  }
  return out;
}

Status Communications::SetPolicy(const std::string& grouping, const std::string& urgency,
                                 Millis ack_ms, Millis response_ms) {
  if (!DefaultDeadlines().contains(urgency))
    return Invalid("must be routine, priority or urgent", "urgency");
  if (!grouping.empty()) {
    static const std::string kAllowed =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
    if (grouping.size() > 16 || grouping.find_first_not_of(kAllowed) != std::string::npos)
      return Invalid("is not a grouping name", "grouping");
  }
  if (ack_ms < 60'000 || ack_ms > 90 * 24 * kHour)
    return Invalid("must be from 1 minute to 90 days", "ack_ms");
  if (response_ms < ack_ms || response_ms > 365 * 24 * kHour)
    return Invalid("must be at least the acknowledgement deadline and at most a year",
                   "response_ms");
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM comms_policy WHERE grouping = ? AND urgency = ?",
                        {grouping, urgency}));
    ENTENTE_TRY(
        tx.Exec("INSERT INTO comms_policy (grouping, urgency, ack_ms, response_ms, updated) VALUES "
                "(?, ?, ?, ?, ?)",
                {grouping, urgency, ack_ms, response_ms, clock_.NowMillis()}));
    return Ok();
  }));
  return Ok();
}

Result<std::string> Communications::SetWebhook(const std::string& org_id, const std::string& url) {
  bool https = url.rfind("https://", 0) == 0, http = url.rfind("http://", 0) == 0;
  if ((!https && !http) || url.size() > 2000 || url.find_first_of(" \r\n\t") != std::string::npos)
    return Invalid("must be an http or https URL", "url");
  std::string secret = "whsec_" + crypto::RandomToken(32);
  auto enc = ENTENTE_TRY(master_.Encrypt(crypto::AsBytes(secret), "webhook:" + org_id));
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM org_webhooks WHERE org_id = ?", {org_id}));
    ENTENTE_TRY(
        tx.Exec("INSERT INTO org_webhooks (org_id, url, secret_enc, updated) VALUES (?, ?, ?, ?)",
                {org_id, url, enc, clock_.NowMillis()}));
    return Ok();
  }));
  return secret;
}

Status Communications::RemoveWebhook(const std::string& org_id) {
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM org_webhooks WHERE org_id = ?", {org_id}));
    return Ok();
  });
}

Result<std::optional<std::string>> Communications::WebhookUrl(const std::string& org_id) {
  auto rows = ENTENTE_TRY(db_.Query("SELECT url FROM org_webhooks WHERE org_id = ?", {org_id}));
  if (rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>(rows[0].Text(0));
}

// ---- jobs ----------------------------------------------------------------------

Result<int> Communications::RunJobs(const std::string& owner, int limit) {
  jobs::Handlers h;
  h["comms.deliver"] = [this](const jobs::Job& j) { return Deliver(j); };
  h["comms.remind"] = [this](const jobs::Job& j) { return Remind(j); };
  h["comms.escalate"] = [this](const jobs::Job& j) { return Escalate(j); };
  return jobs_.RunDue(owner, h, limit);
}

namespace {
struct JobTarget {
  std::string message, org, stage;
};
Result<JobTarget> Target(const jobs::Job& j) {
  if (!j.payload.is_object() || !j.payload.contains("message") || !j.payload.contains("org"))
    return Invalid("malformed job payload", "payload");
  return JobTarget{j.payload["message"].get<std::string>(), j.payload["org"].get<std::string>(),
                   j.payload.value("stage", "")};
}
const RecipientStatus* Find(const MessageSummary& m, const std::string& org) {
  for (const auto& r : m.recipients)
    if (r.org_id == org) return &r;
  return nullptr;
}
}  // namespace

Status Communications::Deliver(const jobs::Job& job) {
  auto t = ENTENTE_TRY(Target(job));
  auto m = ENTENTE_TRY(Load(t.message));
  const RecipientStatus* r = Find(m, t.org);
  if (!r) return Ok();
  if (r->state == "sent") {
    ENTENTE_CHECK(RecordEvent(Actor{"", t.org}, t.message, t.org, "delivered", ""));
    if (!notifier_) return Ok();
    m = ENTENTE_TRY(Load(t.message));  // notices show the state after delivery
  }
  return Notify(m, t.org, "new", false);
}

Status Communications::Remind(const jobs::Job& job) {
  auto t = ENTENTE_TRY(Target(job));
  auto m = ENTENTE_TRY(Load(t.message));
  const RecipientStatus* r = Find(m, t.org);
  if (!r || kClosedStates.contains(r->state) || r->responded) return Ok();
  if (t.stage == "ack" && r->acknowledged) return Ok();
  if (t.stage == "response" && !r->acknowledged) return Ok();  // still at the first stage
  ENTENTE_CHECK(RecordEvent(Actor{"", t.org}, t.message, t.org, "reminded", t.stage));
  return Notify(m, t.org, "reminder", false);
}

Status Communications::Escalate(const jobs::Job& job) {
  auto t = ENTENTE_TRY(Target(job));
  auto m = ENTENTE_TRY(Load(t.message));
  const RecipientStatus* r = Find(m, t.org);
  if (!r || kClosedStates.contains(r->state) || r->responded) return Ok();
  if (t.stage == "ack" && r->acknowledged) return Ok();
  if (t.stage == "response" && !r->acknowledged) return Ok();
  ENTENTE_CHECK(RecordEvent(Actor{"", t.org}, t.message, t.org, "escalated", t.stage));
  return Notify(m, t.org, "escalated", true);
}

Status Communications::Notify(const MessageSummary& m, const std::string& org,
                              const std::string& notice, bool all_contacts) {
  if (!notifier_) return Ok();
  const RecipientStatus* r = Find(m, org);
  if (!r) return Ok();
  // Who: the contacts the message addressed, else (and on escalation) all
  // of the organisation's contacts with an email channel.
  auto entry = ENTENTE_TRY(journal_.ReadById(m.id));
  std::vector<std::string> to_pocs;
  if (entry && entry->envelope.sealed) {
    auto hs = ReadSealed(*entry->envelope.sealed);
    if (hs) to_pocs = hs->first.to_pocs;
  }
  directory::PocQuery q;
  q.org = org;
  q.limit = 200;
  auto pocs = ENTENTE_TRY(directory_.SearchPocs(q));
  std::vector<std::string> to;
  std::string lang;  // the first of the six languages a recipient speaks
  for (const auto& p : pocs.items) {
    bool addressed = to_pocs.empty() || Contains(to_pocs, p.id);
    if (!all_contacts && !addressed) continue;
    for (const auto& c : p.channels)
      if (c.type == "email" && !Contains(to, c.value)) {
        to.push_back(c.value);
        for (const auto& l : p.languages) {
          std::string primary = l.substr(0, l.find('-'));
          if (lang.empty() && Contains(UiLanguages(), primary)) lang = primary;
        }
      }
  }
  if (lang.empty()) lang = "en";
  const Json& labels = templates_.Labels(lang);
  auto text = [&](const std::string& key) {
    Json::json_pointer p("/notice/" + key);
    return labels.contains(p) ? labels.at(p).get<std::string>()
                              : templates_.Labels("en").at(p).get<std::string>();
  };
  auto fill = [&](std::string s) {
    auto sender = directory_.GetOrg(m.author_org);
    std::string sender_name = m.author_org;
    if (sender && !sender->names.empty())
      sender_name =
          sender->names.contains(lang) ? sender->names.at(lang) : sender->names.begin()->second;
    Json::json_pointer kp("/kind/" + m.kind), up("/urgency/" + m.urgency);
    std::map<std::string, std::string> vars = {
        {"{kind}", labels.contains(kp) ? labels.at(kp).get<std::string>() : m.kind},
        {"{urgency}", labels.contains(up) ? labels.at(up).get<std::string>() : m.urgency},
        {"{sender}", sender_name},
        {"{due}",
         FormatRfc3339(r->acknowledged && r->response_due ? *r->response_due : r->ack_due)},
        {"{link}", base_url_ + "/#/messages/" + m.id}};
    for (const auto& [k, v] : vars)
      for (size_t at = s.find(k); at != std::string::npos; at = s.find(k, at + v.size()))
        s.replace(at, k.size(), v);
    return s;
  };
  if (!to.empty())
    ENTENTE_CHECK(
        notifier_->Email(to, fill(text(notice + "_subject")), fill(text(notice + "_body"))));
  auto hook =
      ENTENTE_TRY(db_.Query("SELECT url, secret_enc FROM org_webhooks WHERE org_id = ?", {org}));
  if (!hook.empty()) {
    auto secret = ENTENTE_TRY(master_.Decrypt(hook[0].Text(1), "webhook:" + org));
    Json body = {{"event", "message." + notice},
                 {"message", m.id},
                 {"kind", m.kind},
                 {"urgency", m.urgency},
                 {"sender_org", m.author_org},
                 {"org", org},
                 {"state", r->state},
                 {"ack_due", FormatRfc3339(r->ack_due)},
                 {"link", base_url_ + "/#/messages/" + m.id}};
    ENTENTE_CHECK(notifier_->Webhook(
        hook[0].Text(0), std::string(reinterpret_cast<const char*>(secret.data()), secret.size()),
        body));
  }
  return Ok();
}

// ---- federation ingress --------------------------------------------------------

Status Communications::Receive(const Json& envelope) {
  auto env = ENTENTE_TRY(journal::Envelope::FromJson(envelope));
  return db_.Transact([&](store::Tx& tx) -> Status { return Receive(tx, env); });
}

Status Communications::Receive(store::Tx& tx, const journal::Envelope& env) {
  if (env.type != "comms.message" && env.type != "comms.event")
    return Invalid("not a communications envelope", "type");
  std::string subject = env.id;
  if (env.type == "comms.event" && env.body && env.body->is_object() &&
      env.body->contains("message") && (*env.body)["message"].is_string())
    subject = (*env.body)["message"].get<std::string>();
  ENTENTE_TRY(journal_.Record(tx, env, subject));
  return EnqueueFollowUps(tx, env);
}

}  // namespace entente::comms
