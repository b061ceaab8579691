#include "directory/directory.h"

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "core/ids.h"
#include "crypto/crypto.h"
#include "directory/reference_tables.h"
#include "jcs/jcs.h"
#include "schema/reader.h"

namespace entente::directory {

using schema::ObjectReader;
using schema::StringRule;

const std::vector<std::string>& OrgKinds() {
  static const std::vector<std::string> k = {
      "state",           "national_csirt", "regional_org",   "tld_registry",  "registrar",
      "law_enforcement", "ci_operator",    "private_sector", "civil_society", "academia"};
  return k;
}

const std::vector<std::string>& PocRoles() {
  static const std::vector<std::string> k = {"diplomatic", "technical", "law_enforcement"};
  return k;
}

namespace {

const std::vector<std::string> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool IsHhMm(const std::string& s) {
  return s.size() == 5 && std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::isdigit(static_cast<unsigned char>(s[1])) && s[2] == ':' &&
         std::isdigit(static_cast<unsigned char>(s[3])) &&
         std::isdigit(static_cast<unsigned char>(s[4])) && std::stoi(s.substr(0, 2)) < 24 &&
         std::stoi(s.substr(3, 2)) < 60;
}

bool IsGrouping(const std::string& s) {
  static const std::regex re("^[A-Z][A-Za-z0-9-]{1,15}$");
  return std::regex_match(s, re);
}

bool IsEmail(const std::string& s) {
  static const std::regex re(R"(^[^@\s<>"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$)");
  return std::regex_match(s, re);
}

bool IsPhone(const std::string& s) {
  static const std::regex re(R"(^\+[0-9][0-9 ()-]{5,24}$)");
  return std::regex_match(s, re);
}

bool IsWebUrl(const std::string& s) {
  static const std::regex re(R"(^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s<>"']*)?$)");
  return std::regex_match(s, re);
}

// Full-text tokens: ASCII letters and digits, and any non-ASCII byte (letters
// of other scripts); everything else separates tokens.
std::vector<std::string> Tokens(const std::string& q) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : q) {
    if (std::isalnum(c) || c >= 0x80) {
      cur.push_back(static_cast<char>(c));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  if (out.size() > 8) out.resize(8);
  return out;
}

std::string FtsQuery(store::Backend b, const std::vector<std::string>& toks) {
  std::string out;
  for (const auto& t : toks) {
    if (!out.empty()) out += b == store::Backend::kSqlite ? " " : " & ";
    if (b == store::Backend::kSqlite) {
      out += "\"" + t + "\"*";
    } else {
      out += t + ":*";
    }
  }
  return out;
}

Json ParseStoredJson(const std::string& text) {
  auto j = jcs::ParseUntrusted(text, {.max_bytes = 1u << 24});
  return j ? *j : Json();
}

Result<std::map<std::string, std::string>> ReadNames(const Json* names, const std::string& path) {
  std::map<std::string, std::string> out;
  if (!names || names->empty()) return Invalid("at least one name is required", path);
  if (names->size() > 12) return Invalid("at most 12 names", path);
  for (auto it = names->begin(); it != names->end(); ++it) {
    std::string f = path + "." + it.key();
    if (!IsLanguageTag(it.key())) return Invalid("is not a known BCP 47 language tag", f);
    if (!it->is_string()) return Invalid("must be a string", f);
    ENTENTE_CHECK(schema::CheckString(it->get<std::string>(), {.min = 1, .max = 200}, f));
    out[it.key()] = it->get<std::string>();
  }
  return out;
}

// Shared by API input and stored state: the editable fields of an org.
Status ReadOrgFields(ObjectReader& r, Organisation& o, bool kind_fixed) {
  std::string kind = ENTENTE_TRY(r.String("kind", {.max = 32}));
  if (!Contains(OrgKinds(), kind))
    return Invalid("is not a known organisation kind", r.PathOf("kind"));
  if (kind_fixed && kind != o.kind) return Invalid("cannot be changed", r.PathOf("kind"));
  o.kind = kind;
  o.names = ENTENTE_TRY(ReadNames(ENTENTE_TRY(r.Object("names")), r.PathOf("names")));
  o.country = ENTENTE_TRY(r.OptString("country", {.max = 2}));
  if (o.country && !IsCountry(*o.country))
    return Invalid("is not an ISO 3166-1 alpha-2 country code", r.PathOf("country"));
  o.groupings = ENTENTE_TRY(r.StringArray("groupings", 16, {.max = 16}, false));
  for (size_t i = 0; i < o.groupings.size(); ++i)
    if (!IsGrouping(o.groupings[i]))
      return Invalid("must be a short upper-case name such as EU or ASEAN",
                     r.PathOf("groupings") + "[" + std::to_string(i) + "]");
  o.sectors = ENTENTE_TRY(r.StringArray("sectors", 40, {.max = 64}, false));
  for (size_t i = 0; i < o.sectors.size(); ++i)
    if (!IsSector(o.sectors[i]))
      return Invalid("is not a known sector (nis2:... or dhs:...)",
                     r.PathOf("sectors") + "[" + std::to_string(i) + "]");
  o.website = ENTENTE_TRY(r.OptString("website", {.max = 200}));
  if (o.website && !IsWebUrl(*o.website))
    return Invalid("must be an http(s) URL", r.PathOf("website"));
  // IANA Registrar IDs are positive integers (the registry has ids below
  // 10,000,000; reserved ids such as 9995-9999 are accepted).
  o.iana_id = ENTENTE_TRY(r.OptInt("iana_id", 1, 99'999'999));
  if (o.iana_id && o.kind != "registrar")
    return Invalid("only an organisation of kind registrar has an IANA id", r.PathOf("iana_id"));
  return Ok();
}

Json OrgState(const Organisation& o) {
  Json j = {{"id", o.id},
            {"kind", o.kind},
            {"names", o.names},
            {"groupings", o.groupings},
            {"sectors", o.sectors},
            {"sign_public", o.sign_public},
            {"box_public", o.box_public},
            {"home_node", o.home_node}};
  if (o.country) j["country"] = *o.country;
  if (o.website) j["website"] = *o.website;
  if (o.iana_id) j["iana_id"] = *o.iana_id;
  return j;
}

Result<Organisation> OrgFromState(const Json& j) {
  Organisation o;
  ObjectReader r(j, "org");
  o.id = ENTENTE_TRY(r.String("id", {.max = 36}));
  if (!IsUuid(o.id)) return Invalid("must be a UUID", "org.id");
  ENTENTE_CHECK(ReadOrgFields(r, o, false));
  o.sign_public = ENTENTE_TRY(r.String("sign_public", {.max = 64}));
  o.box_public = ENTENTE_TRY(r.String("box_public", {.max = 64}));
  for (auto* k : {&o.sign_public, &o.box_public}) {
    auto b = crypto::Base64UrlDecode(*k);
    if (!b || b->size() != 32) return Invalid("must be a base64url 32-byte key", "org.keys");
  }
  o.home_node = ENTENTE_TRY(r.String("home_node", {.max = 64}));
  ENTENTE_CHECK(r.Finish());
  return o;
}

Result<Hours> ReadHours(const Json* h, const std::string& path) {
  Hours out;
  ObjectReader r(*h, path);
  auto always = ENTENTE_TRY(r.OptBool("always"));
  out.always = always.value_or(false);
  if (out.always) {
    ENTENTE_CHECK(r.Finish());
    return out;
  }
  out.days = ENTENTE_TRY(r.StringArray("days", 7, {.max = 3}));
  if (out.days.empty()) return Invalid("must list at least one day", r.PathOf("days"));
  for (size_t i = 0; i < out.days.size(); ++i)
    if (!Contains(kDays, out.days[i]))
      return Invalid("must be one of mon tue wed thu fri sat sun",
                     r.PathOf("days") + "[" + std::to_string(i) + "]");
  out.start = ENTENTE_TRY(r.String("start", {.max = 5}));
  if (!IsHhMm(out.start)) return Invalid("must be HH:MM", r.PathOf("start"));
  out.end = ENTENTE_TRY(r.String("end", {.max = 5}));
  if (!IsHhMm(out.end)) return Invalid("must be HH:MM", r.PathOf("end"));
  ENTENTE_CHECK(r.Finish());
  return out;
}

Json HoursJson(const Hours& h) {
  if (h.always) return Json{{"always", true}};
  return Json{{"days", h.days}, {"start", h.start}, {"end", h.end}};
}

Result<std::vector<Channel>> ReadChannels(const Json* a, const std::string& path) {
  std::vector<Channel> out;
  if (!a) return out;
  for (size_t i = 0; i < a->size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    ObjectReader r((*a)[i], p);
    Channel c;
    c.type = ENTENTE_TRY(r.String("type", {.max = 16}));
    c.value = ENTENTE_TRY(r.String("value", {.max = 200}));
    ENTENTE_CHECK(r.Finish());
    if (c.type == "email") {
      if (!IsEmail(c.value)) return Invalid("is not an email address", p + ".value");
    } else if (c.type == "phone") {
      if (!IsPhone(c.value))
        return Invalid("must be an international number such as +33 1 23 45 67 89", p + ".value");
    } else if (c.type != "platform") {
      return Invalid("must be platform, email or phone", p + ".type");
    }
    out.push_back(std::move(c));
  }
  return out;
}

Json ChannelsJson(const std::vector<Channel>& cs) {
  Json a = Json::array();
  for (const auto& c : cs) a.push_back({{"type", c.type}, {"value", c.value}});
  return a;
}

// Non-personal fields of a point of contact.
Status ReadPocFields(ObjectReader& r, PointOfContact& p) {
  p.role = ENTENTE_TRY(r.String("role", {.max = 32}));
  if (!Contains(PocRoles(), p.role))
    return Invalid("must be diplomatic, technical or law_enforcement", r.PathOf("role"));
  p.function_title = ENTENTE_TRY(r.String("function_title", {.max = 120}));
  p.languages = ENTENTE_TRY(r.StringArray("languages", 12, {.max = 35}));
  if (p.languages.empty()) return Invalid("must list at least one language", r.PathOf("languages"));
  for (size_t i = 0; i < p.languages.size(); ++i)
    if (!IsLanguageTag(p.languages[i]))
      return Invalid("is not a known BCP 47 language tag",
                     r.PathOf("languages") + "[" + std::to_string(i) + "]");
  p.timezone = ENTENTE_TRY(r.String("timezone", {.max = 64}));
  if (!IsTimeZone(p.timezone))
    return Invalid("is not an IANA time zone such as Europe/Paris", r.PathOf("timezone"));
  p.hours = ENTENTE_TRY(ReadHours(ENTENTE_TRY(r.Object("hours")), r.PathOf("hours")));
  return Ok();
}

Json PocState(const PointOfContact& p, const std::string& personal_box) {
  return Json{{"id", p.id},
              {"org", p.org_id},
              {"role", p.role},
              {"function_title", p.function_title},
              {"languages", p.languages},
              {"timezone", p.timezone},
              {"hours", HoursJson(p.hours)},
              {"personal", personal_box}};
}

std::string SearchText(const Organisation& o) {
  std::string s;
  for (const auto& [lang, name] : o.names) s += name + " ";
  if (o.country) s += *o.country + " ";
  for (const auto& g : o.groupings) s += g + " ";
  return s;
}

std::string PocSearchText(const PointOfContact& p) {
  return (p.name ? *p.name + " " : std::string()) + p.function_title;
}

Status CheckAction(const Json& body) {
  if (!body.contains("action") || !body["action"].is_string() ||
      (body["action"] != "create" && body["action"] != "update"))
    return Invalid("must be create or update", "body.action");
  return Ok();
}

Result<Json> ReadActor(const Json& body) {
  if (!body.contains("actor") || !body["actor"].is_object())
    return Invalid("must be an object", "body.actor");
  ObjectReader r(body["actor"], "body.actor");
  ENTENTE_TRY(r.OptString("user", {.max = 36}));
  ENTENTE_TRY(r.String("org", {.max = 36}));
  ENTENTE_CHECK(r.Finish());
  return body["actor"];
}

}  // namespace

bool IsTimeZone(std::string_view tz) {
  if (tz.empty() || tz.size() > 64 || tz.find("..") != std::string_view::npos || tz[0] == '/')
    return false;
  for (char c : tz)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+'))
      return false;
  if (tz == "UTC") return true;
  std::error_code ec;
  auto p = std::filesystem::path("/usr/share/zoneinfo") / std::string(tz);
  return std::filesystem::is_regular_file(p, ec) && tz.find("posix") != 0 && tz.find("right") != 0;
}

Json Organisation::ToJson() const {
  Json j = OrgState(*this);
  j["fingerprint"] = [&] {
    auto b = crypto::Base64UrlDecode(sign_public);
    return b ? crypto::Fingerprint(*b) : std::string();
  }();
  j["envelope_id"] = envelope_id;
  j["created"] = FormatRfc3339(created);
  j["updated"] = FormatRfc3339(updated);
  return j;
}

Json PointOfContact::ToJson(bool personal) const {
  Json j = {{"id", id},
            {"org", org_id},
            {"role", role},
            {"function_title", function_title},
            {"languages", languages},
            {"timezone", timezone},
            {"hours", HoursJson(hours)},
            {"erased", erased},
            {"envelope_id", envelope_id},
            {"created", FormatRfc3339(created)},
            {"updated", FormatRfc3339(updated)}};
  if (personal && !erased) {
    j["name"] = name ? Json(*name) : Json();
    j["channels"] = ChannelsJson(channels);
  }
  return j;
}

Result<Organisation> DecodeOrgInput(const Json& input, const Organisation* existing) {
  Organisation o;
  if (existing) o = *existing;
  ObjectReader r(input);
  ENTENTE_CHECK(r.valid());
  ENTENTE_CHECK(ReadOrgFields(r, o, existing != nullptr));
  ENTENTE_CHECK(r.Finish());
  return o;
}

Result<PointOfContact> DecodePocInput(const Json& input, const PointOfContact* existing) {
  PointOfContact p;
  if (existing) p = *existing;
  ObjectReader r(input);
  ENTENTE_CHECK(r.valid());
  ENTENTE_CHECK(ReadPocFields(r, p));
  p.name = ENTENTE_TRY(r.OptString("name", {.max = 200}));
  p.channels = ENTENTE_TRY(ReadChannels(ENTENTE_TRY(r.Array("channels", 10, false)), "channels"));
  ENTENTE_CHECK(r.Finish());
  return p;
}

// ---- appliers --------------------------------------------------------------

class Directory::OrgApplier final : public journal::Applier {
 public:
  explicit OrgApplier(store::Database& db) : db_(db) {}

