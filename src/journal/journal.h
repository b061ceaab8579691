// The node's append-only journal of signed envelopes, and the registry of
// appliers that turn envelopes into each module's tables (projections).
//
// Every change is: sign an envelope, then in ONE transaction append it to the
// journal and apply it to the owning module's tables. Because modules change
// their tables only by applying envelopes, `Rebuild()` can drop every
// projection and replay the journal to get identical tables.
//
// The journal knows no domain module: modules register an `Applier` for the
// envelope types they own. Key lookup for verification is behind
// `KeyResolver`, which the directory implements.
//
// Thread-safety: Journal and ApplierRegistry are safe for concurrent use once
// registration is finished (register everything before serving).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "journal/envelope.h"
#include "store/store.h"

namespace entente::journal {

// One row of the journal.
struct Entry {
  std::int64_t seq = 0;
  std::string subject;  // id of the object the envelope is about (for audit trails)
  Envelope envelope;
  std::string canonical;  // the stored canonical bytes
};

// Resolves an organisation's Ed25519 public key as known inside `tx`.
class KeyResolver {
 public:
  virtual ~KeyResolver() = default;
  virtual Result<std::vector<std::uint8_t>> SigningKey(store::Tx& tx, const Envelope& env) = 0;
};

class Applier {
 public:
  virtual ~Applier() = default;
  // Checks the envelope's body against the type's schema and rules, with the
  // current projections visible through `tx`. Called before Apply.
  virtual Status Validate(store::Tx& tx, const Envelope& env) = 0;
  // Updates the module's tables. Must be deterministic given the envelope and
  // the tables (no clock, no randomness): rebuilds depend on it.
  virtual Status Apply(store::Tx& tx, const Envelope& env) = 0;
  // Empties the module's projection tables (for Rebuild).
  virtual Status Reset(store::Tx& tx) = 0;
  // Tables this applier owns, for comparisons and diagnostics.
  virtual std::vector<std::string> Tables() const = 0;
};

class ApplierRegistry {
 public:
  // `applier` must outlive the registry. Registering a type twice fails.
  Status Register(const std::string& type, Applier* applier);
  Applier* Find(const std::string& type) const;
  std::vector<Applier*> All() const;  // unique, registration order

 private:
  std::map<std::string, Applier*> by_type_;
  std::vector<Applier*> order_;
};

class Journal {
 public:
  Journal(store::Database& db, ApplierRegistry& registry, KeyResolver& keys)
      : db_(db), registry_(registry), keys_(keys) {}

  // Verifies the signature, validates and applies `env` with its registered
  // applier, and appends it, all inside `tx`. Errors leave `tx` to be rolled
  // back by the caller (Database::Transact does). Returns the sequence number:
  // gapless from 1, in commit order, also across processes on PostgreSQL.
  // kAlreadyExists when an envelope with the same id is already recorded.
  // `forms`, when given, must be CanonicalFormsOf(env) (a receiver that
  // computed them already, e.g. federation: saves canonicalizing twice).
  Result<std::int64_t> Record(store::Tx& tx, const Envelope& env, const std::string& subject,
                              const CanonicalForms* forms = nullptr);

  // Convenience: Record in its own transaction.
  Result<std::int64_t> RecordOne(const Envelope& env, const std::string& subject);

  // Entries with seq > after, at most `limit`, in order.
  Result<std::vector<Entry>> ReadAfter(std::int64_t after, int limit);
  // Entries about `subject`, newest first, with seq < before (0 = from the end).
  Result<std::vector<Entry>> ReadSubject(const std::string& subject, std::int64_t before,
                                         int limit);
  Result<std::optional<Entry>> ReadById(const std::string& id);
  Result<std::int64_t> Size();

  // Empties every registered projection and replays the whole journal,
  // verifying every signature, in one transaction.
  Status Rebuild();

 private:
  static Result<Entry> EntryFromRow(const store::Row& r);
  store::Database& db_;
  ApplierRegistry& registry_;
  KeyResolver& keys_;
};

}  // namespace entente::journal
