#include "api/router.h"

namespace entente::api {

namespace {
std::vector<std::string_view> Split(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') {
      ++i;
      continue;
    }
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}
}  // namespace

void Router::Add(Route r) { routes_.push_back(std::move(r)); }

const Route* Router::Match(http::Request& req, bool* path_matched) const {
  auto segs = Split(req.path);
  *path_matched = false;
  for (const auto& r : routes_) {
    auto pat = Split(r.pattern);
    if (pat.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < pat.size() && ok; ++i) {
      if (pat[i].size() > 2 && pat[i].front() == '{' && pat[i].back() == '}') {
        if (segs[i].empty() || segs[i].size() > 128)
          ok = false;
        else
          params[std::string(pat[i].substr(1, pat[i].size() - 2))] = std::string(segs[i]);
      } else {
        ok = pat[i] == segs[i];
      }
    }
    if (!ok) continue;
    *path_matched = true;
    if (r.method != req.method && !(req.method == "HEAD" && r.method == "GET")) continue;
    req.path_params = std::move(params);
    return &r;
  }
  return nullptr;
}

}  // namespace entente::api
