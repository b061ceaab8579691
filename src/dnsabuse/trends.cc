#include "dnsabuse/trends.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "dnsabuse/feeds.h"

namespace entente::dnsabuse {

using Json = nlohmann::json;

Result<Json> Days(store::Database& db, int limit) {
  auto rows = ENTENTE_TRY(db.Query(
      "SELECT day, totals FROM dns_snapshots ORDER BY day DESC LIMIT ?", {std::int64_t{limit}}));
  Json out = Json::array();
  for (const auto& r : rows) {
    Json t = Json::parse(r.Text(1), nullptr, false);
    out.push_back({{"day", r.Text(0)}, {"totals", t.is_discarded() ? Json::object() : t}});
  }
  return out;
}

Result<Json> Trend(store::Database& db, const std::string& scope,
                   const std::vector<std::string>& keys, const std::string& from,
                   const std::string& to) {
  if (scope != "tld" && scope != "registrar" && scope != "all")
    return Invalid("must be all, tld or registrar", "scope");
  const auto f = ParseDay(from), t = ParseDay(to);
  if (!f) return Invalid(fmt::format("'{}' is not a date YYYY-MM-DD", from), "from");
  if (!t) return Invalid(fmt::format("'{}' is not a date YYYY-MM-DD", to), "to");
  if (*t < *f) return Invalid("is before from", "to");
  if (*t - *f > 365) return Invalid("a series covers at most 366 days", "to");
  std::vector<std::string> ks = scope == "all" ? std::vector<std::string>{""} : keys;
  if (ks.empty()) return Invalid("name at least one key (a TLD or an IANA id)", "key");
  if (ks.size() > 20) return Invalid("at most 20 keys", "key");
  Json series = Json::array();
  for (const auto& k : ks) {
    auto rows = ENTENTE_TRY(db.Query(
        "SELECT day, label, domains, abused, per10k, share, new_share, phishing, malware, "
        "botnet_cc, spam, mitigated, median_ttm FROM dns_figures WHERE scope = ? AND key = ? "
        "AND day >= ? AND day <= ? ORDER BY day",
        {scope, k, from, to}));
    if (rows.empty())
      return Fail(ErrorCode::kNotFound,
                  fmt::format("no figures for {} '{}' between {} and {}", scope, k, from, to),
                  "key");
    Json points = Json::array();
    for (const auto& r : rows) {
      points.push_back({{"day", r.Text(0)},
                        {"domains", r.Int(2)},
                        {"abused", r.Int(3)},
                        {"per10k", r.Real(4)},
                        {"share", r.Real(5)},
                        {"new_share", r.IsNull(6) ? Json() : Json(r.Real(6))},
                        {"phishing", r.Int(7)},
                        {"malware", r.Int(8)},
                        {"botnet_cc", r.Int(9)},
                        {"spam", r.Int(10)},
                        {"mitigated", r.Int(11)},
                        {"median_ttm", r.IsNull(12) ? Json() : Json(r.Real(12))}});
    }
    series.push_back({{"key", k}, {"label", rows.back().Text(1)}, {"points", points}});
  }
  return Json{{"scope", scope}, {"from", from}, {"to", to}, {"series", series}};
}

namespace {
const std::set<std::string> kSortColumns = {
    "key",        "label",    "days",      "domains",    "abused",
    "per10k",     "share",    "new_share", "phishing",   "malware",
    "botnet_cc",  "spam",     "mitigated", "median_ttm", "median_ttm_days",
    "new_abused", "known_age"};
}

bool IsSortColumn(const std::string& column) { return kSortColumns.contains(column); }

Json SortAndPage(std::vector<Json> rows, const std::string& column, bool descending,
                 std::size_t offset, std::size_t limit) {
  auto tie = [](const Json& a, const Json& b) {
    return a.value("key", std::string()) < b.value("key", std::string());
  };
  std::sort(rows.begin(), rows.end(), [&](const Json& a, const Json& b) {
    const Json& x = a.contains(column) ? a[column] : Json();
    const Json& y = b.contains(column) ? b[column] : Json();
    if (x.is_null() != y.is_null()) return y.is_null();  // nulls last
    if (x.is_null() || x == y) return tie(a, b);
    if (x.is_number() && y.is_number()) {
      const double dx = x.get<double>(), dy = y.get<double>();
      if (dx == dy) return tie(a, b);
      return descending ? dx > dy : dx < dy;
    }
    const std::string sx = x.is_string() ? x.get<std::string>() : x.dump();
    const std::string sy = y.is_string() ? y.get<std::string>() : y.dump();
    if (sx == sy) return tie(a, b);
    return descending ? sx > sy : sx < sy;
  });
  Json items = Json::array();
  for (std::size_t i = offset; i < rows.size() && i < offset + limit; ++i) items.push_back(rows[i]);
  return Json{{"total", rows.size()}, {"offset", offset}, {"items", items}};
}

}  // namespace entente::dnsabuse
