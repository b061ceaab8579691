#include "store/sqlite_database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/internal.h"

namespace entente::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kStatementCacheLimit = 128;

ErrorCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return ErrorCode::kConflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kDataLoss;
    default:
      return ErrorCode::kInternal;
  }
}

Error SqliteError(sqlite3* db, int rc) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error(CodeFor(rc), std::string(msg != nullptr ? msg : sqlite3_errstr(rc)));
}

bool IsInMemory(const std::string& path) {
  return path == ":memory:" || path.find("mode=memory") != std::string::npos;
}

// One sqlite3 handle and its statement cache. Used by one thread at a time
// (the owner of the lock or lease that hands it out).
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool reader) {
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(raw));
    if (rc != SQLITE_OK) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("cannot open SQLite database {}: {}", path,
                              raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    if (!reader) {
      Rows mode = ENTENTE_TRY(conn->Run("PRAGMA journal_mode=WAL", {}, true));
      const std::string got = mode.empty() ? "" : mode[0].Text(0);
      if (got != "wal" && !(IsInMemory(path) && got == "memory")) {
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("cannot put SQLite database {} in WAL mode (got '{}')", path, got));
      }
    }
    ENTENTE_CHECK(conn->ExecScript("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"));
    if (reader) ENTENTE_CHECK(conn->ExecScript("PRAGMA query_only=ON;"));
    return conn;
  }

  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* handle() const { return db_; }

  // Runs one statement; fills rows when `want_rows`. Returns the rows and,
  // through `changes`, the number of rows it changed.
  Result<Rows> Run(std::string_view sql, const Params& params, bool want_rows,
                   std::int64_t* changes = nullptr) {
    sqlite3_stmt* stmt = ENTENTE_TRY(Prepare(sql));
    struct ResetOnExit {
      sqlite3_stmt* s;
      ~ResetOnExit() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};

    const int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("statement has {} placeholders but {} parameters were given",
                              expected, params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        // The parameters outlive the statement's use; bindings are cleared on exit.
        rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, idx);
      }
      if (rc != SQLITE_OK) return std::unexpected(SqliteError(db_, rc));
    }

    const std::int64_t before = sqlite3_total_changes64(db_);
    Rows rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return std::unexpected(SqliteError(db_, rc));
      if (!want_rows) continue;
      const int n = sqlite3_column_count(stmt);
      std::vector<Value> cols;
      cols.reserve(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) cols.push_back(Column(stmt, c));
      rows.emplace_back(std::move(cols));
    }
    if (changes != nullptr) {
      *changes = sqlite3_total_changes64(db_) != before ? sqlite3_changes64(db_) : 0;
    }
    return rows;
  }

  Status ExecScript(std::string_view sql) {
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(SqliteError(db_, rc));
    return Ok();
  }

  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  static Value Column(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        return sqlite3_column_int64(stmt, c);
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, c);
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return std::string(p != nullptr ? p : "",
                           static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        const auto n = static_cast<size_t>(sqlite3_column_bytes(stmt, c));
        return p != nullptr ? std::string(p, n) : std::string();
      }
      default:
        return Null{};
    }
  }

  // A cached prepared statement for `sql`, which must hold exactly one statement.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (cache_.size() >= kStatementCacheLimit) {
      for (auto& [k, s] : cache_) sqlite3_finalize(s);
      cache_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return std::unexpected(SqliteError(db_, rc));
    if (stmt == nullptr) return Fail(ErrorCode::kInternal, "empty SQL statement");
    // Anything after the first statement other than blanks and comments is a mistake.
    const char* end = key.data() + key.size();
    if (tail != nullptr && tail < end) {
      sqlite3_stmt* extra = nullptr;
      rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &extra, nullptr);
      const bool more = rc != SQLITE_OK || extra != nullptr;
      sqlite3_finalize(extra);
      if (more) {
        sqlite3_finalize(stmt);
        return Fail(ErrorCode::kInternal,
                    "one SQL statement per Query/Exec call (use ExecScript for several)");
      }
    }
    cache_.emplace(std::move(key), stmt);
    return stmt;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// A transaction on the writer connection. A failed statement dooms it.
