#include "taxii/store.h"

#include <fmt/format.h>

#include <algorithm>

#include "intel/stix.h"

namespace entente::taxii {

namespace {

constexpr Millis kStatusRetention = 7LL * 24 * 3600 * 1000;

// The rows of the collection, for a table alias `p` ("o.").
std::string ScopeSql(const Collection& c, store::Params& params, std::string_view p) {
  if (c.IsPrivate()) {
    params.emplace_back(c.owner_org);
    return fmt::format("{0}community_id IS NULL AND {0}owner_org = ?", p);
  }
  params.emplace_back(c.community_id);
  return fmt::format("{}community_id = ?", p);
}

void InList(std::string& sql, store::Params& params, std::string_view column,
            const std::vector<std::string>& values) {
  if (values.empty()) return;
  sql += fmt::format(" AND {} IN (", column);
  for (size_t i = 0; i < values.size(); ++i) {
    sql += i ? ",?" : "?";
    params.emplace_back(values[i]);
  }
  sql += ")";
}

// The rows of `object_id` (or of every id) that `version` selects, readable
// by `reader` in `c`, with seq > after_seq: the WHERE clause after "FROM
// intel_objects o WHERE ".
std::string SelectionSql(const Collection& c, const Reader& reader, const Query& q,
                         const std::optional<std::string>& object_id, store::Params& params) {
  std::string sql = "o.seq > ?";
  params.emplace_back(q.after_seq);
  sql += " AND " + ScopeSql(c, params, "o.");
  sql += " AND " + intel::ReaderSql(reader, params, "o.");
  if (object_id) {
    sql += " AND o.stix_id = ?";
    params.emplace_back(*object_id);
  }
  InList(sql, params, "o.stix_id", q.ids);
  InList(sql, params, "o.type", q.types);
  if (q.added_after_ms) {
    sql += " AND o.added_at > ?";
    params.emplace_back(*q.added_after_ms);
  }
  const VersionMatch& v = q.version;
  if (!v.all) {
    std::vector<std::string> any;
    auto none = [&](const char* op) {
      std::string s = fmt::format(
          "NOT EXISTS (SELECT 1 FROM intel_objects n WHERE n.stix_id = o.stix_id AND n.version {} "
          "o.version AND ",
          op);
      s += ScopeSql(c, params, "n.");
      s += " AND " + intel::ReaderSql(reader, params, "n.") + ")";
      return s;
    };
    if (v.last || v.Default()) any.push_back(none(">"));
    if (v.first) any.push_back(none("<"));
    if (!v.keys.empty()) {
      std::string s = "o.version IN (";
      for (size_t i = 0; i < v.keys.size(); ++i) {
        s += i ? ",?" : "?";
        params.emplace_back(v.keys[i]);
      }
      any.push_back(s + ")");
    }
    sql += " AND (";
    for (size_t i = 0; i < any.size(); ++i) sql += (i ? " OR " : "") + any[i];
    sql += ")";
  }
  return sql;
}

bool SpecVersionSelectsNothing(const Query& q) {
  return !q.spec_versions.empty() &&
         std::find(q.spec_versions.begin(), q.spec_versions.end(), "2.1") == q.spec_versions.end();
}

}  // namespace

Result<std::vector<Collection>> TaxiiStore::Collections(const Reader& reader,
                                                        const std::string& org_title) const {
  std::vector<Collection> out;
  if (reader.org_id.empty()) return out;
  out.push_back(Collection{reader.org_id, org_title,
                           "Intelligence your organisation imported without sharing it in a "
                           "community: only your organisation reads it.",
                           "", reader.org_id});
  if (reader.community_ids.empty()) return out;
  std::string sql = "SELECT id, name, purpose FROM communities WHERE id IN (";
  store::Params params;
  for (size_t i = 0; i < reader.community_ids.size(); ++i) {
    sql += i ? ",?" : "?";
    params.emplace_back(reader.community_ids[i]);
  }
  sql += ") ORDER BY name, id";
  for (const auto& r : ENTENTE_TRY(db_.Query(sql, params)))
    out.push_back(Collection{r.Text(0), r.Text(1), r.Text(2), r.Text(0), ""});
  return out;
}

Result<std::optional<Collection>> TaxiiStore::FindCollection(const Reader& reader,
                                                             const std::string& id,
                                                             const std::string& org_title) const {
  if (reader.org_id.empty()) return std::optional<Collection>{};
  if (id != reader.org_id && std::find(reader.community_ids.begin(), reader.community_ids.end(),
                                       id) == reader.community_ids.end())
    return std::optional<Collection>{};
  for (auto& c : ENTENTE_TRY(Collections(reader, org_title)))
    if (c.id == id) return std::optional<Collection>(std::move(c));
  return std::optional<Collection>{};
}

Result<Page> TaxiiStore::Read(const Collection& collection, const Reader& reader,
                              const Query& query, const std::optional<std::string>& object_id,
                              bool with_content) const {
  Page page;
  if (SpecVersionSelectsNothing(query)) return page;
  store::Params params;
  std::string sql = fmt::format(
      "SELECT o.seq, o.stix_id, o.type, o.modified, o.added_at, o.owner_org{} FROM intel_objects "
      "o WHERE ",
      with_content ? ", o.content" : "");
  sql += SelectionSql(collection, reader, query, object_id, params);
  const size_t limit = std::clamp<size_t>(query.limit, 1, kMaxLimit);
  sql += fmt::format(" ORDER BY o.seq LIMIT {}", limit + 1);
  store::Rows rows;
  if (db_.backend() == store::Backend::kPostgres) {
    // See the header: a gap-free prefix of seq for every page.
    ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec("LOCK TABLE intel_objects IN SHARE MODE"));
      rows = ENTENTE_TRY(tx.Query(sql, params));
      return Ok();
    }));
  } else {
    rows = ENTENTE_TRY(db_.Query(sql, params));
  }
  page.more = rows.size() > limit;
  if (page.more) rows.resize(limit);
  page.entries.reserve(rows.size());
  for (auto& r : rows) {
    Entry e;
    e.seq = r.Int(0);
    e.id = r.Text(1);
    e.type = r.Text(2);
    e.version = r.Text(3);
    e.added_at = r.Int(4);
    e.owner_org = r.Text(5);
    if (with_content) e.content = r.Text(6);
    page.entries.push_back(std::move(e));
  }
  return page;
}

