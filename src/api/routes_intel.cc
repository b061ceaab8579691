// Routes of threat intelligence and communities of trust (docs/intel.md).
//
// Every read is made with the eyes of the caller's organisation
// (intel::LoadReader): the access rule of intel/access.h is applied in SQL,
// so lists, single objects, relationships and exports show only what the
// organisation may read, and anything else is "no such object" (404), never
// 403. A community the organisation is not in is "no such community" (404).
// Node operators get no special right here: they read as their organisation.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "api/node.h"
#include "api/route_helpers.h"
#include "intel/access.h"

namespace entente::api {

using auth::Permission;

namespace {

constexpr std::uint64_t kMaxPage = 200;
constexpr std::uint64_t kMaxSeq =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

intel::CommunityActor ActorOf(const Context& ctx) {
  return {ctx.principal->user_id, ctx.principal->org_id};
}

Result<std::string> CommunityParam(const http::Request& req) {
  ENTENTE_CHECK(CheckUuidParam(req, "id"));
  return Param(req, "id");
}

Result<std::string> OrgParam(const http::Request& req) {
  if (!IsUuid(req.path_params.at("org")))
    return Fail(ErrorCode::kNotFound, "no such organisation", "org");
  return Param(req, "org");
}

// "true" / "false" only; nullopt when absent.
Result<std::optional<bool>> QueryBool(const http::Request& req, const std::string& name) {
  auto v = req.Query(name);
  if (!v) return std::optional<bool>{};
  if (req.query.count(name) > 1) return Invalid("must be given once", name);
  if (*v == "true") return std::optional<bool>(true);
  if (*v == "false") return std::optional<bool>(false);
  return Invalid("must be true or false", name);
}

std::vector<std::string> QueryAll(const http::Request& req, const std::string& name) {
  std::vector<std::string> out;
  auto [b, e] = req.query.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

Result<std::vector<std::string>> TypesParam(const http::Request& req) {
  auto types = QueryAll(req, "type");
  if (types.size() > 20) return Invalid("at most 20 types", "type");
  for (const auto& t : types) {
    bool ok = t.size() >= 3 && t.size() <= 250;
    for (char c : t) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (!ok) return Invalid("must be a STIX type (a-z, 0-9, -)", "type");
  }
  return types;
}

Result<std::vector<std::string>> TlpsParam(const http::Request& req) {
  static const std::set<std::string> kTlps = {"clear",        "green", "amber",
                                              "amber+strict", "red",   "none"};
  auto tlps = QueryAll(req, "tlp");
  for (const auto& t : tlps)
    if (!kTlps.contains(t))
      return Invalid("must be clear, green, amber, amber+strict, red or none", "tlp");
  return tlps;
}

Result<std::optional<std::string>> CommunityQuery(Node& node, const http::Request& req,
                                                  const intel::Reader& reader) {
  auto c = req.Query("community");
  if (!c) return std::optional<std::string>{};
  if (req.query.count("community") > 1) return Invalid("must be given once", "community");
  // A community the organisation is not an active member of does not exist for it.
  if (!IsUuid(*c) || std::find(reader.community_ids.begin(), reader.community_ids.end(), *c) ==
                         reader.community_ids.end()) {
    (void)node;
    return Fail(ErrorCode::kNotFound, "no such community", "community");
  }
  return std::optional<std::string>(*c);
}

bool IsStixId(std::string_view id) {
  auto sep = id.find("--");
  if (sep == std::string_view::npos || sep < 1 || sep > 250) return false;
  for (char c : id.substr(0, sep))
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return IsUuid(id.substr(sep + 2));
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A string as it appears inside canonical JSON (without the quotes).
std::string JsonEscaped(const std::string& s) {
  std::string d = Json(s).dump();
  return d.substr(1, d.size() - 2);
}

Json Summary(const intel::StoredObject& o, const Json& content) {
  Json j = {{"id", o.id},
            {"type", o.type},
            {"version", o.modified},
            {"tlp", o.tlp ? Json(*o.tlp) : Json(nullptr)},
            {"community", o.community_id.empty() ? Json(nullptr) : Json(o.community_id)},
            {"owner_org", o.owner_org},
            {"revoked", o.revoked},
            {"latest", o.latest},
            {"added_at", o.added_at}};
  for (const char* key : {"name", "pattern", "value", "labels", "relationship_type", "source_ref",
                          "target_ref", "created_by_ref"})
    if (content.is_object() && content.contains(key)) j[key] = content[key];
  return j;
}

struct Search {
  std::string label, q;
};

bool Matches(const Json& content, const Search& s) {
  if (!s.label.empty()) {
    auto it = content.find("labels");
    if (it == content.end() || !it->is_array()) return false;
    bool found = false;
    for (const auto& l : *it) found = found || (l.is_string() && l.get<std::string>() == s.label);
    if (!found) return false;
  }
  if (!s.q.empty()) {
    std::string q = AsciiLower(s.q);
    bool found = false;
    for (const char* key : {"id", "name", "pattern", "value"}) {
      auto it = content.find(key);
      if (it != content.end() && it->is_string() &&
          AsciiLower(it->get<std::string>()).find(q) != std::string::npos)
        found = true;
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

void Node::RegisterIntelRoutes() {
  // ---- communities of trust
  router_.Add({"GET", "/api/v1/communities", Permission::kIntelRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json items = Json::array();
                 for (const auto& c : ENTENTE_TRY(communities_->ListFor(ctx.principal->org_id))) {
                   Json j = c.ToJson();
                   j.erase("members");
                   items.push_back(std::move(j));
                 }
                 return JsonResponse(200, {{"items", items}});
               }});
  router_.Add({"POST", "/api/v1/communities", Permission::kCommunityManage,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 auto c = ENTENTE_TRY(communities_->Create(ActorOf(ctx), body));
                 return JsonResponse(201, c.ToJson());
               }});
  router_.Add({"GET", "/api/v1/communities/{id}", Permission::kIntelRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 std::string id = ENTENTE_TRY(CommunityParam(ctx.req));
                 return JsonResponse(
                     200, ENTENTE_TRY(communities_->Get(ctx.principal->org_id, id)).ToJson());
               }});
  router_.Add({"POST", "/api/v1/communities/{id}/invitations", Permission::kCommunityManage,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 std::string id = ENTENTE_TRY(CommunityParam(ctx.req));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 if (!body.is_object()) return Invalid("must be an object", "body");
                 for (const auto& [k, v] : body.items())
                   if (k != "org") return Invalid("unknown member", k);
                 if (!body.contains("org") || !body["org"].is_string())
                   return Invalid("is required (an organisation id)", "org");
                 std::string org = body["org"].get<std::string>();
                 if (!IsUuid(org)) return Invalid("is not an organisation id", "org");
                 auto c = ENTENTE_TRY(communities_->Invite(ActorOf(ctx), id, org));
                 return JsonResponse(201, c.ToJson());
               }});
  router_.Add({"POST", "/api/v1/communities/{id}/invitations/{org}/vouch",
               Permission::kCommunityManage, [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 std::string id = ENTENTE_TRY(CommunityParam(ctx.req));
                 std::string org = ENTENTE_TRY(OrgParam(ctx.req));
                 return JsonResponse(
                     200, ENTENTE_TRY(communities_->Vouch(ActorOf(ctx), id, org)).ToJson());
               }});
  router_.Add({"POST", "/api/v1/communities/{id}/leave", Permission::kCommunityManage,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 std::string id = ENTENTE_TRY(CommunityParam(ctx.req));
                 return JsonResponse(200,
                                     ENTENTE_TRY(communities_->Leave(ActorOf(ctx), id)).ToJson());
               }});
  router_.Add({"POST", "/api/v1/communities/{id}/members/{org}/remove",
               Permission::kCommunityManage, [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 std::string id = ENTENTE_TRY(CommunityParam(ctx.req));
                 std::string org = ENTENTE_TRY(OrgParam(ctx.req));
                 return JsonResponse(
                     200, ENTENTE_TRY(communities_->VoteRemove(ActorOf(ctx), id, org)).ToJson());
               }});

  // ---- intelligence
  router_.Add(
      {"POST", "/api/v1/intel/bundles", Permission::kIntelWrite,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"community", "partial", "interop"}));
         std::string ct = ctx.req.Header("Content-Type");
         if (ct.rfind("application/json", 0) != 0 && ct.rfind("application/stix+json", 0) != 0)
           return Invalid("Content-Type must be application/json or application/stix+json", "body");
         intel::ImportOptions options;
         options.owner_org = ctx.principal->org_id;
         options.partial = ENTENTE_TRY(QueryBool(ctx.req, "partial")).value_or(false);
         options.validation.interop_profile =
             ENTENTE_TRY(QueryBool(ctx.req, "interop")).value_or(false);
         // Uploads through the API: the HTTP body limit, at most 10,000
         // objects (larger bundles: the CLI or TAXII).
         options.limits.max_bytes = ctx.req.body.size() + 1;
         options.limits.max_objects = 10'000;
         if (auto c = ctx.req.Query("community")) {
           if (ctx.req.query.count("community") > 1)
             return Invalid("must be given once", "community");
           if (!IsUuid(*c) || !ENTENTE_TRY(communities_->IsActiveMember(*c, ctx.principal->org_id)))
             return Fail(ErrorCode::kNotFound, "no such community", "community");
           options.community_id = *c;
           options.max_tlp = ENTENTE_TRY(communities_->CharterOf(*c)).max_tlp;
         }
         auto report = intel_->Import(ctx.req.body, options);
         if (!report) {
           Error e = report.error();
           if (!e.field.empty()) e.message += " (" + e.field + ")";
           e.field = "body";  // the bundle itself is unreadable: 400, or 413 beyond limits
           return std::unexpected(e);
         }
         Json out = intel::ImportReportJson(*report);
         if (report->stored) return JsonResponse(200, out);
         Json errors = Json::array();
         for (const auto& o : report->outcomes)
           if (o.fate == intel::Fate::kRejected)
             errors.push_back({{"path", o.path}, {"id", o.id}, {"reason", o.reason}});
         Json problem = {{"type", "urn:entente:problem:bundle_rejected"},
                         {"title", "Unprocessable Content"},
                         {"status", 422},
                         {"detail", fmt::format("{} of {} objects rejected; nothing was stored",
                                                report->rejected, report->total)},
                         {"instance", ctx.req.path},
                         {"errors", std::move(errors)},
                         {"report", std::move(out)}};
         http::Response r = JsonResponse(422, problem);
         r.content_type = "application/problem+json";
         return r;
       }});

  router_.Add({"GET", "/api/v1/intel/objects", Permission::kIntelRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"type", "tlp", "label", "q", "community",
                                                   "revoked", "after", "limit"}));
                 auto reader = ENTENTE_TRY(intel::LoadReader(*db_, ctx.principal->org_id));
                 intel::ObjectFilter f;
                 f.reader = &reader;
                 f.types = ENTENTE_TRY(TypesParam(ctx.req));
                 f.tlps = ENTENTE_TRY(TlpsParam(ctx.req));
                 f.community_id = ENTENTE_TRY(CommunityQuery(*this, ctx.req, reader));
                 f.include_revoked = ENTENTE_TRY(QueryBool(ctx.req, "revoked")).value_or(true);
                 f.after_seq = static_cast<std::int64_t>(
                     ENTENTE_TRY(QueryUint(ctx.req, "after", 0, kMaxSeq)).value_or(0));
                 size_t limit = ENTENTE_TRY(QueryUint(ctx.req, "limit", 1, kMaxPage)).value_or(50);
                 Search s;
                 if (auto l = ctx.req.Query("label")) {
                   if (l->empty() || l->size() > 200)
                     return Invalid("must be 1 to 200 characters", "label");
                   s.label = *l;
                   f.contains.push_back("\"" + JsonEscaped(s.label) + "\"");
                 }
                 if (auto q = ctx.req.Query("q")) {
                   if (q->empty() || q->size() > 200)
                     return Invalid("must be 1 to 200 characters", "q");
                   s.q = *q;
                   f.contains.push_back(JsonEscaped(s.q));
                 }
                 // The SQL selects what the reader may read (and a superset of the
                 // search); the search is refined here. Pages stay exact: the cursor
                 // is the position of the last object returned.
                 Json items = Json::array();
                 std::string next;
                 f.limit = 500;
                 for (;;) {
                   auto rows = ENTENTE_TRY(intel_->List(f));
                   for (const auto& o : rows) {
                     Json content = Json::parse(o.content);
                     if (!Matches(content, s)) continue;
                     items.push_back(Summary(o, content));
                     if (items.size() == limit) {
                       next = std::to_string(o.seq);
                       break;
                     }
                   }
                   if (!next.empty() || rows.size() < f.limit) break;
                   f.after_seq = rows.back().seq;
                 }
                 Json out = {{"items", items}};
                 out["next"] = next.empty() ? Json(nullptr) : Json(next);
                 return JsonResponse(200, out);
               }});

  router_.Add(
      {"GET", "/api/v1/intel/objects/{id}", Permission::kIntelRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
         std::string id = Param(ctx.req, "id");
         if (!IsStixId(id)) return Fail(ErrorCode::kNotFound, "no such object");
         auto reader = ENTENTE_TRY(intel::LoadReader(*db_, ctx.principal->org_id));
         intel::ObjectFilter f;
         f.reader = &reader;
         f.ids = {id};
         f.all_versions = true;
         auto versions = ENTENTE_TRY(intel_->List(f));
         if (versions.empty()) return Fail(ErrorCode::kNotFound, "no such object");
         // The newest version the reader may read.
         const intel::StoredObject* shown = &versions.front();
         for (const auto& v : versions)
           if (v.version > shown->version) shown = &v;
         for (const auto& v : versions)
           if (v.latest) shown = &v;
         Json content = Json::parse(shown->content);
         Json out = Summary(*shown, content);
         out["object"] = content;
         Json vs = Json::array();
         for (const auto& v : versions)
           vs.push_back({{"version", v.modified},
                         {"latest", v.latest},
                         {"revoked", v.revoked},
                         {"tlp", v.tlp ? Json(*v.tlp) : Json(nullptr)},
                         {"added_at", v.added_at}});
         out["versions"] = std::move(vs);
         // Relationships in and out that the reader may read, with the
         // other end when the reader may read it too.
         Json rel = {{"outgoing", Json::array()}, {"incoming", Json::array()}};
         std::vector<std::pair<std::string, Json>> found;  // direction, summary
         std::set<std::string> others;
         for (const char* side : {"source_ref", "target_ref"}) {
           intel::ObjectFilter rf;
           rf.reader = &reader;
           rf.types = {"relationship"};
           rf.contains = {fmt::format("\"{}\":\"{}\"", side, id)};
           rf.limit = 500;
           for (const auto& r : ENTENTE_TRY(intel_->List(rf))) {
             Json c = Json::parse(r.content);
             if (c.value(side, "") != id) continue;
             const char* other =
                 std::string_view(side) == "source_ref" ? "target_ref" : "source_ref";
             others.insert(c.value(other, ""));
             found.emplace_back(std::string_view(side) == "source_ref" ? "outgoing" : "incoming",
                                Summary(r, c));
           }
         }
         std::map<std::string, Json> ends;
         if (!others.empty()) {
           intel::ObjectFilter ef;
           ef.reader = &reader;
           ef.ids.assign(others.begin(), others.end());
           for (const auto& e : ENTENTE_TRY(intel_->List(ef))) {
             Json c = Json::parse(e.content);
             Json end = {{"id", e.id}, {"type", e.type}};
             if (c.contains("name")) end["name"] = c["name"];
             ends[e.id] = std::move(end);
           }
         }
         for (auto& [dir, summary] : found) {
           std::string other = summary.value(dir == "outgoing" ? "target_ref" : "source_ref", "");
           if (auto it = ends.find(other); it != ends.end()) summary["other"] = it->second;
           rel[dir].push_back(std::move(summary));
         }
         out["relationships"] = std::move(rel);
         return JsonResponse(200, out);
       }});

  router_.Add(
      {"GET", "/api/v1/intel/export", Permission::kIntelRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"type", "tlp", "community", "revoked", "all_versions"}));
         auto reader = ENTENTE_TRY(intel::LoadReader(*db_, ctx.principal->org_id));
         intel::ObjectFilter f;
         f.reader = &reader;
         f.types = ENTENTE_TRY(TypesParam(ctx.req));
         f.tlps = ENTENTE_TRY(TlpsParam(ctx.req));
         f.community_id = ENTENTE_TRY(CommunityQuery(*this, ctx.req, reader));
         f.include_revoked = ENTENTE_TRY(QueryBool(ctx.req, "revoked")).value_or(true);
         f.all_versions = ENTENTE_TRY(QueryBool(ctx.req, "all_versions")).value_or(false);
         http::Response r;
         r.content_type = "application/stix+json;version=2.1";
         r.body = ENTENTE_TRY(intel_->ExportBundle(f));
         return r;
       }});
}

}  // namespace entente::api
