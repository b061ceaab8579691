// Routes of federation (docs/federation.md).
//
// /federation/v1/* are called by peer nodes: no user session, every request
// signed by the calling node's key and accepted only from an ACTIVE peer
// (federation::Federation::Authenticate). /api/v1/federation/* manage peers
// and are for the node's operators.
#include <limits>

#include "api/node.h"
#include "api/route_helpers.h"

namespace entente::api {

using auth::Permission;

namespace {

Result<std::string> PeerParam(const http::Request& req) {
  std::string id = Param(req, "id");
  if (id.size() != 64) return Fail(ErrorCode::kNotFound, "no such peer");
  return id;
}

Result<std::string> RequiredString(const Json& body, const char* name, size_t max) {
  if (!body.contains(name)) return Invalid("is required", name);
  if (!body[name].is_string()) return Invalid("must be a string", name);
  std::string v = body[name].get<std::string>();
  if (v.empty() || v.size() > max)
    return Invalid("must be 1 to " + std::to_string(max) + " characters", name);
  return v;
}

}  // namespace

void Node::RegisterFederationRoutes() {
  // ---- node to node
  router_.Add(
      {"GET", "/federation/v1/feed", Permission::kPublic,
       [this](Context& ctx) -> Result<http::Response> {
         std::string peer = ENTENTE_TRY(federation_->Authenticate(ctx.req));
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"after", "limit", "relay_after"}));
         auto after = ENTENTE_TRY(
             QueryUint(ctx.req, "after", 0,
                       static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
         auto limit = ENTENTE_TRY(QueryUint(ctx.req, "limit", 1, federation::kMaxPageEntries));
         auto relay_after = ENTENTE_TRY(
             QueryUint(ctx.req, "relay_after", 0,
                       static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
         http::Response r;
         r.body =
             ENTENTE_TRY(federation_->Feed(peer, static_cast<std::int64_t>(after.value_or(0)),
                                           static_cast<int>(limit.value_or(500)),
                                           static_cast<std::int64_t>(relay_after.value_or(0))));
         return r;
       }});
  // A node that pinned this one introduces itself (signed by the key it
  // presents); recorded as pending until an operator here peers with it.
  router_.Add({"POST", "/federation/v1/introduce", Permission::kPublic,
               [this](Context& ctx) -> Result<http::Response> {
                 return JsonResponse(200, ENTENTE_TRY(federation_->Introduce(ctx.req)));
               }});
  router_.Add({"GET", "/federation/v1/consistency", Permission::kPublic,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_TRY(federation_->Authenticate(ctx.req));
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"first", "second"}));
                 auto first = ENTENTE_TRY(QueryUint(ctx.req, "first", 1, 1ull << 53));
                 auto second = ENTENTE_TRY(QueryUint(ctx.req, "second", 1, 1ull << 53));
                 if (!first) return Invalid("is required", "first");
                 if (!second) return Invalid("is required", "second");
                 return JsonResponse(200, ENTENTE_TRY(federation_->Consistency(*first, *second)));
               }});

  // ---- operators
  router_.Add({"GET", "/api/v1/federation/self", Permission::kNodeAdmin,
               [this](Context&) -> Result<http::Response> {
                 return JsonResponse(200, federation_->Self());
               }});
  router_.Add({"GET", "/api/v1/federation/introductions", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json items = Json::array();
                 for (const auto& x : ENTENTE_TRY(federation_->Introductions()))
                   items.push_back(x.ToJson());
                 return JsonResponse(200, {{"items", items}});
               }});
  router_.Add({"GET", "/api/v1/federation/peers", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json items = Json::array();
                 for (const auto& p : ENTENTE_TRY(federation_->ListPeers()))
                   items.push_back(p.ToJson());
                 return JsonResponse(200, {{"items", items}});
               }});
  router_.Add({"POST", "/api/v1/federation/peers", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 if (!body.is_object()) return Invalid("must be an object", "body");
                 for (const auto& [k, v] : body.items())
                   if (k != "url" && k != "fingerprint" && k != "relay")
                     return Invalid("unknown member", k);
                 std::string url = ENTENTE_TRY(RequiredString(body, "url", 512));
                 std::string fp = ENTENTE_TRY(RequiredString(body, "fingerprint", 128));
                 bool relay = false;
                 if (auto it = body.find("relay"); it != body.end()) {
                   if (!it->is_boolean()) return Invalid("must be true or false", "relay");
                   relay = it->get<bool>();
                 }
                 auto p = ENTENTE_TRY(federation_->AddPeer(url, fp));
                 if (relay) {
                   ENTENTE_CHECK(federation_->SetRelay(p.node_id, true));
                   p.relay = true;
                 }
                 return JsonResponse(201, p.ToJson());
               }});
  router_.Add({"GET", "/api/v1/federation/peers/{id}", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 std::string id = ENTENTE_TRY(PeerParam(ctx.req));
                 return JsonResponse(200, ENTENTE_TRY(federation_->GetPeer(id)).ToJson());
               }});
  auto set_state = [this](federation::PeerState state) {
    return [this, state](Context& ctx) -> Result<http::Response> {
      std::string id = ENTENTE_TRY(PeerParam(ctx.req));
      ENTENTE_CHECK(federation_->SetState(id, state));
      return JsonResponse(200, ENTENTE_TRY(federation_->GetPeer(id)).ToJson());
    };
  };
  router_.Add({"POST", "/api/v1/federation/peers/{id}/suspend", Permission::kNodeAdmin,
               set_state(federation::PeerState::kSuspended)});
  router_.Add({"POST", "/api/v1/federation/peers/{id}/resume", Permission::kNodeAdmin,
               set_state(federation::PeerState::kActive)});
  router_.Add({"DELETE", "/api/v1/federation/peers/{id}", Permission::kNodeAdmin,
               set_state(federation::PeerState::kRemoved)});
  router_.Add({"POST", "/api/v1/federation/peers/{id}/sync", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 std::string id = ENTENTE_TRY(PeerParam(ctx.req));
                 auto r = ENTENTE_TRY(federation_->Sync(id, 100));
                 return JsonResponse(200, r.ToJson());
               }});
  router_.Add({"GET", "/api/v1/federation/alerts", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json items = Json::array();
                 for (const auto& a : ENTENTE_TRY(federation_->Alerts()))
                   items.push_back(a.ToJson());
                 return JsonResponse(200, {{"items", items}});
               }});
}

}  // namespace entente::api