Result<bool> TaxiiStore::Exists(const Collection& collection, const Reader& reader,
                                const std::string& object_id) const {
  // One statement per part: the order of `params` is the order of the `?`.
  store::Params params{object_id};
  std::string sql = "SELECT 1 FROM intel_objects o WHERE o.stix_id = ? AND ";
  sql += ScopeSql(collection, params, "o.");
  sql += " AND ";
  sql += intel::ReaderSql(reader, params, "o.");
  sql += " LIMIT 1";
  return !ENTENTE_TRY(db_.Query(sql, params)).empty();
}

Result<DeleteResult> TaxiiStore::Delete(const Collection& collection, const Reader& reader,
                                        const std::string& object_id, const Query& query,
                                        const std::string& user_id,
                                        const RecordDelete& record) const {
  Query q = query;
  q.after_seq = 0;
  q.added_after_ms.reset();
  q.ids.clear();
  q.types.clear();
  if (q.version.Default()) q.version.all = true;  // no match[version]: every version
  if (SpecVersionSelectsNothing(q)) return DeleteResult::kNotFound;
  DeleteResult result = DeleteResult::kDeleted;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    if (db_.backend() == store::Backend::kPostgres)
      ENTENTE_TRY(tx.Exec("LOCK TABLE intel_objects IN SHARE ROW EXCLUSIVE MODE"));
    store::Params params;
    std::string sql = "SELECT o.version, o.owner_org FROM intel_objects o WHERE " +
                      SelectionSql(collection, reader, q, object_id, params) +
                      " ORDER BY o.version";
    auto rows = ENTENTE_TRY(tx.Query(sql, params));
    if (rows.empty()) {
      result = DeleteResult::kNotFound;
      return Ok();
    }
    Json versions = Json::array();
    for (const auto& r : rows) {
      if (r.IsNull(1) || r.Text(1) != reader.org_id) {
        result = DeleteResult::kNotOwner;
        return Ok();
      }
      versions.push_back(r.Text(0));
    }
    Json actor = {{"org", reader.org_id}};
    if (!user_id.empty()) actor["user"] = user_id;
    Json body = {
        {"collection", collection.id},
        {"community", collection.IsPrivate() ? Json(nullptr) : Json(collection.community_id)},
        {"object_id", object_id},
        {"versions", std::move(versions)},
        {"actor", std::move(actor)}};
    return record(tx, body);
  }));
  return result;
}

