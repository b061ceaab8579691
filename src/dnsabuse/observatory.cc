#include "dnsabuse/observatory.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "dnsabuse/zone.h"

namespace entente::dnsabuse {

using Json = nlohmann::json;

double Round4(double v) { return std::round(v * 10000.0) / 10000.0; }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

Json Rules(int new_days) {
  return {
      {"version", 1},
      {"domains_in_zone",
       "distinct owners of NS records strictly below the apex of each zone file, "
       "per TLD (last label) and per registrar (registration CSV; 0 = no row)"},
      {"registrable_domain",
       "Public Suffix List (libpsl, system list), IDNs as A-labels, lower "
       "case, trailing dot removed; IP-only entries counted apart"},
      {"abused",
       "registrable domain listed by at least one feed of the day and delegated in a "
       "zone of the day; counted once per scope, once in each category and feed listing it"},
      {"per10k", "abused * 10000 / domains"},
      {"share", "abused / all abused domains of the day"},
      {"new_days", new_days},
      {"new_share",
       "abused domains whose first listing day minus creation day is below new_days, "
       "over abused domains with a known creation date"},
      {"mitigation",
       "an episode opens the first day a domain is abused; it ends on the first later "
       "ingested day the domain is gone from the zones (left_zone) or from all feeds "
       "(delisted); time to mitigation in days"},
      {"monthly",
       "median of the daily figures over the month's days on which the scope had "
       "domains; mitigations: count and median time of the episodes ended in the month"},
      {"rounding", "4 decimals"},
  };
}

namespace {

class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void Update(std::string_view s) { EVP_DigestUpdate(ctx_.get(), s.data(), s.size()); }
  std::string Hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

struct Abused {
  std::string domain;
  std::uint8_t categories = 0;
  std::uint64_t feeds = 0;
  std::string evidence;
  bool listed_today = false;
  bool in_zone = false;
  std::int64_t registrar = 0;
  std::int32_t created_day = -1;
  int open = -1;  // index into the open listings
};

// fingerprint -> index, open addressing; exact names compared on hits.
class Index {
 public:
  explicit Index(size_t expected) {
    size_t n = 1024;
    while (n < expected * 2 + 2) n *= 2;
    keys_.assign(n, 0);
    vals_.assign(n, 0);
  }
  // Returns the slot's value pointer (inserting `v` when absent).
  std::uint32_t* FindOrInsert(std::uint64_t h, std::uint32_t v, bool& inserted,
                              const std::function<bool(std::uint32_t)>& same) {
    if (h == 0) h = 1;
    const size_t mask = keys_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (keys_[i] == 0) {
        keys_[i] = h;
        vals_[i] = v;
        inserted = true;
        return &vals_[i];
      }
      if (keys_[i] == h && same(vals_[i])) {
        inserted = false;
        return &vals_[i];
      }
    }
  }
  template <class Same>
  const std::uint32_t* Find(std::uint64_t h, const Same& same) const {
    if (h == 0) h = 1;
    const size_t mask = keys_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (keys_[i] == 0) return nullptr;
      if (keys_[i] == h && same(vals_[i])) return &vals_[i];
    }
  }

 private:
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> vals_;
};

Json IssuesJson(const std::vector<LineIssue>& issues, size_t max = 20) {
  Json a = Json::array();
  for (size_t i = 0; i < issues.size() && i < max; ++i)
    a.push_back({{"line", issues[i].line}, {"message", issues[i].message}});
  return a;
}

std::string CategoryList(std::uint8_t mask) {
  std::string out;
  for (int c = 0; c < kCategoryCount; ++c)
    if (mask & (1u << c)) {
      if (!out.empty()) out += ',';
      out += CategoryName(static_cast<Category>(c));
    }
  return out;
}

}  // namespace

Json FiguresToJson(const ScopeFigures& f) {
  Json j = {{"scope", f.scope},         {"key", f.key},
            {"label", f.label},         {"domains", f.domains},
            {"abused", f.abused},       {"per10k", f.per10k},
            {"share", f.share},         {"new_abused", f.new_abused},
            {"known_age", f.known_age}, {"mitigated", f.mitigated}};
  j["new_share"] = f.new_share ? Json(*f.new_share) : Json(nullptr);
  j["median_ttm_days"] = f.median_ttm ? Json(*f.median_ttm) : Json(nullptr);
  for (int c = 0; c < kCategoryCount; ++c)
    j[std::string(CategoryName(static_cast<Category>(c)))] = f.by_category[static_cast<size_t>(c)];
  j["by_feed"] = f.by_feed;
  return j;
}