  Status Validate(store::Tx& tx, const journal::Envelope& env) override {
    if (!env.body) return Invalid("directory envelopes carry a body", "body");
    const Json& b = *env.body;
    ObjectReader r(b, "body");
    ENTENTE_CHECK(r.valid());
    ENTENTE_CHECK(CheckAction(b));
    ENTENTE_TRY(r.String("action", {.max = 16}));
    ENTENTE_TRY(ReadActor(b));
    ENTENTE_TRY(r.Object("actor"));
    const Json* org = ENTENTE_TRY(r.Object("org"));
    ENTENTE_CHECK(r.Finish());
    Organisation o = ENTENTE_TRY(OrgFromState(*org));
    auto rows = ENTENTE_TRY(tx.Query("SELECT kind, envelope_id FROM orgs WHERE id = ?", {o.id}));
    if (b["action"] == "create" && !rows.empty())
      return Fail(ErrorCode::kAlreadyExists, "organisation " + o.id + " already exists", "org.id");
    if (b["action"] == "update") {
      if (rows.empty())
        return Fail(ErrorCode::kNotFound, "organisation " + o.id + " does not exist");
      if (rows[0].Text(0) != o.kind) return Invalid("cannot be changed", "org.kind");
      if (!env.supersedes || *env.supersedes != rows[0].Text(1))
        return Fail(ErrorCode::kConflict, "update does not supersede the current version",
                    "supersedes");
    }
    return Ok();
  }

