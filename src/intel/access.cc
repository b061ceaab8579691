#include "intel/access.h"

#include <fmt/format.h>

#include <algorithm>

namespace entente::intel {

Result<Reader> LoadReader(store::Database& db, std::string_view org_id) {
  Reader reader;
  reader.org_id = std::string(org_id);
  if (org_id.empty()) return reader;
  auto rows = ENTENTE_TRY(
      db.Query("SELECT community_id FROM community_members WHERE org_id = ? AND status = 'active' "
               "ORDER BY community_id",
               {std::string(org_id)}));
  for (const auto& r : rows) reader.community_ids.push_back(r.Text(0));
  return reader;
}

bool MayRead(const Reader& reader, const StoredObject& object) {
  if (reader.org_id.empty()) return false;
  if (object.owner_org == reader.org_id) return true;
  if (object.community_id.empty()) return false;
  if (object.tlp && *object.tlp == "red") return false;
  return std::find(reader.community_ids.begin(), reader.community_ids.end(), object.community_id) !=
         reader.community_ids.end();
}

std::string ReaderSql(const Reader& reader, store::Params& params, std::string_view prefix) {
  if (reader.org_id.empty()) return "1 = 0";
  std::string sql = fmt::format("({}owner_org = ?", prefix);
  params.emplace_back(reader.org_id);
  if (!reader.community_ids.empty()) {
    sql += fmt::format(" OR ({}community_id IN (", prefix);
    for (size_t i = 0; i < reader.community_ids.size(); ++i) {
      sql += i ? ",?" : "?";
      params.emplace_back(reader.community_ids[i]);
    }
    sql += fmt::format(") AND ({0}tlp IS NULL OR {0}tlp <> 'red'))", prefix);
  }
  sql += ")";
  return sql;
}

}  // namespace entente::intel
