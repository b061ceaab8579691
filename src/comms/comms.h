// Structured, confidential communications between organisations: messages
// written from a versioned template (templates.h), sealed for the recipient
// organisations and signed by the sender's, with a per-recipient workflow
// (sent -> delivered -> acknowledged -> responded -> closed, plus declined and
// escalated) whose every transition is itself a signed envelope. Deadlines
// for acknowledgement and response come from the urgency and the node's
// policy (per grouping where set); reminders, escalations and deliveries run
// as leased jobs (jobs.h) so that several processes never send twice.
// Communication checks ("ping tests") are messages of kind
// communication_check to many organisations, with a report over their
// acknowledgements.
//
// Envelope types:
//   comms.message  sealed = {header, recipients[{org, key}], nonce, ciphertext}
//                  header = {kind, version, thread, in_reply_to?, check?,
//                            urgency, to_pocs[], sender_user?,
//                            recipients[{org, ack_due, response_due?}]}
//                  plaintext = canonical {language, fields}; the header, the
//                  envelope id and a domain string are the AEAD's associated data.
//   comms.event    body = {message, org, action, stage?, actor{org, user?}}
//
// The header is readable by the node (it drives deadlines and lists); the
// fields and free text are not: they are stored only as ciphertext and opened
// on request for a user of the sender or of a recipient organisation.
//
// Thread-safe: all state is in the database.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "comms/templates.h"
#include "core/clock.h"
#include "core/error.h"
#include "directory/directory.h"
#include "identity/identity.h"
#include "jobs/jobs.h"
#include "journal/journal.h"
#include "store/store.h"

namespace entente::comms {

using directory::Actor;

// Outbound notices. The node wires SMTP and webhooks behind this; notices
// never carry the content of a message.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual Status Email(const std::vector<std::string>& to, const std::string& subject,
                       const std::string& body) = 0;
  virtual Status Webhook(const std::string& url, const std::string& secret, const Json& body) = 0;
};

struct Deadlines {
  Millis ack_ms = 0;
  Millis response_ms = 0;
};
// Defaults by urgency: urgent 2 h / 24 h, priority 24 h / 72 h, routine 72 h / 10 days.
const std::map<std::string, Deadlines>& DefaultDeadlines();

struct RecipientStatus {
  std::string org_id;
  std::string state;
  bool escalated = false;
  Millis ack_due = 0;
  std::optional<Millis> response_due;
  std::optional<Millis> delivered, acknowledged, responded, closed, declined;
  Json ToJson() const;
};

struct MessageSummary {
  std::string id;
  std::string thread_id;
  std::optional<std::string> in_reply_to;
  std::string kind;
  int version = 0;
  std::string author_org;
  std::optional<std::string> sender_user;
  std::string urgency;
  std::string tlp;
  std::optional<std::string> pap;
  bool check = false;
  bool needs_response = false;
  Millis created = 0;
  std::vector<RecipientStatus> recipients;
  Json ToJson() const;
};

struct OpenedMessage {
  MessageSummary meta;
  std::string language;  // of the free text
  Json fields;
  std::vector<std::string> to_pocs;
  Json ToJson() const;
};

struct TimelineEvent {
  std::string id;  // envelope id
  std::string message_id;
  std::string org_id;  // the recipient concerned; "" for the whole message
  std::string actor_org;
  std::optional<std::string> actor_user;
  std::string action;
  std::string stage;  // "ack" or "response" for reminders and escalations
  Millis at = 0;
  Json ToJson() const;
};

enum class Box { kInbox, kSent };

struct ListQuery {
  Box box = Box::kInbox;
  std::string state;   // a recipient state, "" for any
  std::string kind;    // "" for any
  bool check = false;  // only communication checks
  std::string before;  // cursor: id of the last item seen
  int limit = 50;
};

struct MessagePage {
  std::vector<MessageSummary> items;
  std::string next;
};

struct OverdueItem {
  std::string message_id;
  std::string kind;
  std::string urgency;
  std::string author_org;
  std::string org_id;  // recipient late
  std::string stage;   // ack | response
  Millis due = 0;
  Json ToJson() const;
};

struct CheckTarget {
  std::vector<std::string> orgs;
  std::string grouping;  // all organisations of a grouping (besides `orgs`)
  Millis window_ms = 0;
  std::string summary;  // shown to recipients; defaults to a standard text
  std::string language = "en";
};

struct CheckRow {
  std::string org_id;
  std::string org_name;
  std::optional<std::string> country;
  std::vector<std::string> groupings;
  bool acknowledged = false;
  bool in_time = false;
  std::optional<Millis> ack_after;  // ms from the start
};

struct Stats {
  int targets = 0;
  int acknowledged = 0;
  int in_time = 0;
  double response_rate = 0;  // in time / targets
  std::optional<Millis> median_ms, p95_ms;
  Json ToJson() const;
};

struct CheckReport {
  std::string id;
  std::string author_org;
  Millis started = 0;
  Millis deadline = 0;
  Stats overall;
  std::map<std::string, Stats> by_country, by_grouping;
  std::vector<CheckRow> rows;
  Json ToJson() const;
  std::string ToCsv() const;
};