  Status Apply(store::Tx& tx, const journal::Envelope& env) override {
    Organisation o = ENTENTE_TRY(OrgFromState(env.body->at("org")));
    std::string country = o.country.value_or("");
    store::Value country_v = o.country ? store::Value(*o.country) : store::Value(store::Null{});
    store::Value website_v = o.website ? store::Value(*o.website) : store::Value(store::Null{});
    store::Value iana_v = o.iana_id ? store::Value(*o.iana_id) : store::Value(store::Null{});
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO orgs (id, kind, country, names, groupings, sectors, sign_public, box_public, "
        "home_node, website, iana_id, envelope_id, created, updated) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, country = excluded.country, "
        "names = excluded.names, groupings = excluded.groupings, sectors = excluded.sectors, "
        "sign_public = excluded.sign_public, box_public = excluded.box_public, "
        "home_node = excluded.home_node, website = excluded.website, iana_id = excluded.iana_id, "
        "envelope_id = excluded.envelope_id, updated = excluded.updated",
        {o.id, o.kind, country_v, Json(o.names).dump(), Json(o.groupings).dump(),
         Json(o.sectors).dump(), o.sign_public, o.box_public, o.home_node, website_v, iana_v,
         env.id, env.created, env.created}));
    ENTENTE_TRY(tx.Exec("DELETE FROM org_groupings WHERE org_id = ?", {o.id}));
    for (const auto& g : o.groupings)
      ENTENTE_TRY(tx.Exec("INSERT INTO org_groupings (org_id, grouping) VALUES (?, ?)", {o.id, g}));
    ENTENTE_TRY(tx.Exec("DELETE FROM org_sectors WHERE org_id = ?", {o.id}));
    for (const auto& s : o.sectors)
      ENTENTE_TRY(tx.Exec("INSERT INTO org_sectors (org_id, sector) VALUES (?, ?)", {o.id, s}));
    if (db_.backend() == store::Backend::kSqlite) {
      ENTENTE_TRY(tx.Exec("DELETE FROM org_search WHERE org_id = ?", {o.id}));
      ENTENTE_TRY(
          tx.Exec("INSERT INTO org_search (org_id, body) VALUES (?, ?)", {o.id, SearchText(o)}));
    } else {
      ENTENTE_TRY(tx.Exec("UPDATE orgs SET search = to_tsvector('simple', ?) WHERE id = ?",
                          {SearchText(o), o.id}));
    }
    return Ok();
  }

