// The store contract, run on both backends.
#include "store/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/test_databases.h"

namespace entente::store {
namespace {

using testing::BackendTest;

class StoreTest : public BackendTest {
 protected:
  // Runs `sql` statements in one transaction; fails the test on error.
  void Exec(std::initializer_list<std::string_view> statements) {
    auto s = db().Transact([&](Tx& tx) -> Status {
      for (std::string_view sql : statements) ENTENTE_TRY(tx.Exec(sql));
      return Ok();
    });
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }

  std::int64_t Count(std::string_view table) {
    auto rows = db().Query("SELECT count(*) FROM " + std::string(table));
    EXPECT_TRUE(rows.has_value()) << rows.error().message;
    return rows && !rows->empty() ? (*rows)[0].Int(0) : -1;
  }
};

TEST_P(StoreTest, ValuesOfEveryTypeAndNullRoundTrip) {
  Exec({"CREATE TABLE v (id INTEGER PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, s TEXT, n TEXT)"});
  const std::vector<std::pair<std::int64_t, double>> numbers = {
      {0, 0.0},
      {std::numeric_limits<std::int64_t>::max(), 0.1},
      {std::numeric_limits<std::int64_t>::min(), -1.5e300},
      {-1, 5e-324},
  };
  const std::vector<std::string> strings = {"", "plain", "héllo 世界 مرحبا 🌍",
                                            std::string(100'000, 'x'), "line\nbreak\ttab"};
  auto s = db().Transact([&](Tx& tx) -> Status {
    std::int64_t id = 0;
    for (const auto& [i, r] : numbers) {
      for (const std::string& text : strings) {
        ENTENTE_TRY(tx.Exec("INSERT INTO v (id, i, r, s, n) VALUES (?, ?, ?, ?, ?)",
                            {++id, i, r, text, Null{}}));
      }
    }
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;

  auto rows = db().Query("SELECT i, r, s, n FROM v ORDER BY id");
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), numbers.size() * strings.size());
  size_t k = 0;
  for (const auto& [i, r] : numbers) {
    for (const std::string& text : strings) {
      const Row& row = (*rows)[k++];
      EXPECT_EQ(row.at(0), Value(i));
      EXPECT_EQ(row.at(1), Value(r));
      EXPECT_EQ(row.at(2), Value(text));
      EXPECT_EQ(row.at(3), Value(Null{}));
      EXPECT_EQ(row.Int(0), i);
      EXPECT_EQ(row.Real(1), r);
      EXPECT_EQ(row.Text(2), text);
      EXPECT_TRUE(row.IsNull(3));
      EXPECT_EQ(row.OptText(3), std::nullopt);
      EXPECT_EQ(row.Text(3), "");
      EXPECT_EQ(row.Int(3), 0);
    }
  }
}

TEST_P(StoreTest, ParametersComeBackFromSelectWithoutATable) {
  auto rows = db().Query("SELECT ?, ?, ?, ?", {std::int64_t{42}, 2.5, std::string("s"), Null{}});
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  const Row& row = (*rows)[0];
  EXPECT_EQ(row.Int(0), 42);
  EXPECT_EQ(row.Real(1), 2.5);
  EXPECT_EQ(row.Text(2), "s");
  EXPECT_TRUE(row.IsNull(3));
}

TEST_P(StoreTest, ComparisonsAndCountsAreIntegersOnBothBackends) {
  auto rows = db().Query("SELECT 1 = 1, 1 = 2, count(*), 7 / 2 FROM (SELECT 1 AS x) AS t");
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  const Row& row = (*rows)[0];
  EXPECT_EQ(row.at(0), Value(std::int64_t{1}));
  EXPECT_EQ(row.at(1), Value(std::int64_t{0}));
  EXPECT_EQ(row.at(2), Value(std::int64_t{1}));
  EXPECT_EQ(row.at(3), Value(std::int64_t{3}));
}

TEST_P(StoreTest, TransactCommitsWhenCallbackSucceeds) {
  Exec({"CREATE TABLE t (x TEXT NOT NULL)"});
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (?)", {std::string("a")}));
    // The transaction sees its own write.
    Rows rows = ENTENTE_TRY(tx.Query("SELECT count(*) FROM t"));
    if (rows[0].Int(0) != 1) return Fail(ErrorCode::kInternal, "own write not visible");
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(StoreTest, ErrorReturnedFromCallbackRollsBackAndIsPassedThrough) {
  Exec({"CREATE TABLE t (x TEXT NOT NULL)"});
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (?)", {std::string("a")}));
    return Fail(ErrorCode::kNotFound, "no such thing");
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message, "no such thing");
  EXPECT_EQ(Count("t"), 0);
}

TEST_P(StoreTest, ExceptionFromCallbackRollsBackAndBecomesInternalError) {
  Exec({"CREATE TABLE t (x TEXT NOT NULL)"});
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (?)", {std::string("a")}));
    throw std::runtime_error("kaboom");
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kInternal);
  EXPECT_NE(s.error().message.find("kaboom"), std::string::npos) << s.error().message;
  EXPECT_EQ(Count("t"), 0);

  auto t = db().Transact([](Tx&) -> Status { throw 7; });
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, ErrorCode::kInternal);

  // The database is still usable afterwards.
  Exec({"INSERT INTO t (x) VALUES ('b')"});
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(StoreTest, UniqueAndForeignKeyViolationsAreConflicts) {
  Exec({"CREATE TABLE parent (id TEXT PRIMARY KEY)",
        "CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT NOT NULL REFERENCES parent (id))",
        "INSERT INTO parent (id) VALUES ('p1')"});
  auto dup = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO parent (id) VALUES (?)", {std::string("p1")}));
    return Ok();
  });
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(dup.error().message.empty());

