#include "intel/sighting.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "intel/stix.h"
#include "jcs/jcs.h"

namespace entente::intel {

namespace {

// The namespace of Entente's derived STIX identifiers (a fixed random UUID).
constexpr std::array<unsigned char, 16> kNamespace = {
    0x6d, 0x1c, 0x4f, 0x0e, 0x93, 0x5b, 0x4a, 0x57, 0x8e, 0x21, 0x3c, 0x70, 0x5f, 0x2d, 0xa9, 0x44};

std::string UuidV5(std::string_view name) {
  std::string input(reinterpret_cast<const char*>(kNamespace.data()), kNamespace.size());
  input.append(name);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", digest[i]);
  }
  return out;
}

bool IsUuidText(std::string_view u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    const char c = u[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

int TlpRankOf(std::string_view tlp) {
  static constexpr std::array<std::string_view, 5> kOrder = {"clear", "green", "amber",
                                                             "amber+strict", "red"};
  for (size_t i = 0; i < kOrder.size(); ++i)
    if (kOrder[i] == tlp) return static_cast<int>(i) + 1;
  return 0;
}

// Milliseconds since the epoch as an RFC 3339 UTC timestamp with millisecond precision.
std::string TimestampOf(Millis ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

// A VersionKey ("2026-12-02T10:00:00.123000000Z") one millisecond later,
// written with millisecond precision.
std::string OneMillisecondAfter(const std::string& timestamp) {
  std::string key = VersionKey(timestamp);
  std::tm tm{};
  tm.tm_year = std::stoi(key.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(key.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(key.substr(8, 2));
  tm.tm_hour = std::stoi(key.substr(11, 2));
  tm.tm_min = std::stoi(key.substr(14, 2));
  tm.tm_sec = std::min(59, std::stoi(key.substr(17, 2)));
  const std::int64_t ms =
      static_cast<std::int64_t>(timegm(&tm)) * 1000 + std::stoll(key.substr(20, 3)) + 1;
  return TimestampOf(ms);
}

struct Existing {
  Json content;
  std::string community_id;
  std::optional<std::string> tlp;
};

}  // namespace

std::string OrgIdentityRef(std::string_view org_id) {
  return "identity--" + UuidV5(fmt::format("entente-organisation:{}", org_id));
}

std::string_view TlpMarkingId(std::string_view tlp) {
  if (tlp == "clear") return "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
  if (tlp == "green") return "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  if (tlp == "amber") return "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
  if (tlp == "amber+strict") return "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
  if (tlp == "red") return "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
  return "";
}

Result<SightingInput> SightingInputFromJson(const Json& j, std::string_view path) {
  const std::string base(path);
  if (!j.is_object()) return Invalid("must be an object", base);
  static const std::set<std::string> kKnown = {"indicator_id", "count",        "first_seen",
                                               "last_seen",    "where_org",    "where_location",
                                               "observed_by",  "community_id", "tlp"};
  for (const auto& [k, v] : j.items())
    if (!kKnown.contains(k)) return Invalid("unknown member", base + "/" + k);
  SightingInput in;
  auto text = [&](const char* name, std::string& out, bool required) -> Status {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
      if (required) return Invalid("required", base + "/" + name);
      return Ok();
    }
    if (!it->is_string()) return Invalid("must be a string", base + "/" + name);
    out = it->get<std::string>();
    return Ok();
  };
  ENTENTE_CHECK(text("indicator_id", in.indicator_id, true));
  ENTENTE_CHECK(text("first_seen", in.first_seen, true));
  ENTENTE_CHECK(text("last_seen", in.last_seen, false));
  ENTENTE_CHECK(text("where_org", in.where_org, false));
  ENTENTE_CHECK(text("where_location", in.where_location, false));
  ENTENTE_CHECK(text("observed_by", in.observed_by, false));
  ENTENTE_CHECK(text("community_id", in.community_id, false));
  ENTENTE_CHECK(text("tlp", in.tlp, false));
  if (in.last_seen.empty()) in.last_seen = in.first_seen;
  if (auto c = j.find("count"); c != j.end()) {
    if (!c->is_number_integer()) return Invalid("must be an integer", base + "/count");
    in.count = c->get<std::int64_t>();
  }
  return in;
}

Result<SightingReport> Sightings::ReportSightings(const Reader& reader, std::string_view org,
                                                  std::span<const SightingInput> inputs) const {
  if (org.empty() || reader.org_id != org)
    return Fail(ErrorCode::kFailedPrecondition, "the reader must be the reporting organisation");
  if (inputs.size() > kMaxSightingsPerReport)
    return Fail(ErrorCode::kResourceExhausted,
                fmt::format("at most {} sightings per report", kMaxSightingsPerReport),
                "sightings");
  // 1. Each input on its own.
  std::set<std::string> indicator_ids, communities;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    const std::string p = fmt::format("sightings/{}", i);
    if (!IsStixIdentifier(in.indicator_id) || !in.indicator_id.starts_with("indicator--"))
      return Invalid("must be an indicator id (indicator--UUID)", p + "/indicator_id");
    if (in.count < 1 || in.count > kMaxSightingCount)
      return Invalid(fmt::format("must be from 1 to {}", kMaxSightingCount), p + "/count");
    const std::string first = VersionKey(in.first_seen), last = VersionKey(in.last_seen);
    if (first.empty())
      return Invalid("must be an RFC 3339 UTC timestamp (2026-12-02T10:00:00Z)", p + "/first_seen");
    if (last.empty())
      return Invalid("must be an RFC 3339 UTC timestamp (2026-12-02T10:00:00Z)", p + "/last_seen");
    if (last < first) return Invalid("must not be before first_seen", p + "/last_seen");
    const std::string now = VersionKey(TimestampOf(clock_.NowMillis() + 5 * 60 * 1000));
    if (last > now) return Invalid("must not be in the future", p + "/last_seen");
    if (!in.where_org.empty() && !IsUuidText(in.where_org))
      return Invalid("must be an organisation id (UUID)", p + "/where_org");
    if (in.where_location.size() > 200)
      return Invalid("must be at most 200 bytes", p + "/where_location");
    if (in.observed_by.size() > 200)
      return Invalid("must be at most 200 bytes", p + "/observed_by");
    if (TlpMarkingId(in.tlp).empty())
      return Invalid("must be clear, green, amber, amber+strict or red", p + "/tlp");
    if (!jcs::IsValidUtf8(in.where_location) || !jcs::IsValidUtf8(in.observed_by))
      return Invalid("must be UTF-8", p);
    if (!in.community_id.empty()) {
      if (std::find(reader.community_ids.begin(), reader.community_ids.end(), in.community_id) ==
          reader.community_ids.end())
        return Fail(ErrorCode::kFailedPrecondition,
                    "not a community the organisation is an active member of", p + "/community_id");
      communities.insert(in.community_id);
    }
    indicator_ids.insert(in.indicator_id);
  }
  // 2. The indicators must be readable by the reporter.
  std::set<std::string> readable;
  {
    std::vector<std::string> ids(indicator_ids.begin(), indicator_ids.end());
    for (size_t from = 0; from < ids.size(); from += 500) {
      store::Params params;
      std::string sql =
          "SELECT stix_id FROM intel_objects WHERE type = 'indicator' AND is_latest = 1 AND "
          "stix_id IN (";
      for (size_t i = from; i < std::min(ids.size(), from + 500); ++i) {
        sql += i == from ? "?" : ",?";
        params.emplace_back(ids[i]);
      }
      sql += ") AND " + ReaderSql(reader, params);
      for (const auto& r : ENTENTE_TRY(db_.Query(sql, params))) readable.insert(r.Text(0));
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!readable.contains(inputs[i].indicator_id))
      return Fail(ErrorCode::kNotFound, "no such indicator",
                  fmt::format("sightings/{}/indicator_id", i));
  // 3. The charters' highest TLP.
  std::map<std::string, std::string> max_tlp;
  for (const auto& c : communities) {
    auto rows = ENTENTE_TRY(db_.Query("SELECT max_tlp FROM communities WHERE id = ?", {c}));
    if (!rows.empty()) max_tlp[c] = rows[0].Text(0);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto it = max_tlp.find(inputs[i].community_id);
    if (it != max_tlp.end() && TlpRankOf(inputs[i].tlp) > TlpRankOf(it->second))
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("TLP:{} is above TLP:{}, the highest the community's charter allows",
                              inputs[i].tlp, it->second),
                  fmt::format("sightings/{}/tlp", i));
  }
  // 4. Merge with what is stored and with earlier inputs of the batch.
  const std::string reporter = OrgIdentityRef(org);
  SightingReport report;
  std::map<std::string, Existing> existing;
  std::map<std::string, Json> merged;  // id -> object to store (new version)
  std::map<std::string, std::string> community_of;
  std::vector<std::string> order;
  for (const auto& in : inputs) {
    const std::string day = VersionKey(in.first_seen).substr(0, 10);
    report.ids.push_back("sighting--" +
                         UuidV5(fmt::format("sighting:{}:{}:{}", in.indicator_id, org, day)));
  }
  {
    std::set<std::string> unique(report.ids.begin(), report.ids.end());
    std::vector<std::string> ids(unique.begin(), unique.end());
    for (size_t from = 0; from < ids.size(); from += 500) {
      store::Params params;
      std::string sql =
          "SELECT stix_id, content, COALESCE(community_id, ''), tlp FROM intel_objects WHERE "
          "is_latest = 1 AND stix_id IN (";
      for (size_t i = from; i < std::min(ids.size(), from + 500); ++i) {
        sql += i == from ? "?" : ",?";
        params.emplace_back(ids[i]);
      }
      sql += ")";
      for (const auto& r : ENTENTE_TRY(db_.Query(sql, params)))
        existing[r.Text(0)] =
            Existing{Json::parse(r.Text(1), nullptr, false), r.Text(2), r.OptText(3)};
    }
  }
  const std::string now = TimestampOf(clock_.NowMillis());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    const std::string& id = report.ids[i];
    const Json* base = nullptr;
    if (auto m = merged.find(id); m != merged.end()) {
      base = &m->second;
    } else if (auto e = existing.find(id); e != existing.end() && e->second.content.is_object()) {
      if (e->second.community_id != in.community_id || e->second.tlp.value_or("") != in.tlp)
        return Fail(
            ErrorCode::kFailedPrecondition,
            fmt::format("this organisation's sighting of the indicator on {} is already "
                        "shared {} with TLP:{}; its distribution cannot change",
                        VersionKey(in.first_seen).substr(0, 10),
                        e->second.community_id.empty() ? std::string("with no community")
                                                       : "in community " + e->second.community_id,
                        e->second.tlp.value_or("none")),
            fmt::format("sightings/{}", i));
      base = &e->second.content;
    } else if (auto c = community_of.find(id);
               c != community_of.end() && c->second != in.community_id) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "two inputs of the batch give one sighting two distributions",
                  fmt::format("sightings/{}", i));
    }
    Json obj;
    if (base) {
      obj = *base;
      std::int64_t count = std::max(obj.value("count", std::int64_t{1}), in.count);
      std::string first = obj.value("first_seen", in.first_seen);
      std::string last = obj.value("last_seen", in.last_seen);
      if (VersionKey(in.first_seen) < VersionKey(first)) first = in.first_seen;
      if (VersionKey(in.last_seen) > VersionKey(last)) last = in.last_seen;
      bool changed = count != obj.value("count", std::int64_t{1}) ||
                     first != obj.value("first_seen", "") || last != obj.value("last_seen", "");
      obj["count"] = count;
      obj["first_seen"] = first;
      obj["last_seen"] = last;
      if (!in.where_org.empty()) {
        Json refs = Json::array({OrgIdentityRef(in.where_org)});
        changed |= obj.value("where_sighted_refs", Json::array()) != refs;
        obj["where_sighted_refs"] = refs;
      }
      if (!in.where_location.empty()) {
        changed |= obj.value("x_entente_where", "") != in.where_location;
        obj["x_entente_where"] = in.where_location;
      }
      if (!in.observed_by.empty()) {
        changed |= obj.value("x_entente_observed_by", "") != in.observed_by;
        obj["x_entente_observed_by"] = in.observed_by;
      }
      if (!changed) continue;
      std::string modified = now;
      if (VersionKey(modified) <= VersionKey(obj.value("modified", "")))
        modified = OneMillisecondAfter(obj.value("modified", ""));
      obj["modified"] = modified;
    } else {
      obj = {{"type", "sighting"},
             {"spec_version", "2.1"},
             {"id", id},
             {"created", now},
             {"modified", now},
             {"created_by_ref", reporter},
             {"sighting_of_ref", in.indicator_id},
             {"count", in.count},
             {"first_seen", in.first_seen},
             {"last_seen", in.last_seen},
             {"object_marking_refs", Json::array({std::string(TlpMarkingId(in.tlp))})}};
      if (!in.where_org.empty())
        obj["where_sighted_refs"] = Json::array({OrgIdentityRef(in.where_org)});
      if (!in.where_location.empty()) obj["x_entente_where"] = in.where_location;
      if (!in.observed_by.empty()) obj["x_entente_observed_by"] = in.observed_by;
    }
    if (!merged.contains(id)) order.push_back(id);
    community_of[id] = in.community_id;
    merged[id] = std::move(obj);
  }
  // The first input of each id decides its fate; later ones of the same id merged into it.
  std::set<std::string> counted;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!counted.insert(report.ids[i]).second) continue;
    if (!merged.contains(report.ids[i]))
      ++report.unchanged;
    else if (existing.contains(report.ids[i]))
      ++report.updated;
    else
      ++report.added;
  }
  // 5. Store, one import per community (all checks were made above).
  std::map<std::string, std::vector<const Json*>> by_community;
  for (const auto& id : order) by_community[community_of[id]].push_back(&merged[id]);
  for (const auto& [community, objects] : by_community) {
    std::string bundle =
        fmt::format(R"({{"type":"bundle","id":"bundle--{}","objects":[)", NewUuidV4());
    for (size_t i = 0; i < objects.size(); ++i) {
      if (i) bundle.push_back(',');
      bundle += objects[i]->dump();
    }
    bundle += "]}";
    ImportOptions options;
    options.owner_org = std::string(org);
    options.community_id = community;
    options.record_stored = false;
    if (auto it = max_tlp.find(community); it != max_tlp.end()) options.max_tlp = it->second;
    auto r = ENTENTE_TRY(repo_.Import(bundle, options));
    if (!r.stored) {
      const auto& o = r.outcomes.empty() ? ObjectOutcome{} : r.outcomes.front();
      return Fail(ErrorCode::kConflict,
                  fmt::format("the sighting could not be stored: {} ({})", o.reason, o.id));
    }
  }
  return report;
}