  Status Reset(store::Tx& tx) override {
    ENTENTE_TRY(tx.Exec("DELETE FROM org_groupings"));
    ENTENTE_TRY(tx.Exec("DELETE FROM org_sectors"));
    if (db_.backend() == store::Backend::kSqlite) ENTENTE_TRY(tx.Exec("DELETE FROM org_search"));
    ENTENTE_TRY(tx.Exec("DELETE FROM orgs"));
    return Ok();
  }

  std::vector<std::string> Tables() const override {
    return {"orgs", "org_groupings", "org_sectors"};
  }

 private:
  store::Database& db_;
};

class Directory::PocApplier final : public journal::Applier {
 public:
  PocApplier(store::Database& db, const identity::MasterKey& mk) : db_(db), mk_(mk) {}

  Status Validate(store::Tx& tx, const journal::Envelope& env) override {
    if (!env.body) return Invalid("directory envelopes carry a body", "body");
    const Json& b = *env.body;
    ObjectReader r(b, "body");
    ENTENTE_CHECK(r.valid());
    ENTENTE_TRY(ReadActor(b));
    ENTENTE_TRY(r.Object("actor"));
    if (env.type == "directory.poc.erase") {
      std::string id = ENTENTE_TRY(r.String("poc", {.max = 36}));
      ENTENTE_CHECK(r.Finish());
      auto rows = ENTENTE_TRY(tx.Query("SELECT erased FROM pocs WHERE id = ?", {id}));
      if (rows.empty())
        return Fail(ErrorCode::kNotFound, "point of contact " + id + " does not exist");
      return Ok();
    }
    ENTENTE_CHECK(CheckAction(b));
    ENTENTE_TRY(r.String("action", {.max = 16}));
    const Json* poc = ENTENTE_TRY(r.Object("poc"));
    ENTENTE_CHECK(r.Finish());
    PointOfContact p = ENTENTE_TRY(PocFromState(*poc));
    auto org = ENTENTE_TRY(tx.Query("SELECT 1 FROM orgs WHERE id = ?", {p.org_id}));
    if (org.empty())
      return Fail(ErrorCode::kNotFound, "organisation " + p.org_id + " does not exist", "org");
    auto rows =
        ENTENTE_TRY(tx.Query("SELECT org_id, envelope_id, erased FROM pocs WHERE id = ?", {p.id}));
    if (b["action"] == "create" && !rows.empty())
      return Fail(ErrorCode::kAlreadyExists, "point of contact " + p.id + " already exists");
    if (b["action"] == "update") {
      if (rows.empty())
        return Fail(ErrorCode::kNotFound, "point of contact " + p.id + " does not exist");
      if (rows[0].Text(0) != p.org_id)
        return Invalid("cannot move to another organisation", "poc.org");
      if (rows[0].Int(2))
        return Fail(ErrorCode::kFailedPrecondition, "point of contact was erased");
      if (!env.supersedes || *env.supersedes != rows[0].Text(1))
        return Fail(ErrorCode::kConflict, "update does not supersede the current version",
                    "supersedes");
    }
    return Ok();
  }

  Status Apply(store::Tx& tx, const journal::Envelope& env) override {
    if (env.type == "directory.poc.erase") {
      std::string id = env.body->at("poc").get<std::string>();
      ENTENTE_TRY(tx.Exec("DELETE FROM poc_keys WHERE poc_id = ?", {id}));
      ENTENTE_TRY(tx.Exec(
          "UPDATE pocs SET erased = 1, name = NULL, channels = NULL, envelope_id = ?, updated = ? "
          "WHERE id = ?",
          {env.id, env.created, id}));
      auto rows = ENTENTE_TRY(tx.Query("SELECT function_title FROM pocs WHERE id = ?", {id}));
      ENTENTE_CHECK(UpdateSearch(tx, id, rows.empty() ? "" : rows[0].Text(0)));
      return Ok();
    }
    PointOfContact p = ENTENTE_TRY(PocFromState(env.body->at("poc")));
    // Personal data: open with the per-contact key when this node holds it.
    auto key_rows = ENTENTE_TRY(tx.Query("SELECT key_enc FROM poc_keys WHERE poc_id = ?", {p.id}));
    p.erased = true;
    if (!key_rows.empty()) {
      auto personal = ENTENTE_TRY(OpenPersonal(
          key_rows[0].Text(0), p.id, env.body->at("poc").at("personal").get<std::string>()));
      p.name = personal.first;
      p.channels = personal.second;
      p.erased = false;
    }
    store::Value name_v = p.name ? store::Value(*p.name) : store::Value(store::Null{});
    store::Value channels_v =
        p.erased ? store::Value(store::Null{}) : store::Value(ChannelsJson(p.channels).dump());
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO pocs (id, org_id, role, function_title, languages, timezone, hours, erased, "
        "name, channels, envelope_id, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (id) DO UPDATE SET role = excluded.role, function_title = "
        "excluded.function_title, languages = excluded.languages, timezone = excluded.timezone, "
        "hours = excluded.hours, erased = excluded.erased, name = excluded.name, channels = "
        "excluded.channels, envelope_id = excluded.envelope_id, updated = excluded.updated",
        {p.id, p.org_id, p.role, p.function_title, Json(p.languages).dump(), p.timezone,
         HoursJson(p.hours).dump(), static_cast<std::int64_t>(p.erased), name_v, channels_v, env.id,
         env.created, env.created}));
    ENTENTE_TRY(tx.Exec("DELETE FROM poc_languages WHERE poc_id = ?", {p.id}));
    for (const auto& l : p.languages)
      ENTENTE_TRY(tx.Exec("INSERT INTO poc_languages (poc_id, lang) VALUES (?, ?)", {p.id, l}));
    ENTENTE_CHECK(UpdateSearch(tx, p.id, PocSearchText(p)));
    return Ok();
  }

