// `entente dns`: the DNS abuse observatory (src/dnsabuse, docs/dns-abuse.md).
//
//   entente dns ingest --date 2024-03-01 --zone com.zone.gz --zone net.zone
//       --registrations regs.csv [--registrars registrars.csv]
//       --feed phishing:openphish:urls:phish.txt --feed malware:urlhaus:csv3:urlhaus.csv
//       [--stix bundle.json] [--stix-from-store --org ORG_ID] [--stix-dir DIR]
//   entente dns report --month 2024-03 [--format html|csv|json] [--out FILE]
//   entente dns day --date 2024-03-01 [--scope tld|registrar|all]
//   entente dns route --domain evil.example --as alice [--registrar-org 1001=ORG_ID]
//       [--registry-org ORG_ID] [--escalate] [--screenshot-sha256 HEX]
//   entente dns sync                       (reads registrars' answers from comms)
//   entente dns respond --message MSG_ID --date 2024-03-05 --action
//   suspended|deleted|other_action|declined
//       [--reason TEXT]
//
// The figures are stored in the node's database (migration 0008).
#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/node.h"
#include "app/cli_group.h"
#include "dnsabuse/observatory.h"
#include "dnsabuse/reports.h"
#include "dnsabuse/stix_feed.h"

namespace entente::cli {
namespace {

using Json = nlohmann::json;

class DnsCommands final : public CommandGroup {
 public:
  void Register(CLI::App& app) override {
    dns_ = app.add_subcommand("dns", "DNS abuse observatory: measure abuse per TLD and registrar");
    dns_->require_subcommand(1);

    ingest_ = dns_->add_subcommand("ingest",
                                   "compute and store one day's figures from zone files, "
                                   "registration data and reputation feeds");
    ingest_->add_option("--date", req_.day, "snapshot day YYYY-MM-DD")->required();
    ingest_
        ->add_option("--zone", req_.zones, "zone file in master format, plain or .gz (repeatable)")
        ->required();
    ingest_->add_option("--registrations", req_.registrations,
                        "CSV domain,registrar_id,created (header row required)");
    ingest_->add_option(
        "--registrars", req_.registrars,
        "CSV iana_id,name,abuse_email: registrations naming other ids are reported");
    ingest_->add_option("--feed", feeds_,
                        "category:source:format:FILE; category phishing|malware|botnet_cc|spam, "
                        "format domains|urls|hosts|csv|csvN|rpz (repeatable)");
    ingest_->add_option("--stix", stix_files_,
                        "STIX 2.1 bundle file: its domain and URL indicators as feeds, the "
                        "category from indicator_types / labels (repeatable)");
    ingest_->add_flag("--stix-from-store", stix_store_,
                      "the indicators of this node's intelligence store that --org may read, "
                      "as feeds");
    ingest_->add_option("--org", stix_org_, "organisation whose eyes read the store (its id)");
    ingest_->add_option("--stix-dir", stix_dir_,
                        "where the feeds made of STIX indicators are written (kept, so that "
                        "their SHA-256 in the day's inputs can be checked; default: a new "
                        "directory under the system's temporary directory)");
    ingest_->add_flag("--allow-include", req_.allow_include, "follow $INCLUDE in zone files");
    ingest_
        ->add_option("--new-days", req_.new_days,
                     "a domain listed within this many days of its creation is newly registered")
        ->capture_default_str();

    report_ = dns_->add_subcommand("report", "monthly report: the median of the daily figures");
    report_->add_option("--month", month_, "YYYY-MM")->required();
    report_->add_option("--format", format_, "html, csv or json")
        ->check(CLI::IsMember({"html", "csv", "json"}))
        ->capture_default_str();
    report_->add_option("--out", out_, "write to this file instead of standard output");

    route_ = dns_->add_subcommand("route",
                                  "send an abuse report on a listed domain to its registrar "
                                  "(or registry) as a structured communication");
    route_->add_option("--domain", domain_, "registrable domain with an open listing")->required();
    route_->add_option("--as", as_user_, "user who sends the report (their organisation signs)")
        ->required();
    route_->add_option("--registrar-org", registrar_orgs_,
                       "IANA_ID=ORG_ID: the registrar's organisation, over the directory's "
                       "(organisations of kind registrar with that IANA id) (repeatable)");
    route_->add_option("--registry-org", registry_org_,
                       "the registry's organisation (used when the registrar is unknown, has no "
                       "organisation, or with --escalate)");
    route_->add_flag("--escalate", escalate_, "send to the registry (the registrar did not act)");
    route_->add_option("--screenshot-sha256", screenshot_,
                       "SHA-256 of a screenshot kept as evidence");
    route_->add_option("--urgency", urgency_, "urgent, priority or routine")->capture_default_str();

    respond_ = dns_->add_subcommand("respond", "record the registrar's answer to an abuse report");
    respond_->add_option("--message", message_, "the report's message id")->required();
    respond_->add_option("--date", respond_date_, "day of the answer YYYY-MM-DD")->required();
    respond_->add_option("--action", action_, "suspended, deleted, other_action or declined")
        ->check(CLI::IsMember({"suspended", "deleted", "other_action", "declined"}))
        ->required();
    respond_->add_option("--reason", reason_, "reason (required for declined)");

    sync_ = dns_->add_subcommand(
        "sync",
        "update routed reports from the communications workflow (acknowledgements, responses, "
        "declines); `entente serve` does it in the background");

    day_ = dns_->add_subcommand("day", "one stored day's figures");
    day_->add_option("--date", day_date_, "YYYY-MM-DD")->required();
    day_->add_option("--scope", scope_, "all, tld or registrar")
        ->check(CLI::IsMember({"all", "tld", "registrar"}));
  }

