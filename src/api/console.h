// The web console's static files (web/dist), embedded in the binary at build
// time. Served publicly at their paths ("/" is index.html); hashed files
// under /assets/ are immutable. Empty when the console was not built.
#pragma once

#include <string_view>
#include <vector>

namespace entente::api {

struct ConsoleAsset {
  std::string_view path;  // "/index.html", "/assets/index-abc.js"
  std::string_view content_type;
  std::string_view data;
};

const std::vector<ConsoleAsset>& ConsoleAssets();
const ConsoleAsset* FindConsoleAsset(std::string_view path);

}  // namespace entente::api