  Status Reset(store::Tx& tx) override {
    ENTENTE_TRY(tx.Exec("DELETE FROM poc_languages"));
    if (db_.backend() == store::Backend::kSqlite) ENTENTE_TRY(tx.Exec("DELETE FROM poc_search"));
    ENTENTE_TRY(tx.Exec("DELETE FROM pocs"));
    return Ok();
  }

  std::vector<std::string> Tables() const override { return {"pocs", "poc_languages"}; }

  static Result<PointOfContact> PocFromState(const Json& j) {
    PointOfContact p;
    ObjectReader r(j, "poc");
    p.id = ENTENTE_TRY(r.String("id", {.max = 36}));
    if (!IsUuid(p.id)) return Invalid("must be a UUID", "poc.id");
    p.org_id = ENTENTE_TRY(r.String("org", {.max = 36}));
    ENTENTE_CHECK(ReadPocFields(r, p));
    ENTENTE_TRY(r.String("personal", {.max = 8192}));
    ENTENTE_CHECK(r.Finish());
    return p;
  }

  Result<std::pair<std::optional<std::string>, std::vector<Channel>>> OpenPersonal(
      const std::string& key_enc, const std::string& id, const std::string& box) const {
    crypto::SecretBytes key = ENTENTE_TRY(mk_.Decrypt(key_enc, "poc-key:" + id));
    auto raw = crypto::Base64UrlDecode(box);
    if (!raw) return Fail(ErrorCode::kDataLoss, "personal data is not base64url", "poc.personal");
    auto plain = crypto::DecryptAtRest(key, *raw, crypto::AsBytes("poc:" + id));
    if (!plain) return Fail(ErrorCode::kDataLoss, "personal data does not decrypt", "poc.personal");
    std::string text(reinterpret_cast<const char*>(plain->data()), plain->size());
    auto j = jcs::ParseUntrusted(text);
    if (!j || !j->is_object()) return Fail(ErrorCode::kDataLoss, "personal data is corrupt");
    std::optional<std::string> name;
    if (j->contains("name") && (*j)["name"].is_string()) name = (*j)["name"].get<std::string>();
    std::vector<Channel> channels;
    if (j->contains("channels") && (*j)["channels"].is_array()) {
      const Json& a = (*j)["channels"];
      channels = ENTENTE_TRY(ReadChannels(&a, "poc.personal.channels"));
    }
    sodium_memzero(text.data(), text.size());
    return std::make_pair(name, channels);
  }

 private:
  Status UpdateSearch(store::Tx& tx, const std::string& id, const std::string& text) {
    if (db_.backend() == store::Backend::kSqlite) {
      ENTENTE_TRY(tx.Exec("DELETE FROM poc_search WHERE poc_id = ?", {id}));
      ENTENTE_TRY(tx.Exec("INSERT INTO poc_search (poc_id, body) VALUES (?, ?)", {id, text}));
    } else {
      ENTENTE_TRY(
          tx.Exec("UPDATE pocs SET search = to_tsvector('simple', ?) WHERE id = ?", {text, id}));
    }
    return Ok();
  }

  store::Database& db_;
  const identity::MasterKey& mk_;
};

// ---- Directory -------------------------------------------------------------

Directory::Directory(store::Database& db, journal::Journal& journal, identity::OrgKeyStore& keys,
                     const identity::MasterKey& master, std::string node_id, const Clock& clock)
    : db_(db),
      journal_(journal),
      keys_(keys),
      master_(master),
      node_id_(std::move(node_id)),
      clock_(clock),
      org_applier_(std::make_unique<OrgApplier>(db)),
      poc_applier_(std::make_unique<PocApplier>(db, master)) {}

Directory::~Directory() = default;

Status Directory::RegisterAppliers(journal::ApplierRegistry& registry) {
  ENTENTE_CHECK(registry.Register("directory.org", org_applier_.get()));
  ENTENTE_CHECK(registry.Register("directory.poc", poc_applier_.get()));
  ENTENTE_CHECK(registry.Register("directory.poc.erase", poc_applier_.get()));
  return Ok();
}

Result<std::vector<std::uint8_t>> Directory::SigningKey(store::Tx& tx,
                                                        const journal::Envelope& env) {
  auto rows = ENTENTE_TRY(tx.Query("SELECT sign_public FROM orgs WHERE id = ?", {env.author_org}));
  std::string key;
  if (!rows.empty()) {
    key = rows[0].Text(0);
  } else if (env.type == "directory.org" && env.body && env.body->is_object() &&
             env.body->contains("org") && (*env.body)["org"].is_object() &&
             (*env.body)["org"].value("id", "") == env.author_org &&
             (*env.body)["org"].contains("sign_public") &&
             (*env.body)["org"]["sign_public"].is_string()) {
    // Self-signed creation of an organisation: its key is in the body.
    key = (*env.body)["org"]["sign_public"].get<std::string>();
  } else {
    return Fail(ErrorCode::kDataLoss, "author organisation " + env.author_org + " is unknown",
                "author_org");
  }
  auto b = crypto::Base64UrlDecode(key);
  if (!b || b->size() != 32) return Fail(ErrorCode::kDataLoss, "author key is malformed");
  return *b;
}

Result<journal::Envelope> Directory::MakeEnvelope(const Actor& actor, const std::string& type,
                                                  Json body,
                                                  std::optional<std::string> supersedes) {
  journal::Envelope env;
  env.type = type;
  env.id = NewUuidV7(clock_);
  env.origin_node = node_id_;
  env.author_org = actor.org_id;
  env.created = clock_.NowMillis();
  env.supersedes = std::move(supersedes);
  // Directory entries travel across the federation; contact details inside
  // are sealed per contact.
  env.distribution.kind = journal::DistributionKind::kFederation;
  env.tlp = "green";
  env.body = std::move(body);
  auto secret = ENTENTE_TRY(keys_.SigningSecret(actor.org_id));
  ENTENTE_CHECK(journal::SignEnvelope(env, secret));
  return env;
}

