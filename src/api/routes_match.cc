// Routes of matching and feeds (docs/matching.md).
//
// Both use the indicators the caller's organisation may read (intel/access.h)
// through the per-organisation index of match/feeds.h:
//   POST /api/v1/match               a batch of values, answered value by value
//   GET  /api/v1/feeds/{format}      rpz, zeek, csv: the file; misp, suricata:
//                                    the list of their files
//   GET  /api/v1/feeds/{format}/{file}  one file of misp (manifest.json,
//                                    <uuid>.json, hashes.csv) or suricata
// Feeds carry a strong ETag (SHA-256 of the content) and answer
// If-None-Match with 304; `Cache-Control: private, no-cache` (per
// organisation, revalidate every time). Machines that cannot log in use an
// API token (Authorization: Bearer) with the read scope.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "api/node.h"
#include "api/route_helpers.h"
#include "intel/sighting.h"
#include "match/batch.h"
#include "match/feeds.h"

namespace entente::api {

using auth::Permission;

namespace {

constexpr const char* kFeedCacheControl = "private, no-cache";

// RFC 9110 13.1.2: If-None-Match uses the weak comparison; "*" matches any.
bool NoneMatch(const http::Request& req, const std::string& etag) {
  std::string h = req.Header("If-None-Match");
  if (h.empty()) return false;
  std::string_view rest = h;
  auto strip = [](std::string_view t) {
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.starts_with("W/")) t.remove_prefix(2);
    return t;
  };
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view tag = strip(rest.substr(0, comma));
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

http::Response FileResponse(const http::Request& req, const match::FeedFile& f,
                            const std::string& name) {
  http::Response r;
  r.headers.emplace("ETag", f.etag);
  r.headers.emplace("Cache-Control", kFeedCacheControl);
  if (NoneMatch(req, f.etag)) {
    r.status = 304;
    r.content_type = f.content_type;
    return r;
  }
  r.content_type = f.content_type;
  r.body = f.body;
  r.headers.emplace("Content-Disposition", "inline; filename=\"" + name + "\"");
  return r;
}

Json StatsJson(const match::ExportStats& st) {
  return {{"written", st.written},
          {"excluded", st.excluded},
          {"invalid", st.invalid},
          {"unsupported", st.unsupported},
          {"duplicates", st.duplicates}};
}

}  // namespace

// Reports one sighting per indicator hit (count: the values of the batch
// that hit it), distributed like the indicator: in its community when the
// organisation is an active member of it (otherwise to the organisation
// alone), with the indicator's TLP.
Result<Json> Node::ReportHits(const match::SourceSnapshot& snap,
                              const std::map<std::string, std::uint64_t>& counts) {
  std::map<std::string_view, const match::Indicator*> by_id;
  for (const auto& i : snap.indicators) by_id.emplace(i.id, &i);
  std::string now = FormatRfc3339(clock_->NowMillis());
  std::vector<intel::SightingInput> inputs;
  for (const auto& [id, count] : counts) {
    const match::Indicator& i = *by_id.at(id);
    intel::SightingInput in;
    in.indicator_id = id;
    in.count = static_cast<std::int64_t>(
        std::min<std::uint64_t>(count, static_cast<std::uint64_t>(intel::kMaxSightingCount)));
    in.first_seen = in.last_seen = now;
    if (std::binary_search(snap.key.communities.begin(), snap.key.communities.end(), i.community))
      in.community_id = i.community;
    in.tlp = std::string(match::TlpName(i.tlp));
    inputs.push_back(std::move(in));
  }
  intel::Reader reader{snap.org_id, snap.key.communities};
  intel::Sightings sightings(*db_, *clock_, *intel_);
  auto report = ENTENTE_TRY(sightings.ReportSightings(reader, snap.org_id, inputs));
  return Json{{"added", report.added},
              {"updated", report.updated},
              {"unchanged", report.unchanged},
              {"ids", report.ids}};
}

void Node::RegisterMatchRoutes() {
  router_.Add(
      {"POST", "/api/v1/match", Permission::kMatch, [this](Context& ctx) -> Result<http::Response> {
         std::string ct = ctx.req.Header("Content-Type");
         match::BatchRequest batch;
         if (ct.rfind("application/json", 0) == 0) {
           ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
           batch = ENTENTE_TRY(match::ParseBatchJson(ctx.req.body, opts_.match_batch_limit));
         } else if (ct.rfind("text/plain", 0) == 0) {
           ENTENTE_CHECK(OnlyQuery(ctx.req, {"report_sightings"}));
           if (auto v = ctx.req.Query("report_sightings")) {
             if (*v != "true" && *v != "false")
               return Invalid("must be true or false", "report_sightings");
             batch.report_sightings = *v == "true";
           }
           bool report = batch.report_sightings;
           batch = ENTENTE_TRY(match::ParseBatchText(ctx.req.body, opts_.match_batch_limit));
           batch.report_sightings = report;
         } else {
           return Invalid(
               "Content-Type must be application/json or text/plain (one value per line)", "body");
         }
         if (batch.report_sightings && !auth::Decide(ctx.principal, Permission::kIntelWrite))
           return Fail(ErrorCode::kPermissionDenied,
                       "report_sightings needs the intel.write permission", "report_sightings");
         auto snap = ENTENTE_TRY(feeds_->source().For(ctx.principal->org_id));
         match::HitCounts counts;
         auto answer = match::AnswerBatch(batch, snap->index, clock_->NowMillis(), &counts);
         answer["index"] = {{"indicators", snap->index->size()},
                            {"built_at", FormatRfc3339(snap->built_at)}};
         if (batch.report_sightings && !counts.empty())
           answer["sightings"] = ENTENTE_TRY(ReportHits(*snap, counts));
         http::Response r;
         r.body = answer.dump();
         return r;
       }});

  router_.Add({"GET", "/api/v1/feeds/{format}", Permission::kMatch,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 std::string format = Param(ctx.req, "format");
                 if (!match::IsFeedFormat(format))
                   return Fail(ErrorCode::kNotFound,
                               "no such feed (rpz, misp, suricata, zeek, csv)");
                 auto feed = ENTENTE_TRY(feeds_->Get(ctx.principal->org_id, format));
                 if (format == "misp" || format == "suricata") {
                   Json files = Json::array();
                   for (const auto& [name, f] : feed->files)
                     files.push_back({{"name", name},
                                      {"url", fmt::format("/api/v1/feeds/{}/{}", format, name)},
                                      {"etag", f.etag},
                                      {"bytes", f.body.size()}});
                   return JsonResponse(200, {{"format", format},
                                             {"stamp", FormatRfc3339(feed->stamp)},
                                             {"stats", StatsJson(feed->stats)},
                                             {"files", files}});
                 }
                 const auto& [name, file] = *feed->files.begin();
                 return FileResponse(ctx.req, file, name);
               }});

  router_.Add({"GET", "/api/v1/feeds/{format}/{file}", Permission::kMatch,
               [this](Context& ctx) -> Result<http::Response> {
                 ENTENTE_CHECK(OnlyQuery(ctx.req, {}));
                 std::string format = Param(ctx.req, "format");
                 std::string name = Param(ctx.req, "file");
                 if (!match::IsFeedFormat(format))
                   return Fail(ErrorCode::kNotFound, "no such feed");
                 auto feed = ENTENTE_TRY(feeds_->Get(ctx.principal->org_id, format));
                 auto it = feed->files.find(name);
                 if (it == feed->files.end())
                   return Fail(ErrorCode::kNotFound, "no such file in this feed");
                 return FileResponse(ctx.req, it->second, name);
               }});
}

}  // namespace entente::api
