// Routes of the verifiable record (docs/transparency.md): signed tree heads,
// inclusion and consistency proofs, leaves and receipts. Hashes are hex;
// tree sizes and leaf indices are decimal query parameters, validated
// strictly (unknown, repeated, non-numeric or out-of-range values are 422).
#include <algorithm>

#include "api/node.h"
#include "api/route_helpers.h"
#include "crypto/crypto.h"
#include "journal/envelope.h"
#include "transparency/log.h"

namespace entente::api {

using auth::Permission;

namespace {

constexpr std::uint64_t kMaxTreeSize = transparency::kMaxJsonInteger;
constexpr std::uint64_t kMaxLeavesPerRequest = 1000;

Json HashList(const std::vector<transparency::Hash>& hashes) {
  Json a = Json::array();
  for (const auto& h : hashes) a.push_back(transparency::HashHex(h));
  return a;
}

Result<std::uint64_t> Required(std::optional<std::uint64_t> v, const char* name) {
  if (!v) return Invalid("is required", name);
  return *v;
}

// Whether `who` may read an envelope, by its distribution: directory and
// public envelopes are for every member; restricted ones for the author and
// the organisations named (communities: with the communities module).
// Operators see the whole journal, as `entente log receipt` does.
bool MayRead(const auth::Principal& who, const journal::Envelope& env) {
  if (who.is_operator || who.org_id == env.author_org) return true;
  switch (env.distribution.kind) {
    case journal::DistributionKind::kPublic:
    case journal::DistributionKind::kFederation:
      return true;
    case journal::DistributionKind::kOrgs:
      return std::find(env.distribution.orgs.begin(), env.distribution.orgs.end(), who.org_id) !=
             env.distribution.orgs.end();
    case journal::DistributionKind::kOrg:
    case journal::DistributionKind::kCommunity:
      return false;
  }
  return false;
}

}  // namespace

void Node::RegisterLogRoutes() {
  router_.Add({"GET", "/api/v1/log/sth", Permission::kPublic,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 auto issued = ENTENTE_TRY(log_->Issue(transparency::IssuePolicy::kIfGrown));
                 return JsonResponse(200, issued.sth.ToJson());
               }});
  router_.Add({"POST", "/api/v1/log/sth", Permission::kNodeAdmin,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 if (!ctx.req.body.empty()) {
                   Json body = ENTENTE_TRY(ParseBody(ctx.req));
                   if (!body.is_object() || !body.empty())
                     return Invalid("takes no members: send {} or nothing", "body");
                 }
                 auto issued = ENTENTE_TRY(log_->Issue(transparency::IssuePolicy::kAlways));
                 return JsonResponse(201, issued.sth.ToJson());
               }});
  router_.Add(
      {"GET", "/api/v1/log/proof/inclusion", Permission::kDirectoryRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"envelope_id", "leaf_index", "tree_size"}));
         auto envelope_id = ctx.req.Query("envelope_id");
         auto leaf_index = ENTENTE_TRY(QueryUint(ctx.req, "leaf_index", 0, kMaxTreeSize - 1));
         auto tree_size = ENTENTE_TRY(QueryUint(ctx.req, "tree_size", 1, kMaxTreeSize));
         if (envelope_id.has_value() == leaf_index.has_value())
           return Invalid("give exactly one of envelope_id and leaf_index", "envelope_id");
         if (envelope_id && (ctx.req.query.count("envelope_id") > 1 || !IsUuid(*envelope_id)))
           return Invalid("must be one envelope id (a UUID)", "envelope_id");
         Json out = Json::object();
         if (!tree_size) {
           // Against the latest tree head, which covers every logged envelope.
           auto sth = ENTENTE_TRY(log_->Issue(transparency::IssuePolicy::kIfGrown)).sth;
           tree_size = sth.tree_size;
           out["sth"] = sth.ToJson();
         }
         std::uint64_t index = envelope_id ? ENTENTE_TRY(log_->LeafOf(*envelope_id)) : *leaf_index;
         auto a = ENTENTE_TRY(log_->InclusionProof(index, *tree_size));
         out["leaf_index"] = a.leaf_index;
         out["tree_size"] = a.tree_size;
         out["leaf_hash"] = transparency::HashHex(a.leaf_hash);
         out["proof"] = HashList(a.proof);
         if (envelope_id) out["envelope_id"] = *envelope_id;
         return JsonResponse(200, out);
       }});
  router_.Add({"GET", "/api/v1/log/proof/consistency", Permission::kPublic,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"first", "second"}));
                 std::uint64_t first = ENTENTE_TRY(
                     Required(ENTENTE_TRY(QueryUint(ctx.req, "first", 1, kMaxTreeSize)), "first"));
                 std::uint64_t second = ENTENTE_TRY(Required(
                     ENTENTE_TRY(QueryUint(ctx.req, "second", 1, kMaxTreeSize)), "second"));
                 auto proof = ENTENTE_TRY(log_->ConsistencyProof(first, second));
                 return JsonResponse(
                     200, {{"first", first}, {"second", second}, {"proof", HashList(proof)}});
               }});
  router_.Add(
      {"GET", "/api/v1/log/leaves", Permission::kDirectoryRead,
       [this](Context& ctx) -> Result<http::Response> {
         ENTENTE_CHECK(OnlyQuery(ctx.req, {"start", "end"}));
         std::uint64_t start = ENTENTE_TRY(
             Required(ENTENTE_TRY(QueryUint(ctx.req, "start", 0, kMaxTreeSize - 1)), "start"));
         std::uint64_t end =
             ENTENTE_TRY(Required(ENTENTE_TRY(QueryUint(ctx.req, "end", 1, kMaxTreeSize)), "end"));
         if (end <= start) return Invalid("must be greater than start", "end");
         if (end - start > kMaxLeavesPerRequest)
           return Invalid("at most 1000 leaves per request (end - start)", "end");
         std::uint64_t size = ENTENTE_TRY(log_->Size());
         end = std::max(start, std::min(end, size));
         Json leaves = Json::array();
         for (const auto& l : ENTENTE_TRY(log_->Leaves(start, end)))
           leaves.push_back({{"leaf_index", l.leaf_index},
                             {"leaf_hash", transparency::HashHex(l.leaf_hash)},
                             {"envelope_id", l.envelope_id}});
         return JsonResponse(
             200, {{"tree_size", size}, {"start", start}, {"end", end}, {"leaves", leaves}});
       }});
  router_.Add({"GET", "/api/v1/log/receipt/{envelope_id}", Permission::kDirectoryRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 ENTENTE_CHECK(CheckUuidParam(ctx.req, "envelope_id"));
                 std::string id = Param(ctx.req, "envelope_id");
                 auto entry = ENTENTE_TRY(journal_->ReadById(id));
                 // Envelopes the caller may not read do not exist for them.
                 if (!entry || !MayRead(*ctx.principal, entry->envelope))
                   return Fail(ErrorCode::kNotFound, "no such envelope");
                 auto receipt = ENTENTE_TRY(log_->MakeReceipt(id));
                 return JsonResponse(200, receipt.ToJson());
               }});
}

}  // namespace entente::api
