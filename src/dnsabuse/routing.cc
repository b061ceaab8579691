#include "dnsabuse/routing.h"

#include <fmt/format.h>

#include <algorithm>

#include "dnsabuse/feeds.h"

namespace entente::dnsabuse {

using Json = nlohmann::json;

const char* ResponseName(Response r) {
  switch (r) {
    case Response::kSuspended:
      return "suspended";
    case Response::kDeleted:
      return "deleted";
    case Response::kOtherAction:
      return "other_action";
    case Response::kDeclined:
      return "declined";
  }
  return "other_action";
}

std::optional<Response> ResponseNamed(std::string_view name) {
  for (Response r :
       {Response::kSuspended, Response::kDeleted, Response::kOtherAction, Response::kDeclined})
    if (name == ResponseName(r)) return r;
  return std::nullopt;
}

Result<Recipient> ChooseRecipient(const AbuseReport& report, const Routing& routing,
                                  bool escalate) {
  if (!escalate && report.registrar != 0) {
    auto it = routing.registrar_orgs.find(report.registrar);
    if (it != routing.registrar_orgs.end()) return Recipient{it->second, RoutedTo::kRegistrar};
  }
  auto it = routing.registry_orgs.find(report.tld);
  if (it != routing.registry_orgs.end()) return Recipient{it->second, RoutedTo::kRegistry};
  return Fail(
      ErrorCode::kNotFound,
      fmt::format(
          "no organisation to receive the report on {}: registrar {} {} and no registry for .{}",
          report.domain, report.registrar,
          escalate ? "is escalated from" : "has no organisation in the routing", report.tld),
      "recipient");
}

Json Classification(std::string_view category) {
  if (category == "phishing") return {{"class", "fraud"}, {"type", "phishing"}};
  if (category == "malware") return {{"class", "malicious-code"}, {"type", "malware-distribution"}};
  if (category == "botnet_cc") return {{"class", "malicious-code"}, {"type", "c2-server"}};
  if (category == "spam") return {{"class", "abusive-content"}, {"type", "spam"}};
  return {{"class", "other"}, {"type", "undetermined"}};
}

Result<Json> ReportMessage(const AbuseReport& r, const std::string& org_id) {
  if (r.domain.empty()) return Invalid("report without a domain", "domain");
  if (r.categories.empty()) return Invalid("report without a category", "categories");
  if (org_id.empty()) return Invalid("report without a recipient organisation", "recipient");
  if (!r.screenshot_sha256.empty() &&
      (r.screenshot_sha256.size() != 64 ||
       !std::all_of(r.screenshot_sha256.begin(), r.screenshot_sha256.end(),
                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })))
    return Invalid("screenshot hash must be 64 lower-case hex digits (SHA-256)",
                   "screenshot_sha256");
  std::string categories;
  for (const auto& c : r.categories) categories += (categories.empty() ? "" : ", ") + c;
  std::string description = fmt::format(
      "The domain {} is listed for {} by {} feed{} since {} (first listing of this episode; "
      "DNS abuse observatory).\n\nEvidence:\n",
      r.domain, categories, r.feeds.size(), r.feeds.size() == 1 ? "" : "s", r.first_day);
  for (const auto& e : r.evidence) description += "- " + e.substr(0, 2000) + "\n";
  if (!r.feeds.empty()) {
    description += "\nFeeds:";
    for (const auto& f : r.feeds) description += " " + f;
    description += "\n";
  }
  if (!r.screenshot_sha256.empty())
    description += "\nScreenshot SHA-256: " + r.screenshot_sha256 + "\n";
  if (description.size() > 19000) description.resize(19000);
  const std::string action = fmt::format(
      "Please investigate {} and suspend the domain or take other appropriate action. Acknowledge "
      "this "
      "message and respond by the deadlines shown: confirm the mitigation (suspension or other "
      "action) or "
      "decline with the reason.",
      r.domain);
  return Json{
      {"kind", "request_for_assistance"},
      {"recipients", {org_id}},
      {"tlp", "amber"},
      {"pap", "green"},
      {"language", "en"},
      {"fields",
       {{"urgency", r.urgency},
        {"classification", Classification(r.categories.front())},
        {"summary", fmt::format("DNS abuse ({}) on {}", categories, r.domain).substr(0, 300)},
        {"description", description},
        {"requested_action", action}}}};
}

}  // namespace entente::dnsabuse
