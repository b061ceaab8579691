// What only the SQLite adapter does.
#include "store/sqlite_database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <thread>

#include "store/test_databases.h"

namespace entente::store {
namespace {

using testing::BackendTest;

class SqliteAdapterTest : public BackendTest {
 protected:
  std::string Pragma(const std::string& name) {
    auto rows = db().Query("PRAGMA " + name);
    EXPECT_TRUE(rows.has_value()) << rows.error().message;
    return rows && !rows->empty() ? (*rows)[0].Text(0) : "";
  }
};

TEST_P(SqliteAdapterTest, Fts5IsCompiledIn) {
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("CREATE VIRTUAL TABLE t USING fts5(x)"));
    ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (?), (?)",
                        {std::string("points of contact in every state"),
                         std::string("confidence building measures")}));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto rows = db().Query("SELECT x FROM t WHERE t MATCH ?", {std::string("contact")});
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "points of contact in every state");
}

TEST_P(SqliteAdapterTest, ConnectionsUseWalForeignKeysAndBusyTimeout) {
  EXPECT_EQ(Pragma("journal_mode"), "wal");
  EXPECT_EQ(Pragma("foreign_keys"), "1");
  EXPECT_EQ(Pragma("busy_timeout"), "5000");
  EXPECT_EQ(Pragma("synchronous"), "1");  // NORMAL
  std::string in_tx;
  auto s = db().Transact([&](Tx& tx) -> Status {
    Rows rows = ENTENTE_TRY(tx.Query("PRAGMA foreign_keys"));
    in_tx = rows[0].Text(0);
    return Ok();
  });
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(in_tx, "1");
}

TEST_P(SqliteAdapterTest, QueryIsReadOnly) {
  auto rows = db().Query("CREATE TABLE nope (x INTEGER)");
  EXPECT_FALSE(rows.has_value());
}

TEST_P(SqliteAdapterTest, BlobsComeBackAsBytes) {
  auto rows = db().Query("SELECT x'00ff41'");
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_EQ((*rows)[0].Text(0), std::string("\0\xff"
                                            "A",
                                            3));
}

TEST_P(SqliteAdapterTest, PlainPathAndSqlitePrefixOpenTheSameFile) {
  ASSERT_TRUE(url().starts_with("sqlite:"));
  auto s = db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("CREATE TABLE t (x INTEGER)"));
    return Ok();
  });
  ASSERT_TRUE(s.has_value());
  const std::string path = url().substr(7);
  auto plain = Open(path);
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_EQ((*plain)->description(), "sqlite:" + path);
  EXPECT_TRUE((*plain)->Query("SELECT count(*) FROM t").has_value());
}

// Checkpoints run on their own thread: once the WAL has grown past the
// threshold, committed rows reach the database file itself (read here with
// `immutable=1`, which ignores the WAL) without any commit doing it.
TEST_P(SqliteAdapterTest, CheckpointsCopyTheWalIntoTheFileInTheBackground) {
  ASSERT_TRUE(db().Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("CREATE TABLE t (x TEXT)"));
    return Ok();
  }));
  const std::string path = url().substr(7);
  // About two pages per commit: well past the 1,000-frame threshold.
  const std::string row(5000, 'w');
  for (int i = 0; i < 800; ++i) {
    ASSERT_TRUE(db().Transact([&](Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (?)", {row}));
      return Ok();
    }));
  }
  auto in_file = [&]() -> std::int64_t {
    sqlite3* raw = nullptr;
    const std::string uri = "file:" + path + "?immutable=1";
    std::int64_t n = -1;
    if (sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) ==
        SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      // Before the first checkpoint the file may not even hold the table.
      n = 0;
      if (sqlite3_prepare_v2(raw, "SELECT count(*) FROM t", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(raw);
    return n;
  };
  // The checkpointer works while this thread waits; bounded, no fixed sleep.
  std::int64_t seen = in_file();
  for (int i = 0; i < 2000 && seen <= 0; ++i) {
    std::this_thread::yield();
    seen = in_file();
  }
  EXPECT_GT(seen, 0);
  EXPECT_LE(seen, 800);
  auto all = db().Query("SELECT count(*) FROM t");
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)[0].Int(0), 800);
}

ENTENTE_INSTANTIATE_SQLITE(SqliteAdapterTest);

TEST(SqliteOpen, MissingDirectoryIsUnavailable) {
  auto db = Open("sqlite:/nonexistent-entente-dir/sub/x.db");
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
}

TEST(SqliteOpen, InMemoryDatabaseWorksWithReadsOnTheWriter) {
  auto db = Open("sqlite::memory:");
  ASSERT_TRUE(db.has_value()) << db.error().message;
  auto s = (*db)->Transact([](Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("CREATE TABLE t (x INTEGER)"));
    ENTENTE_TRY(tx.Exec("INSERT INTO t (x) VALUES (?)", {std::int64_t{3}}));
    return Ok();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto rows = (*db)->Query("SELECT x FROM t");
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_EQ((*rows)[0].Int(0), 3);
  EXPECT_EQ((*db)->pool_stats().size, 1);
  // Reading through Database::Query from inside Transact would deadlock: refused.
  auto inner = (*db)->Transact([&](Tx&) -> Status {
    auto r = (*db)->Query("SELECT 1");
    if (r) return Fail(ErrorCode::kInternal, "expected a refusal");
    return Ok();
  });
  EXPECT_TRUE(inner.has_value()) << inner.error().message;
}

}  // namespace
}  // namespace entente::store
