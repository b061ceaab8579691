// `entente dns`: the DNS abuse observatory (src/dnsabuse, docs/dns-abuse.md).
//
//   entente dns ingest --date 2024-03-01 --zone com.zone.gz --zone net.zone
//       --registrations regs.csv [--registrars registrars.csv]
//       --feed phishing:openphish:urls:phish.txt --feed malware:urlhaus:csv3:urlhaus.csv
//   entente dns report --month 2024-03 [--format html|csv|json] [--out FILE]
//   entente dns day --date 2024-03-01 [--scope tld|registrar|all]
//
// The figures are stored in the node's database (migration 0008).
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "app/cli_group.h"
#include "dnsabuse/observatory.h"

namespace entente::cli {
namespace {

using Json = nlohmann::json;

[[noreturn]] void DnsDie(const std::string& msg) {
  std::cerr << "entente: " << msg << "\n";
  std::exit(1);
}

template <class T>
T DnsOrDie(Result<T> r) {
  if (!r) DnsDie(r.error().ToString());
  return std::move(*r);
}

class DnsCommands final : public CommandGroup {
 public:
  void Register(CLI::App& app) override {
    dns_ = app.add_subcommand("dns", "DNS abuse observatory: measure abuse per TLD and registrar");
    dns_->require_subcommand(1);

    ingest_ = dns_->add_subcommand("ingest", "compute and store one day's figures from zone files, "
                                             "registration data and reputation feeds");
    ingest_->add_option("--date", req_.day, "snapshot day YYYY-MM-DD")->required();
    ingest_->add_option("--zone", req_.zones, "zone file in master format, plain or .gz (repeatable)")
        ->required();
    ingest_->add_option("--registrations", req_.registrations,
                        "CSV domain,registrar_id,created (header row required)");
    ingest_->add_option("--registrars", req_.registrars,
                        "CSV iana_id,name,abuse_email: registrations naming other ids are reported");
    ingest_->add_option("--feed", feeds_,
                        "category:source:format:FILE; category phishing|malware|botnet_cc|spam, "
                        "format domains|urls|hosts|csv|csvN|rpz (repeatable)")
        ->required();
    ingest_->add_flag("--allow-include", req_.allow_include, "follow $INCLUDE in zone files");
    ingest_->add_option("--new-days", req_.new_days,
                        "a domain listed within this many days of its creation is newly registered")
        ->capture_default_str();

    report_ = dns_->add_subcommand("report", "monthly report: the median of the daily figures");
    report_->add_option("--month", month_, "YYYY-MM")->required();
    report_->add_option("--format", format_, "html, csv or json")
        ->check(CLI::IsMember({"html", "csv", "json"}))
        ->capture_default_str();
    report_->add_option("--out", out_, "write to this file instead of standard output");

    day_ = dns_->add_subcommand("day", "one stored day's figures");
    day_->add_option("--date", day_date_, "YYYY-MM-DD")->required();
    day_->add_option("--scope", scope_, "all, tld or registrar")
        ->check(CLI::IsMember({"all", "tld", "registrar"}));
  }

  std::optional<int> Run(const Context& c) override {
    if (!dns_->parsed()) return std::nullopt;
    auto node = DnsOrDie(api::Node::Open(c.Options()));
    dnsabuse::Observatory obs(node->db());
    if (ingest_->parsed()) return Ingest(c, obs);
    if (report_->parsed()) return Report(obs);
    if (day_->parsed()) return Day(c, obs);
    return 2;
  }

 private:
  int Ingest(const Context& c, dnsabuse::Observatory& obs) {
    for (const auto& f : feeds_) req_.feeds.push_back(DnsOrDie(dnsabuse::ParseFeedSpec(f)));
    auto day = DnsOrDie(obs.Ingest(req_));
    // Bad input is reported, never silently dropped.
    for (const auto& i : day.zone_issues) std::cerr << fmt::format("{}:{}: {}\n", i.file, i.line, i.message);
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
      std::cout << Json{{"day", day.day}, {"totals", day.totals}, {"inputs", day.inputs},
                        {"rules", day.rules}, {"figures", figures}}
                       .dump(2)
                << "\n";
      return 0;
    }
    const auto& t = day.totals;
    std::cout << fmt::format(
        "{}: {} domains in zone, {} abused ({} per 10,000); {} listed not in zone, {} outside the zones, "
        "{} IP-only; {} new listings, {} mitigated; {} zone errors, {} invalid feed lines\n",
        day.day, t["domains"].get<std::int64_t>(), t["abused"].get<std::int64_t>(),
        day.figures.empty() ? 0.0 : day.figures[0].per10k, t["not_in_zone"].get<std::int64_t>(),
        t["out_of_scope"].get<std::int64_t>(), t["ip_only"].get<std::int64_t>(),
        t["new_listings"].get<std::int64_t>(), t["mitigated"].get<std::int64_t>(),
        t["zone_errors"].get<std::int64_t>(), t["invalid_feed_lines"].get<std::int64_t>());
    return 0;
  }

  int Report(dnsabuse::Observatory& obs) {
    auto month = DnsOrDie(obs.Month(month_));
    std::string text = format_ == "json"  ? dnsabuse::MonthToJson(month).dump(2) + "\n"
                       : format_ == "csv" ? dnsabuse::MonthToCsv(month)
                                          : dnsabuse::MonthToHtml(month);
    if (out_.empty()) {
      std::cout << text;
    } else {
      std::ofstream f(out_, std::ios::binary);
      if (!(f << text)) DnsDie("cannot write " + out_);
    }
    return 0;
  }

  int Day(const Context& c, dnsabuse::Observatory& obs) {
    auto figures = DnsOrDie(obs.Day(day_date_, scope_));
    if (c.json) {
      Json a = Json::array();
      for (const auto& f : figures) a.push_back(dnsabuse::FiguresToJson(f));
      std::cout << a.dump(2) << "\n";
      return 0;
    }
    std::cout << fmt::format("{:<10} {:<24} {:>12} {:>9} {:>10} {:>7} {:>9}\n", "scope", "key", "domains",
                             "abused", "per10k", "share", "mitigated");
    for (const auto& f : figures)
      std::cout << fmt::format("{:<10} {:<24} {:>12} {:>9} {:>10} {:>7} {:>9}\n", f.scope,
                               f.scope == "registrar" ? f.key + " " + f.label : f.key, f.domains, f.abused,
                               f.per10k, f.share, f.mitigated);
    return 0;
  }

  CLI::App* dns_ = nullptr;
  CLI::App* ingest_ = nullptr;
  CLI::App* report_ = nullptr;
  CLI::App* day_ = nullptr;
  dnsabuse::IngestRequest req_;
  std::vector<std::string> feeds_;
  std::string month_, format_ = "html", out_, day_date_, scope_;
};

}  // namespace

ENTENTE_CLI_GROUP(DnsCommands);

}  // namespace entente::cli