  std::optional<int> Run(const Context& c) override {
    if (!dns_->parsed()) return std::nullopt;
    auto node = OrDie(api::Node::Open(c.Options()));
    dnsabuse::Observatory obs(node->db());
    if (ingest_->parsed()) {
      AddStixFeeds(*node);
      return Ingest(c, obs);
    }
    if (report_->parsed()) return Report(obs);
    if (day_->parsed()) return Day(c, obs);
    if (route_->parsed()) return Route(c, *node);
    if (sync_->parsed()) return Sync(c, *node);
    if (respond_->parsed()) {
      const auto r = dnsabuse::ResponseNamed(action_).value_or(dnsabuse::Response::kDeclined);
      auto s = obs.RecordResponse(message_, respond_date_, r, reason_);
      if (!s) Die(s.error().ToString());
      std::cout << (c.json ? Json{{"message", message_}, {"action", action_}}.dump() : "recorded")
                << "\n";
      return 0;
    }
    return 2;
  }

 private:
  // STIX bundles and the store, as one `urls` feed per category.
  void AddStixFeeds(api::Node& node) {
    if (stix_files_.empty() && !stix_store_) {
      if (!stix_org_.empty()) Die("--org is for --stix-from-store");
      return;
    }
    const auto day = dnsabuse::ParseDay(req_.day);
    if (!day) Die(fmt::format("date: day '{}' is not a date YYYY-MM-DD", req_.day));
    if (stix_dir_.empty()) {
      std::string t = (std::filesystem::temp_directory_path() / "entente-dns-stix-XXXXXX").string();
      if (!mkdtemp(t.data())) Die("cannot create a temporary directory");
      stix_dir_ = t;
    }
    auto add = [&](const dnsabuse::StixFeedResult& r, const std::string& source) {
      std::cerr << fmt::format("stix {}: {}\n", source, r.Summary().dump());
      for (const auto& i : r.issues)
        std::cerr << fmt::format("stix {}: object {}: {}\n", source, i.line, i.message);
      for (auto& spec : OrDie(dnsabuse::WriteStixFeeds(r, stix_dir_, source)))
        req_.feeds.push_back(std::move(spec));
    };
    for (size_t i = 0; i < stix_files_.size(); ++i) {
      auto text = dnsabuse::ReadInputFile(stix_files_[i], 1ull << 30);
      if (!text) Die(fmt::format("--stix {}: {}", stix_files_[i], text.error().message));
      auto r = dnsabuse::StixBundleToFeeds(*text, *day);
      if (!r) Die(fmt::format("--stix {}: {}", stix_files_[i], r.error().ToString()));
      add(*r, stix_files_.size() == 1 ? "stix" : fmt::format("stix{}", i + 1));
    }
    if (stix_store_) {
      if (stix_org_.empty()) Die("--stix-from-store needs --org ORG_ID (whose eyes read it)");
      if (!node.directory().GetOrg(stix_org_)) Die("--org: no organisation " + stix_org_);
      add(OrDie(dnsabuse::StixStoreToFeeds(node.db(), node.clock(), stix_org_, *day)),
          "stix-store");
    }
  }

