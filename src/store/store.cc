#include "store/store.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>

#include "core/clock.h"
#include "store/internal.h"
#include "store/postgres_database.h"
#include "store/sqlite_database.h"

namespace entente::store {
namespace {

// Parses the whole of `s` (surrounding spaces allowed) as a double.
std::optional<double> ParseDouble(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::int64_t DoubleToInt(double d) {
  if (std::isnan(d)) return 0;
  // 2^63 is exactly representable; anything at or beyond saturates.
  constexpr double kLimit = 9223372036854775808.0;
  if (d >= kLimit) return std::numeric_limits<std::int64_t>::max();
  if (d < -kLimit) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

std::int64_t TextToInt(std::string_view s) {
  std::string_view t = s;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc() && end == t.data() + t.size() && !t.empty()) return v;
  // PostgreSQL booleans and numeric values ("12.50") arrive as text.
  if (t == "t" || t == "true") return 1;
  if (t == "f" || t == "false") return 0;
  if (auto d = ParseDouble(t)) return DoubleToInt(*d);
  return 0;
}

std::string TableExistsSql(Backend backend) {
  if (backend == Backend::kPostgres) {
    return "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END";
  }
  return "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
}

// Serializes migrations of one PostgreSQL database across processes; the key
// is "entente" in ASCII.
constexpr std::int64_t kMigrationLockKey = 0x656e74656e7465;

Status LockForMigration(Database& db, Tx& tx) {
  if (db.backend() != Backend::kPostgres) return Ok();  // BEGIN IMMEDIATE already excludes
  ENTENTE_TRY(tx.Query("SELECT pg_advisory_xact_lock(?)", {kMigrationLockKey}));
  return Ok();
}

Status ValidateMigrations(const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("migration versions must be positive and strictly increasing "
                              "(version {} after {})",
                              m.version, previous));
    }
    previous = m.version;
  }
  return Ok();
}

}  // namespace

// ---- Row --------------------------------------------------------------------

bool Row::IsNull(size_t i) const { return std::holds_alternative<Null>(cols_.at(i)); }

std::int64_t Row::Int(size_t i) const {
  const Value& v = cols_.at(i);
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return DoubleToInt(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return TextToInt(*s);
  return 0;
}

double Row::Real(size_t i) const {
  const Value& v = cols_.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto d = ParseDouble(*s)) return *d;
    return static_cast<double>(TextToInt(*s));  // "t"/"f"
  }
  return 0;
}

std::string Row::Text(size_t i) const {
  const Value& v = cols_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) return internal::FormatDouble(*d);
  return "";
}

std::optional<std::string> Row::OptText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

// ---- internal ---------------------------------------------------------------

namespace internal {
namespace {
thread_local std::vector<const void*> active_transactions;
}  // namespace

TransactScope::TransactScope(const void* db) : db_(db) { active_transactions.push_back(db); }

TransactScope::~TransactScope() {
  auto it = std::find(active_transactions.rbegin(), active_transactions.rend(), db_);
  if (it != active_transactions.rend()) active_transactions.erase(std::next(it).base());
}

bool TransactScope::Active(const void* db) {
  return std::find(active_transactions.begin(), active_transactions.end(), db) !=
         active_transactions.end();
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return fmt::format("{}", v);
  return std::string(buf, end);
}

}  // namespace internal

// ---- Open -------------------------------------------------------------------

Result<std::unique_ptr<Database>> Open(std::string_view url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return OpenPostgres(url);
  }
  std::string_view path = url;
  if (path.starts_with("sqlite:")) path.remove_prefix(7);
  if (path.empty()) return Invalid("database URL is empty (want sqlite:PATH or postgresql://...)");
  return OpenSqlite(std::string(path));
}

// ---- migrations -------------------------------------------------------------

const std::vector<Migration>& BuiltinMigrations(Backend backend) {
  static const auto sorted = [](Backend b) {
    std::vector<Migration> v = internal::EmbeddedMigrations(b);
    std::sort(v.begin(), v.end(),
              [](const Migration& x, const Migration& y) { return x.version < y.version; });
    return v;
  };
  static const std::vector<Migration> sqlite = sorted(Backend::kSqlite);
  static const std::vector<Migration> postgres = sorted(Backend::kPostgres);
  return backend == Backend::kSqlite ? sqlite : postgres;
}

Result<int> SchemaVersion(Database& db) {
  Rows exists = ENTENTE_TRY(db.Query(TableExistsSql(db.backend())));
  if (exists.empty() || exists[0].Int(0) == 0) return 0;
  Rows rows = ENTENTE_TRY(db.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  if (rows.empty()) return 0;
  return static_cast<int>(rows[0].Int(0));
}

Status Migrate(Database& db, const std::vector<Migration>& migrations) {
  ENTENTE_CHECK(ValidateMigrations(migrations));
  const int newest_known = migrations.empty() ? 0 : migrations.back().version;

  Status created = db.Transact([&](Tx& tx) -> Status {
    ENTENTE_CHECK(LockForMigration(db, tx));
    ENTENTE_TRY(
        tx.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
    return Ok();
  });
  if (!created) return created;

  const int current = ENTENTE_TRY(SchemaVersion(db));
  if (current > newest_known) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("database schema version {} is newer than this entente binary "
                            "supports ({}); upgrade entente",
                            current, newest_known));
  }

  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    Status step = db.Transact([&](Tx& tx) -> Status {
      ENTENTE_CHECK(LockForMigration(db, tx));
      // Another process may have applied it while we waited for the lock.
      Rows done = ENTENTE_TRY(tx.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
      const std::int64_t applied = done.empty() ? 0 : done[0].Int(0);
      if (applied >= m.version) {
        if (applied > newest_known) {
          return Fail(ErrorCode::kFailedPrecondition,
                      fmt::format("database schema version {} is newer than this entente "
                                  "binary supports ({}); upgrade entente",
                                  applied, newest_known));
        }
        return Ok();
      }
      if (auto s = tx.ExecScript(m.sql); !s) {
        return Fail(s.error().code,
                    fmt::format("migration {:04}_{}: {}", m.version, m.name, s.error().message));
      }
      ENTENTE_TRY(
          tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) "
                  "VALUES (?, ?, ?)",
                  {std::int64_t{m.version}, m.name, SystemClock::Instance().NowMillis()}));
      return Ok();
    });
    if (!step) return step;
  }
  return Ok();
}

}  // namespace entente::store