Result<DayResult> ComputeDay(const IngestRequest& req, const std::vector<OpenListing>& open,
                             const DomainNormalizer& normalizer, Millis now) {
  DayResult out;
  const auto day = ParseDay(req.day);
  if (!day) return Invalid(fmt::format("day '{}' is not a date YYYY-MM-DD", req.day), "date");
  out.day = req.day;
  if (req.zones.empty()) return Invalid("at least one zone file is needed", "zone");
  if (req.feeds.empty()) return Invalid("at least one feed is needed", "feed");
  if (req.feeds.size() > 64) return Invalid("at most 64 feeds per day", "feed");
  if (req.new_days < 1 || req.new_days > 3650)
    return Invalid("new_days must be 1-3650", "new_days");
  out.rules = Rules(req.new_days);

  // Feeds: duplicates (same category and source, or the same content) refused.
  std::set<std::pair<int, std::string>> names;
  for (const FeedSpec& spec : req.feeds)
    if (!names.emplace(static_cast<int>(spec.category), spec.source).second)
      return Invalid(
          fmt::format("feed {}:{} is given twice", CategoryName(spec.category), spec.source),
          "feed");

  // The feeds and the registration files are independent: they are read on
  // two threads (this one and a helper), each taking the next input in turn,
  // registrations first (the largest). The helper has its own
  // DomainNormalizer (the same list; the memo of public suffixes is not
  // shared between threads). Errors are reported in the order of a
  // sequential reading: feeds in order (an identical feed right after the
  // first), then the registrars, then the registrations.
  std::vector<std::optional<Result<FeedData>>> read(req.feeds.size());
  RegistrarList registrars;
  bool have_registrars = false;
  RegistrationData regs;
  Status regs_status = Ok();
  {
    std::atomic<size_t> next{0};
    const size_t tasks = req.feeds.size() + 1;
    auto work = [&](const DomainNormalizer& norm) {
      for (size_t t; (t = next.fetch_add(1)) < tasks;) {
        if (t == 0) {  // registrars, then registrations (which name them)
          if (!req.registrars.empty()) {
            auto text = ReadInputFile(req.registrars, std::uint64_t{256} << 20);
            if (!text) {
              regs_status = std::unexpected(text.error());
              continue;
            }
            registrars = ParseRegistrars(*text);
            have_registrars = true;
          }
          if (!req.registrations.empty()) {
            auto text = ReadInputFile(req.registrations, std::uint64_t{64} << 30);
            if (!text) {
              regs_status = std::unexpected(text.error());
              continue;
            }
            regs = ParseRegistrations(*text, have_registrars ? &registrars : nullptr, norm);
          }
        } else {
          read[t - 1] = ReadFeed(req.feeds[t - 1], norm);
        }
      }
    };
    std::thread helper([&] {
      const DomainNormalizer own;
      work(own);
    });
    work(normalizer);
    helper.join();
  }
  std::vector<FeedData> feeds;
  for (size_t i = 0; i < read.size(); ++i) {
    if (!*read[i]) return std::unexpected((*read[i]).error());
    FeedData d = std::move(**read[i]);
    for (const FeedData& other : feeds)
      if (other.sha256 == d.sha256)
        return Invalid(fmt::format("feeds {}:{} and {}:{} have identical content (SHA-256 {}); "
                                   "a duplicate feed would count its domains twice",
                                   CategoryName(other.spec.category), other.spec.source,
                                   CategoryName(d.spec.category), d.spec.source, d.sha256),
                       "feed");
    feeds.push_back(std::move(d));
  }
  read.clear();
  if (!regs_status) return std::unexpected(regs_status.error());
  const Millis feeds_read = now;

  Json inputs = {{"day", req.day}, {"psl", std::string(normalizer.list_source())}};
  if (have_registrars)
    inputs["registrars"] = {{"file", req.registrars},
                            {"sha256", registrars.sha256},
                            {"registrars", registrars.by_id.size()},
                            {"invalid", registrars.invalid},
                            {"issues", IssuesJson(registrars.issues)}};
  if (!req.registrations.empty())
    inputs["registrations"] = {{"file", req.registrations},
                               {"sha256", regs.sha256},
                               {"rows", regs.rows},
                               {"domains", regs.size()},
                               {"invalid", regs.invalid},
                               {"unknown_registrar", regs.unknown_registrar},
                               {"duplicates", regs.duplicates},
                               {"issues", IssuesJson(regs.issues)}};

  // The watched domains: today's listings and the open episodes.
  size_t expected = open.size();
  for (const auto& f : feeds) expected += f.entries.size();
  std::vector<Abused> watched;
  watched.reserve(expected);
  Index index(expected);
  auto add = [&](const std::string& domain) -> Abused& {
    bool inserted = false;
    std::uint32_t* v = index.FindOrInsert(
        DelegationCounter::Fingerprint(domain), static_cast<std::uint32_t>(watched.size()),
        inserted, [&](std::uint32_t i) { return watched[i].domain == domain; });
    if (inserted) watched.push_back(Abused{domain});
    return watched[*v];
  };
  Json feeds_json = Json::array();
  std::uint64_t ip_only = 0;
  for (size_t fi = 0; fi < feeds.size(); ++fi) {
    const FeedData& f = feeds[fi];
    for (const FeedEntry& e : f.entries) {
      Abused& a = add(e.registrable);
      a.listed_today = true;
      a.categories |= static_cast<std::uint8_t>(1u << static_cast<int>(f.spec.category));
      a.feeds |= std::uint64_t{1} << fi;
      if (a.evidence.empty()) a.evidence = e.evidence;
    }
    ip_only += f.ip_only;
    feeds_json.push_back({{"category", CategoryName(f.spec.category)},
                          {"source", f.spec.source},
                          {"format", FeedFormatName(f.spec.format)},
                          {"file", f.spec.path},
                          {"sha256", f.sha256},
                          {"bytes", f.bytes},
                          {"read_at", FormatRfc3339(feeds_read)},
                          {"lines", f.lines},
                          {"listed", f.listed},
                          {"domains", f.entries.size()},
                          {"duplicates", f.duplicates},
                          {"ip_only", f.ip_only},
                          {"skipped", f.skipped},
                          {"invalid", f.invalid},
                          {"issues", IssuesJson(f.issues)}});
  }
  inputs["feeds"] = feeds_json;
  for (size_t i = 0; i < open.size(); ++i) add(open[i].domain).open = static_cast<int>(i);

  // Zones.
  std::unordered_map<std::string, std::int64_t> tld_domains;
  std::unordered_map<std::int64_t, std::int64_t> registrar_domains;
  Json zones_json = Json::array();
  std::uint64_t zone_bytes = 0, zone_records = 0, delegations = 0;
  for (const std::string& path : req.zones) {
    Sha256Stream sha;
    ZoneOptions opt;
    opt.allow_include = req.allow_include;
    opt.on_bytes = [&](std::string_view b) { sha.Update(b); };
    DelegationCounter counter;
    std::string apex;
    bool have_apex = false;
    std::uint64_t before_soa = 0;
    std::string last_tld;
    std::int64_t* tld_count = nullptr;
    auto stats = ReadZoneFile(path, opt, [&](const ZoneRecord& r) {
      if (!have_apex) {
        if (r.type != rrtype::kSOA) {
          ++before_soa;
          return;
        }
        apex.assign(r.owner);
        have_apex = true;
      }
      if (!counter.Add(r, apex)) return;
      const std::string_view tld = TldOf(r.owner);
      if (!tld_count || tld != last_tld) {
        last_tld.assign(tld);
        tld_count = &tld_domains[last_tld];
      }
      ++*tld_count;
      const Registration* reg = regs.Find(r.owner);
      const std::int64_t registrar = reg ? reg->registrar : 0;
      ++registrar_domains[registrar];
      const std::uint32_t* w =
          index.Find(DelegationCounter::Fingerprint(r.owner),
                     [&](std::uint32_t i) { return watched[i].domain == r.owner; });
      if (w) {
        Abused& a = watched[*w];
        a.in_zone = true;
        a.registrar = registrar;
        a.created_day = reg ? reg->created_day : -1;
      }
    });
    if (!stats) return std::unexpected(stats.error());
    const std::string digest = sha.Hex();
    for (const Json& z : zones_json)
      if (z["sha256"] == digest)
        return Invalid(fmt::format("zone files {} and {} have identical content",
                                   z["file"].get<std::string>(), path),
                       "zone");
    Json issues = Json::array();
    for (size_t i = 0; i < stats->issues.size() && i < 20; ++i)
      issues.push_back({{"line", stats->issues[i].line}, {"message", stats->issues[i].message}});
    for (const auto& i : stats->issues)
      if (out.zone_issues.size() < 1000) out.zone_issues.push_back(i);
    if (before_soa)
      out.zone_issues.push_back(
          {path, 0, fmt::format("{} records before the SOA record were ignored", before_soa)});
    zones_json.push_back(
        {{"file", path},
         {"sha256", digest},
         {"bytes", stats->bytes},
         {"records", stats->records},
         {"errors", stats->errors},
         {"ignored_before_soa", before_soa},
         {"apex", have_apex ? Json(apex.empty() ? std::string(".") : apex) : Json(nullptr)},
         {"delegations", counter.count()},
         {"issues", issues}});
    zone_bytes += stats->bytes;
    zone_records += stats->records;
    delegations += counter.count();
  }
  inputs["zones"] = zones_json;
  out.inputs = std::move(inputs);

  // Figures.
  ScopeFigures all{"all", "", "all", static_cast<std::int64_t>(delegations)};
  std::map<std::string, ScopeFigures> tlds;
  std::map<std::int64_t, ScopeFigures> regsf;
  for (const auto& [tld, n] : tld_domains) tlds[tld] = ScopeFigures{"tld", tld, tld, n};
  auto registrar_label = [&](std::int64_t id) -> std::string {
    if (id == 0) return "no registration data";
    auto it = registrars.by_id.find(id);
    if (it != registrars.by_id.end()) return it->second.name;
    return have_registrars ? "unknown" : fmt::format("IANA {}", id);
  };
  for (const auto& [id, n] : registrar_domains)
    regsf[id] = ScopeFigures{"registrar", std::to_string(id), registrar_label(id), n};
  std::map<std::string, std::vector<double>> ttm_tld, ttm_reg;
  std::vector<double> ttm_all;
  std::uint64_t not_in_zone = 0, out_of_scope = 0;
  for (Abused& a : watched) {
    const bool abused = a.listed_today && a.in_zone;
    if (a.open >= 0) {
      const OpenListing& o = open[static_cast<size_t>(a.open)];
      if (!abused) {
        Mitigation m{a.domain, o.first_day, a.in_zone ? "delisted" : "left_zone",
                     *day - o.first_day};
        out.mitigations.push_back(m);
        const double t = m.ttm_days;
        ttm_all.push_back(t);
        ++all.mitigated;
        if (auto it = tlds.find(o.tld); it != tlds.end()) {
          ++it->second.mitigated;
        } else {
          auto& f = tlds[o.tld];
          f = ScopeFigures{"tld", o.tld, o.tld, 0};
          f.mitigated = 1;
        }
        ttm_tld[o.tld].push_back(t);
        const std::int64_t rid = std::strtoll(o.registrar.c_str(), nullptr, 10);
        if (auto it = regsf.find(rid); it != regsf.end()) {
          ++it->second.mitigated;
        } else {
          auto& f = regsf[rid];
          f = ScopeFigures{"registrar", o.registrar, registrar_label(rid), 0};
          f.mitigated = 1;
        }
        ttm_reg[o.registrar].push_back(t);
      }
    }
    if (!abused) {
      if (a.listed_today) {
        if (tld_domains.contains(std::string(TldOf(a.domain))))
          ++not_in_zone;
        else
          ++out_of_scope;
      }
      continue;
    }
    const std::int32_t first_day = a.open >= 0 ? open[static_cast<size_t>(a.open)].first_day : *day;
    const bool known = a.created_day >= 0;
    const bool is_new = known && (first_day - a.created_day) < req.new_days;
    ScopeFigures* scopes[3] = {&all, &tlds[std::string(TldOf(a.domain))], &regsf[a.registrar]};
    for (ScopeFigures* s : scopes) {
      ++s->abused;
      for (int c = 0; c < kCategoryCount; ++c)
        if (a.categories & (1u << c)) ++s->by_category[static_cast<size_t>(c)];
      for (size_t fi = 0; fi < feeds.size(); ++fi)
        if (a.feeds & (std::uint64_t{1} << fi))
          ++s->by_feed[fmt::format("{}:{}", CategoryName(feeds[fi].spec.category),
                                   feeds[fi].spec.source)];
      if (known) ++s->known_age;
      if (is_new) ++s->new_abused;
    }
    if (a.open < 0) {
      NewListing n{a.domain,
                   std::string(TldOf(a.domain)),
                   std::to_string(a.registrar),
                   CategoryList(a.categories),
                   "",
                   a.evidence,
                   a.created_day};
      for (size_t fi = 0; fi < feeds.size(); ++fi)
        if (a.feeds & (std::uint64_t{1} << fi)) {
          if (!n.feeds.empty()) n.feeds += ',';
          n.feeds +=
              fmt::format("{}:{}", CategoryName(feeds[fi].spec.category), feeds[fi].spec.source);
        }
      out.new_listings.push_back(std::move(n));
    }
  }
  auto finish = [&](ScopeFigures& f, const std::vector<double>* ttm) {
    f.per10k =
        f.domains > 0
            ? Round4(static_cast<double>(f.abused) * 10000.0 / static_cast<double>(f.domains))
            : 0;
    f.share = all.abused > 0
                  ? Round4(static_cast<double>(f.abused) / static_cast<double>(all.abused))
                  : 0;
    if (f.known_age > 0)
      f.new_share = Round4(static_cast<double>(f.new_abused) / static_cast<double>(f.known_age));
    if (ttm && !ttm->empty()) f.median_ttm = Round4(Median(*ttm));
  };
  finish(all, &ttm_all);
  out.figures.push_back(all);
  for (auto& [k, f] : tlds) {
    auto it = ttm_tld.find(k);
    finish(f, it == ttm_tld.end() ? nullptr : &it->second);
    out.figures.push_back(std::move(f));
  }
  for (auto& [k, f] : regsf) {
    auto it = ttm_reg.find(f.key);
    finish(f, it == ttm_reg.end() ? nullptr : &it->second);
    out.figures.push_back(std::move(f));
  }
  std::uint64_t invalid_lines = 0;
  for (const auto& f : feeds) invalid_lines += f.invalid;
  std::uint64_t zone_errors = 0;
  for (const auto& z : zones_json) zone_errors += z["errors"].get<std::uint64_t>();
  out.totals = {{"domains", delegations},
                {"abused", all.abused},
                {"listed_domains", std::count_if(watched.begin(), watched.end(),
                                                 [](const Abused& a) { return a.listed_today; })},
                {"not_in_zone", not_in_zone},
                {"out_of_scope", out_of_scope},
                {"ip_only", ip_only},
                {"invalid_feed_lines", invalid_lines},
                {"zone_bytes", zone_bytes},
                {"zone_records", zone_records},
                {"zone_errors", zone_errors},
                {"new_listings", out.new_listings.size()},
                {"mitigated", out.mitigations.size()}};
  return out;
}

