// Request helpers shared by the route files (routes.cc, routes_log.cc):
// strict query validation, path parameters, JSON bodies. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/error.h"
#include "core/ids.h"
#include "http/http.h"
#include "jcs/jcs.h"

namespace entente::api {

// Every query parameter must be one of `allowed`, valid UTF-8, at most 256 bytes.
inline Status OnlyQuery(const http::Request& req, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : req.query) {
    if (!allowed.contains(k)) return Invalid("unknown query parameter", k);
    if (!jcs::IsValidUtf8(v) || v.size() > 256) return Invalid("invalid value", k);
  }
  return Ok();
}

// Query parameter `name` as a decimal integer in [min, max] (digits only, no
// sign or spaces, given once); nullopt when absent.
inline Result<std::optional<std::uint64_t>> QueryUint(const http::Request& req,
                                                      const std::string& name, std::uint64_t min,
                                                      std::uint64_t max) {
  auto v = req.Query(name);
  if (!v) return std::optional<std::uint64_t>{};
  if (req.query.count(name) > 1) return Invalid("must be given once", name);
  std::string range =
      "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (v->empty() || v->size() > 19) return Invalid(range, name);
  std::uint64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return Invalid(range, name);
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n < min || n > max) return Invalid(range, name);
  return std::optional<std::uint64_t>(n);
}

inline std::string Param(const http::Request& req, const char* name) {
  return req.path_params.at(name);
}

// Path parameters that name an object by UUID: anything else is "no such resource".
inline Status CheckUuidParam(const http::Request& req, const char* name) {
  if (!IsUuid(req.path_params.at(name))) return Fail(ErrorCode::kNotFound, "no such resource");
  return Ok();
}

inline Result<jcs::Json> ParseBody(const http::Request& req) {
  std::string ct = req.Header("Content-Type");
  if (ct.rfind("application/json", 0) != 0)
    return Invalid("Content-Type must be application/json", "body");
  auto j = jcs::ParseUntrusted(
      req.body,
      {.max_bytes = 1 << 20, .max_depth = 32, .max_string_bytes = 65536, .max_elements = 20000});
  if (!j) {
    Error e = j.error();
    e.field = "body";
    return std::unexpected(e);
  }
  return j;
}

}  // namespace entente::api
