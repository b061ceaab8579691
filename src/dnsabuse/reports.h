// Abuse reports as a workflow: filed from the observatory (a listing
// episode) or by hand (evidence given by the filer), routed to the
// registrar's organisation in the directory (found by its IANA id) or to the
// registry, and updated from the communications workflow of the message
// that carries them, so the registrar answers through comms and nobody has
// to type `entente dns respond`.
//
//   ReportDesk desk(db, comms, directory, clock);
//   auto r = desk.FileFromObservatory(actor, "evil.example", "");
//   r = desk.Route(actor, r->id, {});            // comms request_for_assistance
//   ... the registrar acknowledges, responds or declines through comms ...
//   desk.Sync();                                  // reads the message's workflow
//
// Reading the workflow (Sync): for every routed report still open (sent or
// acknowledged) the desk reads, as the filing organisation (a party of the
// message), the message's recipient state and its timeline:
// - acknowledged           -> status acknowledged (time kept);
// - a response message from the recipient (timeline "responded") is opened.
//   A response of template version 2 states its outcome as a field
//   (outcome: suspended | deleted | other_action | declined, with
//   action_taken and reason; comms refuses an unknown outcome and a decline
//   without a reason with 422): that is what counts (outcome_source
//   "field"). Otherwise (version 1, or no outcome field) its summary is read:
//   "Suspended ...", "Deleted ...", "Other action ..." (or "Mitigated ...")
//   confirm the mitigation; "Declined: <reason>" declines (the reason is the
//   rest of the summary, else the description) (outcome_source "summary").
//   Any other response leaves the report open with workflow_state
//   "responded" (shown, to be recorded with `entente dns respond`);
// - declined (the workflow's decline, without a response) -> declined, with
//   the reason "declined in the communications workflow";
// - closed without a recognised answer -> closed.
// A confirmed mitigation of an observatory report ends its listing episode
// (Observatory::RecordResponse: mitigation 'confirmed', time to mitigation in
// days from the first listing to the day of the answer); a report filed by
// hand measures from its first-seen day. The module depends on comms and
// the directory; comms knows nothing of it. Sync runs from the node's job
// worker (`entente serve`), before report lists and reads over the API, and
// from `entente dns sync`.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "comms/comms.h"
#include "core/clock.h"
#include "core/error.h"
#include "directory/directory.h"
#include "dnsabuse/routing.h"
#include "store/store.h"

namespace entente::dnsabuse {

struct ReportRecord {
  std::string id;
  std::string domain;
  std::optional<std::string> first_day;  // listing episode (observatory reports)
  std::string tld;
  std::int64_t registrar = 0;  // IANA id, 0 unknown
  std::string source;          // observatory | manual
  std::vector<std::string> categories;
  nlohmann::json evidence;  // {urls, feed_entries, first_seen, screenshot_sha256}
  std::string filer_org;
  std::optional<std::string> filed_by;
  Millis filed_at = 0;
  std::optional<std::string> message_id, recipient_org, routed_to;
  std::optional<Millis> sent_at, ack_due, response_due, acknowledged_at, answered_at;
  std::optional<std::string> workflow_state;
  std::string status;  // filed | sent | acknowledged | mitigated | declined | closed
  std::optional<std::string> action, reason, responded_day;
  std::optional<std::int64_t> ttm_days;
  // What the registrar says it did, and where the outcome was read
  // (field | summary | workflow | manual).
  std::optional<std::string> action_taken, outcome_source;

  nlohmann::json ToJson() const;
};

// Who reads: users of `org_id`; operators (`all`) read every report.
struct ReportViewer {
  std::string user_id;
  std::string org_id;
  bool all = false;
};

struct ReportQuery {
  std::string box;     // "received" (addressed to the viewer's org), "filed", "" both
  std::string status;  // "" any
  std::string domain;  // "" any
  std::string after;   // cursor: id of the last item seen
  int limit = 50;
};

struct ReportPage {
  std::vector<ReportRecord> items;
  std::string next;
};

struct RouteOptions {
  bool escalate = false;     // to the registry
  std::string registry_org;  // the registry's organisation (escalation, unknown registrar)
  std::string urgency = "priority";
  // IANA id -> organisation, over the directory's (the CLI's --registrar-org).
  std::map<std::int64_t, std::string> registrar_orgs;
};

// What Sync did.
struct SyncResult {
  int checked = 0;
  int updated = 0;
  std::vector<std::string> errors;  // per report, "id: message"
};

// The outcome of an answer (see the header comment); nullopt when it states
// none.
struct Outcome {
  Response response = Response::kSuspended;
  std::string reason;
  std::string action_taken;
  std::string source = "summary";  // field | summary | workflow
};
// From the summary line of an answer (a response of template version 1).
std::optional<Outcome> ParseOutcome(std::string_view summary, std::string_view description);
// From a response's fields: the outcome field of template version 2
// (with action_taken and reason) when present, else the summary line.
std::optional<Outcome> ReadOutcome(const nlohmann::json& fields);

class ReportDesk {
 public:
  ReportDesk(store::Database& db, comms::Communications& comms, directory::Directory& directory,
             const Clock& clock)
      : db_(db), comms_(comms), directory_(directory), clock_(clock) {}

  // Registrar organisations of the directory by IANA id.
  Result<Routing> DirectoryRouting();

  // A report on the open listing episode of `domain` (observatory).
  Result<ReportRecord> FileFromObservatory(const directory::Actor& actor, std::string_view domain,
                                           const std::string& screenshot_sha256);
  // A report filed by hand: {domain, categories[], registrar_iana_id?,
  // evidence: {urls[], feed_entries[], first_seen (YYYY-MM-DD),
  // screenshot_sha256?}}; strict (unknown members refused).
  Result<ReportRecord> FileByHand(const directory::Actor& actor, const nlohmann::json& input);
  // Sends the report as a request_for_assistance to the registrar (or the
  // registry) and records the message and its deadlines.
  Result<ReportRecord> Route(const directory::Actor& actor, const std::string& id,
                             const RouteOptions& options);

  // Reads the communications workflow of open routed reports.
  Result<SyncResult> Sync(int limit = 500);

  Result<ReportPage> List(const ReportViewer& viewer, const ReportQuery& q);
  // kNotFound for reports the viewer may not read (as for missing ones).
  Result<ReportRecord> Get(const ReportViewer& viewer, const std::string& id);
  // The report's message timeline (empty before it is routed).
  Result<std::vector<comms::TimelineEvent>> Timeline(const ReportViewer& viewer,
                                                     const ReportRecord& r);

 private:
  Result<ReportRecord> Load(const std::string& id);
  Status SyncOne(const ReportRecord& r);

  store::Database& db_;
  comms::Communications& comms_;
  directory::Directory& directory_;
  const Clock& clock_;
};

}  // namespace entente::dnsabuse
