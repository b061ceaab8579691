#include "match/feeds.h"

#include <fmt/format.h>

#include "crypto/crypto.h"

namespace entente::match {
namespace {

std::string ETagOf(std::string_view body) {
  auto d =
      crypto::Sha256(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  return "\"sha256-" + crypto::HexEncode(std::span(d.data(), 16)) + "\"";
}

std::string ContentType(std::string_view name) {
  if (name.ends_with(".json")) return "application/json";
  if (name.ends_with(".csv")) return "text/csv; charset=utf-8";
  return "text/plain; charset=utf-8";
}

bool SameFiles(const FeedSet& a, const FeedSet& b) {
  if (a.files.size() != b.files.size()) return false;
  for (auto ia = a.files.begin(), ib = b.files.begin(); ia != a.files.end(); ++ia, ++ib)
    if (ia->first != ib->first || ia->second.body != ib->second.body) return false;
  return true;
}

}  // namespace

bool IsFeedFormat(std::string_view f) {
  return f == "rpz" || f == "misp" || f == "suricata" || f == "zeek" || f == "csv";
}

Policy FeedPolicy(std::string_view format, Millis now) {
  Policy p;
  p.max_tlp = Tlp::kAmberStrict;
  p.max_pap = format == "rpz" ? Pap::kGreen : Pap::kAmber;
  p.now = now;
  return p;
}

Result<FeedSet> BuildFeed(std::string_view format, std::span<const Indicator> indicators,
                          Millis now, Millis stamp, const ExportOptions& base) {
  if (!IsFeedFormat(format))
    return Fail(ErrorCode::kNotFound,
                fmt::format("unknown feed '{}' (rpz, misp, suricata, zeek, csv)", format));
  // Filter at `now`; the exporters then see `stamp` as their time (RPZ
  // serial, MISP timestamps).
  Policy policy = FeedPolicy(format, now);
  std::vector<Indicator> in;
  FeedSet set;
  set.format = std::string(format);
  set.stamp = stamp;
  for (const auto& i : indicators) {
    bool valid =
        (i.valid_until == 0 || i.valid_until > now) && (i.valid_from == 0 || i.valid_from <= now);
    if (i.revoked || !valid || !policy.Allows(i)) {
      ++set.stats.excluded;
      continue;
    }
    in.push_back(i);
  }
  ExportOptions o = base;
  o.policy = policy;
  o.policy.now = stamp;
  o.serial = static_cast<std::uint32_t>(std::max<Millis>(stamp / 1000, 1));
  ExportStats st;
  std::map<std::string, std::string> files;
  if (format == "rpz") {
    files["entente.rpz"] = ENTENTE_TRY(ExportRpz(in, o, st));
  } else if (format == "zeek") {
    files["entente.intel"] = ENTENTE_TRY(ExportZeekIntel(in, o, st));
  } else if (format == "csv") {
    files["entente.csv"] = ENTENTE_TRY(ExportCsv(in, o, st));
  } else if (format == "misp") {
    files = ENTENTE_TRY(ExportMisp(in, o, st));
  } else {
    files = ENTENTE_TRY(ExportSuricata(in, o, st));
  }
  st.excluded += set.stats.excluded;
  set.stats = std::move(st);
  for (auto& [name, body] : files) {
    FeedFile f;
    f.content_type = ContentType(name);
    f.etag = ETagOf(body);
    f.body = std::move(body);
    set.files.emplace(name, std::move(f));
  }
  return set;
}

Result<std::shared_ptr<const FeedSet>> FeedService::Get(const std::string& org_id,
                                                        std::string_view format) {
  if (!IsFeedFormat(format))
    return Fail(ErrorCode::kNotFound,
                fmt::format("unknown feed '{}' (rpz, misp, suricata, zeek, csv)", format));
  auto snap = ENTENTE_TRY(source_.For(org_id));
  std::string key = org_id + "/" + std::string(format);
  Entry prev;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.snapshot == snap) return it->second.feed;
      prev = it->second;
    }
  }
  Millis now = clock_.NowMillis();
  ExportOptions base;
  base.feed_name = "Entente";
  base.org_name = org_id;
  std::shared_ptr<const FeedSet> feed;
  if (prev.feed) {
    // Same content as before (with the previous stamp): keep the previous
    // feed, so that its ETag and stamps do not change.
    auto again = ENTENTE_TRY(BuildFeed(format, snap->indicators, now, prev.feed->stamp, base));
    if (SameFiles(again, *prev.feed)) feed = prev.feed;
  }
  if (!feed)
    feed = std::make_shared<const FeedSet>(
        ENTENTE_TRY(BuildFeed(format, snap->indicators, now, now, base)));
  std::lock_guard lock(mu_);
  cache_[key] = {snap, feed};
  return feed;
}

}  // namespace entente::match
