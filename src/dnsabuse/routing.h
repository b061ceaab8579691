// Routing actionable abuse reports to the responsible registrar (or the
// registry), and recording their answers.
//
//   auto report = obs.ReportFor("evil.example");          // from the observatory
//   Json msg = ReportMessage(*report, org_id);            // comms::Communications::Send input
//   auto sent = comms.Send(actor, msg);
//   obs.RecordSent(*report, sent->id, org_id, RoutedTo::kRegistrar);
//   ... later, from the registrar's answer:
//   obs.RecordResponse(sent->id, "2024-03-05", Response::kSuspended, "");
//
// The message is a `request_for_assistance` (data/comms/templates.json) with
// the RSIT class of the listing category, the evidence (feed entries / URLs,
// first-seen day, optional screenshot hash) in the description and the
// requested action with the deadlines the comms workflow enforces
// (acknowledgement and response due from the urgency). A confirmation of
// mitigation ends the listing episode (mitigation 'confirmed', time to
// mitigation measured to the confirmation day); a decline needs a reason and
// leaves the episode open, so the report can be escalated to the registry.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace entente::dnsabuse {

struct AbuseReport {
  std::string domain;
  std::string first_day;  // YYYY-MM-DD, first listing of the episode
  std::string tld;
  std::int64_t registrar = 0;           // IANA id, 0 unknown
  std::vector<std::string> categories;  // phishing, malware, botnet_cc, spam
  std::vector<std::string> feeds;       // "category:source"
  std::vector<std::string> evidence;    // URLs / feed lines
  std::string screenshot_sha256;        // optional, 64 hex digits
  std::string urgency = "priority";     // comms urgency: urgent, priority, routine
};

// Who receives reports: the directory organisation of each registrar (by
// IANA id) and of each registry (by TLD).
struct Routing {
  std::map<std::int64_t, std::string> registrar_orgs;
  std::map<std::string, std::string> registry_orgs;
};

enum class RoutedTo { kRegistrar, kRegistry };

struct Recipient {
  std::string org_id;
  RoutedTo to = RoutedTo::kRegistrar;
};

// The registrar's organisation, or the registry's when the registrar is
// unknown, has no organisation, or `escalate` is set (it did not act).
Result<Recipient> ChooseRecipient(const AbuseReport& report, const Routing& routing, bool escalate);

// The RSIT classification of a category ({"class", "type"}).
nlohmann::json Classification(std::string_view category);

// The input of comms::Communications::Send for `report` to `org_id`
// (English; tlp amber, pap green).
Result<nlohmann::json> ReportMessage(const AbuseReport& report, const std::string& org_id);

// A registrar's answer. kDeleted: the domain was deleted (a mitigation, as
// a suspension is).
enum class Response { kSuspended, kDeleted, kOtherAction, kDeclined };
// "suspended", "deleted", "other_action", "declined" (the values of the
// comms vocabulary "outcome" and of dns_reports.action).
const char* ResponseName(Response r);
// The response named `name` (one of the above); nullopt otherwise.
std::optional<Response> ResponseNamed(std::string_view name);

}  // namespace entente::dnsabuse