// ---- storage -----------------------------------------------------------------

Result<std::vector<OpenListing>> Observatory::OpenListings() const {
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT domain, first_day, tld, registrar FROM dns_listings WHERE "
                            "mitigated_day IS NULL ORDER BY domain"));
  std::vector<OpenListing> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    auto d = ParseDay(r.Text(1));
    if (!d) return Fail(ErrorCode::kDataLoss, "dns_listings holds a bad first_day " + r.Text(1));
    out.push_back({r.Text(0), *d, r.Text(2), r.Text(3)});
  }
  return out;
}

Result<DayResult> Observatory::Ingest(const IngestRequest& req) {
  if (!ParseDay(req.day))
    return Invalid(fmt::format("day '{}' is not a date YYYY-MM-DD", req.day), "date");
  auto check_order = [&](auto& q) -> Status {
    auto rows = ENTENTE_TRY(q.Query("SELECT MAX(day) FROM dns_snapshots"));
    if (!rows.empty() && !rows[0].IsNull(0)) {
      const std::string last = rows[0].Text(0);
      if (last == req.day)
        return Fail(ErrorCode::kAlreadyExists, fmt::format("day {} is already ingested", req.day),
                    "date");
      if (last > req.day)
        return Fail(
            ErrorCode::kFailedPrecondition,
            fmt::format("day {} is before the last ingested day {}; days are ingested in order",
                        req.day, last),
            "date");
    }
    return Ok();
  };
  ENTENTE_CHECK(check_order(db_));
  auto open = ENTENTE_TRY(OpenListings());
  DomainNormalizer normalizer;
  const Millis now = clock_.NowMillis();
  DayResult day = ENTENTE_TRY(ComputeDay(req, open, normalizer, now));
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_CHECK(check_order(tx));
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO dns_snapshots (day, created, inputs, rules, totals) VALUES (?, ?, ?, ?, ?)",
        {day.day, now, day.inputs.dump(), day.rules.dump(), day.totals.dump()}));
    constexpr size_t kBatch = 100;
    for (size_t i = 0; i < day.figures.size(); i += kBatch) {
      std::string sql =
          "INSERT INTO dns_figures (day, scope, key, label, domains, abused, phishing, malware, "
          "botnet_cc, spam, "
          "new_abused, known_age, per10k, share, new_share, mitigated, median_ttm, by_feed) "
          "VALUES ";
      store::Params p;
      for (size_t k = i; k < std::min(day.figures.size(), i + kBatch); ++k) {
        const ScopeFigures& f = day.figures[k];
        if (k > i) sql += ",";
        sql += "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        p.insert(p.end(), {day.day, f.scope, f.key, f.label, f.domains, f.abused, f.by_category[0],
                           f.by_category[1], f.by_category[2], f.by_category[3], f.new_abused,
                           f.known_age, f.per10k, f.share,
                           f.new_share ? store::Value(*f.new_share) : store::Value(store::Null{}),
                           f.mitigated,
                           f.median_ttm ? store::Value(*f.median_ttm) : store::Value(store::Null{}),
                           Json(f.by_feed).dump()});
      }
      ENTENTE_TRY(tx.Exec(sql, p));
    }
    for (const Mitigation& m : day.mitigations)
      ENTENTE_TRY(
          tx.Exec("UPDATE dns_listings SET mitigated_day = ?, mitigation = ?, ttm_days = ? "
                  "WHERE domain = ? AND first_day = ? AND mitigated_day IS NULL",
                  {day.day, m.how, std::int64_t{m.ttm_days}, m.domain, FormatDay(m.first_day)}));
    ENTENTE_TRY(
        tx.Exec("UPDATE dns_listings SET last_day = ? WHERE mitigated_day IS NULL", {day.day}));
    for (size_t i = 0; i < day.new_listings.size(); i += kBatch) {
      std::string sql =
          "INSERT INTO dns_listings (domain, first_day, last_day, tld, registrar, categories, "
          "feeds, evidence, "
          "created_day) VALUES ";
      store::Params p;
      for (size_t k = i; k < std::min(day.new_listings.size(), i + kBatch); ++k) {
        const NewListing& n = day.new_listings[k];
        if (k > i) sql += ",";
        sql += "(?,?,?,?,?,?,?,?,?)";
        p.insert(p.end(), {n.domain, day.day, day.day, n.tld, n.registrar, n.categories, n.feeds,
                           n.evidence.substr(0, 2048),
                           n.created_day >= 0 ? store::Value(FormatDay(n.created_day))
                                              : store::Value(store::Null{})});
      }
      ENTENTE_TRY(tx.Exec(sql, p));
    }
    return Ok();
  }));
  return day;
}