namespace {
Json ActorJson(const Actor& a) {
  Json j = {{"org", a.org_id}};
  if (!a.user_id.empty()) j["user"] = a.user_id;
  return j;
}
}  // namespace

Result<Organisation> Directory::WriteOrg(const Actor& actor, const std::string& action,
                                         Organisation org, std::optional<std::string> supersedes,
                                         bool generate_keys) {
  Organisation out;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    // One registrar per IANA id, so that the id names one organisation.
    if (org.iana_id) {
      auto same = ENTENTE_TRY(
          tx.Query("SELECT id FROM orgs WHERE iana_id = ? AND id <> ?", {*org.iana_id, org.id}));
      if (!same.empty())
        return Fail(ErrorCode::kConflict,
                    "IANA id " + std::to_string(*org.iana_id) +
                        " is already the id of organisation " + same[0].Text(0),
                    "iana_id");
    }
    if (generate_keys) {
      auto pub = ENTENTE_TRY(keys_.Generate(tx, org.id));
      org.sign_public = pub.sign_public;
      org.box_public = pub.box_public;
    }
    Json body = {{"action", action}, {"actor", ActorJson(actor)}, {"org", OrgState(org)}};
    // Sign with the actor's key. The founding org signs itself; its keys were
    // just generated inside this transaction, so sign from them.
    journal::Envelope env;
    if (actor.org_id == org.id && generate_keys) {
      // Keys are not committed yet: read the secret through this transaction.
      auto rows =
          ENTENTE_TRY(tx.Query("SELECT sign_secret_enc FROM org_keys WHERE org_id = ?", {org.id}));
      crypto::SecretBytes secret =
          ENTENTE_TRY(master_.Decrypt(rows.at(0).Text(0), "org-sign:" + org.id));
      env.type = "directory.org";
      env.id = NewUuidV7(clock_);
      env.origin_node = node_id_;
      env.author_org = org.id;
      env.created = clock_.NowMillis();
      env.distribution.kind = journal::DistributionKind::kFederation;
      env.tlp = "green";
      env.body = body;
      ENTENTE_CHECK(journal::SignEnvelope(env, secret));
    } else {
      env = ENTENTE_TRY(MakeEnvelope(actor, "directory.org", body, supersedes));
    }
    ENTENTE_TRY(journal_.Record(tx, env, org.id));
    out = org;
    out.envelope_id = env.id;
    return Ok();
  }));
  return GetOrg(out.id);
}

Result<Organisation> Directory::CreateFoundingOrg(const Json& input) {
  Organisation o = ENTENTE_TRY(DecodeOrgInput(input, nullptr));
  o.id = NewUuidV7(clock_);
  o.home_node = node_id_;
  Actor self{"", o.id};  // (built before `o` is moved)
  return WriteOrg(self, "create", std::move(o), std::nullopt, true);
}

Result<Organisation> Directory::CreateOrg(const Actor& actor, const Json& input) {
  Organisation o = ENTENTE_TRY(DecodeOrgInput(input, nullptr));
  o.id = NewUuidV7(clock_);
  o.home_node = node_id_;
  return WriteOrg(actor, "create", std::move(o), std::nullopt, true);
}

Result<Organisation> Directory::UpdateOrg(const Actor& actor, const std::string& id,
                                          const Json& input) {
  Organisation current = ENTENTE_TRY(GetOrg(id));
  Organisation o = ENTENTE_TRY(DecodeOrgInput(input, &current));
  return WriteOrg(actor, "update", std::move(o), current.envelope_id, false);
}

namespace {
constexpr const char* kOrgCols =
    "o.id, o.kind, o.country, o.names, o.groupings, o.sectors, o.sign_public, o.box_public, "
    "o.home_node, o.website, o.envelope_id, o.created, o.updated, o.iana_id";

Organisation OrgFromRow(const store::Row& r) {
  Organisation o;
  o.id = r.Text(0);
  o.kind = r.Text(1);
  o.country = r.OptText(2);
  Json names = ParseStoredJson(r.Text(3));
  if (names.is_object())
    for (auto it = names.begin(); it != names.end(); ++it)
      if (it->is_string()) o.names[it.key()] = it->get<std::string>();
  Json g = ParseStoredJson(r.Text(4));
  if (g.is_array())
    for (auto& x : g) o.groupings.push_back(x.get<std::string>());
  Json s = ParseStoredJson(r.Text(5));
  if (s.is_array())
    for (auto& x : s) o.sectors.push_back(x.get<std::string>());
  o.sign_public = r.Text(6);
  o.box_public = r.Text(7);
  o.home_node = r.Text(8);
  o.website = r.OptText(9);
  o.envelope_id = r.Text(10);
  o.created = r.Int(11);
  o.updated = r.Int(12);
  if (!r.IsNull(13)) o.iana_id = r.Int(13);
  return o;
}

constexpr const char* kPocCols =
    "p.id, p.org_id, p.role, p.function_title, p.languages, p.timezone, p.hours, p.erased, "
    "p.name, p.channels, p.envelope_id, p.created, p.updated";

PointOfContact PocFromRow(const store::Row& r) {
  PointOfContact p;
  p.id = r.Text(0);
  p.org_id = r.Text(1);
  p.role = r.Text(2);
  p.function_title = r.Text(3);
  Json l = ParseStoredJson(r.Text(4));
  if (l.is_array())
    for (auto& x : l) p.languages.push_back(x.get<std::string>());
  p.timezone = r.Text(5);
  Json h = ParseStoredJson(r.Text(6));
  if (h.is_object()) {
    p.hours.always = h.value("always", false);
    if (h.contains("days"))
      for (auto& d : h["days"]) p.hours.days.push_back(d.get<std::string>());
    p.hours.start = h.value("start", "");
    p.hours.end = h.value("end", "");
  }
  p.erased = r.Int(7) != 0;
  p.name = r.OptText(8);
  if (!r.IsNull(9)) {
    Json c = ParseStoredJson(r.Text(9));
    if (c.is_array())
      for (auto& x : c) p.channels.push_back({x.value("type", ""), x.value("value", "")});
  }
  p.envelope_id = r.Text(10);
  p.created = r.Int(11);
  p.updated = r.Int(12);
  return p;
}
}  // namespace

