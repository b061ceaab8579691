// Routes of the DNS abuse observatory (docs/dns-abuse.md): the stored
// figures per TLD and registrar for a day and a month (the numbers of
// `entente dns day` / `entente dns report`, sortable and paginated on the
// server), series over days, the monthly report as HTML / CSV / JSON, and
// abuse reports (list, file by hand or from the observatory, route to the
// registrar through comms, read with the message timeline).
//
// Who reads reports: users of the filing organisation and of the recipient
// organisation (a registrar sees what is addressed to it, with the
// deadlines); operators every report. Other ids are answered 404.
// Ingest stays on the command line (`entente dns ingest`, run daily by the
// operator): its inputs are files of hundreds of megabytes to gigabytes on
// the node's disk and a day takes minutes of CPU, which is not a request.
#include <fmt/format.h>

#include "api/node.h"
#include "api/route_helpers.h"
#include "dnsabuse/feeds.h"
#include "dnsabuse/observatory.h"
#include "dnsabuse/reports.h"
#include "dnsabuse/trends.h"
#include "schema/reader.h"

namespace entente::api {

using auth::Permission;

namespace {

dnsabuse::ReportViewer ViewerOf(const Context& ctx) {
  return {ctx.principal->user_id, ctx.principal->org_id, ctx.principal->is_operator};
}

Status CheckDay(const std::string& day, const char* field) {
  if (!dnsabuse::ParseDay(day))
    return Invalid(fmt::format("'{}' is not a date YYYY-MM-DD", day), field);
  return Ok();
}

Status CheckMonth(const std::string& month) {
  if (month.size() != 7 || !dnsabuse::ParseDay(month + "-01"))
    return Invalid(fmt::format("'{}' is not a month YYYY-MM", month), "month");
  return Ok();
}

// sort / order / limit / offset of a figures table.
struct Paging {
  std::string sort = "per10k";
  bool descending = true;
  std::size_t offset = 0;
  std::size_t limit = 50;
};

Result<Paging> PagingOf(const http::Request& req) {
  Paging p;
  if (auto s = req.Query("sort")) {
    if (!dnsabuse::IsSortColumn(*s)) return Invalid("is not a column of the figures", "sort");
    p.sort = *s;
    p.descending = *s != "key" && *s != "label";
  }
  if (auto o = req.Query("order")) {
    if (*o != "asc" && *o != "desc") return Invalid("must be asc or desc", "order");
    p.descending = *o == "desc";
  }
  p.offset = ENTENTE_TRY(QueryUint(req, "offset", 0, 10'000'000)).value_or(0);
  p.limit = ENTENTE_TRY(QueryUint(req, "limit", 1, 1000)).value_or(50);
  return p;
}

Result<std::string> ScopeOf(const http::Request& req, bool allow_all) {
  std::string scope = req.Query("scope").value_or("tld");
  if (scope != "tld" && scope != "registrar" && !(allow_all && scope == "all"))
    return Invalid(allow_all ? "must be all, tld or registrar" : "must be tld or registrar",
                   "scope");
  return scope;
}

// Registrar rows name the directory organisation of their IANA id.
void AddOrgs(std::vector<Json>& rows, const dnsabuse::Routing& routing) {
  for (auto& r : rows) {
    if (r.value("scope", "") != "registrar") continue;
    const std::int64_t id = std::strtoll(r.value("key", "0").c_str(), nullptr, 10);
    auto it = routing.registrar_orgs.find(id);
    r["org"] = it == routing.registrar_orgs.end() ? Json() : Json(it->second);
  }
}

Result<Json> OptionalObject(const http::Request& req) {
  if (req.body.empty()) return Json::object();
  Json j = ENTENTE_TRY(ParseBody(req));
  if (!j.is_object()) return Invalid("must be a JSON object", "body");
  return j;
}

}  // namespace

void Node::RegisterDnsRoutes() {
  router_.Add({"GET", "/api/v1/dns/days", Permission::kDnsRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"limit"}));
                 auto limit = ENTENTE_TRY(QueryUint(ctx.req, "limit", 1, 1000)).value_or(100);
                 auto days = ENTENTE_TRY(dnsabuse::Days(*db_, static_cast<int>(limit)));
                 return JsonResponse(200, {{"items", days}});
               }});

  router_.Add({"GET", "/api/v1/dns/days/{day}/figures", Permission::kDnsRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"scope", "sort", "order", "offset", "limit"}));
                 const std::string day = Param(ctx.req, "day");
                 ENTENTE_CHECK(CheckDay(day, "day"));
                 const std::string scope = ENTENTE_TRY(ScopeOf(ctx.req, true));
                 const Paging p = ENTENTE_TRY(PagingOf(ctx.req));
                 dnsabuse::Observatory obs(*db_, *clock_);
                 auto figures = ENTENTE_TRY(obs.Day(day, scope));
                 std::vector<Json> rows;
                 for (const auto& f : figures) rows.push_back(dnsabuse::FiguresToJson(f));
                 dnsabuse::ReportDesk desk(*db_, *comms_, *directory_, *clock_);
                 AddOrgs(rows, ENTENTE_TRY(desk.DirectoryRouting()));
                 Json out = dnsabuse::SortAndPage(std::move(rows), p.sort, p.descending, p.offset,
                                                  p.limit);
                 out["day"] = day;
                 out["scope"] = scope;
                 return JsonResponse(200, out);
               }});

  router_.Add({"GET", "/api/v1/dns/months/{month}/figures", Permission::kDnsRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"scope", "sort", "order", "offset", "limit"}));
                 const std::string month = Param(ctx.req, "month");
                 ENTENTE_CHECK(CheckMonth(month));
                 const std::string scope = ENTENTE_TRY(ScopeOf(ctx.req, true));
                 const Paging p = ENTENTE_TRY(PagingOf(ctx.req));
                 dnsabuse::Observatory obs(*db_, *clock_);
                 auto report = ENTENTE_TRY(obs.Month(month));
                 Json all = dnsabuse::MonthToJson(report);
                 std::vector<Json> rows;
                 for (const auto& r : all["rows"])
                   if (r["scope"] == scope) rows.push_back(r);
                 dnsabuse::ReportDesk desk(*db_, *comms_, *directory_, *clock_);
                 AddOrgs(rows, ENTENTE_TRY(desk.DirectoryRouting()));
                 // The monthly table names the median time "median_ttm_days".
                 const std::string sort = p.sort == "median_ttm" ? "median_ttm_days" : p.sort;
                 Json out =
                     dnsabuse::SortAndPage(std::move(rows), sort, p.descending, p.offset, p.limit);
                 out["month"] = month;
                 out["days"] = all["days"];
                 out["scope"] = scope;
                 return JsonResponse(200, out);
               }});

  router_.Add(
      {"GET", "/api/v1/dns/months/{month}/report", Permission::kDnsRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"format"}));
         const std::string month = Param(ctx.req, "month");
         ENTENTE_CHECK(CheckMonth(month));
         std::string format;
         if (auto f = ctx.req.Query("format")) {
           if (*f != "html" && *f != "csv" && *f != "json")
             return Invalid("must be html, csv or json", "format");
           format = *f;
         } else {
           const std::string accept = ctx.req.Header("Accept");
           format = accept.find("text/csv") != std::string::npos    ? "csv"
                    : accept.find("text/html") != std::string::npos ? "html"
                                                                    : "json";
         }
         dnsabuse::Observatory obs(*db_, *clock_);
         auto report = ENTENTE_TRY(obs.Month(month));
         if (format == "json") return JsonResponse(200, dnsabuse::MonthToJson(report));
         http::Response res;
         res.content_type =
             format == "csv" ? "text/csv; charset=utf-8" : "text/html; charset=utf-8";
         res.body = format == "csv" ? dnsabuse::MonthToCsv(report) : dnsabuse::MonthToHtml(report);
         res.headers.emplace("Content-Disposition",
                             fmt::format("inline; filename=\"dns-abuse-{}.{}\"", month, format));
         return res;
       }});

  router_.Add({"GET", "/api/v1/dns/trends", Permission::kDnsRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"scope", "key", "from", "to"}));
                 const std::string scope = ENTENTE_TRY(ScopeOf(ctx.req, true));
                 std::vector<std::string> keys;
                 for (const auto& [k, v] : ctx.req.query)
                   if (k == "key") keys.push_back(v);
                 auto from = ctx.req.Query("from"), to = ctx.req.Query("to");
                 if (!from) return Invalid("is required", "from");
                 if (!to) return Invalid("is required", "to");
                 return JsonResponse(200,
                                     ENTENTE_TRY(dnsabuse::Trend(*db_, scope, keys, *from, *to)));
               }});

  router_.Add(
      {"GET", "/api/v1/dns/reports", Permission::kDnsRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"box", "status", "domain", "cursor", "limit"}));
         dnsabuse::ReportQuery q;
         q.box = ctx.req.Query("box").value_or("");
         q.status = ctx.req.Query("status").value_or("");
         if (!q.status.empty() && q.status != "filed" && q.status != "sent" &&
             q.status != "acknowledged" && q.status != "mitigated" && q.status != "declined" &&
             q.status != "closed")
           return Invalid("is not a report status", "status");
         q.domain = ctx.req.Query("domain").value_or("");
         q.after = ctx.req.Query("cursor").value_or("");
         if (!q.after.empty() && !IsUuid(q.after)) return Invalid("is not a cursor", "cursor");
         q.limit = static_cast<int>(ENTENTE_TRY(QueryUint(ctx.req, "limit", 1, 200)).value_or(50));
         dnsabuse::ReportDesk desk(*db_, *comms_, *directory_, *clock_);
         // The registrars' answers, read from the comms workflow first.
         ENTENTE_TRY(desk.Sync());
         auto page = ENTENTE_TRY(desk.List(ViewerOf(ctx), q));
         Json items = Json::array();
         for (const auto& r : page.items) items.push_back(r.ToJson());
         return JsonResponse(
             200, {{"items", items}, {"next", page.next.empty() ? Json() : Json(page.next)}});
       }});

  router_.Add({"POST", "/api/v1/dns/reports", Permission::kDnsWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 if (!body.is_object()) return Invalid("must be a JSON object", "body");
                 const directory::Actor actor{ctx.principal->user_id, ctx.principal->org_id};
                 dnsabuse::ReportDesk desk(*db_, *comms_, *directory_, *clock_);
                 dnsabuse::ReportRecord r;
                 if (body.contains("from_observatory")) {
                   // {from_observatory: true, domain, screenshot_sha256?}
                   schema::ObjectReader rd(body, "");
                   auto flag = ENTENTE_TRY(rd.OptBool("from_observatory"));
                   if (!flag || !*flag)
                     return Invalid("must be true when present", "from_observatory");
                   const std::string domain = ENTENTE_TRY(rd.String("domain", {.max = 253}));
                   auto shot = ENTENTE_TRY(rd.OptString("screenshot_sha256", {.max = 64}));
                   ENTENTE_CHECK(rd.Finish());
                   r = ENTENTE_TRY(desk.FileFromObservatory(actor, domain, shot.value_or("")));
                 } else {
                   r = ENTENTE_TRY(desk.FileByHand(actor, body));
                 }
                 return JsonResponse(201, r.ToJson());
               }});

  router_.Add({"GET", "/api/v1/dns/reports/{id}", Permission::kDnsRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 dnsabuse::ReportDesk desk(*db_, *comms_, *directory_, *clock_);
                 ENTENTE_TRY(desk.Sync());
                 auto r = ENTENTE_TRY(desk.Get(ViewerOf(ctx), Param(ctx.req, "id")));
                 auto timeline = ENTENTE_TRY(desk.Timeline(ViewerOf(ctx), r));
                 Json j = r.ToJson();
                 Json t = Json::array();
                 for (const auto& e : timeline) t.push_back(e.ToJson());
                 j["timeline"] = t;
                 return JsonResponse(200, j);
               }});

  router_.Add({"POST", "/api/v1/dns/reports/{id}/route", Permission::kDnsWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "id"));
                 Json body = ENTENTE_TRY(OptionalObject(ctx.req));
                 schema::ObjectReader rd(body, "");
                 dnsabuse::RouteOptions opt;
                 opt.escalate = ENTENTE_TRY(rd.OptBool("escalate")).value_or(false);
                 opt.registry_org =
                     ENTENTE_TRY(rd.OptString("registry_org", {.max = 36})).value_or("");
                 if (!opt.registry_org.empty() && !IsUuid(opt.registry_org))
                   return Invalid("must be an organisation id", "registry_org");
                 opt.urgency =
                     ENTENTE_TRY(rd.OptString("urgency", {.max = 16})).value_or("priority");
                 ENTENTE_CHECK(rd.Finish());
                 const directory::Actor actor{ctx.principal->user_id, ctx.principal->org_id};
                 dnsabuse::ReportDesk desk(*db_, *comms_, *directory_, *clock_);
                 auto r = ENTENTE_TRY(desk.Route(actor, Param(ctx.req, "id"), opt));
                 return JsonResponse(200, r.ToJson());
               }});
}

}  // namespace entente::api
