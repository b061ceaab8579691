// entente: the command-line interface of an Entente node.
//
// Local administration (init, org, poc, user, token, admin, msg, check, demo) works on
// the node's database directly, acting as the node's founding organisation;
// `serve` runs the HTTP API. Exit code 0 on success; otherwise one line on
// stderr and a non-zero code.
#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/node.h"
#include "api/notices.h"
#include "app/cli_group.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "jcs/jcs.h"
#include "store/store.h"
#include "transparency/log.h"
#include "transparency/receipt.h"

namespace fs = std::filesystem;
using namespace entente;
using Json = nlohmann::json;

namespace entente::cli {

api::NodeOptions Context::Options() const {
  api::NodeOptions o;
  o.db_url = db_url.empty() ? (fs::path(data_dir) / "entente.db").string() : db_url;
  o.master_key_file = fs::path(data_dir) / "master.key";
  return o;
}

void Die(const std::string& message) {
  std::cerr << "entente: " << message << "\n";
  std::exit(1);
}

std::vector<GroupFactory>& GroupFactories() {
  static std::vector<GroupFactory> factories;
  return factories;
}

}  // namespace entente::cli

namespace {

using Common = cli::Context;

// Structured logs for production: one JSON object per line on stderr.
class JsonLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    Json line = {{"time", FormatRfc3339(ms)},
                 {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                       spdlog::level::to_string_view(msg.level).size())},
                 {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

using cli::Die;
using cli::OrDie;

std::unique_ptr<api::Node> OpenNode(const Common& c) { return OrDie(api::Node::Open(c.Options())); }

Json ReadJsonArg(const std::string& arg) {
  std::string text = arg;
  if (!arg.empty() && arg[0] == '@') {
    std::ifstream in(arg.substr(1));
    if (!in) Die("cannot read " + arg.substr(1));
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto j = jcs::ParseUntrusted(text);
  if (!j) Die("invalid JSON: " + j.error().ToString());
  return *j;
}

// The SMTP server of --smtp (or ENTENTE_SMTP_URL), its password from
// ENTENTE_SMTP_PASSWORD; nullopt when none is configured.
std::optional<mail::SmtpConfig> SmtpFromFlag(std::string url) {
  if (url.empty())
    if (const char* e = std::getenv("ENTENTE_SMTP_URL")) url = e;
  if (url.empty()) return std::nullopt;
  auto smtp = OrDie(mail::SmtpConfig::FromUrl(url));
  if (const char* pw = std::getenv("ENTENTE_SMTP_PASSWORD"); pw && !smtp.password)
    smtp.password = pw;
  OrDie(smtp.Validate());
  return smtp;
}

directory::Actor NodeActor(api::Node& node) { return {"", OrDie(node.FoundingOrg())}; }

// The user a local command acts as (`--as USERNAME`): its organisation signs.
directory::Actor UserActor(api::Node& node, const std::string& username) {
  auto rows = OrDie(
      node.db().Query("SELECT id, org_id, disabled FROM users WHERE username = ?", {username}));
  if (rows.empty()) Die("no user " + username);
  if (rows[0].Int(2) != 0) Die("user " + username + " is disabled");
  return {rows[0].Text(0), rows[0].Text(1)};
}

std::string OrgName(api::Node& node, const std::string& id, const std::string& lang) {
  auto o = node.directory().GetOrg(id);
  if (!o || o->names.empty()) return id;
  if (o->names.contains(lang)) return o->names.at(lang);
  return o->names.contains("en") ? o->names.at("en") : o->names.begin()->second;
}

void PrintMessages(api::Node& node, const std::vector<comms::MessageSummary>& items, bool json) {
  if (json) {
    Json a = Json::array();
    for (const auto& m : items) a.push_back(m.ToJson());
    std::cout << a.dump(2) << "\n";
    return;
  }
  for (const auto& m : items) {
    std::string states;
    for (const auto& r : m.recipients)
      states += (states.empty() ? "" : ", ") + OrgName(node, r.org_id, "en") + ": " + r.state;
    std::cout << fmt::format("{}  {}  {:<8} {:<24} from {}  [{}]\n", m.id, FormatRfc3339(m.created),
                             m.urgency, m.kind, OrgName(node, m.author_org, "en"), states);
  }
}

// A message's structured part with the template's labels in `lang`.
void PrintOpened(api::Node& node, const comms::OpenedMessage& m,
                 const std::vector<comms::TimelineEvent>& timeline, const std::string& lang) {
  const auto& t = node.comms().templates();
  const Json& l = t.Labels(lang);
  auto label = [&](const std::string& group, const std::string& key) {
    Json::json_pointer p("/" + group + "/" + key);
    return l.contains(p) ? l.at(p).get<std::string>() : key;
  };
  std::cout << label("kind", m.meta.kind) << " — " << label("urgency", m.meta.urgency) << " — "
            << label("tlp", m.meta.tlp) << (m.meta.pap ? " " + label("pap", *m.meta.pap) : "")
            << "\n";
  std::cout << "from " << OrgName(node, m.meta.author_org, lang) << ", "
            << FormatRfc3339(m.meta.created) << "\n\n";
  for (const auto& [name, value] : m.fields.items()) {
    std::string v;
    if (name == "urgency") {
      v = label("urgency", value.get<std::string>());
    } else if (name == "classification") {
      v = label("rsit_class", value["class"].get<std::string>()) + " / " +
          label("rsit_type", value["type"].get<std::string>());
    } else if (value.is_string()) {
      v = value.get<std::string>();
      if (name == "summary" || name == "description" || name == "requested_action")
        v += "  [" + m.language + "]";
    } else {
      v = value.dump();
    }
    std::cout << label("field", name) << ": " << v << "\n";
  }
  std::cout << "\n";
  for (const auto& e : timeline)
    std::cout << FormatRfc3339(e.at) << "  " << OrgName(node, e.actor_org, lang) << " "
              << label("action", e.action) << (e.stage.empty() ? "" : " (" + e.stage + ")") << "\n";
}

void PrintOrgs(const std::vector<directory::Organisation>& orgs, bool json) {
  if (json) {
    Json a = Json::array();
    for (const auto& o : orgs) a.push_back(o.ToJson());
    std::cout << a.dump(2) << "\n";
    return;
  }
  for (const auto& o : orgs) {
    std::string name = o.names.contains("en") ? o.names.at("en") : o.names.begin()->second;
    std::cout << fmt::format("{}  {:<15} {:<3} {}\n", o.id, o.kind, o.country.value_or("-"), name);
  }
}

void PrintPocs(const std::vector<directory::PointOfContact>& pocs, bool json) {
  if (json) {
    Json a = Json::array();
    for (const auto& p : pocs) a.push_back(p.ToJson(true));
    std::cout << a.dump(2) << "\n";
    return;
  }
  for (const auto& p : pocs)
    std::cout << fmt::format("{}  {:<15} {:<30} {}\n", p.id, p.role, p.function_title,
                             p.erased ? "(erased)" : p.name.value_or(""));
}

Status LoadDemo(api::Node& node, const std::string& file, const std::string& password,
                const std::string& messages_file) {
  std::ifstream in(file);
  if (!in) return Fail(ErrorCode::kNotFound, "cannot read demo data " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  Json demo = ENTENTE_TRY(jcs::ParseUntrusted(ss.str()));
  directory::Actor actor = NodeActor(node);
  std::map<std::string, std::string> ids;  // demo key -> organisation id
  for (const auto& entry : demo.at("orgs")) {
    auto org = ENTENTE_TRY(node.directory().CreateOrg(actor, entry.at("org")));
    for (const auto& poc : entry.value("pocs", Json::array()))
      ENTENTE_TRY(node.directory().CreatePoc(actor, org.id, poc));
    std::string key = entry.at("key").get<std::string>();
    for (const char* role : {"admin", "officer", "analyst", "viewer"}) {
      ENTENTE_TRY(node.auth().CreateUser(org.id, key + "." + role, key + " " + role, password,
                                         OrDie(auth::ParseRole(role)), false));
    }
    ids[key] = org.id;
  }
  // Messages between the demo organisations, sent by their officers and
  // delivered, so that inboxes are not empty on first use.
  Json messages = Json::array();
  if (!messages_file.empty()) {
    std::ifstream min(messages_file);
    if (!min) return Fail(ErrorCode::kNotFound, "cannot read demo messages " + messages_file);
    std::stringstream ms;
    ms << min.rdbuf();
    messages = ENTENTE_TRY(jcs::ParseUntrusted(ms.str())).value("messages", Json::array());
  }
  for (const auto& m : messages) {
    std::string from = m.at("from").get<std::string>();
    if (!ids.contains(from)) return Invalid("unknown organisation key " + from, "messages");
    auto users = ENTENTE_TRY(
        node.db().Query("SELECT id FROM users WHERE username = ?", {from + ".officer"}));
    if (users.empty()) return Invalid("no officer for " + from, "messages");
    Json input = m.at("message");
    input["recipients"] = Json::array();
    for (const auto& to : m.at("to")) {
      if (!ids.contains(to.get<std::string>()))
        return Invalid("unknown organisation key " + to.get<std::string>(), "messages");
      input["recipients"].push_back(ids.at(to.get<std::string>()));
    }
    ENTENTE_TRY(node.comms().Send({users[0].Text(0), ids.at(from)}, input));
  }
  while (ENTENTE_TRY(node.comms().RunJobs("demo", 100)) > 0) {
  }
  return Ok();
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  if (auto s = crypto::Init(); !s) Die(s.error().message);
  CLI::App app{"entente — sovereign, federated cooperation on cyber incidents"};
  app.require_subcommand(1);
  Common c;
  app.add_option("--data", c.data_dir, "node data directory (database, master key)")
      ->capture_default_str();
  app.add_option("--db", c.db_url, "database URL: a SQLite path or postgresql://...");
  app.add_flag("--json", c.json, "print JSON");

  // init
  auto* init = app.add_subcommand(
      "init", "create a node: master key, database, node key, founding organisation, operator");
  std::string base_url = "http://127.0.0.1:8080", org_name, org_kind = "national_csirt", country,
              op_user = "operator", op_password;
  init->add_option("--base-url", base_url, "public URL of this node")->capture_default_str();
  init->add_option("--org-name", org_name, "name (English) of the founding organisation")
      ->required();
  init->add_option("--org-kind", org_kind, "kind of the founding organisation")
      ->capture_default_str();
  init->add_option("--country", country, "ISO 3166-1 country of the founding organisation");
  init->add_option("--operator", op_user, "operator user name")->capture_default_str();
  init->add_option("--operator-password", op_password,
                   "operator password (or ENTENTE_OPERATOR_PASSWORD)");

  // serve
  auto* serve = app.add_subcommand("serve", "serve the HTTP API");
  std::string listen = "127.0.0.1:8080", tls_cert, tls_key;
  bool insecure_cookies = false;
  std::string log_format = "text";
  serve->add_option("--listen", listen, "address:port to listen on")->capture_default_str();
  serve->add_option("--tls-cert", tls_cert, "PEM certificate (enables HTTPS)");
  serve->add_option("--tls-key", tls_key, "PEM private key");
  serve->add_flag("--insecure-cookies", insecure_cookies,
                  "omit the Secure cookie flag (plain-HTTP tests only)");
  size_t match_batch_limit = 10000;
  serve
      ->add_option("--match-batch-limit", match_batch_limit,
                   "most values in one POST /api/v1/match (more: 413)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  serve->add_option("--log-format", log_format, "text or json (JSON lines on stderr)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  std::string smtp_url;
  bool allow_private_webhooks = false;
  serve->add_flag("--allow-private-webhooks", allow_private_webhooks,
                  "deliver webhooks to loopback, private and other reserved addresses too "
                  "(refused by default: organisation admins set webhook URLs)");
  serve->add_option("--smtp", smtp_url,
                    "SMTP server for email notices, e.g. smtp://user@host?starttls=1&from=a@b "
                    "(or ENTENTE_SMTP_URL; the password from ENTENTE_SMTP_PASSWORD)");
  int jobs_interval_ms = 1000;
  serve
      ->add_option("--jobs-interval", jobs_interval_ms,
                   "milliseconds between looks for due background jobs (deliveries, reminders, "
                   "escalations); 0 disables the worker in this process")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  int sth_interval = 60;
  serve
      ->add_option("--sth-interval", sth_interval,
                   "seconds between signed tree heads of the log, issued when it grew (0: only "
                   "on demand)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();

  // org
  auto* org = app.add_subcommand("org", "organisations");
  org->require_subcommand(1);
  auto* org_list = org->add_subcommand("list", "list or search organisations");
  directory::OrgQuery oq;
  oq.limit = 200;
  org_list->add_option("--q", oq.q, "full-text search");
  org_list->add_option("--country", oq.country);
  org_list->add_option("--kind", oq.kind);
  org_list->add_option("--grouping", oq.grouping);
  org_list->add_option("--sector", oq.sector);
  auto* org_show = org->add_subcommand("show", "show one organisation");
  std::string id;
  org_show->add_option("id", id)->required();
  auto* org_create =
      org->add_subcommand("create", "create an organisation from JSON (text or @file)");
  std::string json_arg;
  org_create->add_option("json", json_arg)->required();
  auto* org_audit = org->add_subcommand("audit", "audit trail of an organisation");
  org_audit->add_option("id", id)->required();

  // poc
  auto* poc = app.add_subcommand("poc", "points of contact");
  poc->require_subcommand(1);
  auto* poc_list = poc->add_subcommand("list", "list or search points of contact");
  directory::PocQuery pq;
  pq.limit = 200;
  poc_list->add_option("--q", pq.q);
  poc_list->add_option("--org", pq.org);
  poc_list->add_option("--country", pq.country);
  poc_list->add_option("--role", pq.role);
  poc_list->add_option("--language", pq.language);
  auto* poc_create = poc->add_subcommand("create", "create a point of contact from JSON");
  std::string org_id;
  poc_create->add_option("--org", org_id)->required();
  poc_create->add_option("json", json_arg)->required();
  auto* poc_show = poc->add_subcommand("show", "show a point of contact");
  poc_show->add_option("id", id)->required();
  auto* poc_erase = poc->add_subcommand("erase", "erase a person's data (keeps a tombstone)");
  poc_erase->add_option("id", id)->required();
  auto* poc_export = poc->add_subcommand("export", "export everything stored about a person");
  poc_export->add_option("id", id)->required();

  // user
  auto* user = app.add_subcommand("user", "users");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "create a user");
  std::string username, display, password, role = "viewer";
  bool is_operator = false;
  user_create->add_option("--org", org_id)->required();
  user_create->add_option("--username", username)->required();
  user_create->add_option("--name", display);
  user_create->add_option("--password", password, "or ENTENTE_PASSWORD");
  user_create->add_option("--role", role)->capture_default_str();
  user_create->add_flag("--operator", is_operator);
  auto* user_list = user->add_subcommand("list", "list users of an organisation");
  user_list->add_option("--org", org_id)->required();

  // token
  auto* token = app.add_subcommand("token", "API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "create an API token (printed once)");
  std::string token_name;
  std::vector<std::string> scopes{"read"};
  int days = 90;
  token_create->add_option("--username", username)->required();
  token_create->add_option("--name", token_name)->required();
  token_create->add_option("--scope", scopes, "read, write, admin (repeatable)");
  token_create->add_option("--days", days)->capture_default_str();
  auto* token_list = token->add_subcommand("list", "list a user's tokens");
  token_list->add_option("--username", username)->required();
  auto* token_revoke = token->add_subcommand("revoke", "revoke a token");
  token_revoke->add_option("id", id)->required();

  // admin
  auto* admin = app.add_subcommand("admin", "node administration");
  admin->require_subcommand(1);
  auto* rebuild = admin->add_subcommand("rebuild", "rebuild every projection from the journal");

  // log and verify
  auto* log = app.add_subcommand("log", "the node's Merkle log over the journal");
  log->require_subcommand(1);
  auto* log_sth =
      log->add_subcommand("sth", "bring the log up to date, sign a tree head now and print it");
  auto* log_receipt = log->add_subcommand(
      "receipt", "print the receipt of an envelope (JSON, for entente verify receipt)");
  log_receipt->add_option("envelope_id", id)->required();
  auto* verify = app.add_subcommand("verify", "verify receipts and the log");
  verify->require_subcommand(1);
  auto* verify_receipt = verify->add_subcommand(
      "receipt", "verify a receipt offline with the node's public key (needs no node)");
  std::string receipt_file, node_key;
  verify_receipt->add_option("file", receipt_file, "receipt JSON file")->required();
  verify_receipt
      ->add_option("--node-key", node_key,
                   "the node's Ed25519 public key, base64url (GET /api/v1/node: public_key)")
      ->required();
  auto* verify_log = verify->add_subcommand(
      "log",
      "recompute the Merkle tree from the journal and check every stored node and tree head "
      "(read-only; no master key needed)");

  // msg
  auto* msg = app.add_subcommand("msg", "structured, confidential messages between organisations");
  msg->require_subcommand(1);
  std::string as_user, lang = "en", msg_file, close_org, box = "inbox", state_filter;
  auto* msg_send = msg->add_subcommand(
      "send", "send a message: JSON as for POST /api/v1/messages, inline or @file");
  msg_send->add_option("--as", as_user, "user name to act as (its organisation signs)")->required();
  msg_send->add_option("message", msg_file, "JSON or @file")->required();
  auto* msg_list = msg->add_subcommand("list", "list received (inbox) or sent messages");
  msg_list->add_option("--as", as_user)->required();
  msg_list->add_option("--box", box)
      ->check(CLI::IsMember({"inbox", "sent"}))
      ->capture_default_str();
  msg_list->add_option("--state", state_filter, "a recipient state");
  auto* msg_show = msg->add_subcommand("show", "open a message and print it with its timeline");
  msg_show->add_option("--as", as_user)->required();
  msg_show->add_option("--lang", lang, "language of the labels: ar zh en fr ru es")
      ->capture_default_str();
  msg_show->add_option("id", id)->required();
  auto* msg_ack = msg->add_subcommand("ack", "acknowledge a message");
  msg_ack->add_option("--as", as_user)->required();
  msg_ack->add_option("id", id)->required();
  auto* msg_decline = msg->add_subcommand("decline", "decline a request");
  msg_decline->add_option("--as", as_user)->required();
  msg_decline->add_option("id", id)->required();
  auto* msg_respond = msg->add_subcommand(
      "respond", "respond: JSON as for POST /api/v1/messages/{id}/respond, inline or @file");
  msg_respond->add_option("--as", as_user)->required();
  msg_respond->add_option("id", id)->required();
  msg_respond->add_option("response", msg_file, "JSON or @file")->required();
  auto* msg_close = msg->add_subcommand("close", "close an exchange");
  msg_close->add_option("--as", as_user)->required();
  msg_close->add_option("--org", close_org, "the sender closes for this recipient only");
  msg_close->add_option("id", id)->required();
  auto* msg_overdue = msg->add_subcommand("overdue", "late acknowledgements and responses");
  msg_overdue->add_option("--as", as_user)->required();
  auto* msg_jobs = msg->add_subcommand(
      "run-jobs", "run due deliveries, reminders and escalations now (serve does it continuously)");
  std::string jobs_smtp_url;
  msg_jobs->add_option("--smtp", jobs_smtp_url, "SMTP server for email notices (as for serve)");
  bool jobs_allow_private_webhooks = false;
  msg_jobs->add_flag("--allow-private-webhooks", jobs_allow_private_webhooks,
                     "deliver webhooks to private addresses too (as for serve)");

  // check
  auto* check = app.add_subcommand("check", "communication checks (ping tests)");
  check->require_subcommand(1);
  auto* check_start =
      check->add_subcommand("start", "start a check of a grouping or organisations");
  std::vector<std::string> check_orgs;
  std::string check_grouping, check_summary;
  int window_minutes = 60;
  check_start->add_option("--as", as_user)->required();
  check_start->add_option("--grouping", check_grouping, "every organisation of a grouping");
  check_start->add_option("--org", check_orgs, "an organisation id (repeatable)");
  check_start->add_option("--window", window_minutes, "minutes to acknowledge")
      ->check(CLI::Range(1, 43200))
      ->capture_default_str();
  check_start->add_option("--summary", check_summary, "text shown to the recipients");
  auto* check_status = check->add_subcommand("status", "the checks your organisation started");
  check_status->add_option("--as", as_user)->required();
  auto* check_report = check->add_subcommand("report", "report of one check");
  bool csv = false;
  check_report->add_option("--as", as_user)->required();
  check_report->add_option("id", id)->required();
  check_report->add_flag("--csv", csv, "CSV instead of text");

  // demo
  auto* demo = app.add_subcommand("demo", "load the fictional demo dataset");
  std::string demo_file = "data/demo/directory.json";
  demo->add_option("--file", demo_file)->capture_default_str();
  std::string demo_messages;
  demo->add_option("--messages", demo_messages,
                   "messages between the demo organisations to send (data/demo/messages.json)");
  demo->add_option("--password", password, "password for the demo users (or ENTENTE_PASSWORD)");

  std::vector<std::unique_ptr<cli::CommandGroup>> groups;
  for (auto& make : cli::GroupFactories()) {
    groups.push_back(make());
    groups.back()->Register(app);
  }

  CLI11_PARSE(app, argc, argv);
  for (auto& g : groups)
    if (auto code = g->Run(c)) return *code;

  auto env_or = [](std::string v, const char* env) {
    if (v.empty())
      if (const char* e = std::getenv(env)) v = e;
    return v;
  };

  if (init->parsed()) {
    fs::create_directories(c.data_dir);
    api::InitOptions io;
    io.base_url = base_url;
    io.founding_org = {{"kind", org_kind}, {"names", {{"en", org_name}}}};
    if (!country.empty()) io.founding_org["country"] = country;
    io.operator_username = op_user;
    io.operator_password = env_or(op_password, "ENTENTE_OPERATOR_PASSWORD");
    if (io.operator_password.empty())
      Die("--operator-password or ENTENTE_OPERATOR_PASSWORD is required");
    OrDie(api::Node::Init(c.Options(), io));
    auto node = OpenNode(c);
    std::cout << "node " << node->info().id << " initialised in " << c.data_dir << "\n";
    return 0;
  }
  if (serve->parsed()) {
    auto node = OpenNode(c);
    http::ServerOptions so;
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) Die("--listen must be address:port");
    so.host = listen.substr(0, colon);
    try {
      so.port = std::stoi(listen.substr(colon + 1));
    } catch (...) {
      Die("--listen must be address:port");
    }
    so.tls_cert_file = tls_cert;
    so.tls_key_file = tls_key;
    if (insecure_cookies || match_batch_limit != 10000) {
      api::NodeOptions o = c.Options();
      o.secure_cookies = !insecure_cookies;
      o.match_batch_limit = match_batch_limit;
      node = OrDie(api::Node::Open(o));
    }
    // A batch of values to match may be larger than other bodies.
    so.max_body_bytes = std::max(so.max_body_bytes, match_batch_limit * 512);
    if (sth_interval > 0) node->StartTreeHeadIssuer(static_cast<Millis>(sth_interval) * 1000);
    // Email and webhook notices of communications.
    auto smtp = SmtpFromFlag(smtp_url);
    std::string smtp_description = smtp ? smtp->Describe() : "none (email notices off)";
    api::MailNotifier notifier(std::move(smtp),
                               {.allow_private_addresses = allow_private_webhooks});
    node->SetNotifier(&notifier);
    if (jobs_interval_ms > 0) node->StartJobWorker(jobs_interval_ms);
    // Block the stop signals in every thread; wait for them here.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    api::Node* n = node.get();
    http::Server server(so, [n](http::Request& r) { return n->Dispatch(r); });
    int port = OrDie(server.Start());
    if (log_format == "json")
      spdlog::set_default_logger(
          std::make_shared<spdlog::logger>("entente", std::make_shared<JsonLinesSink>()));
    spdlog::set_level(spdlog::level::info);
    std::cout << fmt::format("entente node {} serving on {}://{}:{}\n", node->info().id,
                             server.tls() ? "https" : "http", so.host, port)
              << fmt::format("email notices: {}\n", smtp_description) << std::flush;
    int sig = 0;
    sigwait(&set, &sig);
    std::cout << "stopping\n";
    server.Stop();
    return 0;
  }
  if (verify_receipt->parsed()) {
    std::error_code ec;
    auto bytes = fs::file_size(receipt_file, ec);
    if (ec) Die("cannot read " + receipt_file + ": " + ec.message());
    if (bytes > (64u << 20)) Die(receipt_file + " is larger than 64 MiB: not a receipt");
    std::ifstream in(receipt_file, std::ios::binary);
    if (!in) Die("cannot read " + receipt_file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto key = crypto::Base64UrlDecode(node_key);
    if (!key || key->size() != crypto::kSignPublicKeyBytes)
      Die("--node-key must be the node's Ed25519 public key in base64url (43 characters)");
    auto receipt = transparency::ParseReceipt(ss.str());
    if (!receipt) Die("not a receipt: " + receipt.error().ToString());
    auto v = transparency::VerifyReceipt(*receipt, *key);
    if (!v) Die("receipt does NOT verify: " + v.error().ToString());
    std::cout << fmt::format(
        "receipt verified: envelope {} ({} by organisation {}, created {}) is leaf {} of the tree "
        "of {} leaves that node {} signed at {}\n",
        v->envelope_id, v->envelope_type, v->author_org, FormatRfc3339(v->created), v->leaf_index,
        v->tree_size, v->node_id, FormatRfc3339(v->tree_head_timestamp));
    return 0;
  }
  if (verify_log->parsed()) {
    // Read-only and without the master key: an auditor with the database
    // (or a copy of it) can run it.
    std::string url = c.Options().db_url;
    bool postgres = url.rfind("postgres", 0) == 0;
    std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
    if (!postgres && !fs::exists(path)) Die("no database at " + path);
    auto db = OrDie(store::Open(url));
    if (int v = OrDie(store::SchemaVersion(*db)); v < 3)
      Die("the database (schema version " + std::to_string(v) +
          ") predates the log; start the node once to migrate it");
    auto info = OrDie(identity::NodeIdentity::Load(*db));
    auto report = OrDie(transparency::VerifyLog(*db, info));
    if (!report.ok()) {
      std::cerr << "entente: log verification failed at leaf " << report.first_bad_index << ": "
                << report.problem << " (" << report.problems << " disagreement"
                << (report.problems == 1 ? "" : "s") << " found)\n";
      return 1;
    }
    std::cout << fmt::format(
        "log verified: {} leaves, {} interior nodes and {} signed tree heads match the journal "
        "({} journal rows not logged yet)\n",
        report.leaves, report.nodes, report.tree_heads, report.unlogged);
    return 0;
  }
  auto node = OpenNode(c);
  if (log_sth->parsed()) {
    auto issued = OrDie(node->log().Issue(transparency::IssuePolicy::kAlways));
    std::cout << issued.sth.ToJson().dump(2) << "\n";
  } else if (log_receipt->parsed()) {
    std::cout << OrDie(node->log().MakeReceipt(id)).ToJson().dump(2) << "\n";
  } else if (org_list->parsed()) {
    PrintOrgs(OrDie(node->directory().SearchOrgs(oq)).items, c.json);
  } else if (org_show->parsed()) {
    std::cout << OrDie(node->directory().GetOrg(id)).ToJson().dump(2) << "\n";
  } else if (org_create->parsed()) {
    auto o = OrDie(node->directory().CreateOrg(NodeActor(*node), ReadJsonArg(json_arg)));
    if (c.json)
      std::cout << o.ToJson().dump(2) << "\n";
    else
      std::cout << o.id << "\n";
  } else if (org_audit->parsed()) {
    auto page = OrDie(node->directory().AuditTrail(id, "", 200));
    for (const auto& a : page.items)
      std::cout << fmt::format("{} {} {} by {} changed [{}]\n", FormatRfc3339(a.created), a.type,
                               a.action, a.author_org, fmt::join(a.changed, ", "));
  } else if (poc_list->parsed()) {
    PrintPocs(OrDie(node->directory().SearchPocs(pq)).items, c.json);
  } else if (poc_create->parsed()) {
    auto p = OrDie(node->directory().CreatePoc(NodeActor(*node), org_id, ReadJsonArg(json_arg)));
    if (c.json)
      std::cout << p.ToJson(true).dump(2) << "\n";
    else
      std::cout << p.id << "\n";
  } else if (poc_show->parsed()) {
    std::cout << OrDie(node->directory().GetPoc(id)).ToJson(true).dump(2) << "\n";
  } else if (poc_erase->parsed()) {
    OrDie(node->directory().ErasePoc(NodeActor(*node), id));
    std::cout << "erased " << id << "\n";
  } else if (poc_export->parsed()) {
    std::cout << OrDie(node->directory().ExportPoc(id)).dump(2) << "\n";
  } else if (user_create->parsed()) {
    password = env_or(password, "ENTENTE_PASSWORD");
    if (password.empty()) Die("--password or ENTENTE_PASSWORD is required");
    auto u = OrDie(node->auth().CreateUser(org_id, username, display.empty() ? username : display,
                                           password, OrDie(auth::ParseRole(role)), is_operator));
    std::cout << u.id << "\n";
  } else if (user_list->parsed()) {
    auto users = OrDie(node->auth().ListUsers(org_id));
    Json a = Json::array();
    for (const auto& u : users) {
      if (c.json) {
        a.push_back({{"id", u.id},
                     {"username", u.username},
                     {"display_name", u.display_name},
                     {"role", auth::RoleName(u.role)},
                     {"operator", u.is_operator},
                     {"disabled", u.disabled},
                     {"totp_enabled", u.totp_enabled}});
      } else {
        std::cout << fmt::format("{}  {:<24} {:<8}{}\n", u.id, u.username, auth::RoleName(u.role),
                                 u.is_operator ? " operator" : "");
      }
    }
    if (c.json) std::cout << a.dump(2) << "\n";
  } else if (token_create->parsed()) {
    auto rows = OrDie(node->db().Query("SELECT id FROM users WHERE username = ?", {username}));
    if (rows.empty()) Die("no user " + username);
    auto t = OrDie(node->auth().CreateToken(rows[0].Text(0), token_name, scopes,
                                            static_cast<Millis>(days) * 24 * 3600 * 1000));
    std::cout << t.token << "\n";
  } else if (token_list->parsed()) {
    auto rows = OrDie(node->db().Query("SELECT id FROM users WHERE username = ?", {username}));
    if (rows.empty()) Die("no user " + username);
    Json a = Json::array();
    for (const auto& t : OrDie(node->auth().ListTokens(rows[0].Text(0)))) {
      if (c.json) {
        a.push_back({{"id", t.id},
                     {"name", t.name},
                     {"scopes", t.scopes},
                     {"expires", FormatRfc3339(t.expires)},
                     {"revoked", t.revoked ? Json(FormatRfc3339(*t.revoked)) : Json()}});
      } else {
        std::cout << fmt::format("{}  {:<20} [{}] expires {}{}\n", t.id, t.name,
                                 fmt::join(t.scopes, ","), FormatRfc3339(t.expires),
                                 t.revoked ? " REVOKED" : "");
      }
    }
    if (c.json) std::cout << a.dump(2) << "\n";
  } else if (token_revoke->parsed()) {
    OrDie(node->auth().RevokeToken(id));
    std::cout << "revoked " << id << "\n";
  } else if (rebuild->parsed()) {
    OrDie(node->journal().Rebuild());
    std::cout << "rebuilt projections from " << OrDie(node->journal().Size()) << " envelopes\n";
  } else if (msg_send->parsed()) {
    auto m = OrDie(node->comms().Send(UserActor(*node, as_user), ReadJsonArg(msg_file)));
    if (c.json)
      std::cout << m.ToJson().dump(2) << "\n";
    else
      std::cout << "sent " << m.id << "\n";
  } else if (msg_list->parsed()) {
    comms::ListQuery q;
    q.box = box == "sent" ? comms::Box::kSent : comms::Box::kInbox;
    q.state = state_filter;
    q.limit = 200;
    PrintMessages(*node, OrDie(node->comms().List(UserActor(*node, as_user), q)).items, c.json);
  } else if (msg_show->parsed()) {
    auto actor = UserActor(*node, as_user);
    auto m = OrDie(node->comms().Open(actor, id));
    auto t = OrDie(node->comms().Timeline(actor, id));
    if (c.json) {
      Json j = m.ToJson();
      j["timeline"] = Json::array();
      for (const auto& e : t) j["timeline"].push_back(e.ToJson());
      std::cout << j.dump(2) << "\n";
    } else {
      PrintOpened(*node, m, t, lang);
    }
  } else if (msg_ack->parsed()) {
    OrDie(node->comms().Acknowledge(UserActor(*node, as_user), id));
    std::cout << "acknowledged " << id << "\n";
  } else if (msg_decline->parsed()) {
    OrDie(node->comms().Decline(UserActor(*node, as_user), id));
    std::cout << "declined " << id << "\n";
  } else if (msg_respond->parsed()) {
    auto m = OrDie(node->comms().Respond(UserActor(*node, as_user), id, ReadJsonArg(msg_file)));
    std::cout << "responded with " << m.id << "\n";
  } else if (msg_close->parsed()) {
    OrDie(node->comms().Close(UserActor(*node, as_user), id, close_org));
    std::cout << "closed " << id << "\n";
  } else if (msg_overdue->parsed()) {
    auto items = OrDie(node->comms().Overdue(UserActor(*node, as_user), false));
    Json a = Json::array();
    for (const auto& o : items) {
      if (c.json)
        a.push_back(o.ToJson());
      else
        std::cout << fmt::format("{}  {:<8} {:<24} {} late since {} ({})\n", o.message_id,
                                 o.urgency, o.kind, OrgName(*node, o.org_id, "en"),
                                 FormatRfc3339(o.due), o.stage);
    }
    if (c.json) std::cout << a.dump(2) << "\n";
  } else if (msg_jobs->parsed()) {
    auto smtp = SmtpFromFlag(jobs_smtp_url);
    api::MailNotifier notifier(std::move(smtp),
                               {.allow_private_addresses = jobs_allow_private_webhooks});
    node->SetNotifier(&notifier);
    int total = 0;
    for (;;) {
      int n = OrDie(node->comms().RunJobs("cli-" + std::to_string(getpid()), 10));
      total += n;
      if (n == 0) break;
    }
    std::cout << "ran " << total << " jobs\n";
  } else if (check_start->parsed()) {
    comms::CheckTarget t;
    t.orgs = check_orgs;
    t.grouping = check_grouping;
    t.window_ms = static_cast<Millis>(window_minutes) * 60'000;
    t.summary = check_summary;
    auto m = OrDie(node->comms().StartCheck(UserActor(*node, as_user), t));
    std::cout << "check " << m.id << " sent to " << m.recipients.size() << " organisations\n";
  } else if (check_status->parsed()) {
    auto reports = OrDie(node->comms().CheckHistory(UserActor(*node, as_user), 200));
    Json a = Json::array();
    for (const auto& r : reports) {
      if (c.json)
        a.push_back(r.ToJson());
      else
        std::cout << fmt::format("{}  {}  {}/{} in time ({:.0f}%)\n", r.id,
                                 FormatRfc3339(r.started), r.overall.in_time, r.overall.targets,
                                 100 * r.overall.response_rate);
    }
    if (c.json) std::cout << a.dump(2) << "\n";
  } else if (check_report->parsed()) {
    auto r = OrDie(node->comms().Report(UserActor(*node, as_user), id));
    if (csv) {
      std::cout << r.ToCsv();
    } else if (c.json) {
      std::cout << r.ToJson().dump(2) << "\n";
    } else {
      auto ms = [](const std::optional<Millis>& v) {
        return v ? fmt::format("{:.1f} min", static_cast<double>(*v) / 60000) : std::string("-");
      };
      std::cout << fmt::format("check {} started {} deadline {}\n", r.id, FormatRfc3339(r.started),
                               FormatRfc3339(r.deadline));
      std::cout << fmt::format("overall: {}/{} in time ({:.0f}%), median {}, p95 {}\n",
                               r.overall.in_time, r.overall.targets, 100 * r.overall.response_rate,
                               ms(r.overall.median_ms), ms(r.overall.p95_ms));
      for (const auto& [k, v] : r.by_country)
        std::cout << fmt::format("  country {:<4} {}/{} in time, median {}\n", k.empty() ? "-" : k,
                                 v.in_time, v.targets, ms(v.median_ms));
      for (const auto& [k, v] : r.by_grouping)
        std::cout << fmt::format("  grouping {:<8} {}/{} in time, median {}\n", k, v.in_time,
                                 v.targets, ms(v.median_ms));
    }
  } else if (demo->parsed()) {
    password = env_or(password, "ENTENTE_PASSWORD");
    if (password.empty()) Die("--password or ENTENTE_PASSWORD is required");
    OrDie(LoadDemo(*node, demo_file, password, demo_messages));
    std::cout << "demo data loaded\n";
  }
  return 0;
}
