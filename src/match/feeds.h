// Feeds built from the node's stored intelligence, per organisation, for
// HTTP (GET /api/v1/feeds/...) and the CLI (entente feed --from-store).
//
//   FeedService feeds(db, clock);
//   auto set = ENTENTE_TRY(feeds.Get(org_id, "misp"));
//   set->files.at("manifest.json").etag  // "\"sha256-…\"" (strong)
//
// Formats and files: rpz -> "entente.rpz"; zeek -> "entente.intel";
// csv -> "entente.csv"; misp -> "manifest.json", "<uuid>.json" per event,
// "hashes.csv"; suricata -> "entente.rules" and its dataset and hash lists.
//
// What goes into a feed (a feed leaves the engine for another program, so
// it is stricter than matching, which may use everything the organisation
// may read):
//   - TLP: up to amber+strict. TLP:RED indicators are used for matching by
//     their owner but never written into a feed (a feed file is copied to
//     resolvers, sensors and other tools, beyond the named recipients);
//   - PAP (FIRST PAP 2.0): rpz (blocking, an active action) up to PAP:GREEN;
//     suricata and zeek (monitoring on the network) up to PAP:AMBER; misp
//     and csv (exports that carry the PAP tag to other tools) up to
//     PAP:AMBER. PAP:RED ("no use on the network, passive use of logs
//     only") is used by POST /api/v1/match and `entente match` only;
//   - revoked indicators and those outside their validity are left out.
//
// Stability: a feed is rebuilt only when the organisation's snapshot
// (match/source.h) changed, and then kept unchanged, stamp included (RPZ
// serial, MISP timestamps), when its content is the same as before; so the
// ETag (SHA-256 of the file) changes exactly when the content does, and
// MISP sees a new event timestamp only when an event changed.
//
// Thread-safety: Get() may be called from many threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "match/export.h"
#include "match/source.h"
#include "store/store.h"

namespace entente::match {

struct FeedFile {
  std::string content_type;
  std::string body;
  std::string etag;  // strong: "\"sha256-<first 32 hex of SHA-256(body)>\""
};

struct FeedSet {
  std::string format;
  Millis stamp = 0;  // RPZ serial (seconds) and MISP timestamps
  std::map<std::string, FeedFile> files;
  ExportStats stats;
};

// "rpz", "misp", "suricata", "zeek", "csv".
bool IsFeedFormat(std::string_view format);
// The policy a format applies (TLP and PAP ceilings above), at `now`.
Policy FeedPolicy(std::string_view format, Millis now);
// Builds the files of `format` from `indicators` (no cache).
Result<FeedSet> BuildFeed(std::string_view format, std::span<const Indicator> indicators,
                          Millis now, Millis stamp, const ExportOptions& base = {});

class FeedService {
 public:
  FeedService(store::Database& db, const Clock& clock) : clock_(clock), source_(db, clock) {}

  IndicatorSource& source() { return source_; }
  Result<std::shared_ptr<const FeedSet>> Get(const std::string& org_id, std::string_view format);

 private:
  struct Entry {
    std::shared_ptr<const SourceSnapshot> snapshot;
    std::shared_ptr<const FeedSet> feed;
  };
  const Clock& clock_;
  IndicatorSource source_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // org_id + "/" + format
};

}  // namespace entente::match
