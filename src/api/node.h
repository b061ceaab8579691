// One Entente node process: opens the database (migrating it), loads the
// master key and node identity, wires the journal, directory and auth, and
// dispatches HTTP requests through the router with authentication,
// authorization (deny by default), CSRF checks, limits, metrics and RFC 9457
// problem responses.
//
// Several Node processes may share one PostgreSQL database; a Node keeps no
// state that correctness depends on besides what is in the database.
// Dispatch() is thread-safe.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/metrics.h"
#include "api/router.h"
#include "auth/auth.h"
#include "comms/comms.h"
#include "core/clock.h"
#include "directory/directory.h"
#include "federation/federation.h"
#include "identity/identity.h"
#include "intel/community.h"
#include "intel/repository.h"
#include "jobs/jobs.h"
#include "journal/journal.h"
#include "store/store.h"
#include "transparency/issuer.h"
#include "transparency/log.h"

namespace entente::match {
class FeedService;
struct SourceSnapshot;
}  // namespace entente::match

namespace entente::api {

using Json = nlohmann::json;

struct NodeOptions {
  std::string db_url;                     // sqlite path or postgresql:// URL
  std::filesystem::path master_key_file;  // used unless ENTENTE_MASTER_KEY is set
  const Clock* clock = nullptr;           // default: system clock
  bool secure_cookies = true;
  // Most values in one POST /api/v1/match (serve --match-batch-limit).
  size_t match_batch_limit = 10000;
};

struct InitOptions {
  std::string base_url = "http://127.0.0.1:8080";
  Json founding_org;  // directory org input for the operator's organisation
  std::string operator_username = "operator";
  std::string operator_password;  // >= 12 characters
  bool create_master_key_file = true;
};

class Node {
 public:
  // Creates a new node: master key file (unless ENTENTE_MASTER_KEY is set),
  // schema, node key, founding organisation and operator user.
  static Status Init(const NodeOptions& opts, const InitOptions& init);
  // Opens an initialised node. Refuses a database newer than this binary.
  static Result<std::unique_ptr<Node>> Open(const NodeOptions& opts);
  ~Node();

  http::Response Dispatch(http::Request& req);

  store::Database& db() { return *db_; }
  journal::Journal& journal() { return *journal_; }
  directory::Directory& directory() { return *directory_; }
  auth::Auth& auth() { return *auth_; }
  transparency::Log& log() { return *log_; }
  jobs::JobQueue& jobs() { return *jobs_; }
  identity::OrgKeyStore& keys() { return *keys_; }
  comms::Communications& comms() { return *comms_; }
  federation::Federation& federation() { return *federation_; }
  // STIX objects (reads on behalf of a user must set ObjectFilter::reader,
  // see intel/access.h) and the communities of trust.
  intel::IntelRepository& intel() { return *intel_; }
  intel::Communities& communities() { return *communities_; }
  // Starts pulling from every active peer (one thread each) and signing tree
  // heads for the gossip; StartJobWorker starts it too (so `entente serve`
  // replicates). Calling it again does nothing.
  void StartFederation();
  // Runs due background jobs (deliveries, reminders, escalations) every
  // `interval` in a thread that stops with the node. `entente serve`
  // starts it; several processes may run it on one PostgreSQL database.
  void StartJobWorker(Millis interval);
  // Where email and webhook notices go (owned by the caller; may be null).
  void SetNotifier(comms::Notifier* notifier) { comms_->SetNotifier(notifier); }
  // Starts issuing signed tree heads every `interval` (by the node's clock)
  // when the log grew, in a background thread that stops with the node.
  // `entente serve --sth-interval`. Calling it again does nothing.
  void StartTreeHeadIssuer(Millis interval);
  transparency::TreeHeadIssuer* tree_head_issuer() { return issuer_.get(); }
  const identity::NodeInfo& info() const { return info_; }
  const Router& router() const { return router_; }
  Metrics& metrics() { return metrics_; }
  const Clock& clock() const { return *clock_; }
  // The organisation whose user is the first operator.
  Result<std::string> FoundingOrg();

 private:
  Node();
  void RegisterRoutes();
  void RegisterConsoleRoutes();
  void RegisterLogRoutes();
  void RegisterDirectoryRoutes();
  void RegisterAuthRoutes();
  void RegisterNodeRoutes();
  void RegisterCommsRoutes();
  void RegisterFederationRoutes();
  void RegisterIntelRoutes();
  void RegisterSightingRoutes();
  void RegisterMatchRoutes();
  Result<Json> ReportHits(const match::SourceSnapshot& snap,
                          const std::map<std::string, std::uint64_t>& counts);
  void RegisterTaxiiRoutes();
  void RegisterDnsRoutes();
  Result<http::Response> Run(const Route& route, Context& ctx);

  NodeOptions opts_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<identity::MasterKey> master_;
  identity::NodeInfo info_;
  std::unique_ptr<identity::OrgKeyStore> keys_;
  std::unique_ptr<journal::ApplierRegistry> registry_;
  std::unique_ptr<journal::Journal> journal_;
  std::unique_ptr<directory::Directory> directory_;
  std::unique_ptr<auth::Auth> auth_;
  std::unique_ptr<transparency::Log> log_;
  std::unique_ptr<transparency::TreeHeadIssuer> issuer_;  // destroyed before log_
  std::unique_ptr<jobs::JobQueue> jobs_;
  std::unique_ptr<comms::Communications> comms_;
  std::unique_ptr<intel::Communities> communities_;
  std::unique_ptr<intel::IntelRepository> intel_;
  std::unique_ptr<match::FeedService> feeds_;  // matching index and feeds per organisation
  class FederationWiring;  // the directory as federation::Audience, journal + comms as Ingress
  std::unique_ptr<FederationWiring> federation_wiring_;
  std::unique_ptr<federation::Federation> federation_;  // stopped before what it uses
  std::atomic<int> event_streams_{0};                   // open GET /api/v1/events streams
  class JobWorker;
  std::unique_ptr<JobWorker> worker_;  // destroyed first (declared last)
  std::shared_ptr<journal::KeyResolver> resolver_keepalive_;
  Router router_;
  Metrics metrics_;
};

// RFC 9457 problem+json response for an error.
http::Response Problem(const Error& e, const std::string& instance);
http::Response JsonResponse(int status, const Json& body);
// The same error as a TAXII 2.1 error message (routes_taxii.cc): every
// response under /taxii2/ follows TAXII, not RFC 9457.
http::Response TaxiiErrorFromProblem(const http::Response& problem);
int HttpStatus(const Error& e);

// The OpenAPI 3.1 document served at /api/v1/openapi.json.
const std::string& OpenApiDocument();

}  // namespace entente::api