namespace {

ScopeFigures FigureFromRow(const store::Row& r) {
  ScopeFigures f;
  f.scope = r.Text(0);
  f.key = r.Text(1);
  f.label = r.Text(2);
  f.domains = r.Int(3);
  f.abused = r.Int(4);
  for (size_t c = 0; c < kCategoryCount; ++c) f.by_category[c] = r.Int(5 + c);
  f.new_abused = r.Int(9);
  f.known_age = r.Int(10);
  f.per10k = r.Real(11);
  f.share = r.Real(12);
  if (!r.IsNull(13)) f.new_share = r.Real(13);
  f.mitigated = r.Int(14);
  if (!r.IsNull(15)) f.median_ttm = r.Real(15);
  auto j = Json::parse(r.Text(16), nullptr, false);
  if (j.is_object())
    for (auto& [k, v] : j.items())
      if (v.is_number_integer()) f.by_feed[k] = v.get<std::int64_t>();
  return f;
}

constexpr const char* kFigureColumns =
    "scope, key, label, domains, abused, phishing, malware, botnet_cc, spam, new_abused, "
    "known_age, per10k, "
    "share, new_share, mitigated, median_ttm, by_feed";

}  // namespace

Result<std::vector<ScopeFigures>> Observatory::Day(std::string_view day,
                                                   std::string_view scope) const {
  if (!ParseDay(day)) return Invalid(fmt::format("day '{}' is not a date YYYY-MM-DD", day), "date");
  std::string sql = fmt::format("SELECT {} FROM dns_figures WHERE day = ?", kFigureColumns);
  store::Params p{std::string(day)};
  if (!scope.empty()) {
    sql += " AND scope = ?";
    p.emplace_back(std::string(scope));
  }
  sql += " ORDER BY CASE scope WHEN 'all' THEN 0 WHEN 'tld' THEN 1 ELSE 2 END, key";
  auto rows = ENTENTE_TRY(db_.Query(sql, p));
  if (rows.empty()) {
    auto s =
        ENTENTE_TRY(db_.Query("SELECT 1 FROM dns_snapshots WHERE day = ?", {std::string(day)}));
    if (s.empty())
      return Fail(ErrorCode::kNotFound, fmt::format("no snapshot for {}", day), "date");
  }
  std::vector<ScopeFigures> out;
  for (const auto& r : rows) out.push_back(FigureFromRow(r));
  return out;
}

