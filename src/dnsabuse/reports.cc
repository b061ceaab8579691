#include "dnsabuse/reports.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/ids.h"
#include "dnsabuse/feeds.h"
#include "dnsabuse/observatory.h"
#include "schema/reader.h"

namespace entente::dnsabuse {

using Json = nlohmann::json;

namespace {

constexpr const char* kCols =
    "id, domain, first_day, tld, registrar, source, categories, evidence, filer_org, filed_by, "
    "filed_at, message_id, recipient_org, routed_to, sent_at, ack_due, response_due, "
    "acknowledged_at, answered_at, workflow_state, status, action, reason, responded_day, "
    "ttm_days, action_taken, outcome_source";

std::optional<Millis> OptMs(const store::Row& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Int(i);
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t p = 0;
  while (!s.empty() && p <= s.size()) {
    const size_t c = s.find(',', p);
    out.push_back(s.substr(p, c == std::string::npos ? std::string::npos : c - p));
    if (c == std::string::npos) break;
    p = c + 1;
  }
  return out;
}

std::string JoinCommas(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
  return out;
}

ReportRecord FromRow(const store::Row& r) {
  ReportRecord x;
  x.id = r.Text(0);
  x.domain = r.Text(1);
  x.first_day = r.OptText(2);
  x.tld = r.Text(3);
  x.registrar = std::strtoll(r.Text(4).c_str(), nullptr, 10);
  x.source = r.Text(5);
  x.categories = SplitCommas(r.Text(6));
  x.evidence = Json::parse(r.Text(7), nullptr, false);
  if (!x.evidence.is_object()) x.evidence = Json::object();
  x.filer_org = r.Text(8);
  x.filed_by = r.OptText(9);
  x.filed_at = r.Int(10);
  x.message_id = r.OptText(11);
  x.recipient_org = r.OptText(12);
  x.routed_to = r.OptText(13);
  x.sent_at = OptMs(r, 14);
  x.ack_due = OptMs(r, 15);
  x.response_due = OptMs(r, 16);
  x.acknowledged_at = OptMs(r, 17);
  x.answered_at = OptMs(r, 18);
  x.workflow_state = r.OptText(19);
  x.status = r.Text(20);
  x.action = r.OptText(21);
  x.reason = r.OptText(22);
  x.responded_day = r.OptText(23);
  if (!r.IsNull(24)) x.ttm_days = r.Int(24);
  x.action_taken = r.OptText(25);
  x.outcome_source = r.OptText(26);
  return x;
}

Json OptJson(const std::optional<std::string>& v) { return v ? Json(*v) : Json(); }
Json OptTime(const std::optional<Millis>& v) { return v ? Json(FormatRfc3339(*v)) : Json(); }

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n:-.;,";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// One statement in its own transaction; the number of rows changed.
Result<std::int64_t> Exec(store::Database& db, std::string_view sql, const store::Params& p) {
  std::int64_t n = 0;
  ENTENTE_CHECK(db.Transact([&](store::Tx& tx) -> Status {
    n = ENTENTE_TRY(tx.Exec(sql, p));
    return Ok();
  }));
  return n;
}

std::int32_t DayOfMillis(Millis ms) {
  return static_cast<std::int32_t>((ms >= 0 ? ms : ms - 86'399'999) / 86'400'000);
}

}  // namespace

Json ReportRecord::ToJson() const {
  Json j = {{"id", id},
            {"domain", domain},
            {"first_day", OptJson(first_day)},
            {"tld", tld},
            {"registrar", registrar},
            {"source", source},
            {"categories", categories},
            {"evidence", evidence},
            {"filer_org", filer_org},
            {"filed_by", OptJson(filed_by)},
            {"filed_at", FormatRfc3339(filed_at)},
            {"message_id", OptJson(message_id)},
            {"recipient_org", OptJson(recipient_org)},
            {"routed_to", OptJson(routed_to)},
            {"sent_at", OptTime(sent_at)},
            {"ack_due", OptTime(ack_due)},
            {"response_due", OptTime(response_due)},
            {"acknowledged_at", OptTime(acknowledged_at)},
            {"answered_at", OptTime(answered_at)},
            {"workflow_state", OptJson(workflow_state)},
            {"status", status},
            {"action", OptJson(action)},
            {"reason", OptJson(reason)},
            {"responded_day", OptJson(responded_day)},
            {"action_taken", OptJson(action_taken)},
            {"outcome_source", OptJson(outcome_source)}};
  j["ttm_days"] = ttm_days ? Json(*ttm_days) : Json();
  // Time from sending the report to the registrar's answer, in milliseconds.
  j["answer_after_ms"] = sent_at && answered_at ? Json(*answered_at - *sent_at) : Json();
  return j;
}

std::optional<Outcome> ParseOutcome(std::string_view summary, std::string_view description) {
  const std::string s = Lower(summary);
  const std::string trimmed = Trim(s);
  auto starts = [&](std::string_view p) { return trimmed.rfind(p, 0) == 0; };
  auto rest = [&](size_t n) { return Trim(Trim(summary).substr(n)); };
  if (starts("suspended")) return Outcome{Response::kSuspended, rest(9)};
  if (starts("deleted")) return Outcome{Response::kDeleted, rest(7)};
  if (starts("other action")) return Outcome{Response::kOtherAction, rest(12)};
  if (starts("other_action")) return Outcome{Response::kOtherAction, rest(12)};
  if (starts("mitigated")) return Outcome{Response::kOtherAction, rest(9)};
  if (starts("declined")) {
    std::string reason = rest(8);
    if (reason.empty()) reason = Trim(description);
    if (reason.empty()) reason = "declined without a reason";
    return Outcome{Response::kDeclined, reason.substr(0, 2000)};
  }
  return std::nullopt;
}

std::optional<Outcome> ReadOutcome(const nlohmann::json& fields) {
  if (!fields.is_object()) return std::nullopt;
  auto text = [&](const char* name) {
    auto it = fields.find(name);
    return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto it = fields.find("outcome"); it != fields.end() && it->is_string()) {
    auto r = ResponseNamed(it->get<std::string>());
    if (r) {
      Outcome o{*r, text("reason").substr(0, 2000), text("action_taken").substr(0, 5000), "field"};
      if (o.response == Response::kDeclined && o.reason.empty())
        o.reason = "declined without a reason";
      return o;
    }
  }
  auto o = ParseOutcome(text("summary"), text("description"));
  if (o) o->source = "summary";
  return o;
}

Result<Routing> ReportDesk::DirectoryRouting() {
  Routing routing;
  directory::OrgQuery q;
  q.kind = "registrar";
  q.limit = 200;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = ENTENTE_TRY(directory_.SearchOrgs(q));
    for (const auto& o : page.items)
      if (o.iana_id) routing.registrar_orgs.emplace(*o.iana_id, o.id);
    if (page.next.empty()) break;
    q.after = page.next;
  }
  return routing;
}

