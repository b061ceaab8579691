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

Result<SourceKey> CurrentSourceKey(store::Database& db, const std::string& org_id) {
  SourceKey key;
  auto rows = ENTENTE_TRY(db.Query("SELECT COALESCE(MAX(seq), 0) FROM intel_objects"));
  key.max_seq = rows.empty() ? 0 : rows[0].Int(0);
  auto recent = ENTENTE_TRY(
      db.Query("SELECT COUNT(*) FROM intel_objects WHERE seq > ?", {key.max_seq - kWindow}));
  key.recent_rows = recent.empty() ? 0 : recent[0].Int(0);
  auto reader = ENTENTE_TRY(intel::LoadReader(db, org_id));
  key.communities = std::move(reader.community_ids);
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
  SourceKey key = ENTENTE_TRY(CurrentSourceKey(db_, org_id));
  Millis now = clock_.NowMillis();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(org_id);
    if (it != cache_.end() && it->second->key == key &&
        (it->second->next_change == 0 || now < it->second->next_change))
      return it->second;
  }
  auto snap = ENTENTE_TRY(Build(org_id, key));
  std::lock_guard lock(mu_);
  cache_[org_id] = snap;
  return snap;
}

std::uint64_t IndicatorSource::builds() const {
  std::lock_guard lock(mu_);
  return builds_;
}

}  // namespace entente::match
