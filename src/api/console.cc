#include "api/console.h"

namespace entente::api {

const ConsoleAsset* FindConsoleAsset(std::string_view path) {
  if (path == "/" || path.empty()) path = "/index.html";
  for (const auto& a : ConsoleAssets())
    if (a.path == path) return &a;
  return nullptr;
}

}  // namespace entente::api