Result<MonthReport> Observatory::Month(std::string_view month) const {
  if (month.size() != 7 || !ParseDay(std::string(month) + "-01"))
    return Invalid(fmt::format("month '{}' is not YYYY-MM", month), "month");
  const std::string like = std::string(month) + "-%";
  MonthReport rep;
  rep.month = std::string(month);
  auto snaps = ENTENTE_TRY(db_.Query(
      "SELECT day, inputs, rules FROM dns_snapshots WHERE day LIKE ? ORDER BY day", {like}));
  if (snaps.empty())
    return Fail(ErrorCode::kNotFound, fmt::format("no snapshot in {}", month), "month");
  for (const auto& s : snaps) {
    rep.days.push_back(s.Text(0));
    rep.inputs.push_back(Json::parse(s.Text(1), nullptr, false));
    rep.rules = Json::parse(s.Text(2), nullptr, false);  // the latest day's rules
  }
  auto rows = ENTENTE_TRY(
      db_.Query(fmt::format("SELECT {} FROM dns_figures WHERE day LIKE ? ORDER BY scope, key, day",
                            kFigureColumns),
                {like}));
  struct Acc {
    MonthRow row;
    std::vector<double> domains, abused, per10k, share, new_share;
    std::array<std::vector<double>, kCategoryCount> cat;
  };
  std::map<std::pair<std::string, std::string>, Acc> acc;
  for (const auto& r : rows) {
    ScopeFigures f = FigureFromRow(r);
    if (f.domains == 0 && f.scope != "all") continue;  // the scope had no domains that day
    Acc& a = acc[{f.scope, f.key}];
    a.row.scope = f.scope;
    a.row.key = f.key;
    a.row.label = f.label;
    ++a.row.days;
    a.domains.push_back(static_cast<double>(f.domains));
    a.abused.push_back(static_cast<double>(f.abused));
    a.per10k.push_back(f.per10k);
    a.share.push_back(f.share);
    if (f.new_share) a.new_share.push_back(*f.new_share);
    for (size_t c = 0; c < kCategoryCount; ++c)
      a.cat[c].push_back(static_cast<double>(f.by_category[c]));
  }
  // Mitigations ended in the month, per TLD and registrar.
  auto mit = ENTENTE_TRY(db_.Query(
      "SELECT tld, registrar, ttm_days FROM dns_listings WHERE mitigated_day LIKE ?", {like}));
  std::map<std::pair<std::string, std::string>, std::vector<double>> ttm;
  for (const auto& m : mit) {
    const double t = static_cast<double>(m.Int(2));
    ttm[{"all", ""}].push_back(t);
    ttm[{"tld", m.Text(0)}].push_back(t);
    ttm[{"registrar", m.Text(1)}].push_back(t);
  }
  for (auto& [k, v] : ttm) {
    Acc& a = acc[k];
    if (a.row.scope.empty()) {  // mitigations only (no domains this month)
      a.row.scope = k.first;
      a.row.key = k.second;
      a.row.label = k.first == "all" ? "all" : k.second;
    }
    a.row.mitigated = static_cast<std::int64_t>(v.size());
    a.row.median_ttm = Round4(Median(v));
  }
  for (auto& [k, a] : acc) {
    MonthRow& m = a.row;
    m.domains = Round4(Median(a.domains));
    m.abused = Round4(Median(a.abused));
    m.per10k = Round4(Median(a.per10k));
    m.share = Round4(Median(a.share));
    if (!a.new_share.empty()) m.new_share = Round4(Median(a.new_share));
    for (size_t c = 0; c < kCategoryCount; ++c) m.by_category[c] = Round4(Median(a.cat[c]));
    rep.rows.push_back(m);
  }
  auto order = [](const std::string& s) { return s == "all" ? 0 : s == "tld" ? 1 : 2; };
  // (scope, key) is unique, so std::sort is deterministic here.
  std::sort(rep.rows.begin(), rep.rows.end(), [&](const MonthRow& a, const MonthRow& b) {
    if (order(a.scope) != order(b.scope)) return order(a.scope) < order(b.scope);
    if (a.per10k != b.per10k) return a.per10k > b.per10k;
    return a.key < b.key;
  });
  return rep;
}

