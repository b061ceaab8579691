// `entente match`: scans logs against indicators; `entente feed`: writes
// the indicators as an RPZ zone, a MISP feed, Suricata or Zeek files, or CSV.
// Neither needs a node: indicators come from files (plain list, CSV, JSON
// lines or a STIX 2.1 bundle).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cli_group.h"
#include "core/clock.h"
#include "match/export.h"
#include "match/index.h"
#include "match/indicator_io.h"
#include "match/scan.h"

namespace entente::cli {
namespace {

namespace fs = std::filesystem;
using namespace entente::match;

struct IndicatorArgs {
  std::vector<std::string> files;
  std::string format = "auto";
  std::string tlp = "amber", pap = "amber", community;
  std::string max_tlp = "red", max_pap = "red";
  std::vector<std::string> communities;
  bool exact_domains = false;

  void Add(CLI::App* cmd) {
    cmd->add_option("--indicators,-i", files,
                    "indicator file (plain list, CSV, JSON lines or STIX 2.1 bundle); repeatable")
        ->required()
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--indicators-format", format, "auto, plain, csv, jsonl or stix")
        ->check(CLI::IsMember({"auto", "plain", "csv", "jsonl", "stix"}));
    cmd->add_option("--default-tlp", tlp, "TLP of indicators whose file gives none");
    cmd->add_option("--default-pap", pap, "PAP of indicators whose file gives none");
    cmd->add_option("--default-community", community,
                    "community of indicators whose file gives none");
    cmd->add_option("--max-tlp", max_tlp,
                    "use only indicators up to this TLP (clear, green, amber, amber+strict, red)");
    cmd->add_option("--max-pap", max_pap, "use only indicators up to this PAP");
    cmd->add_option("--community", communities,
                    "use only indicators of these communities (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag(
        "--exact-domains", exact_domains,
        "domains of plain lists and CSV match exactly (default: the domain and its subdomains)");
  }
};

Policy MakePolicy(const IndicatorArgs& a, Millis now) {
  Policy p;
  auto t = TlpFromName(a.max_tlp);
  if (!t) Die(fmt::format("--max-tlp: unknown TLP '{}'", a.max_tlp));
  auto pp = PapFromName(a.max_pap);
  if (!pp) Die(fmt::format("--max-pap: unknown PAP '{}'", a.max_pap));
  p.max_tlp = *t;
  p.max_pap = *pp;
  p.communities = a.communities;
  p.now = now;
  return p;
}

std::vector<Indicator> LoadAll(const IndicatorArgs& a, bool json) {
  IndicatorDefaults d;
  auto t = TlpFromName(a.tlp);
  if (!t) Die(fmt::format("--default-tlp: unknown TLP '{}'", a.tlp));
  auto p = PapFromName(a.pap);
  if (!p) Die(fmt::format("--default-pap: unknown PAP '{}'", a.pap));
  d.tlp = *t;
  d.pap = *p;
  d.community = a.community;
  d.subdomains = !a.exact_domains;
  std::vector<Indicator> all;
  for (const auto& f : a.files) {
    auto r = OrDie(LoadIndicatorFile(f, a.format, d));
    if (!json || r.skipped) {
      std::cerr << fmt::format("entente: {} ({}): {} indicators", f, r.format, r.indicators.size());
      if (r.skipped) std::cerr << fmt::format(", {} skipped", r.skipped);
      std::cerr << "\n";
    }
    for (std::size_t k = 0; k < r.issues.size() && k < 10; ++k)
      std::cerr << fmt::format("entente:   {}:{}: {}\n", f, r.issues[k].line, r.issues[k].message);
    for (auto& i : r.indicators) all.push_back(std::move(i));
  }
  return all;
}

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void operator()(const std::string& file, std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    int width = 30;
    int fill = total ? static_cast<int>(width * done / total) : width;
    std::string bar(fill, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %3d%% %.0f/%.0f MB %.0f MB/s ",
                 fs::path(file).filename().c_str(), bar.c_str(),
                 total ? static_cast<int>(100 * done / total) : 100, done / 1e6, total / 1e6,
                 secs > 0 ? done / 1e6 / secs : 0.0);
    if (done == total) std::fputc('\n', stderr);
  }
  void Restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_{};
};

class MatchCommands final : public CommandGroup {
 public:
  void Register(CLI::App& app) override {
    match_ = app.add_subcommand("match",
                                "scan logs (or lists of values) for indicators; hits on stdout");
    ind_.Add(match_);
    match_->add_option("--format", format_,
                       "log format: auto, plain, csv:N, bind, unbound, zeek, zeek-json, squid");
    match_->add_option("--out", out_, "hits as jsonl or csv")
        ->check(CLI::IsMember({"jsonl", "csv"}));
    match_->add_option("--threads", threads_, "worker threads (default: all cores)");
    match_->add_flag("--no-progress", no_progress_, "no progress bar even on a terminal");
    match_->add_option("logs", logs_, "log files")->required();

    feed_ =
        app.add_subcommand("feed", "write indicators as a feed: rpz, misp, suricata, zeek or csv");
    ind_feed_.Add(feed_);
    feed_->add_option("kind", feed_kind_, "rpz, misp, suricata, zeek or csv")
        ->required()
        ->check(CLI::IsMember({"rpz", "misp", "suricata", "zeek", "csv"}));
    feed_->add_option("--output,-o", feed_out_,
                      "output file (rpz, zeek, csv; default stdout) or directory (misp, suricata)");
    feed_->add_option(
        "--action", action_,
        "RPZ action for indicators without one: nxdomain, nodata, passthru, drop, local");
    feed_->add_option("--local-data", local_data_,
                      "RPZ local data for --action local, e.g. \"A 192.0.2.1\"");
    feed_->add_option("--zone", zone_, "RPZ zone name");
    feed_->add_option("--serial", serial_, "RPZ SOA serial (default: now, in seconds)");
    feed_->add_option("--name", feed_name_, "feed name (MISP event info, Zeek meta.source)");
    feed_->add_option("--org", org_, "MISP creator organisation name");
  }