Result<Organisation> Directory::GetOrg(const std::string& id) {
  auto rows = ENTENTE_TRY(
      db_.Query(std::string("SELECT ") + kOrgCols + " FROM orgs o WHERE o.id = ?", {id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no organisation " + id);
  return OrgFromRow(rows[0]);
}

Result<Page<Organisation>> Directory::SearchOrgs(const OrgQuery& q) {
  std::string sql = std::string("SELECT ") + kOrgCols + " FROM orgs o WHERE 1=1";
  store::Params params;
  if (!q.country.empty()) {
    sql += " AND o.country = ?";
    params.push_back(q.country);
  }
  if (!q.kind.empty()) {
    sql += " AND o.kind = ?";
    params.push_back(q.kind);
  }
  if (q.iana_id) {
    sql += " AND o.iana_id = ?";
    params.push_back(*q.iana_id);
  }
  if (!q.grouping.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM org_groupings g WHERE g.org_id = o.id AND g.grouping = ?)";
    params.push_back(q.grouping);
  }
  if (!q.sector.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM org_sectors s WHERE s.org_id = o.id AND s.sector = ?)";
    params.push_back(q.sector);
  }
  if (!q.q.empty()) {
    auto toks = Tokens(q.q);
    if (toks.empty()) return Page<Organisation>{};
    if (db_.backend() == store::Backend::kSqlite) {
      sql += " AND o.id IN (SELECT org_id FROM org_search WHERE org_search MATCH ?)";
    } else {
      sql += " AND o.search @@ to_tsquery('simple', ?)";
    }
    params.push_back(FtsQuery(db_.backend(), toks));
  }
  if (!q.after.empty()) {
    sql += " AND o.id > ?";
    params.push_back(q.after);
  }
  sql += " ORDER BY o.id LIMIT ?";
  params.push_back(static_cast<std::int64_t>(q.limit + 1));
  auto rows = ENTENTE_TRY(db_.Query(sql, params));
  Page<Organisation> page;
  for (const auto& r : rows) page.items.push_back(OrgFromRow(r));
  if (static_cast<int>(page.items.size()) > q.limit) {
    page.items.resize(q.limit);
    page.next = page.items.back().id;
  }
  return page;
}

Result<PointOfContact> Directory::WritePoc(const Actor& actor, const std::string& action,
                                           PointOfContact poc,
                                           std::optional<std::string> supersedes, bool new_key) {
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    crypto::SecretBytes key;
    if (new_key) {
      key = crypto::GenerateSymmetricKey();
      std::string enc = ENTENTE_TRY(master_.Encrypt({key.data(), key.size()}, "poc-key:" + poc.id));
      ENTENTE_TRY(tx.Exec("INSERT INTO poc_keys (poc_id, key_enc) VALUES (?, ?)", {poc.id, enc}));
    } else {
      auto rows = ENTENTE_TRY(tx.Query("SELECT key_enc FROM poc_keys WHERE poc_id = ?", {poc.id}));
      if (rows.empty())
        return Fail(ErrorCode::kFailedPrecondition, "point of contact " + poc.id + " was erased");
      key = ENTENTE_TRY(master_.Decrypt(rows[0].Text(0), "poc-key:" + poc.id));
    }
    Json personal = {{"name", poc.name ? Json(*poc.name) : Json()},
                     {"channels", ChannelsJson(poc.channels)}};
    std::string text = personal.dump();
    auto box = ENTENTE_TRY(
        crypto::EncryptAtRest(key, crypto::AsBytes(text), crypto::AsBytes("poc:" + poc.id)));
    sodium_memzero(text.data(), text.size());
    Json body = {{"action", action},
                 {"actor", ActorJson(actor)},
                 {"poc", PocState(poc, crypto::Base64UrlEncode(box))}};
    auto env = ENTENTE_TRY(MakeEnvelope(actor, "directory.poc", body, supersedes));
    ENTENTE_TRY(journal_.Record(tx, env, poc.id));
    return Ok();
  }));
  return GetPoc(poc.id);
}

Result<PointOfContact> Directory::CreatePoc(const Actor& actor, const std::string& org_id,
                                            const Json& input) {
  ENTENTE_TRY(GetOrg(org_id));
  PointOfContact p = ENTENTE_TRY(DecodePocInput(input, nullptr));
  p.id = NewUuidV7(clock_);
  p.org_id = org_id;
  return WritePoc(actor, "create", std::move(p), std::nullopt, true);
}

Result<PointOfContact> Directory::UpdatePoc(const Actor& actor, const std::string& id,
                                            const Json& input) {
  PointOfContact current = ENTENTE_TRY(GetPoc(id));
  if (current.erased)
    return Fail(ErrorCode::kFailedPrecondition, "point of contact " + id + " was erased");
  PointOfContact p = ENTENTE_TRY(DecodePocInput(input, &current));
  return WritePoc(actor, "update", std::move(p), current.envelope_id, false);
}

