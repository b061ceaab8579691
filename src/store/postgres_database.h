// The PostgreSQL adapter behind store::Database (libpq).
//
// A pool of connections (default 4; URL query parameter `pool_size=N`, 1..100,
// which is removed before the URL reaches libpq) lent out under a mutex and
// condition variable; a caller waits up to 30 s for a free connection, then
// gets kUnavailable. Connections are opened lazily (the first at Open, to
// report a bad URL or an unreachable server at once) and dropped when broken.
// Thread-safe.
//
// Statements: `?` placeholders outside string literals, quoted identifiers,
// dollar quotes and comments become $1..$n. Parameters travel as text: int64
// typed int8, double typed float8, strings and NULL untyped (the server infers
// the type from the context, so a string can fill a jsonb, uuid or timestamp
// column). Results arrive as text and become int64 (int2/4/8, oid, bool as
// 0/1), double (float4/8) or string. Where the server cannot infer a type
// (`? IS NULL`), cast: `CAST(? AS TEXT) IS NULL` works on both backends.
//
// Errors: SQLSTATE class 23 -> kConflict; 40001/40P01 (serialization failure,
// deadlock) -> kConflict, and Transact reruns the callback up to 5 more times
// first; class 08, 57P01-03, 53300 and a lost connection -> kUnavailable;
// anything else kInternal. Messages are the server's primary message and
// SQLSTATE: never DETAIL (it quotes row values), and quoted parameter values
// are blanked out. No libpq failure escapes as an exception (libpq is C).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "store/store.h"

namespace entente::store {

// Opens a pool on a "postgresql://" or "postgres://" URL. kInvalidArgument for
// a malformed URL, kUnavailable when the server cannot be reached.
Result<std::unique_ptr<Database>> OpenPostgres(std::string_view url);

namespace pg {  // exposed for tests

struct RewrittenSql {
  std::string sql;       // with $1..$n
  int placeholders = 0;  // n
};
// Rewrites `?` to $1..$n, leaving '...', E'...', "...", $tag$...$tag$,
// -- and /* */ (nested) untouched.
RewrittenSql RewritePlaceholders(std::string_view sql);

struct ParsedUrl {
  std::string conninfo;  // the URL without pool_size, for libpq
  int pool_size = 4;
  std::string description;  // "postgresql://host:port/db", no credentials
  std::string password;     // decoded, to scrub from messages ("" if none)
};
Result<ParsedUrl> ParseUrl(std::string_view url);

}  // namespace pg
}  // namespace entente::store