  auto orphan = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO child (id, parent) VALUES (?, ?)",
                        {std::string("c1"), std::string("nope")}));
    return Ok();
  });
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, ErrorCode::kConflict) << orphan.error().message;
  EXPECT_EQ(Count("child"), 0);
}

TEST_P(StoreTest, ConflictMessageDoesNotQuoteTheParameter) {
  Exec({"CREATE TABLE tokens (hash TEXT PRIMARY KEY)"});
  const std::string secret = "s3cr3t-token-hash-0123456789";
  auto insert = [&] {
    return db().Transact([&](Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec("INSERT INTO tokens (hash) VALUES (?)", {secret}));
      return Ok();
    });
  };
  ASSERT_TRUE(insert().has_value());
  auto s = insert();
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kConflict);
  EXPECT_EQ(s.error().message.find(secret), std::string::npos) << s.error().message;
}

TEST_P(StoreTest, FailedStatementDoomsTheTransactionEvenIfCallbackIgnoresIt) {
  Exec({"CREATE TABLE t (x TEXT PRIMARY KEY)", "INSERT INTO t (x) VALUES ('a')"});
  Error later;
  auto s = db().Transact([&](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES ('b')"));
    auto dup = tx.Exec("INSERT INTO t (x) VALUES ('a')");  // ignored on purpose
    EXPECT_FALSE(dup.has_value());
    auto next = tx.Exec("INSERT INTO t (x) VALUES ('c')");
    EXPECT_FALSE(next.has_value());
    if (!next) later = next.error();
    return Ok();
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kConflict);
  EXPECT_EQ(later.code, ErrorCode::kConflict);
  EXPECT_NE(later.message.find("already failed"), std::string::npos) << later.message;
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(StoreTest, ExecReportsChangedRows) {
  Exec({"CREATE TABLE t (x INTEGER NOT NULL)"});
  std::int64_t created = -1, inserted = -1, updated = -1, none = -1;
  auto s = db().Transact([&](Tx& tx) -> Status {
    created = ENTENTE_TRY(tx.Exec("CREATE TABLE u (y INTEGER)"));
    inserted = ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (1), (2), (3)"));
    updated = ENTENTE_TRY(tx.Exec("UPDATE t SET x = x + 10 WHERE x >= ?", {std::int64_t{2}}));
    none = ENTENTE_TRY(tx.Exec("DELETE FROM t WHERE x < 0"));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(created, 0);
  EXPECT_EQ(inserted, 3);
  EXPECT_EQ(updated, 2);
  EXPECT_EQ(none, 0);
}

TEST_P(StoreTest, QuestionMarksInLiteralsIdentifiersAndCommentsAreNotPlaceholders) {
  Exec({"CREATE TABLE q (\"what?\" TEXT, other TEXT)"});
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO q (\"what?\", other) /* a ? here */ VALUES (?, 'it''s ?') -- and ? there\n",
        {std::string("param")}));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto rows = db().Query("SELECT \"what?\", other, '?', ? FROM q WHERE other LIKE '%?'",
                         {std::string("p2")});
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "param");
  EXPECT_EQ((*rows)[0].Text(1), "it's ?");
  EXPECT_EQ((*rows)[0].Text(2), "?");
  EXPECT_EQ((*rows)[0].Text(3), "p2");
}

TEST_P(StoreTest, SqlMetacharactersInParametersAreStoredVerbatim) {
  Exec({"CREATE TABLE x (s TEXT NOT NULL)"});
  const std::vector<std::string> nasty = {"'; DROP TABLE x; --",
                                          "\"",
                                          "\\",
                                          "\\'",
                                          "?",
                                          "$1",
                                          "%_",
                                          "/*",
                                          "*/",
                                          "$$",
                                          "''",
                                          "\\0",
                                          "Robert'); DELETE FROM x WHERE ('1' = '1"};
  auto s = db().Transact([&](Tx& tx) -> Status {
    for (const std::string& v : nasty) ENTENTE_TRY(tx.Exec("INSERT INTO x (s) VALUES (?)", {v}));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  for (const std::string& v : nasty) {
    auto rows = db().Query("SELECT s FROM x WHERE s = ?", {v});
    ASSERT_TRUE(rows.has_value()) << rows.error().message;
    ASSERT_EQ(rows->size(), 1u) << v;
    EXPECT_EQ((*rows)[0].Text(0), v);
  }
  EXPECT_EQ(Count("x"), static_cast<std::int64_t>(nasty.size()));
}

TEST_P(StoreTest, OptionalFilterWithCastParameterWorks) {
  Exec({"CREATE TABLE f (k TEXT, n BIGINT)", "INSERT INTO f (k, n) VALUES ('a', 1), ('b', 2)"});
  const char* sql = "SELECT count(*) FROM f WHERE CAST(? AS TEXT) IS NULL OR k = ?";
  auto all = db().Query(sql, {Null{}, Null{}});
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ((*all)[0].Int(0), 2);
  auto one = db().Query(sql, {std::string("a"), std::string("a")});
  ASSERT_TRUE(one.has_value()) << one.error().message;
  EXPECT_EQ((*one)[0].Int(0), 1);
  // An integer parameter can fill a TEXT column.
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO f (k, n) VALUES (?, ?)", {std::int64_t{7}, std::int64_t{3}}));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto seven = db().Query("SELECT k FROM f WHERE n = ?", {std::int64_t{3}});
  ASSERT_TRUE(seven.has_value()) << seven.error().message;
  EXPECT_EQ((*seven)[0].Text(0), "7");
}

TEST_P(StoreTest, ParameterCountMismatchIsAnError) {
  auto few = db().Query("SELECT ?, ?", {std::int64_t{1}});
  ASSERT_FALSE(few.has_value());
  EXPECT_EQ(few.error().code, ErrorCode::kInternal);
  auto many = db().Query("SELECT 1", {std::int64_t{1}});
  ASSERT_FALSE(many.has_value());
  EXPECT_EQ(many.error().code, ErrorCode::kInternal);
}

TEST_P(StoreTest, SeveralStatementsInOneQueryAreRefusedButExecScriptRunsThem) {
  auto rows = db().Query("SELECT 1; SELECT 2");
  EXPECT_FALSE(rows.has_value());
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_CHECK(tx.ExecScript(
        "CREATE TABLE a (x INTEGER);\n-- comment with ? in it\nINSERT INTO a (x) VALUES (1);\n"
        "INSERT INTO a (x) VALUES (2);"));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(Count("a"), 2);
}

TEST_P(StoreTest, SyntaxErrorIsInternal) {
  auto rows = db().Query("SELEC nonsense");
  ASSERT_FALSE(rows.has_value());
  EXPECT_EQ(rows.error().code, ErrorCode::kInternal);
}

TEST_P(StoreTest, NestedTransactOnTheSameThreadIsRefused) {
  Error inner;
  auto s = db().Transact([&](Tx&) -> Status {
    auto nested = db().Transact([](Tx&) -> Status { return Ok(); });
    EXPECT_FALSE(nested.has_value());
    if (!nested) inner = nested.error();
    return Ok();
  });
  EXPECT_TRUE(s.has_value());
  EXPECT_EQ(inner.code, ErrorCode::kInternal);
  // And Transact works again afterwards.
  EXPECT_TRUE(db().Transact([](Tx&) -> Status { return Ok(); }).has_value());
}

TEST_P(StoreTest, UncommittedWritesAreInvisibleToOtherReaders) {
  Exec({"CREATE TABLE t (x INTEGER)", "INSERT INTO t (x) VALUES (1)"});
  std::int64_t seen_outside = -1;
  auto s = db().Transact([&](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (2)"));
    // A reader on another thread is not blocked by the open write and sees
    // only committed data.
    std::thread reader([&] { seen_outside = Count("t"); });
    reader.join();
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(seen_outside, 1);
  EXPECT_EQ(Count("t"), 2);
}

TEST_P(StoreTest, ConcurrentTransactionsFromFourThreadsLoseNoIncrement) {
  Exec({"CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)",
        "INSERT INTO counter (id, n) VALUES (1, 0)"});
  constexpr int kThreads = 4;
  constexpr int kIncrements = 200;
  std::atomic<int> failures{0};
  std::atomic<bool> stop_reading{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto s = db().Transact([](Tx& tx) -> Status {
          ENTENTE_TRY(tx.Exec("UPDATE counter SET n = n + 1 WHERE id = ?", {std::int64_t{1}}));
          return Ok();
        });
        if (!s) {
          ++failures;
          ADD_FAILURE() << s.error().message;
        }
      }
    });
  }
  // Readers run alongside and always see a value within range.
  std::thread reader([&] {
    while (!stop_reading) {
      auto rows = db().Query("SELECT n FROM counter WHERE id = 1");
      if (!rows) {
        ADD_FAILURE() << rows.error().message;
        break;
      }
      const std::int64_t n = (*rows)[0].Int(0);
      if (n < 0 || n > kThreads * kIncrements) {
        ADD_FAILURE() << "read " << n;
        break;
      }
      const PoolStats stats = db().pool_stats();
      if (stats.in_use > stats.size || stats.size < 1) {
        ADD_FAILURE() << "pool stats " << stats.size << "/" << stats.in_use;
        break;
      }
    }
  });
  for (auto& t : threads) t.join();
  stop_reading = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = db().Query("SELECT n FROM counter WHERE id = 1");
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ((*rows)[0].Int(0), kThreads * kIncrements);
}

TEST_P(StoreTest, PoolStatsCountConnectionsInUse) {
  const PoolStats idle = db().pool_stats();
  EXPECT_GE(idle.size, 1);
  EXPECT_EQ(idle.in_use, 0);
  PoolStats during;
  auto s = db().Transact([&](Tx&) -> Status {
    during = db().pool_stats();
    return Ok();
  });
  ASSERT_TRUE(s.has_value());
  EXPECT_GE(during.in_use, 1);
  EXPECT_LE(during.in_use, during.size);
  EXPECT_EQ(db().pool_stats().in_use, 0);
}

TEST_P(StoreTest, DescriptionNamesTheBackend) {
  const std::string d = db().description();
  if (backend() == Backend::kSqlite) {
    EXPECT_TRUE(d.starts_with("sqlite:")) << d;
  } else {
    EXPECT_TRUE(d.starts_with("postgresql://")) << d;
    EXPECT_EQ(d.find('@'), std::string::npos) << d;
  }
  EXPECT_EQ(db().backend(), backend());
}

// ---- migrations -------------------------------------------------------------

std::vector<Migration> TestMigrations(int up_to) {
  std::vector<Migration> all = {
      {1, "create_a", "CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT);\n"},
      {2, "fill_a",
       "INSERT INTO a (id, note) VALUES (1, 'first; with a semicolon');\n"
       "INSERT INTO a (id, note) VALUES (2, 'it''s ? here');\n"},
      {5, "create_b", "CREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE INDEX b_id ON b (id);\n"},
  };
  std::vector<Migration> out;
  for (const Migration& m : all) {
    if (m.version <= up_to) out.push_back(m);
  }
  return out;
}

TEST_P(StoreTest, EmptyDatabaseHasSchemaVersionZero) {
  auto v = SchemaVersion(db());
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(*v, 0);
}

TEST_P(StoreTest, MigrationsApplyOnceInOrderAndAreRecorded) {
  ASSERT_TRUE(Migrate(db(), TestMigrations(2)).has_value());
  EXPECT_EQ(SchemaVersion(db()).value_or(-1), 2);
  EXPECT_EQ(Count("a"), 2);

  // Running again changes nothing (the INSERTs of 2 would fail if rerun).
  auto again = Migrate(db(), TestMigrations(2));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(Count("a"), 2);

  // A newer binary applies only what is new.
  ASSERT_TRUE(Migrate(db(), TestMigrations(5)).has_value());
  EXPECT_EQ(SchemaVersion(db()).value_or(-1), 5);
  EXPECT_EQ(Count("b"), 0);

  auto rows =
      db().Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].Int(0), 1);
  EXPECT_EQ((*rows)[0].Text(1), "create_a");
  EXPECT_EQ((*rows)[1].Text(1), "fill_a");
  EXPECT_EQ((*rows)[2].Int(0), 5);
  EXPECT_EQ((*rows)[2].Text(1), "create_b");
  EXPECT_GT((*rows)[0].Int(2), 1'600'000'000'000);  // UTC milliseconds
}

TEST_P(StoreTest, FailingMigrationLeavesNoTraceAndStopsThere) {
  std::vector<Migration> ms = TestMigrations(1);
  ms.push_back(
      {2, "broken", "CREATE TABLE c (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"});
  ms.push_back({3, "after", "CREATE TABLE d (x INTEGER);\n"});
  auto s = Migrate(db(), ms);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("0002_broken"), std::string::npos) << s.error().message;
  EXPECT_EQ(SchemaVersion(db()).value_or(-1), 1);
  EXPECT_FALSE(db().Query("SELECT count(*) FROM c").has_value());
  EXPECT_FALSE(db().Query("SELECT count(*) FROM d").has_value());
}