class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Connection& conn) : conn_(conn) {}

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    ENTENTE_CHECK(CheckUsable());
    return Record(conn_.Run(sql, params, true));
  }

  Result<std::int64_t> Exec(std::string_view sql, const Params& params) override {
    ENTENTE_CHECK(CheckUsable());
    std::int64_t changes = 0;
    ENTENTE_TRY(Record(conn_.Run(sql, params, false, &changes)));
    return changes;
  }

  Status ExecScript(std::string_view sql) override {
    ENTENTE_CHECK(CheckUsable());
    return Record(conn_.ExecScript(sql));
  }

  const std::optional<Error>& failure() const { return failure_; }

 private:
  Status CheckUsable() const {
    if (!failure_) return Ok();
    return Fail(failure_->code, "transaction already failed: " + failure_->message);
  }

  template <class R>
  R Record(R r) {
    if (!r && !failure_) failure_ = r.error();
    return r;
  }

  Connection& conn_;
  std::optional<Error> failure_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, int max_readers, std::unique_ptr<Connection> writer,
                 std::unique_ptr<Connection> checkpointer)
      : path_(std::move(path)),
        shared_reads_(IsInMemory(path_)),
        max_readers_(max_readers < 1 ? 1 : max_readers),
        writer_(std::move(writer)) {
    if (checkpointer) {
      // Checkpoints (copying the WAL back into the database file, with its
      // fsyncs) run on their own thread and connection, so that a commit
      // never waits for the disk; the writer's hook only says when the WAL
      // has grown. This replaces SQLite's automatic checkpoint, which runs
      // inside the commit that crosses the threshold.
      sqlite3_wal_hook(writer_->handle(), &SqliteDatabase::WalHook, this);
      checkpointer_ =
          std::thread([this, conn = std::move(checkpointer)] { RunCheckpointer(*conn); });
    }
  }

  ~SqliteDatabase() override {
    if (checkpointer_.joinable()) {
      {
        std::lock_guard lock(checkpoint_mu_);
        stopping_ = true;
      }
      checkpoint_cv_.notify_one();
      checkpointer_.join();
      sqlite3_wal_hook(writer_->handle(), nullptr, nullptr);
    }
  }

  Backend backend() const override { return Backend::kSqlite; }

  Status Transact(const std::function<Status(Tx&)>& fn) override {
    if (internal::TransactScope::Active(this)) {
      return Fail(ErrorCode::kInternal,
                  "Transact called inside a Transact callback on the same thread");
    }
    std::lock_guard lock(writer_mu_);
    WriterBusy busy(writer_busy_);
    internal::TransactScope scope(this);
    Connection& conn = *writer_;
    ENTENTE_CHECK(conn.ExecScript("BEGIN IMMEDIATE"));

    SqliteTx tx(conn);
    Status result;
    try {
      result = fn(tx);
    } catch (const std::exception& e) {
      result = Fail(ErrorCode::kInternal, fmt::format("transaction callback threw: {}", e.what()));
    } catch (...) {
      result = Fail(ErrorCode::kInternal, "transaction callback threw a non-standard exception");
    }
    if (result && tx.failure()) result = std::unexpected(*tx.failure());
    if (result) {
      if (auto commit = conn.ExecScript("COMMIT"); !commit) result = commit;
    }
    if (!result && conn.InTransaction()) {
      (void)conn.ExecScript("ROLLBACK");
    }
    return result;
  }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    if (shared_reads_) {
      if (internal::TransactScope::Active(this)) {
        return Fail(ErrorCode::kInternal,
                    "Database::Query inside Transact on an in-memory SQLite database; use the Tx");
      }
      std::lock_guard lock(writer_mu_);
      WriterBusy busy(writer_busy_);
      return writer_->Run(sql, params, true);
    }
    std::unique_ptr<Connection> conn = ENTENTE_TRY(AcquireReader());
    Result<Rows> rows = conn->Run(sql, params, true);
    ReleaseReader(std::move(conn));
    return rows;
  }

  PoolStats pool_stats() const override {
    std::lock_guard lock(readers_mu_);
    PoolStats s;
    s.size = 1 + open_readers_;
    s.in_use = (writer_busy_.load() ? 1 : 0) + readers_in_use_;
    return s;
  }

  std::string description() const override { return "sqlite:" + path_; }

 private:
  struct WriterBusy {
    explicit WriterBusy(std::atomic<bool>& f) : flag(f) { flag = true; }
    ~WriterBusy() { flag = false; }
    std::atomic<bool>& flag;
  };

  Result<std::unique_ptr<Connection>> AcquireReader() {
    {
      std::unique_lock lock(readers_mu_);
      readers_cv_.wait(lock,
                       [&] { return !idle_readers_.empty() || open_readers_ < max_readers_; });
      ++readers_in_use_;
      if (!idle_readers_.empty()) {
        auto conn = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return conn;
      }
      ++open_readers_;
    }
    auto conn = Connection::Open(path_, /*reader=*/true);
    if (!conn) {
      std::lock_guard lock(readers_mu_);
      --open_readers_;
      --readers_in_use_;
      readers_cv_.notify_one();
    }
    return conn;
  }

  void ReleaseReader(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(readers_mu_);
    --readers_in_use_;
    idle_readers_.push_back(std::move(conn));
    readers_cv_.notify_one();
  }

  // WAL frames after which a checkpoint is due (SQLite's default), and after
  // which the writer checkpoints itself because the checkpointer has not
  // kept up (e.g. a reader held an old snapshot for long).
  static constexpr int kCheckpointFrames = 1000;
  static constexpr int kWriterCheckpointFrames = 64 * kCheckpointFrames;

  // Called by SQLite on the writer's thread after each commit.
  static int WalHook(void* self, sqlite3* db, const char* schema, int frames) {
    auto* d = static_cast<SqliteDatabase*>(self);
    if (frames >= kWriterCheckpointFrames) {
      (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (frames >= kCheckpointFrames) {
      {
        std::lock_guard lock(d->checkpoint_mu_);
        d->checkpoint_due_ = true;
      }
      d->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void RunCheckpointer(Connection& conn) {
    std::unique_lock lock(checkpoint_mu_);
    while (true) {
      checkpoint_cv_.wait(lock, [&] { return checkpoint_due_ || stopping_; });
      if (stopping_) return;
      checkpoint_due_ = false;
      lock.unlock();
      // PASSIVE: copies what no reader still needs, never waits for a lock.
      // A busy or partial checkpoint is simply done again after later commits.
      (void)sqlite3_wal_checkpoint_v2(conn.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                      nullptr);
      lock.lock();
    }
  }

  const std::string path_;
  const bool shared_reads_;  // in-memory: every read goes through the writer
  const int max_readers_;

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by writer_mu_
  std::atomic<bool> writer_busy_{false};

  mutable std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by readers_mu_
  int open_readers_ = 0;                                   // guarded by readers_mu_
  int readers_in_use_ = 0;                                 // guarded by readers_mu_

  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_due_ = false;  // guarded by checkpoint_mu_
  bool stopping_ = false;        // guarded by checkpoint_mu_
  std::thread checkpointer_;     // last: started once everything else exists
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                             const SqliteOptions& options) {
  if (sqlite3_threadsafe() == 0) {
    return Fail(ErrorCode::kInternal, "libsqlite3 was built without thread support");
  }
  std::unique_ptr<Connection> writer = ENTENTE_TRY(Connection::Open(path, /*reader=*/false));
  std::unique_ptr<Connection> checkpointer;
  if (!IsInMemory(path)) {
    checkpointer = ENTENTE_TRY(Connection::Open(path, /*reader=*/false));
  }
  return std::make_unique<SqliteDatabase>(path, options.read_connections, std::move(writer),
                                          std::move(checkpointer));
}

}  // namespace entente::store