  int Ingest(const Context& c, dnsabuse::Observatory& obs) {
    for (const auto& f : feeds_) req_.feeds.push_back(OrDie(dnsabuse::ParseFeedSpec(f)));
    if (req_.feeds.empty()) Die("give at least one feed (--feed, --stix or --stix-from-store)");
    auto day = OrDie(obs.Ingest(req_));
    // Bad input is reported, never silently dropped.
    for (const auto& i : day.zone_issues)
      std::cerr << fmt::format("{}:{}: {}\n", i.file, i.line, i.message);
    for (const auto& f : day.inputs["feeds"])
      for (const auto& i : f["issues"])
        std::cerr << fmt::format("feed {}:{} ({}):{}: {}\n", f["category"].get<std::string>(),
                                 f["source"].get<std::string>(), f["file"].get<std::string>(),
                                 i["line"].get<std::uint64_t>(), i["message"].get<std::string>());
    for (const char* k : {"registrations", "registrars"})
      if (day.inputs.contains(k))
        for (const auto& i : day.inputs[k]["issues"])
          std::cerr << fmt::format("{} {}:{}: {}\n", k, day.inputs[k]["file"].get<std::string>(),
                                   i["line"].get<std::uint64_t>(), i["message"].get<std::string>());
    if (c.json) {
      Json figures = Json::array();
      for (const auto& f : day.figures) figures.push_back(dnsabuse::FiguresToJson(f));
      std::cout << Json{{"day", day.day},
                        {"totals", day.totals},
                        {"inputs", day.inputs},
                        {"rules", day.rules},
                        {"figures", figures}}
                       .dump(2)
                << "\n";
      return 0;
    }
    const auto& t = day.totals;
    std::cout << fmt::format(
        "{}: {} domains in zone, {} abused ({} per 10,000); {} listed not in zone, {} outside the "
        "zones, "
        "{} IP-only; {} new listings, {} mitigated; {} zone errors, {} invalid feed lines\n",
        day.day, t["domains"].get<std::int64_t>(), t["abused"].get<std::int64_t>(),
        day.figures.empty() ? 0.0 : day.figures[0].per10k, t["not_in_zone"].get<std::int64_t>(),
        t["out_of_scope"].get<std::int64_t>(), t["ip_only"].get<std::int64_t>(),
        t["new_listings"].get<std::int64_t>(), t["mitigated"].get<std::int64_t>(),
        t["zone_errors"].get<std::int64_t>(), t["invalid_feed_lines"].get<std::int64_t>());
    return 0;
  }

