#include "store/postgres_database.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "store/internal.h"

namespace entente::store {
namespace pg {
namespace {

bool IsIdentChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || u >= 0x80;
}

bool IsTagStart(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

RewrittenSql RewritePlaceholders(std::string_view sql) {
  RewrittenSql out;
  out.sql.reserve(sql.size() + 8);
  const size_t n = sql.size();
  size_t i = 0;
  // Copies sql[from, to) verbatim.
  auto copy = [&](size_t from, size_t to) { out.sql.append(sql.substr(from, to - from)); };
  while (i < n) {
    const char c = sql[i];
    const char prev = i > 0 ? sql[i - 1] : ' ';
    if (c == '\'') {
      // E'...' strings know backslash escapes; others only ''.
      const bool escapes = (prev == 'E' || prev == 'e') && (i < 2 || !IsIdentChar(sql[i - 2]));
      size_t j = i + 1;
      while (j < n) {
        if (escapes && sql[j] == '\\') {
          j += 2;
          continue;
        }
        if (sql[j] == '\'') {
          if (j + 1 < n && sql[j + 1] == '\'') {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const size_t end = j < n ? j + 1 : n;
      copy(i, end);
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      while (j < n) {
        if (sql[j] == '"') {
          if (j + 1 < n && sql[j + 1] == '"') {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const size_t end = j < n ? j + 1 : n;
      copy(i, end);
      i = end;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      size_t j = sql.find('\n', i);
      const size_t end = j == std::string_view::npos ? n : j;
      copy(i, end);
      i = end;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 1;
      size_t j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] == '/' && j + 1 < n && sql[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (sql[j] == '*' && j + 1 < n && sql[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      copy(i, j);
      i = j;
    } else if (c == '$' && !(i > 0 && IsIdentChar(prev))) {
      // $tag$ ... $tag$ (tag may be empty); $1 is a positional parameter.
      size_t j = i + 1;
      if (j < n && IsTagStart(sql[j])) {
        while (j < n && IsIdentChar(sql[j]) && sql[j] != '$') ++j;
      }
      if (j < n && sql[j] == '$') {
        const std::string_view tag = sql.substr(i, j - i + 1);
        const size_t close = sql.find(tag, j + 1);
        const size_t end = close == std::string_view::npos ? n : close + tag.size();
        copy(i, end);
        i = end;
      } else {
        out.sql.push_back(c);
        ++i;
      }
    } else if (c == '?') {
      ++out.placeholders;
      out.sql.append(fmt::format("${}", out.placeholders));
      ++i;
    } else {
      out.sql.push_back(c);
      ++i;
    }
  }
  return out;
}

Result<ParsedUrl> ParseUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return Invalid("PostgreSQL URL has no scheme");
  const std::string_view scheme = url.substr(0, scheme_end + 3);
  const std::string_view rest = url.substr(scheme_end + 3);
  const size_t q = rest.find('?');
  const std::string_view base = rest.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : rest.substr(q + 1);

  ParsedUrl out;
  // Passwords as written (percent-encoded or not), to scrub from messages.
  std::vector<std::string> secrets;
  const std::string_view authority = base.substr(0, base.find('/'));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    if (const size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      secrets.emplace_back(userinfo.substr(colon + 1));
    }
  }

  std::string kept;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view item = query.substr(start, amp - start);
    if (item.starts_with("pool_size=")) {
      const std::string_view v = item.substr(10);
      int size = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), size);
      if (ec != std::errc() || p != v.data() + v.size() || size < 1 || size > 100) {
        return Invalid("pool_size in the PostgreSQL URL must be an integer from 1 to 100");
      }
      out.pool_size = size;
    } else if (!item.empty()) {
      if (item.starts_with("password=")) secrets.emplace_back(item.substr(9));
      if (!kept.empty()) kept.push_back('&');
      kept.append(item);
    }
    start = amp + 1;
  }
  out.conninfo = std::string(scheme) + std::string(base);
  if (!kept.empty()) out.conninfo += "?" + kept;

  auto scrub = [&](std::string msg) {
    for (const std::string& s : secrets) {
      for (const std::string& form : {s, PercentDecode(s)}) {
        if (form.empty()) continue;
        for (size_t pos = msg.find(form); pos != std::string::npos; pos = msg.find(form, pos + 3)) {
          msg.replace(pos, form.size(), "***");
        }
      }
    }
    return msg;
  };

  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(out.conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? err : "out of memory";
    PQfreemem(err);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Invalid("invalid PostgreSQL URL: " + scrub(msg));
  }
  std::string host, port, dbname;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr" && host.empty()) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") dbname = o->val;
    if (key == "password") out.password = o->val;
  }
  PQconninfoFree(opts);
  if (host.find(':') != std::string::npos && host.find(',') == std::string::npos &&
      !host.starts_with('/')) {
    host = "[" + host + "]";
  }
  out.description = "postgresql://" + host + (port.empty() ? "" : ":" + port) + "/" + dbname;
  return out;
}

}  // namespace pg

namespace {

constexpr int kMaxRetries = 5;  // reruns after a serialization failure or deadlock
constexpr auto kPoolWait = std::chrono::seconds(30);

constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultCloser>;

void IgnoreNotice(void*, const char*) {}

// libpq's multi-line messages on one line: "a\n\tb\n" -> "a; b".
std::string Trim(std::string_view s) {
  std::string out;
  bool pending_break = false;
  for (char c : s) {
    if (c == '\n' || c == '\r') {
      pending_break = true;
      continue;
    }
    if (pending_break && (c == '\t' || c == ' ')) continue;
    if (pending_break && !out.empty()) out += "; ";
    pending_break = false;
    out.push_back(c);
  }
  return out;
}

std::string ScrubSecret(std::string msg, const std::string& secret) {
  if (secret.empty()) return msg;
  for (size_t pos = msg.find(secret); pos != std::string::npos; pos = msg.find(secret, pos + 3)) {
    msg.replace(pos, secret.size(), "***");
  }
  return msg;
}

// Blanks out parameter values the server quoted in a message
// (e.g. `invalid input syntax for type bigint: "..."`).
std::string ScrubParams(std::string msg, const Params& params) {
  for (const Value& v : params) {
    const auto* s = std::get_if<std::string>(&v);
    if (s == nullptr || s->empty()) continue;
    const std::string quoted = "\"" + *s + "\"";
    for (size_t pos = msg.find(quoted); pos != std::string::npos; pos = msg.find(quoted, pos + 1)) {
      msg.replace(pos, quoted.size(), "\"(parameter)\"");
    }
    if (s->size() >= 8) {
      for (size_t pos = msg.find(*s); pos != std::string::npos; pos = msg.find(*s, pos + 1)) {
        msg.replace(pos, s->size(), "(parameter)");
      }
    }
  }
  return msg;
}

// How a statement failed, beyond its Error.
struct Failure {
  Error error;
  bool retryable = false;  // serialization failure or deadlock
  bool lost = false;       // the connection is gone
};

ErrorCode CodeForSqlState(std::string_view state, bool* retryable) {
  *retryable = state == "40001" || state == "40P01";
  if (*retryable || state.starts_with("23")) return ErrorCode::kConflict;
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "53300") {
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kInternal;
}

// Runs one statement (params given) or a script (params empty, `script`).
std::expected<ResultPtr, Failure> Run(PGconn* conn, const std::string& sql, const Params& params,
                                      bool script) {
  ResultPtr res;
  if (script) {
    res.reset(PQexec(conn, sql.c_str()));
  } else {
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        text[i] = std::to_string(*n);
        types[i] = kInt8Oid;
      } else if (const auto* d = std::get_if<double>(&v)) {
        text[i] = internal::FormatDouble(*d);
        types[i] = kFloat8Oid;
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        if (s->find('\0') != std::string::npos) {
          return std::unexpected(Failure{
              Error(ErrorCode::kInvalidArgument,
                    fmt::format("parameter {} holds a NUL byte, which PostgreSQL text cannot",
                                i + 1)),
              false, false});
        }
        text[i] = *s;
      } else {
        continue;  // NULL: value stays nullptr, type unknown
      }
      values[i] = text[i].c_str();
    }
    res.reset(PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), types.data(),
                           values.data(), nullptr, nullptr, 0));
  }
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return res;
  if (status == PGRES_EMPTY_QUERY) {
    if (script) return res;
    return std::unexpected(
        Failure{Error(ErrorCode::kInternal, "empty SQL statement"), false, false});
  }

