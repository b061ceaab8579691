// Storage: one SQL interface, two real backends (SQLite, PostgreSQL).
//
// Queries are written once in portable SQL with `?` placeholders; the
// PostgreSQL adapter rewrites them to $1..$n. Where the dialects differ
// (full-text search, upserts), callers branch on Database::backend().
//
// Thread-safety: a Database is safe to use from many threads. SQLite uses one
// writer connection (serialized) in WAL mode with foreign keys on and a busy
// timeout; PostgreSQL uses a small connection pool. A Tx belongs to the thread
// that runs Transact() and must not escape the callback.
//
// Failures are Results: kUnavailable when the database cannot be reached,
// kConflict on unique/foreign-key violations or serialization failures,
// kInternal for anything else, with the driver's message (never parameters,
// which may hold secrets).
//
// Same behaviour on both backends (the same tests run on both):
// - A statement that fails inside Transact dooms the transaction: later
//   statements fail at once and Transact rolls back and returns the first
//   failure even if the callback returns ok (PostgreSQL aborts a transaction
//   at its first error; the SQLite adapter does the same). Write expected
//   conflicts as `INSERT ... ON CONFLICT ... DO ...`, which both accept.
// - Transact must not be called from inside a Transact callback on the same
//   thread (kInternal): it would deadlock on SQLite and be non-atomic on
//   PostgreSQL.
// - PostgreSQL transactions run at READ COMMITTED (as the job leasing with
//   FOR UPDATE SKIP LOCKED expects); read-modify-write of one row must be a
//   single UPDATE or lock with SELECT ... FOR UPDATE. SQLite serializes all
//   writers (BEGIN IMMEDIATE), so such races only show up on PostgreSQL.
// - Database::Query is for reads; on SQLite it runs on a read-only connection.
// - `?` is always a placeholder outside string literals, quoted identifiers
//   and comments; use jsonb_exists() etc. instead of PostgreSQL's `?` operators.
// - Integer, floating-point and boolean PostgreSQL columns arrive as int64 /
//   double / int64 0-1 values like SQLite's; other types arrive as text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace entente::store {

enum class Backend { kSqlite, kPostgres };

struct Null {
  bool operator==(const Null&) const = default;
};
// A parameter or column value. JSON is passed as text.
using Value = std::variant<Null, std::int64_t, double, std::string>;

class Row {
 public:
  Row() = default;
  explicit Row(std::vector<Value> cols) : cols_(std::move(cols)) {}
  size_t size() const { return cols_.size(); }
  bool IsNull(size_t i) const;
  // Integer value; text holding a number is converted; NULL gives 0.
  std::int64_t Int(size_t i) const;
  double Real(size_t i) const;
  // Text value; numbers are formatted; NULL gives "".
  std::string Text(size_t i) const;
  std::optional<std::string> OptText(size_t i) const;
  const Value& at(size_t i) const { return cols_.at(i); }

 private:
  std::vector<Value> cols_;
};
using Rows = std::vector<Row>;
using Params = std::vector<Value>;

// Statements run inside one transaction.
class Tx {
 public:
  virtual ~Tx() = default;
  virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  // Returns the number of rows changed.
  virtual Result<std::int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;
  // Runs several statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
};

struct PoolStats {
  int size = 0;    // connections open
  int in_use = 0;  // connections lent out now
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Backend backend() const = 0;
  // Runs `fn` in a transaction: commits when it returns ok, rolls back when it
  // returns an error (which is passed through) or throws. Serialization
  // failures are retried a few times before kConflict is returned.
  virtual Status Transact(const std::function<Status(Tx&)>& fn) = 0;
  // A read in its own transaction.
  virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  virtual PoolStats pool_stats() const = 0;
  // Human-readable location without credentials ("sqlite:var/entente.db",
  // "postgresql://host:port/db").
  virtual std::string description() const = 0;
};

// Opens a database from a URL: "postgresql://..." or "postgres://..." for
// PostgreSQL, "sqlite:PATH" or a plain PATH for SQLite (created if missing).
Result<std::unique_ptr<Database>> Open(std::string_view url);

// ---- migrations -------------------------------------------------------------
struct Migration {
  int version;
  std::string name;
  std::string sql;  // for the backend it belongs to
};

// The migrations compiled into this binary for `backend`, in version order
// (read from src/store/migrations/<backend>/NNNN_name.sql at build time).
const std::vector<Migration>& BuiltinMigrations(Backend backend);

// Applies every migration newer than the database's recorded version, each in
// its own transaction, recording it in `schema_migrations(version, name,
// applied_at)`. Refuses (kFailedPrecondition, with both versions in the
// message) when the database records a version newer than the newest known.
Status Migrate(Database& db, const std::vector<Migration>& migrations);
// The highest applied version (0 for an empty database).
Result<int> SchemaVersion(Database& db);

}  // namespace entente::store