Result<SightingList> Sightings::ListFor(const Reader& reader, std::string_view indicator_id,
                                        size_t limit) const {
  {
    store::Params params{std::string(indicator_id)};
    std::string sql = "SELECT 1 FROM intel_objects WHERE stix_id = ? AND is_latest = 1 AND " +
                      ReaderSql(reader, params);
    if (ENTENTE_TRY(db_.Query(sql, params)).empty())
      return Fail(ErrorCode::kNotFound, "no such object");
  }
  store::Params params{std::string(indicator_id)};
  const std::string where =
      "s.sighting_of_ref = ? AND o.revoked = 0 AND " + ReaderSql(reader, params, "o.");
  SightingList out;
  {
    auto rows = ENTENTE_TRY(db_.Query(
        "SELECT COUNT(*), COALESCE(SUM(s.sighting_count), 0), COALESCE(MIN(s.first_seen), ''), "
        "COALESCE(MAX(s.last_seen), '') FROM intel_sightings s JOIN intel_objects o ON o.seq = "
        "s.obj_seq WHERE " +
            where,
        params));
    out.sightings = rows[0].Int(0);
    out.total_count = rows[0].Int(1);
    out.first_seen = rows[0].Text(2);
    out.last_seen = rows[0].Text(3);
  }
  auto rows = ENTENTE_TRY(db_.Query(
      fmt::format("SELECT o.stix_id, COALESCE(o.owner_org, ''), COALESCE(o.community_id, ''), "
                  "o.tlp, o.content, s.sighting_count FROM intel_sightings s JOIN intel_objects o "
                  "ON o.seq = s.obj_seq WHERE {} ORDER BY s.last_seen DESC, o.stix_id LIMIT {}",
                  where, limit),
      params));
  for (const auto& r : rows) {
    SightingView v;
    v.id = r.Text(0);
    v.reporter_org = r.Text(1);
    v.community_id = r.Text(2);
    v.tlp = r.OptText(3);
    Json c = Json::parse(r.Text(4), nullptr, false);
    v.count = r.Int(5);
    if (c.is_object()) {
      v.created_by_ref = c.value("created_by_ref", "");
      v.first_seen = c.value("first_seen", "");
      v.last_seen = c.value("last_seen", "");
      v.modified = c.value("modified", "");
      if (auto w = c.find("where_sighted_refs"); w != c.end() && w->is_array())
        for (const auto& ref : *w)
          if (ref.is_string()) v.where_sighted_refs.push_back(ref.get<std::string>());
      if (auto w = c.find("x_entente_where"); w != c.end() && w->is_string())
        v.where_location = w->get<std::string>();
      if (auto w = c.find("x_entente_observed_by"); w != c.end() && w->is_string())
        v.observed_by = w->get<std::string>();
    }
    out.items.push_back(std::move(v));
  }
  return out;
}

Json SightingListJson(const SightingList& list) {
  auto opt = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  Json items = Json::array();
  for (const auto& v : list.items) {
    items.push_back({{"id", v.id},
                     {"reporter_org", opt(v.reporter_org)},
                     {"created_by_ref", opt(v.created_by_ref)},
                     {"community_id", opt(v.community_id)},
                     {"tlp", v.tlp ? Json(*v.tlp) : Json(nullptr)},
                     {"count", v.count},
                     {"first_seen", opt(v.first_seen)},
                     {"last_seen", opt(v.last_seen)},
                     {"where_sighted_refs", v.where_sighted_refs},
                     {"where_location", opt(v.where_location)},
                     {"observed_by", opt(v.observed_by)},
                     {"modified", opt(v.modified)}});
  }
  return {{"items", std::move(items)},
          {"sightings", list.sightings},
          {"total_count", list.total_count},
          {"first_seen", opt(list.first_seen)},
          {"last_seen", opt(list.last_seen)}};
}

}  // namespace entente::intel