// ---- routing -----------------------------------------------------------------

Result<AbuseReport> Observatory::ReportFor(std::string_view domain) const {
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT domain, first_day, tld, registrar, categories, feeds, evidence FROM dns_listings "
      "WHERE domain = ? AND mitigated_day IS NULL",
      {std::string(domain)}));
  if (rows.empty())
    return Fail(ErrorCode::kNotFound, fmt::format("{} has no open listing episode", domain),
                "domain");
  const auto& r = rows[0];
  AbuseReport rep;
  rep.domain = r.Text(0);
  rep.first_day = r.Text(1);
  rep.tld = r.Text(2);
  rep.registrar = std::strtoll(r.Text(3).c_str(), nullptr, 10);
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t p = 0;
    while (p <= s.size() && !s.empty()) {
      const size_t c = s.find(',', p);
      out.push_back(s.substr(p, c == std::string::npos ? std::string::npos : c - p));
      if (c == std::string::npos) break;
      p = c + 1;
    }
    return out;
  };
  rep.categories = split(r.Text(4));
  rep.feeds = split(r.Text(5));
  rep.evidence = {r.Text(6)};
  return rep;
}

Status Observatory::RecordSent(const AbuseReport& report, const std::string& message_id,
                               const Recipient& to) {
  if (message_id.empty()) return Invalid("message id is empty", "message_id");
  return db_.Transact([&](store::Tx& tx) -> Status {
    auto open = ENTENTE_TRY(tx.Query(
        "SELECT 1 FROM dns_listings WHERE domain = ? AND first_day = ? AND mitigated_day IS NULL",
        {report.domain, report.first_day}));
    if (open.empty())
      return Fail(
          ErrorCode::kFailedPrecondition,
          fmt::format("{} has no open listing episode since {}", report.domain, report.first_day),
          "domain");
    // The report's id is its message id (reports.h files reports with ids
    // of their own).
    std::string categories;
    for (const auto& c : report.categories) categories += (categories.empty() ? "" : ",") + c;
    const Millis now = clock_.NowMillis();
    ENTENTE_TRY(
        tx.Exec("INSERT INTO dns_reports (id, domain, first_day, tld, registrar, categories, "
                "filed_at, message_id, recipient_org, routed_to, sent_at, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sent')",
                {message_id, report.domain, report.first_day, report.tld,
                 std::to_string(report.registrar), categories, now, message_id, to.org_id,
                 std::string(to.to == RoutedTo::kRegistrar ? "registrar" : "registry"), now}));
    return Ok();
  });
}

