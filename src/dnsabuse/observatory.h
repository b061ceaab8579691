// DNS abuse observatory: daily measurements per TLD and registrar, stored
// for trends (store migration 0008), and monthly reports.
//
//   Observatory obs(db);
//   IngestRequest req{.day = "2024-03-01", .zones = {"com.zone.gz"}, ...};
//   auto day = obs.Ingest(req);            // computes and stores one day
//   auto month = obs.Month("2024-03");     // median of the daily figures
//   std::string html = MonthToHtml(*month);
//
// The counting rules (also recorded with every snapshot, see Rules()):
// - Domains in zone: distinct owners of NS records strictly below the apex
//   of each zone file (delegations), per TLD (last label) and per registrar
//   (registration CSV; id 0 when the domain has no registration row).
// - Abused domain: a registrable domain (PSL) listed by at least one feed of
//   the day AND delegated in a zone of the day. Listed domains absent from
//   the zones are counted apart (not_in_zone when their TLD has a zone that
//   day, out_of_scope otherwise); IP-only entries apart (ip_only).
// - A domain counts once per scope however many feeds list it; in each
//   category it is listed under; in each feed that lists it.
// - per10k = abused * 10000 / domains; share = abused / all abused domains.
// - Newly registered: first listing day minus creation day < new_days (30),
//   among abused domains with a known creation date (known_age); a creation
//   date after the first listing counts as age 0.
// - Listing episode: opens the first day a domain is abused (listed and in
//   zone); it is mitigated on the first later ingested day on which the
//   domain is gone from the zones (left_zone) or from all feeds (delisted);
//   time to mitigation = that day - first day, in days. Days are ingested in
//   increasing order.
// - Monthly figure = the median of the daily figures of the days of that
//   month on which the scope had domains; mitigations of the month: count and
//   median time to mitigation of the episodes that ended in the month.
// Numbers are rounded to 4 decimals once, so JSON, CSV and HTML agree.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "dnsabuse/feeds.h"
#include "dnsabuse/routing.h"
#include "dnsabuse/zone.h"
#include "store/store.h"

namespace entente::dnsabuse {

struct IngestRequest {
  std::string day;                 // YYYY-MM-DD
  std::vector<std::string> zones;  // zone files, plain or gzip
  bool allow_include = false;
  std::string registrations;  // CSV file, "" = none
  std::string registrars;     // CSV file, "" = none (then no id is unknown)
  std::vector<FeedSpec> feeds;
  int new_days = 30;
};

struct ScopeFigures {
  std::string scope;  // all | tld | registrar
  std::string key;
  std::string label;
  std::int64_t domains = 0;
  std::int64_t abused = 0;
  std::array<std::int64_t, kCategoryCount> by_category{};
  std::int64_t new_abused = 0;
  std::int64_t known_age = 0;
  double per10k = 0;
  double share = 0;
  std::optional<double> new_share;
  std::int64_t mitigated = 0;
  std::optional<double> median_ttm;
  std::map<std::string, std::int64_t> by_feed;
};

struct OpenListing {
  std::string domain;
  std::int32_t first_day = 0;
  std::string tld;
  std::string registrar;
};

struct NewListing {
  std::string domain;
  std::string tld;
  std::string registrar;
  std::string categories;  // "phishing,spam"
  std::string feeds;       // "phishing:src1,spam:src2"
  std::string evidence;
  std::int32_t created_day = -1;
};

struct Mitigation {
  std::string domain;
  std::int32_t first_day = 0;
  std::string how;  // left_zone | delisted
  std::int32_t ttm_days = 0;
};

// One day computed (not yet stored).
struct DayResult {
  std::string day;
  nlohmann::json inputs;
  nlohmann::json rules;
  nlohmann::json totals;
  std::vector<ScopeFigures> figures;  // 'all' first, then TLDs, then registrars
  std::vector<NewListing> new_listings;
  std::vector<Mitigation> mitigations;
  std::vector<ZoneIssue> zone_issues;  // first issues of all zone files
};

// The counting rules as recorded in every snapshot.
nlohmann::json Rules(int new_days);

// Computes a day from files, given the listings still open before it.
Result<DayResult> ComputeDay(const IngestRequest& request, const std::vector<OpenListing>& open,
                             const DomainNormalizer& normalizer, Millis now);

nlohmann::json FiguresToJson(const ScopeFigures& f);

struct MonthRow {
  std::string scope, key, label;
  int days = 0;
  double domains = 0, abused = 0, per10k = 0, share = 0;
  std::optional<double> new_share;
  std::array<double, kCategoryCount> by_category{};
  std::int64_t mitigated = 0;  // episodes ended in the month
  std::optional<double> median_ttm;
};

struct MonthReport {
  std::string month;  // YYYY-MM
  std::vector<std::string> days;
  nlohmann::json rules;
  std::vector<nlohmann::json> inputs;  // per day
  std::vector<MonthRow> rows;          // all, TLDs by per10k desc, registrars by per10k desc
};

nlohmann::json MonthToJson(const MonthReport& r);
std::string MonthToCsv(const MonthReport& r);
std::string MonthToHtml(const MonthReport& r);

class Observatory {
 public:
  explicit Observatory(store::Database& db, const Clock& clock = SystemClock::Instance())
      : db_(db), clock_(clock) {}

  // Computes the day and stores it in one transaction. kAlreadyExists when
  // the day is stored, kFailedPrecondition when a later day is.
  Result<DayResult> Ingest(const IngestRequest& request);
  Result<MonthReport> Month(std::string_view month) const;
  // Figures of one stored day (scope "" = all scopes).
  Result<std::vector<ScopeFigures>> Day(std::string_view day, std::string_view scope = "") const;
  Result<std::vector<OpenListing>> OpenListings() const;

  // Routing (routing.h): the report on a domain's open listing episode.
  Result<AbuseReport> ReportFor(std::string_view domain) const;
  // Records that `report` was sent as comms message `message_id`.
  Status RecordSent(const AbuseReport& report, const std::string& message_id, const Recipient& to);
  // The recipient's answer to message `message_id` on `day`: a confirmed
  // mitigation ends the episode (mitigation 'confirmed', time to mitigation
  // to `day`); a decline needs a reason and leaves it open. `action_taken`
  // (empty: none) is what the registrar says it did; `source` where the
  // outcome was read (field | summary | workflow | manual).
  Status RecordResponse(const std::string& message_id, std::string_view day, Response response,
                        const std::string& reason, const std::string& action_taken = "",
                        const std::string& source = "manual");

 private:
  store::Database& db_;
  const Clock& clock_;
};

double Round4(double v);
double Median(std::vector<double> v);

}  // namespace entente::dnsabuse