Result<ReportRecord> ReportDesk::Load(const std::string& id) {
  auto rows =
      ENTENTE_TRY(db_.Query(fmt::format("SELECT {} FROM dns_reports WHERE id = ?", kCols), {id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such report");
  return FromRow(rows[0]);
}

Result<ReportRecord> ReportDesk::FileFromObservatory(const directory::Actor& actor,
                                                     std::string_view domain,
                                                     const std::string& screenshot_sha256) {
  if (!screenshot_sha256.empty() && !IsHex64(screenshot_sha256))
    return Invalid("must be 64 lower-case hex digits (SHA-256)", "screenshot_sha256");
  Observatory obs(db_, clock_);
  AbuseReport a = ENTENTE_TRY(obs.ReportFor(domain));
  Json evidence = {
      {"urls", a.evidence},
      {"feed_entries", a.feeds},
      {"first_seen", a.first_day},
      {"screenshot_sha256", screenshot_sha256.empty() ? Json() : Json(screenshot_sha256)}};
  const std::string id = NewUuidV7(clock_);
  ENTENTE_CHECK(
      Exec(db_,
           "INSERT INTO dns_reports (id, domain, first_day, tld, registrar, source, categories, "
           "evidence, filer_org, filed_by, filed_at, status) "
           "VALUES (?, ?, ?, ?, ?, 'observatory', ?, ?, ?, ?, ?, 'filed')",
           {id, a.domain, a.first_day, a.tld, std::to_string(a.registrar), JoinCommas(a.categories),
            evidence.dump(), actor.org_id,
            actor.user_id.empty() ? store::Value(store::Null{}) : store::Value(actor.user_id),
            clock_.NowMillis()}));
  return Load(id);
}

Result<ReportRecord> ReportDesk::FileByHand(const directory::Actor& actor, const Json& input) {
  schema::ObjectReader r(input, "");
  ENTENTE_CHECK(r.valid());
  const std::string raw = ENTENTE_TRY(r.String("domain", {.max = 253}));
  auto cats = ENTENTE_TRY(r.StringArray("categories", 4, {.max = 16}));
  if (cats.empty()) return Invalid("at least one category is required", "categories");
  for (size_t i = 0; i < cats.size(); ++i)
    if (!ParseCategory(cats[i]))
      return Invalid("must be phishing, malware, botnet_cc or spam",
                     fmt::format("categories[{}]", i));
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());
  const auto registrar = ENTENTE_TRY(r.OptInt("registrar_iana_id", 1, 99'999'999));
  const Json* ev = ENTENTE_TRY(r.Object("evidence"));
  ENTENTE_CHECK(r.Finish());
  schema::ObjectReader e(*ev, "evidence");
  const auto urls = ENTENTE_TRY(e.StringArray("urls", 50, {.max = 2000}, false));
  const auto entries = ENTENTE_TRY(e.StringArray("feed_entries", 50, {.max = 2000}, false));
  if (urls.empty() && entries.empty())
    return Invalid("give at least one URL or feed entry as evidence", "evidence");
  const std::string first_seen = ENTENTE_TRY(e.String("first_seen", {.max = 10}));
  const auto first_day = ParseDay(first_seen);
  if (!first_day) return Invalid("must be a date YYYY-MM-DD", "evidence.first_seen");
  if (*first_day > DayOfMillis(clock_.NowMillis()))
    return Invalid("is in the future", "evidence.first_seen");
  const auto shot = ENTENTE_TRY(e.OptString("screenshot_sha256", {.max = 64}));
  if (shot && !IsHex64(*shot))
    return Invalid("must be 64 lower-case hex digits (SHA-256)", "evidence.screenshot_sha256");
  ENTENTE_CHECK(e.Finish());

  DomainNormalizer norm;
  const auto n = norm.FromHost(raw);
  if (n.kind == DomainNormalizer::Kind::kIp)
    return Invalid("is an IP address, not a domain", "domain");
  if (n.kind != DomainNormalizer::Kind::kDomain)
    return Invalid(fmt::format("is not a domain name: {}", n.error), "domain");
  for (size_t i = 0; i < urls.size(); ++i) {
    const auto u = norm.FromUrl(urls[i]);
    if (u.kind == DomainNormalizer::Kind::kInvalid)
      return Invalid(fmt::format("is not a URL: {}", u.error), fmt::format("evidence.urls[{}]", i));
  }
  Json evidence = {{"urls", urls},
                   {"feed_entries", entries},
                   {"first_seen", first_seen},
                   {"screenshot_sha256", shot ? Json(*shot) : Json()}};
  const std::string id = NewUuidV7(clock_);
  ENTENTE_CHECK(
      Exec(db_,
           "INSERT INTO dns_reports (id, domain, first_day, tld, registrar, source, categories, "
           "evidence, filer_org, filed_by, filed_at, status) "
           "VALUES (?, ?, NULL, ?, ?, 'manual', ?, ?, ?, ?, ?, 'filed')",
           {id, n.registrable, std::string(TldOf(n.registrable)),
            std::to_string(registrar.value_or(0)), JoinCommas(cats), evidence.dump(), actor.org_id,
            actor.user_id.empty() ? store::Value(store::Null{}) : store::Value(actor.user_id),
            clock_.NowMillis()}));
  return Load(id);
}

Result<ReportRecord> ReportDesk::Route(const directory::Actor& actor, const std::string& id,
                                       const RouteOptions& options) {
  ReportRecord rec = ENTENTE_TRY(Load(id));
  if (rec.filer_org != actor.org_id)
    return Fail(ErrorCode::kNotFound, "no such report");  // not the filer's: not disclosed
  if (rec.status != "filed")
    return Fail(ErrorCode::kConflict,
                fmt::format("the report was already routed ({})", rec.status));
  if (options.urgency != "urgent" && options.urgency != "priority" && options.urgency != "routine")
    return Invalid("must be urgent, priority or routine", "urgency");
  Routing routing = ENTENTE_TRY(DirectoryRouting());
  for (const auto& [iana, org] : options.registrar_orgs) routing.registrar_orgs[iana] = org;
  if (!options.registry_org.empty()) {
    auto org = directory_.GetOrg(options.registry_org);
    if (!org || org->kind != "tld_registry")
      return Invalid("is not an organisation of kind tld_registry", "registry_org");
    routing.registry_orgs[rec.tld] = options.registry_org;
  }
  AbuseReport a;
  a.domain = rec.domain;
  a.first_day = rec.first_day.value_or(rec.evidence.value("first_seen", ""));
  a.tld = rec.tld;
  a.registrar = rec.registrar;
  a.categories = rec.categories;
  if (rec.evidence.contains("feed_entries") && rec.evidence["feed_entries"].is_array())
    for (const auto& f : rec.evidence["feed_entries"])
      if (f.is_string()) a.feeds.push_back(f.get<std::string>());
  if (rec.evidence.contains("urls") && rec.evidence["urls"].is_array())
    for (const auto& u : rec.evidence["urls"])
      if (u.is_string()) a.evidence.push_back(u.get<std::string>());
  if (rec.evidence.contains("screenshot_sha256") && rec.evidence["screenshot_sha256"].is_string())
    a.screenshot_sha256 = rec.evidence["screenshot_sha256"].get<std::string>();
  a.urgency = options.urgency;
  Recipient to = ENTENTE_TRY(ChooseRecipient(a, routing, options.escalate));
  Json msg = ENTENTE_TRY(ReportMessage(a, to.org_id));
  comms::MessageSummary sent = ENTENTE_TRY(comms_.Send(actor, msg));
  std::optional<Millis> ack_due, response_due;
  for (const auto& r : sent.recipients)
    if (r.org_id == to.org_id) {
      ack_due = r.ack_due;
      response_due = r.response_due;
    }
  auto opt = [](const std::optional<Millis>& v) {
    return v ? store::Value(*v) : store::Value(store::Null{});
  };
  auto n = Exec(
      db_,
      "UPDATE dns_reports SET message_id = ?, recipient_org = ?, routed_to = ?, sent_at = ?, "
      "ack_due = ?, response_due = ?, workflow_state = 'sent', status = 'sent' "
      "WHERE id = ? AND status = 'filed'",
      {sent.id, to.org_id, std::string(to.to == RoutedTo::kRegistrar ? "registrar" : "registry"),
       sent.created, opt(ack_due), opt(response_due), rec.id});
  if (!n || *n != 1)
    return Fail(ErrorCode::kConflict,
                fmt::format("message {} sent but the report was routed meanwhile", sent.id));
  return Load(rec.id);
}

Result<SyncResult> ReportDesk::Sync(int limit) {
  SyncResult out;
  auto rows = ENTENTE_TRY(db_.Query(
      fmt::format("SELECT {} FROM dns_reports WHERE status IN ('sent', 'acknowledged') AND "
                  "message_id IS NOT NULL AND filer_org <> '' ORDER BY id LIMIT ?",
                  kCols),
      {std::int64_t{limit}}));
  for (const auto& row : rows) {
    ReportRecord r = FromRow(row);
    ++out.checked;
    const std::string before = r.status + "/" + r.workflow_state.value_or("");
    if (auto s = SyncOne(r); !s) {
      out.errors.push_back(r.id + ": " + s.error().ToString());
      continue;
    }
    auto after = Load(r.id);
    if (after && after->status + "/" + after->workflow_state.value_or("") != before) ++out.updated;
  }
  return out;
}

Status ReportDesk::SyncOne(const ReportRecord& r) {
  const directory::Actor filer{"", r.filer_org};
  auto m = ENTENTE_TRY(comms_.Get(filer, *r.message_id));
  const comms::RecipientStatus* rs = nullptr;
  for (const auto& x : m.recipients)
    if (x.org_id == r.recipient_org) rs = &x;
  if (!rs)
    return Fail(ErrorCode::kDataLoss, "the report's recipient is not a recipient of its message");
  auto opt = [](const std::optional<Millis>& v) {
    return v ? store::Value(*v) : store::Value(store::Null{});
  };
  ENTENTE_TRY(
      Exec(db_,
           "UPDATE dns_reports SET workflow_state = ?, acknowledged_at = ?, ack_due = ?, "
           "response_due = ?, status = CASE WHEN status = 'sent' AND ? = 1 THEN 'acknowledged' "
           "ELSE status END WHERE id = ? AND status IN ('sent', 'acknowledged')",
           {rs->state, opt(rs->acknowledged), rs->ack_due, opt(rs->response_due),
            std::int64_t{rs->acknowledged ? 1 : 0}, r.id}));

  // The recipient's response, if any: the first one that states an outcome.
  auto timeline = ENTENTE_TRY(comms_.Timeline(filer, *r.message_id));
  std::optional<Outcome> outcome;
  Millis answered = 0;
  for (const auto& e : timeline) {
    if (e.action != "responded" || e.message_id != *r.message_id || e.actor_org != r.recipient_org)
      continue;
    const std::string response_id = e.id.substr(0, e.id.find('/'));
    auto opened = comms_.Open(filer, response_id);
    if (!opened) continue;  // not readable here (yet): try again later
    outcome = ReadOutcome(opened->fields);
    answered = e.at;
    if (outcome) break;
  }
  if (!outcome && rs->declined) {
    outcome =
        Outcome{Response::kDeclined, "declined in the communications workflow", "", "workflow"};
    answered = *rs->declined;
  }
  if (!outcome) {
    if (rs->state == "closed") {
      ENTENTE_TRY(Exec(db_,
                       "UPDATE dns_reports SET status = 'closed', answered_at = ? WHERE id = ? AND "
                       "status IN ('sent', 'acknowledged')",
                       {rs->closed.value_or(clock_.NowMillis()), r.id}));
    } else if (rs->responded) {
      ENTENTE_TRY(
          Exec(db_, "UPDATE dns_reports SET answered_at = ? WHERE id = ?", {*rs->responded, r.id}));
    }
    return Ok();
  }
  const std::string day = FormatDay(DayOfMillis(answered));
  const store::Value taken = outcome->action_taken.empty() ? store::Value(store::Null{})
                                                           : store::Value(outcome->action_taken);
  if (r.first_day) {
    // Observatory report: the observatory's bookkeeping (ends the episode).
    Observatory obs(db_, clock_);
    auto s = obs.RecordResponse(*r.message_id, day, outcome->response, outcome->reason,
                                outcome->action_taken, outcome->source);
    if (!s && s.error().code != ErrorCode::kConflict) return s;
  } else if (outcome->response == Response::kDeclined) {
    ENTENTE_TRY(Exec(db_,
                     "UPDATE dns_reports SET status = 'declined', reason = ?, responded_day = ?, "
                     "action_taken = ?, outcome_source = ? "
                     "WHERE id = ? AND status IN ('sent', 'acknowledged')",
                     {outcome->reason, day, taken, outcome->source, r.id}));
  } else {
    const auto first = ParseDay(r.evidence.value("first_seen", ""));
    const std::int64_t ttm = first ? std::max<std::int64_t>(0, DayOfMillis(answered) - *first) : 0;
    ENTENTE_TRY(Exec(
        db_,
        "UPDATE dns_reports SET status = 'mitigated', action = ?, reason = ?, responded_day = ?, "
        "ttm_days = ?, action_taken = ?, outcome_source = ? WHERE id = ? AND status IN ('sent', "
        "'acknowledged')",
        {std::string(ResponseName(outcome->response)),
         outcome->reason.empty() ? store::Value(store::Null{}) : store::Value(outcome->reason), day,
         ttm, taken, outcome->source, r.id}));
  }
  ENTENTE_TRY(Exec(db_, "UPDATE dns_reports SET answered_at = ? WHERE id = ?", {answered, r.id}));
  return Ok();
}

Result<ReportPage> ReportDesk::List(const ReportViewer& v, const ReportQuery& q) {
  std::string sql = fmt::format("SELECT {} FROM dns_reports WHERE 1=1", kCols);
  store::Params p;
  if (q.box == "received") {
    sql += " AND recipient_org = ?";
    p.emplace_back(v.org_id);
  } else if (q.box == "filed") {
    sql += " AND filer_org = ?";
    p.emplace_back(v.org_id);
  } else if (!q.box.empty()) {
    return Invalid("must be received or filed", "box");
  }
  if (!v.all && q.box.empty()) {
    sql += " AND (recipient_org = ? OR filer_org = ?)";
    p.emplace_back(v.org_id);
    p.emplace_back(v.org_id);
  }
  if (!q.status.empty()) {
    sql += " AND status = ?";
    p.emplace_back(q.status);
  }
  if (!q.domain.empty()) {
    sql += " AND domain = ?";
    p.emplace_back(q.domain);
  }
  if (!q.after.empty()) {
    sql += " AND id < ?";
    p.emplace_back(q.after);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  p.emplace_back(std::int64_t{q.limit + 1});
  auto rows = ENTENTE_TRY(db_.Query(sql, p));
  ReportPage page;
  for (const auto& r : rows) page.items.push_back(FromRow(r));
  if (page.items.size() > static_cast<size_t>(q.limit)) {
    page.items.resize(static_cast<size_t>(q.limit));
    page.next = page.items.back().id;
  }
  return page;
}

Result<ReportRecord> ReportDesk::Get(const ReportViewer& v, const std::string& id) {
  if (!IsUuid(id)) return Fail(ErrorCode::kNotFound, "no such report");
  ReportRecord r = ENTENTE_TRY(Load(id));
  if (!v.all && r.filer_org != v.org_id && r.recipient_org.value_or("") != v.org_id)
    return Fail(ErrorCode::kNotFound, "no such report");
  return r;
}

Result<std::vector<comms::TimelineEvent>> ReportDesk::Timeline(const ReportViewer& v,
                                                               const ReportRecord& r) {
  if (!r.message_id) return std::vector<comms::TimelineEvent>{};
  // Read as a party of the message: the viewer's organisation when it is
  // one, else (operators) the filer.
  const bool party = v.org_id == r.filer_org || v.org_id == r.recipient_org.value_or("");
  const directory::Actor actor{party ? v.user_id : "", party ? v.org_id : r.filer_org};
  return comms_.Timeline(actor, *r.message_id);
}

}  // namespace entente::dnsabuse
