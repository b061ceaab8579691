#include "taxii/store.h"

#include <fmt/format.h>

#include <algorithm>

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
                                        const std::string& object_id, const Query& query) const {
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
    std::string sql = "SELECT o.seq, o.owner_org FROM intel_objects o WHERE " +
                      SelectionSql(collection, reader, q, object_id, params);
    auto rows = ENTENTE_TRY(tx.Query(sql, params));
    if (rows.empty()) {
      result = DeleteResult::kNotFound;
      return Ok();
    }
    std::string del = "DELETE FROM intel_objects WHERE seq IN (";
    store::Params seqs;
    for (const auto& r : rows) {
      if (r.Text(1) != reader.org_id) {
        result = DeleteResult::kNotOwner;
        return Ok();
      }
      del += seqs.empty() ? "?" : ",?";
      seqs.emplace_back(r.Int(0));
    }
    ENTENTE_TRY(tx.Exec(del + ")", seqs));
    auto latest = ENTENTE_TRY(
        tx.Query("SELECT seq FROM intel_objects WHERE stix_id = ? AND is_latest = 1", {object_id}));
    if (latest.empty()) {
      auto newest = ENTENTE_TRY(
          tx.Query("SELECT seq FROM intel_objects WHERE stix_id = ? ORDER BY version DESC LIMIT 1",
                   {object_id}));
      if (!newest.empty())
        ENTENTE_TRY(
            tx.Exec("UPDATE intel_objects SET is_latest = 1 WHERE seq = ?", {newest[0].Int(0)}));
    }
    return Ok();
  }));
  return result;
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