namespace {

struct DeleteBody {
  std::string community, object_id;
  std::vector<std::string> versions;
};

Result<DeleteBody> ReadDeleteBody(const journal::Envelope& env) {
  auto bad = [](std::string_view what) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("taxii.delete: {}", what), "body");
  };
  if (!env.body || !env.body->is_object()) return bad("the body must be an object");
  const Json& b = *env.body;
  for (const auto& [k, v] : b.items())
    if (k != "collection" && k != "community" && k != "object_id" && k != "versions" &&
        k != "actor")
      return bad("unknown member " + k);
  DeleteBody out;
  auto c = b.find("community");
  if (c == b.end() || !(c->is_null() || c->is_string())) return bad("community");
  if (c->is_string()) out.community = c->get<std::string>();
  auto col = b.find("collection");
  if (col == b.end() || !col->is_string()) return bad("collection");
  // A private collection is the author organisation's own.
  if (out.community.empty() ? col->get<std::string>() != env.author_org
                            : col->get<std::string>() != out.community)
    return bad("the collection is not the community or the author's own");
  auto id = b.find("object_id");
  if (id == b.end() || !id->is_string() || !intel::IsStixIdentifier(id->get<std::string>()))
    return bad("object_id");
  out.object_id = id->get<std::string>();
  auto v = b.find("versions");
  if (v == b.end() || !v->is_array() || v->empty() || v->size() > 100'000) return bad("versions");
  for (const auto& x : *v) {
    if (!x.is_string()) return bad("versions");
    out.versions.push_back(x.get<std::string>());
  }
  auto a = b.find("actor");
  if (a == b.end() || !a->is_object() || !a->contains("org") || !(*a)["org"].is_string() ||
      (*a)["org"].get<std::string>() != env.author_org)
    return bad("actor.org must be the author organisation");
  return out;
}

// "stix_id = ? AND version IN (...) AND <collection>" for the body's rows.
std::string DeleteRowsSql(const DeleteBody& d, const std::string& author, store::Params& params) {
  std::string sql = "stix_id = ?";
  params.emplace_back(d.object_id);
  InList(sql, params, "version", d.versions);
  if (d.community.empty()) {
    sql += " AND community_id IS NULL AND owner_org = ?";
    params.emplace_back(author);
  } else {
    sql += " AND community_id = ?";
    params.emplace_back(d.community);
  }
  return sql;
}

}  // namespace

Status DeleteApplier::Validate(store::Tx& tx, const journal::Envelope& env) {
  auto d = ENTENTE_TRY(ReadDeleteBody(env));
  store::Params params;
  params.emplace_back(env.author_org);
  auto rows = ENTENTE_TRY(tx.Query(
      "SELECT COUNT(*) FROM intel_objects WHERE (owner_org IS NULL OR owner_org <> ?) AND " +
          DeleteRowsSql(d, env.author_org, params),
      params));
  if (rows[0].Int(0) != 0)
    return Fail(ErrorCode::kPermissionDenied,
                "taxii.delete: only the organisation that added an object deletes it");
  return Ok();
}