  std::optional<int> Run(const Context& c) override {
    if (match_->parsed()) return RunMatch(c);
    if (feed_->parsed()) return RunFeed(c);
    return std::nullopt;
  }

 private:
  int RunMatch(const Context& c) {
    Millis now = SystemClock().NowMillis();
    ScanOptions opt;
    if (format_ != "auto") {
      opt.auto_format = false;
      opt.format = OrDie(ParseFormatSpec(format_));
    }
    opt.out = out_ == "csv" ? OutFormat::kCsv : OutFormat::kJsonLines;
    if (threads_ < 0 || threads_ > 256) Die("--threads must be from 0 to 256");
    opt.threads = threads_;
    opt.now = now;
    auto indicators = LoadAll(ind_, c.json);
    auto index = OrDie(Index::Build(indicators, MakePolicy(ind_, now)));
    const BuildStats& bs = index->stats();
    std::cerr << fmt::format(
        "entente: index of {} indicators ({} keys, {} regexes; {} revoked, {} expired, "
        "{} not allowed, {} invalid), {:.1f} MB\n",
        bs.indexed, bs.keys, bs.regexes, bs.revoked, bs.expired, bs.not_allowed, bs.invalid,
        bs.TotalBytes() / 1e6);
    for (std::size_t k = 0; k < bs.issues.size() && k < 10; ++k)
      std::cerr << fmt::format("entente:   {}: {}\n", bs.issues[k].indicator_id,
                               bs.issues[k].message);
    indicators.clear();
    indicators.shrink_to_fit();
    Progress progress(!no_progress_ && isatty(STDERR_FILENO));
    if (opt.out == OutFormat::kCsv) WriteCsvHeader(stdout);
    int rc = 0;
    nlohmann::json summary = nlohmann::json::array();
    for (const auto& log : logs_) {
      progress.Restart();
      opt.progress = [&](std::uint64_t done, std::uint64_t total) { progress(log, done, total); };
      auto st = ScanFile(log, index, opt, stdout);
      if (!st) {
        std::cerr << "entente: " << st.error().ToString() << "\n";
        rc = 1;
        continue;
      }
      std::fflush(stdout);
      nlohmann::json malformed = nlohmann::json::array();
      for (const auto& m : st->first_malformed)
        malformed.push_back({{"line", m.line}, {"error", m.error}});
      summary.push_back({{"file", log},
                         {"format", st->format},
                         {"bytes", st->bytes},
                         {"lines", st->lines},
                         {"values", st->values},
                         {"hits", st->hits},
                         {"hit_lines", st->hit_lines},
                         {"ignored", st->ignored},
                         {"malformed", st->malformed},
                         {"truncated", st->truncated},
                         {"first_malformed", malformed}});
      if (!c.json) {
        std::cerr << fmt::format(
            "entente: {} ({}): {} lines, {} values, {} hits on {} lines, {} ignored, "
            "{} malformed{}\n",
            log, st->format, st->lines, st->values, st->hits, st->hit_lines, st->ignored,
            st->malformed, st->truncated ? " (last line has no newline: truncated file?)" : "");
        for (const auto& m : st->first_malformed)
          std::cerr << fmt::format("entente:   {}:{}: {}\n", log, m.line, m.error);
      }
    }
    if (c.json) std::cerr << summary.dump() << "\n";
    return rc;
  }

