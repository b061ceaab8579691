// `entente match`: scans logs against indicators; `entente feed`: writes
// the indicators as an RPZ zone, a MISP feed, Suricata or Zeek files, or CSV.
// Indicators come from files (plain list, CSV, JSON lines or a STIX 2.1
// bundle; no node needed) or, with --from-store --org ID, from the node's
// stored intelligence as that organisation may read it (match/source.h);
// `match --from-store --report-sightings` reports the hits as sightings.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <span>

#include "app/cli_group.h"
#include "core/clock.h"
#include "intel/sighting.h"
#include "match/export.h"
#include "match/feeds.h"
#include "match/index.h"
#include "match/indicator_io.h"
#include "match/scan.h"
#include "match/source.h"

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
  bool from_store = false;
  std::string org_id;

  void Check() const {
    if (from_store && !files.empty()) Die("--from-store and --indicators exclude each other");
    if (!from_store && files.empty()) Die("give --indicators FILE or --from-store --org ID");
    if (from_store && org_id.empty()) Die("--from-store needs --org ID");
    if (!from_store && !org_id.empty()) Die("--org goes with --from-store");
  }

  void Add(CLI::App* cmd) {
    cmd->add_option("--indicators,-i", files,
                    "indicator file (plain list, CSV, JSON lines or STIX 2.1 bundle); repeatable")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("--from-store", from_store,
                  "use the node's stored intelligence (what --org may read) instead of files");
    cmd->add_option("--org", org_id, "with --from-store: the organisation whose view is used");
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

// The organisation's view of the node's stored intelligence.
struct StoreView {
  std::unique_ptr<api::Node> node;
  std::shared_ptr<const SourceSnapshot> snapshot;
};

StoreView LoadFromStore(const Context& c, const std::string& org) {
  StoreView v;
  v.node = OrDie(api::Node::Open(c.Options()));
  OrDie(v.node->directory().GetOrg(org));  // a clear error for an unknown organisation
  IndicatorSource source(v.node->db(), v.node->clock());
  v.snapshot = OrDie(source.Build(org, OrDie(CurrentSourceKey(v.node->db(), org))));
  std::cerr << fmt::format(
      "entente: {} stored indicators readable by {}, {} not usable for matching\n",
      v.snapshot->stored, org, v.snapshot->unusable);
  for (const auto& p : v.snapshot->problems) std::cerr << "entente:   " << p << "\n";
  return v;
}

// A FILE* that passes the hits through to `out` and counts, per indicator,
// the values that hit it (JSON lines: "indicators"[].id; CSV: the
// indicator column), for sightings.
class CountingOut {
 public:
  CountingOut(std::FILE* out, bool csv) : out_(out), csv_(csv) {
    cookie_io_functions_t io{};
    io.write = [](void* self, const char* buf, size_t n) -> ssize_t {
      static_cast<CountingOut*>(self)->Write(std::string_view(buf, n));
      return static_cast<ssize_t>(n);
    };
    file_ = fopencookie(this, "w", io);
    if (!file_) Die("cannot open the counting stream");
  }
  ~CountingOut() {
    if (file_) std::fclose(file_);
  }
  std::FILE* file() { return file_; }
  const std::map<std::string, std::uint64_t>& counts() {
    std::fflush(file_);
    return counts_;
  }

 private:
  void Write(std::string_view b) {
    std::fwrite(b.data(), 1, b.size(), out_);
    pending_.append(b);
    std::size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      Line(std::string_view(pending_).substr(0, nl));
      pending_.erase(0, nl + 1);
    }
  }
  void Line(std::string_view line) {
    if (!csv_) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("indicators")) return;
      std::set<std::string> ids;
      for (const auto& i : j["indicators"]) ids.insert(i.value("id", ""));
      for (const auto& id : ids) ++counts_[id];
      return;
    }
    if (header_) {
      header_ = false;
      return;
    }
    // file,line,field,kind,value,indicator,...: RFC 4180 fields.
    std::vector<std::string> f(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      char ch = line[i];
      if (quoted) {
        if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          f.back() += '"';
          ++i;
        } else if (ch == '"') {
          quoted = false;
        } else {
          f.back() += ch;
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        f.emplace_back();
      } else {
        f.back() += ch;
      }
    }
    if (f.size() < 6) return;
    // One row per (value, indicator): count a value once per indicator.
    std::string key = f[0] + "\n" + f[1] + "\n" + f[2] + "\n" + f[4] + "\n" + f[5];
    if (seen_.insert(key).second) ++counts_[f[5]];
  }

  std::FILE* out_;
  bool csv_;
  bool header_ = true;
  std::FILE* file_ = nullptr;
  std::string pending_;
  std::set<std::string> seen_;
  std::map<std::string, std::uint64_t> counts_;
};

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
    match_->add_flag("--report-sightings", report_sightings_,
                     "with --from-store: report the hits as sightings (one per indicator, "
                     "counting the values that hit it) in one batch at the end");
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
    feed_->add_option("--misp-org", org_, "MISP creator organisation name");
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
    ind_.Check();
    if (report_sightings_ && !ind_.from_store) Die("--report-sightings needs --from-store");
    std::vector<Indicator> indicators;
    StoreView view;
    std::shared_ptr<const Index> index;
    if (ind_.from_store) {
      view = LoadFromStore(c, ind_.org_id);
      index = view.snapshot->index;
    } else {
      indicators = LoadAll(ind_, c.json);
      index = OrDie(Index::Build(indicators, MakePolicy(ind_, now)));
    }
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
    std::optional<CountingOut> counting;
    std::FILE* out = stdout;
    if (report_sightings_) {
      counting.emplace(stdout, opt.out == OutFormat::kCsv);
      out = counting->file();
    }
    if (opt.out == OutFormat::kCsv) WriteCsvHeader(out);
    int rc = 0;
    nlohmann::json summary = nlohmann::json::array();
    for (const auto& log : logs_) {
      progress.Restart();
      opt.progress = [&](std::uint64_t done, std::uint64_t total) { progress(log, done, total); };
      auto st = ScanFile(log, index, opt, out);
      if (!st) {
        std::cerr << "entente: " << st.error().ToString() << "\n";
        rc = 1;
        continue;
      }
      std::fflush(out);
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
    if (report_sightings_) rc = std::max(rc, ReportSightings(view, counting->counts(), c));
    return rc;
  }

  // One batch at the end: a sighting per indicator hit, distributed like
  // the indicator (its community when the organisation is a member, else
  // the organisation alone; its TLP). Idempotent per indicator and day.
  int ReportSightings(const StoreView& v, const std::map<std::string, std::uint64_t>& counts,
                      const Context& c) {
    const SourceSnapshot& snap = *v.snapshot;
    std::map<std::string_view, const Indicator*> by_id;
    for (const auto& i : snap.indicators) by_id.emplace(i.id, &i);
    std::string now = FormatRfc3339(v.node->clock().NowMillis());
    std::vector<intel::SightingInput> inputs;
    for (const auto& [id, count] : counts) {
      auto it = by_id.find(id);
      if (it == by_id.end()) continue;
      intel::SightingInput in;
      in.indicator_id = id;
      in.count = static_cast<std::int64_t>(
          std::min<std::uint64_t>(count, static_cast<std::uint64_t>(intel::kMaxSightingCount)));
      in.first_seen = in.last_seen = now;
      in.observed_by = "entente match";
      if (std::binary_search(snap.key.communities.begin(), snap.key.communities.end(),
                             it->second->community))
        in.community_id = it->second->community;
      in.tlp = std::string(TlpName(it->second->tlp));
      inputs.push_back(std::move(in));
    }
    if (inputs.empty()) {
      std::cerr << "entente: no hits, no sightings reported\n";
      return 0;
    }
    intel::IntelRepository repo(v.node->db(), v.node->clock());
    intel::Sightings sightings(v.node->db(), v.node->clock(), repo);
    intel::Reader reader{snap.org_id, snap.key.communities};
    std::size_t added = 0, updated = 0, unchanged = 0;
    for (std::size_t k = 0; k < inputs.size(); k += intel::kMaxSightingsPerReport) {
      std::span<const intel::SightingInput> part(
          inputs.data() + k, std::min(intel::kMaxSightingsPerReport, inputs.size() - k));
      auto r = sightings.ReportSightings(reader, snap.org_id, part);
      if (!r) {
        std::cerr << "entente: sightings not reported: " << r.error().ToString() << "\n";
        return 1;
      }
      added += r->added;
      updated += r->updated;
      unchanged += r->unchanged;
    }
    if (c.json)
      std::cerr << nlohmann::json{{"sightings",
                                   {{"indicators", inputs.size()},
                                    {"added", added},
                                    {"updated", updated},
                                    {"unchanged", unchanged}}}}
                       .dump()
                << "\n";
    else
      std::cerr << fmt::format(
          "entente: sightings of {} indicators reported: {} added, {} updated, {} unchanged\n",
          inputs.size(), added, updated, unchanged);
    return 0;
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
    ind_feed_.Check();
    if (ind_feed_.from_store) return RunFeedFromStore(c, now);
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

  // The same files GET /api/v1/feeds/<kind> serves to the organisation (same
  // TLP and PAP rules, see match/feeds.h).
  int RunFeedFromStore(const Context& c, Millis now) {
    auto v = LoadFromStore(c, ind_feed_.org_id);
    ExportOptions o;
    auto a = ActionFromName(action_);
    if (!a || *a == Action::kDefault) Die(fmt::format("--action: unknown action '{}'", action_));
    o.default_action = *a;
    o.default_local_data = local_data_;
    if (!zone_.empty()) o.zone = zone_;
    o.feed_name = feed_name_;
    o.org_name = org_;
    Millis stamp = serial_ ? Millis(serial_) * 1000 : now;
    auto set = OrDie(BuildFeed(feed_kind_, v.snapshot->indicators, now, stamp, o));
    if (set.files.size() == 1 && feed_kind_ != "misp" && feed_kind_ != "suricata") {
      const std::string& body = set.files.begin()->second.body;
      if (feed_out_.empty() || feed_out_ == "-")
        std::cout << body;
      else
        WriteFile(feed_out_, body);
    } else {
      if (feed_out_.empty())
        Die(fmt::format("{} writes several files: give a directory with --output", feed_kind_));
      std::error_code ec;
      fs::create_directories(feed_out_, ec);
      if (ec) Die(fmt::format("cannot create {}: {}", feed_out_, ec.message()));
      for (const auto& [name, f] : set.files)
        if (name != "manifest.json") WriteFile(fs::path(feed_out_) / name, f.body);
      if (set.files.contains("manifest.json"))
        WriteFile(fs::path(feed_out_) / "manifest.json", set.files.at("manifest.json").body);
    }
    const ExportStats& st = set.stats;
    std::cerr << fmt::format(
        "entente: {} feed of {}: {} indicators written, {} excluded (revoked, expired, TLP:RED "
        "or above the format's PAP), {} invalid, {} not expressible, {} duplicates\n",
        feed_kind_, ind_feed_.org_id, st.written, st.excluded, st.invalid, st.unsupported,
        st.duplicates);
    (void)c;
    return 0;
  }

  CLI::App* match_ = nullptr;
  CLI::App* feed_ = nullptr;
  IndicatorArgs ind_, ind_feed_;
  std::string format_ = "auto", out_ = "jsonl";
  int threads_ = 0;
  bool no_progress_ = false;
  bool report_sightings_ = false;
  std::vector<std::string> logs_;
  std::string feed_kind_, feed_out_, action_ = "nxdomain", local_data_, zone_,
                                     feed_name_ = "Entente", org_ = "Entente";
  std::uint32_t serial_ = 0;
};

}  // namespace

ENTENTE_CLI_GROUP(MatchCommands);

}  // namespace entente::cli