  Failure f;
  const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res ? PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  f.lost = PQstatus(conn) == CONNECTION_BAD;
  if (state == nullptr || primary == nullptr) {
    // Client-side failure (lost connection, out of memory): libpq's own message.
    f.error = Error(f.lost ? ErrorCode::kUnavailable : ErrorCode::kInternal,
                    "PostgreSQL: " + Trim(PQerrorMessage(conn)));
    return std::unexpected(std::move(f));
  }
  const ErrorCode code = CodeForSqlState(state, &f.retryable);
  f.error = Error(f.lost ? ErrorCode::kUnavailable : code,
                  fmt::format("{} (SQLSTATE {})", ScrubParams(primary, params), state));
  return std::unexpected(std::move(f));
}

Value Column(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col) != 0) return Null{};
  const char* p = PQgetvalue(res, row, col);
  const auto len = static_cast<size_t>(PQgetlength(res, row, col));
  const std::string_view text(p, len);
  switch (PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return v;
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return v;
      break;
    }
    case kBoolOid:
      return std::int64_t{text == "t" ? 1 : 0};
    default:
      break;
  }
  return std::string(text);
}

Rows ToRows(const PGresult* res) {
  Rows rows;
  const int n = PQntuples(res);
  const int cols = PQnfields(res);
  rows.reserve(static_cast<size_t>(n));
  for (int r = 0; r < n; ++r) {
    std::vector<Value> values;
    values.reserve(static_cast<size_t>(cols));
    for (int c = 0; c < cols; ++c) values.push_back(Column(res, r, c));
    rows.emplace_back(std::move(values));
  }
  return rows;
}

