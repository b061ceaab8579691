// The SQLite adapter behind store::Database.
//
// One writer connection, guarded by a mutex, runs every Transact with
// BEGIN IMMEDIATE (so writers in this process queue on the mutex and writers
// in other processes wait up to the 5 s busy timeout). Database::Query runs on
// a small pool of read-only connections, which WAL mode lets read while the
// writer writes; an in-memory database (":memory:") has only the writer
// connection, so reads share its mutex.
//
// Every connection: WAL journal, foreign_keys=ON, busy_timeout=5000,
// synchronous=NORMAL, extended result codes. Prepared statements are cached
// per connection. Thread-safe.
//
// Error mapping: SQLITE_CONSTRAINT -> kConflict (with SQLite's constraint
// message), SQLITE_BUSY/LOCKED, CANTOPEN, IOERR, FULL -> kUnavailable,
// CORRUPT/NOTADB -> kDataLoss, anything else -> kInternal.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "store/store.h"

namespace entente::store {

struct SqliteOptions {
  int read_connections = 4;  // at most this many concurrent Database::Query calls
};

// Opens (creating if missing) the database file at `path`; "file:" URIs and
// ":memory:" are accepted. kUnavailable when it cannot be opened.
Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                             const SqliteOptions& options = {});

}  // namespace entente::store