  void WriteFile(const fs::path& p, const std::string& content) {
    fs::path tmp = p;
    tmp += ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      if (!f) Die("cannot write " + tmp.string());
      f << content;
      f.close();
      if (!f) Die("cannot write " + tmp.string());
    }
    std::error_code ec;
    fs::rename(tmp, p, ec);
    if (ec) Die(fmt::format("cannot rename {} to {}: {}", tmp.string(), p.string(), ec.message()));
  }

  int RunFeed(const Context& c) {
    Millis now = SystemClock().NowMillis();
    auto indicators = LoadAll(ind_feed_, c.json);
    ExportOptions o;
    o.policy = MakePolicy(ind_feed_, now);
    auto a = ActionFromName(action_);
    if (!a || *a == Action::kDefault) Die(fmt::format("--action: unknown action '{}'", action_));
    o.default_action = *a;
    o.default_local_data = local_data_;
    if (!zone_.empty()) o.zone = zone_;
    o.serial = serial_ ? serial_ : static_cast<std::uint32_t>(now / 1000);
    o.feed_name = feed_name_;
    o.org_name = org_;
    ExportStats st;
    if (feed_kind_ == "rpz" || feed_kind_ == "zeek" || feed_kind_ == "csv") {
      std::string text = feed_kind_ == "rpz"    ? OrDie(ExportRpz(indicators, o, st))
                         : feed_kind_ == "zeek" ? OrDie(ExportZeekIntel(indicators, o, st))
                                                : OrDie(ExportCsv(indicators, o, st));
      if (feed_out_.empty() || feed_out_ == "-")
        std::cout << text;
      else
        WriteFile(feed_out_, text);
    } else {
      if (feed_out_.empty())
        Die(fmt::format("{} writes several files: give a directory with --output", feed_kind_));
      auto files = feed_kind_ == "misp" ? OrDie(ExportMisp(indicators, o, st))
                                        : OrDie(ExportSuricata(indicators, o, st));
      std::error_code ec;
      fs::create_directories(feed_out_, ec);
      if (ec) Die(fmt::format("cannot create {}: {}", feed_out_, ec.message()));
      // Event files first, the manifest last, so a subscriber never sees a
      // manifest naming a missing event.
      for (const auto& [name, content] : files)
        if (name != "manifest.json") WriteFile(fs::path(feed_out_) / name, content);
      if (files.contains("manifest.json"))
        WriteFile(fs::path(feed_out_) / "manifest.json", files.at("manifest.json"));
    }
    if (c.json) {
      std::cerr << nlohmann::json{{"written", st.written},       {"excluded", st.excluded},
                                  {"invalid", st.invalid},       {"unsupported", st.unsupported},
                                  {"duplicates", st.duplicates}, {"problems", st.problems}}
                       .dump()
                << "\n";
    } else {
      std::cerr << fmt::format(
          "entente: {} feed: {} indicators written, {} excluded (revoked, expired or not "
          "allowed), {} invalid, {} not expressible in this format, {} duplicates\n",
          feed_kind_, st.written, st.excluded, st.invalid, st.unsupported, st.duplicates);
      for (const auto& p : st.problems) std::cerr << "entente:   " << p << "\n";
    }
    return 0;
  }

  CLI::App* match_ = nullptr;
  CLI::App* feed_ = nullptr;
  IndicatorArgs ind_, ind_feed_;
  std::string format_ = "auto", out_ = "jsonl";
  int threads_ = 0;
  bool no_progress_ = false;
  std::vector<std::string> logs_;
  std::string feed_kind_, feed_out_, action_ = "nxdomain", local_data_, zone_,
                                     feed_name_ = "Entente", org_ = "Entente";
  std::uint32_t serial_ = 0;
};

}  // namespace

ENTENTE_CLI_GROUP(MatchCommands);

}  // namespace entente::cli
