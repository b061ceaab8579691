// Routes of the TAXII 2.1 server (OASIS "TAXII Version 2.1"; docs/intel.md,
// "TAXII 2.1").
//
// One API root, /taxii2/api1/; its collections are the reader's
// organisation's private collection and one per community of trust it is
// an active member of (taxii/store.h). Authentication is the node's: API
// tokens as "Authorization: Bearer TOKEN" or, for TAXII clients that only
// speak HTTP Basic (section 1.6.9), "Basic base64(ANY-USER:TOKEN)" on
// /taxii2/ paths only. Reading needs intel.read (analysts and above),
// adding and deleting intel.write. A collection the reader's organisation
// cannot see is "not found" (404), never "forbidden", so that an outsider
// learns nothing of it.
//
// Pagination (section 3.5): `next` is the opaque cursor of the last row of
// the page; it is given with every non-empty page, also when `more` is
// false, so that a client polls for later additions exactly (added_after
// compares whole milliseconds, which several objects can share).
//
// Every response, errors included, is application/taxii+json;version=2.1;
// errors are TAXII error messages (section 3.6.1: title, description,
// http_status), not the problem+json of the rest of the API (Node::Dispatch
// converts the errors of authentication and authorization with
// TaxiiErrorFromProblem).
#include <fmt/format.h>

#include "api/node.h"
#include "api/route_helpers.h"
#include "core/ids.h"
#include "intel/access.h"
#include "intel/repository.h"
#include "taxii/query.h"
#include "taxii/store.h"

