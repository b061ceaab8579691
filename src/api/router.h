// Routes of the HTTP API: method + path pattern ("/api/v1/orgs/{id}"), the
// permission the route needs, how to find the organisation it acts on, and
// the handler. Every route must declare a permission (there is no default).
// Immutable after registration; matching is thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "core/error.h"
#include "http/http.h"

namespace entente::api {

struct Context {
  http::Request& req;
  std::optional<auth::Principal> principal;
};

using Handler = std::function<Result<http::Response>(Context&)>;
// Resolves the organisation a request acts on (for own-organisation rules).
using TargetOrg = std::function<Result<std::optional<std::string>>(const http::Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  auth::Permission permission;
  Handler handler;
  TargetOrg target;  // may be empty: the route acts on no particular organisation
};

class Router {
 public:
  void Add(Route r);
  // The route matching method and path; fills req.path_params. `path_matched`
  // tells whether some route has the path (for 405 vs 404).
  const Route* Match(http::Request& req, bool* path_matched) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace entente::api
