// Routes of sightings and correlation (docs/intel.md, intel/sighting.h,
// intel/correlation.h). Reads are made with the eyes of the caller's
// organisation (intel::LoadReader): an object it may not read is "no such
// object" (404); sightings and correlated objects it may not read are left
// out of lists and of counts.
#include <fmt/format.h>

#include "api/node.h"
#include "api/route_helpers.h"
#include "intel/access.h"
#include "intel/correlation.h"
#include "intel/sighting.h"

namespace entente::api {

using auth::Permission;

namespace {

constexpr std::uint64_t kMaxSightingsPerRequest = 1000;

bool IsStixIdParam(std::string_view id) {
  auto sep = id.find("--");
  if (sep == std::string_view::npos || sep < 1 || sep > 250) return false;
  for (char c : id.substr(0, sep))
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return IsUuid(id.substr(sep + 2));
}

}  // namespace

void Node::RegisterSightingRoutes() {
  router_.Add({"POST", "/api/v1/intel/sightings", Permission::kIntelWrite,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 Json body = ENTENTE_TRY(ParseBody(ctx.req));
                 if (!body.is_object()) return Invalid("must be an object", "body");
                 for (const auto& [k, v] : body.items())
                   if (k != "sightings") return Invalid("unknown member", k);
                 auto list = body.find("sightings");
                 if (list == body.end() || !list->is_array() || list->empty())
                   return Invalid("must be a non-empty array", "sightings");
                 if (list->size() > kMaxSightingsPerRequest)
                   return Fail(
                       ErrorCode::kResourceExhausted,
                       fmt::format("at most {} sightings per request", kMaxSightingsPerRequest),
                       "sightings");
                 std::vector<intel::SightingInput> inputs;
                 inputs.reserve(list->size());
                 for (size_t i = 0; i < list->size(); ++i)
                   inputs.push_back(ENTENTE_TRY(
                       intel::SightingInputFromJson((*list)[i], fmt::format("sightings/{}", i))));
                 auto reader = ENTENTE_TRY(intel::LoadReader(*db_, ctx.principal->org_id));
                 intel::Sightings sightings(*db_, *clock_, *intel_);
                 auto report =
                     ENTENTE_TRY(sightings.ReportSightings(reader, ctx.principal->org_id, inputs));
                 return JsonResponse(200, Json{{"added", report.added},
                                               {"updated", report.updated},
                                               {"unchanged", report.unchanged},
                                               {"ids", report.ids}});
               }});

  router_.Add({"GET", "/api/v1/intel/objects/{id}/sightings", Permission::kIntelRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"limit"}));
                 std::string id = Param(ctx.req, "id");
                 if (!IsStixIdParam(id)) return Fail(ErrorCode::kNotFound, "no such object");
                 size_t limit = ENTENTE_TRY(QueryUint(ctx.req, "limit", 1, 200)).value_or(50);
                 auto reader = ENTENTE_TRY(intel::LoadReader(*db_, ctx.principal->org_id));
                 intel::Sightings sightings(*db_, *clock_, *intel_);
                 auto list = ENTENTE_TRY(sightings.ListFor(reader, id, limit));
                 return JsonResponse(200, intel::SightingListJson(list));
               }});

  router_.Add({"GET", "/api/v1/intel/objects/{id}/correlations", Permission::kIntelRead,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {"limit"}));
                 std::string id = Param(ctx.req, "id");
                 if (!IsStixIdParam(id)) return Fail(ErrorCode::kNotFound, "no such object");
                 intel::CorrelationOptions options;
                 options.limit = ENTENTE_TRY(QueryUint(ctx.req, "limit", 1, 100)).value_or(20);
                 auto reader = ENTENTE_TRY(intel::LoadReader(*db_, ctx.principal->org_id));
                 auto groups = ENTENTE_TRY(intel::Correlate(*db_, reader, id, options));
                 return JsonResponse(200, Json{{"items", intel::CorrelationsJson(groups)},
                                               {"scan_limit", options.scan_limit}});
               }});
}

}  // namespace entente::api
