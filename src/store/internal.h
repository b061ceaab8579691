// Pieces shared by store.cc and the two adapters; not part of the store API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace entente::store::internal {

// Generated at build time from migrations/<backend>/*.sql (unsorted order is
// allowed; BuiltinMigrations sorts).
std::vector<Migration> EmbeddedMigrations(Backend backend);

// Marks the current thread as running a Transact callback for `db` while it
// lives, so that a nested Transact on the same database can be refused instead
// of deadlocking. Not copyable.
class TransactScope {
 public:
  explicit TransactScope(const void* db);
  ~TransactScope();
  TransactScope(const TransactScope&) = delete;
  TransactScope& operator=(const TransactScope&) = delete;
  // True when the current thread is inside a Transact callback for `db`.
  static bool Active(const void* db);

 private:
  const void* db_;
};

// Formats a double so that parsing it back gives the same value
// (shortest round trip; "Infinity", "-Infinity", "NaN" for the specials).
std::string FormatDouble(double v);

}  // namespace entente::store::internal
