// Errors as values.
//
// Every recoverable failure that crosses a module boundary is a `Result<T>`
// (std::expected<T, Error>). An Error carries a code that the API layer maps to
// an HTTP status, a message a user can act on, and optionally the name of the
// input field at fault. Exceptions from third-party libraries stop at the
// adapter that calls them.
//
// Assertion policy: `assert` is for debug-only invariants of our own code;
// checks on anything that comes from outside (input, disk, network, peers)
// are Results and stay in release builds.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace entente {

enum class ErrorCode {
  kInvalidArgument,     // bad input; 400/422
  kUnauthenticated,     // no or bad credentials; 401
  kPermissionDenied,    // authenticated but not allowed; 403
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kConflict,            // 409 (state conflict, stale version)
  kFailedPrecondition,  // 409/412 (e.g. database newer than binary)
  kResourceExhausted,   // 413/429
  kUnavailable,         // 503
  kDataLoss,            // integrity failure (bad signature, corrupt row)
  kInternal,            // 500
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // JSON pointer or field name at fault, when known

  Error() = default;
  Error(ErrorCode c, std::string msg, std::string fld = {})
      : code(c), message(std::move(msg)), field(std::move(fld)) {}

  // "field: message" when a field is known, else the message.
  std::string ToString() const;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(ErrorCode code, std::string message, std::string field = {}) {
  return std::unexpected<Error>(Error(code, std::move(message), std::move(field)));
}
inline std::unexpected<Error> Invalid(std::string message, std::string field = {}) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}

inline Status Ok() { return {}; }

}  // namespace entente

// ENTENTE_TRY(expr): evaluates a Result; on error returns the error from the
// enclosing function, otherwise yields the value. (GNU statement expression,
// supported by g++ and clang.) Each use gets a unique temporary name so nested
// uses do not shadow each other.
#define ENTENTE_CONCAT_INNER_(a, b) a##b
#define ENTENTE_CONCAT_(a, b) ENTENTE_CONCAT_INNER_(a, b)
#define ENTENTE_TRY_IMPL_(var, ...)                           \
  ({                                                          \
    auto var = (__VA_ARGS__);                                 \
    if (!var) return std::unexpected(std::move(var).error()); \
    std::move(var).value();                                   \
  })
#define ENTENTE_TRY(...) ENTENTE_TRY_IMPL_(ENTENTE_CONCAT_(entente_try_, __COUNTER__), __VA_ARGS__)

// ENTENTE_CHECK(status_expr): for Status (no value).
#define ENTENTE_CHECK_IMPL_(var, ...)                         \
  do {                                                        \
    auto var = (__VA_ARGS__);                                 \
    if (!var) return std::unexpected(std::move(var).error()); \
  } while (0)
#define ENTENTE_CHECK(...) \
  ENTENTE_CHECK_IMPL_(ENTENTE_CONCAT_(entente_check_, __COUNTER__), __VA_ARGS__)
