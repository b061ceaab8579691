// Read-side queries of the observatory for the API and the console: stored
// figures as series over days, and sorting/paging of figure rows. The rows
// are the JSON of FiguresToJson / MonthToJson, so the API shows exactly the
// numbers of `entente dns day` and `entente dns report`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/store.h"

namespace entente::dnsabuse {

// Snapshot days stored, newest first, with their totals.
Result<nlohmann::json> Days(store::Database& db, int limit);

// Series of `scope` (tld | registrar | all) for each key over [from, to]
// (YYYY-MM-DD, at most 366 days): {"from", "to", "series": [{key, label,
// points: [{day, domains, abused, per10k, share, new_share, phishing,
// malware, botnet_cc, spam, mitigated, median_ttm}]}]}. kNotFound when a key
// has no figure in the range (unknown TLD or registrar).
Result<nlohmann::json> Trend(store::Database& db, const std::string& scope,
                             const std::vector<std::string>& keys, const std::string& from,
                             const std::string& to);

// Columns rows may be sorted by.
bool IsSortColumn(const std::string& column);
// Sorts rows (JSON objects) by `column` (numbers numerically, strings
// lexicographically, nulls last in both orders, then by key) and returns
// rows [offset, offset + limit) with the total: {"total", "items"}.
nlohmann::json SortAndPage(std::vector<nlohmann::json> rows, const std::string& column,
                           bool descending, std::size_t offset, std::size_t limit);

}  // namespace entente::dnsabuse