Status DeleteApplier::Apply(store::Tx& tx, const journal::Envelope& env) {
  auto d = ENTENTE_TRY(ReadDeleteBody(env));
  store::Params params;
  std::string where = DeleteRowsSql(d, env.author_org, params);
  auto seqs = ENTENTE_TRY(tx.Query("SELECT seq FROM intel_objects WHERE " + where, params));
  if (seqs.empty()) return Ok();  // already gone (a replay)
  std::string in = "(";
  store::Params seq_params;
  for (const auto& r : seqs) {
    in += seq_params.empty() ? "?" : ",?";
    seq_params.emplace_back(r.Int(0));
  }
  in += ")";
  ENTENTE_TRY(tx.Exec("DELETE FROM intel_observables WHERE obj_seq IN " + in, seq_params));
  ENTENTE_TRY(tx.Exec("DELETE FROM intel_sightings WHERE obj_seq IN " + in, seq_params));
  ENTENTE_TRY(tx.Exec("DELETE FROM intel_objects WHERE seq IN " + in, seq_params));
  auto latest = ENTENTE_TRY(
      tx.Query("SELECT seq FROM intel_objects WHERE stix_id = ? AND is_latest = 1", {d.object_id}));
  if (!latest.empty()) return Ok();
  auto newest = ENTENTE_TRY(tx.Query(
      "SELECT seq, type, content FROM intel_objects WHERE stix_id = ? ORDER BY version DESC "
      "LIMIT 1",
      {d.object_id}));
  if (newest.empty()) return Ok();
  std::int64_t seq = newest[0].Int(0);
  ENTENTE_TRY(tx.Exec("UPDATE intel_objects SET is_latest = 1 WHERE seq = ?", {seq}));
  if (newest[0].Text(1) != "sighting") return Ok();
  // The sighting row follows the version that is the latest again.
  Json obj = Json::parse(newest[0].Text(2), nullptr, false);
  if (!obj.is_object() || !obj.contains("sighting_of_ref") || !obj["sighting_of_ref"].is_string())
    return Ok();
  auto ts = [&](const char* k) -> store::Value {
    auto it = obj.find(k);
    if (it == obj.end() || !it->is_string()) return store::Null{};
    return intel::VersionKey(it->get<std::string>());
  };
  auto c = obj.find("count");
  std::int64_t count = c != obj.end() && c->is_number_integer() ? c->get<std::int64_t>() : 1;
  ENTENTE_TRY(
      tx.Exec("INSERT INTO intel_sightings (stix_id, obj_seq, sighting_of_ref, sighting_count, "
              "first_seen, last_seen) VALUES (?,?,?,?,?,?)",
              {d.object_id, seq, obj["sighting_of_ref"].get<std::string>(), count, ts("first_seen"),
               ts("last_seen")}));
  return Ok();
}

Status TaxiiStore::SaveStatus(const std::string& id, const std::string& org_id,
                              const std::string& collection_id, const std::string& body) const {
  Millis now = clock_.NowMillis();
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM taxii_status WHERE created < ?", {now - kStatusRetention}));
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO taxii_status (id, org_id, collection_id, created, body) VALUES (?,?,?,?,?)",
        {id, org_id, collection_id, now, body}));
    return Ok();
  });
}

Result<std::optional<std::string>> TaxiiStore::LoadStatus(const std::string& id,
                                                          const std::string& org_id) const {
  auto rows = ENTENTE_TRY(
      db_.Query("SELECT body FROM taxii_status WHERE id = ? AND org_id = ?", {id, org_id}));
  if (rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>(rows[0].Text(0));
}

}  // namespace entente::taxii