Status Observatory::RecordResponse(const std::string& message_id, std::string_view day,
                                   Response response, const std::string& reason,
                                   const std::string& action_taken, const std::string& source) {
  const auto d = ParseDay(day);
  if (!d) return Invalid(fmt::format("day '{}' is not a date YYYY-MM-DD", day), "date");
  if (response == Response::kDeclined && reason.empty())
    return Invalid("a decline needs a reason", "reason");
  return db_.Transact([&](store::Tx& tx) -> Status {
    auto rows = ENTENTE_TRY(tx.Query(
        "SELECT domain, first_day, status FROM dns_reports WHERE message_id = ?", {message_id}));
    if (rows.empty())
      return Fail(ErrorCode::kNotFound, "no abuse report for message " + message_id, "message_id");
    if (rows[0].Text(2) != "sent" && rows[0].Text(2) != "acknowledged")
      return Fail(ErrorCode::kConflict,
                  fmt::format("report {} was already answered ({})", message_id, rows[0].Text(2)));
    const std::string domain = rows[0].Text(0), first = rows[0].Text(1);
    const auto first_day = ParseDay(first);
    if (!first_day || *d < *first_day)
      return Invalid(fmt::format("response day {} is before the first listing {}", day, first),
                     "date");
    const store::Value taken =
        action_taken.empty() ? store::Value(store::Null{}) : store::Value(action_taken);
    if (response == Response::kDeclined) {
      ENTENTE_TRY(
          tx.Exec("UPDATE dns_reports SET status = 'declined', reason = ?, responded_day = ?, "
                  "action_taken = ?, outcome_source = ? WHERE message_id = ?",
                  {reason, std::string(day), taken, source, message_id}));
      return Ok();
    }
    ENTENTE_TRY(tx.Exec(
        "UPDATE dns_reports SET status = 'mitigated', action = ?, reason = ?, responded_day = ?, "
        "ttm_days = ?, action_taken = ?, outcome_source = ? WHERE message_id = ?",
        {std::string(ResponseName(response)),
         reason.empty() ? store::Value(store::Null{}) : store::Value(reason), std::string(day),
         std::int64_t{*d - *first_day}, taken, source, message_id}));
    // Ends the episode unless the observatory already saw it end.
    ENTENTE_TRY(
        tx.Exec("UPDATE dns_listings SET mitigated_day = ?, mitigation = 'confirmed', ttm_days = ? "
                "WHERE domain = ? AND first_day = ? AND mitigated_day IS NULL",
                {std::string(day), std::int64_t{*d - *first_day}, domain, first}));
    return Ok();
  });
}

