#include "match/source.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "intel/access.h"
#include "match/indicator_io.h"

namespace entente::match {

namespace {

// Rows of the last kWindow seqs are counted into the key (see source.h).
constexpr std::int64_t kWindow = 10000;
constexpr std::size_t kPage = 5000;

}  // namespace

Result<StoreGeneration> CurrentStoreGeneration(store::Database& db) {
  StoreGeneration g;
  auto rows = ENTENTE_TRY(db.Query("SELECT COALESCE(MAX(seq), 0) FROM intel_objects"));
  g.max_seq = rows.empty() ? 0 : rows[0].Int(0);
  auto recent = ENTENTE_TRY(
      db.Query("SELECT COUNT(*) FROM intel_objects WHERE seq > ?", {g.max_seq - kWindow}));
  g.recent_rows = recent.empty() ? 0 : recent[0].Int(0);
  return g;
}

namespace {

// One scope's generation; `column` is owner_org or community_id (indexed
// with seq).
Result<ScopeGeneration> ScopeOf(store::Database& db, std::string_view column,
                                const std::string& value, std::string name) {
  ScopeGeneration g;
  g.scope = std::move(name);
  auto rows = ENTENTE_TRY(
      db.Query(fmt::format("SELECT COALESCE(MAX(seq), 0) FROM intel_objects WHERE {} = ?", column),
               {value}));
  g.max_seq = rows.empty() ? 0 : rows[0].Int(0);
  auto recent = ENTENTE_TRY(
      db.Query(fmt::format("SELECT COUNT(*) FROM intel_objects WHERE {} = ? AND seq > ?", column),
               {value, g.max_seq - kWindow}));
  g.recent_rows = recent.empty() ? 0 : recent[0].Int(0);
  return g;
}

// "(x.owner_org = ? OR x.community_id IN (?, ...))" with its parameters.
std::string InScope(std::string_view x, const std::string& org_id,
                    const std::vector<std::string>& communities, store::Params& params) {
  std::string sql = fmt::format("(COALESCE({0}.owner_org, '') = ?", x);
  params.emplace_back(org_id);
  if (!communities.empty()) {
    sql += fmt::format(" OR COALESCE({}.community_id, '') IN (", x);
    for (std::size_t i = 0; i < communities.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.emplace_back(communities[i]);
    }
    sql += ")";
  }
  return sql + ")";
}

}  // namespace

Result<SourceKey> CurrentSourceKey(store::Database& db, const std::string& org_id) {
  SourceKey key;
  key.store = ENTENTE_TRY(CurrentStoreGeneration(db));
  auto reader = ENTENTE_TRY(intel::LoadReader(db, org_id));
  key.communities = std::move(reader.community_ids);
  // An empty org_id reads nothing (intel/access.h): no scope, no change.
  if (org_id.empty()) return key;
  key.scopes.push_back(ENTENTE_TRY(ScopeOf(db, "owner_org", org_id, "org:" + org_id)));
  for (const auto& c : key.communities)
    key.scopes.push_back(ENTENTE_TRY(ScopeOf(db, "community_id", c, "community:" + c)));
  store::Params params;
  params.emplace_back(key.store.max_seq - kWindow);
  std::string sql = "SELECT COUNT(*) FROM intel_objects n WHERE n.seq > ? AND NOT ";
  sql += InScope("n", org_id, key.communities, params);
  sql += " AND EXISTS (SELECT 1 FROM intel_objects o WHERE o.stix_id = n.stix_id AND ";
  sql += InScope("o", org_id, key.communities, params);
  sql += ")";
  auto foreign = ENTENTE_TRY(db.Query(sql, params));
  key.foreign_versions = foreign.empty() ? 0 : foreign[0].Int(0);
  return key;
}

Result<std::vector<Indicator>> IndicatorsOfStored(const intel::StoredObject& object,
                                                  Pap default_pap) {
  if (object.type != "indicator") return Invalid("not an indicator");
  auto j = nlohmann::json::parse(object.content, nullptr, false);
  if (j.is_discarded()) return Invalid("stored content is not JSON");
  IndicatorDefaults d;
  d.tlp = Tlp::kAmber;
  d.pap = default_pap;
  auto records = ENTENTE_TRY(IndicatorsOfStixObject(j, d));
  std::optional<Tlp> tlp;
  if (object.tlp) {
    tlp = TlpFromName(*object.tlp);
    if (!tlp) return Invalid(fmt::format("unknown stored TLP '{}'", *object.tlp));
  }
  for (auto& r : records) {
    // The store is the authority: its TLP (also from marking definitions of
    // the bundle), the community it was shared in, and revocation.
    r.tlp = tlp.value_or(Tlp::kAmber);
    r.community = object.community_id;
    r.revoked = r.revoked || object.revoked;
  }
  return records;
}

Result<std::shared_ptr<const SourceSnapshot>> IndicatorSource::Build(const std::string& org_id,
                                                                     const SourceKey& key) {
  auto snap = std::make_shared<SourceSnapshot>();
  snap->org_id = org_id;
  snap->key = key;
  snap->built_at = clock_.NowMillis();
  intel::Reader reader{org_id, key.communities};
  // PAP when the object has no x_entente_pap: its community's charter
  // default, and PAP:CLEAR for what the organisation keeps to itself.
  std::map<std::string, Pap> community_pap;
  for (const auto& r : ENTENTE_TRY(db_.Query("SELECT id, default_pap FROM communities")))
    community_pap[r.Text(0)] = PapFromName(r.Text(1)).value_or(Pap::kAmber);
  intel::IntelRepository repo(db_, clock_);
  intel::ObjectFilter filter;
  filter.types = {"indicator"};
  filter.reader = &reader;
  filter.limit = kPage;
  while (true) {
    auto page = ENTENTE_TRY(repo.List(filter));
    for (const auto& o : page) {
      ++snap->stored;
      Pap pap = Pap::kClear;
      if (!o.community_id.empty()) {
        auto it = community_pap.find(o.community_id);
        pap = it == community_pap.end() ? Pap::kAmber : it->second;
      }
      auto records = IndicatorsOfStored(o, pap);
      if (!records) {
        ++snap->unusable;
        if (snap->problems.size() < 20)
          snap->problems.push_back(fmt::format("{}: {}", o.id, records.error().message));
        continue;
      }
      for (auto& r : *records) snap->indicators.push_back(std::move(r));
    }
    if (page.size() < kPage) break;
    filter.after_seq = page.back().seq;
  }
  Millis now = snap->built_at;
  for (const auto& i : snap->indicators) {
    if (i.revoked) continue;
    for (Millis t : {i.valid_from, i.valid_until})
      if (t > now && (snap->next_change == 0 || t < snap->next_change)) snap->next_change = t;
  }
  Policy policy;
  policy.now = now;
  snap->index = ENTENTE_TRY(Index::Build(snap->indicators, policy));
  {
    std::lock_guard lock(mu_);
    ++builds_;
  }
  return std::shared_ptr<const SourceSnapshot>(std::move(snap));
}

Result<std::shared_ptr<const SourceSnapshot>> IndicatorSource::For(const std::string& org_id) {
  StoreGeneration generation = ENTENTE_TRY(CurrentStoreGeneration(db_));
  Millis now = clock_.NowMillis();
  auto current = [&](const Entry& e) {
    return e.snapshot->next_change == 0 || now < e.snapshot->next_change;
  };
  // Nothing changed anywhere since the last check: the cached snapshot.
  // Memberships are read again each time (they are not in the store's
  // generation).
  auto reader = ENTENTE_TRY(intel::LoadReader(db_, org_id));
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(org_id);
    if (it != cache_.end() && it->second.checked == generation &&
        it->second.snapshot->key.communities == reader.community_ids && current(it->second))
      return it->second.snapshot;
  }
  // Something changed: rebuild only if it is something the organisation
  // reads.
  SourceKey key = ENTENTE_TRY(CurrentSourceKey(db_, org_id));
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(org_id);
    if (it != cache_.end() && it->second.snapshot->key.SameFor(key) && current(it->second)) {
      it->second.checked = key.store;
      return it->second.snapshot;
    }
  }
  auto snap = ENTENTE_TRY(Build(org_id, key));
  std::lock_guard lock(mu_);
  cache_[org_id] = Entry{snap, key.store};
  return snap;
}

std::uint64_t IndicatorSource::builds() const {
  std::lock_guard lock(mu_);
  return builds_;
}

}  // namespace entente::match
