#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <unordered_set>

#include "directory/reference_tables.h"

namespace entente::directory {

namespace {
const std::unordered_set<std::string>& SetOf(const std::vector<CodeName>& v) {
  // Callers pass static tables; one set per table, built once.
  static std::mutex mu;
  static std::map<const void*, std::unordered_set<std::string>> sets;
  std::lock_guard lock(mu);
  auto& s = sets[&v];
  if (s.empty())
    for (const auto& c : v) s.insert(c.code);
  return s;
}
bool AllOf(std::string_view s, int (*pred)(int)) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return pred(static_cast<unsigned char>(c)); });
}
}  // namespace

// ISO 3166-1 alpha-2 codes, plus the user-assigned elements the standard
// reserves for private use (AA, QM-QZ, XA-XZ, ZZ), which exercises, the demo
// data and non-state entities may use.
bool IsCountry(std::string_view alpha2) {
  if (alpha2.size() != 2) return false;
  if (alpha2 == "AA" || alpha2 == "ZZ") return true;
  if ((alpha2[0] == 'X' && alpha2[1] >= 'A' && alpha2[1] <= 'Z') ||
      (alpha2[0] == 'Q' && alpha2[1] >= 'M' && alpha2[1] <= 'Z'))
    return true;
  return SetOf(Countries()).contains(std::string(alpha2));
}
bool IsSector(std::string_view code) { return SetOf(Sectors()).contains(std::string(code)); }

bool IsLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= tag.size(); ++i) {
    if (i == tag.size() || tag[i] == '-') {
      parts.push_back(tag.substr(start, i - start));
      start = i + 1;
    }
  }
  // language: ISO 639-1, lower case
  if (parts[0].size() != 2 || !AllOf(parts[0], ::islower)) return false;
  if (!SetOf(Languages()).contains(std::string(parts[0]))) return false;
  size_t i = 1;
  // script: 4 letters, Title case
  if (i < parts.size() && parts[i].size() == 4 && AllOf(parts[i], ::isalpha)) {
    if (!std::isupper(static_cast<unsigned char>(parts[i][0])) ||
        !AllOf(parts[i].substr(1), ::islower))
      return false;
    ++i;
  }
  // region: ISO 3166-1 alpha-2 upper case, or UN M.49 three digits
  if (i < parts.size()) {
    auto r = parts[i];
    if (r.size() == 2) {
      if (!AllOf(r, ::isupper) || !IsCountry(r)) return false;
      ++i;
    } else if (r.size() == 3 && AllOf(r, ::isdigit)) {
      ++i;
    }
  }
  // variants: 5-8 alphanumerics or digit + 3 alphanumerics
  for (; i < parts.size(); ++i) {
    auto v = parts[i];
    bool ok =
        (v.size() >= 5 && v.size() <= 8 && AllOf(v, ::isalnum)) ||
        (v.size() == 4 && std::isdigit(static_cast<unsigned char>(v[0])) && AllOf(v, ::isalnum));
    if (!ok) return false;
  }
  return true;
}

}  // namespace entente::directory