  int Route(const Context& c, api::Node& node) {
    dnsabuse::RouteOptions opt;
    for (const auto& m : registrar_orgs_) {
      const size_t eq = m.find('=');
      char* end = nullptr;
      const long long id = eq == std::string::npos ? 0 : std::strtoll(m.c_str(), &end, 10);
      if (eq == std::string::npos || id <= 0 || end != m.c_str() + eq || eq + 1 == m.size())
        Die(fmt::format("--registrar-org '{}' is not IANA_ID=ORG_ID", m));
      opt.registrar_orgs[id] = m.substr(eq + 1);
    }
    opt.registry_org = registry_org_;
    opt.escalate = escalate_;
    opt.urgency = urgency_;
    auto users = OrDie(
        node.db().Query("SELECT id, org_id, disabled FROM users WHERE username = ?", {as_user_}));
    if (users.empty()) Die("no user " + as_user_);
    if (users[0].Int(2) != 0) Die("user " + as_user_ + " is disabled");
    const directory::Actor actor{users[0].Text(0), users[0].Text(1)};
    dnsabuse::ReportDesk desk(node.db(), node.comms(), node.directory(), node.clock());
    auto filed = OrDie(desk.FileFromObservatory(actor, domain_, screenshot_));
    auto sent = OrDie(desk.Route(actor, filed.id, opt));
    const std::string routed = sent.routed_to.value_or("");
    if (c.json)
      std::cout << Json{{"report", sent.id},
                        {"message", sent.message_id.value_or("")},
                        {"domain", sent.domain},
                        {"recipient", sent.recipient_org.value_or("")},
                        {"routed_to", routed}}
                       .dump()
                << "\n";
    else
      std::cout << fmt::format("report {} on {} sent to the {} ({}) as message {}\n", sent.id,
                               sent.domain, routed, sent.recipient_org.value_or(""),
                               sent.message_id.value_or(""));
    return 0;
  }

  int Sync(const Context& c, api::Node& node) {
    dnsabuse::ReportDesk desk(node.db(), node.comms(), node.directory(), node.clock());
    auto r = OrDie(desk.Sync(100000));
    for (const auto& e : r.errors) std::cerr << e << "\n";
    if (c.json)
      std::cout << Json{{"checked", r.checked}, {"updated", r.updated}, {"errors", r.errors}}.dump()
                << "\n";
    else
      std::cout << fmt::format(
          "{} open reports checked, {} updated from the communications "
          "workflow, {} errors\n",
          r.checked, r.updated, r.errors.size());
    return r.errors.empty() ? 0 : 1;
  }

  int Report(dnsabuse::Observatory& obs) {
    auto month = OrDie(obs.Month(month_));
    std::string text = format_ == "json"  ? dnsabuse::MonthToJson(month).dump(2) + "\n"
                       : format_ == "csv" ? dnsabuse::MonthToCsv(month)
                                          : dnsabuse::MonthToHtml(month);
    if (out_.empty()) {
      std::cout << text;
    } else {
      std::ofstream f(out_, std::ios::binary);
      if (!(f << text)) Die("cannot write " + out_);
    }
    return 0;
  }

  int Day(const Context& c, dnsabuse::Observatory& obs) {
    auto figures = OrDie(obs.Day(day_date_, scope_));
    if (c.json) {
      Json a = Json::array();
      for (const auto& f : figures) a.push_back(dnsabuse::FiguresToJson(f));
      std::cout << a.dump(2) << "\n";
      return 0;
    }
    std::cout << fmt::format("{:<10} {:<24} {:>12} {:>9} {:>10} {:>7} {:>9}\n", "scope", "key",
                             "domains", "abused", "per10k", "share", "mitigated");
    for (const auto& f : figures)
      std::cout << fmt::format("{:<10} {:<24} {:>12} {:>9} {:>10} {:>7} {:>9}\n", f.scope,
                               f.scope == "registrar" ? f.key + " " + f.label : f.key, f.domains,
                               f.abused, f.per10k, f.share, f.mitigated);
    return 0;
  }

  CLI::App* dns_ = nullptr;
  CLI::App* ingest_ = nullptr;
  CLI::App* report_ = nullptr;
  CLI::App* day_ = nullptr;
  CLI::App* route_ = nullptr;
  CLI::App* respond_ = nullptr;
  CLI::App* sync_ = nullptr;
  std::string domain_, as_user_, screenshot_, urgency_ = "priority", message_, respond_date_,
                                              action_, reason_;
  std::vector<std::string> registrar_orgs_;
  std::string registry_org_;
  bool escalate_ = false;
  dnsabuse::IngestRequest req_;
  std::vector<std::string> feeds_, stix_files_;
  bool stix_store_ = false;
  std::string stix_org_, stix_dir_;
  std::string month_, format_ = "html", out_, day_date_, scope_;
};

}  // namespace

ENTENTE_CLI_GROUP(DnsCommands);

}  // namespace entente::cli
