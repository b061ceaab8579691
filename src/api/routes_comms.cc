// Routes of communications (docs/communications.md): templates, messages and
// their workflow, the overdue list, communication checks, the deadline
// policy and organisation webhooks. Message ids a caller is not party to are
// answered 404, like ids that do not exist.
#include <chrono>
#include <thread>

#include "api/node.h"
#include "api/route_helpers.h"
#include "core/ids.h"
#include "schema/reader.h"

namespace entente::api {

using auth::Permission;

namespace {

directory::Actor CommsActor(const Context& ctx) {
  return {ctx.principal->user_id, ctx.principal->org_id};
}

Result<int> LimitOf(const http::Request& req) {
  auto v = ENTENTE_TRY(QueryUint(req, "limit", 1, 200));
  return static_cast<int>(v.value_or(50));
}

// Empty bodies are allowed for actions that take no input.
Result<Json> OptionalBody(const http::Request& req) {
  if (req.body.empty()) return Json::object();
  Json j = ENTENTE_TRY(ParseBody(req));
  if (!j.is_object()) return Invalid("must be a JSON object", "body");
  return j;
}

Json PageOf(const comms::MessagePage& page) {
  Json items = Json::array();
  for (const auto& m : page.items) items.push_back(m.ToJson());
  return {{"items", items}, {"next", page.next.empty() ? Json() : Json(page.next)}};
}

}  // namespace

// Server-sent events: at most this many streams at once (each holds a
// server thread), each open for at most kMaxStreamSeconds; the console
// reconnects (EventSource does) and falls back to polling when refused.
constexpr int kMaxEventStreams = 4;
constexpr std::uint64_t kMaxStreamSeconds = 25;

void Node::RegisterCommsRoutes() {
  router_.Add(
      {"GET", "/api/v1/events", Permission::kMessageRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"timeout"}));
         auto seconds = ENTENTE_TRY(QueryUint(ctx.req, "timeout", 0, kMaxStreamSeconds))
                            .value_or(kMaxStreamSeconds);
         // Resume after Last-Event-ID ("<ms>:<event id>"), else from now.
         Millis after_at = clock_->NowMillis();
         std::string after_id;
         std::string last = ctx.req.Header("Last-Event-ID");
         if (!last.empty()) {
           auto colon = last.find(':');
           if (colon == std::string::npos || colon == 0 || colon > 15 || last.size() > 128 ||
               last.find_first_not_of("0123456789") < colon)
             return Invalid("is not an event id sent by this node", "Last-Event-ID");
           after_at = std::stoll(last.substr(0, colon));
           after_id = last.substr(colon + 1);
         }
         if (event_streams_.load() >= kMaxEventStreams)
           return Fail(ErrorCode::kUnavailable, "too many open event streams; poll instead");
         std::string org = ctx.principal->org_id;
         http::Response res;
         res.content_type = "text/event-stream";
         res.headers.emplace("Cache-Control", "no-store");
         res.stream = [this, org, after_at, after_id, seconds](const http::StreamWriter& write) {
           ++event_streams_;
           struct Release {
             std::atomic<int>& n;
             ~Release() { --n; }
           } release{event_streams_};
           Millis at = after_at;
           std::string id = after_id;
           if (!write("retry: 3000\n\n")) return;
           auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
           for (;;) {
             auto rows = db_->Query(
                 "SELECT e.at, e.id, e.message_id, e.org_id, e.action, e.stage, e.actor_org "
                 "FROM message_events e JOIN messages m ON m.id = e.message_id "
                 "WHERE (m.author_org = ? OR EXISTS (SELECT 1 FROM message_recipients r "
                 "WHERE r.message_id = m.id AND r.org_id = ?)) AND (e.at > ? OR (e.at = ? AND "
                 "e.id > ?)) ORDER BY e.at, e.id LIMIT 100",
                 {org, org, at, at, id});
             if (!rows) return;  // the client reconnects
             for (const auto& r : *rows) {
               at = r.Int(0);
               id = r.Text(1);
               Json data = {{"message", r.Text(2)},
                            {"org", r.Text(3).empty() ? Json() : Json(r.Text(3))},
                            {"action", r.Text(4)},
                            {"stage", r.Text(5).empty() ? Json() : Json(r.Text(5))},
                            {"actor_org", r.Text(6)},
                            {"at", FormatRfc3339(at)}};
               if (!write("id: " + std::to_string(at) + ":" + id +
                          "\nevent: message\ndata: " + data.dump() + "\n\n"))
                 return;
             }
             if (rows->size() == 100) continue;
             if (std::chrono::steady_clock::now() >= deadline) return;
             // A comment keeps proxies from closing an idle stream.
             if (!write(": waiting\n\n")) return;
             std::this_thread::sleep_for(std::chrono::seconds(1));
           }
         };
         return res;
       }});
  router_.Add({"GET", "/api/v1/comms/templates", Permission::kAuthenticated,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"lang"}));
                 std::string lang = ctx.req.Query("lang").value_or("en");
                 return JsonResponse(200, comms_->templates().Describe(lang));
               }});
  router_.Add(
      {"GET", "/api/v1/messages", Permission::kMessageRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"box", "state", "kind", "check", "cursor", "limit"}));
         comms::ListQuery q;
         std::string box = ctx.req.Query("box").value_or("inbox");
         if (box != "inbox" && box != "sent") return Invalid("must be inbox or sent", "box");
         q.box = box == "sent" ? comms::Box::kSent : comms::Box::kInbox;
         q.state = ctx.req.Query("state").value_or("");
         q.kind = ctx.req.Query("kind").value_or("");
         std::string check = ctx.req.Query("check").value_or("false");
         if (check != "true" && check != "false") return Invalid("must be true or false", "check");
         q.check = check == "true";
         q.before = ctx.req.Query("cursor").value_or("");
         if (!q.before.empty() && !IsUuid(q.before))
           return Invalid("is not a cursor returned by this API", "cursor");
         q.limit = ENTENTE_TRY(LimitOf(ctx.req));
         auto page = ENTENTE_TRY(comms_->List(CommsActor(ctx), q));
         return JsonResponse(200, PageOf(page));
       }});
  router_.Add({"POST", "/api/v1/messages", Permission::kMessageWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 auto m = ENTENTE_TRY(comms_->Send(CommsActor(ctx), body));
                 return JsonResponse(201, m.ToJson());
               }});
  router_.Add({"GET", "/api/v1/messages/{id}", Permission::kMessageRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 auto m = ENTENTE_TRY(comms_->Open(CommsActor(ctx), Param(ctx.req, "id")));
                 return JsonResponse(200, m.ToJson());
               }});
  router_.Add({"GET", "/api/v1/messages/{id}/timeline", Permission::kMessageRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 auto events = ENTENTE_TRY(comms_->Timeline(CommsActor(ctx), Param(ctx.req, "id")));
                 Json items = Json::array();
                 for (const auto& e : events) items.push_back(e.ToJson());
                 return JsonResponse(200, Json{{"items", items}});
               }});
  auto action = [this](const std::string& name) {
    return [this, name](Context& ctx) -> Result<http::Response> {
      ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
      ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
      Json body = ENTENTE_TRY(OptionalBody(ctx.req));
      std::string id = Param(ctx.req, "id");
      if (name == "close") {
        std::string org;
        if (body.contains("org")) {
          if (!body["org"].is_string() || !IsUuid(body["org"].get<std::string>()))
            return Invalid("must be an organisation id", "org");
          org = body["org"].get<std::string>();
        }
        for (auto it = body.begin(); it != body.end(); ++it)
          if (it.key() != "org") return Invalid("unknown member", it.key());
        ENTENTE_CHECK(comms_->Close(CommsActor(ctx), id, org));
      } else {
        if (!body.empty()) return Invalid("takes no members", "body");
        if (name == "ack")
          ENTENTE_CHECK(comms_->Acknowledge(CommsActor(ctx), id));
        else
          ENTENTE_CHECK(comms_->Decline(CommsActor(ctx), id));
      }
      auto m = ENTENTE_TRY(comms_->Get(CommsActor(ctx), id));
      return JsonResponse(200, m.ToJson());
    };
  };
  router_.Add({"POST", "/api/v1/messages/{id}/ack", Permission::kMessageWrite, action("ack")});
  router_.Add(
      {"POST", "/api/v1/messages/{id}/decline", Permission::kMessageWrite, action("decline")});
  router_.Add({"POST", "/api/v1/messages/{id}/close", Permission::kMessageWrite, action("close")});
  router_.Add({"POST", "/api/v1/messages/{id}/respond", Permission::kMessageWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 auto m = ENTENTE_TRY(comms_->Respond(CommsActor(ctx), Param(ctx.req, "id"), body));
                 return JsonResponse(201, m.ToJson());
               }});
  router_.Add({"GET", "/api/v1/overdue", Permission::kMessageRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"scope"}));
                 std::string scope = ctx.req.Query("scope").value_or("org");
                 if (scope != "org" && scope != "node")
                   return Invalid("must be org or node", "scope");
                 if (scope == "node" && !ctx.principal->is_operator)
                   return Fail(ErrorCode::kPermissionDenied,
                               "only node operators see every organisation's overdue list",
                               "scope");
                 auto items = ENTENTE_TRY(comms_->Overdue(CommsActor(ctx), scope == "node"));
                 Json a = Json::array();
                 for (const auto& i : items) a.push_back(i.ToJson());
                 return JsonResponse(200, Json{{"items", a}});
               }});

  // Communication checks.
  router_.Add({"POST", "/api/v1/checks", Permission::kCheckManage,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 ENTENTE_CHECK(r.valid());
                 comms::CheckTarget t;
                 t.orgs = ENTENTE_TRY(r.StringArray("orgs", 500, {.max = 64}, false));
                 t.grouping = ENTENTE_TRY(r.OptString("grouping", {.max = 16})).value_or("");
                 t.window_ms = 60'000 * ENTENTE_TRY(r.Int("window_minutes", 1, 30 * 24 * 60));
                 t.summary = ENTENTE_TRY(r.OptString("summary", {.max = 300})).value_or("");
                 t.language = ENTENTE_TRY(r.OptString("language", {.max = 35})).value_or("en");
                 ENTENTE_CHECK(r.Finish());
                 auto m = ENTENTE_TRY(comms_->StartCheck(CommsActor(ctx), t));
                 return JsonResponse(201, m.ToJson());
               }});
  router_.Add({"GET", "/api/v1/checks", Permission::kMessageRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"limit"}));
                 auto reports = ENTENTE_TRY(
                     comms_->CheckHistory(CommsActor(ctx), ENTENTE_TRY(LimitOf(ctx.req))));
                 Json a = Json::array();
                 for (const auto& r : reports) {
                   Json j = r.ToJson();
                   j.erase("rows");
                   j.erase("by_country");
                   j.erase("by_grouping");
                   a.push_back(j);
                 }
                 return JsonResponse(200, Json{{"items", a}});
               }});
  router_.Add({"GET", "/api/v1/checks/{id}", Permission::kMessageRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"format"}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 std::string format = ctx.req.Query("format").value_or("json");
                 if (format != "json" && format != "csv")
                   return Invalid("must be json or csv", "format");
                 auto report = ENTENTE_TRY(comms_->Report(CommsActor(ctx), Param(ctx.req, "id")));
                 if (format == "json") return JsonResponse(200, report.ToJson());
                 http::Response res;
                 res.status = 200;
                 res.content_type = "text/csv; charset=utf-8";
                 res.body = report.ToCsv();
                 res.headers.emplace("Content-Disposition",
                                     "attachment; filename=\"check-" + report.id + ".csv\"");
                 return res;
               }});

  // Deadline policy.
  router_.Add({"GET", "/api/v1/comms/policy", Permission::kAuthenticated,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 return JsonResponse(200, ENTENTE_TRY(comms_->Policy()));
               }});
  router_.Add({"PUT", "/api/v1/comms/policy", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 ENTENTE_CHECK(r.valid());
                 auto grouping = ENTENTE_TRY(r.OptString("grouping", {.max = 16})).value_or("");
                 auto urgency = ENTENTE_TRY(r.String("urgency", {.max = 16}));
                 auto ack = ENTENTE_TRY(r.Int("ack_minutes", 1, 90 * 24 * 60));
                 auto response = ENTENTE_TRY(r.Int("response_minutes", 1, 365 * 24 * 60));
                 ENTENTE_CHECK(r.Finish());
                 ENTENTE_CHECK(
                     comms_->SetPolicy(grouping, urgency, ack * 60'000, response * 60'000));
                 return JsonResponse(200, ENTENTE_TRY(comms_->Policy()));
               }});

  // Webhooks of an organisation (its admins).
  auto org_param = [](const http::Request& req) -> Result<std::optional<std::string>> {
    if (!IsUuid(req.path_params.at("id")))
      return Fail(ErrorCode::kNotFound, "no such organisation");
    return std::optional<std::string>(req.path_params.at("id"));
  };
  router_.Add({"GET", "/api/v1/orgs/{id}/webhook", Permission::kOrgAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 auto url = ENTENTE_TRY(comms_->WebhookUrl(Param(ctx.req, "id")));
                 return JsonResponse(200, Json{{"url", url ? Json(*url) : Json()}});
               },
               org_param});
  router_.Add({"PUT", "/api/v1/orgs/{id}/webhook", Permission::kOrgAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 schema::ObjectReader r(body);
                 ENTENTE_CHECK(r.valid());
                 auto url = ENTENTE_TRY(r.String("url", {.max = 2000}));
                 ENTENTE_CHECK(r.Finish());
                 ENTENTE_TRY(directory_->GetOrg(Param(ctx.req, "id")));
                 auto secret = ENTENTE_TRY(comms_->SetWebhook(Param(ctx.req, "id"), url));
                 // The signing secret is shown once.
                 return JsonResponse(200, Json{{"url", url}, {"secret", secret}});
               },
               org_param});
  router_.Add({"DELETE", "/api/v1/orgs/{id}/webhook", Permission::kOrgAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 ENTENTE_CHECK(comms_->RemoveWebhook(Param(ctx.req, "id")));
                 http::Response res;
                 res.status = 204;
                 res.body.clear();
                 return res;
               },
               org_param});
}

}  // namespace entente::api
