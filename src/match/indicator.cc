#include "match/indicator.h"

#include <algorithm>
#include <array>

#include "match/normalize.h"

namespace entente::match {
namespace {

constexpr std::array<std::string_view, 8> kKinds = {"domain", "ip",   "url",    "email",
                                                    "md5",    "sha1", "sha256", "regex"};
constexpr std::array<std::string_view, 5> kTlps = {"clear", "green", "amber", "amber+strict",
                                                   "red"};
constexpr std::array<std::string_view, 4> kPaps = {"clear", "green", "amber", "red"};
constexpr std::array<std::string_view, 6> kActions = {"default",  "nxdomain", "nodata",
                                                      "passthru", "drop",     "local"};

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

template <class E, std::size_t N>
std::optional<E> FromName(const std::array<std::string_view, N>& names, std::string_view s) {
  std::string l = Lowered(s);
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == l) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace

std::string_view KindName(Kind k) { return kKinds[static_cast<int>(k)]; }
std::optional<Kind> KindFromName(std::string_view s) { return FromName<Kind>(kKinds, s); }
std::string_view TlpName(Tlp t) { return kTlps[static_cast<int>(t)]; }
std::optional<Tlp> TlpFromName(std::string_view s) {
  std::string l = Lowered(s);
  if (l.starts_with("tlp:")) l = l.substr(4);
  if (l == "white") return Tlp::kClear;
  return FromName<Tlp>(kTlps, l);
}
std::string_view PapName(Pap p) { return kPaps[static_cast<int>(p)]; }
std::optional<Pap> PapFromName(std::string_view s) {
  std::string l = Lowered(s);
  if (l.starts_with("pap:")) l = l.substr(4);
  if (l == "white") return Pap::kClear;
  return FromName<Pap>(kPaps, l);
}
std::string_view ActionName(Action a) { return kActions[static_cast<int>(a)]; }
std::optional<Action> ActionFromName(std::string_view s) { return FromName<Action>(kActions, s); }

bool Policy::Allows(const Indicator& i) const {
  if (i.tlp > max_tlp || i.pap > max_pap) return false;
  if (!communities.empty() &&
      std::find(communities.begin(), communities.end(), i.community) == communities.end())
    return false;
  return true;
}

Kind DetectKind(std::string& value, bool& subdomains) {
  subdomains = false;
  if (value.find("://") != std::string::npos) return Kind::kUrl;
  if (value.find('@') != std::string::npos) return Kind::kEmail;
  if (ParseIp(value)) return Kind::kIp;
  if (value.size() == 32 || value.size() == 40 || value.size() == 64) {
    if (std::all_of(value.begin(), value.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }))
      return value.size() == 32 ? Kind::kMd5 : value.size() == 40 ? Kind::kSha1 : Kind::kSha256;
  }
  if (value.starts_with("*.")) {
    value.erase(0, 2);
    subdomains = true;
  } else if (value.starts_with(".")) {
    value.erase(0, 1);
    subdomains = true;
  }
  return Kind::kDomain;
}

}  // namespace entente::match