// Strict reading of a comms.message envelope's `sealed` member (header,
// wrapped keys, nonce, ciphertext) and of a comms.event body, exactly as the
// appliers read envelopes from peers; the header's recipients on success.
// Exposed for tests and fuzzing.
Result<std::vector<std::string>> ReadSealedMessage(const Json& sealed);
Status ReadEventBody(const Json& body);

class Communications {
 public:
  Communications(store::Database& db, journal::Journal& journal, identity::OrgKeyStore& keys,
                 const identity::MasterKey& master, directory::Directory& directory,
                 jobs::JobQueue& jobs, const Clock& clock, std::string node_id,
                 std::string base_url);
  ~Communications();

  Status RegisterAppliers(journal::ApplierRegistry& registry);
  // Where notices go (may be null: no email or webhooks, deliveries still run).
  void SetNotifier(Notifier* notifier) { notifier_ = notifier; }

  // Writes, seals, signs and records a message from `input` (the API's
  // schema: kind, version?, recipients, to_pocs?, tlp, pap?, language,
  // fields, in_reply_to?). Refused before anything is stored when a
  // recipient is unknown or has no encryption key.
  Result<MessageSummary> Send(const Actor& actor, const Json& input);
  // Metadata, for the sender's and the recipients' users.
  Result<MessageSummary> Get(const Actor& actor, const std::string& id);
  // Decrypts the body for a user of the sender or a recipient organisation.
  Result<OpenedMessage> Open(const Actor& actor, const std::string& id);
  Result<MessagePage> List(const Actor& actor, const ListQuery& q);
  Result<std::vector<TimelineEvent>> Timeline(const Actor& actor, const std::string& id);

  // Transitions by a recipient organisation (the actor's).
  Status Acknowledge(const Actor& actor, const std::string& id);
  Status Decline(const Actor& actor, const std::string& id);
  // A response message (kind response) to `id`; marks it responded.
  Result<MessageSummary> Respond(const Actor& actor, const std::string& id, const Json& input);
  // By the sender (for one recipient or, when `org` is empty, all) or a
  // recipient (for itself).
  Status Close(const Actor& actor, const std::string& id, const std::string& org);

  // Late acknowledgements and responses visible to `actor`'s organisation
  // (sent or received); every organisation's for operators (`all`).
  Result<std::vector<OverdueItem>> Overdue(const Actor& actor, bool all);

  // Communication checks.
  Result<MessageSummary> StartCheck(const Actor& actor, const CheckTarget& target);
  Result<CheckReport> Report(const Actor& actor, const std::string& id);
  // Checks sent by `actor`'s organisation, newest first, with their results.
  Result<std::vector<CheckReport>> CheckHistory(const Actor& actor, int limit);

  // Deadline policy: node defaults and per-grouping overrides.
  Result<Json> Policy();
  Status SetPolicy(const std::string& grouping, const std::string& urgency, Millis ack_ms,
                   Millis response_ms);
  Result<Deadlines> DeadlinesFor(const std::string& org_id, const std::string& urgency);

  // Webhooks of an organisation: Set returns the new signing secret (once).
  Result<std::string> SetWebhook(const std::string& org_id, const std::string& url);
  Status RemoveWebhook(const std::string& org_id);
  Result<std::optional<std::string>> WebhookUrl(const std::string& org_id);

  // Runs due deliveries, reminders and escalations; returns how many ran.
  Result<int> RunJobs(const std::string& owner, int limit = 100);

  // An envelope from elsewhere (federation ingress): verified, validated,
  // recorded and its follow-up jobs enqueued. Forged, altered or replayed
  // envelopes are refused with a clear error and change nothing.
  Status Receive(const Json& envelope);
  // The same inside the caller's transaction (federation ingests pages of
  // envelopes in one transaction).
  Status Receive(store::Tx& tx, const journal::Envelope& env);

  const TemplateSet& templates() const { return templates_; }
  // The strict reader of comms.event bodies (ReadEventBody).
  static Status EventBodyReader(const journal::Envelope& env);

 private:
  class MessageApplier;
  class EventApplier;
  // Send without the restriction on checks (StartCheck uses it).
  Result<MessageSummary> Compose(const Actor& actor, const Json& input);
  Result<journal::Envelope> Sign(const Actor& actor, journal::Envelope env);
  Status RecordEvent(const Actor& actor, const std::string& message_id, const std::string& org,
                     const std::string& action, const std::string& stage);
  Status EnqueueFollowUps(store::Tx& tx, const journal::Envelope& env);
  Result<MessageSummary> Load(const std::string& id);
  Status CheckParty(const Actor& actor, const MessageSummary& m);
  Status Deliver(const jobs::Job& job);
  Status Remind(const jobs::Job& job);
  Status Escalate(const jobs::Job& job);
  Status Notify(const MessageSummary& m, const std::string& org, const std::string& notice,
                bool all_contacts);

  store::Database& db_;
  journal::Journal& journal_;
  identity::OrgKeyStore& keys_;
  const identity::MasterKey& master_;
  directory::Directory& directory_;
  jobs::JobQueue& jobs_;
  const Clock& clock_;
  std::string node_id_;
  std::string base_url_;
  const TemplateSet& templates_;
  Notifier* notifier_ = nullptr;
  std::unique_ptr<MessageApplier> message_applier_;
  std::unique_ptr<EventApplier> event_applier_;
};

}  // namespace entente::comms