TEST_P(StoreTest, RefusesADatabaseNewerThanTheBinary) {
  ASSERT_TRUE(Migrate(db(), TestMigrations(5)).has_value());
  auto s = Migrate(db(), TestMigrations(2));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(s.error().message,
            "database schema version 5 is newer than this entente binary supports (2); "
            "upgrade entente");
  EXPECT_EQ(SchemaVersion(db()).value_or(-1), 5);
}

TEST_P(StoreTest, UnorderedMigrationListIsRefused) {
  std::vector<Migration> ms = TestMigrations(5);
  std::swap(ms[0], ms[1]);
  EXPECT_FALSE(Migrate(db(), ms).has_value());
}

TEST_P(StoreTest, TwoProcessesMigratingAtOnceApplyEachMigrationOnce) {
  // A second Database on the same database stands in for a second process.
  auto other = Open(url());
  ASSERT_TRUE(other.has_value()) << other.error().message;
  std::vector<Migration> ms = TestMigrations(5);
  Status a, b;
  std::thread t1([&] { a = Migrate(db(), ms); });
  std::thread t2([&] { b = Migrate(**other, ms); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(Count("schema_migrations"), 3);
  EXPECT_EQ(Count("a"), 2);
}

TEST_P(StoreTest, BuiltinMigrationsApply) {
  const auto& ms = BuiltinMigrations(backend());
  auto s = Migrate(db(), ms);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(SchemaVersion(db()).value_or(-1), ms.empty() ? 0 : ms.back().version);
}

ENTENTE_INSTANTIATE_BACKENDS(StoreTest);

// ---- backend-independent ------------------------------------------------------

TEST(BuiltinMigrations, SortedAndTheSameVersionsOnBothBackends) {
  const auto& lite = BuiltinMigrations(Backend::kSqlite);
  const auto& pg = BuiltinMigrations(Backend::kPostgres);
  ASSERT_EQ(lite.size(), pg.size());
  for (size_t i = 0; i < lite.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(lite[i - 1].version, lite[i].version);
    }
    EXPECT_EQ(lite[i].version, pg[i].version);
    EXPECT_EQ(lite[i].name, pg[i].name);
    EXPECT_FALSE(lite[i].sql.empty());
  }
}

TEST(Row, ConvertsBetweenTextAndNumbers) {
  Row row({std::string("42"), std::string("-4.75"), std::string("t"), std::string("f"),
           std::string("12.50"), std::string("abc"), std::int64_t{7}, 2.5, Null{}});
  EXPECT_EQ(row.size(), 9u);
  EXPECT_EQ(row.Int(0), 42);
  EXPECT_EQ(row.Real(0), 42.0);
  EXPECT_EQ(row.Int(1), -4);
  EXPECT_EQ(row.Real(1), -4.75);
  EXPECT_EQ(row.Int(2), 1);
  EXPECT_EQ(row.Int(3), 0);
  EXPECT_EQ(row.Int(4), 12);
  EXPECT_EQ(row.Real(4), 12.5);
  EXPECT_EQ(row.Int(5), 0);
  EXPECT_EQ(row.Text(6), "7");
  EXPECT_EQ(row.Real(6), 7.0);
  EXPECT_EQ(row.Text(7), "2.5");
  EXPECT_EQ(row.Int(7), 2);
  EXPECT_TRUE(row.IsNull(8));
  EXPECT_FALSE(row.IsNull(0));
  EXPECT_EQ(row.OptText(8), std::nullopt);
  EXPECT_EQ(row.OptText(6), "7");
}

TEST(Open, RejectsAnEmptyUrl) {
  auto db = Open("");
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace entente::store