// ---- report formats ----------------------------------------------------------

namespace {

std::string Num(double v) { return fmt::format("{}", v); }
std::string OptNum(const std::optional<double>& v) { return v ? Num(*v) : ""; }

std::string Html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Csv(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const char* kColumns[] = {"scope",   "key",       "label", "days",      "domains",
                          "abused",  "per10k",    "share", "new_share", "phishing",
                          "malware", "botnet_cc", "spam",  "mitigated", "median_ttm_days"};

std::vector<std::string> Cells(const MonthRow& r) {
  return {r.scope,
          r.key,
          r.label,
          std::to_string(r.days),
          Num(r.domains),
          Num(r.abused),
          Num(r.per10k),
          Num(r.share),
          OptNum(r.new_share),
          Num(r.by_category[0]),
          Num(r.by_category[1]),
          Num(r.by_category[2]),
          Num(r.by_category[3]),
          std::to_string(r.mitigated),
          OptNum(r.median_ttm)};
}

}  // namespace

Json MonthToJson(const MonthReport& r) {
  Json rows = Json::array();
  for (const MonthRow& m : r.rows) {
    Json j = {{"scope", m.scope},   {"key", m.key},         {"label", m.label},
              {"days", m.days},     {"domains", m.domains}, {"abused", m.abused},
              {"per10k", m.per10k}, {"share", m.share},     {"mitigated", m.mitigated}};
    j["new_share"] = m.new_share ? Json(*m.new_share) : Json(nullptr);
    j["median_ttm_days"] = m.median_ttm ? Json(*m.median_ttm) : Json(nullptr);
    for (size_t c = 0; c < kCategoryCount; ++c)
      j[std::string(CategoryName(static_cast<Category>(c)))] = m.by_category[c];
    rows.push_back(j);
  }
  return {{"month", r.month},
          {"days", r.days},
          {"rules", r.rules},
          {"inputs", r.inputs},
          {"rows", rows}};
}

std::string MonthToCsv(const MonthReport& r) {
  std::string out;
  for (size_t i = 0; i < std::size(kColumns); ++i) out += (i ? "," : "") + std::string(kColumns[i]);
  out += "\n";
  for (const MonthRow& m : r.rows) {
    auto cells = Cells(m);
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + Csv(cells[i]);
    out += "\n";
  }
  return out;
}

std::string MonthToHtml(const MonthReport& r) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>DNS abuse report "
      "{0}</title>\n"
      "<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px "
      "solid #999;"
      "padding:2px 6px}}td.n{{text-align:right}}</style></head><body>\n<h1>DNS abuse report "
      "{0}</h1>\n"
      "<p>Days: {1}. Monthly figure = median of the daily figures.</p>\n",
      Html(r.month), r.days.size());
  for (const char* scope : {"all", "tld", "registrar"}) {
    out += fmt::format("<h2>{}</h2>\n<table id=\"{}\"><thead><tr>",
                       scope == std::string("all")   ? "All"
                       : scope == std::string("tld") ? "Per TLD"
                                                     : "Per registrar",
                       scope);
    for (size_t i = 1; i < std::size(kColumns); ++i) out += fmt::format("<th>{}</th>", kColumns[i]);
    out += "</tr></thead><tbody>\n";
    for (const MonthRow& m : r.rows) {
      if (m.scope != scope) continue;
      auto cells = Cells(m);
      out += "<tr>";
      for (size_t i = 1; i < cells.size(); ++i)
        out += fmt::format("<td{}>{}</td>", i >= 3 ? " class=\"n\"" : "", Html(cells[i]));
      out += "</tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "<h2>Counting rules</h2>\n<pre>" + Html(r.rules.dump(2)) + "</pre>\n";
  out += "<h2>Inputs</h2>\n<pre>";
  for (const Json& in : r.inputs) {
    Json brief = in;
    if (brief.contains("feeds"))
      for (auto& f : brief["feeds"]) f.erase("issues");
    if (brief.contains("zones"))
      for (auto& z : brief["zones"]) z.erase("issues");
    out += Html(brief.dump(2)) + "\n";
  }
  out += "</pre>\n</body></html>\n";
  return out;
}

}  // namespace entente::dnsabuse
