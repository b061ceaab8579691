#include "journal/journal.h"

#include "jcs/jcs.h"

namespace entente::journal {

Status ApplierRegistry::Register(const std::string& type, Applier* applier) {
  if (by_type_.contains(type))
    return Fail(ErrorCode::kAlreadyExists, "applier already registered for " + type);
  by_type_[type] = applier;
  bool seen = false;
  for (auto* a : order_) seen = seen || a == applier;
  if (!seen) order_.push_back(applier);
  return Ok();
}

Applier* ApplierRegistry::Find(const std::string& type) const {
  auto it = by_type_.find(type);
  return it == by_type_.end() ? nullptr : it->second;
}

std::vector<Applier*> ApplierRegistry::All() const { return order_; }

namespace {

Status VerifyAndApply(store::Tx& tx, ApplierRegistry& registry, KeyResolver& keys,
                      const Envelope& env, const CanonicalForms* forms = nullptr) {
  Applier* applier = registry.Find(env.type);
  if (!applier) return Invalid("no module handles envelope type '" + env.type + "'", "type");
  auto key = ENTENTE_TRY(keys.SigningKey(tx, env));
  if (forms)
    ENTENTE_CHECK(VerifyEnvelope(env, forms->signed_bytes, key));
  else
    ENTENTE_CHECK(VerifyEnvelope(env, key));
  ENTENTE_CHECK(applier->Validate(tx, env));
  ENTENTE_CHECK(applier->Apply(tx, env));
  return Ok();
}

constexpr const char* kSelect = "SELECT seq, subject, envelope FROM journal ";

}  // namespace

Result<std::int64_t> Journal::Record(store::Tx& tx, const Envelope& env, const std::string& subject,
                                     const CanonicalForms* forms) {
  std::string computed;
  if (!forms) computed = ENTENTE_TRY(env.Canonical());
  const std::string& canonical = forms ? forms->stored : computed;
  auto existing = ENTENTE_TRY(tx.Query("SELECT seq FROM journal WHERE id = ?", {env.id}));
  if (!existing.empty())
    return Fail(ErrorCode::kAlreadyExists, "envelope " + env.id + " is already recorded", "id");
  ENTENTE_CHECK(VerifyAndApply(tx, registry_, keys_, env, forms));
  if (db_.backend() == store::Backend::kPostgres) {
    // Serialize appends (held to commit) so that sequence numbers are gapless
    // and their order is commit order, across processes.
    ENTENTE_TRY(tx.Query("SELECT pg_advisory_xact_lock(7361)"));
  }
  // SQLite's single writer serializes appends already. The next number is
  // read first rather than returned by INSERT ... RETURNING, which SQLite
  // runs through an ephemeral table.
  auto next = ENTENTE_TRY(tx.Query("SELECT COALESCE(MAX(seq), 0) + 1 FROM journal"));
  if (next.empty()) return Fail(ErrorCode::kInternal, "journal has no next sequence number");
  const std::int64_t seq = next[0].Int(0);
  ENTENTE_TRY(tx.Exec(
      "INSERT INTO journal (seq, id, type, author_org, origin_node, created, subject, envelope) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {seq, env.id, env.type, env.author_org, env.origin_node, env.created, subject, canonical}));
  return seq;
}

Result<std::int64_t> Journal::RecordOne(const Envelope& env, const std::string& subject) {
  std::int64_t seq = 0;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    seq = ENTENTE_TRY(Record(tx, env, subject));
    return Ok();
  }));
  return seq;
}

Result<Entry> Journal::EntryFromRow(const store::Row& r) {
  Entry e;
  e.seq = r.Int(0);
  e.subject = r.Text(1);
  e.canonical = r.Text(2);
  auto j = jcs::ParseUntrusted(e.canonical, {.max_bytes = 64u << 20,
                                             .max_depth = 64,
                                             .max_string_bytes = 64u << 20,
                                             .max_elements = 10'000'000});
  if (!j)
    return Fail(ErrorCode::kDataLoss, "journal row " + std::to_string(e.seq) +
                                          " is not valid JSON: " + j.error().message);
  auto env = Envelope::FromJson(*j);
  if (!env)
    return Fail(ErrorCode::kDataLoss, "journal row " + std::to_string(e.seq) +
                                          " is not an envelope: " + env.error().ToString());
  e.envelope = std::move(*env);
  return e;
}

Result<std::vector<Entry>> Journal::ReadAfter(std::int64_t after, int limit) {
  auto rows = ENTENTE_TRY(db_.Query(std::string(kSelect) + "WHERE seq > ? ORDER BY seq LIMIT ?",
                                    {after, static_cast<std::int64_t>(limit)}));
  std::vector<Entry> out;
  for (const auto& r : rows) out.push_back(ENTENTE_TRY(EntryFromRow(r)));
  return out;
}

Result<std::vector<Entry>> Journal::ReadSubject(const std::string& subject, std::int64_t before,
                                                int limit) {
  if (before <= 0) before = INT64_MAX;
  auto rows = ENTENTE_TRY(
      db_.Query(std::string(kSelect) + "WHERE subject = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                {subject, before, static_cast<std::int64_t>(limit)}));
  std::vector<Entry> out;
  for (const auto& r : rows) out.push_back(ENTENTE_TRY(EntryFromRow(r)));
  return out;
}

Result<std::optional<Entry>> Journal::ReadById(const std::string& id) {
  auto rows = ENTENTE_TRY(db_.Query(std::string(kSelect) + "WHERE id = ?", {id}));
  if (rows.empty()) return std::optional<Entry>{};
  return std::optional<Entry>(ENTENTE_TRY(EntryFromRow(rows[0])));
}

Result<std::int64_t> Journal::Size() {
  auto rows = ENTENTE_TRY(db_.Query("SELECT COUNT(*) FROM journal"));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Status Journal::Rebuild() {
  return db_.Transact([&](store::Tx& tx) -> Status {
    // Reset in reverse registration order (dependents first).
    auto all = registry_.All();
    for (auto it = all.rbegin(); it != all.rend(); ++it) ENTENTE_CHECK((*it)->Reset(tx));
    std::int64_t after = 0;
    for (;;) {
      auto rows = ENTENTE_TRY(
          tx.Query(std::string(kSelect) + "WHERE seq > ? ORDER BY seq LIMIT 500", {after}));
      if (rows.empty()) break;
      for (const auto& r : rows) {
        Entry e = ENTENTE_TRY(EntryFromRow(r));
        auto st = VerifyAndApply(tx, registry_, keys_, e.envelope);
        if (!st) {
          return Fail(st.error().code, "replaying journal seq " + std::to_string(e.seq) + " (" +
                                           e.envelope.type + "): " + st.error().ToString());
        }
        after = e.seq;
      }
    }
    return Ok();
  });
}

}  // namespace entente::journal