std::int64_t ChangedRows(const PGresult* res) {
  const std::string_view t = PQcmdTuples(const_cast<PGresult*>(res));
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

class Pool;

// A connection borrowed from the pool; given back (or dropped if unusable)
// when it goes out of scope.
class Lease {
 public:
  Lease(Pool* pool, ConnPtr conn, bool fresh)
      : pool_(pool), conn_(std::move(conn)), fresh_(fresh) {}
  Lease(Lease&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)), fresh_(o.fresh_) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  PGconn* get() const { return conn_.get(); }
  // True when the connection was opened for this lease (not reused).
  bool fresh() const { return fresh_; }

 private:
  Pool* pool_;
  ConnPtr conn_;
  bool fresh_;
};

class Pool {
 public:
  explicit Pool(pg::ParsedUrl url) : url_(std::move(url)) {}

  Result<Lease> Acquire() {
    const auto deadline = std::chrono::steady_clock::now() + kPoolWait;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (!idle_.empty()) {
          ConnPtr c = std::move(idle_.back());
          idle_.pop_back();
          ++in_use_;
          return Lease(this, std::move(c), false);
        }
        if (open_ < url_.pool_size) break;
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= url_.pool_size) {
          return Fail(ErrorCode::kUnavailable,
                      fmt::format("all {} PostgreSQL connections stayed in use for {} s",
                                  url_.pool_size, kPoolWait.count()));
        }
      }
      ++open_;
      ++in_use_;
    }
    auto conn = Connect();
    if (!conn) {
      std::lock_guard lock(mu_);
      --open_;
      --in_use_;
      cv_.notify_one();
      return std::unexpected(std::move(conn).error());
    }
    return Lease(this, std::move(*conn), true);
  }

  void Release(ConnPtr conn) {
    const bool healthy = conn && PQstatus(conn.get()) == CONNECTION_OK &&
                         PQtransactionStatus(conn.get()) == PQTRANS_IDLE;
    if (!healthy) conn.reset();  // closed outside the lock would be nicer; PQfinish is quick
    std::lock_guard lock(mu_);
    --in_use_;
    if (healthy) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    cv_.notify_one();
  }

  PoolStats Stats() const {
    std::lock_guard lock(mu_);
    return PoolStats{open_, in_use_};
  }

  Result<ConnPtr> Connect() const {
    const char* keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                          nullptr};
    const char* values[] = {"10", "entente", "UTF8", url_.conninfo.c_str(), nullptr};
    ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
    if (!conn) return Fail(ErrorCode::kUnavailable, "PostgreSQL: out of memory while connecting");
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("cannot connect to {}: {}", url_.description,
                              ScrubSecret(Trim(PQerrorMessage(conn.get())), url_.password)));
    }
    PQsetNoticeProcessor(conn.get(), IgnoreNotice, nullptr);
    const char* scs = PQparameterStatus(conn.get(), "standard_conforming_strings");
    if (scs == nullptr || std::string_view(scs) != "on") {
      return Fail(ErrorCode::kFailedPrecondition,
                  "PostgreSQL standard_conforming_strings must be on");
    }
    return conn;
  }

  const pg::ParsedUrl& url() const { return url_; }

 private:
  const pg::ParsedUrl url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ConnPtr> idle_;  // guarded by mu_
  int open_ = 0;               // guarded by mu_
  int in_use_ = 0;             // guarded by mu_
};

Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(conn_));
}

