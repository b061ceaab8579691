#include "api/node.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/crypto.h"
#include "dnsabuse/reports.h"
#include "jcs/jcs.h"
#include "match/feeds.h"
#include "taxii/query.h"
#include "taxii/store.h"

namespace entente::api {

int HttpStatus(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return e.field == "body" || e.field.empty() ? 400 : 422;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict:
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kResourceExhausted:
      return e.field == "body" ? 413 : 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kDataLoss:
      return e.field == "sig" ? 422 : 500;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

http::Response Problem(const Error& e, const std::string& instance) {
  int status = HttpStatus(e);
  Json j = {
      {"type", "urn:entente:problem:" + std::string(ErrorCodeName(e.code))},
      {"title", http::StatusTitle(status)},
      {"status", status},
      {"detail", status >= 500 && e.code == ErrorCode::kInternal ? "internal error" : e.message},
      {"instance", instance}};
  if (!e.field.empty()) j["field"] = e.field;
  http::Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

http::Response JsonResponse(int status, const Json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

Status Node::Init(const NodeOptions& opts, const InitOptions& init) {
  ENTENTE_CHECK(crypto::Init());
  std::unique_ptr<identity::MasterKey> mk;
  const char* env = std::getenv("ENTENTE_MASTER_KEY");
  if (env && *env) {
    mk = std::make_unique<identity::MasterKey>(ENTENTE_TRY(identity::MasterKey::FromHex(env)));
  } else if (std::filesystem::exists(opts.master_key_file)) {
    mk = std::make_unique<identity::MasterKey>(
        ENTENTE_TRY(identity::MasterKey::Load(opts.master_key_file)));
  } else {
    mk = std::make_unique<identity::MasterKey>(
        ENTENTE_TRY(identity::MasterKey::CreateFile(opts.master_key_file)));
  }
  auto db = ENTENTE_TRY(store::Open(opts.db_url));
  ENTENTE_CHECK(store::Migrate(*db, store::BuiltinMigrations(db->backend())));
  const Clock& clock = opts.clock ? *opts.clock : SystemClock::Instance();
  ENTENTE_TRY(identity::NodeIdentity::Create(*db, *mk, init.base_url, clock));
  db.reset();
  auto node = ENTENTE_TRY(Open(opts));
  auto org = ENTENTE_TRY(node->directory().CreateFoundingOrg(init.founding_org));
  ENTENTE_TRY(node->auth().CreateUser(org.id, init.operator_username, "Node operator",
                                      init.operator_password, auth::Role::kAdmin, true));
  return Ok();
}

// Runs the node's due jobs every interval until stopped. Waits on a
// condition variable so that stopping is immediate.
class Node::JobWorker {
 public:
  JobWorker(Node& node, Millis interval) : node_(node), interval_(interval) {
    owner_ = node.info_.id.substr(0, 16) + "/" + crypto::RandomToken(8);
    thread_ = std::thread([this] { Loop(); });
  }
  ~JobWorker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      auto ran = node_.comms().RunJobs(owner_, 100);
      if (!ran) spdlog::error("background jobs: {}", ran.error().ToString());
      // DNS abuse reports follow their messages' workflow (registrars' answers).
      dnsabuse::ReportDesk desk(node_.db(), node_.comms(), node_.directory(), node_.clock());
      if (auto s = desk.Sync(); !s)
        spdlog::error("dns report sync: {}", s.error().ToString());
      else
        for (const auto& e : s->errors) spdlog::warn("dns report sync: {}", e);
      lock.lock();
      if (ran && *ran > 0) continue;  // more may be due
      cv_.wait_for(lock, std::chrono::milliseconds(interval_), [this] { return stop_; });
    }
  }
  Node& node_;
  Millis interval_;
  std::string owner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// What federation needs from the node without depending on domain modules:
// where organisations live (the directory's tables) and how a received
// envelope is recorded (the journal with its registered appliers; comms
// envelopes through Communications::Receive, which also schedules deliveries).
class Node::FederationWiring final : public federation::Audience, public federation::Ingress {
 public:
  explicit FederationWiring(Node& n) : n_(n) {}

  Result<std::string> HomeNode(const std::string& org) override {
    {
      std::lock_guard lock(mu_);
      auto it = homes_.find(org);
      if (it != homes_.end()) return it->second;
    }
    auto rows = ENTENTE_TRY(n_.db_->Query("SELECT home_node FROM orgs WHERE id = ?", {org}));
    if (rows.empty()) return std::string();
    std::lock_guard lock(mu_);
    if (homes_.size() > 100000) homes_.clear();
    homes_[org] = rows[0].Text(0);  // an organisation's home node never changes
    return rows[0].Text(0);
  }

  Result<std::set<std::string>> CommunityNodes(const std::string& community) override {
    auto rows = ENTENTE_TRY(n_.db_->Query(
        "SELECT DISTINCT o.home_node FROM orgs o JOIN org_groupings g ON g.org_id = o.id "
        "WHERE g.grouping = ? UNION SELECT DISTINCT o.home_node FROM orgs o "
        "JOIN community_members m ON m.org_id = o.id WHERE m.community_id = ? "
        "AND m.status IN ('active', 'invited')",
        {community, community}));
    std::set<std::string> out;
    for (const auto& r : rows) out.insert(r.Text(0));
    return out;
  }

  // A directory.org envelope claims the home node of the organisation it
  // creates or updates (body.org.home_node).
  Result<HomeClaim> ClaimedHome(const journal::Envelope& env) override {
    HomeClaim c;
    if (env.type != "directory.org" || !env.body || !env.body->is_object()) return c;
    const Json& b = *env.body;
    auto org = b.find("org");
    if (org == b.end() || !org->is_object()) return c;
    auto id = org->find("id");
    auto home = org->find("home_node");
    if (id == org->end() || !id->is_string() || home == org->end() || !home->is_string()) return c;
    c.org = id->get<std::string>();
    c.node = home->get<std::string>();
    auto action = b.find("action");
    c.creation = action != b.end() && action->is_string() && *action == "create";
    return c;
  }

  // Sealed messages, and their events (which say who did what to which
  // message, no content), may be carried by a node that may not hold them.
  bool Relayable(const journal::Envelope& env) override {
    return (env.type == "comms.message" && env.sealed) || env.type == "comms.event";
  }

  Status Record(store::Tx& tx, const journal::Envelope& env,
                const journal::CanonicalForms* forms) override {
    if (env.type.rfind("comms.", 0) == 0) return n_.comms_->Receive(tx, env);
    std::string subject = env.id;
    if (env.body && env.body->is_object()) {
      const Json& b = *env.body;
      if (env.type == "directory.org" && b.contains("org") && b["org"].is_object() &&
          b["org"].contains("id") && b["org"]["id"].is_string())
        subject = b["org"]["id"].get<std::string>();
      else if (env.type == "directory.poc" && b.contains("poc") && b["poc"].is_object() &&
               b["poc"].contains("id") && b["poc"]["id"].is_string())
        subject = b["poc"]["id"].get<std::string>();
      else if (env.type == "directory.poc.erase" && b.contains("poc") && b["poc"].is_string())
        subject = b["poc"].get<std::string>();
      else if (env.type.rfind("community.", 0) == 0 && b.contains("community") &&
               b["community"].is_string())
        subject = b["community"].get<std::string>();
    }
    ENTENTE_TRY(n_.journal_->Record(tx, env, subject, forms));
    return Ok();
  }

 private:
  Node& n_;
  std::mutex mu_;
  std::map<std::string, std::string> homes_;
};

Node::Node() = default;

Result<std::unique_ptr<Node>> Node::Open(const NodeOptions& opts) {
  ENTENTE_CHECK(crypto::Init());
  std::unique_ptr<Node> n(new Node());
  n->opts_ = opts;
  n->clock_ = opts.clock ? opts.clock : &SystemClock::Instance();
  n->db_ = ENTENTE_TRY(store::Open(opts.db_url));
  ENTENTE_CHECK(store::Migrate(*n->db_, store::BuiltinMigrations(n->db_->backend())));
  n->master_ = std::make_unique<identity::MasterKey>(
      ENTENTE_TRY(identity::MasterKey::Load(opts.master_key_file)));
  n->info_ = ENTENTE_TRY(identity::NodeIdentity::Load(*n->db_));
  // The master key must open the node key: a wrong key is caught at start.
  ENTENTE_TRY(identity::NodeIdentity::LoadSecret(*n->db_, *n->master_));
  n->keys_ = std::make_unique<identity::OrgKeyStore>(*n->db_, *n->master_, *n->clock_);
  n->registry_ = std::make_unique<journal::ApplierRegistry>();
  // Directory is the KeyResolver; build it before the journal uses it.
  struct Resolver : journal::KeyResolver {
    directory::Directory* d = nullptr;
    Result<std::vector<std::uint8_t>> SigningKey(store::Tx& tx,
                                                 const journal::Envelope& e) override {
      return d->SigningKey(tx, e);
    }
  };
  auto resolver = std::make_shared<Resolver>();
  n->journal_ = std::make_unique<journal::Journal>(*n->db_, *n->registry_, *resolver);
  n->directory_ = std::make_unique<directory::Directory>(*n->db_, *n->journal_, *n->keys_,
                                                         *n->master_, n->info_.id, *n->clock_);
  resolver->d = n->directory_.get();
  n->resolver_keepalive_ = resolver;
  ENTENTE_CHECK(n->directory_->RegisterAppliers(*n->registry_));
  n->jobs_ = std::make_unique<jobs::JobQueue>(*n->db_, *n->clock_);
  n->comms_ = std::make_unique<comms::Communications>(*n->db_, *n->journal_, *n->keys_, *n->master_,
                                                      *n->directory_, *n->jobs_, *n->clock_,
                                                      n->info_.id, n->info_.base_url);
  ENTENTE_CHECK(n->comms_->RegisterAppliers(*n->registry_));
  n->communities_ = std::make_unique<intel::Communities>(*n->db_, *n->journal_, *n->keys_,
                                                         n->info_.id, *n->clock_);
  ENTENTE_CHECK(n->communities_->RegisterAppliers(*n->registry_));
  // TAXII Delete an Object is a signed envelope (taxii/store.h); the applier
  // holds no state, so one serves every node of the process.
  static taxii::DeleteApplier taxii_delete_applier;
  ENTENTE_CHECK(
      n->registry_->Register(std::string(taxii::kDeleteEnvelopeType), &taxii_delete_applier));
  n->intel_ = std::make_unique<intel::IntelRepository>(*n->db_, *n->clock_);
  n->feeds_ = std::make_unique<match::FeedService>(*n->db_, *n->clock_);
  n->auth_ = std::make_unique<auth::Auth>(*n->db_, *n->master_, *n->clock_);
  n->log_ = std::make_unique<transparency::Log>(*n->db_, *n->master_, n->info_, *n->clock_);
  n->federation_wiring_ = std::make_unique<FederationWiring>(*n);
  n->federation_ = std::make_unique<federation::Federation>(
      *n->db_, *n->journal_, *n->log_, n->info_,
      ENTENTE_TRY(identity::NodeIdentity::LoadSecret(*n->db_, *n->master_)), *n->federation_wiring_,
      *n->federation_wiring_, *n->clock_);
  {
    // The name peers see in introductions: this node's first organisation.
    auto named = n->db_->Query(
        "SELECT names FROM orgs WHERE home_node = ? ORDER BY created, id LIMIT 1", {n->info_.id});
    if (named && !named->empty()) {
      auto names = jcs::ParseUntrusted((*named)[0].Text(0));
      if (names && names->is_object() && !names->empty()) {
        auto en = names->find("en");
        const Json& v = en != names->end() ? *en : names->begin().value();
        if (v.is_string()) n->federation_->SetName(v.get<std::string>());
      }
    }
  }
  n->RegisterRoutes();
  n->RegisterIntelRoutes();
  n->RegisterSightingRoutes();
  n->RegisterMatchRoutes();
  n->RegisterTaxiiRoutes();
  n->RegisterDnsRoutes();
  store::Database* db = n->db_.get();
  n->metrics_.AddGauge("entente_db_pool_connections", "Database connections open.",
                       [db] { return static_cast<double>(db->pool_stats().size); });
  n->metrics_.AddGauge("entente_db_pool_in_use", "Database connections in use.",
                       [db] { return static_cast<double>(db->pool_stats().in_use); });
  return n;
}

Node::~Node() {
  if (federation_) federation_->Stop();
  worker_.reset();
}

void Node::StartJobWorker(Millis interval) {
  if (!worker_) worker_ = std::make_unique<JobWorker>(*this, interval);
  StartFederation();
}

void Node::StartFederation() { federation_->Start(); }

void Node::StartTreeHeadIssuer(Millis interval) {
  if (issuer_) return;
  issuer_ = std::make_unique<transparency::TreeHeadIssuer>(
      *log_, *clock_, interval,
      [](const Error& e) { spdlog::error("signed tree head: {}", e.ToString()); });
  issuer_->Start();
}

Result<std::string> Node::FoundingOrg() {
  auto rows = ENTENTE_TRY(
      db_->Query("SELECT org_id FROM users WHERE is_operator = 1 ORDER BY created LIMIT 1"));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no operator");
  return rows[0].Text(0);
}

namespace {

void SecurityHeaders(http::Response& r) {
  r.headers.emplace(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
      "form-action 'self'");
  r.headers.emplace("X-Content-Type-Options", "nosniff");
  r.headers.emplace("Referrer-Policy", "no-referrer");
  r.headers.emplace("X-Frame-Options", "DENY");
  if (r.headers.find("Cache-Control") == r.headers.end())
    r.headers.emplace("Cache-Control", "no-store");
}

bool StateChanging(const std::string& m) {
  return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

}  // namespace

Result<http::Response> Node::Run(const Route& route, Context& ctx) {
  http::Request& req = ctx.req;
  // Authenticate: bearer token or session cookie.
  std::string authz = req.Header("Authorization");
  if (authz.rfind("Bearer ", 0) == 0) {
    auto p = auth_->ResolveToken(authz.substr(7));
    if (!p) return std::unexpected(p.error());
    ctx.principal = *p;
  } else if (authz.rfind("Basic ", 0) == 0 && req.path.rfind("/taxii2", 0) == 0) {
    // TAXII clients speak HTTP Basic (TAXII 2.1, 1.6.9): the password is an API token.
    auto creds = taxii::ParseBasicAuthorization(authz);
    if (!creds) return Fail(ErrorCode::kUnauthenticated, "malformed Basic credentials");
    auto p = auth_->ResolveToken(creds->password);
    if (!p) return std::unexpected(p.error());
    ctx.principal = *p;
  } else if (std::string sid = req.Cookie("entente_session"); !sid.empty()) {
    auto p = auth_->ResolveSession(sid);
    if (p) {
      ctx.principal = *p;
    } else if (route.permission != auth::Permission::kPublic) {
      return std::unexpected(p.error());
    }
    // CSRF: every state-changing request made with a session cookie.
    if (ctx.principal && StateChanging(req.method)) {
      std::string csrf = req.Header("X-CSRF-Token");
      if (!crypto::ConstantTimeEqual(crypto::AsBytes(csrf), crypto::AsBytes(ctx.principal->csrf)))
        return Fail(ErrorCode::kPermissionDenied, "missing or wrong X-CSRF-Token header");
    }
  }
  if (route.permission != auth::Permission::kPublic && !ctx.principal)
    return Fail(ErrorCode::kUnauthenticated, "sign in or send an API token");
  // An organisation that requires a second factor: until the user enrols,
  // only sign-out, the profile and enrolment itself are open.
  if (ctx.principal && ctx.principal->must_enrol_totp &&
      route.permission != auth::Permission::kPublic && route.pattern != "/api/v1/auth/me" &&
      route.pattern != "/api/v1/auth/logout" && route.pattern.rfind("/api/v1/auth/totp/", 0) != 0)
    return Fail(ErrorCode::kPermissionDenied,
                "your organisation requires a second factor: enrol one first (POST "
                "/api/v1/auth/totp/setup)");
  std::optional<std::string> target;
  if (route.target) target = ENTENTE_TRY(route.target(req));
  if (!auth::Decide(ctx.principal, route.permission, target))
    return Fail(ErrorCode::kPermissionDenied,
                "your role does not allow " + std::string(auth::PermissionName(route.permission)) +
                    (target ? " on organisation " + *target : std::string()));
  return route.handler(ctx);
}

http::Response Node::Dispatch(http::Request& req) {
  auto start = std::chrono::steady_clock::now();
  bool path_matched = false;
  const Route* route = router_.Match(req, &path_matched);
  http::Response res;
  std::string route_name = route ? route->pattern : "unmatched";
  if (!route) {
    if (path_matched) {
      res = Problem(Error(ErrorCode::kNotFound, "method " + req.method + " is not allowed here"),
                    req.path);
      res.status = 405;
      Json j = Json::parse(res.body);
      j["status"] = 405;
      j["title"] = "Method Not Allowed";
      res.body = j.dump();
    } else {
      res = Problem(Error(ErrorCode::kNotFound, "no such resource"), req.path);
    }
  } else {
    Context ctx{req, std::nullopt};
    Result<http::Response> r;
    try {
      r = Run(*route, ctx);
    } catch (const std::exception& e) {
      spdlog::error("handler {} {} threw: {}", req.method, route->pattern, e.what());
      r = Fail(ErrorCode::kInternal, "internal error");
    }
    if (r) {
      res = std::move(*r);
    } else {
      if (HttpStatus(r.error()) >= 500)
        spdlog::error("{} {}: {}", req.method, route->pattern, r.error().ToString());
      res = Problem(r.error(), req.path);
    }
  }
  if (req.path.rfind("/taxii2", 0) == 0 && res.content_type == "application/problem+json")
    res = TaxiiErrorFromProblem(res);
  SecurityHeaders(res);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Observe(req.method, route_name, res.status, secs);
  return res;
}

}  // namespace entente::api