Result<PointOfContact> Directory::GetPoc(const std::string& id) {
  auto rows = ENTENTE_TRY(
      db_.Query(std::string("SELECT ") + kPocCols + " FROM pocs p WHERE p.id = ?", {id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no point of contact " + id);
  return PocFromRow(rows[0]);
}

Result<Page<PointOfContact>> Directory::SearchPocs(const PocQuery& q) {
  std::string sql =
      std::string("SELECT ") + kPocCols + " FROM pocs p JOIN orgs o ON o.id = p.org_id WHERE 1=1";
  store::Params params;
  if (!q.org.empty()) {
    sql += " AND p.org_id = ?";
    params.push_back(q.org);
  }
  if (!q.country.empty()) {
    sql += " AND o.country = ?";
    params.push_back(q.country);
  }
  if (!q.role.empty()) {
    sql += " AND p.role = ?";
    params.push_back(q.role);
  }
  if (!q.language.empty()) {
    sql +=
        " AND EXISTS (SELECT 1 FROM poc_languages l WHERE l.poc_id = p.id AND (l.lang = ? OR "
        "l.lang LIKE ?))";
    params.push_back(q.language);
    params.push_back(q.language + "-%");
  }
  if (!q.q.empty()) {
    auto toks = Tokens(q.q);
    if (toks.empty()) return Page<PointOfContact>{};
    if (db_.backend() == store::Backend::kSqlite) {
      sql += " AND p.id IN (SELECT poc_id FROM poc_search WHERE poc_search MATCH ?)";
    } else {
      sql += " AND p.search @@ to_tsquery('simple', ?)";
    }
    params.push_back(FtsQuery(db_.backend(), toks));
  }
  if (!q.after.empty()) {
    sql += " AND p.id > ?";
    params.push_back(q.after);
  }
  sql += " ORDER BY p.id LIMIT ?";
  params.push_back(static_cast<std::int64_t>(q.limit + 1));
  auto rows = ENTENTE_TRY(db_.Query(sql, params));
  Page<PointOfContact> page;
  for (const auto& r : rows) page.items.push_back(PocFromRow(r));
  if (static_cast<int>(page.items.size()) > q.limit) {
    page.items.resize(q.limit);
    page.next = page.items.back().id;
  }
  return page;
}

Status Directory::ErasePoc(const Actor& actor, const std::string& id) {
  PointOfContact p = ENTENTE_TRY(GetPoc(id));
  if (p.erased)
    return Fail(ErrorCode::kFailedPrecondition, "point of contact " + id + " is already erased");
  Json body = {{"actor", ActorJson(actor)}, {"poc", id}};
  auto env = ENTENTE_TRY(MakeEnvelope(actor, "directory.poc.erase", body, p.envelope_id));
  ENTENTE_TRY(journal_.RecordOne(env, id));
  return Ok();
}

Result<Json> Directory::ExportPoc(const std::string& id) {
  PointOfContact p = ENTENTE_TRY(GetPoc(id));
  Json out = {{"point_of_contact", p.ToJson(true)}};
  auto trail = ENTENTE_TRY(AuditTrail(id, "", 1000));
  Json history = Json::array();
  for (const auto& a : trail.items)
    history.push_back({{"envelope_id", a.envelope_id},
                       {"action", a.action},
                       {"at", FormatRfc3339(a.created)},
                       {"by_org", a.author_org},
                       {"changed", a.changed}});
  out["history"] = history;
  out["exported_at"] = FormatRfc3339(clock_.NowMillis());
  return out;
}

Result<Page<AuditItem>> Directory::AuditTrail(const std::string& subject, const std::string& before,
                                              int limit) {
  std::int64_t before_seq = 0;
  if (!before.empty()) {
    try {
      before_seq = std::stoll(before);
    } catch (...) {
      return Invalid("is not a valid cursor", "before");
    }
  }
  auto entries = ENTENTE_TRY(journal_.ReadSubject(subject, before_seq, limit + 1));
  Page<AuditItem> page;
  auto personal_of = [&](const journal::Envelope& e) -> std::optional<Json> {
    if (!e.body || !e.body->contains("poc") || !(*e.body)["poc"].is_object()) return std::nullopt;
    auto rows = db_.Query("SELECT key_enc FROM poc_keys WHERE poc_id = ?", {subject});
    if (!rows || rows->empty()) return std::nullopt;
    auto opened = poc_applier_->OpenPersonal(rows->at(0).Text(0), subject,
                                             (*e.body)["poc"].value("personal", ""));
    if (!opened) return std::nullopt;
    return Json{{"name", opened->first ? Json(*opened->first) : Json()},
                {"channels", ChannelsJson(opened->second)}};
  };
  for (size_t i = 0; i < entries.size() && static_cast<int>(i) < limit; ++i) {
    const auto& e = entries[i].envelope;
    AuditItem a;
    a.seq = entries[i].seq;
    a.envelope_id = e.id;
    a.type = e.type;
    a.author_org = e.author_org;
    a.created = e.created;
    if (e.body && e.body->is_object()) {
      a.action = e.body->value("action", e.type == "directory.poc.erase" ? "erase" : "");
      if (e.body->contains("actor") && (*e.body)["actor"].is_object())
        a.actor_user = (*e.body)["actor"].value("user", "");
    }
    // What changed: compare with the superseded version.
    const char* key = e.type == "directory.org" ? "org" : "poc";
    if (a.action == "update" && e.supersedes) {
      auto prev = journal_.ReadById(*e.supersedes);
      if (prev && *prev && (*prev)->envelope.body) {
        const Json& now = (*e.body)[key];
        const Json& then = (*(*prev)->envelope.body)[key];
        for (auto it = now.begin(); it != now.end(); ++it) {
          if (it.key() == "personal") continue;
          if (!then.contains(it.key()) || then[it.key()] != *it) a.changed.push_back(it.key());
        }
        for (auto it = then.begin(); it != then.end(); ++it)
          if (!now.contains(it.key())) a.changed.push_back(it.key());
        if (std::string(key) == "poc") {
          auto pn = personal_of(e), pt = personal_of((*prev)->envelope);
          if (!pn || !pt) {
            a.changed.push_back("personal data (not readable: erased)");
          } else {
            for (const char* f : {"name", "channels"})
              if ((*pn)[f] != (*pt)[f]) a.changed.push_back(f);
          }
        }
      }
    }
    page.items.push_back(std::move(a));
  }
  if (static_cast<int>(entries.size()) > limit) page.next = std::to_string(page.items.back().seq);
  return page;
}

}  // namespace entente::directory
