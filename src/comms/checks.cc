// Communication checks ("ping tests"): one message of kind
// communication_check to every target organisation, with the check's window
// as acknowledgement deadline; the report reads the recipients' states.
#include <algorithm>
#include <cmath>
#include <set>

#include "comms/comms.h"
#include "core/ids.h"
#include "directory/reference_tables.h"

namespace entente::comms {

namespace {

std::optional<Millis> Percentile(std::vector<Millis> v, double p) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  // Nearest-rank method.
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

Stats Summarise(const std::vector<const CheckRow*>& rows) {
  Stats s;
  std::vector<Millis> times;
  for (const auto* r : rows) {
    ++s.targets;
    if (r->acknowledged) ++s.acknowledged;
    if (r->in_time) ++s.in_time;
    if (r->ack_after) times.push_back(*r->ack_after);
  }
  s.response_rate = s.targets ? static_cast<double>(s.in_time) / s.targets : 0;
  s.median_ms = Percentile(times, 0.5);
  s.p95_ms = Percentile(times, 0.95);
  return s;
}

std::string CsvField(const std::string& s) {
  bool quote = s.find_first_of(",\"\n\r") != std::string::npos;
  // Cells starting with formula characters are neutralised for spreadsheets.
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (!quote) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Json Stats::ToJson() const {
  return {{"targets", targets},
          {"acknowledged", acknowledged},
          {"in_time", in_time},
          {"response_rate", response_rate},
          {"median_ms", median_ms ? Json(*median_ms) : Json()},
          {"p95_ms", p95_ms ? Json(*p95_ms) : Json()}};
}

Json CheckReport::ToJson() const {
  Json rs = Json::array();
  for (const auto& r : rows)
    rs.push_back({{"org", r.org_id},
                  {"name", r.org_name},
                  {"country", r.country ? Json(*r.country) : Json()},
                  {"groupings", r.groupings},
                  {"acknowledged", r.acknowledged},
                  {"in_time", r.in_time},
                  {"ack_after_ms", r.ack_after ? Json(*r.ack_after) : Json()}});
  Json bc = Json::object(), bg = Json::object();
  for (const auto& [k, v] : by_country) bc[k] = v.ToJson();
  for (const auto& [k, v] : by_grouping) bg[k] = v.ToJson();
  return {{"id", id},
          {"author_org", author_org},
          {"started", FormatRfc3339(started)},
          {"deadline", FormatRfc3339(deadline)},
          {"overall", overall.ToJson()},
          {"by_country", bc},
          {"by_grouping", bg},
          {"rows", rs}};
}

std::string CheckReport::ToCsv() const {
  std::string out =
      "organisation_id,organisation,country,groupings,acknowledged,in_time,seconds_to_ack\r\n";
  for (const auto& r : rows) {
    std::string groupings;
    for (const auto& g : r.groupings) groupings += (groupings.empty() ? "" : " ") + g;
    out += CsvField(r.org_id) + "," + CsvField(r.org_name) + "," +
           CsvField(r.country.value_or("")) + "," + CsvField(groupings) + "," +
           (r.acknowledged ? "yes" : "no") + "," + (r.in_time ? "yes" : "no") + "," +
           (r.ack_after ? std::to_string(*r.ack_after / 1000) : std::string()) + "\r\n";
  }
  return out;
}

Result<MessageSummary> Communications::StartCheck(const Actor& actor, const CheckTarget& target) {
  if (target.window_ms < 60'000 || target.window_ms > 30LL * 24 * 3600 * 1000)
    return Invalid("must be from 1 minute to 30 days", "window_minutes");
  std::vector<std::string> orgs;
  std::set<std::string> seen;
  for (size_t i = 0; i < target.orgs.size(); ++i) {
    if (!IsUuid(target.orgs[i]))
      return Invalid("is not an organisation id", "orgs[" + std::to_string(i) + "]");
    if (seen.insert(target.orgs[i]).second && target.orgs[i] != actor.org_id)
      orgs.push_back(target.orgs[i]);
  }
  if (!target.grouping.empty()) {
    auto rows = ENTENTE_TRY(db_.Query(
        "SELECT org_id FROM org_groupings WHERE grouping = ? ORDER BY org_id", {target.grouping}));
    if (rows.empty()) return Invalid("no organisation belongs to this grouping", "grouping");
    for (const auto& r : rows)
      if (seen.insert(r.Text(0)).second && r.Text(0) != actor.org_id) orgs.push_back(r.Text(0));
  }
  if (orgs.empty()) return Invalid("name organisations or a grouping to check", "orgs");
  std::string summary = target.summary;
  if (summary.empty()) {
    const Json& l = templates_.Labels(
        directory::IsLanguageTag(target.language) ? target.language.substr(0, 2) : "en");
    summary = l.at("kind_help").at("communication_check").get<std::string>();
  }
  Json input = {{"kind", "communication_check"},
                {"recipients", orgs},
                {"tlp", "green"},
                {"language", target.language},
                {"check", true},
                {"ack_window_ms", target.window_ms},
                {"fields", {{"urgency", "priority"}, {"summary", summary}}}};
  return Compose(actor, input);
}

Result<CheckReport> Communications::Report(const Actor& actor, const std::string& id) {
  auto m = ENTENTE_TRY(Get(actor, id));
  if (!m.check) return Fail(ErrorCode::kNotFound, "no such check");
  CheckReport rep;
  rep.id = m.id;
  rep.author_org = m.author_org;
  rep.started = m.created;
  for (const auto& r : m.recipients) {
    rep.deadline = std::max(rep.deadline, r.ack_due);
    CheckRow row;
    row.org_id = r.org_id;
    auto org = directory_.GetOrg(r.org_id);
    if (org) {
      row.org_name = org->names.contains("en") ? org->names.at("en")
                     : org->names.empty()      ? r.org_id
                                               : org->names.begin()->second;
      row.country = org->country;
      row.groupings = org->groupings;
    }
    row.acknowledged = r.acknowledged.has_value();
    if (r.acknowledged) {
      row.ack_after = *r.acknowledged - m.created;
      row.in_time = *r.acknowledged <= r.ack_due;
    }
    rep.rows.push_back(std::move(row));
  }
  std::vector<const CheckRow*> all;
  std::map<std::string, std::vector<const CheckRow*>> countries, groupings;
  for (const auto& r : rep.rows) {
    all.push_back(&r);
    countries[r.country.value_or("")].push_back(&r);
    for (const auto& g : r.groupings) groupings[g].push_back(&r);
  }
  rep.overall = Summarise(all);
  for (const auto& [k, v] : countries) rep.by_country[k] = Summarise(v);
  for (const auto& [k, v] : groupings) rep.by_grouping[k] = Summarise(v);
  return rep;
}

Result<std::vector<CheckReport>> Communications::CheckHistory(const Actor& actor, int limit) {
  if (limit < 1 || limit > 200) return Invalid("must be from 1 to 200", "limit");
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT id FROM messages WHERE is_check = 1 AND author_org = ? ORDER BY id DESC LIMIT ?",
      {actor.org_id, std::int64_t{limit}}));
  std::vector<CheckReport> out;
  for (const auto& r : rows) out.push_back(ENTENTE_TRY(Report(actor, r.Text(0))));
  return out;
}

}  // namespace entente::comms