namespace entente::api {

using auth::Permission;

namespace {

constexpr std::string_view kApiRoot = "/taxii2/api1/";
constexpr size_t kMaxContentLength = 1 << 20;  // the HTTP server's body limit (ServerOptions)

http::Response TaxiiJson(int status, const Json& body) {
  http::Response r;
  r.status = status;
  r.content_type = std::string(taxii::kTaxiiMediaType);
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

http::Response TaxiiError(int status, const std::string& description,
                          const std::string& code = "") {
  Json j = {{"title", http::StatusTitle(status)}, {"http_status", std::to_string(status)}};
  if (!description.empty()) j["description"] = description;
  if (!code.empty()) j["error_code"] = code;
  auto r = TaxiiJson(status, j);
  if (status == 401) r.headers.emplace("WWW-Authenticate", R"(Basic realm="entente TAXII")");
  return r;
}

// A malformed query parameter (section 3.4: 400).
http::Response BadQuery(const Error& e) {
  return TaxiiError(400, e.field.empty() ? e.message : e.field + ": " + e.message,
                    "invalid_argument");
}

http::Response NotAcceptable() {
  return TaxiiError(406,
                    "this endpoint answers application/taxii+json;version=2.1 only (section 1.6.8)",
                    "not_acceptable");
}

http::Response CollectionNotFound() {
  return TaxiiError(404, "no such collection, or your organisation cannot see it", "not_found");
}

void DateHeaders(http::Response& r, const std::vector<taxii::Entry>& entries) {
  if (entries.empty()) return;
  r.headers.emplace("X-TAXII-Date-Added-First", taxii::FormatTimestamp(entries.front().added_at));
  r.headers.emplace("X-TAXII-Date-Added-Last", taxii::FormatTimestamp(entries.back().added_at));
}

// The version of a stored row as TAXII reports it (sections 5.3.1, 5.8):
// modified (created for unversioned objects), or for objects with neither
// (cyber observables) the time it was added, which is stable on this server.
std::string VersionOf(const taxii::Entry& e) {
  return e.version.empty() ? taxii::FormatTimestamp(e.added_at) : e.version;
}

// The request's view: who reads, and the collection named in the path.
struct Scope {
  intel::Reader reader;
  std::string org_title;
};

}  // namespace

http::Response TaxiiErrorFromProblem(const http::Response& problem) {
  std::string description;
  std::string code;
  try {
    Json j = Json::parse(problem.body);
    description = j.value("detail", "");
    std::string type = j.value("type", "");
    if (auto colon = type.rfind(':'); colon != std::string::npos) code = type.substr(colon + 1);
  } catch (const std::exception&) {
  }
  http::Response r = TaxiiError(problem.status, description, code);
  for (const auto& [k, v] : problem.headers)
    if (r.headers.find(k) == r.headers.end()) r.headers.emplace(k, v);
  return r;
}

void Node::RegisterTaxiiRoutes() {
  auto scope = [this](const Context& ctx) -> Result<Scope> {
    Scope s;
    s.reader = ENTENTE_TRY(intel::LoadReader(*db_, ctx.principal->org_id));
    s.org_title = "Private collection";
    if (auto org = directory_->GetOrg(ctx.principal->org_id); org && !org->names.empty()) {
      auto en = org->names.find("en");
      s.org_title += " of " + (en != org->names.end() ? en->second : org->names.begin()->second);
    }
    return s;
  };
  auto collection_json = [](const taxii::Collection& c, const Context& ctx) {
    Json j = {{"id", c.id},
              {"title", c.title},
              {"can_read", auth::Decide(ctx.principal, Permission::kIntelRead)},
              {"can_write", auth::Decide(ctx.principal, Permission::kIntelWrite)},
              {"media_types", Json::array({std::string(taxii::kStixMediaType)})}};
    if (!c.description.empty()) j["description"] = c.description;
    return j;
  };
  auto store = [this] { return taxii::TaxiiStore(*db_, *clock_); };

  // ---- 4.1 Server Discovery
  router_.Add(
      {"GET", "/taxii2/", Permission::kIntelRead, [](Context& ctx) -> Result<http::Response> {
         if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), false)) return NotAcceptable();
         if (!ctx.req.query.empty())
           return TaxiiError(400, "this endpoint takes no query parameters");
         return TaxiiJson(200, {{"title", "Entente TAXII 2.1 server"},
                                {"description",
                                 "Threat intelligence of the communities of trust your "
                                 "organisation belongs to, with TLP enforced."},
                                {"default", std::string(kApiRoot)},
                                {"api_roots", Json::array({std::string(kApiRoot)})}});
       }});

  // ---- 4.2 API Root
  router_.Add(
      {"GET", "/taxii2/api1/", Permission::kIntelRead, [](Context& ctx) -> Result<http::Response> {
         if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), false)) return NotAcceptable();
         if (!ctx.req.query.empty())
           return TaxiiError(400, "this endpoint takes no query parameters");
         return TaxiiJson(200, {{"title", "Entente"},
                                {"description",
                                 "Collections: your organisation's private collection and one per "
                                 "community of trust it is a member of."},
                                {"versions", Json::array({std::string(taxii::kTaxiiMediaType)})},
                                {"max_content_length", kMaxContentLength}});
       }});

  // ---- 4.3 Get Status
  router_.Add({"GET", "/taxii2/api1/status/{status_id}/", Permission::kIntelRead,
               [store](Context& ctx) -> Result<http::Response> {
                 if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), false)) return NotAcceptable();
                 if (!ctx.req.query.empty())
                   return TaxiiError(400, "this endpoint takes no query parameters");
                 std::string id = Param(ctx.req, "status_id");
                 if (!IsUuid(id)) return TaxiiError(404, "no such status", "not_found");
                 auto body = ENTENTE_TRY(store().LoadStatus(id, ctx.principal->org_id));
                 if (!body) return TaxiiError(404, "no such status", "not_found");
                 http::Response r = TaxiiJson(200, Json::object());
                 r.body = *body;
                 return r;
               }});

  // ---- 5.1 Get Collections
  router_.Add({"GET", "/taxii2/api1/collections/", Permission::kIntelRead,
               [scope, store, collection_json](Context& ctx) -> Result<http::Response> {
                 if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), false)) return NotAcceptable();
                 if (!ctx.req.query.empty())
                   return TaxiiError(400, "this endpoint takes no query parameters");
                 Scope s = ENTENTE_TRY(scope(ctx));
                 Json list = Json::array();
                 for (const auto& c : ENTENTE_TRY(store().Collections(s.reader, s.org_title)))
                   list.push_back(collection_json(c, ctx));
                 Json body = Json::object();
                 if (!list.empty()) body["collections"] = list;
                 return TaxiiJson(200, body);
               }});

  // Resolves {id} to a collection the reader sees, or answers 404.
  auto find = [scope, store](Context& ctx, Scope& s) -> Result<std::optional<taxii::Collection>> {
    s = ENTENTE_TRY(scope(ctx));
    return store().FindCollection(s.reader, Param(ctx.req, "id"), s.org_title);
  };

  // ---- 5.2 Get a Collection
  router_.Add({"GET", "/taxii2/api1/collections/{id}/", Permission::kIntelRead,
               [find, collection_json](Context& ctx) -> Result<http::Response> {
                 if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), false)) return NotAcceptable();
                 if (!ctx.req.query.empty())
                   return TaxiiError(400, "this endpoint takes no query parameters");
                 Scope s;
                 auto c = ENTENTE_TRY(find(ctx, s));
                 if (!c) return CollectionNotFound();
                 return TaxiiJson(200, collection_json(*c, ctx));
               }});

  // ---- 5.3 Get Object Manifests
  router_.Add({"GET", "/taxii2/api1/collections/{id}/manifest/", Permission::kIntelRead,
               [find, store](Context& ctx) -> Result<http::Response> {
                 if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), true)) return NotAcceptable();
                 auto q = taxii::ParseQuery(ctx.req.query, taxii::Endpoint::kManifest);
                 if (!q) return BadQuery(q.error());
                 Scope s;
                 auto c = ENTENTE_TRY(find(ctx, s));
                 if (!c) return CollectionNotFound();
                 auto page = ENTENTE_TRY(store().Read(*c, s.reader, *q, std::nullopt, false));
                 Json body = Json::object();
                 if (page.more) body["more"] = true;
                 if (!page.entries.empty())
                   body["next"] = taxii::EncodeCursor(page.entries.back().seq);
                 if (!page.entries.empty()) {
                   Json list = Json::array();
                   for (const auto& e : page.entries)
                     list.push_back({{"id", e.id},
                                     {"date_added", taxii::FormatTimestamp(e.added_at)},
                                     {"version", VersionOf(e)},
                                     {"media_type", std::string(taxii::kStixMediaType)}});
                   body["objects"] = std::move(list);
                 }
                 auto r = TaxiiJson(200, body);
                 DateHeaders(r, page.entries);
                 return r;
               }});

  // An envelope (section 3.7) of stored objects, written without re-parsing them.
  auto envelope = [](const taxii::Page& page) {
    std::string out = "{";
    if (page.more) out += R"("more":true,)";
    if (!page.entries.empty()) {
      out +=
          fmt::format(R"("next":"{}","objects":[)", taxii::EncodeCursor(page.entries.back().seq));
      for (size_t i = 0; i < page.entries.size(); ++i) {
        if (i) out += ',';
        out += page.entries[i].content;
      }
      out += "]";
    }
    if (out.back() == ',') out.pop_back();
    out += "}";
    http::Response r;
    r.content_type = std::string(taxii::kTaxiiMediaType);
    r.body = std::move(out);
    DateHeaders(r, page.entries);
    return r;
  };

  // ---- 5.4 Get Objects
  router_.Add({"GET", "/taxii2/api1/collections/{id}/objects/", Permission::kIntelRead,
               [find, store, envelope](Context& ctx) -> Result<http::Response> {
                 if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), true)) return NotAcceptable();
                 auto q = taxii::ParseQuery(ctx.req.query, taxii::Endpoint::kObjects);
                 if (!q) return BadQuery(q.error());
                 Scope s;
                 auto c = ENTENTE_TRY(find(ctx, s));
                 if (!c) return CollectionNotFound();
                 return envelope(ENTENTE_TRY(store().Read(*c, s.reader, *q, std::nullopt, true)));
               }});

  // ---- 5.5 Add Objects
  router_.Add(
      {"POST", "/taxii2/api1/collections/{id}/objects/", Permission::kIntelWrite,
       [this, find, store](Context& ctx) -> Result<http::Response> {
         if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), false)) return NotAcceptable();
         if (!taxii::IsTaxiiContentType(ctx.req.Header("Content-Type")))
           return TaxiiError(415,
                             "the body must be a TAXII envelope sent as "
                             "Content-Type: application/taxii+json;version=2.1",
                             "unsupported_media_type");
         if (!ctx.req.query.empty())
           return TaxiiError(400, "this endpoint takes no query parameters");
         Scope s;
         auto c = ENTENTE_TRY(find(ctx, s));
         if (!c) return CollectionNotFound();
         if (ctx.req.body.size() > kMaxContentLength)
           return TaxiiError(413, "the body exceeds max_content_length of the API root",
                             "too_large");
         Millis now = clock_->NowMillis();
         // The envelope: {"objects": [...]} (and the optional more/next,
         // meaningless in a request).
         auto env = jcs::ParseUntrusted(ctx.req.body, {.max_bytes = kMaxContentLength,
                                                       .max_depth = 40,
                                                       .max_string_bytes = kMaxContentLength,
                                                       .max_elements = 200000});
         if (!env)
           return TaxiiError(422, "the body is not JSON: " + env.error().message, "invalid_json");
         if (!env->is_object())
           return TaxiiError(422, "the body must be a TAXII envelope (an object)",
                             "invalid_envelope");
         for (const auto& [k, v] : env->items())
           if (k != "objects" && k != "more" && k != "next")
             return TaxiiError(422, "unknown envelope property `" + k + "`", "invalid_envelope");
         auto objs = env->find("objects");
         if (objs == env->end() || !objs->is_array() || objs->empty())
           return TaxiiError(422, "the envelope must have a non-empty list `objects`",
                             "invalid_envelope");
         Json bundle = {{"type", "bundle"},
                        {"id", "bundle--" + intel::NewUuidV4()},
                        {"objects", std::move(*objs)}};
         intel::ImportOptions options;
         options.partial = true;  // 5.5: each object's fate in the status
         options.owner_org = ctx.principal->org_id;
         options.community_id = c->community_id;
         // The community's charter caps the TLP of what is shared in it.
         if (!c->IsPrivate())
           options.max_tlp = ENTENTE_TRY(communities_->CharterOf(c->community_id)).max_tlp;
         auto report = intel_->Import(bundle.dump(), options);
         if (!report) return TaxiiError(422, report.error().ToString(), "unprocessable_objects");
         Json successes = Json::array(), failures = Json::array();
         for (const auto& o : report->outcomes) {
           Json d = {{"id", o.id.empty() ? fmt::format("/objects/{}", o.index) : o.id},
                     {"version", o.version.empty() ? taxii::FormatTimestamp(now) : o.version}};
           switch (o.fate) {
             case intel::Fate::kAdded:
               successes.push_back(std::move(d));
               break;
             case intel::Fate::kUnchanged:
               d["message"] = "already stored, identical";
               successes.push_back(std::move(d));
               break;
             case intel::Fate::kIgnoredOlder:
               d["message"] = "not stored: a newer version of this object is stored";
               failures.push_back(std::move(d));
               break;
             case intel::Fate::kRejected:
               d["message"] = o.path.empty() ? o.reason : o.path + ": " + o.reason;
               failures.push_back(std::move(d));
               break;
           }
         }
         std::string status_id = intel::NewUuidV4();
         Json status = {{"id", status_id},
                        {"status", "complete"},
                        {"request_timestamp", taxii::FormatTimestamp(now)},
                        {"total_count", report->total},
                        {"success_count", successes.size()},
                        {"failure_count", failures.size()},
                        {"pending_count", 0}};
         if (!successes.empty()) status["successes"] = std::move(successes);
         if (!failures.empty()) status["failures"] = std::move(failures);
         std::string body = status.dump(-1, ' ', false, Json::error_handler_t::replace);
         ENTENTE_CHECK(store().SaveStatus(status_id, ctx.principal->org_id, c->id, body));
         http::Response r = TaxiiJson(202, Json::object());
         r.body = std::move(body);
         return r;
       }});

  auto object_id = [](const Context& ctx) -> std::optional<std::string> {
    std::string id = Param(ctx.req, "object_id");
    if (!intel::IsStixIdentifier(id)) return std::nullopt;
    return id;
  };

  // ---- 5.6 Get an Object
  router_.Add({"GET", "/taxii2/api1/collections/{id}/objects/{object_id}/", Permission::kIntelRead,
               [find, store, envelope, object_id](Context& ctx) -> Result<http::Response> {
                 if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), true)) return NotAcceptable();
                 auto q = taxii::ParseQuery(ctx.req.query, taxii::Endpoint::kObject);
                 if (!q) return BadQuery(q.error());
                 Scope s;
                 auto c = ENTENTE_TRY(find(ctx, s));
                 if (!c) return CollectionNotFound();
                 auto id = object_id(ctx);
                 if (!id || !ENTENTE_TRY(store().Exists(*c, s.reader, *id)))
                   return TaxiiError(404, "no such object in this collection", "not_found");
                 return envelope(ENTENTE_TRY(store().Read(*c, s.reader, *q, id, true)));
               }});

  // ---- 5.7 Delete an Object
  router_.Add(
      {"DELETE", "/taxii2/api1/collections/{id}/objects/{object_id}/", Permission::kIntelWrite,
       [this, find, store, object_id](Context& ctx) -> Result<http::Response> {
         if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), false)) return NotAcceptable();
         auto q = taxii::ParseQuery(ctx.req.query, taxii::Endpoint::kDelete);
         if (!q) return BadQuery(q.error());
         Scope s;
         auto c = ENTENTE_TRY(find(ctx, s));
         if (!c) return CollectionNotFound();
         auto id = object_id(ctx);
         if (!id) return TaxiiError(404, "no such object in this collection", "not_found");
         // The deletion is an envelope signed by the organisation, recorded
         // in the journal (and applied) in the deletion's transaction.
         const std::string org = ctx.principal->org_id;
         auto secret = ENTENTE_TRY(keys_->SigningSecret(org));
         auto record = [&](store::Tx& tx, const Json& body) -> Status {
           journal::Envelope env;
           env.type = std::string(taxii::kDeleteEnvelopeType);
           env.id = NewUuidV7(*clock_);
           env.origin_node = info_.id;
           env.author_org = org;
           env.created = clock_->NowMillis();
           env.tlp = "amber";
           if (c->IsPrivate()) {
             env.distribution.kind = journal::DistributionKind::kOrg;
           } else {
             env.distribution.kind = journal::DistributionKind::kCommunity;
             env.distribution.community = c->community_id;
           }
           env.body = body;
           ENTENTE_CHECK(journal::SignEnvelope(env, secret));
           ENTENTE_TRY(journal_->Record(tx, env, *id));
           return Ok();
         };
         switch (
             ENTENTE_TRY(store().Delete(*c, s.reader, *id, *q, ctx.principal->user_id, record))) {
           case taxii::DeleteResult::kNotFound:
             return TaxiiError(404, "no such object (or version) in this collection", "not_found");
           case taxii::DeleteResult::kNotOwner:
             return TaxiiError(403,
                               "only the organisation that added an object deletes it, and some "
                               "of the selected versions are not yours",
                               "not_owner");
           case taxii::DeleteResult::kDeleted:
             break;
         }
         http::Response r;
         r.content_type = std::string(taxii::kTaxiiMediaType);
         return r;
       }});

  // ---- 5.8 Get Object Versions
  router_.Add({"GET", "/taxii2/api1/collections/{id}/objects/{object_id}/versions/",
               Permission::kIntelRead,
               [find, store, object_id](Context& ctx) -> Result<http::Response> {
                 if (!taxii::AcceptsTaxii(ctx.req.Header("Accept"), true)) return NotAcceptable();
                 auto q = taxii::ParseQuery(ctx.req.query, taxii::Endpoint::kVersions);
                 if (!q) return BadQuery(q.error());
                 q->version.all = true;
                 Scope s;
                 auto c = ENTENTE_TRY(find(ctx, s));
                 if (!c) return CollectionNotFound();
                 auto id = object_id(ctx);
                 if (!id || !ENTENTE_TRY(store().Exists(*c, s.reader, *id)))
                   return TaxiiError(404, "no such object in this collection", "not_found");
                 auto page = ENTENTE_TRY(store().Read(*c, s.reader, *q, id, false));
                 Json body = Json::object();
                 if (page.more) body["more"] = true;
                 if (!page.entries.empty())
                   body["next"] = taxii::EncodeCursor(page.entries.back().seq);
                 if (!page.entries.empty()) {
                   Json list = Json::array();
                   for (const auto& e : page.entries) list.push_back(VersionOf(e));
                   body["versions"] = std::move(list);
                 }
                 auto r = TaxiiJson(200, body);
                 DateHeaders(r, page.entries);
                 return r;
               }});
}

}  // namespace entente::api
