// The indicator record the matching engine is built from.
//
// The engine does not depend on the intel module: anything that can produce
// these records (STIX import, plain lists, CSV, JSON lines; see
// match/indicator_io.h) can feed it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace entente::match {

enum class Kind : std::uint8_t { kDomain, kIp, kUrl, kEmail, kMd5, kSha1, kSha256, kRegex };
// Traffic Light Protocol 2.0 and Permissible Actions Protocol, in increasing
// order of restriction.
enum class Tlp : std::uint8_t { kClear, kGreen, kAmber, kAmberStrict, kRed };
enum class Pap : std::uint8_t { kClear, kGreen, kAmber, kRed };
// RPZ policy for domain and address indicators.
enum class Action : std::uint8_t { kDefault, kNxdomain, kNodata, kPassthru, kDrop, kLocalData };

std::string_view KindName(
    Kind k);  // "domain", "ip", "url", "email", "md5", "sha1", "sha256", "regex"
std::optional<Kind> KindFromName(std::string_view s);
std::string_view TlpName(Tlp t);  // "clear", "green", "amber", "amber+strict", "red"
std::optional<Tlp> TlpFromName(std::string_view s);  // also "white" (TLP 1.0) for clear
std::string_view PapName(Pap p);
std::optional<Pap> PapFromName(std::string_view s);  // also "white" for clear
std::string_view ActionName(
    Action a);  // "default", "nxdomain", "nodata", "passthru", "drop", "local"
std::optional<Action> ActionFromName(std::string_view s);

struct Indicator {
  std::string id;
  Kind kind = Kind::kDomain;
  std::string value;  // as given; the index normalises it
  // Domains: also every name below `value`.
  bool subdomains = false;
  // Regexes (Kind::kRegex): the kind of value the expression applies to
  // (kDomain, kUrl, kEmail or kIp, matched against the text form).
  Kind target = Kind::kDomain;
  Tlp tlp = Tlp::kAmber;
  Pap pap = Pap::kAmber;
  std::string community;
  int confidence = -1;     // 0..100, -1 when unknown
  Millis valid_from = 0;   // 0: no lower bound
  Millis valid_until = 0;  // 0: no upper bound (exclusive)
  bool revoked = false;
  Action action = Action::kDefault;
  std::string
      local_data;  // for Action::kLocalData: RPZ RRs, e.g. "A 192.0.2.1" or "CNAME walled.example."
};

// Which indicators a user may use: at most this TLP and PAP, only these
// communities (empty: any), and valid at `now`.
struct Policy {
  Tlp max_tlp = Tlp::kRed;
  Pap max_pap = Pap::kRed;
  std::vector<std::string> communities;
  Millis now = 0;  // 0: do not check validity at build time

  bool Allows(const Indicator& i) const;
};

// Detects the kind of a bare value: IP/CIDR, hash (by length), email, URL
// (has "://"), else domain. A leading "*." or "." on a domain means "and its
// subdomains" (returned through `subdomains`, and stripped from `value`).
Kind DetectKind(std::string& value, bool& subdomains);

}  // namespace entente::match
