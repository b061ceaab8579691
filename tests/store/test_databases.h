// Test databases on both storage backends, for any module's repository tests.
//
//   class MyRepoTest : public entente::store::testing::BackendTest {};
//   TEST_P(MyRepoTest, Works) { auto& db = this->db(); ... }
//   ENTENTE_INSTANTIATE_BACKENDS(MyRepoTest);
//
// Every test gets its own empty database:
// - SQLite: a new file `test.db` in a new temporary directory, removed after.
// - PostgreSQL: a new database `entente_t_<random hex>` created on the server
//   named by ENTENTE_TEST_PG_URL (its user must be allowed to CREATE DATABASE;
//   scripts/pg-test-env.sh starts such a server) and dropped WITH (FORCE)
//   after the test. A database rather than a schema, so that migrations, the
//   advisory locks they take and to_regclass() see nothing of other tests.
//   Without ENTENTE_TEST_PG_URL the PostgreSQL tests FAIL (they never skip).
//
// Instantiations are named "Sqlite" and "Postgres", which is what the CTest
// entries of entente_backend_test() filter on. Use ENTENTE_INSTANTIATE_SQLITE /
// ENTENTE_INSTANTIATE_POSTGRES for a suite that applies to one backend only.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>

#include "store/store.h"

namespace entente::store {

// So that gtest prints "Sqlite" / "Postgres" instead of bytes.
inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "Sqlite" : "Postgres");
}

namespace testing {

inline constexpr const char* kPgUrlVariable = "ENTENTE_TEST_PG_URL";

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// `url` with its database name (the URL path) replaced by `dbname`.
inline std::string WithDatabase(std::string_view url, std::string_view dbname) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t query = url.find('?', start);
  const size_t slash = url.find('/', start);
  const size_t path = slash != std::string_view::npos && slash < query ? slash : query;
  std::string out(url.substr(0, path == std::string_view::npos ? url.size() : path));
  out += "/";
  out += dbname;
  if (query != std::string_view::npos) out += url.substr(query);
  return out;
}

// Runs one statement outside any transaction on the server of `url` (for
// CREATE/DROP DATABASE, which the store API does not offer). Empty on success.
inline std::string PgAdminExec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    PGresult* res = PQexec(conn, sql.c_str());
    if (PQresultStatus(res) != PGRES_COMMAND_OK) error = PQresultErrorMessage(res);
    PQclear(res);
  }
  PQfinish(conn);
  return error;
}

// Fixture: a fresh database of GetParam()'s backend per test.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "entente-store-XXXXXX").string();
      ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << "mkdtemp failed";
      dir_ = tmpl;
      url_ = "sqlite:" + (dir_ / "test.db").string();
    } else {
      const char* admin = std::getenv(kPgUrlVariable);
      ASSERT_TRUE(admin != nullptr && *admin != '\0')
          << kPgUrlVariable << " is not set, so the PostgreSQL tests cannot run. Start a "
          << "private server with\n  eval \"$(scripts/pg-test-env.sh start build-store/pg)\" && "
             "export ENTENTE_TEST_PG_URL\nor run only the SQLite tests (ctest -L sqlite).";
      admin_url_ = admin;
      std::random_device rd;
      dbname_ = "entente_t_" + ToHex(rd()) + ToHex(rd());
      const std::string err = PgAdminExec(admin_url_, "CREATE DATABASE " + dbname_);
      ASSERT_EQ(err, "") << "cannot create the test database on " << kPgUrlVariable;
      url_ = WithDatabase(admin_url_, dbname_);
    }
    auto opened = Open(url_);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    db_ = std::move(*opened);
  }

  void TearDown() override {
    db_.reset();
    if (!dbname_.empty()) {
      const std::string err =
          PgAdminExec(admin_url_, "DROP DATABASE IF EXISTS " + dbname_ + " WITH (FORCE)");
      EXPECT_EQ(err, "") << "cannot drop test database " << dbname_;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  Database& db() { return *db_; }
  Backend backend() const { return GetParam(); }
  // The URL of this test's database, to open more Database objects on it
  // (as a second process would).
  const std::string& url() const { return url_; }

 private:
  static std::string ToHex(unsigned v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s(8, '0');
    for (int i = 7; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = kDigits[v & 0xf];
    return s;
  }

  std::filesystem::path dir_;
  std::string admin_url_;
  std::string dbname_;
  std::string url_;
  std::unique_ptr<Database> db_;
};

}  // namespace testing
}  // namespace entente::store

#define ENTENTE_INSTANTIATE_BACKENDS(suite)                                                        \
  INSTANTIATE_TEST_SUITE_P(                                                                        \
      Store, suite,                                                                                \
      ::testing::Values(::entente::store::Backend::kSqlite, ::entente::store::Backend::kPostgres), \
      ::entente::store::testing::BackendName)
#define ENTENTE_INSTANTIATE_SQLITE(suite)                                                       \
  INSTANTIATE_TEST_SUITE_P(Store, suite, ::testing::Values(::entente::store::Backend::kSqlite), \
                           ::entente::store::testing::BackendName)
#define ENTENTE_INSTANTIATE_POSTGRES(suite)                                                       \
  INSTANTIATE_TEST_SUITE_P(Store, suite, ::testing::Values(::entente::store::Backend::kPostgres), \
                           ::entente::store::testing::BackendName)
