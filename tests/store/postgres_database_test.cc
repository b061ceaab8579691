// What only the PostgreSQL adapter does. The Pg* suites need no server; the
// PostgresAdapterTest instantiation needs ENTENTE_TEST_PG_URL.
#include "store/postgres_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "store/test_databases.h"

namespace entente::store {
namespace {

using pg::ParseUrl;
using pg::RewritePlaceholders;
using testing::BackendTest;

std::string Rewrite(std::string_view sql) { return RewritePlaceholders(sql).sql; }

TEST(PgPlaceholders, NumbersEachQuestionMarkInOrder) {
  auto r = RewritePlaceholders("SELECT * FROM t WHERE a = ? AND b IN (?, ?)");
  EXPECT_EQ(r.sql, "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
  EXPECT_EQ(r.placeholders, 3);
  EXPECT_EQ(RewritePlaceholders("SELECT 1").placeholders, 0);
  EXPECT_EQ(Rewrite("?"), "$1");
  EXPECT_EQ(Rewrite("a=?,b=?"), "a=$1,b=$2");
}

TEST(PgPlaceholders, LeavesLiteralsIdentifiersAndCommentsAlone) {
  EXPECT_EQ(Rewrite("SELECT '?', ?"), "SELECT '?', $1");
  EXPECT_EQ(Rewrite("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
  EXPECT_EQ(Rewrite("SELECT \"a?\"\"b?\" FROM t WHERE x = ?"),
            "SELECT \"a?\"\"b?\" FROM t WHERE x = $1");
  EXPECT_EQ(Rewrite("SELECT ? -- what?\n, ?"), "SELECT $1 -- what?\n, $2");
  EXPECT_EQ(Rewrite("SELECT ? /* a /* nested ? */ still ? */ , ?"),
            "SELECT $1 /* a /* nested ? */ still ? */ , $2");
  EXPECT_EQ(Rewrite("SELECT E'\\'?', ?"), "SELECT E'\\'?', $1");
  EXPECT_EQ(Rewrite("SELECT e'a\\\\', ?"), "SELECT e'a\\\\', $1");
  // Outside E'', a backslash is an ordinary character ('\' is a complete literal).
  EXPECT_EQ(Rewrite("SELECT '\\', ?"), "SELECT '\\', $1");
  EXPECT_EQ(Rewrite("SELECT $$ ? $$, ?"), "SELECT $$ ? $$, $1");
  EXPECT_EQ(Rewrite("SELECT $fn$ it's ? $x$ $fn$, ?"), "SELECT $fn$ it's ? $x$ $fn$, $1");
  // Identifiers may contain $; $1 stays a positional parameter.
  EXPECT_EQ(Rewrite("SELECT a$b$ FROM t WHERE c = ?"), "SELECT a$b$ FROM t WHERE c = $1");
  EXPECT_EQ(Rewrite("SELECT name$ FROM t WHERE c = ?"), "SELECT name$ FROM t WHERE c = $1");
  // Unterminated constructs swallow the rest rather than inventing placeholders.
  EXPECT_EQ(Rewrite("SELECT 'open ?"), "SELECT 'open ?");
  EXPECT_EQ(Rewrite("SELECT /* open ?"), "SELECT /* open ?");
}

TEST(PgUrl, PoolSizeIsTakenOutAndThePasswordNeverShows) {
  auto u = ParseUrl("postgresql://u:secret@db.example:5433/entente?pool_size=8&sslmode=disable");
  ASSERT_TRUE(u.has_value()) << u.error().message;
  EXPECT_EQ(u->pool_size, 8);
  EXPECT_EQ(u->conninfo, "postgresql://u:secret@db.example:5433/entente?sslmode=disable");
  EXPECT_EQ(u->description, "postgresql://db.example:5433/entente");
  EXPECT_EQ(u->password, "secret");

  auto only = ParseUrl("postgres://h/d?pool_size=2");
  ASSERT_TRUE(only.has_value());
  EXPECT_EQ(only->conninfo, "postgres://h/d");
  EXPECT_EQ(only->pool_size, 2);

  auto dflt = ParseUrl("postgresql://h/d");
  ASSERT_TRUE(dflt.has_value());
  EXPECT_EQ(dflt->pool_size, 4);
  EXPECT_EQ(dflt->description, "postgresql://h/d");

  auto query_pw = ParseUrl("postgresql://u@h/d?password=hunter2");
  ASSERT_TRUE(query_pw.has_value());
  EXPECT_EQ(query_pw->description.find("hunter2"), std::string::npos);
  EXPECT_EQ(query_pw->password, "hunter2");
}

TEST(PgUrl, BadPoolSizeIsInvalid) {
  for (const char* url : {"postgresql://h/d?pool_size=0", "postgresql://h/d?pool_size=x",
                          "postgresql://h/d?pool_size=101", "postgresql://h/d?pool_size="}) {
    auto u = ParseUrl(url);
    ASSERT_FALSE(u.has_value()) << url;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(PgUrl, MalformedUrlErrorDoesNotShowThePassword) {
  auto u = ParseUrl("postgresql://u:secret@h/d?nonsense_option=1");
  ASSERT_FALSE(u.has_value());
  EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(u.error().message.find("secret"), std::string::npos) << u.error().message;
}

TEST(PgOpen, UnreachableServerIsUnavailableAndHidesThePassword) {
  auto db = Open("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2");
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(db.error().message.find("secret"), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("postgresql://127.0.0.1:1/db"), std::string::npos)
      << db.error().message;
  EXPECT_EQ(db.error().message.find('\n'), std::string::npos) << db.error().message;
}

class PostgresAdapterTest : public BackendTest {};

TEST_P(PostgresAdapterTest, SerializationFailuresAreRetriedThenConflict) {
  // A DO block that raises SQLSTATE 40001 stands in for a real serialization failure.
  constexpr const char* kFail =
      "DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'serialization_failure'; END $$";
  int calls = 0;
  auto once = db().Transact([&](Tx& tx) -> Status {
    ++calls;
    if (calls == 1) ENTENTE_CHECK(tx.ExecScript(kFail));
    return Ok();
  });
  EXPECT_TRUE(once.has_value()) << once.error().message;
  EXPECT_EQ(calls, 2);

  calls = 0;
  auto always = db().Transact([&](Tx& tx) -> Status {
    ++calls;
    ENTENTE_CHECK(tx.ExecScript(kFail));
    return Ok();
  });
  ASSERT_FALSE(always.has_value());
  EXPECT_EQ(always.error().code, ErrorCode::kConflict);
  EXPECT_EQ(calls, 6);  // first try and 5 retries

  // Even when the callback swallows the failure and returns ok.
  calls = 0;
  auto swallowed = db().Transact([&](Tx& tx) -> Status {
    if (++calls == 1) (void)tx.ExecScript(kFail);
    return Ok();
  });
  EXPECT_TRUE(swallowed.has_value());
  EXPECT_EQ(calls, 2);
}

TEST_P(PostgresAdapterTest, DeadlockIsRetried) {
  constexpr const char* kDeadlock =
      "DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'deadlock_detected'; END $$";
  int calls = 0;
  auto s = db().Transact([&](Tx& tx) -> Status {
    if (++calls == 1) ENTENTE_CHECK(tx.ExecScript(kDeadlock));
    return Ok();
  });
  EXPECT_TRUE(s.has_value());
  EXPECT_EQ(calls, 2);
}

TEST_P(PostgresAdapterTest, InvalidInputMessageDoesNotQuoteTheParameter) {
  const std::string secret = "not-a-number-but-a-secret";
  auto s = db().Transact([&](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("CREATE TABLE n (x BIGINT)"));
    ENTENTE_TRY(tx.Exec("INSERT INTO n (x) VALUES (?)", {secret}));
    return Ok();
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kInternal);
  EXPECT_EQ(s.error().message.find(secret), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("SQLSTATE 22P02"), std::string::npos) << s.error().message;
}

TEST_P(PostgresAdapterTest, NulByteInTextIsInvalid) {
  auto rows = db().Query("SELECT ?", {std::string("a\0b", 3)});
  ASSERT_FALSE(rows.has_value());
  EXPECT_EQ(rows.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(PostgresAdapterTest, StringsFillJsonbUuidAndNumericColumns) {
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("CREATE TABLE j (id UUID PRIMARY KEY, doc JSONB NOT NULL, amount NUMERIC)"));
    ENTENTE_TRY(tx.Exec("INSERT INTO j (id, doc, amount) VALUES (?, ?, ?)",
                        {std::string("018bcfe5-687b-7000-8000-000000000001"),
                         std::string(R"({"b": 1, "a": [true, null]})"), std::string("12.50")}));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto rows =
      db().Query("SELECT id, doc ->> 'b', amount, jsonb_exists(doc, ?) FROM j", {std::string("a")});
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  const Row& row = (*rows)[0];
  EXPECT_EQ(row.Text(0), "018bcfe5-687b-7000-8000-000000000001");
  EXPECT_EQ(row.Text(1), "1");
  EXPECT_EQ(row.Int(1), 1);
  EXPECT_EQ(row.Text(2), "12.50");
  EXPECT_EQ(row.Real(2), 12.5);
  EXPECT_EQ(row.at(3), Value(std::int64_t{1}));
}

TEST_P(PostgresAdapterTest, SpecialFloatsRoundTrip) {
  const double inf = std::numeric_limits<double>::infinity();
  auto rows = db().Query("SELECT ?, ?, ?::float8 + 0", {inf, -inf, 0.1});
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_EQ((*rows)[0].Real(0), inf);
  EXPECT_EQ((*rows)[0].Real(1), -inf);
  EXPECT_EQ((*rows)[0].Real(2), 0.1);
}

TEST_P(PostgresAdapterTest, PoolSizeFromUrlBoundsTheConnections) {
  auto small = Open(url() + (url().find('?') == std::string::npos ? "?" : "&") + "pool_size=2");
  ASSERT_TRUE(small.has_value()) << small.error().message;
  Database& d = **small;
  std::atomic<int> peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto s = d.Transact([&](Tx& tx) -> Status {
          const int now = d.pool_stats().in_use;
          int seen = peak.load();
          while (now > seen && !peak.compare_exchange_weak(seen, now)) {
          }
          ENTENTE_TRY(tx.Query("SELECT pg_sleep(0.001)"));
          return Ok();
        });
        if (!s) ADD_FAILURE() << s.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 2);
  EXPECT_LE(d.pool_stats().size, 2);
  EXPECT_EQ(d.pool_stats().in_use, 0);
}

TEST_P(PostgresAdapterTest, ReadSurvivesAServerSideDisconnect) {
  // Kill this Database's idle connection from another session, then read.
  auto pid = db().Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.has_value()) << pid.error().message;
  auto admin = Open(url());
  ASSERT_TRUE(admin.has_value());
  auto killed = (*admin)->Query("SELECT pg_terminate_backend(?::int, 5000)", {(*pid)[0].Int(0)});
  ASSERT_TRUE(killed.has_value()) << killed.error().message;
  auto rows = db().Query("SELECT 1");
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_EQ((*rows)[0].Int(0), 1);
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Query("SELECT 1"));
    return Ok();
  });
  EXPECT_TRUE(s.has_value()) << s.error().message;
}

ENTENTE_INSTANTIATE_POSTGRES(PostgresAdapterTest);

}  // namespace
}  // namespace entente::store