// A transaction on one leased connection. A failed statement dooms it (the
// server has aborted it anyway).
class PostgresTx final : public Tx {
 public:
  explicit PostgresTx(PGconn* conn) : conn_(conn) {}

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    ResultPtr res = ENTENTE_TRY(Statement(sql, params));
    return ToRows(res.get());
  }

  Result<std::int64_t> Exec(std::string_view sql, const Params& params) override {
    ResultPtr res = ENTENTE_TRY(Statement(sql, params));
    return ChangedRows(res.get());
  }

  Status ExecScript(std::string_view sql) override {
    ENTENTE_CHECK(CheckUsable());
    auto r = Run(conn_, std::string(sql), {}, /*script=*/true);
    if (!r) return Record(std::move(r).error());
    return Ok();
  }

  const std::optional<Failure>& failure() const { return failure_; }

 private:
  Result<ResultPtr> Statement(std::string_view sql, const Params& params) {
    ENTENTE_CHECK(CheckUsable());
    pg::RewrittenSql rewritten = pg::RewritePlaceholders(sql);
    if (rewritten.placeholders != static_cast<int>(params.size())) {
      return Record(Failure{
          Error(ErrorCode::kInternal, fmt::format("statement has {} placeholders but {} parameters "
                                                  "were given",
                                                  rewritten.placeholders, params.size())),
          false, false});
    }
    auto r = Run(conn_, rewritten.sql, params, /*script=*/false);
    if (!r) return Record(std::move(r).error());
    return std::move(*r);
  }

  Status CheckUsable() const {
    if (!failure_) return Ok();
    return Fail(failure_->error.code, "transaction already failed: " + failure_->error.message);
  }

  std::unexpected<Error> Record(Failure f) {
    if (!failure_) failure_ = f;
    return std::unexpected(std::move(f.error));
  }

  PGconn* conn_;
  std::optional<Failure> failure_;
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(pg::ParsedUrl url) : pool_(std::move(url)) {}

  // Opens the first connection (and gives it back to the pool).
  Status Warm() {
    Lease first = ENTENTE_TRY(pool_.Acquire());
    (void)first;
    return Ok();
  }

  Backend backend() const override { return Backend::kPostgres; }

  Status Transact(const std::function<Status(Tx&)>& fn) override {
    if (internal::TransactScope::Active(this)) {
      return Fail(ErrorCode::kInternal,
                  "Transact called inside a Transact callback on the same thread");
    }
    internal::TransactScope scope(this);
    std::minstd_rand jitter(static_cast<unsigned>(
        std::hash<std::thread::id>()(std::this_thread::get_id()) ^
        static_cast<size_t>(std::chrono::steady_clock::now().time_since_epoch().count())));
    for (int attempt = 0;; ++attempt) {
      bool retry = false;
      Status result = Attempt(fn, &retry);
      if (result || !retry) return result;
      if (attempt >= kMaxRetries) {
        return Fail(ErrorCode::kConflict,
                    fmt::format("transaction failed {} times on serialization conflicts: {}",
                                attempt + 1, result.error().message));
      }
      // Back off 1-2, 2-4, 4-8 ... ms so that competing transactions spread out.
      const int base = 1 << attempt;
      std::this_thread::sleep_for(std::chrono::microseconds(
          base * 1000 + static_cast<int>(jitter() % static_cast<unsigned>(base * 1000))));
    }
  }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    pg::RewrittenSql rewritten = pg::RewritePlaceholders(sql);
    if (rewritten.placeholders != static_cast<int>(params.size())) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("statement has {} placeholders but {} parameters were given",
                              rewritten.placeholders, params.size()));
    }
    // A reused connection may have died while idle (server restart): one more
    // try on a fresh one. A read is safe to repeat.
    for (int attempt = 0;; ++attempt) {
      Lease lease = ENTENTE_TRY(pool_.Acquire());
      auto r = Run(lease.get(), rewritten.sql, params, /*script=*/false);
      if (r) return ToRows(r->get());
      if (r.error().lost && !lease.fresh() && attempt == 0) continue;
      return std::unexpected(std::move(r).error().error);
    }
  }

  PoolStats pool_stats() const override { return pool_.Stats(); }

  std::string description() const override { return pool_.url().description; }

 private:
  // Leases a connection and runs BEGIN on it, retrying once on a fresh
  // connection when a reused one turns out to be dead.
  Result<Lease> Begin() {
    for (int attempt = 0;; ++attempt) {
      Lease lease = ENTENTE_TRY(pool_.Acquire());
      auto r = Run(lease.get(), "BEGIN", {}, /*script=*/true);
      if (r) return lease;
      if (r.error().lost && !lease.fresh() && attempt == 0) continue;
      return std::unexpected(std::move(r).error().error);
    }
  }

  Status Attempt(const std::function<Status(Tx&)>& fn, bool* retry) {
    Lease lease = ENTENTE_TRY(Begin());
    PGconn* conn = lease.get();
    PostgresTx tx(conn);
    Status result;
    try {
      result = fn(tx);
    } catch (const std::exception& e) {
      result = Fail(ErrorCode::kInternal, fmt::format("transaction callback threw: {}", e.what()));
    } catch (...) {
      result = Fail(ErrorCode::kInternal, "transaction callback threw a non-standard exception");
    }
    if (tx.failure()) {
      *retry = tx.failure()->retryable;
      if (result) result = std::unexpected(tx.failure()->error);
    }
    if (result) {
      auto commit = Run(conn, "COMMIT", {}, /*script=*/true);
      if (!commit) {
        *retry = commit.error().retryable;
        result = std::unexpected(std::move(commit).error().error);
      } else if (std::string_view(PQcmdStatus(commit->get())) != "COMMIT") {
        result = Fail(ErrorCode::kInternal, "PostgreSQL rolled the transaction back at COMMIT");
      }
    }
    if (!result && PQtransactionStatus(conn) != PQTRANS_IDLE) {
      (void)Run(conn, "ROLLBACK", {}, /*script=*/true);
    }
    return result;
  }

  Pool pool_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(std::string_view url) {
  if (PQisthreadsafe() == 0) {
    return Fail(ErrorCode::kInternal, "libpq was built without thread support");
  }
  pg::ParsedUrl parsed = ENTENTE_TRY(pg::ParseUrl(url));
  auto db = std::make_unique<PostgresDatabase>(std::move(parsed));
  ENTENTE_CHECK(db->Warm());
  return db;
}

}  // namespace entente::store
